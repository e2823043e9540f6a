package identity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/suite"
)

// fakeClock is a settable clock for the cache.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestResolverCache(t *testing.T) {
	f := newWebFixture(t)
	doc, _ := f.put(t)
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := NewResolver(ResolverOptions{HTTPClient: f.client(), Now: clock.Now, TTL: time.Minute, NegativeTTL: 10 * time.Second})
	ctx := context.Background()

	res, err := r.Resolve(ctx, doc.ID)
	if err != nil || res.Metadata.Cached {
		t.Fatalf("first: %+v, %v", res.Metadata, err)
	}
	res.Document.ID = "mutated by the caller"
	res, err = r.Resolve(ctx, doc.ID)
	if err != nil || !res.Metadata.Cached || res.Document.ID != doc.ID {
		t.Fatalf("second: %+v, %v", res, err)
	}
	if n := f.requests.Load(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
	clock.Advance(59 * time.Second)
	if res, _ := r.Resolve(ctx, doc.ID); !res.Metadata.Cached || f.requests.Load() != 1 {
		t.Fatal("entry expired early")
	}
	clock.Advance(time.Second)
	if res, _ := r.Resolve(ctx, doc.ID); res.Metadata.Cached || f.requests.Load() != 2 {
		t.Fatal("entry did not expire after the TTL")
	}

	// notFound is cached for the negative TTL only.
	missing := f.did("missing")
	for i := 0; i < 3; i++ {
		if _, err := r.Resolve(ctx, missing); Code(err) != CodeNotFound {
			t.Fatalf("missing: %v", err)
		}
	}
	if n := f.requests.Load(); n != 3 {
		t.Fatalf("%d requests after negative caching, want 3", n)
	}
	clock.Advance(10 * time.Second)
	if _, err := r.Resolve(ctx, missing); Code(err) != CodeNotFound || f.requests.Load() != 4 {
		t.Fatal("negative entry did not expire")
	}

	// Other errors are not cached.
	f.handle("/error/did.json", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	before := f.requests.Load()
	r.Resolve(ctx, f.did("error"))
	r.Resolve(ctx, f.did("error"))
	if n := f.requests.Load() - before; n != 2 {
		t.Fatalf("internalError cached: %d requests", n)
	}

	// Forget drops an entry.
	r.Resolve(ctx, doc.ID)
	before = f.requests.Load()
	r.Forget(doc.ID)
	if res, _ := r.Resolve(ctx, doc.ID); res.Metadata.Cached || f.requests.Load() != before+1 {
		t.Fatal("Forget did not drop the entry")
	}
}

func TestResolverMaxEntries(t *testing.T) {
	f := newWebFixture(t)
	for i := 0; i < 5; i++ {
		f.put(t, "d", fmt.Sprint(i))
	}
	r := NewResolver(ResolverOptions{HTTPClient: f.client(), MaxEntries: 3})
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if _, err := r.Resolve(ctx, f.did("d", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.CacheLen(); n != 3 {
		t.Fatalf("cache holds %d entries, want 3", n)
	}
	// The most recent three are cached, the first two were evicted.
	before := f.requests.Load()
	for i := 2; i < 5; i++ {
		r.Resolve(ctx, f.did("d", fmt.Sprint(i)))
	}
	if f.requests.Load() != before {
		t.Fatal("recent entries were evicted")
	}
	r.Resolve(ctx, f.did("d", "0"))
	if f.requests.Load() != before+1 {
		t.Fatal("evicted entry served from cache")
	}
	// did:key is not cached.
	r.Resolve(ctx, ed25519Vectors[0])
	if n := r.CacheLen(); n != 3 {
		t.Fatalf("cache holds %d entries after did:key, want 3", n)
	}
}

func TestResolverCoalesces(t *testing.T) {
	f := newWebFixture(t)
	doc, _ := f.put(t)
	gate := make(chan struct{})
	var inHandler atomic.Int64
	f.handle("/.well-known/did.json", func(w http.ResponseWriter, r *http.Request) {
		inHandler.Add(1)
		<-gate
		(&Handler{Host: f.host, Source: f.docs}).ServeHTTP(w, r)
	})
	r := NewResolver(ResolverOptions{HTTPClient: f.client()})
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := r.Resolve(context.Background(), doc.ID)
			if err == nil && res.Document.ID != doc.ID {
				err = errors.New("wrong document")
			}
			errs <- err
		}()
	}
	for inHandler.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.requests.Load(); n != 1 {
		t.Fatalf("%d requests for 20 concurrent resolutions, want 1", n)
	}
}

type staticMethod struct{ doc *Document }

func (m staticMethod) Resolve(ctx context.Context, d DID) (*Result, error) {
	if m.doc == nil {
		return nil, errors.New("plain failure")
	}
	return &Result{Document: m.doc.Clone(), Metadata: ResolutionMetadata{ContentType: MediaTypeDIDJSON}}, nil
}

func TestResolverDispatch(t *testing.T) {
	good, _ := NewDocument("did:example:good")
	r := NewResolver(ResolverOptions{Methods: map[string]Method{
		"example": staticMethod{good},
		"broken":  staticMethod{},
		"liar":    staticMethod{good},
	}})
	ctx := context.Background()
	for did, code := range map[string]ErrorCode{
		"did:example:good":       "",
		"did:nomethod:x":         CodeMethodNotSupported,
		"did:broken:x":           CodeInternalError,
		"did:liar:x":             CodeInvalidDIDDocument, // document id is not the DID
		"did:example:good#key-1": CodeInvalidDID,
		"not a did":              CodeInvalidDID,
		"did:web:127.0.0.1":      CodeInvalidDID,
		ed25519Vectors[1]:        "",
		"did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc": CodeInvalidPublicKeyType,
	} {
		res, err := r.Resolve(ctx, did)
		if Code(err) != code || res.Metadata.Error != code || (code != "") != (res.Document == nil) {
			t.Errorf("%s: %+v, %v; want %q", did, res, err, code)
		}
		if code != "" && res.Metadata.ErrorMessage == "" {
			t.Errorf("%s: no error message", did)
		}
	}
	if _, err := r.VerificationMethod(ctx, "did:example:good#nokey", ""); Code(err) != CodeNotFound {
		t.Errorf("VerificationMethod: %v", err)
	}
	if _, err := r.VerificationMethod(ctx, "did:example:good#a b", ""); Code(err) != CodeInvalidDIDURL {
		t.Errorf("VerificationMethod bad URL: %v", err)
	}
	k := ed25519Vectors[0]
	vm, err := r.VerificationMethod(ctx, k+"#"+k[8:], Authentication)
	if err != nil || vm.PublicKeyMultibase != k[8:] {
		t.Errorf("did:key VerificationMethod: %+v, %v", vm, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := r.Resolve(cancelled, k); Code(err) != CodeInternalError || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// TestResolveKey: a did:key verification method resolves to its key under
// assertionMethod; an unknown fragment does not.
func TestResolveKey(t *testing.T) {
	s, err := suite.Generate(suite.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKeyDID(suite.Ed25519, s.Public())
	if err != nil {
		t.Fatal(err)
	}
	r := NewResolver(ResolverOptions{})
	alg, pub, err := r.ResolveKey(context.Background(), k.VerificationMethodID())
	if err != nil || alg != suite.Ed25519 {
		t.Fatalf("ResolveKey: %v, %v", alg, err)
	}
	if err := suite.Verify(alg, pub, []byte("m"), mustSign(t, s, []byte("m"))); err != nil {
		t.Errorf("resolved key does not verify: %v", err)
	}
	if _, _, err := r.ResolveKey(context.Background(), k.DID+"#other"); err == nil {
		t.Error("an unknown fragment resolved")
	}
}

func mustSign(t *testing.T, s suite.Signer, m []byte) []byte {
	t.Helper()
	sig, err := s.Sign(m)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// TestResolveKeyCache checks that dereferenced keys are cached for the
// document TTL, dropped by Forget, follow a rotated document once the entry
// expires, stay within MaxEntries, and are never cached on failure.
func TestResolveKeyCache(t *testing.T) {
	f := newWebFixture(t)
	doc, s := f.put(t)
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := NewResolver(ResolverOptions{HTTPClient: f.client(), Now: clock.Now, TTL: time.Minute, MaxEntries: 2})
	ctx := context.Background()
	vm := doc.ID + "#key-1"
	verifies := func(signer suite.Signer) bool {
		t.Helper()
		alg, pub, err := r.ResolveKey(ctx, vm)
		if err != nil {
			t.Fatal(err)
		}
		return suite.Verify(alg, pub, []byte("m"), mustSign(t, signer, []byte("m"))) == nil
	}

	if !verifies(s) || !verifies(s) {
		t.Fatal("resolved key does not verify")
	}
	if n := f.requests.Load(); n != 1 {
		t.Fatalf("%d requests for two resolutions, want 1", n)
	}

	// The document rotates its key; the cached key stays until the TTL.
	rotated, s2 := f.put(t)
	if rotated.ID != doc.ID {
		t.Fatal("fixture changed the DID")
	}
	clock.Advance(59 * time.Second)
	if !verifies(s) {
		t.Fatal("cached key dropped before the TTL")
	}
	clock.Advance(time.Second)
	if !verifies(s2) {
		t.Fatal("key not re-resolved after the TTL")
	}
	if n := f.requests.Load(); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}

	before := f.requests.Load()
	r.Forget(doc.ID)
	verifies(s2)
	if f.requests.Load() != before+1 {
		t.Fatal("Forget did not drop the key")
	}

	// Failures are not cached.
	before = f.requests.Load()
	for i := 0; i < 2; i++ {
		if _, _, err := r.ResolveKey(ctx, doc.ID+"#missing"); err == nil {
			t.Fatal("unknown fragment resolved")
		}
	}
	if r.keyLRU.Len() != 1 {
		t.Fatalf("%d cached keys after failures, want 1", r.keyLRU.Len())
	}

	// did:key keys share the bound.
	for i := 0; i < 3; i++ {
		sk, _ := suite.Generate(suite.Ed25519, nil)
		k, _ := NewKeyDID(suite.Ed25519, sk.Public())
		if _, _, err := r.ResolveKey(ctx, k.VerificationMethodID()); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.keyLRU.Len(); n != 2 {
		t.Fatalf("%d cached keys, want MaxEntries = 2", n)
	}
}
