package contract

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/rulebook"
)

// Severities of review findings. A blocking finding fails the review, and
// a failed review blocks signing.
const (
	SeverityBlocking = "blocking"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Finding is one result of a review. Code is stable: scripts match on it.
type Finding struct {
	Code         string `json:"code"`
	Severity     string `json:"severity"`
	Jurisdiction string `json:"jurisdiction,omitempty"` // whose rules the finding applies
	Country      string `json:"country,omitempty"`      // recipient country of the offer
	Purpose      string `json:"purpose,omitempty"`
	Route        string `json:"route,omitempty"`
	Clause       string `json:"clause,omitempty"`
	Message      Text   `json:"message"`
	Citation     string `json:"citation,omitempty"`
}

// RouteCheck is the rulebook's route for one country and purpose the
// offer permits, in one jurisdiction, and whether the offer handles it.
type RouteCheck struct {
	Country      string   `json:"country"`
	Purpose      string   `json:"purpose"`
	Jurisdiction string   `json:"jurisdiction"`
	Route        string   `json:"route"`
	Rule         string   `json:"rule"`
	Blocking     bool     `json:"blocking"`           // the rulebook's view: prohibited, or a filing not on record
	Approval     string   `json:"approval,omitempty"` // the approval on record, "ROUTE REF"
	Covered      bool     `json:"covered"`            // the offer makes use wait for an approval that satisfies the route
	NeedsReview  bool     `json:"needs_review"`
	Obligations  []string `json:"obligations,omitempty"` // obligation codes of the decision
}

// Review is the compliance review of an offer (§2.2.3.2: 定制化模板需经平台合规审核).
type Review struct {
	Offer       string       `json:"offer"`
	OfferDigest string       `json:"offer_digest"`
	Template    string       `json:"template,omitempty"`
	AsOf        string       `json:"as_of"`
	Exporter    string       `json:"exporter"`
	Personal    bool         `json:"personal_information"`
	Sensitive   bool         `json:"sensitive_personal_information"`
	Passed      bool         `json:"passed"`
	Routes      []RouteCheck `json:"routes"`
	Findings    []Finding    `json:"findings"`
}

// Blocking returns the blocking findings.
func (r *Review) Blocking() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Severity == SeverityBlocking {
			out = append(out, f)
		}
	}
	return out
}

// ReviewInput is what a review needs.
type ReviewInput struct {
	Offer *Policy
	// Scenario describes the dataset and the exporter as for xborder
	// assess (counts, sensitive data, approvals on record, as_of). The
	// recipient country and the purpose are taken from the offer, one
	// evaluation per pair; the scenario's other recipient facts (type,
	// role, relation, certifications) are kept.
	Scenario rulebook.Scenario
	// Templates is used to check the baseline of the template the offer
	// names; nil skips that check.
	Templates *Catalog
	// Now gives the day when the scenario has no as_of.
	Now func() time.Time
}

