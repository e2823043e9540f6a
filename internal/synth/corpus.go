package synth

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/xborder/xborder/internal/classify"
)

// LabelledColumn is one column of the classification corpus with the class a
// correct classifier reports for it.
type LabelledColumn struct {
	Name   string
	Values []string
	Want   classify.Class
	// Source names the generator and variant, e.g. "cn_mobile/+86" or
	// "decoy/luhn_fail", so that a misclassification can be traced.
	Source string
	// Embedded counts the values of a free-text column that carry an
	// identifier of each class (Want is then ClassNone).
	Embedded map[classify.Class]int
}

// CorpusOptions sizes [Corpus]. The zero value gives 40 columns per class of
// 500 values with 3% noise and 20 decoy columns per decoy kind.
type CorpusOptions struct {
	ColumnsPerClass int     // 0 means 40
	ValuesPerColumn int     // 0 means 500
	NoiseRate       float64 // share of empty or malformed values; 0 means 0.03, negative none
	DecoysPerKind   int     // 0 means ColumnsPerClass/2 (at least 1)
	// Classes restricts the positive columns to these classes; nil means
	// all. Decoys are always included.
	Classes []classify.Class
}

func (o CorpusOptions) withDefaults() CorpusOptions {
	if o.ColumnsPerClass <= 0 {
		o.ColumnsPerClass = 40
	}
	if o.ValuesPerColumn <= 0 {
		o.ValuesPerColumn = 500
	}
	switch {
	case o.NoiseRate == 0:
		o.NoiseRate = 0.03
	case o.NoiseRate < 0:
		o.NoiseRate = 0
	}
	if o.DecoysPerKind <= 0 {
		o.DecoysPerKind = max(1, o.ColumnsPerClass/2)
	}
	return o
}

// variant is one way a class's values are written.
type variant struct {
	name string
	gen  func(r *rand.Rand) string
}

// columnKind describes the columns generated for one class or decoy.
type columnKind struct {
	class classify.Class
	// structured marks classes with a format or check digit, on which the
	// project's ≥ 0.99 precision and ≥ 0.98 recall target applies.
	structured bool
	// opaque allows unhelpful names (col7): the values alone must decide.
	opaque   bool
	names    []string
	variants []variant
	// variantNames, when set for a variant, replace names for its columns
	// (a latitude column is not called "longitude").
	variantNames map[string][]string
	// mixed adds a variant that draws each value from a random variant.
	mixed bool
	// malform damages a value for noise; nil truncates it.
	malform func(r *rand.Rand, v string) string
}

// Structured reports whether c is one of the classes with a format or check
// digit, on which the ≥ 0.99 precision / ≥ 0.98 recall target applies.
func Structured(c classify.Class) bool {
	for _, k := range positiveKinds {
		if k.class == c {
			return k.structured
		}
	}
	return false
}

// fullWidth maps printable ASCII to its full-width form (U+FF01–FF5E) and
// space to the ideographic space.
func fullWidth(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == ' ':
			b.WriteRune('\u3000')
		case c > ' ' && c <= '~':
			b.WriteRune(c - '!' + '\uFF01')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// group inserts sep every n characters of s (print formats of cards and
// IBANs).
func group(s string, n int, sep string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s[i:min(i+n, len(s))])
	}
	return b.String()
}

// flipDigit changes one digit of v (keeping its shape) for noise.
func flipDigit(r *rand.Rand, v string) string {
	b := []byte(v)
	for range 8 {
		i := r.IntN(len(b))
		if b[i] >= '0' && b[i] <= '9' {
			b[i] = '0' + (b[i]-'0'+byte(1+r.IntN(9)))%10
			return string(b)
		}
	}
	return v[:len(v)/2]
}

func hkPhone(r *rand.Rand) string {
	b := []byte{"23569"[r.IntN(5)]} // fixed lines 2, 3; mobiles 5, 6, 9
	return string(appendDigits(b, r, 7))
}

func cnLandline(r *rand.Rand) string {
	area := [...]string{"010", "021", "020", "0755", "022", "023", "025", "027", "028", "029", "0571", "0532"}[r.IntN(12)]
	b := append([]byte(area), '-', byte('2'+r.IntN(7)))
	n := 7
	if len(area) == 4 {
		n = 6 + r.IntN(2)
	}
	return string(appendDigits(b, r, n))
}

