package mask

import (
	"github.com/xborder/xborder/internal/jsonstrict"

	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xborder/xborder/internal/classify"
)

// Action says what happens to the values of one column.
type Action string

const (
	Keep         Action = "keep"         // the value leaves unchanged
	Drop         Action = "drop"         // the column does not leave (field minimisation)
	Mask         Action = "mask"         // part of the value is replaced by a mask character
	Pseudonymise Action = "pseudonymise" // a keyed token replaces the value (per agreement)
	Generalise   Action = "generalise"   // the value is coarsened: date → month, number → band …
	Redact       Action = "redact"       // a constant replaces the value
	Null         Action = "null"         // the value is emptied (CSV "", JSON null)
)

// Generalisation kinds (Rule.Kind).
const (
	KindDate      = "date"      // dates, to year, quarter or month
	KindTimestamp = "timestamp" // date and time, to year, quarter, month, day or hour
	KindNumber    = "number"    // numbers, to bands of a width or between bounds
	KindGeo       = "geo"       // a coordinate or a lat,lon pair, rounded to decimals
	KindPostal    = "postal"    // postal codes, to their first characters
)

// Pseudonym alphabets (Rule.Alphabet).
const (
	AlphabetBase32 = "base32" // a–z and 2–7, 5 bits a character (the default)
	AlphabetDigits = "digits" // 0–9, for columns that must stay numeric
)

// Limits of a policy.
const (
	MaxPolicyBytes = 1 << 20 // a policy document
	MaxRules       = 4096    // columns named in one policy
	maxNameBytes   = 1024
	maxKeep        = 64
	maxBounds      = 64
	maxConstBytes  = 256
	maxNoteBytes   = 4096
	maxPrefixBytes = 32
	maxDomainBytes = 256
)

// PolicyVersion is the only policy format version so far.
const PolicyVersion = 1

// Policy says, column by column, what leaves under one agreement. Columns
// it does not name get Default, which is drop when absent: deny by default.
// Parse reads one from JSON; Validate checks one built in code.
type Policy struct {
	Version int    `json:"version"`
	Default *Rule  `json:"default,omitempty"`
	Columns []Rule `json:"columns"`
}

// Rule is the action for one column (Name) or, as Policy.Default, for every
// column the policy does not name. Only the fields of its action may be
// set; the others must stay empty.
type Rule struct {
	// Name is the column name, matched exactly (case and spaces count).
	// Empty in Policy.Default.
	Name   string `json:"name,omitempty"`
	Action Action `json:"action"`
	// Class is a classify field class. For mask it picks the format-aware
	// mask (cn_mobile → 138****1234); for pseudonymise it picks the
	// normalisation applied before the keyed hash (so "+86 138-0013-8000"
	// and "13800138000" get one token). Empty: generic.
	Class classify.Class `json:"class,omitempty"`

	// KeepFirst and KeepLast (mask) override the class's default number of
	// characters (digits, for number classes) kept at each end. KeepFirst
	// is also the prefix length of a postal code (generalise, kind postal).
	KeepFirst *int `json:"keep_first,omitempty"`
	KeepLast  *int `json:"keep_last,omitempty"`
	// MaskChar (mask, generalise postal) is one character, not a letter,
	// digit or space; "*" when empty.
	MaskChar string `json:"mask_char,omitempty"`

	// Prefix (pseudonymise) starts every token: at most 32 of A–Z a–z 0–9
	// _ - . :; "ps_" when absent, and may be set to "".
	Prefix *string `json:"prefix,omitempty"`
	// Length (pseudonymise) is the number of token characters after the
	// prefix: 8–51 for base32, 10–40 for digits; 16 when zero.
	Length int `json:"length,omitempty"`
	// Alphabet (pseudonymise) is "base32" (default) or "digits".
	Alphabet string `json:"alphabet,omitempty"`
	// Domain (pseudonymise) separates token spaces within one agreement:
	// columns with the same domain (by default "") give equal tokens for
	// equal values, so the recipient can join on them; different domains
	// give unlinkable tokens.
	Domain string `json:"domain,omitempty"`

	// Kind (generalise) is date, timestamp, number, geo or postal.
	Kind string `json:"kind,omitempty"`
	// Granularity (generalise date: year, quarter, month; timestamp: also
	// day, hour).
	Granularity string `json:"granularity,omitempty"`
	// Width (generalise number) makes bands [k·Width, (k+1)·Width).
	Width float64 `json:"width,omitempty"`
	// Bounds (generalise number), strictly increasing, make the bands
	// "<b0", "[b0,b1)", …, ">=bn". Exactly one of Width and Bounds.
	Bounds []float64 `json:"bounds,omitempty"`
	// Decimals (generalise geo) to round to, 0–4; 2 when absent (about
	// 1.1 km, coarse location).
	Decimals *int `json:"decimals,omitempty"`

	// With (redact) is the constant written instead of the value; "***"
	// when absent.
	With *string `json:"with,omitempty"`

	// Note is free text for the reviewer (why this action); it does not
	// change what the rule does.
	Note string `json:"note,omitempty"`
}

