package identity

import (
	"container/list"
	"context"
	"crypto"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/suite"
)

// Media types of DID document representations.
const (
	MediaTypeDIDJSON   = "application/did+json"
	MediaTypeDIDLDJSON = "application/did+ld+json"
	MediaTypeJSON      = "application/json"
	MediaTypeLDJSON    = "application/ld+json"
)

// Resolver defaults.
const (
	DefaultTTL         = 5 * time.Minute
	DefaultNegativeTTL = 30 * time.Second
	DefaultTimeout     = 10 * time.Second
	DefaultMaxEntries  = 1024
)

// ResolutionMetadata is DID resolution metadata (DID Core §7.1.2).
type ResolutionMetadata struct {
	ContentType  string    `json:"contentType,omitempty"`
	Error        ErrorCode `json:"error,omitempty"`
	ErrorMessage string    `json:"errorMessage,omitempty"`
	// Draft is set when the document's key uses a draft multicodec (SM2).
	Draft bool `json:"draft,omitempty"`
	// Cached is set when the result came from the resolver's cache.
	Cached bool `json:"-"`
}

// DocumentMetadata is DID document metadata (DID Core §7.1.3). Neither
// did:key nor did:web supplies any; the type is here for other methods.
type DocumentMetadata struct {
	Created     string `json:"created,omitempty"`
	Updated     string `json:"updated,omitempty"`
	Deactivated bool   `json:"deactivated,omitempty"`
	VersionID   string `json:"versionId,omitempty"`
}

// Result is the outcome of resolve(did) (DID Core §7.1): on error,
// Document is nil and Metadata.Error holds the code.
type Result struct {
	Document         *Document          `json:"didDocument"`
	Metadata         ResolutionMetadata `json:"didResolutionMetadata"`
	DocumentMetadata DocumentMetadata   `json:"didDocumentMetadata"`
}

// Method resolves the DIDs of one DID method. Errors should be
// *ResolutionError; others are reported as internalError.
type Method interface {
	Resolve(ctx context.Context, did DID) (*Result, error)
}

// ResolverOptions configures a Resolver. Zero values take the defaults.
type ResolverOptions struct {
	// HTTPClient is used for did:web (see NewWebMethod).
	HTTPClient *http.Client
	// Methods adds or replaces methods by name ("key" and "web" are
	// built in).
	Methods map[string]Method
	// Now is the clock of the cache; time.Now when nil.
	Now func() time.Time
	// TTL is how long a resolved document is cached; a negative value
	// disables caching.
	TTL time.Duration
	// NegativeTTL is how long a notFound is cached; a negative value
	// disables negative caching.
	NegativeTTL time.Duration
	// Timeout bounds each resolution by a method.
	Timeout time.Duration
	// MaxEntries bounds the cache; the least recently used entry goes first.
	MaxEntries int
}

// Resolver resolves DIDs by method, with an in-memory LRU cache with TTLs,
// negative caching of notFound, a per-resolution timeout and coalescing of
// concurrent resolutions of the same DID. It is safe for concurrent use.
// did:key documents are computed on each call and not cached; keys
// dereferenced with ResolveKey are (see there).
type Resolver struct {
	methods     map[string]Method
	now         func() time.Time
	ttl, negTTL time.Duration
	timeout     time.Duration
	maxEntries  int

	mu       sync.Mutex
	entries  map[string]*list.Element // of *cacheEntry
	lru      *list.List               // front = most recently used
	inflight map[string]*call
	keys     map[string]*list.Element // of *keyEntry, by verification method URL
	keyLRU   *list.List
}

type cacheEntry struct {
	did     string
	expires time.Time
	res     *Result // nil for a negative entry
	err     error
}

type call struct {
	done chan struct{}
	res  *Result
	err  error
}

