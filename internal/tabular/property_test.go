package tabular

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// refCSV is a deliberately simple, byte-at-a-time RFC 4180 parser with the
// same rules as the reader (header first; blank lines skipped; a quote in
// an unquoted field is an error; CRLF or LF line ends), used to check the
// parallel reader.
type refResult struct {
	cols    []string
	rows    [][]string
	lines   []int64
	errLine int64 // 0 when no error
}

func refCSV(text string, delim byte, maxCols int) refResult {
	var res refResult
	line := int64(1)
	i := 0
	header := true
	for i < len(text) {
		if text[i] == '\n' {
			line++
			i++
			continue
		}
		if text[i] == '\r' && (i+1 == len(text) || text[i+1] == '\n') {
			i++
			if i < len(text) {
				i++
				line++
			}
			continue
		}
		recLine := line
		var fields []string
	field:
		for {
			if i < len(text) && text[i] == '"' {
				quoteLine := line
				i++
				var sb strings.Builder
				for {
					if i >= len(text) {
						res.errLine = quoteLine
						return res
					}
					c := text[i]
					if c == '"' {
						if i+1 < len(text) && text[i+1] == '"' {
							sb.WriteByte('"')
							i += 2
							continue
						}
						i++
						break
					}
					if c == '\n' {
						line++
					}
					sb.WriteByte(c)
					i++
				}
				fields = append(fields, sb.String())
				if i >= len(text) {
					break field
				}
				switch {
				case text[i] == delim:
					i++
					continue field
				case text[i] == '\n':
					i++
					line++
					break field
				case text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n':
					i += 2
					line++
					break field
				case text[i] == '\r' && i+1 == len(text):
					i++
					break field
				}
				res.errLine = line
				return res
			}
			var sb strings.Builder
			for i < len(text) && text[i] != delim && text[i] != '\n' {
				if text[i] == '"' {
					res.errLine = line
					return res
				}
				sb.WriteByte(text[i])
				i++
			}
			v := sb.String()
			if i < len(text) && text[i] == delim {
				fields = append(fields, v)
				i++
				continue field
			}
			fields = append(fields, strings.TrimSuffix(v, "\r"))
			if i < len(text) {
				i++
				line++
			}
			break field
		}
		if header {
			if len(fields) > maxCols {
				res.errLine = recLine
				return res
			}
			res.cols = fields
			header = false
			continue
		}
		if len(fields) != len(res.cols) {
			res.errLine = recLine
			return res
		}
		res.rows = append(res.rows, fields)
		res.lines = append(res.lines, recLine)
	}
	return res
}

// checkAgainstRef reads data with the reader and compares with refCSV.
func checkAgainstRef(t *testing.T, data []byte, opts Options) {
	t.Helper()
	p := writeTemp(t, "f.csv", data)
	opts.Encoding = "utf-8" // GB18030 detection would accept other bytes
	got, err := readPath(t, p, opts)
	if !utf8.Valid(data) || len(strings.Trim(strings.TrimPrefix(string(data), "\ufeff"), "\r\n")) == 0 || isBinary(data) {
		// Encoding and empty-file checks come before parsing.
		if err == nil && !utf8.Valid(data) {
			t.Fatalf("invalid UTF-8 accepted")
		}
		return
	}
	text := strings.TrimPrefix(string(data), "\ufeff")
	// The delimiter is sniffed from the header text.
	start := 0
	for start < len(text) && (text[start] == '\n' || text[start] == '\r' && start+1 < len(text) && text[start+1] == '\n') {
		start++
	}
	hdrEnd := firstBoundary([]byte(text[start:]))
	if hdrEnd < 0 {
		hdrEnd = len(text) - start
	}
	delim := sniffDelimiter(text[start : start+hdrEnd])
	want := refCSV(text, delim, 4096)
	if want.errLine != 0 {
		var te *Error
		if !errors.As(err, &te) {
			t.Fatalf("want an *Error at line %d, got %v", want.errLine, err)
		}
		if te.Line != want.errLine {
			t.Fatalf("error %q at line %d, reference says line %d", te, te.Line, want.errLine)
		}
		// Rows before the error must match.
		if n := len(got.rows); n > len(want.rows) || !reflect.DeepEqual(got.rows, want.rows[:n]) {
			t.Fatalf("rows before the error differ")
		}
		return
	}
	if err != nil {
		t.Fatalf("reader error %v, reference parsed %d rows", err, len(want.rows))
	}
	cols := make([]string, len(want.cols))
	for i := range cols {
		cols[i] = strings.TrimSpace(want.cols[i])
	}
	if !reflect.DeepEqual(got.cols, uniqueNames(cols)) {
		t.Fatalf("columns %q, reference %q", got.cols, want.cols)
	}
	if len(got.rows) != len(want.rows) || (len(got.rows) > 0 && !reflect.DeepEqual(got.rows, want.rows)) {
		t.Fatalf("rows differ: got %d, reference %d", len(got.rows), len(want.rows))
	}
	if len(got.lines) > 0 && !reflect.DeepEqual(got.lines, want.lines) {
		t.Fatalf("lines %v, reference %v", got.lines, want.lines)
	}
}

