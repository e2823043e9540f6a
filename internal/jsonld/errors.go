package jsonld

import (
	"errors"
	"fmt"
)

// Code is a JSON-LD error code. The values are the strings json-gold v0.9.1
// uses for its ld.ErrorCode, so a caller can map both processors' errors
// the same way.
type Code string

// The error codes this package returns. They have the same text as the
// json-gold codes of the same name.
const (
	LoadingRemoteContextFailed  Code = "loading remote context failed"
	InvalidRemoteContext        Code = "invalid remote context"
	RecursiveContextInclusion   Code = "recursive context inclusion"
	InvalidLocalContext         Code = "invalid local context"
	InvalidBaseIRI              Code = "invalid base IRI"
	InvalidVocabMapping         Code = "invalid vocab mapping"
	InvalidDefaultLanguage      Code = "invalid default language"
	KeywordRedefinition         Code = "keyword redefinition"
	InvalidTermDefinition       Code = "invalid term definition"
	InvalidIRIMapping           Code = "invalid IRI mapping"
	CyclicIRIMapping            Code = "cyclic IRI mapping"
	InvalidKeywordAlias         Code = "invalid keyword alias"
	InvalidTypeMapping          Code = "invalid type mapping"
	InvalidLanguageMapping      Code = "invalid language mapping"
	CollidingKeywords           Code = "colliding keywords"
	InvalidContainerMapping     Code = "invalid container mapping"
	InvalidTypeValue            Code = "invalid type value"
	InvalidIDValue              Code = "invalid @id value"
	InvalidIndexValue           Code = "invalid @index value"
	InvalidValueObject          Code = "invalid value object"
	InvalidValueObjectValue     Code = "invalid value object value"
	InvalidLanguageTaggedString Code = "invalid language-tagged string"
	InvalidLanguageTaggedValue  Code = "invalid language-tagged value"
	InvalidTypedValue           Code = "invalid typed value"
	InvalidSetOrListObject      Code = "invalid set or list object"
	InvalidLanguageMapValue     Code = "invalid language map value"
	InvalidReversePropertyMap   Code = "invalid reverse property map"
	InvalidVersionValue         Code = "invalid @version value"
	InvalidPrefixValue          Code = "invalid @prefix value"
	InvalidNestValue            Code = "invalid @nest value"
	InvalidContextNullification Code = "invalid context nullification"
	ProtectedTermRedefinition   Code = "protected term redefinition"
	InvalidContextEntry         Code = "invalid context entry"
	InvalidPropagateValue       Code = "invalid @propagate value"
	InvalidBaseDirection        Code = "invalid base direction"
	InvalidIncludedValue        Code = "invalid @included value"
	InvalidImportValue          Code = "invalid @import value"

	// InvalidProperty is the safe-mode error: a property that does not
	// expand to an absolute IRI or a keyword, which plain JSON-LD would
	// silently drop.
	InvalidProperty Code = "invalid property"

	// InvalidInput marks input on which json-gold v0.9.1 panics (a
	// non-boolean @protected, a non-string @container, a compact IRI whose
	// prefix is a null term, ...). The input is malformed either way.
	InvalidInput Code = "invalid input"

	// Unsupported is the code of errors that wrap ErrUnsupported.
	Unsupported Code = "unsupported"
	// LimitExceeded is the code of errors that wrap ErrLimit.
	LimitExceeded Code = "limit exceeded"
)

// ErrUnsupported is wrapped by the error Expand returns when the document
// or one of its contexts uses a feature this package does not implement
// (see the package documentation). The caller may expand the document with
// json-gold instead; errors.Is(err, ErrUnsupported) tells.
var ErrUnsupported = errors.New("jsonld: unsupported JSON-LD feature")

// ErrLimit is wrapped by the error Expand returns when a document exceeds a
// processing bound (nesting depth, scoped-context applications, context
// processing). Such a document must not be handed to another processor.
var ErrLimit = errors.New("jsonld: processing limit exceeded")

// Error is a JSON-LD processing error.
type Error struct {
	Code Code   // the JSON-LD error code
	Op   string // what was being done, for example "processing context https://..."
	Msg  string // detail; never contains document values
	Err  error  // the underlying cause (a loader error, ErrUnsupported, ErrLimit), if any
}

func (e *Error) Error() string {
	s := "jsonld: "
	if e.Op != "" {
		s += e.Op + ": "
	}
	s += string(e.Code)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil && e.Err != ErrUnsupported && e.Err != ErrLimit {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the code of the *Error in err's chain, or "" if there is
// none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func newErr(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) *Error {
	return &Error{Code: Unsupported, Msg: fmt.Sprintf(format, args...), Err: ErrUnsupported}
}

func limitErr(format string, args ...any) *Error {
	return &Error{Code: LimitExceeded, Msg: fmt.Sprintf(format, args...), Err: ErrLimit}
}

// withOp records what was being done when err happened (the innermost
// operation is kept).
func withOp(err error, op string) error {
	var e *Error
	if errors.As(err, &e) && e.Op == "" {
		e.Op = op
	}
	return err
}

// swallowed reports whether json-gold would ignore err: it discards the
// errors of expanding the values of @list, @set and @default, but not its
// panics, nor (here) ErrUnsupported, ErrLimit or a cancelled context.
func swallowed(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case InvalidInput, Unsupported, LimitExceeded:
		return false
	}
	return true
}
