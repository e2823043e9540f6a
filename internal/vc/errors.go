package vc

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable failure code. Scripts and the CLI
// depend on these strings; never change an existing value.
type Code string

const (
	CodeMalformed              Code = "malformed"               // not JSON, not a credential, bad proof shape, over the bounds
	CodeUnknownContext         Code = "unknown_context"         // an @context that is not pinned (or an inline context)
	CodeDataLoss               Code = "data_loss"               // JSON-LD expansion would drop a term, type or IRI
	CodeBadSignature           Code = "bad_signature"           // the proof value does not verify
	CodeUnsupportedCryptosuite Code = "unsupported_cryptosuite" // proof type or cryptosuite not supported
	CodeKeyResolution          Code = "key_resolution"          // verification method not resolvable, or the wrong key type
	CodePurposeMismatch        Code = "purpose_mismatch"        // proofPurpose is not the expected one
	CodeDomainMismatch         Code = "domain_mismatch"         // proof domain does not contain the expected domain
	CodeChallengeMismatch      Code = "challenge_mismatch"      // proof challenge is not the expected one
	CodeExpired                Code = "expired"                 // validUntil (or proof expires) is in the past
	CodeNotYetValid            Code = "not_yet_valid"           // validFrom is in the future
	CodeIssuerMismatch         Code = "issuer_mismatch"         // a proof's key does not belong to the issuer (VerifyOptions.RequireIssuerKey)
	CodeHolderMismatch         Code = "holder_mismatch"         // a presentation's key, or a credential's subject, is not the holder's
	CodeReplayed               Code = "replayed"                // a presentation's challenge (nonce) was already used
	CodeInternal               Code = "internal"                // a bug or an environment failure, not the input's fault
)

// Error is the error type of this package: a stable Code, a human message,
// and the underlying cause when there is one.
type Error struct {
	Code Code
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports a match against another *Error with the same Code, so that
// errors.Is(err, &vc.Error{Code: vc.CodeDataLoss}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Msg == "" && t.Err == nil
}

func newErr(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the Code of the first *Error in err's chain, "" for nil,
// and CodeInternal for an error of another type.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// asError returns err as an *Error, wrapping anything else as internal.
func asError(err error) *Error {
	var e *Error
	if !errors.As(err, &e) {
		e = newErr(CodeInternal, err, "verification")
	}
	return e
}

// fail records err as the reason r did not verify and returns both.
func (r *Result) fail(err error) (*Result, error) {
	e := asError(err)
	r.Verified, r.Code, r.Err = false, e.Code, e
	return r, e
}
