package assess

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/xborder/xborder/internal/rulebook"
)

func scenario(t *testing.T, overrides ...Override) rulebook.Scenario {
	t.Helper()
	base := []Override{
		{Key: "as_of", Value: "2026-04-15"},
		{Key: "exporter.country", Value: "CN"},
		{Key: "recipient.country", Value: "DE"},
		{Key: "purpose", Value: "analytics"},
	}
	s, err := LoadScenario(ScenarioSource{Overrides: append(base, overrides...)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWhatIf(t *testing.T) {
	tests := []struct {
		name     string
		set      []Override
		wantFrom string
		wantTo   string // "" when no what-if is expected
		wantCode string
	}{
		{"sensitive pushes to SA; dropping it exempts", []Override{{Key: "dataset.individuals", Value: "50000"}, {Key: "dataset.sensitive_individuals", Value: "20000"}},
			"CN_SA", "CN_EXEMPT_ART5_4", "drop_sensitive_fields"},
		{"volume SA; only anonymising lowers it", []Override{{Key: "dataset.individuals", Value: "1500000"}},
			"CN_SA", "CN_NOT_REGULATED", "anonymise_or_aggregate"},
		{"already exempt: nothing to suggest", []Override{{Key: "dataset.individuals", Value: "10"}}, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Assess(context.Background(), Request{Scenario: scenario(t, tc.set...)})
			if err != nil {
				t.Fatal(err)
			}
			var cn *WhatIf
			for i := range res.WhatIf {
				if res.WhatIf[i].Jurisdiction == "CN" {
					cn = &res.WhatIf[i]
				}
			}
			if tc.wantTo == "" {
				if cn != nil {
					t.Fatalf("unexpected what-if %+v", *cn)
				}
				return
			}
			if cn == nil {
				t.Fatalf("no CN what-if; decisions %+v", res.Decisions)
			}
			if cn.From != tc.wantFrom || cn.To != tc.wantTo || cn.Change.Code != tc.wantCode {
				t.Errorf("what-if %s: %s → %s, want %s: %s → %s", cn.Change.Code, cn.From, cn.To, tc.wantCode, tc.wantFrom, tc.wantTo)
			}
		})
	}
}

func TestAssessBadScenarioValue(t *testing.T) {
	s := scenario(t, Override{Key: "purpose", Value: "world_domination"})
	_, err := Assess(context.Background(), Request{Scenario: s})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Key != "purpose" {
		t.Fatalf("error %v: want an *InputError for key purpose", err)
	}
}

// TestAssessFilesAndLedger: counts come from the files, the prior total
// from the ledger, and a malformed file is bad input.
func TestAssessFilesAndLedger(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	csv := filepath.Join(dir, "people.csv")
	// Three rows, two distinct valid resident IDs, one with a bank card.
	body := "身份证号,银行卡号\n11010519491231002X,6222021234567890127\n11010519491231002X,\n110105194912310029,\n"
	if err := os.WriteFile(csv, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := OpenLedger(ctx, filepath.Join(dir, "data"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Record(ctx, ExportRecord{Date: day(t, "2026-02-01"), ExporterCountry: "CN", RecipientCountry: "DE", Purpose: "analytics",
		Individuals: 99_998, SensitiveIndividuals: 0}); err != nil {
		t.Fatal(err)
	}
	res, err := Assess(ctx, Request{Scenario: scenario(t), Files: []string{csv}, Ledger: l})
	if err != nil {
		t.Fatal(err)
	}
	if res.Profile.Rows != 3 || res.Scenario.Dataset.Individuals != 2 {
		t.Errorf("rows %d individuals %d, want 3 and 2", res.Profile.Rows, res.Scenario.Dataset.Individuals)
	}
	if res.YearToDate.Source != "ledger" || res.YearToDate.Individuals != 100_000 {
		t.Errorf("year to date %+v, want 100,000 from the ledger", res.YearToDate)
	}

	bad := filepath.Join(dir, "ragged.csv")
	if err := os.WriteFile(bad, []byte("a,b\n1,2\n3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Assess(ctx, Request{Scenario: scenario(t), Files: []string{bad}})
	var ie *InputError
	if !errors.As(err, &ie) || ie.File != bad || ie.Line != 3 {
		t.Fatalf("ragged file: %v; want an *InputError at %s:3", err, bad)
	}
}
