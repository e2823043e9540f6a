package dp

import (
	"math"
	"math/big"
	"testing"
)

func TestDefaultBudget(t *testing.T) {
	// The largest Rho with ε ≤ 1 at δ = 10⁻⁶: one unit more exceeds it.
	if e := DefaultBudget.Epsilon(DefaultDelta); e > 1 {
		t.Errorf("DefaultBudget is ε = %.15f > 1", e)
	}
	if e := (DefaultBudget + 1).Epsilon(DefaultDelta); e <= 1 {
		t.Errorf("DefaultBudget + 1 is ε = %.15f ≤ 1: the default is not the largest", e)
	}
	if got := DefaultBudget.String(); got != "0.017468904769" {
		t.Errorf("DefaultBudget = %s", got)
	}
}

func TestRhoForEpsilon(t *testing.T) {
	if r, err := RhoForEpsilon(1, DefaultDelta); err != nil || r != DefaultBudget {
		t.Errorf("RhoForEpsilon(1, 1e-6) = %d, %v; want DefaultBudget %d", r, err, DefaultBudget)
	}
	for _, c := range []struct{ eps, delta float64 }{{0.1, 1e-6}, {0.5, 1e-9}, {2, 1e-5}, {8, 1e-12}} {
		r, err := RhoForEpsilon(c.eps, c.delta)
		if err != nil {
			t.Errorf("ε %v δ %v: %v", c.eps, c.delta, err)
			continue
		}
		if r.Epsilon(c.delta) > c.eps || (r+1).Epsilon(c.delta) <= c.eps {
			t.Errorf("ε %v δ %v: ρ %s is not the largest within ε", c.eps, c.delta, r)
		}
	}
	for _, c := range []struct{ eps, delta float64 }{{0, 1e-6}, {-1, 1e-6}, {1, 0}, {1, 1}, {1e7, 1e-6}} {
		if _, err := RhoForEpsilon(c.eps, c.delta); err == nil {
			t.Errorf("ε %v δ %v accepted", c.eps, c.delta)
		}
	}
}

func TestRhoConversions(t *testing.T) {
	r, err := RhoFromRat(big.NewRat(1, 3))
	if err != nil || r != 333_333_333_334 { // rounded up
		t.Errorf("RhoFromRat(1/3) = %d, %v", r, err)
	}
	r, err = PureRho(big.NewRat(1, 10)) // ε = 0.1 costs ρ = 0.005
	if err != nil || r != 5_000_000_000 {
		t.Errorf("PureRho(1/10) = %d, %v", r, err)
	}
	if _, err := RhoFromRat(big.NewRat(1<<62, 1)); err == nil {
		t.Error("ρ = 2⁶² fits Rho")
	}
	s2, err := GaussianSigma2(3, big.NewRat(1, 100)) // 9 / (2/100) = 450
	if err != nil || s2.Cmp(big.NewRat(450, 1)) != 0 {
		t.Errorf("GaussianSigma2(3, 1/100) = %v, %v", s2, err)
	}
}

func TestClampedSum(t *testing.T) {
	sum, d, err := ClampedSum([]int64{-50, 3, 7, 1000}, -10, 100)
	if err != nil || sum != -10+3+7+100 || d != 100 {
		t.Errorf("ClampedSum = %d, Δ %d, %v", sum, d, err)
	}
	if _, d, _ := ClampedSum(nil, -20, 5); d != 20 {
		t.Errorf("Δ of [-20, 5] = %d, want 20", d)
	}
	if _, _, err := ClampedSum(nil, 5, 4); err == nil {
		t.Error("empty bounds accepted")
	}
	if _, _, err := ClampedSum([]int64{math.MaxInt64, 1}, 0, math.MaxInt64); err == nil {
		t.Error("overflow accepted")
	}
}

// TestMechanismScale checks that the mechanisms use the documented noise:
// Laplace of scale Δ/ε and Gaussian of σ² = Δ²/(2ρ), by the variance of
// the noise they add.
func TestMechanismScale(t *testing.T) {
	s := seeded(400)
	const n = 50_000
	lap := make([]int64, n)
	gau := make([]int64, n)
	for i := range n {
		v, err := s.AddLaplace(1000, 2, big.NewRat(1, 2)) // scale 4
		if err != nil {
			t.Fatal(err)
		}
		lap[i] = v - 1000
		v, err = s.AddGaussian(-1000, 2, big.NewRat(1, 50)) // σ² = 100
		if err != nil {
			t.Fatal(err)
		}
		gau[i] = v + 1000
	}
	q := math.Exp(-1.0 / 4)
	if _, v := moments(lap); math.Abs(v-2*q/((1-q)*(1-q))) > 0.05*v {
		t.Errorf("Laplace noise variance %.2f, want %.2f", v, 2*q/((1-q)*(1-q)))
	}
	if _, v := moments(gau); math.Abs(v-100) > 5 {
		t.Errorf("Gaussian noise variance %.2f, want ≈ 100", v)
	}
	if _, err := s.AddLaplace(1, 0, big.NewRat(1, 1)); err == nil {
		t.Error("sensitivity 0 accepted")
	}
	if _, err := s.AddGaussian(1, 1, big.NewRat(0, 1)); err == nil {
		t.Error("ρ = 0 accepted")
	}
	if _, err := addNoise(math.MaxInt64, 1); err == nil {
		t.Error("overflow accepted")
	}
	if _, err := addNoise(math.MinInt64, -1); err == nil {
		t.Error("underflow accepted")
	}
}
