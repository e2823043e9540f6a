package rulebook

// Instrument is a law, regulation or decision the rulebook cites (research
// tables §1.1, §2, §3, §4, §5, §6).
type Instrument struct {
	ID        string
	Name      string // short name used in citations
	URL       string
	Tag       string // confidence of the text (research §0.1)
	Effective string // day in force, where known
}

// Instruments returns the instrument table, keyed by ID.
func Instruments() map[string]Instrument {
	list := []Instrument{
		// China (§1.1)
		{"C1", "PIPL", "https://www.npc.gov.cn/npc/c2/c30834/202108/t20210820_313088.html", "V", "2021-11-01"},
		{"C2", "DSL", "http://www.npc.gov.cn/npc/c30834/202106/7c9af12f51334a73b56d7938f99a788a.shtml", "V", "2021-09-01"},
		{"C3", "CSL", "http://www.npc.gov.cn/npc/c2/c30834/202510/t20251028_449048.html", "S", "2026-01-01"},
		{"C4", "NDSR", "https://www.gov.cn/zhengce/content/202409/content_6977766.htm", "V", "2025-01-01"},
		{"C5", "CII Security Protection Regulations", "http://www.gov.cn/zhengce/content/2021-08/17/content_5631671.htm", "V", "2021-09-01"},
		{"C6", "SA Measures", "https://www.cac.gov.cn/2022-07/07/c_1658811536396503.htm", "V", "2022-09-01"},
		{"C7", "SC Measures", "https://www.chinalawandpractice.com/2023/05/12/measures-for-the-standard-contract-for-overseas-transfer-of-personal-information", "S", "2023-06-01"},
		{"C8", "2024 Provisions", "https://www.cac.gov.cn/2024-03/22/c_1712776611775634.htm", "V", "2024-03-22"},
		{"C9", "Cert Measures", "https://www.cac.gov.cn/2025-10/17/c_1762449728720008.htm", "S", "2026-01-01"},
		{"C10", "GBA (Mainland–HK) SC Guidelines", "https://www.digitalpolicy.gov.hk/en/our_work/digital_infrastructure/mainland/cross-boundary_data_flow", "S", "2023-12-13"},
		{"C10b", "GBA (Mainland–Macao) SC Guidelines", "", "S", "2024-09-10"},
		{"C11", "CAC Data export Q&A", "https://www.china-briefing.com/news/chinas-cross-border-data-transfer-qa-iii-october-2025", "S", "2025-04-09"},
		{"C12", "Financial-sector cross-border data guideline", "http://english.chinatoday.com.cn/2018/zdtj/202504/t20250418_800398913.html", "U", "2025-04-17"},
		{"C13", "GB/T 43697-2024", "", "S", "2024-10-01"},
		{"C14", "FTZ data-export negative lists", "", "S", "2024-05-08"},
		{"C15", "Civil Code art 1259", "http://www.npc.gov.cn/npc/c30834/202006/75ba6483b8344591abd07917e1d25cc8.shtml", "V", "2021-01-01"},
		// EU (§2)
		{"E1", "GDPR", "https://eur-lex.europa.eu/eli/reg/2016/679/oj", "M", "2018-05-25"},
		{"E2", "SCC Decision 2021/914", "http://data.europa.eu/eli/dec_impl/2021/914/oj", "V", "2021-06-27"},
		{"E3", "Adequacy decision", "https://commission.europa.eu/law/law-topic/data-protection/international-dimension-data-protection/adequacy-decisions_en", "V", ""},
		{"E4", "EDPB Guidelines 05/2021", "", "S", "2023-02-14"},
		{"E5", "EDPB Recommendations 01/2020", "", "S", "2021-06-18"},
		{"E6", "CJEU C-311/18 Schrems II", "", "S", "2020-07-16"},
		// US (§3)
		{"U1", "28 CFR Part 202", "https://www.ecfr.gov/current/title-28/chapter-I/part-202", "V", "2025-04-08"},
		{"U2", "15 U.S.C. 9901 (PADFA)", "", "V", "2024-06-23"},
		// Japan, HK, SG, CBPR (§4–§7)
		{"J1", "APPI", "https://laws.e-gov.go.jp/law/415AC0000000057", "S", "2022-04-01"},
		{"J2", "PPC guidelines (foreign third parties)", "https://www.ppc.go.jp/personalinfo/legal/guidelines_offshore/", "S", ""},
		{"H1", "PDPO (Cap. 486)", "https://www.elegislation.gov.hk/hk/cap486", "M", ""},
		{"H2", "PCPD Recommended Model Contractual Clauses", "", "S", "2022-05-12"},
		{"S1", "PDPA", "https://sso.agc.gov.sg/Act/PDPA2012", "M", ""},
		{"S2", "PDPR", "https://sso.agc.gov.sg/SL/PDPA2012-S63-2021", "V", "2021-10-01"},
		{"S3", "PDPR (S 86/2026)", "", "V", "2026-03-02"},
		{"G1", "Global CBPR Forum", "", "S", "2025-06-02"},
	}
	m := make(map[string]Instrument, len(list))
	for _, in := range list {
		m[in.ID] = in
	}
	return m
}

