package rulebook

import (
	"math"
	"slices"
	"time"
)

// China (research §1). Applies when exporter.country is CN (mainland; HK
// and MO are separate jurisdictions and count as "abroad").

func cnApplies(s Scenario) bool { return s.Exporter.Country == "CN" }

func evalCN(s Scenario) Decision {
	b := newDec("CN")
	ds := s.Dataset
	hasPI := !ds.Anonymised && ds.Individuals > 0
	notified := ds.ImportantData == "notified"

	cnOverlays(b, s)

	if s.Recipient.Country == "CN" {
		b.route(RouteCNNotRegulated, "CN.1.2.domestic")
		b.reason(tx("cn_domestic", "The recipient is in mainland China: this is not a provision of data abroad.", "接收方位于中国境内（大陆），不构成向境外提供数据。"))
		b.cite(cite("C1", "art 38", ""))
		return b.done()
	}
	if ds.CoreData {
		b.route(RouteBlockNeedsReview, "CN.1.3.step0a")
		b.reason(tx("cn_core_data", "The data includes core data, which is under a stricter regime; no export route is defined.", "数据包含核心数据，实行更加严格的管理制度，未规定出境路径。"))
		b.review(tx("cn_core_data_review", "Core data [C]: no export route is defined; a lawyer must review before any export.", "核心数据 [C]：未规定出境路径，出境前须经法律审查。"))
		b.cite(cite("C2", "art 21(2)", "C"), cite("C13", "clause 6.1", ""))
		return b.done()
	}
	if isJudicial(s.Recipient.Type) {
		b.route(RouteCNJudicial, "CN.1.3.step0b")
		b.reason(tx("cn_foreign_judicial", "The recipient is a foreign judicial or law-enforcement body: data stored in China may not be provided without approval of the PRC competent authority.", "接收方为外国司法或者执法机构：非经中华人民共和国主管机关批准，不得向其提供存储于境内的数据。"))
		b.cite(cite("C1", "art 41", ""), cite("C2", "art 36", ""))
		if slices.Contains([]string{"HK", "MO", "TW"}, s.Recipient.Country) {
			b.review(tx("cn_judicial_regional", "The recipient is a judicial or law-enforcement body of "+s.Recipient.Country+": whether PIPL art 41 and DSL art 36 (\"foreign\") apply, or the inter-regional judicial assistance arrangements instead, is not addressed in the research [C].", "接收方为"+s.Recipient.Country+"的司法或执法机构：是否适用《个人信息保护法》第四十一条和《数据安全法》第三十六条（“外国”），抑或适用区际司法协助安排，研究未涉及 [C]。"))
		}
		b.oblige(tx("cn_judicial_approval", "Apply to the PRC competent authority for approval; do not provide any data (personal or not) before approval is granted.", "向中华人民共和国主管机关申请批准；批准前不得提供任何数据（无论是否为个人信息）。"))
		applyCNApproval(b, s, RouteCNJudicial)
		if hasPI {
			cnPIObligations(b, s)
		}
		return b.done()
	}
	if s.Recipient.CACRestricted {
		b.route(RouteBlock, "CN.1.3.step0c")
		b.reason(tx("cn_cac_list", "The recipient is on the CAC list restricting or prohibiting provision of personal information to it.", "境外接收方已被列入国家网信部门限制或者禁止个人信息提供清单。"))
		b.cite(cite("C1", "art 42", ""))
		return b.done()
	}
	if !hasPI && !notified {
		if ds.Anonymised && ds.Individuals > 0 {
			b.reason(tx("cn_anonymised", "The data is anonymised (cannot identify anyone and cannot be restored), so it is not personal information.", "数据已匿名化（无法识别特定自然人且不能复原），不属于个人信息。"))
			b.cite(cite("C1", "art 73(4)", ""))
		}
		if purposeGroup(s.Purpose) == purposeGroupArt3 {
			b.route(RouteCNExemptArt3, "CN.1.3.step1")
			b.reason(tx("cn_art3", "Data from international trade, transport, academic cooperation, manufacturing or marketing with no personal information and no important data is exempt.", "国际贸易、跨境运输、学术合作、跨国生产制造和市场营销等活动中收集和产生的数据，不包含个人信息或者重要数据的，免予申报安全评估、订立标准合同和通过认证。"))
			b.cite(cite("C8", "art 3", ""))
		} else {
			b.route(RouteCNNotRegulated, "CN.1.3.step0")
			b.reason(tx("cn_not_regulated", "No personal information and no notified important data: general data flows freely.", "不含个人信息和重要数据：一般数据可以自由流动。"))
			b.cite(cite("C8", "art 3", ""), cite("C11", "Q&A I Q1", ""))
		}
		return b.done()
	}
	if ds.CollectedAbroad && !ds.DomesticPIIntroduced && !notified {
		b.route(RouteCNExemptArt4, "CN.1.3.step2")
		b.reason(tx("cn_art4", "Personal information collected and generated abroad, processed in China and provided abroad with no domestic personal information or important data introduced, is exempt.", "境外收集和产生的个人信息传输至境内处理后向境外提供，处理过程中没有引入境内个人信息或者重要数据的，免予申报。"))
		b.cite(cite("C8", "art 4", ""))
		cnPIObligations(b, s)
		b.oblige(tx("cn_art4_domestic_duties", "PIPL still governs the processing in China; the PIPIA and 2024 Provisions art 10 duties are generally taken to apply [C].", "境内处理活动仍适用《个人信息保护法》；一般认为个人信息保护影响评估及《规定》第十条义务仍然适用 [C]。"))
		return b.done()
	}
	ftz := s.Exporter.FTZ != "none"
	if notified {
		b.route(RouteCNSA, "CN.1.3.step3")
		b.reason(tx("cn_important_data", "The export includes data notified or published as important data: a security assessment is required, and the art 5 exemptions do not cover important data.", "出境数据包含经有关部门、地区告知或者公开发布的重要数据，应当申报数据出境安全评估；第五条豁免不适用于重要数据。"))
		b.cite(cite("C8", "arts 5 (last para), 7(1)", ""), cite("C2", "art 31", ""), cite("C4", "art 37", ""))
		if s.Exporter.CIIO {
			b.cite(cite("C3", "art 39", ""))
		}
		if ftz {
			b.trace("CN.1.3.step4")
			b.review(tx("cn_ftz_important_data", "Whether the FTZ negative-list exemption extends to important data is unsettled [C]; the security assessment is returned.", "自由贸易试验区负面清单豁免是否适用于重要数据尚无定论 [C]，此处按安全评估处理。"))
		}
		if s.Exporter.GBA && s.Recipient.GBA {
			b.reason(tx("cn_gba_excluded_id", "The GBA standard contract does not cover important data.", "粤港澳大湾区标准合同不适用于重要数据。"))
		}
		applyCNApproval(b, s, RouteCNSA)
		if hasPI {
			cnPIObligations(b, s)
		}
		cnRouteObligations(b, s)
		return b.done()
	}

	// Steps 5a–5c: purpose exemptions (apply to CIIOs too, arts 7/8 last
	// para; [C] for CIIOs).
	switch purposeGroup(s.Purpose) {
	case purposeGroupContract, purposeGroupHR, purposeGroupEmergency:
		cnArt5(b, s)
		if s.Exporter.CIIO {
			b.review(tx("cn_ciio_exemption", "The exporter is a CIIO: textually arts 3–6 of the 2024 Provisions also apply to CIIOs, but some practitioners advise CIIOs to be conservative [C].", "数据处理者为关键信息基础设施运营者：按条文《规定》第三至六条同样适用于关键信息基础设施运营者，但有实务意见建议审慎处理 [C]。"))
			b.cite(cite("C1", "art 40", ""))
		}
		if ftz {
			b.trace("CN.1.3.step4")
		}
		cnPIObligations(b, s)
		return b.done()
	}
	if s.LegalBasis == "legal_obligation" {
		b.trace("CN.1.3.step5d")
		b.reason(tx("cn_statutory_duty", "Performing a statutory duty is a lawful ground for export (NDSR art 35(6)) but is not listed among the 2024 Provisions exemptions.", "履行法定职责或者法定义务是向境外提供的合法情形（《网络数据安全管理条例》第三十五条第六项），但未列入《规定》的豁免情形。"))
		b.review(tx("cn_statutory_duty_review", "Whether NDSR art 35(6) exempts from the security assessment, standard contract or certification is unsettled [C]; the volume route is returned.", "《网络数据安全管理条例》第三十五条第六项是否免除安全评估、标准合同或者认证尚无定论 [C]，此处按数量门槛处理。"))
		b.cite(cite("C4", "art 35(6)", "C"))
	}
	if s.Exporter.CIIO {
		b.route(RouteCNSA, "CN.1.3.step6")
		b.reason(tx("cn_ciio", "The exporter is a critical information infrastructure operator: any export of personal information needs a security assessment.", "关键信息基础设施运营者向境外提供个人信息，应当申报数据出境安全评估。"))
		b.cite(cite("C8", "art 7(1)", ""), cite("C1", "art 40", ""), cite("C3", "art 39", ""))
		if ftz {
			b.trace("CN.1.3.step4")
			b.review(tx("cn_ftz_ciio", "Whether the FTZ negative-list exemption extends to CIIOs is unsettled [C].", "自由贸易试验区负面清单豁免是否适用于关键信息基础设施运营者尚无定论 [C]。"))
			b.alt(RouteCNExemptFTZ)
		}
		if cnGBAEligible(s) {
			b.trace("CN.1.3.step10")
			b.review(tx("cn_gba_ciio", "The GBA standard contract is not addressed for CIIOs [U][C]: the security assessment is returned and the GBA contract is not offered.", "粤港澳大湾区标准合同是否适用于关键信息基础设施运营者未见规定 [U][C]：此处按安全评估处理，不提供大湾区标准合同选项。"))
		}
		applyCNApproval(b, s, RouteCNSA)
		cnPIObligations(b, s)
		cnRouteObligations(b, s)
		return b.done()
	}
	cnThresholdRoute(b, s)
	if ftz && b.d.Route != RouteCNExemptArt5_4 {
		b.trace("CN.1.3.step4")
		b.alt(RouteCNExemptFTZ)
		zone, zoneZH := label(s.Exporter.FTZ)
		extra := ""
		extraZH := ""
		if s.Exporter.FTZ == "shanghai" || s.Exporter.FTZ == "shanghai_lingang" {
			extra = " For Shanghai the exporter must be registered and operating in the zone."
			extraZH = "上海自贸试验区还要求数据处理者在区内注册并经营。"
		}
		b.review(tx("cn_ftz_list_unchecked", "The exporter is in the "+zone+" pilot FTZ: the export is exempt (2024 Provisions art 6) only if the data is outside that zone's negative list. The list text is not built in, so the lookup was not made; the route without the FTZ exemption is returned."+extra, "数据处理者位于"+zoneZH+"自由贸易试验区：仅当数据不在该区负面清单内时才可依《规定》第六条免予申报。本工具未内置清单文本，无法查询，因此返回不适用自贸区豁免时的路径。"+extraZH))
		b.cite(cite("C8", "art 6", ""), cite("C14", "", ""))
	}
	if cnGBAEligible(s) && (b.d.Route == RouteCNSCOrCert || b.d.Route == RouteCNSA) {
		b.trace("CN.1.3.step10")
		b.alt(RouteCNGBASC)
		inst := "C10"
		if s.Recipient.Country == "MO" {
			inst = "C10b"
		}
		b.cite(cite(inst, "", ""))
		b.reason(tx("cn_gba_alternative", "Exporter and recipient are both registered in the Greater Bay Area and there is no important data: the GBA standard contract may replace this route, with no volume thresholds.", "数据处理者和接收方均在粤港澳大湾区内注册且不涉及重要数据：可以选择订立大湾区标准合同替代本路径，且不受数量门槛限制。"))
		b.oblige(tx("cn_gba_terms", "GBA standard contract: simplified PIPIA; file within 10 working days of the contract taking effect (mainland party with the Guangdong Provincial CAC); the recipient may not provide the data to anyone outside the GBA.", "大湾区标准合同：开展简化的个人信息保护影响评估；合同生效之日起10个工作日内备案（内地一方向广东省网信办备案）；接收方不得向大湾区以外的组织或个人提供。"))
		if a, ok := findValidApproval(s, []string{RouteCNGBASC}); ok {
			b.route(RouteCNGBASC, "CN.1.3.step10")
			b.d.Approval = &a
			b.reason(tx("cn_gba_on_record", "A GBA standard-contract filing is on record ("+a.Ref+", filed "+a.Issued.String()+").", "已有大湾区标准合同备案记录（"+a.Ref+"，"+a.Issued.String()+"备案）。"))
			cnPIObligations(b, s)
			return b.done()
		}
	}
	if b.d.Route == RouteCNSA || b.d.Route == RouteCNSCOrCert {
		applyCNApproval(b, s, b.d.Route)
	}
	cnPIObligations(b, s)
	cnRouteObligations(b, s)
	return b.done()
}

