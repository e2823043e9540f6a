package trust

import (
	"bytes"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/suite"
)

// FuzzVerify feeds arbitrary documents to Verify: no panic, and every error
// carries a code of this package.
func FuzzVerify(f *testing.F) {
	s, err := suite.Generate(suite.Ed25519, nil)
	if err != nil {
		f.Fatal(err)
	}
	k := KeySigner{KeyID: "op", Signer: s}
	signed, err := Sign(sampleRegistry(1), k)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed)
	f.Add([]byte(`{"registry":{},"signatures":[{"protected":"e30","signature":""}]}`))
	f.Add([]byte(`[]`))
	o := VerifyOptions{ID: regID, Keys: []OperatorKey{k.Public()}, Now: func() time.Time { return t0 }}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, _, err := Verify(data, o)
		if err != nil {
			switch CodeOf(err) {
			case CodeMalformed, CodeBadSignature, CodeStaleRegistry:
			default:
				t.Fatalf("code %q: %v", CodeOf(err), err)
			}
			return
		}
		if r.ID != regID {
			t.Fatalf("accepted registry %q", r.ID)
		}
	})
}

// FuzzCanonicalize checks that canonical output is stable: canonicalising it
// again gives the same bytes.
func FuzzCanonicalize(f *testing.F) {
	f.Add([]byte(`{"b":[1,2.5,-0,1e30,"x"],"a":{"\u00e9":null,"e":true}}`))
	f.Add([]byte(`"\ud800"`))
	f.Add([]byte(`[1e-7, 123456789012345678901234567890]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Canonicalize(data)
		if err != nil {
			return
		}
		c2, err := Canonicalize(c)
		if err != nil {
			t.Fatalf("canonical output %q does not parse: %v", c, err)
		}
		if !bytes.Equal(c, c2) {
			t.Fatalf("not idempotent: %q -> %q", c, c2)
		}
	})
}
