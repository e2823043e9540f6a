package dcp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/sitoken"
	"github.com/xborder/xborder/internal/statuslist"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/trust"
	"github.com/xborder/xborder/internal/vc"
)

// party is a did:key with its signer.
type party struct {
	did, kid string
	s        suite.Signer
}

func newParty(t *testing.T, alg suite.Alg) party {
	t.Helper()
	s, err := suite.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := identity.NewKeyDID(alg, s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return party{did: k.DID, kid: k.VerificationMethodID(), s: s}
}

var now = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// membership issues a MembershipCredential to holder as a vc+jwt.
func membership(t *testing.T, p *vc.Processor, issuer party, holder, jurisdiction string) Credential {
	t.Helper()
	doc := map[string]any{"@context": []string{"https://www.w3.org/ns/credentials/v2"}, "type": []string{"VerifiableCredential", "MembershipCredential"},
		"issuer": issuer.did, "validFrom": "2026-01-01T00:00:00Z", "validUntil": "2027-06-01T00:00:00Z",
		"credentialSubject": map[string]any{"id": holder, "jurisdiction": jurisdiction, "name": "Amsterdam Research Centre"}}
	tok, err := p.SignJWT(context.Background(), doc, vc.JWTOptions{Signer: issuer.s, KeyID: issuer.kid})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCredential([]byte(tok + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type fixture struct {
	holder, verifier, issuer party
	h                        *Holder
	v                        *Verifier
	srv                      *httptest.Server
}

func newFixture(t *testing.T, holderAlg suite.Alg, trusted bool) *fixture {
	t.Helper()
	p, err := vc.New(vc.WithSM2())
	if err != nil {
		t.Fatal(err)
	}
	res := identity.NewResolver(identity.ResolverOptions{})
	f := &fixture{holder: newParty(t, holderAlg), verifier: newParty(t, suite.Ed25519), issuer: newParty(t, suite.Ed25519)}
	f.h, err = NewHolder(HolderConfig{DID: f.holder.did, KeyID: f.holder.kid, Signer: f.holder.s, Processor: p, Now: clock,
		Credentials: []Credential{membership(t, p, f.issuer, f.holder.did, "NL")},
		Tokens:      &sitoken.Verifier{Audience: f.holder.did, Resolve: res.ResolveKey, Now: clock}})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.h.Handler())
	t.Cleanup(f.srv.Close)
	reg := &trust.Registry{ID: "https://registry.example/dataspace", Operator: "did:web:registry.example", Scheme: "demo", Sequence: 1,
		Issued: now.Add(-time.Hour), NextUpdate: now.Add(24 * time.Hour)}
	if trusted {
		reg.Entries = []trust.Entry{{Name: "NL data space authority", Issuer: f.issuer.did, Jurisdiction: "NL",
			CredentialTypes: []string{"MembershipCredential"}, ValidFrom: now.Add(-48 * time.Hour)}}
	}
	f.v, err = NewVerifier(VerifierConfig{DID: f.verifier.did, KeyID: f.verifier.kid, Signer: f.verifier.s, Resolver: res, Processor: p,
		Registry: func() *trust.Registry { return reg }, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPresentationFlow(t *testing.T) {
	for _, alg := range []suite.Alg{suite.Ed25519, suite.P256, suite.SM2} {
		t.Run(string(alg), func(t *testing.T) {
			f := newFixture(t, alg, true)
			ctx := context.Background()
			v, err := f.v.Query(ctx, f.holder.did, f.h.AccessToken(f.verifier.did), f.srv.URL, []string{"MembershipCredential"})
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Credentials) != 1 || v.Jurisdiction("MembershipCredential") != "NL" || v.Credentials[0].Anchor.EntryName != "NL data space authority" {
				t.Fatalf("verified %+v", v)
			}
			if c := f.v.Cached(f.holder.did); c != v {
				t.Error("not cached")
			}
		})
	}
}

func TestPresentationUntrustedIssuer(t *testing.T) {
	f := newFixture(t, suite.Ed25519, false)
	v, err := f.v.Query(context.Background(), f.holder.did, f.h.AccessToken(f.verifier.did), f.srv.URL, []string{"MembershipCredential"})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Credentials) != 0 || v.Jurisdiction("MembershipCredential") != "" || len(v.Rejected) != 1 || !strings.Contains(v.Rejected[0], "no entry for this issuer") {
		t.Fatalf("an untrusted issuer's credential counted: %+v", v)
	}
}

func TestPresentationRefusals(t *testing.T) {
	f := newFixture(t, suite.Ed25519, true)
	ctx := context.Background()
	other := newParty(t, suite.Ed25519)
	for name, tc := range map[string]struct {
		token string
		want  string
	}{
		"no access token":        {"", "no access token"},
		"forged access token":    {"dcp1.eyJhdWQiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.AAAA", "403"},
		"token of another party": {f.h.AccessToken(other.did), "403"},
	} {
		if _, err := f.v.Query(ctx, f.holder.did, tc.token, f.srv.URL, []string{"MembershipCredential"}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	// A query without a self-issued ID token, or with a bad body.
	for name, tc := range map[string]struct {
		auth, body string
		status     int
	}{
		"no token":   {"", `{"@context":["` + ContextURL + `"],"@type":"PresentationQueryMessage","scope":["` + Scope("MembershipCredential") + `"]}`, 401},
		"definition": {"si", `{"@context":["` + ContextURL + `"],"@type":"PresentationQueryMessage","presentationDefinition":{"id":"x"}}`, 400},
		"both":       {"si", `{"@context":["` + ContextURL + `"],"@type":"PresentationQueryMessage","scope":["` + Scope("X") + `"],"presentationDefinition":{}}`, 400},
		"bad scope":  {"si", `{"@context":["` + ContextURL + `"],"@type":"PresentationQueryMessage","scope":["MembershipCredential"]}`, 400},
		"dup key":    {"si", `{"@context":["` + ContextURL + `"],"@type":"PresentationQueryMessage","scope":[],"scope":["` + Scope("X") + `"]}`, 400},
		"no context": {"si", `{"@type":"PresentationQueryMessage","scope":["` + Scope("X") + `"]}`, 400},
	} {
		req, _ := http.NewRequest("POST", f.srv.URL+QueryPath, strings.NewReader(tc.body))
		if tc.auth == "si" {
			tok, err := sitoken.Issue(f.verifier.s, f.verifier.kid, f.verifier.did, f.holder.did, time.Minute, now, f.h.AccessToken(f.verifier.did))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", name, resp.StatusCode, tc.status)
		}
	}
}

func TestParseQuery(t *testing.T) {
	types, err := ParseQuery([]byte(`{"@context":["` + ContextURL + `"],"@type":"PresentationQueryMessage","scope":["` +
		Scope("MembershipCredential") + `","` + Scope("DataExportFiling") + `","` + Scope("MembershipCredential") + `"]}`))
	if err != nil || len(types) != 2 || types[1] != "DataExportFiling" {
		t.Fatalf("%v %v", types, err)
	}
}

func FuzzParseQuery(f *testing.F) {
	f.Add([]byte(`{"@context":["` + ContextURL + `"],"@type":"PresentationQueryMessage","scope":["` + Scope("MembershipCredential") + `"]}`))
	f.Add([]byte(`{"@context":["` + ContextURL + `"],"@type":"PresentationResponseMessage","presentation":["a.b.c"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if types, err := ParseQuery(b); err == nil && len(types) == 0 {
			t.Fatal("a query without types was accepted")
		}
		if m, err := ParseResponse(b); err == nil && len(m.Presentation) == 0 {
			t.Fatal("a response without presentations was accepted")
		}
	})
}

// TestPresentationStatus: a credential with a status entry counts only
// when its status list says it is not revoked; without a status checker
// it is set aside (its revocation cannot be checked).
func TestPresentationStatus(t *testing.T) {
	ctx := context.Background()
	p, err := vc.New(vc.WithSM2())
	if err != nil {
		t.Fatal(err)
	}
	issuer := newParty(t, suite.Ed25519)
	var listURL string
	var listJWT []byte
	lists := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vc+jwt")
		w.Write(listJWT)
	}))
	defer lists.Close()
	listURL = lists.URL + "/status/1"
	publish := func(revoked bool) {
		bits, _ := statuslist.NewBitstring(statuslist.MinEntries)
		bits.Set(42, revoked)
		enc, _ := bits.Encode()
		doc := statuslist.BuildCredential(statuslist.CredentialParams{URL: listURL, Issuer: issuer.did, Purpose: statuslist.PurposeRevocation,
			Encoded: enc, ValidFrom: now.Add(-time.Hour)})
		tok, err := p.SignJWT(ctx, doc, vc.JWTOptions{Signer: issuer.s, KeyID: issuer.kid})
		if err != nil {
			t.Fatal(err)
		}
		listJWT = []byte(tok)
	}
	holder, verifier := newParty(t, suite.Ed25519), newParty(t, suite.Ed25519)
	doc := map[string]any{"@context": []string{"https://www.w3.org/ns/credentials/v2"}, "type": []string{"VerifiableCredential", "MembershipCredential"},
		"issuer": issuer.did, "validFrom": "2026-01-01T00:00:00Z",
		"credentialSubject": map[string]any{"id": holder.did, "jurisdiction": "NL"},
		"credentialStatus":  statuslist.NewEntry(listURL, statuslist.PurposeRevocation, 42).Map()}
	tok, err := p.SignJWT(ctx, doc, vc.JWTOptions{Signer: issuer.s, KeyID: issuer.kid})
	if err != nil {
		t.Fatal(err)
	}
	cred, _ := ParseCredential([]byte(tok))
	res := identity.NewResolver(identity.ResolverOptions{})
	h, _ := NewHolder(HolderConfig{DID: holder.did, KeyID: holder.kid, Signer: holder.s, Processor: p, Now: clock, Credentials: []Credential{cred},
		Tokens: &sitoken.Verifier{Audience: holder.did, Resolve: res.ResolveKey, Now: clock}})
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	reg := &trust.Registry{ID: "r", Operator: "o", Sequence: 1, Issued: now.Add(-time.Hour), NextUpdate: now.Add(time.Hour),
		Entries: []trust.Entry{{Name: "NL", Issuer: issuer.did, Jurisdiction: "NL", CredentialTypes: []string{"*"}, ValidFrom: now.Add(-time.Hour)}}}
	checker, err := statuslist.NewChecker(statuslist.CheckerOptions{Fetcher: &statuslist.HTTPFetcher{AllowHTTP: true}, Processor: p, Resolver: res,
		Now: clock, CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	query := func(st *statuslist.Checker) *Verified {
		v, err := NewVerifier(VerifierConfig{DID: verifier.did, KeyID: verifier.kid, Signer: verifier.s, Resolver: res, Processor: p,
			Registry: func() *trust.Registry { return reg }, Now: clock, Status: st, CacheTTL: -1})
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.Query(ctx, holder.did, h.AccessToken(verifier.did), srv.URL, []string{"MembershipCredential"})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	publish(false)
	if v := query(checker); v.Jurisdiction("MembershipCredential") != "NL" {
		t.Fatalf("a valid credential with a status entry: %+v", v)
	}
	if v := query(nil); len(v.Credentials) != 0 || !strings.Contains(strings.Join(v.Rejected, " "), "cannot be checked") {
		t.Fatalf("without a status checker: %+v", v)
	}
	publish(true)
	if v := query(checker); len(v.Credentials) != 0 || !strings.Contains(strings.Join(v.Rejected, " "), "revoked") {
		t.Fatalf("a revoked credential: %+v", v)
	}
}

// TestPresentationExpiredCredential: an expired credential proves nothing.
func TestPresentationExpiredCredential(t *testing.T) {
	f := newFixture(t, suite.Ed25519, true)
	p, _ := vc.New()
	doc := map[string]any{"@context": []string{"https://www.w3.org/ns/credentials/v2"}, "type": []string{"VerifiableCredential", "MembershipCredential"},
		"issuer": f.issuer.did, "validFrom": "2025-01-01T00:00:00Z", "validUntil": "2026-06-01T00:00:00Z",
		"credentialSubject": map[string]any{"id": f.holder.did, "jurisdiction": "NL"}}
	tok, err := p.SignJWT(context.Background(), doc, vc.JWTOptions{Signer: f.issuer.s, KeyID: f.issuer.kid})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := ParseCredential([]byte(tok))
	f.h.cfg.Credentials = []Credential{c}
	v, err := f.v.Query(context.Background(), f.holder.did, f.h.AccessToken(f.verifier.did), f.srv.URL, []string{"MembershipCredential"})
	if err == nil && v.Jurisdiction("MembershipCredential") != "" {
		t.Fatalf("an expired credential proved a jurisdiction: %+v", v)
	}
}
