package suite

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha512"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sync"
	"testing"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// Reference values from the definitions (RFC 8032 §5.1), with math/big.

var (
	refP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	// refL is the order of the base point, 2^252 + 27742317777372353535851937790883648493.
	refL = func() *big.Int {
		c, _ := new(big.Int).SetString("27742317777372353535851937790883648493", 10)
		return c.Add(c, new(big.Int).Lsh(big.NewInt(1), 252))
	}()
	refD = func() *big.Int {
		d := new(big.Int).ModInverse(big.NewInt(121666), refP)
		d.Mul(d, big.NewInt(-121665))
		return d.Mod(d, refP)
	}()
	refSqrtM1 = new(big.Int).Exp(big.NewInt(2), new(big.Int).Rsh(new(big.Int).Sub(refP, big.NewInt(1)), 2), refP)
)

// refSqrt returns a square root of a mod p (p ≡ 5 mod 8), or nil.
func refSqrt(a *big.Int) *big.Int {
	a = new(big.Int).Mod(a, refP)
	r := new(big.Int).Exp(a, new(big.Int).Rsh(new(big.Int).Add(refP, big.NewInt(3)), 3), refP)
	r2 := new(big.Int).Mul(r, r)
	if r2.Mod(r2, refP).Cmp(a) == 0 {
		return r
	}
	r.Mul(r, refSqrtM1).Mod(r, refP)
	r2.Mul(r, r)
	if r2.Mod(r2, refP).Cmp(a) == 0 {
		return r
	}
	return nil
}

// le32 is n as 32 little-endian bytes (n < 2^256).
func le32(n *big.Int) []byte {
	b := n.FillBytes(make([]byte, 32))
	for i := range 16 {
		b[i], b[31-i] = b[31-i], b[i]
	}
	return b
}

func fromLE(b []byte) *big.Int {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return new(big.Int).SetBytes(r)
}

// refEncode is the RFC 8032 §5.1.2 encoding of (x, y), both reduced.
func refEncode(x, y *big.Int) []byte {
	b := le32(y)
	b[31] |= byte(x.Bit(0)) << 7
	return b
}

// smallOrderPoints returns the canonical encodings of the eight points of
// order dividing 8, derived from the curve equation -x² + y² = 1 + dx²y²:
// the identity (0, 1); (0, -1) of order 2; (±√-1, 0) of order 4; and the
// four points of order 8, which double to (±√-1, 0): y(2P) = 0 means
// y² = -x², so d·x⁴ - 2x² - 1 = 0, x² = (1 ± √(1+d))/d, y = ±√-1·x.
func smallOrderPoints(t testing.TB) [][]byte {
	zero, one := big.NewInt(0), big.NewInt(1)
	minusOne := new(big.Int).Sub(refP, one)
	negI := new(big.Int).Sub(refP, refSqrtM1)
	pts := [][]byte{
		refEncode(zero, one),
		refEncode(zero, minusOne),
		refEncode(refSqrtM1, zero),
		refEncode(negI, zero),
	}
	s := refSqrt(new(big.Int).Add(refD, one))
	if s == nil {
		t.Fatal("1 + d is not a square")
	}
	dInv := new(big.Int).ModInverse(refD, refP)
	for _, sign := range []int{1, -1} {
		x2 := new(big.Int).Mul(big.NewInt(int64(sign)), s)
		x2.Add(x2, one).Mul(x2, dInv).Mod(x2, refP)
		x := refSqrt(x2)
		if x == nil {
			continue
		}
		for _, xx := range []*big.Int{x, new(big.Int).Sub(refP, x)} {
			y := new(big.Int).Mul(xx, refSqrtM1)
			y.Mod(y, refP)
			for _, yy := range []*big.Int{y, new(big.Int).Sub(refP, y)} {
				pts = append(pts, refEncode(xx, yy))
			}
		}
	}
	if len(pts) != 8 {
		t.Fatalf("found %d small-order points, want 8", len(pts))
	}
	// Cross-check with the library: each decodes, [8]P is the identity,
	// and the orders are 1, 2, 4, 4, 8, 8, 8, 8.
	id := edwards25519.NewIdentityPoint()
	for i, b := range pts {
		p, err := new(edwards25519.Point).SetBytes(b)
		if err != nil {
			t.Fatalf("small-order point %x: %v", b, err)
		}
		if !bytes.Equal(p.Bytes(), b) {
			t.Fatalf("small-order point %x re-encodes to %x", b, p.Bytes())
		}
		order := 1
		for q := new(edwards25519.Point).Set(p); q.Equal(id) != 1; q.Add(q, p) {
			order++
		}
		if want := []int{1, 2, 4, 4, 8, 8, 8, 8}[i]; order != want {
			t.Fatalf("point %x has order %d, want %d", b, order, want)
		}
	}
	return pts
}

