package jsonld

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Loader returns the parsed JSON document (as decoded by encoding/json) at
// a context URL. The processor never modifies what it returns, so a loader
// may hand out the same value every time. It must be safe for concurrent
// use and should return the same document for the same URL: processed
// contexts are cached.
type Loader interface {
	Load(url string) (any, error)
}

// LoaderFunc adapts a function to Loader.
type LoaderFunc func(url string) (any, error)

// Load calls f.
func (f LoaderFunc) Load(url string) (any, error) { return f(url) }

// Default bounds; see the options.
const (
	DefaultMaxDepth          = 128
	DefaultMaxScopedContexts = 100000
	DefaultMaxContextParses  = 1024
	DefaultCacheSize         = 256
)

// Processor expands JSON-LD documents. It caches processed contexts and is
// safe for concurrent use.
type Processor struct {
	loader            Loader
	maxDepth          int
	maxScopedContexts int
	maxContextParses  int
	cacheSize         int
	// goldContainer reads a term's container mapping as json-gold does
	// (see withJSONGoldContainerQuirk).
	goldContainer bool
	empty         *activeContext

	mu    sync.RWMutex
	cache map[memoKey]*activeContext

	states sync.Pool // *state, to reuse scratch space
}

// Option configures New.
type Option func(*Processor)

// WithMaxDepth bounds the nesting depth of a document (arrays and objects);
// a deeper document fails with ErrLimit. Default DefaultMaxDepth.
func WithMaxDepth(n int) Option {
	return func(p *Processor) {
		if n > 0 {
			p.maxDepth = n
		}
	}
}

// WithMaxScopedContexts bounds how many contexts (embedded, type-scoped
// and property-scoped) one expansion may apply, cached or not. Default
// DefaultMaxScopedContexts.
func WithMaxScopedContexts(n int) Option {
	return func(p *Processor) {
		if n > 0 {
			p.maxScopedContexts = n
		}
	}
}

// WithMaxContextParses bounds how many contexts one expansion may process
// (contexts not found in the cache, and the remote contexts they load).
// Default DefaultMaxContextParses.
func WithMaxContextParses(n int) Option {
	return func(p *Processor) {
		if n > 0 {
			p.maxContextParses = n
		}
	}
}

// WithCacheSize sets how many processed contexts the processor keeps
// (default DefaultCacheSize); when full, an arbitrary entry is evicted.
func WithCacheSize(n int) Option {
	return func(p *Processor) {
		if n >= 0 {
			p.cacheSize = n
		}
	}
}

// withJSONGoldContainerQuirk makes the processor read a term's container
// mapping as json-gold v0.9.1 does: from the active context after the
// term's own property-scoped context is applied, instead of from the active
// context (JSON-LD 1.1 API, expansion algorithm step 13.5). With it, the
// processor returns exactly what json-gold returns, which is what the
// differential, fuzz and mutation tests need; it is unexported because
// nothing else should want json-gold's reading (see the package doc).
func withJSONGoldContainerQuirk() Option {
	return func(p *Processor) { p.goldContainer = true }
}

