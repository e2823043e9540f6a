package vcapi

import (
	"context"
	"net/http"

	"github.com/xborder/xborder/internal/vc"
)

// Checks a presentation adds.
const (
	CheckPresentationProof = "presentationProof"
	CheckChallenge         = "challenge"
	CheckDomain            = "domain"
)

func (s *Server) verifyPresentation(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, s.cfg.MaxBody)
	if err != nil {
		writeError(w, err)
		return
	}
	req, err := DecodePresentationRequest(body)
	if err != nil {
		writeError(w, err)
		return
	}
	resp, status := s.VerifyPresentation(r.Context(), req)
	writeJSON(w, status, "application/json", resp)
}

// VerifyPresentation verifies req's presentation with its challenge and
// domain, each embedded credential (proofs, validity, status, trust), and
// spends the challenge. It returns the response body and HTTP status.
func (s *Server) VerifyPresentation(ctx context.Context, req *PresentationRequest) (*VerifyResponse, int) {
	domain := req.Options.Domain
	switch {
	case domain == "":
		domain = s.cfg.Audience
	case s.cfg.Audience != "" && domain != s.cfg.Audience:
		return failure(nil, newErr(Code(vc.CodeDomainMismatch), "options.domain is not this verifier's audience", nil), nil)
	}
	if domain == "" {
		return failure(nil, newErr(CodeBadRequest, "options.domain is required (no audience is configured)", nil), nil)
	}
	if !s.cfg.AcceptForeignChallenges && !s.challenges.valid(req.Options.Challenge) {
		return failure(nil, newErr(CodeUnknownChallenge, "the challenge was not issued by this verifier or has expired", nil), nil)
	}
	now := s.cfg.Now()
	opts := vc.PresentationOptions{
		Now: now, Challenge: req.Options.Challenge, Domain: domain, MaxAge: s.cfg.PresentationMaxAge,
		Nonces: s.cfg.Nonces, HolderResolver: s.holderKeys,
		RequireHolderKey: s.cfg.RequireHolderBinding, RequireSubjectHolder: s.cfg.RequireHolderBinding,
		RequireIssuerKey: true, SkipUnsupported: s.cfg.SkipUnsupported,
	}
	var (
		res *vc.PresentationResult
		err error
	)
	if req.doc.JWS != "" {
		res, err = s.cfg.Processor.VerifyPresentationJWT(ctx, []byte(req.doc.JWS), s.cfg.Resolver, opts)
	} else {
		res, err = s.cfg.Processor.VerifyPresentation(ctx, req.doc.JSON, s.cfg.Resolver, opts)
	}
	if err != nil {
		return failure(nil, err, failingIndex(res))
	}
	resp := &VerifyResponse{Verified: true, Holder: res.Holder,
		Checks: []string{CheckPresentationProof, CheckChallenge, CheckDomain, CheckProof, CheckValidity}}
	for i, c := range res.Credentials {
		if c == nil {
			continue
		}
		if err := s.afterProof(ctx, c.Credential, c.Issuer, now, resp); err != nil {
			idx := i
			return failure(resp.Checks, err, &idx)
		}
	}
	finish(resp)
	return resp, http.StatusOK
}

// failingIndex returns the index of the first embedded credential that
// failed, if the failure was a credential's.
func failingIndex(res *vc.PresentationResult) *int {
	if res == nil {
		return nil
	}
	for i, c := range res.Credentials {
		if c != nil && !c.Verified {
			idx := i
			return &idx
		}
	}
	return nil
}
