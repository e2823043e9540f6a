package odrl

import (
	"errors"
	"fmt"
	"strings"
)

// Code is a stable, machine-readable code of a parse error, a warning or a
// decision reason. Scripts, audit events and the CLI depend on these
// strings; never change an existing value.
type Code string

// Parse and preparation errors.
const (
	CodeTooLarge           Code = "too_large"            // document, request or a collection over a bound
	CodeTooDeep            Code = "too_deep"             // nesting deeper than Limits.MaxDepth
	CodeTooMany            Code = "too_many"             // more rules, constraints or values than the limits allow
	CodeMalformed          Code = "malformed"            // not JSON, or not the shape ODRL requires
	CodeJSONLD             Code = "jsonld"               // the JSON-LD processor refused the document
	CodeUnknownContext     Code = "unknown_context"      // an @context that is not bundled in the binary
	CodeUndefinedTerm      Code = "undefined_term"       // a key the contexts do not define: JSON-LD would drop it
	CodeUnknownProperty    Code = "unknown_property"     // a property ODRL does not define where the engine would have to ignore it
	CodeNoPolicy           Code = "no_policy"            // no ODRL policy in the document
	CodeManyPolicies       Code = "many_policies"        // several policies where one was expected
	CodeUnsupportedType    Code = "unsupported_type"     // a policy class xborder does not evaluate (Ticket, Privacy, …)
	CodeMissing            Code = "missing"              // a required property is absent (action, target, operand)
	CodeBadValue           Code = "bad_value"            // a value of the wrong form for its operand or operator
	CodeOperatorMismatch   Code = "operator_mismatch"    // an operator not defined for the operand's type
	CodeContradiction      Code = "contradiction"        // a rule's constraints can never hold together
	CodeCycle              Code = "cycle"                // cyclic collection membership or policy inheritance
	CodeUnresolvedParent   Code = "unresolved_parent"    // inheritFrom names a policy Prepare was not given
	CodeInheritConflict    Code = "inherit_conflict"     // parent and child disagree in a way ODRL forbids
	CodeConflictInvalid    Code = "conflict_invalid"     // a conflict under the invalid strategy voids the policy
	CodeRelativeTerm       Code = "relative_term"        // warning: a term the contexts leave undefined was read as the ODRL term of that name
	CodeDeprecatedTerm     Code = "deprecated_term"      // warning: a deprecated ODRL term was mapped to its equivalent
	CodeUnknownLeftOperand Code = "unknown_left_operand" // a left operand no vocabulary defines (warning at parse time, fails closed at evaluation)
	CodeUnknownAction      Code = "unknown_action"       // an action no vocabulary defines (warning at parse time, fails closed at evaluation)
	CodeUnknownOperator    Code = "unknown_operator"     // an operator ODRL does not define (warning at parse time, fails closed at evaluation)
	CodeUnsupported        Code = "unsupported"          // a feature that is accepted but fails closed at evaluation
)

// Error is the error type of this package: a stable code, the path of the
// offending element in the source document ("permission[1].constraint[0]
// .rightOperand"), and an English message free of personal data.
type Error struct {
	Code Code
	Path string
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	b.WriteString(" (")
	b.WriteString(string(e.Code))
	b.WriteString(")")
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error with the same Code (and no message), so that
// errors.Is(err, &odrl.Error{Code: odrl.CodeCycle}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Msg == "" && t.Path == "" && t.Err == nil
}

func newErr(code Code, path, format string, args ...any) *Error {
	return &Error{Code: code, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Errors is every problem Parse found, in document order. errors.As finds
// the first *Error through it.
type Errors []*Error

func (es Errors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(es))
	for _, e := range es {
		b.WriteString("\n  ")
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is and errors.As look at each problem.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// CodeOf returns the code of the first *Error in err's chain, or "" when
// there is none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Problems lists every *Error in err (one for a single error, all of them
// for Errors), for tools that print each with its path.
func Problems(err error) []*Error {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	if err == nil {
		return nil
	}
	return []*Error{{Code: CodeMalformed, Msg: err.Error()}}
}
