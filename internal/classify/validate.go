package classify

import (
	"net/netip"
	"unicode/utf8"
)

// Validators: each takes one raw cell value and says whether it is a value
// of its class. They are pure, allocation-free (IPv6 with a zone excepted)
// and use no regular expressions, because the
// pipeline runs the chosen one over every value of a column.
//
// A validator answers noMatch, weakMatch (right shape, nothing to check it
// against: a 15-digit legacy resident ID, a bare 9-digit SSN, a coarse
// coordinate) or strongMatch (shape plus check digit, date, region code or
// a shape specific enough on its own: a +86 mobile, an e-mail address).

type match uint8

const (
	noMatch match = iota
	weakMatch
	strongMatch
)

// colEnv is what a validator may know beyond the value: the reference date
// (for birth dates and ages) and the column's name hints (for bare
// latitude/longitude columns).
type colEnv struct {
	ref   int // reference date as yyyymmdd
	hints hintMask
}

func dateInt(y, m, d int) int { return y*10000 + m*100 + d }

// TrimSpace trims ASCII white space and the ideographic space U+3000.
func TrimSpace(s string) string {
	for len(s) > 0 {
		switch {
		case s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n':
			s = s[1:]
		case len(s) >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80:
			s = s[3:]
		default:
			goto right
		}
	}
right:
	for len(s) > 0 {
		n := len(s)
		switch {
		case s[n-1] == ' ' || s[n-1] == '\t' || s[n-1] == '\r' || s[n-1] == '\n':
			s = s[:n-1]
		case n >= 3 && s[n-3] == 0xE3 && s[n-2] == 0x80 && s[n-1] == 0x80:
			s = s[:n-3]
		default:
			return s
		}
	}
	return s
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isAlpha(c byte) bool { return isUpper(c) || isLower(c) }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// compact copies the letters and digits of s into buf, upper-cased, dropping
// spaces, '-' and the separators in seps; full-width digits and letters
// (U+FF10–U+FF5A) become ASCII. ok is false on any other character or when
// the result exceeds buf.
func compact(s string, buf []byte, seps string) (out []byte, ok bool) {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isDigit(c) || isUpper(c):
		case isLower(c):
			c -= 'a' - 'A'
		case c == ' ' || c == '-':
			i++
			continue
		case c < utf8.RuneSelf:
			if !hasByte(seps, c) {
				return nil, false
			}
			i++
			continue
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r >= '０' && r <= '９':
				c = byte(r-'０') + '0'
			case r >= 'Ａ' && r <= 'Ｚ':
				c = byte(r-'Ａ') + 'A'
			case r >= 'ａ' && r <= 'ｚ':
				c = byte(r-'ａ') + 'A'
			case r == '\u3000' || r == '－':
				i += size
				continue
			default:
				return nil, false
			}
			if n >= len(buf) {
				return nil, false
			}
			buf[n] = c
			n++
			i += size
			continue
		}
		if n >= len(buf) {
			return nil, false
		}
		buf[n] = c
		n++
		i++
	}
	return buf[:n], true
}

func hasByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// plainAlnum reports whether s is made only of ASCII digits and upper-case
// letters, so that it can be validated without compact's copy.
func plainAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && !isUpper(s[i]) {
			return false
		}
	}
	return true
}

func num2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }
func num4(s string) int { return num2(s[:2])*100 + num2(s[2:4]) }

func daysIn(y, m int) int {
	switch m {
	case 1, 3, 5, 7, 8, 10, 12:
		return 31
	case 4, 6, 9, 11:
		return 30
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	}
	return 0
}

// plausibleBirth reports whether y-m-d is a real day from 1900-01-01 to the
// reference day.
func plausibleBirth(y, m, d, ref int) bool {
	if y < 1900 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return false
	}
	return ref == 0 || dateInt(y, m, d) <= ref
}

// ageOn is the age in whole years on ref of a person born on birth (both
// yyyymmdd).
func ageOn(birth, ref int) int {
	a := ref/10000 - birth/10000
	if ref%10000 < birth%10000 {
		a--
	}
	return a
}

// minorAge is the PIPL art 28 line: personal information of minors under 14.
const minorAge = 14

// provinces holds the GB/T 2260 province-level codes a resident ID can start
// with: the 31 mainland provinces, 71 Taiwan, and 81/82/83 used by the
// residence permits of Hong Kong, Macao and Taiwan residents.
var provinces = func() (t [100]bool) {
	for _, c := range []int{11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
		41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83} {
		t[c] = true
	}
	return t
}()

