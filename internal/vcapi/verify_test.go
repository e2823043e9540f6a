package vcapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/trust"
	"github.com/xborder/xborder/internal/vc"
)

func TestVerifyTampered(t *testing.T) {
	f := newFixture(t)
	for _, cs := range []string{vc.EdDSARDFC2022, vc.ECDSARDFC2019, vc.SM2RDFC2025} {
		t.Run(cs, func(t *testing.T) {
			issuer := map[string]string{vc.EdDSARDFC2022: f.ed.did, vc.ECDSARDFC2019: f.p256.did, vc.SM2RDFC2025: f.sm2.did}[cs]
			cred := f.credential(issuer)
			cred["credentialSubject"].(map[string]any)["name"] = "Alice Example"
			out := f.issue(cred, map[string]any{"cryptosuite": cs})
			bad := bytes.Replace(out, []byte("Alice Example"), []byte("Mallory Examp"), 1)
			status, body := f.post("/credentials/verify", map[string]any{"verifiableCredential": json.RawMessage(bad)})
			wantError(t, status, body, http.StatusBadRequest, "bad_signature")
			r := decodeVerify(t, body)
			if r.Verified || len(r.ProblemDetails) != 1 || r.ProblemDetails[0].Type != ProblemTypeBase+"bad_signature" {
				t.Fatalf("response %s", body)
			}
			if contains(body, "Mallory") {
				t.Fatalf("reply echoes credential data: %s", body)
			}
		})
	}
	t.Run("vc+jwt", func(t *testing.T) {
		out := f.issue(f.credential(f.ed.did), map[string]any{"type": "vc+jwt"})
		var env map[string]any
		_ = json.Unmarshal(out, &env)
		id := env["id"].(string)
		// Flip one character of the signature (not the last, whose low
		// bits may be padding).
		i := len(id) - 5
		c := byte('A')
		if id[i] == 'A' {
			c = 'B'
		}
		env["id"] = id[:i] + string(c) + id[i+1:]
		b, _ := json.Marshal(env)
		status, body := f.post("/credentials/verify", map[string]any{"verifiableCredential": json.RawMessage(b)})
		wantError(t, status, body, http.StatusBadRequest, "bad_signature")
		// The bare compact JWS is accepted as well.
		status, body = f.post("/credentials/verify", map[string]any{"verifiableCredential": strings.TrimPrefix(id, vc.EnvelopedVCJWTPrefix)})
		if status != http.StatusOK {
			t.Fatalf("bare JWS: %d %s", status, body)
		}
	})
}

func TestVerifyOptionsAndRefusals(t *testing.T) {
	f := newFixture(t)
	out := f.issue(f.credential(f.ed.did), nil)
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"checks accepted", map[string]any{"verifiableCredential": out, "options": map[string]any{"checks": []string{"proof", "credentialStatus"}}}, 200, ""},
		{"unknown check", map[string]any{"verifiableCredential": out, "options": map[string]any{"checks": []string{"magic"}}}, 400, "bad_request"},
		{"unknown option", map[string]any{"verifiableCredential": out, "options": map[string]any{"foo": true}}, 400, "bad_request"},
		{"challenge not in proof", map[string]any{"verifiableCredential": out, "options": map[string]any{"challenge": "abc"}}, 400, "challenge_mismatch"},
		{"wrong purpose", map[string]any{"verifiableCredential": out, "options": map[string]any{"expectedProofPurpose": "authentication"}}, 400, "purpose_mismatch"},
		{"missing credential", map[string]any{"options": map[string]any{}}, 400, "bad_request"},
		{"array", map[string]any{"verifiableCredential": []any{}}, 400, "bad_request"},
		{"enveloped, wrong media type", map[string]any{"verifiableCredential": map[string]any{"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+sd-jwt,a.b.c"}}, 400, "bad_request"},
		{"not a credential", map[string]any{"verifiableCredential": map[string]any{"@context": []any{vc.ContextV2}}}, 400, "malformed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := f.post("/credentials/verify", c.body)
			if c.status == 200 {
				if status != 200 {
					t.Fatalf("%d %s", status, body)
				}
				return
			}
			wantError(t, status, body, c.status, c.code)
		})
	}
}

