package contract

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/xborder/xborder/internal/contract/billing"
)

// TestInvoiceAndSettle: uses in March credited to two providers; the
// March invoice is a draft in March and final (stored, unchangeable) in
// April; the settlement takes the platform fee and splits the rest by
// rows, every invoice's parts adding up to its subtotal.
func TestInvoiceAndSettle(t *testing.T) {
	f := newFixture(t, 1)
	f.provider, f.consumer, f.coProvider = seededParty(t, 1), seededParty(t, 2), seededParty(t, 3)
	ctx := context.Background()
	rec := f.agree(t, f.offer(t, nil))
	f.approve(t, "CN_SC")
	for _, u := range []UseRequest{
		{Count: 1, Rows: 1000, Bytes: 250_000},
		{Count: 1, Rows: 2500, Bytes: 600_000, Provider: f.coProvider.did},
		{Count: 1, Rows: 1200, Bytes: 300_000},
	} {
		u.Agreement = rec.ID
		if d := use(t, f, u); !d.Allowed {
			t.Fatalf("%+v", d)
		}
	}
	draft, err := f.store.Invoices(ctx, "2026-03")
	if err != nil {
		t.Fatal(err)
	}
	if len(draft) != 1 || draft[0].Status != InvoiceDraft {
		t.Fatalf("draft %+v", draft)
	}
	if _, err := f.store.Settle(ctx, "2026-03"); !errors.Is(err, ErrPeriodOpen) {
		t.Fatalf("settled an open month: %v", err)
	}
	f.clock.set("2026-04-01T00:00:00Z")
	invs, err := f.store.Invoices(ctx, "2026-03")
	if err != nil {
		t.Fatal(err)
	}
	inv := invs[0]
	// 1000.00 subscription + 4700 rows at 5.00 per 1000 = 23.50.
	if inv.Status != InvoiceFinal || inv.Subtotal.Minor != 100000+2350 || inv.Total.Minor != inv.Subtotal.Minor || inv.Usage.Records != 3 {
		t.Fatalf("invoice %+v", inv)
	}
	again, err := f.store.Invoices(ctx, "2026-03")
	if err != nil || again[0].ID != inv.ID || again[0].IssuedAt != inv.IssuedAt {
		t.Fatalf("not stable: %v", err)
	}
	// A use dated in the invoiced month is refused as input.
	var ie *InputError
	if _, err := f.store.RecordUse(ctx, UseRequest{Agreement: rec.ID, Count: 1, At: inv.IssuedAt.AddDate(0, 0, -2)}); !errors.As(err, &ie) {
		t.Fatalf("use in an invoiced month: %v", err)
	}
	st, err := f.store.Settle(ctx, "2026-03")
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, s := range st.Statements {
		for _, l := range s.Lines {
			sum += l.Amount.Minor
		}
	}
	if sum != inv.Subtotal.Minor {
		t.Fatalf("statements sum to %d, subtotal %d", sum, inv.Subtotal.Minor)
	}
	out, err := json.MarshalIndent(struct {
		Invoices   []*Invoice  `json:"invoices"`
		Settlement *Settlement `json:"settlement"`
	}{invs, st}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "billing/march.json", append(out, '\n'))
	st2, err := f.store.Settle(ctx, "2026-03")
	if err != nil || st2.SettledAt != st.SettledAt {
		t.Fatalf("settlement not stored: %v", err)
	}
}

// TestSettleFixedAndSole: a fixed revenue share and an agreement without
// one (everything to the provider).
func TestSettleFixedAndSole(t *testing.T) {
	f := newFixture(t, 1)
	f.provider, f.consumer, f.coProvider = seededParty(t, 1), seededParty(t, 2), seededParty(t, 3)
	ctx := context.Background()
	fixed := f.agree(t, f.offer(t, map[string]any{"pricing": json.RawMessage(`{"currency": "EUR", "components": [{"model": "per_call", "tiers": [{"price": "0.10"}]}],
		"revenue_share": {"basis": "fixed", "providers": [{"party": "` + f.provider.did + `", "weight": 1}, {"party": "` + f.coProvider.did + `", "weight": 2}]}}`)}))
	f.clock.set("2026-03-11T09:00:00Z")
	sole := f.agree(t, f.offer(t, map[string]any{"pricing": json.RawMessage(`{"currency": "EUR", "components": [{"model": "per_call", "tiers": [{"price": "0.10"}]}]}`)}))
	f.approve(t, "CN_SC")
	for _, id := range []string{fixed.ID, sole.ID} {
		if d := use(t, f, UseRequest{Agreement: id, Count: 1}); !d.Allowed {
			t.Fatalf("%+v", d)
		}
	}
	f.clock.set("2026-04-03T00:00:00Z")
	st, err := f.store.Settle(ctx, "2026-03")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, s := range st.Statements {
		got[s.Party] = s.Total.Minor
	}
	// fixed: 10 cents split 1:2 → 3 and 7 (largest remainder: 3.33, 6.67);
	// sole: 10 cents to the provider.
	if got[f.provider.did] != 3+10 || got[f.coProvider.did] != 7 {
		t.Fatalf("statements %v", got)
	}
	var n int
	for _, in := range st.Instructions {
		if in.Kind == "invoice_payment" {
			n++
			if in.From != f.consumer.did || in.Amount != billing.NewMoney(10, "EUR") {
				t.Errorf("instruction %+v", in)
			}
		}
	}
	if n != 2 {
		t.Fatalf("instructions %+v", st.Instructions)
	}
}