// Parse reads a policy from JSON, strictly: unknown fields, duplicate
// keys, a wrong type, a field that does not belong to the rule's action,
// trailing data and out-of-range values are errors, each naming the field
// ("columns[2] (\"手机号\").keep_first: …").
func Parse(data []byte) (*Policy, error) {
	if len(data) > MaxPolicyBytes {
		return nil, fmt.Errorf("mask: policy: %d bytes, more than %d", len(data), MaxPolicyBytes)
	}
	if !utf8.Valid(data) {
		return nil, errors.New("mask: policy: not valid UTF-8")
	}
	if err := checkDuplicateKeys(data); err != nil {
		return nil, fmt.Errorf("mask: policy: %w", err)
	}
	var raw struct {
		Version *int              `json:"version"`
		Default json.RawMessage   `json:"default"`
		Columns []json.RawMessage `json:"columns"`
	}
	if err := jsonstrict.Decode(data, &raw); err != nil {
		return nil, fmt.Errorf("mask: policy: %s", jsonErr(err, ""))
	}
	if raw.Version == nil {
		return nil, errors.New("mask: policy: version: missing (want 1)")
	}
	if len(raw.Columns) > MaxRules {
		return nil, fmt.Errorf("mask: policy: columns: %d rules, more than %d", len(raw.Columns), MaxRules)
	}
	p := &Policy{Version: *raw.Version, Columns: make([]Rule, len(raw.Columns))}
	if len(raw.Default) > 0 && !bytes.Equal(bytes.TrimSpace(raw.Default), []byte("null")) {
		p.Default = new(Rule)
		if err := jsonstrict.Decode(raw.Default, p.Default); err != nil {
			return nil, fmt.Errorf("mask: policy: %s", jsonErr(err, "default"))
		}
	}
	for i, c := range raw.Columns {
		if err := jsonstrict.Decode(c, &p.Columns[i]); err != nil {
			return nil, fmt.Errorf("mask: policy: %s", jsonErr(err, fmt.Sprintf("columns[%d]", i)))
		}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Marshal returns the policy as indented JSON that Parse reads back.
func (p *Policy) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("mask: policy: %w", err)
	}
	return append(b, '\n'), nil
}

// jsonErr rewrites encoding/json errors so that they name the field by its
// path in the policy.
func jsonErr(err error, where string) string {
	join := func(field string) string {
		switch {
		case where == "":
			return field
		case field == "":
			return where
		}
		return where + "." + field
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s: JSON %s where %s is wanted", join(te.Field), te.Value, jsonType(te.Type.Kind().String()))
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Sprintf("%s: unknown field %s", join(""), rest)
	}
	if where == "" {
		return msg
	}
	return where + ": " + strings.TrimPrefix(msg, "json: ")
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "float64":
		return "a number"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct", "ptr":
		return "an object"
	}
	return kind
}

// checkDuplicateKeys fails on an object with the same key twice, which
// encoding/json would silently resolve to the last one.
func checkDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		obj     bool
		keys    map[string]bool
		path    string
		index   int
		wantKey bool
	}
	var stack []*frame
	path := func(f *frame, key string) string {
		if f.obj {
			if f.path == "" {
				return key
			}
			return f.path + "." + key
		}
		return fmt.Sprintf("%s[%d]", f.path, f.index)
	}
	var lastKey string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			k, _ := tok.(string)
			if top.keys[k] {
				return fmt.Errorf("%s: key %q appears twice", path(top, k), k)
			}
			top.keys[k] = true
			top.wantKey = false
			lastKey = k
			continue
		}
		// a value
		var here string
		if top != nil {
			if top.obj {
				here = path(top, lastKey)
				top.wantKey = true
			} else {
				here = path(top, "")
				top.index++
			}
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{':
				stack = append(stack, &frame{obj: true, keys: map[string]bool{}, path: here, wantKey: true})
			case '[':
				stack = append(stack, &frame{path: here})
			case ']':
				// the ']' was counted as a value above; undo
				stack = stack[:len(stack)-1]
			}
		}
	}
}

