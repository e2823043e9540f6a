package jsonld

import (
	"context"
	"os"
	"testing"
)

// The two benchmarks expand the same VC 2.0 credential with a
// DataIntegrityProof (testdata/docs/vc2-signed.json), with this package and
// with json-gold the way internal/vc used it (top-level context processed
// once and reused; scoped contexts processed on every call).

func benchDoc(b *testing.B) map[string]any {
	raw, err := os.ReadFile("testdata/docs/vc2-signed.json")
	if err != nil {
		b.Fatal(err)
	}
	doc, err := decodeDoc(raw)
	if err != nil {
		b.Fatal(err)
	}
	return doc
}

// reportCPU adds the process CPU time per operation (all threads, GC
// included), which other load on the machine distorts less than ns/op.
func reportCPU(b *testing.B, loop func()) {
	b.ReportAllocs()
	n := 0
	cpu0 := processCPUTime()
	for b.Loop() {
		loop()
		n++
	}
	if cpu := processCPUTime() - cpu0; cpu > 0 && n > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/op")
	}
}

func BenchmarkExpand(b *testing.B) {
	doc := benchDoc(b)
	p := New(newTestLoader(b))
	ctx := context.Background()
	if _, err := p.Expand(ctx, doc); err != nil {
		b.Fatal(err)
	}
	reportCPU(b, func() {
		if _, err := p.Expand(ctx, doc); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkExpandJSONGold(b *testing.B) {
	doc := benchDoc(b)
	l := newTestLoader(b)
	e := newGoldExpander(l)
	if _, err := e.expand(doc); err != nil {
		b.Fatal(err)
	}
	reportCPU(b, func() {
		if _, err := e.expand(doc); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkExpandColdCache expands the credential with an empty context
// cache every time (the cost of the first credential over a context list).
func BenchmarkExpandColdCache(b *testing.B) {
	doc := benchDoc(b)
	l := newTestLoader(b)
	ctx := context.Background()
	reportCPU(b, func() {
		if _, err := New(l).Expand(ctx, doc); err != nil {
			b.Fatal(err)
		}
	})
}
