package psi

import (
	"runtime"
	"sync"
	"time"

	"github.com/gtank/ristretto255"
)

// ScalarMultRate measures variable-base ristretto255 scalar multiplications
// per second for about d: on one goroutine (perCore) and on GOMAXPROCS
// goroutines at once (machine), which is below cores × perCore when the
// vCPUs share a physical core or other load competes. 4n / machine is the
// compute floor of an n × n PSI with both parties on this machine.
func ScalarMultRate(d time.Duration) (perCore, machine float64) {
	perCore = multRate(d)
	w := runtime.GOMAXPROCS(0)
	rates := make([]float64, w)
	var wg sync.WaitGroup
	for i := range rates {
		wg.Add(1)
		go func() { defer wg.Done(); rates[i] = multRate(d) }()
	}
	wg.Wait()
	for _, r := range rates {
		machine += r
	}
	return perCore, machine
}

func multRate(d time.Duration) float64 {
	s, err := randomScalar()
	if err != nil {
		panic(err)
	}
	p := hashToGroup(dst("bench"), []byte("x"))
	q := ristretto255.NewElement()
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		for i := 0; i < 100; i++ {
			q.ScalarMult(s, p)
		}
		n += 100
	}
	return float64(n) / time.Since(start).Seconds()
}
