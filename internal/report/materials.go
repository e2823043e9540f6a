package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/classify"
	"github.com/xborder/xborder/internal/rulebook"
)

// Material is one set of documents or steps to prepare for a route, as a
// checklist.
type Material struct {
	Route        string `json:"route"`        // the route code it serves
	Jurisdiction string `json:"jurisdiction"` // the decision's jurisdiction
	Code         string `json:"code"`         // stable name of the checklist, e.g. "pipia"
	Title        string `json:"title"`
	Items        []Item `json:"items"`
}

// Item is one line of a checklist. Prefill carries what the assessment
// already knows for it (field classes, counts, destination, purpose); Done
// is true when the scenario shows it done, e.g. an approval on record.
type Item struct {
	Code    string `json:"code"`
	Text    string `json:"text"`
	Prefill string `json:"prefill"`
	Done    bool   `json:"done"`
}

// Materials lists what to prepare for the routes of r, in decision order,
// pre-filled from the profile and the scenario. Each checklist appears once
// even if several decisions call for it.
func Materials(r *assess.Result, lang Lang) []Material {
	out := []Material{}
	if r == nil {
		return out
	}
	b := matBuilder{r: r, lang: lang}
	seen := map[string]bool{}
	add := func(ms ...Material) {
		for _, m := range ms {
			if seen[m.Code] {
				continue
			}
			seen[m.Code] = true
			out = append(out, m)
		}
	}
	for _, d := range r.Decisions {
		add(b.forRoute(d, d.Route, false)...)
		for _, alt := range d.Alternatives {
			if alt == "CN_GBA_SC" {
				add(b.forRoute(d, alt, true)...)
			}
		}
	}
	return out
}

// matBuilder builds the checklists of one result.
type matBuilder struct {
	r    *assess.Result
	lang Lang
}

func (b matBuilder) item(code, prefill string, done bool) Item {
	return Item{Code: code, Text: t(b.lang, "i_"+code), Prefill: prefill, Done: done}
}

func (b matBuilder) material(d rulebook.Decision, route, code string, items ...Item) Material {
	return Material{Route: route, Jurisdiction: d.Jurisdiction, Code: code, Title: t(b.lang, "m_"+code), Items: items}
}