// NewResolver returns a Resolver for did:key and did:web plus
// opts.Methods.
func NewResolver(opts ResolverOptions) *Resolver {
	r := &Resolver{
		methods:    map[string]Method{"key": KeyMethod{}, "web": NewWebMethod(opts.HTTPClient)},
		now:        opts.Now,
		ttl:        opts.TTL,
		negTTL:     opts.NegativeTTL,
		timeout:    opts.Timeout,
		maxEntries: opts.MaxEntries,
		entries:    map[string]*list.Element{},
		lru:        list.New(),
		inflight:   map[string]*call{},
		keys:       map[string]*list.Element{},
		keyLRU:     list.New(),
	}
	for name, m := range opts.Methods {
		r.methods[name] = m
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.ttl == 0 {
		r.ttl = DefaultTTL
	}
	if r.negTTL == 0 {
		r.negTTL = DefaultNegativeTTL
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if r.maxEntries <= 0 {
		r.maxEntries = DefaultMaxEntries
	}
	return r
}

// Resolve resolves did (a DID, not a DID URL). On failure it returns a
// Result whose Metadata.Error is the code, and a *ResolutionError. The
// returned document is the caller's own copy.
func (r *Resolver) Resolve(ctx context.Context, did string) (*Result, error) {
	res, err := r.resolve(ctx, did)
	if err != nil {
		return failed(err), err
	}
	return res, nil
}

func failed(err error) *Result {
	var re *ResolutionError
	msg := err.Error()
	if errors.As(err, &re) {
		msg = re.Error()
	}
	return &Result{Metadata: ResolutionMetadata{Error: Code(err), ErrorMessage: msg}}
}

func (r *Resolver) resolve(ctx context.Context, did string) (*Result, error) {
	d, err := ParseDID(did)
	if err != nil {
		return nil, err
	}
	m, ok := r.methods[d.Method]
	if !ok {
		return nil, newErr(CodeMethodNotSupported, "DID method %q is not supported", d.Method)
	}
	if !cacheable(d) {
		ctx, cancel := context.WithTimeout(ctx, r.timeout)
		defer cancel()
		return runMethod(ctx, m, d)
	}
	key := d.String()

	r.mu.Lock()
	if res, ok, err := r.lookup(key); ok {
		r.mu.Unlock()
		return res, err
	}
	c, running := r.inflight[key]
	if !running {
		c = &call{done: make(chan struct{})}
		r.inflight[key] = c
		// The resolution is shared by every caller waiting for it, so it
		// must not die with the first caller's context: it runs detached,
		// bounded by the resolver's timeout, and each caller waits on its
		// own context.
		go r.run(context.WithoutCancel(ctx), m, d, c)
	}
	r.mu.Unlock()

	select {
	case <-c.done:
		if c.err != nil {
			return nil, c.err
		}
		return cloneResult(c.res), nil
	case <-ctx.Done():
		return nil, wrapErr(CodeInternalError, ctx.Err(), "resolving %s", truncate(key))
	}
}

func (r *Resolver) run(ctx context.Context, m Method, d DID, c *call) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, err := runMethod(ctx, m, d)
	key := d.String()

	r.mu.Lock()
	defer r.mu.Unlock()
	c.res, c.err = res, err
	delete(r.inflight, key)
	close(c.done)
	switch {
	case err == nil && r.ttl > 0:
		r.store(&cacheEntry{did: key, expires: r.now().Add(r.ttl), res: cloneResult(res)})
	case Code(err) == CodeNotFound && r.negTTL > 0:
		r.store(&cacheEntry{did: key, expires: r.now().Add(r.negTTL), err: err})
	}
}

// runMethod calls m and checks what it returns.
func runMethod(ctx context.Context, m Method, d DID) (*Result, error) {
	res, err := m.Resolve(ctx, d)
	if err != nil {
		var re *ResolutionError
		if !errors.As(err, &re) {
			err = wrapErr(CodeInternalError, err, "resolving %s", truncate(d.String()))
		}
		return nil, err
	}
	if res == nil || res.Document == nil {
		return nil, newErr(CodeInternalError, "method %s returned no document", d.Method)
	}
	if res.Document.ID != d.String() {
		return nil, newErr(CodeInvalidDIDDocument, "document id %q is not the DID resolved, %s", truncate(res.Document.ID), truncate(d.String()))
	}
	return res, nil
}

func cacheable(d DID) bool { return d.Method != "key" }

// lookup returns the result or error of a live cache entry, with ok set
// when there is one; r.mu is held.
func (r *Resolver) lookup(key string) (res *Result, ok bool, err error) {
	el, found := r.entries[key]
	if !found {
		return nil, false, nil
	}
	e := el.Value.(*cacheEntry)
	if !r.now().Before(e.expires) {
		r.lru.Remove(el)
		delete(r.entries, key)
		return nil, false, nil
	}
	r.lru.MoveToFront(el)
	if e.res == nil {
		return nil, true, e.err
	}
	res = cloneResult(e.res)
	res.Metadata.Cached = true
	return res, true, nil
}

// store adds or replaces an entry and evicts beyond maxEntries; r.mu is
// held.
func (r *Resolver) store(e *cacheEntry) {
	if el, ok := r.entries[e.did]; ok {
		el.Value = e
		r.lru.MoveToFront(el)
		return
	}
	r.entries[e.did] = r.lru.PushFront(e)
	for r.lru.Len() > r.maxEntries {
		old := r.lru.Back()
		r.lru.Remove(old)
		delete(r.entries, old.Value.(*cacheEntry).did)
	}
}

// Forget drops did from the cache, so the next resolution fetches it.
func (r *Resolver) Forget(did string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if el, ok := r.entries[did]; ok {
		r.lru.Remove(el)
		delete(r.entries, did)
	}
	for url, el := range r.keys {
		if el.Value.(*keyEntry).did == did {
			r.keyLRU.Remove(el)
			delete(r.keys, url)
		}
	}
}

// CacheLen returns the number of cached entries, live or expired.
func (r *Resolver) CacheLen() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lru.Len()
}

