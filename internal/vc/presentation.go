package vc

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Presentation vocabulary (VC Data Model 2.0 §4.13).
const (
	TypeVerifiablePresentation        = "VerifiablePresentation"
	TypeEnvelopedVerifiableCredential = "EnvelopedVerifiableCredential"
	ProofPurposeAuthentication        = "authentication"
	// EnvelopedVCJWTPrefix starts the id of an EnvelopedVerifiableCredential
	// that carries a vc+jwt (VC-JOSE-COSE §3.1.1): a data: URL.
	EnvelopedVCJWTPrefix = "data:application/vc+jwt,"
)

// Presentation verification defaults.
const (
	DefaultPresentationMaxAge = 5 * time.Minute
	DefaultClockSkew          = time.Minute
)

// PresentationOptions configures VerifyPresentation and
// VerifyPresentationJWT.
type PresentationOptions struct {
	Now time.Time // the time validity is judged at; zero means time.Now()
	// Challenge is the nonce the verifier issued (required). The
	// presentation proof's challenge (a vp+jwt's nonce) must equal it.
	Challenge string
	// Domain is the verifier's audience (required). The presentation
	// proof's domain (a vp+jwt's aud) must be it or a list containing it.
	Domain string
	// MaxAge bounds how old the presentation proof may be (its created, a
	// vp+jwt's iat, which is then required). Zero means
	// DefaultPresentationMaxAge; negative means no limit.
	MaxAge time.Duration
	// ClockSkew is how far in the future created / iat may lie. Zero means
	// DefaultClockSkew; negative means none.
	ClockSkew time.Duration
	// Nonces, when set, records the challenge as spent once everything
	// else verified; a second presentation with it fails with
	// CodeReplayed. Without it replay protection is the caller's.
	Nonces NonceStore
	// HolderResolver resolves the presentation proof's key and should
	// accept only keys listed under the holder's authentication
	// relationship (see KeysFor). Nil means the credential resolver.
	HolderResolver KeyResolver
	// RequireHolderKey demands a holder. A presentation that names a
	// holder must be signed by a key of that holder ("did:x:y#k" for
	// holder "did:x:y") whether or not this is set; with it, one that names
	// none fails with CodeHolderMismatch too.
	RequireHolderKey bool
	// RequireSubjectHolder demands that every credential have a
	// credentialSubject whose id is the holder.
	RequireSubjectHolder bool
	// RequireIssuerKey and SkipUnsupported apply to the embedded
	// credentials as in VerifyOptions; SkipUnsupported also to the
	// presentation's own proof set.
	RequireIssuerKey bool
	SkipUnsupported  bool
}

// PresentationResult is the outcome of VerifyPresentation. Verified is
// true only when Err is nil.
type PresentationResult struct {
	Verified     bool
	Code         Code  // "" when verified
	Err          error // an *Error when not verified
	Holder       string
	Created      time.Time      // of the presentation proof (a vp+jwt's iat)
	Proofs       []ProofResult  // the presentation's own proofs
	Credentials  []*Result      // one per embedded credential, in order
	Presentation map[string]any // the decoded presentation
}

// SignPresentation adds a DataIntegrityProof to the presentation vp and
// returns it as JSON. The proof purpose defaults to "authentication"; the
// verifier's nonce goes in opts.Challenge and its audience in opts.Domain
// (VerifyPresentation requires both), and opts.Expires or the verifier's
// MaxAge bounds its life. The embedded credentials are not verified here.
func (p *Processor) SignPresentation(ctx context.Context, vp any, opts ProofOptions) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, newErr(CodeInternal, err, "signing")
	}
	d, err := toDocument(vp)
	if err != nil {
		return nil, err
	}
	if _, err := checkPresentation(d); err != nil {
		return nil, err
	}
	return p.addProof(ctx, d, opts, ProofPurposeAuthentication)
}

