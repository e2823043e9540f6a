package rulebook

import "slices"

// Japan, APPI art 28 (research §4). Applies when exporter.country is JP and
// the recipient is abroad.

func jpApplies(s Scenario) bool {
	return s.Exporter.Country == "JP" && s.Recipient.Country != "JP" && hasPersonalData(s)
}

func evalJP(s Scenario) Decision {
	b := newDec("JP")
	r := s.Recipient
	b.cite(cite("J1", "art 28", ""))
	art27 := s.Purpose == "emergency_life_health" || s.LegalBasis == "legal_obligation" || s.LegalBasis == "vital_interests" || s.LegalBasis == "public_interest" ||
		(s.Exporter.Type == "university" && (s.Purpose == "research" || s.Purpose == "academic_cooperation"))
	switch {
	case art27:
		b.route(RouteJPArt27, "JP.4.step0")
		b.reason(tx("jp_art27", "An APPI art 27(1) exception applies (laws and regulations; life, body or property where consent is difficult; public health; cooperation with authorities; or academic purposes): no art 28 consent is needed.", "适用《个人信息保护法》第27条第1款的例外（基于法令；为保护生命、身体或财产且难以取得同意；公共卫生；配合国家机关；或学术研究）：无需第28条的同意。"))
		b.cite(cite("J1", "art 27(1)", ""))
	case isEEA(r.Country) || r.Country == "GB":
		b.route(RouteJPWhitelist, "JP.4.step1")
		b.reason(tx("jp_whitelist", "The recipient's country ("+r.Country+") is on the PPC list of systems equivalent to Japan's (EU/EEA and UK): no art 28 consent; the normal third-party rules apply.", "接收方所在国家或地区（"+r.Country+"）位于个人信息保护委员会认定的同等水平名单（欧盟/欧洲经济区及英国）：无需第28条同意，适用一般第三方提供规则。"))
		b.cite(cite("J2", "Enforcement Rules art 15", ""))
		if isEEAOnly(r.Country) {
			b.review(tx("jp_eea_coverage", "Whether the PPC list covers the whole EEA or only the EU-27 is unverified [M].", "该名单是否涵盖整个欧洲经济区还是仅限欧盟27国未经核实 [M]。"))
		}
	case slices.Contains(r.Certifications, "CBPR") || slices.Contains(r.Certifications, "Global_CBPR"):
		b.route(RouteJPEquivMeasures, "JP.4.step2")
		b.reason(tx("jp_cbpr", "The recipient holds a (Global) CBPR certification, an international framework recognised as meeting the PPC standard.", "接收方持有（全球）CBPR 认证，属于被认定符合个人信息保护委员会标准的国际框架。"))
		b.cite(cite("J2", "Enforcement Rules art 16", ""), cite("G1", "", ""))
		jpEquivObligations(b)
	default:
		b.route(RouteJPConsent, "JP.4.step3")
		b.alt(RouteJPEquivMeasures)
		b.reason(tx("jp_consent", "The recipient's country is not on the PPC list and no recognised certification is held: obtain the individual's prior consent, or put equivalent measures in place by contract or internal rules (alternative).", "接收方所在国家或地区不在名单内且未持有认可的认证：应取得本人事先同意，或以合同、内部规则建立同等措施体制（替代方案）。"))
		b.oblige(tx("jp_consent_info", "Before asking for consent, give the name of the foreign country, information on its personal information protection system, and the recipient's protective measures (art 28(2); Enforcement Rules art 17).", "取得同意前，提供外国名称、该国个人信息保护制度的信息以及接收方采取的保护措施（第28条第2款；施行规则第17条）。"))
		b.cite(cite("J1", "art 28(2)", ""), cite("J2", "Enforcement Rules art 17", ""))
		jpEquivObligations(b)
	}
	return b.done()
}

func jpEquivObligations(b *dec) {
	b.oblige(tx("jp_continuous_measures", "With equivalent measures: periodically check the recipient's implementation and any foreign law that may affect it, suspend if problems cannot be fixed, and provide information on the measures on request (art 28(3)).", "采用同等措施的：定期确认接收方的实施情况及可能影响实施的外国制度，无法纠正时停止提供，并应本人请求提供相关措施信息（第28条第3款）。"))
}
