package secagg

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
)

// prg is a party's pseudo-random generator: AES-128-CTR under a key drawn
// from crypto/rand for this run, zero IV (the key is never reused). Its
// keystream masks the shares, so a share sent to another party is uniform in
// Z_2^128 and independent of the value.
type prg struct {
	s   cipher.Stream
	buf []byte
}

func newPRG() (*prg, error) {
	var key [16]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, err
	}
	blk, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return &prg{s: cipher.NewCTR(blk, make([]byte, aes.BlockSize))}, nil
}

// prgChunk is how many elements fill draws at a time: 64 KiB of keystream
// stays in the L2 cache.
const prgChunk = 4096

// fill overwrites dst with uniform elements.
func (p *prg) fill(dst []u128) {
	if p.buf == nil {
		p.buf = make([]byte, 16*prgChunk)
	}
	for len(dst) > 0 {
		n := min(len(dst), prgChunk)
		b := p.buf[:16*n]
		clear(b)
		p.s.XORKeyStream(b, b)
		for i := range dst[:n] {
			dst[i] = getU128(b[16*i:])
		}
		dst = dst[n:]
	}
}

// split returns n additive shares of v: shares[0..n-2] are PRG output,
// shares[n-1] = v - sum of the others, so any n-1 shares are uniform and
// independent of v, and all n sum to v.
func split(v []u128, n int, p *prg) [][]u128 {
	shares := make([][]u128, n)
	last := make([]u128, len(v))
	copy(last, v)
	for j := 0; j < n-1; j++ {
		shares[j] = make([]u128, len(v))
	}
	for off := 0; off < len(v); off += prgChunk {
		end := min(len(v), off+prgChunk)
		l := last[off:end]
		for j := 0; j < n-1; j++ {
			r := shares[j][off:end]
			p.fill(r)
			for i := range l {
				l[i] = l[i].sub(r[i])
			}
		}
	}
	shares[n-1] = last
	return shares
}