// ReviewOffer reviews an offer against the rulebook and the baseline of
// its template. Errors are for input that cannot be reviewed at all (an
// invalid scenario); everything about the offer is a finding.
func ReviewOffer(ctx context.Context, in ReviewInput) (*Review, error) {
	p := in.Offer
	if p == nil {
		return nil, errors.New("review: no offer")
	}
	s := in.Scenario
	if s.AsOf.IsZero() {
		now := time.Now
		if in.Now != nil {
			now = in.Now
		}
		y, m, d := now().UTC().Date()
		s.AsOf = rulebook.Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
	}
	if s.Exporter.Country == "" {
		return nil, &ParamError{Param: "exporter.country", Msg: "the scenario names no exporter country", Hint: "give the exporter as in xborder assess: exporter: {country: CN}"}
	}
	digest, err := p.Digest()
	if err != nil {
		return nil, fmt.Errorf("review: %w", err)
	}
	r := &Review{Offer: p.UID, OfferDigest: digest, Template: p.Template, AsOf: s.AsOf.String(), Exporter: s.Exporter.Country,
		Routes: []RouteCheck{}, Findings: []Finding{}}
	ds := s.Dataset
	r.Personal = !ds.Anonymised && (ds.Individuals > 0 || ds.SensitiveIndividuals > 0 || ds.SpecialCategory || ds.USBulk12m != (rulebook.USBulk{}))
	r.Sensitive = r.Personal && (ds.SensitiveIndividuals > 0 || ds.SpecialCategory)
	rv := &reviewer{r: r, p: p, s: s}

	purposes, purposeSet := p.Purposes()
	countries, spatialSet := p.Countries()
	if !purposeSet {
		rv.add(Finding{Code: "purpose_unrestricted", Severity: SeverityBlocking, Clause: ClausePurpose, Citation: "PIPL art 6; GDPR art 5(1)(b)",
			Message: Text{EN: "The offer does not limit the purposes of use; a transfer is assessed, and permitted, for stated purposes only.",
				ZH: "要约未限定使用目的；数据出境须针对明确的目的进行评估和许可。"}})
		if s.Purpose != "" {
			purposes = []string{s.Purpose}
		} else {
			purposes = []string{"other"}
		}
	}
	var known []string
	for _, pu := range purposes {
		if slices.Contains(purposeNames(), pu) {
			known = append(known, pu)
			continue
		}
		rv.add(Finding{Code: "purpose_unknown", Severity: SeverityBlocking, Purpose: pu, Clause: ClausePurpose,
			Message: Text{EN: fmt.Sprintf("Purpose %q is not in the assess vocabulary, so its route cannot be decided (xborder assess --list-purposes).", pu),
				ZH: fmt.Sprintf("目的 %q 不在评估词表中，无法判定出境路径（见 xborder assess --list-purposes）。", pu)}})
	}
	if !spatialSet {
		rv.add(Finding{Code: "spatial_unrestricted", Severity: SeverityBlocking, Clause: ClauseSpatial,
			Message: Text{EN: "The offer does not limit where the data may be used, so no transfer route can be checked; name the recipient jurisdictions (spatial).",
				ZH: "要约未限定数据使用地，无法检查出境路径；请列明接收方所在司法辖区（spatial）。"}})
	}
	for _, c := range countries {
		for _, pu := range known {
			if err := rv.checkRoutes(ctx, c, pu); err != nil {
				return nil, err
			}
		}
	}
	rv.checkClauses()
	rv.checkPeriod()
	if in.Templates != nil && p.Template != "" {
		rv.checkBaseline(in.Templates)
	}
	sort.SliceStable(r.Findings, func(i, j int) bool {
		return severityRank(r.Findings[i].Severity) < severityRank(r.Findings[j].Severity)
	})
	r.Passed = len(r.Blocking()) == 0
	return r, nil
}

func severityRank(s string) int {
	return map[string]int{SeverityBlocking: 0, SeverityWarning: 1, SeverityInfo: 2}[s]
}

type reviewer struct {
	r *Review
	p *Policy
	s rulebook.Scenario
}

func (rv *reviewer) add(f Finding) {
	for _, g := range rv.r.Findings {
		if g == f {
			return
		}
	}
	rv.r.Findings = append(rv.r.Findings, f)
}

// evaluate runs the assess engine on the scenario for one country and
// purpose, with extra approvals on record.
func (rv *reviewer) evaluate(ctx context.Context, country, purpose string, extra ...rulebook.Approval) (*assess.Result, error) {
	s := rv.s
	s.Recipient.Country = country
	s.Purpose = purpose
	s.Exporter.Approvals = append(slices.Clone(s.Exporter.Approvals), extra...)
	return assess.Assess(ctx, assess.Request{Scenario: s})
}