// VerifyPresentation verifies a presentation secured with Data Integrity:
// its shape (@context, type VerifiablePresentation, holder, embedded
// credentials), pinned contexts and data loss, every proof (purpose
// authentication, challenge = opts.Challenge, domain containing
// opts.Domain, expires, key through opts.HolderResolver, signature), holder
// binding, freshness (created within MaxAge), then each embedded credential
// with the credential rules (Data Integrity, or an
// EnvelopedVerifiableCredential with a data:application/vc+jwt id), and
// last the nonce store. resolver resolves the credentials' keys.
func (p *Processor) VerifyPresentation(ctx context.Context, vp []byte, resolver KeyResolver, opts PresentationOptions) (*PresentationResult, error) {
	res := &PresentationResult{}
	fail := presentationFail(res)
	now, err := presentationPrecheck(ctx, opts)
	if err != nil {
		return fail(err)
	}
	doc, err := decodeDocument(vp)
	if err != nil {
		return fail(err)
	}
	res.Presentation = doc
	if err := p.checkContexts(doc); err != nil {
		return fail(err)
	}
	if res.Holder, err = checkPresentation(doc); err != nil {
		return fail(err)
	}
	hres := opts.HolderResolver
	if hres == nil {
		hres = resolver
	}
	vopts := VerifyOptions{Now: now, ExpectedPurpose: ProofPurposeAuthentication,
		Domain: opts.Domain, Challenge: opts.Challenge, SkipUnsupported: opts.SkipUnsupported}
	res.Proofs, err = p.verifyProofSet(ctx, doc, hres, ProofPurposeAuthentication, now, vopts)
	if err != nil {
		return fail(err)
	}
	proofs, err := proofList(doc)
	if err != nil {
		return fail(err)
	}
	var until time.Time
	for _, pr := range res.Proofs {
		if !pr.Verified {
			continue
		}
		if err := checkHolderKey(res.Holder, pr.VerificationMethod, opts.RequireHolderKey); err != nil {
			return fail(err)
		}
		created, hasCreated, _ := dateTimeStamp(proofs[pr.Index], "created")
		u, err := checkFreshness(created, hasCreated, now, opts, "proof created")
		if err != nil {
			return fail(err)
		}
		if exp, ok, _ := dateTimeStamp(proofs[pr.Index], "expires"); ok && (u.IsZero() || exp.Before(u)) {
			u = exp
		}
		if res.Created.IsZero() || created.Before(res.Created) {
			res.Created = created
		}
		if until.IsZero() || !u.IsZero() && u.Before(until) {
			until = u
		}
	}
	if err := p.verifyPresented(ctx, doc, res, resolver, opts, now, until); err != nil {
		return fail(err)
	}
	res.Verified = true
	return res, nil
}

func presentationFail(res *PresentationResult) func(error) (*PresentationResult, error) {
	return func(err error) (*PresentationResult, error) {
		e := asError(err)
		res.Verified, res.Code, res.Err = false, e.Code, e
		return res, e
	}
}

// presentationPrecheck checks the context and the caller's options and
// returns the verification time.
func presentationPrecheck(ctx context.Context, opts PresentationOptions) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, newErr(CodeInternal, err, "verification cancelled")
	}
	if opts.Challenge == "" || opts.Domain == "" {
		return time.Time{}, newErr(CodeInternal, nil, "PresentationOptions needs the verifier's Challenge and Domain")
	}
	if opts.Now.IsZero() {
		return time.Now(), nil
	}
	return opts.Now, nil
}

// checkPresentation checks the VCDM 2.0 presentation properties and the
// shape of the embedded credentials, and returns the holder ("" when
// absent).
func checkPresentation(doc map[string]any) (string, error) {
	ctxs := asArray(doc["@context"])
	if len(ctxs) == 0 || ctxs[0] != ContextV2 {
		return "", newErr(CodeMalformed, nil, "the first @context entry must be %s", ContextV2)
	}
	if !hasType(doc["type"], TypeVerifiablePresentation) {
		return "", newErr(CodeMalformed, nil, "type must include %s", TypeVerifiablePresentation)
	}
	var holder string
	if h, ok := doc["holder"]; ok {
		switch t := h.(type) {
		case string:
			holder = t
		case map[string]any:
			holder, _ = t["id"].(string)
		}
		if !absoluteIRI(holder) || strings.HasPrefix(holder, "_:") {
			return "", newErr(CodeMalformed, nil, "holder must be a URL or an object whose id is a URL")
		}
	}
	if v, ok := doc["verifiableCredential"]; ok {
		for i, e := range asArray(v) {
			m, ok := e.(map[string]any)
			if !ok {
				return "", newErr(CodeMalformed, nil, "verifiableCredential %d is not an object", i)
			}
			if hasType(m["type"], TypeEnvelopedVerifiableCredential) {
				if id, _ := m["id"].(string); !strings.HasPrefix(id, "data:") {
					return "", newErr(CodeMalformed, nil, "verifiableCredential %d: an enveloped credential's id must be a data: URL", i)
				}
			}
		}
	}
	return holder, nil
}

