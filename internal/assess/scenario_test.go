package assess

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadScenario(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", `as_of: 2026-04-15
exporter:
  country: CN
  ciio: false
  approvals:
    - {route: CN_SC_OR_CERT, ref: "filing 2026-0042", issued: 2026-01-20, expires: 2029-01-20}
recipient: {country: DE, name: Beispiel GmbH}
dataset:
  individuals: 120_000
  prior_ytd: {individuals: 5, sensitive_individuals: 1}
purpose: hr_management
`)
	tests := []struct {
		name      string
		src       ScenarioSource
		wantErr   string // substring of the error; "" for success
		wantLine  int
		wantCheck func(t *testing.T, src ScenarioSource)
	}{
		{name: "good", src: ScenarioSource{File: good}},
		{name: "override wins", src: ScenarioSource{File: good, Overrides: []Override{{Key: "recipient.country", Value: "US", Flag: "--to"}}}},
		{name: "set a list", src: ScenarioSource{Overrides: []Override{{Key: "recipient.certifications", Value: "[DPF, CBPR]"}}}},
		{name: "set creates keys", src: ScenarioSource{Overrides: []Override{{Key: "exporter.ciio", Value: "true"}, {Key: "dataset.us_bulk_12m.biometric", Value: "1001"}}}},
		{name: "unknown top key", src: ScenarioSource{File: write("u.yaml", "as_of: 2026-01-01\ncolour: red\n")}, wantErr: "colour: unknown key", wantLine: 2},
		{name: "unknown nested key", src: ScenarioSource{File: write("n.yaml", "dataset:\n  prior_ytd: {people: 3}\n")}, wantErr: "dataset.prior_ytd.people: unknown key", wantLine: 2},
		{name: "duplicate key", src: ScenarioSource{File: write("d.yaml", "purpose: a\npurpose: b\n")}, wantErr: "purpose: key given twice"},
		{name: "not a mapping", src: ScenarioSource{File: write("l.yaml", "- a\n- b\n")}, wantErr: "must be a YAML mapping"},
		{name: "bool", src: ScenarioSource{File: write("b.yaml", "exporter: {ciio: maybe}\n")}, wantErr: "exporter.ciio: not true or false"},
		{name: "count", src: ScenarioSource{File: write("c.yaml", "dataset: {individuals: 1.5}\n")}, wantErr: "dataset.individuals: not a whole number"},
		{name: "date", src: ScenarioSource{File: write("t.yaml", "as_of: yesterday\n")}, wantErr: "as_of: not a date"},
		{name: "list expected", src: ScenarioSource{File: write("a.yaml", "exporter: {approvals: CN_SA}\n")}, wantErr: "exporter.approvals: want a list"},
		{name: "approval key", src: ScenarioSource{File: write("ap.yaml", "exporter:\n  approvals:\n    - {route: CN_SA, when: 2026-01-01}\n")}, wantErr: "exporter.approvals[0].when: unknown key"},
		{name: "flag value named by flag", src: ScenarioSource{Overrides: []Override{{Key: "as_of", Value: "15/04/2026", Flag: "--as-of"}}}, wantErr: "--as-of: not a date"},
		{name: "set into scalar", src: ScenarioSource{Overrides: []Override{{Key: "purpose", Value: "x"}, {Key: "purpose.sub", Value: "y"}}}, wantErr: "purpose is not a mapping"},
		{name: "missing file", src: ScenarioSource{File: filepath.Join(dir, "nope.yaml")}, wantErr: "cannot read the scenario"},
		{name: "huge file", src: ScenarioSource{File: write("h.yaml", "purpose: "+strings.Repeat("x", maxScenarioBytes)+"\n")}, wantErr: "larger than"},
		{name: "empty file", src: ScenarioSource{File: write("e.yaml", "")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := LoadScenario(tc.src)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if tc.name == "good" && (s.Dataset.Individuals != 120000 || s.Recipient.Name != "Beispiel GmbH" || len(s.Exporter.Approvals) != 1) {
					t.Errorf("decoded %+v", s)
				}
				if tc.name == "override wins" && s.Recipient.Country != "US" {
					t.Errorf("override ignored: %q", s.Recipient.Country)
				}
				if tc.name == "set a list" && len(s.Recipient.Certifications) != 2 {
					t.Errorf("--set list: %q", s.Recipient.Certifications)
				}
				if tc.name == "set creates keys" && (!s.Exporter.CIIO || s.Dataset.USBulk12m.Biometric != 1001) {
					t.Errorf("--set ignored: %+v", s)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an *InputError", err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q lacks %q", err, tc.wantErr)
			}
			if tc.wantLine != 0 && ie.Line != tc.wantLine {
				t.Errorf("line %d, want %d", ie.Line, tc.wantLine)
			}
		})
	}
}

// FuzzLoadScenario: no input makes the loader panic, and whatever it
// accepts, the rulebook can validate without panicking.
func FuzzLoadScenario(f *testing.F) {
	for _, s := range []string{
		"as_of: 2026-04-15\nexporter: {country: CN}\nrecipient: {country: DE}\npurpose: analytics\n",
		"dataset:\n  individuals: 100000\n  us_bulk_12m: {biometric: 1001, government_related: true}\n",
		"exporter:\n  approvals:\n    - {route: CN_SA, issued: 2025-01-01}\n",
		"a: &x 1\nb: *x\n",
		"- 1\n",
		"{",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p := filepath.Join(t.TempDir(), "s.yaml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := LoadScenario(ScenarioSource{File: p})
		if err != nil {
			return
		}
		_ = s.Validate()
	})
}
