package classify

import (
	"fmt"
	"math"
	"strings"
)

// candidate is a class the column classifier can choose, with its value
// validator and decision parameters (see doc.go, "Deciding a column").
type candidate struct {
	class Class
	check func(string, *colEnv) match
	hints hintMask // name hints for the class
	// hintOnly are hints that decide the class by themselves (health,
	// biometric, religion columns hold free text or opaque blobs): under
	// them every non-placeholder value counts as valid.
	hintOnly hintMask
	quality  float64 // weight of value evidence: 1 checksum … 0.6 shape only
	minRatio float64 // evidence ratio needed without a hint; 0: hint required
	minHint  float64 // evidence ratio needed with a hint
	desc     string
}

// candidates in tie-break order: on equal scores the earlier wins.
var candidates = [...]candidate{
	{ClassCNResidentID, residentID, hResidentID, 0, 1.0, 0.5, 0.5, "GB 11643 check character, GB/T 2260 region code and birth date"},
	{ClassCNUSCC, uscc, hUSCC, 0, 1.0, 0.5, 0.5, "GB 32100 check character"},
	{ClassHKID, hkid, hHKID, 0, 1.0, 0.5, 0.5, "HKID check character"},
	{ClassIBAN, iban, hIBAN, 0, 1.0, 0.5, 0.5, "ISO 13616 mod 97 and country length"},
	{ClassBankCard, bankCard, hBankCard, 0, 0.95, 0.5, 0.5, "Luhn check digit and issuer prefix"},
	{ClassUSSSN, usSSN, hSSN, 0, 0.8, 0.6, 0.3, "SSN area, group and serial rules"},
	{ClassCNMobile, cnMobile, hMobile, 0, 0.9, 0.6, 0.3, "PRC mobile number pattern"},
	{ClassPhone, phone, hPhone, 0, 0.75, 0.6, 0.3, "telephone number pattern"},
	{ClassEmail, email, hEmail, 0, 0.95, 0.6, 0.3, "e-mail address syntax"},
	{ClassIPAddress, ipAddress, hIP, 0, 0.9, 0.6, 0.3, "IPv4/IPv6 address (net/netip)"},
	{ClassGeoPrecise, geoPrecise, hLat | hLon | hGeo, 0, 0.9, 0.6, 0.3, "coordinates with ≥ 3 decimals"},
	{ClassGeoCoarse, geoCoarse, hLat | hLon | hGeo, 0, 0.6, 0.6, 0.3, "coordinates"},
	{ClassPassport, passport, hPassport, 0, 0.8, 0, 0.3, "passport number pattern"},
	{ClassBirthDate, birthDate, hBirth, 0, 0.8, 0, 0.3, "date from 1900 to the reference day"},
	{ClassAge, age, hAge, 0, 0.8, 0, 0.5, "age 0–130"},
	{ClassPersonName, personName, hName, 0, 0.75, 0.8, 0.3, "Chinese name with a common surname, or First Last"},
	{ClassAddress, address, hAddress, 0, 0.75, 0.7, 0.3, "address markers"},
	{ClassHealth, health, hHealth | hHealthWeak, hHealth, 0.7, 0.9, 0, "ICD-10 code or disease term"},
	{ClassBiometric, biometric, hBiometric | hBiometricWeak, hBiometric, 0.7, 0, 0.5, "encoded template or image"},
	{ClassReligion, religion, hReligion, hReligion, 0.7, 0.9, 0, "religion vocabulary"},
}

const numCands = len(candidates)

// Scoring constants (doc.go, "Deciding a column").
const (
	hintBoost       = 0.35 // added when the column name names the class (Presidio's context boost)
	hintOnlyQuality = 0.5  // weight of non-placeholder values under a hint-only class
	maxConfidence   = 0.99
	freeTextMinLen  = 16  // mean value length from which a none column is scanned as free text
	weakHintMin     = 0.3 // evidence needed under an ambiguous hint alone
)

// weakHints are ambiguous name hints ("face_value", "condition" of goods):
// they boost a class only when the values agree.
const weakHints = hBiometricWeak | hHealthWeak

// sampler accumulates the evidence of the first SampleSize non-empty values
// of a column.
type sampler struct {
	n            int
	strong, weak [numCands]int32
	nonPlace     int // values that are not placeholders
	bytes        int
	digitsOnly   int
	texty        int              // values with letters or non-ASCII text
	example      [numCands]string // masked first match
	exampleWeak  [numCands]bool
}

func (s *sampler) add(v string, e *colEnv) {
	v = TrimSpace(v)
	if v == "" {
		return
	}
	s.n++
	s.bytes += len(v)
	if allDigits(v) {
		s.digitsOnly++
	}
	if !placeholder(v) {
		s.nonPlace++
	}
	if isTexty(v) {
		s.texty++
	}
	for i := range candidates {
		c := &candidates[i]
		switch c.check(v, e) {
		case strongMatch:
			s.strong[i]++
			if s.example[i] == "" || s.exampleWeak[i] {
				s.example[i] = Mask(c.class, v)
				s.exampleWeak[i] = false
			}
		case weakMatch:
			s.weak[i]++
			if s.example[i] == "" {
				s.example[i] = Mask(c.class, v)
				s.exampleWeak[i] = true
			}
		}
	}
}

