// Package billing prices metered data use: money in integer minor units,
// pricing models (per call, per volume, subscription, per computation)
// with free quotas and tiers, invoice lines, and the split of revenue
// among several data providers by the largest-remainder method.
//
// It is pure arithmetic: no storage, no clock. internal/contract feeds it
// usage totals from its store and keeps the invoices it computes.
//
// # Money
//
// An amount is an int64 count of the currency's minor unit (fen for CNY,
// cents for EUR, yen for JPY) beside an ISO 4217 code. Floating point is
// never used. In JSON an amount is a decimal string with at most the
// currency's number of minor digits ("12.50" CNY, "1200" JPY); a price
// finer than the minor unit is written per a larger quantity (per 1000
// calls, per GB) with [Component].Per.
//
// # Rounding
//
// A usage-based line is computed exactly, as the sum over its tiers of
// billable units × unit price (in minor units, with arbitrary precision),
// then divided by Per and rounded once, half up (amounts are never
// negative, so half up is half away from zero). A subscription line is
// the fee as written. The invoice subtotal is the sum of the rounded
// lines, so the lines always add up to it; taxes are added by a [Taxer]
// and the total is subtotal plus taxes.
package billing

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Currency is an ISO 4217 currency with the number of digits of its minor
// unit.
type Currency struct {
	Code     string
	Exponent int
}

// currencies is the table of accepted currencies (ISO 4217 minor units).
// The digital renminbi (e-CNY) settles in CNY.
func currencies() []Currency {
	return []Currency{
		{"AUD", 2}, {"BHD", 3}, {"CAD", 2}, {"CHF", 2}, {"CNY", 2}, {"EUR", 2}, {"GBP", 2},
		{"HKD", 2}, {"JPY", 0}, {"KRW", 0}, {"KWD", 3}, {"MOP", 2}, {"SGD", 2}, {"USD", 2},
	}
}

// Currencies lists the accepted currency codes.
func Currencies() []string {
	var out []string
	for _, c := range currencies() {
		out = append(out, c.Code)
	}
	return out
}

// LookupCurrency returns the currency with the ISO 4217 code (upper case).
func LookupCurrency(code string) (Currency, error) {
	for _, c := range currencies() {
		if c.Code == code {
			return c, nil
		}
	}
	return Currency{}, fmt.Errorf("currency %q is not accepted (accepted: %s)", code, strings.Join(Currencies(), ", "))
}

// maxAmountDigits bounds the integer digits of a written amount so that
// any parsed amount fits an int64 with room for sums.
const maxAmountDigits = 15

// ParseAmount reads a non-negative decimal amount such as "12.50" in the
// currency's minor units. It refuses signs, exponents, separators, and
// more fractional digits than the currency has.
func ParseAmount(s string, c Currency) (int64, error) {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") {
		return 0, fmt.Errorf("amount %q: write digits such as 12.50", s)
	}
	for _, part := range []string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, fmt.Errorf("amount %q: only digits and one decimal point", s)
			}
		}
	}
	if len(frac) > c.Exponent {
		if c.Exponent == 0 {
			return 0, fmt.Errorf("amount %q: %s has no minor unit; price a larger quantity instead (per)", s, c.Code)
		}
		return 0, fmt.Errorf("amount %q: %s has %d decimal places; price a larger quantity instead (per 1000, per GB)", s, c.Code, c.Exponent)
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > maxAmountDigits {
		return 0, fmt.Errorf("amount %q: more than %d integer digits", s, maxAmountDigits)
	}
	digits := intPart + frac + strings.Repeat("0", c.Exponent-len(frac))
	if digits == "" || strings.Trim(digits, "0") == "" {
		return 0, nil
	}
	return strconv.ParseInt(digits, 10, 64)
}

// FormatAmount writes minor units as a decimal string with the currency's
// number of decimal places: 1250 CNY is "12.50", -5 CNY is "-0.05".
func FormatAmount(minor int64, c Currency) string {
	neg := minor < 0
	var u uint64
	if neg {
		u = uint64(-(minor + 1)) + 1 // safe for math.MinInt64
	} else {
		u = uint64(minor)
	}
	s := strconv.FormatUint(u, 10)
	if c.Exponent > 0 {
		if len(s) <= c.Exponent {
			s = strings.Repeat("0", c.Exponent-len(s)+1) + s
		}
		s = s[:len(s)-c.Exponent] + "." + s[len(s)-c.Exponent:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// Money is an amount with its currency, for output.
type Money struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"`
	Amount   string `json:"amount"` // the decimal form of Minor
}

// NewMoney builds a Money; the currency must be accepted.
func NewMoney(minor int64, code string) Money {
	c, err := LookupCurrency(code)
	if err != nil {
		return Money{Minor: minor, Currency: code, Amount: strconv.FormatInt(minor, 10)}
	}
	return Money{Minor: minor, Currency: code, Amount: FormatAmount(minor, c)}
}

// addChecked adds without overflow.
func addChecked(a, b int64) (int64, error) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, fmt.Errorf("amount overflow")
	}
	return a + b, nil
}

// Sum adds amounts, failing on overflow.
func Sum(amounts ...int64) (int64, error) {
	var total int64
	for _, a := range amounts {
		var err error
		if total, err = addChecked(total, a); err != nil {
			return 0, err
		}
	}
	return total, nil
}
