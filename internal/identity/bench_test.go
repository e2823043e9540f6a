package identity

import (
	"context"
	"testing"

	"github.com/xborder/xborder/internal/suite"
)

// BenchmarkResolveKeyDIDKey measures dereferencing a did:key verification
// method to its public key, which every credential verification does.
func BenchmarkResolveKeyDIDKey(b *testing.B) {
	for _, alg := range []suite.Alg{suite.Ed25519, suite.P256, suite.SM2} {
		b.Run(string(alg), func(b *testing.B) {
			s, err := suite.Generate(alg, nil)
			if err != nil {
				b.Fatal(err)
			}
			k, err := NewKeyDID(alg, s.Public())
			if err != nil {
				b.Fatal(err)
			}
			r := NewResolver(ResolverOptions{})
			ctx := context.Background()
			vm := k.VerificationMethodID()
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := r.ResolveKey(ctx, vm); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
