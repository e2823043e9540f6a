package classify

// Identity: which column identifies the person of a row, and the
// normalised bytes that are hashed. A row is identified by its strongest
// valid identifier in this order (doc.go, "Counting individuals"):
//
//	cn_resident_id > passport > hk_id > us_ssn > cn_mobile > phone > email > bank_card > iban
//
// Government ID numbers are one per person; mobile numbers and e-mail
// addresses nearly so; a person often holds several payment cards, so
// cards and IBANs come last.
func identityRank(c Class) int {
	switch c {
	case ClassCNResidentID:
		return 1
	case ClassPassport:
		return 2
	case ClassHKID:
		return 3
	case ClassUSSSN:
		return 4
	case ClassCNMobile:
		return 5
	case ClassPhone:
		return 6
	case ClassEmail:
		return 7
	case ClassBankCard:
		return 8
	case ClassIBAN:
		return 9
	}
	return 0
}

// Hash namespaces: one tag byte before the normalised value, so that equal
// digits of different kinds never meet.
const (
	tagResidentID = 'R'
	tagPassport   = 'P'
	tagHKID       = 'H'
	tagSSN        = 'S'
	tagPhone      = 'M' // PRC mobiles and other phones share it: same number, same person
	tagEmail      = 'E'
	tagCard       = 'B'
	tagIBAN       = 'I'
	tagKey        = 'K' // Options.IdentityKey
	tagComposite  = 'C' // no identifier: the row's personal values
)

// appendIdentity appends the tag and the normalised form of v, a valid value
// of class c, to dst.
func appendIdentity(dst []byte, c Class, v string) []byte {
	s := TrimSpace(v)
	var buf [48]byte
	switch c {
	case ClassCNResidentID:
		b, _ := compact(s, buf[:], "")
		dst = append(dst, tagResidentID)
		if len(b) == 15 {
			// GB 11643-1989 → 1999: insert the century, add the check
			// character, so both forms of one number meet.
			var id [18]byte
			copy(id[:6], b[:6])
			id[6], id[7] = '1', '9'
			copy(id[8:17], b[6:15])
			ch, _ := ResidentIDCheckChar(string(id[:17]))
			id[17] = ch
			return append(dst, id[:]...)
		}
		return append(dst, b...)
	case ClassPassport, ClassHKID, ClassIBAN:
		b, _ := compact(s, buf[:], "()")
		tag := byte(tagPassport)
		switch c {
		case ClassHKID:
			tag = tagHKID
		case ClassIBAN:
			tag = tagIBAN
		}
		dst = append(dst, tag)
		return append(dst, b...)
	case ClassUSSSN, ClassBankCard:
		dst = append(dst, tagCard)
		if c == ClassUSSSN {
			dst[len(dst)-1] = tagSSN
		}
		for i := 0; i < len(s); i++ {
			if isDigit(s[i]) {
				dst = append(dst, s[i])
			}
		}
		return dst
	case ClassCNMobile, ClassPhone:
		d, _, _, _ := phoneDigits(s, buf[:])
		if cnMobileDigits(d) {
			d = d[len(d)-11:]
		}
		dst = append(dst, tagPhone)
		return append(dst, d...)
	case ClassEmail:
		dst = append(dst, tagEmail)
		for i := 0; i < len(s); i++ {
			c := s[i]
			if isUpper(c) {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
		return dst
	}
	return append(dst, s...)
}
