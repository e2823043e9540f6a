package assess

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/rulebook"
)

func day(t *testing.T, s string) rulebook.Date {
	t.Helper()
	d, err := rulebook.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLedgerTotals(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	if l, err := OpenLedger(ctx, dir, false); err != nil || l != nil {
		t.Fatalf("opening a missing ledger without create: %v, %v", l, err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("opening without create made the data directory")
	}
	l, err := OpenLedger(ctx, dir, true)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	recs := []ExportRecord{
		{Date: day(t, "2025-12-31"), ExporterCountry: "CN", RecipientCountry: "US", RecipientName: "A", Individuals: 1000, SensitiveIndividuals: 10, USBulk: rulebook.USBulk{Biometric: 600}},
		{Date: day(t, "2026-01-01"), ExporterCountry: "CN", RecipientCountry: "DE", Individuals: 200, SensitiveIndividuals: 20},
		{Date: day(t, "2026-04-15"), ExporterCountry: "CN", RecipientCountry: "US", RecipientName: "A", Individuals: 30, SensitiveIndividuals: 3, USBulk: rulebook.USBulk{Biometric: 500}},
		{Date: day(t, "2026-04-16"), ExporterCountry: "CN", RecipientCountry: "DE", Individuals: 4000, SensitiveIndividuals: 400},
		{Date: day(t, "2026-02-01"), ExporterCountry: "DE", RecipientCountry: "US", Individuals: 50000},
		{Date: day(t, "2025-04-15"), ExporterCountry: "US", RecipientCountry: "US", RecipientName: "A", USBulk: rulebook.USBulk{Biometric: 7}},
		{Date: day(t, "2025-04-16"), ExporterCountry: "US", RecipientCountry: "US", RecipientName: "B", USBulk: rulebook.USBulk{Biometric: 9}},
	}
	for _, r := range recs {
		r.RecordedAt = time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)
		r.Purpose = "analytics"
		if _, err := l.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// Calendar year: 1 January and as_of both count; the day after and the
	// previous year do not; other exporters' countries do not.
	ytd, err := l.YearToDate(ctx, "CN", day(t, "2026-04-15"))
	if err != nil {
		t.Fatal(err)
	}
	if ytd.Exports != 2 || ytd.Individuals != 230 || ytd.SensitiveIndividuals != 23 {
		t.Errorf("year to date %+v, want 2 exports, 230 individuals, 23 sensitive", ytd)
	}
	// Rolling 12 months per counterparty: 2025-04-15 is outside the window
	// ending 2026-04-15 (the window starts 2025-04-16), B is another pair.
	r12, err := l.Rolling12Months(ctx, "US", "A", day(t, "2026-04-15"))
	if err != nil {
		t.Fatal(err)
	}
	if r12.USBulk.Biometric != 1100 {
		t.Errorf("12-month biometric %d, want 1100", r12.USBulk.Biometric)
	}
	all, err := l.List(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 {
		t.Errorf("2026 has %d exports, want 4", len(all))
	}
}
