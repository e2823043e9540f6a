package vc

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Bounds on the documents this package accepts.
const (
	MaxDocumentSize = 1 << 20 // bytes of JSON
	MaxDepth        = 64      // nesting of JSON arrays and objects
)

// ContextV2 is the base context every VCDM 2.0 credential lists first.
const ContextV2 = "https://www.w3.org/ns/credentials/v2"

// decodeDocument parses b as one JSON object within the bounds.
func decodeDocument(b []byte) (map[string]any, error) {
	if len(b) > MaxDocumentSize {
		return nil, newErr(CodeMalformed, nil, "document of %d bytes exceeds the %d-byte limit", len(b), MaxDocumentSize)
	}
	if err := checkDepth(b); err != nil {
		return nil, err
	}
	// json.Unmarshal refuses trailing data after the object, like a
	// Decoder followed by More, without the Decoder's buffering.
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, newErr(CodeMalformed, err, "document is not a single JSON object")
	}
	if doc == nil {
		return nil, newErr(CodeMalformed, nil, "document is null")
	}
	return doc, nil
}

// checkDepth rejects JSON nested deeper than MaxDepth, and integers that
// a float64 (what JSON-LD processors, here and in JavaScript, work with)
// cannot hold exactly, without building the document.
func checkDepth(b []byte) error {
	depth, inString, escaped := 0, false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > MaxDepth {
				return newErr(CodeMalformed, nil, "JSON nested deeper than %d levels", MaxDepth)
			}
		case c == '}' || c == ']':
			depth--
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(b) && strings.IndexByte("0123456789+-.eE", b[j]) >= 0 {
				j++
			}
			if err := checkNumber(b[i:j]); err != nil {
				return err
			}
			i = j - 1
		}
	}
	return nil
}

// checkNumber refuses integer literals beyond ±2^53: they would be
// canonicalised (and re-encoded by Sign) as a different number.
func checkNumber(tok []byte) error {
	if len(tok) < 16 || bytes.ContainsAny(tok, ".eE") {
		return nil
	}
	n, err := strconv.ParseInt(string(tok), 10, 64)
	if err != nil || n > 1<<53 || n < -(1<<53) {
		return newErr(CodeMalformed, err, "integer %.40s is beyond the exact range of JSON numbers (±2^53)", tok)
	}
	return nil
}

// toDocument turns what a caller passes to Sign into a fresh JSON object:
// json.RawMessage, []byte or string are parsed; anything else (a map, a
// struct) is marshalled and parsed back, so the signed bytes are exactly
// what was hashed.
func toDocument(v any) (map[string]any, error) {
	var b []byte
	switch t := v.(type) {
	case json.RawMessage:
		b = t
	case []byte:
		b = t
	case string:
		b = []byte(t)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			return nil, newErr(CodeMalformed, err, "encoding the document")
		}
	}
	return decodeDocument(b)
}

func encodeDocument(doc map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, newErr(CodeInternal, err, "encoding the signed document")
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// checkCredential checks the VCDM 2.0 required properties.
func checkCredential(doc map[string]any) error {
	ctxs := asArray(doc["@context"])
	if len(ctxs) == 0 || ctxs[0] != ContextV2 {
		return newErr(CodeMalformed, nil, "the first @context entry must be %s", ContextV2)
	}
	if !hasType(doc["type"], "VerifiableCredential") {
		return newErr(CodeMalformed, nil, "type must include VerifiableCredential")
	}
	if _, err := issuerID(doc); err != nil {
		return err
	}
	switch s := doc["credentialSubject"].(type) {
	case map[string]any:
		if len(s) == 0 {
			return newErr(CodeMalformed, nil, "credentialSubject is empty")
		}
	case []any:
		if len(s) == 0 {
			return newErr(CodeMalformed, nil, "credentialSubject is empty")
		}
		for _, e := range s {
			if m, ok := e.(map[string]any); !ok || len(m) == 0 {
				return newErr(CodeMalformed, nil, "credentialSubject entries must be non-empty objects")
			}
		}
	default:
		return newErr(CodeMalformed, nil, "credentialSubject must be an object or an array of objects")
	}
	for _, k := range []string{"validFrom", "validUntil"} {
		if _, _, err := dateTimeStamp(doc, k); err != nil {
			return err
		}
	}
	return nil
}

func hasType(v any, want string) bool {
	for _, t := range asArray(v) {
		if s, _ := t.(string); s == want {
			return true
		}
	}
	return false
}

// issuerID returns the issuer URL: the string, or the object's id.
func issuerID(doc map[string]any) (string, error) {
	var id string
	switch t := doc["issuer"].(type) {
	case string:
		id = t
	case map[string]any:
		id, _ = t["id"].(string)
	}
	if !absoluteIRI(id) || len(id) > 2 && id[:2] == "_:" {
		return "", newErr(CodeMalformed, nil, "issuer must be a URL or an object whose id is a URL")
	}
	return id, nil
}

var dateTimeStampRE = regexp.MustCompile(`^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)

// dateTimeStamp reads property k of m as an XML Schema dateTimeStamp (a
// date-time with a time zone). ok is false when k is absent.
func dateTimeStamp(m map[string]any, k string) (t time.Time, ok bool, err error) {
	v, present := m[k]
	if !present {
		return time.Time{}, false, nil
	}
	s, isString := v.(string)
	if !isString || !dateTimeStampRE.MatchString(s) {
		return time.Time{}, false, newErr(CodeMalformed, nil, "%s must be an XML Schema dateTimeStamp", k)
	}
	t, err = time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false, newErr(CodeMalformed, err, "%s %q", k, s)
	}
	return t, true, nil
}

// checkValidityPeriod applies validFrom and validUntil at now.
func checkValidityPeriod(doc map[string]any, now time.Time) error {
	if from, ok, err := dateTimeStamp(doc, "validFrom"); err != nil {
		return err
	} else if ok && now.Before(from) {
		return newErr(CodeNotYetValid, nil, "valid from %s", from.Format(time.RFC3339))
	}
	if until, ok, err := dateTimeStamp(doc, "validUntil"); err != nil {
		return err
	} else if ok && now.After(until) {
		return newErr(CodeExpired, nil, "valid until %s", until.Format(time.RFC3339))
	}
	return nil
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
