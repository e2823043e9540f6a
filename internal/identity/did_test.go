package identity

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDID(t *testing.T) {
	valid := []struct {
		in, method, id string
	}{
		// DID Core examples.
		{"did:example:123456789abcdefghi", "example", "123456789abcdefghi"},
		{"did:example:123456789abcdefghijk", "example", "123456789abcdefghijk"},
		{"did:web:w3c-ccg.github.io", "web", "w3c-ccg.github.io"},
		{"did:web:example.com%3A3000", "web", "example.com%3A3000"},
		{"did:web:w3c-ccg.github.io:user:alice", "web", "w3c-ccg.github.io:user:alice"},
		{"did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", "key", "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"},
		{"did:ethr:0xb9c5714089478a327f09197987f16f9e5d936e8a", "ethr", "0xb9c5714089478a327f09197987f16f9e5d936e8a"},
		{"did:btcr:xyv2-xzpq-q9wa-p7t", "btcr", "xyv2-xzpq-q9wa-p7t"},
		{"did:example:a.b-c_d", "example", "a.b-c_d"},
		{"did:example:%20x%7e", "example", "%20x%7e"},
		{"did:example::a", "example", ":a"}, // *( *idchar ":" ) allows empty segments
		{"did:example:a::b", "example", "a::b"},
		{"did:3x4:abc", "3x4", "abc"},
	}
	for _, c := range valid {
		d, err := ParseDID(c.in)
		if err != nil {
			t.Errorf("ParseDID(%q): %v", c.in, err)
			continue
		}
		if d.Method != c.method || d.ID != c.id || d.String() != c.in {
			t.Errorf("ParseDID(%q) = %+v", c.in, d)
		}
	}
	invalid := []string{
		"", "did", "did:", "did:example", "did:example:", "DID:example:123", "did:Example:123",
		"did:ex-ample:1", "did:ex_ample:1", "did::123", "did:example:abc:", "did:example:a%2",
		"did:example:a%zz", "did:example:a b", "did:example:ä", "did:example:a!b", "did:example:a~b",
		"did:example:123#frag", "did:example:123/path", "did:example:123?q", " did:example:1",
		"did:example:1\n", "urn:uuid:1234", "did:example:a@b",
		"did:example:" + strings.Repeat("a", MaxDIDLength),
	}
	for _, in := range invalid {
		_, err := ParseDID(in)
		if Code(err) != CodeInvalidDID {
			t.Errorf("ParseDID(%q) = %v, want invalidDid", in, err)
		}
		if !errors.Is(err, &ResolutionError{Code: CodeInvalidDID}) {
			t.Errorf("ParseDID(%q): errors.Is by code fails", in)
		}
	}
}

func TestParseDIDURL(t *testing.T) {
	valid := []struct {
		in                    string
		path, query, fragment string
	}{
		{"did:example:123456789abcdefghi#keys-1", "", "", "keys-1"},
		{"did:example:123?versionId=1", "", "versionId=1", ""},
		{"did:example:123/path/to/resource", "/path/to/resource", "", ""},
		{"did:example:123?service=agent&relativeRef=/credentials#degree", "", "service=agent&relativeRef=/credentials", "degree"},
		{"did:example:123?versionTime=2021-05-10T17:00:00Z", "", "versionTime=2021-05-10T17:00:00Z", ""},
		{"did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", "", "", "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"},
		{"did:example:123/a%20b?x=1#f/g?h", "/a%20b", "x=1", "f/g?h"},
		{"did:example:123", "", "", ""},
	}
	for _, c := range valid {
		u, err := ParseDIDURL(c.in)
		if err != nil {
			t.Errorf("ParseDIDURL(%q): %v", c.in, err)
			continue
		}
		if u.Path != c.path || u.Query != c.query || u.Fragment != c.fragment || u.String() != c.in {
			t.Errorf("ParseDIDURL(%q) = %+v (%q)", c.in, u, u.String())
		}
	}
	invalid := []struct {
		in   string
		code ErrorCode
	}{
		{"did:example:123#frag ment", CodeInvalidDIDURL},
		{"did:example:123#a#b", CodeInvalidDIDURL},
		{"did:example:123?q=%zz", CodeInvalidDIDURL},
		{"did:example:123/a b", CodeInvalidDIDURL},
		{"did:example:123/a\\b", CodeInvalidDIDURL},
		{"did:Example:123#x", CodeInvalidDID},
		{"#key-1", CodeInvalidDID},
	}
	for _, c := range invalid {
		if _, err := ParseDIDURL(c.in); Code(err) != c.code {
			t.Errorf("ParseDIDURL(%q) = %v, want %s", c.in, err, c.code)
		}
	}
}

func TestResolveReference(t *testing.T) {
	base := DID{Method: "example", ID: "123"}
	for ref, want := range map[string]string{
		"#key-1":                "did:example:123#key-1",
		"?service=files":        "did:example:123?service=files",
		"/p#x":                  "did:example:123/p#x",
		"did:example:456#key-2": "did:example:456#key-2",
		"did:example:123#key-1": "did:example:123#key-1",
	} {
		u, err := ResolveReference(base, ref)
		if err != nil || u.String() != want {
			t.Errorf("ResolveReference(%q) = %q, %v; want %q", ref, u.String(), err, want)
		}
	}
	for _, ref := range []string{"", "key-1", "https://example.com#x", "# x"} {
		if _, err := ResolveReference(base, ref); err == nil {
			t.Errorf("ResolveReference(%q) succeeded", ref)
		}
	}
	if _, err := ResolveReference(DID{}, "#x"); Code(err) != CodeInvalidDIDURL {
		t.Errorf("relative reference without base: %v", err)
	}
}

func TestErrorCode(t *testing.T) {
	if Code(nil) != "" || Code(errors.New("x")) != CodeInternalError {
		t.Fatal("Code of nil / plain error")
	}
	e := wrapErr(CodeNotFound, errors.New("cause"), "msg %d", 1)
	if e.Error() != "notFound: msg 1: cause" {
		t.Errorf("Error() = %q", e.Error())
	}
	if errors.Is(e, &ResolutionError{Code: CodeInvalidDID}) {
		t.Error("Is matches another code")
	}
}
