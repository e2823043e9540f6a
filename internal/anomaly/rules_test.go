package anomaly

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// step is one event and what Observe must answer to it: no alert (want ""),
// or exactly one alert with the finding want (and threshold thr, when not 0).
type step struct {
	e     *audit.Event
	want  string
	thr   uint64
	check func(t *testing.T, a Alert)
}

func runSteps(t *testing.T, g *Engine, steps []step) []Alert {
	t.Helper()
	var all []Alert
	for i, s := range steps {
		got, err := g.Observe(context.Background(), uint64(i), s.e)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		all = append(all, got...)
		switch {
		case s.want == "" && len(got) != 0:
			t.Fatalf("step %d: want no alert, got %s", i, describe(got))
		case s.want != "" && (len(got) != 1 || got[0].Finding != s.want):
			t.Fatalf("step %d: want one %s alert, got %s", i, s.want, describe(got))
		case s.want != "" && s.thr != 0 && got[0].Threshold != s.thr:
			t.Fatalf("step %d: threshold %d, want %d", i, got[0].Threshold, s.thr)
		}
		if s.check != nil && len(got) == 1 {
			s.check(t, got[0])
		}
	}
	return all
}

func hour(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }

func TestBulkTransfer(t *testing.T) {
	cfg := func(mod func(*BulkTransfer)) *Config {
		return only(RuleBulkTransfer, func(c *Config) {
			b := &c.BulkTransfer
			b.Window, b.WarmupWindows, b.Factor, b.Smoothing = Duration(time.Hour), 2, 2, 0.5
			b.Records, b.Bytes, b.Events = Limit{Floor: 100, Ceiling: 1000}, Limit{}, Limit{}
			if mod != nil {
				mod(b)
			}
		})
	}
	dl := func(at time.Time, n uint64) *audit.Event {
		return ev(alice, audit.OpDownload, audit.ResultSuccess, at, records(n))
	}
	tests := []struct {
		name  string
		cfg   *Config
		steps []step
	}{
		{"warm-up: the ceiling reached is not exceeded", cfg(nil), []step{
			{e: dl(t0, 600)}, {e: dl(t0.Add(time.Minute), 400)},
			{e: dl(t0.Add(2*time.Minute), 1), want: FindingRecords, thr: 1000, check: func(t *testing.T, a Alert) {
				if a.Observed != 1001 || !slices.Equal(a.Evidence, []uint64{0, 1, 2}) || a.Severity != SeverityWarning ||
					!a.WindowStart.Equal(t0) || !a.WindowEnd.Equal(hour(1)) || !a.At.Equal(t0.Add(2*time.Minute)) {
					t.Errorf("alert %+v", a)
				}
			}},
		}},
		{"warm-up without a ceiling never alerts", cfg(func(b *BulkTransfer) { b.Records.Ceiling = 0 }), []step{
			{e: dl(t0, 1_000_000_000)}, {e: dl(hour(1), 1_000_000_000)},
		}},
		{"after warm-up: factor × baseline", cfg(nil), []step{
			{e: dl(t0, 100)}, {e: dl(hour(1), 100)},
			{e: dl(hour(2), 200)}, {e: dl(hour(2).Add(time.Second), 1), want: FindingRecords, thr: 200},
		}},
		{"after warm-up: the floor governs a small baseline", cfg(nil), []step{
			{e: dl(t0, 10)}, {e: dl(hour(1), 10)},
			{e: dl(hour(2), 100)}, {e: dl(hour(2), 1), want: FindingRecords, thr: 100},
		}},
		{"after warm-up: the ceiling caps a large baseline", cfg(func(b *BulkTransfer) { b.Factor = 20 }), []step{
			{e: dl(t0, 100)}, {e: dl(hour(1), 100)},
			{e: dl(hour(2), 1000)}, {e: dl(hour(2), 1), want: FindingRecords, thr: 1000},
		}},
		{"warm-up of zero: the floor from the first window", cfg(func(b *BulkTransfer) { b.WarmupWindows = 0 }), []step{
			{e: dl(t0, 100)}, {e: dl(t0, 1), want: FindingRecords, thr: 100},
		}},
		{"empty windows decay the baseline", cfg(nil), []step{
			// 400 in window 0, then windows 1 and 2 empty: 400 × 0.5² = 100.
			{e: dl(t0, 400)},
			{e: dl(hour(3), 200)}, {e: dl(hour(3).Add(time.Minute), 1), want: FindingRecords, thr: 200},
		}},
		{"window edge: the end instant opens the next window", cfg(nil), []step{
			{e: dl(hour(1).Add(-time.Nanosecond), 600)}, {e: dl(hour(1), 600)},
			{e: dl(hour(1).Add(time.Second), 401), want: FindingRecords, check: func(t *testing.T, a Alert) {
				if !a.WindowStart.Equal(hour(1)) || !slices.Equal(a.Evidence, []uint64{1, 2}) {
					t.Errorf("window %v, evidence %v", a.WindowStart, a.Evidence)
				}
			}},
		}},
		{"one alert per window, again in the next", cfg(nil), []step{
			{e: dl(t0, 1001), want: FindingRecords}, {e: dl(t0.Add(time.Minute), 5000)},
			{e: dl(hour(1), 1001), want: FindingRecords},
		}},
		{"failures, denials and other operations do not count", cfg(nil), []step{
			{e: ev(alice, audit.OpDownload, audit.ResultFailure, t0, records(5000))},
			{e: ev(alice, audit.OpDownload, audit.ResultDeny, t0, records(5000))},
			{e: ev(alice, audit.OpDownload, audit.ResultAllow, t0, records(5000))},
			{e: ev(alice, audit.OpAccess, audit.ResultSuccess, t0, records(5000))},
			{e: dl(t0, 1000)}, {e: dl(t0, 1), want: FindingRecords},
		}},
		{"transfers count", cfg(nil), []step{
			{e: ev(alice, audit.OpTransfer, audit.ResultSuccess, t0, records(1001)), want: FindingRecords},
		}},
		{"actors are counted apart", cfg(nil), []step{
			{e: dl(t0, 1000)}, {e: ev(bob, audit.OpDownload, audit.ResultSuccess, t0, records(1000))},
		}},
		{"bytes", cfg(func(b *BulkTransfer) { b.Records, b.Bytes = Limit{}, Limit{Ceiling: 1 << 20} }), []step{
			{e: ev(alice, audit.OpDownload, audit.ResultSuccess, t0, nbytes(1<<20), records(1e9))},
			{e: ev(alice, audit.OpDownload, audit.ResultSuccess, t0, nbytes(1)), want: FindingBytes, thr: 1 << 20},
		}},
		{"events", cfg(func(b *BulkTransfer) { b.Records, b.Events = Limit{}, Limit{Ceiling: 2} }), []step{
			{e: dl(t0, 0)}, {e: dl(t0, 0)}, {e: dl(t0, 0), want: FindingEvents, thr: 2},
		}},
		{"the first metric over its threshold is reported", cfg(func(b *BulkTransfer) { b.Bytes = Limit{Ceiling: 10} }), []step{
			{e: ev(alice, audit.OpDownload, audit.ResultSuccess, t0, nbytes(11), records(1001)), want: FindingRecords},
		}},
		{"a late event counts in the current window", cfg(nil), []step{
			{e: dl(hour(1), 600)},
			{e: dl(t0.Add(30*time.Minute), 401), want: FindingRecords, check: func(t *testing.T, a Alert) {
				if !a.WindowStart.Equal(hour(1)) {
					t.Errorf("window %v, want %v", a.WindowStart, hour(1))
				}
			}},
		}},
		{"the class is the most sensitive in the window", cfg(nil), []step{
			{e: dl(t0, 500)}, {e: ev(alice, audit.OpDownload, audit.ResultSuccess, t0, records(500), class(audit.ClassImportant))},
			{e: ev(alice, audit.OpDownload, audit.ResultSuccess, t0, records(1), class(audit.ClassPersonal)), want: FindingRecords,
				check: func(t *testing.T, a Alert) {
					if a.Class != audit.ClassImportant {
						t.Errorf("class %q", a.Class)
					}
				}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runSteps(t, newEngine(t, tc.cfg, nil, nil), tc.steps)
		})
	}
}

func TestBulkTransferEvidenceBounded(t *testing.T) {
	g := newEngine(t, only(RuleBulkTransfer, func(c *Config) { c.BulkTransfer.Events = Limit{Ceiling: 100} }), nil, nil)
	var got []Alert
	for i := range 101 {
		as, err := g.Observe(context.Background(), uint64(i), ev(alice, audit.OpDownload, audit.ResultSuccess, t0))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, as...)
	}
	if len(got) != 1 || len(got[0].Evidence) != MaxEvidence || got[0].Evidence[0] != 101-MaxEvidence || got[0].Evidence[MaxEvidence-1] != 100 {
		t.Fatalf("got %s", describe(got))
	}
}

