package mask

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strconv"
	"unicode/utf8"
)

// CopyCSV reads a CSV table from src, applies the policy and writes the
// result to dst, row by row in constant memory.
//
// Input: UTF-8 (a leading BOM is skipped and not written), RFC 4180
// quoting with quoted delimiters, quotes and newlines, CRLF or LF line
// ends; the first non-blank line is the header; blank lines are skipped
// and are not rows. Strict, like internal/tabular: a quote inside an
// unquoted field, a character after a closing quote, an unterminated
// quote, invalid UTF-8, a record over MaxRecordBytes and a row with
// another number of fields than the header are errors (*RowError naming
// the row and line; never the values). Decode other encodings first
// (internal/tabular does).
//
// Output: the header of the columns left (Table.Header), then one line per
// row, LF line ends, fields quoted only when they hold the delimiter, a
// quote, CR or LF (or when a row is one empty field).
//
// Errors: dst receives only whole lines. When CopyCSV fails at row n — a
// malformed row, a read error, a cancelled ctx — dst has received exactly
// the header and rows 1 to n-1, each complete, and nothing after them;
// Stats.Rows is n-1. The caller streaming to a recipient must still abort
// the transfer: a prefix is not the dataset. A write error leaves dst with
// whatever the writer accepted. An input without a header is ErrNoHeader;
// a header Bind rejects (a repeated column name, or no column left by the
// policy) is Bind's error, with nothing written.
func (m *Masker) CopyCSV(ctx context.Context, dst io.Writer, src io.Reader, opts *StreamOptions) (Stats, error) {
	var st Stats
	o, err := opts.withDefaults()
	if err != nil {
		return st, err
	}
	r := &csvReader{lr: lineReader{br: bufio.NewReaderSize(src, readBufSize), max: o.MaxRecordBytes}, comma: o.Comma, maxCols: o.MaxColumns}
	w := &out{w: dst, buf: make([]byte, 0, flushAt+4096), stats: &st}
	pr := progress{fn: o.Progress, every: o.ProgressEvery, next: o.ProgressEvery}
	finish := func(err error) (Stats, error) {
		st.BytesIn = r.lr.bytes
		if ferr := w.flush(); err == nil {
			err = ferr
		}
		if err == nil && pr.fn != nil {
			pr.fn(st)
		}
		return st, err
	}

	if err := r.next(); err != nil {
		if err == io.EOF {
			return st, ErrNoHeader
		}
		return finish(r.rowErr(err, 0))
	}
	header := make([]string, r.fields())
	for i := range header {
		header[i] = string(r.field(i))
	}
	t, err := m.Bind(header)
	if err != nil {
		return st, err
	}
	var special [256]bool
	special['"'], special['\r'], special['\n'], special[o.Comma] = true, true, true, true
	for _, name := range t.header {
		w.buf = appendCSVField(w.buf, name, &special, len(t.header) == 1)
		w.buf = append(w.buf, o.Comma)
	}
	w.buf[len(w.buf)-1] = '\n'

	single := len(t.plan) == 1
	for row := int64(1); ; row++ {
		if row%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return finish(err)
			}
		}
		if err := r.next(); err != nil {
			if err == io.EOF {
				return finish(nil)
			}
			return finish(r.rowErr(err, row))
		}
		if r.fields() != t.in {
			return finish(&RowError{Row: row, Line: r.start, Msg: strconv.Itoa(r.fields()) + " fields, header has " + strconv.Itoa(t.in), Err: ErrFieldCount})
		}
		for _, s := range t.plan {
			f := r.field(s.src)
			if s.op.action == Keep && r.plain && (len(f) > 0 || !single) {
				w.buf = append(w.buf, f...)
			} else {
				start := len(w.buf)
				w.buf = t.w.appendValue(w.buf, s.op, stringOf(f))
				w.buf = quoteTail(w.buf, start, &special, single)
			}
			w.buf = append(w.buf, o.Comma)
		}
		w.buf[len(w.buf)-1] = '\n'
		st.Rows++
		if err := w.endRow(); err != nil {
			return finish(err)
		}
		st.BytesIn = r.lr.bytes
		pr.row(&st)
	}
}

// csvReader parses records into one buffer of unquoted field bytes.
type csvReader struct {
	lr      lineReader
	comma   byte
	maxCols int
	data    []byte // the record's text: the line itself, or rec
	rec     []byte // unquoted field text of a record with quotes
	starts  []int
	ends    []int
	start   int64 // line where the current record starts
	started bool
	// plain is set for a record without quotes or CR: none of its fields
	// needs quoting on output.
	plain bool
}

type syntaxError string

func (e syntaxError) Error() string { return string(e) }

func (r *csvReader) fields() int { return len(r.ends) }

// field returns field i of the current record, valid until the next
// call of next.
func (r *csvReader) field(i int) []byte { return r.data[r.starts[i]:r.ends[i]] }

func (r *csvReader) rowErr(err error, row int64) error {
	switch err {
	case errLineTooLong:
		return &RowError{Row: row, Line: r.lr.line + 1, Msg: "record longer than " + strconv.Itoa(r.lr.max) + " bytes"}
	}
	if s, ok := err.(syntaxError); ok {
		return &RowError{Row: row, Line: r.start, Msg: string(s)}
	}
	return err
}

