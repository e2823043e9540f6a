package psi

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"encoding/hex"
	"filippo.io/edwards25519/field"
	"slices"
	"strings"
	"testing"
)

// leHex turns the big-endian hex of the RFC vectors into little-endian bytes.
func leHex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(b)
	return b
}

// RFC 9380, appendix J.4.2: curve25519_XMD:SHA-512_ELL2_NU_ (u, Q.x and
// P.x; the vectors give big-endian hex).
func TestEncodeToCurve25519Vectors(t *testing.T) {
	d := []byte("QUUX-V01-CS02-with-curve25519_XMD:SHA-512_ELL2_NU_")
	vectors := []struct{ msg, u, qx, px string }{
		{"", "608d892b641f0328523802a6603427c26e55e6f27e71a91a478148d45b5093cd",
			"51125222da5e763d97f3c10fcc92ea6860b9ccbbd2eb1285728f566721c1e65b",
			"1bb913f0c9daefa0b3375378ffa534bda5526c97391952a7789eb976edfe4d08"},
		{"abc", "46f5b22494bfeaa7f232cc8d054be68561af50230234d7d1d63d1d9abeca8da5",
			"7d56d1e08cb0ccb92baf069c18c49bb5a0dcd927eff8dcf75ca921ef7f3e6eeb",
			"7c22950b7d900fa866334262fcaea47a441a578df43b894b4625c9b450f9a026"},
		{"abcdef0123456789", "235fe40c443766ce7e18111c33862d66c3b33267efa50d50f9e8e5d252a40aaa",
			"3fbe66b9c9883d79e8407150e7c2a1c8680bee496c62fabe4619a72b3cabe90f",
			"31ad08a8b0deeb2a4d8b0206ca25f567ab4e042746f792f4b7973f3ae2096c52"},
		{"q128_" + strings.Repeat("q", 128), "001e92a544463bda9bd04ddbe3d6eed248f82de32f522669efc5ddce95f46f5b",
			"227e0bb89de700385d19ec40e857db6e6a3e634b1c32962f370d26f84ff19683",
			"027877759d155b1997d0d84683a313eb78bdb493271d935b622900459d52ceaa"},
		{"a512_" + strings.Repeat("a", 512), "1a68a1af9f663592291af987203393f707305c7bac9c8d63d6a729bdc553dc19",
			"3bcd651ee54d5f7b6013898aab251ee8ecc0688166fce6e9548d38472f6bd196",
			"5fd892c0958d1a75f54c3182a18d286efab784e774d1e017ba2fb252998b5dc1"},
	}
	for _, v := range vectors {
		u := hashToFieldCurve25519(d, []byte(v.msg))
		if !bytes.Equal(u.Bytes(), leHex(t, v.u)) {
			t.Errorf("%.10q: u = %x", v.msg, u.Bytes())
		}
		xn, xd := mapToCurveElligator2(u)
		q := new(field.Element).Multiply(xn, new(field.Element).Invert(xd))
		if !bytes.Equal(q.Bytes(), leHex(t, v.qx)) {
			t.Errorf("%.10q: Q.x = %x", v.msg, q.Bytes())
		}
		p := encodeToCurve25519(d, []byte(v.msg))
		if !bytes.Equal(p[:], leHex(t, v.px)) {
			t.Errorf("%.10q: P.x = %x", v.msg, p)
		}
	}
}

// X25519(a, X25519(b, P)) = X25519(b, X25519(a, P)) for hashed points.
func TestX25519Commutes(t *testing.T) {
	d := []byte("xborder-psi-v1:curve25519_XMD:SHA-512_ELL2_NU_:s")
	for i := range 20 {
		a, err := newX25519Exp()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := newX25519Exp()
		key := string(rune('a' + i))
		var pa, pb, pab, pba [32]byte
		if err := a.hashExp(d, key, pa[:]); err != nil {
			t.Fatal(err)
		}
		if err := b.hashExp(d, key, pb[:]); err != nil {
			t.Fatal(err)
		}
		if err := b.exp(pa[:], pab[:]); err != nil {
			t.Fatal(err)
		}
		if err := a.exp(pb[:], pba[:]); err != nil {
			t.Fatal(err)
		}
		if pab != pba || pa == pb {
			t.Fatalf("%q: a·b·P = %x, b·a·P = %x", key, pab, pba)
		}
	}
}

