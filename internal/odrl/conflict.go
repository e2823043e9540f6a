package odrl

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Conflict kinds.
const (
	// ConflictWithin: a permission and a prohibition of one policy can apply
	// to the same request.
	ConflictWithin = "within_policy"
	// ConflictBetween: a permission of one policy and a prohibition of
	// another can apply to the same request (the policies govern the same
	// data, e.g. sources of an aggregated dataset).
	ConflictBetween = "between_policies"
	// ConflictIncompatible: a permission of one policy can never be used
	// together with any permission of another for the same action: no
	// request satisfies both policies.
	ConflictIncompatible = "incompatible_permissions"
)

// RuleRef names a rule for conflict reports.
type RuleRef struct {
	Policy       string     `json:"policy"`
	Rule         string     `json:"rule"`
	Kind         RuleKind   `json:"kind"`
	Type         PolicyType `json:"policy_type"`
	Mandatory    bool       `json:"mandatory,omitempty"`
	Jurisdiction string     `json:"jurisdiction,omitempty"`
}

// Conflict is a pair of rules with opposite effects that can apply to one
// request, explained and resolved.
type Conflict struct {
	Kind        string  `json:"kind"`
	A           RuleRef `json:"a"`
	B           RuleRef `json:"b"`
	Action      string  `json:"action"` // the narrower of the two actions
	Explanation string  `json:"explanation"`
	// Winner is the rule that prevails; ResolvedBy says why: "mandatory"
	// (a jurisdiction's mandatory policy, 属地优先), "agreement" (the
	// agreement over an offer or set, 约定优先), "perm" or "prohibit" (the
	// conflict strategy), or "invalid" (the strategy voids the policies for
	// such requests: deny).
	Winner     RuleRef `json:"winner"`
	ResolvedBy string  `json:"resolved_by"`
	Resolution string  `json:"resolution"`
}

// ConflictOptions tune conflict detection and combined evaluation.
type ConflictOptions struct {
	// Jurisdiction is where the data is processed (e.g. "CN"): its mandatory
	// policies come first. Empty: every mandatory policy does.
	Jurisdiction string
	// RequireAll (EvaluateAll) makes every policy that governs the data have
	// to permit, as the sources of an aggregated dataset each must.
	RequireAll bool
}

// Conflicts finds the conflicts inside each policy and between every pair
// of policies, explains them, and resolves them by 属地优先、约定优先: a
// jurisdiction's mandatory policy first, then the agreement, then the
// conflict strategies. Two rules conflict when their actions overlap (one
// includes the other), their targets and assignees can coincide, and one
// request can satisfy both rules' constraints together (checked per left
// operand: intervals for ordered values, sets for identifiers; what cannot
// be decided statically is taken as satisfiable). Between policies targets
// are not compared: the policies are taken to govern the same data.
func Conflicts(policies []*Policy, o ConflictOptions) []Conflict {
	var out []Conflict
	for _, p := range policies {
		for _, perm := range p.Permissions {
			for _, pro := range p.Prohibitions {
				if c, ok := ruleConflict(p, perm, p, pro, true, o); ok {
					c.Kind = ConflictWithin
					out = append(out, c)
				}
			}
		}
	}
	for i, a := range policies {
		for j, b := range policies {
			if i == j {
				continue
			}
			for _, perm := range a.Permissions {
				for _, pro := range b.Prohibitions {
					if c, ok := ruleConflict(a, perm, b, pro, false, o); ok {
						c.Kind = ConflictBetween
						out = append(out, c)
					}
				}
			}
			if i < j {
				out = append(out, incompatible(a, b, o)...)
				out = append(out, incompatible(b, a, o)...)
			}
		}
	}
	return out
}

func ref(p *Policy, r *Rule) RuleRef {
	return RuleRef{Policy: p.UID, Rule: r.ID(), Kind: r.Kind, Type: p.Type, Mandatory: p.Mandatory, Jurisdiction: p.Jurisdiction}
}