func cnGBAEligible(s Scenario) bool {
	return s.Exporter.GBA && s.Recipient.GBA && (s.Recipient.Country == "HK" || s.Recipient.Country == "MO") && s.Dataset.ImportantData != "notified"
}

func cnArt5(b *dec, s Scenario) {
	switch purposeGroup(s.Purpose) {
	case purposeGroupContract:
		b.route(RouteCNExemptArt5_1, "CN.1.3.step5a")
		pEN, pZH := label(s.Purpose)
		b.reason(tx("cn_art5_1", "Providing the personal information is necessary to conclude or perform a contract to which the individual is a party ("+pEN+"); only the minimum necessary data is covered.", "为订立、履行个人作为一方当事人的合同（"+pZH+"）确需向境外提供个人信息；仅限最小必要范围。"))
		b.cite(cite("C8", "art 5(1)", ""), cite("C11", "Q&A III", ""))
	case purposeGroupHR:
		b.route(RouteCNExemptArt5_2, "CN.1.3.step5b")
		b.reason(tx("cn_art5_2", "Employee personal information necessary for cross-border HR management under lawful labour rules and collective contracts is exempt.", "按照依法制定的劳动规章制度和依法签订的集体合同实施跨境人力资源管理，确需向境外提供员工个人信息的，免予申报。"))
		b.cite(cite("C8", "art 5(2)", ""), cite("C1", "art 13(1)(2)", ""))
		b.oblige(tx("cn_art5_2_scope", "Only employees are covered; applicants, contractors and other non-employees are contested [C] and should be assessed separately.", "仅限员工；求职者、外包人员等非员工是否适用存在争议 [C]，应单独评估。"))
	case purposeGroupEmergency:
		b.route(RouteCNExemptArt5_3, "CN.1.3.step5c")
		b.reason(tx("cn_art5_3", "Providing the personal information is necessary in an emergency to protect a natural person's life, health or property.", "紧急情况下为保护自然人的生命健康和财产安全，确需向境外提供个人信息。"))
		b.cite(cite("C8", "art 5(3)", ""), cite("C1", "arts 13(1)(4), 18(2)", ""))
		b.oblige(tx("cn_emergency_notice", "If the individual cannot be notified in time, notify them once the emergency has ended.", "紧急情况下无法及时告知个人的，应当在紧急情况消除后及时告知。"))
	}
	b.review(tx("cn_separate_consent_contested", "PIPL art 39 separate consent is required on its face, but whether it is needed when the ground is contract, HR management or emergency is contested [C]; separate_consent_required is returned as true.", "《个人信息保护法》第三十九条字面要求取得单独同意，但以合同、人力资源管理或紧急情况为依据时是否仍需单独同意存在争议 [C]；此处按需要单独同意处理。"))
	b.oblige(tx("cn_exemption_scope", "The exemption covers only the data necessary for this purpose; split other data into its own slice and assess it separately.", "豁免仅覆盖该目的所必需的数据；其他数据应单独划分并另行评估。"))
}

