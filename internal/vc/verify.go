package vc

import (
	"context"
	"crypto"
	"errors"
	"strings"
	"time"

	"github.com/mr-tron/base58"

	"github.com/xborder/xborder/internal/suite"
)

// KeyResolver resolves a verification method URL to its public key and
// algorithm. It is also where the caller decides whether the method may be
// used at all (for example, that a DID document lists it under
// assertionMethod).
type KeyResolver interface {
	ResolveKey(ctx context.Context, verificationMethodURL string) (suite.Alg, crypto.PublicKey, error)
}

// KeyResolverFunc adapts a function to KeyResolver.
type KeyResolverFunc func(ctx context.Context, verificationMethodURL string) (suite.Alg, crypto.PublicKey, error)

// ResolveKey calls f.
func (f KeyResolverFunc) ResolveKey(ctx context.Context, vm string) (suite.Alg, crypto.PublicKey, error) {
	return f(ctx, vm)
}

// VerifyOptions configures Verify.
type VerifyOptions struct {
	Now             time.Time // the time validity is judged at; zero means time.Now()
	ExpectedPurpose string    // default "assertionMethod"
	Domain          string    // when set, every proof's domain must contain it
	Challenge       string    // when set, every proof's challenge must equal it
	// SkipUnsupported lets proofs whose type or cryptosuite this Processor
	// does not know be reported and ignored, provided at least one proof
	// verifies (for example an SM2 proof beside an Ed25519 one, checked by
	// a verifier without the SM2 suite). By default every proof must verify.
	SkipUnsupported bool
	// RequireIssuerKey demands that every verified proof (or the vc+jwt's
	// kid) be a key of the issuer's own DID: "did:x:y#k" for issuer
	// "did:x:y". The published W3C vectors sign for an https issuer with a
	// did:key, so this is a verifier policy, off by default; xborder's CLI
	// and services turn it on.
	RequireIssuerKey bool
}

// Result is the outcome of Verify. Verified is true only when Err is nil.
type Result struct {
	Verified   bool
	Code       Code   // "" when verified
	Err        error  // an *Error when not verified
	Issuer     string // the issuer URL
	ValidFrom  time.Time
	ValidUntil time.Time
	Proofs     []ProofResult
	Credential map[string]any // the decoded credential (with its proofs)
}

// ProofResult reports one proof of a proof set.
type ProofResult struct {
	Index              int
	ID                 string
	Cryptosuite        string
	VerificationMethod string
	ProofPurpose       string
	Created            time.Time
	Verified           bool
	Skipped            bool  // unsupported and ignored (VerifyOptions.SkipUnsupported)
	Err                error // an *Error when not verified
}