func (rv *reviewer) checkRoutes(ctx context.Context, country, purpose string) error {
	res, err := rv.evaluate(ctx, country, purpose)
	if err != nil {
		var ie *assess.InputError
		if errors.As(err, &ie) {
			if strings.HasPrefix(ie.Key, "recipient.country") {
				rv.add(Finding{Code: "country_unknown", Severity: SeverityBlocking, Country: country, Clause: ClauseSpatial,
					Message: Text{EN: fmt.Sprintf("%q is not a country code the rulebook knows (ISO 3166-1 alpha-2).", country),
						ZH: fmt.Sprintf("%q 不是规则库认可的国家或地区代码（ISO 3166-1 二位字母代码）。", country)}})
				return nil
			}
			return &ParamError{Param: "scenario." + ie.Key, Msg: ie.Msg, Hint: ie.Hint}
		}
		return fmt.Errorf("review: assessing %s→%s for %s: %w", rv.s.Exporter.Country, country, purpose, err)
	}
	routes, required := rv.p.ApprovedRoutes()
	for _, d := range res.Decisions {
		rc := RouteCheck{Country: country, Purpose: purpose, Jurisdiction: d.Jurisdiction, Route: d.Route, Rule: d.Rule,
			Blocking: d.Blocking, NeedsReview: d.NeedsReview}
		for _, o := range d.Obligations {
			rc.Obligations = append(rc.Obligations, o.Code)
		}
		if d.Approval != nil {
			rc.Approval = strings.TrimSpace(d.Approval.Route + " " + d.Approval.Ref)
		}
		path := fmt.Sprintf("%s→%s", rv.s.Exporter.Country, country)
		base := Finding{Jurisdiction: d.Jurisdiction, Country: country, Purpose: purpose, Route: d.Route}
		prohibited := assess.RouteRank(d) == 3
		switch {
		case prohibited:
			f := base
			f.Code, f.Severity, f.Clause = "route_prohibited", SeverityBlocking, ClauseSpatial
			f.Message = Text{
				EN: fmt.Sprintf("The offer allows spatial %s, but %s law gives %s for the route %s for %s with this profile: the transfer is not permitted. Remove %s from the jurisdictions.", country, d.Jurisdiction, d.Route, path, purpose, country),
				ZH: fmt.Sprintf("要约允许在 %s 使用，但依 %s 法律，本数据在 %s 路径上用于 %s 的结论为 %s：不得出境。请从司法辖区中删除 %s。", country, d.Jurisdiction, path, purpose, d.Route, country)}
			f.Citation = citations(d)
			rv.add(f)
		case d.Blocking:
			covers, invalid := rv.covers(ctx, country, purpose, d.Jurisdiction, routes)
			rc.Covered = required && covers
			for _, code := range invalid {
				f := base
				f.Code, f.Severity, f.Clause = "approved_route_invalid", SeverityWarning, ClauseApprovedRoute
				f.Message = Text{EN: fmt.Sprintf("The offer requires route %s, which is not an approval that can be on record; it satisfies nothing.", code),
					ZH: fmt.Sprintf("要约要求的路径 %s 不是可以备案或批准的路径，无法满足任何要求。", code)}
				rv.add(f)
			}
			f := base
			f.Clause, f.Citation = ClauseApprovedRoute, citations(d)
			switch {
			case rc.Covered:
				f.Code, f.Severity = "route_approval_pending", SeverityWarning
				f.Message = Text{
					EN: fmt.Sprintf("The route %s for this profile needs %s, which is not on record; the offer makes use wait for it (approved route %s). The agreement may be signed; use is refused until the approval is recorded.", path, d.Route, strings.Join(routes, ", ")),
					ZH: fmt.Sprintf("本数据 %s 路径需 %s，目前无备案或批准记录；要约已将其设为使用前提（须已批准路径 %s）。可以签署协议，但在记录审批前拒绝使用。", path, d.Route, strings.Join(routes, ", "))}
			case required:
				f.Code, f.Severity = "route_approval_insufficient", SeverityBlocking
				f.Message = Text{
					EN: fmt.Sprintf("The offer allows spatial %s, but the route %s for this profile needs %s and the offer's approved route %s does not cover it (each listed route must).", country, path, d.Route, strings.Join(routes, ", ")),
					ZH: fmt.Sprintf("要约允许在 %s 使用，但本数据 %s 路径需 %s，要约要求的已批准路径 %s 不足以覆盖（所列每一路径均须覆盖）。", country, path, d.Route, strings.Join(routes, ", "))}
			default:
				f.Code, f.Severity = "route_approval_not_required", SeverityBlocking
				f.Message = Text{
					EN: fmt.Sprintf("The offer allows spatial %s, but the route %s for this profile needs %s and the offer does not require an approved route.", country, path, d.Route),
					ZH: fmt.Sprintf("要约允许在 %s 使用，但本数据 %s 路径需 %s，而要约未要求已批准的出境路径。", country, path, d.Route)}
			}
			rv.add(f)
		case d.Approval != nil:
			f := base
			f.Code, f.Severity = "route_approved", SeverityInfo
			f.Message = Text{EN: fmt.Sprintf("The route %s needs %s; approval %s is on record.", path, d.Route, rc.Approval),
				ZH: fmt.Sprintf("%s 路径需 %s；已有审批或备案记录 %s。", path, d.Route, rc.Approval)}
			rv.add(f)
		}
		if module, ok := strings.CutPrefix(d.Route, "EU_SCC_M"); ok {
			code := "eu_scc_m" + module
			if !slices.ContainsFunc(rv.p.Terms, func(t Term) bool { return t.Code == code }) {
				f := base
				f.Code, f.Severity, f.Citation = "scc_not_incorporated", SeverityBlocking, "GDPR art 46(2)(c); SCC Decision 2021/914"
				f.Message = Text{
					EN: fmt.Sprintf("The route %s relies on the standard contractual clauses, module %s, and the offer does not incorporate them (term %s; use the eu-scc-transfer template).", path, module, code),
					ZH: fmt.Sprintf("%s 路径依赖标准合同条款模块 %s，但要约未纳入该条款（条款代码 %s；可使用 eu-scc-transfer 模板）。", path, module, code)}
				rv.add(f)
			}
		}
		if d.NeedsReview {
			var en, zh []string
			for _, t := range d.ReviewReasons {
				en, zh = append(en, t.EN), append(zh, t.ZH)
			}
			f := base
			f.Code, f.Severity = "needs_review", SeverityWarning
			f.Message = Text{EN: "A person should check the route decision: " + strings.Join(en, " "), ZH: "出境路径结论需人工复核：" + strings.Join(zh, "")}
			rv.add(f)
		}
		rv.r.Routes = append(rv.r.Routes, rc)
	}
	for _, c := range res.Conflicts {
		if c.Kind != "CONFLICT" {
			continue
		}
		rv.add(Finding{Code: "jurisdiction_conflict", Severity: SeverityWarning, Country: country, Purpose: purpose,
			Jurisdiction: strings.Join(c.Jurisdictions, "/"),
			Message:      Text{EN: c.Description.EN, ZH: c.Description.ZH}})
	}
	return nil
}

