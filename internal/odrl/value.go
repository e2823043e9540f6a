package odrl

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// kind is the comparison domain of a prepared value.
type kind uint8

const (
	kToken    kind = iota + 1 // identifier: IRI or string
	kNumber                   // decimal, as float64
	kTime                     // instant or day (xsd:date)
	kDuration                 // xsd:duration: months and seconds
	kLevel                    // classification level, as a number
)

func (k kind) String() string {
	switch k {
	case kToken:
		return "identifier"
	case kNumber:
		return "number"
	case kTime:
		return "dateTime"
	case kDuration:
		return "duration"
	case kLevel:
		return "classification level"
	}
	return "value"
}

// val is a typed value ready for comparison.
type val struct {
	k    kind
	s    string    // kToken
	num  float64   // kNumber, kLevel; kDuration: the day-time part in seconds
	mon  int64     // kDuration: the year-month part in months
	t    time.Time // kTime: the instant, or the start of the day for a date
	day  bool      // kTime: a whole day (xsd:date), [t, t+24h)
	unit string    // the unit the value is expressed in, when stated
}

var (
	errNotTime     = errors.New("not an xsd:dateTime or xsd:date")
	errNotDuration = errors.New("not an xsd:duration")
	errNotNumber   = errors.New("not a number")
	errNotLevel    = errors.New("not a classification level (general, important, core, or a number)")
)

// parseDateTime reads xsd:dateTime and xsd:date lexical forms, leniently:
// seconds may be omitted ("2017-12-31T06:00Z", as the ODRL vocabulary's own
// example writes), and a value without a time zone is read as UTC.
func parseDateTime(s string) (time.Time, bool, error) {
	n := len(s)
	if n < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false, errNotTime
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return time.Time{}, false, errNotTime
	}
	i := 10
	day := true
	h, mi, sec, nsec := 0, 0, 0, 0
	if i < n && s[i] == 'T' {
		day = false
		if n < i+6 || s[i+3] != ':' {
			return time.Time{}, false, errNotTime
		}
		var okh, okm bool
		h, okh = digits(s[i+1 : i+3])
		mi, okm = digits(s[i+4 : i+6])
		if !okh || !okm || h > 24 || mi > 59 {
			return time.Time{}, false, errNotTime
		}
		i += 6
		if i < n && s[i] == ':' {
			if n < i+3 {
				return time.Time{}, false, errNotTime
			}
			var oks bool
			sec, oks = digits(s[i+1 : i+3])
			if !oks || sec > 59 {
				return time.Time{}, false, errNotTime
			}
			i += 3
			if i < n && s[i] == '.' {
				i++
				start := i
				scale := 100000000
				for i < n && s[i] >= '0' && s[i] <= '9' {
					if scale > 0 {
						nsec += int(s[i]-'0') * scale
						scale /= 10
					}
					i++
				}
				if i == start {
					return time.Time{}, false, errNotTime
				}
			}
		}
		if h == 24 && (mi != 0 || sec != 0 || nsec != 0) {
			return time.Time{}, false, errNotTime
		}
	}
	offset := 0
	if i < n {
		switch s[i] {
		case 'Z':
			i++
		case '+', '-':
			if n < i+6 || s[i+3] != ':' {
				return time.Time{}, false, errNotTime
			}
			oh, ok1 := digits(s[i+1 : i+3])
			om, ok2 := digits(s[i+4 : i+6])
			if !ok1 || !ok2 || oh > 14 || om > 59 {
				return time.Time{}, false, errNotTime
			}
			offset = oh*3600 + om*60
			if s[i] == '-' {
				offset = -offset
			}
			i += 6
		}
	}
	if i != n {
		return time.Time{}, false, errNotTime
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, nsec, time.UTC).Add(-time.Duration(offset) * time.Second)
	return t, day, nil
}

