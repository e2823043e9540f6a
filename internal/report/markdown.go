package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// mdEscape escapes text for Markdown prose and table cells: the characters
// that would start markup, the pipe of tables and raw HTML, and line
// breaks.
func mdEscape(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch r {
		case '_':
			// Intraword underscores never emphasise (CommonMark 6.2).
			if i > 0 && i < len(rs)-1 && isWord(rs[i-1]) && isWord(rs[i+1]) {
				b.WriteRune(r)
				continue
			}
			b.WriteString("\\_")
		case '#':
			if i == 0 {
				b.WriteString("\\#")
				continue
			}
			b.WriteRune(r)
		case '\\', '`', '*', '[', ']', '|', '<', '>', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// mdCode wraps s in a code span, with a fence longer than any run of
// backticks inside it.
func mdCode(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdLink renders a citation: a link when it has a URL, then its tag.
func mdCitation(c viewCitation) string {
	s := mdEscape(c.Ref)
	if c.URL != "" {
		s = "[" + s + "](<" + strings.NewReplacer("<", "%3C", ">", "%3E", " ", "%20").Replace(c.URL) + ">)"
	}
	if c.Tag != "" {
		s += " \\[" + mdEscape(c.Tag) + "\\]"
	}
	if c.Effective != "" {
		s += " (" + mdEscape(c.Effective) + ")"
	}
	return s
}

func writeMarkdown(w io.Writer, v *view) error {
	bw := bufio.NewWriter(w)
	L := v.Lang
	p := func(format string, args ...any) { fmt.Fprintf(bw, format+"\n", args...) }
	row := func(cells ...string) { p("| %s |", strings.Join(cells, " | ")) }
	sep := func(n int) { row(strings.Split(strings.Repeat("---,", n-1)+"---", ",")...) }

	p("# %s", mdEscape(t(L, "title")))
	p("")
	p("- **%s**: %s", t(L, "as_of"), mdEscape(v.AsOf))
	p("- **%s**: %s", t(L, "exporter"), mdEscape(v.Exporter))
	p("- **%s**: %s", t(L, "recipient"), mdEscape(v.Recipient))
	p("- **%s**: %s", t(L, "purpose"), mdEscape(v.Purpose))
	if v.Basis != "" {
		p("- **%s**: %s", t(L, "legal_basis"), mdEscape(v.Basis))
	}
	if len(v.Inputs) > 0 {
		var in []string
		for _, s := range v.Inputs {
			in = append(in, mdCode(s))
		}
		p("- **%s**: %s", t(L, "inputs"), strings.Join(in, ", "))
	}
	if v.YTD != "" {
		p("- **%s**: %s", t(L, "ytd"), mdEscape(v.YTD))
	}

	// Decisions summary first: what a reader needs most.
	p("")
	p("## %s", t(L, "decisions"))
	p("")
	row(t(L, "col_jurisdiction"), t(L, "col_route"), t(L, "col_status"))
	sep(3)
	for _, d := range v.Decisions {
		row(mdEscape(d.JurisdictionName)+" ("+d.Jurisdiction+")", mdCode(d.Route)+" "+mdEscape(d.RouteTitle), mdEscape(d.Status))
	}
	p("")
	p("## %s", t(L, "profile"))
	p("")
	pr := v.Profile
	if pr.FromFiles {
		p("- **%s**: %s", t(L, "rows"), pr.Rows)
	}
	p("- **%s**: %s", t(L, "individuals"), pr.Individuals)
	p("- **%s**: %s", t(L, "sensitive_individuals"), pr.Sensitive)
	if pr.IdentityKey != "" {
		p("- **%s**: %s", t(L, "identity_key"), mdCode(pr.IdentityKey))
	}
	if pr.Special {
		p("- **%s**", t(L, "special_category"))
	}
	if len(pr.Candidates) > 0 {
		p("- **%s**: %s", t(L, "important_candidates"), mdEscape(strings.Join(pr.Candidates, ", ")))
	}
	for _, w := range pr.Warnings {
		p("- ⚠ %s", mdEscape(w))
	}
	if !pr.FromFiles {
		p("")
		p("_%s_", mdEscape(t(L, "profile_scenario")))
	}
	if len(pr.Classes) > 0 {
		p("")
		p("### %s", t(L, "field_classes"))
		p("")
		row(t(L, "col_class"), t(L, "col_count"), t(L, "col_personal"), t(L, "col_sensitive"))
		sep(4)
		for _, c := range pr.Classes {
			row(mdEscape(c.Label)+" "+mdCode(string(c.Class)), fmt.Sprint(c.Count), yesNo(c.Personal, L), yesNo(c.Sensitive, L))
		}
		p("")
		row(t(L, "col_field"), t(L, "col_class"), t(L, "col_personal"), t(L, "col_sensitive"), t(L, "col_confidence"), t(L, "col_valid"), t(L, "col_example"))
		sep(7)
		for _, f := range pr.Fields {
			name := mdEscape(f.Name)
			if f.Table != "" {
				name = mdEscape(f.Table) + " · " + name
			}
			ex := ""
			if f.Example != "" {
				ex = mdCode(f.Example)
			}
			row(name, mdEscape(f.ClassLabel), yesNo(f.Personal, L), yesNo(f.Sensitive, L), f.Confidence, f.ValidRatio, ex)
		}
	}

	p("")
	p("## %s", t(L, "decision_details"))
	for _, d := range v.Decisions {
		p("")
		p("### %s — %s", mdEscape(d.JurisdictionName), mdCode(d.Route))
		p("")
		p("**%s** — %s", mdEscape(d.RouteTitle), mdEscape(d.Status))
		if d.Approval != "" {
			p("")
			p("- **%s**: %s", t(L, "approval"), mdEscape(d.Approval))
		}
		if len(d.Alternatives) > 0 {
			var alts []string
			for _, a := range d.Alternatives {
				alts = append(alts, mdCode(a.Code)+" "+mdEscape(a.Title))
			}
			p("")
			p("- **%s**: %s", t(L, "alternatives"), strings.Join(alts, "; "))
		}
		if d.Rule != "" {
			p("- **%s**: %s", t(L, "rule"), mdCode(d.Rule))
		}
		for _, s := range d.ReviewReasons {
			p("")
			p("> ⚠ **%s**: %s", t(L, "review"), mdEscape(s))
		}
		if len(d.Reasons) > 0 {
			p("")
			p("**%s**", t(L, "reasons"))
			p("")
			for _, s := range d.Reasons {
				p("- %s", mdEscape(s))
			}
		}
		if len(d.Obligations) > 0 {
			p("")
			p("**%s**", t(L, "obligations"))
			p("")
			for i, s := range d.Obligations {
				p("%d. %s", i+1, mdEscape(s))
			}
		}
		if len(d.Citations) > 0 {
			p("")
			p("**%s**", t(L, "citations"))
			p("")
			for _, c := range d.Citations {
				p("- %s", mdCitation(c))
			}
		}
	}

	if len(v.Review) > 0 {
		p("")
		p("## ⚠ %s", t(L, "review"))
		p("")
		p("%s", mdEscape(t(L, "review_intro")))
		p("")
		for _, r := range v.Review {
			if len(r.Reasons) == 0 {
				p("- **%s**", mdEscape(r.Jurisdiction))
			}
			for _, s := range r.Reasons {
				p("- **%s**: %s", mdEscape(r.Jurisdiction), mdEscape(s))
			}
		}
	}

	if len(v.Conflicts) > 0 {
		p("")
		p("## %s", t(L, "conflicts"))
		p("")
		for _, c := range v.Conflicts {
			var cs []string
			for _, ci := range c.Citations {
				cs = append(cs, mdCitation(ci))
			}
			line := fmt.Sprintf("- **%s** (%s): %s", mdEscape(c.Kind), mdEscape(c.Jurisdictions), mdEscape(c.Description))
			if len(cs) > 0 {
				line += " — " + strings.Join(cs, "; ")
			}
			p("%s", line)
		}
	}

	if len(v.WhatIfs) > 0 {
		p("")
		p("## %s", t(L, "what_if"))
		p("")
		row(t(L, "col_jurisdiction"), t(L, "wi_change"), t(L, "wi_columns"), t(L, "wi_route"), t(L, "wi_counts"), t(L, "citations"))
		sep(6)
		for _, w := range v.WhatIfs {
			row(w.Jurisdiction, mdEscape(w.Change), mdEscape(w.Columns), mdCode(w.From)+" → "+mdCode(w.To),
				w.Individuals+" ("+w.Sensitive+")", mdCitation(w.Citation))
		}
	}

	if len(v.Materials) > 0 {
		p("")
		p("## %s", t(L, "materials"))
		for _, m := range v.Materials {
			p("")
			p("### %s", mdEscape(m.Title))
			p("")
			for _, it := range m.Items {
				box := "- [ ] "
				if it.Done {
					box = "- [x] "
				}
				line := box + mdEscape(it.Text)
				if it.Prefill != "" {
					line += "  \n  _" + t(L, "prefill") + "_: " + mdEscape(it.Prefill)
				}
				p("%s", line)
			}
		}
	}

	p("")
	p("---")
	p("")
	p("### %s", t(L, "disclaimer_title"))
	p("")
	p("%s", mdEscape(t(L, "disclaimer")))
	if len(v.Tags) > 0 {
		p("")
		p("**%s**", t(L, "tags_title"))
		p("")
		for _, tg := range v.Tags {
			p("- \\[%s\\] %s", tg.Tag, mdEscape(tg.Text))
		}
	}
	p("")
	p("_%s_", mdEscape(tf(L, "generated_by", v.Tool)))
	return bw.Flush()
}
