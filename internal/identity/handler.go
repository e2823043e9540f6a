package identity

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DocumentSource supplies the DID documents a node serves. DIDDocument
// returns a notFound *ResolutionError (see Code) for a DID it does not
// have.
type DocumentSource interface {
	DIDDocument(ctx context.Context, did string) (*Document, error)
}

// Handler serves the did:web documents of one host: GET
// /.well-known/did.json is did:web:<host>, GET /a/b/did.json is
// did:web:<host>:a:b (for example /datasets/{id}/did.json for a dataset).
// Mount it at "/.well-known/did.json" and at the path prefixes that hold
// path DIDs; any other path is 404.
type Handler struct {
	// Host is the host of the DIDs served, as in the URL: "example.com" or
	// "example.com:8443". The request's Host header is not used, so a
	// request cannot pick whose documents it gets.
	Host string
	// Source supplies the documents.
	Source DocumentSource
	// MaxAge is the Cache-Control max-age sent with documents; zero sends
	// "no-cache".
	MaxAge time.Duration
}

// maxPath bounds the request path the handler maps to a DID.
const maxPath = 1024

// DIDForPath maps a request path (escaped form) to the did:web it serves.
func (h *Handler) DIDForPath(escapedPath string) (string, error) {
	if len(escapedPath) > maxPath || !strings.HasSuffix(escapedPath, "/did.json") {
		return "", newErr(CodeNotFound, "no DID document at %q", truncate(escapedPath))
	}
	p := strings.TrimSuffix(escapedPath, "/did.json")
	if p == "/.well-known" {
		return NewWebDID(h.Host)
	}
	if !strings.HasPrefix(p, "/") || p == "/" {
		return "", newErr(CodeNotFound, "no DID document at %q", truncate(escapedPath))
	}
	return NewWebDID(h.Host, strings.Split(p[1:], "/")...)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	did, err := h.DIDForPath(r.URL.EscapedPath())
	if err != nil {
		http.NotFound(w, r)
		return
	}
	doc, err := h.Source.DIDDocument(r.Context(), did)
	if err != nil {
		if Code(err) == CodeNotFound {
			http.NotFound(w, r)
			return
		}
		http.Error(w, "DID document unavailable", http.StatusInternalServerError)
		return
	}
	if doc == nil || doc.ID != did {
		http.Error(w, "DID document unavailable", http.StatusInternalServerError)
		return
	}
	body, err := marshalJSON(doc)
	if err != nil {
		http.Error(w, "DID document unavailable", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", MediaTypeDIDJSON)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("X-Content-Type-Options", "nosniff")
	if h.MaxAge > 0 {
		hd.Set("Cache-Control", fmt.Sprintf("max-age=%d", int(h.MaxAge/time.Second)))
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// Documents is an in-memory DocumentSource, safe for concurrent use. The
// zero value is empty and ready.
type Documents struct {
	mu   sync.RWMutex
	docs map[string]*Document
}

// Put validates doc and stores a copy under its id.
func (s *Documents) Put(doc *Document) error {
	if err := doc.Validate(); err != nil {
		return err
	}
	c := doc.Clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.docs == nil {
		s.docs = map[string]*Document{}
	}
	s.docs[c.ID] = c
	return nil
}

// Delete removes the document of did (deactivating a did:web).
func (s *Documents) Delete(did string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.docs, did)
}

// DIDDocument returns a copy of the document of did.
func (s *Documents) DIDDocument(_ context.Context, did string) (*Document, error) {
	s.mu.RLock()
	doc, ok := s.docs[did]
	s.mu.RUnlock()
	if !ok {
		return nil, newErr(CodeNotFound, "no document for %s", truncate(did))
	}
	return doc.Clone(), nil
}
