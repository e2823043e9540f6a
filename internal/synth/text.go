package synth

import (
	"math/rand/v2"
	"strconv"

	"github.com/xborder/xborder/internal/classify"
)

// This file holds the generators of text values: names, e-mail addresses,
// postal addresses, diagnoses and free-text remarks.

// cnName indexes a Chinese name in the surname and given-name tables; g2 < 0
// for a one-character given name.
type cnName struct{ sur, g1, g2 int }

// cumulative returns the running sums of the weights of ws.
func cumulative(ws []weighted) []int {
	c := make([]int, len(ws))
	t := 0
	for i, w := range ws {
		t += w.W
		c[i] = t
	}
	return c
}

var surnameCum = cumulative(surnames[:]) // read-only after init

func pickWeighted(r *rand.Rand, cum []int) int {
	x := r.IntN(cum[len(cum)-1])
	lo, hi := 0, len(cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if cum[mid] > x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

func newCNName(r *rand.Rand) cnName {
	n := cnName{sur: pickWeighted(r, surnameCum), g1: r.IntN(len(givenChars)), g2: -1}
	if r.IntN(10) < 7 {
		n.g2 = r.IntN(len(givenChars))
	}
	return n
}

func (n cnName) appendTo(dst []byte) []byte {
	dst = append(dst, surnames[n.sur].S...)
	dst = append(dst, givenChars[n.g1].S...)
	if n.g2 >= 0 {
		dst = append(dst, givenChars[n.g2].S...)
	}
	return dst
}

// appendEmailFor appends an e-mail address whose local part is the pinyin of
// the name, decorated the ways people do.
func (n cnName) appendEmail(dst []byte, r *rand.Rand) []byte {
	given := func(dst []byte) []byte {
		dst = append(dst, givenChars[n.g1].Pinyin...)
		if n.g2 >= 0 {
			dst = append(dst, givenChars[n.g2].Pinyin...)
		}
		return dst
	}
	switch r.IntN(4) {
	case 0:
		dst = append(dst, surnames[n.sur].Pinyin...)
		dst = given(dst)
	case 1:
		dst = given(dst)
		dst = append(dst, '.')
		dst = append(dst, surnames[n.sur].Pinyin...)
	case 2:
		dst = append(dst, surnames[n.sur].Pinyin...)
		dst = append(dst, '_')
		dst = given(dst)
	default:
		dst = append(dst, surnames[n.sur].Pinyin[0])
		dst = append(dst, givenChars[n.g1].Pinyin[0])
		if n.g2 >= 0 {
			dst = append(dst, givenChars[n.g2].Pinyin[0])
		}
	}
	if r.IntN(3) > 0 {
		dst = strconv.AppendInt(dst, int64(r.IntN(9999)), 10)
	}
	dst = append(dst, '@')
	return append(dst, emailDomains[r.IntN(len(emailDomains))]...)
}

// ChineseName returns a Chinese personal name: a surname drawn by frequency
// and one or two given-name characters.
func ChineseName(r *rand.Rand) string { return string(newCNName(r).appendTo(nil)) }

// Email returns a plausible personal e-mail address.
func Email(r *rand.Rand) string {
	if r.IntN(4) == 0 {
		return EnglishEmail(r)
	}
	return string(newCNName(r).appendEmail(nil, r))
}

// EnglishEmail returns an address built from an English name.
func EnglishEmail(r *rand.Rand) string {
	f, l := englishFirst[r.IntN(len(englishFirst))], englishLast[r.IntN(len(englishLast))]
	b := make([]byte, 0, 40)
	for _, s := range []string{f, ".", l} {
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c >= 'A' && c <= 'Z':
				b = append(b, c+'a'-'A')
			case c >= 'a' && c <= 'z' || c == '.':
				b = append(b, c)
			}
		}
	}
	if r.IntN(2) == 0 {
		b = strconv.AppendInt(b, int64(r.IntN(99)), 10)
	}
	b = append(b, '@')
	b = append(b, emailDomains[4+r.IntN(len(emailDomains)-4)]...)
	return string(b)
}

// appendCNAddress appends a street address in regions[region].
func appendCNAddress(dst []byte, r *rand.Rand, region int) []byte {
	g := &regions[region]
	dst = append(dst, g.Province...)
	dst = append(dst, g.City...)
	dst = append(dst, g.District...)
	dst = append(dst, roads[r.IntN(len(roads))]...)
	dst = strconv.AppendInt(dst, int64(1+r.IntN(999)), 10)
	dst = append(dst, "号"...)
	if r.IntN(10) < 6 {
		dst = append(dst, estates[r.IntN(len(estates))]...)
		dst = strconv.AppendInt(dst, int64(1+r.IntN(30)), 10)
		dst = append(dst, "栋"...)
		dst = strconv.AppendInt(dst, int64(1+r.IntN(4)), 10)
		dst = append(dst, "单元"...)
		dst = strconv.AppendInt(dst, int64(1+r.IntN(32)), 10)
		dst = appendPad(dst, 1+r.IntN(6), 2)
		dst = append(dst, "室"...)
	}
	return dst
}

