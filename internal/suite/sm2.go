package suite

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
)

// DefaultSM2UID is the user ID that enters the SM2 Z value when none is
// agreed: "1234567812345678" (GB/T 32918.2-2016, GM/T 0009-2012 §10).
// Every SM2 signature of this package uses it.
const DefaultSM2UID = "1234567812345678"

// isSM2Curve reports whether c is the SM2 recommended curve (sm2p256v1).
func isSM2Curve(c elliptic.Curve) bool {
	return c != nil && c.Params() == sm2.P256().Params()
}

func generateSM2(r io.Reader) (Signer, error) {
	priv, err := sm2.GenerateKey(r)
	if err != nil {
		return nil, fmt.Errorf("generating an SM2 key: %w", err)
	}
	return &sm2Signer{priv: priv, rand: r}, nil
}

// newSM2Signer accepts *sm2.PrivateKey or *ecdsa.PrivateKey on the SM2
// curve; everything else has reached the end of NewSigner's type switch.
func newSM2Signer(priv crypto.PrivateKey) (Signer, error) {
	k, err := toSM2Private(priv)
	if err != nil {
		return nil, err
	}
	return &sm2Signer{priv: k, rand: rand.Reader}, nil
}

func toSM2Private(priv crypto.PrivateKey) (*sm2.PrivateKey, error) {
	switch k := priv.(type) {
	case *sm2.PrivateKey:
		if k == nil || !isSM2Curve(k.Curve) || k.D == nil {
			return nil, errors.New("sm2: invalid private key")
		}
		return k, nil
	case *ecdsa.PrivateKey:
		if k == nil || !isSM2Curve(k.Curve) {
			return nil, fmt.Errorf("sm2: private key is %s, not on the SM2 curve", describeKey(priv))
		}
		sk, err := new(sm2.PrivateKey).FromECPrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("sm2: converting the private key: %w", err)
		}
		return sk, nil
	}
	return nil, fmt.Errorf("unsupported private key type %T", priv)
}

func toSM2Public(pub crypto.PublicKey) (*ecdsa.PublicKey, error) {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok || k == nil || !isSM2Curve(k.Curve) || k.X == nil || k.Y == nil {
		return nil, fmt.Errorf("sm2: wrong public key type %s", describeKey(pub))
	}
	return k, nil
}

func verifySM2(pub crypto.PublicKey, msg, sig []byte) error {
	k, err := toSM2Public(pub)
	if err != nil {
		return err
	}
	if len(sig) != 64 {
		return fmt.Errorf("sm2: signature of %d bytes, want 64: %w", len(sig), ErrBadSignature)
	}
	der, err := rawToDER(sig)
	if err != nil {
		return fmt.Errorf("sm2: %w", ErrBadSignature)
	}
	if !sm2.VerifyASN1WithSM2(k, []byte(DefaultSM2UID), msg, der) {
		return fmt.Errorf("sm2: %w", ErrBadSignature)
	}
	return nil
}

type sm2Signer struct {
	priv *sm2.PrivateKey
	rand io.Reader
}

func (s *sm2Signer) Alg() Alg                 { return SM2 }
func (s *sm2Signer) Public() crypto.PublicKey { return &s.priv.PublicKey }

// Sign computes e = SM3(Z || msg) with the default UID and signs it per
// GB/T 32918.2-2016 §6.1, returning r||s.
func (s *sm2Signer) Sign(msg []byte) ([]byte, error) {
	der, err := s.priv.Sign(s.rand, msg, sm2.NewSM2SignerOption(true, []byte(DefaultSM2UID)))
	if err != nil {
		return nil, fmt.Errorf("sm2: signing: %w", err)
	}
	raw, err := derToRaw(der)
	if err != nil {
		return nil, fmt.Errorf("sm2: signing: %w", err)
	}
	return raw, nil
}

type asn1Sig struct{ R, S *big.Int }

func rawToDER(sig []byte) ([]byte, error) {
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if r.Sign() == 0 || s.Sign() == 0 {
		return nil, errors.New("zero r or s")
	}
	return asn1.Marshal(asn1Sig{r, s})
}

func derToRaw(der []byte) ([]byte, error) {
	var v asn1Sig
	rest, err := asn1.Unmarshal(der, &v)
	if err != nil || len(rest) != 0 || v.R == nil || v.S == nil ||
		v.R.Sign() <= 0 || v.S.Sign() <= 0 || v.R.BitLen() > 256 || v.S.BitLen() > 256 {
		return nil, errors.New("malformed signature from the SM2 implementation")
	}
	out := make([]byte, 64)
	v.R.FillBytes(out[:32])
	v.S.FillBytes(out[32:])
	return out, nil
}

// SM2Encrypt encrypts msg to an SM2 public key with SM2 public-key
// encryption (GB/T 32918.4-2016 §6.1): the output is C1 || C3 || C2 with C1
// an uncompressed point (65 bytes), C3 the SM3 check value (32 bytes) and
// C2 as long as msg. It is the gm suite's counterpart of RSA-OAEP; for
// messages of any size prefer [Seal], which is AEAD-protected.
func SM2Encrypt(pub crypto.PublicKey, msg []byte) ([]byte, error) {
	k, err := toSM2Public(pub)
	if err != nil {
		return nil, fmt.Errorf("sm2 encryption: %w", err)
	}
	ct, err := sm2.Encrypt(rand.Reader, k, msg, sm2.NewPlainEncrypterOpts(sm2.MarshalUncompressed, sm2.C1C3C2))
	if err != nil {
		return nil, fmt.Errorf("sm2 encryption: %w", err)
	}
	return ct, nil
}

// SM2Decrypt reverses [SM2Encrypt]. It accepts only the C1C3C2 layout
// with an uncompressed C1, and fails without saying why on any
// corruption.
func SM2Decrypt(priv crypto.PrivateKey, ct []byte) ([]byte, error) {
	k, err := toSM2Private(priv)
	if err != nil {
		return nil, fmt.Errorf("sm2 decryption: %w", err)
	}
	if len(ct) < 1+64+32 || ct[0] != 0x04 {
		return nil, errors.New("sm2 decryption: not a C1C3C2 ciphertext with an uncompressed C1")
	}
	pt, err := sm2.Decrypt(k, ct)
	if err != nil {
		return nil, fmt.Errorf("sm2 decryption: %w", err)
	}
	return pt, nil
}
