package suite

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"

	"github.com/emmansun/gmsm/sm4"
)

// AEAD is an authenticated cipher with associated data; the standard
// library's interface is the one this package hands out.
type AEAD = cipher.AEAD

// NewAES256GCM returns AES-256 (FIPS 197) in GCM (NIST SP 800-38D) with a
// 12-byte nonce and a 16-byte tag. key is 32 bytes.
func NewAES256GCM(key []byte) (AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("aes-256-gcm: key of %d bytes, want 32", len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes-256-gcm: %w", err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("aes-256-gcm: %w", err)
	}
	return g, nil
}

// NewSM4GCM returns SM4 (GB/T 32907-2016) in GCM (as in RFC 8998 and
// GB/T 36624-2018) with a 12-byte nonce and a 16-byte tag. key is 16
// bytes, SM4's only key size.
func NewSM4GCM(key []byte) (AEAD, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("sm4-gcm: key of %d bytes, want 16", len(key))
	}
	b, err := sm4.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sm4-gcm: %w", err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("sm4-gcm: %w", err)
	}
	return g, nil
}
