package mask

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"hash"
	"unicode/utf8"

	"github.com/xborder/xborder/internal/suite"
)

// keyInfo is the HKDF info prefix; the agreement ID follows it.
const keyInfo = "xborder mask v1 pseudonym key\x00"

// MinSecretBytes is the least per-agreement secret DeriveKey accepts.
const MinSecretBytes = 16

// Key is the pseudonymisation key of one agreement: 32 bytes derived from
// the agreement's secret, and the suite whose HMAC uses it. It formats as
// its suite and agreement, never its bytes.
type Key struct {
	suite     *suite.Suite
	agreement string
	k         [32]byte
}

// DeriveKey derives the pseudonymisation key of an agreement from its
// secret: HKDF (RFC 5869) over the suite's hash, HKDF-SHA256 for "intl"
// and HKDF-SM3 for "gm", with
//
//	IKM = secret, salt = "", info = "xborder mask v1 pseudonym key" || 0x00 || agreementID, L = 32.
//
// Tokens are then HMAC-SHA256 or HMAC-SM3 under that key. The secret must
// be at least MinSecretBytes random bytes, kept by the data provider and
// never sent to the recipient: whoever holds it can test guesses (is this
// token 13800138000?). Two agreements get unrelated keys even from one
// secret, so their tokens cannot be linked.
func DeriveKey(suiteName string, secret []byte, agreementID string) (*Key, error) {
	s, err := suite.ByName(suiteName)
	if err != nil {
		return nil, fmt.Errorf("mask: %w", err)
	}
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("mask: agreement secret of %d bytes, want at least %d", len(secret), MinSecretBytes)
	}
	if agreementID == "" || len(agreementID) > maxNameBytes || !utf8.ValidString(agreementID) {
		return nil, errors.New("mask: agreement ID empty, longer than 1024 bytes or not UTF-8")
	}
	b, err := s.KDF(secret, nil, keyInfo+agreementID, 32)
	if err != nil {
		return nil, fmt.Errorf("mask: %w", err)
	}
	k := &Key{suite: s, agreement: agreementID}
	copy(k.k[:], b)
	clear(b)
	return k, nil
}

// Suite is "intl" or "gm".
func (k *Key) Suite() string { return k.suite.Name() }

// Agreement is the agreement ID the key was derived for.
func (k *Key) Agreement() string { return k.agreement }

// MAC names the token function: "hmac-sha256" or "hmac-sm3".
func (k *Key) MAC() string {
	if k.suite.HashName() == "sm3" {
		return "hmac-sm3"
	}
	return "hmac-sha256"
}

func (k *Key) String() string {
	return fmt.Sprintf("mask key (%s, agreement %q)", k.MAC(), k.agreement)
}
func (k *Key) GoString() string { return k.String() }

func (k *Key) newMAC() hash.Hash {
	return hmac.New(k.suite.Hash, k.k[:])
}

// Token alphabets.
const base32Alphabet = "abcdefghijklmnopqrstuvwxyz234567"

// appendToken appends prefix || encoding of the MAC of the domain and the
// (normalised) value. mac is reset here; sum is scratch of 64 bytes.
func appendToken(dst []byte, mac hash.Hash, o *op, value []byte, sum []byte) []byte {
	mac.Reset()
	mac.Write(o.domain) // length-prefixed, so that domain and value cannot run into each other
	mac.Write(value)
	s := mac.Sum(sum[:0])
	dst = append(dst, o.prefix...)
	if o.digits {
		return appendDigits(dst, s, o.length)
	}
	return appendBase32(dst, s, o.length)
}

func appendBase32(dst, s []byte, n int) []byte {
	var acc uint32
	bits := 0
	for _, c := range s {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			dst = append(dst, base32Alphabet[(acc>>bits)&31])
			if n--; n == 0 {
				return dst
			}
		}
	}
	return dst
}

// appendDigits takes 15 decimal digits from each 64-bit word of s (a word
// mod 10^15; the bias is below 10^15/2^64 ≈ 5.4·10^-5), so 32 bytes give
// up to 60 digits.
func appendDigits(dst, s []byte, n int) []byte {
	const per = 15
	for w := 0; w+8 <= len(s) && n > 0; w += 8 {
		x := uint64(s[w])<<56 | uint64(s[w+1])<<48 | uint64(s[w+2])<<40 | uint64(s[w+3])<<32 |
			uint64(s[w+4])<<24 | uint64(s[w+5])<<16 | uint64(s[w+6])<<8 | uint64(s[w+7])
		x %= 1_000_000_000_000_000
		var d [per]byte
		for i := per - 1; i >= 0; i-- {
			d[i] = byte('0' + x%10)
			x /= 10
		}
		take := min(n, per)
		dst = append(dst, d[:take]...)
		n -= take
	}
	return dst
}
