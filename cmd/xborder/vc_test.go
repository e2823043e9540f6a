package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVCIssueVerify(t *testing.T) {
	dir := t.TempDir()
	subject := writeFile(t, dir, "subject.json", `{"id": "did:example:alice", "name": "Alice"}`)
	for _, tc := range []struct{ alg, proof string }{
		{"ed25519", "eddsa-rdfc-2022"},
		{"p256", "ecdsa-rdfc-2019"},
		{"ed25519", "jwt"},
		{"p256", "jwt"},
	} {
		t.Run(tc.alg+"/"+tc.proof, func(t *testing.T) {
			key := filepath.Join(dir, tc.alg+"-"+tc.proof+".pem")
			if _, stderr, code := xb(t, dir, "key", "generate", "--alg", tc.alg, "--out", key); code != 0 {
				t.Fatalf("key generate: %s", stderr)
			}
			cred, stderr, code := xb(t, dir, "vc", "issue", "--key", key, "--subject", subject, "--type", "ExampleCredential",
				"--context", "https://www.w3.org/ns/credentials/examples/v2",
				"--proof", tc.proof, "--valid-for", "720h")
			if code != 0 {
				t.Fatalf("vc issue: exit %d: %s", code, stderr)
			}
			file := writeFile(t, dir, tc.proof+".cred", cred)
			out, stderr, code := xb(t, dir, "vc", "verify", file)
			if code != 0 || !strings.Contains(out, `"verified": true`) {
				t.Fatalf("vc verify: exit %d: %s %s", code, out, stderr)
			}
			// The test clock is 2026-04-15; 30 days later the credential has expired.
			if _, stderr, code := xb(t, dir, "vc", "verify", file, "--at", "2026-06-01T00:00:00Z"); code != exitFailure || !strings.Contains(stderr, "expired") {
				t.Errorf("after validUntil: exit %d: %s", code, stderr)
			}
			tampered := strings.Replace(cred, "Alice", "Mallory", 1)
			if tc.proof == "jwt" {
				tampered = cred[:len(cred)-8] + "AAAAAAA\n" // a different signature
			}
			if _, stderr, code := xb(t, dir, "vc", "verify", writeFile(t, dir, "tampered-"+tc.proof, tampered)); code != exitFailure || !strings.Contains(stderr, "bad_signature") {
				t.Errorf("tampered: exit %d: %s", code, stderr)
			}
		})
	}
}

