package vc

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/xborder/xborder/internal/suite"
)

// Media types of a presentation secured as a JWS (VC-JOSE-COSE §3.1.2).
const (
	TypVPJWT = "vp+jwt"
	CtyVP    = "vp"
)

// PresentationJWTOptions configures SignPresentationJWT.
type PresentationJWTOptions struct {
	Signer   suite.Signer // the holder's key: Ed25519 (EdDSA) or P-256 (ES256)
	KeyID    string       // the JOSE "kid": the holder's verification method URL
	Nonce    string       // the verifier's challenge, as the "nonce" claim (required)
	Audience string       // the verifier, as the "aud" claim (required)
	IssuedAt time.Time    // the "iat" claim; zero means now
	Expires  time.Time    // the "exp" claim, when non-zero
}

// SignPresentationJWT secures the presentation vp as a vp+jwt: a compact
// JWS with typ "vp+jwt", cty "vp" and kid, whose payload is the
// presentation itself plus the claims nonce, aud, iat and (optionally) exp.
// Credentials go in verifiableCredential, typically as
// EnvelopedVerifiableCredential entries with a data:application/vc+jwt id.
func (p *Processor) SignPresentationJWT(ctx context.Context, vp any, opts PresentationJWTOptions) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", newErr(CodeInternal, err, "signing")
	}
	d, err := toDocument(vp)
	if err != nil {
		return "", err
	}
	if _, err := checkPresentation(d); err != nil {
		return "", err
	}
	if _, ok := d["proof"]; ok {
		return "", newErr(CodeMalformed, nil, "a vp+jwt payload carries no embedded proof")
	}
	if opts.Nonce == "" || opts.Audience == "" {
		return "", newErr(CodeMalformed, nil, "a vp+jwt needs the verifier's nonce and audience")
	}
	iat := opts.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	d["nonce"], d["aud"], d["iat"] = opts.Nonce, opts.Audience, iat.Unix()
	if !opts.Expires.IsZero() {
		d["exp"] = opts.Expires.Unix()
	}
	payload, err := json.Marshal(d)
	if err != nil {
		return "", newErr(CodeInternal, err, "encoding the payload")
	}
	return signJWS(payload, opts.Signer, opts.KeyID, TypVPJWT, CtyVP)
}

// VerifyPresentationJWT verifies a vp+jwt: the JWS (typ "vp+jwt", alg
// EdDSA or ES256, kid resolved through opts.HolderResolver or resolver,
// signature), a payload that is a presentation, the nonce claim against
// opts.Challenge, aud against opts.Domain, holder binding of the kid (and
// iss, when present, must be the holder), iat within MaxAge, exp and nbf,
// then the embedded credentials and the nonce store as VerifyPresentation
// does.
func (p *Processor) VerifyPresentationJWT(ctx context.Context, token []byte, resolver KeyResolver, opts PresentationOptions) (*PresentationResult, error) {
	res := &PresentationResult{}
	fail := presentationFail(res)
	now, err := presentationPrecheck(ctx, opts)
	if err != nil {
		return fail(err)
	}
	hres := opts.HolderResolver
	if hres == nil {
		hres = resolver
	}
	kid, payload, pr, err := p.verifyJWS(ctx, token, TypVPJWT, CtyVP, hres)
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
	res.Presentation = doc
	for _, k := range []string{"vc", "vp", "proof"} {
		if _, ok := doc[k]; ok {
			return fail(newErr(CodeMalformed, nil, "a vp+jwt payload is the presentation itself, without a %q member", k))
		}
	}
	if res.Holder, err = checkPresentation(doc); err != nil {
		return fail(err)
	}
	if n, _ := doc["nonce"].(string); n != opts.Challenge {
		return fail(newErr(CodeChallengeMismatch, nil, "nonce does not match the challenge"))
	}
	if !hasType(doc["aud"], opts.Domain) {
		return fail(newErr(CodeDomainMismatch, nil, "aud does not include %q", opts.Domain))
	}
	if err := checkHolderKey(res.Holder, kid, opts.RequireHolderKey); err != nil {
		return fail(err)
	}
	if iss, ok := doc["iss"]; ok && iss != res.Holder {
		return fail(newErr(CodeHolderMismatch, nil, "iss %v is not the holder %q", iss, res.Holder))
	}
	iat, hasIat, err := numericDate(doc, "iat")
	if err != nil {
		return fail(err)
	}
	until, err := checkFreshness(iat, hasIat, now, opts, "iat")
	if err != nil {
		return fail(err)
	}
	res.Created = iat
	if err := checkJWTTimes(doc, now); err != nil {
		return fail(err)
	}
	if exp, ok, _ := numericDate(doc, "exp"); ok && (until.IsZero() || exp.Before(until)) {
		until = exp
	}
	if err := p.verifyPresented(ctx, doc, res, resolver, opts, now, until); err != nil {
		return fail(err)
	}
	res.Verified = true
	return res, nil
}

// numericDate reads the JWT NumericDate claim k (RFC 7519).
func numericDate(doc map[string]any, k string) (time.Time, bool, error) {
	v, ok := doc[k]
	if !ok {
		return time.Time{}, false, nil
	}
	f, isNum := v.(float64)
	if !isNum || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, false, newErr(CodeMalformed, nil, "%s must be a NumericDate", k)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}
