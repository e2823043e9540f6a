package jsonld

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDifferentialVectors expands every JSON document of the shared vector
// collection, internal/vc/testdata and testdata/ with this package (reading
// container mappings as json-gold does) and with json-gold and requires the
// same output (reflect.DeepEqual) or errors of the same class.
func TestDifferentialVectors(t *testing.T) {
	l := newTestLoader(t)
	p := newGoldProcessor(l)
	n, ok, skipped := 0, 0, 0
	for _, d := range differentialDocs(t) {
		n++
		mismatch, skip, r := differential(p, l, d.doc)
		if skip {
			skipped++
			t.Logf("%s: unsupported here: %v", d.name, r.oursErr)
			continue
		}
		if mismatch != "" {
			t.Errorf("%s: %s", d.name, mismatch)
			continue
		}
		if r.oursErr == nil {
			ok++
		}
	}
	t.Logf("%d documents: %d expanded identically, %d failed alike, %d unsupported", n, ok, n-ok-skipped, skipped)
	if n == 0 {
		t.Fatal("no documents")
	}
}

// differentialRoots are the directories whose JSON documents the
// differential tests expand, each with the prefix that names its documents
// (a document is named prefix/path-below-the-root).
var differentialRoots = []struct{ prefix, dir string }{
	{"shared", sharedVectorsDir},
	{"vc", "../vc/testdata"},
	{"docs", "testdata/docs"},
}

type namedDoc struct {
	name string // e.g. "docs/vp2-signed.json", "shared/vc-jose-cose/tests/input/presentation-single.json"
	path string // the file
	doc  map[string]any
}

// differentialDocs returns every JSON object document (*.json, *.jsonld)
// under differentialRoots, in a stable order. The shared vector collection
// is optional (logged when absent).
func differentialDocs(t testing.TB) []namedDoc {
	t.Helper()
	var docs []namedDoc
	for _, root := range differentialRoots {
		if _, err := os.Stat(root.dir); err != nil && root.prefix == "shared" {
			t.Logf("shared vectors not available: %v", err)
			continue
		}
		err := filepath.WalkDir(root.dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !(strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".jsonld")) {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			doc, err := decodeDoc(b)
			if err != nil {
				return nil // not a JSON object
			}
			rel, err := filepath.Rel(root.dir, path)
			if err != nil {
				return err
			}
			docs = append(docs, namedDoc{name: root.prefix + "/" + filepath.ToSlash(rel), path: path, doc: doc})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return docs
}
