package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/transfer"
)

func newBenchTransferCmd(e *env) *cobra.Command {
	var size, suiteName string
	cmd := &cobra.Command{
		Use:   "transfer [--size 1GB] [--suite intl|gm|all]",
		Short: "An encrypted, chunked, resumable pull beside raw TLS of the same bytes (MB/s, ratio, peak heap)",
		Long: `bench transfer pulls --size bytes on loopback: raw, an HTTPS GET with net/http (TLS 1.3) of the
same bytes; ours, the data plane's encrypted chunked stream (per-transfer ECDH key, AES-256-GCM for
intl or SM4-GCM for gm, a signed digest of the whole plaintext) over the same kind of TLS server. It
prints MB/s, the ratio ours/raw, CPU seconds per GB and the peak heap. Client and server share the
machine's cores.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := parseSize(size)
			if err != nil || n <= 0 {
				return badInput(fmt.Errorf("--size %q: %v", size, err), "write sizes like 256MB or 1GB")
			}
			if suiteName != "intl" && suiteName != "gm" && suiteName != "all" {
				return badInput(fmt.Errorf("--suite %q: accepted: intl, gm, all", suiteName), "")
			}
			start := time.Now()
			if _, err := transfer.Bench(cmd.Context(), n, suiteName, e.stdout); err != nil {
				return failure(err)
			}
			fmt.Fprintf(e.stderr, "xborder: bench transfer took %s\n", time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&size, "size", "1GB", "bytes to pull, e.g. 256MB or 1GB")
	cmd.Flags().StringVar(&suiteName, "suite", "all", "intl, gm or all")
	return cmd
}
