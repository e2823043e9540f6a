package vcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/vc"
)

func TestPresentations(t *testing.T) {
	f := newFixture(t, func(f *fixture, cfg *Config) { cfg.RequireHolderBinding = true })
	cred := f.issue(f.credential(f.ed.did), nil)
	jwtCred := f.issue(f.credential(f.p256.did), map[string]any{"type": "vc+jwt"})

	verify := func(vp any, challenge, domain string) (int, []byte) {
		opts := map[string]any{"challenge": challenge}
		if domain != "" {
			opts["domain"] = domain
		}
		return f.post("/presentations/verify", map[string]any{"verifiablePresentation": vp, "options": opts})
	}

	t.Run("verified, then replayed", func(t *testing.T) {
		c := f.challenge()
		vp := f.presentation(c, testAudience, cred, jwtCred)
		status, body := verify(vp, c, "")
		r := decodeVerify(t, body)
		if status != http.StatusOK || !r.Verified || r.Holder != f.holder.did {
			t.Fatalf("%d %s", status, body)
		}
		status, body = verify(vp, c, testAudience)
		wantError(t, status, body, http.StatusBadRequest, "replayed")
	})
	t.Run("wrong domain in proof", func(t *testing.T) {
		c := f.challenge()
		status, body := verify(f.presentation(c, "evil.example", cred), c, "")
		wantError(t, status, body, http.StatusBadRequest, "domain_mismatch")
		// The challenge was not spent by the failed attempt.
		status, body = verify(f.presentation(c, testAudience, cred), c, "")
		if status != http.StatusOK {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("domain option not the audience", func(t *testing.T) {
		c := f.challenge()
		status, body := verify(f.presentation(c, "evil.example", cred), c, "evil.example")
		wantError(t, status, body, http.StatusBadRequest, "domain_mismatch")
	})
	t.Run("challenge not issued", func(t *testing.T) {
		status, body := verify(f.presentation("made-up", testAudience, cred), "made-up", "")
		wantError(t, status, body, http.StatusBadRequest, "unknown_challenge")
	})
	t.Run("challenge mismatch", func(t *testing.T) {
		c1, c2 := f.challenge(), f.challenge()
		status, body := verify(f.presentation(c1, testAudience, cred), c2, "")
		wantError(t, status, body, http.StatusBadRequest, "challenge_mismatch")
	})
	t.Run("missing challenge", func(t *testing.T) {
		status, body := f.post("/presentations/verify", map[string]any{"verifiablePresentation": f.presentation("x", testAudience, cred)})
		wantError(t, status, body, http.StatusBadRequest, "bad_request")
	})
	t.Run("tampered credential inside", func(t *testing.T) {
		var m map[string]any
		_ = json.Unmarshal(cred, &m)
		m["credentialSubject"].(map[string]any)["memberOf"] = "Other Dataspace"
		bad, _ := json.Marshal(m)
		c := f.challenge()
		status, body := verify(f.presentation(c, testAudience, bad), c, "")
		wantError(t, status, body, http.StatusBadRequest, "bad_signature")
		r := decodeVerify(t, body)
		if r.Errors[0].Index == nil || *r.Errors[0].Index != 0 {
			t.Fatalf("no index: %s", body)
		}
	})
	t.Run("vp+jwt enveloped", func(t *testing.T) {
		c := f.challenge()
		vp := map[string]any{
			"@context": []any{vc.ContextV2}, "type": []any{vc.TypeVerifiablePresentation},
			"holder": f.holder.did, "verifiableCredential": []any{json.RawMessage(jwtCred)},
		}
		tok, err := f.proc.SignPresentationJWT(context.Background(), vp, vc.PresentationJWTOptions{
			Signer: f.holder.signer, KeyID: f.holder.vm, Nonce: c, Audience: testAudience, IssuedAt: time.Now(),
		})
		if err != nil {
			t.Fatal(err)
		}
		env := map[string]any{"@context": vc.ContextV2, "type": TypeEnvelopedVerifiablePresentation, "id": "data:application/vp+jwt," + tok}
		status, body := verify(env, c, "")
		if status != http.StatusOK {
			t.Fatalf("%d %s", status, body)
		}
		status, body = verify(env, c, "")
		wantError(t, status, body, http.StatusBadRequest, "replayed")
	})
}

func TestChallengeTable(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tab := newChallengeTable(2, time.Minute, clock)
	a, _, err := tab.mint()
	if err != nil || !tab.valid(a) || tab.valid("other") {
		t.Fatal("fresh challenge not valid", err)
	}
	if _, _, err := tab.mint(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tab.mint(); codeOf(err) != string(CodeUnavailable) {
		t.Fatalf("full table: %v", err)
	}
	now = now.Add(time.Minute)
	if tab.valid(a) {
		t.Fatal("expired challenge valid")
	}
	if _, _, err := tab.mint(); err != nil {
		t.Fatalf("expired entries not reclaimed: %v", err)
	}
}

// TestConcurrentReplay sends one presentation many times at once: exactly
// one request may succeed.
func TestConcurrentReplay(t *testing.T) {
	f := newFixture(t)
	cred := f.issue(f.credential(f.ed.did), nil)
	c := f.challenge()
	body, _ := json.Marshal(map[string]any{"verifiablePresentation": f.presentation(c, testAudience, cred), "options": map[string]any{"challenge": c}})
	const n = 16
	results := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := f.client.Post(f.srv.URL+"/presentations/verify", "application/json", bytes.NewReader(body))
			if err != nil {
				results <- 0
				return
			}
			resp.Body.Close()
			results <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(results)
	ok := 0
	for s := range results {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusBadRequest:
		default:
			t.Errorf("status %d", s)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d replays verified", ok, n)
	}
}
