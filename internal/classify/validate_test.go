package classify

import (
	"slices"
	"strings"
	"testing"
)

var testEnv = colEnv{ref: 20260415}

func TestValidators(t *testing.T) {
	type tc struct {
		v    string
		want match
	}
	cases := []struct {
		name string
		fn   func(string, *colEnv) match
		env  colEnv
		tcs  []tc
	}{
		{"residentID", residentID, testEnv, []tc{
			{"11010519491231002X", strongMatch}, // GB 11643-1999 example
			{"11010519491231002x", strongMatch}, // lower-case check character
			{" 110105 19491231 002X ", strongMatch},
			{"１１０１０５１９４９１２３１００２Ｘ", strongMatch}, // full-width
			{"110105194912310021", noMatch},     // wrong check character
			{"11010519491331002X", noMatch},     // month 13
			{"110105202712310025", noMatch},     // born after the reference day
			{"990105194912310028", noMatch},     // no province 99
			{"202604150000123456", noMatch},     // order number
			{"110105491231002", weakMatch},      // legacy 15-digit
			{"110105491331002", noMatch},        // legacy, month 13
			{"1101051949123100", noMatch},
			{"", noMatch},
		}},
		{"cnMobile", cnMobile, testEnv, []tc{
			{"13812345678", strongMatch},
			{"+86 138 1234 5678", strongMatch},
			{"0086-138-1234-5678", strongMatch},
			{"8613812345678", strongMatch},
			{"12812345678", noMatch},     // second digit 2
			{"１３８１２３４５６７８", strongMatch}, // full-width
			{"1381234567", noMatch},
			{"138123456789", noMatch},
			{"010-12345678", noMatch},
		}},
		{"phone", phone, testEnv, []tc{
			{"+852 9123 4567", strongMatch},
			{"85291234567", strongMatch},
			{"+44 20 7946 0958", strongMatch},
			{"010-12345678", strongMatch},
			{"075512345678", weakMatch},
			{"13812345678", strongMatch},
			{"(212) 555-0143", weakMatch},
			{"2812 3423", weakMatch}, // HK local, no country code
			{"12345", noMatch},
			{"abc", noMatch},
		}},
		{"bankCard", bankCard, testEnv, []tc{
			{"4111111111111111", strongMatch}, // Visa test number
			{"4111 1111 1111 1111", strongMatch},
			{"4111-1111-1111-1111", strongMatch},
			{"5500005555555559", strongMatch},
			{"6212260200000000006", strongMatch}, // UnionPay 19 digits, Luhn-valid
			{"4111111111111112", noMatch},        // Luhn fails
			{"1234567812345670", weakMatch},      // Luhn-valid, unknown issuer
			{"41111111111", noMatch},             // 11 digits
			{"41111111111111111111", noMatch},    // 20 digits
		}},
		{"uscc", uscc, testEnv, []tc{
			{"91110000600037341L", strongMatch},
			{"91110000600037341l", strongMatch},
			{"91110000600037341M", noMatch},
			{"9111000060003734IL", noMatch}, // I is not in the alphabet
		}},
		{"email", email, testEnv, []tc{
			{"zhang.san@example.com", strongMatch},
			{"a+tag@mail.example.co.uk", strongMatch},
			{"用户@例子.中国", noMatch}, // non-ASCII local part
			{"user@例子.中国", strongMatch},
			{"user@localhost", noMatch},
			{"user@@example.com", noMatch},
			{".user@example.com", noMatch},
			{"us..er@example.com", noMatch},
			{"user@-example.com", noMatch},
			{"user@example.c", noMatch},
			{"user@example.123", noMatch},
		}},
		{"ip version-like", ipAddress, testEnv, []tc{{"7.1.0.2", weakMatch}, {"10.0.0.1", weakMatch}, {"10.0.0.254", strongMatch}}},
		{"ip hinted", ipAddress, colEnv{hints: hIP}, []tc{{"7.1.0.2", strongMatch}}},
		{"ip version column", ipAddress, colEnv{hints: hVersion}, []tc{{"192.168.1.1", noMatch}}},
		{"ipAddress", ipAddress, testEnv, []tc{
			{"192.168.1.1", strongMatch},
			{"2001:db8::1", strongMatch},
			{"::1", noMatch}, // too short for the shape check
			{"256.1.1.1", noMatch},
			{"1.2.3", noMatch},
			{"12:30", noMatch},
		}},
		{"geo pair", geo, testEnv, []tc{
			{"39.9042,116.4074", strongMatch},
			{"(39.904, 116.407)", strongMatch},
			{"39.90,116.40", weakMatch},
			{"116.4074,39.9042", strongMatch}, // lon,lat
			{"95.1234,116.4074", noMatch},
			{"39.9042,196.4074", noMatch},
			{"39.9042", noMatch}, // single number without a hint
		}},
		{"geo lat column", geo, colEnv{ref: 20260415, hints: hLat}, []tc{
			{"39.9042", strongMatch},
			{"-33.86", weakMatch},
			{"91.5", noMatch},
			{"39", noMatch},
		}},
		{"passport", passport, testEnv, []tc{
			{"E12345678", strongMatch},
			{"EA1234567", strongMatch},
			{"G12345678", strongMatch},
			{"DE1234567", strongMatch},
			{"K12345678", strongMatch},
			{"MA1234567", strongMatch},
			{"EI1234567", weakMatch}, // I not used after E; generic shape
			{"123456789", weakMatch},
			{"X1", noMatch},
		}},
		{"hkid", hkid, testEnv, []tc{
			{"D288754(2)", strongMatch}, // textbook example
			{"D2887542", strongMatch},
			{"d288754(2)", strongMatch},
			{"D288754(3)", noMatch},
			{"AB9876543", noMatch},
		}},
		{"iban", iban, testEnv, []tc{
			{"GB82WEST12345698765432", strongMatch},
			{"GB82 WEST 1234 5698 7654 32", strongMatch},
			{"DE89370400440532013000", strongMatch},
			{"de89370400440532013000", strongMatch},
			{"GB82WEST12345698765433", noMatch}, // check fails
			{"DE8937040044053201300", noMatch},  // wrong length
		}},
		{"usSSN", usSSN, testEnv, []tc{
			{"536-90-4399", strongMatch},
			{"536904399", weakMatch},
			{"000-12-3456", noMatch},
			{"666-12-3456", noMatch},
			{"900-12-3456", noMatch},
			{"536-00-4399", noMatch},
			{"536-90-0000", noMatch},
			{"078-05-1120", noMatch},
			{"111-11-1111", noMatch},
			{"536-90.4399", noMatch}, // mixed delimiters
		}},
		{"birthDate", birthDate, testEnv, []tc{
			{"1990-05-17", strongMatch},
			{"1990/5/7", strongMatch},
			{"19900517", strongMatch},
			{"1990年5月17日", strongMatch},
			{"17/05/1990", strongMatch},
			{"05/17/1990", strongMatch},
			{"1990-05-17 00:00:00", strongMatch},
			{"1990-02-30", noMatch},
			{"2030-01-01", noMatch},
			{"1850-01-01", noMatch},
			{"hello", noMatch},
		}},
		{"age", age, testEnv, []tc{
			{"12", strongMatch}, {"35岁", strongMatch}, {"131", noMatch}, {"-1", noMatch}, {"3.5", noMatch},
		}},
		{"personName", personName, testEnv, []tc{
			{"张三", strongMatch},
			{"欧阳娜娜", strongMatch},
			{"王小明", strongMatch},
			{"买买提·艾力", weakMatch},
			{"John Smith", weakMatch},
			{"手机壳", weakMatch}, // no common surname: weak only
			{"王家村", noMatch},   // address suffix
			{"张", noMatch},
			{"张三丰五六", noMatch},
			{"john smith", noMatch},
			{"Order 123", noMatch},
		}},
		{"address", address, testEnv, []tc{
			{"广东省深圳市南山区科技园路1号", strongMatch},
			{"北京市朝阳区建国路88号", strongMatch},
			{"上海市浦东新区", weakMatch},
			{"1600 Amphitheatre Parkway", noMatch},
			{"221B Baker Street, London", strongMatch},
			{"10 Downing St", strongMatch},
			{"深圳", noMatch},
		}},
		{"health", health, testEnv, []tc{
			{"E11.9", strongMatch}, {"J45.909", strongMatch}, {"Allergic rhinitis", weakMatch}, {"Crohn's disease", weakMatch}, {"I10", weakMatch}, {"2型糖尿病", weakMatch}, {"E1", noMatch}, {"hello", noMatch},
		}},
		{"biometric", biometric, testEnv, []tc{
			{"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk=", strongMatch},
			{"faces/0001.jpg", weakMatch},
			{"[0.1234,-0.5678,0.9012,0.3456,-0.7890,0.1234,0.5678,-0.9012,0.3456,0.7890,-0.1234,0.5678,0.9012,-0.3456,0.7890,0.1234]", strongMatch},
			{"yes", noMatch},
		}},
		{"religion", religion, testEnv, []tc{
			{"佛教", strongMatch}, {"Buddhist", strongMatch}, {"无", weakMatch}, {"足球", noMatch},
		}},
	}
	for _, c := range cases {
		for _, x := range c.tcs {
			env := c.env
			if got := c.fn(x.v, &env); got != x.want {
				t.Errorf("%s(%q) = %d, want %d", c.name, x.v, got, x.want)
			}
		}
	}
}

