package suite

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

// The published test vectors; testdata/README.md names their sources.

func readVectors(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func bigHex(t *testing.T, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		t.Fatalf("bad hex integer %q", s)
	}
	return n
}

func TestVectorsEd25519RFC8032(t *testing.T) {
	var vs []struct{ Name, Secret, Public, Message, Signature string }
	readVectors(t, "rfc8032_ed25519.json", &vs)
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			priv := ed25519.NewKeyFromSeed(unhex(t, v.Secret))
			s, err := NewSigner(priv)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := MarshalPublicKey(Ed25519, s.Public())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pub, unhex(t, v.Public)) {
				t.Fatalf("public key %x, want %s", pub, v.Public)
			}
			msg := unhex(t, v.Message)
			sig, err := s.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sig, unhex(t, v.Signature)) {
				t.Fatalf("signature %x, want %s", sig, v.Signature)
			}
			if err := Verify(Ed25519, s.Public(), msg, sig); err != nil {
				t.Fatal(err)
			}
			sig[0] ^= 1
			if err := Verify(Ed25519, s.Public(), msg, sig); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("tampered signature: %v", err)
			}
		})
	}
}

func TestVectorsHashes(t *testing.T) {
	var vs []struct {
		Name, Hash, Digest string
		MessageASCII       string `json:"message_ascii"`
	}
	readVectors(t, "hashes.json", &vs)
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			var s *Suite
			switch v.Hash {
			case "sm3":
				s = GM
			case "sha-256":
				s = Intl
			default:
				t.Fatalf("unknown hash %q", v.Hash)
			}
			if got := s.Sum([]byte(v.MessageASCII)); !bytes.Equal(got, unhex(t, v.Digest)) {
				t.Fatalf("%s(%q) = %x, want %s", v.Hash, v.MessageASCII, got, v.Digest)
			}
		})
	}
}

func TestVectorsSM4(t *testing.T) {
	var vs []struct {
		Name, Key, Plaintext, Ciphertext string
		Iterations                       int
	}
	readVectors(t, "sm4.json", &vs)
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			if v.Iterations > 1000 && testing.Short() {
				t.Skip("long vector skipped with -short")
			}
			c, err := sm4.NewCipher(unhex(t, v.Key))
			if err != nil {
				t.Fatal(err)
			}
			b := unhex(t, v.Plaintext)
			for range v.Iterations {
				c.Encrypt(b, b)
			}
			if !bytes.Equal(b, unhex(t, v.Ciphertext)) {
				t.Fatalf("got %x, want %s", b, v.Ciphertext)
			}
		})
	}
}

func TestVectorsAES256GCM(t *testing.T) { testGCMVectors(t, Intl, "aes256gcm.json") }

func TestVectorsSM4GCM(t *testing.T) { testGCMVectors(t, GM, "sm4gcm.json") }

func testGCMVectors(t *testing.T, s *Suite, file string) {
	var vs []struct{ Name, Key, IV, Plaintext, AAD, Ciphertext, Tag string }
	readVectors(t, file, &vs)
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			g, err := s.NewAEAD(unhex(t, v.Key))
			if err != nil {
				t.Fatal(err)
			}
			want := append(unhex(t, v.Ciphertext), unhex(t, v.Tag)...)
			got := g.Seal(nil, unhex(t, v.IV), unhex(t, v.Plaintext), unhex(t, v.AAD))
			if !bytes.Equal(got, want) {
				t.Fatalf("got %x, want %x", got, want)
			}
			pt, err := g.Open(nil, unhex(t, v.IV), want, unhex(t, v.AAD))
			if err != nil || !bytes.Equal(pt, unhex(t, v.Plaintext)) {
				t.Fatalf("open: %x, %v", pt, err)
			}
		})
	}
}

func TestVectorsP256RFC6979(t *testing.T) {
	var vs []struct {
		Name, X, Ux, Uy, R, S string
		MessageASCII          string `json:"message_ascii"`
	}
	readVectors(t, "rfc6979_p256.json", &vs)
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), unhex(t, v.X))
			if err != nil {
				t.Fatal(err)
			}
			if priv.X.Cmp(bigHex(t, v.Ux)) != 0 || priv.Y.Cmp(bigHex(t, v.Uy)) != 0 {
				t.Fatal("public key does not match the vector")
			}
			sig := append(unhex(t, v.R), unhex(t, v.S)...)
			msg := []byte(v.MessageASCII)
			if err := Verify(P256, &priv.PublicKey, msg, sig); err != nil {
				t.Fatal(err)
			}
			if err := Verify(P256, &priv.PublicKey, append(msg, '!'), sig); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("other message: %v", err)
			}
			// Our own signature with the same key verifies too.
			s, err := NewSigner(priv)
			if err != nil {
				t.Fatal(err)
			}
			own, err := s.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(P256, &priv.PublicKey, msg, own); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestVectorsX25519RFC7748(t *testing.T) {
	var vs []struct{ Name, Scalar, U, Output string }
	readVectors(t, "rfc7748_x25519.json", &vs)
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			k, err := X25519().NewPrivateKey(unhex(t, v.Scalar))
			if err != nil {
				t.Fatal(err)
			}
			z, err := k.Agree(unhex(t, v.U))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(z, unhex(t, v.Output)) {
				t.Fatalf("got %x, want %s", z, v.Output)
			}
		})
	}
}