// nonCanonicalEncodings returns encodings that are not the canonical
// encoding of any point: y + p for y in 0 … 18 (2^255-19 … 2^255-1), with
// either sign bit, and "negative zero" x for the points with x = 0, the
// identity and (0, -1). Some decode (Point.SetBytes is lax about them, as
// crypto/ed25519 is), some do not.
func nonCanonicalEncodings() [][]byte {
	var out [][]byte
	for y := range int64(19) {
		b := le32(new(big.Int).Add(refP, big.NewInt(y)))
		out = append(out, b, append(b[:31:31], b[31]|0x80))
	}
	out = append(out, refEncode(big.NewInt(1), big.NewInt(1))) // (-0, 1)
	out = append(out, refEncode(big.NewInt(1), new(big.Int).Sub(refP, big.NewInt(1))))
	return out
}

func newTestRand(seed byte) *rand.ChaCha8 { return rand.NewChaCha8([32]byte{seed, 0xed}) }

func randomKey(r *rand.ChaCha8) (ed25519.PublicKey, ed25519.PrivateKey) {
	seed := make([]byte, ed25519.SeedSize)
	r.Read(seed)
	priv := ed25519.NewKeyFromSeed(seed)
	return priv.Public().(ed25519.PublicKey), priv
}

func mustPrepare(t testing.TB, pub []byte) *Ed25519Verifier {
	t.Helper()
	v, err := PrepareEd25519(pub)
	if err != nil {
		t.Fatalf("PrepareEd25519(%x): %v", pub, err)
	}
	return v
}

// checkSame asserts that the prepared verifier agrees with crypto/ed25519
// and returns the verdict.
func checkSame(t testing.TB, v *Ed25519Verifier, pub, msg, sig []byte) bool {
	t.Helper()
	want := ed25519.Verify(pub, msg, sig)
	if got := v.Verify(msg, sig); got != want {
		t.Fatalf("pub %x msg %x sig %x: prepared %v, crypto/ed25519 %v", pub, msg, sig, got, want)
	}
	return want
}

func TestEd25519PreparedRFC8032(t *testing.T) {
	var vs []struct{ Name, Secret, Public, Message, Signature string }
	readVectors(t, "rfc8032_ed25519.json", &vs)
	for _, tv := range vs {
		t.Run(tv.Name, func(t *testing.T) {
			pub, msg, sig := unhex(t, tv.Public), unhex(t, tv.Message), unhex(t, tv.Signature)
			v := mustPrepare(t, pub)
			if !checkSame(t, v, pub, msg, sig) {
				t.Fatal("the vector's signature does not verify")
			}
			for _, bit := range []int{0, 255, 256, 511} {
				bad := bytes.Clone(sig)
				bad[bit/8] ^= 1 << (bit % 8)
				if checkSame(t, v, pub, msg, bad) {
					t.Fatalf("bit %d flipped verifies", bit)
				}
			}
			if checkSame(t, v, pub, append(bytes.Clone(msg), 0), sig) {
				t.Fatal("longer message verifies")
			}
		})
	}
}

// addL returns the 32-byte S + l, a non-canonical encoding of S (it fits:
// S + l < 2l < 2^254).
func addL(s []byte) []byte { return le32(new(big.Int).Add(fromLE(s), refL)) }