func TestIsMinor(t *testing.T) {
	env := testEnv
	for _, x := range []struct {
		c    Class
		v    string
		want bool
	}{
		{ClassAge, "13", true},
		{ClassAge, "14", false},
		{ClassBirthDate, "2012-04-16", true},  // 13 on 2026-04-15
		{ClassBirthDate, "2012-04-15", false}, // 14 that day
		{ClassCNResidentID, residentIDFor("440305", "20150101"), true},
		{ClassCNResidentID, "11010519491231002X", false},
	} {
		if got := isMinor(x.c, x.v, &env); got != x.want {
			t.Errorf("isMinor(%s, %q) = %v, want %v", x.c, x.v, got, x.want)
		}
	}
}

// residentIDFor builds a valid resident ID from a region code and a birth
// date.
func residentIDFor(region, birth string) string {
	first := region + birth + "123"
	c, _ := ResidentIDCheckChar(first)
	return first + string(c)
}

func TestScanEmbedded(t *testing.T) {
	id := residentIDFor("110105", "19800101")
	for _, x := range []struct {
		v    string
		want uint8
	}{
		{"请致电13812345678联系", 1 << embMobile},
		{"身份证" + id + "，已核验", 1 << embResidentID},
		{"ID 11010519491231002X ok", 1 << embResidentID},
		{"card 4111111111111111 paid", 1 << embBankCard},
		{"mail me: a.b@example.com.", 1 << embEmail},
		{"order 202604150000123456 shipped", 0},
		{"x13812345678y", 0},
		{"plain text", 0},
	} {
		if got := scanEmbedded(x.v, &testEnv); got != x.want {
			t.Errorf("scanEmbedded(%q) = %b, want %b", x.v, got, x.want)
		}
	}
}

