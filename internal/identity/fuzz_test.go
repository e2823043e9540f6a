package identity

import (
	"bytes"
	"encoding/json"
	"testing"
)

// Seeds beyond these are in testdata/fuzz/<FuzzName>.

func FuzzParseDID(f *testing.F) {
	for _, s := range []string{
		"did:example:123456789abcdefghi", "did:web:example.com%3A3000:user:alice",
		"did:example:123?service=agent&relativeRef=/credentials#degree", "did:example::a", "did:ex:%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDID(s)
		if err == nil {
			if d.String() != s {
				t.Fatalf("ParseDID(%q).String() = %q", s, d.String())
			}
			if _, err := ParseDIDURL(s); err != nil {
				t.Fatalf("a DID is not a DID URL: %v", err)
			}
		} else if Code(err) != CodeInvalidDID {
			t.Fatalf("ParseDID(%q): code %s", s, Code(err))
		}
		u, err := ParseDIDURL(s)
		if err != nil {
			if c := Code(err); c != CodeInvalidDID && c != CodeInvalidDIDURL {
				t.Fatalf("ParseDIDURL(%q): code %s", s, c)
			}
			return
		}
		again, err := ParseDIDURL(u.String())
		if err != nil || again != u {
			t.Fatalf("ParseDIDURL(%q) = %+v; reparsed %+v, %v", s, u, again, err)
		}
		if u.DID.Method == "web" {
			if url, err := webURL(u.DID); err == nil {
				back, err := WebDIDFromURL(url.String())
				if err != nil {
					t.Fatalf("WebDIDFromURL(%q): %v", url, err)
				}
				if _, err := WebURL(back); err != nil {
					t.Fatalf("WebURL(%q): %v", back, err)
				}
			}
		}
	})
}

func FuzzParseDocument(f *testing.F) {
	f.Add([]byte(webSpecExample))
	f.Add([]byte(`{"id":"did:example:1"}`))
	f.Add([]byte(`{"id":"did:example:1","id":"did:example:2"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := ParseDocument(b)
		if err != nil {
			return
		}
		out, err := json.Marshal(doc)
		if err != nil {
			t.Fatalf("marshal a parsed document: %v", err)
		}
		doc2, err := ParseDocument(out)
		if err != nil {
			t.Fatalf("reparse %s: %v", out, err)
		}
		out2, err := json.Marshal(doc2)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("serialization is not a fixed point:\n%s\n%s", out, out2)
		}
		for _, m := range doc.allMethods() {
			m.PublicKey() // must not panic
			for _, rel := range relationshipNames() {
				doc.VerificationMethod(m.ID, rel)
			}
		}
	})
}

func FuzzDIDKey(f *testing.F) {
	f.Add(ed25519Vectors[0])
	f.Add(p256Vectors[0].did)
	f.Add("did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc")
	f.Add("did:key:z111")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKeyDID(s)
		if err != nil {
			if _, ok := err.(*ResolutionError); !ok {
				t.Fatalf("ParseKeyDID(%q): error of type %T", s, err)
			}
			return
		}
		again, err := NewKeyDID(k.Alg, k.PublicKey)
		if err != nil || again.DID != s {
			t.Fatalf("ParseKeyDID(%q) re-encodes as %v, %v", s, again, err)
		}
		if err := k.Document().Validate(); err != nil {
			t.Fatalf("document of %s: %v", s, err)
		}
	})
}
