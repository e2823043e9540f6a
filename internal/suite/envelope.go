package suite

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hpke"
	"crypto/rand"
	"errors"
	"fmt"

	gmecdh "github.com/emmansun/gmsm/ecdh"
	"github.com/emmansun/gmsm/sm2"
)

// EnvelopeVersion is the first byte of every envelope this package makes.
const EnvelopeVersion byte = 1

// envelopeLabel starts the HPKE info (intl) and the HKDF info (gm), so keys
// derived for envelopes are never keys for anything else.
const envelopeLabel = "xborder envelope v1"

const (
	headerSize = 3
	tagSize    = 16
	gmNonce    = 12
)

// ErrDecrypt is returned (wrapped) by Open when an envelope is well formed
// but does not authenticate: wrong recipient key, wrong aad, or a modified
// ciphertext. The cases are deliberately not told apart.
var ErrDecrypt = errors.New("envelope does not decrypt")

// Seal encrypts plaintext to a recipient's public key under suite s,
// binding aad (which is authenticated, not stored: Open needs the same
// aad). Each call uses a fresh ephemeral key, so plaintexts of any number
// of calls are independent.
//
// recipientPub is *ecdh.PublicKey (X25519 or P-256) or *ecdsa.PublicKey on
// P-256 for Intl; *ecdsa.PublicKey on the SM2 curve or *gmsm/ecdh.PublicKey
// for GM. See the package documentation for the wire format.
func Seal(s *Suite, recipientPub crypto.PublicKey, plaintext, aad []byte) ([]byte, error) {
	if s == nil {
		return nil, errors.New("sealing an envelope: no suite")
	}
	ka, pkR, err := recipientPublic(recipientPub)
	if err != nil {
		return nil, fmt.Errorf("sealing a %s envelope: %w", s.name, err)
	}
	if !s.hasKA(ka) {
		return nil, fmt.Errorf("sealing a %s envelope: recipient key is for %s, not in the %s suite", s.name, ka.Name(), s.name)
	}
	header := []byte{EnvelopeVersion, s.wid, ka.id()}
	switch s.wid {
	case suiteIntl:
		pk, err := hpkePublic(pkR)
		if err != nil {
			return nil, fmt.Errorf("sealing an intl envelope: %w", err)
		}
		enc, sender, err := hpke.NewSender(pk, hpke.HKDFSHA256(), hpke.AES256GCM(), hpkeInfo(header))
		if err != nil {
			return nil, fmt.Errorf("sealing an intl envelope: %w", err)
		}
		ct, err := sender.Seal(aad, plaintext)
		if err != nil {
			return nil, fmt.Errorf("sealing an intl envelope: %w", err)
		}
		out := make([]byte, 0, len(header)+len(enc)+len(ct))
		return append(append(append(out, header...), enc...), ct...), nil
	case suiteGM:
		eph, err := SM2ECDH().GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("sealing a gm envelope: %w", err)
		}
		enc := eph.PublicBytes()
		aead, nonce, err := gmKeySchedule(s, eph, pkR.Bytes, header, enc, pkR.Bytes)
		if err != nil {
			return nil, fmt.Errorf("sealing a gm envelope: %w", err)
		}
		out := make([]byte, 0, len(header)+len(enc)+len(plaintext)+tagSize)
		out = append(append(out, header...), enc...)
		return aead.Seal(out, nonce, plaintext, aad), nil
	}
	return nil, fmt.Errorf("sealing an envelope: suite %s has no envelope", s.name)
}

