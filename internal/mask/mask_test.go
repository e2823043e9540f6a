package mask

import (
	"io"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/classify"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func intp(v int) *int       { return &v }
func strp(v string) *string { return &v }

// one transforms a single value under rule r.
func one(t *testing.T, r Rule, v string) string {
	t.Helper()
	r.Name = "c"
	k, err := DeriveKey("intl", testSecret, "agreement-1")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(&Policy{Version: 1, Columns: []Rule{r}}, k)
	if err != nil {
		t.Fatalf("New(%+v): %v", r, err)
	}
	tb, err := m.Bind([]string{"c"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := tb.Row(nil, []string{v})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 {
		t.Fatalf("Row gave %d values", len(out))
	}
	return out[0]
}

func TestMaskClasses(t *testing.T) {
	mask := func(c classify.Class) Rule { return Rule{Action: Mask, Class: c} }
	keep := func(c classify.Class, first, last int) Rule {
		return Rule{Action: Mask, Class: c, KeepFirst: intp(first), KeepLast: intp(last)}
	}
	tests := []struct {
		name string
		rule Rule
		in   string
		want string
	}{
		// PRC mobiles: first 3, last 4, prefixes and separators dropped
		{"mobile", mask(classify.ClassCNMobile), "13812345678", "138****5678"},
		{"mobile +86", mask(classify.ClassCNMobile), "+86 138-1234-5678", "138****5678"},
		{"mobile 0086", mask(classify.ClassCNMobile), "008613812345678", "138****5678"},
		{"mobile full-width", mask(classify.ClassCNMobile), "１３８１２３４５６７８", "138****5678"},
		{"mobile spaces around", mask(classify.ClassCNMobile), "  13812345678\u3000", "138****5678"},
		{"mobile too short", mask(classify.ClassCNMobile), "1381234567", "**********"},
		{"mobile not a mobile", mask(classify.ClassCNMobile), "n/a", "***"},
		{"mobile landline", mask(classify.ClassCNMobile), "02112345678", "***********"},
		{"mobile keep 3/2", keep(classify.ClassCNMobile, 3, 2), "13812345678", "138******78"},
		{"mobile mask char", Rule{Action: Mask, Class: classify.ClassCNMobile, MaskChar: "×"}, "13812345678", "138××××5678"},
		// GB 11643 resident IDs: first 6, last 4
		{"resident id", mask(classify.ClassCNResidentID), "440305199001011234", "440305********1234"},
		{"resident id x", mask(classify.ClassCNResidentID), "32010419451130414x", "320104********414X"},
		{"resident id 15", mask(classify.ClassCNResidentID), "440305900101123", "440305*****1123"},
		{"resident id 17 digits", mask(classify.ClassCNResidentID), "44030519900101123", "*****************"},
		{"resident id letter inside", mask(classify.ClassCNResidentID), "4403051990A1011234", "******************"},
		{"resident id keep 4/4", keep(classify.ClassCNResidentID, 4, 4), "440305199001011234", "4403**********1234"},
		{"resident id 15 keep 6/4 only", keep(classify.ClassCNResidentID, 6, 4), "440305900101123", "440305*****1123"},
		{"resident id 15 keep 7/4", keep(classify.ClassCNResidentID, 7, 4), "440305900101123", "***************"},
		// bank cards: last 4
		{"card", mask(classify.ClassBankCard), "6222021234567890", "************7890"},
		{"card grouped", mask(classify.ClassBankCard), "6222 0212 3456 7890", "************7890"},
		{"card 19", mask(classify.ClassBankCard), "6230584000681241098", "***************1098"},
		{"card first 6 last 4", keep(classify.ClassBankCard, 6, 4), "6222021234567890", "622202******7890"},
		{"card too short", mask(classify.ClassBankCard), "62220212345", "***********"},
		{"card letters", mask(classify.ClassBankCard), "6222-0212-ABCD-7890", "*******************"},
		// e-mail: first character and domain
		{"email", mask(classify.ClassEmail), "zhangsan@example.com", "z***@example.com"},
		{"email short local", mask(classify.ClassEmail), "ab@example.com", "***@example.com"},
		{"email keep 2", Rule{Action: Mask, Class: classify.ClassEmail, KeepFirst: intp(2)}, "zhangsan@example.com", "zh***@example.com"},
		{"email no domain dot", mask(classify.ClassEmail), "zhangsan@localhost", "******************"},
		{"email two at", mask(classify.ClassEmail), "a@b@example.com", "***************"},
		{"email chinese local", mask(classify.ClassEmail), "张三丰@例子.中国", "张***@例子.中国"},
		// names: the surname's first character; a Latin initial
		{"name 2", mask(classify.ClassPersonName), "张三", "张*"},
		{"name 3", mask(classify.ClassPersonName), "张三丰", "张**"},
		{"name compound surname", mask(classify.ClassPersonName), "欧阳娜娜", "欧***"},
		{"name minority", mask(classify.ClassPersonName), "阿卜杜·热合曼", "阿******"},
		{"name latin", mask(classify.ClassPersonName), "John Smith", "J*** *****"},
		{"name latin hyphen", mask(classify.ClassPersonName), "Mary-Jane O'Neil", "M***-**** *'****"},
		{"name one han", mask(classify.ClassPersonName), "张", "*"},
		{"name digits", mask(classify.ClassPersonName), "user123", "*******"},
		{"name mixed", mask(classify.ClassPersonName), "张John", "*****"},
		// addresses: down to district or city
		{"address province city district", mask(classify.ClassAddress), "广东省深圳市南山区科技园路1号", "广东省深圳市南山区******"},
		{"address municipality", mask(classify.ClassAddress), "天津市和平区中山路138号", "天津市和平区*******"},
		{"address 州 in names", mask(classify.ClassAddress), "福建省福州市仓山区新华路823号", "福建省福州市仓山区*******"},
		{"address 贵州", mask(classify.ClassAddress), "贵州省贵阳市南明区中华南路1号", "贵州省贵阳市南明区******"},
		{"address 市中区", mask(classify.ClassAddress), "山东省济南市市中区经四路5号", "山东省济南市市中区*****"},
		{"address county city", mask(classify.ClassAddress), "浙江省金华市义乌市稠州北路100号", "浙江省金华市义乌市********"},
		{"address autonomous region", mask(classify.ClassAddress), "新疆维吾尔自治区乌鲁木齐市天山区解放南路8号", "新疆维吾尔自治区乌鲁木齐市天山区******"},
		{"address autonomous prefecture", mask(classify.ClassAddress), "吉林省延边朝鲜族自治州延吉市人民路1号", "吉林省延边朝鲜族自治州延吉市*****"},
		{"address county", mask(classify.ClassAddress), "河北省保定市涞水县城关镇1号", "河北省保定市涞水县*****"},
		{"address HK", mask(classify.ClassAddress), "香港特别行政区九龙城区太子道西1号", "香港特别行政区九龙城区******"},
		{"address no area", mask(classify.ClassAddress), "科技园路1号", "******"},
		{"address only area", mask(classify.ClassAddress), "广东省深圳市", "******"},
		{"address english", mask(classify.ClassAddress), "7844 River Road, Austin, TX 78701", "**** ***** ****, Austin, TX *****"},
		{"address uk", mask(classify.ClassAddress), "7844 River Road, Edinburgh EH1 1YZ", "**** ***** ****, Edinburgh *** ***"},
		{"address english no comma", mask(classify.ClassAddress), "7844 River Road", "***************"},
		// other classes
		{"birth date", mask(classify.ClassBirthDate), "1990-05-17", "1990-**-**"},
		{"birth date chinese", mask(classify.ClassBirthDate), "1990年5月17日", "1990-**-**"},
		{"birth date bad day", mask(classify.ClassBirthDate), "1990-02-30", "**********"},
		{"ipv4", mask(classify.ClassIPAddress), "192.168.10.20", "192.168.*.*"},
		{"ipv6", mask(classify.ClassIPAddress), "2001:db8:85a3::8a2e:370:7334", "2001:db8:*:*:*:*:*:*"},
		{"ip bad", mask(classify.ClassIPAddress), "300.1.1.1", "*********"},
		{"geo pair", mask(classify.ClassGeoPrecise), "39.904211,116.407395", "39.******,116.******"},
		{"geo bad", mask(classify.ClassGeoPrecise), "north", "*****"},
		{"geo no decimals", mask(classify.ClassGeoPrecise), "39,116", "******"},
		{"geo out of range", mask(classify.ClassGeoCoarse), "13812345678.5", "*************"},
		{"phone hk", mask(classify.ClassPhone), "+852 9123 4567", "+852****4567"},
		{"phone short", mask(classify.ClassPhone), "12345", "*****"},
		{"passport", mask(classify.ClassPassport), "E12345678", "E*****678"},
		{"hkid", mask(classify.ClassHKID), "A123456(7)", "A*******"},
		{"iban", mask(classify.ClassIBAN), "DE68 9542 4910 4220 9438 53", "DE****************3853"},
		{"ssn", mask(classify.ClassUSSSN), "110-40-7835", "*****7835"},
		{"uscc", mask(classify.ClassCNUSCC), "91350100M000100Y43", "91************0Y43"},
		// generic and special categories: everything by default
		{"generic all", Rule{Action: Mask}, "secret", "******"},
		{"generic ends", Rule{Action: Mask, KeepFirst: intp(2), KeepLast: intp(2)}, "abcdefgh", "ab****gh"},
		{"generic ends too much", Rule{Action: Mask, KeepFirst: intp(3), KeepLast: intp(3)}, "abcdefgh", "********"},
		{"generic unicode", Rule{Action: Mask, KeepFirst: intp(1), KeepLast: intp(1)}, "北京朝阳医院", "北****院"},
		{"health", mask(classify.ClassHealth), "2型糖尿病", "*****"},
		{"empty stays empty", mask(classify.ClassCNMobile), "", ""},
		{"blank stays empty", mask(classify.ClassCNMobile), "   ", ""},
		{"long value masked whole", mask(classify.ClassPersonName), strings.Repeat("张", 600), strings.Repeat("*", 600)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := one(t, tc.rule, tc.in); got != tc.want {
				t.Errorf("mask %s %q = %q, want %q", tc.rule.Class, tc.in, got, tc.want)
			}
		})
	}
}

// TestMaskNeverPassesThrough checks that no mask returns its input for
// inputs of every shape, valid or not.
func TestMaskNeverPassesThrough(t *testing.T) {
	inputs := []string{"13812345678", "440305199001011234", "6222021234567890", "zhangsan@example.com", "张三",
		"John Smith", "广东省深圳市南山区科技园路1号", "1990-05-17", "192.168.1.1", "39.9,116.4", "x", "ab", "abc",
		"+852 9123 4567", "E12345678", "a@b.c", "**", "*", "张", "1", "12"}
	for _, c := range knownClasses {
		for _, v := range inputs {
			got := one(t, Rule{Action: Mask, Class: c}, v)
			if got == v && strings.Trim(v, "*") != "" {
				t.Errorf("mask %s %q passed the value through", c, v)
			}
		}
	}
}

func TestGeneralise(t *testing.T) {
	date := func(kind, g string) Rule { return Rule{Action: Generalise, Kind: kind, Granularity: g} }
	width := func(w float64) Rule { return Rule{Action: Generalise, Kind: KindNumber, Width: w} }
	bounds := Rule{Action: Generalise, Kind: KindNumber, Bounds: []float64{14, 18, 30, 45, 65}}
	geo := func(d int) Rule { return Rule{Action: Generalise, Kind: KindGeo, Decimals: intp(d)} }
	tests := []struct {
		name string
		rule Rule
		in   string
		want string
	}{
		{"year", date(KindDate, "year"), "1990-05-17", "1990"},
		{"quarter", date(KindDate, "quarter"), "1990-05-17", "1990-Q2"},
		{"quarter 4", date(KindDate, "quarter"), "1990-12-31", "1990-Q4"},
		{"month", date(KindDate, "month"), "1990-05-17", "1990-05"},
		{"month slashes", date(KindDate, "month"), "1990/5/7", "1990-05"},
		{"month compact", date(KindDate, "month"), "19900507", "1990-05"},
		{"month chinese", date(KindDate, "month"), "1990年5月7日", "1990-05"},
		{"month with time", date(KindDate, "month"), "1990-05-07 12:30:00", "1990-05"},
		{"leap day", date(KindDate, "year"), "2000-02-29", "2000"},
		{"not leap", date(KindDate, "year"), "1900-02-29", "*"},
		{"month 13", date(KindDate, "year"), "1990-13-01", "*"},
		{"mixed separators", date(KindDate, "year"), "1990-05/07", "*"},
		{"not a date", date(KindDate, "year"), "yesterday", "*"},
		{"nine digits", date(KindDate, "year"), "199005071", "*"},
		{"ts day", date(KindTimestamp, "day"), "2024-05-01T13:45:10Z", "2024-05-01"},
		{"ts hour", date(KindTimestamp, "hour"), "2024-05-01T13:45:10Z", "2024-05-01T13:00Z"},
		{"ts hour offset", date(KindTimestamp, "hour"), "2024-05-01 13:45:10.123+0800", "2024-05-01T13:00+08:00"},
		{"ts hour negative offset", date(KindTimestamp, "hour"), "2024-05-01T09:05-05:30", "2024-05-01T09:00-05:30"},
		{"ts hour local", date(KindTimestamp, "hour"), "2024-05-01 09:05", "2024-05-01T09:00"},
		{"ts hour needs time", date(KindTimestamp, "hour"), "2024-05-01", "*"},
		{"ts bad hour", date(KindTimestamp, "hour"), "2024-05-01T24:00", "*"},
		{"ts trailing", date(KindTimestamp, "day"), "2024-05-01T10:00Zx", "*"},
		{"ts quarter", date(KindTimestamp, "quarter"), "2024-05-01T10:00:00", "2024-Q2"},
		{"age band", width(10), "37", "[30,40)"},
		{"age band edge", width(10), "40", "[40,50)"},
		{"age band fraction", width(10), "39.5", "[30,40)"},
		{"negative band", width(10), "-5", "[-10,0)"},
		{"decimal width", width(0.1), "0.37", "[0.3,0.4)"},
		{"amount band", width(1000), "45812.55", "[45000,46000)"},
		{"exponent", width(10), "1.5e1", "[10,20)"},
		{"bounds below", bounds, "9", "<14"},
		{"bounds inner", bounds, "14", "[14,18)"},
		{"bounds inner 2", bounds, "44.9", "[30,45)"},
		{"bounds above", bounds, "65", ">=65"},
		{"number junk", width(10), "37 years", "*"},
		{"number hex", width(10), "0x10", "*"},
		{"number inf", width(10), "Inf", "*"},
		{"number nan", width(10), "NaN", "*"},
		{"geo 2", geo(2), "39.904211,116.407395", "39.90,116.41"},
		{"geo 0", geo(0), "39.904211, 116.407395", "40,116"},
		{"geo single", geo(3), "-33.868820", "-33.869"},
		{"geo negative zero", geo(2), "-0.001", "0.00"},
		{"geo lon,lat", geo(1), "116.4074,39.9042", "116.4,39.9"},
		{"geo out of range", geo(2), "200,10", "*"},
		{"geo both over 90", geo(2), "100,100", "*"},
		{"geo default", Rule{Action: Generalise, Kind: KindGeo}, "22.543096,114.057865", "22.54,114.06"},
		{"postal", Rule{Action: Generalise, Kind: KindPostal}, "100020", "100***"},
		{"postal keep 2", Rule{Action: Generalise, Kind: KindPostal, KeepFirst: intp(2)}, "518057", "51****"},
		{"postal uk", Rule{Action: Generalise, Kind: KindPostal}, "sw1a 1aa", "SW1* ***"},
		{"postal short", Rule{Action: Generalise, Kind: KindPostal}, "100", "*"},
		{"postal letters", Rule{Action: Generalise, Kind: KindPostal}, "abcdef", "*"},
		{"empty", width(10), "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := one(t, tc.rule, tc.in); got != tc.want {
				t.Errorf("generalise %s %q = %q, want %q", tc.rule.Kind, tc.in, got, tc.want)
			}
		})
	}
}

