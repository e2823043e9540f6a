package rulebook

import "slices"

// EU/EEA GDPR Chapter V (research §2). Applies when exporter.country is an
// EEA state. Assumptions: the exporter is subject to the GDPR for this
// processing (criterion 1) and is a controller unless exporter.type is
// "processor"; recipient.type "international_organisation" is a transfer
// wherever it sits; a recipient in the EEA is not a transfer.

func euApplies(s Scenario) bool { return isEEA(s.Exporter.Country) }

func evalEU(s Scenario) Decision {
	b := newDec("EU")
	r := s.Recipient
	io := r.Type == "international_organisation"
	if isEEA(r.Country) && !io {
		b.route(RouteEUNoTransfer, "EU.2.1")
		b.reason(tx("eu_no_transfer", "The recipient is in the EEA: the Chapter V transfer test is not met. The rest of the GDPR still applies.", "接收方位于欧洲经济区内：不满足第五章传输标准。GDPR 其他规定仍然适用。"))
		b.cite(cite("E4", "criteria 1–3", ""))
		return b.done()
	}
	if !hasPersonalData(s) {
		b.route(RouteEUNoTransfer, "EU.2.1")
		b.reason(tx("eu_no_personal_data", "The export holds no personal data (no individuals, or anonymised): Chapter V applies only to personal data.", "出境数据不含个人数据（人数为零或已匿名化）：第五章仅适用于个人数据。"))
		b.cite(cite("E1", "arts 4(1), 44", "M"))
		return b.done()
	}
	b.reason(tx("eu_transfer", "The exporter is subject to the GDPR and makes the data available to an importer in a third country (or an international organisation): this is a Chapter V transfer.", "数据输出方受 GDPR 约束，并向第三国（或国际组织）的接收方提供数据：构成第五章意义上的跨境传输。"))
	b.cite(cite("E1", "art 44", "M"), cite("E4", "", ""))
	b.oblige(
		tx("eu_onward", "Onward transfers must keep the same level of protection (art 44).", "再传输须维持同等保护水平（第44条）。"),
		tx("eu_transparency", "Inform data subjects of the transfer and the safeguard used (arts 13(1)(f), 14(1)(f)).", "向数据主体告知跨境传输及所采用的保障措施（第13条第1款(f)项、第14条第1款(f)项）。"),
		tx("eu_records", "Record the transfer and its safeguard in the records of processing (art 30(1)(e)).", "在处理活动记录中记载跨境传输及其保障措施（第30条第1款(e)项）。"),
	)
	if s.Dataset.SpecialCategory {
		b.oblige(tx("eu_special_category", "Special-category data (art 9): an art 9(2) condition is needed in addition to the transfer mechanism; weigh it in the TIA and supplementary measures.", "特殊类别数据（第9条）：除传输机制外还须具备第9条第2款规定的条件；应在传输影响评估和补充措施中予以考虑。"))
		b.cite(cite("E1", "art 9", "M"))
	}
	if slices.ContainsFunc(r.Certifications, func(c string) bool { return c == "CBPR" || c == "PRP" || c == "Global_CBPR" || c == "Global_PRP" }) {
		b.reason(tx("eu_cbpr_no_effect", "A CBPR/PRP certification is not an art 46 mechanism and has no effect under the GDPR [M].", "CBPR/PRP 认证不是第46条机制，在 GDPR 下不产生效力 [M]。"))
	}
	if isJudicial(r.Type) {
		b.oblige(tx("eu_art48", "A third-country court or authority decision requiring the transfer is recognised only under an international agreement such as an MLAT (art 48).", "第三国法院或行政机关要求传输的判决或决定，仅在依据司法协助条约等国际协定时方可获承认或执行（第48条）。"))
		b.cite(cite("E1", "art 48", "M"))
	}

	// Step 1: adequacy within scope.
	if a, ok := euAdequacyFor(s); ok {
		b.route(param(routeEUAdequacyPrefix, a.Decision), "EU.2.2.step1")
		b.reason(tx("eu_adequacy", "The recipient's country ("+a.Country+") is covered by adequacy decision "+a.Decision+", within its scope.", "接收方所在国家或地区（"+a.Country+"）受充分性决定 "+a.Decision+" 覆盖，且属于其适用范围。"))
		c := cite("E3", a.Decision, a.Tag)
		b.cite(cite("E1", "art 45", "M"), c)
		if a.Tag == "M" || a.Tag == "U" {
			b.review(tx("eu_adequacy_ref_unverified", "The decision reference "+a.Decision+" is from background knowledge [M]; the country's adequacy is verified.", "充分性决定编号 "+a.Decision+" 来自背景知识 [M]；该国家或地区的充分性地位已核实。"))
		}
		switch a.Scope {
		case "dpf":
			b.oblige(tx("eu_dpf", "Check the recipient's active DPF certification covers this data; appeal C-703/25 P against the DPF is pending.", "核实接收方的数据隐私框架（DPF）认证有效且覆盖该数据；针对 DPF 的上诉案 C-703/25 P 尚未审结。"))
		case "check_sectoral":
			b.review(tx("eu_kr_scope", "Korea: the scope and sectoral exclusions of the decision are unverified [M].", "韩国：充分性决定的范围及行业排除情形未经核实 [M]。"))
		}
		if a.Note != "" {
			b.reason(tx("eu_adequacy_note", "Scope: "+a.Note+".", "适用范围："+a.Note+"。"))
		}
		return b.done()
	}
	if s.Recipient.Country == "BR" {
		b.reason(tx("eu_brazil_draft", "Brazil: only a draft adequacy decision exists (2025); treated as not adequate [S][U].", "巴西：仅有充分性决定草案（2025年），视为不具备充分性 [S][U]。"))
	}

	// Step 2: appropriate safeguards.
	derog, derogRule := euDerogation(s)
	if a, ok := findValidApproval(s, []string{RouteEUBCR}); ok && isGroupRelation(r.Relation) {
		b.route(RouteEUBCR, "EU.2.2.step2.BCR")
		b.d.Approval = &a
		b.reason(tx("eu_bcr", "Approved binding corporate rules are on record for the group ("+a.Ref+").", "集团已有经批准的约束性公司规则（"+a.Ref+"）。"))
		b.cite(cite("E1", "arts 46(2)(b), 47", "M"))
		euTIA(b)
		return b.done()
	}
	switch {
	case io || (s.Exporter.Type == "public_body" && (r.Type == "government" || r.Type == "public_body")):
		b.route(RouteEUArt46Other, "EU.2.2.step2.other")
		b.reason(tx("eu_art46_public", "Transfer to an international organisation or between public bodies: a legally binding instrument or administrative arrangement (art 46(2)(a), 46(3)(b)) is the usual safeguard.", "向国际组织或公共机构之间的传输：通常采用具有法律约束力的文书或行政安排（第46条第2款(a)项、第3款(b)项）。"))
		b.cite(cite("E1", "arts 46(2)(a), 46(3)(b)", "M"))
		b.review(tx("eu_art46_public_review", "Art 46(2)(a)/(3)(b) instruments are from background knowledge [M]; if the recipient is the European Patent Organisation, its 2025-07-15 adequacy decision applies [S].", "第46条第2款(a)项、第3款(b)项文书来自背景知识 [M]；如接收方为欧洲专利组织，则适用2025年7月15日通过的充分性决定 [S]。"))
		if a, ok := findValidApproval(s, []string{RouteEUArt46Other}); ok {
			b.d.Approval = &a
		}
		euTIA(b)
		if derog != "" {
			b.alt(derog)
		}
		return b.done()
	case !isJudicial(r.Type) && r.Type != "government" && r.Type != "individual":
		mod, rule := euSCCModule(s)
		b.route(mod, rule)
		exp, expZH := label("controller")
		if s.Exporter.Type == "processor" {
			exp, expZH = label("processor")
		}
		imp, impZH := label(r.Role)
		b.reason(tx("eu_scc", "No adequacy decision covers the recipient: use the 2021 standard contractual clauses, module for a "+exp+" exporter and a "+imp+" importer.", "接收方不在充分性决定范围内：采用2021年标准合同条款，适用“"+expZH+"输出方至"+impZH+"接收方”模块。"))
		b.cite(cite("E1", "art 46(2)(c)", "M"), cite("E2", "Annex, Clauses 14–15", ""))
		euTIA(b)
		b.oblige(tx("eu_art3_2_importer", "If the importer is itself subject to the GDPR under art 3(2), the 2021 SCCs are not designed for it and the replacement clauses are not yet adopted [S][U][C].", "如接收方本身依第3条第2款受 GDPR 约束，2021年标准合同条款并非为其设计，替代条款尚未通过 [S][U][C]。"))
		if isGroupRelation(r.Relation) {
			b.alt(RouteEUBCR)
			b.reason(tx("eu_bcr_alternative", "The recipient is in the exporter's group: binding corporate rules are an alternative once approved by the lead supervisory authority.", "接收方属于同一集团：经牵头监管机构批准后，约束性公司规则可作为替代方案。"))
		}
		if derog != "" {
			b.alt(derog)
			b.reason(tx("eu_derogation_alternative", "An art 49 derogation ("+derog+") is available only for occasional, non-structural transfers.", "第49条例外（"+derog+"）仅适用于偶发、非结构性的传输。"))
		}
		return b.done()
	}

	// Step 3: derogations (recipient cannot give art 46 safeguards: a court,
	// law-enforcement body, foreign government or individual).
	if derog != "" {
		b.route(derog, derogRule)
		rt, rtZH := label(r.Type)
		b.reason(tx("eu_derogation", "The recipient ("+rt+") cannot enter into art 46 safeguards: the transfer rests on the art 49 derogation "+derog+", for occasional, non-structural transfers only.", "接收方（"+rtZH+"）无法提供第46条保障措施：传输依据第49条例外 "+derog+"，仅适用于偶发、非结构性的传输。"))
		b.cite(cite("E1", "art 49, recital 111", "M"))
		b.review(tx("eu_art49_unverified", "The art 49 derogations are from background knowledge and secondary sources [M][S], and the occasional-transfer test needs a person's judgement.", "第49条例外来自背景知识和二手资料 [M][S]，且“偶发传输”标准需人工判断。"))
		b.oblige(tx("eu_art49_document", "Document the derogation and its necessity; for compelling legitimate interests inform the supervisory authority and the data subject and record the assessment (art 49(1) second subpara, 49(6)).", "记录所依据的例外及其必要性；以重大正当利益为依据的，应告知监管机构和数据主体并在处理记录中记载评估（第49条第1款第二项、第49条第6款）。"))
		if derog == routeEUArt49Prefix+"f" {
			b.oblige(tx("eu_art49f_condition", "Art 49(1)(f) applies only where the data subject is physically or legally incapable of giving consent.", "第49条第1款(f)项仅适用于数据主体在身体上或法律上无法作出同意的情形。"))
		}
		return b.done()
	}
	b.route(RouteEUProhibited, "EU.2.2.step4")
	if s.Exporter.Type == "public_body" && slices.Contains([]string{"explicit_consent", "contract", "contract_third_party", "legitimate_interests"}, s.LegalBasis) {
		b.trace("EU.2.5.art49_3")
		b.reason(tx("eu_art49_3", "A public authority exercising its public powers cannot rely on art 49(1)(a), (b), (c) or compelling legitimate interests (art 49(3)).", "行使公权力的公共机构不得依据第49条第1款(a)、(b)、(c)项或重大正当利益（第49条第3款）。"))
	}
	b.reason(tx("eu_prohibited", "No adequacy decision, no appropriate safeguard and no derogation applies: the transfer is prohibited.", "不存在充分性决定、适当保障措施或可适用的例外：禁止传输。"))
	b.cite(cite("E1", "arts 44, 49(3)", "M"))
	b.review(tx("eu_prohibited_unverified", "The outcome rests on GDPR arts 44–49 as known from background knowledge [M].", "该结论依据背景知识中的 GDPR 第44至49条 [M]。"))
	return b.done()
}

