package anomaly

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// t0 is Monday 2 March 2026, 10:00 in Asia/Shanghai (02:00 UTC): within
// business hours.
var t0 = time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)

var zeroDigest = "sha256:" + strings.Repeat("0", 64)

// ev builds a valid event; mods adjust it.
func ev(actor string, op audit.Operation, res audit.Result, at time.Time, mods ...func(*audit.Event)) *audit.Event {
	e := &audit.Event{
		Actor: actor, Time: at, Operation: op, ObjectID: "urn:xborder:dataset:d1", ObjectKind: audit.KindDataset,
		Result: res, DetailsDigest: zeroDigest,
	}
	for _, m := range mods {
		m(e)
	}
	return e
}

func records(n uint64) func(*audit.Event)    { return func(e *audit.Event) { e.Records = n } }
func nbytes(n uint64) func(*audit.Event)     { return func(e *audit.Event) { e.Bytes = n } }
func reason(r string) func(*audit.Event)     { return func(e *audit.Event) { e.Reason = r } }
func class(c audit.Class) func(*audit.Event) { return func(e *audit.Event) { e.Class = c } }
func agreement(id string) func(*audit.Event) {
	return func(e *audit.Event) { e.ObjectID, e.ObjectKind = id, audit.KindAgreement }
}

const (
	alice = "did:web:alice.example"
	bob   = "did:web:bob.example"
	carol = "did:web:carol.example"
)

// only returns the default configuration with just the named rule enabled,
// then applies mod.
func only(rule Rule, mod func(*Config)) *Config {
	c := DefaultConfig()
	c.BulkTransfer.Enabled = rule == RuleBulkTransfer
	c.OutsideAgreement.Enabled = rule == RuleOutsideAgreement
	c.RepeatedDenials.Enabled = rule == RuleRepeatedDenials
	c.UnusualHours.Enabled = rule == RuleUnusualHours
	if mod != nil {
		mod(c)
	}
	return c
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// farFuture is a clock far enough ahead that no test event counts as
// future-dated.
func farFuture() time.Time { return time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC) }

func newEngine(t testing.TB, cfg *Config, ag Agreements, sink Sink) *Engine {
	t.Helper()
	g, err := NewEngine(cfg, farFuture, ag, sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// recorder is a Sink keeping what it receives.
type recorder struct {
	mu     sync.Mutex
	alerts []Alert
	err    error
}

func (r *recorder) Alert(_ context.Context, a Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.alerts = append(r.alerts, a)
	return r.err
}

func (r *recorder) len() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.alerts) }

// memLog is an in-memory ledger: an Appender whose entries a test feeds
// back to the engine, as a tailer of the audit log would.
type memLog struct {
	mu      sync.Mutex
	entries []*audit.Event
}

func (l *memLog) Append(_ context.Context, e *audit.Event) (uint64, error) {
	if err := e.Validate(); err != nil {
		return 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, e)
	return uint64(len(l.entries) - 1), nil
}

func (l *memLog) at(i int) (*audit.Event, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i >= len(l.entries) {
		return nil, false
	}
	return l.entries[i], true
}

func (l *memLog) len() int { l.mu.Lock(); defer l.mu.Unlock(); return len(l.entries) }

// agreementsMap is an Agreements lookup from a map; it records the times
// asked.
type agreementsMap struct {
	mu  sync.Mutex
	m   map[string]AgreementWindow
	err error
	at  []time.Time
}

func (a *agreementsMap) Window(_ context.Context, id string, at time.Time) (AgreementWindow, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.at = append(a.at, at)
	if a.err != nil {
		return AgreementWindow{}, false, a.err
	}
	w, ok := a.m[id]
	return w, ok, nil
}

func describe(as []Alert) string {
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "[%s %s %s obs=%d thr=%d ev=%v] ", a.Rule, a.Actor, a.Finding, a.Observed, a.Threshold, a.Evidence)
	}
	return b.String()
}
