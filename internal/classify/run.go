package classify

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/tabular"
)

// Run profiles the files of one export: it discovers and opens every table
// of every path with internal/tabular, classifies every column, counts the
// rows, and counts exactly the distinct individuals, the distinct
// individuals with sensitive personal information, the minors and the
// persons per 28 CFR 202.249 category across all the files.
func Run(ctx context.Context, paths []string, opts Options) (*Profile, error) {
	o := opts.withDefaults()
	var srcs []tableSource
	for _, p := range paths {
		ts, err := tabular.Discover(ctx, p, o.Tabular)
		if err != nil {
			return nil, fmt.Errorf("classify: %w", err)
		}
		for _, t := range ts {
			srcs = append(srcs, tableSource{
				name:   t.String(),
				path:   t.Path,
				format: string(t.Format),
				size:   t.Size,
				open: func(ctx context.Context) (tabular.Reader, error) {
					return tabular.Open(ctx, t, o.Tabular)
				},
			})
		}
	}
	return run(ctx, srcs, o)
}

// tableSource is one table to profile; Run builds them from tabular, tests
// from in-memory readers.
type tableSource struct {
	name, path, format string
	size               int64
	open               func(context.Context) (tabular.Reader, error)
}

// maxSampleRowsFactor bounds the rows buffered while sampling: at most
// SampleSize × factor rows (sparse columns may never fill their sample).
const maxSampleRowsFactor = 50

// progressEvery is the least time between two Progress calls.
const progressEvery = 100 * time.Millisecond

type runner struct {
	o       Options
	key     sipKey
	counter *distinctCounter
	prof    *Profile

	// progress
	total, doneBase int64
	lastProgress    time.Time
	fileShare       map[string]int64 // bytes of a file apportioned to each of its tables

	idClasses  map[string][]string // identity used → tables
	emptyKeys  int64
	fallbacks  int64 // rows of tables with identifier columns counted by their other personal values
	healthCols []int // indexes into prof.Fields
}

func run(ctx context.Context, srcs []tableSource, o Options) (*Profile, error) {
	var kb [16]byte
	if _, err := rand.Read(kb[:]); err != nil {
		return nil, fmt.Errorf("classify: hash key: %w", err)
	}
	r := &runner{
		o:         o,
		key:       sipKey{binary.LittleEndian.Uint64(kb[:8]), binary.LittleEndian.Uint64(kb[8:])},
		counter:   newDistinctCounter(o.MemoryBudget, o.TempDir),
		prof:      &Profile{},
		fileShare: make(map[string]int64),
		idClasses: make(map[string][]string),
	}
	defer r.counter.close()
	perFile := make(map[string]int64)
	sizes := make(map[string]int64)
	for _, s := range srcs {
		perFile[s.path]++
		sizes[s.path] = s.size
	}
	for p, n := range perFile {
		r.total += sizes[p]
		r.fileShare[p] = sizes[p] / n
	}
	for _, s := range srcs {
		if err := r.table(ctx, s); err != nil {
			return nil, err
		}
	}
	c, err := r.counter.result()
	if err != nil {
		return nil, err
	}
	r.finish(c)
	r.report(r.total, true)
	return r.prof, nil
}

func flagBit(f uint8) int {
	for b := 0; b < 8; b++ {
		if f == 1<<b {
			return b
		}
	}
	return 0
}

