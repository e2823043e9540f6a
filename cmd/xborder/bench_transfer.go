package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/mask"
	"github.com/xborder/xborder/internal/transfer"
)

func newBenchTransferCmd(e *env) *cobra.Command {
	var size, suiteName string
	var masked bool
	cmd := &cobra.Command{
		Use:   "transfer [--size 1GB] [--suite intl|gm|all] [--mask]",
		Short: "An encrypted, chunked, resumable pull beside raw TLS of the same bytes (MB/s, ratio, peak heap)",
		Long: `bench transfer pulls --size bytes on loopback: raw, an HTTPS GET with net/http (TLS 1.3) of the
same bytes; ours, the data plane's encrypted chunked stream (per-transfer ECDH key, AES-256-GCM for
intl or SM4-GCM for gm, a signed digest of the whole plaintext) over the same kind of TLS server. It
prints MB/s, the ratio ours/raw, CPU seconds per GB and the peak heap. Client and server share the
machine's cores.

With --mask the bytes are a CSV table of personal data (names, mobiles, resident IDs, birth dates,
diagnoses) and the provider streams it through a masking policy (drop, mask, keyed pseudonym,
generalisation; internal/mask) before encrypting, as the connector does; MB/s count the table's bytes.`,
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
			var o transfer.BenchOptions
			if masked {
				if o, err = maskedBenchOptions(suiteName); err != nil {
					return failure(err)
				}
			}
			if _, err := transfer.BenchWith(cmd.Context(), n, suiteName, o, e.stdout); err != nil {
				return failure(err)
			}
			fmt.Fprintf(e.stderr, "xborder: bench transfer took %s\n", time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&size, "size", "1GB", "bytes to pull, e.g. 256MB or 1GB")
	cmd.Flags().StringVar(&suiteName, "suite", "all", "intl, gm or all")
	cmd.Flags().BoolVar(&masked, "mask", false, "a CSV of personal data, masked by the provider before encryption")
	return cmd
}

// benchMaskPolicy is what a compliance office would let leave for research.
const benchMaskPolicy = `{"version":1,"default":{"action":"drop"},"columns":[
	{"name":"case_id","action":"pseudonymise"},
	{"name":"姓名","action":"drop"},
	{"name":"手机号","action":"mask","class":"cn_mobile"},
	{"name":"身份证号","action":"pseudonymise","class":"cn_resident_id"},
	{"name":"出生日期","action":"generalise","kind":"date","granularity":"year"},
	{"name":"diagnosis","action":"keep"},
	{"name":"cost","action":"keep"}]}`

// maskedBenchOptions makes a 1 MiB block of CSV rows of personal data and
// the masking of the provider (the pseudonym key of a bench agreement).
func maskedBenchOptions(suiteName string) (transfer.BenchOptions, error) {
	pol, err := mask.Parse([]byte(benchMaskPolicy))
	if err != nil {
		return transfer.BenchOptions{}, err
	}
	sn := suiteName
	if sn == "all" {
		sn = "intl"
	}
	key, err := mask.DeriveKey(sn, bytes.Repeat([]byte{7}, 32), "urn:uuid:bench-agreement")
	if err != nil {
		return transfer.BenchOptions{}, err
	}
	m, err := mask.New(pol, key)
	if err != nil {
		return transfer.BenchOptions{}, err
	}
	surnames := []string{"张", "王", "李", "赵", "陈", "刘", "杨", "黄"}
	given := []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋"}
	diag := []string{"C18.9", "C34.1", "C50.9", "C61", "C22.0", "C16.9"}
	var block bytes.Buffer
	for i := 0; block.Len() < 1<<20-200; i++ {
		fmt.Fprintf(&block, "ZL%08d,%s%s%s,1%02d%04d%04d,44030519%02d%02d%02d%04d,19%02d-%02d-%02d,%s,%d.%02d\n",
			i, surnames[i%8], given[i%10], given[(i/10)%10], 30+i%60, i%10000, (i*7)%10000,
			50+i%50, 1+i%12, 1+i%28, i%10000, 50+i%50, 1+i%12, 1+i%28, diag[i%6], 100+i%9000, i%100)
	}
	return transfer.BenchOptions{Header: []byte("case_id,姓名,手机号,身份证号,出生日期,diagnosis,cost\n"), Block: block.Bytes(), Label: "masked",
		Wrap: func(ctx context.Context, r io.Reader) io.ReadCloser {
			pr, pw := io.Pipe()
			go func() {
				_, err := m.CopyCSV(ctx, pw, r, nil)
				pw.CloseWithError(err)
			}()
			return pr
		}}, nil
}
