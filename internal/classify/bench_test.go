package classify

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkRun profiles the 10-column benchmark table (resident ID, mobile,
// bank card, e-mail, name, address, amount, free text, lookalike order
// numbers, channel code). XBORDER_BENCH_ROWS sets the rows (default
// 1,000,000, ~140 MB; 10,000,000 gives the ~1.4 GB acceptance-size file). Run with -cpu 2
// for the 2-core figure. XBORDER_BENCH_FILE names a file to reuse (written
// when missing).
func BenchmarkRun(b *testing.B) {
	rows := 1_000_000
	if s := os.Getenv("XBORDER_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		rows = n
	}
	path := os.Getenv("XBORDER_BENCH_FILE") // reuse a file written by an earlier run
	if _, err := os.Stat(path); path == "" || err != nil {
		if path == "" {
			path = filepath.Join(b.TempDir(), "bench.csv")
		}
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := writeBenchCSV(f, rows, 7); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := Run(context.Background(), []string{path}, Options{RefDate: testRef})
		if err != nil {
			b.Fatal(err)
		}
		if os.Getenv("XBORDER_BENCH_FILE") == "" && p.Rows != int64(rows) {
			b.Fatalf("rows = %d", p.Rows)
		}
	}
}

// BenchmarkValidators measures each validator over 10,000 typical values
// (decoys included) per iteration, so that -benchtime 3x still measures.
func BenchmarkValidators(b *testing.B) {
	g := newGen(9)
	const n = 10_000
	many := func(f func() string) []string {
		v := make([]string, n)
		for i := range v {
			v[i] = f()
		}
		return v
	}
	cycle := func(vals ...string) []string {
		i := 0
		return many(func() string { i++; return vals[i%len(vals)] })
	}
	cases := []struct {
		name string
		fn   func(string, *colEnv) match
		vals []string
	}{
		{"residentID", residentID, many(func() string {
			if g.r.IntN(4) == 0 {
				return g.orderNo()
			}
			return g.residentID()
		})},
		{"cnMobile", cnMobile, many(g.mobile)},
		{"phone", phone, cycle("0755-12345678", "+852 9123 4567", "13812345678")},
		{"bankCard", bankCard, many(func() string {
			if g.r.IntN(4) == 0 {
				return g.digits(16)
			}
			return g.bankCard()
		})},
		{"uscc", uscc, cycle("91110000600037341L", "91110000600037341M")},
		{"email", email, many(g.email)},
		{"ipAddress", ipAddress, cycle("192.168.10.1", "2001:db8::1", "10.0.0.254")},
		{"geo", geo, cycle("39.9042,116.4074", "(22.543, 114.057)")},
		{"passport", passport, cycle("E12345678", "EA1234567", "G87654321")},
		{"hkid", hkid, cycle("D288754(2)", "D2887542")},
		{"iban", iban, cycle("GB82WEST12345698765432", "DE89370400440532013000")},
		{"usSSN", usSSN, cycle("536-90-4399", "078-05-1120")},
		{"birthDate", birthDate, cycle("1990-05-17", "1990年5月17日", "19900517")},
		{"personName", personName, many(g.name)},
		{"address", address, many(g.address)},
		{"scanEmbedded", func(v string, e *colEnv) match { scanEmbedded(v, e); return noMatch }, many(g.remark)},
	}
	env := colEnv{ref: 20260415}
	for _, c := range cases {
		size := 0
		for _, v := range c.vals {
			size += len(v)
		}
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				for _, v := range c.vals {
					c.fn(v, &env)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/value")
		})
	}
}

// BenchmarkClassifyRows measures the per-row work of the full pass (all
// columns validated, identity hashed) without the reader.
func BenchmarkClassifyRows(b *testing.B) {
	g := newGen(4)
	rows := make([][]string, 4096)
	bytes := 0
	for i := range rows {
		rows[i] = []string{g.residentID(), g.mobile(), g.bankCard(), g.email(), g.name(), g.address(),
			"123.45", g.remark(), g.orderNo(), "app"}
		for _, v := range rows[i] {
			bytes += len(v) + 1
		}
	}
	tp := &tablePlan{keyIdx: -1, key: sipKey{1, 2}}
	for c, name := range benchHeader {
		env := colEnv{ref: 20260415, hints: nameHints(name)}
		var s sampler
		for _, r := range rows[:1000] {
			s.add(r[c], &env)
		}
		tp.cols = append(tp.cols, decide("t", name, c, env, &s))
	}
	tp.build()
	counts := make([]colCount, len(tp.cols))
	st := newRowState(len(tp.cols))
	var rk rowKeys
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rk = tp.batch(rows, counts, st, rk)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
}
