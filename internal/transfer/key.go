package transfer

import (
	"bytes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/xborder/xborder/internal/suite"
)

// Labels that start every derivation and signed message, so that keys and
// signatures made here are never valid anywhere else.
const (
	labelKey     = "xborder transfer v1 key"
	labelStream  = "xborder transfer v1 stream"
	labelHeader  = "xborder transfer v1 header"
	labelReceipt = "xborder transfer v1 receipt"
	labelToken   = "xborder transfer v1 token"
)

// MaxIDLength is the longest transfer ID, agreement ID or DID accepted, in
// bytes.
const MaxIDLength = 1024

// Binding is what a transfer's key, stream and receipt are bound to. Both
// parties must hold the same values: the transfer and agreement IDs of the
// Dataspace Protocol exchange and the two parties' DIDs.
type Binding struct {
	Suite       *suite.Suite
	TransferID  string
	AgreementID string
	ProviderDID string
	ConsumerDID string
}

func (b Binding) validate() error {
	if b.Suite == nil {
		return errors.New("transfer: no suite")
	}
	if _, err := suiteID(b.Suite); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{
		{"transfer ID", b.TransferID}, {"agreement ID", b.AgreementID},
		{"provider DID", b.ProviderDID}, {"consumer DID", b.ConsumerDID},
	} {
		if f.v == "" {
			return fmt.Errorf("transfer: no %s", f.name)
		}
		if len(f.v) > MaxIDLength {
			return fmt.Errorf("transfer: %s of %d bytes, longer than %d", f.name, len(f.v), MaxIDLength)
		}
	}
	return nil
}

// appendIDs appends the four identifiers, each length-prefixed.
func (b Binding) appendIDs(dst []byte) []byte {
	dst = appendLP(dst, b.TransferID)
	dst = appendLP(dst, b.AgreementID)
	dst = appendLP(dst, b.ProviderDID)
	return appendLP(dst, b.ConsumerDID)
}

// appendLP appends a 16-bit big-endian length and then the bytes.
func appendLP[T string | []byte](dst []byte, v T) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(v)))
	return append(dst, v...)
}

// Wire identifiers. The suite and key-agreement numbers are those of
// internal/suite's envelope header.
func suiteID(s *suite.Suite) (byte, error) {
	switch s {
	case suite.Intl:
		return 1, nil
	case suite.GM:
		return 2, nil
	}
	return 0, fmt.Errorf("transfer: unsupported suite %v", s)
}

func suiteByID(id byte) (*suite.Suite, error) {
	switch id {
	case 1:
		return suite.Intl, nil
	case 2:
		return suite.GM, nil
	}
	return nil, fmt.Errorf("unknown suite 0x%02x", id)
}

func kaID(ka suite.KeyAgreement) byte {
	switch ka.Name() {
	case "x25519":
		return 1
	case "p256-ecdh":
		return 2
	case "sm2-ecdh":
		return 3
	}
	return 0
}

func kaByID(s *suite.Suite, id byte) (suite.KeyAgreement, error) {
	for _, ka := range s.KeyAgreements() {
		if kaID(ka) == id {
			return ka, nil
		}
	}
	return nil, fmt.Errorf("key agreement 0x%02x is not in suite %s", id, s.Name())
}

// kaForPublic picks the suite's key agreement whose public keys have the
// length of pub (X25519 32 bytes and P-256 65 for intl, SM2 65 for gm).
func kaForPublic(s *suite.Suite, pub []byte) (suite.KeyAgreement, error) {
	for _, ka := range s.KeyAgreements() {
		if ka.PublicKeySize() == len(pub) {
			return ka, nil
		}
	}
	return nil, fmt.Errorf("transfer: a %d-byte public key matches no key agreement of suite %s", len(pub), s.Name())
}

func sigID(alg suite.Alg) byte {
	switch alg {
	case suite.Ed25519:
		return 1
	case suite.P256:
		return 2
	case suite.SM2:
		return 3
	}
	return 0
}

func sigByID(id byte) (suite.Alg, error) {
	switch id {
	case 1:
		return suite.Ed25519, nil
	case 2:
		return suite.P256, nil
	case 3:
		return suite.SM2, nil
	}
	return "", fmt.Errorf("unknown signature algorithm 0x%02x", id)
}

// NewConsumerKey makes the consumer's ephemeral key for one transfer: X25519
// for intl, SM2 ECDH for gm (the suite's preferred key agreement), from r
// (crypto/rand when nil). Send its PublicBytes to the provider with the
// transfer request; keep the key, in memory only, for the Reader. Use a new
// key for every transfer.
func NewConsumerKey(s *suite.Suite, r io.Reader) (suite.AgreementKey, error) {
	if s == nil {
		return nil, errors.New("transfer: no suite")
	}
	k, err := s.KeyAgreements()[0].GenerateKey(r)
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	return k, nil
}

