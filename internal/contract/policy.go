package contract

import (
	"fmt"
	"slices"
	"time"

	"github.com/xborder/xborder/internal/contract/billing"
)

// Namespaces and the ODRL profile of xborder offers and agreements.
const (
	// NS is the namespace of the contract's annotations on a policy: the
	// pricing schedule, the template, the natural-language terms, the offer
	// an agreement derives from. ODRL processors take properties of other
	// namespaces as descriptive metadata; internal/odrl does.
	NS = "https://xborder.dev/ns/contract#"
	// OperandNS is the namespace of xborder's own ODRL left operands, the
	// one internal/odrl reads (odrl.XborderNS): transferRoute and the usage
	// windows below.
	OperandNS = "https://xborder.dev/ns/odrl/"
	// Profile is the ODRL profile (ODRL 2.2 §2.1.1) every xborder policy
	// declares: a processor that does not know it must not process the
	// policy, rather than silently ignore the extension operands.
	Profile = "https://xborder.dev/ns/contract"
	// ODRLContext is the JSON-LD context of the ODRL form.
	ODRLContext = "http://www.w3.org/ns/odrl.jsonld"
	// DSPContext is the JSON-LD context of Dataspace Protocol 2025-1
	// messages, inside which the DSP form of a policy travels.
	DSPContext = "https://w3id.org/dspace/2025/1/context.jsonld"
	// odrlNS is the ODRL vocabulary namespace.
	odrlNS = "http://www.w3.org/ns/odrl/2/"
)

// Policy types.
const (
	TypeOffer     = "Offer"
	TypeAgreement = "Agreement"
)

// ODRL left operands used by xborder policies; extension operands are
// full IRIs in NS.
const (
	LOPurpose         = "purpose"
	LOSpatial         = "spatial"   // ISO 3166-1 alpha-2 codes of where the data may be used
	LORecipient       = "recipient" // DIDs of the parties that may receive the data
	LODateTime        = "dateTime"
	LOCount           = "count" // uses over the whole agreement
	LOIndustry        = "industry"
	LODeliveryChannel = "deliveryChannel"
	LOElapsedTime     = "elapsedTime"
	LOEvent           = "event"

	// LOTransferRoute: the transfer runs under one of these routes, whose
	// approval or filing must be on record (internal/odrl's transferRoute).
	LOTransferRoute = OperandNS + "transferRoute"
	// Usage in a UTC calendar day or month, or over the whole agreement,
	// this use included: counts, bytes and rows.
	LODailyCount         = OperandNS + "dailyCount"
	LOMonthlyCount       = OperandNS + "monthlyCount"
	LOVolumeBytes        = OperandNS + "volumeBytes"
	LODailyVolumeBytes   = OperandNS + "dailyVolumeBytes"
	LOMonthlyVolumeBytes = OperandNS + "monthlyVolumeBytes"
	LOVolumeRows         = OperandNS + "volumeRows"
	LODailyVolumeRows    = OperandNS + "dailyVolumeRows"
	LOMonthlyVolumeRows  = OperandNS + "monthlyVolumeRows"
)

// ODRL actions used by xborder policies.
const (
	ActUse        = "use"
	ActDistribute = "distribute"
	ActSell       = "sell"
	ActDelete     = "delete"
	ActInform     = "inform"
	ActAnonymize  = "anonymize"
)

// Operators.
const (
	OpEq       = "eq"
	OpLt       = "lt"
	OpLteq     = "lteq"
	OpGt       = "gt"
	OpGteq     = "gteq"
	OpIsAnyOf  = "isAnyOf"
	OpIsNoneOf = "isNoneOf"
)

// EventSecurityIncident is the event a breach-notice obligation counts from.
const EventSecurityIncident = NS + "securityIncident"

// Delivery channels (values of deliveryChannel).
var deliveryChannels = []string{"privacy_computing", "sandbox", "api", "file_transfer"}