// forRoute returns the checklists for one route of decision d.
func (b matBuilder) forRoute(d rulebook.Decision, route string, alternative bool) []Material {
	base, _ := splitRoute(route)
	ap := approvalFor(d, route, alternative)
	onRecord := ap != nil
	rec := ""
	if onRecord {
		rec = tf(b.lang, "p_on_record", approvalText(*ap))
	}
	switch {
	case base == "CN_SC_OR_CERT":
		// An approval on record is the contract filing (CN_SC), the
		// certificate (CN_CERT) or a security assessment covering more.
		cert := onRecord && ap.Route == "CN_CERT"
		contract := onRecord && !cert
		ms := []Material{b.pipia(d, route, onRecord)}
		if !cert {
			ms = append(ms, b.material(d, route, "sc_filing",
				b.item("sc_sign", rec, contract),
				b.item("notice_consent", b.noticePrefill(), false),
				b.item("sc_file", b.exporterPrefill(rec), contract),
				b.item("sc_refile", "", false),
			))
		}
		if !contract {
			ms = append(ms, b.material(d, route, "cert",
				b.item("cert_eligible", b.scalePrefill(), cert),
				b.item("cert_before", "", cert),
				b.item("cert_apply", rec, cert),
				b.item("cert_valid", "", false),
			))
		}
		return ms
	case base == "CN_SA":
		return []Material{
			b.material(d, route, "sa_report",
				b.item("sa_legal", b.purposePrefill(), onRecord),
				b.item("sa_scale", b.scalePrefill(), onRecord),
				b.item("sa_recipient", b.recipientPrefill(), onRecord),
				b.item("sa_risk", "", onRecord),
				b.item("sa_contract", "", onRecord),
				b.item("sa_other", b.candidatesPrefill(), onRecord),
			),
			b.material(d, route, "sa_declaration",
				b.item("sa_form", rec, onRecord),
				b.item("sa_selfreport", "", onRecord),
				b.item("sa_contractdoc", b.recipientPrefill(), onRecord),
				b.item("sa_othermat", "", onRecord),
				b.item("sa_submit", b.exporterPrefill(""), onRecord),
				b.item("sa_accept", "", onRecord),
				b.item("sa_assess", "", onRecord),
				b.item("sa_validity", rec, false),
			),
		}
	case base == "CN_GBA_SC" || base == "HK_GBA_SC":
		return []Material{b.material(d, route, "gba",
			b.item("gba_parties", b.partiesPrefill(), false),
			b.item("gba_noid", "", false),
			b.item("gba_pipia", b.scalePrefill(), onRecord),
			b.item("gba_sign", "", onRecord),
			b.item("gba_file", rec, onRecord),
			b.item("gba_onward", "", false),
		)}
	case base == "CN_FOREIGN_JUDICIAL_APPROVAL":
		return []Material{b.material(d, route, "judicial",
			b.item("jud_request", b.recipientPrefill(), onRecord),
			b.item("jud_apply", rec, onRecord),
			b.item("jud_scope", b.scalePrefill(), onRecord),
			b.item("jud_record", "", false),
		)}
	case base == "CN_NOT_REGULATED":
		return []Material{b.material(d, route, "cn_not_reg",
			b.item("cn_notpi", b.scalePrefill(), false),
			b.item("cn_candidates", b.candidatesPrefill(), false),
		)}
	case strings.HasPrefix(base, "CN_EXEMPT_"):
		items := []Item{
			b.item("cn_notice", b.noticePrefill(), false),
			b.item("cn_consent", b.purposePrefill(), false),
			b.item("cn_pipia", b.scalePrefill(), false),
			b.item("cn_security", "", false),
		}
		if base == "CN_EXEMPT_ART5_1" || base == "CN_EXEMPT_ART5_2" || base == "CN_EXEMPT_ART5_3" {
			items = append(items, b.item("cn_necessary", b.classesPrefill(), false))
		}
		if base == "CN_EXEMPT_ART3" {
			items = []Item{b.item("cn_notpi", b.scalePrefill(), false), b.item("cn_candidates", b.candidatesPrefill(), false)}
		}
		return []Material{b.material(d, route, "cn_residual", items...)}
	case base == "BLOCK" || base == "BLOCK_NEEDS_REVIEW":
		return []Material{b.material(d, route, "cn_block",
			b.item("block_stop", "", false),
			b.item("block_review", "", false),
		)}
	case strings.HasPrefix(base, "EU_SCC_"):
		return []Material{b.material(d, route, "scc",
			b.item("scc_module", tf(b.lang, "p_module", routeTitle(route, b.lang), roleName(b.r.Scenario.Recipient.Role, b.lang)), false),
			b.item("scc_annex1", b.categoriesPrefill(), false),
			b.item("scc_annex2", "", false),
			b.item("scc_unchanged", "", false),
			b.item("scc_art32", b.recipientPrefill(), false),
		), b.tia(d, route)}
	case base == "EU_BCR" || base == "EU_ART46_OTHER":
		return []Material{b.tia(d, route)}
	case strings.HasPrefix(base, "EU_ART49_"):
		items := []Item{
			b.item("a49_ground", tf(b.lang, "p_derogation", routeTitle(route, b.lang)), false),
			b.item("a49_occasional", b.scalePrefill(), false),
			b.item("a49_necessity", b.purposePrefill(), false),
		}
		switch base {
		case "EU_ART49_a":
			items = append(items, b.item("a49_consent", tf(b.lang, "p_country", countryName(b.r.Scenario.Recipient.Country, b.lang)), false))
		case "EU_ART49_CLI":
			items = append(items, b.item("a49_cli", "", false))
		}
		items = append(items, b.item("a49_records", "", false))
		return []Material{b.material(d, route, "art49", items...)}
	case base == "EU_ADEQUACY":
		return []Material{b.material(d, route, "eu_adequacy",
			b.item("eu_scope", b.recipientPrefill(), false),
			b.item("eu_notice", "", false),
			b.item("eu_records", "", false),
			b.item("eu_onward", "", false),
		)}
	case base == "EU_PROHIBITED":
		return []Material{b.material(d, route, "eu_prohibited",
			b.item("block_stop", "", false),
			b.item("block_review", "", false),
		)}
	case base == "US_RESTRICTED":
		return []Material{b.material(d, route, "us_restricted",
			b.item("us_cisa", "", false),
			b.item("us_programme", b.recipientPrefill(), false),
			b.item("us_audit", "", false),
			b.item("us_records", b.usBulkPrefill(), false),
			b.item("us_report", "", false),
		)}
	case base == "US_ONWARD_CONTRACT_REQUIRED":
		return []Material{b.material(d, route, "us_onward",
			b.item("us_clause", b.recipientPrefill(), false),
			b.item("us_14day", "", false),
			b.item("us_record", b.usBulkPrefill(), false),
		)}
	case base == "US_PROHIBITED" || base == "US_PADFA_PROHIBITED":
		return []Material{b.material(d, route, "us_prohibited",
			b.item("us_stop", "", false),
			b.item("us_exemptions", "", false),
			b.item("us_record", b.usBulkPrefill(), false),
		)}
	case base == "JP_CONSENT":
		return []Material{b.material(d, route, "jp_consent",
			b.item("jp_country", countryName(b.r.Scenario.Recipient.Country, b.lang), false),
			b.item("jp_system", "", false),
			b.item("jp_measures", b.recipientPrefill(), false),
			b.item("jp_record", "", false),
		)}
	case base == "JP_EQUIV_MEASURES":
		return []Material{b.material(d, route, "jp_equiv",
			b.item("jp_check", b.recipientPrefill(), false),
			b.item("jp_inform", "", false),
		)}
	case base == "SG_CONTRACT":
		return []Material{b.material(d, route, "sg_contract",
			b.item("sg_comparable", b.recipientPrefill(), false),
			b.item("sg_countries", tf(b.lang, "p_country", countryName(b.r.Scenario.Recipient.Country, b.lang)), false),
		)}
	case base == "SG_BCR":
		return []Material{b.material(d, route, "sg_bcr",
			b.item("sg_comparable", "", false),
			b.item("sg_bcr", b.recipientPrefill(), false),
		)}
	case base == "SG_CERT":
		return []Material{b.material(d, route, "sg_cert",
			b.item("sg_cert", strings.Join(b.r.Scenario.Recipient.Certifications, ", "), false),
		)}
	case base == "SG_DEEMED":
		return []Material{b.material(d, route, "sg_deemed",
			b.item("sg_summary", routeTitle(route, b.lang), false),
		)}
	case base == "HK_NO_TRANSFER_RULE":
		return []Material{b.material(d, route, "hk",
			b.item("hk_dpp3", b.purposePrefill(), false),
			b.item("hk_rmc", b.recipientPrefill(), false),
			b.item("hk_processor", "", false),
		)}
	}
	return nil
}

