package rulebook

import "slices"

// Purpose is one value of scenario.purpose, with the rule it can trigger.
type Purpose struct {
	Name        string
	Label       Text   // a short name for reports, e.g. "cross-border shopping"
	Article     string // the provision the purpose can trigger, "" if none
	Description Text
}

// Purpose groups used by the decision procedures.
const (
	purposeGroupContract  = "contract"  // 2024 Provisions art 5(1)
	purposeGroupHR        = "hr"        // art 5(2)
	purposeGroupEmergency = "emergency" // art 5(3)
	purposeGroupArt3      = "art3"      // art 3 (data without PI)
)

type purposeDef struct {
	name, group, article, en, zh string
}

func purposeDefs() []purposeDef {
	c := "2024 Provisions art 5(1); SG PDPA s15 deemed consent (PDPR reg 10(2)(b)); GDPR art 49(1)(b) where legal_basis is contract"
	a3 := "2024 Provisions art 3 (only for data without PI or important data)"
	return []purposeDef{
		{"cross_border_shopping", purposeGroupContract, c, "Cross-border shopping: PI necessary to perform the purchase contract with the individual.", "跨境购物：履行与个人订立的购物合同所必需的个人信息。"},
		{"cross_border_delivery", purposeGroupContract, c, "Cross-border delivery of goods to the individual.", "跨境寄递：向个人寄递物品所必需。"},
		{"cross_border_payment", purposeGroupContract, c + "; US 28 CFR 202.505 financial services", "Cross-border payment for the individual.", "跨境支付：为个人办理跨境支付所必需。"},
		{"cross_border_remittance", purposeGroupContract, c + "; US 28 CFR 202.505 financial services", "Cross-border remittance for the individual.", "跨境汇款：为个人办理跨境汇款所必需。"},
		{"account_opening", purposeGroupContract, c + "; US 28 CFR 202.505 financial services", "Opening an account for the individual.", "开户：为个人开立账户所必需。"},
		{"travel_booking", purposeGroupContract, c + "; US 28 CFR 202.503 travel", "Flight and hotel booking for the individual.", "机票酒店预订：为个人预订机票、酒店所必需。"},
		{"visa_processing", purposeGroupContract, c, "Visa processing for the individual.", "签证办理：为个人办理签证所必需。"},
		{"exam_services", purposeGroupContract, c, "Examination services for the individual.", "考试服务：为个人提供考试服务所必需。"},
		{"hr_management", purposeGroupHR, "2024 Provisions art 5(2); US 28 CFR 202.506 corporate group (administrative operations)", "Cross-border HR management of employees under lawful labour rules and collective contracts.", "跨境人力资源管理：按照依法制定的劳动规章制度和依法签订的集体合同实施跨境人力资源管理所必需的员工个人信息。"},
		{"emergency_life_health", purposeGroupEmergency, "2024 Provisions art 5(3); GDPR art 49(1)(f); APPI art 27(1)(ii); SG PDPR reg 10(2)(c)", "Emergency: protecting a natural person's life, health or property.", "紧急情况：为保护自然人的生命健康和财产安全所必需。"},
		{"international_trade", purposeGroupArt3, a3, "International trade data.", "国际贸易中收集和产生的数据。"},
		{"cross_border_transport", purposeGroupArt3, a3, "Cross-border transport data.", "跨境运输中收集和产生的数据。"},
		{"academic_cooperation", purposeGroupArt3, a3 + "; APPI art 27(1) academic exception for universities", "Academic cooperation data.", "学术合作中收集和产生的数据。"},
		{"transnational_manufacturing", purposeGroupArt3, a3, "Transnational manufacturing data.", "跨国生产制造中收集和产生的数据。"},
		{"marketing", purposeGroupArt3, a3, "Marketing data.", "市场营销中收集和产生的数据。"},
		{"analytics", "", "", "Analytics; no exemption: volume thresholds apply.", "数据分析：无对应豁免，适用数量门槛。"},
		{"research", "", "APPI art 27(1) academic exception for universities", "Research; no CN exemption.", "科研：无中国法豁免。"},
		{"clinical_trial", "", "US 28 CFR 202.511 clinical investigations", "Clinical trials; US clinical-investigation exemption may apply.", "临床试验：可能适用美国临床研究豁免。"},
		{"customer_service", "", "US 28 CFR 202.506 corporate group (customer support)", "Customer service; US corporate-group exemption for affiliates.", "客户服务：向关联企业提供时可能适用美国企业集团豁免。"},
		{"product_development", "", "", "Product development; no exemption.", "产品研发：无对应豁免。"},
		{"litigation", "", "GDPR art 49(1)(e)", "Litigation: establishing, exercising or defending legal claims.", "诉讼：法律主张的确立、行使或抗辩。"},
		{"other", "", "", "Other purposes; no exemption.", "其他目的：无对应豁免。"},
	}
}