// residentID validates a PRC resident identity number: 18 characters
// (GB 11643-1999: GB/T 2260 province prefix, birth date from 1900 to the
// reference day, MOD 11-2 check character) → strong; the 15-digit GB
// 11643-1989 form (province, 19YYMMDD birth date, no check digit) → weak.
func residentID(v string, e *colEnv) match {
	s := TrimSpace(v)
	if len(s) == 18 && plainAlnum(s) {
		return residentIDCore(s, e.ref)
	}
	if len(s) == 15 && allDigits(s) {
		return residentIDCore(s, e.ref)
	}
	var buf [24]byte
	b, ok := compact(s, buf[:], "")
	if !ok || (len(b) != 18 && len(b) != 15) {
		return noMatch
	}
	return residentIDCore(string(b), e.ref)
}

func residentIDCore(s string, ref int) match {
	switch len(s) {
	case 18:
		for i := 0; i < 17; i++ {
			if !isDigit(s[i]) {
				return noMatch
			}
		}
		if !isDigit(s[17]) && s[17] != 'X' {
			return noMatch
		}
		if !provinces[num2(s)] || !plausibleBirth(num4(s[6:]), num2(s[10:]), num2(s[12:]), ref) {
			return noMatch
		}
		if c, ok := ResidentIDCheckChar(s[:17]); !ok || c != s[17] {
			return noMatch
		}
		return strongMatch
	case 15:
		if !allDigits(s) || !provinces[num2(s)] || !plausibleBirth(1900+num2(s[6:]), num2(s[8:]), num2(s[10:]), ref) {
			return noMatch
		}
		return weakMatch
	}
	return noMatch
}

// residentIDBirth returns the birth date (yyyymmdd) of a value residentID
// accepted.
func residentIDBirth(v string) (int, bool) {
	s := TrimSpace(v)
	var buf [24]byte
	if !(len(s) == 18 || len(s) == 15) || !plainAlnum(s) {
		b, ok := compact(s, buf[:], "")
		if !ok {
			return 0, false
		}
		s = string(b)
	}
	switch len(s) {
	case 18:
		return dateInt(num4(s[6:]), num2(s[10:]), num2(s[12:])), true
	case 15:
		return dateInt(1900+num2(s[6:]), num2(s[8:]), num2(s[10:])), true
	}
	return 0, false
}

// phoneDigits collects the digits of a phone number written with spaces,
// dashes, dots and parentheses; plus reports a leading '+'; seps counts the
// separators between digits.
func phoneDigits(s string, buf []byte) (d []byte, plus bool, seps int, ok bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf { // full-width digits, plus sign and hyphen
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r >= '０' && r <= '９':
				c = byte(r-'０') + '0'
			case r == '＋':
				c = '+'
			case r == '－' || r == '\u3000':
				c = '-'
			default:
				return nil, false, 0, false
			}
			i += size - 1
		}
		switch {
		case isDigit(c):
			if n >= len(buf) {
				return nil, false, 0, false
			}
			buf[n] = c
			n++
		case c == '+' && n == 0 && !plus:
			plus = true
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
			if n > 0 {
				seps++
			}
		default:
			return nil, false, 0, false
		}
	}
	return buf[:n], plus, seps, n > 0
}

// cnMobileDigits strips the +86 / 0086 / 86 prefix and reports whether the
// rest is an 11-digit PRC mobile number: 1, then 3–9, then 9 digits.
func cnMobileDigits(d []byte) bool {
	switch {
	case len(d) == 13 && d[0] == '8' && d[1] == '6':
		d = d[2:]
	case len(d) == 15 && d[0] == '0' && d[1] == '0' && d[2] == '8' && d[3] == '6':
		d = d[4:]
	}
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}

// cnMobile validates a PRC mobile number (optional +86/0086/86 prefix,
// spaces and dashes allowed). There is no check digit: an 11-digit number
// starting 13–19 is taken as strong evidence, the column decides.
func cnMobile(v string, _ *colEnv) match {
	var buf [20]byte
	d, _, _, ok := phoneDigits(TrimSpace(v), buf[:])
	if ok && cnMobileDigits(d) {
		return strongMatch
	}
	return noMatch
}

// phone validates other telephone numbers: E.164 with '+' (8–15 digits),
// Hong Kong (852 + 8 digits starting 2–9), Macao (853 + 8 digits), a PRC
// landline with its area code (0 + 2–3 digit area code + 7–8 digits;
// strong when a separator follows the area code) and PRC mobiles (so that
// a column mixing mobiles and landlines is one phone column). Ten-digit
// North American numbers and bare 8-digit local numbers are weak.
func phone(v string, _ *colEnv) match {
	var buf [24]byte
	d, plus, seps, ok := phoneDigits(TrimSpace(v), buf[:])
	if !ok {
		return noMatch
	}
	if cnMobileDigits(d) {
		return strongMatch
	}
	switch {
	case len(d) == 11 && d[0] == '8' && d[1] == '5' && (d[2] == '2' || d[2] == '3') && d[3] >= '2':
		return strongMatch
	case plus:
		if len(d) >= 8 && len(d) <= 15 && d[0] != '0' {
			return strongMatch
		}
	case d[0] == '0' && len(d) >= 10 && len(d) <= 12 && d[1] != '0':
		if seps > 0 {
			return strongMatch
		}
		return weakMatch
	case len(d) == 10 && d[0] >= '2' && d[3] >= '2' && seps >= 2:
		return weakMatch
	case len(d) == 8 && d[0] >= '2':
		// A Hong Kong or Macao number without its country code, or a
		// PRC landline without its area code: weak, counts under a hint.
		return weakMatch
	}
	return noMatch
}

