package odrl

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func parseFile(t *testing.T, path string, opts ...Option) *Policy {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(raw, opts...)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (run with -update to accept):\n%s", path, got)
	}
}

var conflictFiles = []string{"cn-mandatory.json", "source-a.json", "source-b.json", "agreement.json"}

// TestConflicts checks conflict detection and resolution on an aggregated
// dataset: China's mandatory export rules, two sources' offers and the
// agreement with the consumer.
func TestPolicyConflicts(t *testing.T) {
	var ps []*Policy
	for _, f := range conflictFiles {
		ps = append(ps, parseFile(t, filepath.Join("testdata/conflicts", f)))
	}
	cs := Conflicts(ps, ConflictOptions{Jurisdiction: "CN"})
	got, err := json.MarshalIndent(cs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/conflicts/want.json", append(got, '\n'))

	kinds := map[string]int{}
	resolved := map[string]int{}
	for _, c := range cs {
		kinds[c.Kind]++
		resolved[c.ResolvedBy]++
		if c.Explanation == "" || c.Resolution == "" {
			t.Errorf("conflict without explanation or resolution: %+v", c)
		}
	}
	for _, k := range []string{ConflictWithin, ConflictBetween, ConflictIncompatible} {
		if kinds[k] == 0 {
			t.Errorf("no %s conflict found", k)
		}
	}
	for _, r := range []string{"mandatory", "agreement", "prohibit"} {
		if resolved[r] == 0 {
			t.Errorf("no conflict resolved by %s", r)
		}
	}
	// The agreement's export to DE and source B's prohibition of the US
	// exclude each other: not a conflict.
	for _, c := range cs {
		if c.A.Rule == "urn:xborder:agreement:aggregate-2026#share-abroad" && c.B.Rule == "urn:xborder:offer:source-b#no-us" {
			t.Errorf("reported a conflict whose constraints exclude each other: %s", c.Explanation)
		}
	}
}

// TestEvaluateAll decides requests against the four policies together.
func TestPolicyEvaluateAll(t *testing.T) {
	var pps []*Prepared
	for _, f := range conflictFiles {
		pp, err := Prepare(parseFile(t, filepath.Join("testdata/conflicts", f)))
		if err != nil {
			t.Fatal(err)
		}
		pps = append(pps, pp)
	}
	base := func(ctx map[string]any) Request {
		return Request{Assignee: "did:web:consumer.example", Action: "distribute",
			Target: "urn:xborder:CN/retail/aggregate-2026", Context: ctx}
	}
	tests := []struct {
		name   string
		req    Request
		opts   ConflictOptions
		want   Effect
		policy string
		code   Code
	}{
		{"law forbids export without a route", base(map[string]any{"recipientJurisdiction": "DE", "transferRoute": "NONE", "recipient": "did:web:x.example"}),
			ConflictOptions{Jurisdiction: "CN"}, Deny, "urn:xborder:law:cn:export", CodeMandatory},
		{"agreement permits once the route is approved", base(map[string]any{"recipientJurisdiction": "DE", "transferRoute": "CN_SC", "recipient": "did:web:x.example"}),
			ConflictOptions{Jurisdiction: "CN"}, Permit, "urn:xborder:agreement:aggregate-2026", CodeAgreement},
		{"law grants the regulator access", base(map[string]any{"recipientJurisdiction": "CN", "transferRoute": "NONE", "recipient": "did:web:cac.example"}),
			ConflictOptions{Jurisdiction: "CN"}, Permit, "urn:xborder:law:cn:export", CodeMandatory},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := EvaluateAll(pps, tc.req, tc.opts)
			if d.Decision != tc.want || d.Policy != tc.policy || d.Reasons[0].Code != tc.code {
				t.Errorf("got %s from %s (%v), want %s from %s (%s)", d.Decision, d.Policy, d.Codes(), tc.want, tc.policy, tc.code)
			}
		})
	}
	// Sources of an aggregate: with RequireAll every source must permit.
	a, _ := Prepare(parseFile(t, "testdata/conflicts/source-a.json"))
	b, _ := Prepare(parseFile(t, "testdata/conflicts/source-b.json"))
	req := Request{Action: "read", Target: "urn:xborder:CN/retail/orders-a", Context: map[string]any{"dateTime": "2026-06-01T00:00:00Z", "purpose": "research"}}
	if d := EvaluateAll([]*Prepared{a, b}, req, ConflictOptions{RequireAll: true}); d.Decision != Deny || d.Reasons[0].Code != CodeNotPermittedBy {
		t.Errorf("aggregate with one source not permitting: %s", d)
	}
	if d := EvaluateAll([]*Prepared{a, b}, req, ConflictOptions{}); d.Decision != Permit {
		t.Errorf("any source permitting: %s", d)
	}
}