// checkHolderKey binds a presentation key to the holder.
func checkHolderKey(holder, vm string, required bool) error {
	if holder == "" {
		if required {
			return newErr(CodeHolderMismatch, nil, "the presentation names no holder")
		}
		return nil
	}
	if !ownedBy(vm, holder) {
		return newErr(CodeHolderMismatch, nil, "presentation key %s does not belong to the holder %s", vm, holder)
	}
	return nil
}

// checkFreshness applies MaxAge and ClockSkew to the time a presentation
// was made and returns until which its nonce must be remembered (zero: no
// bound).
func checkFreshness(created time.Time, ok bool, now time.Time, opts PresentationOptions, what string) (time.Time, error) {
	maxAge, skew := opts.MaxAge, opts.ClockSkew
	if maxAge == 0 {
		maxAge = DefaultPresentationMaxAge
	}
	if skew == 0 {
		skew = DefaultClockSkew
	}
	if skew < 0 {
		skew = 0
	}
	if !ok {
		if maxAge < 0 {
			return time.Time{}, nil
		}
		return time.Time{}, newErr(CodeMalformed, nil, "%s is required (MaxAge %s)", what, maxAge)
	}
	if created.After(now.Add(skew)) {
		return time.Time{}, newErr(CodeNotYetValid, nil, "%s %s is in the future", what, created.UTC().Format(time.RFC3339))
	}
	if maxAge < 0 {
		return time.Time{}, nil
	}
	if now.Sub(created) > maxAge {
		return time.Time{}, newErr(CodeExpired, nil, "%s %s is older than %s", what, created.UTC().Format(time.RFC3339), maxAge)
	}
	return created.Add(maxAge), nil
}

// verifyPresented verifies the embedded credentials of a presentation
// whose own proof verified, applies subject binding, and then spends the
// nonce.
func (p *Processor) verifyPresented(ctx context.Context, doc map[string]any, res *PresentationResult, resolver KeyResolver, opts PresentationOptions, now, until time.Time) error {
	copts := VerifyOptions{Now: now, SkipUnsupported: opts.SkipUnsupported, RequireIssuerKey: opts.RequireIssuerKey}
	var creds []any
	if v, ok := doc["verifiableCredential"]; ok {
		creds = asArray(v)
	}
	for i, e := range creds {
		m, _ := e.(map[string]any)
		r, err := p.verifyEmbedded(ctx, m, resolver, copts, now)
		res.Credentials = append(res.Credentials, r)
		if err != nil {
			return newErr(CodeOf(err), err, "credential %d", i)
		}
		if opts.RequireSubjectHolder && !subjectIs(r.Credential, res.Holder) {
			return newErr(CodeHolderMismatch, nil, "credential %d: no credentialSubject id is the holder %q", i, res.Holder)
		}
	}
	if opts.Nonces != nil {
		if err := opts.Nonces.Use(ctx, opts.Challenge, until); err != nil {
			if errors.Is(err, ErrNonceUsed) {
				return newErr(CodeReplayed, err, "challenge already used")
			}
			return newErr(CodeInternal, err, "nonce store")
		}
	}
	return nil
}

// verifyEmbedded verifies one embedded credential: enveloped (vc+jwt) or
// secured with Data Integrity.
func (p *Processor) verifyEmbedded(ctx context.Context, m map[string]any, resolver KeyResolver, opts VerifyOptions, now time.Time) (*Result, error) {
	if hasType(m["type"], TypeEnvelopedVerifiableCredential) {
		id, _ := m["id"].(string)
		tok, ok := strings.CutPrefix(id, EnvelopedVCJWTPrefix)
		if !ok {
			media, _, _ := strings.Cut(strings.TrimPrefix(id, "data:"), ",")
			err := newErr(CodeUnsupportedCryptosuite, nil, "enveloped credential of media type %q (accepted: application/vc+jwt)", media)
			return &Result{Code: err.Code, Err: err}, err
		}
		return p.VerifyJWT(ctx, []byte(tok), resolver, opts)
	}
	r := &Result{}
	if err := p.verifyCredential(ctx, m, resolver, opts, now, r); err != nil {
		return r.fail(err)
	}
	r.Verified = true
	return r, nil
}

// subjectIs reports whether some credentialSubject of cred has the id
// holder.
func subjectIs(cred map[string]any, holder string) bool {
	if holder == "" {
		return false
	}
	for _, s := range asArray(cred["credentialSubject"]) {
		if m, ok := s.(map[string]any); ok {
			if id, _ := m["id"].(string); id == holder {
				return true
			}
		}
	}
	return false
}
