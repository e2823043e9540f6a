package tabular

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time (user+system) the process has used: on a shared
// machine MB per CPU-second is steadier than MB/s of wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration, size int64) {
	if d := cpuTime() - start; d > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/d.Seconds()/1e6, "MB/cpu-s")
	}
}

// benchCSV writes a 10-column CSV of about size bytes: integers, names,
// e-mail addresses, phone numbers, dates, amounts, and a quoted free-text
// column (some values with commas, doubled quotes or newlines).
func benchCSV(b *testing.B, size int) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), "bench.csv")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"Zhang Wei", "Li Na", "Wang Fang", "Liu Yang", "Chen Jie", "Marie Dupont", "John Smith"}
	notes := []string{"ok", "\"late, again\"", "\"said \"\"hi\"\"\"", "\"two\nlines\"", "none", "pending review"}
	w.WriteString("id,name,email,phone,birth,city,amount,account,status,note\n")
	n := 0
	for i := 0; n < size; i++ {
		line := strconv.Itoa(i) + "," +
			names[rng.IntN(len(names))] + "," +
			"user" + strconv.Itoa(rng.IntN(1e6)) + "@example.com," +
			"+86 138" + strconv.Itoa(10000000+rng.IntN(89999999)) + "," +
			"19" + strconv.Itoa(50+rng.IntN(50)) + "-0" + strconv.Itoa(1+rng.IntN(9)) + "-1" + strconv.Itoa(rng.IntN(10)) + "," +
			"Shanghai," +
			strconv.Itoa(rng.IntN(100000)) + "." + strconv.Itoa(10+rng.IntN(90)) + "," +
			"6222" + strconv.Itoa(100000000000+rng.IntN(899999999999)) + "," +
			"active," +
			notes[rng.IntN(len(notes))] + "\n"
		w.WriteString(line)
		n += len(line)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return p
}

// benchSize is the generated file size: 64 MiB, or TABULAR_BENCH_MB
// megabytes (e.g. 1024 for the 1 GB target).
func benchSize() int {
	if mb, err := strconv.Atoi(os.Getenv("TABULAR_BENCH_MB")); err == nil && mb > 0 {
		return mb << 20
	}
	return 64 << 20
}

// BenchmarkCSV measures this package's parallel CSV reader.
func BenchmarkCSV(b *testing.B) {
	p := benchCSV(b, benchSize())
	tables, err := Discover(context.Background(), p, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(tables[0].Size)
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	defer func() { reportCPU(b, start, tables[0].Size) }()
	for range b.N {
		ctx := context.Background()
		r, err := Open(ctx, tables[0], Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for {
			batch, err := r.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows += len(batch.Rows)
		}
		r.Close()
		if rows == 0 {
			b.Fatal("no rows")
		}
	}
}

// BenchmarkCSVStdlib reads the same file with encoding/csv, for comparison.
func BenchmarkCSVStdlib(b *testing.B) {
	p := benchCSV(b, benchSize())
	st, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	defer func() { reportCPU(b, start, st.Size()) }()
	for range b.N {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		cr := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
		rows := 0
		for {
			_, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		f.Close()
	}
}

// BenchmarkParseChunk measures the single-core parse of one chunk (no I/O,
// no pipeline).
func BenchmarkParseChunk(b *testing.B) {
	p := benchCSV(b, 1<<20)
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	hdr := firstBoundary(data)
	text := string(data[hdr:])
	text = text[:lastBoundary(text)]
	r := &csvReader{t: Table{Path: p}, opts: Options{}.withDefaults(), delim: ',', enc: encUTF8,
		cols: make([]string, 10)}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	defer func() { reportCPU(b, start, int64(len(text))) }()
	for range b.N {
		res := r.parseChunk(&csvJob{text: text, line: 2})
		if res.err != nil {
			b.Fatal(res.err)
		}
	}
}
