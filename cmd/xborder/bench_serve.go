package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/node"
)

func newBenchServeCmd(e *env) *cobra.Command {
	var dur time.Duration
	var inflight int
	cmd := &cobra.Command{
		Use:   "serve [--duration 10s] [--inflight 4]",
		Short: "Contract negotiations per second between two nodes on loopback, through tokens, the gate and the audit ledger",
		Long: `bench serve starts two nodes on loopback (a CN provider with a dataset, an NL consumer) in a
temporary directory and measures negotiations from the consumer's request to FINALIZED through the
whole stack: DCP self-issued ID tokens on every message, the compliance gate (rulebook) on the
request, every step appended to both audit ledgers (asynchronously, by each node's follower of
its DSP history; the report says when the ledgers caught up). Compare with the protocol alone:
go test ./internal/dsp -bench Negotiation.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if inflight < 1 || inflight > 256 {
				return badInput(fmt.Errorf("--inflight %d: out of range 1..256", inflight), "")
			}
			dir, err := os.MkdirTemp("", "xborder-bench-serve-")
			if err != nil {
				return failure(err)
			}
			defer os.RemoveAll(dir)
			quietTessera()
			if err := node.BenchNegotiations(cmd.Context(), dir, dur, inflight, e.stdout); err != nil {
				return failure(err)
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&dur, "duration", 10*time.Second, "how long to run")
	cmd.Flags().IntVar(&inflight, "inflight", 4, "concurrent negotiations")
	return cmd
}
