package vc

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/piprate/json-gold/ld"
)

// Loader is a JSON-LD document loader that serves only the pinned contexts
// bundled in the binary. Any other URL fails with CodeUnknownContext; it
// never touches the network or the file system.
//
// A Loader is immutable after NewLoader and safe for concurrent use.
type Loader struct {
	docs map[string]any // parsed context documents; never handed out, only copies
}

var _ ld.DocumentLoader = (*Loader)(nil)

// NewLoader parses every pinned context after checking its SHA-256 against
// the bundled index.
func NewLoader() (*Loader, error) {
	pinned, err := PinnedContexts()
	if err != nil {
		return nil, err
	}
	l := &Loader{docs: make(map[string]any, len(pinned))}
	for _, c := range pinned {
		b, err := pinnedContextBytes(c)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		var doc any
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("parsing pinned context %s: %w", c.URL, err)
		}
		l.docs[c.URL] = doc
	}
	return l, nil
}

// Pinned reports whether u is a bundled context URL (exact match).
func (l *Loader) Pinned(u string) bool {
	_, ok := l.docs[u]
	return ok
}

// LoadDocument returns a fresh deep copy of the pinned context at u: the
// JSON-LD processor modifies @import-ed context maps in place, so the same
// object must never be handed out twice.
func (l *Loader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	doc, ok := l.docs[u]
	if !ok {
		return nil, newErr(CodeUnknownContext, nil, "context %q is not pinned", u)
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: ld.CloneDocument(doc)}, nil
}

// Load returns the parsed pinned context at u, shared and never to be
// modified (internal/jsonld only reads it), for internal/jsonld.
func (l *Loader) Load(u string) (any, error) {
	doc, ok := l.docs[u]
	if !ok {
		return nil, newErr(CodeUnknownContext, nil, "context %q is not pinned", u)
	}
	return doc, nil
}
