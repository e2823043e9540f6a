package node

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/statedb"
)

const (
	feedSelf = "did:web:provider.example"
	feedPeer = "did:web:consumer.example"
)

// feedStore opens a DSP store in dir as the node does.
func feedStore(t *testing.T, dir string) *dsp.SQLStore {
	t.Helper()
	db, err := statedb.Open(filepath.Join(dir, statedb.File), "FULL")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	s, err := dsp.OpenSQLStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); db.Close() })
	return s
}

func feedLedger(t *testing.T, dir string) *audit.Log {
	t.Helper()
	l, err := audit.Open(filepath.Join(dir, "audit"), audit.Options{Origin: "test.xborder.example/audit", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func closeLedger(t *testing.T, l *audit.Log) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// addSteps stores n negotiations of three steps each and a refusal after
// each, from number from on: 4n events.
func addSteps(t *testing.T, s *dsp.SQLStore, from, n int) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	for i := from; i < from+n; i++ {
		pid, cpid := fmt.Sprintf("urn:uuid:p-%d", i), fmt.Sprintf("urn:uuid:c-%d", i)
		p := &dsp.Process{Kind: dsp.KindNegotiation, Role: dsp.Provider, ProviderPID: pid, ConsumerPID: cpid, State: dsp.Requested,
			Counterparty: feedPeer, Created: now, Updated: now}
		ev := func(from, to dsp.State, sender dsp.Role, step dsp.Step) *dsp.Event {
			actor := feedPeer
			if sender == dsp.Provider {
				actor = feedSelf
			}
			return &dsp.Event{Time: now, ProviderPID: pid, ConsumerPID: cpid, Counterparty: feedPeer, Actor: actor, Sender: sender,
				From: from, To: to, Step: step}
		}
		if _, created, err := s.Create(ctx, p, ev("", dsp.Requested, dsp.Consumer, dsp.StepRequest)); err != nil || !created {
			t.Fatal(err, created)
		}
		p.State = dsp.Agreed
		if err := s.Update(ctx, p, ev(dsp.Requested, dsp.Agreed, dsp.Provider, dsp.StepAgree)); err != nil {
			t.Fatal(err)
		}
		if err := s.AddRefusal(ctx, &dsp.Event{Time: now, Kind: dsp.KindNegotiation, Role: dsp.Provider, ProviderPID: pid, Sender: dsp.Consumer,
			Code: dsp.CodeNotFound, Refused: true}); err != nil {
			t.Fatal(err)
		}
		p.State = dsp.Verified
		if err := s.Update(ctx, p, ev(dsp.Agreed, dsp.Verified, dsp.Consumer, dsp.StepVerify)); err != nil {
			t.Fatal(err)
		}
	}
}

// catchUp steps f until it has nothing left to do.
func catchUp(t *testing.T, f *auditFollower) {
	t.Helper()
	for range 1000 {
		moved, err := f.step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !moved {
			return
		}
	}
	t.Fatal("the follower does not catch up")
}

func history(t *testing.T, s *dsp.SQLStore) []dsp.Event {
	t.Helper()
	h, err := s.EventsAfter(context.Background(), 0, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var errCrash = errors.New("crash between the ledger's acknowledgement and the cursor's save")

// TestFollowerCrashBetweenAckAndCursor: the follower dies after the ledger
// acknowledged a batch and before its cursor records it; after a restart
// (store and ledger reopened) the ledger holds every step exactly once:
// the steps of the saved window that are in the ledger are not appended
// again, and the others are.
func TestFollowerCrashBetweenAckAndCursor(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := feedStore(t, dir)
	l := feedLedger(t, dir)
	if c, err := s.Cursor(ctx, auditCursor); err != nil || c.Position != 0 {
		t.Fatalf("cursor %+v %v", c, err) // a new store: the follower starts at its beginning
	}
	addSteps(t, s, 0, 10) // 40 steps
	batches := 0
	// Batches of 8 in windows of 32: the cursor is saved before the first
	// batch ({0, 32}) and before the fifth ({32, 32}), whose
	// acknowledgement the follower does not survive.
	f := newAuditFollower(s, l, followerConfig{Self: feedSelf, Batch: 8, Window: 32, afterAppend: func() error {
		if batches++; batches == 5 {
			return errCrash
		}
		return nil
	}})
	if err := f.start(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := f.step(ctx); errors.Is(err, errCrash) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if c, _ := s.Cursor(ctx, auditCursor); c != (dsp.Cursor{Position: 32, Ahead: 32}) {
		t.Fatalf("cursor at the crash %+v, want position 32 (four batches) and a window of 32", c)
	}
	// The process ends; the ledger closes (publishing what it integrated)
	// and more steps arrive before the restart.
	closeLedger(t, l)
	addSteps(t, s, 10, 3)
	l = feedLedger(t, dir)
	defer closeLedger(t, l)
	reg := prometheus.NewRegistry()
	f = newAuditFollower(s, l, followerConfig{Self: feedSelf, Batch: 8, Window: 32, Registerer: reg})
	if err := f.start(ctx); err != nil {
		t.Fatal(err)
	}
	catchUp(t, f)
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	hist := history(t, s)
	if msg := ledgerMatches(t, l, feedSelf, hist); msg != "" {
		t.Fatal(msg)
	}
	if got := metricValue(t, reg, "xborder_dsp_audit_skipped_total", "in_ledger"); got != 8 {
		t.Errorf("%v steps found in the ledger after the restart, want the 8 of the batch in doubt", got)
	}
	if got := metricValue(t, reg, "xborder_dsp_audit_appended_total", ""); got != float64(len(hist)-40) {
		t.Errorf("%v appended after the restart, want %d", got, len(hist)-40)
	}
	if c, _ := s.Cursor(ctx, auditCursor); c.Position != int64(len(hist)) {
		t.Errorf("cursor %+v after catching up, want position %d", c, len(hist)) // saved once idle
	}
	for name, want := range map[string]float64{"xborder_dsp_audit_backlog": 0, "xborder_dsp_audit_position": float64(len(hist)), "xborder_dsp_audit_lag_seconds": 0} {
		if got := metricValue(t, reg, name, ""); got != want {
			t.Errorf("%s %v after catching up, want %v", name, got, want)
		}
	}
}

// TestFollowerDrainsOnClose: Close appends what the history holds before
// the follower stops; the ledger holds it all once.
func TestFollowerDrainsOnClose(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := feedStore(t, dir)
	l := feedLedger(t, dir)
	defer closeLedger(t, l)
	f := newAuditFollower(s, l, followerConfig{Self: feedSelf, Batch: 16, Poll: time.Hour})
	if err := f.start(ctx); err != nil {
		t.Fatal(err)
	}
	f.run()
	addSteps(t, s, 0, 20) // no wake-up: only Close makes it read
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := f.Close(cctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	hist := history(t, s)
	if msg := ledgerMatches(t, l, feedSelf, hist); msg != "" {
		t.Fatal(msg)
	}
	if c, _ := s.Cursor(ctx, auditCursor); c.Position != int64(len(hist)) {
		t.Errorf("cursor %+v after draining, want position %d", c, len(hist))
	}
}

// fakeHistory is an event history whose positions a test commits in any
// order, as PostgreSQL can.
type fakeHistory struct {
	events map[int64]dsp.Event
	cursor *dsp.Cursor
}

func (h *fakeHistory) commit(positions ...int64) {
	for _, p := range positions {
		h.events[p] = dsp.Event{Position: p, Time: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), Kind: dsp.KindNegotiation, Role: dsp.Provider,
			ProviderPID: fmt.Sprintf("urn:uuid:p-%d", p), Actor: feedPeer, Sender: dsp.Consumer, To: dsp.Requested, Step: dsp.StepRequest}
	}
}

func (h *fakeHistory) EventsAfter(_ context.Context, after int64, limit int) ([]dsp.Event, error) {
	var ps []int64
	for p := range h.events {
		if p > after {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	var out []dsp.Event
	for _, p := range ps[:min(limit, len(ps))] {
		out = append(out, h.events[p])
	}
	return out, nil
}

func (h *fakeHistory) LastPosition(context.Context) (int64, error) {
	var last int64
	for p := range h.events {
		last = max(last, p)
	}
	return last, nil
}

func (h *fakeHistory) Cursor(context.Context, string) (dsp.Cursor, error) {
	if h.cursor == nil {
		h.cursor = &dsp.Cursor{}
	}
	return *h.cursor, nil
}

func (h *fakeHistory) SaveCursor(_ context.Context, _ string, c dsp.Cursor) error {
	h.cursor = &c
	return nil
}

// fakeLedger keeps appended events in order; loseAck makes the next
// AppendBatch append and then fail, as a lost acknowledgement would.
type fakeLedger struct {
	entries []*audit.Event
	loseAck bool
}

func (l *fakeLedger) AppendBatch(_ context.Context, es []*audit.Event) ([]audit.Appended, error) {
	l.entries = append(l.entries, es...)
	if l.loseAck {
		l.loseAck = false
		return nil, errors.New("connection lost")
	}
	return make([]audit.Appended, len(es)), nil
}

func (l *fakeLedger) Sync(context.Context) error { return nil }

func (l *fakeLedger) Query(_ context.Context, q audit.Query) ([]audit.Hit, error) {
	var hits []audit.Hit
	for i, e := range l.entries {
		if e.ObjectID == q.ObjectID && e.Operation == q.Operation && !e.Time.Before(q.From) && e.Time.Before(q.To) {
			hits = append(hits, audit.Hit{Index: uint64(i), Status: audit.StatusPresent, Event: e})
		}
	}
	return hits, nil
}

// positions are the history positions of the ledger's entries, in order.
func (l *fakeLedger) positions() []int64 {
	var out []int64
	for _, e := range l.entries {
		var p int64
		fmt.Sscanf(e.ObjectID, "urn:uuid:p-%d", &p)
		out = append(out, p)
	}
	return out
}

// TestFollowerGaps: a missing position holds the follower back (a
// transaction of PostgreSQL may still commit it) until it commits — the
// ledger then takes the steps in position order — or until it has been
// missing for the grace period, when it is skipped as a hole. Each
// missing position gets its own grace period. A batch whose
// acknowledgement was lost is not appended twice.
func TestFollowerGaps(t *testing.T) {
	const grace = 10 * time.Second
	type op struct {
		commit  []int64       // positions committed before the step
		advance time.Duration // clock moved before the step
		loseAck bool          // the ledger appends the step's batch but fails
		moved   bool          // the step moves the cursor
		fails   bool          // the step returns an error
	}
	cases := []struct {
		name   string
		ops    []op
		ledger []int64
		holes  float64
	}{
		{"no gap", []op{{commit: []int64{1, 2, 3}, moved: true}, {}}, []int64{1, 2, 3}, 0},
		{"a late commit fills the gap", []op{
			{commit: []int64{1, 2, 4}, moved: true}, // 1, 2
			{},                                      // 3 missing: wait
			{advance: grace - time.Second},          // still within the grace period
			{commit: []int64{3}, moved: true},       // 3, 4
			{},
		}, []int64{1, 2, 3, 4}, 0},
		{"a hole is skipped after the grace period", []op{
			{commit: []int64{1, 2, 4, 5}, moved: true},
			{},
			{advance: grace, moved: true}, // skip 3
			{moved: true},                 // 4, 5
			{},
		}, []int64{1, 2, 4, 5}, 1},
		{"a gap at the start", []op{
			{commit: []int64{3}},
			{advance: grace, moved: true}, // skip 1, 2
			{moved: true},
			{},
		}, []int64{3}, 2},
		{"each gap waits its own grace period", []op{
			{commit: []int64{1, 3, 4, 6}, moved: true}, // 1
			{}, // 2 missing since t0
			{advance: grace - time.Second, commit: []int64{2}, moved: true}, // 2, 3, 4
			{},                            // 5 missing since t0+grace-1s
			{advance: 2 * time.Second},    // only 2 s of it: wait
			{advance: grace, moved: true}, // skip 5
			{moved: true},                 // 6
			{},
		}, []int64{1, 2, 3, 4, 6}, 1},
		{"a lost acknowledgement", []op{
			{commit: []int64{1, 2}, moved: true},
			{commit: []int64{3, 4}, loseAck: true, fails: true}, // 3, 4 in the ledger, cursor at 2
			{commit: []int64{5}, moved: true},                   // 3, 4 found; 5 appended
			{},
		}, []int64{1, 2, 3, 4, 5}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
			h := &fakeHistory{events: map[int64]dsp.Event{}}
			l := &fakeLedger{}
			reg := prometheus.NewRegistry()
			f := newAuditFollower(h, l, followerConfig{Self: feedSelf, Batch: 8, Grace: grace, Now: func() time.Time { return now }, Registerer: reg})
			if err := f.start(ctx); err != nil {
				t.Fatal(err)
			}
			for i, o := range c.ops {
				h.commit(o.commit...)
				now = now.Add(o.advance)
				l.loseAck = o.loseAck
				moved, err := f.step(ctx)
				if moved != o.moved || (err != nil) != o.fails {
					t.Fatalf("step %d: moved %v, error %v; want moved %v, failing %v", i, moved, err, o.moved, o.fails)
				}
			}
			if got := l.positions(); !slices.Equal(got, c.ledger) {
				t.Errorf("the ledger holds %v, want %v", got, c.ledger)
			}
			if got := metricValue(t, reg, "xborder_dsp_audit_skipped_total", "hole"); got != c.holes {
				t.Errorf("%v holes, want %v", got, c.holes)
			}
			// Idle at the end: the cursor is saved.
			if last := c.ledger[len(c.ledger)-1]; h.cursor.Position != last || h.cursor.Ahead < 8 {
				t.Errorf("cursor %+v, want position %d and a window of at least a batch", *h.cursor, last)
			}
		})
	}
}

// metricValue reads a counter or gauge from reg: the series whose one
// label has value label ("" for a series without labels); 0 when absent.
func metricValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if lp := m.GetLabel(); (label == "" && len(lp) == 0) || (len(lp) == 1 && lp[0].GetValue() == label) {
				if c := m.GetCounter(); c != nil {
					return c.GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
	}
	return 0
}

// TestFollowerSkipsInvalid: a step the ledger refuses (its sender is not a
// DID) is counted and logged, and does not stop the follower.
func TestFollowerSkipsInvalid(t *testing.T) {
	ctx := context.Background()
	h := &fakeHistory{events: map[int64]dsp.Event{}}
	h.commit(1, 2, 3)
	e := h.events[2]
	e.Actor = "TCK_PARTICIPANT"
	h.events[2] = e
	l := &fakeLedger{}
	reg := prometheus.NewRegistry()
	f := newAuditFollower(h, l, followerConfig{Self: feedSelf, Registerer: reg})
	if err := f.start(ctx); err != nil {
		t.Fatal(err)
	}
	if moved, err := f.step(ctx); !moved || err != nil {
		t.Fatal(moved, err)
	}
	if got := l.positions(); !slices.Equal(got, []int64{1, 3}) {
		t.Errorf("the ledger holds %v", got)
	}
	if got := metricValue(t, reg, "xborder_dsp_audit_skipped_total", "invalid"); got != 1 {
		t.Errorf("%v invalid steps counted", got)
	}
}