func TestHTTPLayer(t *testing.T) {
	f := newFixture(t)
	out := f.issue(f.credential(f.ed.did), nil)
	body, _ := json.Marshal(map[string]any{"verifiableCredential": out})

	t.Run("wrong content type", func(t *testing.T) {
		status, b := f.postType("/credentials/verify", "text/plain", body)
		wantError(t, status, b, http.StatusUnsupportedMediaType, "unsupported_media_type")
		status, b = f.postType("/credentials/issue", "application/x-www-form-urlencoded", body)
		wantError(t, status, b, http.StatusUnsupportedMediaType, "unsupported_media_type")
	})
	t.Run("content type with charset", func(t *testing.T) {
		if status, b := f.postType("/credentials/verify", "application/json; charset=utf-8", body); status != 200 {
			t.Fatalf("%d %s", status, b)
		}
	})
	t.Run("oversized", func(t *testing.T) {
		big := append([]byte(`{"verifiableCredential":"`), bytes.Repeat([]byte("a"), DefaultMaxBody+1)...)
		big = append(big, `"}`...)
		status, b := f.post("/credentials/verify", big)
		wantError(t, status, b, http.StatusRequestEntityTooLarge, "too_large")
		status, b = f.post("/credentials/issue", big)
		wantError(t, status, b, http.StatusRequestEntityTooLarge, "too_large")
	})
	t.Run("method not allowed", func(t *testing.T) {
		for _, p := range []string{"/credentials/verify", "/credentials/issue", "/presentations/verify", "/challenges"} {
			resp, err := f.client.Get(f.srv.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Fatalf("GET %s: %d", p, resp.StatusCode)
			}
		}
	})
	t.Run("did.json", func(t *testing.T) {
		resp, err := f.client.Get(f.srv.URL + "/.well-known/did.json")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var doc map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != 200 || doc["id"] != f.web {
			t.Fatalf("%d %v %v", resp.StatusCode, doc, err)
		}
	})
	t.Run("verify response shape", func(t *testing.T) {
		status, b := f.post("/credentials/verify", body)
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil || status != 200 {
			t.Fatalf("%d %s", status, b)
		}
		for _, k := range []string{"verified", "checks", "warnings", "errors"} {
			if _, ok := raw[k]; !ok {
				t.Fatalf("no %s in %s", k, b)
			}
		}
		if string(raw["errors"]) != "[]" || string(raw["warnings"]) != "[]" {
			t.Fatalf("errors/warnings not empty arrays: %s", b)
		}
	})
}

func TestNewRefusesBadConfig(t *testing.T) {
	f := newFixture(t)
	bad := []Config{
		{Resolver: f.resolver},
		{Processor: f.proc},
		{Processor: f.proc, Resolver: f.resolver, Issuers: map[string]Issuer{"not-a-did": {Keys: []Key{{f.ed.signer, f.ed.vm}}}}},
		{Processor: f.proc, Resolver: f.resolver, Issuers: map[string]Issuer{f.ed.did: {}}},
		{Processor: f.proc, Resolver: f.resolver, Issuers: map[string]Issuer{f.ed.did: {Keys: []Key{{f.p256.signer, f.p256.vm}}}}},
		{Processor: f.proc, Resolver: f.resolver, Issuers: map[string]Issuer{f.ed.did: {Keys: []Key{{f.ed.signer, f.ed.vm}}, Format: "ldp"}}},
		{Processor: f.proc, Resolver: f.resolver, StatusListPath: "/status"},
	}
	for i, c := range bad {
		if _, err := New(c); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
}

// staticTrust is a TrustPolicy over one registry.
func testRegistry(issuer string) *trust.Registry {
	now := time.Now().UTC().Truncate(time.Second)
	return &trust.Registry{
		ID: "https://registry.example/list", Operator: "did:web:registry.example", Scheme: "test scheme", Sequence: 7,
		Issued: now.Add(-time.Hour), NextUpdate: now.Add(24 * time.Hour),
		Entries: []trust.Entry{{Name: "Example Issuer", Issuer: issuer, Jurisdiction: "CN-SH",
			CredentialTypes: []string{"ExampleMembershipCredential"}, ValidFrom: now.Add(-time.Hour)}},
	}
}

func TestTrust(t *testing.T) {
	var reg *trust.Registry
	f := newFixture(t, func(f *fixture, cfg *Config) {
		reg = testRegistry(f.ed.did)
		cfg.Trust, cfg.Jurisdiction = reg, "CN-SH"
	})
	status, r := f.verify(f.issue(f.credential(f.ed.did), nil))
	if status != 200 || len(r.TrustAnchors) != 1 || r.TrustAnchors[0].Sequence != 7 || r.TrustAnchors[0].Entry != "Example Issuer" {
		t.Fatalf("%d %+v", status, r)
	}
	status, r = f.verify(f.issue(f.credential(f.p256.did), nil))
	if status != 400 || r.Verified || r.Errors[0].Code != "untrusted_issuer" {
		t.Fatalf("%d %+v", status, r)
	}
}

func TestAuthorize(t *testing.T) {
	f := newFixture(t, func(f *fixture, cfg *Config) {
		cfg.Authorize = func(r *http.Request, endpoint string) error {
			if endpoint == "POST /credentials/issue" && r.Header.Get("Authorization") != "Bearer ok" {
				return errors.New("no token")
			}
			return nil
		}
	})
	status, body := f.post("/credentials/issue", map[string]any{"credential": f.credential(f.ed.did)})
	wantError(t, status, body, http.StatusForbidden, "forbidden")
	if contains(body, "no token") {
		t.Fatalf("reply leaks the authorizer's error: %s", body)
	}
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/credentials/issue",
		strings.NewReader(`{"credential":{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"`+f.ed.did+`","credentialSubject":{"id":"did:example:1"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer ok")
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("authorized issue: %d", resp.StatusCode)
	}
}
