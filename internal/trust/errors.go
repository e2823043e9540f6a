package trust

import "errors"

// Code is a stable, machine-readable failure code; never change a value.
type Code string

// Codes.
const (
	CodeMalformed       Code = "malformed"        // not a registry of this format, over the bounds, non-canonical
	CodeBadSignature    Code = "bad_signature"    // a signature fails, or too few operator keys signed
	CodeRollback        Code = "rollback"         // sequence below the high-water mark, or a second registry with the same sequence
	CodeStaleRegistry   Code = "stale_registry"   // past nextUpdate (or issued in the future) at the verifier's clock
	CodeUntrustedIssuer Code = "untrusted_issuer" // no current entry trusts the issuer for these types and jurisdiction
	CodeInvalidArgument Code = "invalid_argument" // a bad option or registry given to Sign
	CodeInternal        Code = "internal"         // a failing disk or signer, a cancelled context; not the input's fault
)

// Error is the error type of this package: a stable Code, a message and the
// underlying cause when there is one.
type Error struct {
	Code Code
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	s := string(e.Code)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// CodeOf returns the Code of the first *Error in err's chain, "" for nil and
// CodeInternal for other errors.
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

func errorf(code Code, cause error, msg string) *Error {
	return &Error{Code: code, Msg: msg, Err: cause}
}