// cnThresholdRoute applies steps 7–9 and the §1.4 table.
func cnThresholdRoute(b *dec, s Scenario) {
	th := DefaultThresholds()
	ds := s.Dataset
	nonSens := ds.Individuals + ds.PriorYTD.Individuals
	sens := ds.SensitiveIndividuals + ds.PriorYTD.SensitiveIndividuals
	counts := tx("cn_counts", "Cumulative since 1 January: "+num(nonSens)+" individuals (this export "+num(ds.Individuals)+", earlier this year "+num(ds.PriorYTD.Individuals)+"), of whom "+num(sens)+" with sensitive personal information.", "自当年1月1日起累计："+num(nonSens)+"人（本次"+num(ds.Individuals)+"人，此前"+num(ds.PriorYTD.Individuals)+"人），其中敏感个人信息"+num(sens)+"人。")
	b.reason(counts)
	switch {
	case nonSens >= th.CNNonSensitiveSA || sens >= th.CNSensitiveSA:
		b.route(RouteCNSA, "CN.1.3.step9")
		if nonSens >= th.CNNonSensitiveSA {
			b.trace("CN.1.4.row4")
			b.reason(tx("cn_sa_volume", "Personal information of "+num(th.CNNonSensitiveSA)+" or more individuals has been provided abroad since 1 January: a security assessment is required.", "自当年1月1日起累计向境外提供"+num(th.CNNonSensitiveSA)+"人以上个人信息（不含敏感个人信息），应当申报数据出境安全评估。"))
		}
		if sens >= th.CNSensitiveSA {
			b.trace("CN.1.4.row5")
			b.reason(tx("cn_sa_sensitive", "Sensitive personal information of "+num(th.CNSensitiveSA)+" or more individuals has been provided abroad since 1 January: a security assessment is required.", "自当年1月1日起累计向境外提供"+num(th.CNSensitiveSA)+"人以上敏感个人信息，应当申报数据出境安全评估。"))
		}
		b.cite(cite("C8", "art 7(2)", ""))
	case nonSens >= th.CNNonSensitiveSC || sens >= 1:
		b.route(RouteCNSCOrCert, "CN.1.3.step8")
		if sens == 0 {
			b.trace("CN.1.4.row2")
		}
		if nonSens >= th.CNNonSensitiveSC {
			b.reason(tx("cn_sc_volume", "Personal information of "+num(th.CNNonSensitiveSC)+" or more but fewer than "+num(th.CNNonSensitiveSA)+" individuals since 1 January: standard contract or certification.", "自当年1月1日起累计向境外提供"+num(th.CNNonSensitiveSC)+"人以上、不满"+num(th.CNNonSensitiveSA)+"人个人信息（不含敏感个人信息），应当订立个人信息出境标准合同或者通过个人信息保护认证。"))
		}
		if sens > 0 {
			b.trace("CN.1.4.row3")
			b.reason(tx("cn_sc_sensitive", "Sensitive personal information of fewer than "+num(th.CNSensitiveSA)+" individuals since 1 January: standard contract or certification.", "自当年1月1日起累计向境外提供不满"+num(th.CNSensitiveSA)+"人敏感个人信息，应当订立个人信息出境标准合同或者通过个人信息保护认证。"))
		}
		b.cite(cite("C8", "art 8", ""), cite("C9", "", ""))
	default:
		b.route(RouteCNExemptArt5_4, "CN.1.3.step7")
		b.trace("CN.1.4.row1")
		b.reason(tx("cn_art5_4", "Fewer than "+num(th.CNNonSensitiveSC)+" individuals' non-sensitive personal information since 1 January, by a non-CIIO: exempt.", "关键信息基础设施运营者以外的数据处理者自当年1月1日起累计向境外提供不满"+num(th.CNNonSensitiveSC)+"人个人信息（不含敏感个人信息），免予申报。"))
		b.cite(cite("C8", "art 5(4)", ""))
	}
	b.cite(cite("C15", "", ""))
	if sens > 0 {
		b.review(tx("cn_mixed_sensitive", "Sensitive and non-sensitive personal information are exported together: whether the non-sensitive remainder can stay under its own (lower) route, and how a person counted in both buckets is treated, is unsettled [C]. The whole transfer is placed under the route the sensitive data needs.", "敏感与非敏感个人信息一并出境：非敏感部分能否单独适用较低路径、同一人在两类中如何计数尚无定论 [C]。此处将整个出境活动置于敏感个人信息所需的路径之下。"))
	}
	near := func(c, t int64) bool { return math.Abs(float64(c-t)) < th.NearFraction*float64(t) }
	if near(nonSens, th.CNNonSensitiveSC) || near(nonSens, th.CNNonSensitiveSA) || near(sens, th.CNSensitiveSA) {
		b.review(tx("cn_near_threshold", "The cumulative count is within 10% of a threshold: the de-duplication convention (distinct natural persons per calendar year, not confirmed by a source [M][C]) and the reading of \"以上\" as inclusive (Civil Code art 1259, a civil-law provision [C]) can move the route.", "累计人数距门槛不足10%：去重口径（按自然年计算不重复的自然人，未经来源确认 [M][C]）以及将“以上”理解为包括本数（《民法典》第一千二百五十九条，属民法规定 [C]）都可能改变路径。"))
	}
	b.oblige(tx("cn_counting", "Counts are distinct natural persons, cumulative from 1 January of the as_of year across all overseas recipients (this export plus prior_ytd); de-duplication across exports is an assumption [M][C]. Splitting volumes to avoid a security assessment is prohibited.", "人数按自然年1月1日起、向所有境外接收方累计的不重复自然人计算（本次加此前累计）；跨批次去重属于假设 [M][C]。不得采取数量拆分等手段规避安全评估。"))
	if b.d.Route != RouteCNSA {
		b.oblige(tx("cn_reevaluate", "Re-evaluate on every export with the running year-to-date total; once the security-assessment threshold is reached the SA procedure applies (CAC Q&A III).", "每次出境均应以当年累计数重新评估；累计数量达到安全评估门槛后，应当申报安全评估（网信办答问三）。"))
	}
}

