package synth

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/xborder/xborder/internal/classify"
)

func writeCSV(t testing.TB, opts CSVOptions) ([]byte, Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := WriteCSV(&buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes != int64(buf.Len()) {
		t.Fatalf("Stats.Bytes = %d, wrote %d", st.Bytes, buf.Len())
	}
	return buf.Bytes(), st
}

// goldenSHA256 pins the output of seed 42, 500 rows: any change to the
// generators shows up here and must be deliberate (benchmarks compare runs).
const goldenSHA256 = "7582eb42fe4337ca944bb62bbfa018f92eb17f8d281294b44e5f1f0c2644b263"

func TestWriteCSVDeterministic(t *testing.T) {
	opts := CSVOptions{Seed: 42, Rows: 500}
	a, _ := writeCSV(t, opts)
	b, _ := writeCSV(t, opts)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different output")
	}
	sum := sha256.Sum256(a)
	if got := hex.EncodeToString(sum[:]); got != goldenSHA256 {
		t.Errorf("output hash %s, want %s", got, goldenSHA256)
	}
	c, _ := writeCSV(t, CSVOptions{Seed: 43, Rows: 500})
	if bytes.Equal(a, c) {
		t.Fatal("different seeds, same output")
	}
}

// recount parses a generated file and derives the truth from the values.
func recount(t *testing.T, data []byte) Stats {
	t.Helper()
	rd := csv.NewReader(bytes.NewReader(data))
	rd.FieldsPerRecord = numCols
	recs, err := rd.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := recs[0]
	for i, c := range benchmarkColumns {
		if strings.TrimPrefix(header[i], "\uFEFF") != c.Name {
			t.Fatalf("header[%d] = %q, want %q", i, header[i], c.Name)
		}
	}
	st := Stats{Rows: int64(len(recs) - 1), Columns: make([]ColumnStats, numCols)}
	ids := map[string]bool{}
	mobiles := map[string]string{}
	sensitive := map[string]bool{}
	for _, rec := range recs[1:] {
		id := rec[colID]
		if !residentIDValid(id) {
			t.Fatalf("invalid resident ID %q", id)
		}
		if residentIDValid(rec[colOrder]) {
			t.Fatalf("order number %q passes the resident-ID check", rec[colOrder])
		}
		ids[id] = true
		if m, ok := mobiles[id]; ok && m != rec[colMobile] {
			t.Fatalf("person %s has two mobiles", id)
		}
		mobiles[id] = rec[colMobile]
		for i, v := range rec {
			if v != "" {
				st.Columns[i].Values++
			}
		}
		if classify.LuhnValid(rec[colCard]) || rec[colHealth] != "" {
			sensitive[id] = true
		}
		if rec[colCard] != "" && !classify.LuhnValid(rec[colCard]) {
			t.Fatalf("invalid card %q", rec[colCard])
		}
	}
	distinctMobiles := map[string]bool{}
	for _, m := range mobiles {
		distinctMobiles[m] = true
	}
	if len(distinctMobiles) != len(ids) {
		t.Fatalf("%d mobiles for %d persons", len(distinctMobiles), len(ids))
	}
	st.Individuals = int64(len(ids))
	st.SensitiveIndividuals = int64(len(sensitive))
	return st
}

func TestWriteCSVStats(t *testing.T) {
	for _, ratio := range []float64{0, -1, 0.5} {
		data, st := writeCSV(t, CSVOptions{Seed: 7, Rows: 3000, RepeatRatio: ratio})
		got := recount(t, data)
		if got.Rows != st.Rows || got.Individuals != st.Individuals || got.SensitiveIndividuals != st.SensitiveIndividuals {
			t.Errorf("ratio %v: stats %d/%d/%d, recount %d/%d/%d", ratio,
				st.Rows, st.Individuals, st.SensitiveIndividuals, got.Rows, got.Individuals, got.SensitiveIndividuals)
		}
		for i := range st.Columns {
			if st.Columns[i].Values != got.Columns[i].Values {
				t.Errorf("ratio %v: %s: %d values, recount %d", ratio, st.Columns[i].Name, st.Columns[i].Values, got.Columns[i].Values)
			}
		}
		switch {
		case ratio < 0 && st.Individuals != st.Rows:
			t.Errorf("no repetition: %d individuals in %d rows", st.Individuals, st.Rows)
		case ratio >= 0 && st.Individuals >= st.Rows:
			t.Errorf("ratio %v: %d individuals in %d rows", ratio, st.Individuals, st.Rows)
		}
		if st.SensitiveIndividuals == 0 || st.SensitiveIndividuals >= st.Individuals {
			t.Errorf("ratio %v: %d sensitive of %d", ratio, st.SensitiveIndividuals, st.Individuals)
		}
		emb := st.Columns[colRemark].Embedded
		if emb[classify.ClassCNMobile] == 0 || emb[classify.ClassCNResidentID] == 0 {
			t.Errorf("embedded counts %v", emb)
		}
	}
}

func TestWriteCSVGB18030(t *testing.T) {
	opts := CSVOptions{Seed: 9, Rows: 400, BOM: true}
	utf8Data, st8 := writeCSV(t, opts)
	if !bytes.HasPrefix(utf8Data, []byte("\uFEFF")) {
		t.Fatal("no UTF-8 BOM")
	}
	opts.Encoding = "gb18030"
	gbData, stGB := writeCSV(t, opts)
	if bytes.Equal(gbData, utf8Data) || !bytes.HasPrefix(gbData, []byte{0x84, 0x31, 0x95, 0x33}) {
		t.Fatal("GB18030 output not encoded or without BOM")
	}
	dec, err := io.ReadAll(simplifiedchinese.GB18030.NewDecoder().Reader(bytes.NewReader(gbData)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dec, utf8Data) {
		t.Fatal("GB18030 output does not decode to the UTF-8 output")
	}
	if st8.Rows != stGB.Rows || st8.Individuals != stGB.Individuals {
		t.Fatal("encodings disagree on the truth")
	}
}

func TestWriteCSVTargetBytes(t *testing.T) {
	data, st := writeCSV(t, CSVOptions{Seed: 1, TargetBytes: 50_000})
	if len(data) < 50_000 || len(data) > 50_000+1024 {
		t.Fatalf("wrote %d bytes for a 50,000 target", len(data))
	}
	if got := recount(t, data); got.Rows != st.Rows {
		t.Fatalf("rows %d, recount %d", st.Rows, got.Rows)
	}
	if _, st := writeCSV(t, CSVOptions{}); st.Rows != 1000 {
		t.Fatalf("zero options wrote %d rows", st.Rows)
	}
}

func TestWriteCSVErrors(t *testing.T) {
	for _, opts := range []CSVOptions{
		{Encoding: "latin1"}, {Columns: "wide"}, {RepeatRatio: 1}, {Rows: -1},
	} {
		if _, err := WriteCSV(io.Discard, opts); err == nil {
			t.Errorf("%+v: no error", opts)
		}
	}
}

func BenchmarkWriteCSV(b *testing.B) {
	for _, enc := range []string{"utf-8", "gb18030"} {
		b.Run(enc, func(b *testing.B) {
			const rows = 100_000
			var n int64
			for i := 0; b.Loop(); i++ {
				st, err := WriteCSV(io.Discard, CSVOptions{Seed: uint64(i), Rows: rows, Encoding: enc})
				if err != nil {
					b.Fatal(err)
				}
				n = st.Bytes
			}
			b.SetBytes(n)
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