const (
	agA1   = "urn:xborder:agreement:a1"
	agOpen = "urn:xborder:agreement:open"
	agSusp = "urn:xborder:agreement:suspended"
)

func agreements() *agreementsMap {
	return &agreementsMap{m: map[string]AgreementWindow{
		agA1:   {NotBefore: t0, NotAfter: t0.Add(24 * time.Hour), Active: true},
		agOpen: {Active: true},
		agSusp: {NotBefore: t0.Add(-24 * time.Hour), NotAfter: t0.Add(24 * time.Hour)},
	}}
}

func TestOutsideAgreement(t *testing.T) {
	use := func(op audit.Operation, res audit.Result, at time.Time, id string, mods ...func(*audit.Event)) *audit.Event {
		return ev(alice, op, res, at, append([]func(*audit.Event){agreement(id)}, mods...)...)
	}
	dl, ok := audit.OpDownload, audit.ResultSuccess
	tests := []struct {
		name string
		e    *audit.Event
		want string
	}{
		{"within the window", use(dl, ok, t0.Add(time.Hour), agA1), ""},
		{"at not-before", use(dl, ok, t0, agA1), ""},
		{"just before not-before", use(dl, ok, t0.Add(-time.Nanosecond), agA1), FindingBeforeWindow},
		{"at not-after", use(dl, ok, t0.Add(24*time.Hour), agA1), ""},
		{"just after not-after", use(dl, ok, t0.Add(24*time.Hour+time.Nanosecond), agA1), FindingAfterWindow},
		{"no bounds", use(dl, ok, t0.AddDate(4, 0, 0), agOpen), ""},
		{"unknown agreement", use(dl, ok, t0, "urn:xborder:agreement:nope"), FindingUnknownAgreement},
		{"suspended agreement", use(dl, ok, t0, agSusp), FindingInactiveAgreement},
		{"an allowed access outside", use(audit.OpAccess, audit.ResultAllow, t0.Add(-time.Hour), agA1), FindingBeforeWindow},
		{"a compute outside", use(audit.OpCompute, ok, t0.Add(-time.Hour), agA1), FindingBeforeWindow},
		{"a denied use outside is not a use", use(dl, audit.ResultDeny, t0.Add(-time.Hour), agA1), ""},
		{"a failed use outside is not a use", use(dl, audit.ResultFailure, t0.Add(-time.Hour), agA1), ""},
		{"negotiation before the window is normal", use(audit.OpNegotiation, ok, t0.Add(-time.Hour), agA1), ""},
		{"an event about a dataset", ev(alice, dl, ok, t0.Add(-time.Hour)), ""},
		{"listed reason code, denied", ev(alice, dl, audit.ResultDeny, t0, reason("purpose_mismatch")), "purpose_mismatch"},
		{"listed reason code on any operation", ev(alice, audit.OpPolicyDecision, audit.ResultDeny, t0, reason("recipient_mismatch")), "recipient_mismatch"},
		{"contract breach code", ev(alice, audit.OpAccess, audit.ResultDeny, t0, reason("limit_exceeded")), "limit_exceeded"},
		{"listed reason code and outside: one alert", use(dl, audit.ResultAllow, t0.Add(-time.Hour), agA1, reason("outside_window")), "outside_window"},
		{"reason code not listed", ev(alice, dl, audit.ResultDeny, t0, reason("not_found")), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newEngine(t, only(RuleOutsideAgreement, nil), agreements(), nil)
			runSteps(t, g, []step{{e: tc.e, want: tc.want, check: func(t *testing.T, a Alert) {
				if a.Severity != SeverityCritical || a.ObjectID != tc.e.ObjectID || !slices.Equal(a.Evidence, []uint64{0}) ||
					a.Observed != 1 || !a.WindowStart.Equal(tc.e.Time) || !a.WindowEnd.Equal(tc.e.Time) {
					t.Errorf("alert %+v", a)
				}
			}}})
		})
	}
}

