package tabular

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

type result struct {
	cols  []string
	rows  [][]string
	lines []int64
}

// readTable reads a whole table, checking the batch invariants on the way.
func readTable(t testing.TB, tbl Table, opts Options) (result, error) {
	t.Helper()
	ctx := context.Background()
	r, err := Open(ctx, tbl, opts)
	if err != nil {
		return result{}, err
	}
	defer r.Close()
	res := result{cols: r.Columns()}
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			return res, nil
		}
		if err != nil {
			return res, err
		}
		if len(b.Rows) == 0 {
			t.Fatalf("empty batch")
		}
		if b.Lines != nil && len(b.Lines) != len(b.Rows) {
			t.Fatalf("batch has %d rows but %d lines", len(b.Rows), len(b.Lines))
		}
		if b.Line(0) != b.FirstLine {
			t.Fatalf("FirstLine %d but Line(0) %d", b.FirstLine, b.Line(0))
		}
		for i, row := range b.Rows {
			if len(row) != len(res.cols) {
				t.Fatalf("row %d has %d values for %d columns", i, len(row), len(res.cols))
			}
			res.rows = append(res.rows, row)
			res.lines = append(res.lines, b.Line(i))
		}
	}
}

// readPath discovers a one-table file and reads it.
func readPath(t testing.TB, path string, opts Options) (result, error) {
	t.Helper()
	tables, err := Discover(context.Background(), path, opts)
	if err != nil {
		return result{}, err
	}
	if len(tables) != 1 {
		t.Fatalf("%s: %d tables, want 1", path, len(tables))
	}
	return readTable(t, tables[0], opts)
}

func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadFixtures(t *testing.T) {
	people := [][]string{{"1", "张三", "北京"}, {"2", "李四", "上海"}, {"3", "王,五", "广州"}}
	tests := []struct {
		file   string
		opts   Options
		format Format
		cols   []string
		rows   [][]string
		lines  []int64
	}{
		{"utf8.csv", Options{}, CSV, []string{"id", "name", "city"}, people, []int64{2, 3, 4}},
		{"gbk.csv", Options{}, CSV, []string{"id", "name", "city"}, people, []int64{2, 3, 4}},
		{"gbk.csv", Options{BatchRows: 1, Workers: 3, blockSize: 7}, CSV, []string{"id", "name", "city"}, people, []int64{2, 3, 4}},
		{"gbk.csv", Options{Encoding: "gbk"}, CSV, []string{"id", "name", "city"}, people, []int64{2, 3, 4}},
		{"bom.csv", Options{}, CSV, []string{"id", "name", "note"}, [][]string{{"1", "Ann", "x"}, {"2", "Bob", "y"}}, []int64{2, 3}},
		{"utf16.csv", Options{}, CSV, []string{"id", "name"}, [][]string{{"1", "张三"}, {"2", "Bob"}}, []int64{2, 3}},
		{"utf16.csv", Options{blockSize: 3, BatchRows: 1}, CSV, []string{"id", "name"}, [][]string{{"1", "张三"}, {"2", "Bob"}}, []int64{2, 3}},
		{"people.tsv", Options{}, TSV, []string{"id", "name", "phone"}, [][]string{{"1", "Ann", "555-0100"}, {"2", "Bob, Jr.", "555-0101"}}, []int64{2, 3}},
		{"pipe.txt", Options{}, CSV, []string{"a", "b", "c"}, [][]string{{"1", "2", "3"}, {"4", "5", "6"}}, []int64{2, 3}},
		{"quoted.csv", Options{}, CSV, []string{"id", "comment", "n"}, [][]string{
			{"1", "line one\r\nline two", "10"},
			{"2", `say "hi"`, "20"},
			{"3", "", "30"},
			{"4", "a,b\nc\nd", "40"},
		}, []int64{2, 4, 6, 7}},
		{"quoted.csv", Options{BatchRows: 1, Workers: 3, blockSize: 5}, CSV, []string{"id", "comment", "n"}, [][]string{
			{"1", "line one\r\nline two", "10"},
			{"2", `say "hi"`, "20"},
			{"3", "", "30"},
			{"4", "a,b\nc\nd", "40"},
		}, []int64{2, 4, 6, 7}},
		{"dupheader.csv", Options{}, CSV, []string{"name", "col_2", "name_2", "x"}, [][]string{{"1", "2", "3", "4"}}, []int64{2}},
		{"records.json", Options{}, JSON,
			[]string{"id", "name", "addr.city", "addr.zip", "tags", "score", "ok", "note"},
			[][]string{
				{"1", "Ann", "Paris", "75001", `["a","b"]`, "1500", "true", ""},
				{"2", "Bob", "Lyon", "", "[]", "", "false", "multi\nline"},
				{"3", "Chloé", "", "", "", "", "", ""},
			}, []int64{2, 3, 5}},
		{"records.jsonl", Options{}, JSONL,
			[]string{"id", "name", "addr.city", "extra", "n"},
			[][]string{
				{"1", "Ann", "Paris", "", ""},
				{"2", "Bob", "", "{}", ""},
				{"3", "Chloé", "", "", "12345678901234567890"},
			}, []int64{1, 2, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			tables, err := Discover(context.Background(), path, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(tables) != 1 || tables[0].Format != tt.format {
				t.Fatalf("Discover = %+v, want one %s table", tables, tt.format)
			}
			got, err := readTable(t, tables[0], tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.cols, tt.cols) {
				t.Errorf("columns = %q, want %q", got.cols, tt.cols)
			}
			if !reflect.DeepEqual(got.rows, tt.rows) {
				t.Errorf("rows = %q, want %q", got.rows, tt.rows)
			}
			if !reflect.DeepEqual(got.lines, tt.lines) {
				t.Errorf("lines = %v, want %v", got.lines, tt.lines)
			}
		})
	}
}

// wantError checks that err is an *Error with a message containing msg,
// the given line (when > 0) and a hint.
func wantError(t *testing.T, err error, msg string, line int64) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", msg)
	}
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if !strings.Contains(te.Msg, msg) {
		t.Errorf("error %q, want message containing %q", err, msg)
	}
	if line > 0 && te.Line != line {
		t.Errorf("error %q at line %d, want line %d", err, te.Line, line)
	}
	if te.Hint == "" {
		t.Errorf("error %q has no hint", err)
	}
	if te.Path == "" {
		t.Errorf("error %q names no path", err)
	}
	return te
}

