package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"

	"github.com/xborder/xborder/internal/audit"
)

func newBenchAuditCmd(e *env) *cobra.Command {
	var dur, batchAge, indexEvery time.Duration
	var writers, entries int
	var dir string
	cmd := &cobra.Command{
		Use:   "audit [--duration 5s] [--writers 512] [--entries 1000000] [--dir DIR]",
		Short: "Durable audit appends per second and time to integration beside raw fsync'd appends; proofs; verification",
		Long: `bench audit measures the audit ledger on this disk:

 1. sustained durable appends for --duration with --writers concurrent writers: entries/s
    acknowledged (payload fsync'd, entry sequenced and integrated into the tree on disk) and
    the time from Append to acknowledgement (p50, p99), the query index following the log in
    the same process; beside the baseline: the same writers appending the same payload
    records to one file with group commit (one write and one fsync per batch), the least
    any durable log must do, measured in the same run; the ratio is ledger/baseline;
 2. inclusion proofs built from the stored tiles and verified (p50, p99);
 3. verifying a ledger of --entries entries offline (built first through the ledger;
    the build is timed too).

Figures depend on the disk's fsync latency and on the machine; run it on a quiet one.
Files go to a temporary directory unless --dir is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if writers < 1 || writers > 100_000 {
				return badInput(fmt.Errorf("--writers %d: out of range 1..100000", writers), "")
			}
			if entries < 0 {
				return badInput(fmt.Errorf("--entries %d: negative", entries), "")
			}
			if dir == "" {
				d, err := os.MkdirTemp("", "xborder-bench-audit-")
				if err != nil {
					return failure(err)
				}
				defer os.RemoveAll(d)
				dir = d
			} else if err := os.MkdirAll(dir, 0o700); err != nil {
				return failure(err)
			}
			quietTessera()
			return benchAudit(cmd.Context(), e, dir, dur, writers, entries, batchAge, indexEvery)
		},
	}
	cmd.Flags().DurationVar(&dur, "duration", 5*time.Second, "how long to run each append loop")
	cmd.Flags().IntVar(&writers, "writers", 1024, "concurrent writers")
	cmd.Flags().DurationVar(&batchAge, "batch-age", 0, "tessera batch max age (default: the ledger's default)")
	cmd.Flags().DurationVar(&indexEvery, "index-interval", 0, "how often the query index follows the log (default 1s; large values measure the ledger without it)")
	cmd.Flags().IntVar(&entries, "entries", 1_000_000, "size of the ledger to verify (0 skips)")
	cmd.Flags().StringVar(&dir, "dir", "", "directory for the files (default: a temporary one, removed after)")
	return cmd
}

// benchEvent is a realistic event: a DID actor, a URN object, a digest.
func benchEvent(i uint64) *audit.Event {
	var d [32]byte
	binary.BigEndian.PutUint64(d[:], i)
	sum := sha256.Sum256(d[:])
	return &audit.Event{
		Actor:         fmt.Sprintf("did:web:node%d.example.cn", i%64),
		Time:          time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond),
		Operation:     audit.OpTransfer,
		ObjectID:      fmt.Sprintf("urn:xborder:transfer:%016x", i),
		ObjectKind:    audit.KindTransfer,
		Result:        audit.ResultSuccess,
		Reason:        "within_agreement",
		DetailsDigest: fmt.Sprintf("sha256:%x", sum),
		Class:         audit.ClassSensitive,
		Records:       1000 + i%1000,
		Bytes:         1 << 20,
	}
}

type appendStats struct {
	n        uint64
	rate     float64
	p50, p99 time.Duration
	cpu      float64 // CPU seconds per second of wall time
}

// runWriters runs fn from w goroutines for d and returns the rate and latency percentiles.
func runWriters(ctx context.Context, d time.Duration, w int, fn func(i uint64) error) (appendStats, error) {
	var next atomic.Uint64
	var mu sync.Mutex
	var firstErr error
	lat := make([][]time.Duration, w)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	cpu0 := cpuSeconds()
	start := time.Now()
	var wg sync.WaitGroup
	for g := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				t0 := time.Now()
				if err := fn(i); err != nil {
					if ctx.Err() != nil {
						return
					}
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					return
				}
				lat[g] = append(lat[g], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	cpu := cpuSeconds() - cpu0
	if firstErr != nil {
		return appendStats{}, firstErr
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	st := appendStats{n: uint64(len(all)), rate: float64(len(all)) / el, cpu: cpu / el}
	if len(all) > 0 {
		st.p50, st.p99 = percentiles(all)
	}
	return st, nil
}

// rawAppender is the baseline: group-committed appends of payload records to one file.
type rawAppender struct {
	f    *os.File
	reqs chan rawReq
	done chan struct{}
}

type rawReq struct {
	b  []byte
	ok chan error
}

func newRawAppender(path string) (*rawAppender, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	r := &rawAppender{f: f, reqs: make(chan rawReq, 4096), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		var buf []byte
		var batch []rawReq
		for q := range r.reqs {
			batch = append(batch[:0], q)
			buf = append(buf[:0], q.b...)
		drain:
			for len(batch) < 4096 {
				select {
				case q, ok := <-r.reqs:
					if !ok {
						break drain
					}
					batch = append(batch, q)
					buf = append(buf, q.b...)
				default:
					break drain
				}
			}
			_, err := r.f.Write(buf)
			if err == nil {
				err = r.f.Sync()
			}
			for _, q := range batch {
				q.ok <- err
			}
		}
	}()
	return r, nil
}

func (r *rawAppender) append(b []byte) error {
	ok := make(chan error, 1)
	r.reqs <- rawReq{b, ok}
	return <-ok
}

func (r *rawAppender) close() { close(r.reqs); <-r.done; r.f.Close() }

// rawRecord is the bytes the ledger stores for an event: header, salt, canonical event.
func rawRecord(e *audit.Event) ([]byte, error) {
	canon, err := e.Canonical()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 4+32+32+len(canon))
	binary.BigEndian.PutUint32(b, uint32(32+len(canon)))
	rand.Read(b[36:68])
	copy(b[68:], canon)
	c := sha256.Sum256(b[36:])
	copy(b[4:36], c[:])
	return b, nil
}

func benchAudit(ctx context.Context, e *env, dir string, d time.Duration, writers, entries int, batchAge, indexEvery time.Duration) error {
	w := e.stdout
	quiet := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	fmt.Fprintf(w, "durable appends, %d writers, %s per run (latency = Append call to acknowledgement)\n", writers, d)
	fmt.Fprintf(w, "%-44s %12s %10s %10s %10s\n", "", "entries/s", "p50", "p99", "CPU s/s")

	raw, err := newRawAppender(filepath.Join(dir, "raw.seg"))
	if err != nil {
		return failure(err)
	}
	base, err := runWriters(ctx, d, writers, func(i uint64) error {
		b, err := rawRecord(benchEvent(i))
		if err != nil {
			return err
		}
		return raw.append(b)
	})
	raw.close()
	if err != nil {
		return failure(fmt.Errorf("baseline: %w", err))
	}
	fmt.Fprintf(w, "%-44s %12.0f %10s %10s %10.2f\n", "baseline: same records, one file, group fsync", base.rate, ms(base.p50), ms(base.p99), base.cpu)

	// Tessera alone: the 32-byte leaves only, same batching, no payloads, no index.
	tl, err := benchTesseraAlone(ctx, filepath.Join(dir, "tessera"), d, writers, cmp.Or(batchAge, audit.DefaultBatchMaxAge))
	if err != nil {
		return failure(fmt.Errorf("tessera alone: %w", err))
	}
	fmt.Fprintf(w, "%-44s %12.0f %10s %10s %10.2f\n", "tessera alone: leaves only, same batching", tl.rate, ms(tl.p50), ms(tl.p99), tl.cpu)

	ldir := filepath.Join(dir, "ledger")
	l, err := audit.Open(ldir, audit.Options{Origin: "bench.xborder.example/audit", Logger: quiet, BatchMaxAge: batchAge, IndexInterval: indexEvery})
	if err != nil {
		return failure(err)
	}
	led, err := runWriters(ctx, d, writers, func(i uint64) error {
		_, err := l.Append(ctx, benchEvent(i))
		return err
	})
	if err != nil {
		l.Close(context.WithoutCancel(ctx))
		return failure(fmt.Errorf("ledger: %w", err))
	}
	fmt.Fprintf(w, "%-44s %12.0f %10s %10s %10.2f\n", "ledger: payloads, tree, index (acknowledged)", led.rate, ms(led.p50), ms(led.p99), led.cpu)
	fmt.Fprintf(w, "ledger/baseline: %.2f   (per CPU-second: %.0f vs %.0f entries)\n", led.rate/base.rate, led.rate/math.Max(led.cpu, 1e-9), base.rate/math.Max(base.cpu, 1e-9))
	t0 := time.Now()
	if err := l.Sync(ctx); err != nil {
		l.Close(context.WithoutCancel(ctx))
		return failure(err)
	}
	fmt.Fprintf(w, "signed checkpoint and index caught up %s after the last acknowledgement\n", ms(time.Since(t0)))
	if err := l.Close(context.WithoutCancel(ctx)); err != nil {
		return failure(err)
	}

	// Inclusion proofs from tiles.
	vkb, err := os.ReadFile(filepath.Join(ldir, "log.pub"))
	if err != nil {
		return failure(err)
	}
	cp, _, err := audit.ReadCheckpoint(ldir, string(vkb))
	if err != nil {
		return failure(err)
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	var pl []time.Duration
	for range 1000 {
		idx := rng.Uint64N(cp.Size)
		t0 := time.Now()
		p, err := audit.InclusionProof(ctx, ldir, idx, cp.Size)
		if err == nil {
			var c [32]byte
			if c, err = audit.LeafAt(ldir, idx, cp.Size); err == nil {
				lh := rfc6962.DefaultHasher.HashLeaf(c[:])
				err = proof.VerifyInclusion(rfc6962.DefaultHasher, idx, cp.Size, lh, p, cp.Hash)
			}
		}
		if err != nil {
			return failure(fmt.Errorf("proof of %d: %w", idx, err))
		}
		pl = append(pl, time.Since(t0))
	}
	p50, p99 := percentiles(pl)
	fmt.Fprintf(w, "\ninclusion proof in a tree of %d (read leaf and tiles, build, verify): p50 %s, p99 %s\n", cp.Size, ms(p50), ms(p99))

	if entries == 0 {
		return nil
	}
	vdir := filepath.Join(dir, "verify")
	l, err = audit.Open(vdir, audit.Options{Origin: "bench.xborder.example/audit", Logger: quiet, BatchMaxAge: batchAge})
	if err != nil {
		return failure(err)
	}
	var n atomic.Uint64
	t0 = time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := n.Add(1) - 1
				if i >= uint64(entries) {
					return
				}
				if _, err := l.Append(ctx, benchEvent(i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		l.Close(context.WithoutCancel(ctx))
		return failure(err)
	}
	if err := l.Close(context.WithoutCancel(ctx)); err != nil {
		return failure(err)
	}
	build := time.Since(t0)
	cpu0 := cpuSeconds()
	t0 = time.Now()
	rep, err := audit.VerifyDir(ctx, vdir)
	if err != nil {
		return failure(err)
	}
	vt := time.Since(t0)
	vcpu := cpuSeconds() - cpu0
	if rep.Size != uint64(entries) || rep.Entries != uint64(entries) {
		return failure(errors.New("verification did not cover every entry"))
	}
	fmt.Fprintf(w, "\nverify a ledger of %d entries offline (every tile, every payload, the root): %.2f s (%.2f CPU s); built through the ledger in %.1f s\n",
		entries, vt.Seconds(), vcpu, build.Seconds())
	t0 = time.Now()
	l, err = audit.Open(vdir, audit.Options{Logger: quiet})
	if err != nil {
		return failure(err)
	}
	ot := time.Since(t0)
	if err := l.WaitIndexChecked(ctx); err != nil {
		l.Close(context.WithoutCancel(ctx))
		return failure(err)
	}
	ct := time.Since(t0)
	if err := l.Close(context.WithoutCancel(ctx)); err != nil {
		return failure(err)
	}
	fmt.Fprintf(w, "reopen it: appends accepted after %.2f s (tree state checked, index reconciled); queries after %.2f s (every index row checked against its commitment)\n", ot.Seconds(), ct.Seconds())
	return nil
}

func cpuSeconds() float64 { return processCPUTime().Seconds() }

// benchTesseraAlone appends random 32-byte leaves to a bare tessera POSIX log
// with the ledger's batching: the Merkle-tree part of the ledger's cost.
func benchTesseraAlone(ctx context.Context, dir string, d time.Duration, writers int, batchAge time.Duration) (appendStats, error) {
	skey, _, err := note.GenerateKey(rand.Reader, "bench.xborder.example/tessera")
	if err != nil {
		return appendStats{}, err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return appendStats{}, err
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	drv, err := posix.New(lctx, posix.Config{Path: dir})
	if err != nil {
		return appendStats{}, err
	}
	app, shutdown, _, err := tessera.NewAppender(lctx, drv, tessera.NewAppendOptions().WithCheckpointSigner(signer).
		WithCheckpointInterval(100*time.Millisecond).WithBatching(audit.DefaultBatchMaxSize, batchAge).WithPushback(1<<16))
	if err != nil {
		return appendStats{}, err
	}
	st, err := runWriters(ctx, d, writers, func(uint64) error {
		var leaf [32]byte
		rand.Read(leaf[:])
		_, err := app.Add(ctx, tessera.NewEntry(leaf[:]))()
		return err
	})
	shutdown(context.WithoutCancel(ctx))
	return st, err
}