// iinKnown reports whether a card number starts with a well-known issuer
// identification number: 62 UnionPay, 4 Visa, 51–55 and 2221–2720
// Mastercard, 34/37 American Express, 35 JCB, 6011/644–649/65 Discover,
// 30/36/38 Diners.
func iinKnown(d []byte) bool {
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	switch {
	case d[0] == '4', p2 == 62, p2 >= 51 && p2 <= 55, p2 == 34, p2 == 37, p2 == 35,
		p2 == 65, p2 == 30, p2 == 36, p2 == 38:
		return true
	}
	p4 := p2*100 + int(d[2]-'0')*10 + int(d[3]-'0')
	return (p4 >= 2221 && p4 <= 2720) || p4 == 6011 || (p4 >= 6440 && p4 <= 6499)
}

// bankCard validates a payment card number: 12–19 digits (spaces and dashes
// allowed) passing Luhn; strong with a known IIN, weak otherwise (some
// domestic cards have issuer prefixes outside the list).
func bankCard(v string, _ *colEnv) match {
	s := TrimSpace(v)
	var d []byte
	var buf [24]byte
	if len(s) >= 12 && len(s) <= 19 && allDigits(s) {
		if !LuhnValid(s) {
			return noMatch
		}
		n := copy(buf[:], s[:4])
		d = buf[:n]
	} else {
		var ok bool
		d, ok = compact(s, buf[:], "")
		if !ok || len(d) < 12 || len(d) > 19 || !allDigits(string(d)) || !LuhnValid(string(d)) {
			return noMatch
		}
	}
	if iinKnown(d) {
		return strongMatch
	}
	return weakMatch
}

// uscc validates a unified social credit code (GB 32100-2015): 18
// characters of the code alphabet with the MOD 31 check character.
func uscc(v string, _ *colEnv) match {
	s := TrimSpace(v)
	if len(s) != 18 || !plainAlnum(s) {
		var buf [24]byte
		b, ok := compact(s, buf[:], "")
		if !ok || len(b) != 18 {
			return noMatch
		}
		s = string(b)
	}
	if c, ok := USCCCheckChar(s[:17]); ok && c == s[17] {
		return strongMatch
	}
	return noMatch
}

func isEmailLocal(c byte) bool {
	return isAlnum(c) || hasByte(".!#$%&'*+/=?^_`{|}~-", c)
}

// email validates an address of the usual shape: a local part of at most 64
// characters without leading, trailing or doubled dots; a domain of at least
// two labels of letters, digits and hyphens (or UTF-8) whose last label is
// alphabetic and at least 2 long.
func email(v string, _ *colEnv) match {
	s := TrimSpace(v)
	at := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '@' {
			if at >= 0 {
				return noMatch
			}
			at = i
		}
	}
	if at < 1 || at > 64 || len(s)-at-1 < 4 || len(s) > 254 {
		return noMatch
	}
	if !emailLocalOK(s[:at]) || !emailDomainOK(s[at+1:]) {
		return noMatch
	}
	return strongMatch
}

func emailLocalOK(l string) bool {
	if l == "" || l[0] == '.' || l[len(l)-1] == '.' {
		return false
	}
	for i := 0; i < len(l); i++ {
		if !isEmailLocal(l[i]) || (l[i] == '.' && i > 0 && l[i-1] == '.') {
			return false
		}
	}
	return true
}

func emailDomainOK(d string) bool {
	labels, start := 0, 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			c := d[i]
			if !isAlnum(c) && c != '-' && c < utf8.RuneSelf {
				return false
			}
			continue
		}
		l := d[start:i]
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		labels++
		if i == len(d) { // top-level label
			if len(l) < 2 {
				return false
			}
			if l[0] < utf8.RuneSelf && !(len(l) > 4 && l[:4] == "xn--") {
				for j := 0; j < len(l); j++ {
					if !isAlpha(l[j]) {
						return false
					}
				}
			}
		}
		start = i + 1
	}
	return labels >= 2
}

