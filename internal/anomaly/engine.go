package anomaly

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// AgreementWindow is what the [Agreements] lookup knows of an agreement.
type AgreementWindow struct {
	NotBefore time.Time // zero: no lower bound; included
	NotAfter  time.Time // zero: no upper bound; included
	// Active reports the agreement in force (neither pending, suspended nor
	// terminated) at the time asked. The zero value, false, raises an alert
	// for every use: an adapter that forgets to set it fails loudly.
	Active bool
}

// Agreements looks agreements up for the outside_agreement rule.
//
// Window returns the validity window of agreementID and whether it was in
// force at time at (the event's time; an implementation without history
// answers with the current state, and then a replay after a suspension
// flags earlier uses too). found is false when the agreement is unknown. A
// non-nil error means the lookup failed: no alert is raised from it and
// Observe returns the error.
type Agreements interface {
	Window(ctx context.Context, agreementID string, at time.Time) (w AgreementWindow, found bool, err error)
}

// Stats are an engine's counters since it was created.
type Stats struct {
	Events       uint64 // events observed or replayed (valid ones, alert events included)
	Invalid      uint64 // events refused by audit.Event.Validate
	Alerts       uint64 // alerts raised
	Duplicates   uint64 // alerts not raised again: same ID already raised, or already in the ledger
	Actors       int    // actors tracked now
	Evicted      uint64 // actors evicted (least recently seen) to stay within max_actors
	FutureDated  uint64 // events dated beyond max_clock_skew after the clock
	LookupErrors uint64 // failed Agreements lookups
	SinkErrors   uint64 // alerts the sink failed to take
}

// maxIDs bounds the alert IDs the engine remembers for deduplication, and
// the alerts held back during replay.
const maxIDs = 1 << 16

// Engine evaluates the detection rules over a stream of audit events. It is
// safe for concurrent use; see the package documentation for its semantics.
type Engine struct {
	now        func() time.Time
	agreements Agreements
	sink       Sink
	log        *slog.Logger

	// compiled configuration
	maxActors    int
	skew         time.Duration
	bulk         BulkTransfer
	bulkOps      opSet
	bulkWin      int64 // seconds
	agreement    OutsideAgreement
	agreementOps opSet
	reasonCodes  map[string]bool
	denials      RepeatedDenials
	denialWin    time.Duration
	unusual      UnusualHours
	hours        *hours
	hoursOps     opSet
	hoursWin     int64 // seconds

	mu         sync.Mutex
	actors     map[string]*actor
	lru        list.List // of *actor, most recently seen first
	seen       idSet     // IDs raised by this engine or found in the ledger
	replaying  bool
	pending    list.List // of Alert, held back during replay
	pendingIDs map[string]*list.Element
	stats      Stats
}

type opSet map[audit.Operation]bool

func newOpSet(ops []audit.Operation) opSet {
	s := opSet{}
	for _, op := range ops {
		s[op] = true
	}
	return s
}

// NewEngine returns an engine for cfg (nil: DefaultConfig), which it
// validates and copies. now is the clock (nil: time.Now), used only to
// recognise events dated in the future (see Config.MaxClockSkew); windows
// follow the events' own times. agreements may be nil: outside_agreement
// then checks reason codes only. sink may be nil: alerts are then only
// returned. log may be nil: nothing is logged.
func NewEngine(cfg *Config, now func() time.Time, agreements Agreements, sink Sink, log *slog.Logger) (*Engine, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h, err := cfg.UnusualHours.compile("unusual_hours")
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &Engine{
		now: now, agreements: agreements, sink: sink, log: log,
		maxActors: cfg.MaxActors, skew: cfg.MaxClockSkew.D(),
		bulk: cfg.BulkTransfer, bulkOps: newOpSet(cfg.BulkTransfer.Operations), bulkWin: int64(cfg.BulkTransfer.Window.D() / time.Second),
		agreement: cfg.OutsideAgreement, agreementOps: newOpSet(cfg.OutsideAgreement.Operations), reasonCodes: map[string]bool{},
		denials: cfg.RepeatedDenials, denialWin: cfg.RepeatedDenials.Window.D(),
		unusual: cfg.UnusualHours, hours: h, hoursOps: newOpSet(cfg.UnusualHours.Operations), hoursWin: int64(cfg.UnusualHours.Window.D() / time.Second),
		actors: map[string]*actor{}, seen: newIDSet(maxIDs), pendingIDs: map[string]*list.Element{},
	}
	for _, c := range cfg.OutsideAgreement.ReasonCodes {
		g.reasonCodes[c] = true
	}
	return g, nil
}

