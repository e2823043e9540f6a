package odrl

import "strings"

// Namespaces and context URLs.
const (
	// NS is the ODRL 2.2 vocabulary namespace.
	NS = "http://www.w3.org/ns/odrl/2/"
	// XborderNS is the namespace of xborder's own left operands and policy
	// properties (see docs/policy.md).
	XborderNS = "https://xborder.dev/ns/odrl/"
	// ClaimNS prefixes left operands that name a verified credential claim:
	// ClaimNS+"memberOf" reads Request.Claims["memberOf"].
	ClaimNS = XborderNS + "claim/"

	// ContextODRL is the ODRL context URL as the ODRL specifications write it.
	ContextODRL = "http://www.w3.org/ns/odrl.jsonld"
	// ContextDSP is the Dataspace Protocol 2025-1 context.
	ContextDSP = "https://w3id.org/dspace/2025/1/context.jsonld"
	// ContextXborder is xborder's context for its own terms, bundled in the
	// binary.
	ContextXborder = "https://xborder.dev/ns/odrl/v1"

	xsdNS  = "http://www.w3.org/2001/XMLSchema#"
	rdfNS  = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	dsppNS = "https://w3id.org/dspace/2025/1/"
)

// actionParent is the includedIn relation of the ODRL 2.2 Common Vocabulary
// as xborder applies it: every common action is included in use, except give
// and sell, which are included in transfer. use and transfer are the roots.
// Intermediate edges that drafts of the vocabulary gave (display in play,
// extract in reproduce, …) are not applied: a permission for play does not
// cover display.
var actionParent = map[string]string{
	"acceptTracking": "use", "aggregate": "use", "annotate": "use", "anonymize": "use",
	"archive": "use", "attribute": "use", "compensate": "use", "concurrentUse": "use",
	"delete": "use", "derive": "use", "digitize": "use", "display": "use",
	"distribute": "use", "ensureExclusivity": "use", "execute": "use", "extract": "use",
	"grantUse": "use", "include": "use", "index": "use", "inform": "use",
	"install": "use", "modify": "use", "move": "use", "nextPolicy": "use",
	"obtainConsent": "use", "play": "use", "present": "use", "print": "use",
	"read": "use", "reproduce": "use", "reviewPolicy": "use", "stream": "use",
	"synchronize": "use", "textToSpeech": "use", "transform": "use", "translate": "use",
	"uninstall": "use", "watermark": "use",
	"give": "transfer", "sell": "transfer",
	"use": "", "transfer": "",
}

// deprecatedAction maps ODRL 2.2's deprecated actions that have an
// owl:equivalentProperty in the vocabulary to that action. The other
// deprecated actions (lease, lend, share, …) are unknown: fail closed.
var deprecatedAction = map[string]string{
	"write": "modify", "writeTo": "modify", "append": "modify", "appendTo": "modify",
	"copy": "reproduce", "export": "transform", "pay": "compensate", "license": "grantUse",
}

// valueType is how a left operand's values are compared.
type valueType uint8

const (
	typeAny      valueType = iota // decided by the values: number, time, duration or token
	typeToken                     // IRI or string, compared for identity
	typeDateTime                  // xsd:dateTime or xsd:date
	typeDuration                  // xsd:duration
	typeNumber                    // xsd:decimal / integer / double
	typeSpatial                   // ISO 3166 code, region or IRI, with built-in region membership
	typeLevel                     // data classification level: general < important < core, or numbers
)

func (t valueType) String() string {
	return [...]string{"any", "identifier", "dateTime", "duration", "number", "jurisdiction", "classification level"}[t]
}

// operandInfo describes a left operand this engine knows.
type operandInfo struct {
	typ valueType
	// withinPeriod: eq means "within the period" (value ≤ right operand),
	// as the ODRL vocabulary defines elapsedTime and meteredTime.
	withinPeriod bool
	// atLeastPeriod: eq means "at least the period has passed" (delayPeriod).
	atLeastPeriod bool
	doc           string
}

