package classify

import (
	"strings"
	"unicode/utf8"
)

// Mask returns a masked form of value v of class c, safe to show in a
// report. Raw values never leave the package; only these do.
//
//   - long identifiers (12 characters or more): the first 4 and last 4
//     kept, the rest '*' ("4403**********1234");
//   - mobile and other phone numbers: the first 3 and last 4 kept;
//   - shorter identifiers: the first and last character kept;
//   - person names: the surname kept, one '*' per other character ("张**");
//     Latin names: the initial of the first word ("J*** S****");
//   - e-mail: the first character and the domain ("z***@example.com");
//   - addresses: the first 2 characters; birth dates: the year;
//     coordinates: whole degrees; IP addresses: the first group;
//   - health, biometric, religion, age and anything else: all '*' (at most
//     8); so is any value the rules above would leave unchanged.
func Mask(c Class, v string) string {
	s := TrimSpace(v)
	if s == "" {
		return ""
	}
	if m := mask(c, s); m != s {
		return m
	}
	return stars(s)
}

func mask(c Class, s string) string {
	switch c {
	case ClassCNMobile, ClassPhone:
		return keepEnds(s, 3, 4)
	case ClassCNResidentID, ClassBankCard, ClassCNUSCC, ClassIBAN, ClassPassport, ClassHKID, ClassUSSSN:
		if utf8.RuneCountInString(s) >= 12 {
			return keepEnds(s, 4, 4)
		}
		return keepEnds(s, 1, 1)
	case ClassPersonName:
		return maskName(s)
	case ClassEmail:
		at := strings.LastIndexByte(s, '@')
		if at < 1 {
			return stars(s)
		}
		_, size := utf8.DecodeRuneInString(s)
		return s[:size] + "***" + s[at:]
	case ClassAddress:
		return keepEnds(s, 2, 0)
	case ClassBirthDate:
		if y, _, _, ok := parseDate(s); ok && y > 0 {
			return itoa4(y) + "-**-**"
		}
		return stars(s)
	case ClassGeoPrecise, ClassGeoCoarse:
		return maskDecimals(s)
	case ClassIPAddress:
		i := strings.IndexAny(s, ".:")
		if i < 0 {
			return stars(s)
		}
		return s[:i+1] + "*"
	}
	return stars(s)
}

// keepEnds keeps the first head and last tail runes of s and stars the rest.
// Values too short to hide anything become all stars.
func keepEnds(s string, head, tail int) string {
	n := utf8.RuneCountInString(s)
	if n <= head+tail || n < 4 {
		return stars(s)
	}
	var b strings.Builder
	i := 0
	for _, r := range s {
		if i < head || i >= n-tail {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}

func stars(s string) string {
	n := utf8.RuneCountInString(s)
	if n > 8 {
		n = 8
	}
	return strings.Repeat("*", n)
}

func maskName(s string) string {
	if s[0] < utf8.RuneSelf {
		var b strings.Builder
		first := true
		inWord := false
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c == ' ':
				b.WriteByte(' ')
				inWord = false
			case !inWord:
				inWord = true
				if first {
					b.WriteByte(c)
					first = false
				} else {
					b.WriteByte('*')
				}
			default:
				b.WriteByte('*')
			}
		}
		return b.String()
	}
	rs := []rune(s)
	keep := 1
	if len(rs) >= 3 && isCompoundSurname(rs[0], rs[1]) {
		keep = 2
	}
	if len(rs) <= keep {
		return stars(s)
	}
	return string(rs[:keep]) + strings.Repeat("*", len(rs)-keep)
}

// maskDecimals keeps the whole part of every number in s and stars its
// decimals.
func maskDecimals(s string) string {
	var b strings.Builder
	dec := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			dec = 0
			b.WriteByte(c)
		case isDigit(c) && dec >= 0:
			dec++
			if dec == 1 {
				b.WriteByte('*')
			}
		default:
			dec = -1
			b.WriteByte(c)
		}
	}
	return b.String()
}

func itoa4(y int) string {
	return string([]byte{byte('0' + y/1000%10), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10)})
}