func ruleConflict(pa *Policy, perm *Rule, pb *Policy, pro *Rule, samePolicy bool, o ConflictOptions) (Conflict, bool) {
	act, ok := actionOverlap(perm.Action, pro.Action)
	if !ok {
		return Conflict{}, false
	}
	if samePolicy && !assetsOverlap(perm.Target, pro.Target) {
		return Conflict{}, false
	}
	if !partiesOverlap(perm.Assignee, pro.Assignee) {
		return Conflict{}, false
	}
	cons := conditionsOf(perm, pro)
	if sat, _ := satisfiable(cons); !sat {
		return Conflict{}, false
	}
	c := Conflict{A: ref(pa, perm), B: ref(pb, pro), Action: Short(act)}
	var operands []string
	seen := map[string]bool{}
	for _, k := range cons {
		for _, l := range leftOperands(k) {
			if !seen[l] {
				seen[l] = true
				operands = append(operands, Short(l))
			}
		}
	}
	sort.Strings(operands)
	when := "for any request"
	if len(operands) > 0 {
		when = "when " + strings.Join(operands, ", ") + " take values both rules' constraints allow"
	}
	if samePolicy {
		c.Explanation = fmt.Sprintf("permission %s of policy %s allows %s and its prohibition %s forbids %s; both apply to %s %s",
			perm.ID(), pa.UID, actionName(perm.Action), pro.ID(), actionName(pro.Action), Short(act), when)
	} else {
		c.Explanation = fmt.Sprintf("permission %s of policy %s allows %s and prohibition %s of policy %s forbids %s; the policies govern the same data, so both apply to %s %s",
			perm.ID(), pa.UID, actionName(perm.Action), pro.ID(), pb.UID, actionName(pro.Action), Short(act), when)
	}
	resolve(&c, pa, pb, o)
	return c, true
}

// resolve decides which of A (a permission) and B (a prohibition) prevails.
func resolve(c *Conflict, pa, pb *Policy, o ConflictOptions) {
	ma, mb := governs(pa, o), governs(pb, o)
	switch {
	case pa != pb && ma && !mb:
		c.Winner, c.ResolvedBy = c.A, "mandatory"
		c.Resolution = fmt.Sprintf("policy %s states the mandatory rules of %s, which come first (属地优先): the permission prevails", pa.UID, orAny(pa.Jurisdiction))
	case pa != pb && mb && !ma:
		c.Winner, c.ResolvedBy = c.B, "mandatory"
		c.Resolution = fmt.Sprintf("policy %s states the mandatory rules of %s, which come first (属地优先): the prohibition prevails", pb.UID, orAny(pb.Jurisdiction))
	case pa != pb && pa.Type == TypeAgreement && pb.Type != TypeAgreement:
		c.Winner, c.ResolvedBy = c.A, "agreement"
		c.Resolution = fmt.Sprintf("policy %s is the agreement, which comes before an %s (约定优先): the permission prevails", pa.UID, pb.Type)
	case pa != pb && pb.Type == TypeAgreement && pa.Type != TypeAgreement:
		c.Winner, c.ResolvedBy = c.B, "agreement"
		c.Resolution = fmt.Sprintf("policy %s is the agreement, which comes before an %s (约定优先): the prohibition prevails", pb.UID, pa.Type)
	default:
		sa, sb := pa.Conflict, pb.Conflict
		switch {
		case sa == ConflictPerm && sb == ConflictPerm:
			c.Winner, c.ResolvedBy = c.A, "perm"
			c.Resolution = "the conflict strategy is perm: the permission prevails"
		case sa == ConflictProhibit || sb == ConflictProhibit:
			c.Winner, c.ResolvedBy = c.B, "prohibit"
			c.Resolution = "the conflict strategy is prohibit: the prohibition prevails"
		default:
			c.Winner, c.ResolvedBy = c.B, "invalid"
			c.Resolution = "no conflict strategy settles it (ODRL's default is invalid): such requests are denied; state a strategy or narrow one of the rules"
		}
	}
}

func orAny(j string) string {
	if j == "" {
		return "its jurisdiction"
	}
	return j
}

// governs reports whether p is a mandatory policy of the jurisdiction in
// question.
func governs(p *Policy, o ConflictOptions) bool {
	return p.Mandatory && (o.Jurisdiction == "" || p.Jurisdiction == "" || normSpatial(o.Jurisdiction) == p.Jurisdiction)
}

