package report

import (
	"fmt"
	"unicode"
)

// The two inline SVG figures of the HTML report, laid out here as plain
// numbers and strings; html.tmpl draws them, so html/template escapes every
// label.

// barChart is the column count per field class.
type barChart struct {
	Width, Height int
	Bars          []bar
	Legend        []legendItem
	LegendY       int
}

type bar struct {
	Y, TextY     int // top of the bar, baseline of its labels
	W            int // bar length
	H            int
	Label        string // class name, fitted to the label column
	Full         string // full label with code, for the tooltip
	Count        int
	CountX       int
	Kind         string // sensitive | personal | none: the CSS class
	LabelX, BarX int
}

type legendItem struct {
	X, Y  int
	Kind  string
	Label string
}

const (
	chartWidth  = 720
	chartLabelW = 230
	chartBarMax = 400
	chartRowH   = 26
	chartBarH   = 18
)

func newBarChart(classes []classCount, lang Lang) *barChart {
	if len(classes) == 0 {
		return nil
	}
	max := 1
	for _, c := range classes {
		if c.Count > max {
			max = c.Count
		}
	}
	ch := &barChart{Width: chartWidth}
	y := 8
	for _, c := range classes {
		kind := "none"
		switch {
		case c.Sensitive:
			kind = "sensitive"
		case c.Personal:
			kind = "personal"
		}
		w := c.Count * chartBarMax / max
		if w < 3 {
			w = 3
		}
		ch.Bars = append(ch.Bars, bar{
			Y: y, TextY: y + chartBarH - 5, W: w, H: chartBarH,
			Label: fit(c.Label, 30), Full: c.Label + " (" + string(c.Class) + ")",
			Count: c.Count, CountX: chartLabelW + 10 + w + 6, Kind: kind,
			LabelX: chartLabelW, BarX: chartLabelW + 10,
		})
		y += chartRowH
	}
	ch.LegendY = y + 16
	x := chartLabelW + 10
	for _, k := range []string{"sensitive", "personal", "none"} {
		label := t(lang, "legend_"+k)
		ch.Legend = append(ch.Legend, legendItem{X: x, Y: ch.LegendY, Kind: k, Label: label})
		x += 24 + textUnits(label)*7
	}
	ch.Height = ch.LegendY + 14
	return ch
}

// routeDiagram shows exporter → recipient with one box per jurisdiction's
// route, coloured by outcome.
type routeDiagram struct {
	Width, Height int
	From, To      node
	Boxes         []routeBox
	Legend        []legendItem
	LegendY       int
}

type node struct {
	X, Y, W, H   int
	CX           int
	Code, Name   string
	NameY, CodeY int
}

type routeBox struct {
	X, Y, W, H      int
	Kind            outcome
	Head            string // "CN · CN_SA"
	Title           string // fitted route title
	Status          string // fitted status or approval
	Full            string // tooltip
	HeadY, TitleY   int
	StatusY         int
	TextX           int
	PathIn, PathOut string
	Dashed          bool
}

const (
	diagWidth = 760
	nodeW     = 116
	nodeH     = 64
	boxX      = 178
	boxW      = 404
	boxH      = 66
	boxGap    = 14
)

func newRouteDiagram(v *view) *routeDiagram {
	if len(v.Decisions) == 0 {
		return nil
	}
	n := len(v.Decisions)
	top := 10
	boxesH := n*boxH + (n-1)*boxGap
	height := boxesH
	if height < nodeH {
		height = nodeH
	}
	d := &routeDiagram{Width: diagWidth}
	mid := top + height/2
	mk := func(x int, code string) node {
		return node{X: x, Y: mid - nodeH/2, W: nodeW, H: nodeH, CX: x + nodeW/2,
			Code: code, Name: fit(countryShort(code, v.Lang), 15), CodeY: mid - 4, NameY: mid + 16}
	}
	d.From = mk(20, v.From)
	d.To = mk(diagWidth-20-nodeW, v.To)
	y := top + (height-boxesH)/2
	for _, dec := range v.Decisions {
		st := dec.Status
		if dec.NeedsReview {
			st = "⚠ " + st
		}
		if dec.ApprovalRef != "" {
			st += " · " + dec.ApprovalRef
		}
		b := routeBox{
			X: boxX, Y: y, W: boxW, H: boxH, Kind: dec.Outcome,
			Head:  dec.Jurisdiction + " · " + dec.Route,
			Title: fit(dec.RouteTitle, 62), Status: fit(st, 64),
			Full:  dec.JurisdictionName + ": " + dec.RouteTitle + " — " + dec.Status,
			TextX: boxX + 12, HeadY: y + 20, TitleY: y + 38, StatusY: y + 55,
			Dashed: dec.NeedsReview,
		}
		cy := y + boxH/2
		fx, tx := d.From.X+nodeW, d.To.X
		b.PathIn = curve(fx, mid, boxX, cy)
		b.PathOut = curve(boxX+boxW, cy, tx, mid)
		d.Boxes = append(d.Boxes, b)
		y += boxH + boxGap
	}
	d.LegendY = top + height + 26
	x := 20
	for _, k := range []outcome{outClear, outAction, outBlocked, outReview} {
		label := t(v.Lang, "legend_"+string(k))
		d.Legend = append(d.Legend, legendItem{X: x, Y: d.LegendY, Kind: string(k), Label: label})
		x += 28 + textUnits(label)*7
	}
	d.Height = d.LegendY + 14
	return d
}

// curve is a horizontal S-curve path from (x1,y1) to (x2,y2).
func curve(x1, y1, x2, y2 int) string {
	m := (x1 + x2) / 2
	return fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, m, y1, m, y2, x2, y2)
}

// countryShort is the country name without the code, for the diagram.
func countryShort(code string, lang Lang) string {
	if m, ok := countryNames[code]; ok {
		return m.in(lang)
	}
	if code == "" {
		return t(lang, "unknown")
	}
	return code
}

// textUnits estimates the width of s in half-em units: wide (CJK) runes
// count 2, others 1.
func textUnits(s string) int {
	n := 0
	for _, r := range s {
		n += runeUnits(r)
	}
	return n
}

func runeUnits(r rune) int {
	if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF) {
		return 2
	}
	return 1
}

// fit shortens s to at most max half-em units, ending with "…" when cut.
func fit(s string, max int) string {
	if textUnits(s) <= max {
		return s
	}
	n := 0
	for i, r := range s {
		n += runeUnits(r)
		if n > max-1 {
			return s[:i] + "…"
		}
	}
	return s
}