// randomCSV builds a CSV with quotes, doubled quotes, embedded delimiters
// and newlines, CRLF, blank lines and (sometimes) one malformed spot.
func randomCSV(rng *rand.Rand) []byte {
	delims := []byte{',', ';', '\t', '|'}
	d := delims[rng.IntN(len(delims))]
	ncols := 1 + rng.IntN(6)
	var sb strings.Builder
	pieces := []string{"a", "bc", "张三", " x ", "", "1.5", string(d), "\n", "\r\n", `""`, "q"}
	field := func(header bool) string {
		if header {
			return fmt.Sprintf("h%d", rng.IntN(4))
		}
		var v strings.Builder
		quoted := rng.IntN(3) == 0
		for k := rng.IntN(4); k > 0; k-- {
			p := pieces[rng.IntN(len(pieces))]
			if !quoted && (p == string(d) || p == "\n" || p == "\r\n" || p == `""`) {
				p = "z"
			}
			v.WriteString(p)
		}
		if quoted {
			return `"` + v.String() + `"`
		}
		return v.String()
	}
	nrows := rng.IntN(60)
	for r := 0; r <= nrows; r++ {
		n := ncols
		if r > 0 && rng.IntN(200) == 0 {
			n++ // ragged
		}
		for c := 0; c < n; c++ {
			if c > 0 {
				sb.WriteByte(d)
			}
			sb.WriteString(field(r == 0))
		}
		switch rng.IntN(10) {
		case 0:
			sb.WriteString("\r\n")
		case 1:
			sb.WriteString("\n\n")
		default:
			sb.WriteString("\n")
		}
	}
	b := []byte(sb.String())
	if rng.IntN(10) == 0 && len(b) > 0 {
		// Drop a byte: may open a quote, join lines…
		k := rng.IntN(len(b))
		b = append(b[:k], b[k+1:]...)
		if !utf8.Valid(b) {
			b = []byte(strings.ToValidUTF8(string(b), "?"))
		}
	}
	if rng.IntN(3) == 0 {
		b = b[:len(b)-1] // no final newline
	}
	return b
}

func TestCSVParallelMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 7))
	for i := 0; i < 300; i++ {
		data := randomCSV(rng)
		opts := Options{
			BatchRows: 1 + rng.IntN(8),
			Workers:   1 + rng.IntN(4),
			blockSize: 1 + rng.IntN(64),
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			checkAgainstRef(t, data, opts)
		})
	}
}

func TestLastBoundary(t *testing.T) {
	naive := func(s string) int {
		inQ, last := false, -1
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case '"':
				inQ = !inQ
			case '\n':
				if !inQ {
					last = i + 1
				}
			}
		}
		return last
	}
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := "a\"\n,"
	for i := 0; i < 20000; i++ {
		b := make([]byte, rng.IntN(40))
		for k := range b {
			b[k] = alphabet[rng.IntN(len(alphabet))]
		}
		if got, want := lastBoundary(string(b)), naive(string(b)); got != want {
			t.Fatalf("lastBoundary(%q) = %d, want %d", b, got, want)
		}
	}
}