// incompatible reports permissions of a that no permission of b with an
// overlapping action can be used together with.
func incompatible(a, b *Policy, o ConflictOptions) []Conflict {
	var out []Conflict
	for _, pa := range a.Permissions {
		var first *Rule
		compatible, overlapping := false, false
		for _, pb := range b.Permissions {
			if _, ok := actionOverlap(pa.Action, pb.Action); !ok || !partiesOverlap(pa.Assignee, pb.Assignee) {
				continue
			}
			overlapping = true
			if first == nil {
				first = pb
			}
			if sat, _ := satisfiable(conditionsOf(pa, pb)); sat {
				compatible = true
				break
			}
		}
		if !overlapping || compatible {
			continue
		}
		_, why := satisfiable(conditionsOf(pa, first))
		c := Conflict{Kind: ConflictIncompatible, A: ref(a, pa), B: ref(b, first), Action: Short(actionIRIOf(pa.Action))}
		c.Explanation = fmt.Sprintf("permission %s of %s and every permission of %s for an overlapping action exclude each other (%s): no request satisfies both policies", pa.ID(), a.UID, b.UID, why)
		switch ma, mb := governs(a, o), governs(b, o); {
		case ma && !mb:
			c.Winner, c.ResolvedBy = c.A, "mandatory"
			c.Resolution = fmt.Sprintf("policy %s is mandatory (属地优先); %s must be renegotiated to allow what it allows", a.UID, b.UID)
		case mb && !ma:
			c.Winner, c.ResolvedBy = c.B, "mandatory"
			c.Resolution = fmt.Sprintf("policy %s is mandatory (属地优先); %s must be renegotiated to allow what it allows", b.UID, a.UID)
		case a.Type == TypeAgreement && b.Type != TypeAgreement:
			c.Winner, c.ResolvedBy = c.A, "agreement"
			c.Resolution = fmt.Sprintf("policy %s is the agreement (约定优先)", a.UID)
		case b.Type == TypeAgreement && a.Type != TypeAgreement:
			c.Winner, c.ResolvedBy = c.B, "agreement"
			c.Resolution = fmt.Sprintf("policy %s is the agreement (约定优先)", b.UID)
		default:
			c.Winner, c.ResolvedBy = c.B, "invalid"
			c.Resolution = "neither policy takes precedence: data governed by both cannot be used for this action until one is changed"
		}
		out = append(out, c)
	}
	return out
}

func actionIRIOf(a *Action) string {
	if a == nil {
		return NS + "use"
	}
	return a.IRI
}

func actionName(a *Action) string {
	if a == nil {
		return "any action"
	}
	return Short(a.IRI)
}

// actionOverlap returns the narrower action when one includes the other.
func actionOverlap(a, b *Action) (string, bool) {
	switch {
	case a == nil && b == nil:
		return NS + "use", true
	case a == nil:
		return b.IRI, true
	case b == nil:
		return a.IRI, true
	}
	ai, ak := canonicalAction(a.IRI)
	bi, bk := canonicalAction(b.IRI)
	switch {
	case ai == bi:
		return ai, true
	case !ak || !bk:
		return "", false
	case includedIn(ai, bi):
		return ai, true
	case includedIn(bi, ai):
		return bi, true
	}
	return "", false
}

func assetsOverlap(a, b *Asset) bool {
	if a == nil || b == nil || a.Collection || b.Collection {
		return true
	}
	return a.UID == b.UID
}

func partiesOverlap(a, b []Party) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for _, x := range a {
		for _, y := range b {
			if x.Collection || y.Collection || x.UID == y.UID {
				return true
			}
		}
	}
	return false
}

// conditionsOf gathers the constraints and action refinements of rules.
func conditionsOf(rs ...*Rule) []Constraint {
	var out []Constraint
	for _, r := range rs {
		out = append(out, r.Constraints...)
		if r.Action != nil {
			out = append(out, r.Action.Refinements...)
		}
	}
	return out
}

func leftOperands(c Constraint) []string {
	if c.Operator.IsLogical() {
		var out []string
		for _, m := range c.Members {
			out = append(out, leftOperands(m)...)
		}
		return out
	}
	return []string{c.LeftOperand}
}