func intlPhone(r *rand.Rand) string {
	switch r.IntN(5) {
	case 0:
		return "+1 " + string(appendDigits([]byte{byte('2' + r.IntN(8))}, r, 2)) + "-555-01" + string(appendDigits(nil, r, 2))
	case 1:
		return "+44 20 7946 0" + string(appendDigits(nil, r, 3))
	case 2:
		return "+49 30 " + string(appendDigits([]byte{byte('1' + r.IntN(9))}, r, 7))
	case 3:
		return "+81 3-" + string(appendDigits(nil, r, 4)) + "-" + string(appendDigits(nil, r, 4))
	default:
		return "+65 " + string(appendDigits([]byte{"689"[r.IntN(3)]}, r, 3)) + " " + string(appendDigits(nil, r, 4))
	}
}

func base64ish(r *rand.Rand, n int) string {
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n, n+2)
	for i := range b {
		b[i] = a[r.IntN(64)]
	}
	return string(append(b, '='))
}

func hexString(r *rand.Rand, n int) string {
	const h = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = h[r.IntN(16)]
	}
	return string(b)
}

func embedding(r *rand.Rand, n int) string {
	b := make([]byte, 0, n*8)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, r.NormFloat64()*0.1, 'f', 4, 64)
	}
	return string(b)
}

