package vcapi

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/xborder/xborder/internal/statuslist"
)

// withStatusLists gives the Ed25519 issuer a revocation and a suspension
// list, publishes them under /status/ and checks status on verify.
func withStatusLists(t testing.TB) fixtureOption {
	return func(f *fixture, cfg *Config) {
		ctx := context.Background()
		for _, l := range []statuslist.ListConfig{
			{ID: "rev", URL: f.srv.URL + "/status/rev", Purpose: statuslist.PurposeRevocation},
			{ID: "sus", URL: f.srv.URL + "/status/sus", Purpose: statuslist.PurposeSuspension},
		} {
			if _, err := f.store.Create(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		pub, err := statuslist.NewPublisher(statuslist.PublisherOptions{
			Store: f.store, Processor: f.proc, Issuer: f.ed.did, Signer: f.ed.signer, VerificationMethod: f.ed.vm,
		})
		if err != nil {
			t.Fatal(err)
		}
		checker, err := statuslist.NewChecker(statuslist.CheckerOptions{
			Fetcher:   &statuslist.HTTPFetcher{Client: f.srv.Client(), AllowHTTP: true},
			Processor: f.proc, Resolver: f.resolver, CacheTTL: -1,
		})
		if err != nil {
			t.Fatal(err)
		}
		is := cfg.Issuers[f.ed.did]
		is.Status, is.StatusLists = f.store, []string{"rev", "sus"}
		cfg.Issuers[f.ed.did] = is
		cfg.Status, cfg.StatusLists = checker, pub
	}
}

// entries returns the credential's status entries.
func entries(t testing.TB, cred json.RawMessage) []statuslist.Entry {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(cred, &m); err != nil {
		t.Fatal(err)
	}
	es, err := statuslist.EntriesOf(m)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestStatusLists(t *testing.T) {
	f := newFixture(t, withStatusLists(t))
	ctx := context.Background()

	t.Run("served", func(t *testing.T) {
		resp, err := f.client.Get(f.srv.URL + "/status/rev")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != statuslist.MediaTypeVC {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})

	revoked := f.issue(f.credential(f.ed.did), nil)
	suspended := f.issue(f.credential(f.ed.did), map[string]any{"type": "vc+jwt"})
	es := entries(t, revoked)
	if len(es) != 2 {
		t.Fatalf("entries %+v", es)
	}
	status, r := f.verify(revoked)
	if status != 200 || !hasCheck(r.Checks, CheckCredentialStatus) {
		t.Fatalf("%d %+v", status, r)
	}

	idx, _ := es[0].Index()
	if err := f.store.Set(ctx, "rev", idx); err != nil {
		t.Fatal(err)
	}
	status, r = f.verify(revoked)
	if status != http.StatusBadRequest || r.Verified || r.Errors[0].Code != "revoked" {
		t.Fatalf("%d %+v", status, r)
	}

	// The vc+jwt's entries are inside the JWS: suspend it and verify.
	var env map[string]any
	_ = json.Unmarshal(suspended, &env)
	if status, r = f.verify(suspended); status != 200 {
		t.Fatalf("%d %+v", status, r)
	}
	res, err := f.proc.VerifyJWT(ctx, []byte(env["id"].(string)[len("data:application/vc+jwt,"):]), f.resolver, vcOpts())
	if err != nil {
		t.Fatal(err)
	}
	jes, _ := statuslist.EntriesOf(res.Credential)
	sidx, _ := jes[1].Index()
	if err := f.store.Set(ctx, "sus", sidx); err != nil {
		t.Fatal(err)
	}
	if status, r = f.verify(suspended); status != 400 || r.Errors[0].Code != "suspended" {
		t.Fatalf("%d %+v", status, r)
	}

	t.Run("in a presentation", func(t *testing.T) {
		c := f.challenge()
		status, body := f.post("/presentations/verify", map[string]any{
			"verifiablePresentation": f.presentation(c, testAudience, revoked), "options": map[string]any{"challenge": c}})
		wantError(t, status, body, http.StatusBadRequest, "revoked")
	})
}

func TestStatusWithoutChecker(t *testing.T) {
	f := newFixture(t)
	cred := withStatus(f.credential(f.ed.did), statuslist.NewEntry("https://issuer.example/status/1", statuslist.PurposeRevocation, 131071).Map())
	status, r := f.verify(f.issue(cred, nil))
	if status != 400 || r.Errors[0].Code != string(CodeStatusUnchecked) {
		t.Fatalf("%d %+v", status, r)
	}
}

func hasCheck(checks []string, c string) bool {
	for _, x := range checks {
		if x == c {
			return true
		}
	}
	return false
}
