package odrl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Request is what is asked and the state of the world it is asked in.
// Nothing in it is read from the environment: the clock and the counters
// are whatever the caller puts here.
type Request struct {
	Assigner string // the party whose policy is being exercised (optional)
	Assignee string // the party that asks
	Action   string // ODRL short name ("use", "read") or IRI
	Target   string // the asset

	// Context maps left operands to their current values. Keys are ODRL
	// names ("purpose", "dateTime"), "xborder:name" or bare xborder names
	// ("transferRoute"), or full IRIs. Values: string, bool, numbers,
	// json.Number, time.Time, time.Duration, a JSON-LD value object
	// ({"@value": …, "@type": …, "unit": …} or {"@id": …}), or a list of
	// these (a set: several purposes, several fields).
	Context map[string]any

	// Claims are the requester's verified credential claims, read by the
	// left operands xborder:claim/NAME (dotted NAME reaches into objects).
	Claims map[string]any

	// PartOf states memberships: member → the collections, regions or
	// classes it belongs to. It serves party and asset collections, isPartOf,
	// hasPart and isA, transitively.
	PartOf map[string][]string

	// Duties gives the known state of duties by their UID (or path).
	Duties map[string]DutyState

	// Performed lists actions already performed, to decide whether a duty
	// is fulfilled: an entry fulfils the duty it names (or, naming none, a
	// duty with the same action) when the duty action's refinements hold
	// over the entry's Context.
	Performed []Performed

	// Now is the time of the request, used for dateTime when Context has no
	// "dateTime". The engine never reads the system clock.
	Now time.Time
}

// Performed is an action that was performed, with the values describing it.
type Performed struct {
	Duty    string
	Action  string
	Context map[string]any
}

// Bounds on a request read by ParseRequest.
const (
	MaxRequestBytes = 256 << 10
	maxRequestDepth = 32
	maxPartOf       = 10000
)

type requestJSON struct {
	Assigner  string                  `json:"assigner"`
	Assignee  *string                 `json:"assignee"`
	Action    string                  `json:"action"`
	Target    string                  `json:"target"`
	Context   map[string]any          `json:"context"`
	Claims    map[string]any          `json:"claims"`
	PartOf    map[string]stringOrList `json:"partOf"`
	Duties    map[string]DutyState    `json:"duties"`
	Performed []struct {
		Duty    string         `json:"duty"`
		Action  string         `json:"action"`
		Context map[string]any `json:"context"`
	} `json:"performed"`
	Now string `json:"now"`
}

type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings")
	}
	*s = many
	return nil
}

// ParseRequest reads a request in the JSON form the CLI takes:
//
//	{"assigner": "…", "assignee": "…", "action": "use", "target": "…",
//	 "context": {"purpose": "…", "dateTime": "2026-05-01T10:00:00Z", "spatial": "DE",
//	             "count": 3, "recipient": "…", "elapsedTime": "P10D", …},
//	 "claims": {…}, "partOf": {"member": ["collection"]},
//	 "duties": {"duty-uid": "fulfilled"}, "now": "2026-05-01T10:00:00Z"}
//
// Unknown keys, a request over MaxRequestBytes, deep nesting, cyclic
// partOf and malformed times are errors.
func ParseRequest(data []byte) (Request, error) {
	if len(data) > MaxRequestBytes {
		return Request{}, newErr(CodeTooLarge, "", "request is %d bytes, more than the limit of %d", len(data), MaxRequestBytes)
	}
	if e := precheck(data, Limits{MaxBytes: MaxRequestBytes, MaxDepth: maxRequestDepth}.withDefaults()); e != nil {
		return Request{}, e
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var rj requestJSON
	if err := dec.Decode(&rj); err != nil {
		return Request{}, &Error{Code: CodeMalformed, Msg: "not a request object", Err: err}
	}
	if dec.More() {
		return Request{}, newErr(CodeMalformed, "", "more than one JSON value")
	}
	r := Request{
		Assigner: rj.Assigner, Action: rj.Action, Target: rj.Target,
		Context: rj.Context, Claims: rj.Claims, Duties: rj.Duties,
	}
	if rj.Assignee != nil {
		r.Assignee = *rj.Assignee
	}
	if r.Action == "" {
		return Request{}, newErr(CodeMissing, "action", "the request names no action")
	}
	for k, st := range r.Duties {
		switch st {
		case DutyPending, DutyFulfilled, DutyViolated:
		default:
			return Request{}, newErr(CodeBadValue, "duties."+k, "state %q is not pending, fulfilled or violated", clip(string(st)))
		}
	}
	if len(rj.PartOf) > 0 {
		n := 0
		r.PartOf = make(map[string][]string, len(rj.PartOf))
		for k, v := range rj.PartOf {
			n += len(v)
			r.PartOf[k] = v
		}
		if n > maxPartOf {
			return Request{}, newErr(CodeTooMany, "partOf", "more than %d memberships", maxPartOf)
		}
		if c := findCycle(r.PartOf); c != nil {
			return Request{}, newErr(CodeCycle, "partOf", "membership is cyclic: %s", strings.Join(c, " → "))
		}
	}
	for i, p := range rj.Performed {
		if p.Action == "" && p.Duty == "" {
			return Request{}, newErr(CodeMissing, fmt.Sprintf("performed[%d]", i), "a performed action names its duty or its action")
		}
		r.Performed = append(r.Performed, Performed{Duty: p.Duty, Action: p.Action, Context: p.Context})
	}
	if rj.Now != "" {
		t, _, err := parseDateTime(rj.Now)
		if err != nil {
			return Request{}, &Error{Code: CodeBadValue, Path: "now", Msg: "not an RFC 3339 time", Err: err}
		}
		r.Now = t
	}
	if dt, ok := r.Context["dateTime"].(string); ok {
		if _, _, err := parseDateTime(dt); err != nil {
			return Request{}, &Error{Code: CodeBadValue, Path: "context.dateTime", Msg: "not an xsd:dateTime", Err: err}
		}
	}
	return r, nil
}

// MarshalJSON writes the request in the form ParseRequest reads.
func (r Request) MarshalJSON() ([]byte, error) {
	out := map[string]any{"action": r.Action}
	set := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	set("assigner", r.Assigner)
	set("assignee", r.Assignee)
	set("target", r.Target)
	if len(r.Context) > 0 {
		out["context"] = r.Context
	}
	if len(r.Claims) > 0 {
		out["claims"] = r.Claims
	}
	if len(r.PartOf) > 0 {
		out["partOf"] = r.PartOf
	}
	if len(r.Duties) > 0 {
		out["duties"] = r.Duties
	}
	if len(r.Performed) > 0 {
		var ps []map[string]any
		for _, p := range r.Performed {
			m := map[string]any{}
			if p.Duty != "" {
				m["duty"] = p.Duty
			}
			if p.Action != "" {
				m["action"] = p.Action
			}
			if len(p.Context) > 0 {
				m["context"] = p.Context
			}
			ps = append(ps, m)
		}
		out["performed"] = ps
	}
	if !r.Now.IsZero() {
		out["now"] = r.Now.UTC().Format(time.RFC3339Nano)
	}
	return json.Marshal(out)
}

// sortedKeys is used where output must be deterministic.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
