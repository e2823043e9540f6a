package classify

import (
	"context"
	"path/filepath"
	"testing"
)

// TestGoldenColumns classifies the fixtures under testdata/columns through
// the whole pipeline and checks every column's class. The fixtures are
// synthetic (seeded generator, 40 rows each): people.csv holds valid
// resident IDs (GB 11643 check characters), mobiles, Luhn-valid UnionPay
// cards, e-mail, names, addresses, birth dates, E-passports and ages;
// lookalikes.csv 18-digit order numbers, 16-digit transaction numbers,
// amounts, timestamps and SKUs; mixed.csv mixed mobile/landline phones,
// precise and coarse coordinates, IPs, valid USCCs, HKIDs and German
// IBANs, diagnoses, base64 fingerprint templates, religions, free-text
// remarks with embedded contacts and product names.
func TestGoldenColumns(t *testing.T) {
	want := map[string]map[string]Class{
		"people.csv": {
			"身份证号": ClassCNResidentID, "手机": ClassCNMobile, "银行卡号": ClassBankCard, "邮箱": ClassEmail,
			"姓名": ClassPersonName, "住址": ClassAddress, "出生日期": ClassBirthDate, "护照号": ClassPassport, "年龄": ClassAge,
		},
		"lookalikes.csv": {
			"order_no": ClassNone, "txn_id": ClassNone, "amount": ClassNone, "created_at": ClassNone, "sku": ClassNone,
		},
		"mixed.csv": {
			"联系电话": ClassPhone, "纬度": ClassGeoPrecise, "经度": ClassGeoPrecise, "coarse_lat": ClassGeoCoarse,
			"client_ip": ClassIPAddress, "统一社会信用代码": ClassCNUSCC, "hkid": ClassHKID, "iban": ClassIBAN,
			"diagnosis": ClassHealth, "fingerprint_template": ClassBiometric, "宗教信仰": ClassReligion,
			"remark": ClassNone, "商品名称": ClassNone,
		},
	}
	for file, cols := range want {
		p, err := Run(context.Background(), []string{filepath.Join("testdata", "columns", file)}, Options{RefDate: testRef})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Fields) != len(cols) {
			t.Errorf("%s: %d fields, want %d", file, len(p.Fields), len(cols))
		}
		for _, f := range p.Fields {
			if w, ok := cols[f.Name]; !ok || f.Class != w {
				t.Errorf("%s column %q: class %s, want %s (%s)", file, f.Name, f.Class, w, f.Reason)
			}
			if f.Class != ClassNone && (f.Confidence <= 0 || f.Confidence > maxConfidence || f.Example == "") {
				t.Errorf("%s column %q: confidence %v, example %q", file, f.Name, f.Confidence, f.Example)
			}
		}
	}
}

