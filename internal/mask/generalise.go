package mask

import (
	"math"
	"strconv"
)

// Granularities of date and timestamp generalisation.
type granularity uint8

const (
	granYear granularity = iota
	granQuarter
	granMonth
	granDay
	granHour
)

func parseGranularity(s string) granularity {
	switch s {
	case "quarter":
		return granQuarter
	case "month":
		return granMonth
	case "day":
		return granDay
	case "hour":
		return granHour
	}
	return granYear
}

// dateTime is a parsed date with an optional time of day and UTC offset.
type dateTime struct {
	y, m, d  int
	hasTime  bool
	hh       int
	zone     bool // an offset or Z was given
	zoneMins int  // offset east of UTC in minutes
}

// parseDateTime reads a date, optionally followed by a time:
//
//	date = YYYY-M-D | YYYY/M/D | YYYY.M.D | YYYYMMDD | YYYY年M月D日
//	time = ('T' | ' ') HH:MM [':' SS ['.' fraction]] [ 'Z' | ±HH:MM | ±HHMM | ±HH ]
//
// with the month and day checked against the calendar and the year
// between 1000 and 9999.
func parseDateTime(s string) (dateTime, bool) {
	var t dateTime
	if len(s) < 8 || len(s) > 64 {
		return t, false
	}
	y, ok := fixedInt(s, 0, 4)
	if !ok || y < 1000 {
		return t, false
	}
	i := 4
	var m, d int
	switch {
	case isDigit(s[4]):
		if len(s) > 8 && isDigit(s[8]) {
			return t, false
		}
		m, _ = fixedInt(s, 4, 2)
		d, ok = fixedInt(s, 6, 2)
		if !ok {
			return t, false
		}
		i = 8
	case s[4] == '-' || s[4] == '/' || s[4] == '.':
		sep := s[4]
		m, i, ok = varInt(s, 5)
		if !ok || i >= len(s) || s[i] != sep {
			return t, false
		}
		d, i, ok = varInt(s, i+1)
		if !ok {
			return t, false
		}
	case len(s) >= 7 && s[4:7] == "年":
		m, i, ok = varInt(s, 7)
		if !ok || len(s) < i+3 || s[i:i+3] != "月" {
			return t, false
		}
		d, i, ok = varInt(s, i+3)
		if !ok {
			return t, false
		}
		if len(s) >= i+3 && s[i:i+3] == "日" {
			i += 3
		}
	default:
		return t, false
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return t, false
	}
	t.y, t.m, t.d = y, m, d
	if i == len(s) {
		return t, true
	}
	if s[i] != 'T' && s[i] != ' ' {
		return t, false
	}
	i++
	hh, ok1 := fixedInt(s, i, 2)
	mm, ok2 := fixedInt(s, i+3, 2)
	if !ok1 || !ok2 || s[i+2] != ':' || hh > 23 || mm > 59 {
		return t, false
	}
	i += 5
	if i < len(s) && s[i] == ':' {
		ss, ok := fixedInt(s, i+1, 2)
		if !ok || ss > 60 {
			return t, false
		}
		i += 3
		if i < len(s) && (s[i] == '.' || s[i] == ',') {
			j := i + 1
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			if j == i+1 || j-i > 10 {
				return t, false
			}
			i = j
		}
	}
	t.hasTime, t.hh = true, hh
	if i == len(s) {
		return t, true
	}
	switch s[i] {
	case 'Z', 'z':
		t.zone = true
		return t, i+1 == len(s)
	case '+', '-':
		sign := 1
		if s[i] == '-' {
			sign = -1
		}
		zh, ok := fixedInt(s, i+1, 2)
		if !ok || zh > 14 {
			return t, false
		}
		j := i + 3
		zm := 0
		switch {
		case j == len(s):
		case s[j] == ':' && j+3 == len(s):
			zm, ok = fixedInt(s, j+1, 2)
		case j+2 == len(s):
			zm, ok = fixedInt(s, j, 2)
		default:
			ok = false
		}
		if !ok || zm > 59 {
			return t, false
		}
		t.zone, t.zoneMins = true, sign*(zh*60+zm)
		return t, true
	}
	return t, false
}

