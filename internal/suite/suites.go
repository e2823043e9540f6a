package suite

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"hash"
	"slices"

	"github.com/emmansun/gmsm/sm3"
)

// Suite is one algorithm suite: the signature algorithms, key agreements,
// hash, KDF and AEAD that a party speaking it accepts. The two suites are
// the package values Intl and GM; a Suite is never modified.
type Suite struct {
	name        string
	wid         byte
	sigAlgs     []Alg
	kas         []KeyAgreement
	newHash     func() hash.Hash
	hashName    string
	kdfName     string
	aeadName    string
	aeadKeySize int
	newAEAD     func(key []byte) (AEAD, error)
}

// Wire identifiers of the suites in envelope headers.
const (
	suiteIntl byte = 1
	suiteGM   byte = 2
)

var (
	// Intl is the international suite: Ed25519 and ECDSA P-256 signatures,
	// X25519 and ECDH P-256, SHA-256, HKDF-SHA256, AES-256-GCM.
	Intl = &Suite{
		name:        "intl",
		wid:         suiteIntl,
		sigAlgs:     []Alg{Ed25519, P256},
		kas:         []KeyAgreement{X25519(), ECDHP256()},
		newHash:     sha256.New,
		hashName:    "sha-256",
		kdfName:     "hkdf-sha256",
		aeadName:    "aes-256-gcm",
		aeadKeySize: 32,
		newAEAD:     NewAES256GCM,
	}
	// GM is the Chinese commercial-cryptography suite: SM2 signatures,
	// SM2 ECDH, SM3, HKDF-SM3, SM4-GCM.
	GM = &Suite{
		name:        "gm",
		wid:         suiteGM,
		sigAlgs:     []Alg{SM2},
		kas:         []KeyAgreement{SM2ECDH()},
		newHash:     sm3.New,
		hashName:    "sm3",
		kdfName:     "hkdf-sm3",
		aeadName:    "sm4-gcm",
		aeadKeySize: 16,
		newAEAD:     NewSM4GCM,
	}
)

// Suites lists every suite, Intl first.
func Suites() []*Suite { return []*Suite{Intl, GM} }

// ByName returns the suite named "intl" or "gm".
func ByName(name string) (*Suite, error) {
	for _, s := range Suites() {
		if s.name == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("unknown suite %q (accepted: intl, gm)", name)
}

// Of returns the suite a signature algorithm belongs to.
func Of(alg Alg) (*Suite, error) {
	for _, s := range Suites() {
		if s.Supports(alg) {
			return s, nil
		}
	}
	return nil, fmt.Errorf("no suite has algorithm %q", alg)
}

func suiteByID(id byte) (*Suite, error) {
	for _, s := range Suites() {
		if s.wid == id {
			return s, nil
		}
	}
	return nil, fmt.Errorf("unknown suite 0x%02x", id)
}

// Name is "intl" or "gm".
func (s *Suite) Name() string   { return s.name }
func (s *Suite) String() string { return s.name }

// SigAlgs lists the signature algorithms, preferred first.
func (s *Suite) SigAlgs() []Alg { return slices.Clone(s.sigAlgs) }

// Supports reports whether alg is one of the suite's signature algorithms.
func (s *Suite) Supports(alg Alg) bool { return slices.Contains(s.sigAlgs, alg) }

// KeyAgreements lists the key agreements, preferred first.
func (s *Suite) KeyAgreements() []KeyAgreement { return slices.Clone(s.kas) }

// Hash returns a new hash: SHA-256 (FIPS 180-4) or SM3 (GB/T 32905-2016),
// both 32 bytes.
func (s *Suite) Hash() hash.Hash { return s.newHash() }

// HashName is "sha-256" or "sm3".
func (s *Suite) HashName() string { return s.hashName }

// Sum hashes data with the suite's hash.
func (s *Suite) Sum(data []byte) []byte {
	h := s.newHash()
	h.Write(data)
	return h.Sum(nil)
}

// KDFName is "hkdf-sha256" or "hkdf-sm3".
func (s *Suite) KDFName() string { return s.kdfName }

// KDF derives length bytes with HKDF (RFC 5869) over the suite's hash:
// HKDF-SHA256 for intl, HKDF-SM3 for gm (the KDF of the TLS 1.3 SM cipher
// suites, RFC 8998). For the GB/T 32918.4 KDF see SM3KDF.
func (s *Suite) KDF(secret, salt []byte, info string, length int) ([]byte, error) {
	k, err := hkdf.Key(s.newHash, secret, salt, info, length)
	if err != nil {
		return nil, fmt.Errorf("%s: deriving %d bytes: %w", s.kdfName, length, err)
	}
	return k, nil
}

// AEADName is "aes-256-gcm" or "sm4-gcm".
func (s *Suite) AEADName() string { return s.aeadName }

// AEADKeySize is 32 for AES-256-GCM and 16 for SM4-GCM.
func (s *Suite) AEADKeySize() int { return s.aeadKeySize }

// NewAEAD returns the suite's AEAD under key (AEADKeySize bytes).
func (s *Suite) NewAEAD(key []byte) (AEAD, error) { return s.newAEAD(key) }

// SM3KDF is the key derivation function of GB/T 32918.4-2016 §5.4.3 (also
// used by SM2 key exchange and encryption): SM3(Z || ct) for a 32-bit
// big-endian counter ct from 1, concatenated and cut to length bytes.
func SM3KDF(z []byte, length int) []byte { return sm3.Kdf(z, length) }
