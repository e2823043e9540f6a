package synth

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/classify"
)

// normalise undoes the corpus's presentation variants: full-width forms,
// spaces, dashes, parentheses, +86 and a lower-case x.
func normalise(v string) string {
	var b strings.Builder
	for _, c := range v {
		if c >= '\uFF01' && c <= '\uFF5E' {
			c = c - '\uFF01' + '!'
		}
		switch c {
		case ' ', '\u3000', '-', '(', ')', '+':
			continue
		}
		b.WriteRune(c)
	}
	return strings.ToUpper(b.String())
}

func TestCorpusShape(t *testing.T) {
	opts := CorpusOptions{ColumnsPerClass: 8, ValuesPerColumn: 50}
	a := Corpus(1, opts)
	if !reflect.DeepEqual(a, Corpus(1, opts)) {
		t.Fatal("same seed, different corpus")
	}
	if reflect.DeepEqual(a, Corpus(2, opts)) {
		t.Fatal("different seeds, same corpus")
	}
	per := map[classify.Class]int{}
	opaque := map[classify.Class]int{}
	for _, c := range a {
		per[c.Want]++
		if len(c.Values) != 50 || c.Name == "" || c.Source == "" {
			t.Fatalf("bad column %q %s: %d values", c.Name, c.Source, len(c.Values))
		}
		if n := strings.TrimLeft(c.Name, "colfieldxatrum列_"); n != "" && strings.Trim(n, "0123456789") == "" {
			opaque[c.Want]++
		}
	}
	for _, k := range positiveKinds {
		if per[k.class] != 8 {
			t.Errorf("%s: %d columns, want 8", k.class, per[k.class])
		}
		if k.opaque && opaque[k.class] == 0 {
			t.Errorf("%s: no opaque column names", k.class)
		}
	}
	if want := (len(decoyKinds) + 1) * 4; per[classify.ClassNone] != want {
		t.Errorf("%d decoy columns, want %d", per[classify.ClassNone], want)
	}
	if got := Corpus(1, CorpusOptions{ColumnsPerClass: 2, ValuesPerColumn: 5, Classes: []classify.Class{classify.ClassIBAN}}); got[0].Want != classify.ClassIBAN || got[2].Want != classify.ClassNone {
		t.Error("Classes filter ignored")
	}
}

// TestCorpusValidity checks that the positive columns of checksum-bearing
// classes are valid apart from the noise, and that their decoys are not.
func TestCorpusValidity(t *testing.T) {
	check := map[classify.Class]func(string) bool{
		classify.ClassCNResidentID: residentIDValid,
		classify.ClassBankCard:     classify.LuhnValid,
		classify.ClassIBAN:         classify.IBANValid,
		classify.ClassHKID:         hkidValid,
		classify.ClassCNUSCC: func(s string) bool {
			c, ok := classify.USCCCheckChar(s[:min(17, len(s))])
			return ok && len(s) == 18 && c == s[17]
		},
	}
	decoy := map[string]func(string) bool{
		"decoy/order_lookalike_id": residentIDValid,
		"decoy/order_timestamp18":  residentIDValid,
		"decoy/luhn_fail16":        classify.LuhnValid,
		"decoy/bad_hkid":           hkidValid,
	}
	const noise = 0.05
	for _, c := range Corpus(3, CorpusOptions{ColumnsPerClass: 12, ValuesPerColumn: 200, NoiseRate: noise}) {
		if f := check[c.Want]; f != nil {
			bad := 0
			for _, v := range c.Values {
				if !f(normalise(v)) {
					bad++
				}
			}
			if float64(bad) > 2.5*noise*float64(len(c.Values)) {
				t.Errorf("%s (%s): %d of %d values invalid", c.Name, c.Source, bad, len(c.Values))
			}
		}
		if f := decoy[c.Source]; f != nil {
			for _, v := range c.Values {
				// Noise halves some values; only full-length ones must fail.
				if len(v) >= 12 && f(normalise(v)) {
					t.Errorf("%s: decoy value %q is valid", c.Source, v)
				}
			}
		}
		if c.Source == "decoy/free_text" && len(c.Embedded) == 0 {
			t.Errorf("free-text column %q without embedded labels", c.Name)
		}
	}
}

func TestEvaluate(t *testing.T) {
	cols := Corpus(5, CorpusOptions{ColumnsPerClass: 4, ValuesPerColumn: 20})
	want := map[string]classify.Class{}
	for _, c := range cols {
		want[c.Name+"\x00"+c.Values[0]+c.Values[1]] = c.Want
	}
	oracle := func(name string, values []string) classify.Class { return want[name+"\x00"+values[0]+values[1]] }
	rep := Evaluate(context.Background(), cols, oracle)
	if rep.Micro != (Score{1, 1, 1}) || rep.Macro != (Score{1, 1, 1}) || rep.Structured != (Score{1, 1, 1}) || len(rep.Confusions) != 0 {
		t.Fatalf("oracle scored %+v %+v %+v, %d confusions", rep.Micro, rep.Macro, rep.Structured, len(rep.Confusions))
	}

	// A classifier that calls every mobile column a phone column.
	mixup := func(name string, values []string) classify.Class {
		if c := oracle(name, values); c != classify.ClassCNMobile {
			return c
		}
		return classify.ClassPhone
	}
	rep = Evaluate(context.Background(), cols, mixup)
	for _, q := range rep.Classes {
		switch q.Class {
		case classify.ClassCNMobile:
			if q.Recall != 0 || q.Predicted != 0 {
				t.Errorf("cn_mobile: %+v", q)
			}
		case classify.ClassPhone:
			if q.Precision != 0.5 || q.Recall != 1 {
				t.Errorf("phone: %+v", q)
			}
		}
	}
	if len(rep.Confusions) == 0 || rep.Confusions[0].Want != classify.ClassCNMobile || rep.Confusions[0].Got != classify.ClassPhone {
		t.Fatalf("confusions %+v", rep.Confusions)
	}
	for _, e := range rep.Confusions[0].Examples {
		if !strings.Contains(e, "*") {
			t.Errorf("example %q not masked", e)
		}
	}
	md := rep.Markdown()
	for _, s := range []string{"| class |", "| cn_mobile |", "structured classes (micro)", "| cn_mobile | phone |"} {
		if !strings.Contains(md, s) {
			t.Errorf("Markdown lacks %q:\n%s", s, md)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if rep := Evaluate(ctx, cols, oracle); !rep.Incomplete || rep.Columns != 0 {
		t.Error("cancelled evaluation not marked incomplete")
	}
}

func TestMaskValue(t *testing.T) {
	for in, want := range map[string]string{
		"110101199003071234": "11**************34",
		"13812345678":        "13*******78",
		"张三":                 "**",
		"王小明":                "王*明",
		"a@b.cn":             "a@*.*n",
	} {
		if got := maskValue(in); got != want {
			t.Errorf("maskValue(%q) = %q, want %q", in, got, want)
		}
	}
}