// Key is the provider's key for one transfer: the result of a key
// agreement between a fresh provider ephemeral key and the consumer's
// ephemeral public key, run through the suite's KDF. The provider's
// ephemeral private key is discarded once the key is derived.
//
// A Key never prints or logs its secret: String, Format and LogValue show
// the transfer ID and suite only.
type Key struct {
	b           Binding
	ka          suite.KeyAgreement
	consumerPub []byte
	providerPub []byte
	secret      []byte
}

// NewKey derives the provider's transfer key for b from the consumer's
// ephemeral public key, with a new provider ephemeral key drawn from r
// (crypto/rand when nil; since Go 1.26 X25519 ignores r). See the package
// documentation for the derivation.
func NewKey(b Binding, consumerPub []byte, r io.Reader) (*Key, error) {
	if err := b.validate(); err != nil {
		return nil, err
	}
	ka, err := kaForPublic(b.Suite, consumerPub)
	if err != nil {
		return nil, err
	}
	eph, err := ka.GenerateKey(r)
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	z, err := eph.Agree(consumerPub)
	if err != nil {
		return nil, fmt.Errorf("transfer: consumer key: %w", err)
	}
	defer clear(z)
	k := &Key{b: b, ka: ka, consumerPub: bytes.Clone(consumerPub), providerPub: eph.PublicBytes()}
	if k.secret, err = deriveTransferKey(b, ka, z, k.consumerPub, k.providerPub); err != nil {
		return nil, err
	}
	return k, nil
}

// deriveTransferKey is
//
//	K = KDF(IKM = Z, salt = "", info = "xborder transfer v1 key" || 0x00 ||
//	        suite || ka || lp(transferID) || lp(agreementID) ||
//	        lp(providerDID) || lp(consumerDID) || lp(consumerPub) ||
//	        lp(providerPub), L = AEADKeySize)
func deriveTransferKey(b Binding, ka suite.KeyAgreement, z, consumerPub, providerPub []byte) ([]byte, error) {
	sid, err := suiteID(b.Suite)
	if err != nil {
		return nil, err
	}
	info := append([]byte(labelKey), 0, sid, kaID(ka))
	info = b.appendIDs(info)
	info = appendLP(info, consumerPub)
	info = appendLP(info, providerPub)
	k, err := b.Suite.KDF(z, nil, string(info), b.Suite.AEADKeySize())
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	return k, nil
}

// consumerTransferKey is deriveTransferKey on the consumer's side.
func consumerTransferKey(b Binding, priv suite.AgreementKey, providerPub []byte) ([]byte, error) {
	z, err := priv.Agree(providerPub)
	if err != nil {
		return nil, mismatch("provider ephemeral key: %v", err)
	}
	defer clear(z)
	return deriveTransferKey(b, priv.KeyAgreement(), z, priv.PublicBytes(), providerPub)
}

// streamAEAD derives the chunk key of one stream,
//
//	Ks = KDF(IKM = K, salt = stream salt, info = "xborder transfer v1 stream", L = AEADKeySize)
//
// and returns the suite's AEAD under it.
func streamAEAD(s *suite.Suite, transferKey, salt []byte) (cipher.AEAD, error) {
	ks, err := s.KDF(transferKey, salt, labelStream, s.AEADKeySize())
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	defer clear(ks)
	a, err := s.NewAEAD(ks)
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	return a, nil
}

// Binding returns what the key is bound to.
func (k *Key) Binding() Binding { return k.b }

// ConsumerPublic returns the consumer's ephemeral public key.
func (k *Key) ConsumerPublic() []byte { return bytes.Clone(k.consumerPub) }

// ProviderPublic returns the provider's ephemeral public key, which every
// stream header carries.
func (k *Key) ProviderPublic() []byte { return bytes.Clone(k.providerPub) }

// Destroy overwrites the secret; the Key cannot be used afterwards.
func (k *Key) Destroy() {
	clear(k.secret)
	k.secret = nil
}

func (k *Key) String() string {
	if k == nil {
		return "transfer.Key(nil)"
	}
	return fmt.Sprintf("transfer.Key{transfer %q, suite %s, secret redacted}", k.b.TransferID, k.b.Suite)
}

// Format prints String for every verb, so %x or %#v cannot show the secret.
func (k *Key) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// LogValue keeps the secret out of slog output.
func (k *Key) LogValue() slog.Value {
	if k == nil {
		return slog.StringValue("nil")
	}
	return slog.GroupValue(slog.String("transfer", k.b.TransferID), slog.String("suite", k.b.Suite.Name()),
		slog.String("secret", "redacted"))
}
