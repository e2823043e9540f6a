package synth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/xborder/xborder/internal/classify"
)

// PresetBenchmark is the ten-column customer-order table of the benchmark
// and the example data set; see [WriteCSV].
const PresetBenchmark = "benchmark"

// DefaultRepeatRatio is the share of rows that repeat an earlier individual
// when [CSVOptions].RepeatRatio is zero.
const DefaultRepeatRatio = 0.2

// CSVOptions configures [WriteCSV]. The zero value writes 1,000 UTF-8 rows of
// the benchmark preset with seed 0.
type CSVOptions struct {
	Seed uint64
	// Rows is the number of data rows. When zero, TargetBytes decides; when
	// both are zero, 1,000 rows are written.
	Rows int64
	// TargetBytes stops after the first row that brings the output (header
	// and BOM included, in the chosen encoding) to at least this size.
	TargetBytes int64
	// Encoding is "utf-8" (the default, also "") or "gb18030".
	Encoding string
	// BOM writes U+FEFF first, encoded in Encoding.
	BOM bool
	// Columns names the column preset; "" means PresetBenchmark, the only
	// one so far.
	Columns string
	// RepeatRatio is the share of rows, in [0, 1), that belong to an
	// individual already written; the rest each introduce a new individual.
	// Zero means DefaultRepeatRatio; a negative value means no repetition.
	RepeatRatio float64
}

// ColumnStats is the truth about one generated column.
type ColumnStats struct {
	Name      string         `json:"name"`
	Class     classify.Class `json:"class"` // what a perfect classifier reports for it
	Personal  bool           `json:"personal"`
	Sensitive bool           `json:"sensitive"` // sensitive PI (PIPL art 28; GB/T 45574-2025)
	Values    int64          `json:"values"`    // non-empty values written
	// Embedded counts the values of a free-text column that carry an
	// identifier of the class.
	Embedded map[classify.Class]int64 `json:"embedded,omitempty"`
}

// Stats is the truth about a generated file.
type Stats struct {
	Rows  int64 `json:"rows"`  // data rows, header excluded
	Bytes int64 `json:"bytes"` // bytes written to w, BOM and header included
	// Individuals is the number of distinct persons, which equals the number
	// of distinct resident identity numbers and of mobile numbers (both are
	// bijections of the person's index, so this holds up to 4.4 billion
	// persons).
	Individuals int64 `json:"individuals"`
	// SensitiveIndividuals counts the persons with at least one valid
	// sensitive value (a Luhn-valid bank card or a diagnosis) in any of
	// their rows.
	SensitiveIndividuals int64         `json:"sensitive_individuals"`
	Columns              []ColumnStats `json:"columns"`
}

// benchmarkColumns is the layout of PresetBenchmark, in file order.
var benchmarkColumns = [...]struct {
	Name      string
	Class     classify.Class
	Personal  bool
	Sensitive bool
}{
	{"订单号", classify.ClassNone, false, false},
	{"姓名", classify.ClassPersonName, true, false},
	{"身份证号", classify.ClassCNResidentID, true, false},
	{"手机号", classify.ClassCNMobile, true, false},
	{"邮箱", classify.ClassEmail, true, false},
	{"地址", classify.ClassAddress, true, false},
	{"银行卡号", classify.ClassBankCard, true, true},
	{"诊断", classify.ClassHealth, true, true},
	{"金额", classify.ClassNone, false, false},
	{"备注", classify.ClassNone, false, false},
}

const (
	colOrder = iota
	colName
	colID
	colMobile
	colEmail
	colAddress
	colCard
	colHealth
	colAmount
	colRemark
	numCols
)

// person is one synthetic individual, regenerated from its index whenever it
// appears, so that repetition needs no memory.
type person struct {
	region int
	days   int64
	seq    int
	prefix int // index into mobilePrefixes
	suffix int
	name   cnName
	addrRg int  // region of the address
	email  bool // has an e-mail address
	card   bool // has a bank card
	health int  // index into diagnoses, -1 for none
}

func (p *person) sensitive() bool { return p.card || p.health >= 0 }

// bijection maps [0, n) onto itself as x → (a·x + b) mod n with gcd(a, n) = 1,
// so that distinct person indices get distinct identifiers.
type bijection struct{ a, b, n uint64 }

