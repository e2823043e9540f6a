package statuslist

import (
	"bytes"
	"testing"
)

// FuzzDecode feeds arbitrary encodedList text to Decode (with a small bound,
// so that bombs are cheap): it must not panic, must return a CodeStatusInvalid
// error or a bitstring within the bound, and what it accepts must survive a
// re-encoding.
func FuzzDecode(f *testing.F) {
	f.Add("uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA")
	f.Add("u")
	f.Add("")
	f.Add("zabc")
	f.Fuzz(func(t *testing.T, s string) {
		const max = 1 << 16
		bs, err := Decode(s, max)
		if err != nil {
			if CodeOf(err) != CodeStatusInvalid {
				t.Fatalf("code %q: %v", CodeOf(err), err)
			}
			return
		}
		if bs.Len() == 0 || bs.Len() > max*8 {
			t.Fatalf("accepted %d bits", bs.Len())
		}
		enc, err := bs.Encode()
		if err != nil {
			t.Fatal(err)
		}
		again, err := Decode(enc, max)
		if err != nil || !bytes.Equal(again.Bytes(), bs.Bytes()) {
			t.Fatalf("re-encoding: %v", err)
		}
	})
}
