package catalog

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/piprate/json-gold/ld"

	"github.com/xborder/xborder/internal/vc"
)

// contextDoc is the xborder catalog context served for ContextURL. It is
// compiled into the binary; nothing fetches it.
//
//go:embed context/xborder-catalog-v1.jsonld
var contextDoc []byte

// ContextDocument returns the bytes of the xborder catalog JSON-LD context
// (ContextURL), for publishing at that URL and for other tools.
func ContextDocument() []byte { return bytes.Clone(contextDoc) }

// Loader is a JSON-LD document loader that serves the xborder catalog
// context and the contexts pinned by internal/vc (among them the Dataspace
// Protocol 2025-1 context and its ODRL profile). Any other URL is an error:
// it never touches the network.
type Loader struct {
	pinned *vc.Loader
	ours   any
}

var _ ld.DocumentLoader = (*Loader)(nil)

// NewLoader returns a Loader.
func NewLoader() (*Loader, error) {
	p, err := vc.NewLoader()
	if err != nil {
		return nil, fmt.Errorf("loading the pinned JSON-LD contexts: %w", err)
	}
	var doc any
	if err := json.Unmarshal(contextDoc, &doc); err != nil {
		return nil, fmt.Errorf("parsing the xborder catalog context: %w", err)
	}
	return &Loader{pinned: p, ours: doc}, nil
}

// LoadDocument returns a fresh copy of the context at u.
func (l *Loader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	if u == ContextURL {
		return &ld.RemoteDocument{DocumentURL: u, Document: ld.CloneDocument(l.ours)}, nil
	}
	return l.pinned.LoadDocument(u)
}

// Expand expands a JSON-LD document (an entry or a catalog) with the
// pinned contexts, in JSON-LD 1.1 safe mode: a key that maps to no IRI is an
// error instead of being dropped.
func (l *Loader) Expand(doc []byte) ([]any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("parsing the document: %w", err)
	}
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = l
	opts.ProcessingMode = ld.JsonLd_1_1
	opts.SafeMode = true
	out, err := ld.NewJsonLdProcessor().Expand(v, opts)
	if err != nil {
		return nil, fmt.Errorf("expanding: %w", err)
	}
	return out, nil
}