// satisfiable decides whether one request can satisfy all the constraints
// (a conjunction): per left operand, an interval for ordered values and a
// set for identifiers. Logical or/xone and anything not decidable here are
// taken as satisfiable. When not, it says which operand's constraints
// exclude each other.
func satisfiable(cons []Constraint) (bool, string) {
	flat := flattenAnd(cons)
	groups := map[string][]Constraint{}
	var order []string
	for _, c := range flat {
		if c.Operator.IsLogical() || c.RightOperandReference != "" || !knownOperator(c.Operator) || len(c.RightOperand) == 0 {
			continue
		}
		if _, ok := groups[c.LeftOperand]; !ok {
			order = append(order, c.LeftOperand)
		}
		groups[c.LeftOperand] = append(groups[c.LeftOperand], c)
	}
	for _, left := range order {
		if ok, why := groupSatisfiable(left, groups[left]); !ok {
			return false, why
		}
	}
	return true, ""
}

func flattenAnd(cs []Constraint) []Constraint {
	var out []Constraint
	for _, c := range cs {
		if c.Operator == And || c.Operator == AndSequence {
			out = append(out, flattenAnd(c.Members)...)
			continue
		}
		out = append(out, c)
	}
	return out
}

type bound struct {
	v     float64
	incl  bool
	valid bool
}

func groupSatisfiable(left string, cs []Constraint) (bool, string) {
	info, _ := lookupOperand(left)
	k := domainOf(info.typ)
	if info.typ == typeAny {
		k = anyDomain(cs[0].RightOperand[0])
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID())
	}
	why := fmt.Sprintf("%s: %s", Short(left), strings.Join(ids, ", "))
	if k == kToken {
		var allowed map[string]bool
		excluded := map[string]bool{}
		for _, c := range cs {
			var vs []string
			for _, v := range c.RightOperand {
				tv, _ := rightValue(kToken, info.typ, v)
				vs = append(vs, tv.s)
			}
			switch c.Operator {
			case Eq, IsAnyOf:
				next := map[string]bool{}
				for _, v := range vs {
					if allowed == nil || allowed[v] {
						next[v] = true
					}
				}
				allowed = next
			case Neq, IsNoneOf:
				for _, v := range vs {
					excluded[v] = true
				}
			}
		}
		if allowed == nil {
			return true, ""
		}
		for v := range allowed {
			if !excluded[v] {
				return true, ""
			}
		}
		return false, why
	}
	lo, hi := bound{v: math.Inf(-1)}, bound{v: math.Inf(1)}
	var points []float64
	tighten := func(b bound, lower bool) {
		if lower {
			if b.v > lo.v || (b.v == lo.v && !b.incl) {
				lo = b
			}
		} else if b.v < hi.v || (b.v == hi.v && !b.incl) {
			hi = b
		}
	}
	for _, c := range cs {
		if len(c.RightOperand) != 1 {
			continue
		}
		r, err := rightValue(k, info.typ, c.RightOperand[0])
		if err != nil {
			continue
		}
		start, end, ok := span(r)
		if !ok {
			continue // durations mixing months and days: not decided here
		}
		op := c.Operator
		if (op == Eq || op == Neq) && info.withinPeriod {
			op = Lteq
		}
		if (op == Eq || op == Neq) && info.atLeastPeriod {
			op = Gteq
		}
		switch op {
		case Eq:
			tighten(bound{v: start, incl: true}, true)
			tighten(bound{v: end, incl: start == end}, false)
		case Lt:
			tighten(bound{v: start}, false)
		case Lteq:
			tighten(bound{v: end, incl: start == end}, false)
		case Gt:
			tighten(bound{v: end, incl: start != end}, true)
		case Gteq:
			tighten(bound{v: start, incl: true}, true)
		case Neq:
			if start == end {
				points = append(points, start)
			}
		}
	}
	if lo.v > hi.v || (lo.v == hi.v && !(lo.incl && hi.incl)) {
		return false, why
	}
	if lo.v == hi.v {
		for _, p := range points {
			if p == lo.v {
				return false, why
			}
		}
	}
	return true, ""
}

