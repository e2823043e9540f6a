package suite

import (
	"crypto/ecdh"
	"crypto/rand"
	"testing"

	"github.com/emmansun/gmsm/sm2"
)

func reportOps(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "ops/s")
	}
}

func BenchmarkSign(b *testing.B) {
	msg := make([]byte, 256)
	for _, alg := range allAlgs {
		b.Run(string(alg), func(b *testing.B) {
			s, err := Generate(alg, nil)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.Sign(msg); err != nil {
					b.Fatal(err)
				}
			}
			reportOps(b)
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	msg := make([]byte, 256)
	for _, alg := range allAlgs {
		b.Run(string(alg), func(b *testing.B) {
			s, _ := Generate(alg, nil)
			sig, _ := s.Sign(msg)
			pub := s.Public()
			for b.Loop() {
				if err := Verify(alg, pub, msg, sig); err != nil {
					b.Fatal(err)
				}
			}
			reportOps(b)
		})
	}
}

func BenchmarkEnvelope(b *testing.B) {
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	p, _ := ecdh.P256().GenerateKey(rand.Reader)
	sk, _ := sm2.GenerateKey(rand.Reader)
	cases := []struct {
		name  string
		suite *Suite
		pub   any
		priv  any
	}{
		{"intl-x25519", Intl, x.PublicKey(), x},
		{"intl-p256", Intl, p.PublicKey(), p},
		{"gm-sm2", GM, &sk.PublicKey, sk},
	}
	for _, size := range []int{1 << 10, 1 << 20} {
		pt := make([]byte, size)
		for _, c := range cases {
			name := c.name + "/1KiB"
			if size > 1<<10 {
				name = c.name + "/1MiB"
			}
			b.Run("Seal/"+name, func(b *testing.B) {
				b.SetBytes(int64(size))
				for b.Loop() {
					if _, err := Seal(c.suite, c.pub, pt, nil); err != nil {
						b.Fatal(err)
					}
				}
				reportOps(b)
			})
			env, _ := Seal(c.suite, c.pub, pt, nil)
			b.Run("Open/"+name, func(b *testing.B) {
				b.SetBytes(int64(size))
				for b.Loop() {
					if _, err := Open(c.suite, c.priv, env, nil); err != nil {
						b.Fatal(err)
					}
				}
				reportOps(b)
			})
		}
	}
}
