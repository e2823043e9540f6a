package statuslist

import "errors"

// Code is a stable, machine-readable failure code. Scripts, the CLI and
// verification results depend on these strings; never change a value.
type Code string

// Verifier-side codes.
const (
	CodeStatusUnreachable Code = "status_unreachable" // the status list credential could not be fetched
	CodeStatusInvalid     Code = "status_invalid"     // an entry or the status list credential is malformed, unverifiable or inconsistent
	CodeRevoked           Code = "revoked"            // a revocation bit is set
	CodeSuspended         Code = "suspended"          // a suspension bit is set
)

// Issuer-side codes.
const (
	CodeNotFound            Code = "not_found"            // no list with that id
	CodeExists              Code = "exists"               // a list with that id already exists
	CodeRange               Code = "range"                // index outside the list
	CodeNotAllocated        Code = "not_allocated"        // index was never handed out
	CodeRevocationPermanent Code = "revocation_permanent" // clearing a revocation bit is refused
	CodeListFull            Code = "list_full"            // every index of the list is allocated
	CodeInvalidArgument     Code = "invalid_argument"     // a bad id, URL, purpose or size
	CodeInternal            Code = "internal"             // a failing disk, signer or bug; not the input's fault
)

// Error is the error type of this package: a stable Code, a human message and
// the underlying cause when there is one.
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

// Is matches another *Error with the same Code, so that
// errors.Is(err, &statuslist.Error{Code: statuslist.CodeRevoked}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// CodeOf returns the Code of the first *Error in err's chain, "" for nil and
// CodeInternal for an error of another type.
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
