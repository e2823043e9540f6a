package mask

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/classify"
)

var ctx = context.Background()

func keepAll(t testing.TB) *Masker {
	m, err := New(&Policy{Version: 1, Default: &Rule{Action: Keep}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func readAllCSV(t *testing.T, s string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(s, "\ufeff")))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv: %v in %q", err, s)
	}
	return recs
}

// TestCopyCSVRoundTrip: with every column kept, the output holds the
// same records as the input, as encoding/csv reads both.
func TestCopyCSVRoundTrip(t *testing.T) {
	for _, in := range []string{
		"a,b\n1,2\n",
		"a,b\r\n1,2\r\n",
		"a,b\n1,2",
		"\ufeffa,b\n1,2\n",
		"a,b\n\n1,2\n\n\n3,4\n",
		"a,b\n\"x,y\",\"say \"\"hi\"\"\"\n",
		"a,b\n\"line1\nline2\",z\n",
		"a,b\n,\n",
		"a,b\n\"\",\"\"\n",
		"名字,地址\n张三,\"北京市,朝阳区\"\n",
		"a\n\"\"\nx\n",
		"a,b\n 1 , 2 \n",
		"a,b\n1\r2,3\n",
	} {
		var out bytes.Buffer
		st, err := keepAll(t).CopyCSV(ctx, &out, strings.NewReader(in), nil)
		if err != nil {
			t.Errorf("CopyCSV(%q): %v", in, err)
			continue
		}
		want, got := readAllCSV(t, in), readAllCSV(t, out.String())
		if !reflect.DeepEqual(want, got) {
			t.Errorf("CopyCSV(%q) = %q\nrecords %q, want %q", in, out.String(), got, want)
		}
		if st.Rows != int64(len(want)-1) || st.BytesIn != int64(len(in)) || st.BytesOut != int64(out.Len()) {
			t.Errorf("CopyCSV(%q): stats %+v", in, st)
		}
	}
}

