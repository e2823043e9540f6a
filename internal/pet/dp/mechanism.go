package dp

import (
	"errors"
	"fmt"
	"math"
	"math/big"
)

// AddLaplace returns value plus discrete Laplace noise of scale Δ/ε: an
// ε-DP release of an integer query whose sensitivity under adding or
// removing one record is Δ = sensitivity. In the ledger it costs
// [PureRho](ε).
func (s *Sampler) AddLaplace(value, sensitivity int64, epsilon *big.Rat) (int64, error) {
	if sensitivity <= 0 {
		return 0, errors.New("dp: the sensitivity must be positive")
	}
	if epsilon == nil || epsilon.Sign() <= 0 {
		return 0, errors.New("dp: ε must be positive")
	}
	scale := new(big.Rat).SetInt64(sensitivity)
	scale.Quo(scale, epsilon)
	z, err := s.DiscreteLaplace(scale)
	if err != nil {
		return 0, err
	}
	return addNoise(value, z)
}

// AddGaussian returns value plus discrete Gaussian noise with
// σ² = Δ²/(2ρ): a ρ-zCDP release of an integer query whose sensitivity
// under adding or removing one record is Δ = sensitivity (CKS20 Theorem
// 14). In the ledger it costs ρ.
func (s *Sampler) AddGaussian(value, sensitivity int64, rho *big.Rat) (int64, error) {
	sigma2, err := GaussianSigma2(sensitivity, rho)
	if err != nil {
		return 0, err
	}
	z, err := s.DiscreteGaussian(sigma2)
	if err != nil {
		return 0, err
	}
	return addNoise(value, z)
}

// GaussianSigma2 returns σ² = Δ²/(2ρ), the variance parameter that makes
// the discrete Gaussian mechanism ρ-zCDP for sensitivity Δ.
func GaussianSigma2(sensitivity int64, rho *big.Rat) (*big.Rat, error) {
	if sensitivity <= 0 {
		return nil, errors.New("dp: the sensitivity must be positive")
	}
	if rho == nil || rho.Sign() <= 0 {
		return nil, errors.New("dp: ρ must be positive")
	}
	d := new(big.Int).SetInt64(sensitivity)
	d.Mul(d, d)
	sigma2 := new(big.Rat).SetInt(d)
	return sigma2.Quo(sigma2, new(big.Rat).Mul(rho, big.NewRat(2, 1))), nil
}

func addNoise(value, z int64) (int64, error) {
	r := value + z
	if (z > 0 && r < value) || (z < 0 && r > value) {
		return 0, fmt.Errorf("dp: value plus noise: %w", ErrRange)
	}
	return r, nil
}

// ClampedSum clamps each value to [lo, hi] and returns the sum with its
// sensitivity under adding or removing one record, max(|lo|, |hi|). Each
// value must be the contribution of a different privacy unit.
func ClampedSum(values []int64, lo, hi int64) (sum, sensitivity int64, err error) {
	if lo > hi {
		return 0, 0, fmt.Errorf("dp: empty bounds [%d, %d]", lo, hi)
	}
	if lo == math.MinInt64 {
		return 0, 0, fmt.Errorf("dp: lower bound: %w", ErrRange)
	}
	sensitivity = max(-lo, hi)
	for _, v := range values {
		v = min(max(v, lo), hi)
		r := sum + v
		if (v > 0 && r < sum) || (v < 0 && r > sum) {
			return 0, 0, fmt.Errorf("dp: sum: %w", ErrRange)
		}
		sum = r
	}
	if sensitivity == 0 {
		sensitivity = 1 // bounds [0, 0]: the sum is always 0; any Δ > 0 is sound
	}
	return sum, sensitivity, nil
}

// Rho is an amount of zCDP privacy loss ρ in fixed point: units of 10⁻¹²
// ρ. The ledger adds and compares these integers exactly.
type Rho int64

// RhoUnit is the number of Rho units in ρ = 1.
const RhoUnit = 1_000_000_000_000

// DefaultBudget is the default budget of a dataset: the largest Rho whose
// (ε, δ) conversion is ε ≤ 1 at δ = 10⁻⁶, ρ = (√(ln 10⁶ + 1) − √ln 10⁶)²
// rounded down (TestDefaultBudget checks it).
const DefaultBudget Rho = 17_468_904_769

// DefaultDelta is the δ at which budgets are displayed by default.
const DefaultDelta = 1e-6

// RhoFromRat converts an exact ρ to Rho, rounding up so that a cost is
// never undercharged.
func RhoFromRat(rho *big.Rat) (Rho, error) {
	if rho == nil || rho.Sign() < 0 {
		return 0, errors.New("dp: ρ must be non-negative")
	}
	n := new(big.Int).Mul(rho.Num(), big.NewInt(RhoUnit))
	q, r := new(big.Int).QuoRem(n, rho.Denom(), new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, fmt.Errorf("dp: ρ %s: %w", rho.RatString(), ErrRange)
	}
	return Rho(q.Int64()), nil
}

// PureRho is the zCDP cost ρ = ε²/2 of an ε-DP release (Bun and Steinke
// 2016, Proposition 1.4), for example of [Sampler.AddLaplace].
func PureRho(epsilon *big.Rat) (Rho, error) {
	if epsilon == nil || epsilon.Sign() < 0 {
		return 0, errors.New("dp: ε must be non-negative")
	}
	r := new(big.Rat).Mul(epsilon, epsilon)
	return RhoFromRat(r.Quo(r, big.NewRat(2, 1)))
}

// Rat returns r as an exact rational.
func (r Rho) Rat() *big.Rat { return big.NewRat(int64(r), RhoUnit) }

// String formats r as a decimal ρ, exactly.
func (r Rho) String() string { return r.Rat().FloatString(12) }

// Epsilon converts ρ-zCDP to (ε, δ)-DP, ε = ρ + 2√(ρ ln(1/δ)) (Bun and
// Steinke 2016, Proposition 1.3). It is for display only: it uses
// floating point, and no decision depends on it.
func (r Rho) Epsilon(delta float64) float64 {
	rho := float64(r) / RhoUnit
	return rho + 2*math.Sqrt(rho*math.Log(1/delta))
}

// RhoForEpsilon is the largest ρ whose conversion [Rho.Epsilon] at δ is
// at most ε: ρ = (√(ln(1/δ) + ε) − √ln(1/δ))², rounded down. It is how an
// operator's (ε, δ) budget becomes a ledger total; floating point only
// sets the total, and the result is checked against the conversion.
func RhoForEpsilon(epsilon, delta float64) (Rho, error) {
	if !(epsilon > 0) || math.IsInf(epsilon, 0) || epsilon > 1e6 {
		return 0, fmt.Errorf("dp: ε %v: want a positive number up to 10⁶", epsilon)
	}
	if !(delta > 0 && delta < 1) {
		return 0, fmt.Errorf("dp: δ %v: want 0 < δ < 1", delta)
	}
	l := math.Log(1 / delta)
	d := math.Sqrt(l+epsilon) - math.Sqrt(l)
	r := Rho(math.Floor(d * d * RhoUnit))
	for r > 0 && r.Epsilon(delta) > epsilon {
		r--
	}
	for (r + 1).Epsilon(delta) <= epsilon {
		r++
	}
	if r <= 0 {
		return 0, fmt.Errorf("dp: ε %v at δ %v: %w", epsilon, delta, ErrRange)
	}
	return r, nil
}