// positiveKinds lists, per class, the column names and value variants of the
// corpus. Names are realistic (Chinese, English, pinyin abbreviations);
// classes marked opaque also get names like col7.
var positiveKinds = []columnKind{
	{class: classify.ClassCNResidentID, structured: true, opaque: true, mixed: true,
		names: []string{"身份证号", "身份证号码", "证件号码", "公民身份号码", "id_card", "id_no", "idcard_number", "sfzh", "sfzhm", "zjhm", "national_id", "cert_no"},
		variants: []variant{
			{"plain", ResidentID},
			{"plain", ResidentID},
			{"fullwidth", func(r *rand.Rand) string { return fullWidth(ResidentID(r)) }},
			{"lower_x", func(r *rand.Rand) string { return strings.ToLower(ResidentID(r)) }},
			{"spaced", func(r *rand.Rand) string { s := ResidentID(r); return s[:6] + " " + s[6:14] + " " + s[14:] }},
			{"padded", func(r *rand.Rand) string { return " " + ResidentID(r) + " " }},
		},
		malform: flipDigit},
	{class: classify.ClassCNMobile, structured: true, opaque: true, mixed: true,
		names: []string{"手机号", "手机号码", "联系电话", "移动电话", "mobile", "phone", "cell", "tel", "sjh", "sjhm", "lxdh", "contact_phone"},
		variants: []variant{
			{"plain", CNMobile},
			{"plain", CNMobile},
			{"+86", func(r *rand.Rand) string { return "+86 " + CNMobile(r) }},
			{"+86-", func(r *rand.Rand) string { return "+86-" + CNMobile(r) }},
			{"86", func(r *rand.Rand) string { return "86" + CNMobile(r) }},
			{"dashed", func(r *rand.Rand) string { s := CNMobile(r); return s[:3] + "-" + s[3:7] + "-" + s[7:] }},
			{"spaced", func(r *rand.Rand) string { s := CNMobile(r); return s[:3] + " " + s[3:7] + " " + s[7:] }},
			{"fullwidth", func(r *rand.Rand) string { return fullWidth(CNMobile(r)) }},
			{"(+86)", func(r *rand.Rand) string { return "(+86)" + CNMobile(r) }},
		},
		malform: func(r *rand.Rand, v string) string { return v[:len(v)-1-r.IntN(3)] }},
	{class: classify.ClassPhone, structured: true,
		names: []string{"电话", "固定电话", "办公电话", "联系电话", "telephone", "tel", "phone_number", "contact_number", "gddh", "office_phone", "hk_phone", "home_phone"},
		variants: []variant{
			{"hk+852", func(r *rand.Rand) string { s := hkPhone(r); return "+852 " + s[:4] + " " + s[4:] }},
			{"hk_local", hkPhone},
			{"intl", intlPhone},
			{"cn_landline", cnLandline},
		},
		mixed: true},
	{class: classify.ClassBankCard, structured: true, opaque: true, mixed: true,
		names: []string{"银行卡号", "卡号", "银行账号", "借记卡号", "card_no", "bank_card", "card_number", "yhkh", "kh", "acct_card", "pan", "收款卡号"},
		variants: []variant{
			{"plain", BankCard},
			{"plain", BankCard},
			{"grouped", func(r *rand.Rand) string { return group(BankCard(r), 4, " ") }},
			{"dashed", func(r *rand.Rand) string { return group(BankCard(r), 4, "-") }},
		},
		malform: flipDigit},
	{class: classify.ClassCNUSCC, structured: true, opaque: true,
		names: []string{"统一社会信用代码", "信用代码", "社会信用代码", "uscc", "credit_code", "tyshxydm", "xydm", "company_code", "unified_code", "纳税人识别号"},
		variants: []variant{
			{"plain", USCC},
			{"lower", func(r *rand.Rand) string { return strings.ToLower(USCC(r)) }},
		},
		malform: flipDigit},
	{class: classify.ClassEmail, structured: true, opaque: true,
		names: []string{"邮箱", "电子邮箱", "邮件地址", "email", "e_mail", "mail", "yx", "dzyx", "contact_email", "email_address"},
		variants: []variant{
			{"plain", Email},
			{"english", EnglishEmail},
			{"upper", func(r *rand.Rand) string { return strings.ToUpper(Email(r)) }},
		},
		mixed:   true,
		malform: func(r *rand.Rand, v string) string { return strings.Replace(v, "@", "", 1) }},
	{class: classify.ClassPersonName,
		names: []string{"姓名", "客户姓名", "联系人", "收件人", "持卡人", "name", "customer_name", "xm", "khxm", "lxr", "full_name", "患者姓名"},
		variants: []variant{
			{"zh", ChineseName},
			{"zh", ChineseName},
			{"en", EnglishName},
		}},
	{class: classify.ClassAddress,
		names: []string{"地址", "住址", "收货地址", "家庭住址", "联系地址", "address", "addr", "dz", "zz", "shdz", "home_address", "shipping_address"},
		variants: []variant{
			{"zh", ChineseAddress},
			{"zh", ChineseAddress},
			{"en", EnglishAddress},
		}},
	{class: classify.ClassBirthDate, structured: true,
		names: []string{"出生日期", "生日", "出生年月日", "birth_date", "dob", "birthday", "date_of_birth", "csrq", "sr", "birthdate"},
		variants: []variant{
			{"iso", func(r *rand.Rand) string { return BirthDate(r, DateISO) }},
			{"slash", func(r *rand.Rand) string { return BirthDate(r, DateSlash) }},
			{"compact", func(r *rand.Rand) string { return BirthDate(r, DateCompact) }},
			{"chinese", func(r *rand.Rand) string { return BirthDate(r, DateChinese) }},
		}},
	{class: classify.ClassIPAddress, structured: true, opaque: true,
		names: []string{"IP地址", "登录IP", "ip", "client_ip", "ip_addr", "remote_addr", "src_ip", "dlip", "last_login_ip", "访问IP"},
		variants: []variant{
			{"v4", IPv4},
			{"v4", IPv4},
			{"v6", IPv6},
		},
		mixed: true},
	{class: classify.ClassGeoPrecise, structured: true,
		variants: []variant{
			{"lat", func(r *rand.Rand) string { lat, _ := GeoPrecise(r); return lat }},
			{"lon", func(r *rand.Rand) string { _, lon := GeoPrecise(r); return lon }},
			{"pair", func(r *rand.Rand) string { lat, lon := GeoPrecise(r); return lat + "," + lon }},
			{"pair_lonlat", func(r *rand.Rand) string { lat, lon := GeoPrecise(r); return lon + ", " + lat }},
		},
		variantNames: map[string][]string{
			"lat":         latNames,
			"lon":         lonNames,
			"pair":        {"坐标", "location", "gps", "定位", "coordinates", "latlng"},
			"pair_lonlat": {"经纬度", "lnglat", "position", "gcj02", "wgs84", "轨迹点"},
		}},
	{class: classify.ClassGeoCoarse, structured: true,
		variants: []variant{
			{"lat", func(r *rand.Rand) string { lat, _ := GeoCoarse(r); return lat }},
			{"lon", func(r *rand.Rand) string { _, lon := GeoCoarse(r); return lon }},
			{"pair", func(r *rand.Rand) string { lat, lon := GeoCoarse(r); return lat + "," + lon }},
		},
		variantNames: map[string][]string{
			"lat":  append([]string{"城市纬度", "city_lat", "area_lat"}, latNames...),
			"lon":  append([]string{"区域经度", "region_lng", "city_lon"}, lonNames...),
			"pair": {"城市坐标", "city_location", "坐标", "location", "定位"},
		}},
	{class: classify.ClassPassport, structured: true,
		names: []string{"护照号", "护照号码", "passport", "passport_no", "hzh", "hzhm", "travel_doc_no", "passport_number", "证件号(护照)"},
		variants: []variant{
			{"cn", Passport},
		},
		malform: func(r *rand.Rand, v string) string { return v[:len(v)-2] }},
	{class: classify.ClassHKID, structured: true, opaque: true, mixed: true,
		names: []string{"香港身份证", "香港身份证号", "hkid", "hk_id_no", "hkic", "hkid_number", "港澳身份证号"},
		variants: []variant{
			{"paren", func(r *rand.Rand) string { return HKID(r, true) }},
			{"bare", func(r *rand.Rand) string { return HKID(r, false) }},
			{"paren_space", func(r *rand.Rand) string { s := HKID(r, true); return s[:len(s)-3] + " " + s[len(s)-3:] }},
		},
		malform: flipDigit},
	{class: classify.ClassIBAN, structured: true, opaque: true, mixed: true,
		names: []string{"IBAN", "iban", "国际银行账号", "account_iban", "bank_account", "收款账号", "beneficiary_iban", "iban_code"},
		variants: []variant{
			{"compact", func(r *rand.Rand) string { return IBAN(r, ibanCountries[r.IntN(len(ibanCountries))]) }},
			{"grouped", func(r *rand.Rand) string { return group(IBAN(r, ibanCountries[r.IntN(len(ibanCountries))]), 4, " ") }},
			{"de", func(r *rand.Rand) string { return IBAN(r, "DE") }},
		},
		malform: flipDigit},
	{class: classify.ClassUSSSN, structured: true,
		names: []string{"SSN", "ssn", "social_security_number", "社会安全号", "ss_no", "social_security_no", "us_ssn"},
		variants: []variant{
			{"dashed", func(r *rand.Rand) string { return USSSN(r, true) }},
			{"dashed", func(r *rand.Rand) string { return USSSN(r, true) }},
			{"plain", func(r *rand.Rand) string { return USSSN(r, false) }},
		}},
	{class: classify.ClassHealth,
		names: []string{"诊断", "诊断结果", "疾病名称", "病史", "diagnosis", "icd10", "icd_code", "condition", "zd", "jbmc", "medical_history", "主诊断"},
		variants: []variant{
			{"mixed", Diagnosis},
			{"icd", func(r *rand.Rand) string { return diagnoses[r.IntN(len(diagnoses))].ICD }},
			{"zh", func(r *rand.Rand) string { return diagnoses[r.IntN(len(diagnoses))].ZH }},
		}},
	{class: classify.ClassReligion,
		names: []string{"宗教信仰", "宗教", "religion", "faith", "zjxy", "religious_belief"},
		variants: []variant{
			{"zh", func(r *rand.Rand) string { return religionsZH[r.IntN(len(religionsZH))] }},
			{"en", func(r *rand.Rand) string { return religionsEN[r.IntN(len(religionsEN))] }},
		}},
	{class: classify.ClassBiometric,
		names: []string{"指纹特征", "人脸特征值", "指纹模板", "fingerprint_template", "face_embedding", "face_feature", "voiceprint", "iris_code", "zwtz", "rltz"},
		variants: []variant{
			{"base64", func(r *rand.Rand) string { return base64ish(r, 171) }},
			{"hex", func(r *rand.Rand) string { return hexString(r, 128) }},
			{"vector", func(r *rand.Rand) string { return embedding(r, 16) }},
		}},
	{class: classify.ClassAge,
		names: []string{"年龄", "客户年龄", "age", "nl", "customer_age", "年龄(岁)"},
		variants: []variant{
			{"adult", func(r *rand.Rand) string { return strconv.Itoa(18 + r.IntN(73)) }},
		}},
	{class: classify.ClassMinor,
		names: []string{"儿童年龄", "学生年龄", "child_age", "age_under_14", "未成年人年龄", "幼儿年龄"},
		variants: []variant{
			{"age", func(r *rand.Rand) string { return strconv.Itoa(r.IntN(14)) }},
		}},
}