// New returns a Processor that loads remote contexts with loader.
func New(loader Loader, opts ...Option) *Processor {
	p := &Processor{
		loader:            loader,
		maxDepth:          DefaultMaxDepth,
		maxScopedContexts: DefaultMaxScopedContexts,
		maxContextParses:  DefaultMaxContextParses,
		cacheSize:         DefaultCacheSize,
		empty:             newContext(),
		cache:             map[memoKey]*activeContext{},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// memoKey identifies the application of a context to an active context:
// the active context, the source (a term definition's scoped context, or an
// embedded context made only of URLs and nulls) and the two flags that
// change the result.
type memoKey struct {
	parent    *activeContext
	td        *termDef
	urls      string
	propagate bool
	override  bool
}

func (p *Processor) lookup(k memoKey) *activeContext {
	p.mu.RLock()
	c := p.cache[k]
	p.mu.RUnlock()
	return c
}

func (p *Processor) store(k memoKey, c *activeContext) *activeContext {
	if p.cacheSize == 0 {
		return c
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.cache[k]; ok {
		return old
	}
	if len(p.cache) >= p.cacheSize {
		for old := range p.cache {
			delete(p.cache, old)
			break
		}
	}
	p.cache[k] = c
	return c
}

// state is the per-expansion state: bounds, counters and scratch space.
type state struct {
	p       *Processor
	ctx     context.Context
	depth   int
	applied int
	parses  int
	steps   int
	keys    []string // stack of sorted-key slices
	slab    []any    // backing store for one-element output arrays
}

// one returns the array [v], carved out of a shared backing store (its
// capacity is 1, so appending to it never writes into the store).
func (st *state) one(v any) []any {
	if len(st.slab) == 0 {
		st.slab = make([]any, 32)
	}
	s := st.slab[:1:1]
	st.slab = st.slab[1:]
	s[0] = v
	return s
}

// arrayify returns v if it is an array, else [v].
func (st *state) arrayify(v any) []any {
	if a, ok := v.([]any); ok {
		return a
	}
	return st.one(v)
}

func (st *state) countProcessing() error {
	st.parses++
	if st.parses > st.p.maxContextParses {
		return limitErr("more than %d contexts processed", st.p.maxContextParses)
	}
	return nil
}

func (st *state) load(url string) (any, error) {
	if st.p.loader == nil {
		return nil, &Error{Code: LoadingRemoteContextFailed, Op: "loading context " + url, Msg: "no loader"}
	}
	doc, err := st.p.loader.Load(url)
	if err != nil {
		return nil, &Error{Code: LoadingRemoteContextFailed, Op: "loading context " + url, Err: err}
	}
	return doc, nil
}

// apply returns the result of processing a term's scoped context (td.ctx)
// on top of c, from the cache when possible.
func (st *state) applyTerm(c *activeContext, td *termDef, propagate, override bool) (*activeContext, error) {
	if err := st.countApply(); err != nil {
		return nil, err
	}
	k := memoKey{parent: c, td: td, propagate: propagate, override: override}
	if r := st.p.lookup(k); r != nil {
		return r, nil
	}
	r, err := st.parse(c, td.ctx, nil, false, propagate, override, 0)
	if err != nil {
		return nil, withOp(err, "applying a scoped context")
	}
	return st.p.store(k, r), nil
}

// applyEmbedded processes an embedded @context value (json-gold's
// Context.Parse) on top of c. Values made only of URLs and nulls are cached.
func (st *state) applyEmbedded(c *activeContext, local any) (*activeContext, error) {
	if err := st.countApply(); err != nil {
		return nil, err
	}
	key, cacheable := urlsKey(local)
	k := memoKey{parent: c, urls: key, propagate: true}
	if cacheable {
		if r := st.p.lookup(k); r != nil {
			return r, nil
		}
	}
	r, err := st.parse(c, local, nil, false, true, false, 0)
	if err != nil {
		return nil, withOp(err, "processing an embedded context")
	}
	if cacheable {
		r = st.p.store(k, r)
	}
	return r, nil
}

func (st *state) countApply() error {
	st.applied++
	if st.applied > st.p.maxScopedContexts {
		return limitErr("more than %d context applications", st.p.maxScopedContexts)
	}
	return nil
}

// urlsKey encodes a context value made of strings and nulls (a string, null,
// or an array of them) as a cache key.
func urlsKey(v any) (string, bool) {
	var b strings.Builder
	add := func(e any) bool {
		switch t := e.(type) {
		case nil:
			b.WriteString("-;")
		case string:
			b.WriteString(strconv.Itoa(len(t)))
			b.WriteByte(':')
			b.WriteString(t)
		default:
			return false
		}
		return true
	}
	if a, ok := v.([]any); ok {
		b.WriteByte('[')
		for _, e := range a {
			if !add(e) {
				return "", false
			}
		}
		return b.String(), true
	}
	if !add(v) {
		return "", false
	}
	return b.String(), true
}

// Expand expands doc, a JSON-LD document decoded by encoding/json, as
// json-gold v0.9.1 does in JSON-LD 1.1 safe mode with an empty base IRI:
// the result is the value its JsonLdApi.Expand returns for the document
// without its top-level @context, on the active context made from that
// @context, after the final step of the expansion algorithm, except that
// container mappings are read as the W3C algorithm and jsonld.js read them
// (see the package doc). doc is not modified; the result may share values
// of @json literals with it.
//
// Errors are *Error values. An error wrapping ErrUnsupported means the
// document needs a feature this package leaves to json-gold; one wrapping
// ErrLimit means it exceeded a bound.
func (p *Processor) Expand(ctx context.Context, doc map[string]any) (out []any, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, _ := p.states.Get().(*state)
	if st == nil {
		st = &state{p: p}
	}
	st.ctx, st.depth, st.applied, st.parses, st.steps = ctx, 0, 0, 0, 0
	defer func() {
		if r := recover(); r != nil {
			// A bug: let the caller fall back to json-gold.
			out, err = nil, &Error{Code: Unsupported, Msg: fmt.Sprintf("internal error: %v", r), Err: ErrUnsupported}
			return
		}
		st.ctx = nil
		if len(st.keys) == 0 && cap(st.keys) <= 1024 {
			p.states.Put(st)
		}
	}()
	active := p.empty
	if cv := doc["@context"]; cv != nil {
		if active, err = st.applyEmbedded(p.empty, cv); err != nil {
			return nil, err
		}
	}
	st.depth = 1
	expanded, err := st.expandMap(active, "", doc, false, nil, true)
	if err != nil {
		return nil, withOp(err, "expanding")
	}
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
	return st.one(expanded), nil
}