func TestEd25519PreparedRandom(t *testing.T) {
	r := newTestRand(1)
	rnd := rand.New(r)
	var accepted, rejected int
	for range 16 {
		pub, priv := randomKey(r)
		_, other := randomKey(r)
		v := mustPrepare(t, pub)
		for range 8 {
			msg := make([]byte, rnd.IntN(300))
			r.Read(msg)
			sig := ed25519.Sign(priv, msg)
			variants := [][]byte{sig, ed25519.Sign(other, msg)}
			for _, region := range [][2]int{{0, 256}, {256, 512}} {
				for range 4 {
					bad := bytes.Clone(sig)
					bit := region[0] + rnd.IntN(region[1]-region[0])
					bad[bit/8] ^= 1 << (bit % 8)
					variants = append(variants, bad)
				}
			}
			variants = append(variants,
				append(bytes.Clone(sig[:32]), addL(sig[32:])...), // S + l
				append(bytes.Clone(sig[:32]), make([]byte, 32)...),
				sig[:63], append(bytes.Clone(sig), 0), nil)
			hi := bytes.Clone(sig)
			hi[63] |= 0x80
			variants = append(variants, hi)
			for _, s := range variants {
				if checkSame(t, v, pub, msg, s) {
					accepted++
				} else {
					rejected++
				}
			}
			if len(msg) > 0 {
				bad := bytes.Clone(msg)
				bad[rnd.IntN(len(bad))] ^= 1 << rnd.IntN(8)
				if checkSame(t, v, pub, bad, sig) {
					t.Fatal("signature verifies for a changed message")
				}
			}
		}
	}
	if accepted != 16*8 {
		t.Fatalf("%d signatures accepted, want the %d valid ones", accepted, 16*8)
	}
	t.Logf("%d accepted, %d rejected, all as crypto/ed25519", accepted, rejected)
}

// signWith signs msg as RFC 8032 does but with any public-key encoding:
// R = [r]B, S = r + SHA-512(R || pub || msg)·a mod l.
func signWith(a, r *edwards25519.Scalar, pub, msg []byte) []byte {
	R := new(edwards25519.Point).ScalarBaseMult(r).Bytes()
	h := sha512.New()
	h.Write(R)
	h.Write(pub)
	h.Write(msg)
	k, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(nil))
	S := new(edwards25519.Scalar).MultiplyAdd(k, a, r)
	return append(R, S.Bytes()...)
}

func randomScalar(r *rand.ChaCha8) *edwards25519.Scalar {
	var b [64]byte
	r.Read(b[:])
	s, _ := new(edwards25519.Scalar).SetUniformBytes(b[:])
	return s
}

// TestEd25519PreparedMixedOrderKeys uses keys A' = [a]B + T with T of
// small order, signing with a: [S]B - [k]A' = R - [k]T, so the cofactorless
// check accepts exactly when [k]T is the identity, which depends on k mod
// the order of T. Both verifiers must draw the line at the same place.
func TestEd25519PreparedMixedOrderKeys(t *testing.T) {
	r := newTestRand(2)
	small := smallOrderPoints(t)
	accepts := map[int]int{}
	for ti, tb := range small {
		T, _ := new(edwards25519.Point).SetBytes(tb)
		a := randomScalar(r)
		A := new(edwards25519.Point).ScalarBaseMult(a)
		pub := new(edwards25519.Point).Add(A, T).Bytes()
		v := mustPrepare(t, pub)
		for i := range 24 {
			msg := []byte(fmt.Sprintf("mixed-order key %d message %d", ti, i))
			sig := signWith(a, randomScalar(r), pub, msg)
			if checkSame(t, v, pub, msg, sig) {
				accepts[ti]++
			}
			// The same signature with R moved by T never verifies (unless
			// T is the identity).
			R, _ := new(edwards25519.Point).SetBytes(sig[:32])
			moved := append(new(edwards25519.Point).Add(R, T).Bytes(), sig[32:]...)
			checkSame(t, v, pub, msg, moved)
		}
	}
	// The identity always verifies, order 2 about half the time, order 8
	// about an eighth: some accepted, some not.
	if accepts[0] != 24 {
		t.Fatalf("prime-order key: %d of 24 accepted", accepts[0])
	}
	total := 0
	for ti := 1; ti < len(small); ti++ {
		total += accepts[ti]
	}
	if total == 0 || total == 24*(len(small)-1) {
		t.Fatalf("mixed-order keys: %d of %d accepted, want some of each", total, 24*(len(small)-1))
	}
	t.Logf("mixed-order keys: accepted per torsion point %v of 24", accepts)
}