// Validate checks a policy: version 1, unique non-empty column names, and
// every rule complete and within range, with no field of another action.
func (p *Policy) Validate() error {
	if p == nil {
		return errors.New("mask: policy: nil")
	}
	if p.Version != PolicyVersion {
		return fmt.Errorf("mask: policy: version: %d is not supported (want %d)", p.Version, PolicyVersion)
	}
	if len(p.Columns) > MaxRules {
		return fmt.Errorf("mask: policy: columns: %d rules, more than %d", len(p.Columns), MaxRules)
	}
	if p.Default != nil {
		if p.Default.Name != "" {
			return errors.New("mask: policy: default.name: must be empty (the default rule applies to every unnamed column)")
		}
		if err := p.Default.validate(); err != nil {
			return fmt.Errorf("mask: policy: default%s", err)
		}
	}
	seen := make(map[string]int, len(p.Columns))
	for i := range p.Columns {
		r := &p.Columns[i]
		at := fmt.Sprintf("columns[%d]", i)
		if r.Name == "" {
			return fmt.Errorf("mask: policy: %s.name: missing", at)
		}
		if len(r.Name) > maxNameBytes || !utf8.ValidString(r.Name) {
			return fmt.Errorf("mask: policy: %s.name: longer than %d bytes or not UTF-8", at, maxNameBytes)
		}
		at += fmt.Sprintf(" (%q)", r.Name)
		if j, dup := seen[r.Name]; dup {
			return fmt.Errorf("mask: policy: %s.name: also columns[%d]; name each column once", at, j)
		}
		seen[r.Name] = i
		if err := r.validate(); err != nil {
			return fmt.Errorf("mask: policy: %s%s", at, err)
		}
	}
	return nil
}

// field names, as in JSON, for the applicability check.
const (
	fClass       = "class"
	fKeepFirst   = "keep_first"
	fKeepLast    = "keep_last"
	fMaskChar    = "mask_char"
	fPrefix      = "prefix"
	fLength      = "length"
	fAlphabet    = "alphabet"
	fDomain      = "domain"
	fKind        = "kind"
	fGranularity = "granularity"
	fWidth       = "width"
	fBounds      = "bounds"
	fDecimals    = "decimals"
	fWith        = "with"
)

// fieldErr is a validation error of one field of a rule; the caller puts
// the rule's place in front.
func fieldErr(field, format string, args ...any) error {
	return fmt.Errorf("."+field+": "+format, args...)
}

// set lists the fields of r that are set.
func (r *Rule) set() []string {
	var s []string
	add := func(on bool, f string) {
		if on {
			s = append(s, f)
		}
	}
	add(r.Class != "", fClass)
	add(r.KeepFirst != nil, fKeepFirst)
	add(r.KeepLast != nil, fKeepLast)
	add(r.MaskChar != "", fMaskChar)
	add(r.Prefix != nil, fPrefix)
	add(r.Length != 0, fLength)
	add(r.Alphabet != "", fAlphabet)
	add(r.Domain != "", fDomain)
	add(r.Kind != "", fKind)
	add(r.Granularity != "", fGranularity)
	add(r.Width != 0, fWidth)
	add(r.Bounds != nil, fBounds)
	add(r.Decimals != nil, fDecimals)
	add(r.With != nil, fWith)
	return s
}

// allowed lists the fields each action (and generalisation kind) takes.
func (r *Rule) allowed() []string {
	switch r.Action {
	case Mask:
		return []string{fClass, fKeepFirst, fKeepLast, fMaskChar}
	case Pseudonymise:
		return []string{fClass, fPrefix, fLength, fAlphabet, fDomain}
	case Generalise:
		switch r.Kind {
		case KindDate, KindTimestamp:
			return []string{fKind, fGranularity}
		case KindNumber:
			return []string{fKind, fWidth, fBounds}
		case KindGeo:
			return []string{fKind, fDecimals}
		case KindPostal:
			return []string{fKind, fKeepFirst, fMaskChar}
		}
		return []string{fKind}
	case Redact:
		return []string{fWith}
	}
	return nil
}

