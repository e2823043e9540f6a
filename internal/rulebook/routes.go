package rulebook

import "strings"

// Route codes (research §0.2). Parameterised codes are built with their
// parameter in parentheses, e.g. US_EXEMPT(202.506).
const (
	RouteCNNotRegulated     = "CN_NOT_REGULATED"
	RouteCNExemptArt3       = "CN_EXEMPT_ART3"
	RouteCNExemptArt4       = "CN_EXEMPT_ART4"
	RouteCNExemptArt5_1     = "CN_EXEMPT_ART5_1"
	RouteCNExemptArt5_2     = "CN_EXEMPT_ART5_2"
	RouteCNExemptArt5_3     = "CN_EXEMPT_ART5_3"
	RouteCNExemptArt5_4     = "CN_EXEMPT_ART5_4"
	RouteCNExemptFTZ        = "CN_EXEMPT_FTZ_ART6"
	RouteCNSCOrCert         = "CN_SC_OR_CERT"
	RouteCNSA               = "CN_SA"
	RouteCNGBASC            = "CN_GBA_SC"
	RouteCNJudicial         = "CN_FOREIGN_JUDICIAL_APPROVAL"
	RouteBlock              = "BLOCK"
	RouteBlockNeedsReview   = "BLOCK_NEEDS_REVIEW"
	RouteEUNoTransfer       = "EU_NO_TRANSFER"
	RouteEUSCCM1            = "EU_SCC_M1"
	RouteEUSCCM2            = "EU_SCC_M2"
	RouteEUSCCM3            = "EU_SCC_M3"
	RouteEUSCCM4            = "EU_SCC_M4"
	RouteEUBCR              = "EU_BCR"
	RouteEUArt46Other       = "EU_ART46_OTHER"
	RouteEUProhibited       = "EU_PROHIBITED"
	RouteUSNotCovered       = "US_NOT_COVERED"
	RouteUSRestricted       = "US_RESTRICTED"
	RouteUSOnwardContract   = "US_ONWARD_CONTRACT_REQUIRED"
	RouteUSPADFAProhibited  = "US_PADFA_PROHIBITED"
	RouteJPWhitelist        = "JP_WHITELIST"
	RouteJPEquivMeasures    = "JP_EQUIV_MEASURES"
	RouteJPConsent          = "JP_CONSENT"
	RouteJPArt27            = "JP_ART27_EXCEPTION"
	RouteHKNoTransferRule   = "HK_NO_TRANSFER_RULE"
	RouteHKGBASC            = "HK_GBA_SC"
	RouteSGContract         = "SG_CONTRACT"
	RouteSGBCR              = "SG_BCR"
	RouteSGLaw              = "SG_LAW"
	approvalCNSC            = "CN_SC"   // approval-only code: the standard-contract branch of CN_SC_OR_CERT
	approvalCNCert          = "CN_CERT" // approval-only code: the certification branch of CN_SC_OR_CERT
	routeEUAdequacyPrefix   = "EU_ADEQUACY"
	routeEUArt49Prefix      = "EU_ART49_"
	routeUSExemptPrefix     = "US_EXEMPT"
	routeUSProhibitedPrefix = "US_PROHIBITED"
	routeSGCertPrefix       = "SG_CERT"
	routeSGDeemedPrefix     = "SG_DEEMED"
)

func param(prefix, p string) string { return prefix + "(" + p + ")" }

// RouteInfo describes a route code for reports and checklists.
type RouteInfo struct {
	Code         string
	Title        Text
	Filing       bool // a filing with, or approval by, an authority is needed before the export
	Jurisdiction string
	// Prohibition is true for routes that forbid the export outright.
	Prohibition bool
}

