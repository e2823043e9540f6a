package jws

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable failure code; never change a value.
type Code string

const (
	// CodeMalformed: not a compact JWS, bad base64url or JSON, duplicate
	// header members, over the size bound, a typ/cty other than expected,
	// or crit or b64 (extensions this package does not implement).
	CodeMalformed Code = "malformed"
	// CodeUnsupportedAlgorithm: alg none, an algorithm outside the suites,
	// or one the caller did not allow.
	CodeUnsupportedAlgorithm Code = "unsupported_algorithm"
	// CodeKeyResolution: no kid, the resolver failed, or the key's
	// algorithm or type does not match alg.
	CodeKeyResolution Code = "key_resolution"
	// CodeBadSignature: the signature does not verify.
	CodeBadSignature Code = "bad_signature"
)

// Error is the error type of this package.
type Error struct {
	Code Code
	Kid  string // the header's kid, when it was read
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("jws: %s: %s", e.Code, e.Msg)
	if e.Kid != "" {
		s += " (kid " + truncate(e.Kid) + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error with the same Code and nothing else set, so
// errors.Is(err, &jws.Error{Code: jws.CodeBadSignature}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Msg == "" && t.Kid == "" && t.Err == nil
}

// CodeOf returns the Code of the first *Error in err's chain, "" for nil or
// an error of another type.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