// ipAddress validates an IPv4 (dotted quad) or IPv6 address with
// net/netip after a cheap shape check. Under a version-number column name
// nothing matches; without an IP name hint, an IPv4 address whose octets
// are all below 100 (as version numbers are) is weak.
func ipAddress(v string, e *colEnv) match {
	s := TrimSpace(v)
	if len(s) < 7 || len(s) > 64 {
		return noMatch
	}
	dots, colons := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			dots++
		case c == ':':
			colons++
		case isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '%':
		default:
			return noMatch
		}
	}
	if !(dots == 3 && colons == 0) && colons < 2 {
		return noMatch
	}
	a, err := netip.ParseAddr(s)
	if err != nil || e.hints&hVersion != 0 {
		return noMatch
	}
	if a.Is4() && e.hints&hIP == 0 {
		// Version numbers (7.1.0.2) parse as IPv4 too. Nearly all real
		// addresses have an octet of 100 or more; without a name hint the
		// others are weak.
		b := a.As4()
		if b[0] < 100 && b[1] < 100 && b[2] < 100 && b[3] < 100 {
			return weakMatch
		}
	}
	return strongMatch
}

// parseDecimal parses [+-]digits[.digits] and returns the value and the
// number of decimals.
func parseDecimal(s string) (val float64, decimals int, ok bool) {
	if s == "" {
		return 0, 0, false
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	var mant int64
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			if digits < 18 {
				mant = mant*10 + int64(c-'0')
				if dot {
					decimals++
				}
			}
			digits++
		case c == '.' && !dot && digits > 0:
			dot = true
		default:
			return 0, 0, false
		}
	}
	if digits == 0 || (dot && decimals == 0) {
		return 0, 0, false
	}
	val = float64(mant)
	for i := 0; i < decimals; i++ {
		val /= 10
	}
	if neg {
		val = -val
	}
	return val, decimals, true
}

// GeoPreciseDecimals is the number of decimal places from which a
// coordinate counts as precise geolocation. One degree of latitude is about
// 111 km, so 2 decimals resolve ~1.1 km and 3 decimals ~111 m: 3 decimals is
// the first precision within the "about 1,000 meters" of 28 CFR 202.242 and
// the TC260 drafters' "precise location" (sensitive PI).
const GeoPreciseDecimals = 3

// geo validates a coordinate pair "lat,lon" / "lat lon" / "(lat, lon)" (or
// lon first when the first number is out of latitude range), or,
// in a column whose name says latitude or longitude, a single coordinate.
// Both parts must be in range; strong when every part has at least
// GeoPreciseDecimals decimals (precise), weak otherwise (coarse).
func geo(v string, e *colEnv) match {
	s := TrimSpace(v)
	if len(s) > 2 && s[0] == '(' && s[len(s)-1] == ')' {
		s = TrimSpace(s[1 : len(s)-1])
	}
	sep := -1
	for i := 0; i < len(s); i++ {
		if s[i] == ',' || s[i] == ' ' || s[i] == ';' {
			sep = i
			break
		}
	}
	if sep < 0 {
		if e.hints&(hLat|hLon|hGeo) == 0 {
			return noMatch
		}
		x, dec, ok := parseDecimal(s)
		limit := 180.0
		if e.hints&(hLat|hLon) == hLat {
			limit = 90
		}
		if !ok || x < -limit || x > limit || dec == 0 {
			return noMatch
		}
		if dec >= GeoPreciseDecimals {
			return strongMatch
		}
		return weakMatch
	}
	lat, d1, ok1 := parseDecimal(s[:sep])
	lon, d2, ok2 := parseDecimal(TrimSpace(trimLeft(s[sep+1:], ',')))
	if (lat < -90 || lat > 90) && lon >= -90 && lon <= 90 {
		lat, lon = lon, lat // "lon,lat" order (GeoJSON, many map APIs)
	}
	if !ok1 || !ok2 || d1 == 0 || d2 == 0 || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return noMatch
	}
	if d1 >= GeoPreciseDecimals && d2 >= GeoPreciseDecimals {
		return strongMatch
	}
	return weakMatch
}

func trimLeft(s string, c byte) string {
	s = TrimSpace(s)
	for len(s) > 0 && s[0] == c {
		s = s[1:]
	}
	return s
}

// geoPrecise and geoCoarse split geo's answer into the two classes.
func geoPrecise(v string, e *colEnv) match {
	if geo(v, e) == strongMatch {
		return strongMatch
	}
	return noMatch
}

func geoCoarse(v string, e *colEnv) match {
	if geo(v, e) != noMatch {
		return strongMatch
	}
	return noMatch
}

