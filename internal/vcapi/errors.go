package vcapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/xborder/xborder/internal/statuslist"
	"github.com/xborder/xborder/internal/trust"
	"github.com/xborder/xborder/internal/vc"
)

// Code is a stable, machine-readable error code of this package. Codes of
// packages vc, statuslist and trust are passed through unchanged; these are
// the ones the HTTP layer adds. Never change a value.
type Code string

// Codes of the HTTP layer.
const (
	CodeBadRequest           Code = "bad_request"            // body not JSON, unknown member, missing or ill-typed member, bad option
	CodeTooLarge             Code = "too_large"              // body over Config.MaxBody
	CodeUnsupportedMediaType Code = "unsupported_media_type" // Content-Type is not application/json
	CodeUnknownIssuer        Code = "unknown_issuer"         // the credential's issuer is not one this server signs for
	CodeUnknownChallenge     Code = "unknown_challenge"      // a presentation's challenge was not handed out by POST /challenges, or has expired
	CodeStatusUnchecked      Code = "status_unchecked"       // the credential has credentialStatus but no status checker is configured
	CodeUnavailable          Code = "unavailable"            // the challenge table is full
	CodeForbidden            Code = "forbidden"              // Config.Authorize refused the caller
	CodeInternal             Code = "internal"               // a bug or an environment failure; never the request's fault
)

// Error is the error type of this package: a Code and a fixed message.
// Messages never contain request data.
type Error struct {
	Code Code
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "vcapi: " + string(e.Code) + ": " + e.Msg + ": " + e.Err.Error()
	}
	return "vcapi: " + string(e.Code) + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func newErr(code Code, msg string, err error) *Error { return &Error{Code: code, Msg: msg, Err: err} }

// ErrorBody is the body of every error response other than a failed
// verification (served as application/problem+json, RFC 9457 members plus
// code and message).
type ErrorBody struct {
	Type    string `json:"type"`    // "https://xborder.dev/problems/" + code
	Title   string `json:"title"`   // the fixed message of the code
	Status  int    `json:"status"`  // the HTTP status
	Code    string `json:"code"`    // the stable code
	Message string `json:"message"` // what was wrong, without request data
}

// ErrorItem is one entry of a verification response's errors.
type ErrorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Index is the position of the failing credential inside a
	// presentation, when the failure is a credential's.
	Index *int `json:"index,omitempty"`
}

