package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/xborder/xborder/internal/odrl"
)

func newBenchPolicyCmd(e *env) *cobra.Command {
	var dur time.Duration
	cmd := &cobra.Command{
		Use:   "policy [--duration 2s]",
		Short: "ODRL decisions: nanoseconds per decision beside OPA on the same policy as Rego",
		Long: `bench policy decides one request against a realistic offer (xborder's sample:
sixteen constraints over time, purpose, jurisdictions, export route, classification,
counters, fields, processing and credential claims, a prohibition and two duties) on
one goroutine, and the same request against the same policy translated to Rego and
run by OPA as a prepared query with pre-parsed input, in the same run. The two are
measured in alternating rounds so that other load on the machine hits both alike.
It prints p50 and p99 nanoseconds per decision (wall clock, and the thread's CPU time
at p50), allocations per decision, and the ratio.

Targets (issue 4): p50 <= 5 µs and >= 10x OPA.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dur <= 0 {
				return badInput(fmt.Errorf("--duration %s: must be positive", dur), "")
			}
			return benchPolicy(cmd.Context(), e, dur)
		},
	}
	cmd.Flags().DurationVar(&dur, "duration", 2*time.Second, "measuring time for each engine")
	return cmd
}

// sample is one measured batch: nanoseconds per decision.
type sample struct{ wall, cpu float64 }

func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// measure runs f n times and returns the wall and CPU nanoseconds per run.
func measure(n int, f func()) sample {
	c0, t0 := threadCPU(), time.Now()
	for i := 0; i < n; i++ {
		f()
	}
	wall := time.Since(t0)
	cpu := threadCPU() - c0
	return sample{wall: float64(wall.Nanoseconds()) / float64(n), cpu: float64(cpu.Nanoseconds()) / float64(n)}
}

func allocsPerRun(n int, f func()) float64 {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for i := 0; i < n; i++ {
		f()
	}
	runtime.ReadMemStats(&m1)
	return float64(m1.Mallocs-m0.Mallocs) / float64(n)
}

func percentile(s []sample, p float64, cpu bool) float64 {
	vs := make([]float64, len(s))
	for i, x := range s {
		vs[i] = x.wall
		if cpu {
			vs[i] = x.cpu
		}
	}
	slices.Sort(vs)
	if len(vs) == 0 {
		return 0
	}
	return vs[min(len(vs)-1, int(p*float64(len(vs))))]
}

func benchPolicy(ctx context.Context, e *env, dur time.Duration) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	p, err := odrl.Parse(odrl.SampleOffer())
	if err != nil {
		return failure(fmt.Errorf("parsing the sample offer: %w", err))
	}
	pp, err := odrl.Prepare(p)
	if err != nil {
		return failure(err)
	}
	req := odrl.SampleRequest(time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC))
	want := pp.Evaluate(req)

	opa, opaCheck, opaVersion, err := opaBaseline(ctx, pp, req, want)
	ours := func() { pp.Evaluate(req) }
	if errors.Is(err, errNoOPA) {
		opa = nil
	} else if err != nil {
		return failure(err)
	}

	// Warm up, then alternate rounds of about 10 ms each.
	measure(2000, ours)
	if opa != nil {
		measure(20, opa)
	}
	const ourBatch = 64
	var ourS, opaS []sample
	var ourT, opaT time.Duration
	for (ourT < dur || opaT < dur) && ctx.Err() == nil {
		if ourT < dur {
			t0 := time.Now()
			for time.Since(t0) < 10*time.Millisecond {
				ourS = append(ourS, measure(ourBatch, ours))
			}
			ourT += time.Since(t0)
		}
		if opa == nil {
			opaT = dur
		}
		if opaT < dur {
			t0 := time.Now()
			for time.Since(t0) < 10*time.Millisecond {
				opaS = append(opaS, measure(1, opa))
			}
			opaT += time.Since(t0)
		}
	}
	ourAllocs := allocsPerRun(1000, ours)

	o50, o99, oc := percentile(ourS, 0.5, false), percentile(ourS, 0.99, false), percentile(ourS, 0.5, true)
	fmt.Fprintf(e.stdout, "policy    %s: %d permission, %d prohibition, 16 constraints, 2 duties; decision %s\n",
		p.UID, len(p.Permissions), len(p.Prohibitions), want.Decision)
	fmt.Fprintf(e.stdout, "xborder   p50 %9.0f ns   p99 %9.0f ns   cpu p50 %9.0f ns   %5.1f allocs/decision   (%d decisions)\n",
		o50, o99, oc, ourAllocs, len(ourS)*ourBatch)
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT MET"
	}
	if opa == nil {
		fmt.Fprintf(e.stdout, "OPA       not in this build (it would add about 19 MB to it); for the comparison run: go run -tags opa ./cmd/xborder bench policy\n")
		fmt.Fprintf(e.stdout, "targets   p50 <= 5000 ns: %s; >= 10x OPA at p50: not measured\n", mark(o50 <= 5000))
		return nil
	}
	if err := opaCheck(); err != nil {
		return failure(err)
	}
	opaAllocs := allocsPerRun(50, opa)
	r50, r99, rc := percentile(opaS, 0.5, false), percentile(opaS, 0.99, false), percentile(opaS, 0.5, true)
	fmt.Fprintf(e.stdout, "OPA       p50 %9.0f ns   p99 %9.0f ns   cpu p50 %9.0f ns   %5.0f allocs/decision   (%d decisions, prepared query, %s)\n",
		r50, r99, rc, opaAllocs, len(opaS), opaVersion)
	fmt.Fprintf(e.stdout, "ratio     p50 %.0fx   p99 %.0fx   cpu p50 %.0fx\n", r50/o50, r99/o99, rc/oc)
	fmt.Fprintf(e.stdout, "targets   p50 <= 5000 ns: %s; >= 10x OPA at p50: %s\n", mark(o50 <= 5000), mark(r50/o50 >= 10))
	return nil
}