func euTIA(b *dec) {
	b.oblige(tx("eu_tia_required", "tia_required: carry out a transfer impact assessment (EDPB Recommendations 01/2020: map transfers, identify the tool, assess third-country law and practice, adopt supplementary measures, take procedural steps, re-evaluate).", "须进行传输影响评估（EDPB 第01/2020号建议：梳理传输、确定工具、评估第三国法律与实践、采取补充措施、履行程序步骤、定期复评）。"))
	b.cite(cite("E5", "", ""), cite("E6", "", ""))
}

func euAdequacyFor(s Scenario) (Adequacy, bool) {
	r := s.Recipient
	if r.Type == "international_organisation" {
		// A country's adequacy decision does not cover an international
		// organisation seated there.
		return Adequacy{}, false
	}
	for _, a := range euAdequacy() {
		if a.Country != r.Country {
			continue
		}
		if a.From != "" && s.AsOf.Before(mustDate(a.From)) {
			return Adequacy{}, false
		}
		if a.Until != "" && !s.AsOf.Before(mustDate(a.Until)) {
			return Adequacy{}, false
		}
		private := r.Type == "company" || r.Type == "data_broker" || r.Type == "ngo"
		switch a.Scope {
		case "commercial", "appi":
			if !private {
				return Adequacy{}, false
			}
		case "dpf":
			if !slices.Contains(r.Certifications, "DPF") {
				return Adequacy{}, false
			}
		}
		return a, true
	}
	return Adequacy{}, false
}

