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
	var inflight, datasets, rounds, petN int
	var petGroup string
	cmd := &cobra.Command{
		Use:   "serve [--duration 10s] [--inflight 4] [--catalog 10000 [--rounds 10]]",
		Short: "Contract negotiations per second between two nodes on loopback, through tokens, the gate and the audit ledger; optionally a catalog read over DSP",
		Long: `bench serve starts two nodes on loopback (a CN provider with a dataset, an NL consumer) in a
temporary directory and measures negotiations from the consumer's request to FINALIZED through the
whole stack: DCP self-issued ID tokens on every message, the compliance gate (rulebook) on the
request, every step appended to both audit ledgers (asynchronously, by each node's follower of
its DSP history; the report says when the ledgers caught up). Compare with the protocol alone:
go test ./internal/dsp -bench Negotiation.

With --catalog N, two fresh nodes then measure the consumer reading the provider's whole catalog of N
synthetic datasets (one offer each) over the Dataspace Protocol: every page requested with a
self-issued ID token, listed from the catalog store for the consumer, encoded, decoded strictly; once
cold, then --rounds times warm. --duration 0 skips the negotiations.

With --pet N, two fresh nodes with a finalized agreement run a PSI-cardinality task of N keys on
each side through the task interfaces and the signed ECDHE channel between them, beside
psi.RunLocal on the same sets in the same run (--pet-group ristretto255|x25519).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case inflight < 1 || inflight > 256:
				return badInput(fmt.Errorf("--inflight %d: out of range 1..256", inflight), "")
			case datasets < 0 || datasets > 1_000_000:
				return badInput(fmt.Errorf("--catalog %d: out of range 0..1000000", datasets), "")
			case rounds < 1 || rounds > 1000:
				return badInput(fmt.Errorf("--rounds %d: out of range 1..1000", rounds), "")
			case petN < 0 || petN > 1<<22:
				return badInput(fmt.Errorf("--pet %d: out of range 0..4194304", petN), "")
			case dur <= 0 && datasets == 0 && petN == 0:
				return badInput(fmt.Errorf("nothing to measure: --duration 0 and no --catalog"), "")
			}
			dir, err := os.MkdirTemp("", "xborder-bench-serve-")
			if err != nil {
				return failure(err)
			}
			defer os.RemoveAll(dir)
			quietTessera()
			if dur > 0 {
				if err := node.BenchNegotiations(cmd.Context(), dir+"/negotiations", dur, inflight, e.stdout); err != nil {
					return failure(err)
				}
			}
			if petN > 0 {
				if err := node.BenchPET(cmd.Context(), dir+"/pet", petN, petGroup, e.stdout); err != nil {
					return failure(err)
				}
			}
			if datasets > 0 {
				if err := node.BenchCatalog(cmd.Context(), dir+"/catalog", datasets, rounds, processCPUTime, e.stdout); err != nil {
					return failure(err)
				}
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&dur, "duration", 10*time.Second, "how long to run the negotiations (0: none)")
	cmd.Flags().IntVar(&inflight, "inflight", 4, "concurrent negotiations")
	cmd.Flags().IntVar(&datasets, "catalog", 0, "also read a catalog of this many datasets over DSP (0: no)")
	cmd.Flags().IntVar(&rounds, "rounds", 10, "warm catalog reads")
	cmd.Flags().IntVar(&petN, "pet", 0, "also run a PSI-cardinality task of this many keys per side between two nodes (0: no)")
	cmd.Flags().StringVar(&petGroup, "pet-group", "ristretto255", "the PSI group: ristretto255 or x25519")
	return cmd
}
