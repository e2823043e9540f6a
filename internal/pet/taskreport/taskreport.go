// Package taskreport renders a privacy-computing task (internal/pet/task)
// as one self-contained HTML page, in Simplified Chinese or English, for
// the people who decide on it or answer for it: what was computed under
// which agreement, by whom, what each node checked, what was released
// after review (and with what noise), how long each phase took and what
// crossed between the nodes, and the task's audit trail with the ledger's
// checkpoint. The page has inline CSS and SVG, no script and no external
// resource; html/template escapes every value.
package taskreport

import (
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/pet/task"
)

// Bundle is what the report shows; the answers of taskQuery, resultQuery,
// complianceCheck, performanceMetric and auditLog, and of resultDownload
// when the reader's node may download the result (nil otherwise).
type Bundle struct {
	View       *task.View
	ResultView *task.ResultView
	Result     *task.Result
	Compliance *task.ComplianceReport
	Metrics    *task.Metrics
	Audit      *task.AuditLog
	// Node is the DID of the node the bundle was read from.
	Node string
	// Generated is when the bundle was read.
	Generated time.Time
}

//go:embed page.tmpl
var pageSource string

var page = template.Must(template.New("task").Parse(pageSource))

// HTML writes the page for b in lang ("zh" or "en").
func HTML(w io.Writer, b *Bundle, lang string) error {
	if b == nil || b.View == nil {
		return errors.New("taskreport: no task")
	}
	if lang != "zh" && lang != "en" {
		return fmt.Errorf("taskreport: language %q: zh or en", lang)
	}
	return page.Execute(w, newView(b, lang))
}

// view is what page.tmpl renders.
type view struct {
	Lang, Title string
	B           *Bundle
	T           map[string]string
	Facts       [][2]string
	Checks      []check
	Events      []event
	Timeline    *timeline
	Release     [][2]string
	Decision    *decision
	Traffic     [][2]string
	Audit       []auditRow
	Checkpoint  string
}

type check struct {
	Name, Node, Code, Message string
	Pass                      bool
}

type event struct{ At, Kind, Actor, Detail string }

type decision struct {
	Allow         bool
	Code, Message string
}

type auditRow struct{ Index, Time, Op, Result, Reason, Actor string }

func newView(b *Bundle, lang string) *view {
	v := &view{Lang: lang, B: b, T: texts[lang]}
	sp := b.View.Task
	v.Title = fmt.Sprintf("%s — %s", v.T["title"], sp.ID)
	parties := make([]string, len(sp.Parties))
	for i, p := range sp.Parties {
		parties[i] = p.Role + ": " + p.DID
	}
	state := b.View.State
	if b.View.Reason != "" {
		state += " (" + b.View.Reason + ")"
	}
	v.Facts = [][2]string{
		{v.T["task"], sp.ID}, {v.T["state"], state}, {v.T["algorithm"], sp.Algorithm},
		{v.T["agreement"], sp.Agreement}, {v.T["purpose"], sp.Purpose}, {v.T["initiator"], sp.Initiator},
		{v.T["parties"], strings.Join(parties, "; ")}, {v.T["output"], strings.Join(sp.Output, "; ")},
		{v.T["fields"], strings.Join(sp.Fields, ", ")}, {v.T["review"], reviewText(sp.Review, v.T)},
		{v.T["read_from"], b.Node}, {v.T["generated"], b.Generated.UTC().Format(time.RFC3339)},
	}
	if sp.Params.Group != "" {
		v.Facts = append(v.Facts[:4], append([][2]string{{v.T["group"], sp.Params.Group}}, v.Facts[4:]...)...)
	}
	if c := b.Compliance; c != nil {
		for _, ch := range c.Checks {
			msg := ch.Message
			if lang == "zh" && ch.MessageZH != "" {
				msg = ch.MessageZH
			}
			node := ch.Peer
			if node == "" {
				node = b.Node
			}
			v.Checks = append(v.Checks, check{Name: ch.Name, Node: node, Code: ch.Code, Message: msg, Pass: ch.Pass})
		}
	}
	for _, e := range b.View.Events {
		v.Events = append(v.Events, event{At: e.At.UTC().Format("15:04:05.000"), Kind: e.Kind, Actor: e.Actor, Detail: e.Detail})
	}
	v.Timeline = newTimeline(b.View.Events)
	if rv := b.ResultView; rv != nil && rv.Decision != nil {
		msg := rv.Decision.Message
		if lang == "zh" && rv.Decision.MessageZH != "" {
			msg = rv.Decision.MessageZH
		}
		v.Decision = &decision{Allow: rv.Decision.Allow, Code: rv.Decision.Code, Message: msg}
	}
	if r := b.Result; r != nil {
		v.Release = releaseRows(r, v.T)
	}
	if m := b.Metrics; m != nil {
		v.Traffic = [][2]string{
			{v.T["created_to_authorized"], ms(m.Phases["created_to_authorized"])},
			{v.T["authorized_to_running"], ms(m.Phases["authorized_to_running"])},
			{v.T["running_to_end"], ms(m.Phases["running_to_end"])},
			{v.T["sent"], fmt.Sprintf("%s, %d %s", sizeOf(m.BytesSent), m.MessagesSent, v.T["messages"])},
			{v.T["received"], fmt.Sprintf("%s, %d %s", sizeOf(m.BytesReceived), m.MessagesRecvd, v.T["messages"])},
			{v.T["items"], fmt.Sprintf("%d (%.0f/s)", m.Items, m.ItemsPerSecond)},
		}
	}
	if a := b.Audit; a != nil {
		for _, h := range a.Entries {
			e := h.Event
			v.Audit = append(v.Audit, auditRow{Index: fmt.Sprint(h.Index), Time: e.Time.UTC().Format("15:04:05.000"), Op: string(e.Operation),
				Result: string(e.Result), Reason: e.Reason, Actor: e.Actor})
		}
		v.Checkpoint = a.Checkpoint
	}
	return v
}

