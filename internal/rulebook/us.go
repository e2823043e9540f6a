package rulebook

import (
	"slices"
	"strings"
)

// United States (research §3): the DOJ Data Security Program (28 CFR Part
// 202) and PADFA (15 U.S.C. 9901).
//
// Applicability: a US decision is returned when the exporter is a U.S.
// person (exporter.us_person or exporter.country US), or when the dataset
// holds US persons' data (any us_bulk_12m count or government_related) —
// then a non-U.S.-person exporter gets step 0 (US_NOT_COVERED, with the
// §202.304 evasion note) unless PADFA prohibits it (data_broker exporters).
//
// Transaction type mapping (the scenario has no transaction_type):
//   - exporter.type data_broker, or recipient.relation customer → data brokerage
//     (sale or licensing of access to data, §202.214) [customer: C]
//   - recipient.relation vendor or service_provider, or recipient.role
//     processor → vendor agreement
//   - recipient.relation employee → employment agreement
//   - recipient.relation investor → investment agreement
//   - anything else (unrelated, group companies outside the §202.506
//     purposes) → not determinable: treated as a restricted-type agreement,
//     flagged for review.

func usApplies(s Scenario) bool {
	return usPerson(s) || usDataPresent(s.Dataset.USBulk12m)
}

func usPerson(s Scenario) bool { return s.Exporter.USPerson || s.Exporter.Country == "US" }

func usDataPresent(u USBulk) bool {
	return u.GovernmentRelated || u.HumanGenomic > 0 || u.HumanOmic > 0 || u.Biometric > 0 ||
		u.PreciseGeolocationDevices > 0 || u.PersonalHealth > 0 || u.PersonalFinancial > 0 || u.CoveredIdentifiers > 0
}

type usExemption struct{ Section, EN, ZH string }

func usExemptions() []usExemption {
	return []usExemption{
		{"202.503", "travel", "旅行"},
		{"202.504", "official US government business", "美国政府公务"},
		{"202.505", "financial services", "金融服务"},
		{"202.506", "corporate group transactions", "企业集团内部交易"},
		{"202.511", "clinical investigations and post-marketing surveillance", "临床研究与上市后监测"},
	}
}

type usBulkCat struct {
	name    string
	n, over int64
	omic    bool
	unitEN  string
	unitZH  string
	labelZH string
}

func usBulkCats(u USBulk) []usBulkCat {
	th := DefaultThresholds()
	return []usBulkCat{
		{name: "human_genomic", n: u.HumanGenomic, over: th.USHumanGenomic, omic: true, unitEN: "US persons", unitZH: "名美国人", labelZH: "人类基因组数据"},
		{name: "human_omic", n: u.HumanOmic, over: th.USHumanOmic, omic: true, unitEN: "US persons", unitZH: "名美国人", labelZH: "其他人类组学数据"},
		{name: "biometric", n: u.Biometric, over: th.USBiometric, unitEN: "US persons", unitZH: "名美国人", labelZH: "生物识别标识"},
		{name: "precise_geolocation", n: u.PreciseGeolocationDevices, over: th.USGeolocation, unitEN: "US devices", unitZH: "台美国设备", labelZH: "精确地理位置数据"},
		{name: "personal_health", n: u.PersonalHealth, over: th.USPersonalHealth, unitEN: "US persons", unitZH: "名美国人", labelZH: "个人健康数据"},
		{name: "personal_financial", n: u.PersonalFinancial, over: th.USPersonalFinancial, unitEN: "US persons", unitZH: "名美国人", labelZH: "个人金融数据"},
		{name: "covered_identifiers", n: u.CoveredIdentifiers, over: th.USCoveredIdentifier, unitEN: "US persons", unitZH: "名美国人", labelZH: "受管辖个人标识符"},
	}
}

const (
	txBrokerage  = "data_brokerage"
	txVendor     = "vendor"
	txEmployment = "employment"
	txInvestment = "investment"
	txUnknown    = "undetermined"
)

func usTransactionType(s Scenario) string {
	switch {
	case s.Exporter.Type == "data_broker" || s.Recipient.Relation == "customer":
		return txBrokerage
	case s.Recipient.Relation == "vendor" || s.Recipient.Relation == "service_provider" || s.Recipient.Role == "processor":
		return txVendor
	case s.Recipient.Relation == "employee":
		return txEmployment
	case s.Recipient.Relation == "investor":
		return txInvestment
	}
	return txUnknown
}

