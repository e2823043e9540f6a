package mask

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse: the policy parser never panics; what it accepts validates,
// compiles, and survives Marshal and Parse unchanged.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"default":{"action":"keep"},"columns":[{"name":"a","action":"mask","class":"cn_mobile","keep_first":3}]}`))
	f.Add([]byte(`{"version":1,"columns":[{"name":"a","action":"generalise","kind":"number","bounds":[1,2.5,1e3]}]}`))
	key, err := DeriveKey("intl", testSecret, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "mask: policy: ") {
				t.Errorf("error without the mask: policy: prefix: %v", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate rejects: %v", err)
		}
		if _, err := New(p, key); err != nil {
			t.Fatalf("New rejected a parsed policy: %v", err)
		}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		q, err := Parse(b)
		if err != nil {
			t.Fatalf("Parse(Marshal(p)): %v\n%s", err, b)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip changed the policy:\n%s", b)
		}
	})
}

// fuzzMasker has one rule of every action for columns a–h and masks other
// columns generically, so that every column of a fuzzed header leaves.
func fuzzMasker(t testing.TB) *Masker {
	p, err := Parse([]byte(`{"version":1,"default":{"action":"mask","keep_first":1},"columns":[
		{"name":"a","action":"keep"},
		{"name":"b","action":"drop"},
		{"name":"c","action":"mask","class":"cn_mobile"},
		{"name":"d","action":"pseudonymise","class":"cn_resident_id","length":8},
		{"name":"e","action":"generalise","kind":"number","width":10},
		{"name":"f","action":"generalise","kind":"timestamp","granularity":"hour"},
		{"name":"g","action":"redact","with":"x,\"y\""},
		{"name":"h","action":"mask","class":"address"},
		{"name":"i","action":"mask","class":"email"},
		{"name":"j","action":"generalise","kind":"geo"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	k, err := DeriveKey("gm", testSecret, "fuzz")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(p, k)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// FuzzCopyCSV: CopyCSV never panics; when it succeeds its output is CSV
// with a header and exactly Stats.Rows rows of the output width, and it
// agrees with encoding/csv on what the rows of the input are.
func FuzzCopyCSV(f *testing.F) {
	f.Add("a,b,c,d,e,f,g,h,i,j\n1,2,13812345678,440305199001011234,37,2024-05-01T13:45Z,z,广东省深圳市南山区科技园,a@b.cn,\"39.9,116.4\"\n")
	f.Add("a,c\n\"x\ny\",\"1,2\"\n\n,\n")
	f.Add("\ufeffa\n\"\"\n")
	m := fuzzMasker(f)
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		st, err := m.CopyCSV(ctx, &out, strings.NewReader(in), &StreamOptions{MaxRecordBytes: 1 << 16})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "mask: ") {
				t.Errorf("error without the mask: prefix: %v", err)
			}
			// whatever was written is whole rows
			if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
				t.Errorf("partial row after an error: %q", out.Bytes())
			}
			return
		}
		r := csv.NewReader(&out)
		recs, err := r.ReadAll() // FieldsPerRecord 0: all as wide as the header
		if err != nil {
			t.Fatalf("output is not CSV: %v\n%q", err, out.String())
		}
		if int64(len(recs)) != st.Rows+1 {
			t.Fatalf("output has %d records, stats say %d rows + header", len(recs), st.Rows)
		}
		// encoding/csv sees the same number of rows in the input (its
		// reading of CR differs from ours, so inputs with CR are skipped)
		if !strings.Contains(in, "\r") {
			ir := csv.NewReader(strings.NewReader(strings.TrimPrefix(in, "\ufeff")))
			want, err := ir.ReadAll()
			if err != nil {
				t.Fatalf("CopyCSV accepted what encoding/csv rejects (%v): %q", err, in)
			}
			if int64(len(want)) != st.Rows+1 {
				t.Fatalf("encoding/csv reads %d records, CopyCSV %d rows + header: %q", len(want), st.Rows, in)
			}
		}
	})
}

// FuzzCopyJSONL: CopyJSONL never panics; on success every output line is
// a JSON object and there is one per non-blank input line.
func FuzzCopyJSONL(f *testing.F) {
	f.Add("{\"a\":1,\"c\":\"13812345678\",\"d\":\"x\",\"e\":37,\"g\":null,\"z\":[1,{\"y\":\"\\u00e9\"}]}\n\n{}\n")
	f.Add("{\"i\":\"a@b.cn\",\"f\":\"2024-05-01T13:00:00Z\",\"h\":\"\\ud800\"}")
	m := fuzzMasker(f)
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		st, err := m.CopyJSONL(ctx, &out, strings.NewReader(in), &StreamOptions{MaxRecordBytes: 1 << 16})
		if err != nil {
			if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
				t.Errorf("partial row after an error: %q", out.Bytes())
			}
			return
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if out.Len() == 0 {
			lines = nil
		}
		if int64(len(lines)) != st.Rows {
			t.Fatalf("%d output lines, %d rows", len(lines), st.Rows)
		}
		for _, l := range lines {
			var v map[string]any
			if !utf8.ValidString(l) || json.Unmarshal([]byte(l), &v) != nil {
				t.Fatalf("output line is not a JSON object: %q", l)
			}
		}
	})
}
