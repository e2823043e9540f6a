package classify

import (
	"strings"
	"unicode/utf8"
)

// Column-name hints. As AWS Macie does for CSV headers, a keyword in the
// column name counts as context for every value of the column. Chinese
// keywords match as substrings; English ones match as whole tokens of the
// name (split at '_', '-', spaces, dots, camelCase and script changes), or,
// for the longer unambiguous ones, as substrings of the name with its
// separators removed ("CustomerPhoneNo" → "customerphoneno" ∋ "phone").

type hintMask uint32

const (
	hResidentID hintMask = 1 << iota
	hMobile
	hPhone
	hBankCard
	hUSCC
	hEmail
	hName
	hAddress
	hBirth
	hAge
	hPassport
	hHKID
	hIBAN
	hSSN
	hIP
	hLat
	hLon
	hGeo
	hHealth
	hBiometric
	hBiometricWeak // "face", "photo": only with blob values
	hReligion
	hHealthWeak // "condition": only with disease-like values
	hVersion    // version numbers: not IP addresses
)

type hintWord struct {
	word string
	mask hintMask
}

// zhHints match as substrings of the column name.
var zhHints = []hintWord{
	{"身份证", hResidentID}, {"证件号", hResidentID | hPassport | hHKID}, {"证件号码", hResidentID | hPassport | hHKID},
	{"公民身份", hResidentID}, {"身份号", hResidentID},
	{"手机", hMobile | hPhone}, {"移动电话", hMobile | hPhone}, {"电话", hPhone | hMobile}, {"联系方式", hPhone | hMobile | hEmail},
	{"座机", hPhone}, {"手机号", hMobile | hPhone},
	{"银行卡", hBankCard}, {"卡号", hBankCard}, {"银行账号", hBankCard | hIBAN}, {"账号", hBankCard | hIBAN}, {"账户", hBankCard | hIBAN},
	{"统一社会信用代码", hUSCC}, {"信用代码", hUSCC}, {"社会信用", hUSCC}, {"纳税人识别号", hUSCC}, {"税号", hUSCC},
	{"邮箱", hEmail}, {"邮件", hEmail}, {"电子邮", hEmail},
	{"姓名", hName}, {"名字", hName}, {"联系人", hName}, {"收件人", hName}, {"收货人", hName}, {"持卡人", hName},
	{"客户名", hName}, {"户名", hName}, {"患者", hName}, {"法定代表人", hName}, {"负责人", hName},
	{"地址", hAddress}, {"住址", hAddress}, {"住所", hAddress}, {"户籍", hAddress}, {"居住地", hAddress}, {"籍贯", hAddress},
	{"出生", hBirth}, {"生日", hBirth},
	{"年龄", hAge},
	{"护照", hPassport},
	{"香港身份证", hHKID}, {"港澳", hHKID},
	{"经度", hLon}, {"纬度", hLat}, {"经纬度", hGeo}, {"坐标", hGeo}, {"定位", hGeo}, {"位置", hGeo}, {"轨迹", hGeo},
	{"诊断", hHealth}, {"病历", hHealth}, {"病史", hHealth}, {"疾病", hHealth}, {"病情", hHealth}, {"症状", hHealth},
	{"过敏", hHealth}, {"处方", hHealth}, {"用药", hHealth}, {"医疗", hHealth}, {"健康", hHealth}, {"体检", hHealth},
	{"病种", hHealth}, {"主诉", hHealth}, {"检验", hHealth}, {"就诊", hHealth},
	{"指纹", hBiometric}, {"人脸", hBiometric}, {"面部", hBiometric}, {"虹膜", hBiometric}, {"声纹", hBiometric},
	{"掌纹", hBiometric}, {"步态", hBiometric}, {"生物特征", hBiometric}, {"生物识别", hBiometric}, {"刷脸", hBiometric},
	{"面容", hBiometric}, {"照片", hBiometricWeak}, {"头像", hBiometricWeak},
	{"宗教", hReligion}, {"信仰", hReligion},
	{"版本", hVersion}, {"固件", hVersion},
}

