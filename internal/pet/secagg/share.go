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

// fill overwrites dst with uniform elements.
func (p *prg) fill(dst []u128) {
	n := len(dst) * 16
	if cap(p.buf) < n {
		p.buf = make([]byte, n)
	}
	b := p.buf[:n]
	clear(b)
	p.s.XORKeyStream(b, b)
	for i := range dst {
		dst[i] = getU128(b[16*i:])
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
		p.fill(shares[j])
		for i := range last {
			last[i] = last[i].sub(shares[j][i])
		}
	}
	shares[n-1] = last
	return shares
}
