//go:build amd64 && !purego

package psi

import (
	"bytes"
	"crypto/ecdh"
	"fmt"
	"math/rand/v2"
	"testing"

	"filippo.io/edwards25519/field"
)

// TestLadderN checks the 8-way ladder against crypto/ecdh on random and
// edge-case u-coordinates and scalars, for 1 to vecBatch points; a batch
// with a low-order point is refused whole.
func TestLadderN(t *testing.T) {
	if !haveLadder8() {
		t.Skip("no AVX-512 IFMA")
	}
	r := rand.New(rand.NewPCG(7, 8))
	edge := [][32]byte{{0}, {1}, {9}, {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}}
	for iter := 0; iter < 150; iter++ {
		var seed [32]byte
		for i := range seed {
			seed[i] = byte(r.Uint32())
		}
		k, err := ecdh.X25519().NewPrivateKey(seed[:])
		if err != nil {
			t.Fatal(err)
		}
		n := 1 + iter%vecBatch
		us := make([][32]byte, n)
		for i := range us {
			for j := range us[i] {
				us[i][j] = byte(r.Uint32())
			}
			us[i][31] &= 0x7f
			if us[i][31] == 0x7f {
				us[i][31] = 0x3f // below p
			}
		}
		if iter < 8 { // one edge value among random ones
			us[(iter*5)%n] = edge[iter%len(edge)]
		}
		want := make([][]byte, n)
		bad := false
		for i := range us {
			pub, err := ecdh.X25519().NewPublicKey(us[i][:])
			if err != nil {
				t.Fatal(err)
			}
			if want[i], err = k.ECDH(pub); err != nil {
				bad = true
			}
		}
		out := make([][32]byte, n)
		err = x25519xN(ladderMasks(clamp(seed)), us, out)
		if bad {
			if err != ErrBadPoint {
				t.Fatalf("iter %d: low-order point, got %v", iter, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		for i := range us {
			if !bytes.Equal(out[i][:], want[i]) {
				t.Fatalf("iter %d point %d u %x: got %x want %x", iter, i, us[i], out[i], want[i])
			}
		}
	}
}

// encodeN gives encode_to_curve of the scalar code, point by point, on
// the RFC 9380 inputs and more, for batches of every length.
func TestEncodeN(t *testing.T) {
	if !haveLadder8() {
		t.Skip("no AVX-512 IFMA")
	}
	d := []byte("QUUX-V01-CS02-with-curve25519_XMD:SHA-512_ELL2_NU_")
	msgs := []string{"", "abc", "abcdef0123456789", "q128_" + string(bytes.Repeat([]byte("q"), 128)), "a512_" + string(bytes.Repeat([]byte("a"), 512))}
	for i := range 200 {
		msgs = append(msgs, fmt.Sprintf("m%d", i))
	}
	for lo, n := 0, 1; lo < len(msgs); lo, n = lo+n, n%vecBatch+7 {
		hi := min(lo+n, len(msgs))
		fs := make([][32]byte, hi-lo)
		for i := range fs {
			fs[i] = [32]byte(hashToFieldCurve25519(d, []byte(msgs[lo+i])).Bytes())
		}
		var x1 [vecBatch / 8]fe8
		if err := encodeN(x1[:(len(fs)+7)/8], fs); err != nil {
			t.Fatal(err)
		}
		for i := range fs {
			var got [32]byte
			x1[i/8].lane(i%8, got[:])
			if want := encodeToCurve25519(d, []byte(msgs[lo+i])); got != want {
				t.Fatalf("%q: got %x want %x", msgs[lo+i], got, want)
			}
		}
	}
	// The field element 0 maps to a point whose cofactor-cleared multiple
	// the scalar code encodes as want; infinity (u = 0) must be refused.
	want := encodeU(mapToCurveElligator2(new(field.Element)))
	var x1 [1]fe8
	err := encodeN(x1[:], make([][32]byte, 3))
	if want == ([32]byte{}) {
		if err != ErrBadPoint {
			t.Fatalf("u = 0: infinity, got %v", err)
		}
	} else {
		var got [32]byte
		x1[0].lane(0, got[:])
		if err != nil || got != want {
			t.Fatalf("u = 0: got %x, %v; want %x", got, err, want)
		}
	}
}

// FuzzLadderN compares the 8-way ladder with crypto/ecdh on
// fuzzer-chosen scalars and u-coordinates (reduced below 2^255; non-
// canonical values are refused before the ladder, so they are skipped).
func FuzzLadderN(f *testing.F) {
	f.Add(make([]byte, 32), []byte{9})
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xee}, 70))
	f.Fuzz(func(t *testing.T, seed, us []byte) {
		if !haveLadder8() || len(seed) != 32 {
			t.Skip()
		}
		k, err := ecdh.X25519().NewPrivateKey(seed)
		if err != nil {
			t.Fatal(err)
		}
		var pts [][32]byte
		for len(us) > 0 && len(pts) < vecBatch {
			var u [32]byte
			n := copy(u[:], us)
			us = us[n:]
			u[31] &= 0x7f
			if decodeU(u[:]) != nil {
				continue
			}
			pts = append(pts, u)
		}
		if len(pts) == 0 {
			return
		}
		out := make([][32]byte, len(pts))
		err = x25519xN(ladderMasks(clamp([32]byte(seed))), pts, out)
		bad := false
		for i := range pts {
			pub, _ := ecdh.X25519().NewPublicKey(pts[i][:])
			want, e := k.ECDH(pub)
			if e != nil {
				bad = true
				continue
			}
			if err == nil && !bytes.Equal(out[i][:], want) {
				t.Fatalf("u %x: got %x want %x", pts[i], out[i], want)
			}
		}
		if bad != (err == ErrBadPoint) || (err != nil && err != ErrBadPoint) {
			t.Fatalf("low order %v, got %v", bad, err)
		}
	})
}