// passport validates passport-number shapes. Passports carry no check
// digit, so the classifier accepts the class only with a name hint. PRC
// patterns are strong: E + 8 digits (before 2017), E + letter (not I/O) +
// 7 digits, G + 8 digits, DE/SE/PE + 7 digits, K + 8 digits (HK SAR),
// MA + 7 digits (Macao SAR). Other shapes (1–2 letters + 6–9 digits, 9
// digits) are weak.
func passport(v string, _ *colEnv) match {
	var buf [16]byte
	b, ok := compact(TrimSpace(v), buf[:], "")
	if !ok || len(b) < 7 || len(b) > 11 {
		return noMatch
	}
	digitsFrom := func(i int) bool { return allDigits(string(b[i:])) }
	switch {
	case len(b) == 9 && (b[0] == 'E' || b[0] == 'G' || b[0] == 'K') && digitsFrom(1):
		return strongMatch
	case len(b) == 9 && b[0] == 'E' && isUpper(b[1]) && b[1] != 'I' && b[1] != 'O' && digitsFrom(2):
		return strongMatch
	case len(b) == 9 && (b[0] == 'D' || b[0] == 'S' || b[0] == 'P') && b[1] == 'E' && digitsFrom(2):
		return strongMatch
	case len(b) == 9 && b[0] == 'M' && b[1] == 'A' && digitsFrom(2):
		return strongMatch
	}
	letters := 0
	for letters < len(b) && letters < 2 && isUpper(b[letters]) {
		letters++
	}
	if rest := len(b) - letters; rest >= 6 && rest <= 9 && digitsFrom(letters) && (letters > 0 || len(b) == 9) {
		return weakMatch
	}
	return noMatch
}

// hkid validates a Hong Kong identity card number, with or without
// parentheses round the check character: 1–2 letters, 6 digits, check
// character (0–9 or A).
func hkid(v string, _ *colEnv) match {
	var buf [16]byte
	b, ok := compact(TrimSpace(v), buf[:], "()")
	if !ok || (len(b) != 8 && len(b) != 9) || !isUpper(b[0]) {
		return noMatch
	}
	if c, ok := HKIDCheckChar(string(b[:len(b)-1])); ok && c == b[len(b)-1] {
		return strongMatch
	}
	return noMatch
}

// ibanLengths is the IBAN length of common countries (ISO 13616 registry).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
	"BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
	"EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
	"GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30,
	"KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
	"ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28,
	"PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24,
	"SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}

// iban validates an IBAN (spaces allowed, any case): ISO 13616 mod 97 plus
// the country's length when the country is in ibanLengths (strong), mod 97
// alone for other countries (weak).
func iban(v string, _ *colEnv) match {
	var buf [40]byte
	b, ok := compact(TrimSpace(v), buf[:], "")
	if !ok || len(b) < 15 || len(b) > 34 || !isUpper(b[0]) || !isUpper(b[1]) || !isDigit(b[2]) || !isDigit(b[3]) {
		return noMatch
	}
	s := string(b)
	if !IBANValid(s) {
		return noMatch
	}
	if n, known := ibanLengths[s[:2]]; known {
		if n != len(s) {
			return noMatch
		}
		return strongMatch
	}
	return weakMatch
}

// usSSN validates a US social security number the way Presidio's
// recognizer rejects impossible ones: area 000, 666 or 9xx, group 00,
// serial 0000, one repeated digit, mixed delimiters, published sample
// numbers. AAA-GG-SSSS (dashes, dots or spaces) is strong, 9 bare digits
// weak.
func usSSN(v string, _ *colEnv) match {
	s := TrimSpace(v)
	var d [9]byte
	n := 0
	var delim byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			if n == 9 {
				return noMatch
			}
			d[n] = c
			n++
		case (c == '-' || c == '.' || c == ' ') && (n == 3 || n == 5):
			if delim != 0 && delim != c {
				return noMatch
			}
			delim = c
		default:
			return noMatch
		}
	}
	if n != 9 {
		return noMatch
	}
	ds := string(d[:])
	area := int(d[0]-'0')*100 + int(d[1]-'0')*10 + int(d[2]-'0')
	if area == 0 || area == 666 || area >= 900 || ds[3:5] == "00" || ds[5:] == "0000" {
		return noMatch
	}
	same := true
	for i := 1; i < 9; i++ {
		same = same && d[i] == d[0]
	}
	switch {
	case same, ds == "078051120", ds == "123456789", ds == "219099999", ds == "457555462":
		return noMatch
	}
	if delim != 0 {
		if len(s) != 11 {
			return noMatch
		}
		return strongMatch
	}
	return weakMatch
}

