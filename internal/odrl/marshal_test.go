package odrl

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestMarshalRoundTrip writes every conformance policy back to JSON-LD,
// reads it again, and checks that every request is decided the same way.
func TestPolicyMarshalRoundTrip(t *testing.T) {
	for name, cf := range loadConformance(t) {
		if cf.Error != nil {
			continue
		}
		t.Run(name, func(t *testing.T) {
			p, err := Parse(cf.Policy, cf.opts()...)
			if err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			p2, err := Parse(out, cf.opts()...)
			if err != nil {
				t.Fatalf("re-reading %s: %v", out, err)
			}
			pp, _ := Prepare(p, cf.opts()...)
			pp2, err := Prepare(p2, cf.opts()...)
			if err != nil {
				t.Fatal(err)
			}
			for _, rc := range cf.Requests {
				req, _ := ParseRequest(rc.Request)
				a, b := pp.Evaluate(req), pp2.Evaluate(req)
				sameRule := a.Rule == b.Rule || strings.Contains(a.Rule, "[") // source paths change with the form
				if a.Decision != b.Decision || !sameRule {
					t.Errorf("%s: %s before, %s after\n%s", rc.Name, a, b, out)
				}
			}
		})
	}
}