func TestKeepRedactNull(t *testing.T) {
	for _, tc := range []struct {
		rule     Rule
		in, want string
	}{
		{Rule{Action: Keep}, " 13812345678 ", " 13812345678 "},
		{Rule{Action: Redact}, "13812345678", "***"},
		{Rule{Action: Redact, With: strp("[已脱敏]")}, "13812345678", "[已脱敏]"},
		{Rule{Action: Redact}, "", "***"},
		{Rule{Action: Null}, "13812345678", ""},
	} {
		if got := one(t, tc.rule, tc.in); got != tc.want {
			t.Errorf("%s %q = %q, want %q", tc.rule.Action, tc.in, got, tc.want)
		}
	}
}

func TestDropAndDefault(t *testing.T) {
	header := []string{"id", "name", "mobile", "unknown"}
	row := []string{"1", "张三", "13812345678", "secret"}
	p := &Policy{Version: 1, Columns: []Rule{
		{Name: "id", Action: Keep},
		{Name: "name", Action: Drop},
		{Name: "mobile", Action: Mask, Class: classify.ClassCNMobile},
		{Name: "missing", Action: Keep},
	}}
	m, err := New(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := m.Bind(header)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tb.Header(), ","); got != "id,mobile" {
		t.Errorf("header %q, want id,mobile (name dropped, unknown dropped by default)", got)
	}
	if got := strings.Join(tb.Unmatched(), ","); got != "missing" {
		t.Errorf("Unmatched %q, want missing", got)
	}
	out, err := tb.Row(nil, row)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(out, ","); got != "1,138****5678" {
		t.Errorf("row %q", got)
	}

	// a default other than drop applies to unnamed columns
	p.Default = &Rule{Action: Redact}
	m, _ = New(p, nil)
	tb, _ = m.Bind(header)
	out, _ = tb.Row(nil, row)
	if got := strings.Join(out, ","); got != "1,138****5678,***" {
		t.Errorf("row with default redact %q", got)
	}

	// everything dropped is an error, not an empty table
	m, _ = New(&Policy{Version: 1}, nil)
	if _, err := m.Bind(header); err == nil {
		t.Error("Bind kept no column without an error")
	}
	// duplicate header names
	m, _ = New(&Policy{Version: 1, Default: &Rule{Action: Keep}}, nil)
	if _, err := m.Bind([]string{"a", "b", "a"}); err == nil || !strings.Contains(err.Error(), "column 3") {
		t.Errorf("duplicate header: %v", err)
	}
}