// parseDate reads a calendar date in the usual layouts: YYYY-MM-DD,
// YYYY/MM/DD, YYYY.MM.DD (one- or two-digit month and day), YYYYMMDD,
// YYYY年M月D日, DD/MM/YYYY and MM/DD/YYYY (month first when ambiguous),
// optionally followed by a time after a space or 'T'.
func parseDate(s string) (y, m, d int, ok bool) {
	s = TrimSpace(s)
	if len(s) == 8 && allDigits(s) {
		return num4(s), num2(s[4:]), num2(s[6:]), true
	}
	var f [3]int
	var w [3]int // digits per field
	k := 0
	i := 0
	for ; i < len(s) && k < 3; k++ {
		for i < len(s) && isDigit(s[i]) && w[k] < 4 {
			f[k] = f[k]*10 + int(s[i]-'0')
			w[k]++
			i++
		}
		if w[k] == 0 {
			return 0, 0, 0, false
		}
		if k == 2 {
			break
		}
		switch {
		case i < len(s) && (s[i] == '-' || s[i] == '/' || s[i] == '.'):
			i++
		case len(s)-i >= 3 && (s[i:i+3] == "年" || s[i:i+3] == "月"):
			i += 3
		default:
			return 0, 0, 0, false
		}
	}
	if k != 2 {
		return 0, 0, 0, false
	}
	rest := s[i:]
	if len(rest) >= 3 && rest[:3] == "日" {
		rest = rest[3:]
	}
	if rest != "" && rest[0] != ' ' && rest[0] != 'T' {
		return 0, 0, 0, false
	}
	switch {
	case w[0] == 4 && w[1] <= 2 && w[2] <= 2:
		return f[0], f[1], f[2], true
	case w[2] == 4 && w[0] <= 2 && w[1] <= 2:
		if f[0] > 12 {
			return f[2], f[1], f[0], true
		}
		return f[2], f[0], f[1], true
	}
	return 0, 0, 0, false
}

// birthDate validates a date of birth: a date parseDate reads, from
// 1900-01-01 to the reference day. Dates are everywhere, so the class needs
// a name hint.
func birthDate(v string, e *colEnv) match {
	y, m, d, ok := parseDate(v)
	if ok && plausibleBirth(y, m, d, e.ref) {
		return strongMatch
	}
	return noMatch
}

// age validates an age in years: an integer 0–130, optionally followed by
// 岁 or "y"/"years". It needs a name hint.
func age(v string, _ *colEnv) match {
	if _, ok := parseAge(v); ok {
		return strongMatch
	}
	return noMatch
}

func parseAge(v string) (int, bool) {
	s := TrimSpace(v)
	n, i := 0, 0
	for i < len(s) && isDigit(s[i]) && i < 3 {
		n = n*10 + int(s[i]-'0')
		i++
	}
	if i == 0 || n > 130 {
		return 0, false
	}
	switch TrimSpace(s[i:]) {
	case "", "岁", "周岁", "y", "yr", "yrs", "years", "Y":
		return n, true
	}
	return 0, false
}

// isMinor reports whether a valid value of class c shows a person under 14
// on the reference date.
func isMinor(c Class, v string, e *colEnv) bool {
	if e.ref == 0 {
		return false
	}
	switch c {
	case ClassAge, ClassMinor:
		n, ok := parseAge(v)
		return ok && n < minorAge
	case ClassBirthDate:
		y, m, d, ok := parseDate(v)
		return ok && ageOn(dateInt(y, m, d), e.ref) < minorAge
	case ClassCNResidentID:
		b, ok := residentIDBirth(v)
		return ok && ageOn(b, e.ref) < minorAge
	}
	return false
}

func isHan(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF)
}

// personName validates a person's name. Chinese: 2–4 Han characters whose
// first one (or two, for compound surnames) is among the common surnames,
// and whose last is not an address or organisation suffix → strong; other
// 2–4 Han names and transliterated names with a middle dot → weak. Latin:
// two or three capitalised words ("First Last") → weak, so that they count
// only under a name hint.
func personName(v string, _ *colEnv) match {
	s := TrimSpace(v)
	if s == "" || len(s) > 64 {
		return noMatch
	}
	if s[0] >= utf8.RuneSelf {
		return hanName(s)
	}
	return latinName(s)
}

func hanName(s string) match {
	var rs [4]rune
	n, dot := 0, false
	for i := 0; i < len(s); {
		r, size := decodeRune(s, i)
		i += size
		if r == '·' || r == '・' || r == '•' {
			dot = true
			continue
		}
		if !isHan(r) {
			return noMatch
		}
		if n < len(rs) {
			rs[n] = r
		}
		n++
	}
	if dot {
		if n >= 3 && n <= 12 {
			return weakMatch
		}
		return noMatch
	}
	if n < 2 || n > 4 || nameStopSuffix(rs[n-1]) {
		return noMatch
	}
	if n >= 3 && isCompoundSurname(rs[0], rs[1]) {
		return strongMatch
	}
	if isCommonSurname(rs[0]) {
		return strongMatch
	}
	return weakMatch
}

func nameStopSuffix(r rune) bool {
	switch r {
	case '省', '市', '区', '县', '路', '街', '村', '镇', '乡', '号', '楼', '店', '司', '厂', '部', '局', '院', '行', '业', '品', '类', '型', '费', '款', '额', '器', '机', '件':
		return true
	}
	return false
}

