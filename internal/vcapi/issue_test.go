package vcapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/vc"
)

func TestIssueVerifyRoundTrip(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name, issuer string
		options      map[string]any
		proofs       []string // cryptosuites expected, nil for vc+jwt
	}{
		{"eddsa-rdfc-2022", f.ed.did, map[string]any{"cryptosuite": vc.EdDSARDFC2022}, []string{vc.EdDSARDFC2022}},
		{"ecdsa-rdfc-2019", f.p256.did, map[string]any{"cryptosuite": vc.ECDSARDFC2019}, []string{vc.ECDSARDFC2019}},
		{"xborder-sm2-rdfc-2025", f.sm2.did, map[string]any{"type": "DataIntegrityProof", "cryptosuite": vc.SM2RDFC2025}, []string{vc.SM2RDFC2025}},
		{"default suite", f.p256.did, nil, []string{vc.ECDSARDFC2019}},
		{"co-signed SM2", f.web, map[string]any{"cryptosuite": vc.EdDSARDFC2022}, []string{vc.EdDSARDFC2022, vc.SM2RDFC2025}},
		{"vc+jwt Ed25519", f.ed.did, map[string]any{"type": "vc+jwt"}, nil},
		{"vc+jwt P-256", f.p256.did, map[string]any{"proofFormat": "jwt"}, nil},
		{"issuer object", f.ed.did, map[string]any{"credentialId": "urn:uuid:6a4c8f3e-7f1e-4b0e-9a63-1f1d2c3b4a5e"}, []string{vc.EdDSARDFC2022}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cred := f.credential(c.issuer)
			if c.name == "issuer object" {
				cred["issuer"] = map[string]any{"id": c.issuer, "name": "Example Issuer"}
			}
			out := f.issue(cred, c.options)
			var m map[string]any
			if err := json.Unmarshal(out, &m); err != nil {
				t.Fatal(err)
			}
			if c.proofs == nil {
				id, _ := m["id"].(string)
				if m["type"] != vc.TypeEnvelopedVerifiableCredential || !strings.HasPrefix(id, "data:application/vc+jwt,") {
					t.Fatalf("not an enveloped vc+jwt: %s", out)
				}
			} else {
				if _, ok := m["validFrom"].(string); !ok {
					t.Fatalf("validFrom not added: %s", out)
				}
				if got := cryptosuites(m); strings.Join(got, ",") != strings.Join(c.proofs, ",") {
					t.Fatalf("proofs %v, want %v", got, c.proofs)
				}
			}
			status, resp := f.verify(out)
			if status != http.StatusOK || !resp.Verified || len(resp.Errors) != 0 || resp.Issuer != c.issuer {
				t.Fatalf("verify: %d %+v", status, resp)
			}
		})
	}
}

func cryptosuites(m map[string]any) []string {
	var out []string
	add := func(p any) {
		if pm, ok := p.(map[string]any); ok {
			s, _ := pm["cryptosuite"].(string)
			out = append(out, s)
		}
	}
	switch p := m["proof"].(type) {
	case []any:
		for _, x := range p {
			add(x)
		}
	default:
		add(p)
	}
	return out
}

func TestIssueRefusals(t *testing.T) {
	f := newFixture(t)
	good := f.credential(f.ed.did)
	cases := []struct {
		name       string
		body       any
		status     int
		code       string
		notInReply string
	}{
		{"unknown issuer", map[string]any{"credential": f.credential(f.stranger.did)}, 400, "unknown_issuer", f.stranger.did},
		{"no issuer", map[string]any{"credential": map[string]any{"@context": []any{vc.ContextV2}}}, 400, "bad_request", ""},
		{"unknown option", map[string]any{"credential": good, "options": map[string]any{"secretOption": "Alice"}}, 400, "bad_request", "secretOption"},
		{"unknown top-level member", map[string]any{"credential": good, "extra": 1}, 400, "bad_request", ""},
		{"credential not an object", map[string]any{"credential": "x"}, 400, "bad_request", ""},
		{"bad type", map[string]any{"credential": good, "options": map[string]any{"type": "Ed25519Signature2020"}}, 400, "bad_request", ""},
		{"type and proofFormat disagree", map[string]any{"credential": good, "options": map[string]any{"type": "vc+jwt", "proofFormat": "ldp"}}, 400, "bad_request", ""},
		{"cryptosuite with jwt", map[string]any{"credential": good, "options": map[string]any{"type": "vc+jwt", "cryptosuite": vc.EdDSARDFC2022}}, 400, "bad_request", ""},
		{"unknown cryptosuite", map[string]any{"credential": good, "options": map[string]any{"cryptosuite": "bbs-2023"}}, 400, "unsupported_cryptosuite", ""},
		{"no key for suite", map[string]any{"credential": good, "options": map[string]any{"cryptosuite": vc.ECDSARDFC2019}}, 400, "unsupported_cryptosuite", ""},
		{"mandatory pointers", map[string]any{"credential": good, "options": map[string]any{"mandatoryPointers": []string{"/issuer"}}}, 400, "bad_request", ""},
		{"unpinned context", map[string]any{"credential": map[string]any{
			"@context": []any{vc.ContextV2, "https://evil.example/ctx"}, "type": []any{"VerifiableCredential"},
			"issuer": f.ed.did, "credentialSubject": map[string]any{"id": f.holder.did}}}, 400, "unknown_context", "evil.example"},
		{"bad status entry", map[string]any{"credential": withStatus(f.credential(f.ed.did), map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "revocation"})}, 400, "bad_request", ""},
		{"already has a proof", map[string]any{"credential": withProof(f.credential(f.ed.did))}, 400, "bad_request", ""},
		{"not JSON", []byte("{not json"), 400, "bad_request", ""},
		{"trailing data", []byte(`{"credential":{}} {}`), 400, "bad_request", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := f.post("/credentials/issue", c.body)
			wantError(t, status, body, c.status, c.code)
			if c.notInReply != "" && contains(body, c.notInReply) {
				t.Fatalf("reply echoes request data %q: %s", c.notInReply, body)
			}
			var e ErrorBody
			if err := json.Unmarshal(body, &e); err != nil || e.Type != ProblemTypeBase+c.code || e.Status != c.status {
				t.Fatalf("problem body %s", body)
			}
		})
	}
}

func withStatus(cred map[string]any, status any) map[string]any {
	cred["credentialStatus"] = status
	return cred
}

func withProof(cred map[string]any) map[string]any {
	cred["proof"] = map[string]any{"type": "DataIntegrityProof"}
	return cred
}