func TestSipHashVectors(t *testing.T) {
	// Reference vectors of SipHash-2-4 (key 00..0f, message 00..n-1), as
	// in the paper's appendix and github.com/dchest/siphash.
	k := sipKey{0x0706050403020100, 0x0f0e0d0c0b0a0908}
	for _, x := range []struct {
		n    int
		want uint64
	}{
		{0, 0x726fdb47dd0e0e31}, {1, 0x74f839c593dc67fd}, {7, 0xab0200f58b01d137},
		{8, 0x93f5f5799a932462}, {15, 0xa129ca6149be45e5}, {17, 0x699ae9f52cbe4794}, {63, 0x958a324ceb064572},
	} {
		m := make([]byte, x.n)
		for i := range m {
			m[i] = byte(i)
		}
		if got := k.sum64(m); got != x.want {
			t.Errorf("sum64(%d bytes) = %#x, want %#x", x.n, got, x.want)
		}
	}
}

func TestMask(t *testing.T) {
	for _, x := range []struct {
		c       Class
		v, want string
	}{
		{ClassCNResidentID, "440305199001011234", "4403**********1234"},
		{ClassBankCard, "6222021234567890128", "6222***********0128"},
		{ClassCNMobile, "13812345678", "138****5678"},
		{ClassPersonName, "张三丰", "张**"},
		{ClassPersonName, "欧阳娜娜", "欧阳**"},
		{ClassPersonName, "John Smith", "J*** *****"},
		{ClassEmail, "zhang.san@example.com", "z***@example.com"},
		{ClassBirthDate, "1990-05-17", "1990-**-**"},
		{ClassGeoPrecise, "39.9042,116.4074", "39.*,116.*"},
		{ClassGeoCoarse, "00.0", "00.*"},
		{ClassIPAddress, "192.168.1.1", "192.*"},
		{ClassHealth, "E11.9", "*****"},
		{ClassAddress, "北京市朝阳区建国路88号", "北京**********"},
		{ClassHKID, "D288754(2)", "D********)"},
	} {
		if got := Mask(x.c, x.v); got != x.want {
			t.Errorf("Mask(%s, %q) = %q, want %q", x.c, x.v, got, x.want)
		}
	}
}