func latinName(s string) match {
	words, inWord, wordLen := 0, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlpha(c):
			if !inWord {
				if !isUpper(c) {
					return noMatch
				}
				words++
				inWord, wordLen = true, 0
			}
			wordLen++
		case (c == '\'' || c == '-' || c == '.') && inWord:
		case c == ' ' && inWord:
			inWord = false
		default:
			return noMatch
		}
	}
	if words >= 2 && words <= 3 && inWord {
		return weakMatch
	}
	return noMatch
}

// address validates a postal address. Chinese: at least 6 characters with
// address markers (省 市 区 县 镇 乡 村 for the area, 路 街 道 巷 弄 号 栋
// 楼 室 for the street); an area and a street marker, or three markers →
// strong; two markers → weak. English: a house number followed by a street
// word (Street, St, Road, Rd, Avenue, …) → strong.
func address(v string, _ *colEnv) match {
	s := TrimSpace(v)
	if len(s) < 6 || len(s) > 512 {
		return noMatch
	}
	if s[0] >= utf8.RuneSelf || hasNonASCII(s) {
		runes, area, street := 0, 0, 0
		for i := 0; i < len(s); {
			runes++
			if s[i] < utf8.RuneSelf {
				i++ // no marker is ASCII
			} else {
				r, size := decodeRune(s, i)
				i += size
				if m := &addrMarkers[r%addrHashMod]; m.r == r {
					switch m.kind {
					case addrArea:
						area++
					case addrStreet:
						street++
					}
				}
			}
			if area >= 1 && street >= 1 && (runes >= 6 || len(s) >= 24) {
				return strongMatch
			}
		}
		switch {
		case runes < 6:
			return noMatch
		case (area >= 1 && street >= 1) || area+street >= 3:
			return strongMatch
		case area+street == 2:
			return weakMatch
		}
		return noMatch
	}
	return englishAddress(s)
}

// Address marker runes: administrative areas and street-level places.
const (
	addrAreaRunes   = "省市区县镇乡村州旗"
	addrStreetRunes = "路街道巷弄号栋幢楼室苑"
)

const (
	addrNone = iota
	addrArea
	addrStreet
)

// addrHashMod is the smallest modulus giving every marker rune its own slot
// in addrMarkers (a perfect hash, checked when the table is built), so that
// a rune is looked up with one division by a constant and one comparison.
const addrHashMod = 82

type addrMarker struct {
	r    rune
	kind uint8
}

var addrMarkers = func() (t [addrHashMod]addrMarker) {
	for kind, runes := range map[uint8]string{addrArea: addrAreaRunes, addrStreet: addrStreetRunes} {
		for _, r := range runes {
			if t[r%addrHashMod].kind != addrNone {
				panic("classify: address marker hash collision")
			}
			t[r%addrHashMod] = addrMarker{r, kind}
		}
	}
	return t
}()

// decodeRune decodes the rune at s[i] as a range loop does (an invalid
// byte is utf8.RuneError of size 1), with ASCII and the three-byte
// sequences of Chinese text decoded inline: the hot validators spent most
// of their time in the runtime's general decoder.
func decodeRune(s string, i int) (rune, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	if c&0xF0 == 0xE0 && i+2 < len(s) {
		c1, c2 := s[i+1], s[i+2]
		if c1&0xC0 == 0x80 && c2&0xC0 == 0x80 && (c != 0xE0 || c1 >= 0xA0) && (c != 0xED || c1 <= 0x9F) {
			return rune(c&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F), 3
		}
	}
	return utf8.DecodeRuneInString(s[i:])
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

func englishAddress(s string) match {
	number := false
	for i := 0; i < len(s); {
		for i < len(s) && !isAlnum(s[i]) {
			i++
		}
		j := i
		for j < len(s) && isAlnum(s[j]) {
			j++
		}
		w := s[i:j]
		i = j
		if w == "" {
			break
		}
		if isDigit(w[0]) {
			number = true
			continue
		}
		if number && isStreetWord(w) {
			return strongMatch
		}
	}
	return noMatch
}

func isStreetWord(w string) bool {
	if len(w) > 10 {
		return false
	}
	var b [10]byte
	for i := 0; i < len(w); i++ {
		c := w[i]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	switch string(b[:len(w)]) {
	case "street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "drive", "dr", "boulevard",
		"blvd", "way", "court", "ct", "place", "pl", "square", "sq", "terrace", "highway", "hwy":
		return true
	}
	return false
}

// placeholder reports values that say "nothing": -, n/a, null, 无, 未知 …
func placeholder(s string) bool {
	switch s {
	case "-", "--", "/", "n/a", "N/A", "NA", "na", "null", "NULL", "None", "none", "nil",
		"无", "暂无", "未知", "不详", "0":
		return true
	}
	return false
}

// icd10 validates an ICD-10 code: a letter, two digits, optionally '.'
// and 1–4 characters ("E11.9", "J45.909"): dotted → strong, bare
// three-character → weak.
func icd10(s string) match {
	if len(s) < 3 || len(s) > 8 || !isUpper(s[0]) || !isDigit(s[1]) || !(isDigit(s[2]) || s[2] == 'A' || s[2] == 'B') {
		return noMatch
	}
	if len(s) == 3 {
		return weakMatch
	}
	if s[3] != '.' || len(s) == 4 {
		return noMatch
	}
	for i := 4; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return noMatch
		}
	}
	return strongMatch
}

