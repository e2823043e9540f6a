package identity

import (
	"context"
	"crypto"
	"strings"

	"github.com/xborder/xborder/internal/suite"
)

// KeyDID is a did:key (CCG did:key method v0.9): the DID is
// "did:key:" + base58btc multibase of varint(multicodec) || public key.
type KeyDID struct {
	DID       string
	Alg       suite.Alg
	PublicKey crypto.PublicKey
	Multibase string // the method-specific id, "z…"; also the key's fragment
	// Draft is true for SM2: sm2-pub (0x1206) is only a draft multicodec,
	// so other implementations may not resolve this DID.
	Draft bool
}

// NewKeyDID makes the did:key of an Ed25519, P-256 or SM2 public key.
func NewKeyDID(alg suite.Alg, pub crypto.PublicKey) (*KeyDID, error) {
	mb, err := EncodeMultikey(alg, pub)
	if err != nil {
		return nil, err
	}
	return &KeyDID{DID: "did:key:" + mb, Alg: alg, PublicKey: pub, Multibase: mb, Draft: IsDraft(alg)}, nil
}

// ParseKeyDID decodes a did:key. Syntax errors, a method other than key,
// a versioned id ("did:key:1:z…") and bad multibase are invalidDid; key
// errors use the did:key codes (see DecodeMultikey); an X25519 key is
// invalidPublicKeyType because it cannot sign.
func ParseKeyDID(s string) (*KeyDID, error) {
	d, err := ParseDID(s)
	if err != nil {
		return nil, err
	}
	return parseKeyDID(d)
}

func parseKeyDID(d DID) (*KeyDID, error) {
	if d.Method != "key" {
		return nil, newErr(CodeInvalidDID, "%s is not a did:key", truncate(d.String()))
	}
	mb := d.ID
	if strings.IndexByte(mb, ':') >= 0 {
		return nil, newErr(CodeInvalidDID, "%s: versioned or multi-part did:key ids are not supported", truncate(d.String()))
	}
	if mb[0] != 'z' {
		return nil, newErr(CodeInvalidDID, "%s: the multibase value must begin with 'z' (base58btc)", truncate(d.String()))
	}
	raw, err := DecodeMultibase(mb)
	if err != nil {
		return nil, wrapErr(CodeInvalidDID, err, "%s", truncate(d.String()))
	}
	if EncodeMultibase(raw) != mb {
		return nil, newErr(CodeInvalidDID, "%s: non-canonical base58btc", truncate(d.String()))
	}
	alg, pub, err := ParseMultikey(raw)
	if err != nil {
		return nil, err
	}
	return &KeyDID{DID: d.String(), Alg: alg, PublicKey: pub, Multibase: mb, Draft: IsDraft(alg)}, nil
}

// VerificationMethodID returns the id of the did:key's only verification
// method: "did:key:z…#z…".
func (k *KeyDID) VerificationMethodID() string { return k.DID + "#" + k.Multibase }

// Document expands the did:key into its DID document: one Multikey
// verification method referenced from authentication, assertionMethod,
// capabilityInvocation and capabilityDelegation. No X25519 keyAgreement
// key is derived (the spec's enableEncryptionKeyDerivation defaults to
// false).
func (k *KeyDID) Document() *Document {
	vmID := k.VerificationMethodID()
	ref := []MethodRef{{Ref: vmID}}
	return &Document{
		Context: []any{ContextDIDv1, ContextMultikeyV1},
		ID:      k.DID,
		VerificationMethods: []VerificationMethod{{
			ID:                 vmID,
			Type:               TypeMultikey,
			Controller:         k.DID,
			PublicKeyMultibase: k.Multibase,
		}},
		Authentication:       ref,
		AssertionMethod:      append([]MethodRef(nil), ref...),
		CapabilityInvocation: append([]MethodRef(nil), ref...),
		CapabilityDelegation: append([]MethodRef(nil), ref...),
	}
}

// KeyMethod resolves did:key DIDs offline.
type KeyMethod struct{}

// Resolve expands d. It never blocks; ctx is only checked for
// cancellation.
func (KeyMethod) Resolve(ctx context.Context, d DID) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, wrapErr(CodeInternalError, err, "resolving %s", truncate(d.String()))
	}
	k, err := parseKeyDID(d)
	if err != nil {
		return nil, err
	}
	return &Result{
		Document: k.Document(),
		Metadata: ResolutionMetadata{ContentType: MediaTypeDIDJSON, Draft: k.Draft},
	}, nil
}
