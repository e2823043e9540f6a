package trust

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/xborder/xborder/internal/suite"
)

// TypRegistry is the JWS "typ" of a registry signature.
const TypRegistry = "xborder-trust-registry+jcs"

// JWS algorithm names. EdDSA and ES256 are the registered JOSE names;
// SM2SM3 is private to xborder (no JOSE algorithm for SM2 is registered): an
// SM2 signature (GB/T 32918.2, user ID 1234567812345678) over the SM3 digest,
// r || s, 64 bytes.
const (
	AlgEdDSA  = "EdDSA"
	AlgES256  = "ES256"
	AlgSM2SM3 = "SM2SM3"
)

func jwsAlg(a suite.Alg) (string, error) {
	switch a {
	case suite.Ed25519:
		return AlgEdDSA, nil
	case suite.P256:
		return AlgES256, nil
	case suite.SM2:
		return AlgSM2SM3, nil
	}
	return "", fmt.Errorf("no JWS algorithm for %q", a)
}

// KeySigner is an operator signing key and its key id.
type KeySigner struct {
	KeyID  string
	Signer suite.Signer
}

// OperatorKey is an operator public key a verifier trusts, pinned out of band.
type OperatorKey struct {
	KeyID  string
	Alg    suite.Alg
	Public crypto.PublicKey
}

// Public returns the OperatorKey of s.
func (s KeySigner) Public() OperatorKey {
	return OperatorKey{KeyID: s.KeyID, Alg: s.Signer.Alg(), Public: s.Signer.Public()}
}

type wireSignature struct {
	Protected string `json:"protected"`
	Signature string `json:"signature"`
}

type wireSigned struct {
	Registry   wireRegistry    `json:"registry"`
	Signatures []wireSignature `json:"signatures"`
}

type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// MaxSignatures bounds the signatures of a registry.
const MaxSignatures = 16

// Sign validates r and signs it with every signer (an intl key and an SM2 key
// side by side, or the keys of several operators), returning the signed
// registry document (see the package documentation for the format).
func Sign(r *Registry, signers ...KeySigner) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, errorf(CodeInvalidArgument, err, "validating the registry to sign")
	}
	if len(signers) == 0 || len(signers) > MaxSignatures {
		return nil, errorf(CodeInvalidArgument, nil, fmt.Sprintf("%d signers: want 1 to %d", len(signers), MaxSignatures))
	}
	canon, err := canonicalRegistry(r)
	if err != nil {
		return nil, errorf(CodeInvalidArgument, err, "canonicalising the registry")
	}
	payload := base64.RawURLEncoding.EncodeToString(canon)
	out := wireSigned{Registry: toWire(r)}
	for _, s := range signers {
		if s.Signer == nil || s.KeyID == "" || len(s.KeyID) > MaxStringLen {
			return nil, errorf(CodeInvalidArgument, nil, "a signer needs a key id and a key")
		}
		alg, err := jwsAlg(s.Signer.Alg())
		if err != nil {
			return nil, errorf(CodeInvalidArgument, err, "signing with "+s.KeyID)
		}
		h, err := json.Marshal(header{Alg: alg, Kid: s.KeyID, Typ: TypRegistry})
		if err != nil {
			return nil, errorf(CodeInternal, err, "encoding the JWS header")
		}
		protected := base64.RawURLEncoding.EncodeToString(h)
		sig, err := s.Signer.Sign([]byte(protected + "." + payload))
		if err != nil {
			return nil, errorf(CodeInternal, err, "signing with "+s.KeyID)
		}
		out.Signatures = append(out.Signatures, wireSignature{Protected: protected, Signature: base64.RawURLEncoding.EncodeToString(sig)})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, errorf(CodeInternal, err, "encoding the signed registry")
	}
	return append(b, '\n'), nil
}
