package vc

import (
	"context"
	"crypto"
	"fmt"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
)

// MethodResolver dereferences a DID URL to a verification method that the
// resolved DID document lists under a verification relationship;
// *identity.Resolver is one.
type MethodResolver interface {
	VerificationMethod(ctx context.Context, didURL, relationship string) (*identity.VerificationMethod, error)
}

// KeysFor returns a KeyResolver that accepts only verification methods
// listed under relationship. KeysFor(r, identity.Authentication) is the
// PresentationOptions.HolderResolver for a presentation's proof, whose key
// must be one the holder authenticates with; identity.Resolver's own
// ResolveKey demands assertionMethod, the relationship for credentials.
func KeysFor(r MethodResolver, relationship string) KeyResolver {
	return KeyResolverFunc(func(ctx context.Context, vm string) (suite.Alg, crypto.PublicKey, error) {
		m, err := r.VerificationMethod(ctx, vm, relationship)
		if err != nil {
			return "", nil, fmt.Errorf("%s key %s: %w", relationship, vm, err)
		}
		return m.PublicKey()
	})
}
