package synth

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/xborder/xborder/internal/classify"
)

// ClassQuality is the column-level score of one class.
type ClassQuality struct {
	Class      classify.Class
	Structured bool // the ≥ 0.99 P / ≥ 0.98 R target applies
	Support    int  // columns whose Want is Class
	Predicted  int  // columns the classifier put in Class
	Correct    int  // columns in both
	Precision  float64
	Recall     float64
	F1         float64
}

// Score is a precision / recall / F1 triple.
type Score struct{ Precision, Recall, F1 float64 }

// Confusion groups misclassified columns of one generator variant.
type Confusion struct {
	Source   string // generator/variant of the columns, e.g. "cn_mobile/+86"
	Want     classify.Class
	Got      classify.Class
	Columns  int
	Names    []string // column names, up to five
	Examples []string // masked sample values, up to three
}

// QualityReport is the outcome of [Evaluate].
type QualityReport struct {
	Columns int
	// Classes has one entry per class with support or predictions, ClassNone
	// last; the positive classes are in corpus order.
	Classes []ClassQuality
	// Micro and Macro average over the positive (non-none) classes;
	// Structured is the micro average over the structured classes.
	Micro, Macro, Structured Score
	Decoys                   int // columns whose Want is ClassNone
	DecoyFalsePositives      int // of them, columns classified as a PI class
	Confusions               []Confusion
	// Incomplete is set when the context ended before every column was
	// classified; the scores cover the columns done.
	Incomplete bool
}

// Evaluate classifies every column with classifyFn and scores the result at
// column level: a column counts as correct when the class returned equals
// Want. It stops early, marking the report Incomplete, when ctx ends.
func Evaluate(ctx context.Context, cols []LabelledColumn, classifyFn func(name string, values []string) classify.Class) QualityReport {
	var rep QualityReport
	type key struct {
		source    string
		want, got string
	}
	conf := map[key]*Confusion{}
	var order []key
	stats := map[string]*ClassQuality{}
	get := func(c string) *ClassQuality {
		q := stats[c]
		if q == nil {
			q = &ClassQuality{}
			stats[c] = q
		}
		return q
	}
	for _, col := range cols {
		if ctx.Err() != nil {
			rep.Incomplete = true
			break
		}
		got := classifyFn(col.Name, col.Values)
		if got == "" {
			got = classify.ClassNone
		}
		rep.Columns++
		get(string(col.Want)).Support++
		get(string(got)).Predicted++
		if col.Want == classify.ClassNone {
			rep.Decoys++
			if got != classify.ClassNone {
				rep.DecoyFalsePositives++
			}
		}
		if got == col.Want {
			get(string(got)).Correct++
			continue
		}
		k := key{col.Source, string(col.Want), string(got)}
		c := conf[k]
		if c == nil {
			c = &Confusion{Source: col.Source, Want: col.Want, Got: got}
			conf[k] = c
			order = append(order, k)
		}
		c.Columns++
		if len(c.Names) < 5 && !slices.Contains(c.Names, col.Name) {
			c.Names = append(c.Names, col.Name)
		}
		for _, v := range col.Values {
			if len(c.Examples) >= 3 {
				break
			}
			if t := strings.TrimSpace(v); t != "" && !slices.Contains(placeholders, t) {
				if m := maskValue(v); !slices.Contains(c.Examples, m) {
					c.Examples = append(c.Examples, m)
				}
			}
		}
	}
	for _, k := range order {
		rep.Confusions = append(rep.Confusions, *conf[k])
	}

	// Class order: the corpus's positive classes, then any others
	// predicted, then none.
	var classes []string
	for _, k := range positiveKinds {
		classes = append(classes, string(k.class))
	}
	var extra []string
	for c := range stats {
		if !slices.Contains(classes, c) && c != "none" {
			extra = append(extra, c)
		}
	}
	slices.Sort(extra)
	classes = append(append(classes, extra...), "none")

	var all, structured struct{ support, predicted, correct int }
	var macroP, macroR float64
	macroN := 0
	for _, c := range classes {
		q := stats[c]
		if q == nil {
			continue
		}
		q.Class = classify.Class(c)
		q.Structured = Structured(q.Class)
		q.Precision, q.Recall, q.F1 = prf(q.Correct, q.Predicted, q.Support)
		rep.Classes = append(rep.Classes, *q)
		if c == "none" {
			continue
		}
		all.support += q.Support
		all.predicted += q.Predicted
		all.correct += q.Correct
		if q.Structured {
			structured.support += q.Support
			structured.predicted += q.Predicted
			structured.correct += q.Correct
		}
		if q.Support > 0 {
			macroP += q.Precision
			macroR += q.Recall
			macroN++
		}
	}
	rep.Micro = score(prf(all.correct, all.predicted, all.support))
	rep.Structured = score(prf(structured.correct, structured.predicted, structured.support))
	if macroN > 0 {
		p, r := macroP/float64(macroN), macroR/float64(macroN)
		rep.Macro = Score{p, r, f1(p, r)}
	}
	return rep
}

