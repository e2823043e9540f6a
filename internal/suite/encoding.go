package suite

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// AlgOf names the algorithm of a public key: ed25519.PublicKey is
// Ed25519, *ecdsa.PublicKey is P256 or SM2 by its curve.
func AlgOf(pub crypto.PublicKey) (Alg, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if len(k) == ed25519.PublicKeySize {
			return Ed25519, nil
		}
	case *ecdsa.PublicKey:
		if k != nil && k.Curve == elliptic.P256() {
			return P256, nil
		}
		if k != nil && isSM2Curve(k.Curve) {
			return SM2, nil
		}
	}
	return "", fmt.Errorf("unsupported public key %s", describeKey(pub))
}

// MarshalPublicKey returns the canonical bytes of a public key: the 32
// bytes of RFC 8032 for Ed25519, and the SEC 1 §2.3.3 compressed point
// (33 bytes, 0x02 or 0x03 then x) for P-256 and SM2 — the form did:key's
// multicodec keys (p256-pub 0x1200, sm2-pub 0x1206) carry.
func MarshalPublicKey(alg Alg, pub crypto.PublicKey) ([]byte, error) {
	return marshalPublic(alg, pub, true)
}

// MarshalPublicKeyUncompressed is MarshalPublicKey with the SEC 1
// uncompressed point (65 bytes, 0x04 || x || y) for P-256 and SM2, the form
// JWK-free formats and GM/T 0009 use. Ed25519 keys are the same 32 bytes.
func MarshalPublicKeyUncompressed(alg Alg, pub crypto.PublicKey) ([]byte, error) {
	return marshalPublic(alg, pub, false)
}

func marshalPublic(alg Alg, pub crypto.PublicKey, compressed bool) ([]byte, error) {
	got, err := AlgOf(pub)
	if err != nil {
		return nil, fmt.Errorf("marshalling a %s public key: %w", alg, err)
	}
	if got != alg {
		return nil, fmt.Errorf("marshalling a %s public key: got a %s key", alg, got)
	}
	if alg == Ed25519 {
		return append([]byte(nil), pub.(ed25519.PublicKey)...), nil
	}
	k := pub.(*ecdsa.PublicKey)
	if compressed {
		out := make([]byte, 33)
		out[0] = 2 | byte(k.Y.Bit(0))
		k.X.FillBytes(out[1:])
		return out, nil
	}
	out := make([]byte, 65)
	out[0] = 4
	k.X.FillBytes(out[1:33])
	k.Y.FillBytes(out[33:])
	return out, nil
}

