package identity

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/suite"
)

func TestWebURL(t *testing.T) {
	for did, want := range map[string]string{
		// did:web method specification examples.
		"did:web:w3c-ccg.github.io":                  "https://w3c-ccg.github.io/.well-known/did.json",
		"did:web:w3c-ccg.github.io:user:alice":       "https://w3c-ccg.github.io/user/alice/did.json",
		"did:web:example.com%3A3000:user:alice":      "https://example.com:3000/user/alice/did.json",
		"did:web:example.com%3A3000":                 "https://example.com:3000/.well-known/did.json",
		"did:web:example.com:u:bob":                  "https://example.com/u/bob/did.json",
		"did:web:localhost%3A8443":                   "https://localhost:8443/.well-known/did.json",
		"did:web:localhost%3a8443":                   "https://localhost:8443/.well-known/did.json",
		"did:web:example.com:datasets:ds-1":          "https://example.com/datasets/ds-1/did.json",
		"did:web:example.com:a%20b":                  "https://example.com/a%20b/did.json",
		"did:web:cre8.github.io:example:.well-known": "https://cre8.github.io/example/.well-known/did.json",
	} {
		got, err := WebURL(did)
		if err != nil || got != want {
			t.Errorf("WebURL(%q) = %q, %v; want %q", did, got, err, want)
			continue
		}
		back, err := WebDIDFromURL(got)
		if err != nil || !strings.EqualFold(back, did) {
			t.Errorf("WebDIDFromURL(%q) = %q, %v; want %q", got, back, err, did)
		}
	}
	for _, did := range []string{
		"did:web:127.0.0.1", "did:web:127.0.0.1%3A8443", "did:web:10.0.0.1:user",
		"did:web:example.com::alice", "did:web:example.com:..", "did:web:example.com:.",
		"did:web:example.com:%2E%2E", "did:web:example.com:a%2Fb", "did:web:example.com%3A",
		"did:web:example.com%3A0", "did:web:example.com%3A70000", "did:web:example.com%3Ax",
		"did:web:example.com%3A01", "did:web:-example.com", "did:web:exa_mple.com",
		"did:web:example..com", "did:web:example.com.", "did:web:ex%41mple.com",
		"did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", "did:web:example.com#x",
		"did:web:" + strings.Repeat("a", 64) + ".com", "did:web:example.com:a%00",
	} {
		if _, err := WebURL(did); Code(err) != CodeInvalidDID {
			t.Errorf("WebURL(%q) = %v, want invalidDid", did, err)
		}
	}
	for _, u := range []string{
		"http://example.com/.well-known/did.json", "https://example.com/did.json",
		"https://example.com/x/did.jsonx", "https://user@example.com/.well-known/did.json",
		"https://example.com/.well-known/did.json?x=1", "https://127.0.0.1/.well-known/did.json",
		"https://example.com//did.json",
	} {
		if d, err := WebDIDFromURL(u); err == nil {
			t.Errorf("WebDIDFromURL(%q) = %q", u, d)
		}
	}
	if d, err := NewWebDID("example.com:8443", "datasets", "ds-1"); err != nil || d != "did:web:example.com%3A8443:datasets:ds-1" {
		t.Errorf("NewWebDID = %q, %v", d, err)
	}
}

// webFixture is an HTTPS server on loopback that answers for example.com
// (a name in httptest's certificate) on its port, serving documents from
// a Documents source through Handler, with overrides per path.
type webFixture struct {
	srv      *httptest.Server
	host     string // example.com:port
	docs     *Documents
	requests atomic.Int64
	mu       sync.Mutex
	override map[string]http.HandlerFunc
}