// colPlan is the decision for one column and what the full pass needs.
type colPlan struct {
	idx       int // column index in the row
	table     string
	name      string
	class     Class
	check     func(string, *colEnv) match
	env       colEnv
	quality   float64
	hinted    bool
	hintOnly  bool // decided by a hint-only name: every non-placeholder value counts
	freeText  bool
	minors    bool // the class can show a person's age
	flags     uint8
	example   string
	reason    string
	important string // the important-data keyword, if any
}

// anyValue is the check of hint-only classes: any non-placeholder value.
func anyValue(v string, _ *colEnv) match {
	if s := TrimSpace(v); s != "" && !placeholder(s) {
		return strongMatch
	}
	return noMatch
}

// decide chooses the class of a column from its name and sample.
func decide(table, name string, idx int, env colEnv, s *sampler) *colPlan {
	p := &colPlan{idx: idx, table: table, name: name, class: ClassNone, env: env}
	if w, ok := importantHint(name); ok {
		p.important = w
	}
	best, bestScore := -1, 0.0
	var bestHintOnly bool
	var bestRatio float64
	for i := range candidates {
		c := &candidates[i]
		if s.n == 0 {
			break
		}
		hinted := env.hints&c.hints != 0
		r := (float64(s.strong[i]) + float64(s.weak[i])/2) / float64(s.n)
		q := c.quality
		hintOnly := false
		if env.hints&c.hintOnly != 0 {
			if ro := float64(s.nonPlace) / float64(s.n); ro*hintOnlyQuality > r*q {
				r, q, hintOnly = ro, hintOnlyQuality, true
			}
		}
		thr := c.minRatio
		if hinted {
			thr = c.minHint
			if env.hints&c.hints&^weakHints == 0 {
				thr = max(thr, weakHintMin) // "face", "condition": values must agree
			}
		} else if thr == 0 {
			continue
		}
		if r == 0 || r < thr {
			continue
		}
		score := r * q
		if hinted {
			score += hintBoost
		}
		if score > bestScore {
			best, bestScore, bestHintOnly, bestRatio = i, score, hintOnly, r
		}
	}
	if best < 0 {
		p.reason = noneReason(env, s)
		p.freeText = s.n > 0 && s.bytes/s.n >= freeTextMinLen && s.texty*2 >= s.n
		if p.freeText {
			p.reason = strings.TrimPrefix(p.reason+"; free text scanned for embedded identifiers", "; ")
		}
		return p
	}
	c := &candidates[best]
	p.class = c.class
	p.check = c.check
	p.quality = c.quality
	p.hinted = env.hints&c.hints != 0
	if bestHintOnly {
		p.check = anyValue
		p.quality = hintOnlyQuality
		p.hintOnly = true
	}
	p.flags = rowFlags(c.class)
	p.minors = c.class == ClassCNResidentID || c.class == ClassBirthDate || c.class == ClassAge
	p.example = s.example[best]
	if bestHintOnly && p.example == "" {
		p.example = "****"
	}
	var b strings.Builder
	if bestHintOnly {
		fmt.Fprintf(&b, "column name names %s data", c.class)
	} else {
		fmt.Fprintf(&b, "%s: %.1f%% of %d sampled values", c.desc, 100*bestRatio, s.n)
	}
	if p.hinted && !bestHintOnly {
		b.WriteString("; column name hint")
	}
	p.reason = b.String()
	return p
}

// isTexty reports whether v has non-ASCII text or at least three ASCII
// letters: free text rather than a number, code or timestamp.
func isTexty(v string) bool {
	letters := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x80 {
			return true
		}
		if isAlpha(c) {
			letters++
			if letters >= 3 {
				return true
			}
		}
	}
	return false
}

// noneReason explains a none decision, naming the best rejected candidate
// (an 18-digit order-number column: "cn_resident_id: 9% valid, below 50%").
func noneReason(env colEnv, s *sampler) string {
	if s.n == 0 {
		return "no values"
	}
	msg := "no class matched"
	best, bestR := -1, 0.0
	for i := range candidates {
		r := (float64(s.strong[i]) + float64(s.weak[i])/2) / float64(s.n)
		if r > bestR {
			best, bestR = i, r
		}
	}
	var hinted []string
	for i := range candidates {
		if env.hints&candidates[i].hints != 0 {
			hinted = append(hinted, string(candidates[i].class))
		}
	}
	if best >= 0 {
		c := &candidates[best]
		thr := c.minRatio
		if env.hints&c.hints != 0 || thr == 0 {
			thr = c.minHint
		}
		msg = fmt.Sprintf("best candidate %s: %.1f%% of %d sampled values pass (%s), below the %.0f%% needed", c.class, 100*bestR, s.n, c.desc, 100*thr)
		if c.minRatio == 0 && env.hints&c.hints == 0 {
			msg = fmt.Sprintf("values look like %s (%.1f%%) but the class needs a column-name hint", c.class, 100*bestR)
		}
	}
	if len(hinted) > 0 {
		msg = strings.TrimPrefix(msg+"; column name suggests "+strings.Join(hinted, "/")+": review", "; ")
	}
	return msg
}

