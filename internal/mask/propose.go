package mask

import (
	"fmt"
	"strings"

	"github.com/xborder/xborder/internal/classify"
)

// Propose drafts a policy from the classification of a dataset's columns
// (classify.Profile.Fields), for a compliance officer to review and edit
// before it goes into an agreement. It is a starting point, not a
// decision: every rule carries a note saying why it was proposed.
//
//   - resident ID, passport, HKID, SSN, bank card, IBAN: pseudonymise with
//     the class's normalisation (the recipient can still join and count
//     persons, not read the numbers);
//   - mobile, phone, e-mail, name, address, IP address: mask with the
//     class's format;
//   - birth date: generalise to the year; age: bands of 10 years;
//     coordinates: rounded to 2 decimals (about 1 km);
//   - health, biometric, religion, minors' data: drop (special categories:
//     keep one only for a purpose that needs it, with separate consent);
//   - columns flagged as possible important data: drop (needs review);
//   - unclassified columns that embed identifiers, or whose names say
//     free text (备注, 说明, remark, comment, note, description …): drop;
//   - other unclassified columns and organisation IDs (cn_uscc): keep.
//
// Columns are proposed in order of first appearance. A name classified
// differently in two tables is dropped, with a note naming both classes.
// The default rule is drop.
func Propose(fields []classify.FieldProfile) *Policy {
	p := &Policy{Version: PolicyVersion, Default: &Rule{Action: Drop, Note: "columns not named here do not leave"}}
	index := map[string]int{}
	classes := map[string]classify.Class{}
	for _, f := range fields {
		r := proposeRule(f)
		if j, ok := index[f.Name]; ok {
			if classes[f.Name] != f.Class {
				p.Columns[j] = Rule{Name: f.Name, Action: Drop, Note: fmt.Sprintf("classified as %s in one table and %s in another; review", classes[f.Name], f.Class)}
			}
			continue
		}
		index[f.Name] = len(p.Columns)
		classes[f.Name] = f.Class
		p.Columns = append(p.Columns, r)
	}
	return p
}

func proposeRule(f classify.FieldProfile) Rule {
	r := Rule{Name: f.Name}
	why := fmt.Sprintf("%s (confidence %.2f)", f.Class, f.Confidence)
	if f.Sensitive {
		why += ", sensitive (PIPL art 28)"
	}
	if f.ImportantCandidate {
		r.Action, r.Note = Drop, "possible important data (GB/T 43697-2024): review before anything leaves"
		return r
	}
	switch f.Class {
	case classify.ClassCNResidentID, classify.ClassPassport, classify.ClassHKID, classify.ClassUSSSN,
		classify.ClassBankCard, classify.ClassIBAN:
		r.Action, r.Class = Pseudonymise, f.Class
		r.Note = why + ": keyed token per agreement keeps joins and counts, hides the number"
	case classify.ClassCNMobile, classify.ClassPhone, classify.ClassEmail, classify.ClassPersonName,
		classify.ClassAddress, classify.ClassIPAddress:
		r.Action, r.Class = Mask, f.Class
		r.Note = why + ": partial mask for display; drop it if the purpose does not need it"
	case classify.ClassBirthDate:
		r.Action, r.Kind, r.Granularity = Generalise, KindDate, "year"
		r.Note = why + ": year of birth only"
	case classify.ClassAge:
		r.Action, r.Kind, r.Width = Generalise, KindNumber, 10
		r.Note = why + ": ten-year bands"
	case classify.ClassGeoPrecise, classify.ClassGeoCoarse:
		two := 2
		r.Action, r.Kind, r.Decimals = Generalise, KindGeo, &two
		r.Note = why + ": rounded to 2 decimals (about 1.1 km), no longer precise location"
	case classify.ClassHealth, classify.ClassBiometric, classify.ClassReligion, classify.ClassMinor:
		r.Action = Drop
		r.Note = why + ": special category; keep only if the purpose needs it, with separate consent (PIPL art 29)"
	case classify.ClassCNUSCC:
		r.Action = Keep
		r.Note = why + ": identifies an organisation (check for individual businesses)"
	default:
		switch {
		case len(f.Embedded) > 0:
			r.Action = Drop
			r.Note = "unclassified text that embeds identifiers"
		case freeTextName(f.Name):
			r.Action = Drop
			r.Note = "free text by its name: may hold anything"
		default:
			r.Action = Keep
			r.Note = "no personal information found; check that the purpose needs it"
		}
	}
	return r
}

var freeTextZH = []string{"备注", "说明", "描述", "评论", "留言", "内容", "意见", "反馈", "附言", "摘要", "详情"}
var freeTextEN = []string{"remark", "remarks", "comment", "comments", "note", "notes", "description", "desc",
	"memo", "text", "content", "message", "feedback", "details", "summary", "bz"}

func freeTextName(name string) bool {
	for _, w := range freeTextZH {
		if strings.Contains(name, w) {
			return true
		}
	}
	tokens := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return r == '_' || r == '-' || r == ' ' || r == '.'
	})
	for _, t := range tokens {
		for _, w := range freeTextEN {
			if t == w {
				return true
			}
		}
	}
	return false
}