func TestOutsideAgreementLookup(t *testing.T) {
	ctx := context.Background()
	at := t0.Add(3 * time.Hour)
	e := ev(alice, audit.OpDownload, audit.ResultSuccess, at, agreement(agA1))

	t.Run("asked at the event's time", func(t *testing.T) {
		ag := agreements()
		if _, err := newEngine(t, only(RuleOutsideAgreement, nil), ag, nil).Observe(ctx, 0, e); err != nil {
			t.Fatal(err)
		}
		if len(ag.at) != 1 || !ag.at[0].Equal(at) {
			t.Fatalf("asked at %v", ag.at)
		}
	})
	t.Run("a failed lookup is an error, not an alert", func(t *testing.T) {
		ag := agreements()
		ag.err = errors.New("database down")
		g := newEngine(t, only(RuleOutsideAgreement, nil), ag, nil)
		got, err := g.Observe(ctx, 0, e)
		if err == nil || len(got) != 0 || g.Stats().LookupErrors != 1 {
			t.Fatalf("got %s, %v", describe(got), err)
		}
	})
	t.Run("without a lookup only reason codes", func(t *testing.T) {
		g := newEngine(t, only(RuleOutsideAgreement, nil), nil, nil)
		runSteps(t, g, []step{
			{e: ev(alice, audit.OpDownload, audit.ResultSuccess, t0, agreement("urn:xborder:agreement:nope"))},
			{e: ev(alice, audit.OpDownload, audit.ResultDeny, t0, reason("count_exceeded")), want: "count_exceeded"},
		})
	})
	t.Run("a listed reason code needs no lookup", func(t *testing.T) {
		ag := agreements()
		g := newEngine(t, only(RuleOutsideAgreement, nil), ag, nil)
		runSteps(t, g, []step{{e: ev(alice, audit.OpDownload, audit.ResultSuccess, t0, agreement(agA1), reason("count_exceeded")), want: "count_exceeded"}})
		if len(ag.at) != 0 {
			t.Fatal("lookup called")
		}
	})
}