// Policy is an ODRL 2.2 policy of the shape xborder templates produce: an
// Offer, or the Agreement derived from one. It is a closed subset of ODRL
// (atomic constraints on known left operands, no logical constraints, no
// refinements); see ParsePolicy.
type Policy struct {
	Type     string
	UID      string
	Target   string
	Assigner string // provider DID
	Assignee string // consumer DID (agreements)
	// Issued is when the provider signed an agreement.
	Issued time.Time
	// Title names the policy for people.
	Title string
	// Template is "name@version" of the template the offer came from.
	Template string
	// OfferUID and OfferDigest tie an agreement to the reviewed offer.
	OfferUID    string
	OfferDigest string

	Permissions  []Rule
	Prohibitions []Rule
	Obligations  []Rule

	Pricing *billing.Pricing
	Terms   []Term
}

// Rule is a permission, prohibition, obligation or duty.
type Rule struct {
	Action      string
	Constraints []Constraint
	Duties      []Rule // duties of a permission
}

// Constraint is an atomic ODRL constraint.
type Constraint struct {
	LeftOperand  string
	Operator     string
	RightOperand Value
}

// ValueKind tells what a right operand holds.
type ValueKind int

const (
	KindString ValueKind = iota + 1
	KindList             // a list of strings
	KindInt
	KindDateTime
	KindDuration // xsd:duration, kept as written, e.g. "PT72H"
	KindIRI
)

// Value is a right operand.
type Value struct {
	Kind ValueKind
	Str  string // KindString, KindDuration, KindIRI
	List []string
	Int  int64
	Time time.Time
}

// Term is a natural-language clause of a template, in both languages.
type Term struct {
	Code string `json:"code"`
	EN   string `json:"en"`
	ZH   string `json:"zh"`
}

// StringV, ListV, IntV, TimeV, DurationV and IRIV build values.
func StringV(s string) Value   { return Value{Kind: KindString, Str: s} }
func ListV(l ...string) Value  { return Value{Kind: KindList, List: slices.Clone(l)} }
func IntV(n int64) Value       { return Value{Kind: KindInt, Int: n} }
func TimeV(t time.Time) Value  { return Value{Kind: KindDateTime, Time: t.UTC()} }
func DurationV(d string) Value { return Value{Kind: KindDuration, Str: d} }
func IRIV(iri string) Value    { return Value{Kind: KindIRI, Str: iri} }
func (v Value) Strings() []string {
	switch v.Kind {
	case KindList:
		return v.List
	case KindString, KindIRI:
		return []string{v.Str}
	}
	return nil
}

// findRule returns the first rule with action a in rules.
func findRule(rules []Rule, a string) *Rule {
	for i := range rules {
		if rules[i].Action == a {
			return &rules[i]
		}
	}
	return nil
}

// UsePermission returns the permission to use the target, nil if none.
func (p *Policy) UsePermission() *Rule { return findRule(p.Permissions, ActUse) }

// constraints returns the constraints of the use permission on lo.
func (p *Policy) constraints(lo string) []Constraint {
	r := p.UsePermission()
	if r == nil {
		return nil
	}
	var out []Constraint
	for _, c := range r.Constraints {
		if c.LeftOperand == lo {
			out = append(out, c)
		}
	}
	return out
}

// allowed returns the values a list-valued operand of the use permission
// permits, and whether the operand is constrained at all. Several
// constraints on one operand intersect.
func (p *Policy) allowed(lo string) ([]string, bool) {
	cs := p.constraints(lo)
	if len(cs) == 0 {
		return nil, false
	}
	var out []string
	for i, c := range cs {
		vals := c.RightOperand.Strings()
		if i == 0 {
			out = slices.Clone(vals)
			continue
		}
		out = slices.DeleteFunc(out, func(v string) bool { return !slices.Contains(vals, v) })
	}
	return out, true
}

// Purposes returns the permitted purposes (nil, false when unconstrained).
func (p *Policy) Purposes() ([]string, bool) { return p.allowed(LOPurpose) }

// Countries returns where use is permitted (nil, false when unconstrained).
func (p *Policy) Countries() ([]string, bool) { return p.allowed(LOSpatial) }

// Recipients returns who may receive the data (nil, false when unconstrained).
func (p *Policy) Recipients() ([]string, bool) { return p.allowed(LORecipient) }

