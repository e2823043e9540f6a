package vc

import (
	"context"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
)

// rate reports ops per second and per CPU-second of the process.
func rate(b *testing.B, op string, n int, start time.Time, cpu0 time.Duration) {
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), op+"/s")
	if cpu := processCPUTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(n)/cpu.Seconds(), op+"/cpu-s")
	}
}

func benchSM2(b *testing.B, verify bool) {
	p := newSM2Processor(b)
	ctx := context.Background()
	s, k := keyDID(b, suite.SM2)
	res := identity.NewResolver(identity.ResolverOptions{})
	unsigned := readVector(b, "vc-di-eddsa/TestVectors/unsigned.json")
	opts := ProofOptions{Cryptosuite: SM2RDFC2025, VerificationMethod: k.VerificationMethodID(), Created: time.Date(2023, 2, 24, 23, 36, 38, 0, time.UTC), Signer: s}
	signed, err := p.Sign(ctx, unsigned, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0, n := time.Now(), processCPUTime(), 0
	for b.Loop() {
		n++
		if verify {
			_, err = p.Verify(ctx, signed, res, VerifyOptions{Now: vectorNow})
		} else {
			_, err = p.Sign(ctx, unsigned, opts)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	op := "sign"
	if verify {
		op = "verify"
	}
	rate(b, op, n, start, cpu0)
}

func BenchmarkSignSM2RDFC2025(b *testing.B)   { benchSM2(b, false) }
func BenchmarkVerifySM2RDFC2025(b *testing.B) { benchSM2(b, true) }

// The presentation benchmarks verify a presentation holding one credential
// (Data Integrity for VerifyPresentation, an enveloped vc+jwt for
// VerifyPresentationJWT), each check included: the presentation proof,
// the credential and a fresh nonce store entry.
func benchVP(b *testing.B, jwt bool) {
	f := newVPFixture(b)
	ctx := context.Background()
	var signed []byte
	verify := f.p.VerifyPresentation
	if jwt {
		signed = f.vpJWT(b, presentation(b, f.holderID.DID, enveloped(f.jwtCred)), nil)
		verify = f.p.VerifyPresentationJWT
	} else {
		signed = f.sign(b, presentation(b, f.holderID.DID, f.diCred), f.proofOpts())
	}
	opts := f.verifyOpts()
	opts.MaxAge = -1
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0, n := time.Now(), processCPUTime(), 0
	for b.Loop() {
		n++
		// A new store each time: the same presentation would be a replay.
		opts.Nonces = NewMemoryNonceStore(1, nil)
		if _, err := verify(ctx, signed, f.resolver, opts); err != nil {
			b.Fatal(err)
		}
	}
	rate(b, "verify", n, start, cpu0)
}

func BenchmarkVerifyPresentation(b *testing.B)    { benchVP(b, false) }
func BenchmarkVerifyPresentationJWT(b *testing.B) { benchVP(b, true) }
