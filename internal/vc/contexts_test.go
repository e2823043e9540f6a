package vc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestPinnedContextsMatchIndex(t *testing.T) {
	pinned, err := PinnedContexts()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"https://w3id.org/citizenship/v4rc1",
		"https://w3id.org/dspace/2025/1/context.jsonld",
		"https://w3id.org/dspace/2025/1/odrl-profile.jsonld",
		"https://w3id.org/security/data-integrity/v2",
		"https://w3id.org/security/jwk/v1",
		"https://w3id.org/security/multikey/v1",
		"https://www.w3.org/2018/credentials/v1",
		"https://www.w3.org/ns/cid/v1",
		"https://www.w3.org/ns/credentials/examples/v2",
		"https://www.w3.org/ns/credentials/status/v1",
		"https://www.w3.org/ns/credentials/v2",
		"https://www.w3.org/ns/did/v1",
		"https://www.w3.org/ns/odrl.jsonld",
	}
	if len(pinned) != len(want) {
		t.Fatalf("%d pinned contexts, want %d: %+v", len(pinned), len(want), pinned)
	}
	for i, c := range pinned {
		if c.URL != want[i] {
			t.Errorf("context %d: %s, want %s", i, c.URL, want[i])
		}
		b, err := contextFS.ReadFile("contexts/" + c.File)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != c.SHA256 || len(b) != c.Bytes {
			t.Errorf("%s: sha256 %s (%d bytes), index says %s (%d bytes)", c.URL, got, len(b), c.SHA256, c.Bytes)
		}
		if c.Licence == "" || c.Repository == "" || c.Commit == "" {
			t.Errorf("%s: provenance missing from the index", c.URL)
		}
		// Byte-exact with the shared collection when it is present.
		if shared, err := os.ReadFile(filepath.Join(vectorsDir, "jsonld-contexts", c.File)); err == nil && !bytes.Equal(shared, b) {
			t.Errorf("%s differs from the shared copy", c.File)
		}
	}
	lic, err := fs.ReadDir(contextFS, "contexts/LICENSES")
	if err != nil || len(lic) == 0 {
		t.Fatalf("licence texts not embedded: %v", err)
	}
}

func TestLoaderServesOnlyPinned(t *testing.T) {
	l, err := NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	rd, err := l.LoadDocument(ContextV2)
	if err != nil {
		t.Fatal(err)
	}
	// Every call hands out a fresh copy.
	rd.Document.(map[string]any)["@context"] = "mutated"
	rd2, err := l.LoadDocument(ContextV2)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rd2.Document.(map[string]any)["@context"].(map[string]any); !ok {
		t.Fatal("loader handed out a shared document")
	}
	for _, u := range []string{
		"https://example.com/context",
		"https://w3id.org/security/suites/ed25519-2020/v1", // in the index, deliberately not bundled
		"https://www.w3.org/ns/credentials/v2/",
		"http://www.w3.org/ns/credentials/v2",
		"",
	} {
		_, err := l.LoadDocument(u)
		wantCode(t, err, CodeUnknownContext)
	}
}