func evalUS(s Scenario) Decision {
	b := newDec("US")
	u := s.Dataset.USBulk12m
	r := s.Recipient
	covered := slices.Contains(usCountriesOfConcern(), r.Country) || r.CoveredPerson
	b.cite(cite("U1", "§202.256", ""))

	if padfa := usPADFA(b, s); padfa && !usPerson(s) {
		return b.done()
	}
	if !usPerson(s) {
		b.route(RouteUSNotCovered, "US.3.1.step0")
		b.reason(tx("us_not_us_person", "The exporter is not a U.S. person: the DOJ rule's prohibitions and restrictions do not bind it directly.", "数据输出方不是美国人：美国司法部规则的禁止和限制性规定不直接约束其本身。"))
		b.oblige(tx("us_evasion", "Check the §202.304 evasion and causing rules if US persons are involved in the transaction.", "如交易涉及美国人，应核查第202.304条关于规避和促成违规的规定。"))
		return b.finishUS(s)
	}
	b.reason(tx("us_person", "The exporter is a U.S. person (§202.256).", "数据输出方为美国人（第202.256条）。"))
	if covered {
		b.reason(tx("us_covered_person", "The recipient is a country of concern or covered person (organised in or resident in "+r.Country+", or flagged covered_person; §§202.211, 202.601; China includes HK and MO, §202.208).", "接收方为受关注国家或受管辖人员（在"+r.Country+"设立或居住，或被标记为受管辖人员；第202.211条、第202.601条；“中国”包括香港和澳门，第202.208条）。"))
		b.cite(cite("U1", "§§202.208, 202.211, 202.601", ""))
	}

	// Step 1: bulk or government-related?
	var bulk []usBulkCat
	present := 0
	minOver := int64(-1)
	var maxN int64
	for _, c := range usBulkCats(u) {
		if c.n > 0 {
			present++
			if minOver < 0 || c.over < minOver {
				minOver = c.over
			}
			maxN = max(maxN, c.n)
		}
		if c.n > c.over {
			bulk = append(bulk, c)
			b.reason(tx("us_bulk_"+c.name, c.name+": "+num(c.n)+" "+c.unitEN+" in the preceding 12 months is more than "+num(c.over)+": bulk.", c.labelZH+"：过去12个月"+num(c.n)+c.unitZH+"，超过"+num(c.over)+"的门槛，构成批量数据。"))
		}
	}
	combined := false
	if len(bulk) == 0 && present > 1 && maxN > minOver {
		combined = true
		b.trace("US.3.1.combined")
		b.reason(tx("us_bulk_combined", "Combined data: more than one category is present and the largest count ("+num(maxN)+") exceeds the lowest applicable threshold ("+num(minOver)+").", "组合数据：涉及多个类别，且最大数量（"+num(maxN)+"）超过最低适用门槛（"+num(minOver)+"）。"))
		b.review(tx("us_combined_contested", "How the lowest threshold applies to combined data is contested [C].", "组合数据如何适用最低门槛存在争议 [C]。"))
	}
	b.cite(cite("U1", "§202.205", ""))
	if u.GovernmentRelated {
		b.reason(tx("us_gov_related", "Government-related data is covered at any volume (§202.222).", "政府相关数据不论数量均受管辖（第202.222条）。"))
		b.cite(cite("U1", "§202.222", ""))
	}
	if len(bulk) == 0 && !combined && !u.GovernmentRelated {
		b.route(RouteUSNotCovered, "US.3.1.step1")
		b.reason(tx("us_not_bulk", "No category is over its bulk threshold (\"more than N\" in the preceding 12 months, §202.205) and there is no government-related data.", "没有任何类别超过批量门槛（过去12个月“超过N”，第202.205条），且不涉及政府相关数据。"))
		return b.finishUS(s)
	}
	omic := slices.ContainsFunc(bulk, func(c usBulkCat) bool { return c.omic })

	// Step 2: exemptions.
	if sec, ok := usExemptionFor(s); ok {
		b.route(param(routeUSExemptPrefix, sec), "US.3.1.step2."+sec)
		b.reason(tx("us_exempt", "The transaction is exempt under 28 CFR "+sec+".", "该交易依据28 CFR "+sec+"豁免。"))
		tag := "S"
		if sec == "202.504" || sec == "202.506" {
			tag = "V"
		} else {
			b.review(tx("us_exemption_unverified", "The section number and conditions of this exemption come from secondary sources or background knowledge [S][M].", "该豁免的条文编号和条件来自二手资料或背景知识 [S][M]。"))
		}
		b.cite(cite("U1", "§"+sec, tag))
		if sec == "202.506" {
			b.oblige(tx("us_506_scope", "Only administrative or ancillary operations (HR, payroll, tax, compliance, travel, customer support, communications) are covered; §§202.1102 and 202.1104 still apply.", "仅限行政或辅助性业务（人力资源、薪酬、税务、合规、差旅、客户支持、内部沟通等）；第202.1102条和第202.1104条仍然适用。"))
		}
		return b.finishUS(s)
	}
	tt := usTransactionType(s)
	foreign := r.Country != "US" || covered
	if covered {
		switch {
		case tt == txBrokerage:
			b.route(param(routeUSProhibitedPrefix, "202.301"), "US.3.1.step3")
			b.reason(tx("us_301", "Data brokerage of bulk US sensitive personal data or government-related data with a country of concern or covered person is prohibited (§202.301).", "与受关注国家或受管辖人员进行涉及批量美国敏感个人数据或政府相关数据的数据经纪交易，予以禁止（第202.301条）。"))
			b.cite(cite("U1", "§202.301", ""))
			if s.Recipient.Relation == "customer" && s.Exporter.Type != "data_broker" {
				b.review(tx("us_customer_brokerage", "Providing data to a customer is read as data brokerage (sale or licensing of access, §202.214) [C].", "向客户提供数据被视为数据经纪（出售或许可访问，第202.214条）[C]。"))
			}
		case omic:
			b.route(param(routeUSProhibitedPrefix, "202.303"), "US.3.1.step4")
			b.reason(tx("us_303", "A covered data transaction giving a country of concern or covered person access to bulk human 'omic data is prohibited and cannot be cured by the security requirements (§§202.303, 202.401(b)).", "向受关注国家或受管辖人员提供批量人类组学数据访问权限的受管辖数据交易予以禁止，且不能通过安全要求予以补救（第202.303条、第202.401(b)条）。"))
			b.cite(cite("U1", "§§202.303, 202.401(b)", ""))
		default:
			b.route(RouteUSRestricted, "US.3.1.step5")
			ttEN, ttZH := label(tt)
			b.reason(tx("us_restricted", "A "+ttEN+" agreement with a country of concern or covered person involving bulk or government-related data is a restricted transaction: lawful only with the CISA security requirements and the other Part 202 requirements (§202.401).", "与受关注国家或受管辖人员订立的涉及批量或政府相关数据的"+ttZH+"协议属于受限交易：仅在落实 CISA 安全要求及第202部分其他要求时方为合法（第202.401条）。"))
			b.cite(cite("U1", "§§202.248, 202.401, Subparts J–K", ""))
			b.oblige(
				tx("us_cisa", "Implement the CISA security requirements (organisational, system-level and data-level controls, §202.248) before the transaction.", "交易前落实 CISA 安全要求（组织、系统和数据层面控制，第202.248条）。"),
				tx("us_compliance_programme", "Keep a data compliance programme with due diligence, an annual independent audit, records for 10 years and the required reports (Subparts J, K) [S].", "建立包含尽职调查的数据合规计划、每年独立审计、记录保存10年并履行报告义务（J、K分部）[S]。"),
			)
		}
		if tt == txUnknown && b.d.Route != param(routeUSProhibitedPrefix, "202.301") {
			b.review(tx("us_tx_type_unknown", "The transaction type (data brokerage, vendor, employment or investment agreement) cannot be determined from the scenario; a covered data transaction is assumed.", "无法从场景判断交易类型（数据经纪、供应商、雇佣或投资协议）；此处假定构成受管辖数据交易。"))
		}
		return b.finishUS(s)
	}
	if foreign && tt == txBrokerage {
		b.route(RouteUSOnwardContract, "US.3.1.step6")
		b.reason(tx("us_302", "Data brokerage of bulk US sensitive personal data or government-related data to a foreign person that is not a covered person needs a contract barring onward brokerage to countries of concern or covered persons (§202.302).", "向非受管辖人员的外国人进行涉及批量美国敏感个人数据或政府相关数据的数据经纪交易，须在合同中禁止其向受关注国家或受管辖人员再转售（第202.302条）。"))
		b.cite(cite("U1", "§202.302", ""))
		b.oblige(tx("us_302_report", "Include the §202.302 contract clause and report known or suspected violations within 14 days.", "订立第202.302条合同条款，并在14日内报告已知或疑似违约行为。"))
		return b.finishUS(s)
	}
	b.route(RouteUSNotCovered, "US.3.1.step7")
	b.reason(tx("us_not_covered_other", "The counterparty is not a country of concern or covered person and the transaction is not data brokerage to a foreign person.", "交易对方不是受关注国家或受管辖人员，且该交易不是向外国人进行的数据经纪。"))
	return b.finishUS(s)
}