// Open decrypts an envelope made by Seal with the recipient's private key
// and the same aad. recipientPriv is *ecdh.PrivateKey, *ecdsa.PrivateKey
// (P-256 or SM2 curve), *sm2.PrivateKey, *gmsm/ecdh.PrivateKey or an
// AgreementKey. An envelope of another suite, version or key agreement
// is refused before any cryptography; one that does not authenticate
// returns an error wrapping ErrDecrypt.
func Open(s *Suite, recipientPriv crypto.PrivateKey, envelope, aad []byte) ([]byte, error) {
	if s == nil {
		return nil, errors.New("opening an envelope: no suite")
	}
	h, err := parseEnvelope(envelope)
	if err != nil {
		return nil, fmt.Errorf("opening a %s envelope: %w", s.name, err)
	}
	if h.suite != s {
		return nil, fmt.Errorf("opening a %s envelope: it was sealed under suite %s", s.name, h.suite.name)
	}
	key, err := recipientPrivate(recipientPriv)
	if err != nil {
		return nil, fmt.Errorf("opening a %s envelope: %w", s.name, err)
	}
	if key.KeyAgreement().id() != h.ka.id() {
		return nil, fmt.Errorf("opening a %s envelope: it is for a %s key, got a %s key", s.name, h.ka.Name(), key.KeyAgreement().Name())
	}
	header := envelope[:headerSize]
	switch s.wid {
	case suiteIntl:
		sk, err := hpkePrivate(key)
		if err != nil {
			return nil, fmt.Errorf("opening an intl envelope: %w", err)
		}
		r, err := hpke.NewRecipient(h.enc, sk, hpke.HKDFSHA256(), hpke.AES256GCM(), hpkeInfo(header))
		if err != nil {
			return nil, fmt.Errorf("opening an intl envelope: %w", ErrDecrypt)
		}
		pt, err := r.Open(aad, h.ct)
		if err != nil {
			return nil, fmt.Errorf("opening an intl envelope: %w", ErrDecrypt)
		}
		return pt, nil
	case suiteGM:
		aead, nonce, err := gmKeySchedule(s, key, h.enc, header, h.enc, key.PublicBytes())
		if err != nil {
			return nil, fmt.Errorf("opening a gm envelope: %w", ErrDecrypt)
		}
		pt, err := aead.Open(nil, nonce, h.ct, aad)
		if err != nil {
			return nil, fmt.Errorf("opening a gm envelope: %w", ErrDecrypt)
		}
		return pt, nil
	}
	return nil, fmt.Errorf("opening an envelope: suite %s has no envelope", s.name)
}

// Seal is the package function Seal under s.
func (s *Suite) Seal(recipientPub crypto.PublicKey, plaintext, aad []byte) ([]byte, error) {
	return Seal(s, recipientPub, plaintext, aad)
}

// Open is the package function Open under s.
func (s *Suite) Open(recipientPriv crypto.PrivateKey, envelope, aad []byte) ([]byte, error) {
	return Open(s, recipientPriv, envelope, aad)
}

// EnvelopeInfo is what an envelope's header says, readable without a key.
type EnvelopeInfo struct {
	Version      byte
	Suite        *Suite
	KeyAgreement KeyAgreement
}

// ParseEnvelopeHeader reads an envelope's header and checks its length; it
// does not decrypt.
func ParseEnvelopeHeader(envelope []byte) (EnvelopeInfo, error) {
	h, err := parseEnvelope(envelope)
	if err != nil {
		return EnvelopeInfo{}, fmt.Errorf("parsing an envelope: %w", err)
	}
	return EnvelopeInfo{Version: EnvelopeVersion, Suite: h.suite, KeyAgreement: h.ka}, nil
}

type parsedEnvelope struct {
	suite   *Suite
	ka      KeyAgreement
	enc, ct []byte
}

func parseEnvelope(b []byte) (parsedEnvelope, error) {
	if len(b) < headerSize {
		return parsedEnvelope{}, fmt.Errorf("%d bytes is shorter than the header", len(b))
	}
	if b[0] != EnvelopeVersion {
		return parsedEnvelope{}, fmt.Errorf("unknown envelope version %d (this build reads %d)", b[0], EnvelopeVersion)
	}
	s, err := suiteByID(b[1])
	if err != nil {
		return parsedEnvelope{}, err
	}
	ka, err := keyAgreementByID(b[2])
	if err != nil {
		return parsedEnvelope{}, err
	}
	if !s.hasKA(ka) {
		return parsedEnvelope{}, fmt.Errorf("suite %s has no key agreement %s", s.name, ka.Name())
	}
	n := ka.PublicKeySize()
	if len(b) < headerSize+n+tagSize {
		return parsedEnvelope{}, fmt.Errorf("%d bytes is too short for a %s envelope", len(b), ka.Name())
	}
	return parsedEnvelope{suite: s, ka: ka, enc: b[headerSize : headerSize+n], ct: b[headerSize+n:]}, nil
}

func (s *Suite) hasKA(ka KeyAgreement) bool {
	for _, k := range s.kas {
		if k.id() == ka.id() {
			return true
		}
	}
	return false
}

func hpkeInfo(header []byte) []byte {
	return append([]byte(envelopeLabel), header...)
}