// odrlOperands are the ODRL 2.2 Common Vocabulary left operands.
var odrlOperands = map[string]operandInfo{
	"absolutePosition":         {typ: typeToken},
	"absoluteSpatialPosition":  {typ: typeToken},
	"absoluteTemporalPosition": {typ: typeToken},
	"absoluteSize":             {typ: typeNumber},
	"count":                    {typ: typeNumber, doc: "how many times the action has been exercised, this time included"},
	"dateTime":                 {typ: typeDateTime, doc: "the time the action is exercised (Request.Now when the context has none)"},
	"delayPeriod":              {typ: typeDuration, atLeastPeriod: true, doc: "time passed since the triggering event"},
	"deliveryChannel":          {typ: typeToken},
	"elapsedTime":              {typ: typeDuration, withinPeriod: true, doc: "time passed since the action was first exercised"},
	"event":                    {typ: typeToken},
	"fileFormat":               {typ: typeToken},
	"industry":                 {typ: typeToken},
	"language":                 {typ: typeToken},
	"media":                    {typ: typeToken},
	"meteredTime":              {typ: typeDuration, withinPeriod: true, doc: "accumulated time of use"},
	"payAmount":                {typ: typeNumber},
	"percentage":               {typ: typeNumber},
	"product":                  {typ: typeToken},
	"purpose":                  {typ: typeToken},
	"recipient":                {typ: typeToken},
	"relativePosition":         {typ: typeToken},
	"relativeSpatialPosition":  {typ: typeToken},
	"relativeTemporalPosition": {typ: typeToken},
	"relativeSize":             {typ: typeNumber},
	"resolution":               {typ: typeNumber},
	"spatial":                  {typ: typeSpatial},
	"spatialCoordinates":       {typ: typeToken},
	"systemDevice":             {typ: typeToken},
	"timeInterval":             {typ: typeDuration},
	"unitOfCount":              {typ: typeToken},
	"version":                  {typ: typeToken},
	"virtualLocation":          {typ: typeToken},
}

// deprecatedOperand maps deprecated left operands to their equivalent.
var deprecatedOperand = map[string]string{"device": "systemDevice", "system": "systemDevice"}

// xborderOperands are xborder's own left operands, in XborderNS.
var xborderOperands = map[string]operandInfo{
	"transferRoute":         {typ: typeToken, doc: "the export route approved for this transfer, e.g. CN_SA, CN_SC, CN_CERT, CN_EXEMPT_ART5_4"},
	"approvals":             {typ: typeToken, doc: "the approvals and filings the exporter has on record (a set)"},
	"recipientJurisdiction": {typ: typeSpatial, doc: "the jurisdiction of the recipient, ISO 3166 code or region"},
	"providerJurisdiction":  {typ: typeSpatial, doc: "the jurisdiction the data leaves, ISO 3166 code or region"},
	"classificationLevel":   {typ: typeLevel, doc: "the data's classification level: general < important < core, or 1, 2, 3…"},
	"fields":                {typ: typeToken, doc: "the fields (columns) requested (a set)"},
	"computation":           {typ: typeToken, doc: "how the data is processed: raw, tee, mpc, psi, fl, he, dp"},
	"algorithm":             {typ: typeToken, doc: "the registered algorithm a privacy computation runs, name@version (internal/pet/task)"},
}

// lookupOperand returns what the engine knows of a left operand IRI.
func lookupOperand(iri string) (operandInfo, bool) {
	if name, ok := strings.CutPrefix(iri, NS); ok {
		if n, dep := deprecatedOperand[name]; dep {
			name = n
		}
		info, ok := odrlOperands[name]
		return info, ok
	}
	if name, ok := strings.CutPrefix(iri, XborderNS); ok {
		if strings.HasPrefix(name, "claim/") && len(name) > len("claim/") {
			return operandInfo{typ: typeAny}, true
		}
		info, ok := xborderOperands[name]
		return info, ok
	}
	return operandInfo{}, false
}

// canonicalOperand maps deprecated left operands and the ODRL context's
// industry erratum to their canonical IRI.
func canonicalOperand(iri string) string {
	if iri == NS+"industry:" { // the ODRL JSON-LD context maps "industry" to "odrl:industry:"
		return NS + "industry"
	}
	if name, ok := strings.CutPrefix(iri, NS); ok {
		if n, dep := deprecatedOperand[name]; dep {
			return NS + n
		}
	}
	return iri
}

