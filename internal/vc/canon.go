package vc

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"

	"github.com/piprate/json-gold/ld"

	"github.com/xborder/xborder/internal/jsonld"
)

// Canonicalize returns the RDFC-1.0 canonical N-Quads of the JSON-LD
// document doc (a decoded JSON object). Every @context it uses must be
// pinned, and the data-loss rule of the package doc applies.
func (p *Processor) Canonicalize(ctx context.Context, doc map[string]any) ([]byte, error) {
	if err := p.checkContexts(doc); err != nil {
		return nil, err
	}
	return p.canonicalize(ctx, doc)
}

func (p *Processor) canonicalize(ctx context.Context, doc map[string]any) (out []byte, err error) {
	// json-gold can panic on some malformed input; never let that escape.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, newErr(CodeMalformed, nil, "JSON-LD processing failed: %v", r)
		}
	}()
	expanded, err := p.expand(ctx, doc)
	if err != nil {
		return nil, err
	}
	ds, err := toRDF(expanded)
	if err != nil {
		return nil, err
	}
	return canonicalizeQuads(ctx, quadsFromDataset(ds), sha256.New, p.workLimit)
}

func (p *Processor) ldOptions() *ld.JsonLdOptions {
	o := ld.NewJsonLdOptions("")
	o.DocumentLoader = p.loader
	o.ProcessingMode = ld.JsonLd_1_1
	o.SafeMode = true
	o.Algorithm = ld.AlgorithmURDNA2015
	o.Format = "application/n-quads"
	return o
}

// expand runs JSON-LD 1.1 expansion in safe mode: a property that does not
// expand to an IRI is an error (CodeDataLoss), not a silent drop. It uses
// internal/jsonld, which gives json-gold's result (except that container
// mappings are read as the W3C algorithm and jsonld.js read them: see its
// package doc) with every processed context (scoped ones included) cached,
// and falls back to json-gold for the few features that package leaves out
// (ErrUnsupported), json-gold's reading included.
func (p *Processor) expand(ctx context.Context, doc map[string]any) ([]any, error) {
	out, err := p.fast.Expand(ctx, doc)
	switch {
	case err == nil:
		return out, nil
	case errors.Is(err, jsonld.ErrUnsupported):
		return p.expandJSONGold(doc)
	}
	return nil, classifyExpandError(err)
}

// classifyExpandError maps an internal/jsonld error to a package error, as
// classifyLDError does for json-gold's.
func classifyExpandError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, jsonld.ErrLimit) {
		return newErr(CodeMalformed, err, "JSON-LD processing limit")
	}
	switch jsonld.CodeOf(err) {
	case jsonld.InvalidProperty:
		return newErr(CodeDataLoss, err, "a property is not defined by the document's contexts")
	case jsonld.LoadingRemoteContextFailed:
		return newErr(CodeUnknownContext, err, "loading a context")
	}
	return newErr(CodeMalformed, err, "JSON-LD processing")
}

// expandJSONGold is expand with json-gold; the top-level @context is
// processed once per distinct context list and cached.
func (p *Processor) expandJSONGold(doc map[string]any) ([]any, error) {
	opts := p.ldOptions()
	activeCtx, err := p.activeContext(doc["@context"], opts)
	if err != nil {
		return nil, err
	}
	body := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "@context" {
			body[k] = v
		}
	}
	expanded, err := ld.NewJsonLdApi().Expand(activeCtx, "", body, opts, false, nil)
	if err != nil {
		return nil, classifyLDError(err)
	}
	// The final step of the expansion algorithm (as in json-gold's
	// JsonLdProcessor.Expand).
	if m, ok := expanded.(map[string]any); ok {
		if len(m) == 0 {
			return []any{}, nil
		}
		if g, ok := m["@graph"]; ok && len(m) == 1 {
			expanded = g
		}
	}
	switch t := expanded.(type) {
	case nil:
		return []any{}, nil
	case []any:
		return t, nil
	}
	return []any{expanded}, nil
}

// maxCachedContexts bounds the processed-context cache; distinct context
// lists beyond it are processed on every call.
const maxCachedContexts = 64

