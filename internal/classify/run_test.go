package classify

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/tabular"
)

var testRef = time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)

// memReader is an in-memory tabular.Reader.
type memReader struct {
	cols  []string
	rows  [][]string
	batch int
	pos   int
	err   error // returned after the rows instead of io.EOF
}

func (m *memReader) Columns() []string { return m.cols }
func (m *memReader) Next(ctx context.Context) (*tabular.Batch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m.pos >= len(m.rows) {
		if m.err != nil {
			return nil, m.err
		}
		return nil, io.EOF
	}
	end := min(m.pos+m.batch, len(m.rows))
	b := &tabular.Batch{FirstLine: int64(m.pos + 2), Rows: m.rows[m.pos:end]}
	m.pos = end
	return b, nil
}
func (m *memReader) BytesRead() int64 { return int64(m.pos) }
func (m *memReader) Close() error     { return nil }

func memTable(name string, cols []string, rows [][]string) tableSource {
	return tableSource{name: name, path: name, format: "mem", size: int64(len(rows)),
		open: func(context.Context) (tabular.Reader, error) {
			return &memReader{cols: cols, rows: rows, batch: 97}, nil
		}}
}

func runMem(t *testing.T, o Options, tables ...tableSource) *Profile {
	t.Helper()
	p, err := run(context.Background(), tables, o.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// people builds n distinct persons: resident ID, mobile, name, bank card
// (every third person has one), birth year (every tenth is a child).
type person struct{ id, mobile, name, card, email string }

func people(n int, seed uint64) []person {
	g := newGen(seed)
	ps := make([]person, n)
	for i := range ps {
		y := 0
		if i%10 == 0 {
			y = 2016 // 10 years old on testRef
		}
		ps[i] = person{id: g.residentIDBorn(y), mobile: g.mobile(), name: g.name(), email: g.email()}
		if i%3 == 0 {
			ps[i].card = g.bankCard()
		}
	}
	return ps
}

func TestRunCountsExactly(t *testing.T) {
	ps := people(3000, 11)
	cols := []string{"身份证号", "手机", "姓名", "银行卡号", "amount"}
	var rows [][]string
	r := rand.New(rand.NewPCG(1, 2))
	// Every person appears 1–3 times, in random order.
	for i, p := range ps {
		for k := 0; k <= i%3; k++ {
			rows = append(rows, []string{p.id, p.mobile, p.name, p.card, "12.50"})
		}
	}
	r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	var sens, minors int64
	for i, p := range ps {
		if p.card != "" || i%10 == 0 {
			sens++
		}
		if i%10 == 0 {
			minors++
		}
	}
	for _, budget := range []int64{0, 1 << 10} { // default, and a tiny one that spills
		p := runMem(t, Options{RefDate: testRef, MemoryBudget: budget, SampleSize: 200}, memTable("t", cols, rows))
		if p.Rows != int64(len(rows)) || p.Individuals != int64(len(ps)) || p.SensitiveIndividuals != sens || p.Minors != minors {
			t.Errorf("budget %d: rows %d individuals %d sensitive %d minors %d; want %d %d %d %d",
				budget, p.Rows, p.Individuals, p.SensitiveIndividuals, p.Minors, len(rows), len(ps), sens, minors)
		}
		if p.IdentityKey != string(ClassCNResidentID) {
			t.Errorf("identity key %q", p.IdentityKey)
		}
		if got := p.USBulk[USPersonalFinancial]; got != int64(len(ps)+2)/3 {
			t.Errorf("personal_financial %d", got)
		}
		// ID + name: a government ID linked to a name is covered.
		if got := p.USBulk[USCoveredIdentifiers]; got != int64(len(ps)) {
			t.Errorf("covered_identifiers %d", got)
		}
	}
}

func TestRunCrossFileDedup(t *testing.T) {
	ps := people(1000, 12)
	var a, b [][]string
	for i, p := range ps[:700] {
		a = append(a, []string{p.id, p.name, "x"})
		_ = i
	}
	for _, p := range ps[400:] {
		// Same persons, other column order, lower-case x, spaces.
		b = append(b, []string{p.mobile, " " + strings.ToLower(p.id) + " ", p.card})
	}
	p := runMem(t, Options{RefDate: testRef},
		memTable("a", []string{"身份证号", "姓名", "note"}, a),
		memTable("b", []string{"手机", "证件号码", "卡号"}, b))
	if p.Individuals != 1000 {
		t.Errorf("individuals %d, want 1000", p.Individuals)
	}
	var sens int64
	for i, q := range ps {
		if q.card != "" && i >= 400 || i%10 == 0 {
			sens++
		}
	}
	if p.SensitiveIndividuals != sens {
		t.Errorf("sensitive %d, want %d", p.SensitiveIndividuals, sens)
	}
	if len(p.Tables) != 2 || p.Rows != 1300 {
		t.Errorf("tables %d rows %d", len(p.Tables), p.Rows)
	}
}

func TestRunMixedIdentifiersWarns(t *testing.T) {
	ps := people(100, 13)
	var a, b [][]string
	for _, p := range ps {
		a = append(a, []string{p.id})
		b = append(b, []string{p.mobile})
	}
	p := runMem(t, Options{RefDate: testRef}, memTable("a", []string{"身份证号"}, a), memTable("b", []string{"手机"}, b))
	if p.Individuals != 200 || len(p.Warnings) == 0 || p.IdentityKey != "cn_mobile+cn_resident_id" {
		t.Errorf("individuals %d identity %q warnings %q", p.Individuals, p.IdentityKey, p.Warnings)
	}
}

func TestRunIdentityKey(t *testing.T) {
	a := [][]string{{"u1", "张三", "4111111111111111"}, {"u2", "李四", ""}, {"u1", "张三", ""}, {"", "王五", ""}}
	b := [][]string{{"13812345678", "u2"}, {"13912345678", "u3"}}
	p := runMem(t, Options{RefDate: testRef, IdentityKey: "user_id"},
		memTable("a", []string{"user_id", "姓名", "card"}, a),
		memTable("b", []string{"手机", "user_id"}, b))
	if p.Individuals != 3 || p.SensitiveIndividuals != 1 || p.IdentityKey != "user_id" {
		t.Errorf("individuals %d sensitive %d key %q", p.Individuals, p.SensitiveIndividuals, p.IdentityKey)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "1 rows have an empty identity key") {
		t.Errorf("warnings %q", p.Warnings)
	}
	_, err := run(context.Background(), []tableSource{memTable("c", []string{"手机"}, b)}, Options{IdentityKey: "user_id"}.withDefaults())
	if err == nil || !strings.Contains(err.Error(), `identity key "user_id"`) {
		t.Errorf("missing key: %v", err)
	}
}

func TestRunMinorsFromAge(t *testing.T) {
	rows := [][]string{{"张三", "13812345678", "8"}, {"李四", "13912345678", "30"}, {"王五", "13712345678", "13"}}
	p := runMem(t, Options{RefDate: testRef}, memTable("k", []string{"姓名", "手机", "年龄"}, rows))
	if p.Minors != 2 || p.SensitiveIndividuals != 2 || p.Individuals != 3 {
		t.Errorf("minors %d sensitive %d individuals %d", p.Minors, p.SensitiveIndividuals, p.Individuals)
	}
	if f := p.Fields[2]; f.Class != ClassMinor || !f.Sensitive {
		t.Errorf("age field %+v", f)
	}
}

func TestRunCompositeIdentity(t *testing.T) {
	rows := [][]string{{"张三", "北京市朝阳区建国路1号"}, {"张三", "北京市朝阳区建国路1号"}, {"李四", "上海市浦东新区世纪大道2号"}, {"", ""}}
	p := runMem(t, Options{RefDate: testRef}, memTable("n", []string{"姓名", "地址"}, rows))
	if p.Individuals != 2 || p.IdentityKey != "composite" || len(p.Warnings) != 1 {
		t.Errorf("individuals %d key %q warnings %q", p.Individuals, p.IdentityKey, p.Warnings)
	}
}

func TestRunNoPersonalData(t *testing.T) {
	rows := [][]string{{"SKU-1", "3.50"}, {"SKU-2", "4.00"}}
	p := runMem(t, Options{RefDate: testRef}, memTable("p", []string{"sku", "price"}, rows))
	if p.Individuals != 0 || p.Rows != 2 || p.IdentityKey != "" {
		t.Errorf("%+v", p)
	}
}

func TestRunReaderError(t *testing.T) {
	boom := errors.New("boom")
	src := memTable("e", []string{"手机"}, [][]string{{"13812345678"}})
	src.open = func(context.Context) (tabular.Reader, error) {
		return &memReader{cols: []string{"手机"}, rows: make([][]string, 5000), batch: 10, err: boom}, nil
	}
	_, err := run(context.Background(), []tableSource{src}, Options{}.withDefaults())
	if !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}

func TestRunCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := run(ctx, []tableSource{memTable("c", []string{"手机"}, [][]string{{"13812345678"}})}, Options{}.withDefaults())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestRunFilesAndProgress(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.csv")
	f, err := os.Create(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeBenchCSV(f, 3000, 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var last, total int64
	p, err := Run(context.Background(), []string{a, a}, Options{RefDate: testRef, Progress: func(d, tot int64) { last, total = d, tot }})
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows != 6000 || p.Individuals != 3000 || len(p.Fields) != 20 {
		t.Errorf("rows %d individuals %d fields %d", p.Rows, p.Individuals, len(p.Fields))
	}
	if last != total || total == 0 {
		t.Errorf("progress %d/%d", last, total)
	}
	remark := p.Fields[7]
	if remark.Class != ClassNone || remark.Embedded[ClassCNMobile] == 0 || remark.Embedded[ClassEmail] == 0 || !remark.Personal {
		t.Errorf("remark %+v", remark)
	}
	// No raw value anywhere in the profile.
	for _, fl := range p.Fields {
		if fl.Example != "" && !strings.Contains(fl.Example, "*") {
			t.Errorf("unmasked example %q in %s", fl.Example, fl.Name)
		}
	}
	if _, err := Run(context.Background(), []string{filepath.Join(dir, "missing.csv")}, Options{}); err == nil {
		t.Error("missing file: no error")
	}
}

func TestRunFallbackIdentity(t *testing.T) {
	id := residentIDFor("110105", "19800101")
	rows := [][]string{{id, "张三"}, {"", "李四"}, {"", "李四"}, {"not an id", "王五"}}
	for i := 0; i < 20; i++ {
		rows = append(rows, []string{residentIDFor("110105", "1980010"+string(rune('1'+i%9))), "赵六"})
	}
	p := runMem(t, Options{RefDate: testRef}, memTable("f", []string{"身份证号", "姓名"}, rows))
	// 9 distinct IDs (birth days 1–9 January; the first row's ID is one of
	// them), then 李四 and 王五 by their names: 11.
	if p.Individuals != 9+2 || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "3 rows had no valid identifier") {
		t.Errorf("individuals %d warnings %q", p.Individuals, p.Warnings)
	}
}

// hideRelease wraps a reader so that it does not implement
// tabular.Releaser: the pipeline then never hands batches back.
type hideRelease struct{ tabular.Reader }

// TestRunBatchReuseSameProfile profiles the same CSV with batches handed
// back to the reader for reuse (tabular.Releaser) and without: the
// profiles must be identical.
func TestRunBatchReuseSameProfile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeBenchCSV(f, 30000, 3); err != nil {
		t.Fatal(err)
	}
	f.Close()
	o := Options{RefDate: testRef, Workers: 3, Tabular: tabular.Options{BatchRows: 64, Workers: 2}}.withDefaults()
	tables, err := tabular.Discover(context.Background(), p, o.Tabular)
	if err != nil {
		t.Fatal(err)
	}
	src := func(hide bool) tableSource {
		return tableSource{name: "t.csv", path: p, format: "csv", size: tables[0].Size,
			open: func(ctx context.Context) (tabular.Reader, error) {
				rd, err := tabular.Open(ctx, tables[0], o.Tabular)
				if err != nil || !hide {
					if _, ok := rd.(tabular.Releaser); !ok && err == nil {
						t.Error("CSV reader does not implement tabular.Releaser")
					}
					return rd, err
				}
				return hideRelease{rd}, nil
			}}
	}
	with, err := run(context.Background(), []tableSource{src(false)}, o)
	if err != nil {
		t.Fatal(err)
	}
	without, err := run(context.Background(), []tableSource{src(true)}, o)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(with, without) {
		t.Errorf("profiles differ with batch reuse:\n%+v\nwithout:\n%+v", with, without)
	}
	if with.Rows != 30000 || with.Individuals == 0 {
		t.Errorf("rows %d, individuals %d", with.Rows, with.Individuals)
	}
}
