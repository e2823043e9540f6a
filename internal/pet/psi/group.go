package psi

import (
	"crypto/rand"
	"crypto/sha512"
	"encoding"
	"errors"
	"fmt"
	"hash"
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
	return newXMD(dst).expand(nil, msg, n)
}

// xmd is expand_message_xmd (RFC 9380, 5.3.1) with SHA-512 for one DST of
// at most 255 bytes, for many messages: the SHA-512 state after Z_pad (one
// whole block) and DST' are computed once, and the buffers are reused.
// Not for concurrent use.
type xmd struct {
	h              hash.Hash
	afterZpad      []byte // h's marshalled state after Z_pad
	suffix         []byte // DST' = DST || I2OSP(len(DST), 1)
	lib            [3]byte
	b0, bi, xorBuf [64]byte
	msg            []byte
}

// expandString is expand of a string message, copied into a reused buffer
// rather than converted (which allocates).
func (x *xmd) expandString(out []byte, msg string, n int) []byte {
	x.msg = append(x.msg[:0], msg...)
	return x.expand(out, x.msg, n)
}

func newXMD(dst []byte) *xmd {
	h := sha512.New()
	var zpad [128]byte // s_in_bytes of SHA-512
	h.Write(zpad[:])
	st, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic(err) // crypto/sha512 marshals its state
	}
	return &xmd{h: h, afterZpad: st, suffix: append(append([]byte{}, dst...), byte(len(dst)))}
}

// expand appends n bytes of expand_message_xmd(msg) to out, n ≤ 255·64.
func (x *xmd) expand(out, msg []byte, n int) []byte {
	start := len(out)
	h := x.h
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(x.afterZpad); err != nil {
		panic(err)
	}
	h.Write(msg)
	x.lib = [3]byte{byte(n >> 8), byte(n), 0}
	h.Write(x.lib[:])
	h.Write(x.suffix)
	h.Sum(x.b0[:0])
	x.bi = [64]byte{} // b_0 xor 0 = b_0 for i = 1
	for i := 1; len(out)-start < n; i++ {
		for k := range x.xorBuf {
			x.xorBuf[k] = x.b0[k] ^ x.bi[k]
		}
		h.Reset()
		h.Write(x.xorBuf[:])
		x.lib[0] = byte(i)
		h.Write(x.lib[:1])
		h.Write(x.suffix)
		h.Sum(x.bi[:0])
		out = append(out, x.bi[:]...)
	}
	return out[:start+n]
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

// Group selects the prime-order group (or, for X25519, the curve and its
// u-only encoding) the masking runs in. Both parties must use the same one;
// every message carries it.
type Group uint8

const (
	// GroupRistretto255 (the default): ristretto255 (RFC 9496), hashed
	// with hash_to_ristretto255.
	GroupRistretto255 Group = 0
	// GroupX25519: Montgomery u-coordinates of curve25519, hashed with
	// encode_to_curve of curve25519_XMD:SHA-512_ELL2_NU_ (RFC 9380) and
	// exponentiated with X25519 (RFC 7748). With AVX-512 IFMA both run 8
	// points at a time (x25519_vec.go): about 7 times less CPU than
	// crypto/ecdh end to end, and 1.3 times faster without it
	// (docs/benchmarks.md).
	GroupX25519 Group = 1
)

func (g Group) String() string {
	switch g {
	case GroupRistretto255:
		return "ristretto255"
	case GroupX25519:
		return "x25519"
	}
	return fmt.Sprintf("group(%d)", uint8(g))
}

func (g Group) valid() bool { return g == GroupRistretto255 || g == GroupX25519 }

// ParseGroup reads "ristretto255" (or "") and "x25519".
func ParseGroup(s string) (Group, error) {
	switch s {
	case "", "ristretto255":
		return GroupRistretto255, nil
	case "x25519":
		return GroupX25519, nil
	}
	return 0, fmt.Errorf("psi: unknown group %q: want ristretto255 or x25519", s)
}

// dst returns the hash-to-group domain-separation tag of a session in g.
func (g Group) dst(session string) []byte {
	if g == GroupX25519 {
		return []byte(x25519DSTPrefix + session)
	}
	return dst(session)
}

// exponent is one party's secret exponent in a group. Points are pointLen
// bytes in both groups.
type exponent interface {
	// hashExp writes H(key)^s to out.
	hashExp(d []byte, key string, out []byte) error
	// exp checks the encoded point in and writes in^s to out; it returns
	// ErrBadPoint for a malformed or low-order point.
	exp(in, out []byte) error
	// expBatch is exp of in(i) into out(i) for i < n; hashExpBatch is
	// hashExp of keys[i] into out(i). out(i) is pointLen bytes.
	expBatch(n int, in, out func(int) []byte) error
	hashExpBatch(d []byte, keys []string, out func(int) []byte) error
}

// expEach is expBatch one point at a time.
func expEach(s exponent, n int, in, out func(int) []byte) error {
	for i := 0; i < n; i++ {
		if err := s.exp(in(i), out(i)); err != nil {
			return err
		}
	}
	return nil
}

// hashExpEach is hashExpBatch one key at a time.
func hashExpEach(s exponent, d []byte, keys []string, out func(int) []byte) error {
	for i, k := range keys {
		if err := s.hashExp(d, k, out(i)); err != nil {
			return err
		}
	}
	return nil
}

func newExponent(g Group) (exponent, error) {
	switch g {
	case GroupRistretto255:
		s, err := randomScalar()
		if err != nil {
			return nil, err
		}
		return ristrettoExp{s}, nil
	case GroupX25519:
		return newX25519Exp()
	}
	return nil, fmt.Errorf("psi: unknown group %v", g)
}

type ristrettoExp struct{ s *ristretto255.Scalar }

func (r ristrettoExp) hashExp(d []byte, key string, out []byte) error {
	p := hashToGroup(d, []byte(key))
	p.ScalarMult(r.s, p)
	p.Encode(out[:0:pointLen])
	return nil
}

func (r ristrettoExp) expBatch(n int, in, out func(int) []byte) error {
	return expEach(r, n, in, out)
}

func (r ristrettoExp) hashExpBatch(d []byte, keys []string, out func(int) []byte) error {
	x := newXMD(d)
	var buf []byte
	p := ristretto255.NewElement()
	for i, k := range keys {
		buf = x.expandString(buf[:0], k, 64)
		p.FromUniformBytes(buf)
		p.ScalarMult(r.s, p)
		p.Encode(out(i)[:0:pointLen])
	}
	return nil
}

func (r ristrettoExp) exp(in, out []byte) error {
	p, err := decodePoint(in)
	if err != nil {
		return err
	}
	p.ScalarMult(r.s, p)
	p.Encode(out[:0:pointLen])
	return nil
}
