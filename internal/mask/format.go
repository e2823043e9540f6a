package mask

import (
	"math"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/xborder/xborder/internal/classify"
)

// fmtKind is a format-aware mask.
type fmtKind uint8

const (
	fmtGeneric fmtKind = iota
	fmtResidentID
	fmtMobile
	fmtPhone
	fmtBankCard
	fmtIBAN
	fmtAlnumID // passport, hk_id, cn_uscc
	fmtSSN
	fmtEmail
	fmtName
	fmtAddress
	fmtBirthDate
	fmtIP
	fmtGeo
)

// format is the mask of a class: its shape check, the characters it keeps
// by default, whether keep_first/keep_last may change them, and the
// typical length the policy check uses.
type format struct {
	kind        fmtKind
	first, last int
	keepable    bool
	typical     int
}

func formatOf(c classify.Class) format {
	switch c {
	case classify.ClassCNResidentID:
		return format{fmtResidentID, 6, 4, true, 18}
	case classify.ClassCNMobile:
		return format{fmtMobile, 3, 4, true, 11}
	case classify.ClassPhone:
		return format{fmtPhone, 3, 4, true, 0}
	case classify.ClassBankCard:
		return format{fmtBankCard, 0, 4, true, 16}
	case classify.ClassIBAN:
		return format{fmtIBAN, 2, 4, true, 0}
	case classify.ClassPassport:
		return format{fmtAlnumID, 1, 3, true, 0}
	case classify.ClassHKID:
		return format{fmtAlnumID, 1, 0, true, 0}
	case classify.ClassCNUSCC:
		return format{fmtAlnumID, 2, 4, true, 18}
	case classify.ClassUSSSN:
		return format{fmtSSN, 0, 4, true, 9}
	case classify.ClassEmail:
		return format{fmtEmail, 1, 0, true, 0}
	case classify.ClassPersonName:
		return format{kind: fmtName}
	case classify.ClassAddress:
		return format{kind: fmtAddress}
	case classify.ClassBirthDate:
		return format{kind: fmtBirthDate}
	case classify.ClassIPAddress:
		return format{kind: fmtIP}
	case classify.ClassGeoPrecise, classify.ClassGeoCoarse:
		return format{kind: fmtGeo}
	}
	return format{fmtGeneric, 0, 0, true, 0}
}

// maxCheckedBytes bounds the values the format-aware masks parse; longer
// ones are masked whole.
const maxCheckedBytes = 512

// appendMasked appends the mask of v (already trimmed, not empty).
func (w *worker) appendMasked(dst []byte, o *op, v string) []byte {
	if len(v) <= maxCheckedBytes {
		if out, ok := w.appendFormatted(dst, o, v); ok {
			return out
		}
	}
	return appendRun(dst, o.maskChar, utf8.RuneCountInString(v))
}

