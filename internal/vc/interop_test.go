package vc

// Cross-implementation test against the JavaScript reference stack
// (@digitalbazaar/vc with the eddsa-rdfc-2022 and ecdsa-rdfc-2019
// cryptosuites), through the CLI harness in interop/vcjs:
//
//	interop/vcjs/setup.sh        # npm ci of the pinned packages (once)
//	XBORDER_INTEROP=1 go test ./internal/vc -run Interop
//
// Without XBORDER_INTEROP=1 the test is skipped. With it, a missing node or
// interop/vcjs/node_modules is a failure, not a skip.
//
// For each suite and each credential shape:
//
//	(a) xborder signs (did:key issuer), `node verify.mjs --issuer-purpose`
//	    must verify (the issuer must be the key's controller);
//	(b) tampered copies must be rejected by `node verify.mjs` (exit 1), for
//	    their signature;
//	(c) `node issue.mjs` signs with a key derived from the same seed; the Go
//	    verifier (identity.Resolver: did:key, assertionMethod;
//	    RequireIssuerKey) must accept it, and reject tampered copies with
//	    bad_signature.
//
// Also: a proof set (eddsa-rdfc-2022 + ecdsa-rdfc-2019) verifies in JS, and
// an xborder credential with an SM2 proof beside an Ed25519 one verifies in
// JS when JS ignores the proof it has no suite for. Known differences the
// test steers clear of (proof chains, numbers below 1e-6, -0, @direction,
// @json) are listed in interop/vcjs/README.md.
//
// verify.mjs exit status 2 means a harness failure (unreadable file, contexts
// missing or not matching index.json); it is never taken as a verdict.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
)

// interopDir returns interop/vcjs after checking that the harness can run.
func interopDir(t *testing.T) string {
	t.Helper()
	if os.Getenv("XBORDER_INTEROP") != "1" {
		t.Skip("set XBORDER_INTEROP=1 (after interop/vcjs/setup.sh) to run the JavaScript cross-implementation test")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("XBORDER_INTEROP=1 but node is not on PATH: %v", err)
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "interop", "vcjs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"verify.mjs", "issue.mjs", "node_modules/@digitalbazaar/vc/package.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("XBORDER_INTEROP=1 but the harness is not ready (run interop/vcjs/setup.sh): %v", err)
		}
	}
	return dir
}

// node runs `node script args...` in dir and returns stdout, stderr and the
// exit status.
func interopNode(t *testing.T, dir string, args ...string) (stdout, stderr []byte, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.Bytes(), errb.Bytes(), 0
	case errors.As(err, &ee) && ee.Exited():
		return out.Bytes(), errb.Bytes(), ee.ExitCode()
	default:
		t.Fatalf("node %s: %v\nstderr: %s", strings.Join(args, " "), err, errb.Bytes())
		return nil, nil, -1
	}
}

// interopJSVerify writes doc to a temp file and runs `node verify.mjs
// --ignore-status` on it (the harness checks proofs, not status lists). It
// fails the test on a harness error and returns the verdict.
func interopJSVerify(t *testing.T, dir string, doc []byte) (verified bool, msg string) {
	t.Helper()
	return interopJSVerifyArgs(t, dir, doc, "--ignore-status")
}

// interopJSVerifyArgs is interopJSVerify with extra verify.mjs flags.
func interopJSVerifyArgs(t *testing.T, dir string, doc []byte, flags ...string) (verified bool, msg string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "credential.json")
	if err := os.WriteFile(f, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := interopNode(t, dir, append(append([]string{"verify.mjs"}, flags...), f)...)
	var res struct {
		Verified *bool  `json:"verified"`
		Error    string `json:"error"`
	}
	if err := json.Unmarshal(stdout, &res); err != nil || res.Verified == nil {
		t.Fatalf("verify.mjs: exit %d, unparsable output %q (%v), stderr %s", code, stdout, err, stderr)
	}
	switch {
	case code == 0 && *res.Verified:
		return true, ""
	case code == 1 && !*res.Verified:
		return false, res.Error
	default:
		t.Fatalf("verify.mjs: harness failure, exit %d: %s (stderr %s)", code, stdout, stderr)
		return false, ""
	}
}

