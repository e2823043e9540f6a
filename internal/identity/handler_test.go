package identity

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHandler(t *testing.T) {
	docs := &Documents{}
	root, _ := NewDocument("did:web:node.example.com%3A8443")
	ds, _ := NewDocument("did:web:node.example.com%3A8443:datasets:ds-42")
	other, _ := NewDocument("did:web:other.example")
	for _, d := range []*Document{root, ds, other} {
		if err := docs.Put(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := docs.Put(&Document{ID: "bad"}); err == nil {
		t.Error("Put accepted an invalid document")
	}
	h := &Handler{Host: "node.example.com:8443", Source: docs}
	for _, c := range []struct {
		method, path string
		status       int
		id           string
	}{
		{"GET", "/.well-known/did.json", 200, root.ID},
		{"HEAD", "/.well-known/did.json", 200, ""},
		{"GET", "/datasets/ds-42/did.json", 200, ds.ID},
		{"GET", "/datasets/ds-43/did.json", 404, ""},
		{"GET", "/datasets//did.json", 404, ""},
		{"GET", "/datasets/../did.json", 404, ""},
		{"GET", "/datasets/%2E%2E/did.json", 404, ""},
		{"GET", "/did.json", 404, ""},
		{"GET", "/.well-known/other.json", 404, ""},
		{"GET", "/", 404, ""},
		{"POST", "/.well-known/did.json", 405, ""},
		{"DELETE", "/datasets/ds-42/did.json", 405, ""},
	} {
		req := httptest.NewRequest(c.method, "https://node.example.com:8443"+c.path, nil)
		req.Host = "other.example" // ignored: the handler serves its own host only
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.path, w.Code, c.status)
			continue
		}
		if c.status != 200 {
			continue
		}
		if ct := w.Header().Get("Content-Type"); ct != MediaTypeDIDJSON {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, ct)
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("%s %s: headers %v", c.method, c.path, w.Header())
		}
		if c.method == "HEAD" {
			if w.Body.Len() != 0 {
				t.Errorf("HEAD has a body")
			}
			continue
		}
		body, _ := io.ReadAll(w.Body)
		doc, err := ParseDocument(body)
		if err != nil || doc.ID != c.id {
			t.Errorf("%s %s: served %s (%v)", c.method, c.path, body, err)
		}
	}

	// Deleting deactivates.
	docs.Delete(ds.ID)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/datasets/ds-42/did.json", nil))
	if w.Code != 404 {
		t.Errorf("deleted document: %d", w.Code)
	}

	// A failing source is a 500 that does not leak the error; a source
	// returning another DID's document too.
	for _, src := range []DocumentSource{
		sourceFunc(func(context.Context, string) (*Document, error) { return nil, errors.New("secret db error") }),
		sourceFunc(func(context.Context, string) (*Document, error) { return other, nil }),
	} {
		w := httptest.NewRecorder()
		(&Handler{Host: "node.example.com:8443", Source: src}).ServeHTTP(w, httptest.NewRequest("GET", "/.well-known/did.json", nil))
		if w.Code != 500 || w.Body.String() != "DID document unavailable\n" {
			t.Errorf("source failure: %d %q", w.Code, w.Body.String())
		}
	}
}

type sourceFunc func(context.Context, string) (*Document, error)

func (f sourceFunc) DIDDocument(ctx context.Context, did string) (*Document, error) {
	return f(ctx, did)
}

// TestHandlerServesResolver is the round trip a peer makes: the node's
// handler behind TLS, the resolver on the other side.
func TestHandlerServesResolver(t *testing.T) {
	f := newWebFixture(t)
	root, _ := f.put(t)
	ds, _ := f.put(t, "datasets", "ds-1")
	r := NewResolver(ResolverOptions{HTTPClient: f.client()})
	for _, d := range []*Document{root, ds} {
		res, err := r.Resolve(context.Background(), d.ID)
		if err != nil || res.Document.ID != d.ID {
			t.Fatalf("%s: %v", d.ID, err)
		}
		if _, err := res.Document.VerificationMethod("#key-1", Authentication); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := f.client().Get("https://" + f.host + "/.well-known/did.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Cache-Control") != "max-age=60" {
		t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d", resp.StatusCode)
	}
}