func TestBadText(t *testing.T) {
	long := strings.Repeat("x", 200)
	tests := []struct {
		name string
		file string
		data string
		opts Options
		msg  string
		line int64
	}{
		{"empty", "a.csv", "", Options{}, "empty file", 0},
		{"blank lines only", "a.csv", "\n\r\n\n", Options{}, "empty file", 0},
		{"binary", "a.csv", "id,name\n\x00\x01\x02\x03binary", Options{}, "binary file", 0},
		{"binary no ext", "blob", "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00", Options{}, "binary file", 0},
		{"gzip", "a.csv", "\x1f\x8b\x08\x00\x00\x00", Options{}, "compressed", 0},
		{"xls", "a.xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", Options{}, "legacy Office", 0},
		{"fake xlsx", "a.xlsx", "id,name\n", Options{}, "not a valid XLSX", 0},
		{"fake parquet", "a.parquet", "id,name\n", Options{}, "not a valid Parquet", 0},
		{"fake sqlite", "a.db", "id,name\n", Options{}, "not a SQLite database", 0},
		{"ragged short", "a.csv", "a,b,c\n1,2,3\n4,5\n", Options{}, "row has 2 fields but the header has 3", 3},
		{"ragged long", "a.csv", "a,b\n1,2\n\n3,4,5\n", Options{}, "row has 3 fields but the header has 2", 4},
		{"ragged after quoted newline", "a.csv", "a,b\n\"x\ny\",2\n3\n", Options{}, "row has 1 fields", 4},
		{"unterminated quote", "a.csv", "a,b\n1,2\n3,\"abc\n4,5\n", Options{}, "unterminated quoted field", 3},
		{"unterminated quote header", "a.csv", "a,\"b\n", Options{}, "unterminated quoted field", 1},
		{"bare quote", "a.csv", "a,b\n1,2\n3,ab\"c\n", Options{}, "double quote inside an unquoted field", 3},
		{"after closing quote", "a.csv", "a,b\n1,\"2\"x\n", Options{}, "unexpected character after a closing quote", 2},
		{"line too long", "a.csv", "a,b\n1,2\n3," + long + "\n", Options{MaxLineBytes: 100}, "line too long", 3},
		{"line too long small blocks", "a.csv", "a,b\n1,2\n3,\"" + long + "\n", Options{MaxLineBytes: 100, blockSize: 16}, "line too long", 3},
		{"header too long", "a.csv", "a," + long + "\n1,2\n", Options{MaxLineBytes: 100}, "line too long", 1},
		{"too many columns", "a.csv", "a,b,c,d\n1,2,3,4\n", Options{MaxColumns: 3}, "too many columns", 1},
		{"invalid utf8 later", "a.csv", "a,b\n" + strings.Repeat("1,2\n", 20000) + "3,\xff\xfe\xfd\n", Options{}, "not valid UTF-8", 20002},
		{"forced utf8 on gbk", "a.csv", "a,b\n1,\xd5\xc5\xc8\xfd\n", Options{Encoding: "utf-8"}, "not valid UTF-8", 2},
		{"neither utf8 nor gb18030", "a.csv", "a,b\n1,\xff\n", Options{}, "neither valid UTF-8 nor GB18030", 0},
		{"bad encoding option", "a.csv", "a,b\n", Options{Encoding: "latin9"}, "unsupported encoding", 0},
		{"json malformed after blank lines", "a.json", "\n\n[\n{\"a\":1},\n{\"a\":2,,}\n]\n", Options{}, "malformed JSON", 5},
		{"json malformed", "a.json", "[\n{\"a\":1},\n{\"a\":2,,}\n]\n", Options{}, "malformed JSON", 3},
		{"json not object", "a.json", "[\n{\"a\":1},\n42\n]\n", Options{}, "not a JSON object", 3},
		{"json scalar", "a.json", "\n\n\"hello\"", Options{}, "not an array or an object", 3},
		{"json truncated", "a.json", "[\n{\"a\":1},\n{\"a\":", Options{}, "malformed JSON", 0},
		{"json trailing", "a.json", "[{\"a\":1}]\n[]", Options{}, "after the end of the top-level array", 2},
		{"json too long", "a.json", "[{\"a\":1},\n{\"a\":\"" + long + "\"}]", Options{MaxLineBytes: 100}, "line too long", 2},
		{"jsonl malformed", "a.jsonl", "{\"a\":1}\n{\"a\":2}\n{\"a\":\n", Options{}, "malformed JSON", 3},
		{"jsonl two values", "a.jsonl", "{\"a\":1}\n{\"a\":2} {\"a\":3}\n", Options{}, "more than one value", 2},
		{"jsonl array", "a.jsonl", "{\"a\":1}\n[1,2]\n", Options{}, "not a JSON object", 2},
		{"jsonl too long", "a.jsonl", "{\"a\":1}\n{\"a\":\"" + long + "\"}\n", Options{MaxLineBytes: 100}, "line too long", 2},
		{"jsonl bad utf8", "a.jsonl", "{\"a\":1}\n{\"a\":\"\xff\"}\n", Options{}, "not valid UTF-8", 2},
		{"zip not xlsx", "a.zip", "PK\x03\x04garbage", Options{}, "XLSX", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeTemp(t, tt.file, []byte(tt.data))
			_, err := readPath(t, p, tt.opts)
			te := wantError(t, err, tt.msg, tt.line)
			if strings.Contains(te.Error(), "abc") || strings.Contains(te.Error(), long) {
				t.Errorf("error %q shows data", te)
			}
		})
	}
}

