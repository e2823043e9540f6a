package statuslist

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/vc"
)

func TestCheckEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		alg    suite.Alg
		format Format
	}{{suite.Ed25519, FormatDataIntegrity}, {suite.P256, FormatDataIntegrity}, {suite.Ed25519, FormatJWT}, {suite.P256, FormatJWT}} {
		t.Run(string(tc.alg)+"/"+string(tc.format), func(t *testing.T) {
			ctx := context.Background()
			is := newIssuerSetup(t, tc.alg, tc.format)
			rev, err := is.store.Allocate(ctx, "rev")
			if err != nil {
				t.Fatal(err)
			}
			sus, err := is.store.Allocate(ctx, "sus")
			if err != nil {
				t.Fatal(err)
			}
			cred := is.credential(rev, sus)
			c := is.checker(t)

			sts, err := c.Check(ctx, cred)
			if err != nil {
				t.Fatal(err)
			}
			if len(sts) != 2 || sts[0].Set || sts[1].Set || sts[0].Purpose != PurposeRevocation || sts[1].Purpose != PurposeSuspension {
				t.Fatalf("statuses %+v", sts)
			}
			if sts[0].ListValidUntil.IsZero() {
				t.Error("no validUntil on the list credential")
			}

			// Suspend: cached lists hide it until the TTL (1 minute) passes.
			si, _ := sus.Index()
			if err := is.store.Set(ctx, "sus", si); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Check(ctx, cred); err != nil {
				t.Fatalf("within the TTL the cached list is used: %v", err)
			}
			is.clock.advance(61 * time.Second)
			sts, err = c.Check(ctx, cred)
			wantCode(t, err, CodeSuspended)
			if !sts[1].Set || sts[1].Cached {
				t.Fatalf("statuses %+v", sts)
			}
			// Revoke as well: revoked wins over suspended.
			ri, _ := rev.Index()
			if err := is.store.Set(ctx, "rev", ri); err != nil {
				t.Fatal(err)
			}
			is.clock.advance(61 * time.Second)
			_, err = c.Check(ctx, cred)
			wantCode(t, err, CodeRevoked)
			// Lift the suspension; still revoked.
			if err := is.store.Clear(ctx, "sus", si); err != nil {
				t.Fatal(err)
			}
			is.clock.advance(61 * time.Second)
			sts, err = c.Check(ctx, cred)
			wantCode(t, err, CodeRevoked)
			if sts[1].Set {
				t.Fatal("suspension still set")
			}
			// A credential with no status is fine.
			delete(cred, "credentialStatus")
			if sts, err := c.Check(ctx, cred); err != nil || sts != nil {
				t.Fatalf("%v %v", sts, err)
			}
		})
	}
}

func TestCheckCache(t *testing.T) {
	ctx := context.Background()
	is := newIssuerSetup(t, suite.Ed25519, FormatDataIntegrity)
	e, _ := is.store.Allocate(ctx, "rev")
	c := is.checker(t)
	for range 3 {
		if _, err := c.Check(ctx, is.credential(e)); err != nil {
			t.Fatal(err)
		}
	}
	if n := is.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
	is.clock.advance(2 * time.Minute)
	if _, err := c.Check(ctx, is.credential(e)); err != nil {
		t.Fatal(err)
	}
	if n := is.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches after the TTL, want 2", n)
	}
	// An expired list credential (validUntil past) is refused even if a
	// server keeps serving it: here the publisher re-signs, so drive the
	// clock of a checker past the copy it fetched.
	body, _, err := is.pub.Credential(ctx, "rev")
	if err != nil {
		t.Fatal(err)
	}
	late := is.clock.t.Add(25 * time.Hour)
	c2, _ := NewChecker(CheckerOptions{Fetcher: staticFetcher(body), Processor: is.proc,
		Resolver: identity.NewResolver(identity.ResolverOptions{}), Now: func() time.Time { return late }})
	_, err = c2.Check(ctx, is.credential(e))
	wantCode(t, err, CodeStatusInvalid)
	if vc.CodeOf(err) != vc.CodeExpired {
		t.Fatalf("cause %v, want vc expired", err)
	}
}

func staticFetcher(b []byte) Fetcher {
	return FetcherFunc(func(context.Context, string) ([]byte, error) { return b, nil })
}

