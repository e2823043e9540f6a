package synth

import (
	"math/rand/v2"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/classify"
)

const draws = 2000

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 42)) }

func residentIDValid(s string) bool {
	if len(s) != 18 {
		return false
	}
	c, ok := classify.ResidentIDCheckChar(s[:17])
	return ok && c == s[17]
}

func regionKnown(code string) bool {
	for _, g := range regions {
		if g.Code == code {
			return true
		}
	}
	return false
}

func hkidValid(s string) bool {
	s = strings.NewReplacer("(", "", ")", "", " ", "").Replace(s)
	if len(s) < 8 {
		return false
	}
	c, ok := classify.HKIDCheckChar(s[:len(s)-1])
	return ok && c == s[len(s)-1]
}

func TestRegionsTable(t *testing.T) {
	seen := map[string]bool{}
	provinces := map[string]bool{}
	for _, g := range regions {
		if len(g.Code) != 6 || strings.Trim(g.Code, "0123456789") != "" {
			t.Errorf("bad code %q", g.Code)
		}
		if seen[g.Code] {
			t.Errorf("duplicate code %s", g.Code)
		}
		seen[g.Code] = true
		provinces[g.Code[:2]] = true
		if g.Province == "" || g.District == "" {
			t.Errorf("%s: missing names", g.Code)
		}
	}
	if len(regions) < 300 || len(provinces) != 31 {
		t.Errorf("%d regions in %d provinces, want ≥ 300 in 31", len(regions), len(provinces))
	}
}

func TestResidentIDValid(t *testing.T) {
	r := newRand(1)
	seqParity := [2]int{}
	for range draws {
		s := ResidentID(r)
		if !residentIDValid(s) {
			t.Fatalf("%s: bad check character", s)
		}
		if !regionKnown(s[:6]) {
			t.Fatalf("%s: unknown region", s)
		}
		y, _ := strconv.Atoi(s[6:10])
		m, _ := strconv.Atoi(s[10:12])
		d, _ := strconv.Atoi(s[12:14])
		if y < 1940 || y > 2020 || daysFromCivil(y, m, d) < day1940 || formatDate(daysFromCivil(y, m, d), DateCompact) != s[6:14] {
			t.Fatalf("%s: bad birth date", s)
		}
		seqParity[(s[16]-'0')%2]++
	}
	if seqParity[0] < draws/3 || seqParity[1] < draws/3 {
		t.Errorf("sequence parity skewed: %v", seqParity)
	}
}

func TestCivilRoundTrip(t *testing.T) {
	for d := day1940 - 400; d < day2021+400; d++ {
		y, m, dd := civil(d)
		if daysFromCivil(y, m, dd) != d {
			t.Fatalf("day %d → %d-%d-%d → %d", d, y, m, dd, daysFromCivil(y, m, dd))
		}
	}
	if y, m, d := civil(0); y != 1970 || m != 1 || d != 1 {
		t.Fatalf("civil(0) = %d-%d-%d", y, m, d)
	}
	if got := string(appendPad(nil, 7, 3)) + string(appendPad(nil, 0, 1)) + string(appendPad(nil, 1234, 2)); got != "00701234" {
		t.Fatalf("appendPad: %q", got)
	}
}

func TestMobileValid(t *testing.T) {
	r := newRand(2)
	for range draws {
		s := CNMobile(r)
		p, _ := strconv.Atoi(s[:3])
		if len(s) != 11 || strings.Trim(s, "0123456789") != "" || !slices.Contains(mobilePrefixes[:], p) {
			t.Fatalf("bad mobile %q", s)
		}
	}
}

func TestBankCardValid(t *testing.T) {
	r := newRand(3)
	lengths := map[int]int{}
	for range draws {
		s := BankCard(r)
		if !strings.HasPrefix(s, "62") || len(s) < 16 || len(s) > 19 || !classify.LuhnValid(s) {
			t.Fatalf("bad card %q", s)
		}
		lengths[len(s)]++
	}
	if lengths[16] == 0 || lengths[19] == 0 {
		t.Errorf("card lengths %v", lengths)
	}
}