// tokenHints match whole tokens of the column name.
var tokenHints = []hintWord{
	{"sfz", hResidentID}, {"sfzh", hResidentID}, {"idno", hResidentID}, {"nid", hResidentID},
	{"mobile", hMobile | hPhone}, {"cell", hMobile | hPhone}, {"sjh", hMobile | hPhone},
	{"phone", hPhone | hMobile}, {"tel", hPhone | hMobile}, {"telephone", hPhone | hMobile}, {"contact", hPhone | hMobile | hEmail},
	{"bank", hBankCard | hIBAN}, {"pan", hBankCard}, {"acct", hBankCard | hIBAN}, {"account", hBankCard | hIBAN},
	{"uscc", hUSCC},
	{"email", hEmail}, {"mail", hEmail},
	{"name", hName}, {"fullname", hName}, {"firstname", hName}, {"lastname", hName}, {"surname", hName},
	{"givenname", hName},
	{"address", hAddress}, {"addr", hAddress}, {"street", hAddress}, {"residence", hAddress},
	{"birth", hBirth}, {"dob", hBirth}, {"birthday", hBirth}, {"birthdate", hBirth}, {"born", hBirth},
	{"age", hAge},
	{"passport", hPassport},
	{"hkid", hHKID},
	{"iban", hIBAN},
	{"ssn", hSSN},
	{"ip", hIP}, {"ipv4", hIP}, {"ipv6", hIP}, {"ipaddr", hIP}, {"ipaddress", hIP},
	{"lat", hLat}, {"latitude", hLat}, {"lng", hLon}, {"lon", hLon}, {"longitude", hLon},
	{"gps", hGeo}, {"coord", hGeo}, {"coords", hGeo}, {"coordinate", hGeo}, {"coordinates", hGeo},
	{"location", hGeo}, {"geo", hGeo}, {"latlng", hGeo}, {"latlon", hGeo}, {"geolocation", hGeo},
	{"diagnosis", hHealth}, {"icd", hHealth}, {"icd10", hHealth}, {"disease", hHealth}, {"medical", hHealth},
	{"health", hHealth}, {"symptom", hHealth}, {"symptoms", hHealth}, {"allergy", hHealth}, {"allergies", hHealth},
	{"prescription", hHealth}, {"medication", hHealth}, {"illness", hHealth}, {"clinical", hHealth},
	{"fingerprint", hBiometric}, {"iris", hBiometric}, {"voiceprint", hBiometric}, {"biometric", hBiometric},
	{"biometrics", hBiometric}, {"faceprint", hBiometric}, {"palmprint", hBiometric}, {"retina", hBiometric},
	{"facial", hBiometric}, {"faceid", hBiometric}, {"face", hBiometricWeak}, {"photo", hBiometricWeak},
	{"religion", hReligion}, {"religious", hReligion}, {"faith", hReligion},
	{"condition", hHealthWeak}, {"conditions", hHealthWeak},
	{"version", hVersion}, {"ver", hVersion}, {"firmware", hVersion}, {"bbh", hVersion},
	// Pinyin abbreviations, common in Chinese database schemas; ambiguous
	// ones (xm 姓名/项目, jd 经度/进度, bl 病历/比例) are left out or weak.
	{"sfzhm", hResidentID}, {"zjhm", hResidentID | hPassport | hHKID},
	{"sjhm", hMobile | hPhone}, {"lxdh", hPhone | hMobile}, {"lxfs", hPhone | hMobile | hEmail}, {"gddh", hPhone},
	{"bgdh", hPhone}, {"dhhm", hPhone | hMobile},
	{"yhkh", hBankCard}, {"dzyx", hEmail},
	{"xingming", hName}, {"lxr", hName}, {"sjr", hName}, {"shr", hName}, {"ckr", hName},
	{"dz", hAddress}, {"jtdz", hAddress}, {"xxdz", hAddress}, {"shdz", hAddress}, {"zz", hAddress},
	{"sr", hBirth}, {"csrq", hBirth}, {"shengri", hBirth},
	{"nl", hAge},
	{"hzh", hPassport}, {"hzhm", hPassport}, {"huzhao", hPassport},
	{"ss", hSSN},
	{"jingdu", hLon}, {"weidu", hLat}, {"wgs84", hGeo}, {"gcj02", hGeo}, {"lnglat", hGeo}, {"lonlat", hGeo},
	{"zd", hHealthWeak}, {"jbmc", hHealth}, {"zdmc", hHealth},
	{"zwtz", hBiometric}, {"rltz", hBiometric}, {"zwmb", hBiometric}, {"rlmb", hBiometric},
	{"zjxy", hReligion}, {"zongjiao", hReligion},
}

// joinedHints match as substrings of the lower-cased ASCII name with its
// separators removed.
var joinedHints = []hintWord{
	{"idcard", hResidentID}, {"idnumber", hResidentID}, {"nationalid", hResidentID}, {"residentid", hResidentID},
	{"citizenid", hResidentID}, {"identitycard", hResidentID},
	{"mobile", hMobile | hPhone}, {"phone", hPhone | hMobile}, {"cellphone", hMobile | hPhone},
	{"bankcard", hBankCard}, {"cardno", hBankCard}, {"cardnumber", hBankCard}, {"creditcard", hBankCard},
	{"debitcard", hBankCard}, {"accountno", hBankCard | hIBAN}, {"accountnumber", hBankCard | hIBAN},
	{"creditcode", hUSCC}, {"socialcredit", hUSCC},
	{"email", hEmail},
	{"fullname", hName}, {"firstname", hName}, {"lastname", hName}, {"customername", hName}, {"patientname", hName},
	{"username", hName}, {"realname", hName}, {"holdername", hName}, {"contactname", hName},
	{"address", hAddress},
	{"birth", hBirth},
	{"passport", hPassport},
	{"hkid", hHKID},
	{"socialsecurity", hSSN},
	{"ipaddr", hIP},
	{"latitude", hLat}, {"longitude", hLon}, {"geoloc", hGeo},
	{"diagnos", hHealth}, {"disease", hHealth}, {"medical", hHealth},
	{"fingerprint", hBiometric}, {"voiceprint", hBiometric}, {"biometric", hBiometric}, {"faceimage", hBiometric},
	{"facefeature", hBiometric}, {"facetemplate", hBiometric}, {"faceprint", hBiometric},
	{"traveldoc", hPassport}, {"version", hVersion},
	{"religio", hReligion},
}

