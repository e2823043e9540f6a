package identity

import "strings"

// Bounds on identifiers. DID Core sets no maximum; these keep hostile input
// from costing more than a page of memory.
const (
	MaxDIDLength    = 2048 // bytes of a DID
	MaxDIDURLLength = 4096 // bytes of a DID URL
)

// DID is a parsed decentralized identifier (DID Core §3.1):
// "did:" method-name ":" method-specific-id.
type DID struct {
	Method string // method name: lowercase letters and digits, e.g. "key", "web"
	ID     string // method-specific identifier as written (percent-encoding kept)
}

// String returns the DID in its canonical text form.
func (d DID) String() string {
	if d.Method == "" {
		return ""
	}
	return "did:" + d.Method + ":" + d.ID
}

// IsZero reports whether d is the zero DID.
func (d DID) IsZero() bool { return d.Method == "" && d.ID == "" }

// ParseDID parses s as a DID (no path, query or fragment). Any syntax error
// is a *ResolutionError with code invalidDid.
func ParseDID(s string) (DID, error) {
	if len(s) > MaxDIDLength {
		return DID{}, newErr(CodeInvalidDID, "DID of %d bytes exceeds %d", len(s), MaxDIDLength)
	}
	d, rest, err := parseDIDPrefix(s)
	if err != nil {
		return DID{}, err
	}
	if rest != "" {
		return DID{}, newErr(CodeInvalidDID, "%q: unexpected %q after the method-specific id (a DID URL is not a DID)", s, rest[:1])
	}
	return d, nil
}

// DIDURL is a parsed DID URL (DID Core §3.2): a DID followed by an optional
// path, query and fragment. Query and Fragment exclude the leading "?" and
// "#"; an empty query or fragment is treated as absent.
type DIDURL struct {
	DID      DID
	Path     string // path-abempty: "" or beginning with "/"
	Query    string
	Fragment string
}

// String returns the DID URL in text form.
func (u DIDURL) String() string {
	var b strings.Builder
	b.WriteString(u.DID.String())
	b.WriteString(u.Path)
	if u.Query != "" {
		b.WriteByte('?')
		b.WriteString(u.Query)
	}
	if u.Fragment != "" {
		b.WriteByte('#')
		b.WriteString(u.Fragment)
	}
	return b.String()
}

// ParseDIDURL parses an absolute DID URL. A malformed DID part is
// invalidDid; a malformed path, query or fragment is invalidDidUrl.
func ParseDIDURL(s string) (DIDURL, error) {
	if len(s) > MaxDIDURLLength {
		return DIDURL{}, newErr(CodeInvalidDIDURL, "DID URL of %d bytes exceeds %d", len(s), MaxDIDURLLength)
	}
	d, rest, err := parseDIDPrefix(s)
	if err != nil {
		return DIDURL{}, err
	}
	if len(s)-len(rest) > MaxDIDLength {
		return DIDURL{}, newErr(CodeInvalidDID, "DID of %d bytes exceeds %d", len(s)-len(rest), MaxDIDLength)
	}
	u := DIDURL{DID: d}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		u.Fragment = rest[i+1:]
		rest = rest[:i]
		if !validQueryOrFragment(u.Fragment) {
			return DIDURL{}, newErr(CodeInvalidDIDURL, "%q: invalid character or percent-encoding in the fragment", s)
		}
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		u.Query = rest[i+1:]
		rest = rest[:i]
		if !validQueryOrFragment(u.Query) {
			return DIDURL{}, newErr(CodeInvalidDIDURL, "%q: invalid character or percent-encoding in the query", s)
		}
	}
	u.Path = rest
	if !validPath(u.Path) {
		return DIDURL{}, newErr(CodeInvalidDIDURL, "%q: invalid character or percent-encoding in the path", s)
	}
	return u, nil
}

// ResolveReference resolves ref, an absolute DID URL or a relative one
// ("#key-1", "?service=x", "/path"), against the DID base, as DID Core
// §3.2.2 and RFC 3986 §5 describe, and returns the absolute DID URL.
func ResolveReference(base DID, ref string) (DIDURL, error) {
	if ref == "" {
		return DIDURL{}, newErr(CodeInvalidDIDURL, "empty DID URL reference")
	}
	switch ref[0] {
	case '#', '?', '/':
		if base.IsZero() {
			return DIDURL{}, newErr(CodeInvalidDIDURL, "relative reference %q without a base DID", ref)
		}
		return ParseDIDURL(base.String() + ref)
	}
	return ParseDIDURL(ref)
}

// parseDIDPrefix parses the DID at the start of s and returns the rest,
// which begins with "/", "?" or "#" when not empty.
func parseDIDPrefix(s string) (DID, string, error) {
	if !strings.HasPrefix(s, "did:") {
		return DID{}, "", newErr(CodeInvalidDID, "%q does not begin with \"did:\"", truncate(s))
	}
	r := s[4:]
	i := 0
	for i < len(r) && (r[i] >= 'a' && r[i] <= 'z' || r[i] >= '0' && r[i] <= '9') {
		i++
	}
	if i == 0 {
		return DID{}, "", newErr(CodeInvalidDID, "%q: empty or invalid method name (lowercase letters and digits only)", truncate(s))
	}
	if i >= len(r) || r[i] != ':' {
		return DID{}, "", newErr(CodeInvalidDID, "%q: method name must be lowercase letters and digits followed by \":\"", truncate(s))
	}
	method := r[:i]
	r = r[i+1:]
	j := 0
	for j < len(r) {
		c := r[j]
		switch {
		case c == '/' || c == '?' || c == '#':
			goto end
		case c == '%':
			if j+2 >= len(r) || !isHex(r[j+1]) || !isHex(r[j+2]) {
				return DID{}, "", newErr(CodeInvalidDID, "%q: malformed percent-encoding in the method-specific id", truncate(s))
			}
			j += 3
		case c == ':' || isIDChar(c):
			j++
		default:
			return DID{}, "", newErr(CodeInvalidDID, "%q: character %q not allowed in the method-specific id", truncate(s), c)
		}
	}
end:
	id := r[:j]
	if id == "" {
		return DID{}, "", newErr(CodeInvalidDID, "%q: empty method-specific id", truncate(s))
	}
	if id[len(id)-1] == ':' {
		return DID{}, "", newErr(CodeInvalidDID, "%q: method-specific id must not end with \":\"", truncate(s))
	}
	return DID{Method: method, ID: id}, r[j:], nil
}

// isIDChar reports whether c is ALPHA / DIGIT / "." / "-" / "_".
func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '-' || c == '_'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isPChar reports whether c is an RFC 3986 pchar other than pct-encoded.
func isPChar(c byte) bool {
	if isIDChar(c) {
		return true
	}
	switch c {
	case '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@':
		return true
	}
	return false
}

// validChars checks s against pchar plus the bytes in extra, with
// well-formed percent-encoding.
func validChars(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		case isPChar(c) || strings.IndexByte(extra, c) >= 0:
		default:
			return false
		}
	}
	return true
}

func validPath(p string) bool {
	return p == "" || p[0] == '/' && validChars(p, "/")
}

func validQueryOrFragment(s string) bool { return validChars(s, "/?") }

// truncate shortens s for error messages.
func truncate(s string) string {
	const max = 96
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
