package vcapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/vc"
)

// The seed corpora are in testdata/fuzz/Fuzz*/; `VCAPI_WRITE_SEEDS=1 go test
// -run TestWriteFuzzSeeds` rewrites the generated ones.

// serve runs one request through the handler in memory.
func serve(h http.Handler, path string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// checkReply asserts a reply is JSON with a known shape and no 5xx.
func checkReply(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("status %d: %s", w.Code, w.Body.Bytes())
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("reply not JSON: %v", err)
	}
	if w.Code >= 400 {
		_, c1 := m["code"]
		_, c2 := m["errors"]
		if !c1 && !c2 {
			t.Fatalf("error reply without a code: %s", w.Body.Bytes())
		}
	}
}

func FuzzIssueRequest(f *testing.F) {
	fx := newFixture(f)
	h := fx.server.Handler()
	f.Add([]byte(`{"credential":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeIssueRequest(data)
		if err != nil {
			if c := codeOf(err); c != string(CodeBadRequest) {
				t.Fatalf("decode error code %q", c)
			}
		} else {
			if !json.Valid(req.Credential) || req.Credential[0] != '{' {
				t.Fatal("accepted a credential that is not a JSON object")
			}
			if _, err := req.Options.format(); err != nil {
				t.Fatal("accepted bad options")
			}
		}
		checkReply(t, serve(h, "/credentials/issue", data))
	})
}

func FuzzVerifyRequest(f *testing.F) {
	fx := newFixture(f)
	h := fx.server.Handler()
	f.Add([]byte(`{"verifiableCredential":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if req, err := DecodeVerifyRequest(data); err != nil {
			if c := codeOf(err); c != string(CodeBadRequest) {
				t.Fatalf("decode error code %q", c)
			}
		} else if (req.doc.JWS == "") == (req.doc.JSON == nil) {
			t.Fatal("decoded to neither or both of JSON and JWS")
		}
		checkReply(t, serve(h, "/credentials/verify", data))
		if _, err := DecodePresentationRequest(data); err != nil && codeOf(err) != string(CodeBadRequest) {
			t.Fatalf("presentation decode error code %q", codeOf(err))
		}
		checkReply(t, serve(h, "/presentations/verify", data))
	})
}

// TestWriteFuzzSeeds writes the seed corpora when VCAPI_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("VCAPI_WRITE_SEEDS") != "1" {
		t.Skip("set VCAPI_WRITE_SEEDS=1 to rewrite testdata/fuzz")
	}
	f := newFixture(t)
	cred := f.credential(f.ed.did)
	issue := map[string]any{
		"valid":          map[string]any{"credential": cred},
		"vcjwt":          map[string]any{"credential": cred, "options": map[string]any{"type": "vc+jwt"}},
		"ecdsa":          map[string]any{"credential": f.credential(f.p256.did), "options": map[string]any{"cryptosuite": vc.ECDSARDFC2019}},
		"issuer-object":  map[string]any{"credential": withIssuerObject(f.credential(f.ed.did)), "options": map[string]any{"proofFormat": "ldp", "credentialId": "urn:uuid:1"}},
		"unknown-issuer": map[string]any{"credential": f.credential("did:example:unknown")},
		"unknown-option": map[string]any{"credential": cred, "options": map[string]any{"x": 1}},
		"status":         map[string]any{"credential": withStatus(f.credential(f.ed.did), map[string]any{"type": "BitstringStatusListEntry"})},
	}
	writeSeeds(t, "FuzzIssueRequest", issue, map[string]string{
		"not-json": `{"credential":`, "array": `[]`, "null-credential": `{"credential":null}`, "numbers": `{"credential":{"issuer":1e999}}`,
	})
	di := f.issue(f.credential(f.ed.did), nil)
	jwt := f.issue(f.credential(f.ed.did), map[string]any{"type": "vc+jwt"})
	sm2 := f.issue(f.credential(f.web), nil)
	c := f.challenge()
	vp := f.presentation(c, testAudience, di)
	verify := map[string]any{
		"di":           map[string]any{"verifiableCredential": di},
		"enveloped":    map[string]any{"verifiableCredential": jwt},
		"co-signed":    map[string]any{"verifiableCredential": sm2, "options": map[string]any{"checks": []string{"proof"}}},
		"presentation": map[string]any{"verifiablePresentation": vp, "options": map[string]any{"challenge": c, "domain": testAudience}},
		"vp-enveloped": map[string]any{"verifiablePresentation": map[string]any{"type": TypeEnvelopedVerifiablePresentation, "id": "data:application/vp+jwt,a.b.c"}, "options": map[string]any{"challenge": "x"}},
	}
	writeSeeds(t, "FuzzVerifyRequest", verify, map[string]string{
		"string-jws": `{"verifiableCredential":"a.b.c"}`, "bad-envelope": `{"verifiableCredential":{"type":"EnvelopedVerifiableCredential","id":"data:text/plain,x"}}`,
		"type-array": `{"verifiableCredential":{"type":["EnvelopedVerifiableCredential"],"id":5}}`, "deep": strings.Repeat("[", 200),
	})
}

func withIssuerObject(c map[string]any) map[string]any {
	c["issuer"] = map[string]any{"id": c["issuer"], "name": "Example"}
	return c
}

func writeSeeds(t *testing.T, fuzz string, docs map[string]any, raw map[string]string) {
	dir := filepath.Join("testdata", "fuzz", fuzz)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, d := range docs {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		write(name, b)
	}
	for name, s := range raw {
		write(name, []byte(s))
	}
}
