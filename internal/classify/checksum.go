package classify

// Check-digit algorithms of the identifiers the classifier validates. They are
// exported so that the synthetic-data generator (internal/synth) builds valid
// values with the very algorithms the validators check, rather than a copy.

// residentIDWeights are the GB 11643-1999 (ISO 7064 MOD 11-2) weights of the
// first 17 characters of an 18-character resident identity number.
var residentIDWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// ResidentIDCheckChar returns the GB 11643-1999 check character ('0'–'9' or
// 'X') for the first 17 digits of a resident identity number. ok is false when
// first17 is not 17 ASCII digits.
func ResidentIDCheckChar(first17 string) (c byte, ok bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		d := first17[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		sum += int(d-'0') * residentIDWeights[i]
	}
	return "10X98765432"[sum%11], true
}

// usccAlphabet is the GB 32100-2015 code alphabet: digits and capital letters
// without I, O, Z, S and V; a character's value is its index.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

func usccValue(c byte) int {
	for i := 0; i < len(usccAlphabet); i++ {
		if usccAlphabet[i] == c {
			return i
		}
	}
	return -1
}

// USCCCheckChar returns the GB 32100-2015 check character for the first 17
// characters of a unified social credit code. ok is false when first17 has a
// character outside the code alphabet or the wrong length.
func USCCCheckChar(first17 string) (c byte, ok bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := usccValue(first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * usccWeights[i]
	}
	check := 31 - sum%31
	if check == 31 {
		check = 0
	}
	return usccAlphabet[check], true
}

// LuhnCheckDigit returns the Luhn (ISO/IEC 7812-1) check digit to append to
// payload, a string of ASCII digits.
func LuhnCheckDigit(payload string) (c byte, ok bool) {
	if payload == "" {
		return 0, false
	}
	sum := 0
	double := true // the digit left of the check digit is doubled
	for i := len(payload) - 1; i >= 0; i-- {
		d := payload[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		v := int(d - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return byte('0' + (10-sum%10)%10), true
}

// LuhnValid reports whether number, ASCII digits with its check digit last,
// passes the Luhn check.
func LuhnValid(number string) bool {
	if len(number) < 2 {
		return false
	}
	c, ok := LuhnCheckDigit(number[:len(number)-1])
	return ok && c == number[len(number)-1]
}

// ibanMod97 computes the ISO 7064 MOD 97-10 remainder of s, where letters
// count as two digits (A=10 … Z=35). ok is false on any other character.
func ibanMod97(s string) (int, bool) {
	r := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
		default:
			return 0, false
		}
	}
	return r, true
}

// IBANCheckDigits returns the two ISO 13616 check digits for a two-letter
// country code and an upper-case alphanumeric BBAN.
func IBANCheckDigits(country, bban string) (string, bool) {
	if len(country) != 2 {
		return "", false
	}
	r, ok := ibanMod97(bban + country + "00")
	if !ok {
		return "", false
	}
	d := 98 - r
	return string([]byte{byte('0' + d/10), byte('0' + d%10)}), true
}

// IBANValid reports whether iban (upper case, no spaces) passes the
// ISO 13616 mod-97 check. It does not check the country's length.
func IBANValid(iban string) bool {
	if len(iban) < 5 {
		return false
	}
	r, ok := ibanMod97(iban[4:] + iban[:4])
	return ok && r == 1
}

// HKIDCheckChar returns the check character ('0'–'9' or 'A') of a Hong Kong
// identity card number given its prefix: one or two capital letters then six
// digits, e.g. "D288754" → '2'. A single-letter prefix counts a leading
// space as 36, as the issuing algorithm does.
func HKIDCheckChar(prefix string) (c byte, ok bool) {
	var letters string
	switch len(prefix) {
	case 7:
		letters = prefix[:1]
	case 8:
		letters = prefix[:2]
	default:
		return 0, false
	}
	digits := prefix[len(letters):]
	sum := 0
	if len(letters) == 1 {
		sum += 36 * 9
	}
	w := 10 - len(letters)
	if len(letters) == 1 {
		w = 8
	}
	for i := 0; i < len(letters); i++ {
		l := letters[i]
		if l < 'A' || l > 'Z' {
			return 0, false
		}
		sum += (int(l-'A') + 10) * w
		w--
	}
	for i := 0; i < len(digits); i++ {
		d := digits[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		sum += int(d-'0') * w
		w--
	}
	check := (11 - sum%11) % 11
	if check == 10 {
		return 'A', true
	}
	return byte('0' + check), true
}