// TestEd25519PreparedEdgeCases runs the small-order, non-canonical and
// identity encodings of "Taming the many EdDSAs" (Chalkias, Garillot,
// Nikolaenko, 2020), ZIP 215 and Wycheproof as keys and as R, with S of 0,
// 1, l-1, l, l+1, a random S and the largest 253- and 256-bit values.
func TestEd25519PreparedEdgeCases(t *testing.T) {
	r := newTestRand(3)
	small := smallOrderPoints(t)
	nonCanon := nonCanonicalEncodings()
	normal, priv := randomKey(r)
	base := edwards25519.NewGeneratorPoint().Bytes()

	keys := append(append([][]byte{normal, base}, small...), nonCanon...)
	Rs := append(append([][]byte{base, make([]byte, 32)}, small...), nonCanon...)
	big253 := le32(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 253), big.NewInt(1)))
	Ss := [][]byte{
		make([]byte, 32),
		le32(big.NewInt(1)),
		le32(new(big.Int).Sub(refL, big.NewInt(1))),
		le32(refL),
		le32(new(big.Int).Add(refL, big.NewInt(1))),
		randomScalar(r).Bytes(),
		big253,
		bytes.Repeat([]byte{0xff}, 32),
	}
	msgs := [][]byte{nil, []byte("edge")}

	var prepared, accepted, total int
	for _, pub := range keys {
		v, err := PrepareEd25519(pub)
		if _, derr := new(edwards25519.Point).SetBytes(pub); (err == nil) != (derr == nil) {
			t.Fatalf("PrepareEd25519(%x): %v, but Point.SetBytes: %v", pub, err, derr)
		}
		if err != nil {
			// crypto/ed25519 rejects every signature by such a key.
			for _, sig := range [][]byte{ed25519.Sign(priv, nil), append(bytes.Clone(base), make([]byte, 32)...)} {
				if ed25519.Verify(pub, nil, sig) {
					t.Fatalf("undecodable key %x verifies", pub)
				}
			}
			continue
		}
		prepared++
		for ri, R := range Rs {
			for si, S := range Ss {
				// Every R with S = 0, where small-order keys can verify,
				// under two messages; the canonical ones with other S.
				if si > 0 && ri >= 2+len(small) {
					break
				}
				for i, msg := range msgs {
					if i > 0 && si > 0 {
						break
					}
					sig := append(bytes.Clone(R), S...)
					total++
					if checkSame(t, v, pub, msg, sig) {
						accepted++
					}
				}
			}
		}
	}
	// Among these, S = 0 with R = -[k]A for a small-order A verifies in
	// both (the identity key with the identity R always does).
	if accepted == 0 {
		t.Fatal("no edge case verifies: the comparison is vacuous")
	}
	t.Logf("%d keys prepared of %d, %d of %d signatures accepted, all as crypto/ed25519", prepared, len(keys), accepted, total)

	// The identity key with R = identity and S = 0: [0]B - [k]O = O.
	id := small[0]
	sig := append(bytes.Clone(id), make([]byte, 32)...)
	if !checkSame(t, mustPrepare(t, id), id, []byte("anything"), sig) {
		t.Fatal("identity key, identity R, S = 0 does not verify")
	}
}

func TestPrepareEd25519Errors(t *testing.T) {
	for _, pub := range [][]byte{nil, make([]byte, 31), make([]byte, 33)} {
		if _, err := PrepareEd25519(pub); err == nil {
			t.Errorf("key of %d bytes prepared", len(pub))
		}
	}
	// y = 2 is not the y of a curve point.
	if _, err := PrepareEd25519(le32(big.NewInt(2))); err == nil {
		t.Error("a non-point prepared")
	}
}

// The point arithmetic against the library's.

func (v *edExt) point(t testing.TB) *edwards25519.Point {
	t.Helper()
	p, err := new(edwards25519.Point).SetExtendedCoordinates(&v.X, &v.Y, &v.Z, &v.T)
	if err != nil {
		t.Fatal("invalid extended coordinates:", err)
	}
	return p
}

func (e *edNiels) point(t testing.TB) *edwards25519.Point {
	t.Helper()
	var half, x, y, xy2d, one field.Element
	half.Invert(new(field.Element).Mult32(one.One(), 2))
	x.Subtract(&e.YplusX, &e.YminusX).Multiply(&x, &half)
	y.Add(&e.YplusX, &e.YminusX).Multiply(&y, &half)
	xy2d.Multiply(&x, &y).Multiply(&xy2d, &ed2D)
	if xy2d.Equal(&e.XY2d) != 1 {
		t.Fatal("table entry: 2dxy inconsistent with x and y")
	}
	var xy field.Element
	xy.Multiply(&x, &y)
	p, err := new(edwards25519.Point).SetExtendedCoordinates(&x, &y, &one, &xy)
	if err != nil {
		t.Fatal("table entry is not a curve point:", err)
	}
	return p
}

func testPoints(t testing.TB, r *rand.ChaCha8) []*edwards25519.Point {
	var pts []*edwards25519.Point
	small := smallOrderPoints(t)
	for _, b := range small {
		p, _ := new(edwards25519.Point).SetBytes(b)
		pts = append(pts, p)
	}
	for i := range 12 {
		p := new(edwards25519.Point).ScalarBaseMult(randomScalar(r))
		T, _ := new(edwards25519.Point).SetBytes(small[i%8])
		pts = append(pts, p, new(edwards25519.Point).Add(p, T))
	}
	return pts
}

