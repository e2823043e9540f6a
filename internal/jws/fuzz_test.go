package jws

import (
	"context"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/suite"
)

// FuzzVerify feeds arbitrary tokens to Verify and ParseHeader: no panic,
// every error is a coded *Error, and anything accepted was signed by the
// key the resolver returned for its kid, with the expected typ.
func FuzzVerify(f *testing.F) {
	keys := newKeyring(f)
	for kid, s := range keys {
		tok, err := Sign([]byte(`{"a":1}`), s, Header{Kid: kid, Typ: "t"})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
		det, err := SignDetached([]byte(`{"a":1}`), s, Header{Kid: kid, Typ: "t"})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(det)
	}
	f.Add(rfc8037JWS)
	f.Add(rfc7515ES256)
	f.Add(rfc7515HS256)
	f.Add(rfc7515None)
	f.Add("..")
	f.Add("e30.e30.AA")
	f.Add("eyJhbGciOiJFZERTQSIsImNyaXQiOltdfQ..")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, token string) {
		if _, err := ParseHeader(token); err != nil && CodeOf(err) == "" {
			t.Fatalf("ParseHeader: uncoded error %v", err)
		}
		for _, want := range []Expect{{Typ: "t"}, {Typ: "t", Detached: []byte(`{"a":1}`)}} {
			v, err := Verify(ctx, token, keys.resolve, want)
			if err != nil {
				if CodeOf(err) == "" {
					t.Fatalf("uncoded error %v", err)
				}
				continue
			}
			s, ok := keys[v.Header.Kid]
			if !ok || v.Header.Typ != "t" || v.Alg != s.Alg() {
				t.Fatalf("accepted %+v", v.Header)
			}
			if err := suite.Verify(s.Alg(), s.Public(), []byte(v.SigningInput), v.Signature); err != nil {
				t.Fatalf("accepted a bad signature: %v", err)
			}
			if want.Detached == nil && !strings.HasPrefix(token, v.SigningInput+".") {
				t.Fatalf("signing input %q is not the token's prefix", v.SigningInput)
			}
		}
	})
}