// validate returns an error starting with ".field: " or ": ".
func (r *Rule) validate() error {
	switch r.Action {
	case Keep, Drop, Mask, Pseudonymise, Generalise, Redact, Null:
	case "":
		return fieldErr("action", "missing (keep, drop, mask, pseudonymise, generalise, redact or null)")
	case "hash":
		return fieldErr("action", `"hash" is not offered: an unkeyed hash of a phone number, ID number or name is reversed by hashing every candidate value; use "pseudonymise", which is keyed per agreement`)
	default:
		return fieldErr("action", "%q is not an action (keep, drop, mask, pseudonymise, generalise, redact or null)", string(r.Action))
	}
	if len(r.Note) > maxNoteBytes {
		return fieldErr("note", "longer than %d bytes", maxNoteBytes)
	}
	if r.Action == Generalise {
		switch r.Kind {
		case "":
			return fieldErr(fKind, "missing (date, timestamp, number, geo or postal)")
		case KindDate, KindTimestamp, KindNumber, KindGeo, KindPostal:
		default:
			return fieldErr(fKind, "%q is not a generalisation kind (date, timestamp, number, geo or postal)", r.Kind)
		}
	}
	allowed := r.allowed()
	for _, f := range r.set() {
		ok := false
		for _, a := range allowed {
			ok = ok || a == f
		}
		if !ok {
			what := string(r.Action)
			if r.Action == Generalise {
				what += " (kind " + r.Kind + ")"
			}
			return fieldErr(f, "does not apply to %s", what)
		}
	}
	if r.Class != "" && !knownClass(r.Class) {
		return fieldErr(fClass, "%q is not a field class of internal/classify", string(r.Class))
	}
	if r.MaskChar != "" {
		c, size := utf8.DecodeRuneInString(r.MaskChar)
		if size != len(r.MaskChar) || c == utf8.RuneError || unicode.IsLetter(c) || unicode.IsDigit(c) || unicode.IsSpace(c) || unicode.IsControl(c) || !unicode.IsPrint(c) {
			return fieldErr(fMaskChar, "must be one printable character that is not a letter, digit or space")
		}
	}
	switch r.Action {
	case Mask:
		return r.validateMask()
	case Pseudonymise:
		return r.validatePseudonymise()
	case Generalise:
		return r.validateGeneralise()
	case Redact:
		if r.With != nil && (len(*r.With) > maxConstBytes || !utf8.ValidString(*r.With)) {
			return fieldErr(fWith, "longer than %d bytes or not UTF-8", maxConstBytes)
		}
	}
	return nil
}

func (r *Rule) validateMask() error {
	f := formatOf(r.Class)
	for _, k := range []struct {
		name string
		v    *int
	}{{fKeepFirst, r.KeepFirst}, {fKeepLast, r.KeepLast}} {
		if k.v == nil {
			continue
		}
		if !f.keepable {
			return fieldErr(k.name, "does not apply to class %s (its mask has a fixed shape)", r.Class)
		}
		if *k.v < 0 || *k.v > maxKeep {
			return fieldErr(k.name, "%d is not between 0 and %d", *k.v, maxKeep)
		}
	}
	if f.kind == fmtEmail && r.KeepLast != nil {
		return fieldErr(fKeepLast, "does not apply to class email (the domain is kept, keep_first counts characters of the local part)")
	}
	first, last := f.first, f.last
	if r.KeepFirst != nil {
		first = *r.KeepFirst
	}
	if r.KeepLast != nil {
		last = *r.KeepLast
	}
	if n := f.typical; n > 0 && !hidesEnough(n, first, last) {
		return fieldErr(fKeepFirst, "keep_first %d and keep_last %d hide fewer than a third of the %d characters of a %s value", first, last, n, r.Class)
	}
	return nil
}

