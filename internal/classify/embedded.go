package classify

// scanEmbedded looks for identifiers inside free text with a cheap
// pre-filter: it walks the bytes once, and only maximal ASCII digit runs of
// length 11 (mobile), 15–19 (resident ID, bank card) and the text around an
// '@' (e-mail) reach a validator. A run must not touch a letter or digit on
// either side (a trailing X of a resident ID excepted). Digits split by
// spaces or dashes ("138-1234-5678") are not recognised. It returns a bit
// per embedded kind found.
func scanEmbedded(s string, e *colEnv) uint8 {
	var found uint8
	for i := 0; i < len(s); i++ {
		switch scanClass[s[i]] {
		case scanOther:
			continue
		case scanAt:
			if found&(1<<embEmail) == 0 && embeddedEmail(s, i) {
				found |= 1 << embEmail
			}
		case scanDigit:
			j := i + 1
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			found |= embeddedRun(s, i, j, e)
			i = j - 1
		}
	}
	return found
}

const (
	scanOther = iota
	scanDigit
	scanAt
)

// scanClass sorts bytes for scanEmbedded's one pass.
var scanClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = scanDigit
	}
	t['@'] = scanAt
	return t
}()

func embeddedRun(s string, start, end int, e *colEnv) uint8 {
	n := end - start
	if n < 11 || n > 19 || (start > 0 && isAlpha(s[start-1])) {
		return 0
	}
	if end < len(s) && isAlpha(s[end]) {
		if n == 17 && (s[end] == 'X' || s[end] == 'x') && (end+1 == len(s) || !isAlnum(s[end+1])) {
			if residentID(s[start:end+1], e) == strongMatch {
				return 1 << embResidentID
			}
		}
		return 0
	}
	run := s[start:end]
	switch {
	case n == 11:
		if run[0] == '1' && run[1] >= '3' && run[1] <= '9' {
			return 1 << embMobile
		}
	case n == 18 && residentIDCore(run, e.ref) == strongMatch:
		return 1 << embResidentID
	case n >= 16 && LuhnValid(run):
		var d [4]byte
		copy(d[:], run)
		if iinKnown(d[:]) {
			return 1 << embBankCard
		}
	}
	return 0
}

// embeddedEmail expands round the '@' at i over the characters an address
// may hold and validates the result.
func embeddedEmail(s string, at int) bool {
	l := at
	for l > 0 && isEmailLocal(s[l-1]) {
		l--
	}
	r := at + 1
	for r < len(s) && (isAlnum(s[r]) || s[r] == '.' || s[r] == '-') {
		r++
	}
	for r > at+1 && (s[r-1] == '.' || s[r-1] == '-') {
		r--
	}
	if l == at || r-at < 5 {
		return false
	}
	return email(s[l:r], nil) == strongMatch
}
