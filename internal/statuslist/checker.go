package statuslist

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/vc"
)

// Checker defaults.
const (
	DefaultCacheTTL        = 5 * time.Minute
	DefaultMaxCacheEntries = 256
	DefaultCheckTimeout    = 30 * time.Second
)

// CheckerOptions configures NewChecker.
type CheckerOptions struct {
	// Fetcher retrieves status list credentials (required; see HTTPFetcher).
	Fetcher Fetcher
	// Processor verifies them (required).
	Processor *vc.Processor
	// Resolver resolves their keys (required; *identity.Resolver).
	Resolver vc.KeyResolver
	// Now is the clock for validity and the cache; time.Now when nil.
	Now func() time.Time
	// CacheTTL bounds how long a verified list is reused (DefaultCacheTTL
	// when zero; negative disables the cache). The list's ttl and
	// validUntil shorten it.
	CacheTTL time.Duration
	// MaxCacheEntries bounds the cache (DefaultMaxCacheEntries when zero).
	MaxCacheEntries int
	// Timeout bounds one fetch and verification of a list
	// (DefaultCheckTimeout when zero).
	Timeout time.Duration
	// MaxListBytes bounds a decompressed bitstring
	// (DefaultMaxDecodedBytes when zero).
	MaxListBytes int
}

// Status is the outcome of one credentialStatus entry.
type Status struct {
	Entry   Entry
	Purpose Purpose
	Index   int
	// Value is the entry's statusSize bits; Set is Value != 0.
	Value uint
	Set   bool
	// Message is the statusMessage text of Value, when the entry has one.
	Message string
	// ListValidUntil is the status list credential's validUntil (zero when
	// it has none).
	ListValidUntil time.Time
	Cached         bool
}

type verifiedList struct {
	issuer     string
	purpose    Purpose
	bits       *Bitstring
	validUntil time.Time
	expires    time.Time
}

// Checker verifies the status of credentials against Bitstring Status Lists.
// It is safe for concurrent use.
type Checker struct {
	o CheckerOptions

	mu       sync.Mutex
	cache    map[string]*verifiedList
	inflight map[string]*flight
}

// NewChecker checks opts and returns a Checker.
func NewChecker(opts CheckerOptions) (*Checker, error) {
	if opts.Fetcher == nil || opts.Processor == nil || opts.Resolver == nil {
		return nil, errorf(CodeInvalidArgument, nil, "checker needs a fetcher, a processor and a key resolver")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CacheTTL == 0 {
		opts.CacheTTL = DefaultCacheTTL
	}
	if opts.MaxCacheEntries <= 0 {
		opts.MaxCacheEntries = DefaultMaxCacheEntries
	}
	if opts.MaxListBytes <= 0 {
		opts.MaxListBytes = DefaultMaxDecodedBytes
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultCheckTimeout
	}
	return &Checker{o: opts, cache: map[string]*verifiedList{}, inflight: map[string]*flight{}}, nil
}

// Check checks every credentialStatus entry of a decoded credential (for
// example vc.Result.Credential, after its proofs verified) against the
// credential's issuer. A credential without credentialStatus has nothing to
// check: (nil, nil).
//
// The error is nil when every entry was checked and no revocation or
// suspension bit is set. Otherwise it is an *Error, chosen in this order:
// revoked, suspended, then the first entry's failure (status_invalid or
// status_unreachable). The statuses of the entries that could be checked are
// returned either way. Bits of refresh and message lists are reported, not
// treated as failures.
func (c *Checker) Check(ctx context.Context, credential map[string]any) ([]Status, error) {
	entries, err := EntriesOf(credential)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, nil
	}
	return c.CheckEntries(ctx, issuerOf(credential), entries)
}

