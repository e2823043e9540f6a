package odrl

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// fuzzLimits keep a fuzz input from spending its time on sheer size.
var fuzzLimits = WithLimits(Limits{MaxBytes: 64 << 10, MaxDepth: 32, MaxRules: 64, MaxConstraints: 256, MaxValues: 64, MaxMembers: 256, MaxPolicies: 8})

// seedPolicies returns the policies of testdata/cases and the sample offer.
func seedPolicies(f *testing.F) [][]byte {
	var out [][]byte
	for _, cf := range loadConformance(f) {
		out = append(out, []byte(cf.Policy))
	}
	return append(out, SampleOffer())
}

// checkDecision holds for every decision: a known effect, a reason, a rule
// when permitted, and (fail closed) a permit under an empty request only
// from a rule that needs nothing from the request.
func checkDecisionInvariants(t *testing.T, pp *Prepared, req Request, d Decision) {
	t.Helper()
	switch d.Decision {
	case Permit, Deny, NotApplicable:
	default:
		t.Fatalf("unknown effect %q", d.Decision)
	}
	if len(d.Reasons) == 0 {
		t.Fatalf("decision without reasons: %s", d)
	}
	if d.Decision == Permit && d.Rule == "" {
		t.Fatalf("permit without a rule: %s", d)
	}
	if d.Decision == Permit && len(req.Context) == 0 && len(req.Claims) == 0 && req.Now.IsZero() && len(req.Performed) == 0 {
		needy := true
		for _, r := range pp.perms {
			if r.id == d.Rule && len(r.cons) == 0 && len(r.actionRefs) == 0 {
				needy = false
			}
		}
		if needy {
			t.Fatalf("permitted by %s, whose constraints need values the request does not give", d.Rule)
		}
	}
	if again := pp.Evaluate(req); again.Decision != d.Decision || again.Rule != d.Rule || again.Constraint != d.Constraint {
		t.Fatalf("not deterministic: %s then %s", d, again)
	}
}

// FuzzParse feeds arbitrary documents to the parser. Whatever it accepts
// must prepare, evaluate under the invariants, and translate to Rego.
func FuzzParse(f *testing.F) {
	for _, p := range seedPolicies(f) {
		f.Add(p)
	}
	f.Add([]byte(`{"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Set", "uid": "urn:p", "permission": [{"target": "urn:t", "action": "use", "assignee": {"@type": "PartyCollection", "uid": "urn:g", "partOf": "urn:g"}}]}`))
	f.Add([]byte(`[{"@id": "urn:p", "@type": ["http://www.w3.org/ns/odrl/2/Set"], "http://www.w3.org/ns/odrl/2/permission": [{"@id": "urn:r"}]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := ParseAll(data, fuzzLimits, Lenient())
		if err != nil {
			if len(Problems(err)) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			for _, e := range Problems(err) {
				if e.Code == "" {
					t.Fatalf("problem without code: %v", e)
				}
			}
			return
		}
		for _, p := range ps {
			pp, err := Prepare(p, fuzzLimits, Lenient())
			if err != nil {
				if CodeOf(err) == CodeUnresolvedParent || CodeOf(err) == CodeTooMany {
					continue
				}
				t.Fatalf("parsed but not prepared: %v", err)
			}
			empty := Request{Action: "use"}
			checkDecisionInvariants(t, pp, empty, pp.Evaluate(empty))
			full := SampleRequest(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
			checkDecisionInvariants(t, pp, full, pp.Evaluate(full))
			if _, err := ToRego(pp, "fuzz"); err != nil {
				t.Fatalf("ToRego: %v", err)
			}
			// What was accepted survives its own JSON-LD form.
			out, err := json.Marshal(p)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			p2, err := Parse(out, WithLimits(Limits{MaxBytes: 1 << 20, MaxDepth: 64, MaxRules: 64, MaxConstraints: 256, MaxValues: 64, MaxMembers: 256}), Lenient())
			if err != nil {
				t.Fatalf("re-reading the marshalled policy: %v\n%s", err, out)
			}
			if pp2, err := Prepare(p2, fuzzLimits, Lenient()); err == nil {
				if a, b := pp.Evaluate(full), pp2.Evaluate(full); a.Decision != b.Decision {
					t.Fatalf("round trip changed the decision: %s vs %s\n%s", a, b, out)
				}
			}
			_ = Conflicts([]*Policy{p, p}, ConflictOptions{})
		}
	})
}

// FuzzEvaluate pairs the conformance policies with arbitrary requests.
func FuzzEvaluate(f *testing.F) {
	files := loadConformance(f)
	names := make([]string, 0, len(files))
	for n, cf := range files {
		if cf.Error == nil {
			names = append(names, n)
		}
	}
	sortStrings(names)
	var prepared []*Prepared
	for _, n := range names {
		cf := files[n]
		p, err := Parse(cf.Policy, cf.opts()...)
		if err != nil {
			f.Fatal(err)
		}
		pp, err := Prepare(p, cf.opts()...)
		if err != nil {
			f.Fatal(err)
		}
		prepared = append(prepared, pp)
		for _, rc := range cf.Requests {
			f.Add(uint8(len(prepared)-1), []byte(rc.Request))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		req, err := ParseRequest(data)
		if err != nil {
			if CodeOf(err) == "" {
				t.Fatalf("request error without code: %v", err)
			}
			return
		}
		pp := prepared[int(which)%len(prepared)]
		d := pp.Evaluate(req)
		checkDecisionInvariants(t, pp, req, d)
		if b, err := json.Marshal(d); err != nil || !json.Valid(b) {
			t.Fatalf("decision does not marshal: %v", err)
		}
		// The request survives its own JSON form, and decides the same.
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		req2, err := ParseRequest(b)
		if err != nil {
			if strings.Contains(err.Error(), "larger than") || CodeOf(err) == CodeTooLarge || CodeOf(err) == CodeTooDeep || CodeOf(err) == CodeTooMany {
				return
			}
			t.Fatalf("request does not re-read: %v\n%s", err, b)
		}
		if d2 := pp.Evaluate(req2); d2.Decision != d.Decision || d2.Rule != d.Rule {
			t.Fatalf("decision changed after a JSON round trip: %s vs %s\n%s", d, d2, b)
		}
	})
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