func (r *Rule) validatePseudonymise() error {
	if r.Prefix != nil {
		p := *r.Prefix
		if len(p) > maxPrefixBytes {
			return fieldErr(fPrefix, "longer than %d bytes", maxPrefixBytes)
		}
		for i := 0; i < len(p); i++ {
			if c := p[i]; !isAlnum(c) && c != '_' && c != '-' && c != '.' && c != ':' {
				return fieldErr(fPrefix, "may hold only A–Z a–z 0–9 _ - . :")
			}
		}
	}
	lo, hi := 8, 51
	switch r.Alphabet {
	case "", AlphabetBase32:
	case AlphabetDigits:
		lo, hi = 10, 40
	default:
		return fieldErr(fAlphabet, "%q is not an alphabet (base32 or digits)", r.Alphabet)
	}
	if r.Length != 0 && (r.Length < lo || r.Length > hi) {
		return fieldErr(fLength, "%d is not between %d and %d", r.Length, lo, hi)
	}
	if len(r.Domain) > maxDomainBytes || !utf8.ValidString(r.Domain) {
		return fieldErr(fDomain, "longer than %d bytes or not UTF-8", maxDomainBytes)
	}
	return nil
}

func (r *Rule) validateGeneralise() error {
	switch r.Kind {
	case KindDate, KindTimestamp:
		switch r.Granularity {
		case "":
			return fieldErr(fGranularity, "missing")
		case "year", "quarter", "month":
		case "day", "hour":
			if r.Kind == KindDate {
				return fieldErr(fGranularity, "%q applies to kind timestamp; a date generalises to year, quarter or month", r.Granularity)
			}
		default:
			return fieldErr(fGranularity, "%q is not a granularity (year, quarter, month, day, hour)", r.Granularity)
		}
	case KindNumber:
		switch {
		case r.Width == 0 && r.Bounds == nil:
			return fieldErr(fWidth, "missing: give width or bounds")
		case r.Width != 0 && r.Bounds != nil:
			return fieldErr(fBounds, "give width or bounds, not both")
		case r.Width != 0:
			if !(r.Width > 0) || math.IsInf(r.Width, 0) || r.Width > 1e15 || r.Width < 1e-6 {
				return fieldErr(fWidth, "%v is not between 1e-6 and 1e15", r.Width)
			}
		default:
			if len(r.Bounds) == 0 || len(r.Bounds) > maxBounds {
				return fieldErr(fBounds, "give 1 to %d bounds", maxBounds)
			}
			for i, b := range r.Bounds {
				if math.IsNaN(b) || math.IsInf(b, 0) || math.Abs(b) > 1e15 {
					return fieldErr(fBounds, "[%d] is not a number within ±1e15", i)
				}
				if i > 0 && !(b > r.Bounds[i-1]) {
					return fieldErr(fBounds, "[%d] is not greater than the bound before it", i)
				}
			}
		}
	case KindGeo:
		if r.Decimals != nil && (*r.Decimals < 0 || *r.Decimals > 4) {
			return fieldErr(fDecimals, "%d is not between 0 and 4", *r.Decimals)
		}
	case KindPostal:
		if r.KeepFirst != nil && (*r.KeepFirst < 0 || *r.KeepFirst > 9) {
			return fieldErr(fKeepFirst, "%d is not between 0 and 9", *r.KeepFirst)
		}
	}
	return nil
}

// hidesEnough reports whether keeping first and last of n characters
// hides at least max(2, ⌈n/3⌉) of them.
func hidesEnough(n, first, last int) bool {
	hidden := n - first - last
	return hidden >= 2 && hidden >= (n+2)/3
}

var knownClasses = []classify.Class{
	classify.ClassCNResidentID, classify.ClassCNMobile, classify.ClassPhone, classify.ClassBankCard,
	classify.ClassCNUSCC, classify.ClassEmail, classify.ClassPersonName, classify.ClassAddress,
	classify.ClassBirthDate, classify.ClassIPAddress, classify.ClassGeoPrecise, classify.ClassPassport,
	classify.ClassHKID, classify.ClassIBAN, classify.ClassUSSSN, classify.ClassHealth,
	classify.ClassBiometric, classify.ClassReligion, classify.ClassMinor, classify.ClassNone,
	classify.ClassGeoCoarse, classify.ClassAge,
}

func knownClass(c classify.Class) bool {
	for _, k := range knownClasses {
		if k == c {
			return true
		}
	}
	return false
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// formatFloat is strconv's shortest form, for labels.
func formatFloat(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
