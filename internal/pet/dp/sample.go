package dp

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/bits"
)

// ErrRange reports a sample or parameter outside the range the samplers
// support (parameters must have a numerator and denominator below 2⁶³;
// samples must fit an int64).
var ErrRange = errors.New("dp: out of range")

// Sampler draws exact samples from the distributions of this package. It
// reads random bits from one io.Reader and is not safe for concurrent use:
// give each goroutine its own Sampler.
type Sampler struct {
	r    io.Reader
	buf  [256]byte
	pos  int // next unread byte of buf; len(buf) when empty
	word uint64
	bits uint // unread bits left in word (low-order first)
}

// NewSampler returns a Sampler reading from r, or from crypto/rand when r
// is nil. Anything but crypto/rand (or another CSPRNG) is for tests only.
func NewSampler(r io.Reader) *Sampler {
	if r == nil {
		r = rand.Reader
	}
	s := &Sampler{r: r}
	s.pos = len(s.buf)
	return s
}

func (s *Sampler) fill() error {
	if _, err := io.ReadFull(s.r, s.buf[:]); err != nil {
		return fmt.Errorf("dp: reading random bits: %w", err)
	}
	s.pos = 0
	return nil
}

// randBits returns k uniformly random bits, 1 ≤ k ≤ 64.
func (s *Sampler) randBits(k uint) (uint64, error) {
	if s.bits < k {
		if s.pos+8 > len(s.buf) {
			if err := s.fill(); err != nil {
				return 0, err
			}
		}
		b := s.buf[s.pos : s.pos+8]
		s.pos += 8
		s.word = uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		s.bits = 64
	}
	v := s.word & (uint64(1)<<k - 1)
	s.word >>= k
	s.bits -= k
	return v, nil
}

// uniform returns an integer uniform on [0, n), n ≥ 1, by rejection.
func (s *Sampler) uniform(n uint64) (uint64, error) {
	if n <= 1 {
		return 0, nil
	}
	k := uint(bits.Len64(n - 1))
	for {
		v, err := s.randBits(k)
		if err != nil {
			return 0, err
		}
		if v < n {
			return v, nil
		}
	}
}

// uniformBig sets z to an integer uniform on [0, n), n ≥ 1, by rejection.
func (s *Sampler) uniformBig(z, n *big.Int) error {
	if n.IsUint64() {
		v, err := s.uniform(n.Uint64())
		z.SetUint64(v)
		return err
	}
	k := new(big.Int).Sub(n, big.NewInt(1)).BitLen()
	b := make([]byte, (k+7)/8)
	for {
		for i := range b {
			v, err := s.randBits(8)
			if err != nil {
				return err
			}
			b[i] = byte(v)
		}
		b[0] &= byte(1)<<(uint(k-1)%8+1) - 1
		z.SetBytes(b)
		if z.Cmp(n) < 0 {
			return nil
		}
	}
}

// bernoulli returns true with probability num/den, 0 ≤ num ≤ den, den ≥ 1.
func (s *Sampler) bernoulli(num, den uint64) (bool, error) {
	u, err := s.uniform(den)
	return u < num, err
}

// bernoulliBig returns true with probability num/den.
func (s *Sampler) bernoulliBig(num, den *big.Int) (bool, error) {
	var u big.Int
	if err := s.uniformBig(&u, den); err != nil {
		return false, err
	}
	return u.Cmp(num) < 0, nil
}

// berExp returns true with probability exp(-n/d), d ≥ 1 (CKS20 Algorithm 1).
func (s *Sampler) berExp(n, d uint64) (bool, error) {
	for ; n > d; n -= d {
		// exp(-γ) = exp(-1)^⌊γ⌋ · exp(-(γ-⌊γ⌋)); the loop stops at the
		// first failure, which keeps the number of draws small.
		b, err := s.berExp(1, 1)
		if err != nil || !b {
			return false, err
		}
	}
	// 0 ≤ γ ≤ 1: count K while Bernoulli(γ/K) succeeds; P(K odd) = exp(-γ).
	k := uint64(1)
	for {
		var a bool
		var err error
		if hi, lo := bits.Mul64(d, k); hi == 0 {
			a, err = s.bernoulli(n, lo)
		} else {
			den := new(big.Int).Mul(new(big.Int).SetUint64(d), new(big.Int).SetUint64(k))
			a, err = s.bernoulliBig(new(big.Int).SetUint64(n), den)
		}
		if err != nil {
			return false, err
		}
		if !a {
			return k%2 == 1, nil
		}
		k++
	}
}

// berExpBig is berExp for big n/d.
func (s *Sampler) berExpBig(n, d *big.Int) (bool, error) {
	if n.IsUint64() && d.IsUint64() {
		return s.berExp(n.Uint64(), d.Uint64())
	}
	var q, r big.Int
	q.QuoRem(n, d, &r)
	for i := new(big.Int).Set(&q); i.Sign() > 0; i.Sub(i, big.NewInt(1)) {
		b, err := s.berExp(1, 1)
		if err != nil || !b {
			return false, err
		}
	}
	k := big.NewInt(1)
	var den big.Int
	for {
		den.Mul(d, k)
		a, err := s.bernoulliBig(&r, &den)
		if err != nil {
			return false, err
		}
		if !a {
			return k.Bit(0) == 1, nil
		}
		k.Add(k, big.NewInt(1))
	}
}

