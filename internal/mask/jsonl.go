package mask

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xborder/xborder/internal/jsonstrict"
)

// CopyJSONL reads JSON Lines from src (one object per line), applies the
// policy and writes JSON Lines to dst, line by line in constant memory.
//
// Each top-level key is a column and gets its rule by name (the default
// rule, drop unless the policy says otherwise, for keys the policy does
// not name); keys stay in input order and are written as they were, with
// no space between members. Nested objects are not descended into: a
// nested object is one column, named by its key.
//
// Values: keep copies the JSON value as written; null writes null; redact
// writes its constant as a string; mask, pseudonymise and generalise read
// a string's text, a number's or boolean's literal ("42", "true"), or the
// JSON text of an array or object, and write a string; they leave null as
// null and an empty string empty.
//
// Input: UTF-8 (a leading BOM is skipped); blank lines are skipped and are
// not rows. A line that is not valid JSON, not an object, not UTF-8 or
// over MaxRecordBytes is an error (*RowError naming the row and line). As
// with CopyCSV, dst then holds exactly the rows before the bad one, each
// complete, and Stats.Rows counts them.
func (m *Masker) CopyJSONL(ctx context.Context, dst io.Writer, src io.Reader, opts *StreamOptions) (Stats, error) {
	var st Stats
	o, err := opts.withDefaults()
	if err != nil {
		return st, err
	}
	lr := lineReader{br: bufio.NewReaderSize(src, readBufSize), max: o.MaxRecordBytes}
	w := &out{w: dst, buf: make([]byte, 0, flushAt+4096), stats: &st}
	pr := progress{fn: o.Progress, every: o.ProgressEvery, next: o.ProgressEvery}
	jw := &jsonWorker{worker: m.newWorker(), m: m}
	finish := func(err error) (Stats, error) {
		st.BytesIn = lr.bytes
		if ferr := w.flush(); err == nil {
			err = ferr
		}
		if err == nil && pr.fn != nil {
			pr.fn(st)
		}
		return st, err
	}
	first := true
	for row := int64(1); ; {
		if row%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return finish(err)
			}
		}
		line, err := lr.next(lr.max)
		if err == io.EOF {
			return finish(nil)
		}
		if err == errLineTooLong {
			return finish(&RowError{Row: row, Line: lr.line + 1, Msg: "line longer than " + strconv.Itoa(lr.max) + " bytes"})
		}
		if err != nil {
			return finish(err)
		}
		if first {
			first = false
			if len(line) >= 3 && line[0] == 0xef && line[1] == 0xbb && line[2] == 0xbf {
				line = line[3:]
			}
		}
		line = trimJSONSpace(line)
		if len(line) == 0 {
			continue
		}
		start := len(w.buf)
		w.buf, err = jw.object(w.buf, line)
		if err != nil {
			w.buf = w.buf[:start]
			return finish(&RowError{Row: row, Line: lr.line, Msg: err.Error()})
		}
		w.buf = append(w.buf, '\n')
		st.Rows++
		row++
		if err := w.endRow(); err != nil {
			return finish(err)
		}
		st.BytesIn = lr.bytes
		pr.row(&st)
	}
}

type jsonWorker struct {
	*worker
	m   *Masker
	key []byte // decoded key
	val []byte // decoded string value
	tmp []byte // transformed value
}

func trimJSONSpace(b []byte) []byte {
	for len(b) > 0 && jsonstrict.IsSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && jsonstrict.IsSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// object transforms one JSON object (a whole line, trimmed).
func (jw *jsonWorker) object(dst []byte, line []byte) ([]byte, error) {
	if !utf8.Valid(line) {
		return dst, syntaxError("not valid UTF-8")
	}
	if !json.Valid(line) {
		return dst, syntaxError("not valid JSON")
	}
	if line[0] != '{' {
		return dst, syntaxError("not a JSON object")
	}
	dst = append(dst, '{')
	n := 0
	i := jsonstrict.SkipSpace(line, 1)
	for line[i] != '}' {
		// key
		kEnd := jsonstrict.SkipString(line, i)
		rawKey := line[i:kEnd]
		jw.key = unquote(jw.key[:0], rawKey)
		i = jsonstrict.SkipSpace(line, kEnd)
		i = jsonstrict.SkipSpace(line, i+1) // ':'
		vEnd := jsonstrict.SkipValue(line, i)
		raw := line[i:vEnd]
		i = jsonstrict.SkipSpace(line, vEnd)
		if line[i] == ',' {
			i = jsonstrict.SkipSpace(line, i+1)
		}

		o := jw.m.op(stringOf(jw.key))
		if o.action == Drop {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = append(dst, rawKey...)
		dst = append(dst, ':')
		switch {
		case o.action == Keep:
			dst = append(dst, raw...)
			continue
		case o.action == Null:
			dst = append(dst, "null"...)
			continue
		case o.action == Redact:
			dst = appendJSONString(dst, o.with)
			continue
		case raw[0] == 'n': // null stays null
			dst = append(dst, "null"...)
			continue
		}
		var text string
		if raw[0] == '"' {
			jw.val = unquote(jw.val[:0], raw)
			text = stringOf(jw.val)
		} else {
			text = stringOf(raw)
		}
		jw.tmp = jw.appendValue(jw.tmp[:0], o, text)
		dst = appendJSONString(dst, stringOf(jw.tmp))
	}
	return append(dst, '}'), nil
}

// unquote appends the text of the JSON string literal q (quotes included)
// to buf. Lone surrogates become U+FFFD, as encoding/json makes them.
func unquote(buf, q []byte) []byte {
	q = q[1 : len(q)-1]
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c != '\\' {
			buf = append(buf, c)
			continue
		}
		i++
		switch q[i] {
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r := hex4(q[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 < len(q) && q[i+1] == '\\' && q[i+2] == 'u' {
					if r2 := utf16.DecodeRune(r, hex4(q[i+3:i+7])); r2 != utf8.RuneError {
						buf = utf8.AppendRune(buf, r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
		default: // '"', '\\', '/'
			buf = append(buf, q[i])
		}
	}
	return buf
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, U+2028 and U+2029 too, invalid UTF-8 as
// U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&15])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
