package psi

import (
	"errors"
	"sync"

	"github.com/gtank/ristretto255"
)

// Exponential ElGamal on ristretto255 for PSI-sum: Enc(v) = (r·G, v·G +
// r·PK). Ciphertexts add component-wise to Enc(v1+v2). Decryption yields
// v·G; v is recovered by baby-step giant-step, so it must be below MaxSum.

// MaxSum bounds the decryptable sum: 2^32 (2^16 baby steps, at most 2^16
// giant steps).
const MaxSum = 1 << 32

const bsgsM = 1 << 16

// ErrSumRange is returned when B's values could add up to MaxSum or more.
var ErrSumRange = errors.New("psi: the values could sum to 2^32 or more, which PSI-sum cannot decrypt")

type ciphertext struct{ c1, c2 *ristretto255.Element }

func encrypt(pk *ristretto255.Element, v uint64) (ciphertext, error) {
	r, err := randomScalar()
	if err != nil {
		return ciphertext{}, err
	}
	c1 := ristretto255.NewElement().ScalarBaseMult(r)
	c2 := ristretto255.NewElement().ScalarMult(r, pk)
	c2.Add(c2, ristretto255.NewElement().ScalarBaseMult(scalarFromUint64(v)))
	return ciphertext{c1, c2}, nil
}

func (c ciphertext) encode(out []byte) {
	c.c1.Encode(out[0:0:pointLen])
	c.c2.Encode(out[pointLen : pointLen : 2*pointLen])
}

// decodeCiphertext decodes 64 bytes; both halves must be canonical and not
// the identity.
func decodeCiphertext(b []byte) (ciphertext, error) {
	c1, err := decodePoint(b[:pointLen])
	if err != nil {
		return ciphertext{}, err
	}
	c2, err := decodePoint(b[pointLen : 2*pointLen])
	if err != nil {
		return ciphertext{}, err
	}
	return ciphertext{c1, c2}, nil
}

var (
	bsgsOnce  sync.Once
	bsgsBaby  map[[32]byte]uint32
	bsgsGiant *ristretto255.Element // -(bsgsM·G)
)

func bsgsTable() {
	bsgsBaby = make(map[[32]byte]uint32, bsgsM)
	p := ristretto255.NewElement().Zero()
	g := ristretto255.NewElement().Base()
	var k [32]byte
	for j := uint32(0); j < bsgsM; j++ {
		p.Encode(k[:0])
		bsgsBaby[k] = j
		p.Add(p, g)
	}
	bsgsGiant = ristretto255.NewElement().Negate(p) // p = bsgsM·G here
}

// decrypt returns v with v·G = c2 - sk·c1 and v < MaxSum.
func decrypt(sk *ristretto255.Scalar, c ciphertext) (uint64, error) {
	bsgsOnce.Do(bsgsTable)
	m := ristretto255.NewElement().ScalarMult(sk, c.c1)
	m.Subtract(c.c2, m)
	var k [32]byte
	for i := uint64(0); i < bsgsM; i++ {
		m.Encode(k[:0])
		if j, ok := bsgsBaby[k]; ok {
			return i*bsgsM + uint64(j), nil
		}
		m.Add(m, bsgsGiant)
	}
	return 0, ErrSumRange
}