func newBijection(r *rand.Rand, n uint64) bijection {
	a := r.Uint64N(n-1) + 1
	for gcd(a, n) != 1 {
		a = a%(n-1) + 1
	}
	return bijection{a, r.Uint64N(n), n}
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func (f bijection) at(x uint64) uint64 {
	hi, lo := bits.Mul64(x%f.n, f.a)
	_, rem := bits.Div64(hi, lo, f.n)
	rem += f.b
	if rem >= f.n || rem < f.b {
		rem -= f.n
	}
	return rem
}

// generator holds one run's state; nothing is shared between runs.
type generator struct {
	seed    uint64
	rows    *rand.Rand // row-level draws
	pcg     *rand.PCG  // reseeded per person
	pr      *rand.Rand
	ids     bijection // person → (region, birth day, sequence)
	mobiles bijection // person → (prefix, suffix)
	days    int64     // birth days in range
}

func newGenerator(seed uint64) *generator {
	g := &generator{seed: seed, pcg: rand.NewPCG(0, 0), days: day2006 - day1940}
	g.pr = rand.New(g.pcg)
	setup := rand.New(rand.NewPCG(seed, 0x5eed_5e70))
	g.ids = newBijection(setup, uint64(len(regions))*uint64(g.days)*1000)
	g.mobiles = newBijection(setup, uint64(len(mobilePrefixes))*100_000_000)
	g.rows = rand.New(rand.NewPCG(seed, 0x0005_0a11_0005))
	return g
}

// person regenerates individual i.
func (g *generator) person(i uint64, p *person) {
	g.pcg.Seed(g.seed^0x9e3779b97f4a7c15, i)
	r := g.pr
	x := g.ids.at(i)
	p.region = int(x % uint64(len(regions)))
	x /= uint64(len(regions))
	p.days = day1940 + int64(x%uint64(g.days))
	p.seq = int(x / uint64(g.days))
	m := g.mobiles.at(i)
	p.prefix = int(m / 100_000_000)
	p.suffix = int(m % 100_000_000)
	p.name = newCNName(r)
	p.addrRg = p.region
	if r.IntN(10) < 3 {
		p.addrRg = r.IntN(len(regions))
	}
	p.email = r.IntN(10) < 7
	p.card = r.IntN(10) < 4
	p.health = -1
	if r.IntN(10) == 0 {
		p.health = r.IntN(len(diagnoses))
	}
}

// WriteCSV writes a synthetic customer-order table to w and returns the
// truth about it. The output depends only on opts: the same options give
// byte-identical files.
//
// The benchmark preset has ten columns: 订单号 (18-digit order numbers that
// fail the resident-ID check), 姓名, 身份证号, 手机号, 邮箱 (70% of persons),
// 地址, 银行卡号 (40% of persons; Luhn-valid UnionPay), 诊断 (10% of persons;
// Chinese, ICD-10 or English), 金额 and 备注 (remarks, some embedding the
// person's own mobile or resident ID). Persons are adults born 1940–2005.
// A repeated person always carries the same identifiers; a sensitive value
// is always present in the person's first row and in half of the later
// ones.
func WriteCSV(w io.Writer, opts CSVOptions) (Stats, error) {
	if opts.Columns != "" && opts.Columns != PresetBenchmark {
		return Stats{}, fmt.Errorf("synth: unknown column preset %q (want %q)", opts.Columns, PresetBenchmark)
	}
	var enc transform.Transformer
	switch opts.Encoding {
	case "", "utf-8", "utf8", "UTF-8":
	case "gb18030", "GB18030":
		enc = simplifiedchinese.GB18030.NewEncoder()
	default:
		return Stats{}, fmt.Errorf("synth: unknown encoding %q (want utf-8 or gb18030)", opts.Encoding)
	}
	repeat := opts.RepeatRatio
	switch {
	case repeat == 0:
		repeat = DefaultRepeatRatio
	case repeat < 0:
		repeat = 0
	case repeat >= 1:
		return Stats{}, fmt.Errorf("synth: repeat ratio %v not below 1", repeat)
	}
	if opts.Rows < 0 || opts.TargetBytes < 0 {
		return Stats{}, errors.New("synth: negative Rows or TargetBytes")
	}
	rows := opts.Rows
	if rows == 0 && opts.TargetBytes == 0 {
		rows = 1000
	}

	st := Stats{Columns: make([]ColumnStats, numCols)}
	for i, c := range benchmarkColumns {
		st.Columns[i] = ColumnStats{Name: c.Name, Class: c.Class, Personal: c.Personal, Sensitive: c.Sensitive}
	}
	st.Columns[colRemark].Embedded = map[classify.Class]int64{}

	bw := bufio.NewWriterSize(w, 1<<16)
	var encBuf []byte
	emit := func(b []byte) error {
		if enc != nil {
			if need := 4*len(b) + 16; cap(encBuf) < need {
				encBuf = make([]byte, need)
			}
			enc.Reset()
			n, _, err := enc.Transform(encBuf[:cap(encBuf)], b, true)
			if err != nil {
				return fmt.Errorf("synth: encoding: %w", err)
			}
			b = encBuf[:n]
		}
		st.Bytes += int64(len(b))
		_, err := bw.Write(b)
		return err
	}

	row := make([]byte, 0, 512)
	if opts.BOM {
		row = append(row, "\uFEFF"...)
	}
	for i, c := range benchmarkColumns {
		if i > 0 {
			row = append(row, ',')
		}
		row = append(row, c.Name...)
	}
	row = append(row, '\n')
	if err := emit(row); err != nil {
		return st, err
	}

	g := newGenerator(opts.Seed)
	r := g.rows
	var p person
	var persons uint64
	var embMobile, embID int64
	for {
		if rows > 0 && st.Rows >= rows || rows == 0 && st.Bytes >= opts.TargetBytes {
			break
		}
		first := persons == 0 || r.Float64() >= repeat
		if first {
			g.person(persons, &p)
			persons++
			if p.sensitive() {
				st.SensitiveIndividuals++
			}
		} else {
			g.person(r.Uint64N(persons), &p)
		}

		row = row[:0]
		row = appendOrderNumber(row, r)
		row = append(row, ',')
		row = p.name.appendTo(row)
		row = append(row, ',')
		idStart := len(row)
		row = appendResidentID(row, p.region, p.days, p.seq)
		id := row[idStart:]
		row = append(row, ',')
		mStart := len(row)
		row = appendMobile(row, p.prefix, p.suffix)
		mobile := row[mStart:]
		row = append(row, ',')
		if p.email {
			row = p.name.appendEmail(row, g.pr)
			st.Columns[colEmail].Values++
		}
		row = append(row, ',')
		row = appendCNAddress(row, g.pr, p.addrRg)
		row = append(row, ',')
		if p.card && (first || r.IntN(2) == 0) {
			row = appendBankCard(row, g.pr)
			st.Columns[colCard].Values++
		}
		row = append(row, ',')
		if p.health >= 0 && (first || r.IntN(2) == 0) {
			row = appendDiagnosis(row, r, p.health)
			st.Columns[colHealth].Values++
		}
		row = append(row, ',')
		row = appendAmount(row, r)
		row = append(row, ',')
		switch x := r.IntN(100); {
		case x < 5:
			row = appendFill(row, remarksZHSlot[r.IntN(len(remarksZHSlot))], mobile)
			embMobile++
		case x < 7:
			row = appendFill(row, remarksIDSlot[r.IntN(len(remarksIDSlot))], id)
			embID++
		case x < 27:
			row = append(row, remarksEN[r.IntN(len(remarksEN))]...)
		default:
			row = append(row, remarksZH[r.IntN(len(remarksZH))]...)
		}
		if row[len(row)-1] != ',' {
			st.Columns[colRemark].Values++
		}
		row = append(row, '\n')
		if err := emit(row); err != nil {
			return st, err
		}
		st.Rows++
	}
	if err := bw.Flush(); err != nil {
		return st, err
	}
	st.Individuals = int64(persons)
	for _, c := range []int{colOrder, colName, colID, colMobile, colAddress, colAmount} {
		st.Columns[c].Values = st.Rows
	}
	st.Columns[colRemark].Embedded[classify.ClassCNMobile] = embMobile
	st.Columns[colRemark].Embedded[classify.ClassCNResidentID] = embID
	return st, nil
}
