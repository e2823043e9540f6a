package psi

import (
	"crypto/ecdh"
	"crypto/rand"

	"filippo.io/edwards25519/field"
)

// X25519 group: points are Montgomery u-coordinates of curve25519 (32
// bytes, little-endian, canonical), hashed with encode_to_curve of the
// RFC 9380 suite curve25519_XMD:SHA-512_ELL2_NU_ and exponentiated with
// X25519 (RFC 7748) from crypto/ecdh.

// x25519DSTPrefix starts the hash-to-curve domain-separation tag of the
// X25519 group; the session id follows it.
const x25519DSTPrefix = "xborder-psi-v1:curve25519_XMD:SHA-512_ELL2_NU_:"

var (
	feOne = new(field.Element).One()
	// feJ is the Montgomery coefficient A = 486662 of curve25519.
	feJ = func() *field.Element {
		var b [32]byte
		b[0], b[1], b[2] = 486662&0xff, (486662>>8)&0xff, 486662>>16
		e, err := new(field.Element).SetBytes(b[:])
		if err != nil {
			panic(err)
		}
		return e
	}()
	feTwo = new(field.Element).Add(feOne, feOne)
)

// hashToFieldCurve25519 is hash_to_field of RFC 9380, 5.2, for
// GF(2^255-19) with count 1 and L = 48: 48 bytes of expand_message_xmd,
// read big-endian and reduced mod p.
func hashToFieldCurve25519(dst, msg []byte) *field.Element {
	return fieldFromXMD(expandXMD(dst, msg, 48))
}

// fieldFromXMD reads 48 bytes of expand_message_xmd as hash_to_field does.
func fieldFromXMD(b []byte) *field.Element {
	var wide [64]byte // little-endian
	for i := range b {
		wide[i] = b[len(b)-1-i]
	}
	e, err := new(field.Element).SetWideBytes(wide[:])
	if err != nil {
		panic(err) // 64 bytes
	}
	return e
}

// mapToCurveElligator2 is map_to_curve_elligator2 for curve25519 (RFC
// 9380, 6.7.1, with Z = 2, following the straight-line version of
// appendix G.2.1 for x only). It returns the u-coordinate as xn / xd.
func mapToCurveElligator2(u *field.Element) (xn, xd *field.Element) {
	tv1 := new(field.Element).Square(u)
	tv1.Multiply(tv1, feTwo)                    // 2u²
	xd = new(field.Element).Add(tv1, feOne)     // 1 + 2u², nonzero: -1 is a square, 2u² is not
	x1n := new(field.Element).Negate(feJ)       // x1 = -J / (1 + 2u²)
	tv2 := new(field.Element).Square(xd)        // xd²
	gxd := new(field.Element).Multiply(tv2, xd) // xd³
	gx1 := new(field.Element).Multiply(feJ, tv1)
	gx1.Multiply(gx1, x1n)
	gx1.Add(gx1, tv2)
	gx1.Multiply(gx1, x1n) // x1n³ + J·x1n²·xd + x1n·xd²: g(x1) = gx1 / gxd
	// Is g(x1) a square? Then x = x1, else x = x2 = 2u²·x1.
	_, e1 := new(field.Element).SqrtRatio(gx1, gxd)
	x2n := new(field.Element).Multiply(x1n, tv1)
	xn = new(field.Element).Select(x1n, x2n, e1)
	return xn, xd
}

// montDouble sets (x, z) to the u-coordinate of twice the point (x : z),
// projectively: x' = (x²-z²)², z' = 4xz(x² + J·xz + z²).
func montDouble(x, z *field.Element) {
	xx := new(field.Element).Square(x)
	zz := new(field.Element).Square(z)
	xz := new(field.Element).Multiply(x, z)
	t := new(field.Element).Subtract(xx, zz)
	nx := new(field.Element).Square(t)
	s := new(field.Element).Multiply(feJ, xz)
	s.Add(s, xx)
	s.Add(s, zz)
	xz.Multiply(xz, s)
	xz.Add(xz, xz)
	xz.Add(xz, xz)
	x.Set(nx)
	z.Set(xz)
}

// encodeToCurve25519 is encode_to_curve of curve25519_XMD:SHA-512_ELL2_NU_
// (RFC 9380, 3 and 8.5): hash to one field element, map with Elligator 2,
// clear the cofactor (multiply by 8: three doublings). It returns the
// u-coordinate, 32 bytes little-endian; the point at infinity (reachable
// only from the few low-order outputs of the map) encodes as zero.
func encodeToCurve25519(dst, msg []byte) [32]byte {
	return encodeU(mapToCurveElligator2(hashToFieldCurve25519(dst, msg)))
}

