package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xborder/xborder/internal/classify"
	"github.com/xborder/xborder/internal/tabular"
)

// HarvestOptions tune Harvest.
type HarvestOptions struct {
	// Actor is the DID recorded as the actor of the harvest step of the
	// processing history (default the owner).
	Actor string
	// Location is where the harvest ran (an ISO 3166 code), for the history.
	Location string
	// Classify tunes the classifier (workers, memory budget, encoding).
	Classify classify.Options
}

// HarvestReport summarises a harvest.
type HarvestReport struct {
	ID                   ID       `json:"identifier"`
	Rows                 int64    `json:"rows"`
	Fields               int      `json:"fields"`
	Individuals          int64    `json:"individuals"`
	SensitiveIndividuals int64    `json:"sensitiveIndividuals"`
	Level                string   `json:"classificationLevel"`
	DerivedLevel         string   `json:"derivedLevel"` // what the profile alone gives
	Revision             int64    `json:"revision"`
	Warnings             []string `json:"warnings,omitempty"` // the classifier's, for the operator; not stored
}

// Harvest reads the data file at path (CSV, TSV, JSON, JSONL, XLSX,
// Parquet, SQLite: every table of it), fills e's technical metadata
// (format, media type, byte size, SHA-256, row counts, schema and
// statistics per column) and its personal-information profile from the
// assess engine's classifier, raises the classification level when the
// profile calls for it (never lowers it; an entry without one starts at
// public), adds the sensitive columns and a
// harvest step to the history, and registers e (replacing a registered
// revision). No data value is stored: only names, types, counts, lengths.
func (c *Catalog) Harvest(ctx context.Context, e *Entry, path string, opts HarvestOptions) (*HarvestReport, error) {
	if e == nil {
		return nil, inputErr("", "no entry to fill")
	}
	if e.Governance.ClassificationLevel == "" {
		e.Governance.ClassificationLevel = LevelPublic // raised below as the profile requires
	}
	if err := Validate(e); err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, &InputError{Path: "data", Msg: fmt.Sprintf("%s: %v", path, errors.Unwrap(err))}
	}
	if st.IsDir() {
		return nil, inputErr("data", "%s is a directory; harvest one file", path)
	}
	now := c.now().UTC().Truncate(time.Second)
	copts := opts.Classify
	copts.RefDate = now
	prof, err := classify.Run(ctx, []string{path}, copts)
	if err != nil {
		return nil, dataErr(err)
	}
	stats, err := columnStats(ctx, path, copts.Tabular)
	if err != nil {
		return nil, dataErr(err)
	}
	digest, size, err := fileDigest(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}

	t := &Technical{ByteSize: size, Checksum: &Checksum{Algorithm: "sha256", Value: digest},
		RowCount: prof.Rows, SourceName: filepath.Base(path), HarvestedAt: now.Format(time.RFC3339)}
	multi := len(prof.Tables) > 1
	for i, tp := range prof.Tables {
		name := tableName(tp.Table, path)
		if i == 0 {
			t.DataFormat = tp.Format
			t.MediaType = mediaTypeOf(tp.Format)
		}
		t.Tables = append(t.Tables, Table{Name: name, DataFormat: tp.Format, RowCount: tp.Rows, ByteSize: tp.Bytes})
	}
	classes := map[string]classify.FieldProfile{}
	for _, f := range prof.Fields {
		classes[f.Table+"\x00"+f.Name] = f
	}
	var cells, filled int64
	var sensitive []string
	types := map[string]bool{}
	for _, cs := range stats {
		f := Field{Name: cs.name, ValueType: cs.valueType(), NonEmpty: cs.nonEmpty, MaxLength: cs.maxLen}
		if multi {
			f.Table = tableName(cs.table, path)
		}
		if fp, ok := classes[cs.table+"\x00"+cs.name]; ok && fp.Class != classify.ClassNone {
			f.PIClass, f.Personal, f.Sensitive = string(fp.Class), fp.Personal, fp.Sensitive
			if fp.Personal {
				types[string(fp.Class)] = true
			}
			if fp.Sensitive && !slices.Contains(sensitive, fp.Name) {
				sensitive = append(sensitive, fp.Name)
			}
		}
		t.Fields = append(t.Fields, f)
		cells += cs.rows
		filled += cs.nonEmpty
	}
	pp := &PIProfile{Individuals: prof.Individuals, SensitiveIndividuals: prof.SensitiveIndividuals, Minors: prof.Minors,
		SpecialCategory: prof.SpecialCategory, IdentityKey: prof.IdentityKey, ImportantCandidates: prof.ImportantCandidates}
	for k, n := range prof.USBulk {
		if n > 0 {
			if pp.USBulk == nil {
				pp.USBulk = map[string]int64{}
			}
			pp.USBulk[k] = n
		}
	}
	pp.PersonalInfoTypes = sortedKeys(types)
	t.PIProfile = pp
	e.Technical = t

	derived := LevelPublic
	switch {
	case prof.SensitiveIndividuals > 0 || prof.SpecialCategory || len(sensitive) > 0:
		derived = LevelSensitive
	case prof.Individuals > 0 || len(types) > 0:
		derived = LevelInternal
	}
	g := &e.Governance
	if levelRank(derived) > levelRank(g.ClassificationLevel) {
		g.ClassificationLevel = derived
	}
	for _, s := range sensitive {
		if !slices.Contains(g.SensitiveFields, s) {
			g.SensitiveFields = append(g.SensitiveFields, s)
		}
	}
	if cells > 0 {
		if e.Business == nil {
			e.Business = &Business{}
		}
		if e.Business.QualityDimensions == nil {
			e.Business.QualityDimensions = &QualityDimensions{}
		}
		if e.Business.QualityDimensions.Completeness == nil {
			v := math.Round(1000*float64(filled)/float64(cells)) / 10
			e.Business.QualityDimensions.Completeness = &v
		}
	}
	actor := opts.Actor
	if actor == "" {
		actor = g.Owner
	}
	if e.Provenance == nil {
		e.Provenance = &Provenance{}
	}
	e.Provenance.History = append(e.Provenance.History, Step{Activity: "harvest", Actor: actor, Time: now.Format(time.RFC3339),
		Location: opts.Location, Algorithm: "xborder classify",
		Note: fmt.Sprintf("technical metadata and personal-information profile of %s (sha256 %s…)", t.SourceName, digest[:12])})
	e.Modified = now.Format(time.RFC3339)

	id, err := c.Register(ctx, e, RegisterOptions{Replace: true})
	if err != nil {
		return nil, err
	}
	rep := &HarvestReport{ID: id, Rows: prof.Rows, Fields: len(t.Fields), Individuals: prof.Individuals,
		SensitiveIndividuals: prof.SensitiveIndividuals, Level: g.ClassificationLevel, DerivedLevel: derived,
		Warnings: prof.Warnings}
	c.idx.mu.RLock()
	if n, ok := c.idx.byID[id.String()]; ok {
		rep.Revision = c.idx.docs[n].revision
	}
	c.idx.mu.RUnlock()
	return rep, nil
}