func TestCopyCSVOutput(t *testing.T) {
	p := &Policy{Version: 1, Columns: []Rule{
		{Name: "name", Action: Mask, Class: classify.ClassPersonName},
		{Name: "mobile", Action: Mask, Class: classify.ClassCNMobile},
		{Name: "age", Action: Generalise, Kind: KindNumber, Width: 10},
		{Name: "note", Action: Keep},
	}}
	m, err := New(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := "id,name,mobile,age,note\n1,张三,13812345678,37,\"a \"\"quoted\"\", note\"\n2,John Smith,,5,\n"
	want := "name,mobile,age,note\n张*,138****5678,\"[30,40)\",\"a \"\"quoted\"\", note\"\nJ*** *****,,\"[0,10)\",\n"
	var out bytes.Buffer
	if _, err := m.CopyCSV(ctx, &out, strings.NewReader(in), nil); err != nil {
		t.Fatal(err)
	}
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}

	// semicolons
	out.Reset()
	if _, err := m.CopyCSV(ctx, &out, strings.NewReader("name;age\n王五;41\n"), &StreamOptions{Comma: ';'}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "name;age\n王*;[40,50)\n" {
		t.Errorf("semicolons: %q", out.String())
	}
	if _, err := m.CopyCSV(ctx, &out, strings.NewReader("a\n"), &StreamOptions{Comma: '"'}); err == nil {
		t.Error("a quote as delimiter was accepted")
	}
}

func TestCopyCSVErrors(t *testing.T) {
	header := "a,b\n"
	good := "1,2\n3,4\n"
	tests := []struct {
		name, in  string
		row, line int64
		msg       string
		count     bool
	}{
		{"short row", header + good + "5\n", 3, 4, "1 fields, header has 2", true},
		{"long row", header + good + "5,6,7\n", 3, 4, "3 fields, header has 2", true},
		{"after blank lines", header + "\n" + good + "\n\n5\n", 3, 7, "1 fields, header has 2", true},
		{"after multi-line", header + "\"x\ny\",1\n" + "5\n", 2, 4, "1 fields, header has 2", true},
		{"quote in field", header + good + "a\"b,2\n", 3, 4, "quote inside an unquoted field", false},
		{"after closing quote", header + good + "\"a\"b,2\n", 3, 4, "character after a closing quote", false},
		{"unterminated", header + good + "\"abc,2\n5,6\n", 3, 4, "unterminated quoted field", false},
		{"invalid utf-8", header + good + "\xff,2\n", 3, 4, "not valid UTF-8", false},
		{"invalid utf-8 in quotes", header + good + "\"a\n\xff\",2\n", 3, 4, "not valid UTF-8", false},
		{"header quote", "a\"b,c\n1,2\n", 0, 1, "quote inside an unquoted field", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			st, err := keepAll(t).CopyCSV(ctx, &out, strings.NewReader(tc.in), nil)
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("error %v, want a *RowError", err)
			}
			if re.Row != tc.row || re.Line != tc.line || re.Msg != tc.msg {
				t.Errorf("row %d line %d %q, want row %d line %d %q", re.Row, re.Line, re.Msg, tc.row, tc.line, tc.msg)
			}
			if errors.Is(err, ErrFieldCount) != tc.count {
				t.Errorf("errors.Is(ErrFieldCount) = %v", !tc.count)
			}
			// exactly the rows before the bad one, each complete
			if tc.row > 0 {
				recs := readAllCSV(t, out.String())
				if int64(len(recs)) != tc.row || st.Rows != tc.row-1 {
					t.Errorf("output has %d records (stats %d rows), want header + %d rows:\n%q", len(recs), st.Rows, tc.row-1, out.String())
				}
				if !strings.HasSuffix(out.String(), "\n") {
					t.Errorf("output does not end with a whole line: %q", out.String())
				}
			} else if out.Len() != 0 {
				t.Errorf("a bad header wrote %q", out.String())
			}
		})
	}

	for _, in := range []string{"", "\n\n", "\ufeff"} {
		if _, err := keepAll(t).CopyCSV(ctx, io.Discard, strings.NewReader(in), nil); !errors.Is(err, ErrNoHeader) {
			t.Errorf("CopyCSV(%q): %v, want ErrNoHeader", in, err)
		}
	}
	// bounds
	_, err := keepAll(t).CopyCSV(ctx, io.Discard, strings.NewReader("a\n"+strings.Repeat("x", 100)+"\n"), &StreamOptions{MaxRecordBytes: 50})
	if re := (*RowError)(nil); !errors.As(err, &re) || re.Row != 1 || !strings.Contains(re.Msg, "longer than 50 bytes") {
		t.Errorf("long record: %v", err)
	}
	_, err = keepAll(t).CopyCSV(ctx, io.Discard, strings.NewReader("a\n\""+strings.Repeat("x\n", 100)+"\"\n"), &StreamOptions{MaxRecordBytes: 50})
	if re := (*RowError)(nil); !errors.As(err, &re) || re.Row != 1 || !strings.Contains(re.Msg, "longer than 50 bytes") {
		t.Errorf("long multi-line record: %v", err)
	}
	_, err = keepAll(t).CopyCSV(ctx, io.Discard, strings.NewReader("a,b,c,d\n"), &StreamOptions{MaxColumns: 3})
	if re := (*RowError)(nil); !errors.As(err, &re) || re.Row != 0 || !strings.Contains(re.Msg, "more than 3 fields") {
		t.Errorf("wide header: %v", err)
	}
}

func manyRows(n int) string {
	var b strings.Builder
	b.WriteString("id,mobile\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,138%08d\n", i, i)
	}
	return b.String()
}