// gmKeySchedule derives the SM4-GCM key and nonce of a gm envelope:
//
//	Z = SM2-ECDH(ephemeral, recipient)            (x-coordinate, 32 bytes)
//	key || nonce = HKDF-SM3(Z, salt = "", info = label || header || enc || pkR, 16 + 12)
//
// The ephemeral key is new for every envelope, so the nonce is never
// reused under a key.
//
// Sealing, priv is the ephemeral key and peer is pkR; opening, priv is the
// recipient's key and peer is enc.
func gmKeySchedule(s *Suite, priv AgreementKey, peer, header, enc, pkR []byte) (AEAD, []byte, error) {
	z, err := priv.Agree(peer)
	if err != nil {
		return nil, nil, err
	}
	info := make([]byte, 0, len(envelopeLabel)+len(header)+len(enc)+len(pkR))
	info = append(append(append(append(info, envelopeLabel...), header...), enc...), pkR...)
	okm, err := s.KDF(z, nil, string(info), s.aeadKeySize+gmNonce)
	if err != nil {
		return nil, nil, err
	}
	aead, err := s.NewAEAD(okm[:s.aeadKeySize])
	if err != nil {
		return nil, nil, err
	}
	return aead, okm[s.aeadKeySize:], nil
}

// encodedPublic is a recipient public key in its KeyAgreement encoding.
type encodedPublic struct{ Bytes []byte }

// recipientPublic identifies the key agreement of a recipient public key
// and encodes it.
func recipientPublic(pub crypto.PublicKey) (KeyAgreement, encodedPublic, error) {
	switch k := pub.(type) {
	case *ecdh.PublicKey:
		switch k.Curve() {
		case ecdh.X25519():
			return X25519(), encodedPublic{k.Bytes()}, nil
		case ecdh.P256():
			return ECDHP256(), encodedPublic{k.Bytes()}, nil
		}
	case *ecdsa.PublicKey:
		if k != nil && k.Curve == elliptic.P256() {
			e, err := k.ECDH()
			if err != nil {
				return nil, encodedPublic{}, fmt.Errorf("recipient key: %w", err)
			}
			return ECDHP256(), encodedPublic{e.Bytes()}, nil
		}
		if k != nil && isSM2Curve(k.Curve) {
			e, err := sm2.PublicKeyToECDH(k)
			if err != nil {
				return nil, encodedPublic{}, fmt.Errorf("recipient key: %w", err)
			}
			return SM2ECDH(), encodedPublic{e.Bytes()}, nil
		}
	case *gmecdh.PublicKey:
		if k != nil && k.Curve() == gmecdh.P256() {
			return SM2ECDH(), encodedPublic{k.Bytes()}, nil
		}
	}
	return nil, encodedPublic{}, fmt.Errorf("unsupported recipient public key %s", describeKey(pub))
}

func recipientPrivate(priv crypto.PrivateKey) (AgreementKey, error) {
	switch k := priv.(type) {
	case AgreementKey:
		return k, nil
	case *ecdh.PrivateKey:
		switch k.Curve() {
		case ecdh.X25519():
			return stdKey{X25519().(stdKA), k}, nil
		case ecdh.P256():
			return stdKey{ECDHP256().(stdKA), k}, nil
		}
	case *ecdsa.PrivateKey:
		if k != nil && k.Curve == elliptic.P256() {
			e, err := k.ECDH()
			if err != nil {
				return nil, fmt.Errorf("recipient key: %w", err)
			}
			return stdKey{ECDHP256().(stdKA), e}, nil
		}
		if k != nil && isSM2Curve(k.Curve) {
			sk, err := toSM2Private(k)
			if err != nil {
				return nil, err
			}
			return sm2AgreementKey(sk)
		}
	case *sm2.PrivateKey:
		return sm2AgreementKey(k)
	case *gmecdh.PrivateKey:
		if k != nil && k.Curve() == gmecdh.P256() {
			return sm2Key{k}, nil
		}
	}
	return nil, fmt.Errorf("unsupported recipient private key %s", describeKey(priv))
}

func sm2AgreementKey(k *sm2.PrivateKey) (AgreementKey, error) {
	if k == nil {
		return nil, errors.New("no sm2 private key")
	}
	e, err := k.ECDH()
	if err != nil {
		return nil, fmt.Errorf("recipient key: %w", err)
	}
	return sm2Key{e}, nil
}

func hpkePublic(pk encodedPublic) (hpke.PublicKey, error) {
	var curve ecdh.Curve = ecdh.P256()
	if len(pk.Bytes) == 32 {
		curve = ecdh.X25519()
	}
	p, err := hpke.DHKEM(curve).NewPublicKey(pk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("recipient key: %w", err)
	}
	return p, nil
}

func hpkePrivate(k AgreementKey) (hpke.PrivateKey, error) {
	sk, ok := k.(stdKey)
	if !ok {
		return nil, fmt.Errorf("%s key is not an HPKE key", k.KeyAgreement().Name())
	}
	return hpke.NewDHKEMPrivateKey(sk.priv)
}
