package secagg

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// benchValues is 3 parties × 10M amounts in cents, ±10^9 cents.
func benchValues(b *testing.B) []Input {
	b.Helper()
	r := rand.New(rand.NewPCG(3, 10))
	in := make([]Input, 3)
	for p := range in {
		in[p].Values = make([]int64, 10_000_000)
		for i := range in[p].Values {
			in[p].Values[i] = r.Int64N(2_000_000_001) - 1_000_000_000
		}
	}
	return in
}

// plainSum is what one would run with all the data in one place.
func plainSum(in []Input) (sum, n int64) {
	for _, p := range in {
		for _, x := range p.Values {
			sum += x
		}
		n += int64(len(p.Values))
	}
	return sum, n
}

// BenchmarkAggregate3x10M: secure sum and mean over 3 parties × 10M values
// beside the plaintext sum of the same values, measured in the same run
// (the "x-plaintext" metric is the ratio of the two).
func BenchmarkAggregate3x10M(b *testing.B) {
	in := benchValues(b)
	const total = 30_000_000
	// The plaintext time the ratio divides by: the best of 5 warm passes.
	var sink int64
	plain := time.Duration(1 << 62)
	for range 6 {
		t0 := time.Now()
		s, _ := plainSum(in)
		sink += s
		plain = min(plain, time.Since(t0))
	}
	b.Run("plaintext-sum", func(b *testing.B) {
		for b.Loop() {
			s, _ := plainSum(in)
			sink += s
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/total, "ns/value")
	})
	for _, stat := range []Stat{Sum, Mean} {
		b.Run(string(stat), func(b *testing.B) {
			for b.Loop() {
				if _, err := Run(context.Background(), Config{Stat: stat}, in); err != nil {
					b.Fatal(err)
				}
			}
			per := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(per.Nanoseconds())/total, "ns/value")
			b.ReportMetric(float64(per)/float64(plain), "x-plaintext")
		})
	}
}

// BenchmarkSplit1M: the cost of sharing itself, one element per value, for
// protocols that must share every value rather than local aggregates: a
// 1M-element vector of Z_2^128 split 3 ways.
func BenchmarkSplit1M(b *testing.B) {
	v := make([]u128, 1<<20)
	for i := range v {
		v[i] = fromInt64(int64(i))
	}
	p, err := newPRG()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		split(v, 3, p)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(v)), "ns/value")
}
