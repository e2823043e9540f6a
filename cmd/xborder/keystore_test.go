package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// xbPass runs xborder with a data directory and a key store passphrase in
// the environment.
func xbPass(t *testing.T, dataDir, pass string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	home := t.TempDir()
	e := &env{
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string {
			switch k {
			case "XBORDER_DATA_DIR":
				return dataDir
			case "HOME":
				return home
			case passphraseEnv:
				return pass
			}
			return ""
		},
		now: func() time.Time { return time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC) },
	}
	code := run(context.Background(), e, args)
	return out.String(), errb.String(), code
}

// TestKeyStoreFlow: generate a stored key, issue and verify with it,
// rotate (the old DID stays listed, new credentials use the new key), and
// the failure modes: no passphrase, wrong passphrase, unknown name,
// duplicate name, both --out and --store. Nothing in the store is readable
// without the passphrase.
func TestKeyStoreFlow(t *testing.T) {
	dir := t.TempDir()
	const pass = "correct horse battery staple"
	out, stderr, code := xbPass(t, dir, pass, "key", "generate", "--alg", "ed25519", "--store", "issuer")
	if code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	var gen struct{ DID string }
	if err := json.Unmarshal([]byte(out), &gen); err != nil || !strings.HasPrefix(gen.DID, "did:key:z6Mk") {
		t.Fatalf("generate output %q: %v", out, err)
	}

	subject := filepath.Join(dir, "subject.json")
	os.WriteFile(subject, []byte(`{"id": "did:example:alice"}`), 0o600)
	cred, stderr, code := xbPass(t, dir, pass, "vc", "issue", "--key", "store:issuer", "--subject", subject)
	if code != 0 {
		t.Fatalf("issue: exit %d: %s", code, stderr)
	}
	if !strings.Contains(cred, gen.DID) {
		t.Fatal("credential not issued by the stored key's DID")
	}
	credFile := filepath.Join(dir, "cred.json")
	os.WriteFile(credFile, []byte(cred), 0o600)
	if _, stderr, code := xbPass(t, dir, "", "vc", "verify", credFile); code != 0 {
		t.Fatalf("verify: exit %d: %s", code, stderr)
	}

	// Rotation: a new current version; the old DID is still listed.
	out, stderr, code = xbPass(t, dir, pass, "key", "rotate", "issuer")
	if code != 0 {
		t.Fatalf("rotate: exit %d: %s", code, stderr)
	}
	var rotated storedKeyInfo
	if err := json.Unmarshal([]byte(out), &rotated); err != nil || len(rotated.Versions) != 2 {
		t.Fatalf("rotate output %q: %v", out, err)
	}
	if rotated.Versions[0].DID != gen.DID || rotated.Versions[0].Current || !rotated.Versions[1].Current || rotated.Versions[1].DID == gen.DID {
		t.Fatalf("versions after rotation: %+v", rotated.Versions)
	}
	out, _, code = xbPass(t, dir, pass, "key", "show", "store:issuer")
	if code != 0 || !strings.Contains(out, rotated.Versions[1].DID) {
		t.Fatalf("show after rotation: exit %d: %s", code, out)
	}
	out, _, code = xbPass(t, dir, pass, "key", "list")
	if code != 0 || !strings.Contains(out, gen.DID) || !strings.Contains(out, rotated.Versions[1].DID) {
		t.Fatalf("list: exit %d: %s", code, out)
	}

	cases := []struct {
		name string
		pass string
		args []string
		want string
	}{
		{"no passphrase", "", []string{"key", "show", "store:issuer"}, passphraseEnv},
		{"wrong passphrase", "wrong", []string{"key", "show", "store:issuer"}, "wrong passphrase"},
		{"unknown key", pass, []string{"vc", "issue", "--key", "store:nobody", "--subject", subject}, "no such key"},
		{"duplicate name", pass, []string{"key", "generate", "--store", "issuer"}, "already exists"},
		{"bad name", pass, []string{"key", "generate", "--store", "../escape"}, "key name"},
		{"both outputs", pass, []string{"key", "generate", "--store", "x", "--out", filepath.Join(dir, "x.pem")}, "exactly one"},
		{"rotate unknown", pass, []string{"key", "rotate", "nobody"}, "no such key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := storeFiles(t, dir)
			_, stderr, code := xbPass(t, dir, c.pass, c.args...)
			if code != exitBadInput || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 mentioning %q", code, stderr, c.want)
			}
			if after := storeFiles(t, dir); after != before {
				t.Errorf("the key store changed:\n%s\nbecame\n%s", before, after)
			}
		})
	}

	// No private key material in clear anywhere in the store.
	filepath.Walk(filepath.Join(dir, "keystore"), func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is mode %v, want owner-only", path, fi.Mode().Perm())
		}
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte("PRIVATE KEY")) || bytes.Contains(b, []byte(`"d"`)) {
			t.Errorf("%s holds a key in clear", path)
		}
		return nil
	})
}

// storeFiles lists the key store's files and sizes, to show that a failed
// command changed nothing.
func storeFiles(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(filepath.Join(dir, "keystore"), func(path string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			c, _ := os.ReadFile(path)
			fmt.Fprintf(&b, "%s %x\n", path, sha256.Sum256(c))
		}
		return nil
	})
	return b.String()
}
