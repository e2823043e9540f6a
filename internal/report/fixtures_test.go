package report

import (
	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/classify"
	"github.com/xborder/xborder/internal/rulebook"
)

// fixture is a Result to render, with the raw values behind its masked
// examples: none of them may appear in any output.
type fixture struct {
	name string
	r    *assess.Result
	raw  []string
	urls []string // the only links the HTML may carry
}

func day(s string) rulebook.Date {
	d, err := rulebook.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func txt(code, en, zh string) rulebook.Text { return rulebook.Text{Code: code, EN: en, ZH: zh} }

const (
	urlProvisions = "https://www.cac.gov.cn/2024-03/22/c_1712776611775634.htm"
	urlSA         = "https://www.cac.gov.cn/2022-07/07/c_1658811536396503.htm"
	urlPIPL       = "https://www.npc.gov.cn/npc/c2/c30834/202108/t20210820_313088.html"
	urlSCC        = "http://data.europa.eu/eli/dec_impl/2021/914/oj"
	urlECFR       = "https://www.ecfr.gov/current/title-28/chapter-I/part-202"
)

// fixtures returns fresh Results: a hospital group exporting a patient
// file (CN_SA with an approval on record, EU_SCC_M1, review points, a
// conflict, what-ifs); a scenario-only exempt export; a US prohibited one.
func fixtures() []fixture {
	return []fixture{fullFixture(), exemptFixture(), usFixture()}
}

func fullFixture() fixture {
	approval := &rulebook.Approval{Route: "CN_SA", Ref: "CAC-SA-2025-0117", Issued: day("2025-06-01"), Expires: day("2028-06-01")}
	r := &assess.Result{
		AsOf: day("2026-04-15"),
		Scenario: rulebook.Scenario{
			AsOf: day("2026-04-15"),
			Exporter: rulebook.Exporter{Country: "CN", City: "Shenzhen", Type: "hospital", Sector: "health", FTZ: "none", GBA: true,
				Approvals: []rulebook.Approval{*approval}},
			Recipient:  rulebook.Recipient{Country: "DE", Type: "company", Role: "controller", Relation: "affiliate"},
			Dataset:    rulebook.Dataset{Individuals: 118532, SensitiveIndividuals: 20411, ImportantData: "none", SpecialCategory: true},
			Purpose:    "clinical_trial",
			LegalBasis: "consent",
		},
		Profile: &classify.Profile{
			Rows: 120000, Individuals: 118532, SensitiveIndividuals: 20411, IdentityKey: "cn_resident_id",
			Fields: []classify.FieldProfile{
				{Table: "patients.csv", Name: "身份证号", Class: classify.ClassCNResidentID, Personal: true, Confidence: 0.99, ValidRatio: 0.998, Example: "4403**********1234", Values: 120000, Reason: "GB 11643 checksum"},
				{Table: "patients.csv", Name: "姓名", Class: classify.ClassPersonName, Personal: true, Confidence: 0.93, ValidRatio: 1, Example: "张*", Values: 120000},
				{Table: "patients.csv", Name: "手机号", Class: classify.ClassCNMobile, Personal: true, Confidence: 0.98, ValidRatio: 0.991, Example: "138****5678", Values: 119500},
				{Table: "patients.csv", Name: "紧急联系人电话", Class: classify.ClassCNMobile, Personal: true, Confidence: 0.97, ValidRatio: 0.95, Example: "139****0001", Values: 80000},
				{Table: "patients.csv", Name: "诊断", Class: classify.ClassHealth, Personal: true, Sensitive: true, Confidence: 0.88, ValidRatio: 0.97, Example: "高***", Values: 20411, GDPRSpecial: true, USCategory: "personal_health"},
				{Table: "patients.csv", Name: "email", Class: classify.ClassEmail, Personal: true, Confidence: 0.99, ValidRatio: 0.999, Example: "z***@e******.com", Values: 60000},
				{Table: "patients.csv", Name: "备注 | <script>alert(1)</script>", Class: classify.ClassNone, Confidence: 0.6, ValidRatio: 1, Example: "", Values: 3000,
					Embedded: map[classify.Class]int64{classify.ClassCNMobile: 12, classify.ClassCNResidentID: 3}},
				{Table: "patients.csv", Name: "visit_count", Class: classify.ClassNone, Confidence: 0.95, ValidRatio: 1, Example: "", Values: 120000, ImportantCandidate: true},
			},
			Tables:              []classify.TableProfile{{Table: "patients.csv", Format: "csv", Rows: 120000, Bytes: 18400000}},
			USBulk:              map[string]int64{"personal_health": 0},
			ImportantCandidates: []string{"patients.csv#visit_count"},
			SpecialCategory:     true,
			Warnings:            []string{"12 values in 备注 carry embedded mobile numbers"},
		},
		Decisions: []rulebook.Decision{
			{
				Jurisdiction: "CN", Route: "CN_SA", Alternatives: []string{}, Rule: "CN.1.3.9",
				Reasons: []rulebook.Text{
					txt("cn.sensitive_ge_10k", "20,411 individuals with sensitive PI this year: 10,000 or more requires a security assessment.", "本年度累计向境外提供敏感个人信息 20,411 人，达到 1 万人以上，须申报安全评估。"),
				},
				Obligations: []rulebook.Text{
					txt("cn.notice_consent", "Tell individuals about the recipient and obtain separate consent (PIPL art 39).", "向个人告知境外接收方情况并取得单独同意（《个人信息保护法》第三十九条）。"),
					txt("cn.pipia", "Carry out a PI protection impact assessment before the export and keep it 3 years (PIPL arts 55–56).", "出境前开展个人信息保护影响评估并保存三年（第五十五、五十六条）。"),
					txt("cn.sa_scope", "Stay within the purpose, scope and scale approved in the assessment (NDSR art 38).", "不得超出评估时明确的目的、范围、方式和规模（《网络数据安全管理条例》第三十八条）。"),
				},
				Citations: []rulebook.Citation{
					{Ref: "2024 Provisions art 7(2)", URL: urlProvisions, Tag: "V", Effective: "2024-03-22"},
					{Ref: "SA Measures art 6", URL: urlSA, Tag: "V"},
					{Ref: "Civil Code art 1259", Tag: "C"},
				},
				NeedsReview: true,
				ReviewReasons: []rulebook.Text{
					txt("cn.dedup", "Whether one person is counted once across several exports is not confirmed [M][C].", "多次出境时同一自然人是否只计一次尚无明确规定〔M〕〔C〕。"),
				},
				Approval: approval,
			},
			{
				Jurisdiction: "EU", Route: "EU_SCC_M1", Alternatives: []string{"EU_ART49_a"}, Rule: "EU.2.2.2",
				Reasons: []rulebook.Text{
					txt("eu.not_adequate", "China is not covered by an adequacy decision; the parties are controllers.", "中国不在充分性认定范围内；双方均为控制者。"),
				},
				Obligations: []rulebook.Text{
					txt("eu.tia", "Carry out a transfer impact assessment (Clause 14).", "开展传输影响评估（第14条）。"),
				},
				Citations: []rulebook.Citation{
					{Ref: "Decision (EU) 2021/914", URL: urlSCC, Tag: "V"},
					{Ref: "EDPB Recommendations 01/2020", Tag: "S"},
				},
			},
		},
		Conflicts: []rulebook.Conflict{
			{Kind: "CUMULATIVE", Jurisdictions: []string{"CN", "EU"},
				Description: txt("x.cumulative", "Both the CN security assessment and the EU SCCs apply: prepare both.", "中国安全评估与欧盟标准合同条款同时适用，须分别准备。"),
				Citations:   []rulebook.Citation{{Ref: "PIPL art 38", URL: urlPIPL, Tag: "V"}}},
		},
		WhatIf: []assess.WhatIf{
			{Jurisdiction: "CN", Change: txt("wi.drop_sensitive", "Drop the diagnosis column", "删除诊断字段"), Columns: []string{"诊断"},
				From: "CN_SA", To: "CN_SC_OR_CERT", Individuals: 118532, Sensitive: 0,
				Citation: rulebook.Citation{Ref: "2024 Provisions art 8", URL: urlProvisions, Tag: "V"}},
			{Jurisdiction: "CN", Change: txt("wi.split_year", "Export fewer than 100,000 individuals without sensitive PI this year", "本年度仅出境不满10万人的非敏感个人信息"), Columns: []string{"诊断", "身份证号"},
				From: "CN_SA", To: "CN_EXEMPT_ART5_4", Individuals: 99999, Sensitive: 0,
				Citation: rulebook.Citation{Ref: "2024 Provisions art 5(4)", URL: urlProvisions, Tag: "V"}},
		},
		YearToDate: assess.YearToDate{Individuals: 118532, SensitiveIndividuals: 20411, PriorExports: 0, Source: "scenario"},
		Inputs:     []string{"patients.csv"},
	}
	return fixture{
		name: "full",
		r:    r,
		raw:  []string{"440301199001011234", "张三", "13812345678", "13900000001", "高血压", "zhangsan@example.com"},
		urls: []string{urlProvisions, urlSA, urlPIPL, urlSCC},
	}
}

func exemptFixture() fixture {
	r := &assess.Result{
		AsOf: day("2026-04-15"),
		Scenario: rulebook.Scenario{
			AsOf:      day("2026-04-15"),
			Exporter:  rulebook.Exporter{Country: "CN", City: "Hangzhou", Type: "company", Sector: "ecommerce"},
			Recipient: rulebook.Recipient{Country: "SG", Type: "company", Role: "processor", Relation: "unrelated"},
			Dataset:   rulebook.Dataset{Individuals: 40000},
			Purpose:   "cross_border_shopping",
		},
		Decisions: []rulebook.Decision{
			{
				Jurisdiction: "CN", Route: "CN_EXEMPT_ART5_1", Rule: "CN.1.3.5a",
				Reasons: []rulebook.Text{
					txt("cn.contract_necessity", "The PI is necessary to perform a cross-border shopping contract with the individual.", "个人信息为履行个人作为一方当事人的跨境购物合同所必需。"),
				},
				Obligations: []rulebook.Text{
					txt("cn.notice", "Tell individuals about the recipient (PIPL art 39).", "向个人告知境外接收方情况（《个人信息保护法》第三十九条）。"),
				},
				Citations: []rulebook.Citation{{Ref: "2024 Provisions art 5(1)", URL: urlProvisions, Tag: "V"}},
			},
		},
		YearToDate: assess.YearToDate{Individuals: 40000, Source: "scenario"},
	}
	return fixture{name: "exempt", r: r, urls: []string{urlProvisions}}
}

func usFixture() fixture {
	r := &assess.Result{
		AsOf: day("2026-04-15"),
		Scenario: rulebook.Scenario{
			AsOf:      day("2026-04-15"),
			Exporter:  rulebook.Exporter{Country: "US", City: "Boston", Type: "company", Sector: "research", USPerson: true},
			Recipient: rulebook.Recipient{Country: "CN", Type: "company", Role: "processor", Relation: "unrelated", CoveredPerson: true},
			Dataset: rulebook.Dataset{Individuals: 5000, SensitiveIndividuals: 5000,
				USBulk12m: rulebook.USBulk{HumanGenomic: 5000, PersonalHealth: 5000}},
			Purpose: "research",
		},
		Profile: &classify.Profile{
			Rows: 5000, Individuals: 5000, SensitiveIndividuals: 5000, IdentityKey: "us_ssn",
			Fields: []classify.FieldProfile{
				{Name: "ssn", Class: classify.ClassUSSSN, Personal: true, Confidence: 0.97, ValidRatio: 0.99, Example: "***-**-6789", Values: 5000},
				{Name: "genotype_vcf_ref", Class: classify.ClassBiometric, Personal: true, Sensitive: true, Confidence: 0.7, ValidRatio: 1, Example: "rs***", Values: 5000, USCategory: "human_genomic"},
				{Name: "dx_code", Class: classify.ClassHealth, Personal: true, Sensitive: true, Confidence: 0.9, ValidRatio: 0.98, Example: "E1*.*", Values: 4800, USCategory: "personal_health"},
				{Name: "sample_id", Class: classify.ClassNone, Confidence: 0.9, ValidRatio: 1, Example: "S-****", Values: 5000},
			},
			USBulk: map[string]int64{"human_genomic": 5000, "personal_health": 5000},
		},
		Decisions: []rulebook.Decision{
			{
				Jurisdiction: "US", Route: "US_PROHIBITED(202.303)", Rule: "US.3.1.4", Blocking: true,
				Reasons: []rulebook.Text{
					txt("us.omic_bulk", "Bulk human genomic data (more than 100 US persons) to a covered person.", "向受管辖人员提供大批量人类基因组数据（超过100名美国人）。"),
				},
				Obligations: []rulebook.Text{
					txt("us.no_cure", "The CISA security requirements cannot cure this prohibition (§202.401(b)).", "CISA 安全要求不能消除该禁止（§202.401(b)）。"),
				},
				Citations: []rulebook.Citation{
					{Ref: "28 CFR 202.303", URL: urlECFR, Tag: "V", Effective: "2025-04-08"},
					{Ref: "28 CFR 202.205", URL: "javascript:alert(1)", Tag: "V"},
				},
			},
		},
		Conflicts: []rulebook.Conflict{
			{Kind: "CONFLICT", Jurisdictions: []string{"US", "CN"},
				Description: txt("x.us_prohibits", "US law prohibits the transfer; Chinese law does not cure it.", "美国法律禁止该传输，中国法律不能消除该禁止。"),
				Citations:   []rulebook.Citation{{Ref: "28 CFR 202.303", URL: urlECFR, Tag: "V"}}},
		},
		YearToDate: assess.YearToDate{Source: "scenario"},
		Inputs:     []string{"cohort.parquet"},
	}
	return fixture{
		name: "us",
		r:    r,
		raw:  []string{"123-45-6789", "rs429358"},
		urls: []string{urlECFR},
	}
}
