package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/xborder/xborder/internal/atomicfile"
	"github.com/xborder/xborder/internal/synth"
)

func newGenCmd(e *env) *cobra.Command {
	var opts synth.CSVOptions
	var out, size string
	cmd := &cobra.Command{
		Use:   "gen --out FILE [--rows N | --size 1GB] [--seed N]",
		Short: "Generate a synthetic, labelled customer table for trying and benchmarking",
		Long: `gen writes a deterministic synthetic CSV of customer orders: resident IDs, mobiles,
bank cards, e-mails, names, addresses, diagnoses, amounts, free text that sometimes
embeds identifiers, and 18-digit order numbers that look like resident IDs but fail
the check digit. The same options always give the same bytes. No real person is in it.
It prints the truth about the file (rows, distinct and sensitive individuals, the
class of each column) as JSON on stdout.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return badInput(errors.New("--out is required"), "give the file to write, e.g. --out data.csv")
			}
			if size != "" {
				n, err := parseSize(size)
				if err != nil {
					return badInput(err, "write sizes like 500MB or 1GB")
				}
				opts.TargetBytes = n
			}
			st, err := writeSynth(out, opts)
			if err != nil {
				return failure(err)
			}
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(st)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write")
	cmd.Flags().Int64Var(&opts.Rows, "rows", 0, "number of data rows (default 1000 unless --size)")
	cmd.Flags().StringVar(&size, "size", "", "approximate size instead of --rows, e.g. 1GB")
	cmd.Flags().Uint64Var(&opts.Seed, "seed", 1, "random seed")
	cmd.Flags().StringVar(&opts.Encoding, "encoding", "utf-8", "utf-8 or gb18030")
	cmd.Flags().BoolVar(&opts.BOM, "bom", false, "write a byte-order mark")
	return cmd
}

// writeSynth writes the synthetic table atomically and returns its truth.
func writeSynth(path string, opts synth.CSVOptions) (synth.Stats, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return synth.Stats{}, err
	}
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		return synth.Stats{}, err
	}
	defer f.Abort()
	w := bufio.NewWriterSize(f, 1<<20)
	st, err := synth.WriteCSV(w, opts)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return st, fmt.Errorf("generating %s: %w", path, err)
	}
	return st, f.Commit()
}

func parseSize(s string) (int64, error) {
	var n float64
	var unit string
	if _, err := fmt.Sscanf(s, "%g%s", &n, &unit); err != nil {
		if _, err2 := fmt.Sscanf(s, "%g", &n); err2 != nil {
			return 0, fmt.Errorf("size %q: %w", s, err)
		}
	}
	mult := map[string]float64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
	m, ok := mult[unit]
	if !ok || n <= 0 {
		return 0, fmt.Errorf("size %q: want a positive number with B, KB, MB, GB, KiB, MiB or GiB", s)
	}
	return int64(n * m), nil
}

func newBenchCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure xborder against a baseline measured in the same run",
	}
	cmd.AddCommand(newBenchAssessCmd(e), newBenchQualityCmd(e), newBenchVCCmd(e), newBenchPolicyCmd(e), newBenchContractCmd(e), newBenchCatalogCmd(e), newBenchAuditCmd(e), newBenchTransferCmd(e), newBenchServeCmd(e), newBenchPSICmd(e))
	return cmd
}

func newBenchAssessCmd(e *env) *cobra.Command {
	var dir, size string
	var seed uint64
	cmd := &cobra.Command{
		Use:   "assess [--size 1GB] [--dir bench-data]",
		Short: "Assess a generated CSV; print MB/s and peak RSS beside the raw read of the same file",
		Long: `bench assess generates (once, seeded) a CSV of about --size bytes with ten columns
(resident ID, mobile, bank card, e-mail, name, address, amount, free text, diagnosis,
lookalike order numbers), reads it raw to measure the disk/page-cache throughput, then
runs 'xborder assess' on it as a child process and reports its throughput, the ratio
to the raw read, its peak resident memory, and whether it counted the individuals the
generator knows to be there.

Targets (issue 2): >= 150 MB/s on 2 cores, >= 30% of raw read, peak RSS <= 1 GB.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := parseSize(size)
			if err != nil {
				return badInput(err, "write sizes like 500MB or 1GB")
			}
			return benchAssess(cmd.Context(), e, dir, n, seed)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "bench-data", "directory for the generated file (kept for later runs)")
	cmd.Flags().StringVar(&size, "size", "1GB", "size of the generated CSV")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed")
	return cmd
}