// cnOverlays adds sector and data-classification notes.
func cnOverlays(b *dec, s Scenario) {
	if s.Dataset.ImportantData == "candidate" {
		b.trace("CN.1.11.candidate")
		b.oblige(tx("cn_identify_and_report", "Identify the candidate important data under the sector catalogues and report it to the competent department (NDSR art 29); it triggers the security assessment only once notified or published.", "应当按照行业领域重要数据目录识别疑似重要数据并向有关主管部门报送（《网络数据安全管理条例》第二十九条）；经告知或者公开发布后方触发安全评估。"))
		b.review(tx("cn_candidate_important_data", "The data may be important data not yet notified: if it is notified or published, the security assessment applies.", "数据可能属于尚未告知的重要数据：一旦被告知或公开发布为重要数据，即须申报安全评估。"))
		b.cite(cite("C4", "art 29", ""), cite("C13", "Annex G", ""))
	}
	if slices.ContainsFunc(s.Recipient.Certifications, func(c string) bool { return c == "CBPR" || c == "PRP" || c == "Global_CBPR" || c == "Global_PRP" }) {
		b.reason(tx("cn_cbpr_no_effect", "CBPR/PRP certifications are not recognised in China and have no effect on the route [M].", "CBPR/PRP 认证在中国不被认可，对出境路径不产生影响 [M]。"))
	}
	switch s.Exporter.Sector {
	case "finance", "insurance":
		b.oblige(tx("cn_finance_guideline", "The 2025 financial-sector guideline lists 47 exempt business scenarios with permitted data items; its full text was not available, so it is not applied [U].", "2025年金融业数据跨境流动合规指南列出47个免于出境合规义务的业务场景及数据项；因未获全文，本工具未适用 [U]。"))
		b.cite(cite("C12", "", ""))
	case "automotive":
		b.review(tx("cn_sector_automotive", "Automotive data rules (2021) and the reported 2026 automotive export guideline are not researched [U]: check the sector overlay.", "汽车数据安全管理规定（2021）及据报道的2026年汽车数据出境指引未纳入研究 [U]：请核查行业特别规定。"))
	case "health", "pharma", "research":
		if s.Purpose == "research" || s.Purpose == "clinical_trial" {
			b.review(tx("cn_sector_hgr", "Human genetic resources rules may apply to health research data and are not researched [U].", "健康科研数据可能适用人类遗传资源管理规定，本工具未纳入研究 [U]。"))
		}
	}
}