// finish fills the export-wide figures in.
func (r *runner) finish(c counts) {
	p := r.prof
	p.Individuals = c.total
	p.SensitiveIndividuals = c.byFlag[flagBit(flagSensitive)]
	p.Minors = c.byFlag[flagBit(flagMinor)]
	for _, k := range usBulkKeys {
		if n := c.byFlag[flagBit(k.flag)]; n > 0 {
			if p.USBulk == nil {
				p.USBulk = make(map[string]int64)
			}
			p.USBulk[k.key] = n
		}
	}
	// Population-scale health data (GB/T 43697-2024 Annex G): health
	// columns of an export reaching a million individuals are flagged.
	if p.Individuals >= populationScale {
		for _, i := range r.healthCols {
			f := &p.Fields[i]
			if !f.ImportantCandidate {
				f.ImportantCandidate = true
				f.Reason += fmt.Sprintf("; health data of %d individuals (≥ %d): population-scale, GB/T 43697-2024 Annex G: review", p.Individuals, populationScale)
			}
		}
	}
	for _, f := range p.Fields {
		if f.ImportantCandidate {
			p.ImportantCandidates = append(p.ImportantCandidates, f.Table+": "+f.Name)
		}
		if f.GDPRSpecial {
			p.SpecialCategory = true
		}
	}
	if r.o.IdentityKey != "" {
		p.IdentityKey = r.o.IdentityKey
		if r.emptyKeys > 0 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%d rows have an empty identity key %q and were not counted as individuals", r.emptyKeys, r.o.IdentityKey))
		}
		return
	}
	if r.fallbacks > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d rows had no valid identifier and were counted by the combination of their other personal values, which may count a person twice", r.fallbacks))
	}
	var ids []string
	for id := range r.idClasses {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	p.IdentityKey = strings.Join(ids, "+")
	if len(ids) > 1 {
		var parts []string
		for _, id := range ids {
			parts = append(parts, id+" in "+strings.Join(r.idClasses[id], ", "))
		}
		p.Warnings = append(p.Warnings, "tables identify individuals by different identifiers ("+strings.Join(parts, "; ")+
			"): a person present under different identifiers is counted more than once; set an identity key to count exactly")
	}
}

// populationScale is the number of individuals from which health data is
// flagged as candidate important data.
const populationScale = 1_000_000

func (r *runner) report(done int64, force bool) {
	if r.o.Progress == nil {
		return
	}
	now := time.Now()
	if !force && now.Sub(r.lastProgress) < progressEvery {
		return
	}
	r.lastProgress = now
	r.o.Progress(min(done, r.total), r.total)
}

// tablePlan is the column decisions of one table, read-only while workers
// run.
type tablePlan struct {
	cols      []*colPlan
	identity  []int // indexes of identifier columns, strongest first
	composite []int // personal columns, for rows without an identifier
	keyIdx    int   // Options.IdentityKey column, -1 when none
	listed    []bool
	contact   []bool
	key       sipKey
}

func (r *runner) table(ctx context.Context, src tableSource) error {
	rd, err := src.open(ctx)
	if err != nil {
		return fmt.Errorf("classify: %w", err)
	}
	defer rd.Close()
	cols := rd.Columns()
	tp := &tablePlan{keyIdx: -1, key: r.key}
	if r.o.IdentityKey != "" {
		for i, c := range cols {
			if c == r.o.IdentityKey {
				tp.keyIdx = i
			}
		}
		if tp.keyIdx < 0 {
			return fmt.Errorf("classify: %s: identity key %q is not a column (columns: %s)", src.name, r.o.IdentityKey, strings.Join(cols, ", "))
		}
	}
	share := r.fileShare[src.path]
	progress := func() {
		if src.size > 0 {
			part := int64(float64(rd.BytesRead()) / float64(src.size) * float64(share))
			r.report(r.doneBase+min(share, part), false)
		}
	}

	// Sampling: buffer batches until every column has SampleSize non-empty
	// values (or enough rows have gone by).
	envs := make([]colEnv, len(cols))
	samplers := make([]sampler, len(cols))
	ref := refDateInt(r.o.RefDate)
	for i, c := range cols {
		envs[i] = colEnv{ref: ref, hints: nameHints(c)}
	}
	var pending []*tabular.Batch
	buffered, eof := 0, false
	for !eof {
		b, err := rd.Next(ctx)
		if errors.Is(err, io.EOF) {
			eof = true
			break
		}
		if err != nil {
			return fmt.Errorf("classify: %w", err)
		}
		pending = append(pending, b)
		buffered += len(b.Rows)
		full := true
		for c := range cols {
			s := &samplers[c]
			for _, row := range b.Rows {
				if s.n >= r.o.SampleSize {
					break
				}
				if c < len(row) {
					s.add(row[c], &envs[c])
				}
			}
			full = full && s.n >= r.o.SampleSize
		}
		progress()
		if full || buffered >= r.o.SampleSize*maxSampleRowsFactor {
			break
		}
	}
	for i, c := range cols {
		p := decide(src.name, c, i, envs[i], &samplers[i])
		tp.cols = append(tp.cols, p)
	}
	tp.build()

	// Full pass: workers validate batches in parallel.
	counts, rows, err := r.fullPass(ctx, rd, tp, pending, eof, progress)
	if err != nil {
		return err
	}
	for i, p := range tp.cols {
		f := p.finalize(&counts[i])
		if f.Class == ClassHealth {
			r.healthCols = append(r.healthCols, len(r.prof.Fields))
		}
		if f.Class == ClassNone && strings.Contains(f.Reason, "column name suggests") {
			r.prof.Warnings = append(r.prof.Warnings, fmt.Sprintf("%s column %q: %s", src.name, f.Name, f.Reason))
		}
		r.prof.Fields = append(r.prof.Fields, f)
	}
	r.prof.Rows += rows
	r.prof.Tables = append(r.prof.Tables, TableProfile{Table: src.name, Format: src.format, Rows: rows, Bytes: src.size})
	if w, ok := rd.(tabular.Warner); ok {
		for _, m := range w.Warnings() {
			r.prof.Warnings = append(r.prof.Warnings, src.name+": "+m)
		}
	}
	r.doneBase += share
	r.noteIdentity(src.name, tp)
	return nil
}