// signList signs an arbitrary status list credential with the issuer's key.
func signList(t *testing.T, is *issuerSetup, key issuerKey, params CredentialParams) []byte {
	t.Helper()
	doc := BuildCredential(params)
	cs := vc.EdDSARDFC2022
	if key.signer.Alg() == suite.P256 {
		cs = vc.ECDSARDFC2019
	}
	b, err := is.proc.Sign(context.Background(), doc, vc.ProofOptions{Cryptosuite: cs, VerificationMethod: key.vm, Signer: key.signer})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckRefusals(t *testing.T) {
	ctx := context.Background()
	is := newIssuerSetup(t, suite.Ed25519, FormatDataIntegrity)
	rev, _ := is.store.Allocate(ctx, "rev")
	url := rev.StatusListCredential
	empty, _ := NewBitstring(MinEntries)
	emptyEnc, _ := empty.Encode()
	small, _ := NewBitstring(MinEntries / 2)
	smallEnc, _ := small.Encode()
	bomb := "u" + base64.RawURLEncoding.EncodeToString(gz(t, make([]byte, 32<<20)))
	other := newIssuerKey(t, suite.Ed25519)
	base := CredentialParams{URL: url, Issuer: is.key.did, Purpose: PurposeRevocation, Encoded: emptyEnc, ValidFrom: is.clock.t.Add(-time.Hour)}
	with := func(f func(*CredentialParams)) CredentialParams { p := base; f(&p); return p }
	good := signList(t, is, is.key, base)

	cases := []struct {
		name  string
		body  []byte
		fetch error
		entry func(*Entry)
		want  Code
	}{
		{name: "good", body: good, want: ""},
		{name: "other issuer", body: signList(t, is, other, with(func(p *CredentialParams) { p.Issuer = other.did })), want: CodeStatusInvalid},
		{name: "issuer without its key", body: signList(t, is, other, base), want: CodeStatusInvalid},
		{name: "wrong purpose", body: signList(t, is, is.key, with(func(p *CredentialParams) { p.Purpose = PurposeSuspension })), want: CodeStatusInvalid},
		{name: "another list's URL", body: signList(t, is, is.key, with(func(p *CredentialParams) { p.URL = url + "-other" })), want: CodeStatusInvalid},
		{name: "too short", body: signList(t, is, is.key, with(func(p *CredentialParams) { p.Encoded = smallEnc })), want: CodeStatusInvalid},
		{name: "gzip bomb", body: signList(t, is, is.key, with(func(p *CredentialParams) { p.Encoded = bomb })), want: CodeStatusInvalid},
		{name: "not yet valid", body: signList(t, is, is.key, with(func(p *CredentialParams) { p.ValidFrom = is.clock.t.Add(time.Hour) })), want: CodeStatusInvalid},
		{name: "tampered", body: bytes.Replace(good, []byte(`"revocation"`), []byte(`"suspension"`), 1), entry: func(e *Entry) { e.StatusPurpose = PurposeSuspension }, want: CodeStatusInvalid},
		{name: "not json", body: []byte("<html>"), want: CodeStatusInvalid},
		{name: "unreachable", fetch: &Error{Code: CodeStatusUnreachable, Msg: "down"}, want: CodeStatusUnreachable},
		{name: "plain error", fetch: io.ErrUnexpectedEOF, want: CodeStatusUnreachable},
		{name: "index out of range", body: good, entry: func(e *Entry) { e.StatusListIndex = fmt.Sprint(MinEntries) }, want: CodeStatusInvalid},
		{name: "entry purpose mismatch", body: good, entry: func(e *Entry) { e.StatusPurpose = PurposeSuspension }, want: CodeStatusInvalid},
		{name: "unknown entry type", body: good, entry: func(e *Entry) { e.Type = "StatusList2021Entry" }, want: CodeStatusInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := FetcherFunc(func(context.Context, string) ([]byte, error) {
				if tc.fetch != nil {
					return nil, tc.fetch
				}
				return tc.body, nil
			})
			c, err := NewChecker(CheckerOptions{Fetcher: f, Processor: is.proc, Resolver: identity.NewResolver(identity.ResolverOptions{}), Now: is.clock.now})
			if err != nil {
				t.Fatal(err)
			}
			e := rev
			if tc.entry != nil {
				tc.entry(&e)
			}
			_, err = c.Check(ctx, is.credential(e))
			t.Log(err)
			wantCode(t, err, tc.want)
		})
	}
	// The credential's issuer must be known.
	c := is.checker(t)
	cred := is.credential(rev)
	delete(cred, "issuer")
	_, err := c.Check(ctx, cred)
	wantCode(t, err, CodeStatusInvalid)
	cred["issuer"] = map[string]any{"id": is.key.did}
	if _, err := c.Check(ctx, cred); err != nil {
		t.Fatalf("issuer object: %v", err)
	}
	cred["credentialStatus"] = "nope"
	_, err = c.Check(ctx, cred)
	wantCode(t, err, CodeStatusInvalid)
}

