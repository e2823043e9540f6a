package psi

import (
	"runtime"
	"sync"
	"time"
)

// ScalarMultRate measures variable-base scalar multiplications in group g
// (ristretto255 ScalarMult, or X25519 with its point check, 8 at a time
// on CPUs with AVX-512 IFMA, as the protocol runs them) per second for about d: on one goroutine (perCore) and on GOMAXPROCS
// goroutines at once (machine), which is below cores × perCore when the
// vCPUs share a physical core or other load competes. 4n / machine is the
// compute floor of an n × n PSI with both parties on this machine.
func ScalarMultRate(g Group, d time.Duration) (perCore, machine float64) {
	perCore = multRate(g, d)
	w := runtime.GOMAXPROCS(0)
	rates := make([]float64, w)
	var wg sync.WaitGroup
	for i := range rates {
		wg.Add(1)
		go func() { defer wg.Done(); rates[i] = multRate(g, d) }()
	}
	wg.Wait()
	for _, r := range rates {
		machine += r
	}
	return perCore, machine
}

func multRate(g Group, d time.Duration) float64 {
	s, err := newExponent(g)
	if err != nil {
		panic(err)
	}
	// 64 points per batch call, as the protocol calls it (in batches).
	const batch = 64
	var p, q [pointLen]byte
	if err := s.hashExp(g.dst("bench"), "x", p[:]); err != nil {
		panic(err)
	}
	in := func(int) []byte { return p[:] }
	out := func(int) []byte { return q[:] }
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		if err := s.expBatch(batch, in, out); err != nil {
			panic(err)
		}
		n += batch
	}
	return float64(n) / time.Since(start).Seconds()
}