// pipia is the PIPIA outline for the standard contract route.
func (b matBuilder) pipia(d rulebook.Decision, route string, done bool) Material {
	return b.material(d, route, "pipia",
		b.item("pipia_purpose", b.purposePrefill(), done),
		b.item("pipia_scale", b.scalePrefill(), done),
		b.item("pipia_recipient", b.recipientPrefill(), done),
		b.item("pipia_risk", "", done),
		b.item("pipia_country", tf(b.lang, "p_country", countryName(b.r.Scenario.Recipient.Country, b.lang)), done),
		b.item("pipia_keep", "", false),
	)
}

// tia is the EDPB six-step transfer impact assessment.
func (b matBuilder) tia(d rulebook.Decision, route string) Material {
	return b.material(d, route, "tia",
		b.item("tia_1", b.categoriesPrefill(), false),
		b.item("tia_2", tf(b.lang, "p_tool", routeTitle(route, b.lang)), false),
		b.item("tia_3", tf(b.lang, "p_country", countryName(b.r.Scenario.Recipient.Country, b.lang)), false),
		b.item("tia_4", "", false),
		b.item("tia_5", "", false),
		b.item("tia_6", "", false),
	)
}

// approvalFor returns the approval on record that satisfies route: the
// decision's own, which the rulebook has checked for validity (an SA
// approval may satisfy a lower route). Alternatives have none.
func approvalFor(d rulebook.Decision, route string, alternative bool) *rulebook.Approval {
	if alternative || route != d.Route {
		return nil
	}
	return d.Approval
}

// approvalText describes an approval: route, reference and dates.
func approvalText(a rulebook.Approval) string {
	s := strings.TrimSpace(a.Route + " " + a.Ref)
	var dates []string
	if !a.Issued.IsZero() {
		dates = append(dates, a.Issued.String())
	}
	if !a.Expires.IsZero() {
		dates = append(dates, "→ "+a.Expires.String())
	}
	if len(dates) > 0 {
		s += " (" + strings.Join(dates, " ") + ")"
	}
	return s
}

// counts returns the individuals and sensitive individuals of this export.
func counts(r *assess.Result) (int64, int64) {
	if r.Profile != nil {
		return r.Profile.Individuals, r.Profile.SensitiveIndividuals
	}
	return r.Scenario.Dataset.Individuals, r.Scenario.Dataset.SensitiveIndividuals
}

func (b matBuilder) purposePrefill() string {
	lb := vocabName(b.r.Scenario.LegalBasis, b.lang)
	if lb == "" {
		lb = t(b.lang, "unknown")
	}
	return tf(b.lang, "p_purpose", purposeName(b.r.Scenario.Purpose, b.lang), lb)
}

func (b matBuilder) classesPrefill() string {
	s := classSummary(b.r.Profile, b.lang, false)
	if s == "" {
		return ""
	}
	return tf(b.lang, "p_categories", s)
}

