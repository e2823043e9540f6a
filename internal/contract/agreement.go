package contract

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/jws"
	"github.com/xborder/xborder/internal/suite"
)

// JOSE media types of the two signatures on an agreement.
const (
	// TypAgreement is the "typ" of the provider's JWS, whose payload is the
	// agreement in FormODRL.
	TypAgreement = "xborder-agreement+jws"
	// TypCountersignature is the "typ" of the consumer's detached JWS over
	// the provider's compact JWS.
	TypCountersignature = "xborder-countersignature+jws"
	// CtyAgreement is the "cty" of the provider's JWS: ODRL in JSON-LD.
	CtyAgreement = "odrl+json"
)

// Errors of the agreement protocol.
var (
	// ErrReviewRequired: no passing review of exactly this offer.
	ErrReviewRequired = errors.New("the offer has not passed a compliance review")
	// ErrPartyMismatch: a signature's key does not belong to the party it
	// signs for, or the consumer is not a permitted recipient.
	ErrPartyMismatch = errors.New("signer is not the party of the agreement")
	// ErrMalformedAgreement: the signed bytes are not an xborder agreement.
	ErrMalformedAgreement = errors.New("malformed agreement")
	// ErrNotCountersigned: the consumer has not countersigned.
	ErrNotCountersigned = errors.New("the agreement is not countersigned")
)

// NewAgreement derives the Agreement from an offer that passed review:
// the same rules, the provider as assigner, the consumer as assignee, the
// time of issue, and the offer's uid and digest. Its uid is derived from
// the offer digest, the consumer and the time, so it is reproducible.
func NewAgreement(offer *Policy, review *Review, provider, consumer string, issued time.Time) (*Policy, error) {
	if offer == nil || offer.Type != TypeOffer {
		return nil, fmt.Errorf("%w: an agreement derives from an Offer", ErrMalformedAgreement)
	}
	digest, err := offer.Digest()
	if err != nil {
		return nil, err
	}
	if review == nil || review.OfferDigest != digest {
		return nil, fmt.Errorf("%w: no review of offer %s (%s)", ErrReviewRequired, offer.UID, digest)
	}
	if !review.Passed {
		return nil, fmt.Errorf("%w: the review of offer %s has %d blocking findings", ErrReviewRequired, offer.UID, len(review.Blocking()))
	}
	for _, d := range []struct{ what, did string }{{"provider", provider}, {"consumer", consumer}} {
		if _, err := identity.ParseDID(d.did); err != nil {
			return nil, fmt.Errorf("the %s %q is not a DID: %w", d.what, d.did, err)
		}
	}
	if offer.Assigner != "" && offer.Assigner != provider {
		return nil, fmt.Errorf("%w: the offer is %s's, not %s's", ErrPartyMismatch, offer.Assigner, provider)
	}
	if provider == consumer {
		return nil, fmt.Errorf("%w: provider and consumer are the same party", ErrPartyMismatch)
	}
	if rs, ok := offer.Recipients(); ok && !slices.Contains(rs, consumer) {
		return nil, fmt.Errorf("%w: %s is not among the offer's recipients %v", ErrPartyMismatch, consumer, rs)
	}
	if issued.IsZero() {
		return nil, errors.New("no time of issue")
	}
	a := offer.clone()
	a.Type = TypeAgreement
	a.Assigner, a.Assignee = provider, consumer
	a.Issued = issued.UTC().Truncate(time.Millisecond)
	a.OfferUID, a.OfferDigest = offer.UID, digest
	sum := sha256.Sum256([]byte("xborder agreement\x00" + digest + "\x00" + consumer + "\x00" + a.Issued.Format(time.RFC3339Nano)))
	a.UID = uuid8(sum[:])
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return a, nil
}

// clone deep-copies a policy.
func (p *Policy) clone() *Policy {
	c := *p
	cloneRules := func(rs []Rule) []Rule {
		var out []Rule
		for _, r := range rs {
			r.Constraints = slices.Clone(r.Constraints)
			for i := range r.Constraints {
				r.Constraints[i].RightOperand.List = slices.Clone(r.Constraints[i].RightOperand.List)
			}
			r.Duties = slices.Clone(r.Duties)
			out = append(out, r)
		}
		return out
	}
	c.Permissions, c.Prohibitions, c.Obligations = cloneRules(p.Permissions), cloneRules(p.Prohibitions), cloneRules(p.Obligations)
	c.Terms = slices.Clone(p.Terms)
	return &c
}

// Signed is an agreement as the parties exchange and store it: the
// provider's compact JWS (the agreement is its payload) and, once
// countersigned, the consumer's detached JWS over the provider's JWS.
type Signed struct {
	ID          string `json:"id"`
	ProviderJWS string `json:"provider_jws"`
	ConsumerJWS string `json:"consumer_jws,omitempty"`
}

// MaxSignedBytes bounds a signed agreement read from outside.
const MaxSignedBytes = 2 * MaxPolicyBytes

// ParseSigned reads the JSON of a Signed agreement.
func ParseSigned(data []byte) (*Signed, error) {
	if len(data) > MaxSignedBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformedAgreement, MaxSignedBytes)
	}
	var s Signed
	if err := strictUnmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedAgreement, err)
	}
	if s.ID == "" || s.ProviderJWS == "" {
		return nil, fmt.Errorf("%w: id and provider_jws are required", ErrMalformedAgreement)
	}
	return &s, nil
}

