package tabular

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// readReleasing reads a table like readTable, but releases every batch as
// soon as its rows have been copied (the row slices, not the values: values
// are strings and must stay valid after Release).
func readReleasing(t testing.TB, path string, opts Options) (result, int, error) {
	t.Helper()
	ctx := context.Background()
	tables, err := Discover(ctx, path, opts)
	if err != nil {
		return result{}, 0, err
	}
	r, err := Open(ctx, tables[0], opts)
	if err != nil {
		return result{}, 0, err
	}
	defer r.Close()
	rel, ok := r.(Releaser)
	if !ok {
		t.Fatalf("%T does not implement Releaser", r)
	}
	res := result{cols: r.Columns()}
	reused := 0
	seen := map[*Batch]bool{}
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			return res, reused, nil
		}
		if err != nil {
			return res, reused, err
		}
		if seen[b] {
			reused++
		}
		seen[b] = true
		if b.Lines != nil && len(b.Lines) != len(b.Rows) {
			t.Fatalf("batch has %d rows but %d lines", len(b.Rows), len(b.Lines))
		}
		for i, row := range b.Rows {
			if len(row) != len(res.cols) {
				t.Fatalf("row %d has %d values for %d columns", i, len(row), len(res.cols))
			}
			res.rows = append(res.rows, slices.Clone(row))
			res.lines = append(res.lines, b.Line(i))
		}
		rel.Release(b)
	}
}

// TestReleaseReuseMatches reads random CSV (quoted fields, doubled quotes,
// quoted newlines, CRLF, blank lines; tiny blocks and batches, several
// workers) with and without releasing batches: the rows, their lines and
// any error must be the same, and released batches must actually be
// reused.
func TestReleaseReuseMatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	totalReused := 0
	for i := 0; i < 300; i++ {
		data := randomCSV(rng)
		opts := Options{
			BatchRows: 1 + rng.IntN(8),
			Workers:   1 + rng.IntN(4),
			blockSize: 1 + rng.IntN(64),
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			p := writeTemp(t, "r.csv", data)
			want, werr := readPath(t, p, opts)
			got, reused, gerr := readReleasing(t, p, opts)
			totalReused += reused
			if fmt.Sprint(werr) != fmt.Sprint(gerr) {
				t.Fatalf("error %v with release, %v without", gerr, werr)
			}
			if !slices.EqualFunc(got.rows, want.rows, slices.Equal) || !slices.Equal(got.lines, want.lines) {
				t.Fatalf("with release:\n%q %v\nwithout:\n%q %v", got.rows, got.lines, want.rows, want.lines)
			}
		})
	}
	if totalReused == 0 {
		t.Error("no batch was ever reused")
	}
}

// TestReleaseLargeFile reads a file of many 1 MiB-scale chunks with the
// default options, releasing every batch, and checks every value against
// the row it was generated from; values kept from released batches must
// not change.
func TestReleaseLargeFile(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("id,name,note\n")
	const n = 60000
	row := func(i int) []string {
		return []string{fmt.Sprint(i), strings.Repeat("名", i%7), fmt.Sprintf("\"line %d\nnext, \"\"q\"\"\"", i)}
	}
	for i := 0; i < n; i++ {
		r := row(i)
		if i%3 == 0 {
			sb.WriteString(r[0] + "," + r[1] + "," + r[2] + "\r\n")
		} else {
			sb.WriteString(r[0] + "," + r[1] + ",plain " + r[0] + "\n")
		}
	}
	p := writeTemp(t, "big.csv", []byte(sb.String()))
	opts := Options{BatchRows: 500, blockSize: 64 << 10}
	got, reused, err := readReleasing(t, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if reused == 0 {
		t.Error("no batch was reused")
	}
	if len(got.rows) != n {
		t.Fatalf("%d rows, want %d", len(got.rows), n)
	}
	line := int64(2)
	for i, r := range got.rows {
		want := row(i)
		want[2] = fmt.Sprintf("line %d\nnext, \"q\"", i)
		if i%3 != 0 {
			want[2] = "plain " + want[0]
		}
		if !slices.Equal(r, want) || got.lines[i] != line {
			t.Fatalf("row %d: %q at line %d, want %q at line %d", i, r, got.lines[i], want, line)
		}
		line++
		if i%3 == 0 {
			line++ // the quoted newline
		}
	}
}