func TestVCBadInput(t *testing.T) {
	dir := t.TempDir()
	ed := filepath.Join(dir, "ed.pem")
	if _, stderr, code := xb(t, dir, "key", "generate", "--alg", "ed25519", "--out", ed); code != 0 {
		t.Fatal(stderr)
	}
	subject := writeFile(t, dir, "s.json", `{"id": "did:example:alice"}`)
	for _, args := range [][]string{
		{"vc", "issue", "--key", ed},
		{"vc", "issue", "--key", ed, "--subject", writeFile(t, dir, "bad.json", "[1,2")},
		{"vc", "issue", "--key", ed, "--subject", subject, "--proof", "ecdsa-rdfc-2019"},
		{"vc", "issue", "--key", ed, "--subject", subject, "--proof", "bbs"},
		{"vc", "issue", "--key", ed, "--subject", subject, "--type", "UndefinedCredential"},
		{"vc", "issue", "--key", ed, "--subject", subject, "--context", "https://example.com/unpinned/v1"},
		{"vc", "issue", "--key", ed, "--subject", subject, "--status-list", "https://example.com/status/1"},
		{"vc", "verify", filepath.Join(dir, "missing.json")},
		{"vc", "verify", subject, "--at", "yesterday"},
	} {
		_, stderr, code := xb(t, dir, args...)
		if code != exitBadInput || !strings.Contains(stderr, "xborder: error:") {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
	// Not a credential at all: invalid (1), with the code.
	_, stderr, code := xb(t, dir, "vc", "verify", subject)
	if code != exitFailure || !strings.Contains(stderr, "malformed") {
		t.Errorf("verify a non-credential: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "ledger.db")); err == nil {
		t.Error("vc commands wrote a ledger")
	}
}

func TestVCSM2AndAddProof(t *testing.T) {
	dir := t.TempDir()
	subject := writeFile(t, dir, "s.json", `{"id": "did:example:alice", "name": "Alice"}`)
	sm2 := filepath.Join(dir, "sm2.pem")
	ed := filepath.Join(dir, "ed.pem")
	for key, alg := range map[string]string{sm2: "sm2", ed: "ed25519"} {
		if _, stderr, code := xb(t, dir, "key", "generate", "--alg", alg, "--out", key); code != 0 {
			t.Fatal(stderr)
		}
	}
	cred, stderr, code := xb(t, dir, "vc", "issue", "--key", sm2, "--subject", subject, "--proof", "sm2")
	if code != 0 {
		t.Fatalf("issue sm2: %s", stderr)
	}
	if !strings.Contains(cred, `"cryptosuite": "xborder-sm2-rdfc-2025"`) {
		t.Errorf("no SM2 proof: %s", cred)
	}
	if out, stderr, code := xb(t, dir, "vc", "verify", writeFile(t, dir, "sm2.json", cred)); code != 0 || !strings.Contains(out, `"verified": true`) {
		t.Errorf("verify sm2: exit %d: %s", code, stderr)
	}

	// An SM2 proof beside an Ed25519 one: two proofs; with did:key issuers
	// the SM2 key is another DID, so the strict verifier names the mismatch.
	edCred, _, code := xb(t, dir, "vc", "issue", "--key", ed, "--subject", subject)
	if code != 0 {
		t.Fatal("issue ed25519")
	}
	keyInfo, _, _ := xb(t, dir, "key", "show", sm2)
	var info struct{ DID string }
	if err := json.Unmarshal([]byte(keyInfo), &info); err != nil {
		t.Fatal(err)
	}
	vmid := info.DID + "#" + strings.TrimPrefix(info.DID, "did:key:")
	dual, stderr, code := xb(t, dir, "vc", "add-proof", "--key", sm2, "--key-id", vmid, writeFile(t, dir, "ed.json", edCred))
	if code != 0 {
		t.Fatalf("add-proof: %s", stderr)
	}
	if strings.Count(dual, `"cryptosuite"`) != 2 {
		t.Errorf("want two proofs: %s", dual)
	}
	if _, stderr, code := xb(t, dir, "vc", "verify", writeFile(t, dir, "dual.json", dual)); code != exitFailure || !strings.Contains(stderr, "issuer_mismatch") {
		t.Errorf("dual proof with a foreign key: exit %d: %s", code, stderr)
	}
	if _, _, code := xb(t, dir, "vc", "add-proof", "--key", ed, "--key-id", vmid, "--proof", "sm2", writeFile(t, dir, "ed2.json", edCred)); code != exitBadInput {
		t.Errorf("add-proof sm2 with an ed25519 key: exit %d", code)
	}
}

func TestVP(t *testing.T) {
	dir := t.TempDir()
	subject := writeFile(t, dir, "s.json", `{"id": "did:example:alice", "name": "Alice"}`)
	issuer := filepath.Join(dir, "issuer.pem")
	holder := filepath.Join(dir, "holder.pem")
	for _, k := range []string{issuer, holder} {
		if _, stderr, code := xb(t, dir, "key", "generate", "--out", k); code != 0 {
			t.Fatal(stderr)
		}
	}
	var creds []string
	for _, proof := range []string{"eddsa-rdfc-2022", "jwt"} {
		c, stderr, code := xb(t, dir, "vc", "issue", "--key", issuer, "--subject", subject, "--proof", proof)
		if code != 0 {
			t.Fatal(stderr)
		}
		creds = append(creds, writeFile(t, dir, proof+".cred", c))
	}
	vp, stderr, code := xb(t, dir, append([]string{"vp", "create", "--key", holder, "--challenge", "nonce-1", "--domain", "verifier.example"}, creds...)...)
	if code != 0 {
		t.Fatalf("vp create: %s", stderr)
	}
	file := writeFile(t, dir, "vp.json", vp)
	out, stderr, code := xb(t, dir, "vp", "verify", file, "--challenge", "nonce-1", "--domain", "verifier.example")
	if code != 0 || !strings.Contains(out, `"credentials": 2`) {
		t.Fatalf("vp verify: exit %d: %s %s", code, out, stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--challenge", "nonce-2", "--domain", "verifier.example"}, "challenge_mismatch"},
		{[]string{"--challenge", "nonce-1", "--domain", "other.example"}, "domain_mismatch"},
		{[]string{"--challenge", "nonce-1", "--domain", "verifier.example", "--at", "2026-04-15T11:00:00Z"}, "expired"},
		{[]string{"--challenge", "nonce-1", "--domain", "verifier.example", "--subject-is-holder"}, "holder_mismatch"},
	} {
		_, stderr, code := xb(t, dir, append([]string{"vp", "verify", file}, tc.args...)...)
		if code != exitFailure || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d: %s (want %s)", tc.args, code, stderr, tc.want)
		}
	}
	if _, _, code := xb(t, dir, "vp", "verify", file); code != exitBadInput {
		t.Errorf("vp verify without challenge: exit %d", code)
	}
}