func TestHTTPFetcher(t *testing.T) {
	ctx := context.Background()
	is := newIssuerSetup(t, suite.Ed25519, FormatDataIntegrity)
	f := &HTTPFetcher{Client: is.srv.Client(), AllowHTTP: true}
	b, err := f.Fetch(ctx, is.srv.URL+"/status/rev")
	if err != nil || !bytes.Contains(b, []byte(TypeListCredential)) {
		t.Fatalf("%v %s", err, b)
	}
	_, err = f.Fetch(ctx, is.srv.URL+"/status/nope")
	wantCode(t, err, CodeStatusUnreachable)
	_, err = (&HTTPFetcher{Client: is.srv.Client()}).Fetch(ctx, is.srv.URL+"/status/rev")
	wantCode(t, err, CodeStatusInvalid) // http:// refused by default
	_, err = (&HTTPFetcher{Client: is.srv.Client(), AllowHTTP: true, MaxBytes: 100}).Fetch(ctx, is.srv.URL+"/status/rev")
	wantCode(t, err, CodeStatusInvalid)
	_, err = f.Fetch(ctx, "file:///etc/passwd")
	wantCode(t, err, CodeStatusInvalid)
	_, err = f.Fetch(ctx, "http://127.0.0.1:1/x")
	wantCode(t, err, CodeStatusUnreachable)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = f.Fetch(cctx, is.srv.URL+"/status/rev")
	wantCode(t, err, CodeStatusUnreachable)
}

func TestHandler(t *testing.T) {
	for _, format := range []Format{FormatDataIntegrity, FormatJWT} {
		is := newIssuerSetup(t, suite.Ed25519, format)
		resp, err := is.srv.Client().Get(is.srv.URL + "/status/sus")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != is.pub.MediaType() || resp.Header.Get("Cache-Control") != "max-age=60" {
			t.Fatalf("%s: %d %v", format, resp.StatusCode, resp.Header)
		}
		if format == FormatJWT && strings.Count(string(body), ".") != 2 {
			t.Fatalf("not a compact JWS: %.40s", body)
		}
		for path, want := range map[string]int{"/status/other": 404, "/status/": 404} {
			resp, err := is.srv.Client().Get(is.srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s: %d", path, resp.StatusCode)
			}
		}
		resp, err = is.srv.Client().Post(is.srv.URL+"/status/sus", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST: %d", resp.StatusCode)
		}
	}
}

func TestPublisherCachesUntilChange(t *testing.T) {
	ctx := context.Background()
	is := newIssuerSetup(t, suite.Ed25519, FormatDataIntegrity)
	a, _, err := is.pub.Credential(ctx, "rev")
	if err != nil {
		t.Fatal(err)
	}
	is.clock.advance(time.Minute)
	b, _, _ := is.pub.Credential(ctx, "rev")
	if !bytes.Equal(a, b) {
		t.Fatal("re-signed without a change")
	}
	e, _ := is.store.Allocate(ctx, "rev")
	i, _ := e.Index()
	is.store.Set(ctx, "rev", i)
	c, _, _ := is.pub.Credential(ctx, "rev")
	if bytes.Equal(a, c) {
		t.Fatal("not re-signed after a change")
	}
	is.clock.advance(13 * time.Hour)
	d, _, _ := is.pub.Credential(ctx, "rev")
	if bytes.Equal(c, d) {
		t.Fatal("not re-signed after half the validity")
	}
	_, _, err = is.pub.Credential(ctx, "nope")
	wantCode(t, err, CodeNotFound)
	// vc+jwt has no SM2 algorithm; the key must be the issuer's.
	sm := newIssuerKey(t, suite.SM2)
	_, err = NewPublisher(PublisherOptions{Store: is.store, Processor: is.proc, Issuer: is.key.did, Signer: sm.signer, VerificationMethod: sm.vm})
	wantCode(t, err, CodeInvalidArgument)
	_, err = NewPublisher(PublisherOptions{Store: is.store, Processor: is.proc, Issuer: sm.did, Signer: sm.signer, VerificationMethod: sm.vm, Format: FormatJWT})
	wantCode(t, err, CodeInvalidArgument)
}
