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
// Presentations (TestInteropJSPresentation): eddsa-rdfc-2022 presentations
// that embed credentials (Data Integrity ones signed on either side, and a
// vc+jwt EnvelopedVerifiableCredential) are signed by JS (`node
// sign-presentation.mjs`: vc.signPresentation with challenge and domain)
// and verified by xborder (VerifyPresentation), and signed by xborder
// (SignPresentation) and verified by JS (`node verify-presentation.mjs`:
// vc.verify); tampered copies fail on both sides. What both sign puts each
// embedded credential in a named graph of its own (verifiableCredential is
// an @graph container; see internal/jsonld's package doc).
//
// verify.mjs and verify-presentation.mjs exit status 2 means a harness
// failure (unreadable file, contexts missing or not matching index.json);
// it is never taken as a verdict.

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
	for _, f := range []string{"verify.mjs", "issue.mjs", "sign-presentation.mjs", "verify-presentation.mjs", "node_modules/@digitalbazaar/vc/package.json"} {
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
	return interopJSVerdict(t, dir, "verify.mjs", doc, flags...)
}

// interopJSVerdict writes doc to a temp file and runs `node script
// flags... FILE`, a verifier that prints {"verified", "error"} (verify.mjs,
// verify-presentation.mjs). It fails the test on a harness error and
// returns the verdict.
func interopJSVerdict(t *testing.T, dir, script string, doc []byte, flags ...string) (verified bool, msg string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "document.json")
	if err := os.WriteFile(f, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := interopNode(t, dir, append(append([]string{script}, flags...), f)...)
	var res struct {
		Verified *bool  `json:"verified"`
		Error    string `json:"error"`
	}
	if err := json.Unmarshal(stdout, &res); err != nil || res.Verified == nil {
		t.Fatalf("%s: exit %d, unparsable output %q (%v), stderr %s", script, code, stdout, err, stderr)
	}
	switch {
	case code == 0 && *res.Verified:
		return true, ""
	case code == 1 && !*res.Verified:
		return false, res.Error
	default:
		t.Fatalf("%s: harness failure, exit %d: %s (stderr %s)", script, code, stdout, stderr)
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

// interopJSSignPresentation runs `node sign-presentation.mjs` on the
// unsigned presentation: eddsa-rdfc-2022, the holder key derived from seed
// (the holder is overwritten with its did:key), challenge and domain.
func interopJSSignPresentation(t *testing.T, dir string, seed, unsigned []byte, challenge, domain string) []byte {
	t.Helper()
	f := filepath.Join(t.TempDir(), "presentation.json")
	if err := os.WriteFile(f, unsigned, 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := interopNode(t, dir, "sign-presentation.mjs", "--suite", EdDSARDFC2022,
		"--seed", hex.EncodeToString(seed), "--presentation", f, "--challenge", challenge, "--domain", domain)
	if code != 0 {
		t.Fatalf("sign-presentation.mjs: exit %d: %s", code, stderr)
	}
	return stdout
}

// interopVPTamperings returns modified copies of a signed presentation
// whose first credential is a Data Integrity credential with a
// credentialSubject name, each still well-formed, so that only the
// presentation's signature can catch the change (a credential's own proof
// catches it too where the change is inside that credential).
func interopVPTamperings(t *testing.T, signed []byte, otherDID string) map[string][]byte {
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
	creds := func(doc map[string]any) []any { return doc["verifiableCredential"].([]any) }
	return map[string][]byte{
		"embedded credential's subject": mutate(func(doc map[string]any) {
			sub := creds(doc)[0].(map[string]any)["credentialSubject"].(map[string]any)
			sub["name"] = sub["name"].(string) + " (tampered)"
		}),
		"embedded credential's proof": mutate(func(doc map[string]any) {
			creds(doc)[0].(map[string]any)["proof"].(map[string]any)["created"] = "2020-01-01T00:00:00Z"
		}),
		"embedded credential removed": mutate(func(doc map[string]any) {
			doc["verifiableCredential"] = creds(doc)[:len(creds(doc))-1]
		}),
		"holder": mutate(func(doc map[string]any) {
			doc["holder"] = otherDID
		}),
		"presentation proof created": mutate(func(doc map[string]any) {
			pr := doc["proof"].(map[string]any)
			created, err := time.Parse(time.RFC3339, pr["created"].(string))
			if err != nil {
				t.Fatal(err)
			}
			pr["created"] = created.Add(-time.Second).UTC().Format(time.RFC3339)
		}),
	}
}

// TestInteropJSPresentation: eddsa-rdfc-2022 presentations embedding
// credentials, in both directions (see the file comment). Each case's
// credentials are about the holder and issued by a did:key issuer; the
// Data Integrity ones are one signed here and one signed by JS (issue.mjs).
// With the enveloped vc+jwt credential, JS checks the presentation's own
// proof only (vc.verify cannot verify an envelope); xborder verifies the
// envelope too.
func TestInteropJSPresentation(t *testing.T) {
	dir := interopDir(t)
	p := newProcessor(t)
	ctx := context.Background()
	resolver := identity.NewResolver(identity.ResolverOptions{})
	issuerSeed, holderSeed := bytes.Repeat([]byte{0x45}, 32), bytes.Repeat([]byte{0x46}, 32)
	issuer, issuerKey := interopKey(t, EdDSARDFC2022, issuerSeed)
	holder, holderKey := interopKey(t, EdDSARDFC2022, holderSeed)
	const challenge, domain = "c-5e0b7f21-9d4a-4c3e-b1f6-2a8d7e6c5b4a", "https://verifier.example"

	var unsigned map[string]any
	if err := json.Unmarshal([]byte(interopCredentials["basic"]), &unsigned); err != nil {
		t.Fatal(err)
	}
	unsigned["issuer"] = issuerKey.DID
	unsigned["credentialSubject"].(map[string]any)["id"] = holderKey.DID
	unsignedJSON, err := json.Marshal(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Now().UTC().Truncate(time.Second)
	goCred, err := p.Sign(ctx, unsigned, ProofOptions{Cryptosuite: EdDSARDFC2022,
		VerificationMethod: issuerKey.VerificationMethodID(), Created: created, Signer: issuer})
	if err != nil {
		t.Fatal(err)
	}
	jsCred := interopJSIssue(t, dir, EdDSARDFC2022, issuerSeed, unsignedJSON)
	jwtCred, err := p.SignJWT(ctx, unsigned, JWTOptions{Signer: issuer, KeyID: issuerKey.VerificationMethodID()})
	if err != nil {
		t.Fatal(err)
	}
	vopts := PresentationOptions{Challenge: challenge, Domain: domain,
		HolderResolver: KeysFor(resolver, identity.Authentication), RequireHolderKey: true,
		RequireSubjectHolder: true, RequireIssuerKey: true}

	cases := []struct {
		name  string
		creds []any
		// jsFlags: verify-presentation.mjs flags
		jsFlags []string
	}{
		{"Data Integrity credentials", []any{goCred, jsCred}, nil},
		{"with an enveloped vc+jwt credential", []any{goCred, enveloped(jwtCred)}, []string{"--skip-credentials"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			jsVerify := func(vp []byte, ch, dom string) (bool, string) {
				return interopJSVerdict(t, dir, "verify-presentation.mjs",
					vp, append([]string{"--challenge", ch, "--domain", dom}, tc.jsFlags...)...)
			}
			vp := presentation(t, holderKey.DID, tc.creds...)
			vpJSON, err := json.Marshal(vp)
			if err != nil {
				t.Fatal(err)
			}

			// (a) JS signs, xborder verifies; tampered copies fail with
			// bad_signature.
			jsVP := interopJSSignPresentation(t, dir, holderSeed, vpJSON, challenge, domain)
			if ok, msg := jsVerify(jsVP, challenge, domain); !ok {
				t.Fatalf("JS does not verify its own presentation: %s\n%s", msg, jsVP)
			}
			res, err := p.VerifyPresentation(ctx, jsVP, resolver, vopts)
			if err != nil {
				t.Fatalf("Go rejects the JS presentation: %v\n%s", err, jsVP)
			}
			if res.Holder != holderKey.DID {
				t.Errorf("holder %q, want %q", res.Holder, holderKey.DID)
			}
			if len(res.Proofs) != 1 || res.Proofs[0].Cryptosuite != EdDSARDFC2022 || res.Proofs[0].VerificationMethod != holderKey.VerificationMethodID() {
				t.Errorf("presentation proofs %+v, want one %s proof by %s", res.Proofs, EdDSARDFC2022, holderKey.VerificationMethodID())
			}
			if len(res.Credentials) != len(tc.creds) {
				t.Fatalf("%d credential results, want %d", len(res.Credentials), len(tc.creds))
			}
			for i, r := range res.Credentials {
				if !r.Verified || r.Issuer != issuerKey.DID {
					t.Errorf("credential %d: verified %v, issuer %q", i, r.Verified, r.Issuer)
				}
			}
			for what, tampered := range interopVPTamperings(t, jsVP, issuerKey.DID) {
				_, err := p.VerifyPresentation(ctx, tampered, resolver, vopts)
				if err == nil {
					t.Errorf("Go verifies the JS presentation with %s tampered", what)
				} else if c := CodeOf(err); c != CodeBadSignature {
					t.Errorf("JS presentation with %s tampered: code %q (%v), want %q", what, c, err, CodeBadSignature)
				}
			}

			// (b) xborder signs, JS verifies (and checks challenge and
			// domain); tampered copies fail there, for the signature.
			goVP := interopSignPresentation(t, p, vp, ProofOptions{Cryptosuite: EdDSARDFC2022, VerificationMethod: holderKey.VerificationMethodID(),
				Challenge: challenge, Domain: domain, Created: time.Now().UTC().Truncate(time.Second), Signer: holder})
			if _, err := p.VerifyPresentation(ctx, goVP, resolver, vopts); err != nil {
				t.Fatalf("Go does not verify its own presentation: %v", err)
			}
			if ok, msg := jsVerify(goVP, challenge, domain); !ok {
				t.Fatalf("JS rejects the xborder presentation: %s\n%s", msg, goVP)
			}
			if ok, _ := jsVerify(goVP, challenge+"x", domain); ok {
				t.Errorf("JS verifies the xborder presentation with another challenge")
			}
			if ok, _ := jsVerify(goVP, challenge, "https://other.example"); ok {
				t.Errorf("JS verifies the xborder presentation for another domain")
			}
			for what, tampered := range interopVPTamperings(t, goVP, issuerKey.DID) {
				if ok, msg := jsVerify(tampered, challenge, domain); ok {
					t.Errorf("JS verifies the xborder presentation with %s tampered", what)
				} else if !strings.Contains(strings.ToLower(msg), "signature") {
					t.Errorf("JS rejects the xborder presentation with %s tampered, but not for its signature: %s", what, msg)
				}
			}
		})
	}
}

// interopSignPresentation is SignPresentation, failing the test on error.
func interopSignPresentation(t *testing.T, p *Processor, vp map[string]any, opts ProofOptions) []byte {
	t.Helper()
	b, err := p.SignPresentation(context.Background(), vp, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
