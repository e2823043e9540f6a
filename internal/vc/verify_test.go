package vc

import (
	"context"
	"crypto"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/suite"
)

var vectorNow = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	alumniSigned = "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/signedDataInt.json"
	employSigned = "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/employ/signedDataInt.json"
	ecdsaSigned  = "vc-di-ecdsa/TestVectors/ecdsa-rdfc-2019-p256/signedECDSAP256.json"
)

// mutate decodes a vector, applies f, and re-encodes it.
func mutate(t *testing.T, rel string, f func(m map[string]any)) []byte {
	t.Helper()
	m := readJSONMap(t, rel)
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func subject(m map[string]any) map[string]any { return m["credentialSubject"].(map[string]any) }

func TestVerifyFailureCodes(t *testing.T) {
	p := newProcessor(t)
	ctx := context.Background()
	ok := VerifyOptions{Now: vectorNow}
	cases := []struct {
		name string
		doc  func(t *testing.T) []byte
		opts VerifyOptions
		want Code
	}{
		{"subject value changed", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { subject(m)["alumniOf"] = "The School of Forgery" })
		}, ok, CodeBadSignature},
		{"ecdsa subject value changed", func(t *testing.T) []byte {
			return mutate(t, ecdsaSigned, func(m map[string]any) { subject(m)["id"] = "did:example:other" })
		}, ok, CodeBadSignature},
		{"term added under the examples @vocab", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { subject(m)["grade"] = "A" })
		}, ok, CodeBadSignature},
		{"proof created changed", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { m["proof"].(map[string]any)["created"] = "2023-02-24T23:36:39Z" })
		}, ok, CodeBadSignature},
		{"undefined term", func(t *testing.T) []byte {
			return mutate(t, employSigned, func(m map[string]any) { subject(m)["undefinedTerm"] = "x" })
		}, ok, CodeDataLoss},
		{"undefined top-level term", func(t *testing.T) []byte {
			return mutate(t, employSigned, func(m map[string]any) { m["favouriteColour"] = "blue" })
		}, ok, CodeDataLoss},
		{"undefined type", func(t *testing.T) []byte {
			return mutate(t, employSigned, func(m map[string]any) {
				m["type"] = []any{"VerifiableCredential", "EmploymentAuthorizationDocumentCredential", "MadeUpCredential"}
			})
		}, ok, CodeDataLoss},
		{"relative id", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { subject(m)["id"] = "abcdefgh" })
		}, ok, CodeDataLoss},
		{"keyword-like key", func(t *testing.T) []byte {
			return mutate(t, employSigned, func(m map[string]any) { subject(m)["@foo"] = "x" })
		}, ok, CodeDataLoss},
		{"unknown context", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) {
				m["@context"] = append(m["@context"].([]any), "https://example.com/contexts/evil.jsonld")
			})
		}, ok, CodeUnknownContext},
		{"inline context", func(t *testing.T) []byte {
			return mutate(t, employSigned, func(m map[string]any) {
				m["@context"] = append(m["@context"].([]any), map[string]any{"undefinedTerm": "https://example.com/t"})
			})
		}, ok, CodeUnknownContext},
		{"nested unknown context", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { subject(m)["@context"] = "https://example.com/c" })
		}, ok, CodeUnknownContext},
		{"unpinned legacy suite context", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) {
				m["@context"] = append(m["@context"].([]any), "https://w3id.org/security/suites/ed25519-2020/v1")
			})
		}, ok, CodeUnknownContext},
		{"expired", func(t *testing.T) []byte { return readVector(t, employSigned) },
			VerifyOptions{Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}, CodeExpired},
		{"not yet valid", func(t *testing.T) []byte { return readVector(t, alumniSigned) },
			VerifyOptions{Now: time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC)}, CodeNotYetValid},
		{"purpose mismatch", func(t *testing.T) []byte { return readVector(t, alumniSigned) },
			VerifyOptions{Now: vectorNow, ExpectedPurpose: "authentication"}, CodePurposeMismatch},
		{"domain expected, none in proof", func(t *testing.T) []byte { return readVector(t, alumniSigned) },
			VerifyOptions{Now: vectorNow, Domain: "verifier.example"}, CodeDomainMismatch},
		{"challenge expected, none in proof", func(t *testing.T) []byte { return readVector(t, alumniSigned) },
			VerifyOptions{Now: vectorNow, Challenge: "n-0S6_WzA2Mj"}, CodeChallengeMismatch},
		{"unsupported cryptosuite", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { m["proof"].(map[string]any)["cryptosuite"] = "bbs-2023" })
		}, ok, CodeUnsupportedCryptosuite},
		{"unsupported proof type", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { m["proof"].(map[string]any)["type"] = "Ed25519Signature2020" })
		}, ok, CodeUnsupportedCryptosuite},
		{"cryptosuite swapped to ecdsa", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { m["proof"].(map[string]any)["cryptosuite"] = ECDSARDFC2019 })
		}, ok, CodeKeyResolution},
		{"unresolvable verification method", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) {
				m["proof"].(map[string]any)["verificationMethod"] = "did:web:issuer.example#key-1"
			})
		}, ok, CodeKeyResolution},
		{"proofValue not multibase", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { m["proof"].(map[string]any)["proofValue"] = "u" + "AAAA" })
		}, ok, CodeMalformed},
		{"proofValue truncated", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) {
				pr := m["proof"].(map[string]any)
				pr["proofValue"] = pr["proofValue"].(string)[:40]
			})
		}, ok, CodeBadSignature},
		{"no proof", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { delete(m, "proof") })
		}, ok, CodeMalformed},
		{"missing issuer", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { delete(m, "issuer") })
		}, ok, CodeMalformed},
		{"issuer object without id", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { m["issuer"] = map[string]any{"name": "x"} })
		}, ok, CodeMalformed},
		{"missing credentialSubject", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { delete(m, "credentialSubject") })
		}, ok, CodeMalformed},
		{"not a VerifiableCredential", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { m["type"] = "AlumniCredential" })
		}, ok, CodeMalformed},
		{"v2 context not first", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) {
				m["@context"] = []any{"https://www.w3.org/ns/credentials/examples/v2", ContextV2}
			})
		}, ok, CodeMalformed},
		{"bad validFrom", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { m["validFrom"] = "2023-01-01" })
		}, ok, CodeMalformed},
		{"not JSON", func(t *testing.T) []byte { return []byte("{not json") }, ok, CodeMalformed},
		{"JSON array", func(t *testing.T) []byte { return []byte("[]") }, ok, CodeMalformed},
		{"null", func(t *testing.T) []byte { return []byte("null") }, ok, CodeMalformed},
		{"trailing data", func(t *testing.T) []byte { return append(readVector(t, alumniSigned), []byte(" {}")...) }, ok, CodeMalformed},
		{"oversized", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { subject(m)["pad"] = strings.Repeat("a", MaxDocumentSize) })
		}, ok, CodeMalformed},
		{"too deep", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) {
				var v any = "x"
				for range MaxDepth + 1 {
					v = map[string]any{"n": v}
				}
				subject(m)["deep"] = v
			})
		}, ok, CodeMalformed},
		{"integer beyond 2^53", func(t *testing.T) []byte {
			return []byte(strings.Replace(string(readVector(t, alumniSigned)), `"alumniOf": "The School of Examples"`, `"alumniOf": 12345678901234567890`, 1))
		}, ok, CodeMalformed},
		{"too many contexts", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) {
				var l []any
				for range maxContextEntries {
					l = append(l, map[string]any{"@context": "https://www.w3.org/ns/credentials/examples/v2", "x": 1})
				}
				subject(m)["many"] = l
			})
		}, ok, CodeMalformed},
		{"previousProof names no proof", func(t *testing.T) []byte {
			return mutate(t, alumniSigned, func(m map[string]any) { m["proof"].(map[string]any)["previousProof"] = "urn:uuid:missing" })
		}, ok, CodeMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := p.Verify(ctx, c.doc(t), didKeyResolver{}, c.opts)
			t.Log(err)
			wantCode(t, err, c.want)
			if res == nil || res.Verified || res.Code != c.want || res.Err == nil {
				t.Fatalf("result %+v", res)
			}
			var e *Error
			if !errors.As(err, &e) || e.Msg == "" {
				t.Fatalf("error without a message: %v", err)
			}
		})
	}
}

