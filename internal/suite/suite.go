package suite

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// Alg names a signature algorithm.
type Alg string

const (
	Ed25519 Alg = "ed25519" // RFC 8032 pure Ed25519
	P256    Alg = "p256"    // ECDSA over NIST P-256 with SHA-256
	SM2     Alg = "sm2"     // SM2 with SM3 and the default user ID (GB/T 32918.2)
)

// ErrBadSignature is returned (wrapped) by Verify for a signature that does
// not verify.
var ErrBadSignature = errors.New("signature does not verify")

// Signer signs messages with one private key.
//
// Sign takes the whole message and hashes it as the algorithm requires:
// Ed25519 signs it as is, P-256 signs its SHA-256 digest, SM2 its SM3
// digest with the signer's Z value. Signatures are fixed-size raw bytes:
// 64 bytes for Ed25519; r||s, 32 bytes each, for P-256 (IEEE P1363, the
// form JOSE ES256 and Data Integrity use) and for SM2.
type Signer interface {
	Alg() Alg
	Public() crypto.PublicKey
	Sign(msg []byte) ([]byte, error)
}

// Generate makes a new key for alg, reading randomness from r (crypto/rand
// when nil). Since Go 1.26 the standard library ignores r for P-256 key
// generation and signing unless GODEBUG=cryptocustomrand=1; Ed25519 and SM2
// (gmsm) use it. For deterministic tests use testing/cryptotest.SetGlobalRandom.
func Generate(alg Alg, r io.Reader) (Signer, error) {
	if r == nil {
		r = rand.Reader
	}
	switch alg {
	case Ed25519:
		_, priv, err := ed25519.GenerateKey(r)
		if err != nil {
			return nil, fmt.Errorf("generating an Ed25519 key: %w", err)
		}
		return ed25519Signer{priv}, nil
	case P256:
		priv, err := ecdsa.GenerateKey(elliptic.P256(), r)
		if err != nil {
			return nil, fmt.Errorf("generating a P-256 key: %w", err)
		}
		return &p256Signer{priv: priv, rand: r}, nil
	case SM2:
		return generateSM2(r)
	}
	return nil, fmt.Errorf("unknown algorithm %q (accepted: ed25519, p256, sm2)", alg)
}

// NewSigner wraps an existing private key: ed25519.PrivateKey,
// *ecdsa.PrivateKey on P-256, or an SM2 private key.
func NewSigner(priv crypto.PrivateKey) (Signer, error) {
	switch k := priv.(type) {
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return nil, errors.New("ed25519 private key of the wrong length")
		}
		return ed25519Signer{k}, nil
	case *ecdsa.PrivateKey:
		if k.Curve == elliptic.P256() {
			return &p256Signer{priv: k, rand: rand.Reader}, nil
		}
		if isSM2Curve(k.Curve) {
			return newSM2Signer(k)
		}
		return nil, fmt.Errorf("ECDSA key on %s: only P-256 and the SM2 curve are supported", k.Curve.Params().Name)
	case nil:
		return nil, errors.New("no private key")
	}
	return newSM2Signer(priv)
}

// Verify checks sig over msg with pub under alg. A signature that does not
// verify is an error wrapping ErrBadSignature; a key of the wrong type for
// alg is another error.
func Verify(alg Alg, pub crypto.PublicKey, msg, sig []byte) error {
	switch alg {
	case Ed25519:
		k, ok := pub.(ed25519.PublicKey)
		if !ok || len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("ed25519: wrong public key type %s", describeKey(pub))
		}
		if len(sig) != ed25519.SignatureSize || !ed25519.Verify(k, msg, sig) {
			return fmt.Errorf("ed25519: %w", ErrBadSignature)
		}
		return nil
	case P256:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || k.Curve != elliptic.P256() {
			return fmt.Errorf("p256: wrong public key type %s", describeKey(pub))
		}
		if len(sig) != 64 {
			return fmt.Errorf("p256: signature of %d bytes, want 64: %w", len(sig), ErrBadSignature)
		}
		h := sha256.Sum256(msg)
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(k, h[:], r, s) {
			return fmt.Errorf("p256: %w", ErrBadSignature)
		}
		return nil
	case SM2:
		return verifySM2(pub, msg, sig)
	}
	return fmt.Errorf("unknown algorithm %q", alg)
}

// describeKey names a key's type for error messages, with the curve for
// ECDSA keys (an SM2 key and a P-256 key are both *ecdsa.PublicKey).
func describeKey(k any) string {
	switch k := k.(type) {
	case *ecdsa.PublicKey:
		if k != nil && k.Curve != nil {
			return fmt.Sprintf("%T on %s", k, k.Curve.Params().Name)
		}
	case *ecdsa.PrivateKey:
		if k != nil && k.Curve != nil {
			return fmt.Sprintf("%T on %s", k, k.Curve.Params().Name)
		}
	}
	return fmt.Sprintf("%T", k)
}

type ed25519Signer struct{ priv ed25519.PrivateKey }

func (s ed25519Signer) Alg() Alg                 { return Ed25519 }
func (s ed25519Signer) Public() crypto.PublicKey { return s.priv.Public() }
func (s ed25519Signer) Sign(msg []byte) ([]byte, error) {
	return ed25519.Sign(s.priv, msg), nil
}

type p256Signer struct {
	priv *ecdsa.PrivateKey
	rand io.Reader
}

func (s *p256Signer) Alg() Alg                 { return P256 }
func (s *p256Signer) Public() crypto.PublicKey { return &s.priv.PublicKey }
func (s *p256Signer) Sign(msg []byte) ([]byte, error) {
	h := sha256.Sum256(msg)
	r, ss, err := ecdsa.Sign(s.rand, s.priv, h[:])
	if err != nil {
		return nil, fmt.Errorf("p256: signing: %w", err)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	ss.FillBytes(out[32:])
	return out, nil
}