// covers reports whether every approved route the offer lists would, once
// on record, satisfy jurisdiction j's route for this country and purpose:
// the rulebook is re-run with that approval added, so what counts as
// satisfying (an SA covering SC, expiry rules) stays the rulebook's. It
// also returns the listed codes that cannot be approvals at all.
func (rv *reviewer) covers(ctx context.Context, country, purpose, j string, routes []string) (bool, []string) {
	if len(routes) == 0 {
		return false, nil
	}
	all := true
	var invalid []string
	for _, code := range routes {
		res, err := rv.evaluate(ctx, country, purpose, rulebook.Approval{Route: code, Ref: "review", Issued: rv.s.AsOf})
		if err != nil {
			invalid = append(invalid, code)
			all = false
			continue
		}
		ok := false
		for _, d := range res.Decisions {
			if d.Jurisdiction == j {
				ok = !d.Blocking
			}
		}
		all = all && ok
	}
	return all, invalid
}

func citations(d rulebook.Decision) string {
	var refs []string
	for _, c := range d.Citations {
		refs = append(refs, c.Ref)
	}
	if len(refs) > 3 {
		refs = refs[:3]
	}
	return strings.Join(refs, "; ")
}

// checkClauses applies the baseline every offer of personal information
// needs, whatever its template.
func (rv *reviewer) checkClauses() {
	p, personal := rv.p, rv.r.Personal
	sev := func(ifPersonal string) string {
		if personal {
			return ifPersonal
		}
		return SeverityWarning
	}
	if !ClausePresent(ClausePeriod, p) {
		rv.add(Finding{Code: "period_unbounded", Severity: sev(SeverityBlocking), Clause: ClausePeriod, Citation: "PIPL art 19; GDPR art 5(1)(e)",
			Message: Text{EN: "The offer has no end date: use of the data is not limited in time.",
				ZH: "要约未设定截止日期：数据使用没有时间限制。"}})
	}
	if !ClausePresent(ClauseDeleteAtEnd, p) {
		rv.add(Finding{Code: "deletion_duty_missing", Severity: sev(SeverityBlocking), Clause: ClauseDeleteAtEnd, Citation: "PIPL arts 19, 47; GDPR art 5(1)(e); SCC clause 8.5",
			Message: Text{EN: "The offer does not oblige the recipient to delete the data at the end of the period.",
				ZH: "要约未约定接收方在期限届满时删除数据的义务。"}})
	} else if dl := deletionDeadline(p); dl != nil {
		if until := p.Period().Until; !until.IsZero() && dl.Before(until) {
			rv.add(Finding{Code: "deletion_before_end", Severity: SeverityWarning, Clause: ClauseDeleteAtEnd,
				Message: Text{EN: "The deletion deadline falls before the end of the period of use.", ZH: "删除期限早于使用期限届满之日。"}})
		}
	}
	if findRule(p.Permissions, ActDistribute) != nil {
		rv.add(Finding{Code: "onward_transfer_permitted", Severity: sev(SeverityBlocking), Clause: ClauseNoOnwardTransfer, Citation: "PIPL art 23; SC Measures; SCC clause 8.7",
			Message: Text{EN: "The offer permits distribution to third parties: onward transfer must be prohibited or bound to the same protection.",
				ZH: "要约允许向第三方分发：再转移应予禁止或受同等保护约束。"}})
	} else if !ClausePresent(ClauseNoOnwardTransfer, p) {
		rv.add(Finding{Code: "onward_transfer_unrestricted", Severity: sev(SeverityBlocking), Clause: ClauseNoOnwardTransfer, Citation: "PIPL art 23; SC Measures; SCC clause 8.7",
			Message: Text{EN: "The offer does not prohibit onward transfer (distribute) to third parties.",
				ZH: "要约未禁止向第三方再转移（分发）数据。"}})
	}
	if !ClausePresent(ClauseRecipient, p) {
		rv.add(Finding{Code: "recipient_unrestricted", Severity: sev(SeverityBlocking), Clause: ClauseRecipient, Citation: "PIPL art 39",
			Message: Text{EN: "The offer does not name who may receive the data; individuals must be told the recipient's identity.",
				ZH: "要约未列明数据接收方；应当向个人告知境外接收方的身份。"}})
	}
	if !ClausePresent(ClauseBreachNotice, p) {
		rv.add(Finding{Code: "breach_notice_missing", Severity: SeverityWarning, Clause: ClauseBreachNotice, Citation: "PIPL art 57; GDPR arts 33, 34; SCC clause 8.6",
			Message: Text{EN: "The offer does not oblige the recipient to notify security incidents.",
				ZH: "要约未约定接收方通知安全事件的义务。"}})
	}
	if rv.r.Sensitive {
		channels, ok := p.allowed(LODeliveryChannel)
		open := !ok || slices.ContainsFunc(channels, func(c string) bool { return c != "privacy_computing" && c != "sandbox" })
		if open {
			rv.add(Finding{Code: "sensitive_channel_open", Severity: SeverityWarning, Clause: ClauseDeliveryChannel, Citation: "PIPL arts 28, 51",
				Message: Text{EN: "The data include sensitive personal information and the offer lets it leave in the clear; consider privacy computing or a sandbox only.",
					ZH: "数据包含敏感个人信息，而要约允许明文交付；建议仅允许隐私计算或安全沙箱方式。"}})
		}
	}
	if !ClausePresent(ClauseUsageLimits, p) {
		rv.add(Finding{Code: "usage_unlimited", Severity: SeverityInfo, Clause: ClauseUsageLimits,
			Message: Text{EN: "The offer sets no count or volume limit.", ZH: "要约未设使用次数或数据量上限。"}})
	}
}

