package secagg

import (
	"fmt"
	"math/big"
	"strings"
)

// Decimal is an exact fixed-point number: Int × 10^-Scale. It marshals to a
// JSON number written out in full ("12.30"), never through float64.
type Decimal struct {
	Int   *big.Int
	Scale int
}

func (d Decimal) String() string {
	s := new(big.Int).Abs(d.Int).String()
	neg := d.Int.Sign() < 0
	if d.Scale > 0 {
		if len(s) <= d.Scale {
			s = strings.Repeat("0", d.Scale-len(s)+1) + s
		}
		s = s[:len(s)-d.Scale] + "." + s[len(s)-d.Scale:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalJSON reads the JSON number MarshalJSON writes; the scale is the
// number of digits after the point. Exponents are refused.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := string(b)
	if strings.ContainsAny(s, "eE") || s == "" {
		return fmt.Errorf("secagg: decimal %q", s)
	}
	scale := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		scale = len(s) - i - 1
		s = s[:i] + s[i+1:]
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return fmt.Errorf("secagg: decimal %q", string(b))
	}
	d.Int, d.Scale = v, scale
	return nil
}

// ParseFixed parses a decimal number ("-12.5", "3", "+0.25") into a
// fixed-point integer with scale decimal digits. More digits than scale, an
// exponent, or a magnitude above MaxAbs units is an error: values are never
// rounded silently.
func ParseFixed(s string, scale int) (int64, error) {
	t := strings.TrimSpace(s)
	neg := false
	if t != "" && (t[0] == '-' || t[0] == '+') {
		neg = t[0] == '-'
		t = t[1:]
	}
	ip, fp, dot := strings.Cut(t, ".")
	if ip == "" && fp == "" || dot && fp == "" && ip == "" {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if len(fp) > scale {
		return 0, fmt.Errorf("%q has more than %d decimal digits", s, scale)
	}
	var v int64
	digits := ip + fp + strings.Repeat("0", scale-len(fp))
	for _, r := range digits {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not a number", s)
		}
		v = v*10 + int64(r-'0')
		if v > MaxAbs {
			return 0, fmt.Errorf("%w: %q exceeds 2^44 units at scale %d", ErrOutOfBounds, s, scale)
		}
	}
	if neg {
		v = -v
	}
	return v, nil
}
