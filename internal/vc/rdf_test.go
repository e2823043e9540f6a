package vc

import (
	"strings"
	"testing"
)

// TestAbsoluteIRI checks the JSON-LD absolute-IRI test used before a
// statement becomes N-Quads: a scheme, ":", and nothing N-Quads cannot carry
// in an IRI; blank node identifiers pass.
func TestAbsoluteIRI(t *testing.T) {
	cases := map[string]bool{
		"https://example.org/a":           true,
		"did:key:z6Mk#z6Mk":               true,
		"urn:uuid:1234":                   true,
		"https://例子.中国/数据集":               true, // non-ASCII is allowed
		"https://example.org/a\x7f":       true, // DEL is not excluded by N-Quads IRIREF
		"x+y.z-w:rest":                    true,
		"_:b0":                            true,
		"_:":                              false,
		"_:b 0":                           false,
		"":                                false,
		"relative/path":                   false,
		":no-scheme":                      false,
		"1abc:digit-first":                false,
		"ht tp://space-in-scheme":         false,
		"https://example.org/a b":         false,
		"https://example.org/\t":          false,
		"https://example.org/\x00":        false,
		"https://example.org/<":           false,
		"https://example.org/>":           false,
		`https://example.org/"`:           false,
		"https://example.org/{}":          false,
		"https://example.org/|":           false,
		"https://example.org/^":           false,
		"https://example.org/`":           false,
		`https://example.org/\`:           false,
		"https://example.org/" + "\xff":   true, // invalid UTF-8 is caught elsewhere (JSON decoding)
		strings.Repeat("a", 64) + ":rest": true,
	}
	for in, want := range cases {
		if got := absoluteIRI(in); got != want {
			t.Errorf("absoluteIRI(%q) = %v, want %v", in, got, want)
		}
	}
}
