package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyAndDID(t *testing.T) {
	dir := t.TempDir()
	for _, alg := range []string{"ed25519", "p256", "sm2"} {
		t.Run(alg, func(t *testing.T) {
			key := filepath.Join(dir, alg+".pem")
			out, stderr, code := xb(t, dir, "key", "generate", "--alg", alg, "--out", key)
			if code != 0 {
				t.Fatalf("key generate: exit %d: %s", code, stderr)
			}
			var info struct{ Alg, DID string }
			if err := json.Unmarshal([]byte(out), &info); err != nil || info.Alg != alg || !strings.HasPrefix(info.DID, "did:key:z") {
				t.Fatalf("key info %q (%v)", out, err)
			}
			fi, err := os.Stat(key)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("key file mode %v (%v), want 0600", fi.Mode().Perm(), err)
			}
			if _, _, code := xb(t, dir, "key", "generate", "--alg", alg, "--out", key); code != exitBadInput {
				t.Errorf("overwriting a key without --force: exit %d, want %d", code, exitBadInput)
			}
			show, _, code := xb(t, dir, "key", "show", key)
			if code != 0 || !strings.Contains(show, info.DID) {
				t.Errorf("key show: exit %d, %s", code, show)
			}

			doc, stderr, code := xb(t, dir, "did", "create", "--method", "key", "--key", key)
			if code != 0 || !strings.Contains(doc, `"id": "`+info.DID+`"`) {
				t.Fatalf("did create: exit %d: %s %s", code, doc, stderr)
			}
			res, stderr, code := xb(t, dir, "did", "resolve", info.DID)
			if code != 0 {
				t.Fatalf("did resolve: exit %d: %s", code, stderr)
			}
			var r struct {
				DIDDocument struct{ ID string } `json:"didDocument"`
			}
			if err := json.Unmarshal([]byte(res), &r); err != nil || r.DIDDocument.ID != info.DID {
				t.Errorf("resolved %q (%v)", res, err)
			}

			web, stderr, code := xb(t, dir, "did", "create", "--method", "web", "--key", key, "--host", "example.com", "--path", "datasets,42",
				"--dsp", "https://example.com/dsp")
			if code != 0 || !strings.Contains(web, `"id": "did:web:example.com:datasets:42"`) || !strings.Contains(web, `"DataService"`) {
				t.Errorf("did create web: exit %d: %s %s", code, web, stderr)
			}
		})
	}
}

func TestKeyAndDIDBadInput(t *testing.T) {
	dir := t.TempDir()
	notKey := writeFile(t, dir, "x.pem", "hello")
	for _, args := range [][]string{
		{"key", "generate", "--alg", "rsa", "--out", filepath.Join(dir, "r.pem")},
		{"key", "generate", "--alg", "ed25519"},
		{"key", "show", notKey},
		{"key", "show", filepath.Join(dir, "missing.pem")},
		{"did", "create", "--method", "key"},
		{"did", "create", "--method", "plc", "--key", notKey},
		{"did", "resolve", "did:bogus"},
		{"did", "resolve", "did:key:zNotAKey"},
	} {
		_, stderr, code := xb(t, dir, args...)
		if code != exitBadInput && !(args[1] == "resolve" && code == exitFailure) {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
		if !strings.Contains(stderr, "xborder: error:") {
			t.Errorf("%v: no error on stderr: %q", args, stderr)
		}
	}
}
