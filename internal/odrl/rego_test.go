package odrl

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
)

// opaQuery prepares the generated Rego of a policy as an OPA query for the
// decision and the deciding rule.
func opaQuery(t testing.TB, pp *Prepared) (rego.PreparedEvalQuery, string) {
	t.Helper()
	src, err := ToRego(pp, "xborder.policy")
	if err != nil {
		t.Fatal(err)
	}
	q, err := rego.New(
		rego.Query("d := data.xborder.policy.decision; r := data.xborder.policy.rule"),
		rego.Module("policy.rego", src),
	).PrepareForEval(context.Background())
	if err != nil {
		t.Fatalf("OPA refuses the generated Rego: %v\n%s", err, numbered(src))
	}
	return q, src
}

func numbered(src string) string {
	out := ""
	line := 1
	start := 0
	for i := 0; i <= len(src); i++ {
		if i == len(src) || src[i] == '\n' {
			out += fmt.Sprintf("%4d  %s\n", line, src[start:i])
			line++
			start = i + 1
		}
	}
	return out
}

// opaInput is the request as the CLI reads it, decoded as OPA's input.
func opaInput(t testing.TB, req Request) any {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var in any
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatal(err)
	}
	return in
}

func opaDecide(t testing.TB, q rego.PreparedEvalQuery, in any) (string, string) {
	t.Helper()
	rs, err := q.Eval(context.Background(), rego.EvalInput(in))
	if err != nil {
		t.Fatalf("OPA: %v", err)
	}
	if len(rs) != 1 {
		t.Fatalf("OPA: %d results", len(rs))
	}
	d, _ := rs[0].Bindings["d"].(string)
	r, _ := rs[0].Bindings["r"].(string)
	return d, r
}

// TestRegoAgreesOnConformance translates every conformance policy to Rego
// and checks that OPA reaches the same decision and names the same rule as
// Evaluate on every request.
func TestPolicyRegoAgreesOnConformance(t *testing.T) {
	total, agree := 0, 0
	for name, cf := range loadConformance(t) {
		if cf.Error != nil {
			continue
		}
		t.Run(name, func(t *testing.T) {
			p, err := Parse(cf.Policy, cf.opts()...)
			if err != nil {
				t.Fatal(err)
			}
			pp, err := Prepare(p, cf.opts()...)
			if err != nil {
				t.Fatal(err)
			}
			q, src := opaQuery(t, pp)
			for _, rc := range cf.Requests {
				req, err := ParseRequest(rc.Request)
				if err != nil {
					t.Fatal(err)
				}
				total++
				want := pp.Evaluate(req)
				d, r := opaDecide(t, q, opaInput(t, req))
				if d != string(want.Decision) || r != want.Rule {
					t.Errorf("%s: OPA says %s by %q, Evaluate %s by %q", rc.Name, d, r, want.Decision, want.Rule)
					if os.Getenv("XBORDER_REGO_DUMP") != "" {
						t.Log(numbered(src))
					}
					continue
				}
				agree++
			}
		})
	}
	t.Logf("OPA agrees with Evaluate on %d of %d conformance requests", agree, total)
}

// TestRegoAgreesOnThirdParty does the same on the 79 public cases.
func TestPolicyRegoAgreesOnThirdParty(t *testing.T) {
	cases := loadThirdParty(t)
	agree := 0
	type compiled struct {
		pp *Prepared
		q  rego.PreparedEvalQuery
	}
	cache := map[string]compiled{} // many cases share a policy
	for _, c := range cases {
		req, opts := thirdPartyRequest(t, c)
		key := c.Source + string(c.Policy)
		cp, ok := cache[key]
		if !ok {
			p, err := Parse(c.Policy, opts...)
			if err != nil {
				t.Fatal(err)
			}
			pp, err := Prepare(p, opts...)
			if err != nil {
				t.Fatal(err)
			}
			q, _ := opaQuery(t, pp)
			cp = compiled{pp, q}
			cache[key] = cp
		}
		pp, q := cp.pp, cp.q
		want := pp.Evaluate(req)
		d, r := opaDecide(t, q, opaInput(t, req))
		if d != string(want.Decision) || r != want.Rule {
			t.Errorf("%s: OPA says %s by %q, Evaluate %s by %q", c.ID, d, r, want.Decision, want.Rule)
			continue
		}
		agree++
	}
	t.Logf("OPA agrees with Evaluate on %d of %d third-party cases", agree, len(cases))
}