func TestRowInPlaceAndCount(t *testing.T) {
	p := &Policy{Version: 1, Columns: []Rule{
		{Name: "a", Action: Drop},
		{Name: "b", Action: Mask},
		{Name: "c", Action: Keep},
		{Name: "d", Action: Null},
	}}
	m, _ := New(p, nil)
	tb, _ := m.Bind([]string{"a", "b", "c", "d"})
	row := []string{"x", "yyyy", "z", "w"}
	out, err := tb.Row(row[:0], row)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(out, "|"); got != "****|z|" {
		t.Errorf("in place: %q", got)
	}
	if _, err := tb.Row(nil, []string{"1", "2"}); err == nil || !strings.Contains(err.Error(), "2 fields, header has 4") {
		t.Errorf("short row: %v", err)
	}
}

func TestRowAllocs(t *testing.T) {
	k, _ := DeriveKey("intl", testSecret, "a")
	m, err := New(benchPolicy(t), k)
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"订单号", "姓名", "身份证号", "手机号", "邮箱", "地址", "银行卡号", "诊断", "金额", "备注"}
	tb, err := m.Bind(header)
	if err != nil {
		t.Fatal(err)
	}
	src := []string{"202403211027261147", "赵博倩", "230103199612135554", "13304908738", "zbq@qq.com",
		"黑龙江省哈尔滨市南岗区光明街197号", "6222021234567890", "", "98387.64", "发票抬头为个人"}
	dst := make([]string, 0, len(header))
	allocs := testing.AllocsPerRun(200, func() {
		dst, _ = tb.Row(dst, src)
	})
	if allocs > 1 {
		t.Errorf("Row: %.1f allocations, want at most 1 (the row's string)", allocs)
	}
	keepAll, _ := New(&Policy{Version: 1, Default: &Rule{Action: Keep}}, nil)
	tk, _ := keepAll.Bind(header)
	allocs = testing.AllocsPerRun(200, func() {
		dst, _ = tk.Row(dst, src)
	})
	if allocs != 0 {
		t.Errorf("Row keeping every value: %.1f allocations, want 0", allocs)
	}
}

