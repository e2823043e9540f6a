package suite

import (
	"crypto"
	"crypto/ecdh"
	"crypto/rand"
	"fmt"
	"io"

	gmecdh "github.com/emmansun/gmsm/ecdh"
)

// KeyAgreement is a Diffie-Hellman function: X25519 (RFC 7748), ECDH over
// P-256 (SEC 1 §3.3.1) or ECDH over the SM2 curve (the ephemeral-static
// form of GB/T 32918.3's shared point, without its key confirmation).
//
// Public keys travel as bytes: 32 bytes for X25519, the 65-byte
// uncompressed point for P-256 and SM2. The shared secret is the X25519
// output or the x-coordinate of the shared point; feed it to a KDF, never
// use it as a key.
type KeyAgreement interface {
	// Name is "x25519", "p256-ecdh" or "sm2-ecdh".
	Name() string
	// PublicKeySize is the length of an encoded public key.
	PublicKeySize() int
	// GenerateKey makes a new key pair from r (crypto/rand when nil).
	// Since Go 1.26 crypto/ecdh ignores r for X25519 and P-256 and uses a
	// secure source; the SM2 curve (gmsm) uses r.
	GenerateKey(r io.Reader) (AgreementKey, error)
	// NewPrivateKey loads a private scalar (AgreementKey.Bytes).
	NewPrivateKey(b []byte) (AgreementKey, error)

	id() byte
}

// AgreementKey is a private key of one KeyAgreement.
type AgreementKey interface {
	KeyAgreement() KeyAgreement
	// Bytes is the private scalar; keep it secret.
	Bytes() []byte
	// Public is *ecdh.PublicKey (X25519, P-256) or *gmsm/ecdh.PublicKey (SM2).
	Public() crypto.PublicKey
	// PublicBytes is the encoded public key.
	PublicBytes() []byte
	// Agree computes the shared secret with a peer's encoded public key.
	Agree(peerPublic []byte) ([]byte, error)
}

// Wire identifiers of the key agreements in envelope headers.
const (
	kaX25519 byte = 1
	kaP256   byte = 2
	kaSM2    byte = 3
)

// X25519 is RFC 7748 X25519.
func X25519() KeyAgreement { return stdKA{"x25519", kaX25519, ecdh.X25519(), 32} }

// ECDHP256 is ECDH over NIST P-256.
func ECDHP256() KeyAgreement { return stdKA{"p256-ecdh", kaP256, ecdh.P256(), 65} }

// SM2ECDH is ECDH over the SM2 recommended curve.
func SM2ECDH() KeyAgreement { return sm2KA{} }

func keyAgreementByID(id byte) (KeyAgreement, error) {
	switch id {
	case kaX25519:
		return X25519(), nil
	case kaP256:
		return ECDHP256(), nil
	case kaSM2:
		return SM2ECDH(), nil
	}
	return nil, fmt.Errorf("unknown key agreement 0x%02x", id)
}

type stdKA struct {
	name  string
	wid   byte
	curve ecdh.Curve
	size  int
}

func (k stdKA) Name() string       { return k.name }
func (k stdKA) PublicKeySize() int { return k.size }
func (k stdKA) id() byte           { return k.wid }

func (k stdKA) GenerateKey(r io.Reader) (AgreementKey, error) {
	if r == nil {
		r = rand.Reader
	}
	priv, err := k.curve.GenerateKey(r)
	if err != nil {
		return nil, fmt.Errorf("%s: generating a key: %w", k.name, err)
	}
	return stdKey{k, priv}, nil
}

func (k stdKA) NewPrivateKey(b []byte) (AgreementKey, error) {
	priv, err := k.curve.NewPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: loading a private key: %w", k.name, err)
	}
	return stdKey{k, priv}, nil
}

type stdKey struct {
	ka   stdKA
	priv *ecdh.PrivateKey
}

func (k stdKey) KeyAgreement() KeyAgreement { return k.ka }
func (k stdKey) Bytes() []byte              { return k.priv.Bytes() }
func (k stdKey) Public() crypto.PublicKey   { return k.priv.PublicKey() }
func (k stdKey) PublicBytes() []byte        { return k.priv.PublicKey().Bytes() }
func (k stdKey) Agree(peer []byte) ([]byte, error) {
	pub, err := k.ka.curve.NewPublicKey(peer)
	if err != nil {
		return nil, fmt.Errorf("%s: peer public key: %w", k.ka.name, err)
	}
	z, err := k.priv.ECDH(pub)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.ka.name, err)
	}
	return z, nil
}

type sm2KA struct{}

func (sm2KA) Name() string       { return "sm2-ecdh" }
func (sm2KA) PublicKeySize() int { return 65 }
func (sm2KA) id() byte           { return kaSM2 }

func (sm2KA) GenerateKey(r io.Reader) (AgreementKey, error) {
	if r == nil {
		r = rand.Reader
	}
	priv, err := gmecdh.P256().GenerateKey(r)
	if err != nil {
		return nil, fmt.Errorf("sm2-ecdh: generating a key: %w", err)
	}
	return sm2Key{priv}, nil
}

func (sm2KA) NewPrivateKey(b []byte) (AgreementKey, error) {
	priv, err := gmecdh.P256().NewPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("sm2-ecdh: loading a private key: %w", err)
	}
	return sm2Key{priv}, nil
}

type sm2Key struct{ priv *gmecdh.PrivateKey }

func (k sm2Key) KeyAgreement() KeyAgreement { return sm2KA{} }
func (k sm2Key) Bytes() []byte              { return k.priv.Bytes() }
func (k sm2Key) Public() crypto.PublicKey   { return k.priv.PublicKey() }
func (k sm2Key) PublicBytes() []byte        { return k.priv.PublicKey().Bytes() }
func (k sm2Key) Agree(peer []byte) ([]byte, error) {
	pub, err := gmecdh.P256().NewPublicKey(peer)
	if err != nil {
		return nil, fmt.Errorf("sm2-ecdh: peer public key: %w", err)
	}
	z, err := k.priv.ECDH(pub)
	if err != nil {
		return nil, fmt.Errorf("sm2-ecdh: %w", err)
	}
	return z, nil
}
