package jsonld

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDifferentialVectors expands every JSON document of the shared vector
// collection, internal/vc/testdata and testdata/ with this package and with
// json-gold and requires the same output (reflect.DeepEqual) or errors of
// the same class.
func TestDifferentialVectors(t *testing.T) {
	l := newTestLoader(t)
	p := New(l)
	var roots []string
	if _, err := os.Stat(sharedVectorsDir); err == nil {
		roots = append(roots, sharedVectorsDir)
	} else {
		t.Logf("shared vectors not available: %v", err)
	}
	roots = append(roots, "../vc/testdata", "testdata/docs")
	n, ok, skipped := 0, 0, 0
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
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
			n++
			mismatch, skip, r := differential(p, l, doc)
			if skip {
				skipped++
				t.Logf("%s: unsupported here: %v", path, r.oursErr)
				return nil
			}
			if mismatch != "" {
				t.Errorf("%s: %s", path, mismatch)
				return nil
			}
			if r.oursErr == nil {
				ok++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d documents: %d expanded identically, %d failed alike, %d unsupported", n, ok, n-ok-skipped, skipped)
	if n == 0 {
		t.Fatal("no documents")
	}
}