// ChineseAddress returns a mainland address: province, city, district, road,
// number and often an estate, building, unit and room.
func ChineseAddress(r *rand.Rand) string {
	return string(appendCNAddress(nil, r, r.IntN(len(regions))))
}

// EnglishName returns "First Last".
func EnglishName(r *rand.Rand) string {
	return englishFirst[r.IntN(len(englishFirst))] + " " + englishLast[r.IntN(len(englishLast))]
}

// EnglishAddress returns a US or UK street address.
func EnglishAddress(r *rand.Rand) string {
	b := strconv.AppendInt(make([]byte, 0, 64), int64(1+r.IntN(9999)), 10)
	b = append(b, ' ')
	b = append(b, usStreets[r.IntN(len(usStreets))]...)
	if r.IntN(3) == 0 {
		t := ukTowns[r.IntN(len(ukTowns))]
		b = append(b, ", "...)
		b = append(b, t.Town...)
		b = append(b, ' ')
		b = append(b, t.Postcode...)
		return string(b)
	}
	c := usCities[r.IntN(len(usCities))]
	if r.IntN(3) == 0 {
		b = append(b, ", Apt "...)
		b = strconv.AppendInt(b, int64(1+r.IntN(40)), 10)
	}
	b = append(b, ", "...)
	b = append(b, c.City...)
	b = append(b, ", "...)
	b = append(b, c.State...)
	b = append(b, ' ')
	b = append(b, c.ZIP...)
	return string(b)
}

// Diagnosis returns a health diagnosis: Chinese, ICD-10 code, both, or
// English.
func Diagnosis(r *rand.Rand) string {
	return string(appendDiagnosis(nil, r, r.IntN(len(diagnoses))))
}

// appendDiagnosis appends diagnoses[i] in a layout drawn from r.
func appendDiagnosis(dst []byte, r *rand.Rand, i int) []byte {
	d := &diagnoses[i]
	switch r.IntN(4) {
	case 0:
		return append(dst, d.ICD...)
	case 1:
		dst = append(dst, d.ICD...)
		dst = append(dst, ' ')
		return append(dst, d.ZH...)
	case 2:
		return append(dst, d.EN...)
	default:
		return append(dst, d.ZH...)
	}
}

// Text is a free-text value and the identifiers embedded in it.
type Text struct {
	Text     string
	Embedded classify.Class // ClassNone when the text carries no identifier
	Value    string         // the embedded identifier
}

// FreeText returns a Chinese or English remark that now and then embeds a
// mobile number or a resident identity number; Embedded says which.
func FreeText(r *rand.Rand) Text {
	switch x := r.IntN(20); {
	case x < 2:
		v := CNMobile(r)
		return Text{fill(remarksZHSlot[r.IntN(len(remarksZHSlot))], v), classify.ClassCNMobile, v}
	case x < 3:
		v := ResidentID(r)
		return Text{fill(remarksIDSlot[r.IntN(len(remarksIDSlot))], v), classify.ClassCNResidentID, v}
	case x < 4:
		v := "+86 " + CNMobile(r)
		return Text{fill(remarksENSlot[r.IntN(len(remarksENSlot))], v), classify.ClassCNMobile, v}
	case x < 8:
		return Text{remarksEN[r.IntN(len(remarksEN))], classify.ClassNone, ""}
	default:
		return Text{remarksZH[r.IntN(len(remarksZH))], classify.ClassNone, ""}
	}
}

// fill replaces the first "{}" of tmpl with v.
func fill(tmpl, v string) string {
	return string(appendFill(nil, tmpl, v))
}

// appendFill appends tmpl with its first "{}" replaced by v; v may alias
// bytes of dst before len(dst), which stay untouched.
func appendFill[T string | []byte](dst []byte, tmpl string, v T) []byte {
	for i := 0; i+1 < len(tmpl); i++ {
		if tmpl[i] == '{' && tmpl[i+1] == '}' {
			dst = append(dst, tmpl[:i]...)
			dst = append(dst, v...)
			return append(dst, tmpl[i+2:]...)
		}
	}
	return append(dst, tmpl...)
}
