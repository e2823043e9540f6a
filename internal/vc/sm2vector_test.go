package vc

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/emmansun/gmsm/sm3"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
)

// sm2Vector is testdata/sm2/vector.json: a credential signed once with
// xborder-sm2-rdfc-2025 and every intermediate value, for regression and for
// other implementations. Regenerate with XBORDER_WRITE_VECTORS=1 (SM2
// signing is randomised, so the signature changes each time).
type sm2Vector struct {
	Note                 string          `json:"note"`
	VerificationMethod   string          `json:"verificationMethod"`
	UserID               string          `json:"userId"`
	CanonicalProofConfig string          `json:"canonicalProofConfig"`
	CanonicalDocument    string          `json:"canonicalDocument"`
	HashData             string          `json:"hashDataHex"`
	Signed               json.RawMessage `json:"signed"`
}

const sm2VectorFile = "testdata/sm2/vector.json"

func TestSM2Vector(t *testing.T) {
	ctx := context.Background()
	p := newSM2Processor(t)
	if os.Getenv("XBORDER_WRITE_VECTORS") == "1" {
		writeSM2Vector(t, p)
	}
	b, err := os.ReadFile(sm2VectorFile)
	if err != nil {
		t.Fatal(err)
	}
	var v sm2Vector
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(v.Signed, &doc); err != nil {
		t.Fatal(err)
	}
	unsecured := withoutProof(doc)
	docCanon, err := p.Canonicalize(ctx, unsecured)
	if err != nil {
		t.Fatal(err)
	}
	cfgCanon, err := p.Canonicalize(ctx, proofConfig(doc["proof"].(map[string]any), unsecured["@context"]))
	if err != nil {
		t.Fatal(err)
	}
	if string(docCanon) != v.CanonicalDocument || string(cfgCanon) != v.CanonicalProofConfig {
		t.Fatalf("canonical forms changed:\n%s\n%s", docCanon, cfgCanon)
	}
	h1, h2 := sm3.Sum(cfgCanon), sm3.Sum(docCanon)
	if got := hex.EncodeToString(append(h1[:], h2[:]...)); got != v.HashData {
		t.Fatalf("hashData %s, want %s", got, v.HashData)
	}
	if _, err := p.Verify(ctx, v.Signed, identity.NewResolver(identity.ResolverOptions{}), VerifyOptions{Now: sm2Now, RequireIssuerKey: true}); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(v.Signed, []byte("Example Dataspace"), []byte("Example Dataspacf"), 1)
	_, err = p.Verify(ctx, bad, identity.NewResolver(identity.ResolverOptions{}), VerifyOptions{Now: sm2Now})
	wantCode(t, err, CodeBadSignature)
}

func writeSM2Vector(t *testing.T, p *Processor) {
	ctx := context.Background()
	s, k := keyDID(t, suite.SM2)
	signed, err := p.Sign(ctx, testCredential(k.DID, "did:example:alice"), ProofOptions{Cryptosuite: SM2RDFC2025,
		VerificationMethod: k.VerificationMethodID(), Created: sm2Now, Signer: s})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(signed, &doc); err != nil {
		t.Fatal(err)
	}
	unsecured := withoutProof(doc)
	docCanon, _ := p.Canonicalize(ctx, unsecured)
	cfgCanon, _ := p.Canonicalize(ctx, proofConfig(doc["proof"].(map[string]any), unsecured["@context"]))
	h1, h2 := sm3.Sum(cfgCanon), sm3.Sum(docCanon)
	v := sm2Vector{
		Note: "xborder-sm2-rdfc-2025: hashData = SM3(canonicalProofConfig) || SM3(canonicalDocument); " +
			"proofValue = z + base58btc(r||s) of SM2 over hashData, e = SM3(Z || hashData), Z with userId",
		VerificationMethod:   k.VerificationMethodID(),
		UserID:               suite.DefaultSM2UID,
		CanonicalProofConfig: string(cfgCanon),
		CanonicalDocument:    string(docCanon),
		HashData:             hex.EncodeToString(append(h1[:], h2[:]...)),
		Signed:               signed,
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(sm2VectorFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sm2VectorFile, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