// TestContradiction: a rule whose constraints can never hold is refused.
func TestPolicyContradiction(t *testing.T) {
	doc := `{"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Set", "uid": "urn:p",
	  "prohibition": [{"uid": "urn:r", "action": "distribute", "target": "urn:d", "constraint": [
	    {"uid": "urn:c1", "leftOperand": "dateTime", "operator": "gt", "rightOperand": {"@value": "2027-01-01", "@type": "xsd:date"}},
	    {"uid": "urn:c2", "leftOperand": "dateTime", "operator": "lt", "rightOperand": {"@value": "2026-01-01", "@type": "xsd:date"}}]}]}`
	_, err := Parse([]byte(doc))
	if CodeOf(err) != CodeContradiction {
		t.Fatalf("got %v, want %s", err, CodeContradiction)
	}
	if e := Problems(err)[0]; e.Path != "prohibition[0]" {
		t.Errorf("path %q", e.Path)
	}
	p, err := Parse([]byte(doc), Lenient())
	if err != nil || len(p.Warnings) == 0 || p.Warnings[0].Code != CodeContradiction {
		t.Errorf("lenient: %v %v", err, p.Warnings)
	}
	for _, ok := range []string{
		`{"uid": "urn:c1", "leftOperand": "count", "operator": "gteq", "rightOperand": 5}, {"uid": "urn:c2", "leftOperand": "count", "operator": "lteq", "rightOperand": 5}`,
		`{"uid": "urn:c1", "leftOperand": "dateTime", "operator": "eq", "rightOperand": {"@value": "2026-01-01", "@type": "xsd:date"}}, {"uid": "urn:c2", "leftOperand": "dateTime", "operator": "gt", "rightOperand": "2026-01-01T12:00:00Z"}`,
		`{"uid": "urn:c1", "leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["a", "b"]}, {"uid": "urn:c2", "leftOperand": "purpose", "operator": "neq", "rightOperand": "a"}`,
	} {
		d := `{"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Set", "uid": "urn:p", "permission": [{"uid": "urn:r", "action": "use", "target": "urn:d", "constraint": [` + ok + `]}]}`
		if _, err := Parse([]byte(d)); err != nil {
			t.Errorf("satisfiable constraints refused: %v", err)
		}
	}
	for _, bad := range []string{
		`{"uid": "urn:c1", "leftOperand": "count", "operator": "gt", "rightOperand": 5}, {"uid": "urn:c2", "leftOperand": "count", "operator": "lteq", "rightOperand": 5}`,
		`{"uid": "urn:c1", "leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["a", "b"]}, {"uid": "urn:c2", "leftOperand": "purpose", "operator": "isNoneOf", "rightOperand": ["a", "b"]}`,
		`{"and": [{"uid": "urn:c1", "leftOperand": "spatial", "operator": "eq", "rightOperand": "DE"}, {"uid": "urn:c2", "leftOperand": "spatial", "operator": "eq", "rightOperand": "fr"}]}`,
	} {
		d := `{"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Set", "uid": "urn:p", "permission": [{"uid": "urn:r", "action": "use", "target": "urn:d", "constraint": [` + bad + `]}]}`
		if _, err := Parse([]byte(d)); CodeOf(err) != CodeContradiction {
			t.Errorf("contradiction accepted (%v): %s", err, bad)
		}
	}
}

// TestInheritance: a child policy gets its parent's rules; missing parents
// and cycles are refused.
func TestPolicyInheritance(t *testing.T) {
	parent, err := Parse([]byte(`{"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Set", "uid": "urn:parent",
	  "prohibition": [{"uid": "urn:parent#no-sale", "action": "sell", "target": "urn:d"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	child, err := Parse([]byte(`{"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Offer", "uid": "urn:child", "assigner": "did:web:p.example",
	  "inheritFrom": "urn:parent", "conflict": "prohibit",
	  "permission": [{"uid": "urn:child#all", "action": "transfer", "target": "urn:d"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(child); CodeOf(err) != CodeUnresolvedParent {
		t.Errorf("no parents given: %v", err)
	}
	lookup := func(m map[string]*Policy) Option {
		return WithParents(func(uid string) (*Policy, bool) { p, ok := m[uid]; return p, ok })
	}
	pp, err := Prepare(child, lookup(map[string]*Policy{"urn:parent": parent}))
	if err != nil {
		t.Fatal(err)
	}
	if d := pp.Evaluate(Request{Action: "sell", Target: "urn:d"}); d.Decision != Deny || d.Rule != "urn:parent#no-sale" {
		t.Errorf("inherited prohibition: %s", d)
	}
	if d := pp.Evaluate(Request{Action: "give", Target: "urn:d"}); d.Decision != Permit {
		t.Errorf("own permission: %s", d)
	}
	loop := *parent
	loop.InheritFrom = []string{"urn:child"}
	if _, err := Prepare(child, lookup(map[string]*Policy{"urn:parent": &loop, "urn:child": child})); CodeOf(err) != CodeCycle {
		t.Errorf("cyclic inheritance: %v", err)
	}
}

// TestConcurrentEvaluate runs many goroutines on one Prepared (go test
// -race catches sharing bugs) and checks every decision.
func TestPolicyConcurrentEvaluate(t *testing.T) {
	p, err := Parse(SampleOffer())
	if err != nil {
		t.Fatal(err)
	}
	pp, err := Prepare(p)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	good := SampleRequest(now)
	bad := SampleRequest(now)
	bad.Context = map[string]any{"purpose": "marketing"}
	for k, v := range good.Context {
		if k != "purpose" {
			bad.Context[k] = v
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				req, want := good, Permit
				if (i+g)%2 == 1 {
					req, want = bad, NotApplicable
				}
				if d := pp.Evaluate(req); d.Decision != want {
					t.Errorf("goroutine %d: got %s, want %s", g, d.Decision, want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}
