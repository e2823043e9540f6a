package anomaly

import (
	"math"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// tumbling returns the number of the window of length sec seconds (aligned
// to the Unix epoch) holding t, and its bounds.
func tumbling(t time.Time, sec int64) (k int64, start, end time.Time) {
	s := t.Unix()
	k = s / sec
	if s%sec < 0 {
		k--
	}
	return k, time.Unix(k*sec, 0).UTC(), time.Unix((k+1)*sec, 0).UTC()
}

// ---- outside_agreement

type agreementFinding struct{ finding string }

// checkWindow applies an agreement's window to a use at t; nil means the
// use is within it.
func checkWindow(w AgreementWindow, found bool, t time.Time) *agreementFinding {
	switch {
	case !found:
		return &agreementFinding{FindingUnknownAgreement}
	case !w.Active:
		return &agreementFinding{FindingInactiveAgreement}
	case !w.NotBefore.IsZero() && t.Before(w.NotBefore):
		return &agreementFinding{FindingBeforeWindow}
	case !w.NotAfter.IsZero() && t.After(w.NotAfter):
		return &agreementFinding{FindingAfterWindow}
	}
	return nil
}

// outsideAgreement raises at most one alert per event: for its reason code
// if listed, else for the agreement lookup's finding.
func (g *Engine) outsideAgreement(index uint64, e *audit.Event, lookup *agreementFinding) (Alert, bool) {
	finding := ""
	switch {
	case g.reasonCodes[e.Reason]:
		finding = e.Reason
	case lookup != nil:
		finding = lookup.finding
	default:
		return Alert{}, false
	}
	t := e.Time.UTC()
	return Alert{
		ID:   alertID(RuleOutsideAgreement, e.Actor, t, t, eventKey(index)),
		Rule: RuleOutsideAgreement, Severity: g.agreement.Severity, Actor: e.Actor, ObjectID: e.ObjectID,
		Finding: finding, WindowStart: t, WindowEnd: t, At: t, Observed: 1,
		Evidence: []uint64{index}, Class: maxClass(e.Class, ""),
	}, true
}

// ---- bulk_transfer

const (
	mRecords = iota
	mBytes
	mEvents
	nMetrics
)

var metricNames = [nMetrics]string{FindingRecords, FindingBytes, FindingEvents}

type bulkState struct {
	win   int64             // current window number
	sum   [nMetrics]uint64  // in the current window
	base  [nMetrics]float64 // EWMA of the previous windows
	seen  int64             // windows closed since the actor's first, empty ones included
	fired bool              // an alert was raised in the current window
	class audit.Class
	ev    ring[uint64]
}

// roll closes the current window and the empty ones up to window k.
func (b *bulkState) roll(k int64, alpha float64) {
	for m := range nMetrics {
		x := float64(b.sum[m])
		if b.seen == 0 {
			b.base[m] = x
		} else {
			b.base[m] = alpha*x + (1-alpha)*b.base[m]
		}
	}
	b.seen++
	if gap := k - b.win - 1; gap > 0 {
		decay := math.Pow(1-alpha, float64(gap))
		for m := range nMetrics {
			b.base[m] *= decay
		}
		b.seen = min(b.seen+gap, math.MaxInt32)
	}
	b.win, b.sum, b.fired, b.class = k, [nMetrics]uint64{}, false, ""
	b.ev.reset()
}

// threshold returns metric m's threshold for the current window, and
// false when the metric is not checked.
func (g *Engine) threshold(b *bulkState, m int) (uint64, bool) {
	lim := [nMetrics]Limit{g.bulk.Records, g.bulk.Bytes, g.bulk.Events}[m]
	floor, ceiling := uint64(lim.Floor), uint64(lim.Ceiling)
	if floor == 0 && ceiling == 0 {
		return 0, false
	}
	if b.seen < int64(g.bulk.WarmupWindows) {
		return ceiling, ceiling != 0
	}
	// Observed counts are integers, so exceeding factor × baseline is
	// exceeding its integer part.
	fb := math.Floor(g.bulk.Factor * b.base[m])
	thr := uint64(audit.MaxCount)
	if fb < float64(audit.MaxCount) {
		thr = uint64(fb)
	}
	thr = max(thr, floor)
	if ceiling != 0 {
		thr = min(thr, ceiling)
	}
	return thr, true
}

func (g *Engine) bulkTransfer(a *actor, index uint64, e *audit.Event, wt time.Time) (Alert, bool) {
	k, _, _ := tumbling(wt, g.bulkWin)
	b := a.bulk
	if b == nil {
		b = &bulkState{win: k}
		a.bulk = b
	}
	if k > b.win {
		b.roll(k, g.bulk.Smoothing)
	}
	// An event dated before the current window (late) counts in it: its
	// volume is not lost, and windows never move back.
	start, end := time.Unix(b.win*g.bulkWin, 0).UTC(), time.Unix((b.win+1)*g.bulkWin, 0).UTC()
	b.sum[mRecords] = satAdd(b.sum[mRecords], e.Records)
	b.sum[mBytes] = satAdd(b.sum[mBytes], e.Bytes)
	b.sum[mEvents] = satAdd(b.sum[mEvents], 1)
	b.class = maxClass(b.class, e.Class)
	b.ev.push(index, MaxEvidence)
	if b.fired {
		return Alert{}, false
	}
	for m := range nMetrics {
		thr, ok := g.threshold(b, m)
		if !ok || b.sum[m] <= thr {
			continue
		}
		b.fired = true
		ev := make([]uint64, b.ev.len())
		for i := range ev {
			ev[i] = b.ev.at(i)
		}
		return Alert{
			ID:   alertID(RuleBulkTransfer, a.id, start, end, ""),
			Rule: RuleBulkTransfer, Severity: g.bulk.Severity, Actor: a.id, Finding: metricNames[m],
			WindowStart: start, WindowEnd: end, At: e.Time.UTC(), Observed: b.sum[m], Threshold: thr,
			Evidence: ev, Class: b.class,
		}, true
	}
	return Alert{}, false
}

func satAdd(a, b uint64) uint64 {
	if s := a + b; s >= a && s <= audit.MaxCount {
		return s
	}
	return audit.MaxCount
}

// ---- repeated_denials

type denial struct {
	t     time.Time
	index uint64
	class audit.Class
}

func (g *Engine) repeatedDenials(a *actor, index uint64, e *audit.Event, wt time.Time) (Alert, bool) {
	n := g.denials.Threshold
	a.denials.push(denial{wt, index, e.Class}, n)
	if wt.Before(a.quietUntil) {
		return Alert{}, false
	}
	// Denials in the window (wt - Window, wt].
	from := wt.Add(-g.denialWin)
	count, start, class := 0, wt, audit.Class("")
	var ev []uint64
	for i := range a.denials.len() {
		d := a.denials.at(i)
		if !d.t.After(from) {
			continue
		}
		count++
		if d.t.Before(start) {
			start = d.t
		}
		class = maxClass(class, d.class)
		ev = append(ev, d.index)
	}
	if count < n {
		return Alert{}, false
	}
	if len(ev) > MaxEvidence {
		ev = ev[len(ev)-MaxEvidence:]
	}
	a.denials.reset()
	a.quietUntil = wt.Add(g.denialWin)
	start, end := start.UTC(), wt.UTC()
	return Alert{
		ID:   alertID(RuleRepeatedDenials, a.id, start, end, ""),
		Rule: RuleRepeatedDenials, Severity: g.denials.Severity, Actor: a.id, Finding: FindingDenials,
		WindowStart: start, WindowEnd: end, At: e.Time.UTC(), Observed: uint64(count), Threshold: uint64(n),
		Evidence: ev, Class: class,
	}, true
}

// ---- unusual_hours

// offHours returns the unusual_hours finding for a time, "" within business
// hours.
func (h *hours) offHours(t time.Time) string {
	lt := t.In(h.loc)
	d := dateKey(lt)
	switch {
	case h.workdays[d]:
	case h.holidays[d]:
		return FindingHoliday
	case !h.days[lt.Weekday()]:
		return FindingWeekend
	}
	if s := lt.Hour()*3600 + lt.Minute()*60 + lt.Second(); s < h.start || s >= h.end {
		return FindingOffHours
	}
	return ""
}

func (g *Engine) unusualHours(index uint64, e *audit.Event, wt time.Time) (Alert, bool) {
	finding := g.hours.offHours(e.Time)
	if finding == "" {
		return Alert{}, false
	}
	a := g.actor(e.Actor)
	k, start, end := tumbling(wt, g.hoursWin)
	if a.hoursWinSet && a.hoursWin == k {
		return Alert{}, false
	}
	a.hoursWin, a.hoursWinSet = k, true
	return Alert{
		ID:   alertID(RuleUnusualHours, a.id, start, end, ""),
		Rule: RuleUnusualHours, Severity: g.unusual.Severity, Actor: a.id, ObjectID: e.ObjectID, Finding: finding,
		WindowStart: start, WindowEnd: end, At: e.Time.UTC(), Observed: 1,
		Evidence: []uint64{index}, Class: maxClass(e.Class, ""),
	}, true
}
