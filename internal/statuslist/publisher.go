package statuslist

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/vc"
)

// Format is how a status list credential is secured.
type Format string

// Formats.
const (
	FormatDataIntegrity Format = "data-integrity" // a DataIntegrityProof (eddsa-rdfc-2022, ecdsa-rdfc-2019 or Cryptosuite)
	FormatJWT           Format = "vc+jwt"         // VC-JOSE-COSE compact JWS (Ed25519, P-256)
)

// Media types of the served credential.
const (
	MediaTypeVC    = "application/vc"
	MediaTypeVCJWT = "application/vc+jwt"
)

// DefaultValidFor is the default validity period of a published status list
// credential. A short period bounds how long an old copy (from before a
// revocation) can be replayed to a verifier.
const DefaultValidFor = 24 * time.Hour

// PublisherOptions configures NewPublisher.
type PublisherOptions struct {
	Store     *Store
	Processor *vc.Processor
	// Issuer is the DID of the issuer of the credentials whose status the
	// lists carry; verifiers require the list's issuer to be the same.
	Issuer string
	// Signer and VerificationMethod (a key of Issuer's DID, e.g.
	// "did:key:z…#z…") sign the status list credentials.
	Signer             suite.Signer
	VerificationMethod string
	// Format defaults to FormatDataIntegrity.
	Format Format
	// Cryptosuite overrides the Data Integrity cryptosuite chosen by the
	// key's algorithm (Ed25519: eddsa-rdfc-2022, P-256: ecdsa-rdfc-2019,
	// SM2: xborder-sm2-rdfc-2025, which the Processor must have been made
	// with: vc.New(vc.WithSM2())).
	Cryptosuite string
	// ValidFor is the validity period written as validUntil (default
	// DefaultValidFor; negative: no validUntil). The credential is re-signed
	// when half of it has passed or when the list changes.
	ValidFor time.Duration
	// TTL, when positive, is written as the list's ttl (milliseconds).
	TTL time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

type published struct {
	revision   uint64
	body       []byte
	refreshAt  time.Time
	validUntil time.Time
}

// Publisher signs the status list credentials of a Store's lists and serves
// them over HTTP. It caches each signed credential until its list changes or
// half its validity has passed. It is safe for concurrent use.
type Publisher struct {
	o PublisherOptions

	mu    sync.Mutex
	cache map[string]published
}

// NewPublisher checks opts and returns a Publisher.
func NewPublisher(opts PublisherOptions) (*Publisher, error) {
	if opts.Store == nil || opts.Processor == nil || opts.Signer == nil {
		return nil, errorf(CodeInvalidArgument, nil, "publisher needs a store, a processor and a signer")
	}
	if opts.Issuer == "" || opts.VerificationMethod == "" {
		return nil, errorf(CodeInvalidArgument, nil, "publisher needs an issuer and a verification method")
	}
	if !strings.HasPrefix(opts.VerificationMethod, opts.Issuer+"#") {
		// Verifiers demand the issuer's own key (RequireIssuerKey).
		return nil, errorf(CodeInvalidArgument, nil, fmt.Sprintf("verification method %q is not a key of the issuer %q", opts.VerificationMethod, opts.Issuer))
	}
	if opts.Format == "" {
		opts.Format = FormatDataIntegrity
	}
	switch opts.Format {
	case FormatDataIntegrity:
		if opts.Cryptosuite == "" {
			switch opts.Signer.Alg() {
			case suite.Ed25519:
				opts.Cryptosuite = vc.EdDSARDFC2022
			case suite.P256:
				opts.Cryptosuite = vc.ECDSARDFC2019
			case suite.SM2:
				// Needs a Processor made with vc.WithSM2 (signer and
				// verifiers alike).
				opts.Cryptosuite = vc.SM2RDFC2025
			default:
				return nil, errorf(CodeInvalidArgument, nil, fmt.Sprintf("no default cryptosuite for %s keys: set Cryptosuite", opts.Signer.Alg()))
			}
		}
	case FormatJWT:
		if a := opts.Signer.Alg(); a != suite.Ed25519 && a != suite.P256 {
			return nil, errorf(CodeInvalidArgument, nil, fmt.Sprintf("vc+jwt has no algorithm for %s keys", a))
		}
	default:
		return nil, errorf(CodeInvalidArgument, nil, fmt.Sprintf("unknown format %q", opts.Format))
	}
	if opts.ValidFor == 0 {
		opts.ValidFor = DefaultValidFor
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Publisher{o: opts, cache: map[string]published{}}, nil
}

// MediaType is the media type of the credentials this Publisher makes.
func (p *Publisher) MediaType() string {
	if p.o.Format == FormatJWT {
		return MediaTypeVCJWT
	}
	return MediaTypeVC
}

// Credential returns the signed status list credential of list id (JSON for
// Data Integrity, the compact JWS for vc+jwt) and its validUntil (zero when
// none).
func (p *Publisher) Credential(ctx context.Context, id string) ([]byte, time.Time, error) {
	now := p.o.Now()
	bits, info, err := p.o.Store.Snapshot(id)
	if err != nil {
		return nil, time.Time{}, err
	}
	p.mu.Lock()
	c, ok := p.cache[id]
	p.mu.Unlock()
	if ok && c.revision == info.Revision && now.Before(c.refreshAt) {
		return c.body, c.validUntil, nil
	}
	enc, err := bits.Encode()
	if err != nil {
		return nil, time.Time{}, err
	}
	from := now.UTC().Truncate(time.Second)
	params := CredentialParams{URL: info.URL, Issuer: p.o.Issuer, Purpose: info.Purpose, Encoded: enc, ValidFrom: from, TTL: p.o.TTL}
	refresh := from.Add(time.Hour)
	if p.o.ValidFor > 0 {
		params.ValidUntil = from.Add(p.o.ValidFor)
		refresh = from.Add(p.o.ValidFor / 2)
	}
	doc := BuildCredential(params)
	var body []byte
	switch p.o.Format {
	case FormatJWT:
		tok, err := p.o.Processor.SignJWT(ctx, doc, vc.JWTOptions{Signer: p.o.Signer, KeyID: p.o.VerificationMethod})
		if err != nil {
			return nil, time.Time{}, errorf(CodeInternal, err, "signing the status list credential of "+id)
		}
		body = []byte(tok)
	default:
		body, err = p.o.Processor.Sign(ctx, doc, vc.ProofOptions{Cryptosuite: p.o.Cryptosuite,
			VerificationMethod: p.o.VerificationMethod, Created: from, Signer: p.o.Signer})
		if err != nil {
			return nil, time.Time{}, errorf(CodeInternal, err, "signing the status list credential of "+id)
		}
	}
	p.mu.Lock()
	p.cache[id] = published{revision: info.Revision, body: body, refreshAt: refresh, validUntil: params.ValidUntil}
	p.mu.Unlock()
	return body, params.ValidUntil, nil
}
