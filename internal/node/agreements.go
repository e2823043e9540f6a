package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/jws"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/trust"
)

// Agreements negotiated over DSP are signed by both sides. The provider
// signs the agreement it sends: a detached JWS over the JCS form (RFC 8785)
// of the agreement without its signature properties, put in the agreement
// under ExtProviderSignature. The consumer verifies it with a key of the
// provider's DID before it verifies the agreement, and countersigns the
// provider's JWS (a detached JWS over the JWS string, so it binds the exact
// bytes and key the provider signed with), sending its countersignature
// with the ContractAgreementVerificationMessage under ExtConsumerSignature.
// The provider finalizes only an agreement countersigned by its consumer.
// Both sides keep the agreement and both signatures with the negotiation.

// Extension properties of signed agreements.
const (
	ExtProviderSignature = "https://xborder.org/ns/contract/v1#providerSignature"
	ExtConsumerSignature = "https://xborder.org/ns/contract/v1#consumerSignature"
)

// JWS types of the two signatures.
const (
	typAgreement        = "xborder-dsp-agreement+jws"
	typCountersignature = "xborder-dsp-countersignature+jws"
)

// agreementSigner is the provider's dsp.AgreementSigner.
type agreementSigner struct {
	signer suite.Signer
	kid    string
}

func (a agreementSigner) SignAgreement(_ context.Context, _ *dsp.Process, agreement json.RawMessage) (json.RawMessage, error) {
	m, canon, err := agreementCanon(agreement)
	if err != nil {
		return nil, err
	}
	sig, err := jws.SignDetached(canon, a.signer, jws.Header{Kid: a.kid, Typ: typAgreement})
	if err != nil {
		return nil, fmt.Errorf("signing the agreement: %w", err)
	}
	m[ExtProviderSignature] = sig
	return json.Marshal(m)
}

// agreementCanon returns the agreement as a map and the JCS form of it
// without the signature properties: what the provider signs.
func agreementCanon(agreement json.RawMessage) (map[string]any, []byte, error) {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(agreement)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, nil, errors.New("the agreement is not a JSON object")
	}
	delete(m, ExtProviderSignature)
	delete(m, ExtConsumerSignature)
	b, err := json.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	canon, err := trust.Canonicalize(b)
	if err != nil {
		return nil, nil, fmt.Errorf("canonicalising the agreement: %w", err)
	}
	return m, canon, nil
}

// providerSignature returns the provider's JWS in an agreement.
func providerSignature(agreement json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(agreement, &m) != nil {
		return ""
	}
	var s string
	json.Unmarshal(m[ExtProviderSignature], &s)
	return s
}

// verifySignedBy verifies a detached JWS of typ over payload made with a
// key of did, and returns the key's id.
func (n *Node) verifySignedBy(ctx context.Context, tok, typ string, payload []byte, did string) (string, error) {
	if tok == "" {
		return "", errors.New("no signature")
	}
	v, err := jws.Verify(ctx, tok, n.resolver.ResolveKey, jws.Expect{Typ: typ, Detached: payload})
	if err != nil {
		return "", err
	}
	u, err := identity.ParseDIDURL(v.Header.Kid)
	if err != nil || u.DID.String() != did {
		return "", fmt.Errorf("signed with %q, not a key of %s", v.Header.Kid, did)
	}
	return v.Header.Kid, nil
}

// checkProviderSignature is the consumer's check of an agreement received.
func (n *Node) checkProviderSignature(ctx context.Context, p *dsp.Process) error {
	_, canon, err := agreementCanon(p.Agreement)
	if err != nil {
		return err
	}
	_, err = n.verifySignedBy(ctx, providerSignature(p.Agreement), typAgreement, canon, p.Counterparty)
	return err
}

// countersign is the consumer's signature of the provider's JWS.
func countersign(signer suite.Signer, kid string, agreement json.RawMessage) (dsp.Extensions, error) {
	ps := providerSignature(agreement)
	if ps == "" {
		return nil, errors.New("the agreement carries no provider signature")
	}
	tok, err := jws.SignDetached([]byte(ps), signer, jws.Header{Kid: kid, Typ: typCountersignature})
	if err != nil {
		return nil, err
	}
	var e dsp.Extensions
	e.SetString(ExtConsumerSignature, tok)
	return e, nil
}

// checkCountersignature is the provider's check of the verification.
func (n *Node) checkCountersignature(ctx context.Context, p *dsp.Process) error {
	tok, _ := p.Extensions.String(ExtConsumerSignature)
	_, err := n.verifySignedBy(ctx, tok, typCountersignature, []byte(providerSignature(p.Agreement)), p.Counterparty)
	return err
}
