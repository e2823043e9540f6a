package synth

import (
	"math/rand/v2"
	"net/netip"
	"strconv"

	"github.com/xborder/xborder/internal/classify"
)

// This file holds the generators of valid values. Each takes the caller's
// seeded *rand.Rand and keeps no state of its own; the append* forms write
// into a caller's buffer for the CSV hot loop.

// appendDigits appends n pseudo-random decimal digits, 18 per draw.
func appendDigits(dst []byte, r *rand.Rand, n int) []byte {
	for n > 0 {
		u := r.Uint64()
		k := min(n, 18)
		for i := 0; i < k; i++ {
			dst = append(dst, byte('0'+u%10))
			u /= 10
		}
		n -= k
	}
	return dst
}

// appendPad appends v (≥ 0) in decimal, left-padded with zeros to width.
func appendPad(dst []byte, v, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for v > 0 || len(buf)-i < width || i == len(buf) {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[i:]...)
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (H. Hinnant's days_from_civil inverse).
func civil(days int64) (y, m, d int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		yy++
	}
	return int(yy), m, d
}

// daysFromCivil is the inverse of civil.
func daysFromCivil(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := yy / 400
	if yy < 0 && yy%400 != 0 {
		era--
	}
	yoe := yy - era*400
	mm := int64(m)
	if mm > 2 {
		mm -= 3
	} else {
		mm += 9
	}
	doy := (153*mm+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// Birth-date ranges, in days since 1970-01-01.
var (
	day1940 = daysFromCivil(1940, 1, 1)
	day2006 = daysFromCivil(2006, 1, 1) // adults only in the CSV data set
	day2013 = daysFromCivil(2013, 1, 1)
	day2021 = daysFromCivil(2021, 1, 1)
)

// appendDate appends days as YYYYMMDD, or with sep between the parts.
func appendDate(dst []byte, days int64, sep byte) []byte {
	y, m, d := civil(days)
	dst = appendPad(dst, y, 4)
	if sep != 0 {
		dst = append(dst, sep)
	}
	dst = appendPad(dst, m, 2)
	if sep != 0 {
		dst = append(dst, sep)
	}
	return appendPad(dst, d, 2)
}

// appendResidentID appends the 18-character GB 11643-1999 number of a person
// registered in regions[region], born days after 1970-01-01, with the
// three-digit sequence seq (odd for men, even for women).
func appendResidentID(dst []byte, region int, days int64, seq int) []byte {
	start := len(dst)
	dst = append(dst, regions[region].Code...)
	dst = appendDate(dst, days, 0)
	dst = appendPad(dst, seq, 3)
	c, _ := classify.ResidentIDCheckChar(string(dst[start:]))
	return append(dst, c)
}

// ResidentID returns a valid 18-character resident identity number: a real
// county code, a birth date in 1940–2020 and a correct check character.
func ResidentID(r *rand.Rand) string {
	return string(appendResidentID(nil, r.IntN(len(regions)), day1940+r.Int64N(day2021-day1940), r.IntN(1000)))
}

// mobilePrefixes are the three-digit prefixes of mainland mobile numbers.
var mobilePrefixes = [...]int{
	130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 145, 147, 150, 151, 152, 153, 155, 156, 157, 158, 159,
	166, 170, 171, 172, 173, 174, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189,
	191, 198, 199,
}

// appendMobile appends mobilePrefixes[prefix] and the eight digits of suffix.
func appendMobile(dst []byte, prefix, suffix int) []byte {
	dst = strconv.AppendInt(dst, int64(mobilePrefixes[prefix]), 10)
	return appendPad(dst, suffix, 8)
}

// CNMobile returns an 11-digit mainland mobile number with a real prefix.
func CNMobile(r *rand.Rand) string {
	return string(appendMobile(nil, r.IntN(len(mobilePrefixes)), r.IntN(100_000_000)))
}

// unionPayIINs are issuer prefixes of UnionPay cards of large Chinese banks.
var unionPayIINs = [...]string{
	"622202", "622848", "621700", "622588", "621226", "622700", "623058", "622262",
	"621483", "621661", "622150", "622260", "621799", "625965", "628288", "622908",
}

// appendBankCard appends a Luhn-valid UnionPay card number of 16–19 digits.
func appendBankCard(dst []byte, r *rand.Rand) []byte {
	n := 16
	switch x := r.IntN(100); {
	case x < 38:
		n = 19
	case x < 41:
		n = 17
	case x < 44:
		n = 18
	}
	start := len(dst)
	dst = append(dst, unionPayIINs[r.IntN(len(unionPayIINs))]...)
	dst = appendDigits(dst, r, n-7)
	c, _ := classify.LuhnCheckDigit(string(dst[start:]))
	return append(dst, c)
}

// BankCard returns a Luhn-valid UnionPay card number (62 IIN, 16–19 digits).
func BankCard(r *rand.Rand) string { return string(appendBankCard(nil, r)) }

// usccAlphabet is the GB 32100-2015 code alphabet (no I, O, Z, S, V).
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// orgCodeCheck returns the GB 11714 check character of an eight-character
// organisation code body.
func orgCodeCheck(body []byte) byte {
	w := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, c := range body {
		v := int(c - '0')
		if c >= 'A' {
			v = int(c-'A') + 10
		}
		sum += v * w[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + c)
	}
}

// USCC returns a valid unified social credit code: registration authority
// 9 (market regulation), an organisation type, a real division code, an
// organisation code with its own GB 11714 check, and the GB 32100 check.
func USCC(r *rand.Rand) string {
	b := make([]byte, 0, 18)
	b = append(b, '9', "1231"[r.IntN(4)])
	b = append(b, regions[r.IntN(len(regions))].Code...)
	body := len(b)
	if r.IntN(2) == 0 {
		b = append(b, 'M', 'A')
		for i := 0; i < 6; i++ {
			b = append(b, usccAlphabet[r.IntN(len(usccAlphabet))])
		}
	} else {
		b = appendDigits(b, r, 8)
	}
	b = append(b, orgCodeCheck(b[body:]))
	c, _ := classify.USCCCheckChar(string(b))
	return string(append(b, c))
}

// HKID returns a valid Hong Kong identity card number, one or two letters,
// six digits and the check character, in parentheses when paren is set.
func HKID(r *rand.Rand, paren bool) string {
	b := make([]byte, 0, 11)
	if r.IntN(10) == 0 {
		b = append(b, "WX"[r.IntN(2)], byte('A'+r.IntN(3)))
	} else {
		b = append(b, "ACDEGHKMPRVYZ"[r.IntN(13)])
	}
	b = appendDigits(b, r, 6)
	c, _ := classify.HKIDCheckChar(string(b))
	if paren {
		return string(append(append(append(b, '('), c), ')'))
	}
	return string(append(b, c))
}

// ibanCountries are the countries IBAN generates.
var ibanCountries = [...]string{"DE", "GB", "FR", "NL", "ES"}

// IBAN returns a valid IBAN of country (DE, GB, FR, NL or ES; else DE) with
// the country's length: DE 22, GB 22, FR 27, NL 18, ES 24. FR carries a
// correct RIB key and ES correct control digits.
func IBAN(r *rand.Rand, country string) string {
	letters := func(b []byte, n int) []byte {
		for i := 0; i < n; i++ {
			b = append(b, byte('A'+r.IntN(26)))
		}
		return b
	}
	var bban []byte
	switch country {
	case "GB":
		bban = letters(nil, 4)
		bban = appendDigits(bban, r, 14)
	case "FR":
		bban = appendDigits(nil, r, 21)
		bban = append(bban, ribKey(bban)...)
	case "NL":
		bban = letters(nil, 4)
		bban = appendDigits(bban, r, 10)
	case "ES":
		bank := appendDigits(nil, r, 8)
		acct := appendDigits(nil, r, 10)
		bban = append(bban, bank...)
		bban = append(bban, esControl(append([]byte("00"), bank...)), esControl(acct))
		bban = append(bban, acct...)
	default:
		country = "DE"
		bban = appendDigits(nil, r, 18)
	}
	cd, _ := classify.IBANCheckDigits(country, string(bban))
	return country + cd + string(bban)
}

// ribKey returns the two-digit French RIB key of bank(5) branch(5) account(11).
func ribKey(d []byte) []byte {
	num := func(s []byte) int64 {
		var v int64
		for _, c := range s {
			v = v*10 + int64(c-'0')
		}
		return v
	}
	k := 97 - (89*num(d[:5])+15*num(d[5:10])+3*(num(d[10:21])%97))%97
	return appendPad(nil, int(k), 2)
}

// esControl returns a Spanish CCC control digit over ten digits.
func esControl(d []byte) byte {
	w := [10]int{1, 2, 4, 8, 5, 10, 9, 7, 3, 6}
	sum := 0
	for i, c := range d {
		sum += int(c-'0') * w[i]
	}
	switch c := 11 - sum%11; c {
	case 11:
		return '0'
	case 10:
		return '1'
	default:
		return byte('0' + c)
	}
}

// USSSN returns a US social security number valid under Presidio's rules
// (area not 000, 666 or 9xx; group not 00; serial not 0000; not one repeated
// digit; not a known sample), dashed when dashes is set.
func USSSN(r *rand.Rand, dashes bool) string {
	for {
		area := 1 + r.IntN(899)
		group := 1 + r.IntN(99)
		serial := 1 + r.IntN(9999)
		if area == 666 {
			continue
		}
		b := appendPad(make([]byte, 0, 11), area, 3)
		if dashes {
			b = append(b, '-')
		}
		b = appendPad(b, group, 2)
		if dashes {
			b = append(b, '-')
		}
		b = appendPad(b, serial, 4)
		s := string(b)
		switch digits(s) {
		case "078051120", "123456789", "219099999", "457555462":
			continue
		}
		if allSame(digits(s)) {
			continue
		}
		return s
	}
}

func digits(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

func allSame(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] != s[0] {
			return false
		}
	}
	return true
}

// Passport returns a PRC ordinary passport number: E + 8 digits (before
// 2017), E + a letter other than I and O + 7 digits, or the older G + 8.
func Passport(r *rand.Rand) string {
	b := make([]byte, 0, 9)
	switch x := r.IntN(10); {
	case x < 4:
		b = append(b, 'E', byte('1'+r.IntN(9)))
		b = appendDigits(b, r, 7)
	case x < 8:
		b = append(b, 'E', "ABCDEFGHJKLMNPQRSTUVWXYZ"[r.IntN(24)])
		b = appendDigits(b, r, 7)
	default:
		b = append(b, 'G', byte('1'+r.IntN(9)))
		b = appendDigits(b, r, 7)
	}
	return string(b)
}

// IPv4 returns a dotted-quad address, mostly public, sometimes private.
func IPv4(r *rand.Rand) string {
	var a [4]byte
	switch r.IntN(5) {
	case 0:
		a = [4]byte{192, 168, byte(r.IntN(256)), byte(1 + r.IntN(254))}
	case 1:
		a = [4]byte{10, byte(r.IntN(256)), byte(r.IntN(256)), byte(1 + r.IntN(254))}
	default:
		first := []byte{36, 39, 42, 58, 59, 60, 61, 101, 106, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119,
			120, 121, 122, 123, 124, 125, 175, 180, 182, 183, 202, 203, 210, 211, 218, 219, 220, 221, 222, 223}
		a = [4]byte{first[r.IntN(len(first))], byte(r.IntN(256)), byte(r.IntN(256)), byte(1 + r.IntN(254))}
	}
	return netip.AddrFrom4(a).String()
}

// IPv6 returns a global unicast address in a Chinese operator's range, in
// canonical (compressed) form.
func IPv6(r *rand.Rand) string {
	var a [16]byte
	p := [][2]byte{{0x24, 0x0e}, {0x24, 0x08}, {0x24, 0x09}, {0x2a, 0x01}, {0x20, 0x01}}[r.IntN(4)]
	a[0], a[1] = p[0], p[1]
	for i := 2; i < 16; i++ {
		if i >= 8 && i < 12 && r.IntN(2) == 0 {
			continue // leave runs of zeros to compress
		}
		a[i] = byte(r.IntN(256))
	}
	return netip.AddrFrom16(a).String()
}

// China's bounding box, in degrees.
const (
	latMin, latMax = 18.2, 53.5
	lonMin, lonMax = 73.6, 134.7
)

// GeoPrecise returns a latitude and longitude in China with five decimals
// (about a metre).
func GeoPrecise(r *rand.Rand) (lat, lon string) {
	return fixed(latMin+r.Float64()*(latMax-latMin), 5), fixed(lonMin+r.Float64()*(lonMax-lonMin), 5)
}

// GeoCoarse returns a latitude and longitude in China with one decimal
// (about ten kilometres): not precise location.
func GeoCoarse(r *rand.Rand) (lat, lon string) {
	return fixed(latMin+r.Float64()*(latMax-latMin), 1), fixed(lonMin+r.Float64()*(lonMax-lonMin), 1)
}

func fixed(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

// DateLayout selects how BirthDate writes a date.
type DateLayout int

// Birth-date layouts for BirthDate.
const (
	DateISO     DateLayout = iota // 1987-03-12
	DateSlash                     // 1987/3/12
	DateCompact                   // 19870312
	DateChinese                   // 1987年3月12日
)

// BirthDate returns a birth date in 1940–2020 in one of the Date* layouts.
func BirthDate(r *rand.Rand, layout DateLayout) string {
	return formatDate(day1940+r.Int64N(day2021-day1940), layout)
}

func formatDate(days int64, layout DateLayout) string {
	y, m, d := civil(days)
	b := make([]byte, 0, 16)
	switch layout {
	case DateSlash:
		b = strconv.AppendInt(b, int64(y), 10)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(m), 10)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(d), 10)
	case DateCompact:
		b = appendDate(b, days, 0)
	case DateChinese:
		b = strconv.AppendInt(b, int64(y), 10)
		b = append(b, "年"...)
		b = strconv.AppendInt(b, int64(m), 10)
		b = append(b, "月"...)
		b = strconv.AppendInt(b, int64(d), 10)
		b = append(b, "日"...)
	default:
		b = appendDate(b, days, '-')
	}
	return string(b)
}

// appendAmount appends a money amount with two decimals, skewed small.
func appendAmount(dst []byte, r *rand.Rand) []byte {
	scale := [...]int64{10_000, 100_000, 1_000_000, 10_000_000}[r.IntN(4)]
	cents := 1 + r.Int64N(scale)
	dst = strconv.AppendInt(dst, cents/100, 10)
	dst = append(dst, '.')
	return appendPad(dst, int(cents%100), 2)
}

// Amount returns a money amount such as "1234.56".
func Amount(r *rand.Rand) string { return string(appendAmount(nil, r)) }
