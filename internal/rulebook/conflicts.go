package rulebook

import (
	"slices"
	"strings"
)

// conflicts applies the cross-regime rules of research §8 and §0.3.
func conflicts(s Scenario, ds []Decision) []Conflict {
	out := []Conflict{}
	get := func(j string) (Decision, bool) {
		for _, d := range ds {
			if d.Jurisdiction == j {
				return d, true
			}
		}
		return Decision{}, false
	}
	cn, hasCN := get("CN")
	us, hasUS := get("US")
	_, hasEU := get("EU")
	r := s.Recipient
	usProhibits := hasUS && (strings.HasPrefix(us.Route, routeUSProhibitedPrefix) || us.Route == RouteUSPADFAProhibited)

	// §8.1 US prohibits, China permits.
	if usProhibits && ((hasCN && !cn.Blocking) || slices.Contains([]string{"CN", "HK", "MO"}, r.Country)) {
		out = append(out, Conflict{Kind: "CONFLICT", Jurisdictions: []string{"US", "CN"},
			Description: tx("conflict_us_prohibits_cn_permits", "US law prohibits this transaction ("+us.Route+") while Chinese law does not forbid it (import is not regulated by CAC export rules; a return flow of foreign-collected data is exempt under 2024 Provisions art 4). Outcome: blocked under US law; Chinese law does not cure it.", "美国法禁止该交易（"+us.Route+"），而中国法并不禁止（数据入境不受网信办出境规则规制；仅基于境外收集数据的回流可依《规定》第四条豁免）。结论：依美国法禁止，中国法不能补救。"),
			Citations:   []Citation{cite("U1", "§§202.301, 202.303", ""), cite("C8", "art 4", "")}})
	}
	// §8.2 China requires approval; a foreign court or authority asks.
	if isJudicial(r.Type) && (hasCN || hasEU) {
		js := []string{}
		cites := []Citation{}
		if hasCN {
			js = append(js, "CN")
			cites = append(cites, cite("C1", "art 41", ""), cite("C2", "art 36", ""))
		}
		if hasEU {
			js = append(js, "EU")
			cites = append(cites, cite("E1", "arts 48, 49(1)(e)", "M"))
		}
		if !slices.Contains(js, r.Country) && !(isEEA(r.Country) && hasEU) {
			js = append(js, r.Country)
		}
		out = append(out, Conflict{Kind: "CONFLICT", Jurisdictions: js,
			Description: tx("conflict_foreign_court", "A foreign court or law-enforcement body ("+r.Country+") is the recipient: PRC law requires competent-authority approval before data stored in China is provided (PIPL art 41, DSL art 36), and the GDPR recognises third-country orders only under an international agreement (art 48), with art 49(1)(e) as the derogation. Production ordered abroad may be unlawful at home.", "接收方为外国（"+r.Country+"）法院或执法机构：中国法要求向其提供境内存储的数据须经主管机关批准（《个人信息保护法》第四十一条、《数据安全法》第三十六条），GDPR 仅在国际协定基础上承认第三国的命令（第48条），并以第49条第1款(e)项为例外。境外命令的提供可能在本国违法。"),
			Citations:   cites})
	}
	// §8.3 GBA onward flow.
	if s.Exporter.GBA && !r.GBA {
		if a, ok := findValidApproval(s, []string{RouteCNGBASC, RouteHKGBASC}); ok {
			out = append(out, Conflict{Kind: "CONFLICT", Jurisdictions: []string{"CN", s.Exporter.Country, r.Country},
				Description: tx("conflict_gba_onward", "A GBA standard contract is on record ("+a.Ref+") but the recipient is outside the Greater Bay Area: data received under the GBA contract may not leave the GBA; this flow needs a national PRC route (security assessment, standard contract or certification) and the recipient country's rules.", "已有大湾区标准合同备案（"+a.Ref+"），但接收方位于大湾区以外：依大湾区标准合同接收的个人信息不得向大湾区以外提供；该流动须适用国家层面的出境路径（安全评估、标准合同或认证）并遵守接收方所在地规则。"),
				Citations:   []Citation{cite("C10", "", "")}})
		}
	}
	// §8.4 HK recipient of US bulk data.
	if hasUS && (r.Country == "HK" || r.Country == "MO") && us.Rule != "US.3.1.step0" && us.Rule != "US.3.1.step1" {
		out = append(out, Conflict{Kind: "CONFLICT", Jurisdictions: []string{"US", r.Country},
			Description: tx("conflict_hk_recipient", "Hong Kong and Macao have no operative transfer restriction, but the DOJ rule treats them as China: an entity organised there is a covered person even if US-owned (§§202.208, 202.211). The corporate group exemption (§202.506) may apply only to administrative or ancillary operations.", "香港和澳门没有生效的跨境转移限制，但美国司法部规则将其视为中国：在当地设立的实体即使由美国人持有也属于受管辖人员（第202.208条、第202.211条）。企业集团豁免（第202.506条）仅适用于行政或辅助性业务。"),
			Citations:   []Citation{cite("U1", "§§202.208, 202.211, 202.506", ""), cite("H1", "s33", "S")}})
	}
	// §8.5 EU → CN → EU processing round trip.
	if hasEU && r.Country == "CN" && r.Role == "processor" {
		out = append(out, Conflict{Kind: "CUMULATIVE", Jurisdictions: []string{"EU", "CN"},
			Description: tx("cumulative_eu_cn_eu", "EU → CN processing round trip: the EU leg needs SCC module 2 or 3 plus a TIA (China is not adequate); the return leg from China is exempt under 2024 Provisions art 4 if no domestic PI or important data is added, but PIPL governs the processing in China and the PIPIA and art 10 duties are taken to apply [C].", "欧盟→中国→欧盟的委托处理往返：欧盟一侧须采用标准合同条款模块二或三并进行传输影响评估（中国不具备充分性）；回传时如未引入境内个人信息或重要数据，可依《规定》第四条豁免，但境内处理适用《个人信息保护法》，一般认为个人信息保护影响评估及第十条义务仍然适用 [C]。"),
			Citations:   []Citation{cite("E2", "", ""), cite("C8", "arts 4, 10", "")}})
	}
	if hasCN && cn.Route == RouteCNExemptArt4 && isEEA(r.Country) {
		out = append(out, Conflict{Kind: "CUMULATIVE", Jurisdictions: []string{"CN", "EU"},
			Description: tx("cumulative_cn_return_eu", "Return of foreign-collected data to the EU: exempt in China under 2024 Provisions art 4; from a non-GDPR importer the return is not a Chapter V transfer, but the EU exporter's SCC obligations (module 2/3) continue [C].", "境外收集数据回传欧盟：在中国可依《规定》第四条豁免；对不受 GDPR 约束的接收方而言，回传不构成第五章传输，但欧盟输出方依标准合同条款（模块二/三）的义务继续有效 [C]。"),
			Citations:   []Citation{cite("C8", "art 4", ""), cite("E4", "", "")}})
	}
	// §0.3 cumulative obligations.
	if len(ds) > 1 {
		js := []string{}
		for _, d := range ds {
			js = append(js, d.Jurisdiction)
		}
		out = append(out, Conflict{Kind: "CUMULATIVE", Jurisdictions: js,
			Description: tx("cumulative_regimes", "Several regimes apply ("+strings.Join(js, ", ")+"): their obligations are cumulative; meet every route returned, not only the strictest.", "多个法域的规则同时适用（"+strings.Join(js, "、")+"）：各项义务累加适用，须满足所有返回的路径，而不仅是最严格者。"),
			Citations:   []Citation{}})
	}
	return out
}
