package dp

import (
	"context"
	"fmt"
	"math"
	"math/big"
	mrand "math/rand/v2"
	"path/filepath"
	"testing"
)

// The benchmarks report samples/s with random bits from crypto/rand, as
// in production (the "chacha8" variants read a seeded ChaCha8 stream
// instead, which shows the cost of the system CSPRNG).
//
//	go test -run '^$' -bench . -benchtime 2s ./internal/pet/dp

func benchSamples(b *testing.B, s *Sampler, draw func(*Sampler) (int64, error)) {
	for b.Loop() {
		if _, err := draw(s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkBernoulliExp(b *testing.B) {
	for _, g := range []*big.Rat{big.NewRat(1, 3), big.NewRat(5, 2)} {
		b.Run("gamma="+g.RatString(), func(b *testing.B) {
			benchSamples(b, NewSampler(nil), func(s *Sampler) (int64, error) {
				_, err := s.BernoulliExp(g)
				return 0, err
			})
		})
	}
}

func BenchmarkDiscreteLaplace(b *testing.B) {
	for _, t := range []int64{1, 10, 100, 10_000} {
		scale := big.NewRat(t, 1)
		b.Run(fmt.Sprintf("scale=%d", t), func(b *testing.B) {
			benchSamples(b, NewSampler(nil), func(s *Sampler) (int64, error) { return s.DiscreteLaplace(scale) })
		})
	}
	b.Run("scale=10/chacha8", func(b *testing.B) {
		benchSamples(b, seeded(1), func(s *Sampler) (int64, error) { return s.DiscreteLaplace(big.NewRat(10, 1)) })
	})
}

func BenchmarkDiscreteGaussian(b *testing.B) {
	for _, v := range []int64{1, 100, 10_000, 1_000_000} {
		sigma2 := big.NewRat(v, 1)
		b.Run(fmt.Sprintf("sigma2=%d", v), func(b *testing.B) {
			benchSamples(b, NewSampler(nil), func(s *Sampler) (int64, error) { return s.DiscreteGaussian(sigma2) })
		})
	}
	b.Run("sigma2=100/chacha8", func(b *testing.B) {
		benchSamples(b, seeded(1), func(s *Sampler) (int64, error) { return s.DiscreteGaussian(big.NewRat(100, 1)) })
	})
}

// BenchmarkLedgerSpend measures spends/s on SQLite (WAL,
// synchronous=NORMAL), one at a time.
func BenchmarkLedgerSpend(b *testing.B) {
	ctx := context.Background()
	l, err := OpenLedger(ctx, openDB(b, filepath.Join(b.TempDir(), "x.db"), 1), LedgerOptions{DatasetBudget: 1 << 62})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := l.Spend(ctx, "ds", "agr", 1, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "spends/s")
}

// BenchmarkFloatLaplaceReference is the textbook floating-point Laplace
// sampler, −b·sign(u)·ln(1 − 2|u|) on float64 with math/rand/v2, that
// Mironov (CCS 2012) broke and this package replaces: for the cost of
// exactness only, never use it.
func BenchmarkFloatLaplaceReference(b *testing.B) {
	r := mrand.New(mrand.NewChaCha8([32]byte{}))
	var sink float64
	for b.Loop() {
		u := r.Float64() - 0.5
		sink += -10 * math.Copysign(1, u) * math.Log(1-2*math.Abs(u))
	}
	_ = sink
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}
