package vcapi

import (
	"bytes"
	"encoding/json"

	"github.com/xborder/xborder/internal/vc"
)

// Proof formats of IssueOptions.Type (and the legacy proofFormat).
const (
	FormatDataIntegrity = vc.ProofTypeDataIntegrity // "DataIntegrityProof"
	FormatVCJWT         = vc.TypVCJWT               // "vc+jwt"
)

// IssueRequest is the body of POST /credentials/issue.
type IssueRequest struct {
	Credential json.RawMessage `json:"credential"`
	Options    IssueOptions    `json:"options"`
}

// IssueOptions are the options of POST /credentials/issue. Members not
// listed here are refused (400 bad_request).
type IssueOptions struct {
	// Type is the proof format: "DataIntegrityProof" or "vc+jwt"
	// (default: the issuer's Format).
	Type string `json:"type,omitempty"`
	// ProofFormat is the older VC-API name of Type; "ldp" and "jwt" are
	// accepted as synonyms. It must agree with Type when both are given.
	ProofFormat string `json:"proofFormat,omitempty"`
	// Cryptosuite picks a Data Integrity suite, and so the issuer's key:
	// "eddsa-rdfc-2022", "ecdsa-rdfc-2019" or "xborder-sm2-rdfc-2025".
	Cryptosuite string `json:"cryptosuite,omitempty"`
	// CredentialID becomes the credential's id when it has none; a
	// credential with another id is refused.
	CredentialID string `json:"credentialId,omitempty"`
	// MandatoryPointers is accepted for VCALM compatibility and must be
	// empty: no selective-disclosure suite is offered.
	MandatoryPointers []string `json:"mandatoryPointers,omitempty"`
}

// DecodeIssueRequest parses the body of POST /credentials/issue: a JSON
// object with a credential object and optional options, no other members.
// The credential itself is only checked to be a JSON object here.
func DecodeIssueRequest(body []byte) (*IssueRequest, error) {
	var req IssueRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	c := bytes.TrimSpace(req.Credential)
	if !present(c) || c[0] != '{' {
		return nil, newErr(CodeBadRequest, "credential must be a JSON object", nil)
	}
	req.Credential = c
	f, err := req.Options.format()
	if err != nil {
		return nil, err
	}
	if f == FormatVCJWT && req.Options.Cryptosuite != "" {
		return nil, newErr(CodeBadRequest, "options.cryptosuite applies only to DataIntegrityProof", nil)
	}
	if len(req.Options.MandatoryPointers) > 0 {
		return nil, newErr(CodeBadRequest, "options.mandatoryPointers is not supported (no selective-disclosure suite)", nil)
	}
	return &req, nil
}

// format returns the requested proof format, "" when none was asked for.
func (o IssueOptions) format() (string, error) {
	norm := func(s string) (string, bool) {
		switch s {
		case "":
			return "", true
		case FormatDataIntegrity, "ldp", "ldp_vc":
			return FormatDataIntegrity, true
		case FormatVCJWT, "jwt", "jwt_vc":
			return FormatVCJWT, true
		}
		return "", false
	}
	t, ok := norm(o.Type)
	if !ok {
		return "", newErr(CodeBadRequest, "options.type must be DataIntegrityProof or vc+jwt", nil)
	}
	pf, ok := norm(o.ProofFormat)
	if !ok {
		return "", newErr(CodeBadRequest, "options.proofFormat must be DataIntegrityProof or vc+jwt", nil)
	}
	if t != "" && pf != "" && t != pf {
		return "", newErr(CodeBadRequest, "options.type and options.proofFormat disagree", nil)
	}
	if t == "" {
		t = pf
	}
	if t == "" && o.Cryptosuite != "" {
		t = FormatDataIntegrity
	}
	return t, nil
}
