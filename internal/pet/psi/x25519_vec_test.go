//go:build amd64 && !purego

package psi

import (
	"fmt"

	"bytes"
	"crypto/ecdh"
	"filippo.io/edwards25519/field"
	"math/rand/v2"
	"testing"
)

// TestLadder8 checks the 8-way ladder against crypto/ecdh on random and
// edge-case u-coordinates and scalars.
func TestLadder8(t *testing.T) {
	if !haveLadder8() {
		t.Skip("no AVX-512 IFMA")
	}
	r := rand.New(rand.NewPCG(7, 8))
	edge := [][32]byte{{0}, {1}, {9}, {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}}
	for iter := 0; iter < 200; iter++ {
		var seed [32]byte
		for i := range seed {
			seed[i] = byte(r.Uint32())
		}
		k, err := ecdh.X25519().NewPrivateKey(seed[:])
		if err != nil {
			t.Fatal(err)
		}
		n := 1 + iter%8
		us := make([][32]byte, n)
		for i := range us {
			if iter < 4 && i < len(edge) {
				us[i] = edge[i]
				continue
			}
			for j := range us[i] {
				us[i][j] = byte(r.Uint32())
			}
			us[i][31] &= 0x7f
			if us[i][31] == 0x7f && us[i][0] >= 0xed {
				us[i][0] = 0 // keep it below p (almost always already)
			}
		}
		out := make([][32]byte, n)
		x25519x8(ladderMasks(clamp(seed)), us, out)
		for i := range us {
			want := make([]byte, 32)
			if pub, err := ecdh.X25519().NewPublicKey(us[i][:]); err == nil {
				if s, err := k.ECDH(pub); err == nil {
					want = s
				}
			}
			if !bytes.Equal(out[i][:], want) {
				t.Fatalf("iter %d lane %d u %x: got %x want %x", iter, i, us[i], out[i], want)
			}
		}
	}
}

// encode8 gives encode_to_curve of the scalar code, lane by lane, on the
// RFC 9380 inputs and more.
func TestEncode8(t *testing.T) {
	if !haveLadder8() {
		t.Skip("no AVX-512 IFMA")
	}
	d := []byte("QUUX-V01-CS02-with-curve25519_XMD:SHA-512_ELL2_NU_")
	msgs := []string{"", "abc", "abcdef0123456789", "q128_" + string(bytes.Repeat([]byte("q"), 128)), "a512_" + string(bytes.Repeat([]byte("a"), 512))}
	for i := range 60 {
		msgs = append(msgs, fmt.Sprintf("m%d", i))
	}
	for lo := 0; lo < len(msgs); lo += 8 {
		hi := min(lo+8, len(msgs))
		fs := make([][32]byte, hi-lo)
		for i := range fs {
			fs[i] = [32]byte(hashToFieldCurve25519(d, []byte(msgs[lo+i])).Bytes())
		}
		var x1 fe8
		encode8(&x1, fs)
		for i := range fs {
			var got [32]byte
			x1.lane(i, got[:])
			if want := encodeToCurve25519(d, []byte(msgs[lo+i])); got != want {
				t.Fatalf("%q: got %x want %x", msgs[lo+i], got, want)
			}
		}
	}
	// u = 0 from hash_to_field maps to a point of low order: infinity.
	var x1 fe8
	encode8(&x1, make([][32]byte, 8))
	var got [32]byte
	x1.lane(0, got[:])
	want := encodeU(mapToCurveElligator2(new(field.Element)))
	if got != want {
		t.Fatalf("u = 0: got %x want %x", got, want)
	}
}