// Observe evaluates the rules on e, the event at log index index, hands
// each new alert to the sink (outside the engine's lock) and returns the
// alerts raised. index must be the event's own log index: it is the
// evidence alerts cite, and it tells apart the single-event alerts of one
// actor at one instant. Give each event once (state would count it twice;
// alerts would not be raised twice). Events should come in log order:
// windows never move back, an event dated before its actor's current
// bulk_transfer window counts in that window. When Observe follows Replay, it first releases the alerts
// held back (see EndReplay) and returns them too.
//
// The error reports an invalid event (not evaluated), a failed agreement
// lookup or a sink failure; in the last two cases the alerts are returned
// all the same and the caller may hand them to a sink again.
func (g *Engine) Observe(ctx context.Context, index uint64, e *audit.Event) ([]Alert, error) {
	var out []Alert
	var errs []error
	g.mu.Lock()
	if g.replaying {
		out = g.endReplayLocked()
	}
	g.mu.Unlock()
	raised, err := g.evaluate(ctx, index, e, false)
	if err != nil {
		errs = append(errs, err)
	}
	out = append(out, raised...)
	if err := g.deliver(ctx, out); err != nil {
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// Replay evaluates e like Observe, for catching up on a log an earlier
// engine may already have processed (after a restart): the alerts raised
// are held back instead of delivered. An alert event met in the log
// (operation alert, object urn:xborder:alert:<id>) cancels the held-back
// alert with that ID, since the ledger already has it. EndReplay, or the
// next Observe, delivers the alerts still held, those the ledger missed.
// Replaying a log therefore duplicates no alert in the ledger. At most
// 65536 alerts are held; beyond, the oldest is delivered at once.
func (g *Engine) Replay(ctx context.Context, index uint64, e *audit.Event) error {
	raised, err := g.evaluate(ctx, index, e, true)
	if derr := g.deliver(ctx, raised); derr != nil {
		err = errors.Join(err, derr)
	}
	return err
}

// EndReplay ends replay: it delivers the alerts still held back and
// returns them.
func (g *Engine) EndReplay(ctx context.Context) ([]Alert, error) {
	g.mu.Lock()
	out := g.endReplayLocked()
	g.mu.Unlock()
	return out, g.deliver(ctx, out)
}

func (g *Engine) endReplayLocked() []Alert {
	var out []Alert
	for el := g.pending.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(Alert))
	}
	g.pending.Init()
	clear(g.pendingIDs)
	g.replaying = false
	return out
}

// Stats returns the engine's counters.
func (g *Engine) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.stats
	s.Actors = len(g.actors)
	return s
}