func TestClassifyValuesDecisions(t *testing.T) {
	g := newGen(3)
	var ids, orders, cards, nums16 []string
	for i := 0; i < 500; i++ {
		ids = append(ids, g.residentID())
		orders = append(orders, g.orderNo())
		cards = append(cards, g.bankCard())
		nums16 = append(nums16, g.digits(16))
	}
	o := Options{RefDate: testRef}
	// Lookalikes stay none, with or without a misleading name.
	for _, name := range []string{"order_no", "id"} {
		if f := ClassifyValues(name, orders, o); f.Class != ClassNone {
			t.Errorf("%s of order numbers: %s (%s)", name, f.Class, f.Reason)
		}
	}
	if f := ClassifyValues("身份证号", orders, o); f.Class != ClassNone || f.Reason == "" {
		t.Errorf("身份证号 of order numbers: %s, reason %q", f.Class, f.Reason)
	}
	if f := ClassifyValues("txn", nums16, o); f.Class != ClassNone {
		t.Errorf("random 16-digit numbers: %s", f.Class)
	}
	// Identifiers are found without a name hint.
	if f := ClassifyValues("col_3", ids, o); f.Class != ClassCNResidentID || f.ValidRatio != 1 || f.Sensitive {
		t.Errorf("unnamed resident IDs: %+v", f)
	}
	if f := ClassifyValues("x", cards, o); f.Class != ClassBankCard || !f.Sensitive || f.USCategory != USPersonalFinancial {
		t.Errorf("unnamed cards: %+v", f)
	}
	// A column half IDs, half order numbers: resident ID at 50%.
	mixed := append(append([]string{}, ids[:250]...), orders[:250]...)
	if f := ClassifyValues("x", mixed, o); f.Class != ClassCNResidentID || f.ValidRatio != 0.5 {
		t.Errorf("half IDs: %s %v", f.Class, f.ValidRatio)
	}
	// 40% valid: none.
	mixed = append(append([]string{}, ids[:200]...), orders[:300]...)
	if f := ClassifyValues("x", mixed, o); f.Class != ClassNone {
		t.Errorf("40%% IDs: %s", f.Class)
	}
	// Sample decides, all values count: 1000 IDs then 1000 junk values.
	long := append(append([]string{}, ids...), ids...)
	long = append(long, orders...)
	long = append(long, orders...)
	f := ClassifyValues("x", long, Options{RefDate: testRef, SampleSize: 1000})
	if f.Class != ClassCNResidentID || f.ValidRatio != 0.5 || f.Values != 2000 {
		t.Errorf("sample then junk: %s ratio %v values %d", f.Class, f.ValidRatio, f.Values)
	}
	// Dates need a hint.
	dates := []string{"1990-01-02", "1985-12-31", "2001-07-04"}
	if f := ClassifyValues("created", dates, o); f.Class != ClassNone {
		t.Errorf("unhinted dates: %s", f.Class)
	}
	if f := ClassifyValues("birthday", dates, o); f.Class != ClassBirthDate {
		t.Errorf("birthday: %s", f.Class)
	}
	// Minors: an age column with a 10-year-old becomes minor.
	if f := ClassifyValues("年龄", []string{"30", "10", "45"}, o); f.Class != ClassMinor || !f.Sensitive || f.Minors != 1 {
		t.Errorf("ages: %+v", f)
	}
	kid := residentIDFor("440305", "20200101")
	if f := ClassifyValues("身份证", []string{kid, ids[0]}, o); f.Class != ClassCNResidentID || !f.Sensitive || f.Minors != 1 {
		t.Errorf("resident IDs with a child: %+v", f)
	}
	// Examples are masked.
	if f := ClassifyValues("身份证", ids[:1], o); f.Example == ids[0] || len(f.Example) != 18 {
		t.Errorf("example %q", f.Example)
	}
	// Important-data review flag.
	if f := ClassifyValues("基因序列", []string{"ACGT"}, o); !f.ImportantCandidate {
		t.Errorf("基因序列 not flagged")
	}
	// Chinese words that are not names (cities, categories) stay none.
	words := []string{"北京", "上海", "广州", "深圳", "杭州", "南京", "武汉", "成都", "重庆", "西安", "苏州", "天津",
		"长沙", "郑州", "东莞", "青岛", "沈阳", "宁波", "昆明", "高端家电", "金融服务", "石油化工"}
	if f := ClassifyValues("区域", words, o); f.Class != ClassNone {
		t.Errorf("words: %s (%s)", f.Class, f.Reason)
	}
	// Ambiguous hints need agreeing values.
	if f := ClassifyValues("condition", []string{"全新", "九成新", "良好"}, o); f.Class != ClassNone {
		t.Errorf("goods condition: %s", f.Class)
	}
	if f := ClassifyValues("condition", []string{"Allergic rhinitis", "Type 2 diabetes", "Asthma"}, o); f.Class != ClassHealth {
		t.Errorf("patient condition: %s", f.Class)
	}
	if f := ClassifyValues("app_version", []string{"7.1.0.2", "2.3.1.99", "10.0.0.1"}, o); f.Class != ClassNone {
		t.Errorf("versions: %s", f.Class)
	}
	// Empty input.
	if f := ClassifyValues("x", nil, o); f.Class != ClassNone || f.Values != 0 {
		t.Errorf("empty: %+v", f)
	}
}

// TestRunCrossFormat counts persons across a CSV and a JSONL file that
// repeat 20 of its 40 persons under other column names and spellings.
func TestRunCrossFormat(t *testing.T) {
	p, err := Run(context.Background(), []string{
		filepath.Join("testdata", "columns", "people.csv"),
		filepath.Join("testdata", "columns", "people_b.jsonl"),
	}, Options{RefDate: testRef})
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows != 60 || p.Individuals != 40 || p.SensitiveIndividuals != 40 {
		// Every person of people.csv has a bank card: all 40 are sensitive.
		t.Errorf("rows %d individuals %d sensitive %d", p.Rows, p.Individuals, p.SensitiveIndividuals)
	}
	byName := map[string]FieldProfile{}
	for _, f := range p.Fields {
		byName[f.Name] = f
	}
	if byName["id_no"].Class != ClassCNResidentID || byName["mobile"].Class != ClassCNMobile || byName["诊断"].Class != ClassHealth {
		t.Errorf("jsonl classes: %s %s %s", byName["id_no"].Class, byName["mobile"].Class, byName["诊断"].Class)
	}
	if !p.SpecialCategory || p.USBulk[USPersonalHealth] != 20 {
		t.Errorf("special %v health %d", p.SpecialCategory, p.USBulk[USPersonalHealth])
	}
}