// Column names of latitude and longitude columns.
var (
	latNames = []string{"纬度", "lat", "latitude", "wd", "gps_lat", "定位纬度"}
	lonNames = []string{"经度", "lng", "lon", "longitude", "jd", "gps_lng"}
)

// decoyKinds are columns that look like identifiers and are not; their Want
// is ClassNone.
//
// Decoys whose values alone are indistinguishable from a class (versions
// look like IPv4 addresses) are listed in valuesAmbiguous and always carry
// a telling name, never an opaque one.
var decoyKinds = []struct {
	source string
	names  []string
	gen    func(r *rand.Rand) string
}{
	{"order_lookalike_id", []string{"订单号", "order_no", "流水号", "业务编号", "ddh", "serial_no"}, LookalikeResidentID},
	{"order_timestamp18", []string{"订单编号", "order_id", "trade_no", "单号", "交易号", "ddbh"}, OrderNumber},
	{"luhn_fail16", []string{"交易流水号", "txn_id", "凭证号", "ref_no", "voucher_no", "lsh"}, LuhnFailing},
	{"bad_mobile11", []string{"会员号", "member_id", "客户编号", "customer_no", "账户编号", "hyh"}, BadMobile},
	{"timestamp", []string{"创建时间", "下单时间", "created_at", "update_time", "order_date", "cjsj"}, OrderTimestamp},
	{"product_code", []string{"商品编码", "sku", "product_code", "spbm", "物料编码", "item_no"}, ProductCode},
	{"amount", []string{"金额", "amount", "price", "total", "je", "实付金额"}, Amount},
	{"alnum_id", []string{"id", "ref", "token", "trace_id", "批次号", "pch"}, func(r *rand.Rand) string { return RandomAlnum(r, 12) }},
	{"uuid", []string{"uuid", "request_id", "guid", "主键", "zj", "event_id"}, UUID},
	{"bad_hkid", []string{"证件编号", "ref_code", "单据号", "doc_no", "档案号", "djh"}, BadHKID},
	{"quantity", []string{"数量", "qty", "库存", "stock", "sl", "count"}, func(r *rand.Rand) string { return strconv.Itoa(1 + r.IntN(500)) }},
	{"nine_digit_id", []string{"员工号", "emp_no", "工号", "staff_id", "ygh", "账单号"}, func(r *rand.Rand) string {
		return string(appendDigits([]byte{byte('1' + r.IntN(8))}, r, 8))
	}},
	{"eight_digit_code", []string{"商品编号", "barcode8", "库位码", "batch_no", "spbh", "ean8"}, func(r *rand.Rand) string {
		return string(appendDigits([]byte{byte('2' + r.IntN(8))}, r, 7))
	}},
	{"version", []string{"版本号", "app_version", "client_version", "os_version", "bbh", "firmware"}, func(r *rand.Rand) string {
		return strconv.Itoa(1+r.IntN(12)) + "." + strconv.Itoa(r.IntN(10)) + "." + strconv.Itoa(r.IntN(30)) + "." + strconv.Itoa(r.IntN(200))
	}},
	{"rate5", []string{"汇率", "exchange_rate", "rate", "折算率", "hl", "fx_rate"}, func(r *rand.Rand) string {
		return fixed(0.1+r.Float64()*19.9, 5)
	}},
	{"status", []string{"状态", "status", "订单状态", "state", "zt", "order_status"}, func(r *rand.Rand) string {
		return [...]string{"已支付", "已发货", "已完成", "已取消", "待付款", "paid", "shipped"}[r.IntN(7)]
	}},
}