func TestUSCCValid(t *testing.T) {
	r := newRand(4)
	for range draws {
		s := USCC(r)
		c, ok := classify.USCCCheckChar(s[:17])
		if len(s) != 18 || !ok || c != s[17] || !regionKnown(s[2:8]) {
			t.Fatalf("bad USCC %q", s)
		}
		if orgCodeCheck([]byte(s[8:16])) != s[16] {
			t.Fatalf("%s: bad organisation-code check", s)
		}
	}
}

func TestHKIDValid(t *testing.T) {
	r := newRand(5)
	re := regexp.MustCompile(`^[A-Z]{1,2}[0-9]{6}(\([0-9A]\)|[0-9A])$`)
	for i := range draws {
		s := HKID(r, i%2 == 0)
		if !re.MatchString(s) || !hkidValid(s) || (i%2 == 0) != strings.Contains(s, "(") {
			t.Fatalf("bad HKID %q", s)
		}
	}
	// The worked example of the HK check-digit slides.
	if c, _ := classify.HKIDCheckChar("D288754"); c != '2' {
		t.Fatalf("HKIDCheckChar(D288754) = %c", c)
	}
}

func TestIBANValid(t *testing.T) {
	r := newRand(6)
	wantLen := map[string]int{"DE": 22, "GB": 22, "FR": 27, "NL": 18, "ES": 24}
	for i := range draws {
		c := ibanCountries[i%len(ibanCountries)]
		s := IBAN(r, c)
		if len(s) != wantLen[c] || s[:2] != c || !classify.IBANValid(s) {
			t.Fatalf("bad IBAN %q", s)
		}
		if c == "FR" {
			// bank(5) branch(5) account(11) key(2): the RIB key checks.
			if k := ribKey([]byte(s[4:25])); string(k) != s[25:] {
				t.Fatalf("%s: bad RIB key %s", s, k)
			}
		}
	}
	// A published example: GB82 WEST 1234 5698 7654 32.
	if !classify.IBANValid("GB82WEST12345698765432") {
		t.Fatal("IBANValid rejects the textbook example")
	}
}

func TestUSSSNValid(t *testing.T) {
	r := newRand(7)
	for i := range draws {
		s := USSSN(r, i%2 == 0)
		d := digits(s)
		if len(d) != 9 {
			t.Fatalf("bad SSN %q", s)
		}
		area, group, serial := d[:3], d[3:5], d[5:]
		if area == "000" || area == "666" || area[0] == '9' || group == "00" || serial == "0000" || allSame(d) {
			t.Fatalf("SSN %q breaks Presidio's rules", s)
		}
		if i%2 == 0 && (len(s) != 11 || s[3] != '-' || s[6] != '-') {
			t.Fatalf("SSN %q not dashed", s)
		}
	}
}

func TestPassportIPGeo(t *testing.T) {
	r := newRand(8)
	pass := regexp.MustCompile(`^(E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8})$`)
	for range draws {
		if s := Passport(r); !pass.MatchString(s) {
			t.Fatalf("bad passport %q", s)
		}
		if a, err := netip.ParseAddr(IPv4(r)); err != nil || !a.Is4() {
			t.Fatalf("bad IPv4: %v", err)
		}
		if a, err := netip.ParseAddr(IPv6(r)); err != nil || !a.Is6() || a.Is4In6() {
			t.Fatalf("bad IPv6: %v", err)
		}
		lat, lon := GeoPrecise(r)
		clat, clon := GeoCoarse(r)
		for _, c := range []struct {
			s        string
			dec      int
			min, max float64
		}{{lat, 5, latMin, latMax}, {lon, 5, lonMin, lonMax}, {clat, 1, latMin, latMax}, {clon, 1, lonMin, lonMax}} {
			v, err := strconv.ParseFloat(c.s, 64)
			if err != nil || v < c.min || v > c.max || len(c.s)-strings.IndexByte(c.s, '.')-1 != c.dec {
				t.Fatalf("bad coordinate %q", c.s)
			}
		}
	}
}

