package mask

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// StreamOptions tune CopyCSV and CopyJSONL. The zero value (or nil) is
// ready to use.
type StreamOptions struct {
	// Comma is the CSV field delimiter, an ASCII character other than a
	// quote, CR or LF (default ','). It is used for output too.
	Comma byte
	// MaxRecordBytes bounds one CSV record or JSON line (default 16 MiB).
	MaxRecordBytes int
	// MaxColumns bounds the columns of a CSV header (default 4096).
	MaxColumns int
	// Progress, when set, is called every ProgressEvery rows (default
	// 65536) and once at the end of a successful copy, from the copying
	// goroutine.
	Progress      func(Stats)
	ProgressEvery int64
}

// Stats counts what a copy has done: data rows written (header
// excluded), bytes read from the source and written to the destination.
type Stats struct {
	Rows     int64
	BytesIn  int64
	BytesOut int64
}

const (
	defaultMaxRecord     = 16 << 20
	defaultProgressEvery = 1 << 16
	readBufSize          = 64 << 10
	flushAt              = 64 << 10
	ctxCheckEvery        = 1024
)

func (o *StreamOptions) withDefaults() (StreamOptions, error) {
	var r StreamOptions
	if o != nil {
		r = *o
	}
	if r.Comma == 0 {
		r.Comma = ','
	}
	if r.Comma == '"' || r.Comma == '\r' || r.Comma == '\n' || r.Comma >= 0x80 {
		return r, fmt.Errorf("mask: delimiter %q is not allowed", r.Comma)
	}
	if r.MaxRecordBytes <= 0 {
		r.MaxRecordBytes = defaultMaxRecord
	}
	if r.MaxColumns <= 0 {
		r.MaxColumns = MaxRules
	}
	if r.ProgressEvery <= 0 {
		r.ProgressEvery = defaultProgressEvery
	}
	return r, nil
}

// RowError is a malformed row of a stream. Its message names the row and
// line, never a value.
type RowError struct {
	Row  int64 // 1-based data row; 0 for the header
	Line int64 // 1-based line where the row starts
	Msg  string
	Err  error // ErrFieldCount for a row of the wrong width, else nil
}

func (e *RowError) Error() string {
	what := fmt.Sprintf("row %d", e.Row)
	if e.Row == 0 {
		what = "header"
	}
	return fmt.Sprintf("mask: %s (line %d): %s", what, e.Line, e.Msg)
}

func (e *RowError) Unwrap() error { return e.Err }

// ErrNoHeader is returned by CopyCSV for an input without a header line.
var ErrNoHeader = errors.New("mask: empty input: no header line")

// out buffers whole rows for dst: a row is appended completely before
// anything of it can be written, and the buffer is written out only
// between rows, so dst never receives part of a row.
type out struct {
	w     io.Writer
	buf   []byte
	n     int64
	stats *Stats
}

// endRow marks the end of a complete row and writes the buffer when full.
func (o *out) endRow() error {
	if len(o.buf) >= flushAt {
		return o.flush()
	}
	return nil
}

func (o *out) flush() error {
	if len(o.buf) == 0 {
		return nil
	}
	n, err := o.w.Write(o.buf)
	o.stats.BytesOut += int64(n)
	o.buf = o.buf[:0]
	if err != nil {
		return fmt.Errorf("mask: writing: %w", err)
	}
	return nil
}

// lineReader reads physical lines with a bounded length.
type lineReader struct {
	br    *bufio.Reader
	max   int
	long  []byte
	line  int64 // lines read so far
	bytes int64
}

var errLineTooLong = errors.New("line too long")

// next returns the next line, with its '\n' when it has one, valid until
// the next call; io.EOF after the last.
func (r *lineReader) next(budget int) ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > budget {
				return nil, errLineTooLong
			}
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if len(line) > budget {
		return nil, errLineTooLong
	}
	if len(line) > 0 {
		r.bytes += int64(len(line))
		r.line++
		if err == io.EOF {
			err = nil
		}
	}
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("mask: reading: %w", err)
	}
	return line, err
}

// progress calls the callback every ProgressEvery rows.
type progress struct {
	fn    func(Stats)
	every int64
	next  int64
}

func (p *progress) row(s *Stats) {
	if p.fn != nil && s.Rows >= p.next {
		p.fn(*s)
		p.next = s.Rows + p.every
	}
}
