package jws

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/suite"
)

// Published vectors. RFC 8037 appendix A.1 (key) and A.4 (JWS); RFC 7515
// appendix A.3 (ES256 key and JWS), A.1 (HS256) and A.5 (unsecured).
const (
	rfc8037D       = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
	rfc8037X       = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
	rfc8037Payload = "Example of Ed25519 signing"
	rfc8037JWS     = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc." +
		"hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

	rfc7515Claims = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
	rfc7515ECX    = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
	rfc7515ECY    = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
	rfc7515ES256  = "eyJhbGciOiJFUzI1NiJ9." + rfc7515Claims + "." +
		"DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
	rfc7515HS256 = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + rfc7515Claims + "." +
		"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	rfc7515None = "eyJhbGciOiJub25lIn0." + rfc7515Claims + "."
)

func unb64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rfc8037Signer(t testing.TB) suite.Signer {
	t.Helper()
	s, err := suite.NewSigner(ed25519.NewKeyFromSeed(unb64(t, rfc8037D)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rfc7515ECKey(t testing.TB) *ecdsa.PublicKey {
	t.Helper()
	k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(),
		append(append([]byte{4}, unb64(t, rfc7515ECX)...), unb64(t, rfc7515ECY)...))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestRFC8037A4 signs the published payload with the published Ed25519 key
// and gets the published JWS byte for byte (Ed25519 is deterministic), then
// verifies it.
func TestRFC8037A4(t *testing.T) {
	s := rfc8037Signer(t)
	if got := base64.RawURLEncoding.EncodeToString(s.Public().(ed25519.PublicKey)); got != rfc8037X {
		t.Fatalf("public key %s, want %s", got, rfc8037X)
	}
	tok, err := Sign([]byte(rfc8037Payload), s, Header{})
	if err != nil {
		t.Fatal(err)
	}
	if tok != rfc8037JWS {
		t.Fatalf("Sign:\n got %s\nwant %s", tok, rfc8037JWS)
	}
	v, err := VerifyWithKey(rfc8037JWS, suite.Ed25519, s.Public(), Expect{})
	if err != nil {
		t.Fatal(err)
	}
	if string(v.Payload) != rfc8037Payload || v.Header.Alg != AlgEdDSA || v.Alg != suite.Ed25519 {
		t.Fatalf("verified %+v", v)
	}
}

// TestRFC7515A3 verifies the published ES256 JWS (ECDSA is randomised, so
// only verification can be compared).
func TestRFC7515A3(t *testing.T) {
	v, err := VerifyWithKey(rfc7515ES256, suite.P256, rfc7515ECKey(t), Expect{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(v.Payload), `"iss":"joe"`) {
		t.Fatalf("payload %q", v.Payload)
	}
	// The same signature over a changed payload fails.
	parts := strings.Split(rfc7515ES256, ".")
	other := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"joe"}`)) + "." + parts[2]
	if _, err := VerifyWithKey(other, suite.P256, rfc7515ECKey(t), Expect{}); CodeOf(err) != CodeBadSignature {
		t.Fatalf("changed payload: %v", err)
	}
}

// TestRFC7515Refused: the HS256 (A.1) and unsecured (A.5) examples are
// refused as unsupported algorithms, whatever key is offered.
func TestRFC7515Refused(t *testing.T) {
	for name, tok := range map[string]string{"A.1 HS256": rfc7515HS256, "A.5 none": rfc7515None} {
		_, err := VerifyWithKey(tok, suite.P256, rfc7515ECKey(t), Expect{Typ: "JWT"})
		if CodeOf(err) != CodeUnsupportedAlgorithm {
			t.Errorf("%s: %v", name, err)
		}
	}
}

type keyring map[string]suite.Signer

func (k keyring) resolve(_ context.Context, kid string) (suite.Alg, crypto.PublicKey, error) {
	s, ok := k[kid]
	if !ok {
		return "", nil, fmt.Errorf("unknown key %q", kid)
	}
	return s.Alg(), s.Public(), nil
}

func newKeyring(t testing.TB) keyring {
	t.Helper()
	k := keyring{}
	for _, a := range []suite.Alg{suite.Ed25519, suite.P256, suite.SM2} {
		s, err := suite.Generate(a, nil)
		if err != nil {
			t.Fatal(err)
		}
		k["did:example:"+string(a)+"#key-1"] = s
	}
	return k
}

func TestRoundTrip(t *testing.T) {
	keys := newKeyring(t)
	ctx := context.Background()
	for kid, s := range keys {
		t.Run(string(s.Alg()), func(t *testing.T) {
			payload := []byte(`{"hello":"世界"}`)
			h := Header{Kid: kid, Typ: "example+jws", Cty: "json"}
			tok, err := Sign(payload, s, h)
			if err != nil {
				t.Fatal(err)
			}
			v, err := Verify(ctx, tok, keys.resolve, Expect{Typ: "example+jws", Cty: "json", RequireCty: true})
			if err != nil {
				t.Fatal(err)
			}
			wantAlg, _ := AlgName(s.Alg())
			if string(v.Payload) != string(payload) || v.Header.Kid != kid || v.Header.Alg != wantAlg || v.Alg != s.Alg() {
				t.Fatalf("verified %+v", v)
			}
			hdr, err := ParseHeader(tok)
			if err != nil || hdr != v.Header {
				t.Fatalf("ParseHeader = %+v, %v", hdr, err)
			}

			det, err := SignDetached(payload, s, h)
			if err != nil {
				t.Fatal(err)
			}
			if p := strings.Split(det, "."); len(p) != 3 || p[1] != "" {
				t.Fatalf("detached form %q", det)
			}
			want := Expect{Typ: "example+jws", Cty: "json", Detached: payload}
			if _, err := Verify(ctx, det, keys.resolve, want); err != nil {
				t.Fatalf("detached: %v", err)
			}
			want.Detached = []byte(`{"hello":"world"}`)
			if _, err := Verify(ctx, det, keys.resolve, want); CodeOf(err) != CodeBadSignature {
				t.Fatalf("detached, other payload: %v", err)
			}
			// An attached token where a detached one is expected, and the
			// reverse (the empty attached payload is then the payload).
			if _, err := Verify(ctx, tok, keys.resolve, want); CodeOf(err) != CodeMalformed {
				t.Fatalf("attached as detached: %v", err)
			}
			if _, err := Verify(ctx, det, keys.resolve, Expect{Typ: "example+jws", Cty: "json"}); CodeOf(err) != CodeBadSignature {
				t.Fatalf("detached as attached: %v", err)
			}
		})
	}
}

// TestHeaderOrder pins the header bytes Sign writes.
func TestHeaderOrder(t *testing.T) {
	tok, err := Sign([]byte("x"), rfc8037Signer(t), Header{Alg: "ignored", Kid: "k<1>", Typ: "t", Cty: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(unb64(t, strings.Split(tok, ".")[0])); got != `{"alg":"EdDSA","kid":"k<1>","typ":"t","cty":"c"}` {
		t.Fatalf("header %s", got)
	}
}

// forge builds a token with an arbitrary header, signed by s over the
// exact bytes given, so that only the header check can refuse it.
func forge(t testing.TB, s suite.Signer, header, payload string) string {
	t.Helper()
	input := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	sig, err := s.Sign([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestRefusals(t *testing.T) {
	keys := newKeyring(t)
	ed := keys["did:example:ed25519#key-1"]
	p256 := keys["did:example:p256#key-1"]
	sm2 := keys["did:example:sm2#key-1"]
	edKid, p256Kid, sm2Kid := "did:example:ed25519#key-1", "did:example:p256#key-1", "did:example:sm2#key-1"
	good, err := Sign([]byte("payload"), ed, Header{Kid: edKid, Typ: "t"})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	sigBytes := unb64(t, parts[2])
	flipped := append([]byte(nil), sigBytes...)
	flipped[10] ^= 0x01
	// A signature whose last character has non-zero unused bits: the
	// 64-byte signature encodes to 86 characters, 4 bits unused.
	lastChar := parts[2][len(parts[2])-1]
	nonCanonical := parts[2][:len(parts[2])-1] + string(lastChar|0x01)
	if lastChar|0x01 == lastChar {
		nonCanonical = parts[2][:len(parts[2])-1] + string(lastChar^0x01)
	}

	want := Expect{Typ: "t"}
	tests := []struct {
		name  string
		token string
		want  Expect
		code  Code
	}{
		{"two parts", parts[0] + "." + parts[1], want, CodeMalformed},
		{"four parts", good + ".x", want, CodeMalformed},
		{"empty", "", want, CodeMalformed},
		{"padded header", parts[0] + "=." + parts[1] + "." + parts[2], want, CodeMalformed},
		{"newline in payload", parts[0] + "." + parts[1][:2] + "\n" + parts[1][2:] + "." + parts[2], want, CodeMalformed},
		{"standard alphabet", parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2]) + "+", want, CodeMalformed},
		{"non-canonical signature", parts[0] + "." + parts[1] + "." + nonCanonical, want, CodeMalformed},
		{"space", " " + good, want, CodeMalformed},
		{"tampered payload", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("payloae")) + "." + parts[2], want, CodeBadSignature},
		{"tampered signature", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(flipped), want, CodeBadSignature},
		{"short signature", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sigBytes[:63]), want, CodeBadSignature},
		{"empty signature", parts[0] + "." + parts[1] + ".", want, CodeMalformed},
		{"wrong typ", good, Expect{Typ: "other"}, CodeMalformed},
		{"typ where none expected", good, Expect{}, CodeMalformed},
		{"missing cty", good, Expect{Typ: "t", Cty: "c", RequireCty: true}, CodeMalformed},
		{"alg not allowed", good, Expect{Typ: "t", Algs: []suite.Alg{suite.SM2}}, CodeUnsupportedAlgorithm},
		{"too big", good, Expect{Typ: "t", MaxBytes: 10}, CodeMalformed},
		{"header not JSON", forge(t, ed, `{"alg":"EdDSA",`, "p"), want, CodeMalformed},
		{"header an array", forge(t, ed, `["alg","EdDSA"]`, "p"), want, CodeMalformed},
		{"header trailing data", forge(t, ed, `{"alg":"EdDSA","kid":"`+edKid+`","typ":"t"} {}`, "p"), want, CodeMalformed},
		{"duplicate alg", forge(t, ed, `{"alg":"ES256","alg":"EdDSA","kid":"`+edKid+`","typ":"t"}`, "p"), want, CodeMalformed},
		{"duplicate by escape", forge(t, ed, `{"alg":"EdDSA","\u0061lg":"EdDSA","kid":"`+edKid+`","typ":"t"}`, "p"), want, CodeMalformed},
		{"invalid UTF-8", forge(t, ed, "{\"alg\":\"EdDSA\",\"kid\":\""+edKid+"\",\"typ\":\"t\",\"x\":\"\xff\"}", "p"), want, CodeMalformed},
		{"alg not a string", forge(t, ed, `{"alg":1,"kid":"`+edKid+`","typ":"t"}`, "p"), want, CodeMalformed},
		{"kid null", forge(t, ed, `{"alg":"EdDSA","kid":null,"typ":"t"}`, "p"), want, CodeMalformed},
		{"no alg", forge(t, ed, `{"kid":"`+edKid+`","typ":"t"}`, "p"), want, CodeMalformed},
		{"upper-case member", forge(t, ed, `{"ALG":"EdDSA","kid":"`+edKid+`","typ":"t"}`, "p"), want, CodeMalformed},
		{"alg none", forge(t, ed, `{"alg":"none","kid":"`+edKid+`","typ":"t"}`, "p"), want, CodeUnsupportedAlgorithm},
		{"alg lower-case", forge(t, ed, `{"alg":"eddsa","kid":"`+edKid+`","typ":"t"}`, "p"), want, CodeUnsupportedAlgorithm},
		{"alg HS256", forge(t, ed, `{"alg":"HS256","kid":"`+edKid+`","typ":"t"}`, "p"), want, CodeUnsupportedAlgorithm},
		{"crit", forge(t, ed, `{"alg":"EdDSA","kid":"`+edKid+`","typ":"t","crit":["exp"],"exp":1}`, "p"), want, CodeMalformed},
		{"empty crit", forge(t, ed, `{"alg":"EdDSA","kid":"`+edKid+`","typ":"t","crit":[]}`, "p"), want, CodeMalformed},
		{"b64", forge(t, ed, `{"alg":"EdDSA","kid":"`+edKid+`","typ":"t","b64":true}`, "p"), want, CodeMalformed},
		{"no kid", forge(t, ed, `{"alg":"EdDSA","typ":"t"}`, "p"), want, CodeKeyResolution},
		{"unknown kid", forge(t, ed, `{"alg":"EdDSA","kid":"did:example:nobody#1","typ":"t"}`, "p"), want, CodeKeyResolution},
		// alg/key confusion: the header claims one algorithm, the kid names
		// a key of another.
		{"ES256 header, SM2 key", forge(t, sm2, `{"alg":"ES256","kid":"`+sm2Kid+`","typ":"t"}`, "p"), want, CodeKeyResolution},
		{"SM2SM3 header, P-256 key", forge(t, p256, `{"alg":"SM2SM3","kid":"`+p256Kid+`","typ":"t"}`, "p"), want, CodeKeyResolution},
		{"EdDSA header, P-256 key", forge(t, p256, `{"alg":"EdDSA","kid":"`+p256Kid+`","typ":"t"}`, "p"), want, CodeKeyResolution},
		// A jwk in the header is never used to find a key.
		{"embedded jwk ignored", forge(t, ed, `{"alg":"EdDSA","kid":"did:example:nobody#1","typ":"t","jwk":{"kty":"OKP","crv":"Ed25519","x":"`+rfc8037X+`"}}`, "p"), want, CodeKeyResolution},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Verify(context.Background(), tc.token, keys.resolve, tc.want)
			if CodeOf(err) != tc.code {
				t.Fatalf("got %v (verified %v), want code %s", err, v != nil, tc.code)
			}
			if !errors.Is(err, &Error{Code: tc.code}) {
				t.Fatalf("errors.Is does not match %s", tc.code)
			}
		})
	}
	// The unmodified token and the RFC 9864 alias verify.
	if _, err := Verify(context.Background(), good, keys.resolve, want); err != nil {
		t.Fatal(err)
	}
	alias := forge(t, ed, `{"alg":"Ed25519","kid":"`+edKid+`","typ":"t"}`, "p")
	if _, err := Verify(context.Background(), alias, keys.resolve, want); err != nil {
		t.Fatalf("Ed25519 alias: %v", err)
	}
}

// TestResolverReportsWrongKey: the resolver vouches for SM2 but hands out a
// P-256 key; the key's own type decides.
func TestResolverReportsWrongKey(t *testing.T) {
	keys := newKeyring(t)
	p256 := keys["did:example:p256#key-1"]
	lying := func(context.Context, string) (suite.Alg, crypto.PublicKey, error) {
		return suite.SM2, p256.Public(), nil
	}
	tok := forge(t, p256, `{"alg":"SM2SM3","kid":"k"}`, "p")
	if _, err := Verify(context.Background(), tok, lying, Expect{}); CodeOf(err) != CodeKeyResolution {
		t.Fatalf("got %v", err)
	}
	if _, err := VerifyWithKey(tok, suite.P256, p256.Public(), Expect{}); CodeOf(err) != CodeKeyResolution {
		t.Fatalf("VerifyWithKey alg mismatch: %v", err)
	}
}

// TestES256HighS: ECDSA signatures are malleable, (r, n-s) verifies too.
// RFC 7518 does not forbid it; the test records that we accept it, so
// callers never use a signature as a unique identifier.
func TestES256HighS(t *testing.T) {
	parts := strings.Split(rfc7515ES256, ".")
	sig := unb64(t, parts[2])
	n := elliptic.P256().Params().N
	s := new(big.Int).SetBytes(sig[32:])
	s.Sub(n, s)
	s.FillBytes(sig[32:])
	tok := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	if _, err := VerifyWithKey(tok, suite.P256, rfc7515ECKey(t), Expect{}); err != nil {
		t.Fatalf("(r, n-s): %v", err)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Verify(ctx, rfc8037JWS, nil, Expect{}); CodeOf(err) != CodeKeyResolution {
		t.Fatal(err)
	}
}

func TestAlgNames(t *testing.T) {
	for _, a := range []suite.Alg{suite.Ed25519, suite.P256, suite.SM2} {
		n, err := AlgName(a)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := SuiteAlg(n); err != nil || back != a {
			t.Fatalf("%s → %s → %s, %v", a, n, back, err)
		}
	}
	if _, err := AlgName("rsa"); CodeOf(err) != CodeUnsupportedAlgorithm {
		t.Fatal(err)
	}
	if _, err := Sign(nil, nil, Header{}); CodeOf(err) != CodeKeyResolution {
		t.Fatal(err)
	}
	if _, err := Sign(nil, rfc8037Signer(t), Header{Kid: "\xff"}); CodeOf(err) != CodeMalformed {
		t.Fatal(err)
	}
}

// TestCanonicalBase64: unused bits must be zero ("AA" is the one encoding
// of the byte 0x00; "AB" decodes to it only leniently).
func TestCanonicalBase64(t *testing.T) {
	if _, err := decodePart("AA", "x"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"AB", "AA==", "A", "AA\r\n", "AA+"} {
		if _, err := decodePart(s, "x"); CodeOf(err) != CodeMalformed {
			t.Errorf("%q: %v", s, err)
		}
	}
}