func TestNameHints(t *testing.T) {
	for _, x := range []struct {
		name string
		want hintMask
		not  hintMask
	}{
		{"身份证号", hResidentID, hBankCard},
		{"id_card", hResidentID, hBankCard},
		{"IdCardNo", hResidentID, hBankCard},
		{"card_no", hBankCard, hResidentID},
		{"CustomerPhone", hPhone, 0},
		{"client_ip", hIP, 0},
		{"zip", 0, hIP},
		{"hotel", 0, hPhone},
		{"product_name", 0, hName},
		{"商品名称", 0, hName},
		{"姓名", hName, 0},
		{"IP地址", hIP | hAddress, 0},
		{"face_value", hBiometricWeak, hBiometric},
		{"纬度", hLat, 0},
		{"lng", hLon, 0},
	} {
		got := nameHints(x.name)
		if got&x.want != x.want || got&x.not != 0 {
			t.Errorf("nameHints(%q) = %b, want %b set and %b clear", x.name, got, x.want, x.not)
		}
	}
}

// TestDecodeRuneMatchesRange checks decodeRune against a range loop on
// valid and invalid text, including the three-byte edge cases.
func TestDecodeRuneMatchesRange(t *testing.T) {
	cases := []string{
		"", "abc", "北京市海淀区中关村大街1号", "é😀\uFFFD\uFFFF\u0800\uD7FF\uE000",
		"\xe0\xa0\x80\xe0\x9f\xbf", "\xed\x9f\xbf\xed\xa0\x80", "\xe4\xb8", "\xe4", "\xe4\xb8\x41", "\xe4\x41\xad",
		"\xc0\x80\xc2\x80\xf0\x90\x80\x80\xf4\x90\x80\x80\x80\xff", "路\xe8\xb7", "\xef\xbf\xbd",
	}
	for _, s := range cases {
		var want, got []rune
		var wantPos, gotPos []int
		for i, r := range s {
			want = append(want, r)
			wantPos = append(wantPos, i)
		}
		for i := 0; i < len(s); {
			r, size := decodeRune(s, i)
			got = append(got, r)
			gotPos = append(gotPos, i)
			i += size
		}
		if !slices.Equal(got, want) || !slices.Equal(gotPos, wantPos) {
			t.Errorf("%q: decodeRune gives %q at %v, range gives %q at %v", s, got, gotPos, want, wantPos)
		}
	}
}

// TestAddressMarkers checks the perfect-hash marker table against the
// marker lists, and that no other rune of a sample of text is a marker.
func TestAddressMarkers(t *testing.T) {
	kindOf := func(r rune) uint8 {
		if m := addrMarkers[r%addrHashMod]; m.r == r {
			return m.kind
		}
		return addrNone
	}
	for _, r := range addrAreaRunes {
		if kindOf(r) != addrArea {
			t.Errorf("%q not an area marker", r)
		}
	}
	for _, r := range addrStreetRunes {
		if kindOf(r) != addrStreet {
			t.Errorf("%q not a street marker", r)
		}
	}
	for r := rune(0); r < 0x10000; r++ {
		if kindOf(r) != addrNone && !strings.ContainsRune(addrAreaRunes+addrStreetRunes, r) {
			t.Errorf("%q (U+%04X) wrongly a marker", r, r)
		}
	}
}