// finishUS adds the CBPR note and returns the decision.
func (b *dec) finishUS(s Scenario) Decision {
	if slices.Contains(b.d.Trace, "US.3.2") && !strings.HasPrefix(b.d.Route, routeUSProhibitedPrefix) {
		b.d.Route, b.d.Rule = RouteUSPADFAProhibited, "US.3.2"
	}
	if slices.ContainsFunc(s.Recipient.Certifications, func(c string) bool { return c != "DPF" && c != "BCR" && c != "ISO_27001" && c != "ISO_27701" }) {
		b.reason(tx("us_cbpr_no_effect", "CBPR/PRP certifications have no effect on the DOJ prohibitions or restrictions [M].", "CBPR/PRP 认证对美国司法部规则的禁止或限制不产生影响 [M]。"))
	}
	return b.done()
}

// usExemptionFor maps the scenario onto a Subpart E exemption.
func usExemptionFor(s Scenario) (string, bool) {
	switch {
	case s.Exporter.Type == "public_body" && s.Exporter.Country == "US":
		return "202.504", true
	case isGroupRelation(s.Recipient.Relation) && slices.Contains([]string{"hr_management", "customer_service", "travel_booking"}, s.Purpose):
		return "202.506", true
	case s.Purpose == "clinical_trial":
		return "202.511", true
	case slices.Contains([]string{"cross_border_payment", "cross_border_remittance", "account_opening"}, s.Purpose):
		return "202.505", true
	case s.Purpose == "travel_booking":
		return "202.503", true
	}
	return "", false
}

