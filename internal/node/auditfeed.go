package node

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/dsp"
)

// The audit follower: every DSP step reaches the audit ledger from the DSP
// store's history, after the step was answered, exactly once.
//
// The store writes each step (a transition, or a refused message) in the
// transaction that changes the process, with a store-wide position
// (dsp.SQLStore.EventsAfter), so a step is durable before it is answered.
// The follower reads the steps after the last one the ledger acknowledged,
// appends them to the ledger in position order, a batch at a time
// (audit.Log.AppendBatch: one group commit), and records its cursor, a
// position the ledger has acknowledged, in the store. Memory is bounded by
// one batch.
//
// Exactly once: the saved cursor says how far beyond it the follower may
// append before it saves again (dsp.Cursor.Ahead, the window: saved before
// a batch would leave it), so the cursor costs the store (its one writer on SQLite)
// a write per window rather than per batch, and one when the follower
// catches up. After a crash between the ledger's acknowledgement and the
// cursor's save, or an error that leaves a batch in doubt, the steps of
// the window are looked up in the ledger before being appended: by object,
// time and details digest, which covers the step's position, so it
// identifies the stored step. Those found are not appended again.
//
// Missing positions: on SQLite the history has no gaps (positions are
// assigned under the write lock). On PostgreSQL a lower position can
// commit after a higher one, or never (a rolled-back transaction). The
// follower never moves past a missing position until it has been missing
// for Grace; then it counts it as a hole (logged, and counted in
// xborder_dsp_audit_skipped_total{reason="hole"}). That is exact as long
// as no store transaction lasts longer than Grace: on PostgreSQL, set
// transaction_timeout (17+) below it for the store's role.

// auditCursor is the follower's name in the store's cursor table.
const auditCursor = "audit"

// eventHistory is what the follower reads: the DSP store.
type eventHistory interface {
	EventsAfter(ctx context.Context, after int64, limit int) ([]dsp.Event, error)
	LastPosition(ctx context.Context) (int64, error)
	Cursor(ctx context.Context, name string) (dsp.Cursor, error)
	SaveCursor(ctx context.Context, name string, c dsp.Cursor) error
}

// auditLedger is where the follower appends: the audit log.
type auditLedger interface {
	AppendBatch(ctx context.Context, events []*audit.Event) ([]audit.Appended, error)
	Sync(ctx context.Context) error
	Query(ctx context.Context, q audit.Query) ([]audit.Hit, error)
}

type followerConfig struct {
	// Self is this node's DID, the actor of steps with no sender known.
	Self string
	// Batch bounds the events read and appended at once (default 256).
	Batch int
	// Window is how far past its saved cursor the follower may append
	// (default 4 batches): the most steps looked up in the ledger after a
	// crash.
	Window int
	// Grace is how long a missing position may stay missing before it is
	// taken for a hole (default 10 s; see above).
	Grace time.Duration
	// Poll is how often the history is read when nothing wakes the
	// follower (default 1 s): Record is called after each stored step.
	Poll time.Duration
	// Linger is how long the follower waits after a batch that did not
	// fill, so that the next ledger round takes more steps (default
	// 100 ms): each round costs the ledger several fsyncs on the disk the
	// DSP store commits to, whatever its size.
	Linger time.Duration
	Now    func() time.Time
	Logger *slog.Logger
	// Registerer takes the follower's metrics (nil: not exported).
	Registerer prometheus.Registerer

	// afterAppend, when set (tests), runs between the ledger's
	// acknowledgement of a batch and the save of the cursor; an error
	// stops the step there, as a crash would.
	afterAppend func() error
}

type followerMetrics struct {
	appended prometheus.Counter
	skipped  *prometheus.CounterVec
	errors   prometheus.Counter
	lag      prometheus.Gauge
}

// auditFollower appends the DSP store's history to the audit ledger.
type auditFollower struct {
	cfg    followerConfig
	src    eventHistory
	ledger auditLedger
	log    *slog.Logger
	m      followerMetrics

	wake   chan struct{}
	drain  chan struct{} // closed by Close: catch up, then stop
	done   chan struct{} // closed when run returns
	cancel context.CancelFunc
	pos    atomic.Int64 // the saved cursor's position, for the metrics

	// Owned by the goroutine that steps (run, or a test).
	saved     dsp.Cursor
	acked     int64 // every step up to here is in the ledger (or a hole)
	recheckTo int64 // steps up to this position may be in the ledger already
	resync    bool  // sync the ledger before looking steps up in it
	gapAt     int64 // the missing position waited on (0: none)
	gapSince  time.Time
	full      bool // the last read filled a batch: more is waiting
}