// Routes returns every route code Evaluate can produce (parameterised codes
// listed with each parameter), plus the approval-only codes CN_SC and
// CN_CERT that exporter.approvals may name.
func Routes() []RouteInfo {
	r := func(code string, filing bool, j, en, zh string) RouteInfo {
		return RouteInfo{Code: code, Filing: filing, Jurisdiction: j, Title: Text{Code: "route." + code, EN: en, ZH: zh}}
	}
	p := func(ri RouteInfo) RouteInfo { ri.Prohibition = true; return ri }
	out := []RouteInfo{
		r(RouteCNNotRegulated, false, "CN", "Not regulated: no personal information and no important data", "不受出境规则规制：不含个人信息和重要数据"),
		r(RouteCNExemptArt3, false, "CN", "Exempt: trade, transport, academic, manufacturing or marketing data without PI (2024 Provisions art 3)", "免予申报：国际贸易、跨境运输、学术合作、跨国生产制造和市场营销等活动中收集和产生的不含个人信息或重要数据的数据（《规定》第三条）"),
		r(RouteCNExemptArt4, false, "CN", "Exempt: PI collected abroad, processed in China and sent back (2024 Provisions art 4)", "免予申报：境外收集和产生、在境内加工处理后出境的个人信息（《规定》第四条）"),
		r(RouteCNExemptArt5_1, false, "CN", "Exempt: necessary to conclude or perform a contract with the individual (2024 Provisions art 5(1))", "免予申报：订立、履行个人作为一方当事人的合同所必需（《规定》第五条第一项）"),
		r(RouteCNExemptArt5_2, false, "CN", "Exempt: cross-border HR management of employees (2024 Provisions art 5(2))", "免予申报：实施跨境人力资源管理所必需（《规定》第五条第二项）"),
		r(RouteCNExemptArt5_3, false, "CN", "Exempt: emergency protection of life, health or property (2024 Provisions art 5(3))", "免予申报：紧急情况下保护自然人生命健康和财产安全所必需（《规定》第五条第三项）"),
		r(RouteCNExemptArt5_4, false, "CN", "Exempt: fewer than 100,000 individuals' non-sensitive PI since 1 January (2024 Provisions art 5(4))", "免予申报：自当年1月1日起累计向境外提供不满10万人个人信息（不含敏感个人信息）（《规定》第五条第四项）"),
		r(RouteCNExemptFTZ, false, "CN", "Exempt: data outside the pilot FTZ negative list (2024 Provisions art 6)", "免予申报：自由贸易试验区负面清单外的数据（《规定》第六条）"),
		r(RouteCNSCOrCert, true, "CN", "Standard contract (filed) or PI protection certification", "订立并备案个人信息出境标准合同，或通过个人信息保护认证"),
		r(RouteCNSA, true, "CN", "CAC security assessment", "申报数据出境安全评估"),
		r(RouteCNGBASC, true, "CN", "GBA (Mainland–HK/Macao) standard contract", "粤港澳大湾区（内地、香港/澳门）个人信息跨境流动标准合同"),
		r(RouteCNJudicial, true, "CN", "Approval of the PRC competent authority before providing data to a foreign judicial or law-enforcement body", "向外国司法或者执法机构提供数据前须经中华人民共和国主管机关批准"),
		p(r(RouteBlock, false, "CN", "Blocked: recipient on the CAC restricted or prohibited list", "禁止：境外接收方被列入限制或者禁止个人信息提供清单")),
		p(r(RouteBlockNeedsReview, false, "CN", "Blocked pending legal review: core data", "暂停出境，需法律审查：涉及核心数据")),
		r(approvalCNSC, true, "CN", "Standard contract filing (branch of CN_SC_OR_CERT)", "个人信息出境标准合同备案"),
		r(approvalCNCert, true, "CN", "PI protection certification (branch of CN_SC_OR_CERT)", "个人信息保护认证"),
		r(RouteEUNoTransfer, false, "EU", "Not a Chapter V transfer", "不构成 GDPR 第五章意义上的跨境传输"),
		r(RouteEUSCCM1, false, "EU", "Standard contractual clauses, module 1 (controller to controller), plus TIA", "标准合同条款模块一（控制者至控制者），并进行传输影响评估"),
		r(RouteEUSCCM2, false, "EU", "Standard contractual clauses, module 2 (controller to processor), plus TIA", "标准合同条款模块二（控制者至处理者），并进行传输影响评估"),
		r(RouteEUSCCM3, false, "EU", "Standard contractual clauses, module 3 (processor to processor), plus TIA", "标准合同条款模块三（处理者至处理者），并进行传输影响评估"),
		r(RouteEUSCCM4, false, "EU", "Standard contractual clauses, module 4 (processor to controller), plus TIA", "标准合同条款模块四（处理者至控制者），并进行传输影响评估"),
		r(RouteEUBCR, true, "EU", "Binding corporate rules (approved by a supervisory authority), plus TIA", "经监管机构批准的约束性公司规则，并进行传输影响评估"),
		r(RouteEUArt46Other, true, "EU", "Other art 46 safeguard (code, certification, ad hoc clauses or instrument between public bodies), plus TIA", "其他第46条保障措施（行为准则、认证、经批准的临时条款或公共机构间文书），并进行传输影响评估"),
		p(r(RouteEUProhibited, false, "EU", "Prohibited: no Chapter V mechanism available", "禁止：无可用的第五章传输机制")),
		r(RouteUSNotCovered, false, "US", "Outside the DOJ data security rule", "不属于美国司法部数据安全规则的管辖范围"),
		r(RouteUSRestricted, false, "US", "Restricted transaction: CISA security requirements and compliance programme", "受限交易：须落实 CISA 安全要求并建立合规计划"),
		r(RouteUSOnwardContract, false, "US", "Data brokerage to a foreign person: §202.302 contract clause and reporting", "向外国人进行数据经纪：须订立第202.302条合同条款并履行报告义务"),
		p(r(RouteUSPADFAProhibited, false, "US", "Prohibited under PADFA (15 U.S.C. 9901)", "依《保护美国人数据免受外国对手侵害法》（PADFA）禁止")),
		r(RouteJPWhitelist, false, "JP", "Recipient country on the PPC equivalence list (EEA, UK)", "接收方所在国位于个人信息保护委员会认定的同等水平国家名单（欧洲经济区、英国）"),
		r(RouteJPEquivMeasures, false, "JP", "Recipient maintains equivalent measures (contract, internal rules or CBPR)", "接收方具备同等措施体制（合同、内部规则或 CBPR 认证）"),
		r(RouteJPConsent, false, "JP", "Prior consent of the individual after information on the country and measures", "在提供国家名称等信息后取得本人事先同意"),
		r(RouteJPArt27, false, "JP", "APPI art 27(1) exception", "适用《个人信息保护法》第27条第1款例外"),
		r(RouteHKNoTransferRule, false, "HK", "No transfer restriction in force (PDPO s33 not in operation)", "香港《个人资料（私隐）条例》第33条尚未生效，无跨境转移限制"),
		r(RouteHKGBASC, true, "HK", "GBA standard contract, Hong Kong side", "粤港澳大湾区个人信息跨境流动标准合同（香港方）"),
		r(RouteSGContract, false, "SG", "Contract binding the recipient to comparable protection (PDPR reg 11(1)(b))", "以合同约束接收方提供相当水平的保护（PDPR 第11条第1款(b)项）"),
		r(RouteSGBCR, false, "SG", "Binding corporate rules of a related recipient (PDPR reg 11(1)(c))", "关联接收方的约束性公司规则（PDPR 第11条第1款(c)项）"),
		r(RouteSGLaw, false, "SG", "Recipient bound by law giving comparable protection (PDPR reg 11(1)(a))", "接收方受提供相当水平保护的法律约束（PDPR 第11条第1款(a)项）"),
		r(param(routeSGCertPrefix, "CBPR"), false, "SG", "Recipient holds a (Global) CBPR certification (PDPR reg 12)", "接收方持有（全球）CBPR 认证（PDPR 第12条）"),
		r(param(routeSGCertPrefix, "PRP"), false, "SG", "Data intermediary holds a (Global) PRP certification (PDPR reg 12)", "数据中介持有（全球）PRP 认证（PDPR 第12条）"),
	}
	for _, a := range euAdequacy() {
		out = append(out, r(param(routeEUAdequacyPrefix, a.Decision), false, "EU", "Adequacy decision "+a.Decision+" ("+a.Country+")", "充分性决定 "+a.Decision+"（"+a.Country+"）"))
	}
	for _, g := range []struct{ c, en, zh string }{
		{"a", "explicit consent", "明确同意"},
		{"b", "contract with the data subject", "履行与数据主体的合同"},
		{"c", "contract in the data subject's interest", "为数据主体利益订立的合同"},
		{"d", "important reasons of public interest", "重要公共利益"},
		{"e", "legal claims", "法律主张的确立、行使或抗辩"},
		{"f", "vital interests", "重大利益"},
		{"g", "public register", "公共登记簿"},
		{"CLI", "compelling legitimate interests", "重大正当利益"},
	} {
		out = append(out, r(routeEUArt49Prefix+g.c, false, "EU", "GDPR art 49 derogation: "+g.en, "GDPR 第49条例外："+g.zh))
	}
	for _, e := range usExemptions() {
		out = append(out, r(param(routeUSExemptPrefix, e.Section), false, "US", "Exempt transaction: "+e.EN, "豁免交易："+e.ZH))
	}
	for _, s := range []string{"202.301", "202.303"} {
		out = append(out, p(r(param(routeUSProhibitedPrefix, s), false, "US", "Prohibited transaction (28 CFR "+s+")", "禁止交易（28 CFR "+s+"）")))
	}
	for _, g := range []struct{ c, en, zh string }{
		{"a", "consent after a written summary", "在提供书面摘要后取得同意"},
		{"b", "deemed consent", "视为同意"},
		{"c", "necessity", "必要性"},
		{"d", "data in transit", "过境数据"},
		{"e", "publicly available data", "公开可得的数据"},
	} {
		out = append(out, r(param(routeSGDeemedPrefix, "10(2)("+g.c+")"), false, "SG", "Deemed compliance, PDPR reg 10(2)("+g.c+"): "+g.en, "视为合规，PDPR 第10条第2款("+g.c+")项："+g.zh))
	}
	return out
}

// RouteByCode returns the route information for code.
func RouteByCode(code string) (RouteInfo, bool) {
	for _, r := range Routes() {
		if r.Code == code {
			return r, true
		}
	}
	return RouteInfo{}, false
}

func routeNeedsFiling(code string) bool {
	r, ok := RouteByCode(code)
	return ok && r.Filing
}

func routeIsProhibition(code string) bool {
	if strings.HasPrefix(code, routeUSProhibitedPrefix) {
		return true
	}
	r, ok := RouteByCode(code)
	return ok && r.Prohibition
}

// approvalRoutes are the codes exporter.approvals[].route may name.
func approvalRoutes() []string {
	return []string{RouteCNSA, RouteCNSCOrCert, approvalCNSC, approvalCNCert, RouteCNGBASC, RouteCNJudicial, RouteEUBCR, RouteEUArt46Other, RouteHKGBASC}
}
