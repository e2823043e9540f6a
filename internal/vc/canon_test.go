package vc

import (
	"context"
	"crypto/sha512"
	"encoding/json"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rdfcSkips lists the RDFC-1.0 tests json-gold v0.9.1 cannot pass, with
// the reason. Nothing else is skipped.
var rdfcSkips = map[string]string{}

type rdfcEntry struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	Name          string `json:"name"`
	Action        string `json:"action"`
	Result        string `json:"result"`
	HashAlgorithm string `json:"hashAlgorithm"`
}

// TestRDFCanonSuite runs every RDFC-1.0 evaluation test of the W3C
// rdf-canon test suite byte-exactly.
func TestRDFCanonSuite(t *testing.T) {
	dir := vectorPath(t, "rdf-canon/tests")
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.jsonld"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Entries []rdfcEntry `json:"entries"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var pass, eval int
	for _, e := range m.Entries {
		if e.Type != "rdfc:RDFC10EvalTest" && e.Type != "rdfc:RDFC10NegativeEvalTest" {
			continue // map tests check the blank-node map, which json-gold does not expose
		}
		eval++
		t.Run(strings.TrimPrefix(e.ID, "#")+"_"+e.Name, func(t *testing.T) {
			if why, ok := rdfcSkips[e.ID]; ok {
				t.Skip(why)
			}
			in, err := os.ReadFile(filepath.Join(dir, e.Action))
			if err != nil {
				t.Fatal(err)
			}
			var newHash func() hash.Hash
			if e.HashAlgorithm == "SHA384" {
				newHash = sha512.New384
			}
			got, err := CanonicalizeNQuads(context.Background(), string(in), newHash, 0)
			if e.Type == "rdfc:RDFC10NegativeEvalTest" {
				if err == nil {
					t.Fatal("a poison graph was canonicalised")
				}
				pass++
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(dir, e.Result))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("got\n%s\nwant\n%s", got, want)
			}
			pass++
		})
	}
	t.Logf("RDFC-1.0 eval tests: %d passed of %d (%d skipped with reasons)", pass, eval, len(rdfcSkips))
	if eval != 65 {
		t.Errorf("%d eval tests in the manifest, expected 65 (64 eval + 1 negative)", eval)
	}
	if pass != eval-len(rdfcSkips) {
		t.Errorf("%d passed, want %d", pass, eval-len(rdfcSkips))
	}
}