func newWebFixture(t *testing.T) *webFixture {
	t.Helper()
	f := &webFixture{docs: &Documents{}, override: map[string]http.HandlerFunc{}}
	var h http.Handler // set below, once the port is known
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		f.mu.Lock()
		o := f.override[r.URL.Path]
		f.mu.Unlock()
		if o != nil {
			o(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	_, port, _ := net.SplitHostPort(f.srv.Listener.Addr().String())
	f.host = "example.com:" + port
	h = &Handler{Host: f.host, Source: f.docs, MaxAge: time.Minute}
	return f
}

// client returns the server's client, dialing the server for any address.
func (f *webFixture) client() *http.Client {
	c := f.srv.Client()
	tr := c.Transport.(*http.Transport).Clone()
	addr := f.srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	tr.TLSClientConfig.MinVersion = tls.VersionTLS12
	return &http.Client{Transport: tr}
}

func (f *webFixture) handle(path string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.override[path] = h
}

// put stores a document with one Ed25519 key and the two connector services.
func (f *webFixture) put(t *testing.T, path ...string) (*Document, suite.Signer) {
	t.Helper()
	did, err := NewWebDID(f.host, path...)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := NewDocument(did)
	s, _ := suite.Generate(suite.Ed25519, nil)
	vm, _ := NewMultikeyMethod(did+"#key-1", did, suite.Ed25519, s.Public())
	if err := doc.AddVerificationMethod(*vm, Authentication, AssertionMethod); err != nil {
		t.Fatal(err)
	}
	if err := doc.AddDataService("", "https://"+f.host+"/api/dsp"); err != nil {
		t.Fatal(err)
	}
	if err := doc.AddCredentialService("", "https://"+f.host+"/api/credentials"); err != nil {
		t.Fatal(err)
	}
	if err := f.docs.Put(doc); err != nil {
		t.Fatal(err)
	}
	return doc, s
}

func (f *webFixture) did(path ...string) string {
	d, _ := NewWebDID(f.host, path...)
	return d
}

func TestWebResolve(t *testing.T) {
	f := newWebFixture(t)
	root, signer := f.put(t)
	ds, _ := f.put(t, "datasets", "ds-1")
	r := NewResolver(ResolverOptions{HTTPClient: f.client()})
	ctx := context.Background()

	res, err := r.Resolve(ctx, root.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Document.ID != root.ID || res.Metadata.ContentType != MediaTypeDIDJSON || res.Metadata.Error != "" {
		t.Fatalf("result %+v", res)
	}
	vm, err := r.VerificationMethod(ctx, root.ID+"#key-1", AssertionMethod)
	if err != nil {
		t.Fatal(err)
	}
	alg, pub, err := vm.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := signer.Sign([]byte("hello"))
	if err := suite.Verify(alg, pub, []byte("hello"), sig); err != nil {
		t.Fatal(err)
	}
	if ep, err := res.Document.ServiceEndpointURI(ServiceTypeCredentialService); err != nil || ep != "https://"+f.host+"/api/credentials" {
		t.Errorf("credential service %q, %v", ep, err)
	}
	res, err = r.Resolve(ctx, ds.ID)
	if err != nil || res.Document.ID != ds.ID {
		t.Fatalf("dataset DID: %+v, %v", res, err)
	}

	// Errors, each through a fresh resolver so nothing is cached.
	big := `{"id":"` + f.did("big") + `","x":"` + strings.Repeat("a", MaxDocumentSize) + `"}`
	f.handle("/big/did.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(big))
	})
	f.handle("/chunked/did.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/did+json")
		for i := 0; i < 40; i++ {
			w.Write([]byte(strings.Repeat(" ", 8<<10)))
			w.(http.Flusher).Flush()
		}
		w.Write([]byte(`{"id":"` + f.did("chunked") + `"}`))
	})
	f.handle("/wrong/did.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/did+json")
		w.Write([]byte(`{"id":"did:web:attacker.example"}`))
	})
	f.handle("/html/did.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<html></html>`))
	})
	f.handle("/notype/did.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil
		w.Write([]byte(`{"id":"` + f.did("notype") + `"}`))
	})
	f.handle("/plainjson/did.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write([]byte(`{"id":"` + f.did("plainjson") + `"}`))
	})
	f.handle("/ld/did.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/did+ld+json")
		w.Write([]byte(`{"id":"` + f.did("ld") + `"}`))
	})
	f.handle("/broken/did.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/did+json")
		w.Write([]byte(`{"id":`))
	})
	f.handle("/gone/did.json", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusGone)
	})
	f.handle("/error/did.json", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	f.handle("/redirect/did.json", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://example.com/x/did.json", http.StatusFound)
	})
	for _, c := range []struct {
		path string
		code ErrorCode
		ct   string
	}{
		{"missing", CodeNotFound, ""},
		{"gone", CodeNotFound, ""},
		{"error", CodeInternalError, ""},
		{"big", CodeInvalidDIDDocument, ""},
		{"chunked", CodeInvalidDIDDocument, ""},
		{"wrong", CodeInvalidDIDDocument, ""},
		{"html", CodeRepresentationNotSupported, ""},
		{"notype", CodeRepresentationNotSupported, ""},
		{"ld", CodeInvalidDIDDocument, ""},
		{"broken", CodeInvalidDIDDocument, ""},
		{"redirect", CodeInternalError, ""},
		{"plainjson", "", MediaTypeJSON},
	} {
		r := NewResolver(ResolverOptions{HTTPClient: f.client()})
		res, err := r.Resolve(ctx, f.did(c.path))
		if Code(err) != c.code || res.Metadata.Error != c.code || (c.code != "" && res.Document != nil) {
			t.Errorf("%s: %v (metadata %+v), want %q", c.path, err, res.Metadata, c.code)
		}
		if c.ct != "" && res.Metadata.ContentType != c.ct {
			t.Errorf("%s: content type %q", c.path, res.Metadata.ContentType)
		}
	}

	// Unreachable host (TLS name mismatch is also a transport error):
	// the default client does not trust httptest's certificate.
	res, err = NewResolver(ResolverOptions{}).Resolve(ctx, root.ID)
	if Code(err) != CodeInternalError || res.Document != nil {
		t.Errorf("untrusted certificate: %v", err)
	}
}

func TestWebResolveTimeout(t *testing.T) {
	f := newWebFixture(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.handle("/slow/did.json", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	r := NewResolver(ResolverOptions{HTTPClient: f.client(), Timeout: 100 * time.Millisecond})
	start := time.Now()
	res, err := r.Resolve(context.Background(), f.did("slow"))
	if Code(err) != CodeInternalError || res.Metadata.Error != CodeInternalError {
		t.Fatalf("slow server: %v", err)
	}
	if !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("error does not name the deadline: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	// The caller's own context also bounds the wait.
	r = NewResolver(ResolverOptions{HTTPClient: f.client(), Timeout: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := r.Resolve(ctx, f.did("slow")); Code(err) != CodeInternalError {
		t.Errorf("caller deadline: %v", err)
	}
	// And WebMethod on its own honours the context.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := NewWebMethod(f.client()).Resolve(ctx2, mustDID(t, f.did("slow"))); Code(err) != CodeInternalError {
		t.Errorf("WebMethod deadline: %v", err)
	}
}