// appendFormatted appends the format-aware mask of v, or reports false
// when v does not have the class's shape (the caller masks it whole).
func (w *worker) appendFormatted(dst []byte, o *op, v string) ([]byte, bool) {
	switch o.fmt {
	case fmtGeneric:
		return appendKeepEnds(dst, v, o.first, o.last, o.maskChar), true
	case fmtResidentID:
		d, ok := residentIDChars(w.norm[:0], v)
		w.norm = d
		if !ok {
			return dst, false
		}
		return appendKeepEndsBytes(dst, d, o.first, o.last, o.maskChar), true
	case fmtMobile:
		d, ok := mobileDigits(w.norm[:0], v)
		w.norm = d
		if !ok {
			return dst, false
		}
		return appendKeepEndsBytes(dst, d, o.first, o.last, o.maskChar), true
	case fmtPhone:
		d, plus, ok := phoneDigits(w.norm[:0], v)
		w.norm = d
		if !ok || len(d) < 7 || len(d) > 15 {
			return dst, false
		}
		if plus {
			dst = append(dst, '+')
		}
		return appendKeepEndsBytes(dst, d, o.first, o.last, o.maskChar), true
	case fmtBankCard:
		d, ok := digitsSep(w.norm[:0], v)
		w.norm = d
		if !ok || len(d) < 12 || len(d) > 19 {
			return dst, false
		}
		return appendKeepEndsBytes(dst, d, o.first, o.last, o.maskChar), true
	case fmtSSN:
		d, ok := digitsSep(w.norm[:0], v)
		w.norm = d
		if !ok || len(d) != 9 {
			return dst, false
		}
		return appendKeepEndsBytes(dst, d, o.first, o.last, o.maskChar), true
	case fmtIBAN:
		d, ok := alnumUpper(w.norm[:0], v)
		w.norm = d
		if !ok || len(d) < 15 || len(d) > 34 || !isUpperLetter(d[0]) || !isUpperLetter(d[1]) || !isDigit(d[2]) || !isDigit(d[3]) {
			return dst, false
		}
		return appendKeepEndsBytes(dst, d, o.first, o.last, o.maskChar), true
	case fmtAlnumID:
		d, ok := alnumUpper(w.norm[:0], v)
		w.norm = d
		if !ok || len(d) < 5 || len(d) > 20 {
			return dst, false
		}
		return appendKeepEndsBytes(dst, d, o.first, o.last, o.maskChar), true
	case fmtEmail:
		return appendEmail(dst, v, o)
	case fmtName:
		return appendName(dst, v, o.maskChar)
	case fmtAddress:
		return appendAddress(dst, v, o.maskChar)
	case fmtBirthDate:
		t, ok := parseDateTime(v)
		if !ok {
			return dst, false
		}
		dst = appendInt(dst, t.y, 4)
		dst = append(dst, '-')
		dst = appendRun(dst, o.maskChar, 2)
		dst = append(dst, '-')
		return appendRun(dst, o.maskChar, 2), true
	case fmtIP:
		return appendIP(dst, v, o.maskChar)
	case fmtGeo:
		return appendGeoMask(dst, v, o.maskChar)
	}
	return dst, false
}

// appendRun appends n copies of the (UTF-8 encoded) mask character.
func appendRun(dst, mc []byte, n int) []byte {
	if len(mc) == 1 {
		for ; n > 0; n-- {
			dst = append(dst, mc[0])
		}
		return dst
	}
	for ; n > 0; n-- {
		dst = append(dst, mc...)
	}
	return dst
}

// appendKeepEnds keeps the first and last runes of s and masks the rest,
// one mask character per rune. When that would hide fewer than max(2,
// ⌈n/3⌉) runes, everything is masked.
func appendKeepEnds(dst []byte, s string, first, last int, mc []byte) []byte {
	n := utf8.RuneCountInString(s)
	if !hidesEnough(n, first, last) {
		return appendRun(dst, mc, n)
	}
	i := 0
	for j, r := range s {
		switch {
		case i < first || i >= n-last:
			if r == utf8.RuneError {
				_, size := utf8.DecodeRuneInString(s[j:])
				dst = append(dst, s[j:j+size]...)
			} else {
				dst = utf8.AppendRune(dst, r)
			}
		case i == first:
			dst = appendRun(dst, mc, n-first-last)
		}
		i++
	}
	return dst
}

// appendKeepEndsBytes is appendKeepEnds for ASCII text.
func appendKeepEndsBytes(dst, s []byte, first, last int, mc []byte) []byte {
	n := len(s)
	if !hidesEnough(n, first, last) {
		return appendRun(dst, mc, n)
	}
	dst = append(dst, s[:first]...)
	dst = appendRun(dst, mc, n-first-last)
	return append(dst, s[n-last:]...)
}

func isDigit(c byte) bool       { return c >= '0' && c <= '9' }
func isUpperLetter(c byte) bool { return c >= 'A' && c <= 'Z' }

