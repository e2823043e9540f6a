package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xborder/xborder/internal/rulebook"
)

// Closed vocabularies of the entry. docs/catalog.md lists them with their
// meaning; values outside them are refused so that a typo never becomes a
// new facet value. They are functions, so that no package state can change.

// updateFrequencies are the terms of the Dublin Core Collection
// Description Frequency Vocabulary (http://purl.org/cld/freq/).
func updateFrequencies() []string {
	return []string{"triennial", "biennial", "annual", "semiannual", "threeTimesAYear", "quarterly",
		"bimonthly", "monthly", "semimonthly", "biweekly", "threeTimesAMonth", "weekly", "semiweekly",
		"threeTimesAWeek", "daily", "continuous", "irregular"}
}

func levels() []string {
	return []string{LevelPublic, LevelInternal, LevelSensitive, LevelCore}
}

func dataGrades() []string {
	return []string{"general", "important", "core"}
}

func legalBases() []string {
	return []string{"consent", "separate_consent", "contract", "hr_management", "legal_obligation", "emergency", "news_reporting", "publicly_available", "public_interest", "legitimate_interests"}
}

func subjectRight() []string {
	return []string{"access", "copy", "correction", "deletion", "portability", "restriction", "objection", "explanation", "withdraw_consent"}
}

func exportStates() []string {
	return []string{"not_assessed", "not_required", "assessed", "filing_pending", "approved", "rejected", "prohibited"}
}

func localization() []string {
	return []string{"none", "local_copy", "in_country_only"}
}

func onwardRules() []string {
	return []string{"allowed", "notify", "approval", "prohibited"}
}

func baselines() []string {
	return []string{"privacy_computing_only", "tee", "mpc", "federated_learning", "differential_privacy", "homomorphic_encryption", "sandbox", "masking", "encryption_in_transit", "encryption_at_rest", "gm_crypto", "audit_log"}
}

func dataFormats() []string {
	return []string{"csv", "tsv", "json", "jsonl", "xlsx", "parquet", "sqlite"}
}

func valueTypes() []string {
	return []string{"integer", "decimal", "boolean", "date", "datetime", "string", "empty"}
}

