package statuslist

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/vc"
)

// TestIssuedCredentialWithStatus issues a credential carrying two status
// entries with package vc (the entries must survive JSON-LD processing under
// the VCDM 2.0 context without data loss), verifies it, then checks its status
// through the published lists — for each suite, SM2 included.
func TestIssuedCredentialWithStatus(t *testing.T) {
	for _, alg := range []suite.Alg{suite.Ed25519, suite.P256, suite.SM2} {
		t.Run(string(alg), func(t *testing.T) {
			ctx := context.Background()
			is := newIssuerSetup(t, alg, FormatDataIntegrity)
			rev, _ := is.store.Allocate(ctx, "rev")
			sus, _ := is.store.Allocate(ctx, "sus")
			cred := is.credential(rev, sus)
			cred["validFrom"] = "2026-01-01T00:00:00Z"
			cs := map[suite.Alg]string{suite.Ed25519: vc.EdDSARDFC2022, suite.P256: vc.ECDSARDFC2019, suite.SM2: vc.SM2RDFC2025}[alg]
			signed, err := is.proc.Sign(ctx, cred, vc.ProofOptions{Cryptosuite: cs, VerificationMethod: is.key.vm, Signer: is.key.signer})
			if err != nil {
				t.Fatal(err)
			}
			resolver := identity.NewResolver(identity.ResolverOptions{})
			res, err := is.proc.Verify(ctx, signed, resolver, vc.VerifyOptions{Now: is.clock.now(), RequireIssuerKey: true})
			if err != nil {
				t.Fatal(err)
			}
			c := is.checker(t)
			sts, err := c.Check(ctx, res.Credential)
			if err != nil || len(sts) != 2 {
				t.Fatalf("%v %v", sts, err)
			}
			i, _ := rev.Index()
			if err := is.store.Set(ctx, "rev", i); err != nil {
				t.Fatal(err)
			}
			is.clock.advance(DefaultCacheTTL)
			_, err = c.Check(ctx, res.Credential)
			wantCode(t, err, CodeRevoked)
		})
	}
}

func TestCheckCancelled(t *testing.T) {
	is := newIssuerSetup(t, suite.Ed25519, FormatDataIntegrity)
	e, _ := is.store.Allocate(context.Background(), "rev")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := is.checker(t).Check(ctx, is.credential(e))
	wantCode(t, err, CodeStatusUnreachable)
}

func TestCheckCoalescesConcurrentFetches(t *testing.T) {
	is := newIssuerSetup(t, suite.Ed25519, FormatDataIntegrity)
	ctx := context.Background()
	e, _ := is.store.Allocate(ctx, "rev")
	body, _, err := is.pub.Credential(ctx, "rev")
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	release := make(chan struct{})
	f := FetcherFunc(func(ctx context.Context, _ string) ([]byte, error) {
		calls.Add(1)
		select {
		case <-release:
			return body, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	c, err := NewChecker(CheckerOptions{Fetcher: f, Processor: is.proc, Resolver: identity.NewResolver(identity.ResolverOptions{}), Now: is.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	// A caller that gives up does not cancel the shared fetch.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = c.Check(short, is.credential(e))
	wantCode(t, err, CodeStatusUnreachable)

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			_, err := c.Check(ctx, is.credential(e))
			errs <- err
		})
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
}
