package dsp

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// groupStore opens a SQLite store and skips the test on PostgreSQL, which
// has no group commit.
func groupStore(t *testing.T) *SQLStore {
	t.Helper()
	db := openDB(t, filepath.Join(t.TempDir(), "x.db"))
	t.Cleanup(func() { db.Close() })
	s := openStore(t, db)
	t.Cleanup(func() { s.Close() })
	if !s.group {
		t.Skip("group commit is SQLite's")
	}
	return s
}

// holdWriter occupies the writer with a write that waits for the returned
// function, so that the writes queued meanwhile make the next batch.
func holdWriter(t *testing.T, s *SQLStore) (release func()) {
	t.Helper()
	started, proceed := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.write(context.Background(), "holding", func(context.Context, *sql.Tx) error {
			close(started)
			<-proceed
			return nil
		})
	}()
	<-started
	return func() {
		close(proceed)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// waitQueued waits until n callers wait to queue a write.
func waitQueued(t *testing.T, s *SQLStore, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); s.stats.waiting.Load() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued, want %d", s.stats.waiting.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // from the counter to the channel send
}

func newTestProcess(pid string, now time.Time) *Process {
	return &Process{Kind: KindNegotiation, Role: Provider, ProviderPID: pid, ConsumerPID: "urn:uuid:c-" + pid, State: Requested,
		Counterparty: consumerDID, Created: now, Updated: now}
}