// next reads one record, skipping blank lines.
func (r *csvReader) next() error {
	r.rec, r.starts, r.ends = r.rec[:0], r.starts[:0], r.ends[:0]
	var line []byte
	var err error
	for {
		line, err = r.lr.next(r.lr.max)
		if err != nil {
			return err
		}
		if !r.started {
			r.started = true
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		if !utf8.Valid(line) {
			r.start = r.lr.line
			return syntaxError("not valid UTF-8")
		}
		if !isBlank(line) {
			break
		}
	}
	r.start = r.lr.line
	raw := line
	line = trimEOL(line)
	// fast path: no quotes, the fields are slices of the line
	r.plain = false
	if bytes.IndexByte(line, '"') < 0 {
		r.data = line
		r.plain = bytes.IndexByte(line, '\r') < 0
		for i := 0; ; {
			if len(r.ends) >= r.maxCols {
				return syntaxError("more than " + strconv.Itoa(r.maxCols) + " fields")
			}
			r.starts = append(r.starts, i)
			j := bytes.IndexByte(line[i:], r.comma)
			if j < 0 {
				r.ends = append(r.ends, len(line))
				return nil
			}
			r.ends = append(r.ends, i+j)
			i += j + 1
		}
	}
	r.data = nil
	if err := r.parseQuoted(raw); err != nil {
		return err
	}
	r.data = r.rec
	return nil
}

// parseQuoted parses a record holding quotes, reading more lines while a
// quoted field continues.
func (r *csvReader) parseQuoted(line []byte) error {
	pos := 0
	for {
		// start of a field
		if len(r.ends) >= r.maxCols {
			return syntaxError("more than " + strconv.Itoa(r.maxCols) + " fields")
		}
		r.starts = append(r.starts, len(r.rec))
		if pos < len(line) && line[pos] == '"' {
			pos++
			for {
				j := bytes.IndexByte(line[pos:], '"')
				if j < 0 {
					// the field goes on on the next line
					r.rec = append(r.rec, line[pos:]...)
					next, err := r.lr.next(r.lr.max - len(r.rec))
					if err == io.EOF {
						return syntaxError("unterminated quoted field")
					}
					if err != nil {
						return err
					}
					if !utf8.Valid(next) {
						return syntaxError("not valid UTF-8")
					}
					line, pos = next, 0
					continue
				}
				r.rec = append(r.rec, line[pos:pos+j]...)
				pos += j + 1
				if pos < len(line) && line[pos] == '"' {
					r.rec = append(r.rec, '"')
					pos++
					continue
				}
				break
			}
			// after the closing quote: delimiter or end of record
			rest := line[pos:]
			switch {
			case len(rest) == 0 || isEOL(rest):
				r.ends = append(r.ends, len(r.rec))
				return nil
			case rest[0] == r.comma:
				r.ends = append(r.ends, len(r.rec))
				pos++
				continue
			}
			return syntaxError("character after a closing quote")
		}
		rest := trimEOL(line[pos:])
		j := bytes.IndexByte(rest, r.comma)
		end := len(rest)
		if j >= 0 {
			end = j
		}
		if bytes.IndexByte(rest[:end], '"') >= 0 {
			return syntaxError("quote inside an unquoted field")
		}
		r.rec = append(r.rec, rest[:end]...)
		r.ends = append(r.ends, len(r.rec))
		if j < 0 {
			return nil
		}
		pos += j + 1
	}
}

func isEOL(b []byte) bool {
	return len(b) == 1 && b[0] == '\n' || len(b) == 2 && b[0] == '\r' && b[1] == '\n'
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n > 1 && b[n-2] == '\r' {
			b = b[:n-2]
		}
	}
	return b
}

func isBlank(line []byte) bool { return len(trimEOL(line)) == 0 }

// appendCSVField appends s, quoted when it needs to be.
func appendCSVField(dst []byte, s string, special *[256]bool, single bool) []byte {
	start := len(dst)
	dst = append(dst, s...)
	return quoteTail(dst, start, special, single)
}

// quoteTail quotes dst[start:] in place when it holds a special byte (the
// delimiter, a quote, CR or LF), or is empty and the only field of its row
// (so that the row is not a blank line).
func quoteTail(dst []byte, start int, special *[256]bool, single bool) []byte {
	f := dst[start:]
	need := single && len(f) == 0
	for _, c := range f {
		if special[c] {
			need = true
			break
		}
	}
	if !need {
		return dst
	}
	quotes := bytes.Count(f, []byte{'"'})
	n := len(f)
	// grow by 2 + quotes and fill from the back
	for range 2 + quotes {
		dst = append(dst, 0)
	}
	f = dst[start:]
	w := len(f) - 1
	f[w] = '"'
	w--
	for i := n - 1; i >= 0; i-- {
		f[w] = f[i]
		w--
		if f[i] == '"' {
			f[w] = '"'
			w--
		}
	}
	f[w] = '"'
	return dst
}
