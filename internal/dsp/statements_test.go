package dsp

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestEveryStatement sends every SQL statement of the store at least
// once: on SQLite, or on PostgreSQL with XBORDER_TEST_POSTGRES set (see
// pgtest), where the whole suite runs too; this keeps each statement
// covered whatever the other tests come to do.
func TestEveryStatement(t *testing.T) {
	db := openDBConns(t, filepath.Join(t.TempDir(), "x.db"), 1)
	defer db.Close()
	ctx := context.Background()
	s := openStore(t, db)
	defer s.Close()
	now := time.Now()
	p := &Process{Kind: KindNegotiation, Role: Provider, ProviderPID: "urn:p", ConsumerPID: "urn:c", State: Requested, Counterparty: consumerDID, Created: now, Updated: now}
	if _, _, err := s.Create(ctx, p, &Event{Time: now, To: Requested}); err != nil {
		t.Fatal(err)
	}
	dup := *p
	dup.ProviderPID = "urn:p2"
	if _, created, err := s.Create(ctx, &dup, nil); err != nil || created {
		t.Fatal(err, created)
	}
	p.State = Agreed
	if err := s.Update(ctx, p, &Event{Time: now, From: Requested, To: Agreed}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, KindNegotiation, Provider, "urn:p"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Events(ctx, KindNegotiation, Provider, "urn:p"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Unfinished(ctx); err != nil {
		t.Fatal(err)
	}
}