// canonicalOperator maps the ODRL context's neq erratum ("neq" is defined
// as odrl:neg) to odrl:neq.
func canonicalOperator(iri string) Operator {
	if iri == NS+"neg" {
		return Neq
	}
	return Operator(iri)
}

// knownOperator reports whether o is one of the ODRL 2.2 operators.
func knownOperator(o Operator) bool {
	switch o {
	case Eq, Neq, Lt, Lteq, Gt, Gteq, IsA, HasPart, IsPartOf, IsAllOf, IsAnyOf, IsNoneOf:
		return true
	}
	return o.IsLogical()
}

// actionIRI maps every accepted spelling of a known action (short name,
// "odrl:name", full IRI; deprecated equivalents included) to its canonical
// IRI, and actionParentIRI maps a canonical IRI to the action it is
// included in. Built once; read-only.
var actionIRI, actionParentIRI = func() (map[string]string, map[string]string) {
	spell := map[string]string{}
	parent := map[string]string{}
	for name, p := range actionParent {
		iri := NS + name
		spell[name], spell["odrl:"+name], spell[iri] = iri, iri, iri
		if p != "" {
			parent[iri] = NS + p
		}
	}
	for old, eq := range deprecatedAction {
		iri := NS + eq
		spell[old], spell["odrl:"+old], spell[NS+old] = iri, iri, iri
	}
	return spell, parent
}()

// canonicalAction returns the canonical IRI of an action and whether the
// engine knows it: ODRL short names and IRIs, with deprecated equivalents
// mapped; any other name is returned unchanged with known == false.
func canonicalAction(a string) (iri string, known bool) {
	if c, ok := actionIRI[a]; ok {
		return c, true
	}
	return a, false
}

// includedIn reports whether action a is b or included in b (transitively).
// Both must be canonical IRIs of known actions.
func includedIn(a, b string) bool {
	for i := 0; i < 8; i++ {
		if a == b {
			return true
		}
		p, ok := actionParentIRI[a]
		if !ok {
			return false
		}
		a = p
	}
	return false
}

// Short returns the compact form of an IRI for display: ODRL terms by their
// name ("use", "purpose"), xborder terms as "xborder:name", anything else
// unchanged.
func Short(iri string) string {
	if s, ok := strings.CutPrefix(iri, NS); ok && s != "" {
		return s
	}
	if s, ok := strings.CutPrefix(iri, XborderNS); ok && s != "" {
		return "xborder:" + s
	}
	if s, ok := strings.CutPrefix(iri, xsdNS); ok && s != "" {
		return "xsd:" + s
	}
	return iri
}

// expandName turns a name written by a user (a request's action or a context
// key) into an IRI: ODRL short names, "odrl:x", "xborder:x", "xsd:x" and
// absolute IRIs.
func expandName(s string) string {
	switch {
	case strings.HasPrefix(s, "odrl:"):
		return NS + s[5:]
	case strings.HasPrefix(s, "xborder:"):
		return XborderNS + s[8:]
	case strings.HasPrefix(s, "xsd:"):
		return xsdNS + s[4:]
	case strings.Contains(s, ":"):
		return s
	}
	if _, ok := odrlOperands[s]; ok {
		return NS + s
	}
	if _, ok := actionParent[s]; ok {
		return NS + s
	}
	if _, ok := deprecatedAction[s]; ok {
		return NS + s
	}
	if _, ok := xborderOperands[s]; ok {
		return XborderNS + s
	}
	return s
}

// regions are the built-in region memberships used by isPartOf on
// jurisdiction values: EU member states and the EEA.
var regions = func() map[string][]string {
	eu := []string{"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
		"LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
	m := map[string][]string{"IS": {"EEA"}, "LI": {"EEA"}, "NO": {"EEA"}, "EU": {"EEA"}}
	for _, c := range eu {
		m[c] = []string{"EU", "EEA"}
	}
	return m
}()
