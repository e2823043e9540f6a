package contract

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xborder/xborder/internal/contract/billing"
)

// Form is a JSON serialisation of a policy.
type Form int

const (
	// FormODRL is JSON-LD compacted with the ODRL 2.2 context
	// (http://www.w3.org/ns/odrl.jsonld): "uid", bare ODRL terms, typed
	// literals for date-times, extension terms as full IRIs in NS.
	FormODRL Form = iota
	// FormDSP is the policy as it travels inside a Dataspace Protocol
	// 2025-1 message (whose @context is DSPContext): no @context of its
	// own, "@id", and ODRL terms the DSP context does not define written
	// with the "odrl:" prefix it does define (a bare "purpose" there would
	// expand to a relative IRI, the JSON-LD trap EDC users meet).
	FormDSP
)

// dspTerms are the ODRL terms DSP 2025-1's odrl-profile context defines;
// the others need the odrl: prefix in FormDSP.
var dspTerms = []string{"use", "eq", "gt", "gteq", "lt", "lteq", "neq", "isA", "hasPart", "isPartOf", "isAllOf", "isAnyOf", "isNoneOf"}

// Marshal returns the compact JSON of the policy in form f. The output is
// deterministic: the same policy always gives the same bytes.
func (p *Policy) Marshal(f Form) ([]byte, error) {
	o, err := p.object(f)
	if err != nil {
		return nil, err
	}
	return o.MarshalJSON()
}

// MarshalIndent is Marshal indented for people.
func (p *Policy) MarshalIndent(f Form) ([]byte, error) {
	b, err := p.Marshal(f)
	if err != nil {
		return nil, err
	}
	return indent(b), nil
}

// Digest is "sha-256:" and the hex SHA-256 of the policy's ODRL form: it
// names exactly what was reviewed and what an agreement derives from.
func (p *Policy) Digest() (string, error) {
	b, err := p.Marshal(FormODRL)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha-256:" + hex.EncodeToString(sum[:]), nil
}

func term(f Form, t string) string {
	if f == FormDSP && !strings.Contains(t, ":") && !slices.Contains(dspTerms, t) {
		return "odrl:" + t
	}
	return t
}

func dateTimeLit(t time.Time) any {
	s := t.UTC().Format(time.RFC3339Nano)
	return object{{"@value", s}, {"@type", "xsd:dateTime"}}
}

func (v Value) json(f Form) any {
	switch v.Kind {
	case KindString:
		return v.Str
	case KindList:
		return slices.Clone(v.List)
	case KindInt:
		return v.Int
	case KindDateTime:
		return dateTimeLit(v.Time)
	case KindDuration:
		return object{{"@value", v.Str}, {"@type", "xsd:duration"}}
	case KindIRI:
		return object{{"@id", v.Str}}
	}
	return nil
}

func (r Rule) object(f Form, withDuties bool) object {
	o := object{{"action", term(f, r.Action)}}
	if len(r.Constraints) > 0 {
		var cs []any
		for _, c := range r.Constraints {
			cs = append(cs, object{
				{"leftOperand", term(f, c.LeftOperand)},
				{"operator", term(f, c.Operator)},
				{"rightOperand", c.RightOperand.json(f)},
			})
		}
		o = append(o, member{"constraint", cs})
	}
	if withDuties && len(r.Duties) > 0 {
		var ds []any
		for _, d := range r.Duties {
			ds = append(ds, d.object(f, false))
		}
		o = append(o, member{"duty", ds})
	}
	return o
}

func rulesJSON(f Form, rules []Rule, withDuties bool) []any {
	var out []any
	for _, r := range rules {
		out = append(out, r.object(f, withDuties))
	}
	return out
}