// cnPIObligations are the duties on every export of personal information,
// exempt or not (research §1.5; 2024 Provisions arts 10–11).
func cnPIObligations(b *dec, s Scenario) {
	b.oblige(
		tx("cn_notice_art39", "Tell the individuals the recipient's name and contact details, the purpose, method and categories of PI, and how to exercise their rights against the recipient.", "向个人告知境外接收方的名称、联系方式、处理目的、处理方式、个人信息种类以及向境外接收方行使权利的方式和程序。"),
		tx("cn_separate_consent", "Obtain separate consent for the export (PIPL art 39; art 29 for sensitive PI; parental consent for children under 14, art 31). separate_consent_required: true.", "就出境取得个人的单独同意（《个人信息保护法》第三十九条；敏感个人信息见第二十九条；不满十四周岁未成年人须取得监护人同意，第三十一条）。"),
		tx("cn_pipia", "Carry out a personal information protection impact assessment before the export, and keep the report and processing records for at least 3 years (PIPL arts 55, 56).", "出境前开展个人信息保护影响评估，评估报告和处理情况记录至少保存3年（《个人信息保护法》第五十五条、第五十六条）。"),
		tx("cn_recipient_standard", "Take the necessary measures so that the recipient's processing meets the PIPL standard (art 38 para 3).", "采取必要措施，保障境外接收方处理个人信息的活动达到《个人信息保护法》规定的保护标准（第三十八条第三款）。"),
		tx("cn_art10_11", "Meet the notice, consent and PIPIA duties and keep security measures; on an actual or possible incident take remedial action and report to the provincial-or-higher CAC (2024 Provisions arts 10, 11).", "履行告知、取得单独同意、开展个人信息保护影响评估等义务并采取安全保护措施；发生或者可能发生安全事件时采取补救措施并向省级以上网信部门报告（《规定》第十条、第十一条）。"),
	)
	b.cite(cite("C1", "arts 38, 39, 55, 56", ""), cite("C8", "arts 10, 11", "S"))
	if s.Recipient.Role == "processor" {
		b.oblige(tx("cn_entrusted_processing", "The recipient is a processor: agree purpose, term, method, categories and protection measures by contract, supervise it, and have the data returned or deleted at the end (PIPL art 21).", "境外接收方为受托人：应以合同约定委托处理的目的、期限、处理方式、个人信息种类、保护措施，对其进行监督，并在委托结束后要求返还或删除（《个人信息保护法》第二十一条）。"))
	}
}

