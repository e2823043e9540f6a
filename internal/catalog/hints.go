package catalog

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/rulebook"
)

// Hint is a compliance hint of a search result (seed §2.1.2.2: 检索结果附加合
// 规提示): what the rulebook says about exporting the dataset to one
// destination, under the assumptions it states. It is a hint, not an
// assessment: run xborder assess on the actual export.
type Hint struct {
	Kind         string `json:"kind"` // route, localization or unknown
	To           string `json:"to,omitempty"`
	Jurisdiction string `json:"jurisdiction,omitempty"` // whose rules decided
	Route        string `json:"route,omitempty"`
	Blocking     bool   `json:"blocking,omitempty"`
	NeedsReview  bool   `json:"needsReview,omitempty"`
	// Message says it in both languages, e.g. "export to US needs CN_SA
	// (security assessment)".
	Message LangMap `json:"message"`
	// Assumed states what the hint took for granted.
	Assumed *HintAssumptions `json:"assumed,omitempty"`
}

// HintAssumptions are the counts and facts a hint assumed: the dataset's
// own profile as the whole export, nothing else exported this year, the
// first allowed purpose, an ordinary company as exporter.
type HintAssumptions struct {
	From                 string `json:"from"`
	Purpose              string `json:"purpose"`
	Individuals          int64  `json:"individuals"`
	SensitiveIndividuals int64  `json:"sensitiveIndividuals"`
	PriorExportsThisYear int64  `json:"priorExportsThisYear"`
	ImportantData        string `json:"importantData"`
	AsOf                 string `json:"asOf"`
	CountsFrom           string `json:"countsFrom"` // piProfile, or none (no personal information assumed)
	Exporter             string `json:"exporter"`
}

// hintInput is what a document keeps for its hints.
type hintInput struct {
	from          string // governance.sovereignty
	purpose       string
	hasProfile    bool
	individuals   int64
	sensitive     int64
	special       bool
	importantData string
	coreData      bool
	approvals     []rulebook.Approval
	allowed       []string
	localization  string
	level         string
}

func newHintInput(e *Entry) hintInput {
	g := e.Governance
	h := hintInput{from: g.Sovereignty, purpose: "other", localization: g.Localization, allowed: g.AllowedCountries,
		level: g.ClassificationLevel, importantData: "none"}
	if len(g.AllowedPurposes) > 0 {
		h.purpose = g.AllowedPurposes[0]
	}
	if t := e.Technical; t != nil && t.PIProfile != nil {
		p := t.PIProfile
		h.hasProfile = true
		h.individuals, h.sensitive, h.special = p.Individuals, p.SensitiveIndividuals, p.SpecialCategory
		if len(p.ImportantCandidates) > 0 {
			h.importantData = "candidate"
		}
	}
	switch g.DataGrade {
	case "important":
		h.importantData = "notified"
	case "core":
		h.coreData = true
	}
	for _, a := range g.Approvals {
		ap := rulebook.Approval{Route: a.Route, Ref: a.Ref}
		if d, err := rulebook.ParseDate(a.Issued); err == nil {
			ap.Issued = d
		}
		if d, err := rulebook.ParseDate(a.Expires); err == nil {
			ap.Expires = d
		}
		h.approvals = append(h.approvals, ap)
	}
	return h
}

// hintCache memoises hints per (identifier, revision, destination, day):
// the rulebook takes about 0.2 ms per decision.
type hintCache struct {
	mu sync.Mutex
	m  map[string][]Hint
}

const hintCacheSize = 20000

func (c *hintCache) get(k string) ([]Hint, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[k]
	return h, ok
}

func (c *hintCache) put(k string, h []Hint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= hintCacheSize {
		c.m = make(map[string][]Hint)
	}
	c.m[k] = h
}

// hintsFor returns the hints of d for the destinations: those asked for,
// else the entry's allowed countries, else the catalog's defaults.
func (c *Catalog) hintsFor(d *doc, to []string, now time.Time) []Hint {
	dests := to
	if len(dests) == 0 {
		dests = d.hint.allowed
	}
	if len(dests) == 0 {
		dests = c.cfg.HintDestinations
	}
	day := now.UTC().Format(time.DateOnly)
	var out []Hint
	if d.hint.localization == "in_country_only" {
		out = append(out, Hint{Kind: "localization", Message: LangMap{
			"en": fmt.Sprintf("the data must stay in %s (localization in_country_only): only results of privacy computing may leave", d.hint.from),
			"zh": fmt.Sprintf("数据须留存在 %s 境内（本地化要求 in_country_only）：仅隐私计算的结果可以出境", d.hint.from),
		}})
	}
	for _, to := range dests {
		if to == d.hint.from {
			continue
		}
		key := d.id + "|" + itoa(d.revision) + "|" + to + "|" + day
		hs, ok := c.hints.get(key)
		if !ok {
			hs = evaluateHints(d.hint, to, day, c.routes)
			c.hints.put(key, hs)
		}
		out = append(out, hs...)
	}
	return out
}

const hintExporter = "a company: not a CIIO, no free-trade-zone or GBA route, not a US person"

