package catalog

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

var benchDatasets = flag.Int("bench-datasets", 100000, "entries in the synthetic catalog of BenchmarkSearch and BenchmarkResolve")

// benchFixture is the synthetic catalog the benchmarks share.
var benchFixture struct {
	once    sync.Once
	dir     string
	db      *sql.DB
	cat     *Catalog
	entries []*Entry
	err     error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchFixture.dir != "" {
		if benchFixture.db != nil {
			benchFixture.db.Close()
		}
		os.RemoveAll(benchFixture.dir)
	}
	os.Exit(code)
}

func benchCatalog(b *testing.B) (*Catalog, []*Entry) {
	b.Helper()
	f := &benchFixture
	f.once.Do(func() {
		f.dir, f.err = os.MkdirTemp("", "xborder-catalog-bench-")
		if f.err != nil {
			return
		}
		db, err := sql.Open("sqlite", "file:"+filepath.Join(f.dir, "xborder.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
		if err != nil {
			f.err = err
			return
		}
		db.SetMaxOpenConns(1)
		f.db = db
		ctx := context.Background()
		c, err := Open(ctx, db, Config{Checker: SyntheticChecker{}, Now: fixedNow})
		if err != nil {
			f.err = err
			return
		}
		f.entries = SyntheticEntries(1, *benchDatasets)
		for i := 0; i < len(f.entries); i += 5000 {
			if _, err := c.RegisterBatch(ctx, f.entries[i:min(i+5000, len(f.entries))], RegisterOptions{}); err != nil {
				f.err = err
				return
			}
		}
		// Search from an index built from the database, as after a restart.
		f.cat, f.err = Open(ctx, db, Config{Checker: SyntheticChecker{}, Now: fixedNow})
	})
	if f.err != nil {
		b.Fatal(f.err)
	}
	return f.cat, f.entries
}

// benchRequester sees public and internal entries and the restricted ones
// whose policy asks for an analyst.
var benchRequester = Requester{DID: "did:web:bench.example", Claims: map[string]any{"role": "analyst"}}

// BenchmarkSearch runs the query mix of SyntheticQueries (Chinese and
// English words, prefixes, facet filters, browsing) with compliance hints,
// and reports the latency percentiles.
func BenchmarkSearch(b *testing.B) {
	c, _ := benchCatalog(b)
	ctx := context.Background()
	qs := SyntheticQueries(2, 1000)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := c.Search(ctx, benchRequester, qs[i%len(qs)]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	reportPercentiles(b, lat)
}

// BenchmarkResolve resolves identifiers with the default table recorder
// (one row per resolution), and without recording.
func BenchmarkResolve(b *testing.B) {
	c, es := benchCatalog(b)
	ctx := context.Background()
	for _, mode := range []string{"recorded", "lookup"} {
		b.Run(mode, func(b *testing.B) {
			cat := c
			if mode == "lookup" {
				cat = &Catalog{db: c.db, cfg: c.cfg, log: c.log, idx: c.idx, routes: c.routes}
				cat.cfg.Recorder = discardRecorder{}
				cat.info.Store(&Info{})
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if _, err := cat.Resolve(ctx, benchRequester, es[(i*7919)%len(es)].Identifier); err != nil && !isDenied(err) {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			reportPercentiles(b, lat)
		})
	}
}

type discardRecorder struct{}

func (discardRecorder) RecordResolution(context.Context, ResolutionRecord) error { return nil }

func isDenied(err error) bool { return errors.Is(err, ErrDenied) }

func reportPercentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	if len(lat) == 0 {
		return
	}
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
}