// SignAgreement is the provider's step: it signs the agreement's FormODRL
// bytes as a compact JWS with kid, a verification method of the
// assigner's DID.
func SignAgreement(a *Policy, s suite.Signer, kid string) (*Signed, error) {
	if a == nil || a.Type != TypeAgreement {
		return nil, fmt.Errorf("%w: not an Agreement", ErrMalformedAgreement)
	}
	if err := bindKid(kid, a.Assigner); err != nil {
		return nil, err
	}
	payload, err := a.Marshal(FormODRL)
	if err != nil {
		return nil, err
	}
	tok, err := jws.Sign(payload, s, jws.Header{Kid: kid, Typ: TypAgreement, Cty: CtyAgreement})
	if err != nil {
		return nil, fmt.Errorf("signing agreement %s: %w", a.UID, err)
	}
	return &Signed{ID: a.UID, ProviderJWS: tok}, nil
}

// Countersign is the consumer's step: it verifies the provider's
// signature and that the agreement names the consumer (kid's DID) as
// assignee, then signs the provider's JWS (detached). Signing the
// signature rather than the agreement binds the consumer to exactly the
// bytes the provider signed, including the provider's key.
func Countersign(ctx context.Context, sa *Signed, s suite.Signer, kid string, resolve jws.Resolver) (*Signed, error) {
	v, err := verifyProvider(ctx, sa, resolve)
	if err != nil {
		return nil, err
	}
	if err := bindKid(kid, v.Agreement.Assignee); err != nil {
		return nil, err
	}
	tok, err := jws.SignDetached([]byte(sa.ProviderJWS), s, jws.Header{Kid: kid, Typ: TypCountersignature})
	if err != nil {
		return nil, fmt.Errorf("countersigning agreement %s: %w", sa.ID, err)
	}
	return &Signed{ID: sa.ID, ProviderJWS: sa.ProviderJWS, ConsumerJWS: tok}, nil
}

// VerifiedAgreement is a signed agreement whose signatures were checked.
type VerifiedAgreement struct {
	Agreement     *Policy
	Raw           []byte // the exact bytes the provider signed
	ProviderKid   string
	ProviderAlg   suite.Alg
	ConsumerKid   string // "" when not countersigned
	ConsumerAlg   suite.Alg
	Countersigned bool
}

// VerifyAgreement checks the provider's JWS and, when present, the
// consumer's countersignature; each key must be a verification method of
// its party's DID (assigner, assignee). With requireCountersigned an
// agreement without the consumer's signature is ErrNotCountersigned.
func VerifyAgreement(ctx context.Context, sa *Signed, resolve jws.Resolver, requireCountersigned bool) (*VerifiedAgreement, error) {
	v, err := verifyProvider(ctx, sa, resolve)
	if err != nil {
		return nil, err
	}
	if sa.ConsumerJWS == "" {
		if requireCountersigned {
			return nil, fmt.Errorf("agreement %s: %w", sa.ID, ErrNotCountersigned)
		}
		return v, nil
	}
	c, err := jws.Verify(ctx, sa.ConsumerJWS, resolve, jws.Expect{Typ: TypCountersignature, Detached: []byte(sa.ProviderJWS)})
	if err != nil {
		return nil, fmt.Errorf("agreement %s: consumer's countersignature: %w", sa.ID, err)
	}
	if err := bindKid(c.Header.Kid, v.Agreement.Assignee); err != nil {
		return nil, fmt.Errorf("agreement %s: consumer's countersignature: %w", sa.ID, err)
	}
	v.ConsumerKid, v.ConsumerAlg, v.Countersigned = c.Header.Kid, c.Alg, true
	return v, nil
}

func verifyProvider(ctx context.Context, sa *Signed, resolve jws.Resolver) (*VerifiedAgreement, error) {
	if sa == nil {
		return nil, fmt.Errorf("%w: nothing to verify", ErrMalformedAgreement)
	}
	p, err := jws.Verify(ctx, sa.ProviderJWS, resolve, jws.Expect{Typ: TypAgreement, Cty: CtyAgreement, RequireCty: true, MaxBytes: MaxSignedBytes})
	if err != nil {
		return nil, fmt.Errorf("agreement %s: provider's signature: %w", sa.ID, err)
	}
	a, err := ParsePolicy(p.Payload)
	if err != nil {
		return nil, fmt.Errorf("agreement %s: %w: %v", sa.ID, ErrMalformedAgreement, err)
	}
	if a.Type != TypeAgreement || a.UID != sa.ID || a.OfferDigest == "" {
		return nil, fmt.Errorf("%w: the signed policy is a %s %s from offer %q, not agreement %s", ErrMalformedAgreement, a.Type, a.UID, a.OfferDigest, sa.ID)
	}
	// The signed bytes must be xborder's own serialisation: one agreement,
	// one byte string, nothing a different parser could read differently.
	canon, err := a.Marshal(FormODRL)
	if err != nil || !bytes.Equal(canon, p.Payload) {
		return nil, fmt.Errorf("%w: agreement %s is not in canonical form", ErrMalformedAgreement, sa.ID)
	}
	if err := bindKid(p.Header.Kid, a.Assigner); err != nil {
		return nil, fmt.Errorf("agreement %s: provider's signature: %w", sa.ID, err)
	}
	return &VerifiedAgreement{Agreement: a, Raw: p.Payload, ProviderKid: p.Header.Kid, ProviderAlg: p.Alg}, nil
}

// bindKid checks that kid is a DID URL of the DID did.
func bindKid(kid, did string) error {
	u, err := identity.ParseDIDURL(kid)
	if err != nil {
		return fmt.Errorf("%w: kid %q is not a DID URL: %v", ErrPartyMismatch, truncate(kid), err)
	}
	if u.DID.String() != did {
		return fmt.Errorf("%w: key %s belongs to %s, the party is %s", ErrPartyMismatch, truncate(kid), u.DID.String(), did)
	}
	return nil
}

// MarshalIndent returns the signed agreement as indented JSON, for people
// and files.
func (s *Signed) MarshalIndent() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
