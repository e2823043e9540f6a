package vc

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/xborder/xborder/internal/jws"
	"github.com/xborder/xborder/internal/suite"
)

// Media types of VC-JOSE-COSE (W3C REC 2025-05-15, §3.1.1).
const (
	TypVCJWT = "vc+jwt" // the JOSE "typ" of a credential secured as a JWS
	CtyVC    = "vc"     // the optional JOSE "cty" of its payload
)

// JWTOptions configures SignJWT.
type JWTOptions struct {
	Signer suite.Signer // Ed25519 (alg EdDSA) or P-256 (alg ES256)
	KeyID  string       // the JOSE "kid": the verification method URL the verifier resolves
}

// SignJWT secures the credential doc as a vc+jwt (VC-JOSE-COSE): a compact
// JWS whose protected header carries alg, typ "vc+jwt", cty "vc" and kid,
// and whose payload is the credential itself. The credential is checked as
// Sign checks it, except that a vc+jwt needs no JSON-LD processing, so its
// contexts need not be pinned.
func (p *Processor) SignJWT(ctx context.Context, doc any, opts JWTOptions) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", newErr(CodeInternal, err, "signing")
	}
	d, err := toDocument(doc)
	if err != nil {
		return "", err
	}
	if err := checkCredential(d); err != nil {
		return "", err
	}
	if _, ok := d["proof"]; ok {
		return "", newErr(CodeMalformed, nil, "a vc+jwt payload carries no embedded proof")
	}
	payload, err := json.Marshal(d)
	if err != nil {
		return "", newErr(CodeInternal, err, "encoding the payload")
	}
	return signJWS(payload, opts.Signer, opts.KeyID, TypVCJWT, CtyVC)
}

// signJWS signs payload as a compact JWS with the given typ, cty and kid
// (internal/jws), with Ed25519 (EdDSA) or P-256 (ES256) keys: VC-JOSE-COSE
// registers no SM2 algorithm.
func signJWS(payload []byte, s suite.Signer, kid, typ, cty string) (string, error) {
	if s == nil || kid == "" {
		return "", newErr(CodeMalformed, nil, "a signer and a key id are required")
	}
	if a := s.Alg(); a != suite.Ed25519 && a != suite.P256 {
		return "", newErr(CodeUnsupportedCryptosuite, nil, "no JOSE algorithm for %s keys", a)
	}
	out, err := jws.Sign(payload, s, jws.Header{Kid: kid, Typ: typ, Cty: cty})
	if err != nil {
		return "", newErr(CodeInternal, err, "signing the JWS")
	}
	return out, nil
}