func TestVectorsHKDFRFC5869(t *testing.T) {
	var vs []struct {
		Name, IKM, Salt, Info, PRK, OKM string
		Length                          int
	}
	readVectors(t, "rfc5869_hkdf.json", &vs)
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			prk, err := hkdf.Extract(sha256.New, unhex(t, v.IKM), unhex(t, v.Salt))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(prk, unhex(t, v.PRK)) {
				t.Fatalf("PRK %x, want %s", prk, v.PRK)
			}
			okm, err := Intl.KDF(unhex(t, v.IKM), unhex(t, v.Salt), string(unhex(t, v.Info)), v.Length)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(okm, unhex(t, v.OKM)) {
				t.Fatalf("OKM %x, want %s", okm, v.OKM)
			}
		})
	}
}

// refCurve is a textbook short-Weierstrass curve y² = x³ + ax + b over Fp in
// affine coordinates with math/big: slow, variable-time, for tests only. It
// lets the GB/T 32918.2 example, which uses a test curve with a ≠ -3 that
// no production library supports, be checked, and gives an implementation
// independent of gmsm to verify gmsm's signatures on the recommended curve.
type refCurve struct{ p, a, b, n, gx, gy *big.Int }

func (c refCurve) onCurve(x, y *big.Int) bool {
	l := new(big.Int).Mul(y, y)
	r := new(big.Int).Exp(x, big.NewInt(3), c.p)
	r.Add(r, new(big.Int).Mul(c.a, x)).Add(r, c.b)
	return l.Sub(l, r).Mod(l, c.p).Sign() == 0
}

// add returns P+Q; nil coordinates are the point at infinity.
func (c refCurve) add(x1, y1, x2, y2 *big.Int) (*big.Int, *big.Int) {
	if x1 == nil {
		return x2, y2
	}
	if x2 == nil {
		return x1, y1
	}
	var lambda *big.Int
	if x1.Cmp(x2) == 0 {
		if new(big.Int).Add(y1, y2).Mod(new(big.Int).Add(y1, y2), c.p).Sign() == 0 {
			return nil, nil
		}
		num := new(big.Int).Mul(x1, x1)
		num.Mul(num, big.NewInt(3)).Add(num, c.a)
		den := new(big.Int).Lsh(y1, 1)
		lambda = num.Mul(num, den.ModInverse(den.Mod(den, c.p), c.p))
	} else {
		num := new(big.Int).Sub(y2, y1)
		den := new(big.Int).Sub(x2, x1)
		den.Mod(den, c.p)
		lambda = num.Mul(num, den.ModInverse(den, c.p))
	}
	lambda.Mod(lambda, c.p)
	x3 := new(big.Int).Mul(lambda, lambda)
	x3.Sub(x3, x1).Sub(x3, x2).Mod(x3, c.p)
	y3 := new(big.Int).Sub(x1, x3)
	y3.Mul(y3, lambda).Sub(y3, y1).Mod(y3, c.p)
	return x3, y3
}

func (c refCurve) mul(k, x, y *big.Int) (*big.Int, *big.Int) {
	var rx, ry *big.Int
	for i := k.BitLen() - 1; i >= 0; i-- {
		rx, ry = c.add(rx, ry, rx, ry)
		if k.Bit(i) == 1 {
			rx, ry = c.add(rx, ry, x, y)
		}
	}
	return rx, ry
}

// za is Z_A = SM3(ENTL_A || ID_A || a || b || xG || yG || xA || yA),
// GB/T 32918.2-2016 §5.5.
func (c refCurve) za(id []byte, xA, yA *big.Int) []byte {
	h := sm3.New()
	h.Write(binary.BigEndian.AppendUint16(nil, uint16(8*len(id))))
	h.Write(id)
	for _, v := range []*big.Int{c.a, c.b, c.gx, c.gy, xA, yA} {
		h.Write(v.FillBytes(make([]byte, 32)))
	}
	return h.Sum(nil)
}

// verify is GB/T 32918.2-2016 §7.1 (B1-B7).
func (c refCurve) verify(e, xA, yA, r, s *big.Int) bool {
	if r.Sign() <= 0 || r.Cmp(c.n) >= 0 || s.Sign() <= 0 || s.Cmp(c.n) >= 0 {
		return false
	}
	t := new(big.Int).Add(r, s)
	t.Mod(t, c.n)
	if t.Sign() == 0 {
		return false
	}
	x1, y1 := c.mul(s, c.gx, c.gy)
	x2, y2 := c.mul(t, xA, yA)
	x, _ := c.add(x1, y1, x2, y2)
	if x == nil {
		return false
	}
	R := new(big.Int).Add(e, x)
	return R.Mod(R, c.n).Cmp(r) == 0
}