// ProblemDetail is one entry of a verification response's problemDetails
// (the VC-API / VCALM form).
type ProblemDetail struct {
	Type   string `json:"type"`
	Code   string `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

// ProblemTypeBase prefixes the code in every problem type URL.
const ProblemTypeBase = "https://xborder.dev/problems/"

// problem describes a code: its HTTP status and fixed message.
type problem struct {
	status int
	title  string
}

// describe returns the HTTP status and fixed message of code. This switch
// is the one place that maps codes to HTTP statuses; a code not listed is
// a verification failure of the request's document: 400.
func describe(code string) problem {
	switch code {
	case string(CodeBadRequest):
		return problem{http.StatusBadRequest, "the request body is not a valid request"}
	case string(CodeTooLarge):
		return problem{http.StatusRequestEntityTooLarge, "the request body is too large"}
	case string(CodeUnsupportedMediaType):
		return problem{http.StatusUnsupportedMediaType, "the request body must be application/json"}
	case string(CodeUnknownIssuer):
		return problem{http.StatusBadRequest, "the credential's issuer is not one this service issues for"}
	case string(CodeUnknownChallenge):
		return problem{http.StatusBadRequest, "the challenge was not issued by this verifier or has expired"}
	case string(CodeStatusUnchecked):
		return problem{http.StatusBadRequest, "the credential has a status this verifier cannot check"}
	case string(CodeUnavailable):
		return problem{http.StatusServiceUnavailable, "the service cannot take more challenges now"}
	case string(CodeForbidden):
		return problem{http.StatusForbidden, "the caller may not use this endpoint"}
	case string(CodeInternal):
		return problem{http.StatusInternalServerError, "internal error"}
	case string(vc.CodeMalformed):
		return problem{http.StatusBadRequest, "the document is malformed or over the bounds"}
	case string(vc.CodeUnknownContext):
		return problem{http.StatusBadRequest, "the document uses a JSON-LD context that is not pinned"}
	case string(vc.CodeDataLoss):
		return problem{http.StatusBadRequest, "JSON-LD processing would drop data: undefined term, type or IRI"}
	case string(vc.CodeBadSignature):
		return problem{http.StatusBadRequest, "a proof does not verify"}
	case string(vc.CodeUnsupportedCryptosuite):
		return problem{http.StatusBadRequest, "the proof type or cryptosuite is not supported"}
	case string(vc.CodeKeyResolution):
		return problem{http.StatusBadRequest, "the verification method cannot be resolved or has the wrong key type"}
	case string(vc.CodePurposeMismatch):
		return problem{http.StatusBadRequest, "the proof purpose is not the expected one"}
	case string(vc.CodeDomainMismatch):
		return problem{http.StatusBadRequest, "the proof's domain is not the expected one"}
	case string(vc.CodeChallengeMismatch):
		return problem{http.StatusBadRequest, "the proof's challenge is not the expected one"}
	case string(vc.CodeExpired):
		return problem{http.StatusBadRequest, "the credential, presentation or proof has expired"}
	case string(vc.CodeNotYetValid):
		return problem{http.StatusBadRequest, "the credential is not yet valid"}
	case string(vc.CodeIssuerMismatch):
		return problem{http.StatusBadRequest, "a proof's key does not belong to the issuer"}
	case string(vc.CodeHolderMismatch):
		return problem{http.StatusBadRequest, "the presentation's key or a credential's subject is not the holder's"}
	case string(vc.CodeReplayed):
		return problem{http.StatusBadRequest, "the challenge was already used"}
	case string(statuslist.CodeRevoked):
		return problem{http.StatusBadRequest, "the credential is revoked"}
	case string(statuslist.CodeSuspended):
		return problem{http.StatusBadRequest, "the credential is suspended"}
	case string(statuslist.CodeStatusInvalid):
		return problem{http.StatusBadRequest, "the credential's status entry or status list is invalid"}
	case string(statuslist.CodeStatusUnreachable):
		return problem{http.StatusBadRequest, "the status list could not be retrieved"}
	case string(trust.CodeUntrustedIssuer):
		return problem{http.StatusBadRequest, "no trust anchor accepts the issuer for this credential"}
	case string(trust.CodeStaleRegistry):
		return problem{http.StatusBadRequest, "the trust registry is not current"}
	}
	return problem{http.StatusBadRequest, "the document does not verify"}
}

// codeOf returns the stable code of err: this package's, then a status
// list's, then the trust registry's, then package vc's. Errors of no known
// type are internal.
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	var ae *Error
	if errors.As(err, &ae) {
		return string(ae.Code)
	}
	var se *statuslist.Error
	if errors.As(err, &se) {
		if se.Code == statuslist.CodeInternal {
			return string(CodeInternal)
		}
		return string(se.Code)
	}
	var te *trust.Error
	if errors.As(err, &te) {
		if te.Code == trust.CodeInternal {
			return string(CodeInternal)
		}
		return string(te.Code)
	}
	var ve *vc.Error
	if errors.As(err, &ve) {
		return string(ve.Code)
	}
	return string(CodeInternal)
}

// statusOf is the HTTP status for err.
func statusOf(err error) int { return describe(codeOf(err)).status }

// messageOf is the fixed message of err's code, or of this package's own
// error (whose messages are fixed strings too).
func messageOf(err error) string {
	var ae *Error
	if errors.As(err, &ae) && ae.Msg != "" {
		return ae.Msg
	}
	return describe(codeOf(err)).title
}

// writeError writes err as an ErrorBody.
func writeError(w http.ResponseWriter, err error) {
	code := codeOf(err)
	p := describe(code)
	writeJSON(w, p.status, "application/problem+json", ErrorBody{
		Type: ProblemTypeBase + code, Title: p.title, Status: p.status, Code: code, Message: messageOf(err),
	})
}

// writeJSON writes v with status and media type.
func writeJSON(w http.ResponseWriter, status int, mediaType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		mediaType = "application/problem+json"
		b = []byte(`{"type":"` + ProblemTypeBase + `internal","title":"internal error","status":500,"code":"internal","message":"internal error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