func (rv *reviewer) checkPeriod() {
	pd := rv.p.Period()
	if !pd.Until.IsZero() && !pd.Until.After(rv.s.AsOf.Time) {
		rv.add(Finding{Code: "period_ended", Severity: SeverityBlocking, Clause: ClausePeriod,
			Message: Text{EN: fmt.Sprintf("The period of use ended before %s.", rv.s.AsOf), ZH: fmt.Sprintf("使用期限已于 %s 之前届满。", rv.s.AsOf)}})
	}
}

// fixedOperands maps template parameters to the operand that carries them,
// so a fixed value changed by hand is caught.
var fixedOperands = map[string]string{"industry": LOIndustry, "channels": LODeliveryChannel, "routes": LOTransferRoute}

func (rv *reviewer) checkBaseline(c *Catalog) {
	t, err := c.Get(rv.p.Template)
	if err != nil {
		rv.add(Finding{Code: "template_unknown", Severity: SeverityWarning,
			Message: Text{EN: fmt.Sprintf("The offer names template %s, which this platform does not know; its baseline is not checked.", rv.p.Template),
				ZH: fmt.Sprintf("要约引用的模板 %s 在本平台不存在，无法检查其合规基线。", rv.p.Template)}})
		return
	}
	for _, b := range t.Baseline {
		if !ClausePresent(b, rv.p) {
			rv.add(Finding{Code: "baseline_clause_missing", Severity: SeverityBlocking, Clause: b,
				Message: Text{EN: fmt.Sprintf("Template %s requires the %s clause, which the customised offer no longer has.", t.ID(), b),
					ZH: fmt.Sprintf("模板 %s 要求的 %s 条款在定制后的要约中缺失。", t.ID(), b)}})
		}
	}
	for i := range t.Params {
		ps := &t.Params[i]
		lo, ok := fixedOperands[ps.Name]
		if !ok || ps.Fixed.Kind == 0 {
			continue
		}
		raw, err := yamlToJSON(&ps.Fixed)
		if err != nil {
			continue
		}
		v, err := ps.decode(raw)
		if err != nil {
			continue
		}
		want := fmt.Sprint(v)
		if s, ok := v.(string); ok {
			want = fmt.Sprint([]string{s})
		}
		got, present := rv.p.allowed(lo)
		if !present || fmt.Sprint(got) != want {
			rv.add(Finding{Code: "fixed_term_changed", Severity: SeverityBlocking, Clause: ps.Name,
				Message: Text{EN: fmt.Sprintf("Template %s fixes %s to %s; the offer says %v.", t.ID(), ps.Name, want, got),
					ZH: fmt.Sprintf("模板 %s 将 %s 固定为 %s；要约中为 %v。", t.ID(), ps.Name, want, got)}})
		}
	}
}

