package catalog

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEntriesNormalise decodes and validates every valid entry of
// testdata/entries and compares the normalised form with
// testdata/normalized.
func TestEntriesNormalise(t *testing.T) {
	files, _ := filepath.Glob("testdata/entries/*.json")
	if len(files) == 0 {
		t.Fatal("no entries")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			e := readEntry(t, f)
			if err := Validate(e); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("normalized", filepath.Base(f)), indentJSON(t, e))
			// Normalising is idempotent.
			again := e.Clone()
			if err := Validate(again); err != nil {
				t.Fatal(err)
			}
			if a, b := string(indentJSON(t, e)), string(indentJSON(t, again)); a != b {
				t.Errorf("validating twice changes the entry:\n%s\n%s", a, b)
			}
		})
	}
}

// TestBadEntries: every file of testdata/bad is refused with an
// *InputError naming the place; the messages are in testdata/bad.golden.
func TestBadEntries(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.json")
	var out strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		err = decodeAndValidate(b)
		if err == nil {
			t.Errorf("%s: accepted", f)
			continue
		}
		if !IsInputError(err) {
			t.Errorf("%s: %T is not an input error: %v", f, err, err)
		}
		fmt.Fprintf(&out, "%s\n  %v\n", filepath.Base(f), err)
	}
	big := `{"identifier":"xb86/CN/a1/b","title":{"zh":"` + strings.Repeat("x", MaxEntryBytes) + `"}}`
	if err := decodeAndValidate([]byte(big)); err == nil || !IsInputError(err) {
		t.Errorf("an entry over the size limit: %v", err)
	} else {
		fmt.Fprintf(&out, "(%d bytes)\n  %v\n", len(big), err)
	}
	golden(t, "bad.golden", []byte(out.String()))
}

func decodeAndValidate(b []byte) error {
	e, err := DecodeEntry(b)
	if err != nil {
		return err
	}
	if err := Validate(e); err != nil {
		return err
	}
	return checkServiceRefs(e, Info{})
}