func reviewText(r task.ReviewPolicy, t map[string]string) string {
	var parts []string
	if r.MinIntersection > 0 {
		parts = append(parts, fmt.Sprintf("%s ≥ %d", t["min_intersection"], r.MinIntersection))
	}
	if r.MinGroup > 0 {
		parts = append(parts, fmt.Sprintf("%s ≥ %d", t["min_group"], r.MinGroup))
	}
	if r.Rho != "" {
		parts = append(parts, "ρ = "+r.Rho+" ("+t["gaussian"]+")")
	}
	if r.Epsilon != "" {
		parts = append(parts, "ε = "+r.Epsilon+" ("+t["laplace"]+")")
	}
	if r.ReleaseKeys {
		parts = append(parts, t["release_keys"])
	}
	if len(parts) == 0 {
		return t["exact"]
	}
	return strings.Join(parts, "; ")
}

func releaseRows(r *task.Result, t map[string]string) [][2]string {
	var out [][2]string
	if p := r.PSI; p != nil {
		out = append(out, [2]string{t["mode"], p.Mode}, [2]string{t["intersection_size"], fmt.Sprint(p.Size)})
		if p.Sum != nil {
			out = append(out, [2]string{t["sum"], fmt.Sprint(*p.Sum)})
		}
		if p.Keys != nil {
			out = append(out, [2]string{t["keys"], fmt.Sprintf("%d", len(p.Keys))})
		}
		if p.DP != nil {
			out = append(out, [2]string{t["noise"], fmt.Sprintf("%s, ρ %s", p.DP.Mechanism, p.DP.Cost)})
		}
	}
	if a := r.Aggregate; a != nil && a.Result != nil {
		out = append(out, [2]string{t["statistic"], string(a.Stat)}, [2]string{t["parties_n"], fmt.Sprint(a.Parties)})
		for _, g := range a.Groups {
			key := g.Key
			if key == "" {
				key = t["all"]
			}
			var vals []string
			if g.Suppressed {
				vals = append(vals, t["suppressed"])
			}
			if g.Count != nil {
				vals = append(vals, fmt.Sprintf("n = %d", *g.Count))
			}
			if g.Sum != nil {
				vals = append(vals, "Σ = "+g.Sum.String())
			}
			if g.Mean != nil {
				vals = append(vals, fmt.Sprintf("μ = %.4g", *g.Mean))
			}
			if g.Variance != nil {
				vals = append(vals, fmt.Sprintf("σ² = %.4g", *g.Variance))
			}
			out = append(out, [2]string{key, strings.Join(vals, ", ")})
		}
		if a.DP != nil {
			out = append(out, [2]string{t["noise"], fmt.Sprintf("%s, ρ %s", a.DP.Mechanism, a.DP.Cost)})
		}
	}
	out = append(out, [2]string{t["digest"], r.Digest})
	return out
}

// timeline is an SVG of the task's events along time.
type timeline struct {
	Width, Height int
	Marks         []mark
	Span          string
}

type mark struct {
	X      float64
	Y      int
	Label  string
	Colour string
}

func newTimeline(evs []task.Event) *timeline {
	if len(evs) < 2 {
		return nil
	}
	t0, t1 := evs[0].At, evs[len(evs)-1].At
	span := t1.Sub(t0)
	tl := &timeline{Width: 760, Height: 40 + 22*len(evs), Span: span.Round(time.Millisecond).String()}
	for i, e := range evs {
		x := 20.0
		if span > 0 {
			x = 20 + 540*float64(e.At.Sub(t0))/float64(span)
		}
		colour := "#1f6feb"
		switch e.Kind {
		case task.StateFailed, task.StateCancelled:
			colour = "#cf222e"
		case task.StateSucceeded:
			colour = "#1a7f37"
		case "input_erased":
			colour = "#8250df"
		}
		tl.Marks = append(tl.Marks, mark{X: math.Round(x*10) / 10, Y: 30 + 22*i, Label: e.Kind, Colour: colour})
	}
	return tl
}

func ms(v int64) string {
	if v <= 0 {
		return "—"
	}
	return (time.Duration(v) * time.Millisecond).String()
}

func sizeOf(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