// fullWidthDigit reports the ASCII digit of a full-width digit (U+FF10 to
// U+FF19, EF BC 90–99) at s[i:].
func fullWidthDigit(s string, i int) (byte, bool) {
	if i+2 < len(s) && s[i] == 0xEF && s[i+1] == 0xBC && s[i+2] >= 0x90 && s[i+2] <= 0x99 {
		return '0' + s[i+2] - 0x90, true
	}
	return 0, false
}

// digitsSep appends the digits of s (full-width digits converted), skipping
// spaces and '-'; any other character fails.
func digitsSep(buf []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isDigit(c):
			buf = append(buf, c)
			i++
		case c == ' ' || c == '-':
			i++
		default:
			d, ok := fullWidthDigit(s, i)
			if !ok || len(buf) > 64 {
				return buf, false
			}
			buf = append(buf, d)
			i += 3
		}
		if len(buf) > 64 {
			return buf, false
		}
	}
	return buf, len(buf) > 0
}

// phoneDigits appends the digits of a phone number: an optional leading
// '+', digits, and the separators space, '-', '.', '(' and ')'.
func phoneDigits(buf []byte, s string) ([]byte, bool, bool) {
	plus := false
	if len(s) > 0 && s[0] == '+' {
		plus, s = true, s[1:]
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isDigit(c):
			buf = append(buf, c)
			i++
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
			i++
		default:
			d, ok := fullWidthDigit(s, i)
			if !ok {
				return buf, plus, false
			}
			buf = append(buf, d)
			i += 3
		}
		if len(buf) > 20 {
			return buf, plus, false
		}
	}
	return buf, plus, len(buf) > 0
}

// mobileDigits appends the 11 digits of a PRC mobile number, dropping a
// +86, 0086 or 86 prefix.
func mobileDigits(buf []byte, s string) ([]byte, bool) {
	d, _, ok := phoneDigits(buf, s)
	if !ok {
		return d, false
	}
	switch {
	case len(d) == 13 && d[0] == '8' && d[1] == '6':
		d = append(d[:0], d[2:]...)
	case len(d) == 15 && d[0] == '0' && d[1] == '0' && d[2] == '8' && d[3] == '6':
		d = append(d[:0], d[4:]...)
	}
	if len(d) != 11 || d[0] != '1' || d[1] < '3' {
		return d, false
	}
	return d, true
}

// residentIDChars appends a PRC resident ID number: 17 digits and a digit
// or X (upper-cased), or the 15 digits of the 1989 form. Only the shape
// is checked: the mask keeps the same characters whether or not the check
// digit is right.
func residentIDChars(buf []byte, s string) ([]byte, bool) {
	d, ok := alnumUpper(buf, s)
	if !ok || (len(d) != 18 && len(d) != 15) {
		return d, false
	}
	for i, c := range d {
		if !isDigit(c) && !(i == 17 && c == 'X') {
			return d, false
		}
	}
	return d, true
}

// alnumUpper appends the ASCII letters (upper-cased) and digits of s,
// skipping spaces, '-', '(' and ')'; anything else fails.
func alnumUpper(buf []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isDigit(c) || isUpperLetter(c):
			buf = append(buf, c)
			i++
		case c >= 'a' && c <= 'z':
			buf = append(buf, c-'a'+'A')
			i++
		case c == ' ' || c == '-' || c == '(' || c == ')':
			i++
		default:
			d, ok := fullWidthDigit(s, i)
			if !ok {
				return buf, false
			}
			buf = append(buf, d)
			i += 3
		}
		if len(buf) > 64 {
			return buf, false
		}
	}
	return buf, len(buf) > 0
}