// noteIdentity records how the table identified individuals.
func (r *runner) noteIdentity(table string, tp *tablePlan) {
	if r.o.IdentityKey != "" {
		return
	}
	switch {
	case len(tp.identity) > 0:
		c := string(tp.cols[tp.identity[0]].class)
		r.idClasses[c] = append(r.idClasses[c], table)
	case len(tp.composite) > 0:
		r.idClasses["composite"] = append(r.idClasses["composite"], table)
		var names []string
		for _, i := range tp.composite {
			names = append(names, tp.cols[i].name)
		}
		r.prof.Warnings = append(r.prof.Warnings, fmt.Sprintf("%s: no identifier column; individuals counted by the combination of %s, which over-counts a person whose values differ between rows", table, strings.Join(names, ", ")))
	}
}

// build orders the identifier columns and notes the personal ones.
func (tp *tablePlan) build() {
	tp.listed = make([]bool, len(tp.cols))
	tp.contact = make([]bool, len(tp.cols))
	for i, p := range tp.cols {
		info := classInfos[p.class]
		tp.listed[i], tp.contact[i] = info.listed, info.contact
		if identityRank(p.class) > 0 {
			tp.identity = append(tp.identity, i)
		}
		if info.personal {
			tp.composite = append(tp.composite, i)
		}
	}
	sort.SliceStable(tp.identity, func(a, b int) bool {
		return identityRank(tp.cols[tp.identity[a]].class) < identityRank(tp.cols[tp.identity[b]].class)
	})
}

// rowKeys is what a worker hands the collector for one batch: the identity
// hash and flags of every identified row.
type rowKeys struct {
	keys      []uint64
	flags     []uint8
	emptyKeys int64
	fallbacks int64
}

func (r *runner) fullPass(ctx context.Context, rd tabular.Reader, tp *tablePlan, pending []*tabular.Batch, eof bool, progress func()) ([]colCount, int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		cancel()
	}
	nw := r.o.Workers
	jobs := make(chan *tabular.Batch, 2*nw)
	out := make(chan rowKeys, 2*nw)
	free := make(chan rowKeys, 4*nw)
	workerCounts := make([][]colCount, nw)
	// Batches are handed back to a reader that reuses them once validated:
	// nothing keeps a row after tp.batch (values kept, such as examples,
	// are strings, which stay valid).
	release := func(*tabular.Batch) {}
	if rel, ok := rd.(tabular.Releaser); ok {
		release = rel.Release
	}
	var wg sync.WaitGroup
	for w := 0; w < nw; w++ {
		wg.Add(1)
		workerCounts[w] = make([]colCount, len(tp.cols))
		go func(counts []colCount) {
			defer wg.Done()
			st := newRowState(len(tp.cols))
			for b := range jobs {
				if ctx.Err() != nil {
					continue
				}
				var rk rowKeys
				select {
				case rk = <-free:
				default:
				}
				rk = tp.batch(b.Rows, counts, st, rk)
				release(b)
				select {
				case out <- rk:
				case <-ctx.Done():
				}
			}
		}(workerCounts[w])
	}
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for rk := range out {
			r.emptyKeys += rk.emptyKeys
			r.fallbacks += rk.fallbacks
			if ctx.Err() == nil {
				for i, k := range rk.keys {
					if err := r.counter.add(k, rk.flags[i]); err != nil {
						fail(err)
						break
					}
				}
			}
			select {
			case free <- rk:
			default:
			}
		}
	}()

	var rows int64
	send := func(b *tabular.Batch) bool {
		rows += int64(len(b.Rows))
		select {
		case jobs <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	ok := true
	for i, b := range pending {
		if ok = send(b); !ok {
			break
		}
		pending[i] = nil
	}
	for ok && !eof {
		b, err := rd.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ctx.Err() == nil || !errors.Is(err, context.Canceled) {
				fail(fmt.Errorf("classify: %w", err))
			}
			break
		}
		ok = send(b)
		progress()
	}
	close(jobs)
	wg.Wait()
	close(out)
	<-collected
	if firstErr == nil {
		if err := ctx.Err(); err != nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, 0, firstErr
	}
	total := make([]colCount, len(tp.cols))
	for _, wc := range workerCounts {
		for i := range total {
			total[i].merge(&wc[i])
		}
	}
	return total, rows, nil
}

