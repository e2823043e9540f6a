package catalog

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestParseID runs every line of testdata/ids.txt through ParseRef and
// compares the outcomes with testdata/ids.golden.
func TestParseID(t *testing.T) {
	f, err := os.Open("testdata/ids.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		id, err := ParseRef(line)
		if err != nil {
			var ie *IDError
			if !errors.As(err, &ie) {
				t.Errorf("%q: error of type %T", line, err)
			}
			fmt.Fprintf(&out, "%q\n  error: %v\n", line, err)
			continue
		}
		fmt.Fprintf(&out, "%q\n  ok: %s  iri: %s\n", line, id, id.IRI())
		if again, err := ParseID(id.String()); err != nil || again != id {
			t.Errorf("%q: the canonical form %q does not parse back: %v", line, id, err)
		}
	}
	golden(t, "ids.golden", []byte(out.String()))
}

func TestSovereigntyCodes(t *testing.T) {
	for _, c := range []string{"CN", "HK", "MO", "TW", "DE", "US", "EU", "SG"} {
		if !ValidSovereignty(c) {
			t.Errorf("%s refused", c)
		}
	}
	for _, c := range []string{"UK", "XK", "EL", "ZZ", "cn", "C", "CHN", ""} {
		if ValidSovereignty(c) {
			t.Errorf("%s accepted", c)
		}
	}
	for _, p := range []string{"CN-GD", "DE-BY", "GB-ENG", "US-CA", "HK", "EU"} {
		if !validPlace(p) {
			t.Errorf("place %s refused", p)
		}
	}
	for _, p := range []string{"CN-", "CN-GDXXXX", "XX-GD", "cn-gd", "CN GD"} {
		if validPlace(p) {
			t.Errorf("place %s accepted", p)
		}
	}
}
