package dsp

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSQLStore(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "x.db"))
	defer db.Close()
	s := openStore(t, db)
	if _, err := OpenSQLStore(ctx, db); err != nil { // migrating twice is a no-op
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	p := &Process{Kind: KindNegotiation, Role: Provider, ProviderPID: "urn:uuid:p1", ConsumerPID: "urn:uuid:c1", State: Requested,
		Counterparty: consumerDID, PeerAddress: "https://c.example/cb", Offer: testOffer("urn:o", "urn:d"), Target: "urn:d", Created: now, Updated: now}
	e := &Event{Time: now, Kind: KindNegotiation, Role: Provider, ProviderPID: "urn:uuid:p1", ConsumerPID: "urn:uuid:c1", Sender: Consumer, To: Requested, Step: StepRequest}
	got, created, err := s.Create(ctx, p, e)
	if err != nil || !created || got.Version != 1 || e.Seq != 1 {
		t.Fatalf("create: %v %v %+v", err, created, got)
	}
	// A repeated initial request (same counterparty and consumerPid) gets
	// the stored process.
	dup := *p
	dup.ProviderPID = "urn:uuid:p2"
	got, created, err = s.Create(ctx, &dup, e)
	if err != nil || created || got.ProviderPID != "urn:uuid:p1" {
		t.Fatalf("repeated create: %v %v %+v", err, created, got)
	}
	// Another counterparty may use the same consumerPid.
	other := *p
	other.ProviderPID, other.Counterparty = "urn:uuid:p3", otherDID
	if _, created, err := s.Create(ctx, &other, e); err != nil || !created {
		t.Fatalf("other counterparty: %v %v", err, created)
	}

	a, _ := s.Get(ctx, KindNegotiation, Provider, "urn:uuid:p1")
	b, _ := s.Get(ctx, KindNegotiation, Provider, "urn:uuid:p1")
	a.State, a.Outbox = Agreed, &Outgoing{Seq: 2, URL: "https://c.example/cb/negotiations/urn:uuid:c1/agreement", Type: TypeContractAgreementMessage, Body: []byte(`{}`)}
	a.DataAddress = &DataAddress{EndpointType: "x", EndpointProperties: []EndpointProperty{{Name: "n", Value: "v"}}}
	if err := s.Update(ctx, a, &Event{Time: now, From: Requested, To: Agreed, Step: StepAgree, Sender: Provider}); err != nil || a.Version != 2 {
		t.Fatalf("update: %v %d", err, a.Version)
	}
	b.State = Terminated
	if err := s.Update(ctx, b, &Event{Time: now, From: Requested, To: Terminated, Step: StepTerminate}); !errors.Is(err, ErrConflict) {
		t.Fatalf("a stale update: %v, want ErrConflict", err)
	}
	c, err := s.Get(ctx, KindNegotiation, Provider, "urn:uuid:p1")
	if err != nil || c.State != Agreed || c.Outbox == nil || c.Outbox.Seq != 2 || c.DataAddress.EndpointProperties[0].Value != "v" || string(c.Offer) != string(p.Offer) {
		t.Fatalf("after update: %v %+v", err, c)
	}
	evs, err := s.Events(ctx, KindNegotiation, Provider, "urn:uuid:p1")
	if err != nil || len(evs) != 2 || evs[0].To != Requested || evs[1].Seq != 2 || evs[1].To != Agreed || evs[1].Step != StepAgree {
		t.Fatalf("events: %v %+v", err, evs)
	}
	if _, err := s.Get(ctx, KindTransfer, Provider, "urn:uuid:p1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("another kind: %v", err)
	}
	// Unfinished: open processes and those with an outbox.
	c.State = Finalized
	if err := s.Update(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	open, err := s.Unfinished(ctx)
	if err != nil || len(open) != 2 {
		t.Fatalf("unfinished: %v %d", err, len(open))
	}
	c.Outbox = nil
	if err := s.Update(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	if open, _ := s.Unfinished(ctx); len(open) != 1 || open[0].ProviderPID != "urn:uuid:p3" {
		t.Fatalf("unfinished after the outbox is cleared: %+v", open)
	}
	c.AgreementID = "urn:uuid:agreement-1"
	if err := s.Update(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ByAgreement(ctx, Provider, "urn:uuid:agreement-1"); err != nil || got.ProviderPID != "urn:uuid:p1" {
		t.Errorf("by agreement: %v %+v", err, got)
	}
	for _, q := range []struct {
		r  Role
		id string
	}{{Consumer, "urn:uuid:agreement-1"}, {Provider, "urn:uuid:other"}, {Provider, ""}} {
		if _, err := s.ByAgreement(ctx, q.r, q.id); !errors.Is(err, ErrNotFound) {
			t.Errorf("by agreement %s %q: %v, want ErrNotFound", q.r, q.id, err)
		}
	}
	if v := SchemaVersion(); v != 2 {
		t.Errorf("schema version %d", v)
	}
}

// TestSQLStoreCompareAndSet: many writers race to move one process; the
// compare-and-set lets exactly one win each version, and the history has
// no gap.
func TestSQLStoreCompareAndSet(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "x.db"))
	defer db.Close()
	s := openStore(t, db)
	now := time.Now()
	p := &Process{Kind: KindTransfer, Role: Provider, ProviderPID: "urn:uuid:t", ConsumerPID: "urn:uuid:c", State: Started, Counterparty: consumerDID, Created: now, Updated: now}
	if _, _, err := s.Create(ctx, p, &Event{Time: now, To: Started}); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q, err := s.Get(ctx, KindTransfer, Provider, "urn:uuid:t")
			if err != nil {
				t.Error(err)
				return
			}
			q.State = Suspended
			switch err := s.Update(ctx, q, &Event{Time: now, From: Started, To: Suspended}); {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, ErrConflict):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	q, _ := s.Get(ctx, KindTransfer, Provider, "urn:uuid:t")
	evs, _ := s.Events(ctx, KindTransfer, Provider, "urn:uuid:t")
	if int(q.Version) != 1+int(wins.Load()) || len(evs) != int(q.Version) {
		t.Errorf("%d wins, version %d, %d events", wins.Load(), q.Version, len(evs))
	}
	if wins.Load() < 1 {
		t.Error("nobody won")
	}
}

// TestMigrate: concurrent migrators (concurrent on PostgreSQL) migrate
// once; a database from a newer release is refused.
func TestMigrate(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "x.db"))
	defer db.Close()
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = Migrate(context.Background(), db) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	openStore(t, db)
	if _, err := db.Exec(`UPDATE dsp_schema SET version = 99`); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSQLStore(context.Background(), db); err == nil {
		t.Fatal("a newer schema was accepted")
	}
}