// valuesAmbiguous names the decoys that never get an opaque name.
var valuesAmbiguous = map[string]bool{"version": true, "rate5": true}

// freeTextNames are the names of the free-text decoy columns.
var freeTextNames = []string{"备注", "remark", "comment", "留言", "bz", "note", "客服备注", "memo"}

var opaqueNames = []string{"col%d", "field_%d", "c%d", "f_%02d", "列%d", "x%d", "column%d", "attr%d"}

func opaqueName(r *rand.Rand) string {
	p := opaqueNames[r.IntN(len(opaqueNames))]
	n := strconv.Itoa(1 + r.IntN(40))
	if strings.Contains(p, "%02d") && len(n) == 1 {
		n = "0" + n
	}
	return p[:strings.IndexByte(p, '%')] + n
}

var placeholders = []string{"", "", "", " ", "NULL", "-", "N/A", "无"}

// noisy returns v damaged with probability rate: an empty or placeholder
// value, or a malformed one.
func noisy(r *rand.Rand, k *columnKind, v string, rate float64) string {
	if rate <= 0 || r.Float64() >= rate {
		return v
	}
	if r.IntN(2) == 0 || len(v) < 4 {
		return placeholders[r.IntN(len(placeholders))]
	}
	if k.malform != nil {
		return k.malform(r, v)
	}
	return v[:len(v)/2]
}