func TestCopyCSVProgressAndCancel(t *testing.T) {
	in := manyRows(5000)
	var calls []Stats
	st, err := keepAll(t).CopyCSV(ctx, io.Discard, strings.NewReader(in), &StreamOptions{
		ProgressEvery: 2000,
		Progress:      func(s Stats) { calls = append(calls, s) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 3 || calls[0].Rows != 2000 || calls[1].Rows != 4000 || calls[2] != st || st.Rows != 5000 || st.BytesIn != int64(len(in)) ||
		calls[0].BytesIn == 0 || calls[1].BytesIn <= calls[0].BytesIn {
		t.Errorf("progress calls %+v, final %+v", calls, st)
	}

	c, cancel := context.WithCancel(ctx)
	cancel()
	var out bytes.Buffer
	st, err = keepAll(t).CopyCSV(c, &out, strings.NewReader(in), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if recs := readAllCSV(t, out.String()); int64(len(recs)) != st.Rows+1 || st.Rows >= 5000 {
		t.Errorf("cancelled copy wrote %d records, stats %+v", len(recs), st)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestCopyCSVWriteError(t *testing.T) {
	_, err := keepAll(t).CopyCSV(ctx, &failWriter{n: 100}, strings.NewReader(manyRows(20000)), nil)
	if err == nil || !strings.Contains(err.Error(), "mask: writing: disk full") {
		t.Errorf("write error: %v", err)
	}
}

// TestCopyCSVAllocs: the streaming path allocates nothing per row.
func TestCopyCSVAllocs(t *testing.T) {
	k, _ := DeriveKey("intl", testSecret, "a")
	p := &Policy{Version: 1, Columns: []Rule{
		{Name: "id", Action: Pseudonymise},
		{Name: "mobile", Action: Mask, Class: classify.ClassCNMobile},
	}}
	m, err := New(p, k)
	if err != nil {
		t.Fatal(err)
	}
	small, large := manyRows(1000), manyRows(11000)
	measure := func(in string) float64 {
		return testing.AllocsPerRun(3, func() {
			if _, err := m.CopyCSV(ctx, io.Discard, strings.NewReader(in), nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	a, b := measure(small), measure(large)
	if perRow := (b - a) / 10000; perRow > 0.001 {
		t.Errorf("%.4f allocations per row (%v for 1000 rows, %v for 11000)", perRow, a, b)
	}
}

func TestCopyJSONL(t *testing.T) {
	k, _ := DeriveKey("intl", testSecret, "a")
	p := &Policy{Version: 1, Columns: []Rule{
		{Name: "name", Action: Mask, Class: classify.ClassPersonName},
		{Name: "mobile", Action: Mask, Class: classify.ClassCNMobile},
		{Name: "age", Action: Generalise, Kind: KindNumber, Width: 10},
		{Name: "id", Action: Pseudonymise, Length: 8},
		{Name: "tags", Action: Keep},
		{Name: "addr", Action: Mask},
		{Name: "secret", Action: Redact},
		{Name: "gone", Action: Null},
		{Name: "ok", Action: Keep},
		{Name: "say", Action: Keep},
		{Name: "esc", Action: Mask, KeepFirst: intp(1), KeepLast: intp(0)},
	}}
	m, err := New(p, k)
	if err != nil {
		t.Fatal(err)
	}
	in := "\ufeff{\"name\":\"张三\", \"mobile\":13812345678,\"age\":37.5,\"extra\":{\"x\":1},\"tags\":[1, \"a\"]}\n" +
		"\n" +
		"  {\"id\":\"440305199001011234\",\"addr\":{\"city\":\"x\"},\"secret\":null,\"gone\":\"v\",\"ok\":true,\"name\":null}\r\n" +
		"{\"say\":\"\\u4f60\\u597d\\ud83d\\ude00\",\"esc\":\"\\\"quoted\\\"\\n\",\"n\\u0061me\":\"李四\"}\n" +
		"{}\n"
	var out bytes.Buffer
	st, err := m.CopyJSONL(ctx, &out, strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	id := tokens(t, "intl", "a", Rule{Action: Pseudonymise, Length: 8}, "440305199001011234")[0]
	want := `{"name":"张*","mobile":"138****5678","age":"[30,40)","tags":[1, "a"]}` + "\n" +
		`{"id":"` + id + `","addr":"************","secret":"***","gone":null,"ok":true,"name":null}` + "\n" +
		`{"say":"\u4f60\u597d\ud83d\ude00","esc":"\"*******","n\u0061me":"李*"}` + "\n" +
		"{}\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	if st.Rows != 4 {
		t.Errorf("rows %d", st.Rows)
	}
	for i, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("output line %d is not JSON: %s", i+1, line)
		}
	}

	for _, tc := range []struct {
		in        string
		row, line int64
		msg       string
	}{
		{"{\"a\":1}\n[1,2]\n", 2, 2, "not a JSON object"},
		{"{\"a\":1}\n\n{\"a\":\n", 2, 3, "not valid JSON"},
		{"{\"a\":1} {\"b\":2}\n", 1, 1, "not valid JSON"},
		{"{\"a\":\"\xff\"}\n", 1, 1, "not valid UTF-8"},
		{"\"str\"\n", 1, 1, "not a JSON object"},
	} {
		out.Reset()
		st, err := keepAll(t).CopyJSONL(ctx, &out, strings.NewReader(tc.in), nil)
		var re *RowError
		if !errors.As(err, &re) || re.Row != tc.row || re.Line != tc.line || re.Msg != tc.msg {
			t.Errorf("CopyJSONL(%q): %v, want row %d line %d %q", tc.in, err, tc.row, tc.line, tc.msg)
			continue
		}
		if st.Rows != tc.row-1 || int64(strings.Count(out.String(), "\n")) != tc.row-1 {
			t.Errorf("CopyJSONL(%q) wrote %q before the bad row", tc.in, out.String())
		}
	}
}