func benchAssess(ctx context.Context, e *env, dir string, size int64, seed uint64) error {
	path := filepath.Join(dir, fmt.Sprintf("bench-seed%d-%d.csv", seed, size))
	truthPath := path + ".truth.json"
	var st synth.Stats
	if b, err := os.ReadFile(truthPath); err == nil && json.Unmarshal(b, &st) == nil && fileSize(path) == st.Bytes {
		fmt.Fprintf(e.stdout, "data      %s (existing, %s, %d rows)\n", path, humanBytes(st.Bytes), st.Rows)
	} else {
		t0 := time.Now()
		st, err = writeSynth(path, synth.CSVOptions{Seed: seed, TargetBytes: size})
		if err != nil {
			return failure(err)
		}
		b, _ := json.Marshal(st)
		if err := os.WriteFile(truthPath, b, 0o644); err != nil {
			return failure(err)
		}
		el := time.Since(t0)
		fmt.Fprintf(e.stdout, "data      %s (generated %s, %d rows in %.1fs)\n", path, humanBytes(st.Bytes), st.Rows, el.Seconds())
	}

	// Two conditions, each measured for the raw read and for the
	// assessment: cold (the file's pages evicted from the page cache first,
	// so both read from the disk, as a user's first run does) and warm.
	self, err := os.Executable()
	if err != nil {
		return failure(err)
	}
	var report []byte
	for _, cold := range []bool{true, false} {
		label := "warm"
		if cold {
			label = "cold"
			if err := evictFromCache(path); err != nil {
				return failure(err)
			}
		} else if _, err := rawRead(path); err != nil { // fill the cache
			return failure(err)
		}
		raw, err := rawRead(path)
		if err != nil {
			return failure(err)
		}
		if cold {
			if err := evictFromCache(path); err != nil {
				return failure(err)
			}
		}
		res, err := runAssessChild(ctx, self, dir, path)
		if err != nil {
			return failure(err)
		}
		mbs := float64(st.Bytes) / 1e6 / res.wall.Seconds()
		fmt.Fprintf(e.stdout, "%s      raw read %8.1f MB/s | assess %7.1f MB/s (%.2fs, %d rows) | ratio %5.1f %% | peak RSS %6.1f MB\n",
			label, raw, mbs, res.wall.Seconds(), st.Rows, 100*mbs/raw, float64(res.rss)/1e6)
		report = res.stdout
	}
	fmt.Fprintf(e.stdout, "targets   assess >= 150 MB/s on 2 cores; >= 30 %% of the raw read; peak RSS <= 1000 MB\n")

	var out struct {
		Profile struct {
			Individuals          int64 `json:"individuals"`
			SensitiveIndividuals int64 `json:"sensitive_individuals"`
		} `json:"profile"`
	}
	if err := json.Unmarshal(report, &out); err != nil {
		return failure(fmt.Errorf("reading the assessment: %w", err))
	}
	check := func(name string, got, want int64) {
		mark := "ok"
		if got != want {
			mark = "MISMATCH"
		}
		fmt.Fprintf(e.stdout, "%-9s %d counted, %d true: %s\n", name, got, want, mark)
	}
	check("persons", out.Profile.Individuals, st.Individuals)
	check("sensitive", out.Profile.SensitiveIndividuals, st.SensitiveIndividuals)
	return nil
}

type assessRun struct {
	stdout []byte
	wall   time.Duration
	rss    int64 // peak resident set of the child, bytes
}

// runAssessChild runs 'xborder assess' on path as a child process, so that its
// peak RSS is its own.
func runAssessChild(ctx context.Context, self, dir, path string) (assessRun, error) {
	c := exec.CommandContext(ctx, self, "assess", "--from", "CN", "--to", "DE", "--purpose", "analytics",
		"--as-of", "2026-04-15", "--format", "json", "--no-progress", "--data-dir", filepath.Join(dir, "data"), path)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	t0 := time.Now()
	err := c.Run()
	r := assessRun{stdout: stdout.Bytes(), wall: time.Since(t0)}
	if err != nil {
		return r, fmt.Errorf("xborder assess: %v\n%s", err, stderr.String())
	}
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rss = ru.Maxrss * 1024
	}
	return r, nil
}

// evictFromCache asks the kernel to drop the file's clean pages from the
// page cache (posix_fadvise DONTNEED), so the next read comes from the disk.
func evictFromCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		return fmt.Errorf("evicting %s from the page cache: %w", path, err)
	}
	return nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return fi.Size()
}

// rawRead reads path with 1 MiB reads, counting newlines so the loop does
// the minimum a row reader must, and returns MB/s.
func rawRead(path string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var n, lines int64
	t0 := time.Now()
	for {
		k, err := f.Read(buf)
		n += int64(k)
		lines += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	_ = lines
	return float64(n) / 1e6 / time.Since(t0).Seconds(), nil
}

func newBenchQualityCmd(e *env) *cobra.Command {
	var seed uint64
	cmd := &cobra.Command{
		Use:   "quality [--seed N]",
		Short: "Precision and recall of the classifier per class on a seeded, labelled corpus with decoys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			md, err := synth.QualityMarkdown(cmd.Context(), seed)
			if err != nil {
				return failure(err)
			}
			fmt.Fprint(e.stdout, md)
			return nil
		},
	}
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed of the corpus")
	return cmd
}
