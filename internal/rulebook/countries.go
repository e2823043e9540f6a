package rulebook

import "slices"

// Country tables. They are returned by functions so that no package-level
// mutable state exists; callers get fresh copies.

// isoAlpha2 returns the officially assigned ISO 3166-1 alpha-2 codes.
func isoAlpha2() []string {
	return []string{
		"AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
		"BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
		"BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
		"CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
		"EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
		"GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
		"HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
		"JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
		"LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
		"ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
		"NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
		"PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
		"SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
		"ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
		"TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
		"VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
	}
}

// eeaCountries are the EU member states plus Iceland, Liechtenstein and
// Norway: the area inside which GDPR Chapter V does not bite.
func eeaCountries() []string {
	return []string{
		"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
		"LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
		"IS", "LI", "NO",
	}
}

func isEEA(c string) bool { return slices.Contains(eeaCountries(), c) }

// isEEAOnly reports an EEA state that is not an EU member (research §4: the
// exact PPC whitelist coverage of these is unverified [M]).
func isEEAOnly(c string) bool { return c == "IS" || c == "LI" || c == "NO" }

// usCountriesOfConcern is 28 CFR 202.601; "China" includes HK and MO
// (§202.208).
func usCountriesOfConcern() []string {
	return []string{"CN", "HK", "MO", "CU", "IR", "KP", "RU", "VE"}
}

// padfaAdversaries is 15 U.S.C. 9901 read with 10 U.S.C. 4872(d)(2).
// HK and MO are included as part of China, flagged [M] in the decision.
func padfaAdversaries() []string { return []string{"CN", "HK", "MO", "IR", "KP", "RU"} }

// gbaMainlandCities are the nine Guangdong cities of the Greater Bay Area
// (research §1.7), in English and Chinese, lower-cased for matching.
func gbaMainlandCities() []string {
	return []string{
		"guangzhou", "shenzhen", "zhuhai", "foshan", "huizhou", "dongguan", "zhongshan", "jiangmen", "zhaoqing",
		"广州", "深圳", "珠海", "佛山", "惠州", "东莞", "中山", "江门", "肇庆",
	}
}

// Adequacy is one EU adequacy decision (research §2.3).
type Adequacy struct {
	Country  string // ISO code; "" for an international organisation
	Decision string // the decision reference used in the route code
	From     string // first day of application, where known
	Until    string // last day of application, where known ("" = open-ended)
	Scope    string // "", "commercial", "dpf", "appi", "check_sectoral"
	Tag      string // research confidence of the decision reference
	Note     string
}

// euAdequacy returns the adequacy list as of the end of 2025 (research §2.3).
// Brazil is deliberately absent (draft only).
func euAdequacy() []Adequacy {
	return []Adequacy{
		{Country: "AD", Decision: "2010/625/EU", From: "2010-10-21", Tag: "M"},
		{Country: "AR", Decision: "2003/490/EC", From: "2003-07-05", Tag: "M"},
		{Country: "CA", Decision: "2002/2/EC", From: "2002-01-04", Scope: "commercial", Tag: "M", Note: "PIPEDA commercial organisations only"},
		{Country: "FO", Decision: "2010/146/EU", From: "2010-03-05", Tag: "M"},
		{Country: "GG", Decision: "2003/821/EC", From: "2003-11-21", Tag: "M"},
		{Country: "IL", Decision: "2011/61/EU", From: "2011-01-31", Tag: "M"},
		{Country: "IM", Decision: "2004/411/EC", From: "2004-04-28", Tag: "M"},
		{Country: "JP", Decision: "2019/419", From: "2019-01-23", Scope: "appi", Tag: "V", Note: "APPI business operators with the Supplementary Rules"},
		{Country: "JE", Decision: "2008/393/EC", From: "2008-05-08", Tag: "M"},
		{Country: "NZ", Decision: "2013/65/EU", From: "2012-12-19", Tag: "M"},
		{Country: "KR", Decision: "2022/254", From: "2021-12-17", Scope: "check_sectoral", Tag: "M"},
		{Country: "CH", Decision: "2000/518/EC", From: "2000-07-26", Tag: "M"},
		{Country: "GB", Decision: "UK_2021", From: "2021-06-28", Until: "2031-12-27", Tag: "S", Note: "renewed 2025-12-19 until Dec 2031 [S]; end day [U]"},
		{Country: "US", Decision: "2023/1795", From: "2023-07-10", Scope: "dpf", Tag: "V", Note: "DPF-certified organisations only; appeal C-703/25 P pending"},
		{Country: "UY", Decision: "2012/484/EU", From: "2012-08-21", Tag: "M"},
	}
}
