package tabular

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonReader reads JSON (a top-level array of objects, or objects one after
// another) and JSONL (one object per line). The columns are the keys of the
// first jsonSampleRecords records, in order of first appearance, nested
// objects flattened with "."; keys first seen later are not columns and are
// reported once each by Warnings.
type jsonReader struct {
	t    Table
	opts Options
	f    *os.File
	src  jsonSource

	cols     []string
	idx      map[string]int
	sample   []jsonRecord
	seen     map[string]bool // keys reported as warnings
	warnings []string
	dropped  int
	err      error
}

type kv struct{ key, val string }

type jsonRecord struct {
	line int64
	kvs  []kv
}

// jsonSource yields flattened records; io.EOF after the last.
type jsonSource interface {
	next() (jsonRecord, error)
	offset() int64
}

func openJSONL(ctx context.Context, t Table, opts Options) (Reader, error) {
	return openJSONWith(ctx, t, opts, func(r *jsonReader) (jsonSource, error) {
		return &jsonlSource{r: r, br: bufio.NewReaderSize(r.f, 64<<10)}, nil
	})
}

func openJSON(ctx context.Context, t Table, opts Options) (Reader, error) {
	return openJSONWith(ctx, t, opts, newJSONArraySource)
}

func openJSONWith(ctx context.Context, t Table, opts Options, mk func(*jsonReader) (jsonSource, error)) (Reader, error) {
	f, err := os.Open(t.Path)
	if err != nil {
		return nil, &Error{Path: t.Path, Msg: "cannot open file", Hint: "check that the file is readable", Err: err}
	}
	r := &jsonReader{t: t, opts: opts, f: f, idx: map[string]int{}, seen: map[string]bool{}}
	if r.src, err = mk(r); err != nil {
		f.Close()
		return nil, err
	}
	// Read the sample that decides the columns.
	for len(r.sample) < jsonSampleRecords {
		if len(r.sample)%64 == 0 {
			if err := ctx.Err(); err != nil {
				f.Close()
				return nil, err
			}
		}
		rec, err := r.src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			// Keep the records before the error: Next returns them first.
			r.err = err
			break
		}
		for _, p := range rec.kvs {
			if _, ok := r.idx[p.key]; !ok {
				if len(r.cols) >= opts.MaxColumns {
					f.Close()
					return nil, r.errorf(rec.line, "raise the column limit, or flatten the data differently", "too many distinct keys: more than %d", opts.MaxColumns)
				}
				r.idx[p.key] = len(r.cols)
				r.cols = append(r.cols, p.key)
			}
		}
		r.sample = append(r.sample, rec)
	}
	if len(r.sample) == 0 && r.err != nil {
		f.Close()
		return nil, r.err
	}
	return r, nil
}