// VerificationMethod dereferences didURL (for example "did:web:x#key-1")
// to a verification method of the resolved DID document, which must list
// it under relationship ("" for any; see (*Document).VerificationMethod).
func (r *Resolver) VerificationMethod(ctx context.Context, didURL, relationship string) (*VerificationMethod, error) {
	u, err := ParseDIDURL(didURL)
	if err != nil {
		return nil, err
	}
	res, err := r.Resolve(ctx, u.DID.String())
	if err != nil {
		return nil, err
	}
	return res.Document.VerificationMethod(u.String(), relationship)
}

func cloneResult(res *Result) *Result {
	c := *res
	if res.Document != nil {
		c.Document = res.Document.Clone()
	}
	return &c
}

// ResolveKey dereferences a verification method URL to its public key,
// requiring the method to be listed under assertionMethod: the relationship
// that lets a key sign credentials. It makes *Resolver a key resolver for
// internal/vc.
//
// Keys are cached by verification method URL beside the documents: a
// did:key key for as long as it stays among the MaxEntries most recently
// used (it is a pure function of the DID), any other for the document TTL
// (and dropped by Forget). The returned key is shared: callers must not
// modify it.
func (r *Resolver) ResolveKey(ctx context.Context, verificationMethodURL string) (suite.Alg, crypto.PublicKey, error) {
	if alg, pub, ok := r.cachedKey(verificationMethodURL); ok {
		return alg, pub, nil
	}
	u, err := ParseDIDURL(verificationMethodURL)
	if err != nil {
		return "", nil, err
	}
	vm, err := r.VerificationMethod(ctx, verificationMethodURL, AssertionMethod)
	if err != nil {
		return "", nil, err
	}
	alg, pub, err := vm.PublicKey()
	if err != nil {
		return "", nil, err
	}
	r.storeKey(verificationMethodURL, u.DID, alg, pub)
	return alg, pub, nil
}

type keyEntry struct {
	url, did string
	expires  time.Time // zero: no expiry (did:key)
	alg      suite.Alg
	pub      crypto.PublicKey
}

func (r *Resolver) cachedKey(url string) (suite.Alg, crypto.PublicKey, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	el, ok := r.keys[url]
	if !ok {
		return "", nil, false
	}
	e := el.Value.(*keyEntry)
	if !e.expires.IsZero() && !r.now().Before(e.expires) {
		r.keyLRU.Remove(el)
		delete(r.keys, url)
		return "", nil, false
	}
	r.keyLRU.MoveToFront(el)
	return e.alg, e.pub, true
}

func (r *Resolver) storeKey(url string, d DID, alg suite.Alg, pub crypto.PublicKey) {
	e := &keyEntry{url: url, did: d.String(), alg: alg, pub: pub}
	if cacheable(d) {
		if r.ttl < 0 {
			return
		}
		e.expires = r.now().Add(r.ttl)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if el, ok := r.keys[url]; ok {
		el.Value = e
		r.keyLRU.MoveToFront(el)
		return
	}
	r.keys[url] = r.keyLRU.PushFront(e)
	for r.keyLRU.Len() > r.maxEntries {
		old := r.keyLRU.Back()
		r.keyLRU.Remove(old)
		delete(r.keys, old.Value.(*keyEntry).url)
	}
}