// CheckEntries checks entries of a credential issued by issuer. See Check.
func (c *Checker) CheckEntries(ctx context.Context, issuer string, entries []Entry) ([]Status, error) {
	if issuer == "" {
		return nil, errorf(CodeStatusInvalid, nil, "the credential has no issuer to match the status lists against")
	}
	var (
		out                []Status
		first              error
		revoked, suspended *Error
	)
	for i, e := range entries {
		st, err := c.checkEntry(ctx, issuer, e)
		if err != nil {
			if first == nil {
				first = fmt.Errorf("credentialStatus[%d]: %w", i, err)
			}
			continue
		}
		out = append(out, st)
		if !st.Set {
			continue
		}
		switch st.Purpose {
		case PurposeRevocation:
			if revoked == nil {
				revoked = errorf(CodeRevoked, nil, fmt.Sprintf("credentialStatus[%d]: index %d of %s is set", i, st.Index, e.StatusListCredential))
			}
		case PurposeSuspension:
			if suspended == nil {
				suspended = errorf(CodeSuspended, nil, fmt.Sprintf("credentialStatus[%d]: index %d of %s is set", i, st.Index, e.StatusListCredential))
			}
		}
	}
	switch {
	case revoked != nil:
		return out, revoked
	case suspended != nil:
		return out, suspended
	}
	return out, first
}

func (c *Checker) checkEntry(ctx context.Context, issuer string, e Entry) (Status, error) {
	if err := e.Validate(); err != nil {
		return Status{}, err
	}
	idx, _ := e.Index()
	l, cached, err := c.list(ctx, e.StatusListCredential)
	if err != nil {
		return Status{}, err
	}
	if l.issuer != issuer {
		return Status{}, errorf(CodeStatusInvalid, nil, fmt.Sprintf("status list %s is issued by %q, the credential by %q", e.StatusListCredential, l.issuer, issuer))
	}
	if l.purpose != e.StatusPurpose {
		return Status{}, errorf(CodeStatusInvalid, nil, fmt.Sprintf("entry purpose %q, status list %s purpose %q", e.StatusPurpose, e.StatusListCredential, l.purpose))
	}
	size := e.Size()
	if n := l.bits.Len() / size; n < MinEntries {
		return Status{}, errorf(CodeStatusInvalid, nil, fmt.Sprintf("status list %s has %d entries, fewer than %d (STATUS_LIST_LENGTH_ERROR)", e.StatusListCredential, n, MinEntries))
	}
	v, err := l.bits.Value(idx, size)
	if err != nil {
		return Status{}, errorf(CodeStatusInvalid, err, "statusListIndex (RANGE_ERROR)")
	}
	st := Status{Entry: e, Purpose: e.StatusPurpose, Index: idx, Value: v, Set: v != 0, ListValidUntil: l.validUntil, Cached: cached}
	want := fmt.Sprintf("0x%x", v)
	for _, m := range e.StatusMessage {
		if m.Status == want {
			st.Message = m.Message
		}
	}
	return st, nil
}

// flight is one fetch-and-verify of a list, shared by every concurrent caller.
type flight struct {
	done chan struct{}
	l    *verifiedList
	err  error
}

// list returns the verified list at u, from the cache when fresh. Concurrent
// callers for one URL share one fetch, which runs detached from any one
// caller's cancellation but bounded by Timeout; each caller waits only as
// long as its own context allows.
func (c *Checker) list(ctx context.Context, u string) (*verifiedList, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, errorf(CodeStatusUnreachable, err, "checking the status list "+u)
	}
	now := c.o.Now()
	c.mu.Lock()
	if l, ok := c.cache[u]; ok {
		if now.Before(l.expires) {
			c.mu.Unlock()
			return l, true, nil
		}
		delete(c.cache, u)
	}
	f, ok := c.inflight[u]
	if !ok {
		f = &flight{done: make(chan struct{})}
		c.inflight[u] = f
		go c.fly(context.WithoutCancel(ctx), u, f)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.l, false, f.err
	case <-ctx.Done():
		return nil, false, errorf(CodeStatusUnreachable, ctx.Err(), "waiting for the status list "+u)
	}
}

func (c *Checker) fly(ctx context.Context, u string, f *flight) {
	ctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	now := c.o.Now()
	f.l, f.err = c.fetchAndVerify(ctx, u, now)
	c.mu.Lock()
	delete(c.inflight, u)
	if f.err == nil && c.o.CacheTTL > 0 {
		c.evict(now)
		c.cache[u] = f.l
	}
	c.mu.Unlock()
	close(f.done)
}