// VerifyJWT verifies a credential secured as a vc+jwt: compact JWS with
// alg EdDSA or ES256, typ "vc+jwt" (cty "vc" when present), a kid the
// resolver knows, a valid signature, and a payload that is a VCDM 2.0
// credential without the JWT-VC 1.1 "vc"/"vp" claims and whose "iss", when
// present, names the issuer. exp and nbf, when present, must be NumericDates
// and are checked like validUntil and validFrom. Domain, Challenge,
// ExpectedPurpose and SkipUnsupported of opts do not apply.
func (p *Processor) VerifyJWT(ctx context.Context, token []byte, resolver KeyResolver, opts VerifyOptions) (*Result, error) {
	res := &Result{}
	fail := res.fail
	if err := ctx.Err(); err != nil {
		return fail(newErr(CodeInternal, err, "verification cancelled"))
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	kid, payload, pr, err := p.verifyJWS(ctx, token, TypVCJWT, CtyVC, resolver)
	if pr != nil {
		res.Proofs = []ProofResult{*pr}
	}
	if err != nil {
		return fail(err)
	}

	doc, err := decodeDocument(payload)
	if err != nil {
		return fail(err)
	}
	res.Credential = doc
	for _, k := range []string{"vc", "vp"} {
		if _, ok := doc[k]; ok {
			return fail(newErr(CodeMalformed, nil, "the payload has a %q claim (JWT-VC 1.1); a vc+jwt payload is the credential itself", k))
		}
	}
	if _, ok := doc["proof"]; ok {
		return fail(newErr(CodeMalformed, nil, "a vc+jwt payload carries no embedded proof"))
	}
	if err := checkCredential(doc); err != nil {
		return fail(err)
	}
	res.Issuer, _ = issuerID(doc)
	if iss, ok := doc["iss"]; ok && iss != res.Issuer {
		return fail(newErr(CodeMalformed, nil, "iss %v does not match the issuer %s", iss, res.Issuer))
	}
	if opts.RequireIssuerKey && !ownedBy(kid, res.Issuer) {
		return fail(newErr(CodeIssuerMismatch, nil, "kid %s does not belong to the issuer %s", kid, res.Issuer))
	}
	res.ValidFrom, _, _ = dateTimeStamp(doc, "validFrom")
	res.ValidUntil, _, _ = dateTimeStamp(doc, "validUntil")
	if err := checkJWTTimes(doc, now); err != nil {
		return fail(err)
	}
	if err := checkValidityPeriod(doc, now); err != nil {
		return fail(err)
	}
	res.Verified = true
	return res, nil
}

// verifyJWS parses a compact JWS whose typ must be typ (and cty, when
// present, cty), resolves its kid and checks its signature (internal/jws,
// with the processor's signature cache). It returns the kid, the payload
// and, once the signature was checked, its ProofResult.
func (p *Processor) verifyJWS(ctx context.Context, token []byte, typ, cty string, resolver KeyResolver) (string, []byte, *ProofResult, error) {
	if len(token) > 2*MaxDocumentSize {
		return "", nil, nil, newErr(CodeMalformed, nil, "token of %d bytes exceeds the limit", len(token))
	}
	var resolve jws.Resolver
	if resolver != nil {
		resolve = resolver.ResolveKey
	}
	v, err := jws.Verify(ctx, string(bytes.TrimSpace(token)), resolve, jws.Expect{
		Typ:       typ,
		Cty:       cty,
		Algs:      []suite.Alg{suite.Ed25519, suite.P256},
		MaxBytes:  2 * MaxDocumentSize,
		VerifySig: p.sigs.Verify,
	})
	if err == nil {
		pr := &ProofResult{Cryptosuite: typ + "/" + v.Header.Alg, VerificationMethod: v.Header.Kid, Verified: true}
		return v.Header.Kid, v.Payload, pr, nil
	}
	switch jws.CodeOf(err) {
	case jws.CodeBadSignature:
		h, _ := jws.ParseHeader(string(bytes.TrimSpace(token)))
		pr := &ProofResult{Cryptosuite: typ + "/" + h.Alg, VerificationMethod: h.Kid}
		pr.Err = newErr(CodeBadSignature, err, "JWS by %s", h.Kid)
		return "", nil, pr, pr.Err
	case jws.CodeUnsupportedAlgorithm:
		return "", nil, nil, newErr(CodeUnsupportedCryptosuite, err, "JOSE algorithm (accepted: EdDSA, ES256)")
	case jws.CodeKeyResolution:
		return "", nil, nil, newErr(CodeKeyResolution, err, "resolving the JWS key")
	}
	return "", nil, nil, newErr(CodeMalformed, err, "parsing the JWS")
}

// checkJWTTimes applies the registered JWT claims exp and nbf (RFC 7519
// NumericDate) when present.
func checkJWTTimes(doc map[string]any, now time.Time) error {
	if exp, ok, err := numericDate(doc, "exp"); err != nil {
		return err
	} else if ok && !now.Before(exp) {
		return newErr(CodeExpired, nil, "exp %s", exp.UTC().Format(time.RFC3339))
	}
	if nbf, ok, err := numericDate(doc, "nbf"); err != nil {
		return err
	} else if ok && now.Before(nbf) {
		return newErr(CodeNotYetValid, nil, "nbf %s", nbf.UTC().Format(time.RFC3339))
	}
	return nil
}
