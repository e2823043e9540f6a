package vcapi

import (
	"context"
	"net/http"
	"time"

	"github.com/xborder/xborder/internal/trust"
	"github.com/xborder/xborder/internal/vc"
)

// VerifyResponse is the body of POST /credentials/verify and POST
// /presentations/verify: 200 when verified, otherwise the status of the
// first error's code (400 for any fault of the document, 500 internal).
type VerifyResponse struct {
	Verified bool `json:"verified"`
	// Checks lists what was checked and passed: "proof", "validity",
	// "credentialStatus" (when the credential has one), "issuerTrust"
	// (when a trust policy is configured), and for presentations
	// "presentationProof", "challenge" and "domain".
	Checks   []string    `json:"checks"`
	Warnings []ErrorItem `json:"warnings"`
	Errors   []ErrorItem `json:"errors"`
	// ProblemDetails repeats Errors in the VCALM form.
	ProblemDetails []ProblemDetail `json:"problemDetails,omitempty"`
	// Issuer is the verified credential's issuer; Holder the verified
	// presentation's holder.
	Issuer string `json:"issuer,omitempty"`
	Holder string `json:"holder,omitempty"`
	// TrustAnchors name the registry entries that accepted the issuers.
	TrustAnchors []TrustAnchor `json:"trustAnchors,omitempty"`
}

// TrustAnchor is the registry entry that accepted an issuer.
type TrustAnchor struct {
	Registry     string `json:"registry"`
	Sequence     uint64 `json:"sequence"`
	Scheme       string `json:"scheme,omitempty"`
	Entry        string `json:"entry,omitempty"`
	Jurisdiction string `json:"jurisdiction"`
	Issuer       string `json:"issuer"`
}

func anchorOf(a trust.Anchor) TrustAnchor {
	return TrustAnchor{Registry: a.RegistryID, Sequence: a.Sequence, Scheme: a.Scheme, Entry: a.EntryName,
		Jurisdiction: a.Jurisdiction, Issuer: a.Issuer}
}

func (s *Server) verifyCredential(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, s.cfg.MaxBody)
	if err != nil {
		writeError(w, err)
		return
	}
	req, err := DecodeVerifyRequest(body)
	if err != nil {
		writeError(w, err)
		return
	}
	resp, status := s.VerifyCredential(r.Context(), req)
	writeJSON(w, status, "application/json", resp)
}

// VerifyCredential verifies req's credential and returns the response body
// and HTTP status.
func (s *Server) VerifyCredential(ctx context.Context, req *VerifyRequest) (*VerifyResponse, int) {
	now := s.cfg.Now()
	opts := vc.VerifyOptions{
		Now: now, Domain: req.Options.Domain, Challenge: req.Options.Challenge,
		ExpectedPurpose: req.Options.ExpectedProofPurpose, SkipUnsupported: s.cfg.SkipUnsupported,
		RequireIssuerKey: true,
	}
	var (
		res *vc.Result
		err error
	)
	if req.doc.JWS != "" {
		res, err = s.cfg.Processor.VerifyJWT(ctx, []byte(req.doc.JWS), s.cfg.Resolver, opts)
	} else {
		res, err = s.cfg.Processor.Verify(ctx, req.doc.JSON, s.cfg.Resolver, opts)
	}
	if err != nil {
		return failure(nil, err, nil)
	}
	resp := &VerifyResponse{Verified: true, Checks: []string{CheckProof, CheckValidity}, Issuer: res.Issuer}
	if err := s.afterProof(ctx, res.Credential, res.Issuer, now, resp); err != nil {
		return failure(resp.Checks, err, nil)
	}
	finish(resp)
	return resp, http.StatusOK
}

// afterProof runs the checks that need a verified credential: status and
// trust. It appends what passed to resp.
func (s *Server) afterProof(ctx context.Context, cred map[string]any, issuer string, now time.Time, resp *VerifyResponse) error {
	if _, has := cred["credentialStatus"]; has {
		if s.cfg.Status == nil {
			return newErr(CodeStatusUnchecked, "the credential has a status this verifier cannot check", nil)
		}
		if _, err := s.cfg.Status.Check(ctx, cred); err != nil {
			return err
		}
		resp.Checks = appendOnce(resp.Checks, CheckCredentialStatus)
	}
	if s.cfg.Trust != nil {
		a, err := s.cfg.Trust.Accept(issuer, typesOf(cred), s.cfg.Jurisdiction, now)
		if err != nil {
			return err
		}
		resp.Checks = appendOnce(resp.Checks, CheckIssuerTrust)
		resp.TrustAnchors = append(resp.TrustAnchors, anchorOf(a))
	}
	return nil
}

func appendOnce(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

// typesOf returns a credential's type values.
func typesOf(cred map[string]any) []string {
	switch t := cred["type"].(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// failure builds the response for err: verified false, one error, the
// status its code maps to. index, when set, names the failing credential
// of a presentation.
func failure(checks []string, err error, index *int) (*VerifyResponse, int) {
	code := codeOf(err)
	p := describe(code)
	msg := messageOf(err)
	resp := &VerifyResponse{
		Verified: false,
		Checks:   checks,
		Errors:   []ErrorItem{{Code: code, Message: msg, Index: index}},
		ProblemDetails: []ProblemDetail{{
			Type: ProblemTypeBase + code, Code: code, Title: p.title, Detail: msg,
		}},
	}
	finish(resp)
	return resp, p.status
}

// finish makes the lists JSON arrays rather than null.
func finish(resp *VerifyResponse) {
	if resp.Checks == nil {
		resp.Checks = []string{}
	}
	if resp.Warnings == nil {
		resp.Warnings = []ErrorItem{}
	}
	if resp.Errors == nil {
		resp.Errors = []ErrorItem{}
	}
}
