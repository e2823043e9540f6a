package vc

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/mr-tron/base58"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
)

func newSM2Processor(t testing.TB) *Processor {
	t.Helper()
	p, err := New(WithSM2())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// keyDID makes a fresh key of alg and its did:key.
func keyDID(t testing.TB, alg suite.Alg) (suite.Signer, *identity.KeyDID) {
	t.Helper()
	s, err := suite.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := identity.NewKeyDID(alg, s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return s, k
}

func testCredential(issuer, subjectID string) map[string]any {
	return map[string]any{
		"@context":          []any{ContextV2, contextExamples},
		"type":              []any{"VerifiableCredential", "ExampleMembershipCredential"},
		"issuer":            issuer,
		"validFrom":         "2026-01-01T00:00:00Z",
		"validUntil":        "2027-01-01T00:00:00Z",
		"credentialSubject": map[string]any{"id": subjectID, "memberOf": "Example Dataspace"},
	}
}

const contextExamples = "https://www.w3.org/ns/credentials/examples/v2"

var sm2Now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func TestSM2CryptosuiteDefinition(t *testing.T) {
	cs := SM2Cryptosuite()
	if cs.Name != "xborder-sm2-rdfc-2025" || cs.Alg != suite.SM2 {
		t.Fatalf("suite %+v", cs)
	}
	// GB/T 32905-2016 Appendix A example 1: SM3("abc").
	h := cs.NewHash()
	h.Write([]byte("abc"))
	if got := hex.EncodeToString(h.Sum(nil)); got != "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0" {
		t.Fatalf("hash is not SM3: %s", got)
	}
	if _, err := New(WithSM2(), WithSM2()); CodeOf(err) != CodeMalformed {
		t.Fatalf("registering twice: %v", err)
	}
}

// TestSM2ProofFormat checks the documented format byte for byte with an
// independent computation: hashData = SM3(canonical proof config) ||
// SM3(canonical document), signed by SM2 as SM3(Z || hashData) with Z over
// the default UID, proofValue = "z" + base58btc(r || s).
func TestSM2ProofFormat(t *testing.T) {
	ctx := context.Background()
	p := newSM2Processor(t)
	s, k := keyDID(t, suite.SM2)
	cred := testCredential(k.DID, "did:example:alice")
	signed, err := p.Sign(ctx, cred, ProofOptions{Cryptosuite: SM2RDFC2025, VerificationMethod: k.VerificationMethodID(),
		Created: sm2Now, Signer: s})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(signed, &doc); err != nil {
		t.Fatal(err)
	}
	proof := doc["proof"].(map[string]any)
	if proof["type"] != "DataIntegrityProof" || proof["cryptosuite"] != "xborder-sm2-rdfc-2025" ||
		proof["proofPurpose"] != "assertionMethod" || proof["created"] != "2026-06-01T12:00:00Z" {
		t.Fatalf("proof %v", proof)
	}
	pv := proof["proofValue"].(string)
	if pv[0] != 'z' {
		t.Fatalf("proofValue %q is not base58btc multibase", pv)
	}
	sig, err := base58.Decode(pv[1:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("signature %x (%v): want 64 bytes r||s", sig, err)
	}

	unsecured := withoutProof(doc)
	docCanon, err := p.Canonicalize(ctx, unsecured)
	if err != nil {
		t.Fatal(err)
	}
	cfgCanon, err := p.Canonicalize(ctx, proofConfig(proof, unsecured["@context"]))
	if err != nil {
		t.Fatal(err)
	}
	h1, h2 := sm3.Sum(cfgCanon), sm3.Sum(docCanon)
	hashData := append(h1[:], h2[:]...)
	pub := s.Public().(*ecdsa.PublicKey)
	r, ss := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !sm2.VerifyWithSM2(pub, []byte("1234567812345678"), hashData, r, ss) {
		t.Fatal("gmsm does not verify SM2(SM3(Z||hashData)) with the default UID")
	}
	if sm2.VerifyWithSM2(pub, []byte("other-uid"), hashData, r, ss) {
		t.Fatal("verified with another UID")
	}
	// The document must be issued by the SM2 did:key and resolve through
	// package identity (draft multicodec 0x1206).
	res, err := p.Verify(ctx, signed, identity.NewResolver(identity.ResolverOptions{}), VerifyOptions{Now: sm2Now, RequireIssuerKey: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Proofs) != 1 || res.Proofs[0].Cryptosuite != SM2RDFC2025 || !res.Proofs[0].Verified {
		t.Fatalf("proofs %+v", res.Proofs)
	}
	// A processor without the suite cannot accept an SM2-only credential,
	// even when skipping unsupported proofs.
	for _, skip := range []bool{false, true} {
		_, err := newProcessor(t).Verify(ctx, signed, identity.NewResolver(identity.ResolverOptions{}), VerifyOptions{Now: sm2Now, SkipUnsupported: skip})
		wantCode(t, err, CodeUnsupportedCryptosuite)
	}
}

// TestSM2BesideEd25519 is the gm-suite interop case: an Ed25519 proof and
// an SM2 proof, parallel, in one proof set.
func TestSM2BesideEd25519(t *testing.T) {
	ctx := context.Background()
	gm, intl := newSM2Processor(t), newProcessor(t)
	ed, err := suite.Generate(suite.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := suite.Generate(suite.SM2, nil)
	if err != nil {
		t.Fatal(err)
	}
	const issuer = "did:web:issuer.example"
	keys := map[string]suite.Signer{issuer + "#ed25519": ed, issuer + "#sm2": sm}
	resolver := KeyResolverFunc(func(_ context.Context, vm string) (suite.Alg, crypto.PublicKey, error) {
		s, ok := keys[vm]
		if !ok {
			return "", nil, fmt.Errorf("unknown %s", vm)
		}
		return s.Alg(), s.Public(), nil
	})
	cred := testCredential(issuer, "did:example:alice")
	first, err := intl.Sign(ctx, cred, ProofOptions{Cryptosuite: EdDSARDFC2022, VerificationMethod: issuer + "#ed25519", Created: sm2Now, Signer: ed})
	if err != nil {
		t.Fatal(err)
	}
	both, err := gm.AddProof(ctx, first, ProofOptions{Cryptosuite: SM2RDFC2025, VerificationMethod: issuer + "#sm2", Created: sm2Now, Signer: sm})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(both, &doc); err != nil {
		t.Fatal(err)
	}
	proofs, _ := doc["proof"].([]any)
	if len(proofs) != 2 {
		t.Fatalf("want a proof set of two, got %v", doc["proof"])
	}
	if _, chained := proofs[1].(map[string]any)["previousProof"]; chained {
		t.Fatal("the SM2 proof must be parallel, not chained")
	}
	strict := VerifyOptions{Now: sm2Now, RequireIssuerKey: true}
	skip := VerifyOptions{Now: sm2Now, RequireIssuerKey: true, SkipUnsupported: true}

	t.Run("gm verifier checks both", func(t *testing.T) {
		res, err := gm.Verify(ctx, both, resolver, strict)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Proofs) != 2 || !res.Proofs[0].Verified || !res.Proofs[1].Verified {
			t.Fatalf("proofs %+v", res.Proofs)
		}
	})
	t.Run("foreign verifier skips SM2", func(t *testing.T) {
		_, err := intl.Verify(ctx, both, resolver, strict)
		wantCode(t, err, CodeUnsupportedCryptosuite)
		res, err := intl.Verify(ctx, both, resolver, skip)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Proofs[0].Verified || !res.Proofs[1].Skipped {
			t.Fatalf("proofs %+v", res.Proofs)
		}
	})
	t.Run("the proofs do not depend on each other", func(t *testing.T) {
		// Each proof alone still verifies: they are parallel signatures
		// over the same unsecured credential.
		for i := range proofs {
			one := map[string]any{}
			for k, v := range doc {
				one[k] = v
			}
			one["proof"] = proofs[i]
			b, _ := json.Marshal(one)
			if _, err := gm.Verify(ctx, b, resolver, strict); err != nil {
				t.Fatalf("proof %d alone: %v", i, err)
			}
		}
	})
	t.Run("tampered subject fails both", func(t *testing.T) {
		bad := bytes.Replace(both, []byte("Example Dataspace"), []byte("Forged Dataspace"), 1)
		for _, v := range []struct {
			p    *Processor
			opts VerifyOptions
		}{{gm, strict}, {intl, skip}} {
			res, err := v.p.Verify(ctx, bad, resolver, v.opts)
			wantCode(t, err, CodeBadSignature)
			if res.Proofs[0].Verified {
				t.Fatal("Ed25519 proof verified a tampered credential")
			}
		}
		res, _ := gm.Verify(ctx, bad, resolver, strict)
		if res.Proofs[1].Verified || CodeOf(res.Proofs[1].Err) != CodeBadSignature {
			t.Fatalf("SM2 proof on a tampered credential: %+v", res.Proofs[1])
		}
	})
	t.Run("tampered SM2 proof", func(t *testing.T) {
		p1 := proofs[1].(map[string]any)
		orig := p1["proofValue"].(string)
		sig, _ := base58.Decode(orig[1:])
		sig[10] ^= 1
		p1["proofValue"] = "z" + base58.Encode(sig)
		defer func() { p1["proofValue"] = orig }()
		b, _ := json.Marshal(doc)
		_, err := gm.Verify(ctx, b, resolver, strict)
		wantCode(t, err, CodeBadSignature)
		// A verifier without the suite cannot see it: it relies on the
		// Ed25519 proof alone, which is intact.
		if _, err := intl.Verify(ctx, b, resolver, skip); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("SM2 proof claimed by an Ed25519 key", func(t *testing.T) {
		p1 := proofs[1].(map[string]any)
		p1["verificationMethod"] = issuer + "#ed25519"
		defer func() { p1["verificationMethod"] = issuer + "#sm2" }()
		b, _ := json.Marshal(doc)
		_, err := gm.Verify(ctx, b, resolver, strict)
		wantCode(t, err, CodeKeyResolution)
	})
	t.Run("signing errors", func(t *testing.T) {
		_, err := gm.AddProof(ctx, mustJSON(t, cred), ProofOptions{Cryptosuite: SM2RDFC2025, VerificationMethod: issuer + "#sm2", Signer: sm})
		wantCode(t, err, CodeMalformed)
		_, err = gm.AddProof(ctx, first, ProofOptions{Cryptosuite: SM2RDFC2025, VerificationMethod: issuer + "#ed25519", Signer: ed})
		wantCode(t, err, CodeUnsupportedCryptosuite)
		_, err = intl.AddProof(ctx, first, ProofOptions{Cryptosuite: SM2RDFC2025, VerificationMethod: issuer + "#sm2", Signer: sm})
		wantCode(t, err, CodeUnsupportedCryptosuite)
	})
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