func (c *Checker) fetchAndVerify(ctx context.Context, u string, now time.Time) (*verifiedList, error) {
	body, err := c.o.Fetcher.Fetch(ctx, u)
	if err != nil {
		if CodeOf(err) == CodeInternal {
			err = errorf(CodeStatusUnreachable, err, "fetching "+u)
		}
		return nil, err
	}
	return c.verify(ctx, u, body, now)
}

// evict makes room for one entry: expired entries go first, then the entry
// closest to expiry. The caller holds c.mu.
func (c *Checker) evict(now time.Time) {
	if len(c.cache) < c.o.MaxCacheEntries {
		return
	}
	var victim string
	var soonest time.Time
	for k, l := range c.cache {
		if !now.Before(l.expires) {
			delete(c.cache, k)
			continue
		}
		if victim == "" || l.expires.Before(soonest) {
			victim, soonest = k, l.expires
		}
	}
	if len(c.cache) >= c.o.MaxCacheEntries {
		delete(c.cache, victim)
	}
}

// verify checks a fetched status list credential: its proof (Data Integrity
// when it is a JSON object, vc+jwt otherwise) with the issuer's own key, its
// validity period, that its id is the URL it was fetched from, and its
// subject; then decodes the bitstring.
func (c *Checker) verify(ctx context.Context, u string, body []byte, now time.Time) (*verifiedList, error) {
	opts := vc.VerifyOptions{Now: now, RequireIssuerKey: true}
	var (
		res *vc.Result
		err error
	)
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '{' {
		res, err = c.o.Processor.Verify(ctx, b, c.o.Resolver, opts)
	} else {
		res, err = c.o.Processor.VerifyJWT(ctx, b, c.o.Resolver, opts)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, errorf(CodeStatusUnreachable, err, "verifying the status list credential "+u+" was cut short")
		}
		return nil, errorf(CodeStatusInvalid, err, "verifying the status list credential "+u)
	}
	cred := res.Credential
	if id, _ := cred["id"].(string); id != u {
		return nil, errorf(CodeStatusInvalid, nil, fmt.Sprintf("status list credential fetched from %s has id %q", u, id))
	}
	if !hasType(cred["type"], TypeListCredential) {
		return nil, errorf(CodeStatusInvalid, nil, fmt.Sprintf("%s is not a %s", u, TypeListCredential))
	}
	subj, ok := cred["credentialSubject"].(map[string]any)
	if !ok {
		return nil, errorf(CodeStatusInvalid, nil, fmt.Sprintf("%s: credentialSubject is not one object", u))
	}
	if !hasType(subj["type"], TypeList) {
		return nil, errorf(CodeStatusInvalid, nil, fmt.Sprintf("%s: credentialSubject is not a %s", u, TypeList))
	}
	purpose, _ := subj["statusPurpose"].(string)
	enc, _ := subj["encodedList"].(string)
	bits, err := Decode(enc, c.o.MaxListBytes)
	if err != nil {
		return nil, fmt.Errorf("decoding the list of %s: %w", u, err)
	}
	l := &verifiedList{issuer: res.Issuer, purpose: Purpose(purpose), bits: bits, validUntil: res.ValidUntil, expires: now.Add(c.o.CacheTTL)}
	if !l.validUntil.IsZero() && l.validUntil.Before(l.expires) {
		l.expires = l.validUntil
	}
	if ttl, ok := subj["ttl"].(float64); ok && ttl > 0 && ttl < 1e12 {
		if t := now.Add(time.Duration(ttl) * time.Millisecond); t.Before(l.expires) {
			l.expires = t
		}
	}
	return l, nil
}

func hasType(v any, want string) bool {
	switch t := v.(type) {
	case string:
		return t == want
	case []any:
		for _, x := range t {
			if s, _ := x.(string); s == want {
				return true
			}
		}
	}
	return false
}