func (g *Engine) deliver(ctx context.Context, alerts []Alert) error {
	var errs []error
	for _, a := range alerts {
		g.log.WarnContext(ctx, "anomaly alert", slog.String("id", a.ID), slog.String("rule", string(a.Rule)),
			slog.String("severity", string(a.Severity)), slog.String("actor", a.Actor), slog.String("finding", a.Finding),
			slog.Uint64("observed", a.Observed), slog.Uint64("threshold", a.Threshold))
		if g.sink == nil {
			continue
		}
		if err := g.sink.Alert(ctx, a); err != nil {
			g.mu.Lock()
			g.stats.SinkErrors++
			g.mu.Unlock()
			g.log.ErrorContext(ctx, "anomaly alert not delivered", slog.String("id", a.ID), slog.Any("error", err))
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// evaluate runs the rules and returns the alerts to deliver now (none when
// replaying, except held-back alerts pushed out by the bound).
func (g *Engine) evaluate(ctx context.Context, index uint64, e *audit.Event, replay bool) ([]Alert, error) {
	if e == nil {
		return nil, errors.New("anomaly: nil event")
	}
	if err := e.Validate(); err != nil {
		g.mu.Lock()
		g.stats.Invalid++
		g.mu.Unlock()
		return nil, fmt.Errorf("anomaly: event %d: %w", index, err)
	}
	if e.Operation == audit.OpAlert {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.stats.Events++
		if replay {
			g.replaying = true
		}
		if id, ok := strings.CutPrefix(e.ObjectID, AlertURNPrefix); ok && e.ObjectKind == audit.KindAlert {
			g.seen.add(id)
			if el, ok := g.pendingIDs[id]; ok {
				g.pending.Remove(el)
				delete(g.pendingIDs, id)
			}
		}
		return nil, nil
	}

	// The agreement lookup may do I/O: outside the lock.
	var lookup *agreementFinding
	var lookupErr error
	if g.agreement.Enabled && g.agreements != nil && !g.reasonCodes[e.Reason] && e.ObjectKind == audit.KindAgreement &&
		(e.Result == audit.ResultSuccess || e.Result == audit.ResultAllow) && g.agreementOps[e.Operation] {
		w, found, err := g.agreements.Window(ctx, e.ObjectID, e.Time)
		if err != nil {
			lookupErr = fmt.Errorf("anomaly: agreement lookup for event %d: %w", index, err)
			g.log.ErrorContext(ctx, "agreement lookup failed", slog.Uint64("index", index), slog.String("agreement", e.ObjectID), slog.Any("error", err))
		} else {
			lookup = checkWindow(w, found, e.Time)
		}
	}
	now := g.now()

	g.mu.Lock()
	defer g.mu.Unlock()
	g.stats.Events++
	if lookupErr != nil {
		g.stats.LookupErrors++
	}
	if replay {
		g.replaying = true
	}
	// Window state follows the event's time, unless it lies beyond the
	// allowed skew (a wrong clock would otherwise throw the actor's windows
	// far ahead).
	wt := e.Time
	if wt.After(now.Add(g.skew)) {
		g.stats.FutureDated++
		g.log.WarnContext(ctx, "audit event dated in the future", slog.Uint64("index", index), slog.String("actor", e.Actor), slog.Time("time", e.Time))
		wt = now
	}

	var cands []Alert
	if g.agreement.Enabled {
		if a, ok := g.outsideAgreement(index, e, lookup); ok {
			cands = append(cands, a)
		}
	}
	if g.bulk.Enabled && e.Result == audit.ResultSuccess && g.bulkOps[e.Operation] {
		if a, ok := g.bulkTransfer(g.actor(e.Actor), index, e, wt); ok {
			cands = append(cands, a)
		}
	}
	if g.denials.Enabled && e.Result == audit.ResultDeny {
		if a, ok := g.repeatedDenials(g.actor(e.Actor), index, e, wt); ok {
			cands = append(cands, a)
		}
	}
	if g.unusual.Enabled && g.hoursOps[e.Operation] {
		if a, ok := g.unusualHours(index, e, wt); ok {
			cands = append(cands, a)
		}
	}

	var out []Alert
	for _, a := range cands {
		if g.seen.has(a.ID) {
			g.stats.Duplicates++
			continue
		}
		g.seen.add(a.ID)
		g.stats.Alerts++
		if !replay {
			out = append(out, a)
			continue
		}
		g.pendingIDs[a.ID] = g.pending.PushBack(a)
		if g.pending.Len() > maxIDs {
			old := g.pending.Remove(g.pending.Front()).(Alert)
			delete(g.pendingIDs, old.ID)
			out = append(out, old)
		}
	}
	return out, lookupErr
}

// actor is the per-actor state, an element of the LRU list.
type actor struct {
	id string
	el *list.Element

	bulk *bulkState // nil until the actor's first bulk_transfer event

	denials    ring[denial] // the most recent denials, at most threshold
	quietUntil time.Time    // no repeated_denials alert before

	hoursWin    int64 // the unusual_hours window of the last alert
	hoursWinSet bool
}

// actor returns the state of id, created if need be, as the most recently
// seen; it evicts the least recently seen actor beyond max_actors.
func (g *Engine) actor(id string) *actor {
	if a, ok := g.actors[id]; ok {
		g.lru.MoveToFront(a.el)
		return a
	}
	a := &actor{id: strings.Clone(id)}
	a.el = g.lru.PushFront(a)
	g.actors[a.id] = a
	for len(g.actors) > g.maxActors {
		old := g.lru.Remove(g.lru.Back()).(*actor)
		delete(g.actors, old.id)
		g.stats.Evicted++
	}
	return a
}

// idSet is a set of at most max strings, forgetting the oldest first.
type idSet struct {
	m    map[string]struct{}
	fifo []string
	next int
	max  int
}

func newIDSet(max int) idSet { return idSet{m: make(map[string]struct{}), max: max} }

func (s *idSet) has(id string) bool { _, ok := s.m[id]; return ok }

func (s *idSet) add(id string) {
	if s.has(id) {
		return
	}
	if len(s.fifo) < s.max {
		s.fifo = append(s.fifo, id)
	} else {
		delete(s.m, s.fifo[s.next])
		s.fifo[s.next] = id
		s.next = (s.next + 1) % len(s.fifo)
	}
	s.m[id] = struct{}{}
}

// ring keeps the last cap values pushed.
type ring[T any] struct {
	buf   []T
	start int
}

func (r *ring[T]) push(v T, capacity int) {
	if len(r.buf) < capacity {
		r.buf = append(r.buf, v)
		return
	}
	r.buf[r.start] = v
	r.start = (r.start + 1) % len(r.buf)
}

func (r *ring[T]) len() int { return len(r.buf) }

// at returns the i-th oldest value.
func (r *ring[T]) at(i int) T { return r.buf[(r.start+i)%len(r.buf)] }

func (r *ring[T]) reset() { r.buf, r.start = r.buf[:0], 0 }