// laplace returns a sample of the discrete Laplace distribution of scale
// t/s, P(z) ∝ exp(-|z|·s/t) (CKS20 Algorithm 2).
func (s *Sampler) laplace(t, sc uint64) (int64, error) {
	for {
		u, err := s.uniform(t)
		if err != nil {
			return 0, err
		}
		d, err := s.berExp(u, t)
		if err != nil {
			return 0, err
		}
		if !d {
			continue
		}
		// V is geometric: the number of successes of Bernoulli(exp(-1)).
		var v uint64
		for {
			a, err := s.berExp(1, 1)
			if err != nil {
				return 0, err
			}
			if !a {
				break
			}
			v++
		}
		hi, tv := bits.Mul64(t, v)
		x, carry := bits.Add64(tv, u, 0)
		if hi != 0 || carry != 0 {
			return 0, ErrRange
		}
		y := x / sc
		if y > math.MaxInt64 {
			return 0, ErrRange
		}
		b, err := s.randBits(1)
		if err != nil {
			return 0, err
		}
		if b == 1 {
			if y == 0 {
				continue
			}
			return -int64(y), nil
		}
		return int64(y), nil
	}
}

// ratParts returns the numerator and denominator of a positive r, both
// below 2⁶³.
func ratParts(r *big.Rat, what string) (uint64, uint64, error) {
	if r == nil || r.Sign() <= 0 {
		return 0, 0, fmt.Errorf("dp: %s must be positive", what)
	}
	n, d := r.Num(), r.Denom()
	if n.BitLen() > 63 || d.BitLen() > 63 {
		return 0, 0, fmt.Errorf("dp: %s %s: %w", what, r.RatString(), ErrRange)
	}
	return n.Uint64(), d.Uint64(), nil
}

// Bernoulli returns true with probability p, 0 ≤ p ≤ 1.
func (s *Sampler) Bernoulli(p *big.Rat) (bool, error) {
	if p == nil || p.Sign() < 0 || p.Cmp(big.NewRat(1, 1)) > 0 {
		return false, errors.New("dp: a probability must be in [0, 1]")
	}
	return s.bernoulliBig(p.Num(), p.Denom())
}

// BernoulliExp returns true with probability exp(-γ), γ ≥ 0.
func (s *Sampler) BernoulliExp(gamma *big.Rat) (bool, error) {
	if gamma == nil || gamma.Sign() < 0 {
		return false, errors.New("dp: γ must be non-negative")
	}
	return s.berExpBig(gamma.Num(), gamma.Denom())
}

// DiscreteLaplace returns a sample Z of the discrete Laplace distribution
// of the given scale t > 0: P(Z = z) = (e^{1/t} − 1)/(e^{1/t} + 1) ·
// e^{−|z|/t} for every integer z.
func (s *Sampler) DiscreteLaplace(scale *big.Rat) (int64, error) {
	t, sc, err := ratParts(scale, "the scale")
	if err != nil {
		return 0, err
	}
	return s.laplace(t, sc)
}

// DiscreteGaussian returns a sample Z of the discrete Gaussian
// distribution with variance parameter σ² > 0: P(Z = z) ∝ e^{−z²/(2σ²)}
// for every integer z (CKS20 Algorithm 3). Its variance is slightly below
// σ².
func (s *Sampler) DiscreteGaussian(sigma2 *big.Rat) (int64, error) {
	g, err := newGaussian(sigma2)
	if err != nil {
		return 0, err
	}
	return g.sample(s)
}

// gaussian holds the constants of Algorithm 3 for σ² = p/q.
type gaussian struct {
	p, q *big.Int
	t    uint64
	qt   *big.Int // q·t
	den  *big.Int // 2·p·q·t²
}

func newGaussian(sigma2 *big.Rat) (*gaussian, error) {
	if sigma2 == nil || sigma2.Sign() <= 0 {
		return nil, errors.New("dp: σ² must be positive")
	}
	p, q := sigma2.Num(), sigma2.Denom()
	// t = ⌊σ⌋ + 1, and ⌊√x⌋ = ⌊√⌊x⌋⌋.
	t := new(big.Int).Quo(p, q)
	t.Sqrt(t).Add(t, big.NewInt(1))
	if t.BitLen() > 62 {
		return nil, fmt.Errorf("dp: σ² %s: %w", sigma2.RatString(), ErrRange)
	}
	g := &gaussian{p: p, q: q, t: t.Uint64()}
	g.qt = new(big.Int).Mul(q, t)
	g.den = new(big.Int).Mul(g.qt, t)
	g.den.Mul(g.den, p).Lsh(g.den, 1)
	return g, nil
}

func (g *gaussian) sample(s *Sampler) (int64, error) {
	var num big.Int
	for {
		y, err := s.laplace(g.t, 1)
		if err != nil {
			return 0, err
		}
		ay := y
		if ay < 0 {
			ay = -ay
		}
		// γ = (|Y| − σ²/t)² / (2σ²) = (|Y|·q·t − p)² / (2·p·q·t²).
		num.SetInt64(ay)
		num.Mul(&num, g.qt).Sub(&num, g.p)
		num.Mul(&num, &num)
		c, err := s.berExpBig(&num, g.den)
		if err != nil {
			return 0, err
		}
		if c {
			return y, nil
		}
	}
}