// euSCCModule picks the module from the exporter's and importer's roles.
func euSCCModule(s Scenario) (string, string) {
	impProcessor := s.Recipient.Role == "processor"
	switch {
	case s.Exporter.Type != "processor" && !impProcessor:
		return RouteEUSCCM1, "EU.2.4.M1"
	case s.Exporter.Type != "processor" && impProcessor:
		return RouteEUSCCM2, "EU.2.4.M2"
	case impProcessor:
		return RouteEUSCCM3, "EU.2.4.M3"
	default:
		return RouteEUSCCM4, "EU.2.4.M4"
	}
}

// euDerogation maps legal_basis and purpose to an art 49 ground, honouring
// the art 49(3) limit for public authorities.
func euDerogation(s Scenario) (string, string) {
	g := ""
	switch {
	case s.Purpose == "litigation" || s.LegalBasis == "legal_claims":
		g = "e"
	case s.LegalBasis == "explicit_consent":
		g = "a"
	case s.LegalBasis == "contract":
		g = "b"
	case s.LegalBasis == "contract_third_party":
		g = "c"
	case s.LegalBasis == "public_interest":
		g = "d"
	case s.LegalBasis == "vital_interests" || s.Purpose == "emergency_life_health":
		g = "f"
	case s.LegalBasis == "public_register":
		g = "g"
	case s.LegalBasis == "legitimate_interests":
		g = "CLI"
	}
	if s.Exporter.Type == "public_body" && slices.Contains([]string{"a", "b", "c", "CLI"}, g) {
		return "", ""
	}
	if g == "" {
		return "", ""
	}
	return routeEUArt49Prefix + g, "EU.2.5." + g
}