func TestRepeatedDenials(t *testing.T) {
	cfg := only(RuleRepeatedDenials, func(c *Config) {
		c.RepeatedDenials.Threshold, c.RepeatedDenials.Window = 3, Duration(10*time.Minute)
	})
	d := func(at time.Duration) *audit.Event { return ev(alice, audit.OpAccess, audit.ResultDeny, t0.Add(at)) }
	tests := []struct {
		name  string
		steps []step
	}{
		{"the threshold reached within the window", []step{
			{e: d(0)}, {e: d(time.Minute)},
			{e: d(2 * time.Minute), want: FindingDenials, thr: 3, check: func(t *testing.T, a Alert) {
				if a.Observed != 3 || !slices.Equal(a.Evidence, []uint64{0, 1, 2}) || !a.WindowStart.Equal(t0) ||
					!a.WindowEnd.Equal(t0.Add(2*time.Minute)) || a.ObjectID != "" {
					t.Errorf("alert %+v", a)
				}
			}},
		}},
		{"a denial exactly one window earlier is out", []step{
			{e: d(0)}, {e: d(5 * time.Minute)}, {e: d(10 * time.Minute)},
		}},
		{"a denial just inside the window is in", []step{
			{e: d(0)}, {e: d(5 * time.Minute)}, {e: d(10*time.Minute - time.Nanosecond), want: FindingDenials},
		}},
		{"once per window, not for every further denial", []step{
			{e: d(0)}, {e: d(time.Minute)}, {e: d(2 * time.Minute), want: FindingDenials},
			{e: d(3 * time.Minute)}, {e: d(4 * time.Minute)}, {e: d(5 * time.Minute)}, {e: d(11 * time.Minute)},
			{e: d(12 * time.Minute), want: FindingDenials, check: func(t *testing.T, a Alert) {
				// only the last threshold denials are kept
				if a.Observed != 3 || !slices.Equal(a.Evidence, []uint64{5, 6, 7}) || !a.WindowStart.Equal(t0.Add(5*time.Minute)) {
					t.Errorf("alert %+v", a)
				}
			}},
		}},
		{"other results and other actors do not count", []step{
			{e: d(0)},
			{e: ev(alice, audit.OpAccess, audit.ResultSuccess, t0)}, {e: ev(alice, audit.OpAccess, audit.ResultFailure, t0)},
			{e: ev(bob, audit.OpAccess, audit.ResultDeny, t0)}, {e: ev(bob, audit.OpAccess, audit.ResultDeny, t0)},
			{e: d(time.Minute)}, {e: d(2 * time.Minute), want: FindingDenials},
		}},
		{"denials of any operation count", []step{
			{e: ev(alice, audit.OpPolicyDecision, audit.ResultDeny, t0)}, {e: ev(alice, audit.OpDownload, audit.ResultDeny, t0)},
			{e: ev(alice, audit.OpNegotiation, audit.ResultDeny, t0), want: FindingDenials},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runSteps(t, newEngine(t, cfg, nil, nil), tc.steps)
		})
	}
}