// Embedded identifier kinds found in free text.
const (
	embResidentID = iota
	embMobile
	embBankCard
	embEmail
	numEmbedded
)

var embeddedClasses = [numEmbedded]Class{ClassCNResidentID, ClassCNMobile, ClassBankCard, ClassEmail}

// colCount is a worker's tally for one column.
type colCount struct {
	values, strong, weak, minors int64
	embedded                     [numEmbedded]int64
}

func (c *colCount) merge(o *colCount) {
	c.values += o.values
	c.strong += o.strong
	c.weak += o.weak
	c.minors += o.minors
	for i := range c.embedded {
		c.embedded[i] += o.embedded[i]
	}
}

// count validates one non-empty value and tallies it. It returns the match,
// whether it shows a minor, and the embedded kinds found (free text).
func (p *colPlan) count(v string, c *colCount) (m match, minor bool, emb uint8) {
	if v == "" || (v[0] <= ' ' || v[len(v)-1] <= ' ') && TrimSpace(v) == "" {
		return noMatch, false, 0
	}
	c.values++
	if p.freeText {
		emb = scanEmbedded(v, &p.env)
		for k := 0; k < numEmbedded; k++ {
			if emb&(1<<k) != 0 {
				c.embedded[k]++
			}
		}
		return noMatch, false, emb
	}
	if p.check == nil {
		return noMatch, false, 0
	}
	m = p.check(v, &p.env)
	switch m {
	case strongMatch:
		c.strong++
	case weakMatch:
		c.weak++
	default:
		return noMatch, false, 0
	}
	if p.minors && isMinor(p.class, v, &p.env) {
		c.minors++
		minor = true
	}
	return m, minor, 0
}

// finalize turns a plan and its full-pass tally into a FieldProfile.
func (p *colPlan) finalize(c *colCount) FieldProfile {
	f := FieldProfile{Table: p.table, Name: p.name, Class: p.class, Values: c.values, Reason: p.reason, Minors: c.minors}
	if p.important != "" {
		f.ImportantCandidate = true
		f.Reason = strings.TrimPrefix(f.Reason+"; name suggests important data ("+p.important+", GB/T 43697-2024 Annex G): review", "; ")
	}
	if c.values > 0 {
		f.ValidRatio = round4(float64(c.strong+c.weak) / float64(c.values))
	}
	if p.class == ClassAge && c.minors > 0 {
		f.Class = ClassMinor
	}
	info := classInfos[f.Class]
	f.Personal, f.Sensitive, f.GDPRSpecial, f.USCategory = info.personal, info.sensitive, info.gdpr, info.us
	if info.why != "" && f.Class != ClassNone {
		f.Reason += "; " + info.why
	}
	if p.class != ClassNone && c.values > 0 {
		r := (float64(c.strong) + float64(c.weak)/2) / float64(c.values)
		if p.hintOnly {
			r = float64(c.strong+c.weak) / float64(c.values)
		}
		conf := r * p.quality
		if p.hinted {
			conf += hintBoost
		}
		f.Confidence = round4(math.Min(maxConfidence, conf))
		f.Example = p.example
	}
	if c.minors > 0 && f.Class != ClassMinor {
		f.Sensitive = true
		f.Reason += fmt.Sprintf("; %d values show a person under 14: minors' data is sensitive (PIPL art 28)", c.minors)
	}
	for k := 0; k < numEmbedded; k++ {
		if c.embedded[k] == 0 {
			continue
		}
		if f.Embedded == nil {
			f.Embedded = make(map[Class]int64)
		}
		f.Embedded[embeddedClasses[k]] = c.embedded[k]
		f.Personal = true
		if classInfos[embeddedClasses[k]].sensitive {
			f.Sensitive = true
		}
	}
	return f
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// ClassifyValues classifies one column given its name and values: the first
// opts.SampleSize non-empty values choose the class, then every value is
// validated for the valid ratio (and free text scanned for embedded
// identifiers). It is the column step of Run without the counting of
// individuals.
func ClassifyValues(name string, values []string, opts Options) FieldProfile {
	o := opts.withDefaults()
	env := colEnv{ref: refDateInt(o.RefDate), hints: nameHints(name)}
	var s sampler
	for _, v := range values {
		if s.n >= o.SampleSize {
			break
		}
		s.add(v, &env)
	}
	p := decide("", name, 0, env, &s)
	var c colCount
	for _, v := range values {
		p.count(v, &c)
	}
	return p.finalize(&c)
}