func (b matBuilder) scalePrefill() string {
	n, s := counts(b.r)
	cls := classSummary(b.r.Profile, b.lang, false)
	if cls == "" {
		cls = "—"
	}
	p := tf(b.lang, "p_scale", num(n), num(s), cls)
	if sens := classSummary(b.r.Profile, b.lang, true); sens != "" {
		p += clauseSep(b.lang) + tf(b.lang, "p_sensitive", sens)
	}
	return p
}

func (b matBuilder) categoriesPrefill() string {
	n, s := counts(b.r)
	cls := classSummary(b.r.Profile, b.lang, false)
	if cls == "" {
		return tf(b.lang, "p_scale", num(n), num(s), "—")
	}
	return tf(b.lang, "p_scale", num(n), num(s), cls)
}

func (b matBuilder) recipientPrefill() string {
	return tf(b.lang, "p_recipient", recipientText(b.r.Scenario.Recipient, b.lang))
}

func (b matBuilder) exporterPrefill(rec string) string {
	if rec != "" {
		return rec
	}
	return tf(b.lang, "p_exporter", exporterText(b.r.Scenario.Exporter, b.lang))
}

func (b matBuilder) partiesPrefill() string {
	return tf(b.lang, "p_exporter", exporterText(b.r.Scenario.Exporter, b.lang)) + clauseSep(b.lang) + b.recipientPrefill()
}

func (b matBuilder) noticePrefill() string {
	return b.recipientPrefill() + clauseSep(b.lang) + b.purposePrefill()
}

func (b matBuilder) candidatesPrefill() string {
	if b.r.Profile == nil || len(b.r.Profile.ImportantCandidates) == 0 {
		return ""
	}
	return tf(b.lang, "p_candidates", strings.Join(b.r.Profile.ImportantCandidates, ", "))
}

func (b matBuilder) usBulkPrefill() string {
	m := map[string]int64{}
	u := b.r.Scenario.Dataset.USBulk12m
	for k, v := range map[string]int64{
		"human_genomic": u.HumanGenomic, "human_omic": u.HumanOmic, "biometric": u.Biometric,
		"precise_geolocation_devices": u.PreciseGeolocationDevices, "personal_health": u.PersonalHealth,
		"personal_financial": u.PersonalFinancial, "covered_identifiers": u.CoveredIdentifiers,
	} {
		if v > 0 {
			m[k] = v
		}
	}
	if b.r.Profile != nil {
		for k, v := range b.r.Profile.USBulk {
			if v > m[k] {
				m[k] = v
			}
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys)+1)
	for _, k := range keys {
		parts = append(parts, k+" "+num(m[k]))
	}
	if u.GovernmentRelated {
		parts = append(parts, "government_related")
	}
	if len(parts) == 0 {
		return ""
	}
	return tf(b.lang, "p_us_bulk", strings.Join(parts, ", "))
}

// classSummary lists the personal field classes of p with their column
// counts, most frequent first: "Resident ID number ×2, Email address ×1".
// With sensitiveOnly it lists the sensitive classes only.
func classSummary(p *classify.Profile, lang Lang, sensitiveOnly bool) string {
	var parts []string
	for _, c := range classCounts(p, lang) {
		if c.Class == classify.ClassNone || (sensitiveOnly && !c.Sensitive) {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", c.Label, c.Count))
	}
	return strings.Join(parts, listSep(lang))
}

// clauseSep separates the clauses of a pre-filled note.
func clauseSep(lang Lang) string {
	if lang == ZH {
		return "；"
	}
	return "; "
}

// listSep separates the items of an inline list.
func listSep(lang Lang) string {
	if lang == ZH {
		return "、"
	}
	return ", "
}

// recipientText describes the recipient: country, then type, role and
// relation, e.g. "Germany (DE) · company · controller · affiliate".
func recipientText(rc rulebook.Recipient, lang Lang) string {
	parts := []string{countryName(rc.Country, lang)}
	if rc.Name != "" {
		parts = []string{rc.Name + ", " + parts[0]}
	}
	for _, s := range []string{vocabName(rc.Type, lang), roleName(rc.Role, lang), vocabName(rc.Relation, lang)} {
		if s != "" && s != t(lang, "unknown") {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " · ")
}

// exporterText describes the exporter: city and country, then type and
// sector, e.g. "Shenzhen, China (CN) · hospital · health".
func exporterText(e rulebook.Exporter, lang Lang) string {
	where := countryName(e.Country, lang)
	if e.City != "" {
		if lang == ZH {
			where += " " + e.City
		} else {
			where = e.City + ", " + where
		}
	}
	parts := []string{where}
	for _, s := range []string{vocabName(e.Type, lang), vocabName(e.Sector, lang)} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " · ")
}
