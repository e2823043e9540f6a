package assess

import (
	"fmt"
	"strings"

	"github.com/xborder/xborder/internal/classify"
	"github.com/xborder/xborder/internal/rulebook"
)

// A what-if changes what is exported, never how much or when: the rulebook's
// anti-splitting rule (SC Measures art 4 para 2; research/rulebook.md §1.3)
// forbids routing data that needs a security assessment into a lighter
// mechanism by splitting its volume across exports, entities or time, so no
// suggestion lowers a count by sending part of the people now and the rest
// later. What is left is data minimisation (PIPL art 6): leave out fields the
// purpose does not need, or anonymise them.

// change is one candidate change to the export, in rising order of cost to
// the exporter.
type change struct {
	text     rulebook.Text
	columns  []string
	citation rulebook.Citation
	apply    func(s *rulebook.Scenario)
	// applies reports whether the change alters anything for s.
	applies func(s rulebook.Scenario, p *classify.Profile) bool
}

func candidateChanges(p *classify.Profile) []change {
	sensitiveCols := columnsWhere(p, func(f classify.FieldProfile) bool { return f.Sensitive })
	personalCols := columnsWhere(p, func(f classify.FieldProfile) bool { return f.Personal })
	special := columnsWhere(p, func(f classify.FieldProfile) bool { return f.GDPRSpecial })
	var out []change
	out = append(out, change{
		text: rulebook.Text{
			Code: "drop_sensitive_fields",
			EN:   "Leave out (or irreversibly anonymise) the sensitive personal information fields" + listSuffix(sensitiveCols, "en") + " if the purpose does not need them.",
			ZH:   "如目的并不需要，删除（或不可逆地匿名化）敏感个人信息字段" + listSuffix(sensitiveCols, "zh") + "。",
		},
		columns:  sensitiveCols,
		citation: rulebook.Citation{Ref: "PIPL arts 6, 28; 2024 Provisions arts 5(4), 8", Tag: "V"},
		apply: func(s *rulebook.Scenario) {
			s.Dataset.SensitiveIndividuals = 0
			s.Dataset.SpecialCategory = false
			b := s.Dataset.USBulk12m
			s.Dataset.USBulk12m = rulebook.USBulk{CoveredIdentifiers: b.CoveredIdentifiers, GovernmentRelated: b.GovernmentRelated}
		},
		applies: func(s rulebook.Scenario, p *classify.Profile) bool {
			return s.Dataset.SensitiveIndividuals > 0 || s.Dataset.SpecialCategory || len(sensitiveCols) > 0
		},
	})
	if len(special) > 0 {
		out = append(out, change{
			text: rulebook.Text{
				Code: "drop_special_category_fields",
				EN:   "Leave out the GDPR art 9 special-category fields" + listSuffix(special, "en") + ".",
				ZH:   "删除 GDPR 第9条特殊类别字段" + listSuffix(special, "zh") + "。",
			},
			columns:  special,
			citation: rulebook.Citation{Ref: "GDPR art 9", Tag: "M"},
			apply:    func(s *rulebook.Scenario) { s.Dataset.SpecialCategory = false },
			applies:  func(s rulebook.Scenario, _ *classify.Profile) bool { return s.Dataset.SpecialCategory },
		})
	}
	out = append(out, change{
		text: rulebook.Text{
			Code: "anonymise_or_aggregate",
			EN:   "Send aggregates or properly anonymised data instead: information that can no longer identify a person, and cannot be restored, is not personal information" + listSuffix(personalCols, "en") + ".",
			ZH:   "改为提供统计汇总或经匿名化处理的数据：无法识别特定自然人且不能复原的信息不属于个人信息" + listSuffix(personalCols, "zh") + "。",
		},
		columns:  personalCols,
		citation: rulebook.Citation{Ref: "PIPL arts 4, 73(4); 2024 Provisions art 3", Tag: "V"},
		apply: func(s *rulebook.Scenario) {
			s.Dataset.Anonymised = true
			s.Dataset.Individuals = 0
			s.Dataset.SensitiveIndividuals = 0
			s.Dataset.SpecialCategory = false
			s.Dataset.USBulk12m = rulebook.USBulk{}
		},
		applies: func(s rulebook.Scenario, _ *classify.Profile) bool {
			return !s.Dataset.Anonymised && (s.Dataset.Individuals > 0 || s.Dataset.SensitiveIndividuals > 0)
		},
	})
	return out
}

// whatIfs tries each change on the scenario and keeps, per jurisdiction,
// the cheapest one that lowers its route.
func whatIfs(s rulebook.Scenario, p *classify.Profile, now []rulebook.Decision) []WhatIf {
	out := []WhatIf{}
	done := map[string]bool{}
	for _, c := range candidateChanges(p) {
		if !c.applies(s, p) {
			continue
		}
		alt := s
		alt.Exporter.Approvals = append([]rulebook.Approval(nil), s.Exporter.Approvals...)
		c.apply(&alt)
		res, err := rulebook.Evaluate(alt)
		if err != nil {
			continue
		}
		for _, before := range now {
			if done[before.Jurisdiction] {
				continue
			}
			after, ok := decisionFor(res.Decisions, before.Jurisdiction)
			if !ok || RouteRank(after) >= RouteRank(before) {
				continue
			}
			done[before.Jurisdiction] = true
			out = append(out, WhatIf{
				Jurisdiction: before.Jurisdiction,
				Change:       c.text,
				Columns:      c.columns,
				From:         before.Route,
				To:           after.Route,
				Individuals:  alt.Dataset.Individuals,
				Sensitive:    alt.Dataset.SensitiveIndividuals,
				Citation:     c.citation,
			})
		}
	}
	return out
}

func decisionFor(ds []rulebook.Decision, j string) (rulebook.Decision, bool) {
	for _, d := range ds {
		if d.Jurisdiction == j {
			return d, true
		}
	}
	return rulebook.Decision{}, false
}

// RouteRank orders routes by the burden they put on the exporter: 0 nothing
// to file, 1 a contract or filing, 2 a security assessment or an approval,
// 3 prohibited.
func RouteRank(d rulebook.Decision) int {
	r := d.Route
	switch {
	case strings.Contains(r, "PROHIBITED"), strings.HasPrefix(r, "BLOCK"):
		return 3
	case r == "CN_SA", r == "CN_FOREIGN_JUDICIAL_APPROVAL", r == "US_RESTRICTED":
		return 2
	case strings.Contains(r, "EXEMPT"), strings.Contains(r, "NOT_REGULATED"), strings.Contains(r, "NOT_COVERED"),
		strings.Contains(r, "NO_TRANSFER"), strings.HasPrefix(r, "EU_ADEQUACY"), r == "JP_WHITELIST",
		r == "HK_NO_TRANSFER_RULE":
		return 0
	}
	return 1
}

func columnsWhere(p *classify.Profile, keep func(classify.FieldProfile) bool) []string {
	if p == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, f := range p.Fields {
		if keep(f) && !seen[f.Name] {
			seen[f.Name] = true
			out = append(out, f.Name)
		}
	}
	return out
}

func listSuffix(cols []string, lang string) string {
	if len(cols) == 0 {
		return ""
	}
	if lang == "zh" {
		return fmt.Sprintf("（%s）", strings.Join(cols, "、"))
	}
	return fmt.Sprintf(" (%s)", strings.Join(cols, ", "))
}
