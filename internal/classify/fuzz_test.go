package classify

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets: every validator must be total (no panic on any input),
// agree with the check-digit functions when it says strong, and never let
// Mask return the raw value. Seeds live in testdata/fuzz/<Target>.

func checkMasked(t *testing.T, c Class, v string) {
	t.Helper()
	s := TrimSpace(v)
	m := Mask(c, v)
	if utf8.RuneCountInString(s) >= 4 && m == s {
		t.Fatalf("Mask(%s, %q) returned the raw value", c, v)
	}
}

func fuzzValidator(f *testing.F, c Class, fn func(string, *colEnv) match, prop func(*testing.T, string, match)) {
	f.Fuzz(func(t *testing.T, v string) {
		env := colEnv{ref: 20260415, hints: hLat}
		m := fn(v, &env)
		if m == noMatch {
			return
		}
		checkMasked(t, c, v)
		_ = isMinor(c, v, &env)
		_ = appendIdentity(nil, c, v)
		if prop != nil {
			prop(t, v, m)
		}
	})
}

func compacted(v string) string {
	var buf [64]byte
	b, _ := compact(TrimSpace(v), buf[:], "()")
	return string(b)
}

func FuzzResidentID(f *testing.F) {
	fuzzValidator(f, ClassCNResidentID, residentID, func(t *testing.T, v string, m match) {
		s := compacted(v)
		if m == strongMatch {
			c, ok := ResidentIDCheckChar(s[:17])
			if len(s) != 18 || !ok || c != s[17] {
				t.Fatalf("%q strong but check fails", v)
			}
		}
		if _, ok := residentIDBirth(v); !ok {
			t.Fatalf("%q valid but no birth date", v)
		}
	})
}

func FuzzMobile(f *testing.F) { fuzzValidator(f, ClassCNMobile, cnMobile, nil) }
func FuzzPhone(f *testing.F)  { fuzzValidator(f, ClassPhone, phone, nil) }

func FuzzBankCard(f *testing.F) {
	fuzzValidator(f, ClassBankCard, bankCard, func(t *testing.T, v string, _ match) {
		if s := compacted(v); !LuhnValid(s) || len(s) < 12 || len(s) > 19 {
			t.Fatalf("%q accepted but fails Luhn or length", v)
		}
	})
}

func FuzzUSCC(f *testing.F) {
	fuzzValidator(f, ClassCNUSCC, uscc, func(t *testing.T, v string, _ match) {
		s := compacted(v)
		if c, ok := USCCCheckChar(s[:17]); !ok || c != s[17] {
			t.Fatalf("%q accepted but check fails", v)
		}
	})
}

func FuzzEmail(f *testing.F) {
	fuzzValidator(f, ClassEmail, email, func(t *testing.T, v string, _ match) {
		if strings.Count(v, "@") != 1 {
			t.Fatalf("%q accepted", v)
		}
	})
}

func FuzzIP(f *testing.F)       { fuzzValidator(f, ClassIPAddress, ipAddress, nil) }
func FuzzGeo(f *testing.F)      { fuzzValidator(f, ClassGeoPrecise, geo, nil) }
func FuzzPassport(f *testing.F) { fuzzValidator(f, ClassPassport, passport, nil) }

func FuzzHKID(f *testing.F) {
	fuzzValidator(f, ClassHKID, hkid, func(t *testing.T, v string, _ match) {
		s := compacted(v)
		if c, ok := HKIDCheckChar(s[:len(s)-1]); !ok || c != s[len(s)-1] {
			t.Fatalf("%q accepted but check fails", v)
		}
	})
}

func FuzzIBAN(f *testing.F) {
	fuzzValidator(f, ClassIBAN, iban, func(t *testing.T, v string, _ match) {
		if !IBANValid(compacted(v)) {
			t.Fatalf("%q accepted but mod 97 fails", v)
		}
	})
}

func FuzzSSN(f *testing.F)       { fuzzValidator(f, ClassUSSSN, usSSN, nil) }
func FuzzBirthDate(f *testing.F) { fuzzValidator(f, ClassBirthDate, birthDate, nil) }
func FuzzName(f *testing.F)      { fuzzValidator(f, ClassPersonName, personName, nil) }
func FuzzAddress(f *testing.F)   { fuzzValidator(f, ClassAddress, address, nil) }

func FuzzEmbedded(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string) {
		_ = scanEmbedded(v, &colEnv{ref: 20260415})
	})
}

func FuzzClassifyValues(f *testing.F) {
	f.Add("身份证号", "11010519491231002X", "110105491231002", "")
	f.Add("card", "4111 1111 1111 1111", "x", "6212260200000000006")
	f.Fuzz(func(t *testing.T, name, a, b, c string) {
		fp := ClassifyValues(name, []string{a, b, c, a}, Options{RefDate: testRef})
		if fp.Confidence < 0 || fp.Confidence > maxConfidence || fp.ValidRatio < 0 || fp.ValidRatio > 1 {
			t.Fatalf("out of range: %+v", fp)
		}
		if _, ok := classInfos[fp.Class]; !ok {
			t.Fatalf("unknown class %q", fp.Class)
		}
		for _, v := range []string{a, b, c} {
			if s := TrimSpace(v); utf8.RuneCountInString(s) >= 4 && (fp.Example == s || strings.Contains(fp.Reason, s)) {
				t.Fatalf("raw value %q in %+v", v, fp)
			}
		}
	})
}

func FuzzAge(f *testing.F)       { fuzzValidator(f, ClassAge, age, nil) }
func FuzzHealth(f *testing.F)    { fuzzValidator(f, ClassHealth, health, nil) }
func FuzzBiometric(f *testing.F) { fuzzValidator(f, ClassBiometric, biometric, nil) }
func FuzzReligion(f *testing.F)  { fuzzValidator(f, ClassReligion, religion, nil) }