func TestEdArithmetic(t *testing.T) {
	pts := testPoints(t, newTestRand(4))
	// Each point normalized to a table entry, the operand of addNiels.
	niels := make([]edNiels, len(pts))
	for j, q := range pts {
		var qe edExt
		niels[j] = newEdTable(qe.fromPoint(q), 2).entries[0]
		if niels[j].point(t).Equal(q) != 1 {
			t.Fatalf("point %d: normalization differs", j)
		}
	}
	for i, p := range pts {
		var pe, dbl edExt
		pe.fromPoint(p)
		if dbl.double(&pe).point(t).Equal(new(edwards25519.Point).Double(p)) != 1 {
			t.Fatalf("point %d: double differs", i)
		}
		for j, q := range pts {
			var qe, sum edExt
			var qc edCached
			qe.fromPoint(q)
			want := new(edwards25519.Point).Add(p, q)
			if sum.addCached(&pe, qc.fromExt(&qe)).point(t).Equal(want) != 1 {
				t.Fatalf("points %d + %d: addCached differs", i, j)
			}
			if sum.addNiels(&pe, &niels[j], false).point(t).Equal(want) != 1 {
				t.Fatalf("points %d + %d: addNiels differs", i, j)
			}
			want.Subtract(p, q)
			if sum.addNiels(&pe, &niels[j], true).point(t).Equal(want) != 1 {
				t.Fatalf("points %d - %d: addNiels differs", i, j)
			}
		}
	}
}

func TestEd2D(t *testing.T) {
	var want field.Element
	if _, err := want.SetBytes(le32(new(big.Int).Mod(new(big.Int).Lsh(refD, 1), refP))); err != nil {
		t.Fatal(err)
	}
	if ed2D.Equal(&want) != 1 {
		t.Fatalf("2d = %x, want %x", ed2D.Bytes(), want.Bytes())
	}
}

// TestEdTables checks every entry of the base table and of a mixed-order
// key's table by induction with the library's arithmetic: entry (0, 1) is
// P, entry (j, i) is entry (j, i-1) + entry (j, 1), entry (j+1, 1) is
// 2^w · entry (j, 1).
func TestEdTables(t *testing.T) {
	r := newTestRand(5)
	T, _ := new(edwards25519.Point).SetBytes(smallOrderPoints(t)[5])
	key := new(edwards25519.Point).Add(new(edwards25519.Point).ScalarBaseMult(randomScalar(r)), T)
	var ke edExt
	for _, c := range []struct {
		name string
		p    *edwards25519.Point
		t    *edTable
	}{
		{"base", edwards25519.NewGeneratorPoint(), ed25519BaseTable()},
		{"mixed-order key", key, newEdTable(ke.fromPoint(key), ed25519KeyWindow)},
	} {
		cols := 1 << (c.t.w - 1)
		if c.t.rows != edRows(c.t.w) || len(c.t.entries) != c.t.rows*cols {
			t.Fatalf("%s: %d rows, %d entries", c.name, c.t.rows, len(c.t.entries))
		}
		first := new(edwards25519.Point).Set(c.p)
		for j := range c.t.rows {
			acc := edwards25519.NewIdentityPoint()
			for i := range cols {
				acc.Add(acc, first)
				if c.t.entries[j*cols+i].point(t).Equal(acc) != 1 {
					t.Fatalf("%s: entry (%d, %d) is wrong", c.name, j, i+1)
				}
			}
			for range c.t.w {
				first.Double(first)
			}
		}
	}
}

func TestRecode(t *testing.T) {
	r := newTestRand(6)
	var scalars [][32]byte
	for _, n := range []*big.Int{
		big.NewInt(0), big.NewInt(1),
		new(big.Int).Sub(refL, big.NewInt(1)),
		new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 253), big.NewInt(1)),
		new(big.Int).Lsh(big.NewInt(1), 252),
	} {
		scalars = append(scalars, [32]byte(le32(n)))
	}
	for range 200 {
		var s [32]byte
		r.Read(s[:])
		s[31] &= 0x1f // below 2^253
		scalars = append(scalars, s)
	}
	for w := 2; w <= 10; w++ {
		half := int32(1) << (w - 1)
		for _, s := range scalars {
			d := make([]int32, edRows(w))
			recode(d, &s, w)
			sum := new(big.Int)
			for j := len(d) - 1; j >= 0; j-- {
				if d[j] <= -half || d[j] > half {
					t.Fatalf("w %d: digit %d out of range", w, d[j])
				}
				sum.Lsh(sum, uint(w)).Add(sum, big.NewInt(int64(d[j])))
			}
			if sum.Cmp(fromLE(s[:])) != 0 {
				t.Fatalf("w %d: digits of %x sum to %x", w, s, sum)
			}
		}
	}
}