// ParsePublicKey is the inverse of MarshalPublicKey and
// MarshalPublicKeyUncompressed: it takes 32 bytes for Ed25519 and a
// compressed or uncompressed point for P-256 and SM2, checks that the point
// is on the curve, and returns ed25519.PublicKey or *ecdsa.PublicKey.
func ParsePublicKey(alg Alg, b []byte) (crypto.PublicKey, error) {
	switch alg {
	case Ed25519:
		if len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("parsing an ed25519 public key: %d bytes, want 32", len(b))
		}
		return ed25519.PublicKey(append([]byte(nil), b...)), nil
	case P256, SM2:
		var curve elliptic.Curve = elliptic.P256()
		if alg == SM2 {
			curve = sm2.P256()
		}
		uncompressed, err := decompress(curve, b)
		if err != nil {
			return nil, fmt.Errorf("parsing a %s public key: %w", alg, err)
		}
		var k *ecdsa.PublicKey
		if alg == SM2 {
			k, err = sm2.NewPublicKey(uncompressed)
		} else {
			k, err = ecdsa.ParseUncompressedPublicKey(elliptic.P256(), uncompressed)
		}
		if err != nil {
			return nil, fmt.Errorf("parsing a %s public key: %w", alg, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("parsing a public key: unknown algorithm %q", alg)
}

// decompress returns the uncompressed SEC 1 form of a compressed or
// uncompressed point; the caller's parser checks it is on the curve. Both
// P-256 and the SM2 curve have a = -3, which elliptic's generic
// decompression assumes.
func decompress(curve elliptic.Curve, b []byte) ([]byte, error) {
	switch {
	case len(b) == 65 && b[0] == 4:
		return b, nil
	case len(b) == 33 && (b[0] == 2 || b[0] == 3):
		p := curve.Params().P
		if new(big.Int).SetBytes(b[1:]).Cmp(p) >= 0 {
			return nil, errors.New("x coordinate out of range")
		}
		x, y := elliptic.UnmarshalCompressed(curve, b)
		if x == nil {
			return nil, errors.New("compressed point not on the curve")
		}
		out := make([]byte, 65)
		out[0] = 4
		x.FillBytes(out[1:33])
		y.FillBytes(out[33:])
		return out, nil
	}
	return nil, fmt.Errorf("%d bytes starting %s: want a 33-byte compressed or 65-byte uncompressed point", len(b), firstByte(b))
}

func firstByte(b []byte) string {
	if len(b) == 0 {
		return "with nothing"
	}
	return fmt.Sprintf("0x%02x", b[0])
}

// MarshalPrivateKey encodes a private key as PKCS#8 DER (RFC 5208/5958):
// RFC 8410 for Ed25519, RFC 5480 id-ecPublicKey with prime256v1 for P-256,
// and id-ecPublicKey with sm2p256v1 (1.2.156.10197.1.301, GM/T 0010) for SM2.
// priv is ed25519.PrivateKey, *ecdsa.PrivateKey, *sm2.PrivateKey or a
// Signer made by this package.
func MarshalPrivateKey(alg Alg, priv crypto.PrivateKey) ([]byte, error) {
	if s, ok := priv.(Signer); ok {
		k, err := privateKeyOf(s)
		if err != nil {
			return nil, fmt.Errorf("marshalling a %s private key: %w", alg, err)
		}
		priv = k
	}
	switch alg {
	case Ed25519:
		k, ok := priv.(ed25519.PrivateKey)
		if !ok || len(k) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("marshalling an ed25519 private key: got %s", describeKey(priv))
		}
		return x509.MarshalPKCS8PrivateKey(k)
	case P256:
		k, ok := priv.(*ecdsa.PrivateKey)
		if !ok || k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("marshalling a p256 private key: got %s", describeKey(priv))
		}
		return x509.MarshalPKCS8PrivateKey(k)
	case SM2:
		k, err := toSM2Private(priv)
		if err != nil {
			return nil, fmt.Errorf("marshalling an sm2 private key: %w", err)
		}
		der, err := smx509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("marshalling an sm2 private key: %w", err)
		}
		return der, nil
	}
	return nil, fmt.Errorf("marshalling a private key: unknown algorithm %q", alg)
}

// ParsePrivateKey parses PKCS#8 DER made by MarshalPrivateKey (or OpenSSL,
// GmSSL, Tongsuo) and checks it is a key for alg. It returns
// ed25519.PrivateKey, *ecdsa.PrivateKey (P-256) or *sm2.PrivateKey, each
// accepted by NewSigner.
func ParsePrivateKey(alg Alg, der []byte) (crypto.PrivateKey, error) {
	switch alg {
	case Ed25519, P256:
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("parsing a %s private key: %w", alg, err)
		}
		switch k := k.(type) {
		case ed25519.PrivateKey:
			if alg == Ed25519 {
				return k, nil
			}
		case *ecdsa.PrivateKey:
			if alg == P256 && k.Curve == elliptic.P256() {
				return k, nil
			}
		}
		return nil, fmt.Errorf("parsing a %s private key: the PKCS#8 holds a %s", alg, describeKey(k))
	case SM2:
		k, err := smx509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("parsing an sm2 private key: %w", err)
		}
		sk, ok := k.(*sm2.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("parsing an sm2 private key: the PKCS#8 holds a %s", describeKey(k))
		}
		return sk, nil
	}
	return nil, fmt.Errorf("parsing a private key: unknown algorithm %q", alg)
}

// privateKeyOf returns the private key inside a Signer made by this
// package.
func privateKeyOf(s Signer) (crypto.PrivateKey, error) {
	switch s := s.(type) {
	case ed25519Signer:
		return s.priv, nil
	case *p256Signer:
		return s.priv, nil
	case *sm2Signer:
		return s.priv, nil
	}
	return nil, fmt.Errorf("signer %T was not made by this package; its private key is not reachable", s)
}
