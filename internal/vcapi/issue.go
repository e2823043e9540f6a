package vcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/xborder/xborder/internal/statuslist"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/vc"
)

// IssueResponse is the 201 body of POST /credentials/issue.
type IssueResponse struct {
	// VerifiableCredential is the credential with its Data Integrity
	// proof, or an EnvelopedVerifiableCredential holding the vc+jwt.
	VerifiableCredential json.RawMessage `json:"verifiableCredential"`
}

func (s *Server) issue(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, s.cfg.MaxBody)
	if err != nil {
		writeError(w, err)
		return
	}
	req, err := DecodeIssueRequest(body)
	if err != nil {
		writeError(w, err)
		return
	}
	out, err := s.Issue(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, "application/json", IssueResponse{VerifiableCredential: out})
}

// Issue signs req's credential for its issuer and returns the verifiable
// credential as JSON (the enveloped form for vc+jwt).
func (s *Server) Issue(ctx context.Context, req *IssueRequest) (json.RawMessage, error) {
	cred, err := decodeObject(req.Credential)
	if err != nil {
		return nil, err
	}
	if _, ok := cred["proof"]; ok {
		return nil, newErr(CodeBadRequest, "credential must be unsigned (it has a proof)", nil)
	}
	did, err := issuerOf(cred)
	if err != nil {
		return nil, err
	}
	is, ok := s.cfg.Issuers[did]
	if !ok {
		return nil, newErr(CodeUnknownIssuer, "the credential's issuer is not one this service issues for", nil)
	}
	format, err := req.Options.format()
	if err != nil {
		return nil, err
	}
	if format == "" {
		format = is.Format
	}
	if format == "" {
		format = FormatDataIntegrity
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	if err := s.prepare(ctx, cred, is, req.Options, now); err != nil {
		return nil, err
	}
	doc, err := json.Marshal(cred)
	if err != nil {
		return nil, newErr(CodeInternal, "encoding the credential", err)
	}
	if format == FormatVCJWT {
		return s.signJWT(ctx, doc, is)
	}
	return s.signDI(ctx, doc, is, req.Options.Cryptosuite, now)
}

// decodeObject decodes a JSON object keeping numbers exact.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, newErr(CodeBadRequest, "credential must be a JSON object", err)
	}
	return m, nil
}

// issuerOf returns the credential's issuer: a string or an object's id.
func issuerOf(cred map[string]any) (string, error) {
	switch v := cred["issuer"].(type) {
	case string:
		if v != "" {
			return v, nil
		}
	case map[string]any:
		if id, ok := v["id"].(string); ok && id != "" {
			return id, nil
		}
	}
	return "", newErr(CodeBadRequest, "credential.issuer must be a URL or an object with an id", nil)
}

// prepare completes the unsigned credential: id from options, validFrom,
// and status entries.
func (s *Server) prepare(ctx context.Context, cred map[string]any, is Issuer, opts IssueOptions, now time.Time) error {
	if opts.CredentialID != "" {
		switch id, ok := cred["id"]; {
		case !ok:
			cred["id"] = opts.CredentialID
		case id != opts.CredentialID:
			return newErr(CodeBadRequest, "options.credentialId differs from the credential's id", nil)
		}
	}
	if _, ok := cred["validFrom"]; !ok {
		cred["validFrom"] = now.Format(time.RFC3339)
	}
	if _, ok := cred["credentialStatus"]; ok {
		entries, err := statuslist.EntriesOf(cred)
		if err != nil {
			return newErr(CodeBadRequest, "credential.credentialStatus is malformed", err)
		}
		for _, e := range entries {
			if err := e.Validate(); err != nil {
				return newErr(CodeBadRequest, "credential.credentialStatus is malformed", err)
			}
		}
		return nil
	}
	if len(is.StatusLists) == 0 {
		return nil
	}
	var list []any
	for _, id := range is.StatusLists {
		e, err := is.Status.Allocate(ctx, id)
		if err != nil {
			return newErr(CodeInternal, "allocating a status list entry", err)
		}
		list = append(list, e.Map())
	}
	if len(list) == 1 {
		cred["credentialStatus"] = list[0]
	} else {
		cred["credentialStatus"] = list
	}
	return nil
}

// suiteAlg maps a cryptosuite name to its key algorithm.
func suiteAlg(cs string) (suite.Alg, bool) {
	switch cs {
	case vc.EdDSARDFC2022:
		return suite.Ed25519, true
	case vc.ECDSARDFC2019:
		return suite.P256, true
	case vc.SM2RDFC2025:
		return suite.SM2, true
	}
	return "", false
}

// algSuite maps a key algorithm to its Data Integrity cryptosuite.
func algSuite(a suite.Alg) string {
	switch a {
	case suite.Ed25519:
		return vc.EdDSARDFC2022
	case suite.P256:
		return vc.ECDSARDFC2019
	case suite.SM2:
		return vc.SM2RDFC2025
	}
	return ""
}

func (is Issuer) key(alg suite.Alg) (Key, bool) {
	for _, k := range is.Keys {
		if k.Signer.Alg() == alg {
			return k, true
		}
	}
	return Key{}, false
}

func (s *Server) signDI(ctx context.Context, doc []byte, is Issuer, cryptosuite string, now time.Time) (json.RawMessage, error) {
	k := is.Keys[0]
	if cryptosuite != "" {
		alg, ok := suiteAlg(cryptosuite)
		if !ok {
			return nil, newErr(Code(vc.CodeUnsupportedCryptosuite), "options.cryptosuite is not supported", nil)
		}
		if k, ok = is.key(alg); !ok {
			return nil, newErr(Code(vc.CodeUnsupportedCryptosuite), "the issuer has no key for this cryptosuite", nil)
		}
	}
	cs := algSuite(k.Signer.Alg())
	out, err := s.cfg.Processor.Sign(ctx, json.RawMessage(doc), vc.ProofOptions{
		Cryptosuite: cs, VerificationMethod: k.VerificationMethod, Created: now, Signer: k.Signer,
	})
	if err != nil {
		return nil, signError(err)
	}
	if is.CoSignSM2 && cs != vc.SM2RDFC2025 {
		if sk, ok := is.key(suite.SM2); ok {
			out, err = s.cfg.Processor.AddProof(ctx, out, vc.ProofOptions{
				Cryptosuite: vc.SM2RDFC2025, VerificationMethod: sk.VerificationMethod, Created: now, Signer: sk.Signer,
			})
			if err != nil {
				return nil, signError(err)
			}
		}
	}
	return out, nil
}

func (s *Server) signJWT(ctx context.Context, doc []byte, is Issuer) (json.RawMessage, error) {
	k, ok := is.key(suite.Ed25519)
	if !ok {
		if k, ok = is.key(suite.P256); !ok {
			return nil, newErr(Code(vc.CodeUnsupportedCryptosuite), "the issuer has no Ed25519 or P-256 key for vc+jwt", nil)
		}
	}
	tok, err := s.cfg.Processor.SignJWT(ctx, json.RawMessage(doc), vc.JWTOptions{Signer: k.Signer, KeyID: k.VerificationMethod})
	if err != nil {
		return nil, signError(err)
	}
	out, err := json.Marshal(envelopedCredential(tok))
	if err != nil {
		return nil, newErr(CodeInternal, "encoding the enveloped credential", err)
	}
	return out, nil
}

// signError keeps vc's code (the credential's fault: malformed,
// unknown_context, data_loss, …) and wraps for context.
func signError(err error) error {
	return fmt.Errorf("vcapi: signing: %w", err)
}