// interopJSIssue runs `node issue.mjs` on the unsigned credential.
func interopJSIssue(t *testing.T, dir, cryptosuite string, seed []byte, unsigned []byte) []byte {
	t.Helper()
	f := filepath.Join(t.TempDir(), "unsigned.json")
	if err := os.WriteFile(f, unsigned, 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := interopNode(t, dir, "issue.mjs", "--suite", cryptosuite, "--seed", hex.EncodeToString(seed), "--credential", f)
	if code != 0 {
		t.Fatalf("issue.mjs: exit %d: %s", code, stderr)
	}
	return stdout
}

// interopKey derives the key both sides use from a 32-byte seed, the way
// interop/vcjs/keys.mjs does: Ed25519 private key = seed; P-256 private
// scalar = seed (big-endian).
func interopKey(t *testing.T, cryptosuite string, seed []byte) (suite.Signer, *identity.KeyDID) {
	t.Helper()
	var priv crypto.PrivateKey
	var alg suite.Alg
	switch cryptosuite {
	case EdDSARDFC2022:
		alg, priv = suite.Ed25519, ed25519.NewKeyFromSeed(seed)
	case ECDSARDFC2019:
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed)
		if err != nil {
			t.Fatal(err)
		}
		alg, priv = suite.P256, k
	default:
		t.Fatalf("no key for %s", cryptosuite)
	}
	s, err := suite.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := identity.NewKeyDID(alg, s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return s, kd
}

// interopCredentials are the unsigned credentials exchanged in both
// directions (issuer is overwritten with the signer's did:key). They go
// beyond the W3C vectors where the two canonicalisers could disagree:
// nested nodes, arrays, numbers, booleans, typed dates, language-tagged and
// non-ASCII strings, characters N-Quads must escape, an issuer object, a
// Bitstring Status List entry (verify.mjs --ignore-status: proofs only).
var interopCredentials = map[string]string{
	"basic": `{
  "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
  "id": "urn:uuid:0b0f5c4e-3c5b-4d63-9a51-5e4f2f1d0a01",
  "type": ["VerifiableCredential", "ExampleDataCredential"],
  "issuer": "did:example:placeholder",
  "validFrom": "2026-01-01T00:00:00Z",
  "credentialSubject": {"id": "did:example:dataset-42", "name": "Example dataset"}
}`,
	"rich": `{
  "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
  "id": "urn:uuid:1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5",
  "type": ["VerifiableCredential", "ExampleDataCredential"],
  "issuer": {"id": "did:example:placeholder", "name": "Border Data Office 边境数据办公室"},
  "name": {"@value": "数据集合规证明", "@language": "zh-CN"},
  "description": "Line one\nline \"two\"\ttabbed \\ backslash, café, 🙂",
  "validFrom": "2026-01-01T00:00:00Z",
  "validUntil": "2036-01-01T00:00:00Z",
  "credentialSubject": [
    {"id": "did:example:dataset-42", "rows": 1250000, "share": 0.25, "personal": false,
     "jurisdictions": ["CN", "DE", "SG"],
     "steward": {"name": "Ops", "email": "mailto:ops@example.org"}},
    {"id": "urn:example:dataset-43", "rows": 0, "personal": true}
  ]
}`,
	"status": `{
  "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
  "type": ["VerifiableCredential", "ExampleDataCredential"],
  "issuer": "did:example:placeholder",
  "validFrom": "2026-01-01T00:00:00Z",
  "credentialSubject": {"id": "did:example:dataset-44", "name": "Revocable dataset"},
  "credentialStatus": {
    "id": "https://status.example.org/lists/7#42",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "42",
    "statusListCredential": "https://status.example.org/lists/7"
  }
}`,
}

func TestInteropJS(t *testing.T) {
	dir := interopDir(t)
	p := newProcessor(t)
	resolver := identity.NewResolver(identity.ResolverOptions{})
	seed := bytes.Repeat([]byte{0x42}, 32)
	ctx := context.Background()

	for _, cs := range []string{EdDSARDFC2022, ECDSARDFC2019} {
		for name, unsignedText := range interopCredentials {
			t.Run(cs+"/"+name, func(t *testing.T) {
				t.Parallel()
				signer, kd := interopKey(t, cs, seed)
				var unsigned map[string]any
				if err := json.Unmarshal([]byte(unsignedText), &unsigned); err != nil {
					t.Fatal(err)
				}
				interopSetIssuer(unsigned, kd.DID)

				// (a) xborder issues, JS verifies.
				signed, err := p.Sign(ctx, unsigned, ProofOptions{
					Cryptosuite:        cs,
					VerificationMethod: kd.VerificationMethodID(),
					Created:            time.Now().UTC().Truncate(time.Second),
					Signer:             signer,
				})
				if err != nil {
					t.Fatalf("Go Sign: %v", err)
				}
				if _, err := p.Verify(ctx, signed, resolver, VerifyOptions{RequireIssuerKey: true}); err != nil {
					t.Fatalf("Go does not verify its own credential: %v", err)
				}
				// --issuer-purpose: vc's CredentialIssuancePurpose, the
				// issuer must be the key's controller (Go: RequireIssuerKey).
				if ok, msg := interopJSVerifyArgs(t, dir, signed, "--ignore-status", "--issuer-purpose"); !ok {
					t.Fatalf("JS rejects the xborder credential: %s\n%s", msg, signed)
				}

				// (b) tampered xborder credentials: JS rejects them, for
				// the signature (AssertionProofPurpose, so a changed issuer
				// is caught by the signature, not by the issuer check).
				for what, tampered := range interopTamperings(t, signed) {
					if ok, msg := interopJSVerify(t, dir, tampered); ok {
						t.Errorf("JS verifies the xborder credential with %s tampered", what)
					} else if !strings.Contains(strings.ToLower(msg), "signature") {
						t.Errorf("JS rejects the xborder credential with %s tampered, but not for its signature: %s", what, msg)
					}
				}

				// (c) JS issues, xborder verifies; tampered copies fail, with
				// bad_signature (no issuer-key policy, so the signature is
				// what must catch each change).
				jsSigned := interopJSIssue(t, dir, cs, seed, []byte(unsignedText))
				res, err := p.Verify(ctx, jsSigned, resolver, VerifyOptions{RequireIssuerKey: true})
				if err != nil {
					t.Fatalf("Go rejects the JS credential: %v\n%s", err, jsSigned)
				}
				if res.Issuer != kd.DID {
					t.Errorf("JS issuer %q, want %q (the same seed must give the same did:key)", res.Issuer, kd.DID)
				}
				if len(res.Proofs) != 1 || res.Proofs[0].Cryptosuite != cs {
					t.Errorf("proofs %+v, want one %s proof", res.Proofs, cs)
				}
				for what, tampered := range interopTamperings(t, jsSigned) {
					_, err := p.Verify(ctx, tampered, resolver, VerifyOptions{})
					if err == nil {
						t.Errorf("Go verifies the JS credential with %s tampered", what)
					} else if c := CodeOf(err); c != CodeBadSignature {
						t.Errorf("JS credential with %s tampered: code %q (%v), want %q", what, c, err, CodeBadSignature)
					}
				}
			})
		}
	}
}

// TestInteropJSProofSet: a credential carrying an eddsa-rdfc-2022 and an
// ecdsa-rdfc-2019 proof (a proof set, as xborder adds an intl proof beside
// another) verifies in JS, and fails there when either proof is tampered.
// Proof chains (previousProof) are not tested: the JS stack
// (@digitalbazaar/data-integrity 2.5.0) does not implement them and fails
// the W3C chain vectors too.
func TestInteropJSProofSet(t *testing.T) {
	dir := interopDir(t)
	p := newProcessor(t)
	ctx := context.Background()
	seed := bytes.Repeat([]byte{0x43}, 32)
	edSigner, edKey := interopKey(t, EdDSARDFC2022, seed)
	ecSigner, ecKey := interopKey(t, ECDSARDFC2019, seed)
	var unsigned map[string]any
	if err := json.Unmarshal([]byte(interopCredentials["basic"]), &unsigned); err != nil {
		t.Fatal(err)
	}
	interopSetIssuer(unsigned, edKey.DID)
	created := time.Now().UTC().Truncate(time.Second)
	one, err := p.Sign(ctx, unsigned, ProofOptions{Cryptosuite: EdDSARDFC2022, VerificationMethod: edKey.VerificationMethodID(), Created: created, Signer: edSigner})
	if err != nil {
		t.Fatal(err)
	}
	both, err := p.Sign(ctx, one, ProofOptions{Cryptosuite: ECDSARDFC2019, VerificationMethod: ecKey.VerificationMethodID(), Created: created, Signer: ecSigner})
	if err != nil {
		t.Fatal(err)
	}
	if ok, msg := interopJSVerify(t, dir, both); !ok {
		t.Fatalf("JS rejects the xborder proof set: %s\n%s", msg, both)
	}
	for i := 0; i < 2; i++ {
		var doc map[string]any
		if err := json.Unmarshal(both, &doc); err != nil {
			t.Fatal(err)
		}
		doc["proof"].([]any)[i].(map[string]any)["created"] = "2020-01-01T00:00:00Z"
		tampered, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := interopJSVerify(t, dir, tampered); ok {
			t.Errorf("JS verifies the proof set with proof %d tampered", i)
		}
	}
}

// TestInteropJSSM2BesideIntl: xborder's gm credential carries an SM2 proof
// (xborder-sm2-rdfc-2025, no registered suite) beside an eddsa-rdfc-2022
// one, so that foreign verifiers still verify it. The JS stack, ignoring the
// proof it has no suite for (verify.mjs --skip-unsupported, which is what
// jsonld-signatures does with unmatched proofs), must accept it on the
// Ed25519 proof, and reject it when the credential is tampered.
func TestInteropJSSM2BesideIntl(t *testing.T) {
	dir := interopDir(t)
	p, err := New(WithSM2())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	edSigner, edKey := interopKey(t, EdDSARDFC2022, bytes.Repeat([]byte{0x44}, 32))
	smSigner, err := suite.Generate(suite.SM2, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	smKey, err := identity.NewKeyDID(suite.SM2, smSigner.Public())
	if err != nil {
		t.Fatal(err)
	}
	var unsigned map[string]any
	if err := json.Unmarshal([]byte(interopCredentials["basic"]), &unsigned); err != nil {
		t.Fatal(err)
	}
	interopSetIssuer(unsigned, edKey.DID)
	created := time.Now().UTC().Truncate(time.Second)
	one, err := p.Sign(ctx, unsigned, ProofOptions{Cryptosuite: EdDSARDFC2022, VerificationMethod: edKey.VerificationMethodID(), Created: created, Signer: edSigner})
	if err != nil {
		t.Fatal(err)
	}
	both, err := p.AddProof(ctx, one, ProofOptions{Cryptosuite: SM2RDFC2025, VerificationMethod: smKey.VerificationMethodID(), Created: created, Signer: smSigner})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Verify(ctx, both, identity.NewResolver(identity.ResolverOptions{}), VerifyOptions{}); err != nil {
		t.Fatalf("Go does not verify its own Ed25519+SM2 credential: %v", err)
	}
	if ok, msg := interopJSVerifyArgs(t, dir, both, "--skip-unsupported"); !ok {
		t.Fatalf("JS (ignoring the SM2 proof) rejects the xborder credential: %s\n%s", msg, both)
	}
	if ok, _ := interopJSVerifyArgs(t, dir, both); ok {
		t.Errorf("JS without --skip-unsupported verifies a credential with an SM2 proof it cannot check")
	}
	var doc map[string]any
	if err := json.Unmarshal(both, &doc); err != nil {
		t.Fatal(err)
	}
	doc["credentialSubject"].(map[string]any)["name"] = "Tampered dataset"
	tampered, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := interopJSVerifyArgs(t, dir, tampered, "--skip-unsupported"); ok {
		t.Errorf("JS verifies the tampered Ed25519+SM2 credential")
	}
}

func interopSetIssuer(doc map[string]any, did string) {
	if iss, ok := doc["issuer"].(map[string]any); ok {
		iss["id"] = did
		return
	}
	doc["issuer"] = did
}

// interopTamperings returns modified copies of a signed credential, each still
// well-formed (so the only reason to reject it is the signature): a subject
// id, a subject value, the issuer, the proof's created time.
func interopTamperings(t *testing.T, signed []byte) map[string][]byte {
	t.Helper()
	mutate := func(f func(doc map[string]any)) []byte {
		var doc map[string]any
		if err := json.Unmarshal(signed, &doc); err != nil {
			t.Fatal(err)
		}
		f(doc)
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	firstSubject := func(doc map[string]any) map[string]any {
		switch s := doc["credentialSubject"].(type) {
		case map[string]any:
			return s
		case []any:
			return s[0].(map[string]any)
		}
		t.Fatalf("credentialSubject of unexpected shape")
		return nil
	}
	return map[string][]byte{
		"credentialSubject.id": mutate(func(doc map[string]any) {
			firstSubject(doc)["id"] = "did:example:someone-else"
		}),
		"credentialSubject value": mutate(func(doc map[string]any) {
			sub := firstSubject(doc)
			for k, v := range sub {
				if str, ok := v.(string); ok && k != "id" {
					sub[k] = str + " (tampered)"
					return
				}
			}
			sub["name"] = "tampered"
		}),
		"issuer": mutate(func(doc map[string]any) {
			// another valid did:key (the W3C vectors' Ed25519 key)
			interopSetIssuer(doc, "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
		}),
		"proof.created": mutate(func(doc map[string]any) {
			doc["proof"].(map[string]any)["created"] = "2020-01-01T00:00:00Z"
		}),
	}
}
