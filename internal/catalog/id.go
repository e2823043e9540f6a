package catalog

import (
	"fmt"
	"net/url"
	"strings"
)

// Identifier grammar (seed §2.2.2.2, §2.3.4.2): four parts separated by "/".
//
//	identifier  = prefix "/" sovereignty "/" space "/" product
//	prefix      = 2–16 of a-z 0-9 "." "-", first and last a letter or digit
//	sovereignty = an officially assigned ISO 3166-1 alpha-2 code, or a region code (EU)
//	space       = 2–63 of a-z 0-9 "-", first and last a letter or digit
//	product     = 1–128 of a-z 0-9 "-", first and last a letter or digit
//
// Identifiers are case-insensitive: the canonical form has the prefix, the
// space and the product in lower case and the sovereignty code in upper case.
const (
	maxPrefixLen  = 16
	maxSpaceLen   = 63
	maxProductLen = 128
	// MaxIDLen bounds the text of an identifier (the longest valid one is 212
	// bytes); longer input is refused before it is parsed.
	MaxIDLen = 256
)

// IRIBase is the base of an identifier's IRI form, the @id of its entry:
// IRIBase + "xb86/CN/gba-finance/retail-customers-2026". It is a persistent
// URL under w3id.org; xborder never dereferences it.
const IRIBase = "https://w3id.org/xborder/id/"

// ID is a parsed, canonical dataset identifier.
type ID struct {
	Prefix      string // infrastructure prefix: the top-level namespace
	Sovereignty string // the jurisdiction anchor that routes resolution
	Space       string // the data space
	Product     string // the product, unique in its space
}

// String returns the canonical identifier.
func (id ID) String() string {
	if id.IsZero() {
		return ""
	}
	return id.Prefix + "/" + id.Sovereignty + "/" + id.Space + "/" + id.Product
}

// IRI returns the identifier's IRI form, used as the entry's @id.
func (id ID) IRI() string { return IRIBase + id.String() }

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// MarshalText writes the canonical identifier.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses an identifier.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// IDError is a malformed identifier. Its message names the part and the rule
// it breaks; Input is the offending text, quoted and cut to 64 bytes.
type IDError struct {
	Input string
	Part  string // prefix, sovereignty, space, product, or "" for the whole
	Msg   string
}

func (e *IDError) Error() string {
	if e.Part == "" {
		return fmt.Sprintf("identifier %s: %s", e.Input, e.Msg)
	}
	return fmt.Sprintf("identifier %s: %s %s", e.Input, e.Part, e.Msg)
}

func quoteInput(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// ParseID parses an identifier prefix/sovereignty/space/product and returns
// its canonical form. Upper- and lower-case letters are accepted; nothing
// else outside the grammar is, not even surrounding spaces.
func ParseID(s string) (ID, error) {
	bad := func(part, format string, args ...any) (ID, error) {
		return ID{}, &IDError{Input: quoteInput(s), Part: part, Msg: fmt.Sprintf(format, args...)}
	}
	if s == "" {
		return bad("", "is empty; want prefix/sovereignty/space/product, e.g. xb86/CN/gba-finance/retail-customers-2026")
	}
	if len(s) > MaxIDLen {
		return bad("", "is longer than %d bytes", MaxIDLen)
	}
	parts := strings.Split(s, "/")
	if len(parts) != 4 {
		return bad("", "has %d parts; want 4: prefix/sovereignty/space/product", len(parts))
	}
	var id ID
	var err error
	if id.Prefix, err = labelPart(parts[0], 2, maxPrefixLen, true); err != nil {
		return bad("prefix", "%v", err)
	}
	if id.Sovereignty, err = sovereigntyPart(parts[1]); err != nil {
		return bad("sovereignty", "%v", err)
	}
	if id.Space, err = labelPart(parts[2], 2, maxSpaceLen, false); err != nil {
		return bad("space", "%v", err)
	}
	if id.Product, err = labelPart(parts[3], 1, maxProductLen, false); err != nil {
		return bad("product", "%v", err)
	}
	return id, nil
}

// ParseRef parses an identifier or its IRI form (IRIBase + identifier, with
// the parts percent-encoded or not).
func ParseRef(s string) (ID, error) {
	if rest, ok := strings.CutPrefix(s, IRIBase); ok {
		if len(rest) > 3*MaxIDLen {
			return ID{}, &IDError{Input: quoteInput(s), Msg: fmt.Sprintf("is longer than %d bytes", MaxIDLen)}
		}
		u, err := url.PathUnescape(rest)
		if err != nil {
			return ID{}, &IDError{Input: quoteInput(s), Msg: "has a malformed percent-encoding"}
		}
		return ParseID(u)
	}
	return ParseID(s)
}

// labelPart checks one lower-case part: letters, digits and "-" (and "."
// when dots is true), starting and ending with a letter or a digit.
func labelPart(p string, minLen, maxLen int, dots bool) (string, error) {
	if len(p) < minLen || len(p) > maxLen {
		if p == "" {
			return "", fmt.Errorf("is empty")
		}
		return "", fmt.Errorf("is %d characters long; want %d to %d", len(p), minLen, maxLen)
	}
	b := []byte(p)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c == '-' || (dots && c == '.'):
			if i == 0 || i == len(b)-1 {
				return "", fmt.Errorf("must start and end with a letter or a digit")
			}
		default:
			allowed := "letters, digits and -"
			if dots {
				allowed = "letters, digits, . and -"
			}
			return "", fmt.Errorf("has %q at position %d; allowed: %s", safeRune(p, i), i+1, allowed)
		}
	}
	return string(b), nil
}

// safeRune returns the character starting at byte i of s, or the byte as
// \xNN when it does not start a valid UTF-8 sequence.
func safeRune(s string, i int) string {
	for j, r := range s {
		if j == i {
			if r == '\uFFFD' {
				return fmt.Sprintf("\\x%02x", s[i])
			}
			return string(r)
		}
	}
	return fmt.Sprintf("\\x%02x", s[i])
}

func sovereigntyPart(p string) (string, error) {
	if len(p) != 2 {
		return "", fmt.Errorf("%q is not a two-letter ISO 3166-1 code or a region code (EU)", p)
	}
	c := strings.ToUpper(p)
	if !ValidSovereignty(c) {
		return "", fmt.Errorf("%q is not an officially assigned ISO 3166-1 alpha-2 code or a region code (EU)", p)
	}
	return c, nil
}

// RegionCodes are the sovereignty codes accepted beside the ISO 3166-1
// alpha-2 country codes, with what they stand for. EU is exceptionally
// reserved in ISO 3166-1 for the European Union: an EU-level resolver
// answers for it.
func RegionCodes() map[string]string {
	return map[string]string{"EU": "European Union (ISO 3166-1 exceptionally reserved code)"}
}

// ValidSovereignty reports whether c (upper case) is an officially assigned
// ISO 3166-1 alpha-2 code or a region code.
func ValidSovereignty(c string) bool {
	if c == "EU" {
		return true
	}
	return isCountry(c)
}