func TestEdEncodes(t *testing.T) {
	for i, p := range testPoints(t, newTestRand(7)) {
		var e edExt
		e.fromPoint(p)
		// A non-trivial Z, as after additions.
		var z field.Element
		z.Mult32(new(field.Element).One(), uint32(1000+i))
		e.X.Multiply(&e.X, &z)
		e.Y.Multiply(&e.Y, &z)
		e.Z.Multiply(&e.Z, &z)
		e.T.Multiply(&e.T, &z)
		enc := p.Bytes()
		if !e.encodes(enc) {
			t.Fatalf("point %d does not match its encoding %x", i, enc)
		}
		flipped := bytes.Clone(enc)
		flipped[31] ^= 0x80
		if e.encodes(flipped) {
			t.Fatalf("point %d matches %x with the sign flipped", i, flipped)
		}
		y := fromLE(enc)
		y.SetBit(y, 255, 0)
		if y.Cmp(big.NewInt(19)) < 0 {
			nc := le32(y.Add(y, refP))
			nc[31] |= enc[31] & 0x80
			if e.encodes(nc) {
				t.Fatalf("point %d matches the non-canonical %x", i, nc)
			}
		}
	}
}

// The cache.

func TestVerifierCache(t *testing.T) {
	r := newTestRand(8)
	const max = 3
	c := NewVerifierCache(max)
	type key struct {
		pub  ed25519.PublicKey
		priv ed25519.PrivateKey
	}
	var keys []key
	for range 8 {
		pub, priv := randomKey(r)
		keys = append(keys, key{pub, priv})
	}
	for round := range 4 {
		for i, k := range keys {
			msg := []byte(fmt.Sprintf("round %d key %d", round, i))
			sig := ed25519.Sign(k.priv, msg)
			if err := c.Verify(Ed25519, k.pub, msg, sig); err != nil {
				t.Fatalf("round %d key %d: %v", round, i, err)
			}
			sig[40] ^= 2
			err := c.Verify(Ed25519, k.pub, msg, sig)
			if want := Verify(Ed25519, k.pub, msg, sig); !errors.Is(err, ErrBadSignature) || err.Error() != want.Error() {
				t.Fatalf("round %d key %d: bad signature gives %v, Verify %v", round, i, err, want)
			}
			if len(c.prepared) > max {
				t.Fatalf("%d keys prepared, max %d", len(c.prepared), max)
			}
		}
	}
	if len(c.prepared) != max {
		t.Fatalf("%d keys prepared, want %d", len(c.prepared), max)
	}

	// Least recently used eviction: prepare keys 0, 1, 2, use 0, then
	// prepare 3, which evicts 1.
	c = NewVerifierCache(max)
	use := func(i int) {
		t.Helper()
		msg := []byte(fmt.Sprint("lru ", i))
		if err := c.Verify(Ed25519, keys[i].pub, msg, ed25519.Sign(keys[i].priv, msg)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		use(i)
		use(i)
	}
	use(0)
	use(3)
	use(3)
	for i, want := range []bool{true, false, true, true} {
		if got := c.prepared[[32]byte(keys[i].pub)] != nil; got != want {
			t.Fatalf("key %d prepared %v, want %v", i, got, want)
		}
	}
	// The list and the map agree.
	n := 0
	for e := c.lru.next; e != &c.lru; e = e.next {
		if c.prepared[e.key] != e {
			t.Fatal("LRU list and map disagree")
		}
		n++
	}
	if n != len(c.prepared) {
		t.Fatalf("LRU list has %d entries, map %d", n, len(c.prepared))
	}
}

func TestVerifierCachePreparesOnSecondValidSignature(t *testing.T) {
	r := newTestRand(9)
	c := NewVerifierCache(4)
	pub, priv := randomKey(r)
	sig := ed25519.Sign(priv, []byte("m"))
	bad := bytes.Clone(sig)
	bad[0] ^= 1
	for range 3 { // invalid signatures do not count
		if err := c.Verify(Ed25519, pub, []byte("m"), bad); !errors.Is(err, ErrBadSignature) {
			t.Fatal(err)
		}
	}
	if err := c.Verify(Ed25519, pub, []byte("m"), sig); err != nil {
		t.Fatal(err)
	}
	if len(c.prepared) != 0 || c.seen[[32]byte(pub)].count != 1 {
		t.Fatalf("after one valid signature: %d prepared, seen %+v", len(c.prepared), c.seen[[32]byte(pub)])
	}
	if err := c.Verify(Ed25519, pub, []byte("m"), sig); err != nil {
		t.Fatal(err)
	}
	if c.prepared[[32]byte(pub)] == nil || len(c.seen) != 0 {
		t.Fatal("key not prepared after its second valid signature")
	}
}

func TestVerifierCacheSeenBound(t *testing.T) {
	r := newTestRand(10)
	c := NewVerifierCache(1)
	for range 40 {
		pub, priv := randomKey(r)
		if err := c.Verify(Ed25519, pub, nil, ed25519.Sign(priv, nil)); err != nil {
			t.Fatal(err)
		}
		if len(c.seen) > 8 || len(c.ring) > 8 {
			t.Fatalf("%d keys remembered, bound 8", len(c.seen))
		}
	}
	if len(c.prepared) != 0 {
		t.Fatal("a key seen once was prepared")
	}
}

// TestVerifierCacheErrors checks that the cache returns what Verify
// returns for every kind of bad input, and passes other algorithms through.
func TestVerifierCacheErrors(t *testing.T) {
	r := newTestRand(11)
	pub, priv := randomKey(r)
	msg := []byte("message")
	sig := ed25519.Sign(priv, msg)
	p256, err := Generate(P256, nil)
	if err != nil {
		t.Fatal(err)
	}
	p256sig, _ := p256.Sign(msg)
	sm2, err := Generate(SM2, nil)
	if err != nil {
		t.Fatal(err)
	}
	sm2sig, _ := sm2.Sign(msg)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), r)
	cases := []struct {
		name string
		alg  Alg
		pub  any
		sig  []byte
	}{
		{"ok", Ed25519, pub, sig},
		{"ecdsa key", Ed25519, &ecKey.PublicKey, sig},
		{"pointer key", Ed25519, &pub, sig},
		{"bytes key", Ed25519, []byte(pub), sig},
		{"short key", Ed25519, pub[:31], sig},
		{"nil key", Ed25519, nil, sig},
		{"short sig", Ed25519, pub, sig[:63]},
		{"long sig", Ed25519, pub, append(bytes.Clone(sig), 0)},
		{"nil sig", Ed25519, pub, nil},
		{"undecodable key", Ed25519, ed25519.PublicKey(le32(big.NewInt(2))), sig},
		{"p256 ok", P256, p256.Public(), p256sig},
		{"p256 bad", P256, p256.Public(), sig},
		{"p256 ed key", P256, pub, p256sig},
		{"sm2 ok", SM2, sm2.Public(), sm2sig},
		{"sm2 bad", SM2, sm2.Public(), p256sig},
		{"unknown alg", Alg("rsa"), pub, sig},
	}
	for _, cache := range []*VerifierCache{NewVerifierCache(2), NewVerifierCache(0), nil} {
		for round := range 3 { // the third round runs on prepared keys
			for _, tc := range cases {
				want := Verify(tc.alg, tc.pub, msg, tc.sig)
				got := cache.Verify(tc.alg, tc.pub, msg, tc.sig)
				if (got == nil) != (want == nil) || got != nil && (got.Error() != want.Error() ||
					errors.Is(got, ErrBadSignature) != errors.Is(want, ErrBadSignature)) {
					t.Fatalf("round %d %s: cache %v, Verify %v", round, tc.name, got, want)
				}
			}
		}
	}
}