func digits(s string) (int, bool) {
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, len(s) > 0
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

// parseDuration reads an xsd:duration: -?PnYnMnDTnHnMnS, seconds possibly
// fractional.
func parseDuration(s string) (months int64, seconds float64, err error) {
	i, n := 0, len(s)
	neg := false
	if i < n && s[i] == '-' {
		neg = true
		i++
	}
	if i >= n || s[i] != 'P' {
		return 0, 0, errNotDuration
	}
	i++
	inTime, any := false, false
	order := "YMD"
	for i < n {
		if s[i] == 'T' {
			if inTime {
				return 0, 0, errNotDuration
			}
			inTime = true
			order = "HMS"
			i++
			if i >= n {
				return 0, 0, errNotDuration
			}
			continue
		}
		start := i
		for i < n && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == start || i >= n || i-start > 18 {
			return 0, 0, errNotDuration
		}
		num := s[start:i]
		des := s[i]
		i++
		pos := strings.IndexByte(order, des)
		if pos < 0 {
			return 0, 0, errNotDuration
		}
		order = order[pos+1:]
		frac := strings.IndexByte(num, '.') >= 0
		if frac && !(inTime && des == 'S') {
			return 0, 0, errNotDuration
		}
		v, perr := strconv.ParseFloat(num, 64)
		if perr != nil || math.IsInf(v, 0) {
			return 0, 0, errNotDuration
		}
		any = true
		switch {
		case !inTime && des == 'Y':
			months += int64(v) * 12
		case !inTime && des == 'M':
			months += int64(v)
		case !inTime && des == 'D':
			seconds += v * 86400
		case inTime && des == 'H':
			seconds += v * 3600
		case inTime && des == 'M':
			seconds += v * 60
		case inTime && des == 'S':
			seconds += v
		}
	}
	if !any {
		return 0, 0, errNotDuration
	}
	if months > 1e6 || seconds > 1e13 {
		return 0, 0, errNotDuration
	}
	if neg {
		months, seconds = -months, -seconds
	}
	return months, seconds, nil
}

// durationReferences are the four starting instants XML Schema uses to
// order durations that mix months and days (1696-09-01 and 1697-02-01
// moved 400 years on: the Gregorian calendar repeats every 400 years, and
// the shifted instants fit in nanosecond timestamps, as Rego needs).
var durationReferences = [4]time.Time{
	time.Date(2096, 9, 1, 0, 0, 0, 0, time.UTC),
	time.Date(2097, 2, 1, 0, 0, 0, 0, time.UTC),
	time.Date(1903, 3, 1, 0, 0, 0, 0, time.UTC),
	time.Date(1903, 7, 1, 0, 0, 0, 0, time.UTC),
}

// compareDuration orders two durations: -1, 0, 1, or ok == false when the
// XML Schema partial order leaves them incomparable (P1M against P30D).
func compareDuration(am int64, as float64, bm int64, bs float64) (int, bool) {
	if am == bm {
		return cmpFloat(as, bs), true
	}
	if as == bs {
		if am < bm {
			return -1, true
		}
		return 1, true
	}
	res := 0
	for i, ref := range durationReferences {
		ta := ref.AddDate(0, int(am), 0).Add(time.Duration(as * float64(time.Second)))
		tb := ref.AddDate(0, int(bm), 0).Add(time.Duration(bs * float64(time.Second)))
		c := ta.Compare(tb)
		if i == 0 {
			res = c
		} else if c != res {
			return 0, false
		}
	}
	return res, true
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseLevel reads a classification level.
func parseLevel(s string) (float64, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "general", "一般", "一般数据":
		return 1, nil
	case "important", "重要", "重要数据":
		return 2, nil
	case "core", "核心", "核心数据":
		return 3, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errNotLevel
	}
	return f, nil
}

func parseNumber(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errNotNumber
	}
	return f, nil
}

// normSpatial normalises a jurisdiction: ISO 3166 alpha-2/alpha-3 codes,
// their subdivisions ("CN-GD") and region codes are upper-cased; IRIs and
// anything else are kept as written.
func normSpatial(s string) string {
	if len(s) < 2 || len(s) > 9 {
		return s
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c >= '0' && c <= '9') {
			return s
		}
	}
	if s[0] == '-' || s[len(s)-1] == '-' {
		return s
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 'a' && s[i] <= 'z' {
			return strings.ToUpper(s)
		}
	}
	return s
}

// domainOf is the comparison domain of a left operand type; typeAny is
// decided from the right operand.
func domainOf(t valueType) kind {
	switch t {
	case typeDateTime:
		return kTime
	case typeDuration:
		return kDuration
	case typeNumber:
		return kNumber
	case typeLevel:
		return kLevel
	}
	return kToken
}

