package secagg

import (
	"encoding/binary"
	"math/big"
	"math/bits"
)

// u128 is an element of the ring Z_2^128, stored as two 64-bit limbs.
// Signed values are two's complement: the value bounds (see [MaxAbs],
// [MaxRowsPerParty], [MaxParties]) keep every true total inside
// (-2^127, 2^127), so decoding with [u128.big] is unambiguous.
type u128 struct{ lo, hi uint64 }

func fromInt64(x int64) u128 { return u128{uint64(x), uint64(x >> 63)} }

func (a u128) add(b u128) u128 {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	return u128{lo, a.hi + b.hi + c}
}

func (a u128) sub(b u128) u128 {
	lo, c := bits.Sub64(a.lo, b.lo, 0)
	return u128{lo, a.hi - b.hi - c}
}

// addSquare adds x*x (x signed, |x| < 2^63).
func (a u128) addSquare(x int64) u128 {
	if x < 0 {
		x = -x
	}
	hi, lo := bits.Mul64(uint64(x), uint64(x))
	return a.add(u128{lo, hi})
}

// big decodes a two's-complement element to a signed integer.
func (a u128) big() *big.Int {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], a.hi)
	binary.BigEndian.PutUint64(b[8:], a.lo)
	v := new(big.Int).SetBytes(b[:])
	if a.hi>>63 == 1 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), 128))
	}
	return v
}

func (a u128) put(b []byte) {
	binary.LittleEndian.PutUint64(b, a.lo)
	binary.LittleEndian.PutUint64(b[8:], a.hi)
}

func getU128(b []byte) u128 {
	return u128{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])}
}
