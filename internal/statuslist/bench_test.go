package statuslist

import (
	"context"
	"testing"

	"github.com/xborder/xborder/internal/suite"
)

// BenchmarkCheckCached is the per-credential cost once the list is cached.
func BenchmarkCheckCached(b *testing.B) {
	is := newIssuerSetup(b, suite.Ed25519, FormatDataIntegrity)
	ctx := context.Background()
	e, _ := is.store.Allocate(ctx, "rev")
	c := is.checker(b)
	cred := is.credential(e)
	if _, err := c.Check(ctx, cred); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.Check(ctx, cred); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyList is the cost of a cache miss: verify a signed
// eddsa-rdfc-2022 status list credential and decompress its list.
func BenchmarkVerifyList(b *testing.B) {
	is := newIssuerSetup(b, suite.Ed25519, FormatDataIntegrity)
	ctx := context.Background()
	body, _, err := is.pub.Credential(ctx, "rev")
	if err != nil {
		b.Fatal(err)
	}
	c := is.checker(b)
	url := is.srv.URL + "/status/rev"
	for b.Loop() {
		if _, err := c.verify(ctx, url, body, is.clock.now()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAllocate(b *testing.B) {
	is := newIssuerSetup(b, suite.Ed25519, FormatDataIntegrity)
	ctx := context.Background()
	for b.Loop() {
		if _, err := is.store.Allocate(ctx, "rev"); err != nil {
			b.Fatal(err)
		}
	}
}