func (p *Policy) object(f Form) (object, error) {
	var o object
	switch f {
	case FormODRL:
		o = object{{"@context", ODRLContext}, {"@type", p.Type}, {"uid", p.UID}}
	case FormDSP:
		o = object{{"@type", p.Type}, {"@id", p.UID}}
	default:
		return nil, fmt.Errorf("unknown form %d", f)
	}
	o = append(o, member{"profile", Profile})
	if p.Title != "" {
		o = append(o, member{"dct:title", p.Title})
	}
	o = append(o, member{"target", p.Target})
	if p.Assigner != "" {
		o = append(o, member{"assigner", p.Assigner})
	}
	if p.Assignee != "" {
		o = append(o, member{"assignee", p.Assignee})
	}
	if !p.Issued.IsZero() {
		if f == FormDSP {
			o = append(o, member{"timestamp", p.Issued.UTC().Format(time.RFC3339Nano)})
		} else {
			o = append(o, member{"dct:issued", dateTimeLit(p.Issued)})
		}
	}
	if len(p.Permissions) > 0 {
		o = append(o, member{"permission", rulesJSON(f, p.Permissions, true)})
	}
	if len(p.Prohibitions) > 0 {
		o = append(o, member{"prohibition", rulesJSON(f, p.Prohibitions, false)})
	}
	if len(p.Obligations) > 0 {
		o = append(o, member{"obligation", rulesJSON(f, p.Obligations, false)})
	}
	if p.Template != "" {
		o = append(o, member{NS + "template", p.Template})
	}
	if p.OfferUID != "" {
		o = append(o, member{NS + "offer", object{{"@id", p.OfferUID}}})
	}
	if p.OfferDigest != "" {
		o = append(o, member{NS + "offerDigest", p.OfferDigest})
	}
	if p.Pricing != nil {
		raw, err := json.Marshal(p.Pricing)
		if err != nil {
			return nil, fmt.Errorf("pricing: %w", err)
		}
		o = append(o, member{NS + "pricing", object{{"@type", "@json"}, {"@value", json.RawMessage(raw)}}})
	}
	if len(p.Terms) > 0 {
		var ts []any
		for _, t := range p.Terms {
			ts = append(ts, object{{"code", t.Code}, {"en", t.EN}, {"zh", t.ZH}})
		}
		o = append(o, member{NS + "terms", object{{"@type", "@json"}, {"@value", ts}}})
	}
	return o, nil
}

// Bounds on a policy read from outside.
const (
	MaxPolicyBytes = 1 << 20
	maxRules       = 64
	maxConstraints = 64
	maxListItems   = 256
	maxStringLen   = 2048
	maxTerms       = 64
)

// ParseError is a policy that cannot be read: Path points at the offending
// member, e.g. "permission[0].constraint[2].rightOperand".
type ParseError struct {
	Path string
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Path == "" {
		return "policy: " + e.Msg
	}
	return "policy: " + e.Path + ": " + e.Msg
}

