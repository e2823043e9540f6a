package statuslist

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/vc"
)

const examplesDir = "/work/shared/vectors/bitstring-status-list/examples/"

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }

type issuerKey struct {
	signer suite.Signer
	did    string
	vm     string
}

func newIssuerKey(t testing.TB, alg suite.Alg) issuerKey {
	t.Helper()
	s, err := suite.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := identity.NewKeyDID(alg, s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return issuerKey{signer: s, did: k.DID, vm: k.VerificationMethodID()}
}

func newProcessor(t testing.TB) *vc.Processor {
	t.Helper()
	p, err := vc.New(vc.WithSM2())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newStore(t testing.TB, clock *fakeClock) *Store {
	t.Helper()
	s, err := OpenStore(t.TempDir(), StoreOptions{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// issuerSetup is an issuer with a revocation and a suspension list,
// published by an httptest server.
type issuerSetup struct {
	clock   *fakeClock
	key     issuerKey
	store   *Store
	pub     *Publisher
	srv     *httptest.Server
	fetches atomic.Int64
	proc    *vc.Processor
}

func newIssuerSetup(t testing.TB, alg suite.Alg, format Format) *issuerSetup {
	t.Helper()
	is := &issuerSetup{clock: newClock(), key: newIssuerKey(t, alg), proc: newProcessor(t)}
	is.store = newStore(t, is.clock)
	mux := http.NewServeMux()
	is.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		is.fetches.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(is.srv.Close)
	ctx := context.Background()
	for _, c := range []ListConfig{
		{ID: "rev", URL: is.srv.URL + "/status/rev", Purpose: PurposeRevocation},
		{ID: "sus", URL: is.srv.URL + "/status/sus", Purpose: PurposeSuspension},
	} {
		if _, err := is.store.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	is.pub, err = NewPublisher(PublisherOptions{Store: is.store, Processor: is.proc, Issuer: is.key.did,
		Signer: is.key.signer, VerificationMethod: is.key.vm, Format: format, TTL: time.Minute, Now: is.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/status/", is.pub)
	return is
}

func (is *issuerSetup) checker(t testing.TB) *Checker {
	t.Helper()
	c, err := NewChecker(CheckerOptions{
		Fetcher:   &HTTPFetcher{Client: is.srv.Client(), AllowHTTP: true},
		Processor: is.proc,
		Resolver:  identity.NewResolver(identity.ResolverOptions{}),
		Now:       is.clock.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// credential returns a decoded credential of the issuer with entries.
func (is *issuerSetup) credential(entries ...Entry) map[string]any {
	st := make([]any, len(entries))
	for i, e := range entries {
		st[i] = e.Map()
	}
	return map[string]any{
		"@context":          []any{vc.ContextV2},
		"type":              []any{"VerifiableCredential"},
		"issuer":            is.key.did,
		"credentialSubject": map[string]any{"id": "did:example:holder"},
		"credentialStatus":  st,
	}
}

func wantCode(t testing.TB, err error, want Code) {
	t.Helper()
	if got := CodeOf(err); got != want {
		t.Fatalf("code %q (%v), want %q", got, err, want)
	}
}
