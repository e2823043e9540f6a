//go:build amd64 && !purego

package psi

import (
	"bytes"
	"crypto/ecdh"
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