// fixedInt reads n digits at s[i:].
func fixedInt(s string, i, n int) (int, bool) {
	if i < 0 || i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// varInt reads one or two digits at s[i:].
func varInt(s string, i int) (int, int, bool) {
	v, j := 0, i
	for j < len(s) && j < i+2 && isDigit(s[j]) {
		v = v*10 + int(s[j]-'0')
		j++
	}
	return v, j, j > i
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// appendInt appends v zero-padded to width digits.
func appendInt(dst []byte, v, width int) []byte {
	var b [20]byte
	i := len(b)
	neg := v < 0
	if neg {
		v = -v
	}
	for v > 0 || len(b)-i < width || i == len(b) {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		dst = append(dst, '-')
	}
	return append(dst, b[i:]...)
}

// appendDate generalises a date or timestamp: year "1990", quarter
// "1990-Q2", month "1990-05", day "1990-05-17", hour "1990-05-17T13:00"
// followed by the offset as written ("Z", "+08:00"). The day and hour are
// those of the offset the value was written in; a timestamp without a
// time has no hour.
func appendDate(dst []byte, s string, g granularity) ([]byte, bool) {
	t, ok := parseDateTime(s)
	if !ok || g == granHour && !t.hasTime {
		return dst, false
	}
	dst = appendInt(dst, t.y, 4)
	switch g {
	case granQuarter:
		dst = append(dst, "-Q"...)
		return append(dst, byte('1'+(t.m-1)/3)), true
	case granMonth, granDay, granHour:
		dst = append(dst, '-')
		dst = appendInt(dst, t.m, 2)
	}
	if g == granDay || g == granHour {
		dst = append(dst, '-')
		dst = appendInt(dst, t.d, 2)
	}
	if g == granHour {
		dst = append(dst, 'T')
		dst = appendInt(dst, t.hh, 2)
		dst = append(dst, ":00"...)
		if t.zone {
			if t.zoneMins == 0 {
				dst = append(dst, 'Z')
			} else {
				z := t.zoneMins
				if z < 0 {
					dst = append(dst, '-')
					z = -z
				} else {
					dst = append(dst, '+')
				}
				dst = appendInt(dst, z/60, 2)
				dst = append(dst, ':')
				dst = appendInt(dst, z%60, 2)
			}
		}
	}
	return dst, true
}

// parseNumber reads a decimal number: optional sign, digits, optional
// fraction and exponent; no hexadecimal, infinities, NaN or underscores.
func parseNumber(s string) (float64, bool) {
	if len(s) == 0 || len(s) > 64 {
		return 0, false
	}
	digits := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digits = true
		case c == '.' || c == '+' || c == '-' || c == 'e' || c == 'E':
		default:
			return 0, false
		}
	}
	if !digits {
		return 0, false
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, false
	}
	return x, true
}

// appendBand puts x in its band: "[30,40)" for width 10, or by bounds
// "<18", "[18,65)", ">=65". Labels of bounds are made once (o.labels).
func appendBand(dst []byte, x float64, o *op) []byte {
	if o.width > 0 {
		k := math.Floor(x / o.width)
		lo := snap(k*o.width, o.widthDecimals)
		hi := snap((k+1)*o.width, o.widthDecimals)
		dst = append(dst, '[')
		dst = strconv.AppendFloat(dst, lo, 'f', -1, 64)
		dst = append(dst, ',')
		dst = strconv.AppendFloat(dst, hi, 'f', -1, 64)
		return append(dst, ')')
	}
	i := 0
	for i < len(o.bounds) && x >= o.bounds[i] {
		i++
	}
	return append(dst, o.labels[i]...)
}

// snap rounds x to d decimals, so that 3·0.1 prints as 0.3; -0 becomes 0.
func snap(x float64, d int) float64 {
	p := math.Pow10(d)
	x = math.Round(x*p) / p
	if x == 0 {
		return 0
	}
	return x
}

// decimalsOf is the number of decimals w needs, at most 9.
func decimalsOf(w float64) int {
	for d := 0; d < 9; d++ {
		p := math.Pow10(d)
		if math.Abs(w*p-math.Round(w*p)) < 1e-9*p {
			return d
		}
	}
	return 9
}

// bandLabels makes the labels of bounds b: "<b0", "[b0,b1)", …, ">=bn".
func bandLabels(b []float64) []string {
	labels := make([]string, len(b)+1)
	labels[0] = "<" + formatFloat(b[0])
	for i := 1; i < len(b); i++ {
		labels[i] = "[" + formatFloat(b[i-1]) + "," + formatFloat(b[i]) + ")"
	}
	labels[len(b)] = ">=" + formatFloat(b[len(b)-1])
	return labels
}

// splitPair splits "a,b" (spaces allowed around the comma) or returns a
// single value.
func splitPair(s string) (a, b string, pair, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			a, b = trimASCII(s[:i]), trimASCII(s[i+1:])
			return a, b, true, a != "" && b != ""
		}
	}
	return s, "", false, s != ""
}

func trimASCII(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// appendGeo rounds a coordinate, or both of a pair, to o.decimals. A pair
// needs both numbers within ±180 and one within ±90 (either order, lat,lon
// or lon,lat, is kept as written); a single coordinate needs ±180.
func appendGeo(dst []byte, s string, o *op) ([]byte, bool) {
	a, b, pair, ok := splitPair(s)
	if !ok {
		return dst, false
	}
	x, ok := parseNumber(a)
	if !ok || math.Abs(x) > 180 {
		return dst, false
	}
	var y float64
	if pair {
		y, ok = parseNumber(b)
		if !ok || math.Abs(y) > 180 || math.Abs(x) > 90 && math.Abs(y) > 90 {
			return dst, false
		}
	}
	dst = strconv.AppendFloat(dst, snap(x, o.decimals), 'f', o.decimals, 64)
	if pair {
		dst = append(dst, ',')
		dst = strconv.AppendFloat(dst, snap(y, o.decimals), 'f', o.decimals, 64)
	}
	return dst, true
}

// appendPostal keeps the first o.first letters and digits of a postal code
// and masks the others, keeping one inner space or '-': "100***",
// "SW1A ***". A code needs 3–10 letters and digits, at least one digit, and
// more characters than are kept.
func appendPostal(dst []byte, s string, o *op) ([]byte, bool) {
	n, seps := 0, 0
	digit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlnum(c):
			n++
			digit = digit || isDigit(c)
		case (c == ' ' || c == '-') && i > 0 && i < len(s)-1:
			seps++
		default:
			return dst, false
		}
	}
	if n < 3 || n > 10 || seps > 1 || !digit || n <= o.first {
		return dst, false
	}
	k := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case !isAlnum(c):
			dst = append(dst, c)
		case k < o.first:
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			k++
		default:
			dst = appendRun(dst, o.maskChar, 1)
		}
	}
	return dst, true
}