func perr(path, format string, args ...any) error {
	return &ParseError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

type operandSpec struct {
	kind ValueKind
	ops  []string
}

// operandKinds says, for each left operand xborder understands, which
// right-operand shape and operators it takes. It is built once and never
// changed.
var operandKinds = buildOperandKinds()

func buildOperandKinds() map[string]operandSpec {
	list := []string{OpEq, OpIsAnyOf}
	m := map[string]operandSpec{
		LOPurpose:         {KindList, list},
		LOSpatial:         {KindList, list},
		LORecipient:       {KindList, list},
		LOIndustry:        {KindList, list},
		LODeliveryChannel: {KindList, list},
		LOTransferRoute:   {KindList, list},
		LODateTime:        {KindDateTime, []string{OpLt, OpLteq, OpGt, OpGteq}},
		LOElapsedTime:     {KindDuration, []string{OpLteq, OpLt}},
		LOEvent:           {KindIRI, []string{OpEq, OpGt, OpLt}},
	}
	for lo := range limitOperands {
		m[lo] = operandSpec{KindInt, []string{OpLteq, OpLt}}
	}
	return m
}

// knownActions are the actions a policy may use.
var knownActions = []string{ActUse, ActDistribute, ActSell, ActDelete, ActInform, ActAnonymize}

// ParsePolicy reads an Offer or Agreement in FormODRL or FormDSP (the
// "odrl:" prefix and full ODRL IRIs are accepted for ODRL terms in either).
// It reads the closed subset xborder writes and fails closed on anything
// else: unknown members, left operands, operators or actions; logical
// constraints; refinements; contexts other than ODRL's and DSP 2025-1's.
// Errors are *ParseError naming the path.
func ParsePolicy(data []byte) (*Policy, error) {
	if len(data) > MaxPolicyBytes {
		return nil, perr("", "larger than %d bytes", MaxPolicyBytes)
	}
	if !utf8.Valid(data) {
		return nil, perr("", "not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, perr("", "not JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, perr("", "data after the JSON value")
	}
	m, ok := root.(map[string]any)
	if !ok {
		return nil, perr("", "not a JSON object")
	}
	if err := checkDuplicates(data); err != nil {
		return nil, err
	}
	return parsePolicyObject(m)
}

func parsePolicyObject(m map[string]any) (*Policy, error) {
	p := &Policy{}
	usesExtension := false
	for _, k := range sortedKeys(m) {
		v := m[k]
		switch k {
		case "@context":
			if err := checkContext(v); err != nil {
				return nil, err
			}
		case "@type":
			s, err := str(k, v)
			if err != nil {
				return nil, err
			}
			switch odrlTerm(s) {
			case TypeOffer, TypeAgreement:
				p.Type = odrlTerm(s)
			default:
				return nil, perr(k, "%q: want Offer or Agreement", s)
			}
		case "uid", "@id":
			if p.UID != "" {
				return nil, perr(k, "both uid and @id")
			}
			s, err := iri(k, v)
			if err != nil {
				return nil, err
			}
			p.UID = s
		case "profile":
			var profiles []string
			switch x := v.(type) {
			case string:
				profiles = []string{x}
			case []any:
				for i, e := range x {
					s, err := str(fmt.Sprintf("profile[%d]", i), e)
					if err != nil {
						return nil, err
					}
					profiles = append(profiles, s)
				}
			default:
				return nil, perr(k, "want an IRI or a list of IRIs")
			}
			if !slices.Contains(profiles, Profile) {
				return nil, perr(k, "the policy follows profiles %v; xborder understands %s only", profiles, Profile)
			}
		case "dct:title":
			s, err := str(k, v)
			if err != nil {
				return nil, err
			}
			p.Title = s
		case "target":
			s, err := iri(k, v)
			if err != nil {
				return nil, err
			}
			p.Target = s
		case "assigner", "assignee":
			s, err := iri(k, v)
			if err != nil {
				return nil, err
			}
			if k == "assigner" {
				p.Assigner = s
			} else {
				p.Assignee = s
			}
		case "dct:issued", "timestamp":
			t, err := dateTimeValue(k, v)
			if err != nil {
				return nil, err
			}
			if !p.Issued.IsZero() {
				return nil, perr(k, "both dct:issued and timestamp")
			}
			p.Issued = t
		case "permission", "prohibition", "obligation":
			rules, ext, err := parseRules(k, v, k == "permission")
			if err != nil {
				return nil, err
			}
			usesExtension = usesExtension || ext
			switch k {
			case "permission":
				p.Permissions = rules
			case "prohibition":
				p.Prohibitions = rules
			default:
				p.Obligations = rules
			}
		case NS + "template":
			s, err := str(k, v)
			if err != nil {
				return nil, err
			}
			p.Template, usesExtension = s, true
		case NS + "offer":
			s, err := iriObject(k, v)
			if err != nil {
				return nil, err
			}
			p.OfferUID, usesExtension = s, true
		case NS + "offerDigest":
			s, err := str(k, v)
			if err != nil {
				return nil, err
			}
			if !digestRE.MatchString(s) {
				return nil, perr(k, "want sha-256: and 64 hex digits")
			}
			p.OfferDigest, usesExtension = s, true
		case NS + "pricing":
			raw, err := jsonLiteral(k, v)
			if err != nil {
				return nil, err
			}
			pr, err := billing.ParsePricing(raw)
			if err != nil {
				return nil, perr(k, "%v", err)
			}
			p.Pricing, usesExtension = pr, true
		case NS + "terms":
			raw, err := jsonLiteral(k, v)
			if err != nil {
				return nil, err
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&p.Terms); err != nil {
				return nil, perr(k, "want a list of {code, en, zh}: %v", err)
			}
			if len(p.Terms) > maxTerms {
				return nil, perr(k, "more than %d terms", maxTerms)
			}
			usesExtension = true
		default:
			if strings.HasPrefix(k, NS) {
				return nil, perr(k, "unknown xborder term")
			}
			return nil, perr(k, "not understood (xborder reads a closed subset of ODRL; see docs/contract.md)")
		}
	}
	if usesExtension {
		if _, ok := m["profile"]; !ok {
			return nil, perr("profile", "the policy uses xborder terms but does not declare the profile %s", Profile)
		}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Validate checks the policy's structure: what a signed offer or agreement
// must have, whatever its origin.
func (p *Policy) Validate() error {
	switch p.Type {
	case TypeOffer, TypeAgreement:
	case "":
		return perr("@type", "missing: want Offer or Agreement")
	default:
		return perr("@type", "%q: want Offer or Agreement", p.Type)
	}
	if p.UID == "" {
		return perr("uid", "missing")
	}
	if p.Target == "" {
		return perr("target", "missing: the dataset the policy is about")
	}
	if len(p.Permissions) == 0 {
		return perr("permission", "missing: a policy xborder signs permits something")
	}
	if p.Type == TypeAgreement {
		switch {
		case p.Assigner == "":
			return perr("assigner", "an agreement names its assigner (the provider)")
		case p.Assignee == "":
			return perr("assignee", "an agreement names its assignee (the consumer)")
		case p.Issued.IsZero():
			return perr("dct:issued", "an agreement carries the time it was issued")
		}
	}
	if p.Pricing != nil && p.Pricing.Revenue != nil && p.Assigner != "" {
		if !p.Pricing.Revenue.HasProvider(p.Assigner) {
			return perr(NS+"pricing", "the revenue share does not list the assigner %s among the providers", p.Assigner)
		}
	}
	return nil
}

func checkContext(v any) error {
	ok := func(s string) bool { return s == ODRLContext || s == DSPContext }
	switch x := v.(type) {
	case string:
		if ok(x) {
			return nil
		}
	case []any:
		if len(x) == 0 {
			break
		}
		for _, e := range x {
			s, isStr := e.(string)
			if !isStr || !ok(s) {
				return perr("@context", "only %s and %s are understood (no inline or other contexts)", ODRLContext, DSPContext)
			}
		}
		return nil
	}
	return perr("@context", "only %s and %s are understood (no inline or other contexts)", ODRLContext, DSPContext)
}

// odrlTerm strips the odrl: prefix or the ODRL namespace from a term.
func odrlTerm(s string) string {
	if t, ok := strings.CutPrefix(s, "odrl:"); ok {
		return t
	}
	if t, ok := strings.CutPrefix(s, odrlNS); ok {
		return t
	}
	return s
}

func str(path string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", perr(path, "want a string")
	}
	if len(s) > maxStringLen {
		return "", perr(path, "longer than %d bytes", maxStringLen)
	}
	return s, nil
}

// iri accepts an absolute IRI as a string or as {"@id": IRI}.
func iri(path string, v any) (string, error) {
	if m, ok := v.(map[string]any); ok {
		return iriObject(path, m)
	}
	s, err := str(path, v)
	if err != nil {
		return "", err
	}
	if !absoluteIRI(s) {
		return "", perr(path, "%q is not an absolute IRI (e.g. urn:uuid:…, did:…, https://…)", s)
	}
	return s, nil
}

func iriObject(path string, v any) (string, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", perr(path, `want {"@id": IRI}`)
	}
	id, ok := m["@id"]
	if !ok {
		return "", perr(path, `want {"@id": IRI}`)
	}
	return iri(path+".@id", id)
}

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^` + "`" + `]+$`)

func absoluteIRI(s string) bool { return schemeRE.MatchString(s) }

// jsonLiteral reads {"@type": "@json", "@value": …} and returns the value's
// JSON.
func jsonLiteral(path string, v any) (json.RawMessage, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 2 || m["@type"] != "@json" {
		return nil, perr(path, `want a JSON literal {"@type": "@json", "@value": …}`)
	}
	raw, err := json.Marshal(m["@value"])
	if err != nil {
		return nil, perr(path, "%v", err)
	}
	return raw, nil
}

func dateTimeValue(path string, v any) (time.Time, error) {
	s, ok := v.(string)
	if m, isObj := v.(map[string]any); isObj {
		if len(m) != 2 || (m["@type"] != "xsd:dateTime" && m["@type"] != "http://www.w3.org/2001/XMLSchema#dateTime") {
			return time.Time{}, perr(path, `want {"@value": "2026-05-01T00:00:00Z", "@type": "xsd:dateTime"}`)
		}
		s, ok = m["@value"].(string)
	}
	if !ok {
		return time.Time{}, perr(path, "want an RFC 3339 date-time")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, perr(path, "%q is not an RFC 3339 date-time with a time zone", s)
	}
	return t.UTC(), nil
}

var digestRE = regexp.MustCompile(`^sha-256:[0-9a-f]{64}$`)

var durationRE = regexp.MustCompile(`^P(?:\d+Y)?(?:\d+M)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$`)

func parseRules(path string, v any, permission bool) ([]Rule, bool, error) {
	list, ok := v.([]any)
	if !ok {
		if m, isObj := v.(map[string]any); isObj {
			list = []any{m}
		} else {
			return nil, false, perr(path, "want a list of rules")
		}
	}
	if len(list) > maxRules {
		return nil, false, perr(path, "more than %d rules", maxRules)
	}
	var out []Rule
	ext := false
	for i, e := range list {
		rp := fmt.Sprintf("%s[%d]", path, i)
		r, x, err := parseRule(rp, e, permission)
		if err != nil {
			return nil, false, err
		}
		ext = ext || x
		out = append(out, r)
	}
	return out, ext, nil
}

func parseRule(path string, v any, allowDuty bool) (Rule, bool, error) {
	var r Rule
	m, ok := v.(map[string]any)
	if !ok {
		return r, false, perr(path, "want a rule object")
	}
	ext := false
	for _, k := range sortedKeys(m) {
		val := m[k]
		kp := path + "." + k
		switch k {
		case "@type":
			s, err := str(kp, val)
			if err != nil {
				return r, false, err
			}
			if t := odrlTerm(s); t != "Permission" && t != "Prohibition" && t != "Duty" {
				return r, false, perr(kp, "%q is not a rule type", s)
			}
		case "action":
			s, ok := val.(string)
			if !ok {
				return r, false, perr(kp, "want one action name (actions with refinements are not supported)")
			}
			a := odrlTerm(s)
			if !slices.Contains(knownActions, a) {
				return r, false, perr(kp, "action %q is not one xborder enforces (known: %s)", s, strings.Join(knownActions, ", "))
			}
			r.Action = a
		case "constraint":
			list, ok := val.([]any)
			if !ok {
				if mm, isObj := val.(map[string]any); isObj {
					list = []any{mm}
				} else {
					return r, false, perr(kp, "want a list of constraints")
				}
			}
			if len(list) > maxConstraints {
				return r, false, perr(kp, "more than %d constraints", maxConstraints)
			}
			for i, c := range list {
				cc, x, err := parseConstraint(fmt.Sprintf("%s[%d]", kp, i), c)
				if err != nil {
					return r, false, err
				}
				ext = ext || x
				r.Constraints = append(r.Constraints, cc)
			}
		case "duty":
			if !allowDuty {
				return r, false, perr(kp, "only permissions have duties here")
			}
			duties, x, err := parseRules(kp, val, false)
			if err != nil {
				return r, false, err
			}
			ext = ext || x
			r.Duties = duties
		default:
			return r, false, perr(kp, "not understood in a rule (targets and parties are set on the policy)")
		}
	}
	if r.Action == "" {
		return r, false, perr(path+".action", "missing")
	}
	return r, ext, nil
}

func parseConstraint(path string, v any) (Constraint, bool, error) {
	var c Constraint
	m, ok := v.(map[string]any)
	if !ok {
		return c, false, perr(path, "want a constraint object")
	}
	for _, logical := range []string{"and", "or", "xone", "andSequence"} {
		if _, ok := m[logical]; ok {
			return c, false, perr(path+"."+logical, "logical constraints are not supported in xborder contracts")
		}
	}
	var rawRight any
	haveRight := false
	for _, k := range sortedKeys(m) {
		val := m[k]
		kp := path + "." + k
		switch k {
		case "@type":
			if s, _ := val.(string); odrlTerm(s) != "Constraint" {
				return c, false, perr(kp, "want Constraint")
			}
		case "leftOperand":
			s, err := str(kp, val)
			if err != nil {
				return c, false, err
			}
			lo := odrlTerm(s)
			if _, ok := operandKinds[lo]; !ok {
				return c, false, perr(kp, "left operand %q is not one xborder enforces (unknown operands fail closed)", s)
			}
			c.LeftOperand = lo
		case "operator":
			s, err := str(kp, val)
			if err != nil {
				return c, false, err
			}
			c.Operator = odrlTerm(s)
		case "rightOperand":
			rawRight, haveRight = val, true
		default:
			return c, false, perr(kp, "not understood in a constraint (unit, dataType and rightOperandReference are not supported)")
		}
	}
	if c.LeftOperand == "" {
		return c, false, perr(path+".leftOperand", "missing")
	}
	spec := operandKinds[c.LeftOperand]
	if !slices.Contains(spec.ops, c.Operator) {
		return c, false, perr(path+".operator", "%q with %s (accepted: %s)", c.Operator, c.LeftOperand, strings.Join(spec.ops, ", "))
	}
	if !haveRight {
		return c, false, perr(path+".rightOperand", "missing")
	}
	rp := path + ".rightOperand"
	switch spec.kind {
	case KindList:
		switch x := rawRight.(type) {
		case string:
			if x == "" || len(x) > maxStringLen {
				return c, false, perr(rp, "want a non-empty string")
			}
			c.RightOperand = StringV(x)
		case []any:
			if len(x) == 0 || len(x) > maxListItems {
				return c, false, perr(rp, "want 1 to %d values", maxListItems)
			}
			var l []string
			for i, e := range x {
				s, err := str(fmt.Sprintf("%s[%d]", rp, i), e)
				if err != nil || s == "" {
					return c, false, perr(fmt.Sprintf("%s[%d]", rp, i), "want a non-empty string")
				}
				if !slices.Contains(l, s) {
					l = append(l, s)
				}
			}
			c.RightOperand = ListV(l...)
		default:
			return c, false, perr(rp, "want a string or a list of strings")
		}
		if c.Operator == OpEq && c.RightOperand.Kind == KindList && len(c.RightOperand.List) != 1 {
			return c, false, perr(rp, "eq takes one value; use isAnyOf for several")
		}
	case KindInt:
		n, ok := rawRight.(json.Number)
		if !ok {
			return c, false, perr(rp, "want a whole number")
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || i < 0 {
			return c, false, perr(rp, "%s is not a whole number ≥ 0", n)
		}
		if c.Operator == OpLt && i == 0 {
			return c, false, perr(rp, "lt 0 permits nothing")
		}
		c.RightOperand = IntV(i)
	case KindDateTime:
		t, err := dateTimeValue(rp, rawRight)
		if err != nil {
			return c, false, err
		}
		c.RightOperand = TimeV(t)
	case KindDuration:
		s, _ := rawRight.(string)
		if mm, isObj := rawRight.(map[string]any); isObj {
			if len(mm) != 2 || (mm["@type"] != "xsd:duration" && mm["@type"] != "http://www.w3.org/2001/XMLSchema#duration") {
				return c, false, perr(rp, `want {"@value": "PT72H", "@type": "xsd:duration"}`)
			}
			s, _ = mm["@value"].(string)
		}
		if s == "P" || s == "PT" || !durationRE.MatchString(s) {
			return c, false, perr(rp, "want an xsd:duration such as PT72H")
		}
		c.RightOperand = DurationV(s)
	case KindIRI:
		s, err := iri(rp, rawRight)
		if err != nil {
			return c, false, err
		}
		c.RightOperand = IRIV(s)
	}
	return c, strings.HasPrefix(c.LeftOperand, OperandNS) || (c.RightOperand.Kind == KindIRI && strings.HasPrefix(c.RightOperand.Str, NS)), nil
}

// sortedKeys makes the first error reported the same on every run.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkDuplicates refuses a JSON text with a repeated member name in any
// object: encoding/json keeps the last, another parser may keep the first,
// and a signed policy must mean one thing.
func checkDuplicates(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return perr("", "not JSON: %v", err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				markValueDone(stack)
				continue
			}
			k, _ := tok.(string)
			if top.keys[k] {
				return perr(k, "member %q appears twice in one object", k)
			}
			top.keys[k] = true
			top.key = false
			continue
		}
		switch d := tok.(type) {
		case json.Delim:
			switch d {
			case '{':
				stack = append(stack, &frame{obj: true, keys: map[string]bool{}, key: true})
			case '[':
				stack = append(stack, &frame{})
			case ']':
				stack = stack[:len(stack)-1]
				markValueDone(stack)
			}
		default:
			markValueDone(stack)
		}
		if len(stack) > 128 {
			return perr("", "nested deeper than 128 levels")
		}
	}
}

type frame struct {
	obj  bool
	keys map[string]bool
	key  bool // the next token in an object is a member name
}

func markValueDone(stack []*frame) {
	if len(stack) > 0 && stack[len(stack)-1].obj {
		stack[len(stack)-1].key = true
	}
}