// cnRouteObligations are the procedure duties of the SA and SC/cert routes.
func cnRouteObligations(b *dec, s Scenario) {
	switch b.d.Route {
	case RouteCNSA:
		b.oblige(
			tx("cn_sa_self_assessment", "Carry out the export-risk self-assessment before applying (purpose, scale, sensitivity, recipient capability, leakage risk, legal documents) (SA Measures art 5).", "申报前开展数据出境风险自评估（目的、范围、方式、规模、敏感程度、接收方能力、泄露风险、法律文件等）（《数据出境安全评估办法》第五条）。"),
			tx("cn_sa_materials", "Application materials: declaration form, self-assessment report, legal documents with the recipient, other materials (art 6).", "申报材料：申报书、数据出境风险自评估报告、与境外接收方拟订立的法律文件及其他材料（第六条）。"),
			tx("cn_sa_procedure", "Apply through the provincial CAC: completeness check 5 working days, national CAC acceptance 7 working days, assessment 45 working days from acceptance (extendable); re-review may be requested within 15 working days of the result (arts 7, 12, 13).", "通过省级网信部门申报：完备性查验5个工作日，国家网信部门7个工作日内决定是否受理，自受理之日起45个工作日内完成评估（可延长）；对结果有异议的可在15个工作日内申请复评（第七、十二、十三条）。"),
			tx("cn_sa_validity", "The result is valid for 3 years from issue; an extension of 3 years may be applied for through the provincial CAC within the 60 working days before expiry (2024 Provisions art 9).", "评估结果有效期为3年，自出具之日起计算；有效期届满前60个工作日内可通过省级网信部门申请延长，经批准延长3年（《规定》第九条）。"),
			tx("cn_sa_redeclare", "Re-declare during validity if the purpose, method, scope or type changes, overseas retention is extended, the recipient country's law changes, or actual control of either party changes (SA Measures art 14).", "有效期内出境目的、方式、范围、种类变化，延长境外保存期限，境外接收方所在国家或地区法律环境变化，或者一方实际控制权变更等情形的，应当重新申报（《数据出境安全评估办法》第十四条）。"),
			tx("cn_sa_scope", "Exports must not exceed the purpose, method, scope, type and scale approved in the assessment (NDSR art 38).", "出境不得超出评估时明确的目的、方式、范围、种类和规模（《网络数据安全管理条例》第三十八条）。"),
		)
		b.cite(cite("C6", "arts 5–7, 12–14", ""), cite("C8", "art 9", ""), cite("C4", "art 38", ""))
	case RouteCNSCOrCert:
		b.oblige(
			tx("cn_sc_pipia", "Standard contract: the PIPIA must also cover the recipient's obligations and capability and the effect of the recipient country's PI laws and policies (SC Measures art 5).", "标准合同：个人信息保护影响评估还应重点评估境外接收方的义务和能力以及境外接收方所在国家或地区个人信息保护政策和法规的影响（《标准合同办法》第五条）。"),
			tx("cn_sc_template", "Use the CAC standard contract template strictly; extra clauses may not conflict with it (art 6).", "严格按照国家网信部门制定的标准合同订立合同，补充条款不得与标准合同相冲突（第六条）。"),
			tx("cn_sc_filing", "File the contract and the PIPIA report with the provincial CAC within 10 working days of the contract taking effect (art 7).", "标准合同生效之日起10个工作日内，向省级网信部门备案标准合同和个人信息保护影响评估报告（第七条）。"),
			tx("cn_sc_refile", "Re-sign and re-file on changes of purpose, scope, type, sensitivity, method, storage location or recipient use, on extension of overseas retention, or on law changes in the recipient country (art 8).", "出境目的、范围、种类、敏感程度、方式、保存地点或者接收方用途变化，延长境外保存期限，或者接收方所在国家或地区法律变化的，应当重新订立并备案（第八条）。"),
			tx("cn_cert_option", "Alternatively, certification by an accredited body (from 2026-01-01 under the Cert Measures): notice, separate consent and PIPIA first; the certificate is valid 3 years, re-apply 6 months before expiry.", "也可以选择由专业机构进行个人信息保护认证（2026年1月1日起适用《认证办法》）：事先履行告知、单独同意和影响评估义务；证书有效期3年，届满前6个月重新申请。"),
		)
		b.cite(cite("C7", "arts 5–8", ""), cite("C9", "", ""))
	}
}