func TestTextValues(t *testing.T) {
	r := newRand(9)
	email := regexp.MustCompile(`^[a-z0-9._]+@[a-z0-9.-]+\.[a-z]+$`)
	cjk := regexp.MustCompile(`^\p{Han}{2,4}$`)
	embedded := map[classify.Class]int{}
	for range draws {
		if s := Email(r); !email.MatchString(s) {
			t.Fatalf("bad email %q", s)
		}
		if s := ChineseName(r); !cjk.MatchString(s) {
			t.Fatalf("bad name %q", s)
		}
		if s := ChineseAddress(r); !strings.Contains(s, "号") || !strings.ContainsAny(s, "省市区") {
			t.Fatalf("bad address %q", s)
		}
		if s := EnglishAddress(r); !strings.Contains(s, ", ") {
			t.Fatalf("bad English address %q", s)
		}
		for _, layout := range []DateLayout{DateISO, DateSlash, DateCompact, DateChinese} {
			if s := BirthDate(r, layout); !strings.HasPrefix(s, "19") && !strings.HasPrefix(s, "20") {
				t.Fatalf("bad birth date %q", s)
			}
		}
		if s := Amount(r); strings.IndexByte(s, '.') != len(s)-3 {
			t.Fatalf("bad amount %q", s)
		}
		ft := FreeText(r)
		embedded[ft.Embedded]++
		switch ft.Embedded {
		case classify.ClassCNResidentID:
			if !residentIDValid(ft.Value) || !strings.Contains(ft.Text, ft.Value) {
				t.Fatalf("free text %q: embedded ID %q", ft.Text, ft.Value)
			}
		case classify.ClassCNMobile:
			if !strings.Contains(ft.Text, ft.Value) {
				t.Fatalf("free text %q lacks %q", ft.Text, ft.Value)
			}
		}
	}
	if embedded[classify.ClassCNMobile] == 0 || embedded[classify.ClassCNResidentID] == 0 || embedded[classify.ClassNone] < draws/2 {
		t.Errorf("free-text labels %v", embedded)
	}
}

func TestDecoysInvalid(t *testing.T) {
	r := newRand(10)
	for range draws {
		if s := OrderNumber(r); len(s) != 18 || residentIDValid(s) {
			t.Fatalf("order number %q passes the resident-ID check", s)
		}
		if s := LookalikeResidentID(r); len(s) != 18 || residentIDValid(s) || !regionKnown(s[:6]) {
			t.Fatalf("lookalike %q is valid or has an unknown region", s)
		}
		if s := LuhnFailing(r); len(s) != 16 || classify.LuhnValid(s) {
			t.Fatalf("%q passes Luhn", s)
		}
		if s := BadMobile(r); len(s) != 11 || s[0] != '1' || s[1] > '2' {
			t.Fatalf("bad-mobile decoy %q", s)
		} else if p, _ := strconv.Atoi(s[:3]); slices.Contains(mobilePrefixes[:], p) {
			t.Fatalf("bad-mobile decoy %q has a real prefix", s)
		}
		if s := BadHKID(r); hkidValid(s) {
			t.Fatalf("bad HKID %q is valid", s)
		}
		if s := OrderTimestamp(r); s[:3] != "202" || s[3] < '3' || s[3] > '5' {
			t.Fatalf("timestamp %q outside 2023–2025", s)
		}
		if s := UUID(r); len(s) != 36 || s[14] != '4' {
			t.Fatalf("bad UUID %q", s)
		}
		if s := ProductCode(r); !strings.HasPrefix(s, "SKU-") {
			t.Fatalf("bad product code %q", s)
		}
	}
}

// TestTablesCSVSafe guards the CSV writer's assumption that no table string
// needs quoting.
func TestTablesCSVSafe(t *testing.T) {
	var all []string
	for _, g := range regions {
		all = append(all, g.Province, g.City, g.District)
	}
	for _, w := range surnames {
		all = append(all, w.S, w.Pinyin)
	}
	for _, w := range givenChars {
		all = append(all, w.S, w.Pinyin)
	}
	for _, d := range diagnoses {
		all = append(all, d.ZH, d.ICD, d.EN)
	}
	all = append(all, roads[:]...)
	all = append(all, estates[:]...)
	all = append(all, emailDomains[:]...)
	all = append(all, remarksZH[:]...)
	all = append(all, remarksZHSlot[:]...)
	all = append(all, remarksIDSlot[:]...)
	all = append(all, remarksEN[:]...)
	for _, s := range all {
		if strings.ContainsAny(s, ",\"\r\n") {
			t.Errorf("table string %q needs CSV quoting", s)
		}
	}
}