// dataErr maps a malformed data file to bad input.
func dataErr(err error) error {
	var te *tabular.Error
	if errors.As(err, &te) {
		return &InputError{Path: "data", Msg: te.Error()}
	}
	return fmt.Errorf("profiling the data: %w", err)
}

func levelRank(l string) int { return slices.Index(levels(), l) }

// tableName names a table without the directory of the file.
func tableName(table, path string) string {
	if rest, ok := strings.CutPrefix(table, path); ok {
		return filepath.Base(path) + rest
	}
	return filepath.Base(table)
}

func mediaTypeOf(format string) string {
	switch format {
	case "csv":
		return "text/csv"
	case "tsv":
		return "text/tab-separated-values"
	case "json":
		return "application/json"
	case "jsonl":
		return "application/jsonl"
	case "xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case "parquet":
		return "application/vnd.apache.parquet"
	case "sqlite":
		return "application/vnd.sqlite3"
	}
	return ""
}

func fileDigest(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// colStats are the statistics of one column: counts, the longest value's
// length and the kinds of value seen. Never a value.
type colStats struct {
	table, name    string
	rows, nonEmpty int64
	maxLen         int
	kinds          uint8
}

const (
	kindInteger uint8 = 1 << iota
	kindDecimal
	kindBoolean
	kindDate
	kindDateTime
	kindString
)

func (c *colStats) valueType() string {
	k := c.kinds
	switch {
	case k == 0:
		return "empty"
	case k&kindString != 0:
		return "string"
	case k == kindInteger:
		return "integer"
	case k&^(kindInteger|kindDecimal) == 0:
		return "decimal"
	case k == kindBoolean:
		return "boolean"
	case k == kindDate:
		return "date"
	case k&^(kindDate|kindDateTime) == 0:
		return "datetime"
	}
	return "string"
}

func kindOf(v string) uint8 {
	switch {
	case isInteger(v):
		return kindInteger
	case isDecimal(v):
		return kindDecimal
	case v == "true" || v == "false" || v == "TRUE" || v == "FALSE":
		return kindBoolean
	}
	if len(v) == 10 {
		if _, err := time.Parse(time.DateOnly, v); err == nil {
			return kindDate
		}
		if _, err := time.Parse("2006/01/02", v); err == nil {
			return kindDate
		}
	}
	if len(v) >= 19 && len(v) <= 35 {
		for _, layout := range []string{time.RFC3339Nano, time.DateTime, "2006/01/02 15:04:05"} {
			if _, err := time.Parse(layout, v); err == nil {
				return kindDateTime
			}
		}
	}
	return kindString
}

func isInteger(v string) bool {
	if v == "" {
		return false
	}
	if v[0] == '-' || v[0] == '+' {
		v = v[1:]
	}
	if v == "" || len(v) > 19 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

func isDecimal(v string) bool {
	i, f, ok := strings.Cut(v, ".")
	if !ok || f == "" || strings.ContainsAny(f, "+-") {
		return false
	}
	if i == "" || i == "-" || i == "+" {
		i += "0"
	}
	return isInteger(i) && isInteger(f)
}

// columnStats reads every table of the file once.
func columnStats(ctx context.Context, path string, opts tabular.Options) ([]*colStats, error) {
	tables, err := tabular.Discover(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	var out []*colStats
	for _, t := range tables {
		cols, err := tableStats(ctx, t, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, cols...)
	}
	return out, nil
}

func tableStats(ctx context.Context, t tabular.Table, opts tabular.Options) ([]*colStats, error) {
	r, err := tabular.Open(ctx, t, opts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	names := r.Columns()
	cols := make([]*colStats, len(names))
	for i, n := range names {
		cols[i] = &colStats{table: t.String(), name: n}
	}
	rel, _ := r.(tabular.Releaser)
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		for _, row := range b.Rows {
			for i, v := range row {
				if i >= len(cols) {
					break
				}
				c := cols[i]
				c.rows++
				v = strings.TrimSpace(v)
				if v == "" {
					continue
				}
				c.nonEmpty++
				if n := utf8.RuneCountInString(v); n > c.maxLen {
					c.maxLen = n
				}
				if c.kinds&kindString == 0 {
					c.kinds |= kindOf(v)
				}
			}
		}
		if rel != nil {
			rel.Release(b)
		}
	}
	return cols, nil
}
