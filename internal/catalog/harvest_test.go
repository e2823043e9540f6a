package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

const exampleCSV = "../../examples/shenzhen-retail/customers.csv"

func TestHarvestExample(t *testing.T) {
	db := openTestDB(t)
	c := newTestCatalog(t, db, Config{})
	ctx := context.Background()
	e := entry("xb86/CN/gba-retail/customers-2026q1", "深圳零售客户订单", "Shenzhen retail customer orders", LevelInternal)
	rep, err := c.Harvest(ctx, e, exampleCSV, HarvestOptions{Location: "CN-GD"})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(exampleCSV)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	got, err := c.Get(ctx, Operator(), rep.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	tech := got.Technical
	if tech.RowCount != 4000 || tech.ByteSize != int64(len(raw)) || tech.Checksum.Value != hex.EncodeToString(sum[:]) ||
		tech.DataFormat != "csv" || tech.MediaType != "text/csv" || tech.SourceName != "customers.csv" || len(tech.Fields) != 10 {
		t.Errorf("technical metadata: %+v", tech)
	}
	fields := map[string]Field{}
	for _, f := range tech.Fields {
		fields[f.Name] = f
	}
	for name, want := range map[string]Field{
		"身份证号": {PIClass: "cn_resident_id", Personal: true, ValueType: "string"},
		"银行卡号": {PIClass: "bank_card", Personal: true, Sensitive: true},
		"诊断":   {PIClass: "health", Personal: true, Sensitive: true, ValueType: "string"},
		"金额":   {ValueType: "decimal"},
		"订单号":  {ValueType: "integer"},
	} {
		f := fields[name]
		if f.PIClass != want.PIClass || f.Personal != want.Personal || f.Sensitive != want.Sensitive || want.ValueType != "" && f.ValueType != want.ValueType {
			t.Errorf("field %s: %+v", name, f)
		}
		if f.NonEmpty == 0 || f.MaxLength == 0 {
			t.Errorf("field %s has no statistics: %+v", name, f)
		}
	}
	p := tech.PIProfile
	if p.Individuals == 0 || p.SensitiveIndividuals == 0 || !p.SpecialCategory || p.Individuals != rep.Individuals {
		t.Errorf("profile: %+v", p)
	}
	if got.Governance.ClassificationLevel != LevelSensitive || rep.DerivedLevel != LevelSensitive {
		t.Errorf("level %s (derived %s): sensitive data must raise it", got.Governance.ClassificationLevel, rep.DerivedLevel)
	}
	for _, f := range []string{"银行卡号", "诊断"} {
		if !strings.Contains(strings.Join(got.Governance.SensitiveFields, ","), f) {
			t.Errorf("sensitiveFields %v lacks %s", got.Governance.SensitiveFields, f)
		}
	}
	if h := got.Provenance.History; len(h) != 1 || h[0].Activity != "harvest" || h[0].Location != "CN-GD" || h[0].Actor != "did:web:owner.example" {
		t.Errorf("history: %+v", h)
	}
	if q := got.Business.QualityDimensions.Completeness; q == nil || *q <= 50 || *q > 100 {
		t.Errorf("completeness %v", q)
	}

	// No data value reached the database.
	var stored string
	if err := db.QueryRow(`SELECT entry FROM catalog_datasets WHERE id = $1`, rep.ID.String()).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, "*") {
		t.Error("the stored entry contains a masked example")
	}
	r := csv.NewReader(strings.NewReader(string(raw)))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, row := range rows[1:] {
		for _, v := range row {
			if utf8.RuneCountInString(v) >= 6 {
				checked++
				if strings.Contains(stored, v) {
					t.Fatalf("the stored entry contains the data value %q", v)
				}
			}
		}
	}
	if checked < 10000 {
		t.Fatalf("only %d values checked", checked)
	}

	// A second harvest is a new revision with a second history step; the
	// level never goes down.
	e2, _ := c.Get(ctx, Operator(), rep.ID.String())
	rep2, err := c.Harvest(ctx, e2, exampleCSV, HarvestOptions{})
	if err != nil || rep2.Revision != 2 {
		t.Fatalf("second harvest: %+v %v", rep2, err)
	}
	got2, _ := c.Get(ctx, Operator(), rep.ID.String())
	if len(got2.Provenance.History) != 2 {
		t.Errorf("history after two harvests: %+v", got2.Provenance.History)
	}

	// Search in both languages finds it, with a hint for the US.
	for _, q := range []string{"深圳 零售", "shenzhen retail", "银行卡号"} {
		res := search(t, c, Operator(), SearchRequest{Query: q, To: []string{"US"}})
		if res.Total != 1 || len(res.Hits[0].Hints) == 0 || res.Hits[0].Hints[0].Jurisdiction != "CN" {
			t.Errorf("%q: %+v", q, res.Hits)
		}
	}
}

func TestHarvestBadData(t *testing.T) {
	c := newTestCatalog(t, openTestDB(t), Config{})
	ctx := context.Background()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("a,b\n1,2\n3,4,5\n"), 0o644)
	for _, path := range []string{bad, filepath.Join(dir, "missing.csv"), dir} {
		_, err := c.Harvest(ctx, entry("xb86/CN/retail/x", "甲", "A", LevelPublic), path, HarvestOptions{})
		if err == nil || !IsInputError(err) {
			t.Errorf("%s: %v, want an input error", path, err)
		}
	}
	if c.Len() != 0 || countRows(t, c, "catalog_datasets") != 0 {
		t.Error("a failed harvest wrote an entry")
	}
	_, err := c.Harvest(ctx, entry("xb86/CN/retail/x", "甲", "A", "bogus"), exampleCSV, HarvestOptions{})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Path != "governance.classificationLevel" {
		t.Errorf("a bad entry: %v", err)
	}
}
