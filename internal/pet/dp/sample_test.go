package dp

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// The distribution tests draw N samples from a ChaCha8 stream with a fixed
// seed, so they are deterministic: a pass stays a pass until the samplers
// change. They compare the empirical pmf with the exact pmf by Pearson's
// chi-square test at significance α = 10⁻³: every integer whose expected
// count is at least 5 is a bin, the rest of both tails one more bin, and
// the statistic must stay below the (1 − α) quantile of χ² with bins − 1
// degrees of freedom (Wilson–Hilferty approximation; for the 10–200 bins
// here it is within 0.5% of the exact quantile).
const (
	nSamples = 200_000
	alpha999 = 3.0902 // the standard normal quantile at 1 − 10⁻³
)

func seeded(seed uint64) *Sampler {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	return NewSampler(rand.NewChaCha8(s))
}

func chiSquareCritical(dof int) float64 {
	k := float64(dof)
	a := 2 / (9 * k)
	return k * math.Pow(1-a+alpha999*math.Sqrt(a), 3)
}

// chiSquare tests samples against pmf (defined on all integers, symmetric
// around 0).
func chiSquare(t *testing.T, samples []int64, pmf func(int64) float64) {
	t.Helper()
	stat, dof, crit := chiSquareStat(t, samples, pmf)
	t.Logf("chi-square %.1f with %d degrees of freedom, critical value %.1f at α = 10⁻³", stat, dof, crit)
	if stat > crit {
		t.Errorf("chi-square %.1f > %.1f (%d degrees of freedom): the samples do not follow the distribution", stat, crit, dof)
	}
}

// chiSquareStat returns the statistic, the degrees of freedom and the
// critical value.
func chiSquareStat(t *testing.T, samples []int64, pmf func(int64) float64) (float64, int, float64) {
	t.Helper()
	n := float64(len(samples))
	m := int64(0)
	for n*pmf(m+1) >= 5 {
		m++
	}
	counts := make([]float64, 2*m+2) // [-m, m] then the tails
	for _, z := range samples {
		if z < -m || z > m {
			counts[2*m+1]++
		} else {
			counts[z+m]++
		}
	}
	var stat, inside float64
	for z := -m; z <= m; z++ {
		e := n * pmf(z)
		inside += pmf(z)
		d := counts[z+m] - e
		stat += d * d / e
	}
	if e := n * (1 - inside); e > 1e-9 {
		d := counts[2*m+1] - e
		stat += d * d / e
	} else if counts[2*m+1] > 0 {
		t.Fatalf("%v samples in tails of probability %g", counts[2*m+1], 1-inside)
	}
	dof := int(2*m+2) - 1
	return stat, dof, chiSquareCritical(dof)
}

// TestChiSquarePower checks that the test can fail: samples of the
// discrete Laplace of scale 3/2 are refused as samples of scale 8/5 (a
// 6.7% change of scale).
func TestChiSquarePower(t *testing.T) {
	s := seeded(7)
	samples := make([]int64, nSamples)
	for j := range samples {
		z, err := s.DiscreteLaplace(big.NewRat(3, 2))
		if err != nil {
			t.Fatal(err)
		}
		samples[j] = z
	}
	q := math.Exp(-1 / 1.6)
	stat, dof, crit := chiSquareStat(t, samples, func(z int64) float64 {
		return (1 - q) / (1 + q) * math.Pow(q, math.Abs(float64(z)))
	})
	if stat <= crit {
		t.Errorf("chi-square %.1f ≤ %.1f (%d degrees of freedom): the test missed a wrong scale", stat, crit, dof)
	}
}

func moments(samples []int64) (mean, variance float64) {
	for _, z := range samples {
		mean += float64(z)
	}
	mean /= float64(len(samples))
	for _, z := range samples {
		d := float64(z) - mean
		variance += d * d
	}
	return mean, variance / float64(len(samples)-1)
}

// checkMoments compares the sample mean with 0 (within 5 standard errors)
// and the sample variance with want (within 3%, about 5 standard errors
// at N = 200,000 for these kurtoses).
func checkMoments(t *testing.T, samples []int64, want float64) {
	t.Helper()
	mean, v := moments(samples)
	if se := math.Sqrt(want / float64(len(samples))); math.Abs(mean) > 5*se {
		t.Errorf("mean %.4f, want 0 ± %.4f", mean, 5*se)
	}
	if math.Abs(v-want) > 0.03*want {
		t.Errorf("variance %.4f, want %.4f ± 3%%", v, want)
	}
}