var (
	tokenRE        = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	customTokenRE  = regexp.MustCompile(`^x-[a-z0-9][a-z0-9_-]{0,61}$`)
	langTagRE      = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{1,8}){0,4}$`)
	transferTypeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,63}-(PULL|PUSH)$`)
	mediaTypeRE    = regexp.MustCompile(`^[a-z]+/[a-z0-9][a-z0-9.+-]{0,126}$`)
	hexSHA256RE    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	didRE          = regexp.MustCompile(`^did:[a-z0-9]+:[A-Za-z0-9._:%-]*[A-Za-z0-9._%-]$`)
	schemeRE       = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*$`)
)

// Validate checks and normalises e in place: the identifier and @id in
// canonical form, the contexts and types filled in, language tags and
// country codes in canonical case. The error is an *InputError naming the
// path of the first problem. It does not fill dates (the catalog does).
func Validate(e *Entry) error {
	v := &validator{}
	v.entry(e)
	return v.err
}

type validator struct{ err error }

func (v *validator) fail(path, format string, args ...any) {
	if v.err == nil {
		v.err = inputErr(path, format, args...)
	}
}

func (v *validator) entry(e *Entry) {
	if e.Context != nil && !slices.Equal(e.Context, Contexts()) {
		v.fail("@context", "must be [%q, %q] (or left out); another context would change what the terms mean", DSPContext, ContextURL)
	}
	e.Context = Contexts()
	if e.Type != "" && e.Type != "Dataset" {
		v.fail("@type", "must be \"Dataset\", not %q", e.Type)
	}
	e.Type = "Dataset"
	id, err := ParseID(e.Identifier)
	if err != nil {
		v.fail("identifier", "%v", err.(*IDError).detail())
		return
	}
	e.Identifier = id.String()
	if e.IRI != "" {
		ref, err := ParseRef(e.IRI)
		if err != nil || ref != id {
			v.fail("@id", "must be the identifier's IRI %q (or left out), not %q", id.IRI(), e.IRI)
		}
	}
	e.IRI = id.IRI()

	v.langMap("title", e.Title, 512, false, true)
	v.langMap("description", e.Description, 8192, true, false)
	e.Title, e.Description = lowerTags(e.Title), lowerTags(e.Description)
	if len(e.Keywords) > 0 {
		kw := LangList{}
		for _, tag := range sortedKeys(e.Keywords) {
			words := e.Keywords[tag]
			p := "keyword." + tag
			v.langTag(p, tag)
			if len(words) > 32 {
				v.fail(p, "has %d keywords; the limit is 32", len(words))
			}
			for i, w := range words {
				v.text(p+"["+strconv.Itoa(i)+"]", w, 64, false, true)
			}
			kw[strings.ToLower(tag)] = append(kw[strings.ToLower(tag)], words...)
		}
		e.Keywords = kw
	}
	if e.Publisher != "" {
		v.iri("publisher", e.Publisher)
	}
	e.Issued = v.dateTime("issued", e.Issued)
	e.Modified = v.dateTime("modified", e.Modified)
	for i, c := range e.SpatialCoverage {
		c = strings.ToUpper(c)
		if !validPlace(c) {
			v.fail("spatialCoverage["+strconv.Itoa(i)+"]", "%q is not an ISO 3166-1 alpha-2 or ISO 3166-2 code (CN, CN-GD, DE-BY) or EU", e.SpatialCoverage[i])
		}
		e.SpatialCoverage[i] = c
	}
	v.limit("spatialCoverage", len(e.SpatialCoverage), 64)
	if e.UpdateFrequency != "" && !slices.Contains(updateFrequencies(), e.UpdateFrequency) {
		v.fail("updateFrequency", "%q is not a frequency; accepted: %s", e.UpdateFrequency, strings.Join(updateFrequencies(), ", "))
	}
	v.limit("distribution", len(e.Distributions), 16)
	for i := range e.Distributions {
		v.distribution("distribution["+strconv.Itoa(i)+"]", &e.Distributions[i])
	}
	v.limit("hasPolicy", len(e.Offers), 16)
	offerIDs := map[string]bool{}
	for i, o := range e.Offers {
		p := "hasPolicy[" + strconv.Itoa(i) + "]"
		id, err := checkOffer(p, o)
		if err != nil {
			if v.err == nil {
				v.err = err
			}
			continue
		}
		if offerIDs[id] {
			v.fail(p+".@id", "offer %q appears twice", id)
		}
		offerIDs[id] = true
	}
	if e.Technical != nil {
		v.technical(e.Technical)
	}
	if e.Business != nil {
		v.business(e.Business)
	}
	v.governance(&e.Governance, id)
	if e.Provenance != nil {
		v.provenance(e.Provenance)
	}
}

// detail is the message for use under a path.
func (e *IDError) detail() string {
	if e.Part == "" {
		return fmt.Sprintf("%s %s", e.Input, e.Msg)
	}
	return fmt.Sprintf("%s: %s %s", e.Input, e.Part, e.Msg)
}

func lowerTags(m LangMap) LangMap {
	if m == nil {
		return nil
	}
	out := make(LangMap, len(m))
	for k, s := range m {
		out[strings.ToLower(k)] = s
	}
	return out
}

func (v *validator) limit(path string, n, max int) {
	if n > max {
		v.fail(path, "has %d items; the limit is %d", n, max)
	}
}

func (v *validator) langTag(path, tag string) {
	if !langTagRE.MatchString(strings.ToLower(tag)) {
		v.fail(path, "%q is not a BCP 47 language tag such as zh, en or zh-hans", tag)
	}
}

func (v *validator) langMap(path string, m LangMap, maxRunes int, multiline, required bool) {
	if required && len(m) == 0 {
		v.fail(path, "is required, in Chinese and/or English: {\"zh\": \"…\", \"en\": \"…\"}")
	}
	v.limit(path, len(m), 16)
	seen := map[string]bool{}
	for _, tag := range m.languages() {
		p := path + "." + tag
		v.langTag(p, tag)
		if seen[strings.ToLower(tag)] {
			v.fail(p, "language given twice (tags are case-insensitive)")
		}
		seen[strings.ToLower(tag)] = true
		v.text(p, m[tag], maxRunes, multiline, true)
	}
}

// text checks a human-readable string: a length in characters, no control
// characters (tabs and line breaks allowed where multiline).
func (v *validator) text(path, s string, maxRunes int, multiline, required bool) {
	if required && strings.TrimSpace(s) == "" {
		v.fail(path, "is empty")
		return
	}
	if n := utf8.RuneCountInString(s); n > maxRunes {
		v.fail(path, "has %d characters; the limit is %d", n, maxRunes)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			v.fail(path, "contains the control character %U", r)
			return
		}
	}
}

func (v *validator) token(path, s string, vocab []string, custom bool) {
	if vocab != nil {
		if slices.Contains(vocab, s) || custom && customTokenRE.MatchString(s) {
			return
		}
		extra := ""
		if custom {
			extra = ", or your own as x-name"
		}
		v.fail(path, "%q is not accepted; accepted: %s%s", s, strings.Join(vocab, ", "), extra)
		return
	}
	if !tokenRE.MatchString(s) {
		v.fail(path, "%q is not a code: want lower-case letters, digits and _ (at most 64), starting with a letter", s)
	}
}

func (v *validator) tokens(path string, ss []string, vocab []string, custom bool, max int) {
	v.limit(path, len(ss), max)
	for i, s := range ss {
		v.token(path+"["+strconv.Itoa(i)+"]", s, vocab, custom)
	}
}

// isIRI reports whether s is an absolute IRI without spaces or controls.
func isIRI(s string) bool {
	if s == "" || len(s) > 2048 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' || r == '"' || r == '{' || r == '}' || r == '|' || r == '\\' || r == '^' || r == '`' {
			return false
		}
	}
	scheme, _, ok := strings.Cut(s, ":")
	if !ok || !schemeRE.MatchString(scheme) {
		return false
	}
	if strings.HasPrefix(s, "did:") {
		// a DID URL: the DID, then an optional path, query or fragment
		did := s
		if i := strings.IndexAny(s, "/?#"); i >= 0 {
			did = s[:i]
		}
		return didRE.MatchString(did)
	}
	_, err := url.Parse(s)
	return err == nil
}

