package vcapi

import (
	"encoding/json"

	"github.com/xborder/xborder/internal/vc"
)

// Check names accepted in VerifyOptions.Checks. Proofs and the validity
// period are always checked, and credentialStatus whenever the credential
// has one, whatever Checks says: a verifier that skipped a check on request
// would accept what it must refuse. Checks only has to be valid.
const (
	CheckProof            = "proof"
	CheckCredentialStatus = "credentialStatus"
	CheckValidity         = "validity"
	CheckIssuerTrust      = "issuerTrust"
)

// VerifyOptions are the options of POST /credentials/verify and, with
// Challenge required, of POST /presentations/verify. Members not listed
// are refused (400 bad_request).
type VerifyOptions struct {
	Checks []string `json:"checks,omitempty"`
	// Challenge and Domain, for a credential, must then appear in every
	// proof; for a presentation they are the nonce (from POST /challenges)
	// and the verifier's audience.
	Challenge string `json:"challenge,omitempty"`
	Domain    string `json:"domain,omitempty"`
	// ExpectedProofPurpose overrides "assertionMethod" for credentials.
	ExpectedProofPurpose string `json:"expectedProofPurpose,omitempty"`
}

// VerifyRequest is the body of POST /credentials/verify.
type VerifyRequest struct {
	VerifiableCredential json.RawMessage `json:"verifiableCredential"`
	Options              VerifyOptions   `json:"options"`

	doc securedDoc
}

// PresentationRequest is the body of POST /presentations/verify.
type PresentationRequest struct {
	VerifiablePresentation json.RawMessage `json:"verifiablePresentation"`
	Options                VerifyOptions   `json:"options"`

	doc securedDoc
}

// MediaTypeVPJWT is the media type of an enveloped vp+jwt's data: URL.
const MediaTypeVPJWT = "application/vp+jwt"

// TypeEnvelopedVerifiablePresentation is the VCDM 2.0 enveloped
// presentation type.
const TypeEnvelopedVerifiablePresentation = "EnvelopedVerifiablePresentation"

// DecodeVerifyRequest parses the body of POST /credentials/verify: the
// verifiableCredential (an object secured with Data Integrity, an
// EnvelopedVerifiableCredential with a data:application/vc+jwt URL, or the
// compact JWS as a string) and optional options.
func DecodeVerifyRequest(body []byte) (*VerifyRequest, error) {
	var req VerifyRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	doc, err := decodeSecured(req.VerifiableCredential, vc.TypeEnvelopedVerifiableCredential, "application/"+vc.TypVCJWT)
	if err != nil {
		return nil, err
	}
	if err := req.Options.validate(); err != nil {
		return nil, err
	}
	req.doc = doc
	return &req, nil
}

// DecodePresentationRequest parses the body of POST /presentations/verify:
// the verifiablePresentation (an object secured with Data Integrity, an
// EnvelopedVerifiablePresentation with a data:application/vp+jwt URL,
// or the compact JWS as a string) and options with a challenge.
func DecodePresentationRequest(body []byte) (*PresentationRequest, error) {
	var req PresentationRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	doc, err := decodeSecured(req.VerifiablePresentation, TypeEnvelopedVerifiablePresentation, MediaTypeVPJWT)
	if err != nil {
		return nil, err
	}
	if err := req.Options.validate(); err != nil {
		return nil, err
	}
	if req.Options.Challenge == "" {
		return nil, newErr(CodeBadRequest, "options.challenge is required", nil)
	}
	if req.Options.ExpectedProofPurpose != "" && req.Options.ExpectedProofPurpose != vc.ProofPurposeAuthentication {
		return nil, newErr(CodeBadRequest, "options.expectedProofPurpose of a presentation must be authentication", nil)
	}
	req.doc = doc
	return &req, nil
}

// maxOptionLen bounds challenge, domain and purpose strings.
const maxOptionLen = 512

func (o VerifyOptions) validate() error {
	if len(o.Checks) > 8 {
		return newErr(CodeBadRequest, "options.checks has too many entries", nil)
	}
	for _, c := range o.Checks {
		switch c {
		case CheckProof, CheckCredentialStatus, CheckValidity, CheckIssuerTrust:
		default:
			return newErr(CodeBadRequest, "options.checks names an unknown check", nil)
		}
	}
	if len(o.Challenge) > maxOptionLen || len(o.Domain) > maxOptionLen || len(o.ExpectedProofPurpose) > maxOptionLen {
		return newErr(CodeBadRequest, "an option is too long", nil)
	}
	return nil
}
