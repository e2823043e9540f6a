package synth

import (
	"math/rand/v2"
	"strconv"

	"github.com/xborder/xborder/internal/classify"
)

// This file holds the decoys: values that look like an identifier and are
// not one. Each is built to fail the very check the classifier applies.

// wrongCheck returns a check character other than good, drawn from digits
// only so that the result still looks like a number.
func wrongCheck(r *rand.Rand, good byte) byte {
	for {
		c := byte('0' + r.IntN(10))
		if c != good {
			return c
		}
	}
}

// appendOrderNumber appends an 18-digit order number: a timestamp
// (YYYYMMDDhhmmss) and four digits, forced to fail the resident-ID check.
func appendOrderNumber(dst []byte, r *rand.Rand) []byte {
	start := len(dst)
	dst = appendDate(dst, daysFromCivil(2023, 1, 1)+r.Int64N(3*365), 0)
	dst = appendPad(dst, r.IntN(24), 2)
	dst = appendPad(dst, r.IntN(60), 2)
	dst = appendPad(dst, r.IntN(60), 2)
	dst = appendDigits(dst, r, 3)
	good, _ := classify.ResidentIDCheckChar(string(dst[start:]))
	return append(dst, wrongCheck(r, good))
}

// OrderNumber returns an 18-digit timestamp-style order number whose last
// digit is not the GB 11643 check character of the first 17.
func OrderNumber(r *rand.Rand) string { return string(appendOrderNumber(nil, r)) }

// LookalikeResidentID returns the hardest decoy: a real county code, a
// plausible birth date and sequence, and a wrong check character.
func LookalikeResidentID(r *rand.Rand) string {
	b := appendResidentID(nil, r.IntN(len(regions)), day1940+r.Int64N(day2021-day1940), r.IntN(1000))
	b[17] = wrongCheck(r, b[17])
	return string(b)
}

// LuhnFailing returns a 16-digit number, starting like a UnionPay card
// half of the time, that fails the Luhn check.
func LuhnFailing(r *rand.Rand) string {
	var b []byte
	if r.IntN(2) == 0 {
		b = append(b, unionPayIINs[r.IntN(len(unionPayIINs))]...)
		b = appendDigits(b, r, 9)
	} else {
		b = append(b, byte('1'+r.IntN(9)))
		b = appendDigits(b, r, 14)
	}
	good, _ := classify.LuhnCheckDigit(string(b))
	return string(append(b, wrongCheck(r, good)))
}

// BadMobile returns an 11-digit number starting with 1 whose prefix no
// mainland operator uses (10x, 11x, 12x).
func BadMobile(r *rand.Rand) string {
	b := []byte{'1', byte('0' + r.IntN(3))}
	return string(appendDigits(b, r, 9))
}

// OrderTimestamp returns an order or log timestamp in 2023–2025: a date
// that is not a birth date.
func OrderTimestamp(r *rand.Rand) string {
	days := daysFromCivil(2023, 1, 1) + r.Int64N(3*365)
	b := appendDate(nil, days, '-')
	if r.IntN(4) == 0 {
		return string(b) // a bare date
	}
	b = append(b, ' ')
	b = appendPad(b, r.IntN(24), 2)
	b = append(b, ':')
	b = appendPad(b, r.IntN(60), 2)
	b = append(b, ':')
	return string(appendPad(b, r.IntN(60), 2))
}

// BadHKID returns an HKID-shaped value with a wrong check character.
func BadHKID(r *rand.Rand) string {
	b := append([]byte(nil), "ACDEGHKMPRVYZ"[r.IntN(13)])
	b = appendDigits(b, r, 6)
	good, _ := classify.HKIDCheckChar(string(b))
	for {
		c := "0123456789A"[r.IntN(11)]
		if c != good {
			b = append(b, '(', c, ')')
			return string(b)
		}
	}
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// RandomAlnum returns n random upper-case letters and digits.
func RandomAlnum(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[r.IntN(len(alnum))]
	}
	return string(b)
}

// UUID returns a version-4 UUID drawn from r.
func UUID(r *rand.Rand) string {
	var u [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			u[i+j] = byte(v >> (8 * j))
		}
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 36)
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hex[x>>4], hex[x&15])
	}
	return string(b)
}

// ProductCode returns a SKU such as "SKU-AB12-3456".
func ProductCode(r *rand.Rand) string {
	b := []byte("SKU-")
	b = append(b, RandomAlnum(r, 4)...)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(1000+r.IntN(9000)), 10)
	return string(b)
}