// span maps an ordered value to [start, end] on one axis: the day of an
// xsd:date is [start, start+1 day), an instant or a number a single point.
func span(v val) (float64, float64, bool) {
	switch v.k {
	case kNumber, kLevel:
		return v.num, v.num, true
	case kTime:
		s := float64(v.t.Unix()) + float64(v.t.Nanosecond())/1e9
		if v.day {
			return s, s + 86400, true
		}
		return s, s, true
	case kDuration:
		if v.mon == 0 {
			return v.num, v.num, true
		}
		if v.num == 0 {
			return float64(v.mon) * 1e12, float64(v.mon) * 1e12, true // months only: ordered among themselves
		}
	}
	return 0, 0, false
}

// contradictions reports the rules of a policy whose own constraints can
// never hold together.
func contradictions(p *Policy) []*Error {
	var out []*Error
	var check func(r *Rule)
	check = func(r *Rule) {
		if ok, why := satisfiable(conditionsOf(r)); !ok {
			out = append(out, newErr(CodeContradiction, r.Path, "the constraints of %s %s can never hold together (%s)", r.Kind, r.ID(), why))
		}
		for _, d := range r.Duties {
			check(d)
		}
	}
	for _, r := range p.allRules() {
		check(r)
	}
	return out
}

// EvaluateAll decides a request against several policies that govern the
// same data (an aggregated dataset, or an agreement with the law that
// applies to it), by 属地优先、约定优先:
//
//  1. the mandatory policies of the jurisdiction (ConflictOptions
//     .Jurisdiction; all mandatory ones when empty): any deny denies, else
//     any permit permits;
//  2. then the agreements: any deny denies, else any permit permits;
//  3. then the other policies: with RequireAll every one must permit (the
//     sources of an aggregate each must), else any deny denies and any
//     permit permits.
//
// The decision returned is the deciding policy's, with a reason saying at
// which step it was taken. With no policy applying it is not_applicable.
func EvaluateAll(ps []*Prepared, req Request, o ConflictOptions) Decision {
	var mandatory, agreements, others []Decision
	for _, p := range ps {
		d := p.Evaluate(req)
		switch {
		case p.mandatory && (o.Jurisdiction == "" || p.jurisdiction == "" || normSpatial(o.Jurisdiction) == p.jurisdiction):
			mandatory = append(mandatory, d)
		case p.ptype == TypeAgreement:
			agreements = append(agreements, d)
		default:
			others = append(others, d)
		}
	}
	tag := func(d Decision, code Code, msg string) Decision {
		d.Reasons = append([]Reason{{Code: code, Message: msg, Rule: d.Rule}}, d.Reasons...)
		return d
	}
	if d, ok := firstOf(mandatory, Deny); ok {
		return tag(d, CodeMandatory, "the mandatory policy "+d.Policy+" of the jurisdiction denies (属地优先)")
	}
	if d, ok := firstOf(mandatory, Permit); ok {
		return tag(d, CodeMandatory, "the mandatory policy "+d.Policy+" of the jurisdiction permits (属地优先)")
	}
	if d, ok := firstOf(agreements, Deny); ok {
		return tag(d, CodeAgreement, "the agreement "+d.Policy+" denies (约定优先)")
	}
	if d, ok := firstOf(agreements, Permit); ok {
		return tag(d, CodeAgreement, "the agreement "+d.Policy+" permits (约定优先)")
	}
	if d, ok := firstOf(others, Deny); ok {
		return d
	}
	if o.RequireAll && len(others) > 0 {
		for _, d := range others {
			if d.Decision != Permit {
				d.Decision = Deny
				return tag(d, CodeNotPermittedBy, "policy "+d.Policy+" governs the data too and does not permit the request")
			}
		}
	}
	if d, ok := firstOf(others, Permit); ok {
		return d
	}
	return Decision{Decision: NotApplicable, Reasons: []Reason{{Code: CodeNoMatchingRule, Message: "no policy covers this request"}}}
}

func firstOf(ds []Decision, e Effect) (Decision, bool) {
	for _, d := range ds {
		if d.Decision == e {
			return d, true
		}
	}
	return Decision{}, false
}