func encodeU(xn, xd *field.Element) [32]byte {
	for range 3 {
		montDouble(xn, xd)
	}
	xd.Invert(xd) // 0 stays 0: infinity encodes as u = 0
	return [32]byte(new(field.Element).Multiply(xn, xd).Bytes())
}

// x25519Exp is a secret X25519 exponent. With masks set (CPUs with
// AVX-512 IFMA) the batch methods run the 8-way ladder of x25519_vec.go,
// otherwise crypto/ecdh one point at a time.
type x25519Exp struct {
	k     *ecdh.PrivateKey
	masks *[256]uint64 // ladder swap masks of the clamped scalar, or nil
}

func newX25519Exp() (*x25519Exp, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	return newX25519ExpFrom(b, haveLadder8())
}

// newX25519ExpFrom makes the exponent of the 32-byte secret b (clamped
// as RFC 7748 says), with or without the 8-way ladder.
func newX25519ExpFrom(b [32]byte, vec bool) (*x25519Exp, error) {
	k, err := ecdh.X25519().NewPrivateKey(b[:])
	if err != nil {
		return nil, err
	}
	x := &x25519Exp{k: k}
	if vec {
		x.masks = ladderMasks(clamp(b))
	}
	return x, nil
}

// decodeU checks that b is a canonical u-coordinate (below p, bit 255
// clear). Low-order points are refused by the exponentiation.
func decodeU(b []byte) error {
	e, err := new(field.Element).SetBytes(b)
	if err != nil || string(e.Bytes()) != string(b) {
		return ErrBadPoint
	}
	return nil
}

// exp writes X25519(k, u) to out; an all-zero result (u of low order, or
// the encoding of infinity) is refused.
func (x *x25519Exp) exp(u []byte, out []byte) error {
	if err := decodeU(u); err != nil {
		return err
	}
	pub, err := ecdh.X25519().NewPublicKey(u)
	if err != nil {
		return ErrBadPoint
	}
	s, err := x.k.ECDH(pub)
	if err != nil {
		return ErrBadPoint
	}
	copy(out, s)
	return nil
}

func (x *x25519Exp) hashExp(d []byte, key string, out []byte) error {
	u := encodeToCurve25519(d, []byte(key))
	return x.exp(u[:], out)
}

func (x *x25519Exp) expBatch(n int, in, out func(int) []byte) error {
	if x.masks == nil {
		return expEach(x, n, in, out)
	}
	us := make([][32]byte, min(n, vecBatch))
	for lo := 0; lo < n; lo += vecBatch {
		us = us[:min(vecBatch, n-lo)]
		for i := range us {
			u := in(lo + i)
			if err := decodeU(u); err != nil {
				return err
			}
			us[i] = [32]byte(u)
		}
		if err := x.ladder(us, lo, out); err != nil {
			return err
		}
	}
	return nil
}

func (x *x25519Exp) hashExpBatch(d []byte, keys []string, out func(int) []byte) error {
	if x.masks == nil {
		return hashExpEach(x, d, keys, out)
	}
	us := make([][32]byte, min(len(keys), vecBatch))
	var res [vecBatch][32]byte
	x8 := newXMD(d)
	var buf []byte
	for lo := 0; lo < len(keys); lo += vecBatch {
		us = us[:min(vecBatch, len(keys)-lo)]
		for i := range us {
			buf = x8.expandString(buf[:0], keys[lo+i], 48)
			us[i] = [32]byte(fieldFromXMD(buf).Bytes())
		}
		if err := hashX25519xN(x.masks, us, res[:len(us)]); err != nil {
			return err
		}
		if err := refuseZero(res[:len(us)], lo, out); err != nil {
			return err
		}
	}
	return nil
}

// ladder writes X25519(k, us[i]) to out(lo+i), refusing all-zero results
// as crypto/ecdh does (u of low order, or the encoding of infinity).
func (x *x25519Exp) ladder(us [][32]byte, lo int, out func(int) []byte) error {
	var res [vecBatch][32]byte
	if err := x25519xN(x.masks, us, res[:len(us)]); err != nil {
		return err
	}
	return refuseZero(res[:len(us)], lo, out)
}

// refuseZero copies res[i] to out(lo+i), or returns ErrBadPoint if one is
// all zero.
func refuseZero(res [][32]byte, lo int, out func(int) []byte) error {
	for i := range res {
		if res[i] == ([32]byte{}) {
			return ErrBadPoint
		}
		copy(out(lo+i), res[i][:])
	}
	return nil
}

// clamp returns the X25519 clamping of a 32-byte secret (RFC 7748, 5).
func clamp(seed [32]byte) *[32]byte {
	seed[0] &= 248
	seed[31] &= 127
	seed[31] |= 64
	return &seed
}