// appendEmail keeps the first KeepFirst characters of the local part and
// the domain: "z***@example.com". The hidden part is always three mask
// characters, so the length of the local part does not show.
func appendEmail(dst []byte, s string, o *op) ([]byte, bool) {
	at := -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '@':
			if at >= 0 {
				return dst, false
			}
			at = i
		case c <= ' ' || c == '"' || c == ',' || c == '<' || c == '>' || c == 0x7f:
			return dst, false
		}
	}
	if at < 1 || at == len(s)-1 {
		return dst, false
	}
	local, domain := s[:at], s[at+1:]
	dot := false
	for i := 0; i < len(domain); i++ {
		if domain[i] == '.' {
			if i == 0 || i == len(domain)-1 || domain[i-1] == '.' {
				return dst, false
			}
			dot = true
		}
	}
	if !dot {
		return dst, false
	}
	keep := o.first
	if n := utf8.RuneCountInString(local); keep > (n-1)/2 {
		keep = (n - 1) / 2
	}
	for i := range local {
		if keep == 0 {
			dst = append(dst, local[:i]...)
			break
		}
		keep--
	}
	dst = appendRun(dst, o.maskChar, 3)
	dst = append(dst, '@')
	return append(dst, domain...), true
}

// isHan reports CJK ideographs (the unified block and extensions A, B–F).
func isHan(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF || r >= 0x20000 && r <= 0x2FA1F || r == 0x3007
}

// appendName keeps the surname of a Chinese name (its first character;
// a compound surname loses its second) and the initial of a Latin name,
// with one mask character for every other letter: 张** , J*** *****.
func appendName(dst []byte, s string, mc []byte) ([]byte, bool) {
	if s[0] >= utf8.RuneSelf {
		n := 0
		for _, r := range s {
			if !isHan(r) && r != '·' && r != '•' && r != '・' {
				return dst, false
			}
			n++
		}
		if n < 2 || n > 20 {
			return dst, false
		}
		r, size := utf8.DecodeRuneInString(s)
		if !isHan(r) {
			return dst, false
		}
		dst = append(dst, s[:size]...)
		return appendRun(dst, mc, n-1), true
	}
	letters := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letters++
		case c == ' ' || c == '-' || c == '\'' || c == '.':
		default:
			return dst, false
		}
	}
	if letters < 2 || len(s) > 128 {
		return dst, false
	}
	first := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '\'' || c == '.':
			dst = append(dst, c)
		case first:
			dst = append(dst, c)
			first = false
		default:
			dst = appendRun(dst, mc, 1)
		}
	}
	return dst, true
}

// maxAreaRunes bounds one administrative segment of a Chinese address
// (克孜勒苏柯尔克孜自治州 has 11 characters).
const maxAreaRunes = 12