func newAuditFollower(src eventHistory, ledger auditLedger, cfg followerConfig) *auditFollower {
	if cfg.Batch <= 0 {
		cfg.Batch = 256
	}
	if cfg.Window < cfg.Batch {
		cfg.Window = 4 * cfg.Batch
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 10 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Linger == 0 {
		cfg.Linger = 100 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	f := &auditFollower{cfg: cfg, src: src, ledger: ledger, log: cfg.Logger.With(slog.String("component", "audit-follower")),
		wake: make(chan struct{}, 1), drain: make(chan struct{}), done: make(chan struct{})}
	f.m = followerMetrics{
		appended: prometheus.NewCounter(prometheus.CounterOpts{Name: "xborder_dsp_audit_appended_total",
			Help: "DSP steps appended to the audit ledger by the follower."}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xborder_dsp_audit_skipped_total",
			Help: "DSP history positions not appended: in_ledger (already there after a crash), hole (never committed), invalid (not auditable)."},
			[]string{"reason"}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "xborder_dsp_audit_errors_total",
			Help: "Failed rounds of the audit follower (retried)."}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "xborder_dsp_audit_lag_seconds",
			Help: "Age of the oldest DSP step not yet in the audit ledger, as of the follower's last read (0: caught up)."}),
	}
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(f.m.appended, f.m.skipped, f.m.errors, f.m.lag,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "xborder_dsp_audit_position",
				Help: "The audit follower's cursor: every DSP step at or below this history position is in the ledger."},
				func() float64 { return float64(f.pos.Load()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "xborder_dsp_audit_backlog",
				Help: "DSP history positions stored but not yet behind the audit follower's cursor."}, f.backlog))
	}
	return f
}

// start reads the cursor (a new follower starts after the history stored
// so far). Steps in the window of a previous run are looked up in the
// ledger before they are appended.
func (f *auditFollower) start(ctx context.Context) error {
	c, err := f.src.Cursor(ctx, auditCursor)
	if err != nil {
		return fmt.Errorf("node: audit follower: %w", err)
	}
	f.saved, f.acked = c, c.Position
	if c.Ahead > 0 {
		f.recheckTo, f.resync = c.Position+c.Ahead, true
	}
	f.pos.Store(c.Position)
	return nil
}

// Record wakes the follower: a step was stored (the node's dsp.EventSink).
func (f *auditFollower) Record(context.Context, dsp.Event) error {
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return nil
}

// run steps until Close: at once while a backlog fills batches, after
// Linger after a partial batch, otherwise when woken or every Poll; failed
// rounds are retried with a growing delay.
func (f *auditFollower) run() {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() {
		defer close(f.done)
		defer cancel()
		var backoff time.Duration
		drain := f.drain // nil once draining
		for {
			progressed, err := f.step(ctx)
			if ctx.Err() != nil {
				return
			}
			wait, wake := f.cfg.Poll, f.wake
			switch {
			case err != nil:
				f.m.errors.Inc()
				backoff = min(max(2*backoff, 50*time.Millisecond), 5*time.Second)
				wait = backoff
				f.log.ErrorContext(ctx, "audit follower: appending DSP steps to the ledger", slog.Int64("position", f.acked),
					slog.Any("error", err), slog.Duration("retry_in", wait))
			case progressed && (f.full || drain == nil || f.cfg.Linger < 0):
				backoff = 0
				continue
			case progressed:
				// Let steps gather for the next round: new ones do not wake.
				backoff, wait, wake = 0, f.cfg.Linger, nil
			case drain == nil:
				return // caught up (or waiting on a missing position: the next start waits on)
			case f.gapAt != 0:
				wait = min(wait, f.gapSince.Add(f.cfg.Grace).Sub(f.cfg.Now())+time.Millisecond)
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
			case <-wake:
			case <-drain:
				drain = nil
			case <-t.C:
			}
			t.Stop()
		}
	}()
}

// Close stops the follower once it has appended what the history holds,
// or when ctx ends, whichever comes first. The steps left are appended on
// the next start.
func (f *auditFollower) Close(ctx context.Context) error {
	if f.cancel == nil {
		return nil // never run
	}
	close(f.drain)
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		f.cancel()
		<-f.done
		return fmt.Errorf("node: audit follower: stopped before catching up (at position %d): %w", f.acked, ctx.Err())
	}
}