// cite builds a citation of provision prov of instrument id. A non-empty tag
// overrides the instrument's own tag for that provision.
func cite(id, prov, tag string) Citation {
	in, ok := Instruments()[id]
	if !ok {
		return Citation{Ref: id + " " + prov, Tag: tag}
	}
	ref := in.Name
	if prov != "" {
		ref += " " + prov
	}
	if tag == "" {
		tag = in.Tag
	}
	return Citation{Ref: ref, URL: in.URL, Tag: tag, Effective: in.Effective}
}

// Thresholds are the numeric edges of the decision tables.
type Thresholds struct {
	// China (research §1.4): "以上" includes the number, "不满" excludes it.
	CNNonSensitiveSC int64 // ≥ → SC/cert (100,000)
	CNNonSensitiveSA int64 // ≥ → SA (1,000,000)
	CNSensitiveSA    int64 // ≥ → SA (10,000); ≥ 1 → SC/cert
	// NearFraction: a cumulative count within this fraction of a China
	// threshold (either side) makes the decision needs_review, because the
	// de-duplication convention [M][C] can move it across the edge.
	NearFraction float64
	// US DOJ bulk thresholds (§202.205): bulk if MORE THAN the number.
	USHumanGenomic      int64
	USHumanOmic         int64
	USBiometric         int64
	USGeolocation       int64
	USPersonalHealth    int64
	USPersonalFinancial int64
	USCoveredIdentifier int64
	// Validity in years.
	CNSAYears   int
	CNCertYears int
	// Reminder windows.
	CNSAExtensionWorkingDays int // apply for extension within N working days before expiry
	CNCertReapplyMonths      int // re-apply N months before expiry
	// Date switches.
	SGGlobalCBPRFrom string // reg 12 as amended by S 86/2026
	CN2024From       string // 2024 Provisions in force (3-year SA validity)
}

// DefaultThresholds returns the thresholds of research/rulebook.md.
func DefaultThresholds() Thresholds {
	return Thresholds{
		CNNonSensitiveSC:         100_000,
		CNNonSensitiveSA:         1_000_000,
		CNSensitiveSA:            10_000,
		NearFraction:             0.10,
		USHumanGenomic:           100,
		USHumanOmic:              1_000,
		USBiometric:              1_000,
		USGeolocation:            1_000,
		USPersonalHealth:         10_000,
		USPersonalFinancial:      10_000,
		USCoveredIdentifier:      100_000,
		CNSAYears:                3,
		CNCertYears:              3,
		CNSAExtensionWorkingDays: 60,
		CNCertReapplyMonths:      6,
		SGGlobalCBPRFrom:         "2026-03-02",
		CN2024From:               "2024-03-22",
	}
}