func TestVectorsSM2GBT32918Part2AnnexA(t *testing.T) {
	var v struct {
		Name, P, A, B, XG, YG, N, DA, XA, YA, ZA, E, K, X1, R, S string
		IDASCII                                                  string `json:"id_ascii"`
		MessageASCII                                             string `json:"message_ascii"`
	}
	readVectors(t, "sm2_gbt32918_2_annexA.json", &v)
	t.Run(v.Name, func(t *testing.T) {
		c := refCurve{bigHex(t, v.P), bigHex(t, v.A), bigHex(t, v.B), bigHex(t, v.N), bigHex(t, v.XG), bigHex(t, v.YG)}
		if !c.onCurve(c.gx, c.gy) {
			t.Fatal("G is not on the curve")
		}
		if x, _ := c.mul(c.n, c.gx, c.gy); x != nil {
			t.Fatal("[n]G is not the point at infinity")
		}
		dA := bigHex(t, v.DA)
		xA, yA := c.mul(dA, c.gx, c.gy)
		if xA.Cmp(bigHex(t, v.XA)) != 0 || yA.Cmp(bigHex(t, v.YA)) != 0 {
			t.Fatalf("P_A = [dA]G = (%x, %x), want (%s, %s)", xA, yA, v.XA, v.YA)
		}
		za := c.za([]byte(v.IDASCII), xA, yA)
		if !bytes.Equal(za, unhex(t, v.ZA)) {
			t.Fatalf("Z_A = %x, want %s", za, v.ZA)
		}
		eb := sm3.Sum(append(za, v.MessageASCII...))
		if !bytes.Equal(eb[:], unhex(t, v.E)) {
			t.Fatalf("e = %x, want %s", eb, v.E)
		}
		e := new(big.Int).SetBytes(eb[:])
		// A1-A7 with the example's k.
		k := bigHex(t, v.K)
		x1, _ := c.mul(k, c.gx, c.gy)
		if x1.Cmp(bigHex(t, v.X1)) != 0 {
			t.Fatalf("x1 = %x, want %s", x1, v.X1)
		}
		r := new(big.Int).Add(e, x1)
		r.Mod(r, c.n)
		inv := new(big.Int).Add(dA, big.NewInt(1))
		inv.ModInverse(inv, c.n)
		s := new(big.Int).Sub(k, new(big.Int).Mul(r, dA))
		s.Mul(s, inv).Mod(s, c.n)
		if r.Cmp(bigHex(t, v.R)) != 0 || s.Cmp(bigHex(t, v.S)) != 0 {
			t.Fatalf("(r, s) = (%x, %x), want (%s, %s)", r, s, v.R, v.S)
		}
		if !c.verify(e, xA, yA, r, s) {
			t.Fatal("the example signature does not verify")
		}
		if c.verify(e, xA, yA, r, new(big.Int).Add(s, big.NewInt(1))) {
			t.Fatal("a modified signature verifies")
		}
	})
}

// sm2RecommendedCurve is the GB/T 32918.5-2017 curve from gmsm's
// parameters; a = p - 3.
func sm2RecommendedCurve() refCurve {
	p := sm2.P256().Params()
	return refCurve{p.P, new(big.Int).Sub(p.P, big.NewInt(3)), p.B, p.N, p.Gx, p.Gy}
}

// TestSM2AgainstReference verifies this package's SM2 signatures (gmsm)
// with the textbook implementation above, with the default UID, and checks
// the curve parameters against GB/T 32918.5-2017.
func TestSM2AgainstReference(t *testing.T) {
	c := sm2RecommendedCurve()
	const (
		wantP  = "fffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffff"
		wantB  = "28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93"
		wantN  = "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123"
		wantGx = "32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7"
		wantGy = "bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0"
	)
	for name, pair := range map[string][2]string{
		"p": {c.p.Text(16), wantP}, "b": {c.b.Text(16), wantB}, "n": {c.n.Text(16), wantN},
		"Gx": {c.gx.Text(16), wantGx}, "Gy": {c.gy.Text(16), wantGy},
	} {
		if pair[0] != pair[1] {
			t.Errorf("curve %s = %s, want %s (GB/T 32918.5-2017)", name, pair[0], pair[1])
		}
	}
	for i := range 4 {
		s, err := Generate(SM2, nil)
		if err != nil {
			t.Fatal(err)
		}
		msg := []byte("xborder cross-border message " + string(rune('a'+i)))
		sig, err := s.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		pub := s.Public().(*ecdsa.PublicKey)
		za := c.za([]byte(DefaultSM2UID), pub.X, pub.Y)
		gz, err := sm2.CalculateZA(pub, []byte(DefaultSM2UID))
		if err != nil || !bytes.Equal(za, gz) {
			t.Fatalf("Z_A reference %x, gmsm %x (%v)", za, gz, err)
		}
		e := sm3.Sum(append(za, msg...))
		r, ss := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !c.verify(new(big.Int).SetBytes(e[:]), pub.X, pub.Y, r, ss) {
			t.Fatal("reference implementation rejects the signature")
		}
	}
}
