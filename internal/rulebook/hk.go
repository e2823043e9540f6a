package rulebook

import "slices"

// Hong Kong, PDPO (research §5). Applies when exporter.country is HK.

func hkApplies(s Scenario) bool {
	return s.Exporter.Country == "HK" && s.Recipient.Country != "HK" && hasPersonalData(s)
}

func evalHK(s Scenario) Decision {
	b := newDec("HK")
	r := s.Recipient
	b.route(RouteHKNoTransferRule, "HK.5.s33")
	b.reason(tx("hk_s33", "PDPO s33 (cross-border transfer prohibition) is not in operation: there is no statutory transfer restriction.", "《个人资料（私隐）条例》第33条（跨境转移限制）尚未实施：无法定跨境转移限制。"))
	b.cite(cite("H1", "s33", "S"), cite("H1", "DPP3", ""), cite("H2", "", ""))
	b.oblige(
		tx("hk_dpp3", "DPP3: using the data for a new purpose, including disclosure to the transferee, needs the data subject's prescribed consent [M].", "保障资料第3原则：将资料用于新目的（包括向受让方披露）须取得资料当事人的订明同意 [M]。"),
		tx("hk_processor", "The data user remains responsible for its processors (DPP2(3), DPP4(2)) [M].", "资料使用者须对其资料处理者负责（保障资料第2(3)、4(2)原则）[M]。"),
		tx("hk_rmc", "Recommended: the PCPD Recommended Model Contractual Clauses (2022) for the transfer (best practice, not mandatory).", "建议：采用个人资料私隐专员公署2022年发布的建议合约条文范本（最佳实践，非强制）。"),
	)
	gba := s.Exporter.GBA && r.GBA && r.Country == "CN"
	if gba {
		b.trace("HK.5.gba")
		b.alt(RouteHKGBASC)
		b.reason(tx("hk_gba", "Both parties are in the Greater Bay Area: the GBA standard contract is a voluntary option (file with the Digital Policy Office within 10 working days).", "双方均位于粤港澳大湾区：可自愿选择大湾区标准合同（10个工作日内向数字政策办公室备案）。"))
		b.cite(cite("C10", "", ""))
		if a, ok := findValidApproval(s, []string{RouteHKGBASC, RouteCNGBASC}); ok {
			b.route(RouteHKGBASC, "HK.5.gba")
			b.d.Approval = &a
		}
	}
	if slices.ContainsFunc(r.Certifications, func(c string) bool { return c == "CBPR" || c == "Global_CBPR" || c == "PRP" || c == "Global_PRP" }) {
		b.reason(tx("hk_cbpr_no_effect", "Hong Kong is not a CBPR member: the certification has no effect [M].", "香港不是 CBPR 成员：该认证不产生效力 [M]。"))
	}
	return b.done()
}