func (v *validator) iri(path, s string) {
	if !isIRI(s) {
		v.fail(path, "%q is not an absolute IRI (a DID such as did:web:example.com, or a URL)", s)
	}
}

func (v *validator) did(path, s string) {
	if !didRE.MatchString(s) || len(s) > 2048 {
		v.fail(path, "%q is not a DID such as did:web:example.com", s)
	}
}

// dateTime checks an RFC 3339 time and returns it in UTC, to the second.
func (v *validator) dateTime(path, s string) string {
	if s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.Year() < 1900 || t.Year() > 9999 {
		v.fail(path, "%q is not an RFC 3339 time such as 2026-04-15T10:00:00Z", s)
		return s
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

func (v *validator) date(path, s string) {
	if s == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		v.fail(path, "%q is not a date YYYY-MM-DD", s)
	}
}

func (v *validator) distribution(path string, d *Distribution) {
	if d.Type != "" && d.Type != "Distribution" {
		v.fail(path+".@type", "must be \"Distribution\", not %q", d.Type)
	}
	d.Type = "Distribution"
	if !transferTypeRE.MatchString(d.Format) {
		v.fail(path+".format", "%q is not a Dataspace Protocol transfer type such as HttpData-PULL", d.Format)
	}
	switch a := d.AccessService; {
	case a.Service != nil:
		v.dataService(path+".accessService", a.Service)
	case a.Ref != "":
		v.iri(path+".accessService", a.Ref)
	default:
		v.fail(path+".accessService", "is required: the DataService (an object with @id, @type and endpointURL) or the @id of the catalog's service")
	}
}

func (v *validator) dataService(path string, s *DataService) {
	v.iri(path+".@id", s.ID)
	if s.Type != "" && s.Type != "DataService" {
		v.fail(path+".@type", "must be \"DataService\", not %q", s.Type)
	}
	s.Type = "DataService"
	u, err := url.Parse(s.EndpointURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(s.EndpointURL) > 2048 {
		v.fail(path+".endpointURL", "%q is not an http(s) URL", s.EndpointURL)
	}
	v.text(path+".endpointDescription", s.EndpointDescription, 256, false, false)
}

func (v *validator) technical(t *Technical) {
	const p = "technical"
	if t.DataFormat != "" {
		v.token(p+".dataFormat", t.DataFormat, dataFormats(), false)
	}
	if t.MediaType != "" && !mediaTypeRE.MatchString(t.MediaType) {
		v.fail(p+".mediaType", "%q is not a media type such as text/csv", t.MediaType)
	}
	if t.ByteSize < 0 || t.RowCount < 0 {
		v.fail(p, "byteSize and rowCount cannot be negative")
	}
	if c := t.Checksum; c != nil && (c.Algorithm != "sha256" || !hexSHA256RE.MatchString(c.Value)) {
		v.fail(p+".checksum", "want {\"algorithm\": \"sha256\", \"value\": 64 lower-case hex digits}")
	}
	v.text(p+".sourceName", t.SourceName, 256, false, false)
	t.HarvestedAt = v.dateTime(p+".harvestedAt", t.HarvestedAt)
	v.limit(p+".tables", len(t.Tables), 1024)
	for i, tb := range t.Tables {
		q := p + ".tables[" + strconv.Itoa(i) + "]"
		v.text(q+".name", tb.Name, 256, false, true)
		if tb.DataFormat != "" {
			v.token(q+".dataFormat", tb.DataFormat, dataFormats(), false)
		}
		if tb.RowCount < 0 || tb.ByteSize < 0 {
			v.fail(q, "counts cannot be negative")
		}
	}
	v.limit(p+".fields", len(t.Fields), 4096)
	for i, f := range t.Fields {
		q := p + ".fields[" + strconv.Itoa(i) + "]"
		v.text(q+".name", f.Name, 256, false, true)
		v.text(q+".table", f.Table, 256, false, false)
		if f.ValueType != "" {
			v.token(q+".valueType", f.ValueType, valueTypes(), false)
		}
		if f.PIClass != "" {
			v.token(q+".piClass", f.PIClass, nil, false)
		}
		if f.NonEmpty < 0 || f.MaxLength < 0 {
			v.fail(q, "counts cannot be negative")
		}
	}
	if pp := t.PIProfile; pp != nil {
		q := p + ".piProfile"
		if pp.Individuals < 0 || pp.SensitiveIndividuals < 0 || pp.Minors < 0 || pp.SensitiveIndividuals > pp.Individuals {
			v.fail(q, "counts must be non-negative, with sensitiveIndividuals at most individuals")
		}
		v.tokens(q+".personalInfoTypes", pp.PersonalInfoTypes, nil, false, 64)
		for _, k := range sortedKeys(pp.USBulk) {
			v.token(q+".usBulk."+k, k, nil, false)
			if pp.USBulk[k] < 0 {
				v.fail(q+".usBulk."+k, "cannot be negative")
			}
		}
		v.limit(q+".importantCandidates", len(pp.ImportantCandidates), 4096)
		for i, c := range pp.ImportantCandidates {
			v.text(q+".importantCandidates["+strconv.Itoa(i)+"]", c, 256, false, true)
		}
		v.text(q+".identityKey", pp.IdentityKey, 256, false, false)
	}
}

func (v *validator) score(path string, f *float64) {
	if f != nil && (*f < 0 || *f > 100 || *f != *f) {
		v.fail(path, "%v is not a score from 0 to 100", *f)
	}
}

func (v *validator) business(b *Business) {
	const p = "business"
	if b.Industry != "" {
		v.token(p+".industry", b.Industry, nil, false)
	}
	v.tokens(p+".scenarios", b.Scenarios, nil, false, 16)
	v.score(p+".qualityScore", b.QualityScore)
	if d := b.QualityDimensions; d != nil {
		v.score(p+".qualityDimensions.completeness", d.Completeness)
		v.score(p+".qualityDimensions.accuracy", d.Accuracy)
		v.score(p+".qualityDimensions.timeliness", d.Timeliness)
		v.score(p+".qualityDimensions.consistency", d.Consistency)
	}
	v.limit(p+".usageLimits", len(b.UsageLimits), 16)
	for i, u := range b.UsageLimits {
		v.text(p+".usageLimits["+strconv.Itoa(i)+"]", u, 256, false, true)
	}
}

func (v *validator) governance(g *Governance, id ID) {
	const p = "governance"
	if g.Owner == "" {
		v.fail(p+".owner", "is required: the DID of the legal entity that registers the data product")
	} else {
		v.did(p+".owner", g.Owner)
	}
	if g.Controller != "" {
		v.did(p+".controller", g.Controller)
	}
	if g.Sovereignty == "" {
		g.Sovereignty = id.Sovereignty
	}
	g.Sovereignty = strings.ToUpper(g.Sovereignty)
	if !ValidSovereignty(g.Sovereignty) {
		v.fail(p+".sovereignty", "%q is not an ISO 3166-1 alpha-2 code or EU", g.Sovereignty)
	}
	v.limit(p+".applicableLaws", len(g.ApplicableLaws), 16)
	for i, l := range g.ApplicableLaws {
		v.text(p+".applicableLaws["+strconv.Itoa(i)+"]", l, 64, false, true)
	}
	if g.ClassificationLevel == "" {
		v.fail(p+".classificationLevel", "is required: one of %s", strings.Join(levels(), ", "))
	} else {
		v.token(p+".classificationLevel", g.ClassificationLevel, levels(), false)
	}
	if g.DataGrade != "" {
		v.token(p+".dataGrade", g.DataGrade, dataGrades(), false)
		switch {
		case g.DataGrade == "core" && g.ClassificationLevel != LevelCore:
			v.fail(p+".classificationLevel", "core data (dataGrade core) must be classified core")
		case g.DataGrade == "important" && !slices.Contains([]string{LevelSensitive, LevelCore}, g.ClassificationLevel):
			v.fail(p+".classificationLevel", "important data (dataGrade important) must be classified sensitive or core")
		}
	}
	v.limit(p+".sensitiveFields", len(g.SensitiveFields), 4096)
	for i, f := range g.SensitiveFields {
		v.text(p+".sensitiveFields["+strconv.Itoa(i)+"]", f, 256, false, true)
	}
	v.tokens(p+".legalBasis", g.LegalBasis, legalBases(), false, 10)
	v.text(p+".consentVersion", g.ConsentVersion, 64, false, false)
	v.tokens(p+".subjectRights", g.SubjectRights, subjectRight(), false, 16)
	if g.ExportStatus != "" {
		v.token(p+".exportStatus", g.ExportStatus, exportStates(), false)
	}
	v.limit(p+".approvals", len(g.Approvals), 32)
	for i, a := range g.Approvals {
		q := p + ".approvals[" + strconv.Itoa(i) + "]"
		if _, ok := rulebook.RouteByCode(a.Route); !ok {
			v.fail(q+".route", "%q is not a route code of the rulebook (CN_SC, CN_CERT, CN_SA, …)", a.Route)
		}
		v.text(q+".ref", a.Ref, 128, false, false)
		v.date(q+".issued", a.Issued)
		v.date(q+".expires", a.Expires)
	}
	if len(g.AllowedPurposes) > 0 {
		purposes := make([]string, 0, 32)
		for _, pu := range rulebook.Purposes() {
			purposes = append(purposes, pu.Name)
		}
		v.tokens(p+".allowedPurposes", g.AllowedPurposes, purposes, false, 32)
	}
	v.limit(p+".allowedRecipients", len(g.AllowedRecipients), 256)
	for i, r := range g.AllowedRecipients {
		v.iri(p+".allowedRecipients["+strconv.Itoa(i)+"]", r)
	}
	v.limit(p+".allowedCountries", len(g.AllowedCountries), 256)
	for i, c := range g.AllowedCountries {
		g.AllowedCountries[i] = strings.ToUpper(c)
		if !ValidSovereignty(g.AllowedCountries[i]) {
			v.fail(p+".allowedCountries["+strconv.Itoa(i)+"]", "%q is not an ISO 3166-1 alpha-2 code or EU", c)
		}
	}
	if g.Localization != "" {
		v.token(p+".localization", g.Localization, localization(), false)
	}
	if g.OnwardTransfer != "" {
		v.token(p+".onwardTransfer", g.OnwardTransfer, onwardRules(), false)
	}
	v.tokens(p+".securityBaseline", g.SecurityBaseline, baselines(), true, 16)
	if g.ContractID != "" && !isIRI(g.ContractID) {
		v.fail(p+".contractId", "%q is not an IRI such as urn:uuid:…", g.ContractID)
	}
	if len(g.AccessPolicy) > 0 {
		if len(g.AccessPolicy) > MaxPolicyBytes {
			v.fail(p+".accessPolicy", "is %d bytes; the limit is %d", len(g.AccessPolicy), MaxPolicyBytes)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(g.AccessPolicy, &m); err != nil {
			v.fail(p+".accessPolicy", "must be a JSON object (an ODRL policy)")
		}
		g.AccessPolicy = compactJSON(g.AccessPolicy)
	}
}

func (v *validator) provenance(pr *Provenance) {
	const p = "provenance"
	v.limit(p+".derivedFrom", len(pr.DerivedFrom), 64)
	for i, d := range pr.DerivedFrom {
		if id, err := ParseRef(d); err == nil {
			pr.DerivedFrom[i] = id.String()
		} else if !isIRI(d) {
			v.fail(p+".derivedFrom["+strconv.Itoa(i)+"]", "%q is neither an identifier nor an IRI", d)
		}
	}
	v.limit(p+".history", len(pr.History), 256)
	for i := range pr.History {
		s := &pr.History[i]
		q := p + ".history[" + strconv.Itoa(i) + "]"
		v.token(q+".activity", s.Activity, nil, false)
		if s.Actor != "" {
			v.iri(q+".actor", s.Actor)
		}
		if s.Time == "" {
			v.fail(q+".time", "is required (RFC 3339)")
		}
		s.Time = v.dateTime(q+".time", s.Time)
		if s.Location != "" {
			s.Location = strings.ToUpper(s.Location)
			if !validPlace(s.Location) {
				v.fail(q+".location", "%q is not an ISO 3166 code such as CN or CN-GD", s.Location)
			}
		}
		v.text(q+".algorithm", s.Algorithm, 128, false, false)
		v.text(q+".note", s.Note, 1024, true, false)
	}
}

// compactJSON removes insignificant white space.
func compactJSON(b []byte) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}