// TestGroupCommitFailures: in one batch, a Create of a taken process id,
// an Update of a stale version, and a write whose statement fails after
// it stored an event answer their own errors; the other writes of the
// batch commit, and the failed write leaves no event and no gap in the
// positions.
func TestGroupCommitFailures(t *testing.T) {
	ctx := context.Background()
	s := groupStore(t)
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	a := newTestProcess("urn:uuid:a", now)
	if _, _, err := s.Create(ctx, a, &Event{Time: now, ProviderPID: a.ProviderPID, To: Requested}); err != nil {
		t.Fatal(err)
	}
	stale := *a

	release := holdWriter(t, s)
	var wg sync.WaitGroup
	results := make(map[string]error)
	var mu sync.Mutex
	run := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := f()
			mu.Lock()
			results[name] = err
			mu.Unlock()
		}()
	}
	a.State = Agreed
	run("update", func() error {
		return s.Update(ctx, a, &Event{Time: now, ProviderPID: a.ProviderPID, From: Requested, To: Agreed})
	})
	run("create b", func() error {
		_, created, err := s.Create(ctx, newTestProcess("urn:uuid:b", now), &Event{Time: now, ProviderPID: "urn:uuid:b", To: Requested})
		if err == nil && !created {
			err = errors.New("not created")
		}
		return err
	})
	run("taken", func() error {
		dup := newTestProcess("urn:uuid:a", now)
		dup.ConsumerPID = ""
		_, _, err := s.Create(ctx, dup, nil)
		return err
	})
	run("failing statement", func() error {
		return s.write(ctx, "failing", func(ctx context.Context, tx *sql.Tx) error {
			e := &Event{Time: now, Kind: KindNegotiation, Role: Provider, ProviderPID: "urn:uuid:ghost", Refused: true}
			if err := s.insertEvent(ctx, tx, "", e); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO dsp_cursors (name, pos, ahead) VALUES ('bad', 0, -1)`) // CHECK (ahead >= 0)
			return err
		})
	})
	run("refusal", func() error {
		return s.AddRefusal(ctx, &Event{Time: now, Kind: KindNegotiation, Role: Provider, ProviderPID: "urn:uuid:z", Refused: true, Code: CodeNotFound})
	})
	waitQueued(t, s, 5)
	// The stale update queues last, behind the winning one.
	stale.State = Terminated
	run("stale", func() error {
		return s.Update(ctx, &stale, &Event{Time: now, ProviderPID: a.ProviderPID, From: Requested, To: Terminated})
	})
	waitQueued(t, s, 6)
	batches := s.stats.batches.Load()
	release()
	wg.Wait()

	if got := s.stats.batches.Load() - batches; got != 1 || s.stats.last.Load() != 6 {
		t.Logf("the six writes took %d transactions (last %d writes): the test did not build one batch", got, s.stats.last.Load())
	}
	for name, want := range map[string]bool{"update": true, "create b": true, "refusal": true, "taken": false, "failing statement": false, "stale": false} {
		if err := results[name]; (err == nil) != want {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !errors.Is(results["stale"], ErrConflict) {
		t.Errorf("stale update: %v, want ErrConflict", results["stale"])
	}
	if a.Version != 2 {
		t.Errorf("version %d after the update", a.Version)
	}
	got, err := s.Get(ctx, KindNegotiation, Provider, "urn:uuid:a")
	if err != nil || got.State != Agreed || got.Version != 2 {
		t.Errorf("a: %v %+v", err, got)
	}
	if _, err := s.Get(ctx, KindNegotiation, Provider, "urn:uuid:b"); err != nil {
		t.Error(err)
	}
	all, err := s.EventsAfter(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 { // a created, a updated, b created, the refusal
		t.Errorf("%d events: %+v", len(all), all)
	}
	for i, e := range all {
		if e.Position != int64(i+1) || e.ProviderPID == "urn:uuid:ghost" {
			t.Errorf("event %d: position %d, %s", i, e.Position, e.ProviderPID)
		}
	}
}

// TestGroupCommitContext: a write whose ctx is done before the writer
// starts it returns ctx.Err() and is not applied, whether ctx ends before
// the call or while the write waits in the queue.
func TestGroupCommitContext(t *testing.T) {
	s := groupStore(t)
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.Create(done, newTestProcess("urn:uuid:a", now), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("create with a done ctx: %v", err)
	}

	release := holdWriter(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, _, err := s.Create(ctx, newTestProcess("urn:uuid:b", now), &Event{Time: now, ProviderPID: "urn:uuid:b", To: Requested})
		errc <- err
	}()
	waitQueued(t, s, 1)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("create cancelled in the queue: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled write waited for the writer")
	}
	release()
	for _, pid := range []string{"urn:uuid:a", "urn:uuid:b"} {
		if _, err := s.Get(context.Background(), KindNegotiation, Provider, pid); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want not found", pid, err)
		}
	}
	if last, err := s.LastPosition(context.Background()); err != nil || last != 0 {
		t.Errorf("last position %d, %v", last, err)
	}
	// The store still writes.
	if _, created, err := s.Create(context.Background(), newTestProcess("urn:uuid:c", now), nil); err != nil || !created {
		t.Errorf("create after: %v %v", created, err)
	}
}

// TestGroupCommitPositions: under concurrent writes the positions are
// gap-free and strictly increasing, each caller's event has the position
// it was given, and a follower reading concurrently never sees a later
// position before an earlier one (commit order).
func TestGroupCommitPositions(t *testing.T) {
	ctx := context.Background()
	// Commit-ordered positions are SQLite's guarantee; on PostgreSQL a
	// lower position may commit after a higher one, and the audit follower
	// waits for it (auditfeed.go).
	s := groupStore(t)
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	const writers, steps = 24, 8
	stop := make(chan struct{})
	followErr := make(chan error, 1)
	go func() { // the follower
		var after int64
		for {
			evs, err := s.EventsAfter(ctx, after, 50)
			if err != nil {
				followErr <- err
				return
			}
			for _, e := range evs {
				if e.Position != after+1 {
					followErr <- fmt.Errorf("the follower read position %d after %d", e.Position, after)
					return
				}
				after = e.Position
			}
			select {
			case <-stop:
				if len(evs) == 0 {
					followErr <- nil
					return
				}
			default:
			}
		}
	}()
	var mu sync.Mutex
	given := make(map[int64]string)
	record := func(e *Event, what string) {
		mu.Lock()
		defer mu.Unlock()
		if prev, dup := given[e.Position]; dup {
			t.Errorf("position %d given to %s and %s", e.Position, prev, what)
		}
		given[e.Position] = what
	}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pid := fmt.Sprintf("urn:uuid:p%d", w)
			p := newTestProcess(pid, now)
			e := &Event{Time: now, ProviderPID: pid, To: Requested}
			if _, _, err := s.Create(ctx, p, e); err != nil {
				t.Error(err)
				return
			}
			record(e, pid+"/1")
			for i := 0; i < steps; i++ {
				e := &Event{Time: now, ProviderPID: pid, From: p.State, To: Requested}
				if err := s.Update(ctx, p, e); err != nil {
					t.Error(err)
					return
				}
				record(e, fmt.Sprintf("%s/%d", pid, p.Version))
				r := &Event{Time: now, Kind: KindNegotiation, Role: Provider, ProviderPID: pid, Refused: true, Code: CodeNotFound}
				if err := s.AddRefusal(ctx, r); err != nil {
					t.Error(err)
					return
				}
				record(r, fmt.Sprintf("%s/refusal %d", pid, i))
			}
		}()
	}
	wg.Wait()
	close(stop)
	if err := <-followErr; err != nil {
		t.Error(err)
	}
	all, err := s.EventsAfter(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if want := writers * (1 + 2*steps); len(all) != want || len(given) != want {
		t.Fatalf("%d events stored, %d positions given, want %d", len(all), len(given), want)
	}
	for i, e := range all {
		if e.Position != int64(i+1) {
			t.Fatalf("event %d has position %d", i, e.Position)
		}
		if _, ok := given[e.Position]; !ok {
			t.Errorf("position %d was given to nobody", e.Position)
		}
	}
	if s.group {
		t.Logf("%d writes in %d transactions", s.stats.writes.Load(), s.stats.batches.Load())
	}
}
