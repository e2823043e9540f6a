package statuslist

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
)

// Sizes of a bitstring.
const (
	// MinEntries is the smallest list the specification allows (§2.1: at
	// least 16 KiB uncompressed, 131,072 entries of one bit), for herd
	// privacy: a verifier fetching the list learns only that the credential
	// is one of that many.
	MinEntries = 131072
	// MinBytes is MinEntries bits.
	MinBytes = MinEntries / 8
	// DefaultMaxDecodedBytes bounds a decompressed bitstring (16 MiB,
	// 134 million one-bit entries): the GZIP-bomb guard of Decode.
	DefaultMaxDecodedBytes = 16 << 20
	// MaxEncodedLen bounds the encodedList text Decode accepts (2 MiB).
	MaxEncodedLen = 2 << 20
)

// Bitstring is a status bitstring. Index 0 is the left-most (most
// significant) bit of byte 0, as the specification requires.
// A Bitstring is not safe for concurrent mutation.
type Bitstring struct {
	b []byte
}

// NewBitstring returns an all-zero bitstring of nbits bits; nbits must be a
// positive multiple of 8.
func NewBitstring(nbits int) (*Bitstring, error) {
	if nbits <= 0 || nbits%8 != 0 || nbits/8 > DefaultMaxDecodedBytes {
		return nil, errorf(CodeInvalidArgument, nil, fmt.Sprintf("bitstring of %d bits: want a positive multiple of 8, at most %d bytes", nbits, DefaultMaxDecodedBytes))
	}
	return &Bitstring{b: make([]byte, nbits/8)}, nil
}

// BitstringFromBytes returns a bitstring over a copy of b.
func BitstringFromBytes(b []byte) *Bitstring {
	return &Bitstring{b: bytes.Clone(b)}
}

// Len is the number of bits.
func (s *Bitstring) Len() int { return len(s.b) * 8 }

// Bytes returns a copy of the bits.
func (s *Bitstring) Bytes() []byte { return bytes.Clone(s.b) }

// Clone returns a deep copy.
func (s *Bitstring) Clone() *Bitstring { return BitstringFromBytes(s.b) }

func (s *Bitstring) check(i int) error {
	if i < 0 || i >= s.Len() {
		return errorf(CodeRange, nil, fmt.Sprintf("index %d outside a list of %d bits", i, s.Len()))
	}
	return nil
}

// Get returns bit i.
func (s *Bitstring) Get(i int) (bool, error) {
	if err := s.check(i); err != nil {
		return false, err
	}
	return s.b[i/8]&(0x80>>(i%8)) != 0, nil
}

// Set sets bit i to v.
func (s *Bitstring) Set(i int, v bool) error {
	if err := s.check(i); err != nil {
		return err
	}
	if v {
		s.b[i/8] |= 0x80 >> (i % 8)
	} else {
		s.b[i/8] &^= 0x80 >> (i % 8)
	}
	return nil
}

// Value returns the status of entry index for entries of size bits
// (statusSize): bits index*size … index*size+size-1, the first one most
// significant. size is 1 to 8.
func (s *Bitstring) Value(index, size int) (uint, error) {
	if size < 1 || size > 8 {
		return 0, errorf(CodeInvalidArgument, nil, fmt.Sprintf("statusSize %d: want 1 to 8", size))
	}
	if index < 0 || index >= s.Len()/size {
		return 0, errorf(CodeRange, nil, fmt.Sprintf("index %d outside a list of %d entries", index, s.Len()/size))
	}
	var v uint
	for k := range size {
		bit, _ := s.Get(index*size + k)
		v <<= 1
		if bit {
			v |= 1
		}
	}
	return v, nil
}

// Count returns the number of set bits.
func (s *Bitstring) Count() int {
	n := 0
	for _, c := range s.b {
		for ; c != 0; c &= c - 1 {
			n++
		}
	}
	return n
}

// Encode returns the encodedList form: multibase base64url without padding
// ("u" prefix) of the GZIP-compressed bits.
func (s *Bitstring) Encode() (string, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return "", errorf(CodeInternal, err, "starting GZIP")
	}
	if _, err := zw.Write(s.b); err != nil {
		return "", errorf(CodeInternal, err, "compressing the bitstring")
	}
	if err := zw.Close(); err != nil {
		return "", errorf(CodeInternal, err, "compressing the bitstring")
	}
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// Decode parses an encodedList: "u" then base64url without padding of a GZIP
// stream, decompressed to at most maxBytes bytes (DefaultMaxDecodedBytes when
// maxBytes <= 0). Anything else — another multibase prefix, padding, bad
// base64, a corrupt or truncated stream, an empty or over-long result — is a
// CodeStatusInvalid error. Decompression stops at the bound, so a GZIP bomb
// costs at most maxBytes of memory.
func Decode(encoded string, maxBytes int) (*Bitstring, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxDecodedBytes
	}
	if len(encoded) > MaxEncodedLen {
		return nil, errorf(CodeStatusInvalid, nil, fmt.Sprintf("encodedList of %d characters exceeds %d", len(encoded), MaxEncodedLen))
	}
	rest, ok := cutPrefix(encoded, "u")
	if !ok {
		return nil, errorf(CodeStatusInvalid, nil, "encodedList is not multibase base64url (no \"u\" prefix)")
	}
	z, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	if err != nil {
		return nil, errorf(CodeStatusInvalid, err, "encodedList is not base64url without padding")
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, errorf(CodeStatusInvalid, err, "encodedList is not GZIP")
	}
	b, err := io.ReadAll(io.LimitReader(zr, int64(maxBytes)+1))
	if err != nil {
		return nil, errorf(CodeStatusInvalid, err, "decompressing encodedList")
	}
	if len(b) > maxBytes {
		return nil, errorf(CodeStatusInvalid, nil, fmt.Sprintf("decompressed bitstring exceeds %d bytes", maxBytes))
	}
	if len(b) == 0 {
		return nil, errorf(CodeStatusInvalid, nil, "empty bitstring")
	}
	return &Bitstring{b: b}, nil
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}
