package vc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func (f *vpFixture) vpJWT(t testing.TB, vp map[string]any, mod func(*PresentationJWTOptions)) []byte {
	t.Helper()
	o := PresentationJWTOptions{Signer: f.holder, KeyID: f.holderID.VerificationMethodID(),
		Nonce: testChallenge, Audience: testAudience, IssuedAt: vpNow.Add(-time.Minute)}
	if mod != nil {
		mod(&o)
	}
	tok, err := f.p.SignPresentationJWT(context.Background(), vp, o)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(tok)
}

// resignPayload replaces a vp+jwt's payload and signs it again with the
// holder key, to reach checks behind the signature.
func (f *vpFixture) resignPayload(t testing.TB, tok []byte, mod func(m map[string]any)) []byte {
	t.Helper()
	parts := strings.Split(string(tok), ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	mod(m)
	payload, _ := json.Marshal(m)
	out, err := signJWS(payload, f.holder, f.holderID.VerificationMethodID(), TypVPJWT, CtyVP)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(out)
}

func TestPresentationJWT(t *testing.T) {
	ctx := context.Background()
	f := newVPFixture(t)
	vp := presentation(t, f.holderID.DID, enveloped(f.jwtCred), f.diCred)
	good := f.vpJWT(t, vp, nil)

	t.Run("verifies, then is a replay", func(t *testing.T) {
		opts := f.verifyOpts()
		opts.Nonces = NewMemoryNonceStore(0, func() time.Time { return vpNow })
		res, err := f.p.VerifyPresentationJWT(ctx, good, f.resolver, opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.Holder != f.holderID.DID || len(res.Credentials) != 2 || !res.Created.Equal(vpNow.Add(-time.Minute)) ||
			res.Proofs[0].Cryptosuite != "vp+jwt/EdDSA" {
			t.Fatalf("result %+v", res)
		}
		_, err = f.p.VerifyPresentationJWT(ctx, good, f.resolver, opts)
		wantCode(t, err, CodeReplayed)
	})

	other, otherID := fixedKey(t, 3)
	cases := []struct {
		name string
		tok  func(t *testing.T) []byte
		mod  func(*PresentationOptions)
		want Code
	}{
		{"not a JWS", func(*testing.T) []byte { return []byte("a.b") }, nil, CodeMalformed},
		{"a vc+jwt is not a vp+jwt", func(*testing.T) []byte { return []byte(f.jwtCred) }, nil, CodeMalformed},
		{"bad signature", func(t *testing.T) []byte {
			p := strings.Split(string(good), ".")
			p[2] = strings.Repeat("A", len(p[2]))
			return []byte(strings.Join(p, "."))
		}, nil, CodeBadSignature},
		{"payload with a vp claim", func(t *testing.T) []byte {
			return f.resignPayload(t, good, func(m map[string]any) { m["vp"] = map[string]any{} })
		}, nil, CodeMalformed},
		{"other nonce", func(*testing.T) []byte { return good }, func(o *PresentationOptions) { o.Challenge = "n-other" }, CodeChallengeMismatch},
		{"no nonce", func(t *testing.T) []byte {
			return f.resignPayload(t, good, func(m map[string]any) { delete(m, "nonce") })
		}, nil, CodeChallengeMismatch},
		{"other audience", func(*testing.T) []byte { return good }, func(o *PresentationOptions) { o.Domain = "https://other.example" }, CodeDomainMismatch},
		{"audience list", func(t *testing.T) []byte {
			return f.resignPayload(t, good, func(m map[string]any) { m["aud"] = []any{"https://a.example", testAudience} })
		}, nil, ""},
		{"kid not the holder's", func(t *testing.T) []byte {
			return f.vpJWT(t, vp, func(o *PresentationJWTOptions) { o.Signer, o.KeyID = other, otherID.VerificationMethodID() })
		}, nil, CodeHolderMismatch},
		{"iss not the holder", func(t *testing.T) []byte {
			return f.resignPayload(t, good, func(m map[string]any) { m["iss"] = otherID.DID })
		}, nil, CodeHolderMismatch},
		{"older than MaxAge", func(*testing.T) []byte { return good }, func(o *PresentationOptions) { o.MaxAge = time.Second }, CodeExpired},
		{"exp passed", func(t *testing.T) []byte {
			return f.vpJWT(t, vp, func(o *PresentationJWTOptions) { o.Expires = vpNow.Add(-time.Second) })
		}, nil, CodeExpired},
		{"no iat", func(t *testing.T) []byte {
			return f.resignPayload(t, good, func(m map[string]any) { delete(m, "iat") })
		}, nil, CodeMalformed},
		{"iat in the future", func(t *testing.T) []byte {
			return f.vpJWT(t, vp, func(o *PresentationJWTOptions) { o.IssuedAt = vpNow.Add(time.Hour) })
		}, nil, CodeNotYetValid},
		{"subject is not the holder", func(t *testing.T) []byte {
			return f.vpJWT(t, presentation(t, otherID.DID, enveloped(f.jwtCred)), func(o *PresentationJWTOptions) {
				o.Signer, o.KeyID = other, otherID.VerificationMethodID()
			})
		}, nil, CodeHolderMismatch},
		{"holder changed", func(t *testing.T) []byte {
			return f.resignPayload(t, good, func(m map[string]any) { m["holder"] = otherID.DID })
		}, func(o *PresentationOptions) { o.RequireHolderKey = false }, CodeHolderMismatch},
		{"embedded credential expired", func(*testing.T) []byte { return good }, func(o *PresentationOptions) {
			o.Now, o.MaxAge = time.Date(2027, 1, 1, 0, 0, 30, 0, time.UTC), -1
		}, CodeExpired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := f.verifyOpts()
			if c.mod != nil {
				c.mod(&opts)
			}
			res, err := f.p.VerifyPresentationJWT(ctx, c.tok(t), f.resolver, opts)
			wantCode(t, err, c.want)
			if res.Verified != (c.want == "") {
				t.Fatalf("result %+v", res)
			}
		})
	}

	t.Run("signing needs nonce and audience", func(t *testing.T) {
		_, err := f.p.SignPresentationJWT(ctx, vp, PresentationJWTOptions{Signer: f.holder, KeyID: f.holderID.VerificationMethodID()})
		wantCode(t, err, CodeMalformed)
	})
}