// anyDomain picks the domain of a typeAny operand from its right operand.
func anyDomain(v Value) kind {
	switch strings.TrimPrefix(v.Datatype, xsdNS) {
	case "dateTime", "date", "dateTimeStamp":
		return kTime
	case "duration", "dayTimeDuration", "yearMonthDuration":
		return kDuration
	case "integer", "decimal", "double", "float", "int", "long", "short", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong":
		return kNumber
	}
	if v.Datatype == "" && !v.IRI && v.number {
		return kNumber
	}
	return kToken
}

// rightValue converts a right-operand value to domain k.
func rightValue(k kind, t valueType, v Value) (val, error) {
	return lexicalValue(k, t, v.Lexical, v.IRI)
}

func lexicalValue(k kind, t valueType, s string, iri bool) (val, error) {
	switch k {
	case kTime:
		tm, day, err := parseDateTime(s)
		if err != nil {
			return val{}, err
		}
		return val{k: kTime, t: tm, day: day}, nil
	case kDuration:
		m, sec, err := parseDuration(s)
		if err != nil {
			return val{}, err
		}
		return val{k: kDuration, mon: m, num: sec}, nil
	case kNumber:
		f, err := parseNumber(s)
		if err != nil {
			return val{}, err
		}
		return val{k: kNumber, num: f}, nil
	case kLevel:
		f, err := parseLevel(s)
		if err != nil {
			return val{}, err
		}
		return val{k: kLevel, num: f}, nil
	}
	if t == typeSpatial && !iri {
		s = normSpatial(s)
	}
	return val{k: kToken, s: s}, nil
}

// leftValue converts one value from a request's context to domain k.
// Accepted Go types: string, bool, json.Number, the integer and float
// types, time.Time, time.Duration, and a JSON-LD value object
// (map with "@value", optionally "@type" and "unit", or "@id").
func leftValue(k kind, t valueType, x any) (val, error) {
	switch v := x.(type) {
	case string:
		return lexicalValue(k, t, v, false)
	case json.Number:
		if k == kToken {
			return val{k: kToken, s: v.String()}, nil
		}
		return lexicalValue(k, t, v.String(), false)
	case float64:
		return numberValue(k, v)
	case int:
		return numberValue(k, float64(v))
	case int64:
		return numberValue(k, float64(v))
	case int32:
		return numberValue(k, float64(v))
	case uint:
		return numberValue(k, float64(v))
	case uint64:
		return numberValue(k, float64(v))
	case float32:
		return numberValue(k, float64(v))
	case bool:
		if k != kToken {
			return val{}, errors.New("a boolean")
		}
		return val{k: kToken, s: strconv.FormatBool(v)}, nil
	case time.Time:
		if k != kTime {
			return val{}, errors.New("a time")
		}
		return val{k: kTime, t: v.UTC()}, nil
	case time.Duration:
		if k != kDuration {
			return val{}, errors.New("a duration")
		}
		return val{k: kDuration, num: v.Seconds()}, nil
	case map[string]any:
		if id, ok := v["@id"].(string); ok && len(v) == 1 {
			return lexicalValue(k, t, id, true)
		}
		raw, ok := v["@value"]
		if !ok {
			return val{}, errors.New("an object that is not a JSON-LD value")
		}
		var out val
		var err error
		if s, ok := raw.(string); ok {
			out, err = lexicalValue(k, t, s, false)
		} else {
			out, err = leftValue(k, t, raw)
		}
		if err != nil {
			return val{}, err
		}
		if u, ok := v["unit"].(string); ok {
			out.unit = expandPrefixed(u)
		}
		return out, nil
	}
	return val{}, errors.New("a value of an unsupported type")
}

// expandPrefixed expands the prefixes odrl:, xborder: and xsd:; anything
// else is returned as written.
func expandPrefixed(s string) string {
	switch {
	case strings.HasPrefix(s, "odrl:"):
		return NS + s[5:]
	case strings.HasPrefix(s, "xborder:"):
		return XborderNS + s[8:]
	case strings.HasPrefix(s, "xsd:"):
		return xsdNS + s[4:]
	}
	return s
}

func numberValue(k kind, f float64) (val, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return val{}, errNotNumber
	}
	switch k {
	case kNumber, kLevel:
		return val{k: k, num: f}, nil
	case kToken:
		return val{k: kToken, s: strconv.FormatFloat(f, 'f', -1, 64)}, nil
	}
	return val{}, errors.New("a number")
}

// display renders a right-operand value for messages and Rego.
func (v Value) display() string {
	if v.IRI {
		return Short(v.Lexical)
	}
	return v.Lexical
}