func (r *jsonReader) errorf(line int64, hint, format string, args ...any) *Error {
	return &Error{Path: r.t.Path, Table: r.t.Name, Line: line, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

func (r *jsonReader) Columns() []string { return r.cols }
func (r *jsonReader) BytesRead() int64  { return r.src.offset() }
func (r *jsonReader) Close() error      { return r.f.Close() }

// Warnings lists keys first seen after the column sample (at most 100,
// then a count of the rest).
func (r *jsonReader) Warnings() []string {
	w := append([]string(nil), r.warnings...)
	if r.dropped > 0 {
		w = append(w, fmt.Sprintf("%d more keys first seen after the first %d records were not read", r.dropped, jsonSampleRecords))
	}
	return w
}

func (r *jsonReader) row(rec jsonRecord) []string {
	row := make([]string, len(r.cols))
	for _, p := range rec.kvs {
		i, ok := r.idx[p.key]
		if !ok {
			if !r.seen[p.key] {
				r.seen[p.key] = true
				if len(r.warnings) < maxWarnings {
					r.warnings = append(r.warnings, fmt.Sprintf("line %d: key %q first appears after the first %d records; it is not a column and its values were not read", rec.line, p.key, jsonSampleRecords))
				} else {
					r.dropped++
				}
			}
			continue
		}
		row[i] = p.val
	}
	return row
}

func (r *jsonReader) Next(ctx context.Context) (*Batch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var b *Batch
	add := func(rec jsonRecord) {
		if b == nil {
			b = &Batch{FirstLine: rec.line}
		}
		b.Rows = append(b.Rows, r.row(rec))
		b.Lines = append(b.Lines, rec.line)
	}
	for len(r.sample) > 0 && (b == nil || len(b.Rows) < r.opts.BatchRows) {
		add(r.sample[0])
		r.sample[0] = jsonRecord{}
		r.sample = r.sample[1:]
	}
	for r.err == nil && (b == nil || len(b.Rows) < r.opts.BatchRows) {
		if b != nil && len(b.Rows)%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		rec, err := r.src.next()
		if err != nil {
			r.err = err
			break
		}
		add(rec)
	}
	if b != nil {
		return b, nil
	}
	return nil, r.err
}

// jsonlSource reads one object per line.
type jsonlSource struct {
	r    *jsonReader
	br   *bufio.Reader
	line int64
	off  int64
	buf  []byte
}

func (s *jsonlSource) offset() int64 { return s.off }

func (s *jsonlSource) next() (jsonRecord, error) {
	for {
		line, err := s.readLine()
		if err != nil {
			return jsonRecord{}, err
		}
		if s.line == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 {
			continue
		}
		if !utf8.Valid(trimmed) {
			return jsonRecord{}, s.r.errorf(s.line, "JSON must be UTF-8; convert the file", "text is not valid UTF-8")
		}
		kvs, perr := flattenObject(trimmed, "", nil)
		if perr != nil {
			return jsonRecord{}, s.r.errorf(s.line, perr.hint, "%s", perr.msg)
		}
		return jsonRecord{line: s.line, kvs: kvs}, nil
	}
}

// readLine returns the next line without its newline, enforcing
// MaxLineBytes.
func (s *jsonlSource) readLine() ([]byte, error) {
	s.buf = s.buf[:0]
	for {
		chunk, err := s.br.ReadSlice('\n')
		s.off += int64(len(chunk))
		if len(s.buf)+len(chunk) > s.r.opts.MaxLineBytes+1 {
			return nil, s.r.errorf(s.line+1, "split the record, or raise the line limit", "line too long: more than %d bytes", s.r.opts.MaxLineBytes)
		}
		switch {
		case err == nil:
			s.line++
			if len(s.buf) == 0 {
				return chunk[:len(chunk)-1], nil
			}
			s.buf = append(s.buf, chunk[:len(chunk)-1]...)
			return s.buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			s.buf = append(s.buf, chunk...)
		case err == io.EOF:
			if len(s.buf)+len(chunk) == 0 {
				return nil, io.EOF
			}
			s.line++
			s.buf = append(s.buf, chunk...)
			return s.buf, nil
		default:
			return nil, &Error{Path: s.r.t.Path, Line: s.line + 1, Msg: "cannot read file", Hint: "check that the file is readable", Err: err}
		}
	}
}

// errRecordTooLong stops the JSON decoder when one array element exceeds
// MaxLineBytes, before it buffers more.
var errRecordTooLong = errors.New("record too long")

// lineTracker counts newlines in what the JSON decoder reads and keeps the
// recent bytes, so that an offset can be turned into a line number.
type lineTracker struct {
	r      io.Reader
	blocks []tblock
	free   [][]byte
	total  int64 // bytes read
	nl     int64 // newlines in them
	from   int64 // start of the current element, for the length limit
	limit  int64
}

type tblock struct {
	start, nlBefore int64
	data            []byte
}

func (t *lineTracker) Read(p []byte) (int, error) {
	if t.limit > 0 && t.total-t.from > t.limit {
		return 0, errRecordTooLong
	}
	n, err := t.r.Read(p)
	if n > 0 {
		var d []byte
		if k := len(t.free); k > 0 && cap(t.free[k-1]) >= n {
			d = t.free[k-1][:n]
			t.free = t.free[:k-1]
		} else {
			d = make([]byte, n, max(n, 4096))
		}
		copy(d, p[:n])
		t.blocks = append(t.blocks, tblock{start: t.total, nlBefore: t.nl, data: d})
		t.total += int64(n)
		t.nl += int64(bytes.Count(d, []byte{'\n'}))
	}
	return n, err
}

// lineAt returns the 1-based line of byte offset off and forgets the bytes
// before it; offsets must not decrease.
func (t *lineTracker) lineAt(off int64) int64 {
	for len(t.blocks) > 0 {
		b := t.blocks[0]
		if off < b.start+int64(len(b.data)) {
			if off < b.start {
				off = b.start
			}
			return 1 + b.nlBefore + int64(bytes.Count(b.data[:off-b.start], []byte{'\n'}))
		}
		t.free = append(t.free, b.data[:0])
		if len(t.free) > 64 {
			t.free = t.free[1:]
		}
		t.blocks[0] = tblock{}
		t.blocks = t.blocks[1:]
	}
	return 1 + t.nl
}

// jsonArraySource streams the elements of a top-level array with the
// decoder's Token API; a file of objects one after another (not in an
// array) is read the same way, one record per object.
type jsonArraySource struct {
	r     *jsonReader
	lt    *lineTracker
	dec   *json.Decoder
	array bool
	done  bool
}

func newJSONArraySource(r *jsonReader) (jsonSource, error) {
	br := bufio.NewReaderSize(r.f, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, utf8BOM) {
		br.Discard(3)
	}
	lt := &lineTracker{r: br, limit: int64(r.opts.MaxLineBytes)}
	s := &jsonArraySource{r: r, lt: lt, dec: json.NewDecoder(lt)}
	// Peek at the first significant byte.
	line := int64(1)
	for {
		c, err := br.ReadByte()
		if err != nil {
			if err == io.EOF {
				return nil, r.errorf(0, "there is nothing to assess; remove the file from the export or re-export it", "empty file")
			}
			return nil, &Error{Path: r.t.Path, Msg: "cannot read file", Hint: "check that the file is readable", Err: err}
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			if c == '\n' {
				line++
			}
			continue
		}
		br.UnreadByte()
		lt.nl = line - 1 // the skipped blank lines
		switch c {
		case '[':
			s.array = true
			if _, err := s.dec.Token(); err != nil {
				return nil, s.syntaxError(err)
			}
		case '{':
		default:
			return nil, r.errorf(line, "the file must hold an array of objects, or objects one after another", "top-level JSON value is not an array or an object")
		}
		return s, nil
	}
}

func (s *jsonArraySource) offset() int64 { return s.dec.InputOffset() }

func (s *jsonArraySource) syntaxError(err error) error {
	if errors.Is(err, errRecordTooLong) {
		return s.r.errorf(s.lt.lineAt(s.lt.from), "split the record, or raise the line limit", "line too long: a record exceeds %d bytes", s.r.opts.MaxLineBytes)
	}
	var se *json.SyntaxError
	off := s.dec.InputOffset()
	if errors.As(err, &se) && se.Offset > off {
		off = se.Offset
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		return s.r.errorf(s.lt.lineAt(s.lt.total), "the file may be truncated; re-export it", "malformed JSON: unexpected end of file")
	}
	var ioErr *os.PathError
	if errors.As(err, &ioErr) {
		return &Error{Path: s.r.t.Path, Msg: "cannot read file", Hint: "check that the file is readable", Err: err}
	}
	// The decoder's message may quote a character of the data: give the
	// position only.
	return s.r.errorf(s.lt.lineAt(off-1), "check the file with a JSON validator; it must be an array of objects", "malformed JSON near byte %d", off)
}

func (s *jsonArraySource) next() (jsonRecord, error) {
	if s.done {
		return jsonRecord{}, io.EOF
	}
	if s.array && !s.dec.More() {
		s.done = true
		if _, err := s.dec.Token(); err != nil { // the closing ']'
			return jsonRecord{}, s.syntaxError(err)
		}
		if _, err := s.dec.Token(); err != io.EOF {
			if err == nil {
				return jsonRecord{}, s.r.errorf(s.lt.lineAt(s.dec.InputOffset()-1), "the file must hold a single top-level array", "data after the end of the top-level array")
			}
			return jsonRecord{}, s.syntaxError(err)
		}
		return jsonRecord{}, io.EOF
	}
	s.lt.from = s.dec.InputOffset()
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		if err == io.EOF && !s.array {
			s.done = true
			return jsonRecord{}, io.EOF
		}
		s.done = true
		return jsonRecord{}, s.syntaxError(err)
	}
	line := s.lt.lineAt(s.dec.InputOffset() - int64(len(raw)))
	if len(raw) > s.r.opts.MaxLineBytes {
		s.done = true
		return jsonRecord{}, s.r.errorf(line, "split the record, or raise the line limit", "line too long: a record exceeds %d bytes", s.r.opts.MaxLineBytes)
	}
	kvs, perr := flattenObject(raw, "", nil)
	if perr != nil {
		s.done = true
		return jsonRecord{}, s.r.errorf(line, perr.hint, "%s", perr.msg)
	}
	return jsonRecord{line: line, kvs: kvs}, nil
}

const jsonHint = "each record must be a JSON object; check the file with a JSON validator"

// flattenObject appends the flattened key/value pairs of the JSON object in
// raw: nested objects become "a.b" keys, arrays keep their (compact) JSON
// text, strings their value, null becomes "", numbers and booleans their
// JSON text (numbers without exponent when that is exact).
func flattenObject(raw []byte, prefix string, dst []kv) ([]kv, *recErr) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return dst, &recErr{msg: "malformed JSON", hint: jsonHint}
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return dst, &recErr{msg: "record is not a JSON object", hint: jsonHint}
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return dst, &recErr{msg: "malformed JSON", hint: jsonHint}
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return dst, &recErr{msg: "malformed JSON", hint: jsonHint}
		}
		key = prefix + key
		switch val[0] {
		case '{':
			n := len(dst)
			var perr *recErr
			dst, perr = flattenObject(val, key+".", dst)
			if perr != nil {
				return dst, perr
			}
			if len(dst) == n {
				dst = append(dst, kv{key, "{}"})
			}
			continue
		case '[':
			var b bytes.Buffer
			if err := json.Compact(&b, val); err != nil {
				return dst, &recErr{msg: "malformed JSON", hint: jsonHint}
			}
			dst = append(dst, kv{key, b.String()})
		case '"':
			var s string
			if bytes.IndexByte(val, '\\') < 0 {
				s = string(val[1 : len(val)-1])
			} else if err := json.Unmarshal(val, &s); err != nil {
				return dst, &recErr{msg: "malformed JSON string", hint: jsonHint}
			}
			dst = append(dst, kv{key, s})
		case 'n':
			dst = append(dst, kv{key, ""})
		case 't', 'f':
			dst = append(dst, kv{key, string(val)})
		default:
			dst = append(dst, kv{key, plainNumber(string(val))})
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return dst, &recErr{msg: "malformed JSON", hint: jsonHint}
	}
	if _, err := dec.Token(); err != io.EOF {
		return dst, &recErr{msg: "malformed JSON: more than one value on the line", hint: "put one object per line"}
	}
	// A key repeated in one object: the last value wins.
	if len(dst) > 1 {
		dst = dedupKeys(dst)
	}
	return dst, nil
}

func dedupKeys(kvs []kv) []kv {
	if len(kvs) < 16 {
		dup := false
		for i := range kvs {
			for j := 0; j < i; j++ {
				if kvs[i].key == kvs[j].key {
					dup = true
				}
			}
		}
		if !dup {
			return kvs
		}
	}
	last := make(map[string]int, len(kvs))
	for i, p := range kvs {
		last[p.key] = i
	}
	if len(last) == len(kvs) {
		return kvs
	}
	out := kvs[:0]
	for i, p := range kvs {
		if last[p.key] == i {
			out = append(out, p)
		}
	}
	return out
}

// plainNumber rewrites a JSON number with an exponent without it when the
// result is exact and reasonably short.
func plainNumber(s string) string {
	if !strings.ContainsAny(s, "eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return s
	}
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
