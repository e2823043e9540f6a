package identity

import (
	"errors"
	"fmt"
)

// ErrorCode is a DID resolution error code. invalidDid, notFound and
// representationNotSupported are DID Core 1.0 §7.1.2, invalidDidUrl §7.2.2;
// methodNotSupported, internalError and invalidDidDocument come from the
// DID Resolution specification; the public-key codes are those the did:key
// method specification raises.
type ErrorCode string

const (
	CodeInvalidDID                 ErrorCode = "invalidDid"
	CodeInvalidDIDURL              ErrorCode = "invalidDidUrl"
	CodeNotFound                   ErrorCode = "notFound"
	CodeRepresentationNotSupported ErrorCode = "representationNotSupported"
	CodeMethodNotSupported         ErrorCode = "methodNotSupported"
	CodeInternalError              ErrorCode = "internalError"

	// CodeInvalidDIDDocument (DID Resolution) is a retrieved document that is
	// malformed, too large, or whose id is not the DID that was resolved.
	CodeInvalidDIDDocument ErrorCode = "invalidDidDocument"

	// did:key method specification codes.
	CodeInvalidPublicKey         ErrorCode = "invalidPublicKey"
	CodeInvalidPublicKeyLength   ErrorCode = "invalidPublicKeyLength"
	CodeInvalidPublicKeyType     ErrorCode = "invalidPublicKeyType"
	CodeUnsupportedPublicKeyType ErrorCode = "unsupportedPublicKeyType"
)

// ResolutionError is the error of every resolution and parsing failure in
// this package: Code is the stable, machine-readable part; Msg says what
// was wrong; Err, when set, is the underlying cause.
type ResolutionError struct {
	Code ErrorCode
	Msg  string
	Err  error
}

func (e *ResolutionError) Error() string {
	s := string(e.Code)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ResolutionError) Unwrap() error { return e.Err }

// Is reports whether target is a *ResolutionError with the same code and an
// empty message, so errors.Is(err, &ResolutionError{Code: CodeNotFound})
// tests for a code.
func (e *ResolutionError) Is(target error) bool {
	t, ok := target.(*ResolutionError)
	return ok && t.Code == e.Code && t.Msg == "" && t.Err == nil
}

// Code returns the ErrorCode of the first *ResolutionError in err's chain,
// CodeInternalError for any other non-nil error, and "" for nil.
func Code(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var re *ResolutionError
	if errors.As(err, &re) {
		return re.Code
	}
	return CodeInternalError
}

func newErr(code ErrorCode, format string, args ...any) *ResolutionError {
	return &ResolutionError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

func wrapErr(code ErrorCode, err error, format string, args ...any) *ResolutionError {
	return &ResolutionError{Code: code, Msg: fmt.Sprintf(format, args...), Err: err}
}