func TestAppendValue(t *testing.T) {
	k, _ := DeriveKey("intl", testSecret, "a")
	m, _ := New(&Policy{Version: 1, Columns: []Rule{
		{Name: "m", Action: Mask, Class: classify.ClassCNMobile},
		{Name: "p", Action: Pseudonymise},
	}}, k)
	tb, err := m.Bind([]string{"x", "m", "p"})
	if err != nil {
		t.Fatal(err)
	}
	b := tb.AppendValue([]byte("<"), 1, "13812345678")
	b = tb.AppendValue(b, 0, "dropped")
	b = tb.AppendValue(b, 7, "out of range")
	if string(b) != "<138****5678" {
		t.Errorf("AppendValue: %q", b)
	}
	row, _ := tb.Row(nil, []string{"x", "13812345678", "v"})
	if got := string(tb.AppendValue(nil, 2, "v")); got != row[1] {
		t.Errorf("AppendValue %q, Row %q", got, row[1])
	}
}

// TestConcurrent runs one Masker from several goroutines (go test -race).
func TestConcurrent(t *testing.T) {
	k, _ := DeriveKey("gm", testSecret, "a")
	m, err := New(benchPolicy(t), k)
	if err != nil {
		t.Fatal(err)
	}
	in := manyRows(300)
	want, err := func() (string, error) {
		var b strings.Builder
		_, err := keepAll(t).CopyCSV(ctx, &b, strings.NewReader(in), nil)
		return b.String(), err
	}()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	for range 4 {
		go func() {
			var b strings.Builder
			m2, _ := New(&Policy{Version: 1, Default: &Rule{Action: Keep}}, nil)
			m2.CopyCSV(ctx, &b, strings.NewReader(in), nil)
			tb, _ := m.Bind([]string{"姓名", "身份证号"})
			tb.Row(nil, []string{"张三", "440305199001011234"})
			m.CopyCSV(ctx, io.Discard, strings.NewReader("姓名,手机号\n张三,13812345678\n"), nil)
			done <- b.String()
		}()
	}
	for range 4 {
		if got := <-done; got != want {
			t.Error("concurrent copies differ")
		}
	}
}
