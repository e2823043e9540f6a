package tabular

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// parquetReader streams the rows of a Parquet file, row group by row group.
// Columns are the leaf columns, named by their path joined with "."; a
// repeated leaf is rendered as "[v1,v2,…]". Values are shown as stored:
// strings as text, numbers in decimal, byte arrays that are not UTF-8 as
// "<binary N bytes>"; dates, timestamps and decimals stay the integers the
// file stores (logical types are not applied).
type parquetReader struct {
	t        Table
	opts     Options
	f        *os.File
	pf       *parquet.File
	cols     []string
	repeated []bool
	groups   []parquet.RowGroup
	g        int
	rows     parquet.Rows
	buf      []parquet.Row
	n        int64
	total    int64
	err      error
}

func parquetError(t Table, line int64, msg string, err error) *Error {
	return &Error{Path: t.Path, Table: t.Name, Line: line, Msg: msg, Hint: "the Parquet file may be truncated or corrupt; re-export it", Err: err}
}

func openParquet(ctx context.Context, t Table, opts Options) (_ Reader, err error) {
	f, err := os.Open(t.Path)
	if err != nil {
		return nil, &Error{Path: t.Path, Msg: "cannot open file", Hint: "check that the file is readable", Err: err}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &Error{Path: t.Path, Msg: "cannot read file", Hint: "check that the file is readable", Err: err}
	}
	defer func() {
		if p := recover(); p != nil {
			f.Close()
			err = parquetError(t, 0, "cannot read Parquet metadata", fmt.Errorf("panic: %v", p))
		}
	}()
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		f.Close()
		return nil, parquetError(t, 0, "cannot read Parquet metadata", err)
	}
	schema := pf.Schema()
	paths := schema.Columns()
	if len(paths) > opts.MaxColumns {
		f.Close()
		return nil, &Error{Path: t.Path, Msg: fmt.Sprintf("too many columns: %d (limit %d)", len(paths), opts.MaxColumns), Hint: "raise the column limit"}
	}
	r := &parquetReader{t: t, opts: opts, f: f, pf: pf, groups: pf.RowGroups(), total: pf.NumRows()}
	names := make([]string, len(paths))
	r.repeated = make([]bool, len(paths))
	for i, p := range paths {
		names[i] = strings.Join(p, ".")
		if leaf, ok := schema.Lookup(p...); ok && leaf.MaxRepetitionLevel > 0 {
			r.repeated[i] = true
		}
	}
	r.cols = uniqueNames(names)
	return r, nil
}

func (r *parquetReader) Columns() []string { return r.cols }

func (r *parquetReader) BytesRead() int64 {
	if r.total == 0 {
		return 0
	}
	return int64(float64(r.t.Size) * float64(r.n) / float64(r.total))
}

func (r *parquetReader) Next(ctx context.Context) (b *Batch, err error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			r.err = parquetError(r.t, r.n+1, "cannot read rows", fmt.Errorf("panic: %v", p))
			b, err = nil, r.err
		}
	}()
	want := r.opts.BatchRows
	if cap(r.buf) < want {
		r.buf = make([]parquet.Row, want)
	}
	for {
		if r.rows == nil {
			if r.g >= len(r.groups) {
				r.err = io.EOF
				return nil, io.EOF
			}
			r.rows = r.groups[r.g].Rows()
			r.g++
		}
		n, err := r.rows.ReadRows(r.buf[:want])
		if n > 0 {
			b := &Batch{FirstLine: r.n + 1, Rows: make([][]string, n)}
			backing := make([]string, n*len(r.cols))
			for i, row := range r.buf[:n] {
				out := backing[i*len(r.cols) : (i+1)*len(r.cols) : (i+1)*len(r.cols)]
				r.convert(row, out)
				b.Rows[i] = out
			}
			r.n += int64(n)
			if err != nil && !errors.Is(err, io.EOF) {
				r.err = parquetError(r.t, r.n+1, "cannot read rows", err)
			} else if errors.Is(err, io.EOF) {
				r.rows.Close()
				r.rows = nil
			}
			return b, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			r.err = parquetError(r.t, r.n+1, "cannot read rows", err)
			return nil, r.err
		}
		r.rows.Close()
		r.rows = nil
	}
}

func (r *parquetReader) convert(row parquet.Row, out []string) {
	var lists map[int][]string
	for _, v := range row {
		c := v.Column()
		if c < 0 || c >= len(out) {
			continue
		}
		if r.repeated[c] {
			if v.IsNull() && v.DefinitionLevel() == 0 {
				continue // an empty or null list
			}
			if lists == nil {
				lists = map[int][]string{}
			}
			lists[c] = append(lists[c], parquetValue(v))
			continue
		}
		out[c] = parquetValue(v)
	}
	for c, l := range lists {
		out[c] = "[" + strings.Join(l, ",") + "]"
	}
}

func parquetValue(v parquet.Value) string {
	if v.IsNull() {
		return ""
	}
	switch v.Kind() {
	case parquet.Boolean:
		return strconv.FormatBool(v.Boolean())
	case parquet.Int32:
		return strconv.FormatInt(int64(v.Int32()), 10)
	case parquet.Int64:
		return strconv.FormatInt(v.Int64(), 10)
	case parquet.Float:
		return strconv.FormatFloat(float64(v.Float()), 'f', -1, 32)
	case parquet.Double:
		return strconv.FormatFloat(v.Double(), 'f', -1, 64)
	case parquet.ByteArray, parquet.FixedLenByteArray:
		b := v.ByteArray()
		if utf8.Valid(b) {
			return string(b)
		}
		return "<binary " + strconv.Itoa(len(b)) + " bytes>"
	}
	return v.String()
}

func (r *parquetReader) Close() error {
	if r.rows != nil {
		r.rows.Close()
		r.rows = nil
	}
	return r.f.Close()
}
