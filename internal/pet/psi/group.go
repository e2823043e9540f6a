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

// hashToGroup is hash_to_ristretto255 of RFC 9496: 64 bytes of
// expand_message_xmd(SHA-512) (RFC 9380, 5.3.1) through the one-way map.
func hashToGroup(dst, msg []byte) *ristretto255.Element {
	return ristretto255.NewElement().FromUniformBytes(expandXMD(dst, msg, 64))
}

// expandXMD is expand_message_xmd with SHA-512 for n ≤ 255·64 bytes and a
// DST of at most 255 bytes.
func expandXMD(dst, msg []byte, n int) []byte {
	var zpad [128]byte // s_in_bytes of SHA-512
	suffix := append(append([]byte{}, dst...), byte(len(dst)))
	h := sha512.New()
	h.Write(zpad[:])
	h.Write(msg)
	h.Write([]byte{byte(n >> 8), byte(n), 0})
	h.Write(suffix)
	b0 := h.Sum(nil)
	out := make([]byte, 0, n+64)
	prev := make([]byte, 64)
	for i := 1; len(out) < n; i++ {
		x := make([]byte, 64)
		for k := range x {
			x[k] = b0[k] ^ prev[k] // for i = 1, prev is zero: b0 itself
		}
		h.Reset()
		h.Write(x)
		h.Write([]byte{byte(i)})
		h.Write(suffix)
		prev = h.Sum(nil)
		out = append(out, prev...)
	}
	return out[:n]
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
