package sitoken

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
)

func keyDID(t *testing.T, alg suite.Alg) (suite.Signer, string, string) {
	t.Helper()
	s, err := suite.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := identity.NewKeyDID(alg, s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return s, k.DID, k.DID + "#" + k.Multibase
}

func TestVerify(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	res := identity.NewResolver(identity.ResolverOptions{})
	const aud = "did:web:hospital.example.cn"
	for _, alg := range []suite.Alg{suite.Ed25519, suite.P256, suite.SM2} {
		s, did, kid := keyDID(t, alg)
		other, otherDID, otherKid := keyDID(t, suite.Ed25519)
		_ = otherDID
		v := &Verifier{Audience: aud, Resolve: res.ResolveKey, Now: func() time.Time { return now }}
		tok, err := Issue(s, kid, did, aud, 2*time.Minute, now, "access-123")
		if err != nil {
			t.Fatal(err)
		}
		c, err := v.Verify(context.Background(), tok)
		if err != nil || c.Iss != did || c.Token != "access-123" {
			t.Fatalf("%s: %v %+v", alg, err, c)
		}
		// The same token again is a replay.
		if _, err := v.Verify(context.Background(), tok); code(err) != CodeReplay {
			t.Fatalf("%s replay: %v", alg, err)
		}
		mk := func(signer suite.Signer, k, iss, a string, ttl time.Duration, at time.Time) string {
			x, err := Issue(signer, k, iss, a, ttl, at, "")
			if err != nil {
				t.Fatal(err)
			}
			return x
		}
		cases := map[string]struct {
			tok  string
			want string
		}{
			"other audience":   {mk(s, kid, did, "did:web:bank.example.hk", time.Minute, now), CodeAudience},
			"expired":          {mk(s, kid, did, aud, time.Minute, now.Add(-10*time.Minute)), CodeExpired},
			"issued in future": {mk(s, kid, did, aud, time.Minute, now.Add(10*time.Minute)), CodeNotYet},
			"too long":         {mk(s, kid, did, aud, time.Hour, now), CodeLifetime},
			"signed by another key of another DID claiming this DID": {mk(other, otherKid, otherDID, aud, time.Minute, now), ""},
			"tampered": {tamper(mk(s, kid, did, aud, time.Minute, now)), CodeSignature},
			"garbage":  {"not.a.token", CodeMalformed},
			"empty":    {"", CodeMalformed},
		}
		for name, c := range cases {
			_, err := v.Verify(context.Background(), c.tok)
			if c.want == "" {
				if err != nil {
					t.Errorf("%s %s: %v", alg, name, err)
				}
				continue
			}
			if code(err) != c.want {
				t.Errorf("%s %s: got %v, want %s", alg, name, err, c.want)
			}
		}
		// A kid of one DID with iss of another is refused at issue and at verification.
		if _, err := Issue(s, otherKid, did, aud, time.Minute, now, ""); err == nil {
			t.Error("issued with a foreign kid")
		}
	}
}

func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	p := []byte(parts[1])
	if p[5] == 'A' {
		p[5] = 'B'
	} else {
		p[5] = 'A'
	}
	parts[1] = string(p)
	return strings.Join(parts, ".")
}

func code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestFromHeader(t *testing.T) {
	if FromHeader("Bearer abc ") != "abc" || FromHeader("abc") != "abc" {
		t.Fatal("FromHeader")
	}
}

func BenchmarkVerify(b *testing.B) {
	s, did, kid := keyDIDB(b)
	res := identity.NewResolver(identity.ResolverOptions{})
	v := &Verifier{Audience: "did:web:x.example", Resolve: res.ResolveKey, Keys: suite.NewVerifierCache(1024)}
	toks := make([]string, b.N)
	for i := range toks {
		toks[i], _ = Issue(s, kid, did, "did:web:x.example", time.Minute, time.Now(), "")
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := v.Verify(context.Background(), toks[i]); err != nil {
			b.Fatal(err)
		}
	}
}

func keyDIDB(b *testing.B) (suite.Signer, string, string) {
	s, _ := suite.Generate(suite.Ed25519, nil)
	k, _ := identity.NewKeyDID(suite.Ed25519, s.Public())
	return s, k.DID, k.DID + "#" + k.Multibase
}