// contextCache memoises processed top-level contexts. Processed contexts
// are never modified by expansion (type-scoped contexts produce copies), so
// one may be shared by concurrent expansions.
type contextCache struct {
	mu sync.RWMutex
	m  map[string]*ld.Context
}

func (p *Processor) activeContext(ctxVal any, opts *ld.JsonLdOptions) (*ld.Context, error) {
	var key string
	if ctxVal != nil {
		var b strings.Builder
		for _, c := range asArray(ctxVal) {
			s, _ := c.(string)
			b.WriteString(s)
			b.WriteByte('\n')
		}
		key = b.String()
	}
	p.ctxCache.mu.RLock()
	c, ok := p.ctxCache.m[key]
	p.ctxCache.mu.RUnlock()
	if ok {
		return c, nil
	}
	c = ld.NewContext(nil, opts)
	if ctxVal != nil {
		var err error
		if c, err = c.Parse(ctxVal); err != nil {
			return nil, classifyLDError(err)
		}
	}
	p.ctxCache.mu.Lock()
	if len(p.ctxCache.m) < maxCachedContexts {
		p.ctxCache.m[key] = c
	}
	p.ctxCache.mu.Unlock()
	return c, nil
}

// CanonicalizeNQuads canonicalises an RDF dataset given as N-Quads with
// RDFC-1.0 and returns the canonical N-Quads. newHash is the RDFC-1.0 hash
// function (nil: SHA-256); workLimit bounds the Hash N-Degree Quads work
// (0: DefaultRDFCWorkLimit).
func CanonicalizeNQuads(ctx context.Context, nquads string, newHash func() hash.Hash, workLimit int) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, newErr(CodeMalformed, nil, "N-Quads processing failed: %v", r)
		}
	}()
	dataset, err := ld.ParseNQuads(nquads)
	if err != nil {
		return nil, newErr(CodeMalformed, err, "parsing N-Quads")
	}
	if newHash == nil {
		newHash = sha256.New
	}
	if workLimit <= 0 {
		workLimit = DefaultRDFCWorkLimit
	}
	return canonicalizeQuads(ctx, quadsFromDataset(dataset), newHash, workLimit)
}

// classifyLDError maps a json-gold error to a package error.
func classifyLDError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var je *ld.JsonLdError
	if errors.As(err, &je) {
		switch je.Code {
		case ld.InvalidProperty:
			return newErr(CodeDataLoss, err, "a property is not defined by the document's contexts")
		case ld.LoadingRemoteContextFailed, ld.LoadingDocumentFailed:
			return newErr(CodeUnknownContext, err, "loading a context")
		}
		return newErr(CodeMalformed, err, "JSON-LD processing (%s)", je.Code)
	}
	return newErr(CodeMalformed, err, "JSON-LD processing")
}

// checkContexts fails unless every @context in v (at any depth) is a pinned
// URL or a list of them. Inline context objects are refused: they would let
// a document define or redefine terms no one reviewed.
//
// At most maxContextEntries context references are accepted per document:
// every embedded one is processed anew, so a document of nothing but
// contexts would otherwise be an expensive one to verify.
func (p *Processor) checkContexts(v any) error {
	n := 0
	return p.walkContexts(v, &n)
}

const maxContextEntries = 32

func (p *Processor) walkContexts(v any, n *int) error {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if err := p.walkContexts(e, n); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, val := range t {
			if k == "@context" {
				if err := p.checkContextValue(val, n); err != nil {
					return err
				}
				continue
			}
			if err := p.walkContexts(val, n); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *Processor) checkContextValue(val any, n *int) error {
	for _, c := range asArray(val) {
		if *n++; *n > maxContextEntries {
			return newErr(CodeMalformed, nil, "more than %d @context entries", maxContextEntries)
		}
		s, ok := c.(string)
		if !ok {
			return newErr(CodeUnknownContext, nil, "inline or non-string @context entries (%s) are not accepted", jsonKind(c))
		}
		if !p.loader.Pinned(s) {
			return newErr(CodeUnknownContext, nil, "context %q is not pinned", s)
		}
	}
	return nil
}

func asArray(v any) []any {
	if a, ok := v.([]any); ok {
		return a
	}
	return []any{v}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}