func TestDiscoverDirectory(t *testing.T) {
	_, err := Discover(context.Background(), t.TempDir(), Options{})
	wantError(t, err, "directory", 0)
	_, err = Discover(context.Background(), filepath.Join(t.TempDir(), "missing.csv"), Options{})
	wantError(t, err, "cannot read", 0)
}

func TestRowsBeforeErrorAreDelivered(t *testing.T) {
	p := writeTemp(t, "a.csv", []byte("a,b\n1,2\n3,4\n5\n"))
	got, err := readPath(t, p, Options{})
	wantError(t, err, "row has 1 fields", 4)
	if want := [][]string{{"1", "2"}, {"3", "4"}}; !reflect.DeepEqual(got.rows, want) {
		t.Errorf("rows before the error = %q, want %q", got.rows, want)
	}
}

func TestCSVBatchesAndLines(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("id,text\n")
	var want [][]string
	var lines []int64
	line := int64(2)
	for i := 0; i < 1000; i++ {
		id := strings.Repeat("x", i%7)
		if i%10 == 3 {
			sb.WriteString(id + ",\"two\nlines\"\n")
			want = append(want, []string{id, "two\nlines"})
			lines = append(lines, line)
			line += 2
		} else {
			sb.WriteString(id + ",v\n")
			want = append(want, []string{id, "v"})
			lines = append(lines, line)
			line++
		}
		if i%97 == 0 {
			sb.WriteString("\n")
			line++
		}
	}
	p := writeTemp(t, "a.csv", []byte(sb.String()))
	for _, opts := range []Options{{}, {BatchRows: 7, Workers: 4, blockSize: 100}, {BatchRows: 1, Workers: 1, blockSize: 1}} {
		got, err := readPath(t, p, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.rows, want) || !reflect.DeepEqual(got.lines, lines) {
			t.Fatalf("opts %+v: rows or lines differ", opts)
		}
	}
}

