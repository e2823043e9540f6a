package jsonld

import (
	"net/url"
	"strings"
)

// isKeyword reports whether s is one of the keywords json-gold v0.9.1
// recognises (its ld.IsKeyword list, which includes the framing keywords).
func isKeyword(s string) bool {
	if len(s) < 2 || s[0] != '@' {
		return false
	}
	switch s {
	case "@always", "@base", "@container", "@context", "@default",
		"@direction", "@embed", "@explicit", "@first", "@json",
		"@id", "@included", "@index", "@graph", "@import",
		"@language", "@last", "@list", "@nest", "@never",
		"@none", "@null", "@omitDefault", "@once", "@prefix",
		"@preserve", "@propagate", "@protected", "@requireAll", "@reverse",
		"@set", "@type", "@value", "@version", "@vocab":
		return true
	}
	return false
}

// isIgnoredKeyword reports whether s has the form of a keyword ("@" and
// one or more ASCII letters) without being one; such terms and values are
// ignored.
func isIgnoredKeyword(s string) bool {
	if len(s) < 2 || s[0] != '@' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return !isKeyword(s)
}

// isAbsoluteIRI is json-gold's IsAbsoluteIri: a blank node identifier, or a
// string net/url parses without error into a URL with a scheme. The common
// shapes are decided without calling url.Parse; anything unusual (percent
// signs, user info, ports, IP literals) is left to url.Parse itself so the
// answer is always the same.
func isAbsoluteIRI(s string) bool {
	if strings.HasPrefix(s, "_:") {
		return true
	}
	// Scheme: a letter, then letters, digits, '+', '-', '.', up to ':'.
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			continue
		}
		if i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			continue
		}
		break
	}
	if i == 0 || i == len(s) || s[i] != ':' {
		// No scheme: url.Parse either fails or returns a relative URL.
		return false
	}
	u, frag, hasFrag := strings.Cut(s, "#")
	for j := 0; j < len(u); j++ {
		if c := u[j]; c < 0x20 || c == 0x7f {
			return false // url.Parse: invalid control character
		}
	}
	if hasFrag && strings.IndexByte(frag, '%') >= 0 {
		return slowAbsoluteIRI(s)
	}
	rest := u[i+1:]
	if strings.HasSuffix(rest, "?") && strings.Count(rest, "?") == 1 {
		rest = rest[:len(rest)-1]
	} else if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest = rest[:q]
	}
	if !strings.HasPrefix(rest, "/") {
		return true // opaque
	}
	if strings.HasPrefix(rest, "//") {
		authority, path := rest[2:], ""
		if k := strings.IndexByte(authority, '/'); k >= 0 {
			authority, path = authority[:k], authority[k:]
		}
		for j := 0; j < len(authority); j++ {
			c := authority[j]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '~') {
				return slowAbsoluteIRI(s)
			}
		}
		rest = path
	}
	if strings.IndexByte(rest, '%') >= 0 {
		return slowAbsoluteIRI(s)
	}
	return true
}

func slowAbsoluteIRI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.IsAbs()
}