func score(p, r, f float64) Score { return Score{p, r, f} }

// prf returns precision, recall and F1; precision is 1 when nothing was
// predicted and nothing was expected, 0 when nothing was predicted but
// something was.
func prf(correct, predicted, support int) (p, r, f float64) {
	switch {
	case predicted > 0:
		p = float64(correct) / float64(predicted)
	case support == 0:
		p = 1
	}
	if support > 0 {
		r = float64(correct) / float64(support)
	} else {
		r = 1
	}
	return p, r, f1(p, r)
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// maskValue keeps the first and last two characters of v (one each when v
// is short) and stars the rest, so that reports never carry raw values.
func maskValue(v string) string {
	rs := []rune(strings.TrimSpace(v))
	keep := 2
	if len(rs) <= 6 {
		keep = 1
	}
	if len(rs) <= 2 {
		return strings.Repeat("*", len(rs))
	}
	for i := keep; i < len(rs)-keep; i++ {
		if rs[i] != ' ' && rs[i] != '-' && rs[i] != '@' && rs[i] != '.' {
			rs[i] = '*'
		}
	}
	if len(rs) > 40 {
		rs = append(rs[:36], []rune("…")...)
	}
	return string(rs)
}

// Markdown renders the report: a per-class table, the averages, and the
// misclassified columns grouped by generator variant.
func (q QualityReport) Markdown() string {
	var b strings.Builder
	pct := func(x float64) string { return fmt.Sprintf("%.3f", x) }
	b.WriteString("| class | structured | support | predicted | correct | precision | recall | F1 |\n")
	b.WriteString("|---|:---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range q.Classes {
		s := ""
		if c.Structured {
			s = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %s | %s | %s |\n",
			c.Class, s, c.Support, c.Predicted, c.Correct, pct(c.Precision), pct(c.Recall), pct(c.F1))
	}
	for _, row := range []struct {
		name string
		s    Score
	}{{"structured classes (micro)", q.Structured}, {"all PI classes (micro)", q.Micro}, {"all PI classes (macro)", q.Macro}} {
		fmt.Fprintf(&b, "| **%s** | | | | | **%s** | **%s** | **%s** |\n", row.name, pct(row.s.Precision), pct(row.s.Recall), pct(row.s.F1))
	}
	fmt.Fprintf(&b, "\n%d columns; %d decoy columns (want `none`), %d of them classified as a PI class.", q.Columns, q.Decoys, q.DecoyFalsePositives)
	if q.Incomplete {
		b.WriteString(" **Incomplete: the evaluation was cancelled.**")
	}
	b.WriteString("\n")
	if len(q.Confusions) == 0 {
		b.WriteString("\nNo misclassified columns.\n")
		return b.String()
	}
	b.WriteString("\n| generator | want | got | columns | column names | examples (masked) |\n")
	b.WriteString("|---|---|---|---:|---|---|\n")
	for _, c := range q.Confusions {
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %s |\n", c.Source, c.Want, c.Got, c.Columns,
			mdCell(strings.Join(c.Names, ", ")), mdCell(strings.Join(c.Examples, "; ")))
	}
	return b.String()
}

// mdCell escapes characters that would break a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
