package odrl

import (
	"strings"
	"testing"
	"time"
)

func TestPolicyParseDateTime(t *testing.T) {
	utc := func(y, mo, d, h, mi, s int) time.Time { return time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC) }
	tests := []struct {
		in   string
		want time.Time
		day  bool
		bad  bool
	}{
		{in: "2026-05-01T10:00:00Z", want: utc(2026, 5, 1, 10, 0, 0)},
		{in: "2026-05-01T10:00:00.5Z", want: utc(2026, 5, 1, 10, 0, 0).Add(500 * time.Millisecond)},
		{in: "2026-05-01T18:00:00+08:00", want: utc(2026, 5, 1, 10, 0, 0)},
		{in: "2026-05-01T10:00:00", want: utc(2026, 5, 1, 10, 0, 0)},
		{in: "2017-12-31T06:00Z", want: utc(2017, 12, 31, 6, 0, 0)},
		{in: "2026-05-01", want: utc(2026, 5, 1, 0, 0, 0), day: true},
		{in: "2026-05-01-05:00", want: utc(2026, 5, 1, 5, 0, 0), day: true},
		{in: "2024-02-29", want: utc(2024, 2, 29, 0, 0, 0), day: true},
		{in: "2023-02-29", bad: true},
		{in: "2026-13-01", bad: true},
		{in: "2026-05-01T25:00:00Z", bad: true},
		{in: "2026-05-01 10:00:00", bad: true},
		{in: "yesterday", bad: true},
		{in: "2026-05-01T10:00:00+0800", bad: true},
	}
	for _, tc := range tests {
		got, day, err := parseDateTime(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q accepted", tc.in)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) || day != tc.day {
			t.Errorf("%q: got %v %v %v, want %v %v", tc.in, got, day, err, tc.want, tc.day)
		}
	}
}

func TestPolicyDurations(t *testing.T) {
	tests := []struct {
		in     string
		months int64
		secs   float64
		bad    bool
	}{
		{in: "P30D", secs: 30 * 86400},
		{in: "PT1H30M", secs: 5400},
		{in: "P1Y2M", months: 14},
		{in: "P1DT0.5S", secs: 86400.5},
		{in: "-P1D", secs: -86400},
		{in: "P", bad: true},
		{in: "PT", bad: true},
		{in: "P1H", bad: true},
		{in: "P1.5D", bad: true},
		{in: "P1D1Y", bad: true},
		{in: "30 days", bad: true},
	}
	for _, tc := range tests {
		m, s, err := parseDuration(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q accepted", tc.in)
			}
			continue
		}
		if err != nil || m != tc.months || s != tc.secs {
			t.Errorf("%q: got %d %v %v", tc.in, m, s, err)
		}
	}
	order := []struct {
		a, b string
		want int
		ok   bool
	}{
		{"P1D", "PT24H", 0, true},
		{"P1Y", "P12M", 0, true},
		{"P1M", "P30D", 0, false}, // February: XML Schema leaves them unordered
		{"P1M", "P27D", 1, true},
		{"P1M", "P32D", -1, true},
		{"P2M", "P1M1D", 1, true},
	}
	for _, tc := range order {
		am, as, _ := parseDuration(tc.a)
		bm, bs, _ := parseDuration(tc.b)
		got, ok := compareDuration(am, as, bm, bs)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("%s vs %s: got %d %v, want %d %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
		}
	}
}

// TestLimits: every bound on outside input is enforced with its code.
func TestPolicyLimits(t *testing.T) {
	rule := `{"action": "use", "target": "urn:t"}`
	many := `{"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Set", "uid": "urn:p", "permission": [` + strings.Repeat(rule+",", 30) + rule + `]}`
	tests := []struct {
		name string
		doc  string
		lim  Limits
		code Code
	}{
		{"size", many, Limits{MaxBytes: 100}, CodeTooLarge},
		{"depth", strings.Repeat("[", 100) + strings.Repeat("]", 100), Limits{}, CodeTooDeep},
		{"rules", many, Limits{MaxRules: 10}, CodeTooMany},
		{"values", `{"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Set", "uid": "urn:p", "permission": [{"action": "use", "target": "urn:t",
			"constraint": [{"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["a", "b", "c", "d"]}]}]}`, Limits{MaxValues: 3}, CodeTooMany},
		{"constraints", `{"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Set", "uid": "urn:p", "permission": [{"action": "use", "target": "urn:t",
			"constraint": [{"and": [{"leftOperand": "count", "operator": "lt", "rightOperand": 1}, {"leftOperand": "count", "operator": "gt", "rightOperand": -1}]}]}]}`, Limits{MaxConstraints: 2}, CodeTooMany},
		{"not JSON", `{"@context": `, Limits{}, CodeMalformed},
		{"two values", `{} {}`, Limits{}, CodeMalformed},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.doc), WithLimits(tc.lim))
		if CodeOf(err) != tc.code {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
		}
	}
	if _, err := ParseRequest([]byte(`{"action": "use", "context": {"x": "` + strings.Repeat("a", MaxRequestBytes) + `"}}`)); CodeOf(err) != CodeTooLarge {
		t.Errorf("oversized request: %v", err)
	}
	if _, err := ParseRequest([]byte(`{"action": "use", "partOf": {"a": "b", "b": ["a"]}}`)); CodeOf(err) != CodeCycle {
		t.Errorf("cyclic request membership: %v", err)
	}
	if _, err := ParseRequest([]byte(`{"action": "use", "colour": "red"}`)); CodeOf(err) != CodeMalformed {
		t.Errorf("unknown request key: %v", err)
	}
}