// Changes that do not change the RDF dataset must still verify.
func TestVerifyIrrelevantChanges(t *testing.T) {
	p := newProcessor(t)
	ctx := context.Background()
	cases := map[string][]byte{
		"re-encoded (keys sorted, compact)": mutate(t, alumniSigned, func(map[string]any) {}),
		"type order swapped": mutate(t, alumniSigned, func(m map[string]any) {
			m["type"] = []any{"AlumniCredential", "VerifiableCredential"}
		}),
		"context as given, subject moved first": []byte(`{"credentialSubject":{"alumniOf":"The School of Examples","id":"did:example:abcdefgh"},` +
			strings.TrimPrefix(strings.Replace(string(readVector(t, alumniSigned)), `"credentialSubject": {
    "id": "did:example:abcdefgh",
    "alumniOf": "The School of Examples"
  },`, "", 1), "{")),
		"proof set order reversed": mutate(t, "vc-di-eddsa/TestVectors/proof-set-chain/signedProofSet2.json", func(m map[string]any) {
			ps := m["proof"].([]any)
			m["proof"] = []any{ps[1], ps[0]}
		}),
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := p.Verify(ctx, doc, didKeyResolver{}, VerifyOptions{Now: vectorNow}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func generate(t testing.TB, alg suite.Alg) (suite.Signer, string, KeyResolver) {
	t.Helper()
	s, err := suite.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	vm := fmt.Sprintf("https://issuer.example/keys/%s#1", alg)
	return s, vm, KeyResolverFunc(func(_ context.Context, u string) (suite.Alg, crypto.PublicKey, error) {
		if u != vm {
			return "", nil, fmt.Errorf("unknown key %s", u)
		}
		return s.Alg(), s.Public(), nil
	})
}

// resolvers combines resolvers: the first that knows the method wins.
type resolvers []KeyResolver

func (rs resolvers) ResolveKey(ctx context.Context, vm string) (suite.Alg, crypto.PublicKey, error) {
	var last error
	for _, r := range rs {
		alg, pub, err := r.ResolveKey(ctx, vm)
		if err == nil {
			return alg, pub, nil
		}
		last = err
	}
	return "", nil, last
}

func TestSignVerifyRoundTrips(t *testing.T) {
	p := newProcessor(t)
	ctx := context.Background()
	unsigned := readVector(t, "vc-di-eddsa/TestVectors/employmentAuth.json")
	edSigner, edVM, edRes := generate(t, suite.Ed25519)
	ecSigner, ecVM, ecRes := generate(t, suite.P256)
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

	t.Run("domain and challenge", func(t *testing.T) {
		out, err := p.Sign(ctx, unsigned, ProofOptions{Cryptosuite: EdDSARDFC2022, VerificationMethod: edVM,
			ProofPurpose: "authentication", Created: now, Domain: "verifier.example", Challenge: "abc123", Signer: edSigner})
		if err != nil {
			t.Fatal(err)
		}
		good := VerifyOptions{Now: now, ExpectedPurpose: "authentication", Domain: "verifier.example", Challenge: "abc123"}
		if _, err := p.Verify(ctx, out, edRes, good); err != nil {
			t.Fatal(err)
		}
		bad := good
		bad.Domain = "other.example"
		_, err = p.Verify(ctx, out, edRes, bad)
		wantCode(t, err, CodeDomainMismatch)
		bad = good
		bad.Challenge = "replayed"
		_, err = p.Verify(ctx, out, edRes, bad)
		wantCode(t, err, CodeChallengeMismatch)
		_, err = p.Verify(ctx, out, edRes, VerifyOptions{Now: now})
		wantCode(t, err, CodePurposeMismatch)
	})

	t.Run("proof expires", func(t *testing.T) {
		out, err := p.Sign(ctx, unsigned, ProofOptions{Cryptosuite: ECDSARDFC2019, VerificationMethod: ecVM,
			Created: now, Expires: now.Add(time.Hour), Signer: ecSigner})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Verify(ctx, out, ecRes, VerifyOptions{Now: now}); err != nil {
			t.Fatal(err)
		}
		_, err = p.Verify(ctx, out, ecRes, VerifyOptions{Now: now.Add(2 * time.Hour)})
		wantCode(t, err, CodeExpired)
	})

	t.Run("mixed proof set eddsa + ecdsa", func(t *testing.T) {
		one, err := p.Sign(ctx, unsigned, ProofOptions{Cryptosuite: EdDSARDFC2022, VerificationMethod: edVM, Signer: edSigner})
		if err != nil {
			t.Fatal(err)
		}
		two, err := p.Sign(ctx, one, ProofOptions{Cryptosuite: ECDSARDFC2019, VerificationMethod: ecVM, Signer: ecSigner})
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Verify(ctx, two, resolvers{edRes, ecRes}, VerifyOptions{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Proofs) != 2 || !res.Proofs[0].Verified || !res.Proofs[1].Verified {
			t.Fatalf("%+v", res.Proofs)
		}
		// Tamper with the second proof only.
		var m map[string]any
		_ = json.Unmarshal(two, &m)
		m["proof"].([]any)[1].(map[string]any)["verificationMethod"] = edVM
		b, _ := json.Marshal(m)
		res, err = p.Verify(ctx, b, resolvers{edRes, ecRes}, VerifyOptions{Now: now})
		wantCode(t, err, CodeKeyResolution)
		if !res.Proofs[0].Verified || res.Proofs[1].Verified {
			t.Fatalf("%+v", res.Proofs)
		}
	})

	t.Run("extra cryptosuite beside an intl proof", func(t *testing.T) {
		// Stands in for the gm engineer's SM2/SM3 suite.
		extra := Cryptosuite{Name: "x-test-eddsa-sha512-rdfc", Alg: suite.Ed25519, NewHash: sha512.New}
		pe, err := New(WithCryptosuite(extra))
		if err != nil {
			t.Fatal(err)
		}
		one, err := pe.Sign(ctx, unsigned, ProofOptions{Cryptosuite: ECDSARDFC2019, VerificationMethod: ecVM, Signer: ecSigner})
		if err != nil {
			t.Fatal(err)
		}
		two, err := pe.Sign(ctx, one, ProofOptions{Cryptosuite: extra.Name, VerificationMethod: edVM, Signer: edSigner})
		if err != nil {
			t.Fatal(err)
		}
		both := resolvers{edRes, ecRes}
		if _, err := pe.Verify(ctx, two, both, VerifyOptions{Now: now}); err != nil {
			t.Fatal(err)
		}
		// A verifier without the extra suite: strict fails, lenient passes.
		_, err = p.Verify(ctx, two, both, VerifyOptions{Now: now})
		wantCode(t, err, CodeUnsupportedCryptosuite)
		res, err := p.Verify(ctx, two, both, VerifyOptions{Now: now, SkipUnsupported: true})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Proofs[0].Verified || !res.Proofs[1].Skipped {
			t.Fatalf("%+v", res.Proofs)
		}
		// Only unsupported proofs: never verified.
		onlyExtra, err := pe.Sign(ctx, unsigned, ProofOptions{Cryptosuite: extra.Name, VerificationMethod: edVM, Signer: edSigner})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Verify(ctx, onlyExtra, both, VerifyOptions{Now: now, SkipUnsupported: true})
		wantCode(t, err, CodeUnsupportedCryptosuite)
		if _, err := New(WithCryptosuite(Cryptosuite{Name: EdDSARDFC2022, Alg: suite.Ed25519, NewHash: sha512.New})); err == nil {
			t.Fatal("a built-in suite was replaced")
		}
	})

	t.Run("sign refusals", func(t *testing.T) {
		_, err := p.Sign(ctx, unsigned, ProofOptions{Cryptosuite: EdDSARDFC2022, VerificationMethod: ecVM, Signer: ecSigner})
		wantCode(t, err, CodeUnsupportedCryptosuite)
		_, err = p.Sign(ctx, unsigned, ProofOptions{Cryptosuite: "eddsa-jcs-2022", VerificationMethod: edVM, Signer: edSigner})
		wantCode(t, err, CodeUnsupportedCryptosuite)
		undefined := mutate(t, "vc-di-eddsa/TestVectors/employmentAuth.json", func(m map[string]any) { subject(m)["nope"] = 1 })
		_, err = p.Sign(ctx, undefined, ProofOptions{Cryptosuite: EdDSARDFC2022, VerificationMethod: edVM, Signer: edSigner})
		wantCode(t, err, CodeDataLoss)
		_, err = p.Sign(ctx, map[string]any{"@context": []any{ContextV2}}, ProofOptions{Cryptosuite: EdDSARDFC2022, VerificationMethod: edVM, Signer: edSigner})
		wantCode(t, err, CodeMalformed)
		_, err = p.Sign(ctx, unsigned, ProofOptions{Cryptosuite: EdDSARDFC2022, VerificationMethod: edVM, Signer: edSigner, PreviousProof: []string{"urn:x"}})
		wantCode(t, err, CodeMalformed)
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		_, err = p.Sign(cancelled, unsigned, ProofOptions{Cryptosuite: EdDSARDFC2022, VerificationMethod: edVM, Signer: edSigner})
		wantCode(t, err, CodeInternal)
	})

	t.Run("map input and language-tagged values", func(t *testing.T) {
		doc := map[string]any{
			"@context":          []any{ContextV2, "https://www.w3.org/ns/credentials/examples/v2"},
			"type":              []any{"VerifiableCredential", "ExampleCredential"},
			"issuer":            map[string]any{"id": "did:example:issuer", "name": "Issuer <&>"},
			"name":              map[string]any{"@value": "Beispiel", "@language": "de"},
			"validFrom":         "2025-01-01T00:00:00Z",
			"credentialSubject": map[string]any{"id": "did:example:s", "score": 97.5, "count": 3, "ok": true, "tags": []any{"a", "b"}},
		}
		out, err := p.Sign(ctx, doc, ProofOptions{Cryptosuite: EdDSARDFC2022, VerificationMethod: edVM, Signer: edSigner})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "Issuer <&>") {
			t.Fatalf("HTML-escaped output: %s", out)
		}
		if _, err := p.Verify(ctx, out, edRes, VerifyOptions{Now: now}); err != nil {
			t.Fatal(err)
		}
		bad := strings.Replace(string(out), "97.5", "97.6", 1)
		_, err = p.Verify(ctx, []byte(bad), edRes, VerifyOptions{Now: now})
		wantCode(t, err, CodeBadSignature)
	})
}

// A document whose blank nodes are highly symmetric must be refused within
// the RDFC-1.0 work limit, not canonicalised for minutes.
func TestPoisonDocumentIsBounded(t *testing.T) {
	p := newProcessor(t)
	leaf := func() []any {
		var l []any
		for range 10 {
			l = append(l, map[string]any{"v": "same"})
		}
		return l
	}
	doc := map[string]any{
		"@context":          []any{ContextV2, "https://www.w3.org/ns/credentials/examples/v2"},
		"type":              []any{"VerifiableCredential"},
		"issuer":            "did:example:issuer",
		"credentialSubject": map[string]any{"groups": []any{map[string]any{"m": leaf()}, map[string]any{"m": leaf()}}},
	}
	start := time.Now()
	_, err := p.Canonicalize(context.Background(), doc)
	wantCode(t, err, CodeMalformed)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestConcurrentVerify(t *testing.T) {
	p := newProcessor(t)
	docs := [][]byte{readVector(t, alumniSigned), readVector(t, employSigned), readVector(t, ecdsaSigned),
		readVector(t, "vc-di-eddsa/TestVectors/proof-set-chain/signedProofChain2.json")}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 8 {
				if _, err := p.Verify(context.Background(), docs[(i+j)%len(docs)], didKeyResolver{}, VerifyOptions{Now: vectorNow}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestErrorMatching(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", newErr(CodeDataLoss, nil, "x"))
	if !errors.Is(err, &Error{Code: CodeDataLoss}) || errors.Is(err, &Error{Code: CodeExpired}) {
		t.Fatal("errors.Is by code")
	}
	if CodeOf(nil) != "" || CodeOf(errors.New("x")) != CodeInternal {
		t.Fatal("CodeOf")
	}
}
