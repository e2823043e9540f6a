package contract

import (
	"context"
	"database/sql"
	"testing"
)

// TestEveryStatement sends every SQL statement of the store at least
// once: on SQLite, or on PostgreSQL with XBORDER_TEST_POSTGRES set (see
// pgtest), where the whole suite runs too; this keeps each statement
// covered whatever the other tests come to do.
func TestEveryStatement(t *testing.T) { runFlows(t, openDB(t, 1)) }

// runFlows exercises every store operation on db.
func runFlows(t *testing.T, db *sql.DB) {
	t.Helper()
	f := newFixture(t, 1)
	s, err := OpenStore(context.Background(), db, StoreOptions{Resolve: f.resolver.ResolveKey, Alerter: f.alerts, Now: f.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	f.store = s
	ctx := context.Background()
	offer := f.offer(t, map[string]any{"max_count_per_month": 2})
	rev := f.review(t, offer)
	if err := s.RecordReview(ctx, rev); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LatestReview(ctx, rev.OfferDigest); err != nil {
		t.Fatal(err)
	}
	rec := f.agree(t, offer)
	use(t, f, UseRequest{Agreement: rec.ID, Count: 1})
	f.approve(t, "CN_SC")
	if _, err := s.Approvals(ctx, f.provider.did); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		use(t, f, UseRequest{Agreement: rec.ID, Count: 1, Rows: 10})
	}
	use(t, f, UseRequest{Agreement: rec.ID, Count: 1})
	tok, _ := SignAction(Action{Agreement: rec.ID, Action: ActionResume, Issued: f.clock.now()}, f.provider.s, f.provider.kid)
	if _, err := s.Act(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Counters(ctx, rec.ID, f.clock.now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Events(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.set("2026-04-02T00:00:00Z")
	if _, err := s.Settle(ctx, "2026-03"); err != nil {
		t.Fatal(err)
	}
	tok, _ = SignAction(Action{Agreement: rec.ID, Action: ActionTerminate, Issued: f.clock.now()}, f.provider.s, f.provider.kid)
	if _, err := s.Act(ctx, tok); err != nil {
		t.Fatal(err)
	}
}
