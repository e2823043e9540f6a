package witness

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// TestCosignerInterop checks our cosigner against transparency-dev/formats,
// which tessera uses to verify witness replies: same key ID, same vkey, and
// signatures that verify in both directions.
func TestCosignerInterop(t *testing.T) {
	skey, vkey, err := GenerateKey(bytes.NewReader(bytes.Repeat([]byte{5}, 32)), "witness.example/w1")
	if err != nil {
		t.Fatal(err)
	}
	_, key64, _ := strings.Cut(vkey[strings.IndexByte(vkey, '+')+1:], "+")
	if raw, _ := base64.StdEncoding.DecodeString(key64); len(raw) != 33 || raw[0] != 0x04 {
		t.Fatalf("vkey %q is not a cosignature/v1 (0x04) key", vkey)
	}
	c, err := NewCosigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	if c.VerifierKey() != vkey {
		t.Errorf("VerifierKey %q, GenerateKey gave %q", c.VerifierKey(), vkey)
	}
	ref, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != ref.Name() || c.KeyHash() != ref.KeyHash() {
		t.Errorf("name/key ID %s/%08x, formats has %s/%08x", c.Name(), c.KeyHash(), ref.Name(), ref.KeyHash())
	}
	refV, err := fnote.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		t.Fatal(err)
	}
	text := &note.Note{Text: "example.com/log\n3\n" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n"}
	for name, tc := range map[string]struct {
		s note.Signer
		v note.Verifier
	}{
		"ours verified by formats": {c, refV},
		"formats verified by ours": {ref, c.Verifier()},
	} {
		signed, err := note.Sign(text, tc.s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := note.Open(signed, note.VerifierList(tc.v)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The exact message: "cosignature/v1\ntime <t>\n" + text.
	line, err := c.sigLine(1679315147, []byte(text.Text))
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(append([]byte(text.Text+"\n"), line...), note.VerifierList(refV))
	if err != nil {
		t.Fatal(err)
	}
	if ts, _ := fnote.CoSigV1Timestamp(n.Sigs[0]); ts.Unix() != 1679315147 {
		t.Errorf("timestamp %v", ts)
	}
	if _, err := c.signAt(-1, []byte(text.Text)); err == nil {
		t.Error("negative time accepted")
	}
}

func TestNewCosignerRejects(t *testing.T) {
	skey, _, err := GenerateKey(rand.Reader, "w")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(skey, "+")
	for name, k := range map[string]string{
		"empty":       "",
		"public key":  strings.Join(f[2:], "+"),
		"bad hash":    strings.Join([]string{f[0], f[1], f[2], "00000000", f[4]}, "+"),
		"renamed":     strings.Join([]string{f[0], f[1], "other", f[3], f[4]}, "+"),
		"short key":   strings.Join([]string{f[0], f[1], f[2], f[3], "AQID"}, "+"),
		"not base64":  strings.Join([]string{f[0], f[1], f[2], f[3], "!!!"}, "+"),
		"name spaced": strings.Join([]string{f[0], f[1], "a b", f[3], f[4]}, "+"),
	} {
		if _, err := NewCosigner(k); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), f[4]) {
			t.Errorf("%s: error reveals the private key: %v", name, err)
		}
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "witness.key")
	skey, vkey, err := GenerateKey(rand.Reader, "witness.example/w1")
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyFile(p, skey); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %#o, want 0600", fi.Mode().Perm())
	}
	if err := WriteKeyFile(p, skey); err == nil {
		t.Error("overwrote an existing key file")
	}
	c, err := LoadKeyFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.VerifierKey() != vkey {
		t.Errorf("loaded %q, want %q", c.VerifierKey(), vkey)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyFile(p); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key: %v", err)
	}
	if err := WriteKeyFile(filepath.Join(dir, "bad.key"), "PRIVATE+KEY+x"); err == nil {
		t.Error("wrote a malformed key")
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.key")); err == nil {
		t.Error("malformed key left a file")
	}
}