// nameExclusions are tokens or substrings that make "name" name a thing,
// not a person (product_name, 商品名称).
var nameExclusionTokens = []string{"product", "company", "file", "org", "organization", "shop", "store",
	"item", "goods", "brand", "merchant", "bank", "city", "province", "country", "project", "dept",
	"department", "host", "hostname", "table", "column", "field", "app", "device", "category", "sku", "school"}

var nameExclusionZH = []string{"公司", "商品", "产品", "单位", "企业", "文件", "店", "品牌", "商户", "机构", "银行",
	"项目", "部门", "名称", "学校", "医院", "城市", "省份"}

// columnTokens splits a column name into lower-case ASCII tokens and
// returns the separator-free lower-case ASCII form.
func columnTokens(name string) (tokens []string, joined string) {
	var cur, all strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			tokens = append(tokens, cur.String())
			cur.Reset()
		}
	}
	prevLower, prevDigit := false, false
	for i := 0; i < len(name); {
		c := name[i]
		if c >= utf8.RuneSelf {
			_, size := utf8.DecodeRuneInString(name[i:])
			flush()
			i += size
			prevLower, prevDigit = false, false
			continue
		}
		switch {
		case isUpper(c):
			if prevLower || prevDigit {
				flush()
			}
			c += 'a' - 'A'
			cur.WriteByte(c)
			all.WriteByte(c)
			prevLower, prevDigit = false, false
		case isLower(c):
			if prevDigit {
				flush()
			}
			cur.WriteByte(c)
			all.WriteByte(c)
			prevLower, prevDigit = true, false
		case isDigit(c):
			cur.WriteByte(c)
			all.WriteByte(c)
			prevLower, prevDigit = false, true
		default:
			flush()
			prevLower, prevDigit = false, false
		}
		i++
	}
	flush()
	return tokens, all.String()
}

// nameHints returns the hints a column name carries.
func nameHints(name string) hintMask {
	var m hintMask
	for _, h := range zhHints {
		if strings.Contains(name, h.word) {
			m |= h.mask
		}
	}
	tokens, joined := columnTokens(name)
	hasID, hasCard := false, false
	for _, t := range tokens {
		switch t {
		case "id":
			hasID = true
		case "card":
			hasCard = true
		}
		for _, h := range tokenHints {
			if t == h.word {
				m |= h.mask
			}
		}
	}
	for _, h := range joinedHints {
		if strings.Contains(joined, h.word) {
			m |= h.mask
		}
	}
	switch {
	case hasID && hasCard:
		m |= hResidentID
	case hasCard && m&hResidentID == 0:
		m |= hBankCard
	}
	if m&hName != 0 && nameExcluded(name, tokens) {
		m &^= hName
	}
	if m&hResidentID != 0 {
		m &^= hBankCard
	}
	return m
}

func nameExcluded(name string, tokens []string) bool {
	if strings.Contains(name, "姓名") {
		return false
	}
	for _, z := range nameExclusionZH {
		if strings.Contains(name, z) {
			return true
		}
	}
	for _, t := range tokens {
		for _, x := range nameExclusionTokens {
			if t == x {
				return true
			}
		}
	}
	return false
}

// importantHints are column-name keywords suggesting important data in the
// sense of GB/T 43697-2024 Annex G (identification guide): geospatial
// survey and mapping, genetic resources, military and defence, critical
// infrastructure, energy and the power grid, population-scale statistics.
// A match only flags the column for review (NDSR art 29 "identify and
// report"); it never makes data important by itself.
var importantHintsZH = []string{"测绘", "地理信息", "遥感", "高程", "基因", "遗传", "军事", "军队", "军工", "部队", "国防",
	"武器", "关键基础设施", "关键信息基础设施", "电网", "能源", "电力", "油气", "石油", "天然气", "核电", "核设施", "水利",
	"港口", "航道", "卫星", "人口普查", "人口统计"}

var importantHintsEN = []string{"surveying", "geospatial", "gis", "elevation", "terrain", "genome",
	"genomic", "genetic", "gene", "dna", "rna", "military", "defense", "defence", "weapon", "weapons",
	"infrastructure", "grid", "pipeline", "nuclear", "satellite", "census", "substation"}

// importantHint reports whether a column name suggests important data and
// which keyword did.
func importantHint(name string) (string, bool) {
	for _, w := range importantHintsZH {
		if strings.Contains(name, w) {
			return w, true
		}
	}
	tokens, joined := columnTokens(name)
	for _, t := range tokens {
		for _, w := range importantHintsEN {
			if t == w {
				return w, true
			}
		}
	}
	for _, w := range []string{"remotesensing", "powergrid", "criticalinfrastructure", "genomic"} {
		if strings.Contains(joined, w) {
			return w, true
		}
	}
	return "", false
}
