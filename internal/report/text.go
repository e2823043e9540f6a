package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// ANSI escapes, used only when Options.Color is set.
const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
)

var outcomeANSI = map[outcome]string{
	outClear:   "\x1b[32m", // green
	outAction:  "\x1b[33m", // amber
	outBlocked: "\x1b[31m", // red
	outReview:  "\x1b[90m", // grey
}

// maxTextClasses is how many field classes the terminal summary lists; the
// other formats list them all. A "*" marks a sensitive class.
const maxTextClasses = 8

// textWriter writes lines; its bufio.Writer keeps the first error, which
// Flush returns.
type textWriter struct {
	w     *bufio.Writer
	color bool
	lang  Lang
}

func (tw *textWriter) line(format string, args ...any) {
	fmt.Fprintf(tw.w, format, args...)
	tw.w.WriteByte('\n')
}

func (tw *textWriter) style(code, s string) string {
	if !tw.color || code == "" {
		return s
	}
	return code + s + ansiReset
}

func (tw *textWriter) heading(key string) {
	tw.line("")
	tw.line("%s", tw.style(ansiBold, t(tw.lang, key)))
}

// writeText writes the compact terminal summary.
func (o Options) writeText(w io.Writer, v *view) error {
	tw := &textWriter{w: bufio.NewWriter(w), color: o.Color, lang: v.Lang}
	L := v.Lang
	colon, colonEnd := ": ", ":"
	if L == ZH {
		colon, colonEnd = "：", "："
	}
	kv := func(key, val string) {
		if val != "" {
			tw.line("  %s%s%s", t(L, key), colon, val)
		}
	}

	title := t(L, "title")
	if v.From != "" || v.To != "" {
		title += " · " + v.From + " → " + v.To
	}
	tw.line("%s", tw.style(ansiBold, title))
	kv("as_of", v.AsOf)
	kv("exporter", v.Exporter)
	kv("recipient", v.Recipient)
	kv("purpose", v.Purpose)
	kv("legal_basis", v.Basis)
	kv("inputs", strings.Join(v.Inputs, ", "))

	tw.heading("profile")
	p := v.Profile
	if p.FromFiles {
		tw.line("  %s %s · %s %s · %s %s", t(L, "rows"), p.Rows, t(L, "individuals"), p.Individuals, t(L, "sensitive_individuals"), p.Sensitive)
		if len(p.Classes) > 0 {
			var parts []string
			for i, c := range p.Classes {
				if i == maxTextClasses {
					parts = append(parts, fmt.Sprintf("… +%d", len(p.Classes)-i))
					break
				}
				mark := ""
				if c.Sensitive {
					mark = "*"
				}
				parts = append(parts, fmt.Sprintf("%s%s ×%d", c.Label, mark, c.Count))
			}
			kv("field_classes", strings.Join(parts, listSep(L))+"  "+tw.style(ansiDim, t(L, "sensitive_mark")))
		}
		if len(p.Candidates) > 0 {
			kv("important_candidates", strings.Join(p.Candidates, ", "))
		}
		for _, w := range p.Warnings {
			tw.line("  ⚠ %s", w)
		}
	} else {
		tw.line("  %s %s · %s %s", t(L, "individuals"), p.Individuals, t(L, "sensitive_individuals"), p.Sensitive)
		tw.line("  %s", tw.style(ansiDim, t(L, "profile_scenario")))
	}
	if v.YTD != "" {
		kv("ytd", v.YTD)
	}

	tw.heading("decisions")
	for _, d := range v.Decisions {
		tw.line("")
		tw.line("  %s %s  %s", tw.style(outcomeANSI[d.Outcome], "■"), tw.style(ansiBold, d.Jurisdiction+" · "+d.Route), d.RouteTitle)
		tw.line("    %s%s%s", t(L, "status"), colon, tw.style(outcomeANSI[d.Outcome], d.Status))
		if d.Approval != "" {
			tw.line("    %s%s%s", t(L, "approval"), colon, d.Approval)
		}
		if len(d.Alternatives) > 0 {
			var alts []string
			for _, a := range d.Alternatives {
				alts = append(alts, a.Code)
			}
			tw.line("    %s%s%s", t(L, "alternatives"), colon, strings.Join(alts, ", "))
		}
		if len(d.Reasons) > 0 {
			tw.line("    %s%s", t(L, "reasons"), colonEnd)
			for _, s := range d.Reasons {
				tw.line("      - %s", s)
			}
		}
		if len(d.Obligations) > 0 {
			tw.line("    %s%s", t(L, "obligations"), colonEnd)
			for i, s := range d.Obligations {
				tw.line("      %d. %s", i+1, s)
			}
		}
		for _, s := range d.ReviewReasons {
			tw.line("    %s %s", tw.style(outcomeANSI[outAction], "⚠"), s)
		}
		if d.NeedsReview && len(d.ReviewReasons) == 0 {
			tw.line("    %s %s", tw.style(outcomeANSI[outAction], "⚠"), t(L, "review"))
		}
		if len(d.Citations) > 0 {
			var cs []string
			for _, c := range d.Citations {
				s := c.Ref
				if c.Tag != "" {
					s += " [" + c.Tag + "]"
				}
				cs = append(cs, s)
			}
			tw.line("    %s%s%s", t(L, "citations"), colon, tw.style(ansiDim, strings.Join(cs, "; ")))
		}
	}

	if len(v.Conflicts) > 0 {
		tw.heading("conflicts")
		for _, c := range v.Conflicts {
			tw.line("  ⚠ %s (%s): %s", c.Kind, c.Jurisdictions, c.Description)
		}
	}

	if len(v.WhatIfs) > 0 {
		tw.heading("what_if")
		for _, w := range v.WhatIfs {
			tw.line("  → %s", w.Change)
			tw.line("    %s: %s → %s (%s %s / %s)", w.Jurisdiction, w.From, w.To, t(L, "individuals"), w.Individuals, w.Sensitive)
			if w.Columns != "" {
				tw.line("    %s%s%s", t(L, "wi_columns"), colon, w.Columns)
			}
		}
	}

	if len(v.Materials) > 0 {
		tw.heading("materials")
		for _, m := range v.Materials {
			tw.line("")
			tw.line("  %s", tw.style(ansiBold, m.Title))
			for _, it := range m.Items {
				box := "[ ]"
				if it.Done {
					box = "[x]"
				}
				tw.line("    %s %s", box, it.Text)
				if it.Prefill != "" {
					tw.line("        %s", tw.style(ansiDim, "↳ "+it.Prefill))
				}
			}
		}
	}

	tw.line("")
	tw.line("%s", tw.style(ansiDim, t(L, "disclaimer")))
	return tw.w.Flush()
}
