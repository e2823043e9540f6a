package vcapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/statuslist"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/vc"
)

const (
	testAudience   = "verifier.example"
	webIssuerHost  = "issuer.example"
	contextExample = "https://www.w3.org/ns/credentials/examples/v2"
)

// actor is a did:key with its signer.
type actor struct {
	did    string
	vm     string
	signer suite.Signer
}

func newActor(t testing.TB, alg suite.Alg) actor {
	t.Helper()
	s, err := suite.Generate(alg, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := identity.NewKeyDID(alg, s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return actor{did: k.DID, vm: k.VerificationMethodID(), signer: s}
}

// webMethod serves fixed did:web documents (a stand-in for HTTPS).
type webMethod struct{ docs identity.Documents }

func (m *webMethod) Resolve(ctx context.Context, d identity.DID) (*identity.Result, error) {
	doc, err := m.docs.DIDDocument(ctx, d.String())
	if err != nil {
		return nil, err
	}
	return &identity.Result{Document: doc, Metadata: identity.ResolutionMetadata{ContentType: identity.MediaTypeDIDJSON}}, nil
}

// fixture is a running server with issuers of every algorithm.
type fixture struct {
	t        testing.TB
	proc     *vc.Processor
	resolver *identity.Resolver
	ed, p256 actor // did:key issuers
	sm2      actor
	web      string // did:web issuer with Ed25519 and SM2 keys (co-signing)
	webEd    Key
	webSM2   Key
	webDocs  *identity.Documents
	holder   actor
	stranger actor // an issuer the server does not sign for
	store    *statuslist.Store
	srv      *httptest.Server
	server   *Server
	client   *http.Client
}

// fixtureOption adjusts the Config before New.
type fixtureOption func(f *fixture, cfg *Config)

func newFixture(t testing.TB, opts ...fixtureOption) *fixture {
	t.Helper()
	proc, err := vc.New(vc.WithSM2())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, proc: proc}
	f.ed, f.p256, f.sm2 = newActor(t, suite.Ed25519), newActor(t, suite.P256), newActor(t, suite.SM2)
	f.holder, f.stranger = newActor(t, suite.Ed25519), newActor(t, suite.Ed25519)

	// did:web issuer with two keys.
	f.web = "did:web:" + webIssuerHost
	edS, _ := suite.Generate(suite.Ed25519, rand.Reader)
	smS, _ := suite.Generate(suite.SM2, rand.Reader)
	f.webEd = Key{Signer: edS, VerificationMethod: f.web + "#key-1"}
	f.webSM2 = Key{Signer: smS, VerificationMethod: f.web + "#key-sm2"}
	doc, err := identity.NewDocument(f.web)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []Key{f.webEd, f.webSM2} {
		vm, err := identity.NewMultikeyMethod(k.VerificationMethod, f.web, k.Signer.Alg(), k.Signer.Public())
		if err != nil {
			t.Fatal(err)
		}
		if err := doc.AddVerificationMethod(*vm, identity.AssertionMethod, identity.Authentication); err != nil {
			t.Fatal(err)
		}
	}
	wm := &webMethod{}
	if err := wm.docs.Put(doc); err != nil {
		t.Fatal(err)
	}
	f.webDocs = &wm.docs
	f.resolver = identity.NewResolver(identity.ResolverOptions{Methods: map[string]identity.Method{"web": wm}})

	store, err := statuslist.OpenStore(t.TempDir(), statuslist.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.store = store

	var h http.Handler
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(f.srv.Close)
	f.client = f.srv.Client()

	cfg := Config{
		Processor: proc,
		Resolver:  f.resolver,
		Issuers: map[string]Issuer{
			f.ed.did:   {Keys: []Key{{f.ed.signer, f.ed.vm}}},
			f.p256.did: {Keys: []Key{{f.p256.signer, f.p256.vm}}},
			f.sm2.did:  {Keys: []Key{{f.sm2.signer, f.sm2.vm}}},
			f.web:      {Keys: []Key{f.webEd, f.webSM2}, CoSignSM2: true},
		},
		Audience: testAudience,
		DIDs:     &identity.Handler{Host: webIssuerHost, Source: f.webDocs},
	}
	for _, o := range opts {
		o(f, &cfg)
	}
	f.server, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h = f.server.Handler()
	return f
}

// credential returns an unsigned credential of issuer about the holder.
func (f *fixture) credential(issuer string) map[string]any {
	return map[string]any{
		"@context":          []any{vc.ContextV2, contextExample},
		"type":              []any{"VerifiableCredential", "ExampleMembershipCredential"},
		"issuer":            issuer,
		"credentialSubject": map[string]any{"id": f.holder.did, "memberOf": "Example Dataspace"},
	}
}

// post sends v (marshalled unless []byte) as application/json and returns
// the status and the body.
func (f *fixture) post(path string, v any) (int, []byte) {
	f.t.Helper()
	return f.postType(path, "application/json", v)
}

func (f *fixture) postType(path, ctype string, v any) (int, []byte) {
	f.t.Helper()
	b, ok := v.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			f.t.Fatal(err)
		}
	}
	resp, err := f.client.Post(f.srv.URL+path, ctype, bytes.NewReader(b))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, body
}

