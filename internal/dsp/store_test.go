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
	if v := SchemaVersion(); v != 3 {
		t.Errorf("schema version %d", v)
	}
}

// TestSQLStoreCompareAndSet: many writers race to move one process,
// round after round; the compare-and-set lets exactly one win each
// version, and the history has no gap. On SQLite the racing writes share
// transactions (group commit): the losers of a version may sit in the
// same batch as its winner.
func TestSQLStoreCompareAndSet(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "x.db"))
	defer db.Close()
	s := openStore(t, db)
	defer s.Close()
	now := time.Now()
	p := &Process{Kind: KindTransfer, Role: Provider, ProviderPID: "urn:uuid:t", ConsumerPID: "urn:uuid:c", State: Started, Counterparty: consumerDID, Created: now, Updated: now}
	if _, _, err := s.Create(ctx, p, &Event{Time: now, To: Started}); err != nil {
		t.Fatal(err)
	}
	const writers, target = 32, 40
	var wins, conflicts atomic.Int32
	var wg, read sync.WaitGroup
	start := make(chan struct{})
	read.Add(writers)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for first := true; ; first = false {
				q, err := s.Get(ctx, KindTransfer, Provider, "urn:uuid:t")
				if first {
					// Every writer reads version 1 before any writes, so
					// the first round has one winner and writers-1 losers
					// whatever the scheduling.
					read.Done()
					read.Wait()
				}
				if err != nil {
					t.Error(err)
					return
				}
				if q.Version >= target {
					return
				}
				from := q.State
				q.State = Suspended
				if from == Suspended {
					q.State = Started
				}
				switch err := s.Update(ctx, q, &Event{Time: now, From: from, To: q.State}); {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, ErrConflict):
					conflicts.Add(1)
				default:
					t.Error(err)
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	q, _ := s.Get(ctx, KindTransfer, Provider, "urn:uuid:t")
	evs, _ := s.Events(ctx, KindTransfer, Provider, "urn:uuid:t")
	if q.Version != target || int(q.Version) != 1+int(wins.Load()) || len(evs) != int(q.Version) {
		t.Errorf("%d wins, version %d, %d events", wins.Load(), q.Version, len(evs))
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) || (i > 0 && e.From != evs[i-1].To) {
			t.Errorf("event %d: seq %d, %s → %s after → %s", i, e.Seq, e.From, e.To, evs[max(i-1, 0)].To)
		}
	}
	if conflicts.Load() < writers-1 {
		t.Errorf("%d writers lost a race, want at least %d", conflicts.Load(), writers-1)
	}
	if s.group {
		// How many writes shared a transaction depends on the scheduling;
		// TestGroupCommit* build batches deterministically.
		t.Logf("%d writes in %d transactions", s.stats.writes.Load(), s.stats.batches.Load())
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

// TestEventHistory: transitions and refusals of every process form one
// history, numbered in the order they were stored, which a follower reads
// in pages after its cursor; a process's own history leaves refusals out.
func TestEventHistory(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "x.db"))
	defer db.Close()
	s := openStore(t, db)
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	newProc := func(pid string) *Process {
		p := &Process{Kind: KindNegotiation, Role: Provider, ProviderPID: pid, ConsumerPID: "urn:uuid:c-" + pid, State: Requested,
			Counterparty: consumerDID, Created: now, Updated: now}
		if _, _, err := s.Create(ctx, p, &Event{Time: now, ProviderPID: pid, To: Requested, Step: StepRequest, Sender: Consumer}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	refuse := func(k Kind, r Role, pid, code string) *Event {
		e := &Event{Time: now, Kind: k, Role: r, ProviderPID: pid, Counterparty: otherDID, Actor: otherDID, Sender: r.Other(), Code: code, Refused: true}
		if err := s.AddRefusal(ctx, e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	a := newProc("urn:uuid:a")
	r1 := refuse(KindNegotiation, Provider, "urn:uuid:a", CodeNotFound)
	b := newProc("urn:uuid:b")
	a.State = Agreed
	if err := s.Update(ctx, a, &Event{Time: now, ProviderPID: a.ProviderPID, From: Requested, To: Agreed, Step: StepAgree, Sender: Provider}); err != nil {
		t.Fatal(err)
	}
	r2 := refuse(KindTransfer, Provider, "", CodeBadMessage) // no process known
	b.State = Terminated
	if err := s.Update(ctx, b, &Event{Time: now, ProviderPID: b.ProviderPID, From: Requested, To: Terminated, Step: StepTerminate, Sender: Provider, Code: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRefusal(ctx, &Event{Time: now, Kind: KindNegotiation, Role: Provider}); err == nil {
		t.Error("an event that is not a refusal was stored as one")
	}

	all, err := s.EventsAfter(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		pos     int64
		pid     string
		seq     int64
		to      State
		refused bool
	}
	want := []row{{1, "urn:uuid:a", 1, Requested, false}, {2, "urn:uuid:a", 0, "", true}, {3, "urn:uuid:b", 1, Requested, false},
		{4, "urn:uuid:a", 2, Agreed, false}, {5, "", 0, "", true}, {6, "urn:uuid:b", 2, Terminated, false}}
	if len(all) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(all), len(want), all)
	}
	for i, e := range all {
		if got := (row{e.Position, e.ProviderPID, e.Seq, e.To, e.Refused}); got != want[i] || e.Kind == "" || e.Role != Provider || !e.Time.Equal(now) {
			t.Errorf("event %d: %+v, want %+v", i, e, want[i])
		}
	}
	if r1.Position != 2 || r2.Position != 5 || r2.Kind != KindTransfer {
		t.Errorf("the refusals were given positions %d and %d", r1.Position, r2.Position)
	}
	// Pages after a cursor.
	page, err := s.EventsAfter(ctx, 2, 3)
	if err != nil || len(page) != 3 || page[0].Position != 3 || page[2].Position != 5 {
		t.Errorf("page after 2: %v %+v", err, page)
	}
	if last, err := s.LastPosition(ctx); err != nil || last != 6 {
		t.Errorf("last position %d, %v", last, err)
	}
	// The process's history: its transitions only.
	evs, err := s.Events(ctx, KindNegotiation, Provider, "urn:uuid:a")
	if err != nil || len(evs) != 2 || evs[0].Position != 1 || evs[1].Position != 4 {
		t.Errorf("history of a: %v %+v", err, evs)
	}
}

// TestCursor: a new follower starts after the history stored so far; its
// saved cursor survives reopening the store.
func TestCursor(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	db := openDB(t, path)
	s := openStore(t, db)
	now := time.Now()
	for _, pid := range []string{"urn:uuid:1", "urn:uuid:2"} {
		p := &Process{Kind: KindTransfer, Role: Consumer, ConsumerPID: pid, State: Requested, Counterparty: providerDID, Created: now, Updated: now}
		if _, _, err := s.Create(ctx, p, &Event{Time: now, To: Requested}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveCursor(ctx, "audit", Cursor{Position: 1}); err == nil {
		t.Error("saved a cursor that was never read")
	}
	c, err := s.Cursor(ctx, "audit")
	if err != nil || c != (Cursor{Position: 2}) {
		t.Fatalf("new cursor %+v, %v", c, err)
	}
	if err := s.SaveCursor(ctx, "audit", Cursor{Position: 1, Ahead: 64}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCursor(ctx, "audit", Cursor{Position: -1}); err == nil {
		t.Error("saved a negative position")
	}
	s.Close()
	db.Close()
	db = openDB(t, path)
	defer db.Close()
	s = openStore(t, db)
	defer s.Close()
	if c, err := s.Cursor(ctx, "audit"); err != nil || c != (Cursor{Position: 1, Ahead: 64}) {
		t.Errorf("cursor after reopening %+v, %v", c, err)
	}
	if c, err := s.Cursor(ctx, "other"); err != nil || c != (Cursor{Position: 2}) {
		t.Errorf("another follower's cursor %+v, %v", c, err)
	}
}

// TestMigrateSchema2: a database of schema 2 keeps its events, numbered in
// the order they happened; new events follow them, and a follower that
// starts on it begins after them (earlier releases audited them).
func TestMigrateSchema2(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "x.db"))
	defer db.Close()
	for _, stmt := range append([]string{`CREATE TABLE dsp_schema (id BIGINT PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)`,
		`INSERT INTO dsp_schema (id, version) VALUES (1, 2)`}, append(migrations[0], migrations[1]...)...) {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	old := `INSERT INTO dsp_events (` + eventColumns + `) VALUES ($1, 'provider', $2, $3, $4, '', '', '', '', '', '', $5, '', '', '', '')`
	for _, ev := range []struct {
		pid string
		seq int64
		at  int64
		to  State
	}{{"urn:uuid:b", 1, 2000, Requested}, {"urn:uuid:a", 1, 1000, Requested}, {"urn:uuid:a", 2, 3000, Agreed}} {
		if _, err := db.Exec(old, KindNegotiation, ev.pid, ev.seq, ev.at, ev.to); err != nil {
			t.Fatal(err)
		}
	}
	s := openStore(t, db)
	defer s.Close()
	all, err := s.EventsAfter(ctx, 0, 10)
	if err != nil || len(all) != 3 {
		t.Fatalf("%v %+v", err, all)
	}
	for i, want := range []struct {
		pid string
		seq int64
	}{{"urn:uuid:a", 1}, {"urn:uuid:b", 1}, {"urn:uuid:a", 2}} {
		if e := all[i]; e.Position != int64(i+1) || e.ProviderPID != "" || e.Seq != want.seq || e.Refused {
			t.Errorf("event %d: %+v", i, e)
		}
	}
	evs, err := s.Events(ctx, KindNegotiation, Provider, "urn:uuid:a")
	if err != nil || len(evs) != 2 || evs[1].To != Agreed || evs[1].Position != 3 {
		t.Errorf("history of a after the migration: %v %+v", err, evs)
	}
	if c, err := s.Cursor(ctx, "audit"); err != nil || c.Position != 3 {
		t.Errorf("a follower new to a migrated store starts at %+v, %v", c, err)
	}
	// A second event with the same (process, seq) is still refused.
	if _, err := db.Exec(`INSERT INTO dsp_events (`+eventColumns+`, refused) VALUES ($1, 'provider', 'urn:uuid:a', 2, 1, '', '', '', '', '', '', '', '', '', '', '', 0)`, KindNegotiation); err == nil {
		t.Error("a duplicate step was stored")
	}
}
