package rulebook

import (
	"slices"
	"strconv"
	"time"
)

// Evaluate validates s and returns one Decision per applicable jurisdiction
// (ordered CN, EU, US, JP, HK, SG) and the cross-regime conflicts.
func Evaluate(s Scenario) (Result, error) {
	s = s.normalized()
	if err := s.validate(); err != nil {
		return Result{}, err
	}
	res := Result{Decisions: []Decision{}, Conflicts: []Conflict{}}
	for _, j := range []struct {
		applies func(Scenario) bool
		eval    func(Scenario) Decision
	}{
		{cnApplies, evalCN},
		{euApplies, evalEU},
		{usApplies, evalUS},
		{jpApplies, evalJP},
		{hkApplies, evalHK},
		{sgApplies, evalSG},
	} {
		if j.applies(s) {
			res.Decisions = append(res.Decisions, j.eval(s))
		}
	}
	res.Conflicts = conflicts(s, res.Decisions)
	return res, nil
}

// hasPersonalData reports whether the export holds personal data at all:
// individuals, US persons' data or special-category data, not anonymised.
func hasPersonalData(s Scenario) bool {
	return !s.Dataset.Anonymised && (s.Dataset.Individuals > 0 || s.Dataset.SpecialCategory || usDataPresent(s.Dataset.USBulk12m))
}

// tx builds a bilingual text.
func tx(code, en, zh string) Text { return Text{Code: code, EN: en, ZH: zh} }

// num formats n with thousands separators: 1,000,000.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := false
	if n < 0 {
		neg, s = true, s[1:]
	}
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// dec accumulates one decision.
type dec struct{ d Decision }

func newDec(j string) *dec {
	return &dec{d: Decision{Jurisdiction: j, Alternatives: []string{}, Obligations: []Text{}, Citations: []Citation{}, Reasons: []Text{}}}
}

func (b *dec) route(route, rule string) {
	b.d.Route, b.d.Rule = route, rule
	b.trace(rule)
}
func (b *dec) trace(rule string) {
	if !slices.Contains(b.d.Trace, rule) {
		b.d.Trace = append(b.d.Trace, rule)
	}
}
func (b *dec) reason(t Text) { b.d.Reasons = append(b.d.Reasons, t) }
func (b *dec) oblige(t ...Text) {
	for _, o := range t {
		if !slices.ContainsFunc(b.d.Obligations, func(x Text) bool { return x.Code == o.Code }) {
			b.d.Obligations = append(b.d.Obligations, o)
		}
	}
}
func (b *dec) cite(c ...Citation) {
	for _, x := range c {
		if !slices.Contains(b.d.Citations, x) {
			b.d.Citations = append(b.d.Citations, x)
		}
	}
}
func (b *dec) review(t Text) {
	b.d.NeedsReview = true
	if !slices.ContainsFunc(b.d.ReviewReasons, func(x Text) bool { return x.Code == t.Code }) {
		b.d.ReviewReasons = append(b.d.ReviewReasons, t)
	}
}
func (b *dec) alt(routes ...string) {
	for _, r := range routes {
		if r != b.d.Route && !slices.Contains(b.d.Alternatives, r) {
			b.d.Alternatives = append(b.d.Alternatives, r)
		}
	}
}

// done computes Blocking and moves the final rule to the end of the trace.
func (b *dec) done() Decision {
	d := b.d
	d.Blocking = routeIsProhibition(d.Route) || (routeNeedsFiling(d.Route) && d.Approval == nil)
	if i := slices.Index(d.Trace, d.Rule); i >= 0 {
		d.Trace = append(slices.Delete(slices.Clone(d.Trace), i, i+1), d.Rule)
	}
	d.Alternatives = slices.DeleteFunc(d.Alternatives, func(r string) bool { return r == d.Route })
	return d
}

func mustDate(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// workingDaysBefore returns the day n working days (Monday–Friday; public
// holidays are not modelled) before t.
func workingDaysBefore(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, -1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return t
}