// Verify checks a credential secured with one or more Data Integrity
// proofs: its bounds and JSON shape, that every @context is pinned, the VCDM
// 2.0 required properties, the data-loss rule, every proof (purpose, domain,
// challenge, expiry, key, signature), and last its validity period. The
// returned error is nil exactly when the credential verifies; it is then
// also in Result.Err, and its Code in Result.Code.
func (p *Processor) Verify(ctx context.Context, signed []byte, resolver KeyResolver, opts VerifyOptions) (*Result, error) {
	res := &Result{}
	fail := res.fail
	if err := ctx.Err(); err != nil {
		return fail(newErr(CodeInternal, err, "verification cancelled"))
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	doc, err := decodeDocument(signed)
	if err != nil {
		return fail(err)
	}
	if err := p.verifyCredential(ctx, doc, resolver, opts, now, res); err != nil {
		return fail(err)
	}
	res.Verified = true
	return res, nil
}

// verifyCredential is Verify on a decoded credential; it fills res but
// leaves Verified, Code and Err to the caller. doc is not modified.
func (p *Processor) verifyCredential(ctx context.Context, doc map[string]any, resolver KeyResolver, opts VerifyOptions, now time.Time, res *Result) error {
	purpose := opts.ExpectedPurpose
	if purpose == "" {
		purpose = "assertionMethod"
	}
	res.Credential = doc
	if err := p.checkContexts(doc); err != nil {
		return err
	}
	if err := checkCredential(doc); err != nil {
		return err
	}
	res.Issuer, _ = issuerID(doc)
	res.ValidFrom, _, _ = dateTimeStamp(doc, "validFrom")
	res.ValidUntil, _, _ = dateTimeStamp(doc, "validUntil")

	proofs, err := p.verifyProofSet(ctx, doc, resolver, purpose, now, opts)
	res.Proofs = proofs
	if err != nil {
		return err
	}
	if opts.RequireIssuerKey {
		for _, pr := range res.Proofs {
			if pr.Verified && !ownedBy(pr.VerificationMethod, res.Issuer) {
				return newErr(CodeIssuerMismatch, nil, "proof key %s does not belong to the issuer %s", pr.VerificationMethod, res.Issuer)
			}
		}
	}
	return checkValidityPeriod(doc, now)
}

// verifyProofSet verifies every Data Integrity proof of doc (a credential
// or a presentation) with the expected purpose and opts' domain, challenge
// and SkipUnsupported, and reports each. The error is nil when every proof
// verified (or was skipped as unsupported) and at least one verified.
func (p *Processor) verifyProofSet(ctx context.Context, doc map[string]any, resolver KeyResolver, purpose string, now time.Time, opts VerifyOptions) ([]ProofResult, error) {
	proofs, err := proofList(doc)
	if err != nil {
		return nil, err
	}
	if len(proofs) == 0 {
		return nil, newErr(CodeMalformed, nil, "the document has no proof")
	}

	// The canonical document without proofs, shared by every proof that
	// does not chain to earlier ones. Computing it first reports data loss
	// in the document before anything about its proofs.
	docCanon, err := p.canonicalize(ctx, withoutProof(doc))
	if err != nil {
		return nil, err
	}
	verified := 0
	var firstErr error
	var out []ProofResult
	for i, proof := range proofs {
		if err := ctx.Err(); err != nil {
			return out, newErr(CodeInternal, err, "verification cancelled")
		}
		pr := ProofResult{Index: i}
		pr.ID, _ = proof["id"].(string)
		pr.Cryptosuite, _ = proof["cryptosuite"].(string)
		pr.VerificationMethod, _ = proof["verificationMethod"].(string)
		pr.ProofPurpose, _ = proof["proofPurpose"].(string)
		pr.Created, _, _ = dateTimeStamp(proof, "created")
		err := p.verifyProof(ctx, doc, proofs, proof, docCanon, resolver, purpose, now, opts)
		switch {
		case err == nil:
			pr.Verified = true
			verified++
		case opts.SkipUnsupported && CodeOf(err) == CodeUnsupportedCryptosuite:
			pr.Skipped, pr.Err = true, err
		default:
			pr.Err = err
			if firstErr == nil {
				firstErr = err
			}
		}
		out = append(out, pr)
	}
	if firstErr != nil {
		return out, firstErr
	}
	if verified == 0 {
		return out, newErr(CodeUnsupportedCryptosuite, nil, "no proof with a supported cryptosuite")
	}
	return out, nil
}

// ownedBy reports whether the verification method URL vm is a key of the
// DID issuer: vm is issuer itself or issuer followed by a fragment.
func ownedBy(vm, issuer string) bool {
	if issuer == "" {
		return false
	}
	base, _, _ := strings.Cut(vm, "#")
	return base == issuer
}

func (p *Processor) verifyProof(ctx context.Context, doc map[string]any, all []map[string]any, proof map[string]any,
	docCanon []byte, resolver KeyResolver, purpose string, now time.Time, opts VerifyOptions) error {
	if t, _ := proof["type"].(string); t != ProofTypeDataIntegrity {
		return newErr(CodeUnsupportedCryptosuite, nil, "proof type %q", proof["type"])
	}
	name, _ := proof["cryptosuite"].(string)
	cs, ok := p.suites[name]
	if !ok {
		return newErr(CodeUnsupportedCryptosuite, nil, "cryptosuite %q", name)
	}
	pv, _ := proof["proofValue"].(string)
	if len(pv) < 2 || pv[0] != 'z' {
		return newErr(CodeMalformed, nil, "proofValue must be a multibase base58btc string")
	}
	sig, err := base58.Decode(pv[1:])
	if err != nil {
		return newErr(CodeMalformed, err, "proofValue")
	}
	vm, _ := proof["verificationMethod"].(string)
	if !absoluteIRI(vm) {
		return newErr(CodeMalformed, nil, "verificationMethod must be a URL")
	}
	if pp, _ := proof["proofPurpose"].(string); pp != purpose {
		return newErr(CodePurposeMismatch, nil, "proof purpose %q, expected %q", pp, purpose)
	}
	if _, _, err := dateTimeStamp(proof, "created"); err != nil {
		return err
	}
	if exp, ok, err := dateTimeStamp(proof, "expires"); err != nil {
		return err
	} else if ok && now.After(exp) {
		return newErr(CodeExpired, nil, "proof expired at %s", exp.Format(time.RFC3339))
	}
	if opts.Domain != "" && !hasType(proof["domain"], opts.Domain) {
		return newErr(CodeDomainMismatch, nil, "proof domain does not include %q", opts.Domain)
	}
	if opts.Challenge != "" {
		if c, _ := proof["challenge"].(string); c != opts.Challenge {
			return newErr(CodeChallengeMismatch, nil, "proof challenge does not match")
		}
	}
	// A proof may carry its own @context; it must then be a prefix of the
	// document's (Data Integrity 1.0, Verify Proof step 3).
	if pc, ok := proof["@context"]; ok {
		dc, pcs := asArray(doc["@context"]), asArray(pc)
		if len(pcs) > len(dc) {
			return newErr(CodeMalformed, nil, "proof @context is not a prefix of the document @context")
		}
		for i := range pcs {
			if a, _ := pcs[i].(string); a == "" || a != dc[i] {
				return newErr(CodeMalformed, nil, "proof @context is not a prefix of the document @context")
			}
		}
	}

	unsecured, err := unsecuredDocument(doc, all, proof)
	if err != nil {
		return err
	}
	canon := docCanon
	if _, chained := proof["previousProof"]; chained {
		if canon, err = p.canonicalize(ctx, unsecured); err != nil {
			return err
		}
	}
	hashData, err := p.hashDataWithDocCanon(ctx, canon, unsecured, proof, cs)
	if err != nil {
		return err
	}

	if resolver == nil {
		return newErr(CodeKeyResolution, nil, "no key resolver")
	}
	alg, pub, err := resolver.ResolveKey(ctx, vm)
	if err != nil {
		return newErr(CodeKeyResolution, err, "resolving %s", vm)
	}
	if alg != cs.Alg {
		return newErr(CodeKeyResolution, nil, "%s needs a %s key, %s is %s", cs.Name, cs.Alg, vm, alg)
	}
	if err := p.verifySig(alg, pub, hashData, sig); err != nil {
		if errors.Is(err, suite.ErrBadSignature) {
			return newErr(CodeBadSignature, err, "proof by %s", vm)
		}
		return newErr(CodeKeyResolution, err, "key of %s", vm)
	}
	return nil
}
