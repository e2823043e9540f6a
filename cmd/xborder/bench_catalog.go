package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/catalog"
)

func newBenchCatalogCmd(e *env) *cobra.Command {
	var datasets, queries, resolutions, baseline int
	var seed uint64
	var dir string
	cmd := &cobra.Command{
		Use:   "catalog [--datasets 100000] [--queries 2000]",
		Short: "Search and resolution latency of a synthetic catalog, beside SQLite FTS5 on the same rows",
		Long: `bench catalog generates a seeded synthetic catalog (Chinese and English titles,
descriptions and keywords; industries, scenarios, levels, formats, update
frequencies, quality scores and regions drawn like a real data exchange's; a third
of the entries restricted by an access policy), registers it in a fresh SQLite
database, reopens it (building the search index from the database, as after a
restart), then measures:

  search      a mix of queries — Chinese words, English words, prefixes, facet
              filters, both, and browsing without words — as a requester who may
              see some restricted entries; 10 results a page with facet counts
              and compliance hints (the hints are cached per entry, destination
              and day, so repeated queries are cheaper)
  resolution  identifier → metadata → access interface, each recorded in
              catalog_resolutions; then again without the record

and beside them, in the same run and on the same rows, the baseline: SQLite FTS5
(trigram tokenizer, LIKE for words shorter than three characters) with the facet
filters, the access rule and the facet counts as SQL, 10 results by bm25. The
baseline takes seconds per query at 100k rows, so it runs an evenly spaced part of
the mix (--baseline-queries), and the ratio compares both on those same queries.
Progress goes to stderr.
Targets (issue 4): search p99 <= 20 ms at 100k datasets; resolution <= 1 ms.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if datasets < 1 || queries < 1 || resolutions < 1 || baseline < 1 {
				return badInput(fmt.Errorf("--datasets, --queries, --resolutions and --baseline-queries must be positive"), "")
			}
			return benchCatalog(cmd.Context(), e, dir, datasets, queries, resolutions, min(baseline, queries), seed)
		},
	}
	cmd.Flags().IntVar(&datasets, "datasets", 100000, "entries in the synthetic catalog")
	cmd.Flags().IntVar(&queries, "queries", 2000, "searches to time")
	cmd.Flags().IntVar(&resolutions, "resolutions", 2000, "resolutions to time")
	cmd.Flags().IntVar(&baseline, "baseline-queries", 100, "queries of the mix (evenly spaced) the baseline runs: it is slow")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed")
	cmd.Flags().StringVar(&dir, "dir", "", "keep the database in this directory (default: a temporary one, removed)")
	return cmd
}

// benchCatalogRequester may see public and internal entries and the
// restricted ones whose policy asks for an analyst.
var benchCatalogRequester = catalog.Requester{DID: "did:web:bench.example", Claims: map[string]any{"role": "analyst"}}

func benchCatalog(ctx context.Context, e *env, dir string, n, nq, nr, nb int, seed uint64) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "xborder-bench-catalog-")
		if err != nil {
			return failure(err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return failure(err)
	}
	path := filepath.Join(dir, stateDBFile)
	os.Remove(path)
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return failure(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rec := &benchRecorder{inner: catalog.NewTableRecorder(db)}
	cfg := catalog.Config{Checker: catalog.SyntheticChecker{}, Now: e.now, Recorder: rec}

	start := time.Now()
	entries := catalog.SyntheticEntries(seed, n)
	gen := time.Since(start)
	c, err := catalog.Open(ctx, db, cfg)
	if err != nil {
		return failure(err)
	}
	start = time.Now()
	for i := 0; i < len(entries); i += 5000 {
		if _, err := c.RegisterBatch(ctx, entries[i:min(i+5000, len(entries))], catalog.RegisterOptions{}); err != nil {
			return failure(err)
		}
	}
	reg := time.Since(start)
	fmt.Fprintf(e.stderr, "xborder: bench catalog: building the FTS5 baseline\n")
	base, err := newFTSBaseline(ctx, db, entries)
	if err != nil {
		return failure(fmt.Errorf("baseline: %w", err))
	}
	ids := make([]string, len(entries))
	for i, en := range entries {
		ids[i] = en.Identifier
	}
	entries, c = nil, nil // measure with what a server holds: the index
	runtime.GC()
	start = time.Now()
	c, err = catalog.Open(ctx, db, cfg)
	if err != nil {
		return failure(err)
	}
	open := time.Since(start)
	fmt.Fprintf(e.stdout, "catalog: %d datasets (seed %d): generated in %s, registered in %s (%.0f/s), index built from the database in %s\n",
		n, seed, round(gen), round(reg), float64(n)/reg.Seconds(), round(open))
	progress := func(format string, args ...any) {
		fmt.Fprintf(e.stderr, "xborder: bench catalog: "+format+"\n", args...)
	}

	qs := catalog.SyntheticQueries(seed+1, nq)
	timeSearch := func(noHints bool) ([]time.Duration, int, error) {
		lat := make([]time.Duration, 0, len(qs))
		hits := 0
		for _, q := range qs {
			q.NoHints = noHints
			t0 := time.Now()
			res, err := c.Search(ctx, benchCatalogRequester, q)
			if err != nil {
				return nil, 0, err
			}
			lat = append(lat, time.Since(t0))
			hits += res.Total
		}
		return lat, hits, nil
	}
	progress("searching (%d queries, twice)", len(qs))
	searchLat, total, err := timeSearch(false)
	if err != nil {
		return failure(err)
	}
	plainLat, _, err := timeSearch(true)
	if err != nil {
		return failure(err)
	}
	progress("resolving (%d identifiers)", nr)

	timeResolve := func() ([]time.Duration, error) {
		lat := make([]time.Duration, 0, nr)
		for i := 0; i < nr; i++ {
			id := ids[(i*7919)%len(ids)]
			t0 := time.Now()
			_, err := c.Resolve(ctx, benchCatalogRequester, id)
			lat = append(lat, time.Since(t0))
			if err != nil && !errors.Is(err, catalog.ErrDenied) {
				return nil, err
			}
		}
		return lat, nil
	}
	rlat, err := timeResolve()
	if err != nil {
		return failure(err)
	}
	rec.off = true
	llat, err := timeResolve()
	if err != nil {
		return failure(err)
	}

	progress("running the baseline (%d of the queries)", nb)
	stride := len(qs) / nb
	var blat, sameLat []time.Duration
	btotal, stotal := 0, 0
	for k := 0; k < nb; k++ {
		i := (k*stride + k%10) % len(qs) // evenly spaced, through every kind of query of the mix
		t0 := time.Now()
		n, err := base.search(ctx, qs[i])
		if err != nil {
			return failure(fmt.Errorf("baseline: %w", err))
		}
		blat = append(blat, time.Since(t0))
		sameLat = append(sameLat, searchLat[i])
		btotal += n
		res, err := c.Search(ctx, benchCatalogRequester, catalog.SearchRequest{Query: qs[i].Query, Filters: qs[i].Filters, NoHints: true, Limit: 1})
		if err != nil {
			return failure(err)
		}
		stotal += res.Total
	}

	s50, s99 := percentiles(searchLat)
	p50, p99 := percentiles(plainLat)
	o50, o99 := percentiles(sameLat)
	b50, b99 := percentiles(blat)
	r50, r99 := percentiles(rlat)
	l50, l99 := percentiles(llat)
	fmt.Fprintf(e.stdout, "\n%-66s %10s %10s\n", "", "p50", "p99")
	fmt.Fprintf(e.stdout, "%-66s %10s %10s\n", fmt.Sprintf("search, %d queries, 10 a page, facets, compliance hints", len(qs)), ms(s50), ms(s99))
	fmt.Fprintf(e.stdout, "%-66s %10s %10s\n", "search, the same queries, without hints", ms(p50), ms(p99))
	fmt.Fprintf(e.stdout, "%-66s %10s %10s\n", fmt.Sprintf("search with hints, the %d queries the baseline ran", len(blat)), ms(o50), ms(o99))
	fmt.Fprintf(e.stdout, "%-66s %10s %10s\n", "baseline: SQLite FTS5 trigram + SQL facets, same rows and queries", ms(b50), ms(b99))
	fmt.Fprintf(e.stdout, "%-66s %9.0fx %9.0fx\n", "baseline / search, on the same queries", b50.Seconds()/o50.Seconds(), b99.Seconds()/o99.Seconds())
	fmt.Fprintf(e.stdout, "%-66s %10s %10s\n", fmt.Sprintf("resolution, %d identifiers, each recorded in catalog_resolutions", nr), ms(r50), ms(r99))
	fmt.Fprintf(e.stdout, "%-66s %10s %10s\n", "resolution, the same identifiers, without the record", ms(l50), ms(l99))
	fmt.Fprintf(e.stdout, "\nresults per query: %.0f (catalog, all queries); on the baseline's queries %.0f (catalog), %.0f (baseline,\nwhich has no prefix expansion, no relaxed mode and no bilingual industry labels)\n",
		float64(total)/float64(len(qs)), float64(stotal)/float64(len(blat)), float64(btotal)/float64(len(blat)))
	fmt.Fprintln(e.stdout, "targets: search p99 <= 20 ms at 100000 datasets; resolution <= 1 ms")
	return nil
}

// benchRecorder is the table recorder, which the benchmark can switch off
// to time resolution without the write of its record.
type benchRecorder struct {
	inner *catalog.TableRecorder
	off   bool
}

func (r *benchRecorder) RecordResolution(ctx context.Context, rec catalog.ResolutionRecord) error {
	if r.off {
		return nil
	}
	return r.inner.RecordResolution(ctx, rec)
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[(len(s)-1)/2], s[(len(s)-1)*99/100]
}

// ftsBaseline is the same search done by SQLite: an FTS5 table with the
// text of every entry and a table with its facet columns, in the same
// database.
type ftsBaseline struct {
	db *sql.DB
}

func newFTSBaseline(ctx context.Context, db *sql.DB, entries []*catalog.Entry) (*ftsBaseline, error) {
	stmts := []string{
		`DROP TABLE IF EXISTS bench_fts`,
		`DROP TABLE IF EXISTS bench_docs`,
		`CREATE VIRTUAL TABLE bench_fts USING fts5(body, tokenize = 'trigram')`,
		`CREATE TABLE bench_docs (rid INTEGER PRIMARY KEY, id TEXT, industry TEXT, scenario TEXT, level TEXT, format TEXT,
			frequency TEXT, quality REAL, geo TEXT, sovereignty TEXT, modified TEXT, role TEXT)`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return nil, err
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	insFTS, err := tx.PrepareContext(ctx, `INSERT INTO bench_fts (rowid, body) VALUES ($1, $2)`)
	if err != nil {
		return nil, err
	}
	insDoc, err := tx.PrepareContext(ctx, `INSERT INTO bench_docs VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`)
	if err != nil {
		return nil, err
	}
	for i, en := range entries {
		var body []string
		body = append(body, en.Identifier)
		for _, m := range []catalog.LangMap{en.Title, en.Description} {
			for _, v := range m {
				body = append(body, v)
			}
		}
		for _, ks := range en.Keywords {
			body = append(body, ks...)
		}
		var quality any
		industry, scenario := "", ""
		if b := en.Business; b != nil {
			industry, scenario = b.Industry, strings.Join(b.Scenarios, " ")
			body = append(body, industry, strings.ReplaceAll(scenario, "_", " "))
			if b.QualityScore != nil {
				quality = *b.QualityScore
			}
		}
		format := ""
		if en.Technical != nil {
			format = en.Technical.DataFormat
		}
		role := ""
		if len(en.Governance.AccessPolicy) > 0 {
			var p struct {
				Permission []struct {
					Constraint []struct {
						RightOperand string `json:"rightOperand"`
					} `json:"constraint"`
				} `json:"permission"`
			}
			json.Unmarshal(en.Governance.AccessPolicy, &p)
			if len(p.Permission) > 0 && len(p.Permission[0].Constraint) > 0 {
				role = p.Permission[0].Constraint[0].RightOperand
			}
		}
		id, _ := catalog.ParseID(en.Identifier)
		if _, err := insFTS.ExecContext(ctx, i+1, strings.Join(body, " ")); err != nil {
			return nil, err
		}
		if _, err := insDoc.ExecContext(ctx, i+1, en.Identifier, industry, scenario, en.Governance.ClassificationLevel, format,
			en.UpdateFrequency, quality, " "+strings.Join(en.SpatialCoverage, " ")+" ", id.Sovereignty, en.Modified, role); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return &ftsBaseline{db: db}, nil
}

// search runs one query: the count, a page of 10 and the facet counts.
func (b *ftsBaseline) search(ctx context.Context, req catalog.SearchRequest) (int, error) {
	q, err := catalog.ParseQuery(req.Query)
	if err != nil {
		return 0, err
	}
	for k, vs := range req.Filters {
		q.Filters[k] = append(q.Filters[k], vs...)
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	// the access rule of the requester: public, internal, or the analyst's policies
	where = append(where, "(d.level IN ('public', 'internal') OR d.role = "+arg("analyst")+")")
	var match []string
	for _, w := range q.Words {
		for _, t := range strings.Fields(w.Text) {
			if len([]rune(t)) >= 3 {
				match = append(match, `"`+strings.ReplaceAll(t, `"`, `""`)+`"`)
			} else {
				where = append(where, "f.body LIKE "+arg("%"+t+"%"))
			}
		}
	}
	from := "bench_docs d JOIN bench_fts f ON f.rowid = d.rid"
	order := "d.modified DESC"
	if len(match) > 0 {
		where = append(where, "bench_fts MATCH "+arg(strings.Join(match, " AND ")))
		order = "bm25(bench_fts)"
	}
	for field, vals := range q.Filters {
		var ors []string
		for _, v := range vals {
			switch field {
			case "geo":
				ors = append(ors, "d.geo LIKE "+arg("% "+strings.ToUpper(v)+"%"))
			case "quality":
				if rest, ok := strings.CutPrefix(v, ">="); ok {
					ors = append(ors, "d.quality >= "+arg(rest))
				}
			case "level", "industry", "format", "frequency", "sovereignty":
				ors = append(ors, "d."+field+" = "+arg(v))
			}
		}
		if len(ors) > 0 {
			where = append(where, "("+strings.Join(ors, " OR ")+")")
		}
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := b.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+from+" WHERE "+cond, args...).Scan(&total); err != nil {
		return 0, err
	}
	rows, err := b.db.QueryContext(ctx, "SELECT d.id FROM "+from+" WHERE "+cond+" ORDER BY "+order+" LIMIT 10", args...)
	if err != nil {
		return 0, err
	}
	if err := drain(rows); err != nil {
		return 0, err
	}
	quality := "CASE WHEN d.quality IS NULL THEN 'unrated' WHEN d.quality >= 90 THEN '90-100' WHEN d.quality >= 80 THEN '80-89' WHEN d.quality >= 60 THEN '60-79' ELSE '0-59' END"
	for _, col := range []string{"d.industry", "d.scenario", "d.level", "d.format", "d.frequency", quality, "d.sovereignty", "d.geo"} {
		rows, err := b.db.QueryContext(ctx, "SELECT "+col+", COUNT(*) FROM "+from+" WHERE "+cond+" GROUP BY 1", args...)
		if err != nil {
			return 0, err
		}
		if err := drain(rows); err != nil {
			return 0, err
		}
	}
	return total, nil
}

func drain(rows *sql.Rows) error {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	dst := make([]any, len(cols))
	for i := range dst {
		dst[i] = new(any)
	}
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return err
		}
	}
	return rows.Err()
}
