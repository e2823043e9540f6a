package psi

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

var large = flag.Bool("psi.large", false, "also benchmark 2^20 × 2^20")

// BenchmarkPSI runs ECDH-PSI end to end, both parties in this process, and
// reports the per-core scalar-multiplication rate measured in the same run
// and the ratio of the PSI time to the time of 4n multiplications spread
// over GOMAXPROCS cores (the compute floor: A and B each mask their own
// set and the other's). Run:
//
//	go test ./internal/pet/psi -run '^$' -bench PSI -benchtime 1x [-psi.large]
func BenchmarkPSI(b *testing.B) {
	sizes := []int{12, 16}
	if *large {
		sizes = append(sizes, 20)
	}
	for _, g := range []Group{GroupRistretto255, GroupX25519} {
		for _, logn := range sizes {
			n := 1 << logn
			r := rand.New(rand.NewPCG(1, 2))
			a, bb := sets(r, n, n, n/2)
			for _, mode := range []Mode{ModeIntersection, ModeCardinality} {
				b.Run(fmt.Sprintf("%v/2^%d/%v", g, logn, mode), func(b *testing.B) {
					rate, all := ScalarMultRate(g, time.Second)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						ra, _, err := RunLocal(context.Background(), Config{Session: "bench", Mode: mode, Group: g}, a, bb, nil)
						if err != nil {
							b.Fatal(err)
						}
						if ra.Size != n/2 {
							b.Fatalf("size %d", ra.Size)
						}
					}
					el := b.Elapsed().Seconds() / float64(b.N)
					floor := 4 * float64(n) / (rate * float64(runtime.GOMAXPROCS(0)))
					b.ReportMetric(el, "s/psi")
					b.ReportMetric(rate, "mults/s/core")
					b.ReportMetric(el/floor, "x-floor")
					b.ReportMetric(all, "mults/s/machine")
					b.ReportMetric(el/(4*float64(n)/all), "x-machine-floor")
				})
			}
		}
	}
}

func BenchmarkHashToGroup(b *testing.B) {
	d := dst("bench")
	for i := 0; i < b.N; i++ {
		hashToGroup(d, []byte("key-0000001"))
	}
}

func BenchmarkEncodeToCurve25519(b *testing.B) {
	d := GroupX25519.dst("bench")
	for i := 0; i < b.N; i++ {
		encodeToCurve25519(d, []byte("key-0000001"))
	}
}
