package psi

import (
	"crypto/rand"
	"crypto/sha512"
	"errors"
	"runtime"
	"sync"

	"github.com/gtank/ristretto255"
)

const (
	pointLen = 32
	// TagLen is the length of the truncated double-masked tags: 128 bits.
	TagLen = 16
	// dstPrefix starts every hash-to-group domain-separation tag; the
	// session id follows it.
	dstPrefix = "xborder-psi-v1:ristretto255_XMD:SHA-512_R255MAP_RO_:"
)

// dst returns the domain-separation tag of a session.
func dst(session string) []byte { return []byte(dstPrefix + session) }

// hashToGroup is hash_to_ristretto255 of RFC 9496 with
// expand_message_xmd(SHA-512) of RFC 9380 for 64 bytes.
func hashToGroup(dst, msg []byte) *ristretto255.Element {
	var zpad [128]byte
	h := sha512.New()
	h.Write(zpad[:])
	h.Write(msg)
	h.Write([]byte{0, 64, 0}) // I2OSP(64, 2) || I2OSP(0, 1)
	h.Write(dst)
	h.Write([]byte{byte(len(dst))})
	b0 := h.Sum(nil)
	h.Reset()
	h.Write(b0)
	h.Write([]byte{1})
	h.Write(dst)
	h.Write([]byte{byte(len(dst))})
	b1 := h.Sum(nil)
	return ristretto255.NewElement().FromUniformBytes(b1)
}

// randomScalar returns a uniformly random non-zero scalar.
func randomScalar() (*ristretto255.Scalar, error) {
	var buf [64]byte
	zero := ristretto255.NewScalar()
	for {
		if _, err := rand.Read(buf[:]); err != nil {
			return nil, err
		}
		s := ristretto255.NewScalar().FromUniformBytes(buf[:])
		if s.Equal(zero) == 0 {
			return s, nil
		}
	}
}

// scalarFromUint64 returns v as a scalar.
func scalarFromUint64(v uint64) *ristretto255.Scalar {
	var b [32]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
	s := ristretto255.NewScalar()
	if err := s.Decode(b[:]); err != nil {
		panic(err) // v < 2^64 < l is always canonical
	}
	return s
}

// ErrBadPoint is returned for a point that is not a canonical ristretto255
// encoding or is the identity.
var ErrBadPoint = errors.New("psi: malformed point (not a canonical ristretto255 encoding, or the identity)")

var identity = ristretto255.NewElement().Zero()

// decodePoint decodes a canonical, non-identity point.
func decodePoint(b []byte) (*ristretto255.Element, error) {
	e := ristretto255.NewElement()
	if err := e.Decode(b); err != nil {
		return nil, ErrBadPoint
	}
	if e.Equal(identity) == 1 {
		return nil, ErrBadPoint
	}
	return e, nil
}

// parallel runs f over [0, n) split into GOMAXPROCS chunks and returns the
// first error.
func parallel(n int, f func(lo, hi int) error) error {
	w := runtime.GOMAXPROCS(0)
	if w > n {
		w = n
	}
	if w <= 1 {
		if n == 0 {
			return nil
		}
		return f(0, n)
	}
	chunk := (n + w - 1) / w
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(lo, hi); err != nil {
				once.Do(func() { first = err })
			}
		}()
	}
	wg.Wait()
	return first
}