// rowState is a worker's scratch space.
type rowState struct {
	valid []match
	buf   []byte
}

func newRowState(n int) *rowState {
	return &rowState{valid: make([]match, n), buf: make([]byte, 0, 256)}
}

// batch validates the rows of one batch, tallies the columns, and returns
// the identity hash and flags of every identified row (appended to rk's
// reused slices).
func (tp *tablePlan) batch(rows [][]string, counts []colCount, st *rowState, rk rowKeys) rowKeys {
	rk.keys, rk.flags, rk.emptyKeys, rk.fallbacks = rk.keys[:0], rk.flags[:0], 0, 0
	for _, row := range rows {
		var f uint8
		listed, nonContact := 0, false
		for i, p := range tp.cols {
			st.valid[i] = noMatch
			if p.idx >= len(row) {
				continue
			}
			v := row[p.idx]
			if v == "" {
				continue
			}
			m, minor, emb := p.count(v, &counts[i])
			if emb != 0 {
				if emb&(1<<embBankCard) != 0 {
					f |= flagSensitive | flagUSFinancial
				}
				continue
			}
			if m == noMatch {
				continue
			}
			st.valid[i] = m
			f |= p.flags
			if minor {
				f |= flagMinor | flagSensitive
			}
			if tp.listed[i] {
				listed++
				nonContact = nonContact || !tp.contact[i]
			}
		}
		// §202.212: a listed identifier linked to another listed
		// identifier, unless both are demographic or contact data only
		// (b)(1), or linked to other sensitive personal data (a)(2).
		if listed >= 2 && nonContact || listed >= 1 && f&(flagUSGeo|flagUSBiometric|flagUSHealth) != 0 {
			f |= flagUSCovered
		}
		h, how := tp.identify(row, st)
		switch how {
		case identNone:
			if tp.keyIdx >= 0 {
				rk.emptyKeys++
			}
			continue
		case identComposite:
			if len(tp.identity) > 0 {
				rk.fallbacks++
			}
		}
		rk.keys = append(rk.keys, h)
		rk.flags = append(rk.flags, f)
	}
	return rk
}

// How a row was identified.
const (
	identNone      = iota // no identity: not counted
	identKey              // by an identifier or the identity key
	identComposite        // by the combination of its personal values
)

// identify hashes the identity of a row.
func (tp *tablePlan) identify(row []string, st *rowState) (uint64, int) {
	b := st.buf[:0]
	if tp.keyIdx >= 0 {
		if tp.keyIdx >= len(row) {
			return 0, identNone
		}
		v := TrimSpace(row[tp.keyIdx])
		if v == "" {
			return 0, identNone
		}
		b = append(b, tagKey)
		b = append(b, v...)
		st.buf = b
		return tp.key.sum64(b), identKey
	}
	for _, i := range tp.identity {
		if st.valid[i] != noMatch {
			p := tp.cols[i]
			b = appendIdentity(b, p.class, row[p.idx])
			st.buf = b
			return tp.key.sum64(b), identKey
		}
	}
	nonEmpty := false
	b = append(b, tagComposite)
	for _, i := range tp.composite {
		p := tp.cols[i]
		if p.idx < len(row) {
			v := TrimSpace(row[p.idx])
			nonEmpty = nonEmpty || v != ""
			b = append(b, v...)
		}
		b = append(b, 0x1f)
	}
	st.buf = b
	if !nonEmpty {
		return 0, identNone
	}
	return tp.key.sum64(b), identComposite
}
