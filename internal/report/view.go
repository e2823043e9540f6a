package report

import (
	"sort"
	"strconv"
	"strings"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/classify"
	"github.com/xborder/xborder/internal/rulebook"
)

// view is a Result localised for the human formats (text, Markdown, HTML):
// every string is already in the report language and every list is in a
// fixed order.
type view struct {
	Lang      Lang
	Tool      string
	AsOf      string
	Exporter  string
	Recipient string
	From, To  string // country codes
	Purpose   string
	Basis     string
	Inputs    []string
	Profile   viewProfile
	YTD       string
	Decisions []viewDecision
	Review    []viewReview
	Conflicts []viewConflict
	WhatIfs   []viewWhatIf
	Materials []Material
	Tags      []viewTag // the confidence tags the report cites
}

type viewProfile struct {
	FromFiles   bool
	Rows        string
	Individuals string
	Sensitive   string
	IdentityKey string
	Fields      []viewField
	Classes     []classCount
	Candidates  []string
	Special     bool
	Warnings    []string
}

type viewField struct {
	Table, Name, Class, ClassLabel string
	Personal, Sensitive            bool
	Confidence, ValidRatio         string
	Example                        string
}

// classCount is how many columns of the profile carry one class.
type classCount struct {
	Class     classify.Class
	Label     string
	Count     int
	Personal  bool // any column of the class is personal
	Sensitive bool // any column of the class is sensitive
}

type viewDecision struct {
	Jurisdiction     string
	JurisdictionName string
	Route            string
	RouteTitle       string
	Outcome          outcome
	Status           string
	Blocking         bool
	NeedsReview      bool
	Approval         string
	ApprovalRef      string // reference and expiry, for the diagram
	Rule             string
	Alternatives     []viewRoute
	Reasons          []string
	Obligations      []string
	ReviewReasons    []string
	Citations        []viewCitation
}

type viewRoute struct{ Code, Title string }

type viewCitation struct {
	Ref, URL, Tag, TagText, Effective string
}

type viewReview struct {
	Jurisdiction string
	Reasons      []string
}

type viewConflict struct {
	Kind          string
	Jurisdictions string
	Description   string
	Citations     []viewCitation
}

type viewWhatIf struct {
	Jurisdiction string
	Change       string
	Columns      string
	From, To     string
	FromTitle    string
	ToTitle      string
	Individuals  string
	Sensitive    string
	Citation     viewCitation
}

type viewTag struct{ Tag, Text string }

// newView localises r for lang.
func newView(r *assess.Result, lang Lang, o Options) *view {
	s := r.Scenario
	v := &view{
		Lang:      lang,
		Tool:      o.toolName(),
		AsOf:      asOf(r),
		Exporter:  exporterText(s.Exporter, lang),
		Recipient: recipientText(s.Recipient, lang),
		From:      s.Exporter.Country,
		To:        s.Recipient.Country,
		Purpose:   purposeName(s.Purpose, lang),
		Basis:     vocabName(s.LegalBasis, lang),
		Inputs:    append([]string{}, r.Inputs...),
		Materials: Materials(r, lang),
	}
	v.Profile = newViewProfile(r, lang)
	y := r.YearToDate
	if y.Individuals != 0 || y.SensitiveIndividuals != 0 || y.PriorExports != 0 {
		v.YTD = tf(lang, "ytd_line", num(y.Individuals), num(y.SensitiveIndividuals), y.PriorExports, y.Source)
	}
	tags := map[string]bool{}
	cite := func(c rulebook.Citation) viewCitation {
		vc := viewCitation{Ref: c.Ref, URL: safeURL(c.URL), Tag: c.Tag, Effective: c.Effective}
		if c.Tag != "" {
			vc.TagText = t(lang, "tag_"+c.Tag)
			tags[c.Tag] = true
		}
		return vc
	}
	for _, d := range r.Decisions {
		vd := viewDecision{
			Jurisdiction:     d.Jurisdiction,
			JurisdictionName: jurisdictionName(d.Jurisdiction, lang),
			Route:            d.Route,
			RouteTitle:       routeTitle(d.Route, lang),
			Outcome:          decisionOutcome(d),
			Status:           status(d, lang),
			Blocking:         d.Blocking,
			NeedsReview:      d.NeedsReview,
			Rule:             d.Rule,
			Reasons:          texts(d.Reasons, lang),
			Obligations:      texts(d.Obligations, lang),
			ReviewReasons:    texts(d.ReviewReasons, lang),
		}
		if d.Approval != nil {
			vd.Approval = approvalText(*d.Approval)
			vd.ApprovalRef = strings.TrimSpace(d.Approval.Ref)
			if !d.Approval.Expires.IsZero() {
				vd.ApprovalRef = strings.TrimSpace(vd.ApprovalRef + " → " + d.Approval.Expires.String())
			}
		}
		for _, a := range d.Alternatives {
			vd.Alternatives = append(vd.Alternatives, viewRoute{a, routeTitle(a, lang)})
		}
		for _, c := range d.Citations {
			vd.Citations = append(vd.Citations, cite(c))
		}
		v.Decisions = append(v.Decisions, vd)
		if d.NeedsReview {
			v.Review = append(v.Review, viewReview{Jurisdiction: jurisdictionName(d.Jurisdiction, lang) + " · " + d.Route, Reasons: vd.ReviewReasons})
		}
	}
	for _, c := range r.Conflicts {
		vc := viewConflict{Kind: c.Kind, Jurisdictions: strings.Join(c.Jurisdictions, " / "), Description: c.Description.In(string(lang))}
		for _, ci := range c.Citations {
			vc.Citations = append(vc.Citations, cite(ci))
		}
		v.Conflicts = append(v.Conflicts, vc)
	}
	for _, w := range r.WhatIf {
		v.WhatIfs = append(v.WhatIfs, viewWhatIf{
			Jurisdiction: w.Jurisdiction,
			Change:       w.Change.In(string(lang)),
			Columns:      strings.Join(w.Columns, ", "),
			From:         w.From,
			To:           w.To,
			FromTitle:    routeTitle(w.From, lang),
			ToTitle:      routeTitle(w.To, lang),
			Individuals:  num(w.Individuals),
			Sensitive:    num(w.Sensitive),
			Citation:     cite(w.Citation),
		})
	}
	for _, tag := range []string{"V", "S", "M", "U", "C"} {
		if tags[tag] {
			v.Tags = append(v.Tags, viewTag{tag, t(lang, "tag_"+tag)})
		}
	}
	return v
}

