package jsonld

import (
	"math/rand/v2"
	"testing"

	"github.com/piprate/json-gold/ld"
)

var iriSamples = []string{
	"", ":", "a:", "_:", "_:b0", "did:example:123", "http://example.org/a#b", "https://x.example/%zz",
	"https://x.example/a%20b", "http://a:b/", "http://a:80/", "http://[::1]/", "http://[::1", "http://user@host/",
	"mailto:a@b", "urn:uuid:1234", "1a:b", "a b:c", "a:b c", "a:\x01", "a:b#\x01", "a:b#%", "a:b#%41", "a:?",
	"a:b?c%", "a:/b%2", "a://%41/", "a://ho st/", "HTTP://EXAMPLE.ORG", "a+b.c-d:x", "a#b:c", "é:x",
	"http://example.org/\x7f", "ab", "@type", "a:%", "a://[fe80::1%25en0]/", "a://h:x/", "a://h:/",
	"http://a/b?c#d%zz", "a:b?%zz", "a:b/c?d",
}

// TestIsAbsoluteIRI compares the fast check with json-gold's IsAbsoluteIri.
func TestIsAbsoluteIRI(t *testing.T) {
	check := func(s string) {
		if got, want := isAbsoluteIRI(s), ld.IsAbsoluteIri(s); got != want {
			t.Errorf("isAbsoluteIRI(%q) = %v, json-gold says %v", s, got, want)
		}
	}
	for _, s := range iriSamples {
		check(s)
	}
	const alphabet = "aZ09+-.:/?#[]@%2f _\x01\x7fé:/"
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200000; i++ {
		n := rng.IntN(12)
		b := make([]byte, n)
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		check(string(b))
		check("http://" + string(b))
		check("a:" + string(b))
	}
}

// FuzzIsAbsoluteIRI compares the fast check with json-gold's.
func FuzzIsAbsoluteIRI(f *testing.F) {
	for _, s := range iriSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isAbsoluteIRI(s), ld.IsAbsoluteIri(s); got != want {
			t.Fatalf("isAbsoluteIRI(%q) = %v, json-gold says %v", s, got, want)
		}
	})
}

// TestKeywordOf checks the allocation-free keyword test against full IRI
// expansion on contexts with a vocabulary mapping, prefixes and aliases.
func TestKeywordOf(t *testing.T) {
	p := New(newTestLoader(t))
	st := &state{p: p}
	c, err := st.parse(newContext(), parseDoc(t, `{"@context":{"@vocab":"@","t":"@type","v":{"@id":"@value"},"ex":"https://ex.example/","ty":{"@prefix":true},"n":null}}`)["@context"], nil, false, true, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	contexts := []*activeContext{c, newContext()}
	c2, err := st.parse(newContext(), parseDoc(t, `{"@context":{"@vocab":"https://v.example/","t":"@type","ex":"https://ex.example/"}}`)["@context"], nil, false, true, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	contexts = append(contexts, c2)
	words := []string{"@type", "t", "v", "type", "value", "ex:x", "ty:pe", "ty:x", "n:x", "@foo", "id", "_:b", "x://y", "a:b", "", "@"}
	for i, c := range contexts {
		for _, w := range words {
			full, ferr := c.expandIRI(w, true)
			kw, kerr := c.keywordOf(w)
			if (ferr == nil) != (kerr == nil) {
				t.Errorf("context %d, %q: errors %v / %v", i, w, ferr, kerr)
				continue
			}
			want := ""
			if isKeyword(full) {
				want = full
			}
			if kw != want {
				t.Errorf("context %d, %q: keywordOf %q, expansion %q", i, w, kw, full)
			}
		}
	}
}
