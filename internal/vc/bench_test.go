package vc

import (
	"context"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/suite"
)

// Benchmarks on the vector credential (vc-di-*/TestVectors/unsigned.json).
// The target is ≥ 2,000 eddsa-rdfc-2022 verifications per second per core.

func benchSuite(b *testing.B, cryptosuite, keyFile, secretField string, verify bool) {
	p := newProcessor(b)
	ctx := context.Background()
	keys := readJSONMap(b, keyFile)
	signer, vm := signerFromMultikey(b, keys[secretField].(string), keys["publicKeyMultibase"].(string))
	unsigned := readVector(b, "vc-di-eddsa/TestVectors/unsigned.json")
	opts := ProofOptions{Cryptosuite: cryptosuite, VerificationMethod: vm, Created: time.Date(2023, 2, 24, 23, 36, 38, 0, time.UTC), Signer: signer}
	signed, err := p.Sign(ctx, unsigned, opts)
	if err != nil {
		b.Fatal(err)
	}
	vopts := VerifyOptions{Now: vectorNow}
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), processCPUTime()
	n := 0
	for b.Loop() {
		n++
		if verify {
			if _, err := p.Verify(ctx, signed, didKeyResolver{}, vopts); err != nil {
				b.Fatal(err)
			}
		} else if _, err := p.Sign(ctx, unsigned, opts); err != nil {
			b.Fatal(err)
		}
	}
	op := "sign"
	if verify {
		op = "verify"
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), op+"/s")
	if cpu := processCPUTime() - cpu0; cpu > 0 {
		// Per CPU-second of this process (all its threads, GC included):
		// the per-core figure, whatever else the machine is doing.
		b.ReportMetric(float64(n)/cpu.Seconds(), op+"/cpu-s")
	}
}

func BenchmarkSignEdDSARDFC2022(b *testing.B) {
	benchSuite(b, EdDSARDFC2022, "vc-di-eddsa/TestVectors/keyPair.json", "privateKeyMultibase", false)
}

func BenchmarkVerifyEdDSARDFC2022(b *testing.B) {
	benchSuite(b, EdDSARDFC2022, "vc-di-eddsa/TestVectors/keyPair.json", "privateKeyMultibase", true)
}

func BenchmarkSignECDSARDFC2019(b *testing.B) {
	benchSuite(b, ECDSARDFC2019, "vc-di-ecdsa/TestVectors/p256KeyPair.json", "secretKeyMultibase", false)
}

func BenchmarkVerifyECDSARDFC2019(b *testing.B) {
	benchSuite(b, ECDSARDFC2019, "vc-di-ecdsa/TestVectors/p256KeyPair.json", "secretKeyMultibase", true)
}

func benchJWT(b *testing.B, alg suite.Alg, verify bool) {
	p := newProcessor(b)
	ctx := context.Background()
	signer, vm, res := generate(b, alg)
	unsigned := readVector(b, "vc-di-eddsa/TestVectors/unsigned.json")
	tok, err := p.SignJWT(ctx, unsigned, JWTOptions{Signer: signer, KeyID: vm})
	if err != nil {
		b.Fatal(err)
	}
	token := []byte(tok)
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), processCPUTime()
	n := 0
	for b.Loop() {
		n++
		if verify {
			if _, err := p.VerifyJWT(ctx, token, res, VerifyOptions{Now: vectorNow}); err != nil {
				b.Fatal(err)
			}
		} else if _, err := p.SignJWT(ctx, unsigned, JWTOptions{Signer: signer, KeyID: vm}); err != nil {
			b.Fatal(err)
		}
	}
	op := "sign"
	if verify {
		op = "verify"
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), op+"/s")
	if cpu := processCPUTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(n)/cpu.Seconds(), op+"/cpu-s")
	}
}

func BenchmarkSignJWTEdDSA(b *testing.B)   { benchJWT(b, suite.Ed25519, false) }
func BenchmarkVerifyJWTEdDSA(b *testing.B) { benchJWT(b, suite.Ed25519, true) }
func BenchmarkSignJWTES256(b *testing.B)   { benchJWT(b, suite.P256, false) }
func BenchmarkVerifyJWTES256(b *testing.B) { benchJWT(b, suite.P256, true) }