func TestDiscreteLaplace(t *testing.T) {
	for i, scale := range []*big.Rat{big.NewRat(1, 1), big.NewRat(3, 2), big.NewRat(10, 1), big.NewRat(1, 3)} {
		t.Run(scale.RatString(), func(t *testing.T) {
			t.Parallel()
			s := seeded(uint64(i + 1))
			samples := make([]int64, nSamples)
			for j := range samples {
				z, err := s.DiscreteLaplace(scale)
				if err != nil {
					t.Fatal(err)
				}
				samples[j] = z
			}
			sc, _ := scale.Float64()
			q := math.Exp(-1 / sc)
			chiSquare(t, samples, func(z int64) float64 {
				return (1 - q) / (1 + q) * math.Pow(q, math.Abs(float64(z)))
			})
			checkMoments(t, samples, 2*q/((1-q)*(1-q)))
		})
	}
}

func TestDiscreteGaussian(t *testing.T) {
	for i, sigma2 := range []*big.Rat{big.NewRat(1, 1), big.NewRat(10, 3), big.NewRat(25, 1), big.NewRat(1, 4), big.NewRat(1000, 1)} {
		t.Run(sigma2.RatString(), func(t *testing.T) {
			t.Parallel()
			s := seeded(uint64(100 + i))
			samples := make([]int64, nSamples)
			for j := range samples {
				z, err := s.DiscreteGaussian(sigma2)
				if err != nil {
					t.Fatal(err)
				}
				samples[j] = z
			}
			s2, _ := sigma2.Float64()
			w := func(z float64) float64 { return math.Exp(-z * z / (2 * s2)) }
			var norm, second float64
			for z := -100 * math.Ceil(math.Sqrt(s2)); z <= 100*math.Ceil(math.Sqrt(s2)); z++ {
				norm += w(z)
				second += z * z * w(z)
			}
			chiSquare(t, samples, func(z int64) float64 { return w(float64(z)) / norm })
			checkMoments(t, samples, second/norm)
		})
	}
}

func TestBernoulliExp(t *testing.T) {
	huge := new(big.Int).Lsh(big.NewInt(1), 70)
	cases := []*big.Rat{
		big.NewRat(0, 1), big.NewRat(1, 3), big.NewRat(1, 1), big.NewRat(5, 2), big.NewRat(7, 1),
		new(big.Rat).SetFrac(new(big.Int).Add(huge, big.NewInt(12345)), huge), // the big-integer path, γ ≈ 1
	}
	for i, g := range cases {
		s := seeded(uint64(200 + i))
		hits := 0
		for range nSamples {
			b, err := s.BernoulliExp(g)
			if err != nil {
				t.Fatal(err)
			}
			if b {
				hits++
			}
		}
		gf, _ := g.Float64()
		p := math.Exp(-gf)
		f := float64(hits) / nSamples
		tol := 5 * math.Sqrt(p*(1-p)/nSamples)
		if math.Abs(f-p) > tol || (p == 1 && hits != nSamples) {
			t.Errorf("γ = %s: frequency %.5f, want %.5f ± %.5f", g.RatString(), f, p, tol)
		}
	}
}

func TestBernoulli(t *testing.T) {
	s := seeded(300)
	huge := new(big.Int).Lsh(big.NewInt(1), 80)
	for _, p := range []*big.Rat{big.NewRat(0, 1), big.NewRat(1, 1), big.NewRat(1, 7), new(big.Rat).SetFrac(new(big.Int).Rsh(huge, 1), new(big.Int).Add(huge, big.NewInt(1)))} {
		hits := 0
		for range 50_000 {
			b, err := s.Bernoulli(p)
			if err != nil {
				t.Fatal(err)
			}
			if b {
				hits++
			}
		}
		pf, _ := p.Float64()
		if f := float64(hits) / 50_000; math.Abs(f-pf) > 5*math.Sqrt(pf*(1-pf)/50_000) {
			t.Errorf("p = %s: frequency %.5f", p.RatString(), f)
		}
	}
	if _, err := s.Bernoulli(big.NewRat(3, 2)); err == nil {
		t.Error("p = 3/2 accepted")
	}
}

func TestSamplerParameters(t *testing.T) {
	s := seeded(1)
	if _, err := s.DiscreteLaplace(big.NewRat(0, 1)); err == nil {
		t.Error("scale 0 accepted")
	}
	if _, err := s.DiscreteLaplace(big.NewRat(-1, 2)); err == nil {
		t.Error("negative scale accepted")
	}
	if _, err := s.DiscreteGaussian(big.NewRat(0, 1)); err == nil {
		t.Error("σ² = 0 accepted")
	}
	if _, err := s.BernoulliExp(big.NewRat(-1, 1)); err == nil {
		t.Error("negative γ accepted")
	}
	// A failing source is reported, not turned into a sample.
	bad := NewSampler(failingReader{})
	if _, err := bad.DiscreteGaussian(big.NewRat(4, 1)); err == nil {
		t.Error("a failing random source gave a sample")
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errFail }

var errFail = errors.New("no randomness")
