package classify

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// Synthetic data for pipeline tests and benchmarks. Valid identifiers are
// built with the check-digit functions of checksum.go.

var genRegions = []string{"110105", "310104", "440305", "330106", "510107", "420106", "320102", "370202"}
var genSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
var genGiven = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华")

type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (g *gen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}

// residentID returns a valid 18-character ID born in year y (0: 1950–2005).
func (g *gen) residentIDBorn(y int) string {
	if y == 0 {
		y = 1950 + g.r.IntN(56)
	}
	m, d := 1+g.r.IntN(12), 1+g.r.IntN(28)
	first := fmt.Sprintf("%s%04d%02d%02d%03d", genRegions[g.r.IntN(len(genRegions))], y, m, d, g.r.IntN(1000))
	c, _ := ResidentIDCheckChar(first)
	return first + string(c)
}

func (g *gen) residentID() string { return g.residentIDBorn(0) }

func (g *gen) mobile() string {
	return "1" + string(byte('3'+g.r.IntN(7))) + g.digits(9)
}

func (g *gen) bankCard() string {
	p := "62" + g.digits(14)
	c, _ := LuhnCheckDigit(p)
	return p + string(c)
}

func (g *gen) email() string {
	return fmt.Sprintf("u%d@example%d.cn", g.r.IntN(10_000_000), g.r.IntN(50))
}

func (g *gen) name() string {
	n := []rune{genSurnames[g.r.IntN(len(genSurnames))], genGiven[g.r.IntN(len(genGiven))]}
	if g.r.IntN(2) == 0 {
		n = append(n, genGiven[g.r.IntN(len(genGiven))])
	}
	return string(n)
}

func (g *gen) address() string {
	if g.r.IntN(2) == 0 {
		return fmt.Sprintf("北京市朝阳区建国路%d号", 1+g.r.IntN(300))
	}
	return fmt.Sprintf("深圳市南山区科技园路%d号%d室", 1+g.r.IntN(300), 100+g.r.IntN(900))
}

// orderNo is an 18-digit order number: a lookalike of the resident ID.
func (g *gen) orderNo() string { return "2026" + g.digits(14) }

// remark is free text: mostly short notes, some with a phone number or an
// e-mail address in them.
func (g *gen) remark() string {
	switch g.r.IntN(10) {
	case 0:
		return "客户来电改约 回拨" + g.mobile()
	case 1:
		return "please contact " + g.email()
	case 2, 3, 4:
		return ""
	}
	return "已发货 请查收 谢谢"
}

var benchHeader = []string{"身份证号", "手机号", "银行卡号", "email", "姓名", "地址", "amount", "备注", "order_no", "channel"}

var benchChannels = []string{"app", "web", "mini", "store"}

// writeBenchCSV writes rows of the 10-column benchmark table; persons
// repeats identities so that distinct counts are below rows.
func writeBenchCSV(w io.Writer, rows int, seed uint64) error {
	g := newGen(seed)
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintln(bw, joinCSV(benchHeader))
	for i := 0; i < rows; i++ {
		fmt.Fprintf(bw, "%s,%s,%s,%s,%s,%s,%d.%02d,%s,%s,%s\n",
			g.residentID(), g.mobile(), g.bankCard(), g.email(), g.name(), g.address(),
			g.r.IntN(100000), g.r.IntN(100), g.remark(), g.orderNo(), benchChannels[g.r.IntN(4)])
	}
	return bw.Flush()
}

func joinCSV(f []string) string {
	s := ""
	for i, x := range f {
		if i > 0 {
			s += ","
		}
		s += x
	}
	return s
}

func writeTemp(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
