package report

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/classify"
	"github.com/xborder/xborder/internal/rulebook"
)

// The JSON document of docs/assess.md ("Output: the JSON contract"). The
// contract's names come first in each object; the rest are additions.
// Structs, not maps, so the key order is fixed. Every array is present,
// never null.

type jsonDoc struct {
	AsOf       string            `json:"as_of"`
	Profile    jsonProfile       `json:"profile"`
	Decisions  []jsonDecision    `json:"decisions"`
	Conflicts  []jsonConflict    `json:"conflicts"`
	WhatIf     []jsonWhatIf      `json:"what_if"`
	YearToDate assess.YearToDate `json:"year_to_date"`
	Materials  []Material        `json:"materials"`
	Scenario   json.RawMessage   `json:"scenario"`
	Inputs     []string          `json:"inputs"`
	Lang       Lang              `json:"lang"`
	Tool       jsonTool          `json:"tool"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// jsonProfile is the data profile. When no file was profiled it carries
// the scenario's counts, rows 0, no fields, and source "scenario".
type jsonProfile struct {
	Rows                 int64                   `json:"rows"`
	Individuals          int64                   `json:"individuals"`
	SensitiveIndividuals int64                   `json:"sensitive_individuals"`
	Fields               []jsonField             `json:"fields"`
	Source               string                  `json:"source"` // "files" or "scenario"
	Tables               []classify.TableProfile `json:"tables"`
	IdentityKey          string                  `json:"identity_key,omitempty"`
	USBulk               map[string]int64        `json:"us_bulk,omitempty"`
	ImportantCandidates  []string                `json:"important_candidates"`
	SpecialCategory      bool                    `json:"special_category"`
	Warnings             []string                `json:"warnings"`
}

type jsonField struct {
	Name               string                   `json:"name"`
	Class              classify.Class           `json:"class"`
	Personal           bool                     `json:"personal"`
	Sensitive          bool                     `json:"sensitive"`
	Confidence         float64                  `json:"confidence"`
	ValidRatio         float64                  `json:"valid_ratio"`
	Example            string                   `json:"example"`
	ClassName          string                   `json:"class_name"` // localised
	Table              string                   `json:"table,omitempty"`
	Values             int64                    `json:"values"`
	Embedded           map[classify.Class]int64 `json:"embedded,omitempty"`
	GDPRSpecial        bool                     `json:"gdpr_special"`
	USCategory         string                   `json:"us_category,omitempty"`
	ImportantCandidate bool                     `json:"important_candidate"`
	Reason             string                   `json:"reason,omitempty"`
}

type jsonDecision struct {
	Jurisdiction    string              `json:"jurisdiction"`
	Route           string              `json:"route"`
	Alternatives    []string            `json:"alternatives"`
	Obligations     []string            `json:"obligations"`
	Citations       []string            `json:"citations"`
	Reasons         []string            `json:"reasons"`
	NeedsReview     bool                `json:"needs_review"`
	ReviewReasons   []string            `json:"review_reasons"`
	Rule            string              `json:"rule"`
	Blocking        bool                `json:"blocking"`
	Approval        json.RawMessage     `json:"approval"`
	RouteTitle      string              `json:"route_title"`
	Outcome         outcome             `json:"outcome"` // clear | action | blocked | review
	ObligationCodes []string            `json:"obligation_codes"`
	ReasonCodes     []string            `json:"reason_codes"`
	ReviewCodes     []string            `json:"review_codes"`
	CitationDetails []rulebook.Citation `json:"citation_details"`
}

type jsonConflict struct {
	Kind            string              `json:"kind"`
	Jurisdictions   []string            `json:"jurisdictions"`
	Description     string              `json:"description"`
	DescriptionCode string              `json:"description_code"`
	Citations       []string            `json:"citations"`
	CitationDetails []rulebook.Citation `json:"citation_details"`
}

type jsonWhatIf struct {
	Jurisdiction         string            `json:"jurisdiction"`
	Change               string            `json:"change"`
	ChangeCode           string            `json:"change_code"`
	Columns              []string          `json:"columns"`
	From                 string            `json:"from"`
	To                   string            `json:"to"`
	Individuals          int64             `json:"individuals"`
	SensitiveIndividuals int64             `json:"sensitive_individuals"`
	Citation             string            `json:"citation"`
	CitationDetail       rulebook.Citation `json:"citation_detail"`
}

func (o Options) writeJSON(w io.Writer, r *assess.Result, lang Lang) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(o.jsonDoc(r, lang)) // Encode ends with a newline
}

func (o Options) jsonDoc(r *assess.Result, lang Lang) jsonDoc {
	doc := jsonDoc{
		AsOf:       asOf(r),
		Profile:    newJSONProfile(r, lang),
		Decisions:  []jsonDecision{},
		Conflicts:  []jsonConflict{},
		WhatIf:     []jsonWhatIf{},
		YearToDate: r.YearToDate,
		Materials:  Materials(r, lang),
		Scenario:   rawJSON(r.Scenario),
		Inputs:     nonNil(r.Inputs),
		Lang:       lang,
		Tool:       jsonTool{Name: "xborder", Version: o.Version},
	}
	for _, d := range r.Decisions {
		doc.Decisions = append(doc.Decisions, jsonDecision{
			Jurisdiction:    d.Jurisdiction,
			Route:           d.Route,
			Alternatives:    nonNil(d.Alternatives),
			Obligations:     texts(d.Obligations, lang),
			Citations:       refs(d.Citations),
			Reasons:         texts(d.Reasons, lang),
			NeedsReview:     d.NeedsReview,
			ReviewReasons:   texts(d.ReviewReasons, lang),
			Rule:            d.Rule,
			Blocking:        d.Blocking,
			Approval:        rawJSON(d.Approval),
			RouteTitle:      routeTitle(d.Route, lang),
			Outcome:         decisionOutcome(d),
			ObligationCodes: codes(d.Obligations),
			ReasonCodes:     codes(d.Reasons),
			ReviewCodes:     codes(d.ReviewReasons),
			CitationDetails: nonNil(d.Citations),
		})
	}
	for _, c := range r.Conflicts {
		doc.Conflicts = append(doc.Conflicts, jsonConflict{
			Kind:            c.Kind,
			Jurisdictions:   nonNil(c.Jurisdictions),
			Description:     c.Description.In(string(lang)),
			DescriptionCode: c.Description.Code,
			Citations:       refs(c.Citations),
			CitationDetails: nonNil(c.Citations),
		})
	}
	for _, w := range r.WhatIf {
		doc.WhatIf = append(doc.WhatIf, jsonWhatIf{
			Jurisdiction:         w.Jurisdiction,
			Change:               w.Change.In(string(lang)),
			ChangeCode:           w.Change.Code,
			Columns:              nonNil(w.Columns),
			From:                 w.From,
			To:                   w.To,
			Individuals:          w.Individuals,
			SensitiveIndividuals: w.Sensitive,
			Citation:             w.Citation.Ref,
			CitationDetail:       w.Citation,
		})
	}
	return doc
}

func newJSONProfile(r *assess.Result, lang Lang) jsonProfile {
	p := r.Profile
	if p == nil {
		return jsonProfile{
			Individuals:          r.Scenario.Dataset.Individuals,
			SensitiveIndividuals: r.Scenario.Dataset.SensitiveIndividuals,
			Fields:               []jsonField{},
			Source:               "scenario",
			Tables:               []classify.TableProfile{},
			ImportantCandidates:  []string{},
			SpecialCategory:      r.Scenario.Dataset.SpecialCategory,
			Warnings:             []string{},
		}
	}
	jp := jsonProfile{
		Rows:                 p.Rows,
		Individuals:          p.Individuals,
		SensitiveIndividuals: p.SensitiveIndividuals,
		Fields:               []jsonField{},
		Source:               "files",
		Tables:               nonNil(p.Tables),
		IdentityKey:          p.IdentityKey,
		USBulk:               p.USBulk,
		ImportantCandidates:  nonNil(p.ImportantCandidates),
		SpecialCategory:      p.SpecialCategory,
		Warnings:             nonNil(p.Warnings),
	}
	for _, f := range p.Fields {
		jp.Fields = append(jp.Fields, jsonField{
			Name:               f.Name,
			Class:              f.Class,
			Personal:           f.Personal,
			Sensitive:          f.Sensitive,
			Confidence:         f.Confidence,
			ValidRatio:         f.ValidRatio,
			Example:            f.Example,
			ClassName:          className(f.Class, lang),
			Table:              f.Table,
			Values:             f.Values,
			Embedded:           f.Embedded,
			GDPRSpecial:        f.GDPRSpecial,
			USCategory:         f.USCategory,
			ImportantCandidate: f.ImportantCandidate,
			Reason:             f.Reason,
		})
	}
	return jp
}

// rawJSON marshals v (the scenario echo, an approval) as compact JSON;
// rulebook.Date writes its days as 2006-01-02 and the zero day as "".
func rawJSON(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return json.RawMessage("null")
	}
	return bytes.TrimSpace(b.Bytes())
}

// nonNil returns s, or an empty slice when s is nil, so that JSON shows [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func refs(cs []rulebook.Citation) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Ref)
	}
	return out
}

func codes(ts []rulebook.Text) []string {
	out := make([]string, 0, len(ts))
	for _, x := range ts {
		out = append(out, x.Code)
	}
	return out
}