func newViewProfile(r *assess.Result, lang Lang) viewProfile {
	p := r.Profile
	if p == nil {
		return viewProfile{
			Individuals: num(r.Scenario.Dataset.Individuals),
			Sensitive:   num(r.Scenario.Dataset.SensitiveIndividuals),
			Special:     r.Scenario.Dataset.SpecialCategory,
		}
	}
	vp := viewProfile{
		FromFiles:   true,
		Rows:        num(p.Rows),
		Individuals: num(p.Individuals),
		Sensitive:   num(p.SensitiveIndividuals),
		IdentityKey: p.IdentityKey,
		Classes:     classCounts(p, lang),
		Candidates:  p.ImportantCandidates,
		Special:     p.SpecialCategory,
		Warnings:    p.Warnings,
	}
	for _, f := range p.Fields {
		vp.Fields = append(vp.Fields, viewField{
			Table:      f.Table,
			Name:       f.Name,
			Class:      string(f.Class),
			ClassLabel: className(f.Class, lang) + embeddedNote(f.Embedded, lang),
			Personal:   f.Personal,
			Sensitive:  f.Sensitive,
			Confidence: strconv.FormatFloat(f.Confidence, 'f', 2, 64),
			ValidRatio: strconv.FormatFloat(f.ValidRatio*100, 'f', 1, 64) + "%",
			Example:    f.Example,
		})
	}
	return vp
}

// embeddedNote says which identifiers a free-text column carries, most
// frequent first: " — contains: Mainland mobile number ×189, …".
func embeddedNote(m map[classify.Class]int64, lang Lang) string {
	if len(m) == 0 {
		return ""
	}
	classes := make([]classify.Class, 0, len(m))
	for c := range m {
		classes = append(classes, c)
	}
	sort.Slice(classes, func(i, j int) bool {
		if m[classes[i]] != m[classes[j]] {
			return m[classes[i]] > m[classes[j]]
		}
		return classes[i] < classes[j]
	})
	parts := make([]string, len(classes))
	for i, c := range classes {
		parts[i] = className(c, lang) + " ×" + num(m[c])
	}
	return t(lang, "embedded_contains") + strings.Join(parts, t(lang, "list_sep"))
}

// classCounts counts the columns of p per class, most frequent first, ties
// by class code.
func classCounts(p *classify.Profile, lang Lang) []classCount {
	if p == nil {
		return nil
	}
	idx := map[classify.Class]int{}
	var out []classCount
	for _, f := range p.Fields {
		i, ok := idx[f.Class]
		if !ok {
			i = len(out)
			idx[f.Class] = i
			out = append(out, classCount{Class: f.Class, Label: className(f.Class, lang)})
		}
		out[i].Count++
		out[i].Personal = out[i].Personal || f.Personal
		out[i].Sensitive = out[i].Sensitive || f.Sensitive
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Class < out[j].Class
	})
	return out
}

func texts(ts []rulebook.Text, lang Lang) []string {
	out := make([]string, 0, len(ts))
	for _, x := range ts {
		out = append(out, x.In(string(lang)))
	}
	return out
}

func asOf(r *assess.Result) string {
	if !r.AsOf.IsZero() {
		return r.AsOf.String()
	}
	return r.Scenario.AsOf.String()
}

// num formats n with thousands separators: 118532 → "118,532".
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// safeURL keeps only http and https citation links.
func safeURL(u string) string {
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return u
	}
	return ""
}

// yesNo localises a bool.
func yesNo(b bool, lang Lang) string {
	if b {
		return t(lang, "yes")
	}
	return t(lang, "no")
}