// ApprovedRoutes returns the transfer routes one of whose approvals must be
// on record before use (nil, false when none is required).
func (p *Policy) ApprovedRoutes() ([]string, bool) { return p.allowed(LOTransferRoute) }

// Period is when use is permitted: From ≤ t < Until; a zero bound is open.
type Period struct {
	From  time.Time
	Until time.Time
}

// Contains reports whether t is inside the period.
func (pd Period) Contains(t time.Time) bool {
	return (pd.From.IsZero() || !t.Before(pd.From)) && (pd.Until.IsZero() || t.Before(pd.Until))
}

// Period returns the use period from the dateTime constraints of the use
// permission, normalised to [From, Until).
func (p *Policy) Period() Period {
	var pd Period
	for _, c := range p.constraints(LODateTime) {
		t := c.RightOperand.Time
		switch c.Operator {
		case OpGteq:
			if pd.From.IsZero() || t.After(pd.From) {
				pd.From = t
			}
		case OpGt:
			if t = t.Add(time.Nanosecond); pd.From.IsZero() || t.After(pd.From) {
				pd.From = t
			}
		case OpLt:
			if pd.Until.IsZero() || t.Before(pd.Until) {
				pd.Until = t
			}
		case OpLteq:
			if t = t.Add(time.Nanosecond); pd.Until.IsZero() || t.Before(pd.Until) {
				pd.Until = t
			}
		}
	}
	return pd
}

// Metric, Window: the dimensions of a usage limit.
const (
	MetricCount = billing.MetricCount
	MetricBytes = billing.MetricBytes
	MetricRows  = billing.MetricRows

	WindowDay   = "day"
	WindowMonth = "month"
	WindowTotal = "total"
)

// Limit caps one metric over one window (UTC calendar day or month, or the
// whole agreement).
type Limit struct {
	Metric string `json:"metric"`
	Window string `json:"window"`
	Max    int64  `json:"max"`
}

func (l Limit) String() string { return fmt.Sprintf("%s/%s ≤ %d", l.Metric, l.Window, l.Max) }

// limitOperands maps the limit left operands to their metric and window.
var limitOperands = map[string][2]string{
	LOCount:              {MetricCount, WindowTotal},
	LODailyCount:         {MetricCount, WindowDay},
	LOMonthlyCount:       {MetricCount, WindowMonth},
	LOVolumeBytes:        {MetricBytes, WindowTotal},
	LODailyVolumeBytes:   {MetricBytes, WindowDay},
	LOMonthlyVolumeBytes: {MetricBytes, WindowMonth},
	LOVolumeRows:         {MetricRows, WindowTotal},
	LODailyVolumeRows:    {MetricRows, WindowDay},
	LOMonthlyVolumeRows:  {MetricRows, WindowMonth},
}

// Limits returns the usage limits of the use permission, the tightest per
// metric and window, ordered by metric then window.
func (p *Policy) Limits() []Limit {
	best := map[[2]string]int64{}
	if r := p.UsePermission(); r != nil {
		for _, c := range r.Constraints {
			mw, ok := limitOperands[c.LeftOperand]
			if !ok {
				continue
			}
			max := c.RightOperand.Int
			if c.Operator == OpLt {
				max--
			}
			if cur, ok := best[mw]; !ok || max < cur {
				best[mw] = max
			}
		}
	}
	var out []Limit
	for _, m := range []string{MetricCount, MetricBytes, MetricRows} {
		for _, w := range []string{WindowDay, WindowMonth, WindowTotal} {
			if v, ok := best[[2]string{m, w}]; ok {
				out = append(out, Limit{Metric: m, Window: w, Max: v})
			}
		}
	}
	return out
}

// HasProhibition reports whether the policy prohibits action a outright
// (without constraints that narrow the prohibition).
func (p *Policy) HasProhibition(a string) bool {
	r := findRule(p.Prohibitions, a)
	return r != nil && len(r.Constraints) == 0
}

// Obligation returns the first obligation with action a.
func (p *Policy) Obligation(a string) *Rule { return findRule(p.Obligations, a) }
