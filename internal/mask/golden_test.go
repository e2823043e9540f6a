package mask

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden outputs under testdata/golden")

// goldenSecret and goldenAgreement fix the key of the golden outputs.
var (
	goldenSecret    = []byte("golden secret: not for production use")
	goldenAgreement = "urn:xborder:agreement:golden-1"
)

// TestGolden masks committed inputs (orders.csv was made with
// internal/synth, seed 2026, 24 rows, and three handwritten rows of edge
// cases; people.jsonl by hand) with testdata/golden/policy.json and
// compares the result with the committed output. go test -run TestGolden
// -update rewrites the outputs; review the diff.
func TestGolden(t *testing.T) {
	policy, err := os.ReadFile(filepath.Join("testdata", "golden", "policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(policy)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, suite, out string }{
		{"orders.csv", "intl", "orders.intl.csv"},
		{"orders.csv", "gm", "orders.gm.csv"},
		{"people.jsonl", "intl", "people.intl.jsonl"},
		{"people.jsonl", "gm", "people.gm.jsonl"},
	} {
		t.Run(tc.out, func(t *testing.T) {
			k, err := DeriveKey(tc.suite, goldenSecret, goldenAgreement)
			if err != nil {
				t.Fatal(err)
			}
			m, err := New(p, k)
			if err != nil {
				t.Fatal(err)
			}
			in, err := os.ReadFile(filepath.Join("testdata", "golden", tc.in))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			copyFn := m.CopyCSV
			if filepath.Ext(tc.in) == ".jsonl" {
				copyFn = m.CopyJSONL
			}
			st, err := copyFn(ctx, &out, bytes.NewReader(in), nil)
			if err != nil {
				t.Fatal(err)
			}
			if st.BytesIn != int64(len(in)) {
				t.Errorf("read %d bytes of %d", st.BytesIn, len(in))
			}
			path := filepath.Join("testdata", "golden", tc.out)
			if *update {
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("output differs from %s (run with -update and review the diff):\n%s", path, out.Bytes())
			}
			// and once more: deterministic
			var again bytes.Buffer
			if _, err := copyFn(ctx, &again, bytes.NewReader(in), nil); err != nil || !bytes.Equal(again.Bytes(), out.Bytes()) {
				t.Error("a second run gave other bytes")
			}
		})
	}
}
