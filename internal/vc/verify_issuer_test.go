package vc

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/suite"
)

// TestRequireIssuerKey: with the policy on, a proof or a vc+jwt signed by a
// key that is not the issuer's own is refused with issuer_mismatch; with it
// off (the default, as the W3C vectors need) it verifies.
func TestRequireIssuerKey(t *testing.T) {
	ctx := context.Background()
	s, err := suite.Generate(suite.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	const vm = "did:example:signer#key-1"
	resolver := KeyResolverFunc(func(ctx context.Context, url string) (suite.Alg, crypto.PublicKey, error) {
		return suite.Ed25519, s.Public(), nil
	})
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, issuer := range []string{"did:example:signer", "did:example:someone-else"} {
		cred := map[string]any{
			"@context":          []any{ContextV2},
			"type":              []any{"VerifiableCredential"},
			"issuer":            issuer,
			"validFrom":         "2026-01-01T00:00:00Z",
			"credentialSubject": map[string]any{"id": "did:example:alice"},
		}
		signed, err := p.Sign(ctx, cred, ProofOptions{Cryptosuite: EdDSARDFC2022, VerificationMethod: vm, Signer: s})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := p.SignJWT(ctx, cred, JWTOptions{Signer: s, KeyID: vm})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		own := issuer == "did:example:signer"
		for _, strict := range []bool{false, true} {
			opts := VerifyOptions{Now: now, RequireIssuerKey: strict}
			_, err1 := p.Verify(ctx, signed, resolver, opts)
			_, err2 := p.VerifyJWT(ctx, []byte(tok), resolver, opts)
			for _, err := range []error{err1, err2} {
				switch {
				case !strict || own:
					if err != nil {
						t.Errorf("issuer %s strict %v: %v", issuer, strict, err)
					}
				case CodeOf(err) != CodeIssuerMismatch:
					t.Errorf("issuer %s strict: got %v, want issuer_mismatch", issuer, err)
				}
			}
		}
	}
}

// TestNegativeZero: JSON -0 canonicalises as the integer 0, as the
// JavaScript stack does, so a credential holding it verifies elsewhere.
func TestNegativeZero(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte(`{"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
		"type": ["VerifiableCredential"], "issuer": "did:example:i",
		"credentialSubject": {"id": "did:example:s", "score": -0}}`)
	decode := func(b []byte) map[string]any {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	neg, err := p.Canonicalize(context.Background(), decode(doc))
	if err != nil {
		t.Fatal(err)
	}
	pos, err := p.Canonicalize(context.Background(), decode(bytes.Replace(doc, []byte("-0"), []byte("0"), 1)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(neg, pos) {
		t.Errorf("-0 canonicalises differently from 0:\n%s\n%s", neg, pos)
	}
}