func TestVerifierCacheConcurrent(t *testing.T) {
	r := newTestRand(12)
	c := NewVerifierCache(3)
	type item struct {
		pub      ed25519.PublicKey
		msg, sig []byte
		ok       bool
	}
	var items []item
	for i := range 6 {
		pub, priv := randomKey(r)
		for j := range 4 {
			msg := []byte(fmt.Sprintf("key %d msg %d", i, j))
			sig := ed25519.Sign(priv, msg)
			items = append(items, item{pub, msg, sig, true})
			bad := bytes.Clone(sig)
			bad[j] ^= 4
			items = append(items, item{pub, msg, bad, false})
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			rr := rand.New(rand.NewPCG(uint64(g), 1))
			for range 60 {
				it := items[rr.IntN(len(items))]
				err := c.Verify(Ed25519, it.pub, it.msg, it.sig)
				if (err == nil) != it.ok || err != nil && !errors.Is(err, ErrBadSignature) {
					errs <- fmt.Errorf("goroutine %d: %x: %v, want ok %v", g, it.sig[:4], err, it.ok)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.prepared) > 3 {
		t.Fatalf("%d prepared, max 3", len(c.prepared))
	}
}

// FuzzEd25519Prepared checks the prepared verifier against crypto/ed25519
// on arbitrary keys, messages and signatures, and on a valid signature by
// a key derived from the inputs.
func FuzzEd25519Prepared(f *testing.F) {
	r := newTestRand(13)
	pub, priv := randomKey(r)
	msg := []byte("fuzz")
	sig := ed25519.Sign(priv, msg)
	f.Add([]byte(pub), msg, sig)
	f.Add([]byte(pub), msg, append(bytes.Clone(sig[:32]), addL(sig[32:])...))
	small := smallOrderPoints(f)
	for _, a := range small {
		for _, R := range small[:3] {
			f.Add(a, msg, append(bytes.Clone(R), make([]byte, 32)...))
		}
	}
	for _, a := range nonCanonicalEncodings()[:6] {
		f.Add(a, []byte(nil), append(bytes.Clone(small[0]), make([]byte, 32)...))
	}
	f.Add(make([]byte, 31), msg, sig)
	f.Add(make([]byte, 32), msg, sig[:63])
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		v, err := PrepareEd25519(pub)
		if len(pub) != ed25519.PublicKeySize {
			if err == nil {
				t.Fatalf("key of %d bytes prepared", len(pub))
			}
			return
		}
		if err != nil {
			if _, derr := new(edwards25519.Point).SetBytes(pub); derr == nil {
				t.Fatalf("decodable key %x not prepared: %v", pub, err)
			}
			if ed25519.Verify(pub, msg, sig) {
				t.Fatalf("crypto/ed25519 accepts a signature by the unprepared key %x", pub)
			}
			return
		}
		checkSame(t, v, pub, msg, sig)

		// A valid signature by the key whose seed is pub, and the fuzzed
		// signature's bytes spliced into it.
		priv := ed25519.NewKeyFromSeed(pub)
		kpub := priv.Public().(ed25519.PublicKey)
		kv := mustPrepare(t, kpub)
		good := ed25519.Sign(priv, msg)
		if !checkSame(t, kv, kpub, msg, good) {
			t.Fatal("valid signature rejected")
		}
		if len(sig) == ed25519.SignatureSize {
			checkSame(t, kv, kpub, msg, append(bytes.Clone(good[:32]), sig[32:]...))
			checkSame(t, kv, kpub, msg, append(bytes.Clone(sig[:32]), good[32:]...))
		}
	})
}

// Benchmarks: one key, a 256-byte message, as BenchmarkVerify.

func benchKey(b *testing.B) (ed25519.PublicKey, []byte, []byte) {
	r := newTestRand(14)
	pub, priv := randomKey(r)
	msg := make([]byte, 256)
	r.Read(msg)
	return pub, msg, ed25519.Sign(priv, msg)
}

func reportRate(b *testing.B, unit string) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, unit)
	}
}

func BenchmarkEd25519VerifyStdlib(b *testing.B) {
	pub, msg, sig := benchKey(b)
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("rejected")
		}
	}
	reportRate(b, "verify/s")
}

func BenchmarkEd25519VerifyPrepared(b *testing.B) {
	pub, msg, sig := benchKey(b)
	v := mustPrepare(b, pub)
	for b.Loop() {
		if !v.Verify(msg, sig) {
			b.Fatal("rejected")
		}
	}
	reportRate(b, "verify/s")
}

// BenchmarkEd25519VerifyCache is the cache's hit path: a prepared verify
// plus the lookup.
func BenchmarkEd25519VerifyCache(b *testing.B) {
	pub, msg, sig := benchKey(b)
	var key crypto.PublicKey = pub // boxed once, as a caller holding the key would
	c := NewVerifierCache(16)
	for range ed25519PrepareAfter {
		if err := c.Verify(Ed25519, key, msg, sig); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if err := c.Verify(Ed25519, key, msg, sig); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, "verify/s")
}

func BenchmarkEd25519Prepare(b *testing.B) {
	pub, _, _ := benchKey(b)
	ed25519BaseTable()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PrepareEd25519(pub); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, "prepare/s")
}
