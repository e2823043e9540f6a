package tsa

import (
	"crypto"
	"testing"
)

// BenchmarkAuthorityStamp measures tokens per second through
// Authority.Stamp: request parsing, an ECDSA P-256 signature, encoding.
func BenchmarkAuthorityStamp(b *testing.B) {
	a := testAuthority(b, testPKI(b))
	req := goodReq().der(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Stamp(req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "stamps/s")
}

// BenchmarkVerify measures Verify per second on a token carrying the TSA
// certificate: parsing, the signature, and the chain to the root.
func BenchmarkVerify(b *testing.B) {
	p := testPKI(b)
	a := testAuthority(b, p)
	d := digestOf("checkpoint")
	token, err := a.Client().Stamp(b.Context(), d, crypto.SHA256)
	if err != nil {
		b.Fatal(err)
	}
	roots := p.pool()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(token, d, crypto.SHA256, roots); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifies/s")
}
