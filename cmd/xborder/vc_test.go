package main

import (
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
