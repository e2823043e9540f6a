package odrl

import (
	"context"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

var benchNow = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

func benchPrepared(b *testing.B) *Prepared {
	b.Helper()
	p, err := Parse(SampleOffer())
	if err != nil {
		b.Fatal(err)
	}
	pp, err := Prepare(p)
	if err != nil {
		b.Fatal(err)
	}
	return pp
}

// BenchmarkEvaluate decides the sample offer (16 constraints, a
// prohibition, two duties) for a request it permits.
func BenchmarkEvaluate(b *testing.B) {
	pp := benchPrepared(b)
	req := SampleRequest(benchNow)
	if d := pp.Evaluate(req); d.Decision != Permit {
		b.Fatalf("sample request: %s", d)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		pp.Evaluate(req)
	}
}

// BenchmarkEvaluateParallel is BenchmarkEvaluate from GOMAXPROCS goroutines.
func BenchmarkEvaluateParallel(b *testing.B) {
	pp := benchPrepared(b)
	req := SampleRequest(benchNow)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			pp.Evaluate(req)
		}
	})
}

// BenchmarkEvaluateOPA decides the same request with the same policy
// translated to Rego, as an OPA prepared query with the input already
// converted to an AST value (the fastest way to call OPA).
func BenchmarkEvaluateOPA(b *testing.B) {
	pp := benchPrepared(b)
	req := SampleRequest(benchNow)
	src, err := ToRego(pp, "xborder.policy")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	q, err := rego.New(rego.Query("data.xborder.policy.decision"), rego.Module("policy.rego", src)).PrepareForEval(ctx)
	if err != nil {
		b.Fatal(err)
	}
	in, err := ast.InterfaceToValue(opaInput(b, req))
	if err != nil {
		b.Fatal(err)
	}
	rs, err := q.Eval(ctx, rego.EvalParsedInput(in))
	if err != nil || len(rs) != 1 || rs[0].Expressions[0].Value != "permit" {
		b.Fatalf("OPA on the sample request: %v %v", rs, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := q.Eval(ctx, rego.EvalParsedInput(in)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse reads the sample offer from JSON-LD (done once per policy).
func BenchmarkParse(b *testing.B) {
	doc := SampleOffer()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}