// approvalExpiry returns the day an approval stops being valid (zero = no
// statutory expiry) and whether that rests on an unverified point.
func approvalExpiry(a Approval) (time.Time, bool) {
	th := DefaultThresholds()
	if !a.Expires.IsZero() {
		return a.Expires.Time, false
	}
	switch a.Route {
	case RouteCNSA:
		return a.Issued.AddDate(th.CNSAYears, 0, 0), a.Issued.Before(mustDate(th.CN2024From))
	case approvalCNCert:
		return a.Issued.AddDate(th.CNCertYears, 0, 0), false
	}
	return time.Time{}, true
}

func approvalValid(a Approval, asOf time.Time) bool {
	exp, _ := approvalExpiry(a)
	return !a.Issued.After(asOf) && (exp.IsZero() || exp.After(asOf))
}

// findValidApproval returns the valid approval among codes with the latest
// expiry (no expiry counts as latest).
func findValidApproval(s Scenario, codes []string) (Approval, bool) {
	var best Approval
	var bestExp time.Time
	found := false
	for _, a := range s.Exporter.Approvals {
		if !slices.Contains(codes, a.Route) || !approvalValid(a, s.AsOf.Time) {
			continue
		}
		exp, _ := approvalExpiry(a)
		if !found || exp.IsZero() || (!bestExp.IsZero() && exp.After(bestExp)) {
			best, bestExp, found = a, exp, true
		}
	}
	return best, found
}