// FindingCode documents one finding code.
type FindingCode struct {
	Code     string `json:"code"`
	Severity string `json:"severity"` // the usual severity; see docs for the personal-data rule
	Title    Text   `json:"title"`
}

// FindingCodes lists every code a review can produce.
func FindingCodes() []FindingCode {
	f := func(code, sev, en, zh string) FindingCode { return FindingCode{code, sev, Text{en, zh}} }
	return []FindingCode{
		f("purpose_unrestricted", SeverityBlocking, "no purpose constraint", "未限定目的"),
		f("purpose_unknown", SeverityBlocking, "purpose outside the assess vocabulary", "目的不在评估词表中"),
		f("spatial_unrestricted", SeverityBlocking, "no jurisdiction constraint", "未限定使用地"),
		f("country_unknown", SeverityBlocking, "country code unknown to the rulebook", "国家或地区代码无法识别"),
		f("route_prohibited", SeverityBlocking, "the route is prohibited for this profile", "该路径禁止出境"),
		f("route_approval_not_required", SeverityBlocking, "route needs a filing or approval the offer does not require", "路径需审批或备案而要约未作要求"),
		f("route_approval_insufficient", SeverityBlocking, "the approved route the offer requires does not cover the route", "要约要求的已批准路径不足以覆盖"),
		f("route_approval_pending", SeverityWarning, "route needs an approval not yet on record; use waits for it", "所需审批尚未记录；使用须待其完成"),
		f("approved_route_invalid", SeverityWarning, "a listed approved route cannot be an approval", "所列已批准路径不是可备案或批准的路径"),
		f("route_approved", SeverityInfo, "the approval the route needs is on record", "所需审批已有记录"),
		f("scc_not_incorporated", SeverityBlocking, "EU SCC route without the SCC module in the offer", "依 SCC 的路径但要约未纳入相应模块"),
		f("needs_review", SeverityWarning, "the route decision rests on a contested or unverified point", "路径结论依赖有争议或未核实的要点"),
		f("jurisdiction_conflict", SeverityWarning, "the laws of two jurisdictions conflict", "两法域规则冲突"),
		f("period_unbounded", SeverityBlocking, "no end date (blocking for personal information)", "未设截止日期（含个人信息时为阻断）"),
		f("period_ended", SeverityBlocking, "the period of use is over", "使用期限已届满"),
		f("deletion_duty_missing", SeverityBlocking, "no deletion at the end (blocking for personal information)", "未约定期满删除（含个人信息时为阻断）"),
		f("deletion_before_end", SeverityWarning, "deletion deadline before the end of use", "删除期限早于使用期限"),
		f("onward_transfer_permitted", SeverityBlocking, "distribution to third parties is permitted (blocking for personal information)", "允许向第三方分发（含个人信息时为阻断）"),
		f("onward_transfer_unrestricted", SeverityBlocking, "onward transfer not prohibited (blocking for personal information)", "未禁止再转移（含个人信息时为阻断）"),
		f("recipient_unrestricted", SeverityBlocking, "recipients not named (blocking for personal information)", "未列明接收方（含个人信息时为阻断）"),
		f("breach_notice_missing", SeverityWarning, "no security-incident notice duty", "未约定安全事件通知义务"),
		f("sensitive_channel_open", SeverityWarning, "sensitive data may leave in the clear", "敏感数据可明文交付"),
		f("usage_unlimited", SeverityInfo, "no count or volume limit", "未设使用上限"),
		f("template_unknown", SeverityWarning, "the offer names an unknown template", "引用了未知模板"),
		f("baseline_clause_missing", SeverityBlocking, "a clause of the template's baseline was removed", "删除了模板合规基线条款"),
		f("fixed_term_changed", SeverityBlocking, "a value the template fixes was changed", "修改了模板固定的取值"),
	}
}