// evaluateHints runs the rulebook for one destination.
func evaluateHints(h hintInput, to, day string, routes map[string]rulebook.RouteInfo) []Hint {
	unknown := func(en, zh string) []Hint {
		return []Hint{{Kind: "unknown", To: to, Message: LangMap{"en": en, "zh": zh}}}
	}
	if !h.hasProfile && h.level != LevelPublic {
		return unknown("no personal-information profile: harvest the data to get a compliance hint",
			"尚无个人信息画像：采集（harvest）数据后可得到合规提示")
	}
	if !isCountry(h.from) || !isCountry(to) {
		return unknown(fmt.Sprintf("no hint for exports from %s to %s: the rulebook takes country codes", h.from, to),
			fmt.Sprintf("无法提示 %s 至 %s 的出境：规则库只接受国家代码", h.from, to))
	}
	asOf, _ := rulebook.ParseDate(day)
	res, err := rulebook.Evaluate(h.scenario(to, h.purpose, asOf))
	if err != nil {
		return unknown(fmt.Sprintf("no hint: the rulebook refused the scenario (%v)", err),
			fmt.Sprintf("无法提示：规则库不接受该场景（%v）", err))
	}
	if len(res.Decisions) == 0 {
		return unknown(fmt.Sprintf("the rulebook has no rules for exports from %s", h.from),
			fmt.Sprintf("规则库没有 %s 出境的规则", h.from))
	}
	src := "piProfile"
	if !h.hasProfile {
		src = "none (public entry without a profile: no personal information assumed)"
	}
	assumed := &HintAssumptions{From: h.from, Purpose: h.purpose, Individuals: h.individuals,
		SensitiveIndividuals: h.sensitive, ImportantData: h.importantData, AsOf: day, CountsFrom: src, Exporter: hintExporter}
	var out []Hint
	for _, d := range res.Decisions {
		hint := Hint{Kind: "route", To: to, Jurisdiction: d.Jurisdiction, Route: d.Route, Blocking: d.Blocking,
			NeedsReview: d.NeedsReview, Assumed: assumed}
		hint.Message = routeMessage(d, to, routes)
		out = append(out, hint)
	}
	return out
}

// routeTable returns the rulebook's routes by code.
func routeTable() map[string]rulebook.RouteInfo {
	m := map[string]rulebook.RouteInfo{}
	for _, r := range rulebook.Routes() {
		m[r.Code] = r
	}
	return m
}

func routeMessage(d rulebook.Decision, to string, routes map[string]rulebook.RouteInfo) LangMap {
	info, ok := routes[d.Route]
	if !ok {
		info, _ = rulebook.RouteByCode(d.Route)
	}
	title := LangMap{"en": info.Title.EN, "zh": info.Title.ZH}
	paren := func(lang string) string {
		if title[lang] == "" {
			return ""
		}
		if lang == "zh" {
			return "（" + title[lang] + "）"
		}
		return " (" + title[lang] + ")"
	}
	var en, zh string
	switch {
	case info.Prohibition || strings.HasPrefix(d.Route, rulebook.RouteBlock):
		en = fmt.Sprintf("export to %s is prohibited: %s%s", to, d.Route, paren("en"))
		zh = fmt.Sprintf("禁止向 %s 出境：%s%s", to, d.Route, paren("zh"))
	case d.Approval != nil:
		en = fmt.Sprintf("export to %s: %s%s, with %s on record", to, d.Route, paren("en"), d.Approval.Route)
		zh = fmt.Sprintf("向 %s 出境：%s%s，已有 %s 备案或批准", to, d.Route, paren("zh"), d.Approval.Route)
	case info.Filing:
		en = fmt.Sprintf("export to %s needs %s%s", to, d.Route, paren("en"))
		zh = fmt.Sprintf("向 %s 出境需 %s%s", to, d.Route, paren("zh"))
	default:
		en = fmt.Sprintf("export to %s: %s%s", to, d.Route, paren("en"))
		zh = fmt.Sprintf("向 %s 出境：%s%s", to, d.Route, paren("zh"))
	}
	if d.NeedsReview {
		en += "; needs review"
		zh += "；需人工复核"
	}
	return LangMap{"en": en, "zh": zh}
}

// routeRank orders hints so the most burdensome comes first; it reuses the
// assess engine's ranking.
func routeRank(h Hint) int {
	switch h.Kind {
	case "localization":
		return 10
	case "route":
		return assess.RouteRank(rulebook.Decision{Route: h.Route})
	}
	return -1
}

// sortHints puts a localisation requirement first, then the most
// burdensome route, then by destination.
func sortHints(hs []Hint) {
	slices.SortStableFunc(hs, func(a, b Hint) int {
		if ra, rb := routeRank(a), routeRank(b); ra != rb {
			return rb - ra
		}
		return strings.Compare(a.To, b.To)
	})
}

// ExportScenario is the rulebook scenario for exporting the entry to the
// recipient country for purpose on day asOf: the entry's sovereignty as the
// exporter's country, its PI profile as the dataset, its data grade, and its
// approvals on record — the same facts its compliance hints use, for one
// concrete recipient and purpose (the connector's negotiation gate).
func (e *Entry) ExportScenario(to, purpose string, asOf time.Time) rulebook.Scenario {
	y, m, d := asOf.UTC().Date()
	return newHintInput(e).scenario(to, purpose, rulebook.Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)})
}

// scenario is the rulebook scenario of exporting the dataset to to for purpose.
func (h hintInput) scenario(to, purpose string, asOf rulebook.Date) rulebook.Scenario {
	return rulebook.Scenario{
		AsOf:      asOf,
		Exporter:  rulebook.Exporter{Country: h.from, Type: "company", FTZ: "none", Approvals: h.approvals},
		Recipient: rulebook.Recipient{Country: to, Type: "company"},
		Purpose:   purpose,
		Dataset: rulebook.Dataset{
			Individuals: h.individuals, SensitiveIndividuals: h.sensitive,
			ImportantData: h.importantData, CoreData: h.coreData, SpecialCategory: h.special,
		},
	}
}