// applyCNApproval looks for an approval on record satisfying required.
func applyCNApproval(b *dec, s Scenario, required string) {
	codes := []string{required}
	if required == RouteCNSCOrCert {
		// An SA approval also covers the lower SC/cert route.
		codes = []string{RouteCNSCOrCert, approvalCNSC, approvalCNCert, RouteCNSA}
	}
	asOf := s.AsOf.Time
	if a, ok := findValidApproval(s, codes); ok {
		b.d.Approval = &a
		b.trace("CN.1.5.approval")
		exp, unverified := approvalExpiry(a)
		until, untilZH := "no statutory expiry", "无法定有效期"
		if !exp.IsZero() {
			until, untilZH = "valid until "+exp.Format(time.DateOnly), "有效期至"+exp.Format(time.DateOnly)
		}
		b.reason(tx("cn_approval_on_record", "Approval on record: "+a.Route+" "+a.Ref+", issued "+a.Issued.String()+", "+until+".", "已有审批或备案记录："+a.Route+" "+a.Ref+"，"+a.Issued.String()+"出具，"+untilZH+"。"))
		if a.Route == RouteCNSA && required == RouteCNSCOrCert {
			b.reason(tx("cn_sa_covers_sc", "The security assessment on record also covers this export, which would otherwise need a standard contract or certification.", "已通过的安全评估同样覆盖本次本应适用标准合同或认证的出境活动。"))
		}
		if unverified {
			if a.Route == RouteCNSA {
				b.review(tx("cn_pre2024_sa", "The SA approval predates the 2024 Provisions: whether it benefits from the 3-year validity (instead of 2 years) is unverified [U].", "该安全评估早于《规定》施行：能否适用3年有效期（而非原2年）未经核实 [U]。"))
			} else {
				b.review(tx("cn_sc_no_expiry", "No statutory expiry of a standard-contract filing was found [U]; the filing is treated as valid until a re-filing trigger occurs.", "未查到标准合同备案的法定有效期 [U]；此处视为在出现重新备案情形前持续有效。"))
			}
		}
		th := DefaultThresholds()
		switch {
		case a.Route == RouteCNSA && !exp.IsZero():
			win := workingDaysBefore(exp, th.CNSAExtensionWorkingDays)
			if !asOf.Before(win) {
				b.trace("CN.1.6.sa_extension")
				b.oblige(tx("cn_sa_extension_due", "The security assessment expires on "+exp.Format(time.DateOnly)+": the extension window (60 working days before expiry) opened on "+win.Format(time.DateOnly)+"; apply for the extension through the provincial CAC now.", "安全评估结果将于"+exp.Format(time.DateOnly)+"届满：延期申请窗口（届满前60个工作日）已于"+win.Format(time.DateOnly)+"开启，请立即通过省级网信部门申请延长。"))
			} else {
				b.oblige(tx("cn_sa_extension_window", "The security assessment expires on "+exp.Format(time.DateOnly)+"; an extension may be applied for from "+win.Format(time.DateOnly)+" (60 working days before expiry).", "安全评估结果将于"+exp.Format(time.DateOnly)+"届满；可自"+win.Format(time.DateOnly)+"起（届满前60个工作日内）申请延长。"))
			}
		case a.Route == approvalCNCert && !exp.IsZero():
			re := exp.AddDate(0, -th.CNCertReapplyMonths, 0)
			if !asOf.Before(re) {
				b.trace("CN.1.6.cert_reapply")
				b.oblige(tx("cn_cert_reapply_due", "The certificate expires on "+exp.Format(time.DateOnly)+": re-application was due by "+re.Format(time.DateOnly)+" (6 months before expiry); re-apply now.", "认证证书将于"+exp.Format(time.DateOnly)+"到期：应于"+re.Format(time.DateOnly)+"（届满前6个月）前重新申请，请立即办理。"))
			} else {
				b.oblige(tx("cn_cert_reapply_window", "The certificate expires on "+exp.Format(time.DateOnly)+"; re-apply by "+re.Format(time.DateOnly)+" (6 months before expiry).", "认证证书将于"+exp.Format(time.DateOnly)+"到期；应于"+re.Format(time.DateOnly)+"（届满前6个月）前重新申请。"))
			}
		}
		return
	}
	for _, a := range s.Exporter.Approvals {
		if !slices.Contains(codes, a.Route) {
			continue
		}
		b.trace("CN.1.5.approval_invalid")
		if a.Issued.After(asOf) {
			b.reason(tx("cn_approval_future", "Approval "+a.Route+" "+a.Ref+" is dated "+a.Issued.String()+", after the export day.", "审批或备案 "+a.Route+" "+a.Ref+" 的日期为"+a.Issued.String()+"，晚于出境日。"))
		} else {
			exp, _ := approvalExpiry(a)
			b.reason(tx("cn_approval_expired", "Approval "+a.Route+" "+a.Ref+" expired on "+exp.Format(time.DateOnly)+".", "审批或备案 "+a.Route+" "+a.Ref+" 已于"+exp.Format(time.DateOnly)+"失效。"))
		}
	}
	if required == RouteCNSA {
		if a, ok := findValidApproval(s, []string{RouteCNSCOrCert, approvalCNSC, approvalCNCert, RouteCNGBASC}); ok {
			b.trace("CN.1.6.escalation")
			b.reason(tx("cn_escalation", "The "+a.Route+" on record ("+a.Ref+") does not cover this export: the cumulative volume now needs a security assessment (CAC Q&A III).", "已有的"+a.Route+"（"+a.Ref+"）不覆盖本次出境：累计数量已达到安全评估门槛，应当申报安全评估（网信办答问三）。"))
			b.cite(cite("C11", "Q&A III", ""))
		}
	}
}