func TestUnusualHours(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	local := func(d, h, m, s, ns int) time.Time { return time.Date(2026, 3, d, h, m, s, ns, sh) } // 2 March 2026 is a Monday
	dl := func(at time.Time) *audit.Event { return ev(alice, audit.OpDownload, audit.ResultSuccess, at) }
	def := only(RuleUnusualHours, nil)
	tests := []struct {
		name string
		cfg  *Config
		e    *audit.Event
		want string
	}{
		{"Monday 07:59:59.999999999", def, dl(local(2, 7, 59, 59, 999999999)), FindingOffHours},
		{"Monday 08:00", def, dl(local(2, 8, 0, 0, 0)), ""},
		{"Monday 19:59:59.999999999", def, dl(local(2, 19, 59, 59, 999999999)), ""},
		{"Monday 20:00", def, dl(local(2, 20, 0, 0, 0)), FindingOffHours},
		{"Friday 23:59 local", def, dl(local(6, 23, 59, 0, 0)), FindingOffHours},
		{"Saturday 00:00 local is still Friday in UTC", def, dl(local(7, 0, 0, 0, 0)), FindingWeekend},
		{"Friday 10:00 local is Friday 02:00 UTC", def, dl(local(6, 10, 0, 0, 0)), ""},
		{"Sunday noon", def, dl(local(8, 12, 0, 0, 0)), FindingWeekend},
		{"a holiday", only(RuleUnusualHours, func(c *Config) { c.UnusualHours.Holidays = []string{"2026-03-04"} }),
			dl(local(4, 10, 0, 0, 0)), FindingHoliday},
		{"the day after a holiday", only(RuleUnusualHours, func(c *Config) { c.UnusualHours.Holidays = []string{"2026-03-04"} }),
			dl(local(5, 10, 0, 0, 0)), ""},
		{"a make-up Saturday", only(RuleUnusualHours, func(c *Config) { c.UnusualHours.Workdays = []string{"2026-03-07"} }),
			dl(local(7, 10, 0, 0, 0)), ""},
		{"a make-up Saturday before hours", only(RuleUnusualHours, func(c *Config) { c.UnusualHours.Workdays = []string{"2026-03-07"} }),
			dl(local(7, 7, 0, 0, 0)), FindingOffHours},
		{"Saturday among the days", only(RuleUnusualHours, func(c *Config) {
			c.UnusualHours.Days = []string{"mon", "tue", "wed", "thu", "fri", "sat"}
		}), dl(local(7, 10, 0, 0, 0)), ""},
		{"an operation not watched", def, ev(alice, audit.OpAccess, audit.ResultSuccess, local(2, 3, 0, 0, 0)), ""},
		{"any result", def, ev(alice, audit.OpKeyUse, audit.ResultDeny, local(2, 3, 0, 0, 0)), FindingOffHours},
		{"end 24:00", only(RuleUnusualHours, func(c *Config) { c.UnusualHours.End = "24:00" }), dl(local(2, 23, 59, 59, 0)), ""},
		// Europe/Berlin moves to summer time on 29 March 2026: 06:30 UTC is
		// 07:30 local on Friday 27 March and 08:30 local on Monday 30 March.
		{"DST zone, winter time", only(RuleUnusualHours, func(c *Config) { c.UnusualHours.TimeZone = "Europe/Berlin" }),
			dl(time.Date(2026, 3, 27, 6, 30, 0, 0, time.UTC)), FindingOffHours},
		{"DST zone, summer time", only(RuleUnusualHours, func(c *Config) { c.UnusualHours.TimeZone = "Europe/Berlin" }),
			dl(time.Date(2026, 3, 30, 6, 30, 0, 0, time.UTC)), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runSteps(t, newEngine(t, tc.cfg, nil, nil), []step{{e: tc.e, want: tc.want, check: func(t *testing.T, a Alert) {
				if a.Severity != SeverityInfo || a.ObjectID != tc.e.ObjectID || !slices.Equal(a.Evidence, []uint64{0}) {
					t.Errorf("alert %+v", a)
				}
			}}})
		})
	}
}

func TestUnusualHoursOncePerWindow(t *testing.T) {
	night := time.Date(2026, 3, 2, 19, 0, 0, 0, time.UTC) // Tuesday 03:00 in Shanghai
	dl := func(actor string, at time.Duration) *audit.Event {
		return ev(actor, audit.OpDownload, audit.ResultSuccess, night.Add(at))
	}
	runSteps(t, newEngine(t, only(RuleUnusualHours, nil), nil, nil), []step{
		{e: dl(alice, 0), want: FindingOffHours, check: func(t *testing.T, a Alert) {
			if !a.WindowStart.Equal(night) || !a.WindowEnd.Equal(night.Add(time.Hour)) {
				t.Errorf("window %v..%v", a.WindowStart, a.WindowEnd)
			}
		}},
		{e: dl(alice, 30*time.Minute)},
		{e: dl(bob, 30*time.Minute), want: FindingOffHours},
		{e: dl(alice, time.Hour-time.Nanosecond)},
		{e: dl(alice, time.Hour), want: FindingOffHours},
	})
}