// appendAddress keeps the administrative area of an address, down to the
// district (区, 县, 旗) or city (市) level, and masks the rest, one mask
// character per character:
//
//	广东省深圳市南山区科技园路1号 → 广东省深圳市南山区******
//
// A Chinese address is read as up to three segments of 2–12 characters,
// each ending with 省, 市, 盟, 自治州, 区 (also 自治区, 特别行政区, 地区),
// 县 or 旗; the area ends after a 区, 县 or 旗 segment or after the third. An address
// without such a segment is masked whole. An English address keeps what
// follows its first comma (the city and region) with every word holding
// a digit masked (postcodes), and masks the street line:
//
//	7844 River Road, Austin, TX 78701 → **** ***** ****, Austin, TX *****
func appendAddress(dst []byte, s string, mc []byte) ([]byte, bool) {
	if s[0] >= utf8.RuneSelf {
		end, segs, seg := 0, 0, 0
		for i, r := range s {
			seg++
			if seg > maxAreaRunes {
				break
			}
			if seg < 2 {
				continue // a marker ends a name of at least one character: 市中区
			}
			final := false
			switch r {
			case '省', '市', '盟':
			case '州':
				if !strings.HasSuffix(s[:i], "自治") {
					continue // 广州市, 贵州省: part of a name
				}
			case '区':
				// 自治区, 特别行政区 (province level) and 地区 (prefecture
				// level) do not end the area
				p := s[:i]
				final = !strings.HasSuffix(p, "自治") && !strings.HasSuffix(p, "行政") && !strings.HasSuffix(p, "地")
			case '县', '旗':
				final = true
			default:
				continue
			}
			segs++
			end, seg = i+utf8.RuneLen(r), 0
			if final || segs == 3 {
				break
			}
		}
		if end == 0 || end == len(s) {
			return dst, false
		}
		dst = append(dst, s[:end]...)
		return appendRun(dst, mc, utf8.RuneCountInString(s[end:])), true
	}
	comma := -1
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			comma = i
			break
		}
	}
	if comma < 1 || comma == len(s)-1 {
		return dst, false
	}
	for _, r := range s[:comma] {
		if r == ' ' {
			dst = append(dst, ' ')
		} else {
			dst = appendRun(dst, mc, 1)
		}
	}
	// the rest: words holding a digit are masked
	rest := s[comma:]
	for len(rest) > 0 {
		j := 0
		for j < len(rest) && (rest[j] == ' ' || rest[j] == ',') {
			j++
		}
		dst = append(dst, rest[:j]...)
		rest = rest[j:]
		k := 0
		digit := false
		for k < len(rest) && rest[k] != ' ' && rest[k] != ',' {
			digit = digit || isDigit(rest[k])
			k++
		}
		if digit {
			dst = appendRun(dst, mc, utf8.RuneCountInString(rest[:k]))
		} else {
			dst = append(dst, rest[:k]...)
		}
		rest = rest[k:]
	}
	return dst, true
}

// appendIP keeps the network part: the first two octets of an IPv4
// address (a /16), the first two groups of an IPv6 address (a /32).
func appendIP(dst []byte, s string, mc []byte) ([]byte, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return dst, false
	}
	a = a.WithZone("")
	if a.Is4() || a.Is4In6() {
		b := a.Unmap().As4()
		dst = appendInt(dst, int(b[0]), 1)
		dst = append(dst, '.')
		dst = appendInt(dst, int(b[1]), 1)
		for range 2 {
			dst = append(dst, '.')
			dst = appendRun(dst, mc, 1)
		}
		return dst, true
	}
	b := a.As16()
	const hex = "0123456789abcdef"
	for g := range 2 {
		x := uint16(b[2*g])<<8 | uint16(b[2*g+1])
		started := false
		for sh := 12; sh >= 0; sh -= 4 {
			d := (x >> sh) & 15
			if d != 0 || started || sh == 0 {
				dst = append(dst, hex[d])
				started = true
			}
		}
		dst = append(dst, ':')
	}
	for g := 2; g < 8; g++ {
		dst = appendRun(dst, mc, 1)
		if g < 7 {
			dst = append(dst, ':')
		}
	}
	return dst, true
}

// appendGeoMask keeps whole degrees and masks the decimals of one
// coordinate or of a "lat,lon" pair.
func appendGeoMask(dst []byte, s string, mc []byte) ([]byte, bool) {
	a, b, pair, ok := splitPair(s)
	if !ok {
		return dst, false
	}
	if !coordinate(a) || pair && !coordinate(b) {
		return dst, false
	}
	dst = maskDecimals(dst, a, mc)
	if pair {
		dst = append(dst, ',')
		dst = maskDecimals(dst, b, mc)
	}
	return dst, true
}

// coordinate reports a number within ±180 with decimals to mask.
func coordinate(s string) bool {
	x, ok := parseNumber(s)
	return ok && math.Abs(x) <= 180 && strings.IndexByte(s, '.') >= 0 && strings.IndexAny(s, "eE") < 0 && s[len(s)-1] != '.'
}

func maskDecimals(dst []byte, s string, mc []byte) []byte {
	dot := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			dot = i
			break
		}
	}
	if dot < 0 {
		return append(dst, s...)
	}
	dst = append(dst, s[:dot+1]...)
	return appendRun(dst, mc, len(s)-dot-1)
}