// purposeLabels are the short names of the purposes, in English and Chinese.
var purposeLabels = map[string][2]string{
	"cross_border_shopping":       {"cross-border shopping", "跨境购物"},
	"cross_border_delivery":       {"cross-border delivery", "跨境寄递"},
	"cross_border_payment":        {"cross-border payment", "跨境支付"},
	"cross_border_remittance":     {"cross-border remittance", "跨境汇款"},
	"account_opening":             {"account opening", "开户"},
	"travel_booking":              {"flight and hotel booking", "机票酒店预订"},
	"visa_processing":             {"visa processing", "签证办理"},
	"exam_services":               {"exam services", "考试服务"},
	"hr_management":               {"cross-border HR management", "跨境人力资源管理"},
	"emergency_life_health":       {"emergency: life, health or property", "紧急情况下保护生命健康财产安全"},
	"international_trade":         {"international trade", "国际贸易"},
	"cross_border_transport":      {"cross-border transport", "跨境运输"},
	"academic_cooperation":        {"academic cooperation", "学术合作"},
	"transnational_manufacturing": {"transnational manufacturing", "跨国生产制造"},
	"marketing":                   {"marketing", "市场营销"},
	"analytics":                   {"analytics", "数据分析"},
	"research":                    {"research", "科学研究"},
	"clinical_trial":              {"clinical trial", "临床试验"},
	"customer_service":            {"customer service", "客户服务"},
	"product_development":         {"product development", "产品研发"},
	"litigation":                  {"litigation", "诉讼"},
	"other":                       {"other", "其他"},
}

// Purposes documents every purpose of the assess vocabulary.
func Purposes() []Purpose {
	var out []Purpose
	for _, p := range purposeDefs() {
		l := purposeLabels[p.name]
		out = append(out, Purpose{Name: p.name, Article: p.article,
			Label:       Text{Code: "purpose." + p.name, EN: l[0], ZH: l[1]},
			Description: Text{Code: "purpose." + p.name, EN: p.en, ZH: p.zh}})
	}
	return out
}

func purposeNames() []string {
	var out []string
	for _, p := range purposeDefs() {
		out = append(out, p.name)
	}
	return out
}

func purposeGroup(name string) string {
	for _, p := range purposeDefs() {
		if p.name == name {
			return p.group
		}
	}
	return ""
}

// Closed vocabularies of the scenario.
func exporterTypes() []string {
	return []string{"company", "public_body", "hospital", "university", "individual", "data_broker", "processor", "ngo"}
}
func recipientTypes() []string {
	return []string{"company", "court", "law_enforcement", "government", "public_body", "university", "hospital", "individual", "international_organisation", "ngo", "data_broker"}
}
func recipientRoles() []string { return []string{"controller", "processor", "joint_controller"} }
func recipientRelations() []string {
	return []string{"parent_company", "subsidiary", "affiliate", "unrelated", "customer", "vendor", "service_provider", "employee", "investor"}
}
func importantDataValues() []string { return []string{"none", "candidate", "notified"} }
func legalBases() []string {
	return []string{"consent", "explicit_consent", "contract", "contract_third_party", "legal_obligation", "vital_interests", "public_interest", "legitimate_interests", "legal_claims", "public_register"}
}
func sectors() []string {
	return []string{"finance", "insurance", "automotive", "health", "pharma", "ecommerce", "retail", "manufacturing", "research", "education", "telecom", "technology", "energy", "transport", "logistics", "civil_aviation", "travel", "media", "government", "agriculture", "other"}
}

// ftzZones are the pilot FTZs with a published negative list (research §1.8)
// and "none".
func ftzZones() []string {
	return []string{"none", "tianjin", "beijing", "shanghai", "shanghai_lingang", "hainan", "zhejiang"}
}
func certificationNames() []string {
	return []string{"CBPR", "PRP", "Global_CBPR", "Global_PRP", "DPF", "BCR", "ISO_27001", "ISO_27701"}
}

func isGroupRelation(rel string) bool {
	return slices.Contains([]string{"parent_company", "subsidiary", "affiliate"}, rel)
}
func isJudicial(t string) bool { return t == "court" || t == "law_enforcement" }

// label returns the English and Chinese wording of a vocabulary value used
// inside reasons (falls back to the value itself).
func label(v string) (string, string) {
	l := map[string][2]string{
		"controller":       {"controller", "控制者"},
		"processor":        {"processor", "处理者"},
		"joint_controller": {"joint controller", "共同控制者"},
		"court":            {"court", "法院"},
		"law_enforcement":  {"law-enforcement body", "执法机构"},
		"government":       {"government body", "政府机构"},
		"individual":       {"individual", "个人"},
		"tianjin":          {"Tianjin", "天津"},
		"beijing":          {"Beijing", "北京"},
		"shanghai":         {"Shanghai", "上海"},
		"shanghai_lingang": {"Shanghai (Lingang)", "上海（临港新片区）"},
		"hainan":           {"Hainan", "海南"},
		"zhejiang":         {"Zhejiang", "浙江"},
		txVendor:           {"vendor", "供应商"},
		txEmployment:       {"employment", "雇佣"},
		txInvestment:       {"investment", "投资"},
		txUnknown:          {"covered", "受管辖"},
	}
	if x, ok := l[v]; ok {
		return x[0], x[1]
	}
	if x, ok := purposeLabels[v]; ok {
		return x[0], x[1]
	}
	return v, v
}