// Low-order and non-canonical u-coordinates are refused.
func TestX25519RefusesBadPoints(t *testing.T) {
	a, _ := newX25519Exp()
	var out [32]byte
	one := make([]byte, 32)
	one[0] = 1
	// u = 0 (order 2), u = 1 (order 4), an order-8 point (RFC 7748 review
	// lists), p (non-canonical 0), a set bit 255.
	order8 := leHex(t, "57119fd0dd4e22d8868e1c58c45c44045bef839c55b1d0b1248c50a3bc959c5f")
	p := leHex(t, "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed")
	hi := make([]byte, 32)
	copy(hi, order8)
	hi[31] |= 0x80
	for name, u := range map[string][]byte{"zero": make([]byte, 32), "one": one, "order 8": order8, "p": p, "bit 255": hi} {
		if err := a.exp(u, out[:]); err != ErrBadPoint {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

// The parties refuse malformed and low-order u-coordinates in the x25519
// group, like the ristretto255 ones refuse non-canonical points.
func TestX25519PartiesRefuseBadPoints(t *testing.T) {
	nonCanon := bytes.Repeat([]byte{0xff}, 32)
	nonCanon[31] = 0x7f // ≥ p
	for name, u := range map[string][]byte{"zero": make([]byte, 32), "non-canonical": nonCanon} {
		c := Config{Session: "s", Mode: ModeIntersection, Group: GroupX25519}
		in, err := (&Message{Session: "s", Mode: ModeIntersection, Group: GroupX25519, Step: StepMaskedA, Last: true, Items: u}).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := RunB(context.Background(), c, &fakeConn{in: [][]byte{in}}, []string{"k"}, nil); !errors.Is(err, ErrBadPoint) {
			t.Errorf("B, %s: got %v", name, err)
		}
		tags, _ := (&Message{Session: "s", Mode: ModeIntersection, Group: GroupX25519, Step: StepDoubleMasked, Last: true, Items: make([]byte, TagLen)}).MarshalBinary()
		pts, _ := (&Message{Session: "s", Mode: ModeIntersection, Group: GroupX25519, Step: StepMaskedB, Last: true, Items: u}).MarshalBinary()
		if _, err := RunA(context.Background(), c, &fakeConn{in: [][]byte{tags, pts}}, []string{"k"}); !errors.Is(err, ErrBadPoint) {
			t.Errorf("A, %s: got %v", name, err)
		}
	}
}

// expVariants returns the exponent of one secret with crypto/ecdh and,
// where the CPU runs it, with the 8-way ladder.
func expVariants(t *testing.T, seed [32]byte) map[string]*x25519Exp {
	t.Helper()
	v := map[string]*x25519Exp{}
	var err error
	if v["ecdh"], err = newX25519ExpFrom(seed, false); err != nil {
		t.Fatal(err)
	}
	if haveLadder8() {
		if v["ladder8"], err = newX25519ExpFrom(seed, true); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

// The batch methods give what hashExp and exp give one at a time, in
// both implementations, for batch lengths around the 8 lanes and the
// vecBatch points of one inversion.
func TestX25519BatchMatchesSingle(t *testing.T) {
	d := []byte("xborder-psi-v1:curve25519_XMD:SHA-512_ELL2_NU_:s")
	for _, n := range []int{0, 1, 2, 7, 8, 9, 15, 17, 63, 64, 65, 130} {
		var seed [32]byte
		seed[0], seed[31] = byte(n), 0xa5
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("key-%d-%d", n, i)
		}
		for name, x := range expVariants(t, seed) {
			hashed := make([]byte, n*32)
			if err := x.hashExpBatch(d, keys, func(i int) []byte { return hashed[i*32 : (i+1)*32] }); err != nil {
				t.Fatal(err)
			}
			again := make([]byte, n*32)
			if err := x.expBatch(n, func(i int) []byte { return hashed[i*32 : (i+1)*32] }, func(i int) []byte { return again[i*32 : (i+1)*32] }); err != nil {
				t.Fatal(err)
			}
			for i, k := range keys {
				var h, e [32]byte
				if err := x.hashExp(d, k, h[:]); err != nil {
					t.Fatal(err)
				}
				if err := x.exp(h[:], e[:]); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(h[:], hashed[i*32:(i+1)*32]) || !bytes.Equal(e[:], again[i*32:(i+1)*32]) {
					t.Fatalf("%s, n %d, key %d: batch differs from single", name, n, i)
				}
			}
		}
	}
}

// A low-order or non-canonical point anywhere in a batch fails the batch.
func TestX25519BatchRefusesBadPoints(t *testing.T) {
	order8 := leHex(t, "57119fd0dd4e22d8868e1c58c45c44045bef839c55b1d0b1248c50a3bc959c5f")
	p := leHex(t, "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed")
	one := make([]byte, 32)
	one[0] = 1
	good := make([]byte, 32)
	good[0] = 9
	for name, x := range expVariants(t, [32]byte{1, 2, 3}) {
		for bad, u := range map[string][]byte{"zero": make([]byte, 32), "one": one, "order 8": order8, "p": p} {
			for _, at := range []int{0, 5, 10} {
				out := make([]byte, 32)
				in := func(i int) []byte {
					if i == at {
						return u
					}
					return good
				}
				if err := x.expBatch(11, in, func(int) []byte { return out }); err != ErrBadPoint {
					t.Errorf("%s, %s at %d: got %v", name, bad, at, err)
				}
			}
		}
	}
}