// usPADFA applies 15 U.S.C. 9901 to data-broker exporters; it reports
// whether it prohibited the export.
func usPADFA(b *dec, s Scenario) bool {
	if s.Exporter.Type != "data_broker" || !usDataPresent(s.Dataset.USBulk12m) {
		return false
	}
	r := s.Recipient
	adversary := slices.Contains(padfaAdversaries(), r.Country)
	if !adversary && !r.CoveredPerson {
		return false
	}
	b.route(RouteUSPADFAProhibited, "US.3.2")
	b.reason(tx("us_padfa", "A data broker may not make personally identifiable sensitive data of US individuals available to a foreign adversary country (China, Iran, North Korea, Russia) or an entity it controls, at any volume (PADFA).", "数据经纪商不得向外国对手国家（中国、伊朗、朝鲜、俄罗斯）或其控制的实体提供美国个人的可识别敏感数据，不设数量门槛（PADFA）。"))
	b.cite(cite("U2", "§9901", ""))
	if r.Country == "HK" || r.Country == "MO" {
		b.review(tx("us_padfa_hk", "Whether PADFA's \"China\" includes Hong Kong and Macao was not researched [M].", "PADFA 所称“中国”是否包括香港和澳门未经研究 [M]。"))
	}
	if !adversary {
		b.review(tx("us_padfa_controlled", "The recipient is flagged covered_person; that it is \"controlled by a foreign adversary\" under PADFA is assumed [C].", "接收方被标记为受管辖人员；此处假定其属于 PADFA 所称“受外国对手控制”的实体 [C]。"))
	}
	return true
}