func TestContextCancel(t *testing.T) {
	p := writeTemp(t, "a.csv", []byte("a,b\n"+strings.Repeat("1,2\n", 10000)))
	tables, err := Discover(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(context.Background(), tables[0], Options{BatchRows: 10, blockSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := r.Next(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := r.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next after cancel = %v, want context.Canceled", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCloseEarly(t *testing.T) {
	p := writeTemp(t, "a.csv", []byte("a,b\n"+strings.Repeat("1,2\n", 100000)))
	tables, err := Discover(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		r, err := Open(context.Background(), tables[0], Options{blockSize: 1 << 10, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			if _, err := r.Next(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if r.BytesRead() <= 0 || r.BytesRead() > tables[0].Size {
			t.Errorf("BytesRead = %d, size %d", r.BytesRead(), tables[0].Size)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Next(context.Background()); err == nil || err == io.EOF {
			t.Fatalf("Next after Close = %v", err)
		}
	}
	for i := 0; i < 100 && runtime.NumGoroutine() > before; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left after Close (%d before)", n, before)
	}
}

func TestJSONLateKeysWarn(t *testing.T) {
	var sb strings.Builder
	for i := 0; i < jsonSampleRecords+5; i++ {
		if i == jsonSampleRecords+2 {
			sb.WriteString(`{"a":1,"late":{"k":2}}` + "\n")
			continue
		}
		sb.WriteString(`{"a":1}` + "\n")
	}
	p := writeTemp(t, "a.jsonl", []byte(sb.String()))
	tables, err := Discover(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(context.Background(), tables[0], Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		b, err := r.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n += len(b.Rows)
	}
	if n != jsonSampleRecords+5 {
		t.Errorf("%d rows", n)
	}
	w := r.(Warner).Warnings()
	if len(w) != 1 || !strings.Contains(w[0], `"late.k"`) || !strings.Contains(w[0], "line 1003") {
		t.Errorf("warnings = %q", w)
	}
}

func TestUniqueNames(t *testing.T) {
	got := uniqueNames([]string{"a", "", "a", "a_2", "a", ""})
	want := []string{"a", "col_2", "a_2", "a_2_2", "a_3", "col_6"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("uniqueNames = %q, want %q", got, want)
	}
}

func TestSniffDelimiter(t *testing.T) {
	for hdr, want := range map[string]byte{
		"a,b,c":         ',',
		"a;b;c":         ';',
		"a\tb\tc":       '\t',
		"a|b|c":         '|',
		`"a;b",c`:       ',',
		"single":        ',',
		"a;b,c;d":       ';',
		"\"x,y,z\";b;c": ';',
	} {
		if got := sniffDelimiter(hdr); got != want {
			t.Errorf("sniffDelimiter(%q) = %q, want %q", hdr, got, want)
		}
	}
}

func TestGB18030Chunks(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("编号,姓名,备注\n")
	for i := 0; i < 3000; i++ {
		sb.WriteString(strconv.Itoa(i) + ",张三" + strconv.Itoa(i%10) + ",\"北京，上海\n广州\"\n")
	}
	utf := sb.String()
	gbk, err := simplifiedchinese.GB18030.NewEncoder().String(utf)
	if err != nil {
		t.Fatal(err)
	}
	want, err := readPath(t, writeTemp(t, "u.csv", []byte(utf)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The first 64 KiB decide the encoding; the rest is decoded per chunk.
	got, err := readPath(t, writeTemp(t, "g.csv", []byte(gbk)), Options{blockSize: 1000, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || len(got.rows) != 3000 || got.cols[1] != "姓名" {
		t.Fatalf("GB18030 read differs from UTF-8 read (%d rows)", len(got.rows))
	}
}

// TestGB18030BOM: a byte-order mark encoded in GB18030 is skipped, not read
// as part of the first column name.
func TestGB18030BOM(t *testing.T) {
	body, err := simplifiedchinese.GB18030.NewEncoder().String("\ufeff订单号,姓名\n1,张三\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{"", "gb18030"} {
		got, err := readPath(t, writeTemp(t, "bom.csv", []byte(body)), Options{Encoding: enc})
		if err != nil {
			t.Fatal(err)
		}
		if got.cols[0] != "订单号" || got.rows[0][1] != "张三" {
			t.Errorf("encoding %q: columns %q, first row %q", enc, got.cols, got.rows[0])
		}
	}
}

func TestManyLeadingBlankLines(t *testing.T) {
	blank := strings.Repeat("\n", sniffBytes) + strings.Repeat("\r\n", 5000)
	p := writeTemp(t, "a.csv", []byte(blank+"a,b\n1,2\n"))
	got, err := readPath(t, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(sniffBytes + 5000 + 2); !reflect.DeepEqual(got.lines, []int64{want}) || got.cols[1] != "b" {
		t.Errorf("cols %q lines %v, want line %d", got.cols, got.lines, want)
	}
	p = writeTemp(t, "b.csv", []byte(blank))
	_, err = readPath(t, p, Options{})
	wantError(t, err, "empty file", 0)
}
