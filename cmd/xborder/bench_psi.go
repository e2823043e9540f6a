package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/pet/psi"
)

func newBenchPSICmd(e *env) *cobra.Command {
	var size, mode, format, group string
	cmd := &cobra.Command{
		Use:   "psi [--size 2^16] [--mode intersection|cardinality|sum] [--group ristretto255|x25519]",
		Short: "ECDH-PSI of two generated n-key sets (half shared), both parties here, beside the scalar-multiplication rate",
		Long: `bench psi runs 'pet psi --local' on two generated sets of --size keys each, half
of them shared, and reports the wall time, the CPU time, and the ratio to the
compute floor measured in the same run: 4n variable-base scalar multiplications
in the chosen --group
(each party masks its own set and the other's) at this machine's rate with all
cores busy.

Target (issue 7): 2^20 x 2^20 in <= 75 s on a 2-core machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := parsePow2(size)
			if err != nil {
				return badInput(err, "use --size 65536 or --size 2^16")
			}
			g, err := psi.ParseGroup(group)
			if err != nil {
				return badInput(err, "use --group ristretto255 or --group x25519")
			}
			c := psi.Config{Session: "bench", Group: g}
			switch mode {
			case "intersection":
				c.Mode = psi.ModeIntersection
			case "cardinality":
				c.Mode = psi.ModeCardinality
			case "sum":
				c.Mode = psi.ModeSum
			default:
				return badInput(fmt.Errorf("unknown mode %q", mode), "use intersection, cardinality or sum")
			}
			a := make([]string, n)
			b := make([]string, n)
			vals := make([]uint64, n)
			for i := range a {
				a[i] = "key-" + strconv.Itoa(i)
				b[i] = "key-" + strconv.Itoa(i+n/2)
				vals[i] = 1
			}
			perCore, machine := psi.ScalarMultRate(g, time.Second)
			cpu0, start := processCPUTime(), time.Now()
			ra, _, err := psi.RunLocal(cmd.Context(), c, a, b, vals)
			if err != nil {
				return failure(err)
			}
			el, cpu := time.Since(start).Seconds(), (processCPUTime() - cpu0).Seconds()
			if ra.Size != n-n/2 {
				return failure(fmt.Errorf("intersection size %d, want %d", ra.Size, n-n/2))
			}
			floor := 4 * float64(n) / machine
			rep := map[string]any{
				"size": n, "mode": mode, "group": g.String(), "cores": runtime.GOMAXPROCS(0), "seconds": el, "cpu_seconds": cpu,
				"mults_per_s_per_core": perCore, "mults_per_s_machine": machine,
				"floor_seconds": floor, "ratio_to_floor": el / floor,
			}
			if err := benchPSIJS(cmd, mode, a, b, ra.Size, el, rep); err != nil {
				return err
			}
			if format == "json" {
				out, _ := json.MarshalIndent(rep, "", "  ")
				fmt.Fprintln(e.stdout, string(out))
				return nil
			}
			fmt.Fprintf(e.stdout, "PSI %d x %d (%s, %v): %.2f s wall, %.2f s CPU\n", n, n, mode, g, el, cpu)
			fmt.Fprintf(e.stdout, "scalar mult: %.0f/s on one core, %.0f/s on %d cores; floor 4n mults = %.2f s; ratio %.2f\n",
				perCore, machine, runtime.GOMAXPROCS(0), floor, el/floor)
			printPSIJS(e.stdout, rep)
			return nil
		},
	}
	cmd.Flags().StringVar(&size, "size", "2^16", "keys per party: a number or 2^k")
	cmd.Flags().StringVar(&mode, "mode", "cardinality", "intersection, cardinality or sum")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	cmd.Flags().StringVar(&group, "group", "ristretto255", "group of the masking: ristretto255 or x25519")
	addPSIJSFlag(cmd)
	return cmd
}

// parsePow2 reads "65536" or "2^16".
func parsePow2(s string) (int, error) {
	if k, ok := strings.CutPrefix(s, "2^"); ok {
		e, err := strconv.Atoi(k)
		if err != nil || e < 0 || e > 26 {
			return 0, fmt.Errorf("size %q: want 2^0 to 2^26", s)
		}
		return 1 << e, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1<<26 {
		return 0, fmt.Errorf("size %q: want 1 to 2^26", s)
	}
	return n, nil
}