// issue issues cred with options and returns the verifiableCredential.
func (f *fixture) issue(cred map[string]any, options map[string]any) json.RawMessage {
	f.t.Helper()
	req := map[string]any{"credential": cred}
	if options != nil {
		req["options"] = options
	}
	status, body := f.post("/credentials/issue", req)
	if status != http.StatusCreated {
		f.t.Fatalf("issue: status %d: %s", status, body)
	}
	var resp IssueResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		f.t.Fatal(err)
	}
	return resp.VerifiableCredential
}

// verify posts a credential to /credentials/verify.
func (f *fixture) verify(vcJSON json.RawMessage) (int, VerifyResponse) {
	f.t.Helper()
	status, body := f.post("/credentials/verify", map[string]any{"verifiableCredential": vcJSON})
	return status, decodeVerify(f.t, body)
}

func decodeVerify(t testing.TB, body []byte) VerifyResponse {
	t.Helper()
	var r VerifyResponse
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("verify response %s: %v", body, err)
	}
	return r
}

// challenge fetches a challenge.
func (f *fixture) challenge() string {
	f.t.Helper()
	status, body := f.post("/challenges", []byte("{}"))
	if status != http.StatusCreated {
		f.t.Fatalf("challenge: %d %s", status, body)
	}
	var c ChallengeResponse
	if err := json.Unmarshal(body, &c); err != nil || c.Challenge == "" {
		f.t.Fatalf("challenge body %s: %v", body, err)
	}
	return c.Challenge
}

// presentation signs a presentation of creds by the holder.
func (f *fixture) presentation(challenge, domain string, creds ...json.RawMessage) json.RawMessage {
	f.t.Helper()
	list := make([]any, len(creds))
	for i, c := range creds {
		list[i] = c
	}
	vp := map[string]any{
		"@context": []any{vc.ContextV2}, "type": []any{vc.TypeVerifiablePresentation},
		"holder": f.holder.did, "verifiableCredential": list,
	}
	b, err := f.proc.SignPresentation(context.Background(), vp, vc.ProofOptions{
		Cryptosuite: vc.EdDSARDFC2022, VerificationMethod: f.holder.vm, Challenge: challenge, Domain: domain,
		Created: time.Now().UTC().Truncate(time.Second), Signer: f.holder.signer,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func wantError(t testing.TB, status int, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d: %s", status, wantStatus, body)
	}
	var e struct {
		Code   string      `json:"code"`
		Errors []ErrorItem `json:"errors"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	got := e.Code
	if got == "" && len(e.Errors) > 0 {
		got = e.Errors[0].Code
	}
	if got != wantCode {
		t.Fatalf("code %q, want %q: %s", got, wantCode, body)
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

func vcOpts() vc.VerifyOptions { return vc.VerifyOptions{RequireIssuerKey: true} }