// health validates a health value: an ICD-10 code, or a Chinese or English
// term ending as disease names do (病 症 炎 癌 瘤 综合征 …, -itis, -osis,
// syndrome …: weak). Health columns
// are mostly recognised by their name; under a health name hint any
// non-placeholder value counts (see column.go).
func health(v string, _ *colEnv) match {
	s := TrimSpace(v)
	if m := icd10(s); m != noMatch {
		return m
	}
	if len(s) >= 6 && len(s) <= 60 && hasNonASCII(s) {
		r, _ := utf8.DecodeLastRuneInString(s)
		switch r {
		case '病', '症', '炎', '癌', '瘤', '征', '疹', '压', '伤', '喘', '痛', '塞', '死', '血', '碍', '折':
			return weakMatch
		}
	}
	if len(s) >= 6 && len(s) <= 80 && englishDisease(s) {
		return weakMatch
	}
	return noMatch
}

// englishDisease reports whether s ends as English disease names do
// (-itis, -osis, -emia, -oma, disease, syndrome, disorder …).
func englishDisease(s string) bool {
	var b [16]byte
	n := min(len(s), len(b))
	tail := s[len(s)-n:]
	for i := 0; i < n; i++ {
		c := tail[i]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	t := string(b[:n])
	for _, suf := range [...]string{"itis", "osis", "emia", "aemia", "oma", "disease", "syndrome", "disorder",
		"cancer", "diabetes", "asthma", "hypertension", "infection", "failure", "fracture", "allergy", "ulcer", "stroke"} {
		if len(t) >= len(suf) && t[len(t)-len(suf):] == suf {
			return true
		}
	}
	return false
}

// biometric validates an encoded biometric template or image: a base64 or
// hex blob or a feature vector of at least 16 numbers, at least 64
// characters long (strong), or a reference to an image or audio file
// (weak). It counts only under a biometric name hint.
func biometric(v string, _ *colEnv) match {
	s := TrimSpace(v)
	if len(s) >= 64 {
		b64 := true
		for i := 0; i < len(s) && b64; i++ {
			c := s[i]
			b64 = isAlnum(c) || c == '+' || c == '/' || c == '=' || c == '_' || c == '-'
		}
		if b64 {
			return strongMatch
		}
		if len(s) > 11 && (s[:11] == "data:image/" || s[:11] == "data:audio/") {
			return strongMatch
		}
		if featureVector(s) {
			return strongMatch
		}
	}
	if n := len(s); n > 4 {
		switch lowerASCII4(s[n-4:]) {
		case ".jpg", "jpeg", ".png", ".bmp", ".wsq", ".wav", ".tif", ".mp3", ".amr":
			return weakMatch
		}
	}
	return noMatch
}

// featureVector reports whether s is a list of at least 16 decimal numbers
// (a face or voice embedding), separated by commas, semicolons or spaces,
// optionally in brackets.
func featureVector(s string) bool {
	if s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	n, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ',' && s[i] != ';' && s[i] != ' ' {
			continue
		}
		if i > start {
			if _, dec, ok := parseDecimal(s[start:i]); !ok || dec == 0 {
				return false
			}
			n++
		}
		start = i + 1
	}
	return n >= 16
}

func lowerASCII4(s string) string {
	var b [4]byte
	for i := 0; i < 4; i++ {
		c := s[i]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return string(b[:])
}

// religion validates a religion value against a small vocabulary (Chinese
// and English). "无"/"none"/"other" alone are weak.
func religion(v string, _ *colEnv) match {
	s := TrimSpace(v)
	if len(s) > 40 {
		return noMatch
	}
	var buf [40]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(s)]) {
	case "佛教", "道教", "伊斯兰教", "基督教", "天主教", "东正教", "新教", "藏传佛教", "犹太教", "印度教", "喇嘛教",
		"buddhism", "buddhist", "christian", "christianity", "catholic", "protestant", "orthodox",
		"islam", "muslim", "hindu", "hinduism", "jewish", "judaism", "sikh", "sikhism", "taoism",
		"taoist", "atheist", "agnostic", "无宗教信仰", "无宗教", "no religion":
		return strongMatch
	case "无", "none", "other", "其他":
		return weakMatch
	}
	return noMatch
}
