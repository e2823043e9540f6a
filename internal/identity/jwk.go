package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/xborder/xborder/internal/suite"
)

// JWK is the public JSON Web Key (RFC 7517) of a JsonWebKey verification
// method: OKP/Ed25519 (RFC 8037) or EC/P-256 (RFC 7518). Other members
// (kid, alg, use, key_ops, …) are kept in Extra; private-key members are
// rejected, as DID Core §5.2.1 requires.
type JWK struct {
	Kty   string
	Crv   string
	X     string
	Y     string
	Extra map[string]json.RawMessage
}

// b64 is unpadded base64url that rejects non-canonical trailing bits.
func b64() *base64.Encoding { return base64.RawURLEncoding.Strict() }

// NewJWK returns the JWK of an Ed25519 or P-256 public key. SM2 has no
// registered JWK curve and is refused (use Multikey).
func NewJWK(alg suite.Alg, pub crypto.PublicKey) (*JWK, error) {
	switch alg {
	case suite.Ed25519:
		k, ok := pub.(ed25519.PublicKey)
		if !ok || len(k) != ed25519.PublicKeySize {
			return nil, newErr(CodeInvalidPublicKeyType, "ed25519: public key of type %T", pub)
		}
		return &JWK{Kty: "OKP", Crv: "Ed25519", X: b64().EncodeToString(k)}, nil
	case suite.P256:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || k.Curve != elliptic.P256() {
			return nil, newErr(CodeInvalidPublicKeyType, "p256: public key of type %T (or not on P-256)", pub)
		}
		u, err := k.Bytes()
		if err != nil || len(u) != 65 {
			return nil, wrapErr(CodeInvalidPublicKey, err, "p256: cannot encode the public key")
		}
		return &JWK{Kty: "EC", Crv: "P-256", X: b64().EncodeToString(u[1:33]), Y: b64().EncodeToString(u[33:])}, nil
	case suite.SM2:
		return nil, newErr(CodeUnsupportedPublicKeyType, "sm2 has no registered JWK curve; use a Multikey verification method")
	}
	return nil, newErr(CodeUnsupportedPublicKeyType, "unknown algorithm %q", alg)
}

// PublicKey decodes the key. X25519 keys are refused with
// invalidPublicKeyType: they cannot verify signatures.
func (j *JWK) PublicKey() (suite.Alg, crypto.PublicKey, error) {
	switch {
	case j.Kty == "OKP" && j.Crv == "Ed25519":
		if j.Y != "" {
			return "", nil, newErr(CodeInvalidPublicKey, "OKP key with a y coordinate")
		}
		x, err := b64().DecodeString(j.X)
		if err != nil {
			return "", nil, wrapErr(CodeInvalidPublicKey, err, "jwk x")
		}
		if len(x) != ed25519.PublicKeySize {
			return "", nil, newErr(CodeInvalidPublicKeyLength, "Ed25519 x of %d bytes, want 32", len(x))
		}
		return suite.Ed25519, ed25519.PublicKey(x), nil
	case j.Kty == "EC" && j.Crv == "P-256":
		x, err := b64().DecodeString(j.X)
		if err != nil {
			return "", nil, wrapErr(CodeInvalidPublicKey, err, "jwk x")
		}
		y, err := b64().DecodeString(j.Y)
		if err != nil {
			return "", nil, wrapErr(CodeInvalidPublicKey, err, "jwk y")
		}
		if len(x) != 32 || len(y) != 32 {
			return "", nil, newErr(CodeInvalidPublicKeyLength, "P-256 coordinates of %d and %d bytes, want 32", len(x), len(y))
		}
		u := append(append([]byte{4}, x...), y...)
		k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), u)
		if err != nil {
			return "", nil, wrapErr(CodeInvalidPublicKey, err, "P-256 point")
		}
		return suite.P256, k, nil
	case j.Kty == "OKP" && (j.Crv == "X25519" || j.Crv == "X448"):
		return "", nil, newErr(CodeInvalidPublicKeyType, "%s is a key-agreement key and cannot verify signatures", j.Crv)
	}
	return "", nil, newErr(CodeUnsupportedPublicKeyType, "JWK kty %q crv %q is not supported (accepted: OKP/Ed25519, EC/P-256)", j.Kty, j.Crv)
}

func (j JWK) MarshalJSON() ([]byte, error) {
	return writeObject([]member{
		{name: "kty", value: j.Kty},
		{name: "crv", value: j.Crv, omit: j.Crv == ""},
		{name: "x", value: j.X, omit: j.X == ""},
		{name: "y", value: j.Y, omit: j.Y == ""},
	}, j.Extra)
}

func (j *JWK) UnmarshalJSON(b []byte) error {
	o, err := readObject(b, "publicKeyJwk")
	if err != nil {
		return err
	}
	for _, m := range [...]string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} { // private key members
		if _, ok := o[m]; ok {
			return fmt.Errorf("publicKeyJwk carries private key member %q", m)
		}
	}
	var v JWK
	if ok, err := o.take("kty", &v.Kty); err != nil || !ok || v.Kty == "" {
		return fmt.Errorf("publicKeyJwk: kty is required and must be a string")
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"crv", &v.Crv}, {"x", &v.X}, {"y", &v.Y}} {
		if _, err := o.take(f.name, f.dst); err != nil {
			return fmt.Errorf("publicKeyJwk: %w", err)
		}
	}
	v.Extra = o.rest()
	*j = v
	return nil
}