// step handles the front of the history after the steps done: a run of
// consecutive positions, appended as one batch, or a missing position,
// waited on and then skipped. It reports whether it moved on; when there
// is nothing to do, it saves the cursor if it lags.
func (f *auditFollower) step(ctx context.Context) (bool, error) {
	if f.resync {
		// Everything the ledger acknowledged must be in its index before
		// it is asked what it holds.
		if err := f.ledger.Sync(ctx); err != nil {
			return false, fmt.Errorf("syncing the ledger: %w", err)
		}
		f.resync = false
	}
	evs, err := f.src.EventsAfter(ctx, f.acked, f.cfg.Batch)
	if err != nil {
		return false, err
	}
	f.full = len(evs) == f.cfg.Batch
	if len(evs) == 0 {
		f.m.lag.Set(0)
		if f.acked > f.saved.Position {
			return false, f.save(ctx)
		}
		return false, nil
	}
	f.m.lag.Set(max(0, f.cfg.Now().Sub(evs[0].Time).Seconds()))
	if next := f.acked + 1; evs[0].Position != next {
		return f.gap(ctx, next, evs[0].Position)
	}
	f.gapAt = 0
	n := 1
	for n < len(evs) && evs[n].Position == evs[n-1].Position+1 {
		n++
	}
	run, last := evs[:n], evs[n-1].Position
	if last > f.saved.Position+f.saved.Ahead {
		// The batch would leave the saved window: move it first.
		if err := f.save(ctx); err != nil {
			return false, err
		}
	}
	batch := make([]*audit.Event, 0, n)
	var invalid, found int
	for _, e := range run {
		ae, err := e.AuditEvent(f.cfg.Self)
		if err != nil {
			// Not auditable as it is (a sender that is not a DID): it stays
			// in the DSP history; the follower must not stop on it.
			invalid++
			f.log.ErrorContext(ctx, "audit follower: a DSP step the ledger refuses", slog.Int64("position", e.Position),
				slog.String("kind", string(e.Kind)), slog.String("step", string(e.Step)), slog.Any("error", err))
			continue
		}
		if e.Position <= f.recheckTo {
			in, err := f.inLedger(ctx, ae)
			if err != nil {
				return false, err
			}
			if in {
				found++
				continue
			}
		}
		batch = append(batch, ae)
	}
	if len(batch) > 0 {
		if _, err := f.ledger.AppendBatch(ctx, batch); err != nil {
			f.inDoubt()
			return false, err
		}
	}
	f.m.appended.Add(float64(len(batch)))
	f.m.skipped.WithLabelValues("invalid").Add(float64(invalid))
	f.m.skipped.WithLabelValues("in_ledger").Add(float64(found))
	if f.cfg.afterAppend != nil {
		if err := f.cfg.afterAppend(); err != nil {
			f.inDoubt()
			return false, err
		}
	}
	f.acked = last
	f.pos.Store(last)
	return true, nil
}

// gap waits on the missing position next (the history resumes at first),
// and after Grace skips the positions up to first as holes.
func (f *auditFollower) gap(ctx context.Context, next, first int64) (bool, error) {
	now := f.cfg.Now()
	if f.gapAt != next {
		f.gapAt, f.gapSince = next, now
	}
	if now.Sub(f.gapSince) < f.cfg.Grace {
		return false, nil
	}
	f.log.WarnContext(ctx, "audit follower: skipping DSP history positions that were never committed",
		slog.Int64("from", next), slog.Int64("to", first-1), slog.Duration("waited", now.Sub(f.gapSince)))
	f.m.skipped.WithLabelValues("hole").Add(float64(first - next))
	f.acked, f.gapAt = first-1, 0
	f.pos.Store(f.acked)
	return true, nil
}

// inDoubt is called when a batch may be in the ledger although the
// follower did not see it acknowledged: the saved window is looked up
// before anything is appended again.
func (f *auditFollower) inDoubt() {
	f.recheckTo = max(f.recheckTo, f.saved.Position+f.saved.Ahead)
	f.resync = true
}

// save records the steps done as the cursor, with a window of Window
// steps, or more while steps in doubt lie beyond.
func (f *auditFollower) save(ctx context.Context) error {
	c := dsp.Cursor{Position: f.acked, Ahead: max(int64(f.cfg.Window), f.recheckTo-f.acked)}
	if err := f.src.SaveCursor(ctx, auditCursor, c); err != nil {
		return err
	}
	f.saved = c
	return nil
}

// inLedger looks ae up in the ledger: same object, operation and time, and
// the same details digest.
func (f *auditFollower) inLedger(ctx context.Context, ae *audit.Event) (bool, error) {
	q := audit.Query{ObjectID: ae.ObjectID, Operation: ae.Operation, From: ae.Time, To: ae.Time.Add(time.Nanosecond), Limit: 10_000}
	for {
		hits, err := f.ledger.Query(ctx, q)
		if err != nil {
			return false, fmt.Errorf("looking a step up in the ledger: %w", err)
		}
		for _, h := range hits {
			if h.Event != nil && h.Event.DetailsDigest == ae.DetailsDigest {
				return true, nil
			}
		}
		if len(hits) < q.Limit {
			return false, nil
		}
		q.After, q.AfterSet = int64(hits[len(hits)-1].Index), true
	}
}

// backlog is the metric: positions stored beyond the cursor.
func (f *auditFollower) backlog() float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	last, err := f.src.LastPosition(ctx)
	if err != nil {
		return math.NaN()
	}
	return float64(max(0, last-f.pos.Load()))
}