// Corpus returns a labelled classification corpus drawn from seed: for every
// class, opts.ColumnsPerClass columns of opts.ValuesPerColumn values in the
// class's variants (plain, full-width, +86, grouped, …) with realistic or,
// for checksum-bearing classes, opaque names; then decoy columns whose Want
// is ClassNone (lookalike order numbers, Luhn-failing numbers, timestamps,
// codes, amounts, UUIDs, invalid HKIDs, free text that embeds identifiers). The same seed and options give the same corpus.
func Corpus(seed uint64, opts CorpusOptions) []LabelledColumn {
	opts = opts.withDefaults()
	r := rand.New(rand.NewPCG(seed, 0xc0_4905))
	want := map[classify.Class]bool{}
	for _, c := range opts.Classes {
		want[c] = true
	}
	var cols []LabelledColumn
	for ki := range positiveKinds {
		k := &positiveKinds[ki]
		if len(want) > 0 && !want[k.class] {
			continue
		}
		nv := len(k.variants)
		if k.mixed {
			nv++
		}
		for i := 0; i < opts.ColumnsPerClass; i++ {
			vi := i % nv
			mixed := vi == len(k.variants)
			var name, vname string
			if mixed {
				vname = "mixed"
			} else {
				vname = k.variants[vi].name
			}
			switch {
			case k.variantNames[vname] != nil:
				ns := k.variantNames[vname]
				name = ns[r.IntN(len(ns))]
			case k.opaque && i%4 == 3:
				name = opaqueName(r)
			default:
				name = k.names[r.IntN(len(k.names))]
			}
			vals := make([]string, opts.ValuesPerColumn)
			for j := range vals {
				v := k.variants[vi%len(k.variants)]
				if mixed {
					v = k.variants[r.IntN(len(k.variants))]
				}
				vals[j] = noisy(r, k, v.gen(r), opts.NoiseRate)
			}
			cols = append(cols, LabelledColumn{Name: name, Values: vals, Want: k.class, Source: string(k.class) + "/" + vname})
		}
	}
	for _, d := range decoyKinds {
		for i := 0; i < opts.DecoysPerKind; i++ {
			name := d.names[r.IntN(len(d.names))]
			if i%4 == 3 && !valuesAmbiguous[d.source] {
				name = opaqueName(r)
			}
			vals := make([]string, opts.ValuesPerColumn)
			for j := range vals {
				vals[j] = noisy(r, &columnKind{}, d.gen(r), opts.NoiseRate)
			}
			cols = append(cols, LabelledColumn{Name: name, Values: vals, Want: classify.ClassNone, Source: "decoy/" + d.source})
		}
	}
	for i := 0; i < opts.DecoysPerKind; i++ {
		name := freeTextNames[r.IntN(len(freeTextNames))]
		vals := make([]string, opts.ValuesPerColumn)
		emb := map[classify.Class]int{}
		for j := range vals {
			t := FreeText(r)
			vals[j] = t.Text
			if t.Embedded != classify.ClassNone {
				emb[t.Embedded]++
			}
		}
		cols = append(cols, LabelledColumn{Name: name, Values: vals, Want: classify.ClassNone, Source: "decoy/free_text", Embedded: emb})
	}
	return cols
}
