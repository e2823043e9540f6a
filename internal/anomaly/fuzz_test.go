package anomaly

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// FuzzParseConfig: ParseConfig never panics; what it accepts, NewEngine
// accepts too, and writing it out and reading it back gives the same
// configuration. Seeds: testdata/fuzz/FuzzParseConfig and the shipped
// default.
func FuzzParseConfig(f *testing.F) {
	if b, err := os.ReadFile("testdata/default.json"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			if c != nil {
				t.Fatal("config returned with an error")
			}
			return
		}
		if _, err := NewEngine(c, nil, nil, nil, nil); err != nil {
			t.Fatalf("accepted by ParseConfig, refused by NewEngine: %v", err)
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseConfig(out)
		if err != nil {
			t.Fatalf("re-reading %s: %v", out, err)
		}
		again, _ := json.Marshal(back)
		if !bytes.Equal(out, again) {
			t.Fatalf("round trip:\n%s\n%s", out, again)
		}
	})
}
