package odrl

import (
	"fmt"
	"strings"
)

// Prepared is a policy compiled for evaluation: operands resolved, right
// operands converted, messages built. It is immutable and safe for
// concurrent use by any number of goroutines.
type Prepared struct {
	policy       *Policy
	uid          string
	conflict     ConflictStrategy
	dutyMode     DutyMode
	mandatory    bool
	jurisdiction string
	ptype        PolicyType

	perms, prohibs, obligs []*cRule
	slots                  []slot
	partOf                 map[string][]string

	noRuleReason []Reason
}

// slot is one distinct left operand of the policy and where its value is
// found in a request.
type slot struct {
	iri      string
	keys     []string // Context keys tried in order
	claim    []string // for xborder:claim/NAME: the path into Request.Claims
	known    bool     // a vocabulary operand (missing value: missing_state; else unknown_left_operand)
	dateTime bool     // falls back to Request.Now
}

// cRule is a compiled rule.
type cRule struct {
	kind        RuleKind
	id, uid     string
	action      string // canonical IRI; "" matches any action (lenient)
	actionKnown bool
	actionShort string
	actionRefs  []*cNode
	target      *cEntity // nil matches any target
	targetShort string
	assignees   []cEntity
	assigners   []cEntity
	cons        []*cNode
	duties      []*cRule // duties, remedies or consequences, by kind
	remedies    []*cRule
	consequence []*cRule
	parent      string // the rule a duty belongs to

	permitReason []Reason // "permission X applies"
	denyReason   []Reason // "prohibition X applies"
	dutyList     []Duty   // all duties pending (DutiesAfter, no states given)
	asDuty       Duty
}

type cEntity struct {
	uid, source string
	collection  bool
	refs        []*cNode
}

// cNode is a compiled constraint.
type cNode struct {
	id       string
	op       Operator
	logical  bool
	members  []*cNode
	slot     int
	k        kind
	typ      valueType
	info     operandInfo
	right    []val
	rightSet map[string]struct{}
	unit     string
	exists   bool // in a prohibition: a list-valued request value satisfies the constraint when one element does
	badOp    bool // not an ODRL operator
	noRef    bool // rightOperandReference: never dereferenced
	text     string
	reasons  [numCauses][]Reason // precomputed reasons by cause
	refine   bool                // a refinement rather than a rule constraint
}

// cause indexes the precomputed reasons of a constraint.
type cause uint8

const (
	causeFalse cause = iota
	causeMissing
	causeUnknownOperand
	causeUnknownOperator
	causeType
	causeIncomparable
	causeUnit
	causeUnsupported
	numCauses
	causeAction // no constraint: action inclusion unknown
	causeParty  // no constraint: the request names no party or asset
)

var causeCode = [numCauses]Code{
	CodeConstraintUnsatisfied, CodeMissingState, CodeUnknownLeftOperand, CodeUnknownOperator,
	CodeTypeMismatch, CodeIncomparable, CodeUnitMismatch, CodeUnsupported,
}

// Prepare compiles a policy for evaluation. It resolves inheritFrom through
// WithParents (a missing parent or a cycle is an error), checks the bounds,
// and converts every right operand once. Options: WithDutyMode,
// WithParents, Lenient (rules without action or target), WithLimits.
func Prepare(p *Policy, opts ...Option) (*Prepared, error) {
	if p == nil {
		return nil, newErr(CodeMissing, "", "no policy")
	}
	o := buildOptions(opts)
	eff, err := inherit(p, o)
	if err != nil {
		return nil, err
	}
	c := &compiler{o: o, slotIdx: map[string]int{}}
	pp := &Prepared{
		policy: eff, uid: eff.UID, conflict: eff.Conflict, dutyMode: o.dutyMode,
		mandatory: eff.Mandatory, jurisdiction: eff.Jurisdiction, ptype: eff.Type, partOf: eff.PartOf,
	}
	if c := findCycle(eff.PartOf); c != nil {
		return nil, newErr(CodeCycle, "", "collection membership is cyclic: %s", strings.Join(c, " → "))
	}
	for _, r := range eff.Permissions {
		pp.perms = append(pp.perms, c.rule(r, false, ""))
	}
	for _, r := range eff.Prohibitions {
		pp.prohibs = append(pp.prohibs, c.rule(r, true, ""))
	}
	for _, r := range eff.Obligations {
		pp.obligs = append(pp.obligs, c.rule(r, false, ""))
	}
	if c.rules > o.limits.MaxRules {
		return nil, newErr(CodeTooMany, "", "more than %d rules", o.limits.MaxRules)
	}
	if c.nodes > o.limits.MaxConstraints {
		return nil, newErr(CodeTooMany, "", "more than %d constraints", o.limits.MaxConstraints)
	}
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	pp.slots = c.slots
	pp.noRuleReason = []Reason{{Code: CodeNoMatchingRule, Message: "no rule of the policy covers this action, target and party"}}
	return pp, nil
}

// Policy returns the policy the Prepared was compiled from (after
// inheritance).
func (p *Prepared) Policy() *Policy { return p.policy }

// UID returns the policy's UID.
func (p *Prepared) UID() string { return p.uid }

type compiler struct {
	o       options
	slots   []slot
	slotIdx map[string]int
	rules   int
	nodes   int
	errs    Errors
}

func (c *compiler) rule(r *Rule, prohibition bool, parent string) *cRule {
	c.rules++
	cr := &cRule{kind: r.Kind, id: r.ID(), uid: r.UID, parent: parent}
	if r.Action == nil {
		if !c.o.lenient && (r.Kind == KindPermission || r.Kind == KindProhibition) {
			c.errs = append(c.errs, newErr(CodeMissing, r.Path, "a %s must have an action (or use the Lenient option)", r.Kind))
		}
	} else {
		cr.action, cr.actionKnown = canonicalAction(r.Action.IRI)
		cr.actionShort = Short(cr.action)
		cr.actionRefs = c.nodesOf(r.Action.Refinements, prohibition, true)
	}
	if r.Target == nil {
		if !c.o.lenient && (r.Kind == KindPermission || r.Kind == KindProhibition) {
			c.errs = append(c.errs, newErr(CodeMissing, r.Path, "a %s must have a target (or use the Lenient option)", r.Kind))
		}
	} else {
		e := c.entity(entity(*r.Target), prohibition)
		cr.target = &e
		cr.targetShort = r.Target.UID
		if cr.targetShort == "" {
			cr.targetShort = r.Target.Source
		}
	}
	for _, pa := range r.Assignee {
		cr.assignees = append(cr.assignees, c.entity(entity(pa), prohibition))
	}
	for _, pa := range r.Assigner {
		cr.assigners = append(cr.assigners, c.entity(entity(pa), prohibition))
	}
	cr.cons = c.nodesOf(r.Constraints, prohibition, false)
	for _, d := range r.Duties {
		cr.duties = append(cr.duties, c.rule(d, false, cr.id))
	}
	for _, d := range r.Remedies {
		cr.remedies = append(cr.remedies, c.rule(d, false, cr.id))
	}
	for _, d := range r.Consequences {
		cr.consequence = append(cr.consequence, c.rule(d, false, cr.id))
	}
	what := fmt.Sprintf("%s %s", r.Kind, cr.id)
	on := ""
	if cr.actionShort != "" {
		on = " (" + cr.actionShort
		if cr.targetShort != "" {
			on += " on " + cr.targetShort
		}
		on += ")"
	}
	cr.permitReason = []Reason{{Code: CodePermitted, Message: what + on + " applies", Rule: cr.id}}
	cr.denyReason = []Reason{{Code: CodeProhibited, Message: what + on + " applies", Rule: cr.id}}
	cr.asDuty = Duty{Rule: cr.id, Of: parent, Kind: r.Kind, Action: cr.actionShort, State: DutyPending}
	if r.Target != nil {
		cr.asDuty.Target = cr.targetShort
	}
	for _, d := range cr.duties {
		cr.dutyList = append(cr.dutyList, d.asDuty)
	}
	return cr
}

func (c *compiler) entity(e entity, prohibition bool) cEntity {
	return cEntity{uid: e.UID, source: e.Source, collection: e.Collection, refs: c.nodesOf(e.Refinements, prohibition, true)}
}

func (c *compiler) nodesOf(cs []Constraint, prohibition, refine bool) []*cNode {
	if len(cs) == 0 {
		return nil
	}
	out := make([]*cNode, 0, len(cs))
	for i := range cs {
		out = append(out, c.node(&cs[i], prohibition, refine))
	}
	return out
}

func (c *compiler) node(k *Constraint, prohibition, refine bool) *cNode {
	c.nodes++
	n := &cNode{id: k.ID(), op: k.Operator, exists: prohibition, refine: refine}
	if k.Operator.IsLogical() || len(k.Members) > 0 {
		n.logical = true
		if !k.Operator.IsLogical() {
			n.badOp = true
		}
		n.members = c.nodesOf(k.Members, prohibition, refine)
		n.text = Short(string(k.Operator)) + " of " + fmt.Sprint(len(k.Members)) + " constraints"
		n.buildReasons()
		return n
	}
	n.slot = c.slot(k.LeftOperand)
	n.info, _ = lookupOperand(k.LeftOperand)
	n.typ = n.info.typ
	n.unit = k.Unit
	n.badOp = !knownOperator(k.Operator)
	n.noRef = k.RightOperandReference != ""
	n.k = domainOf(n.typ)
	if n.typ == typeAny && len(k.RightOperand) > 0 {
		n.k = anyDomain(k.RightOperand[0])
	}
	if !n.badOp && !n.noRef {
		if err := checkAtomic(k); err != nil {
			err.Path = joinPath(k.Path, err.Path)
			c.errs = append(c.errs, err)
		}
		for _, v := range k.RightOperand {
			rv, err := rightValue(n.k, n.typ, v)
			if err != nil {
				if _, known := lookupOperand(k.LeftOperand); !known {
					n.k = kToken // an unknown operand with mixed values: compared as identifiers
					rv, _ = rightValue(kToken, n.typ, v)
				}
			}
			n.right = append(n.right, rv)
		}
		if len(n.right) > 8 && n.k == kToken {
			n.rightSet = make(map[string]struct{}, len(n.right))
			for _, v := range n.right {
				n.rightSet[v.s] = struct{}{}
			}
		}
	}
	var vals []string
	for _, v := range k.RightOperand {
		vals = append(vals, v.display())
	}
	rs := strings.Join(vals, ", ")
	if len(vals) > 1 {
		rs = "[" + rs + "]"
	}
	if len(rs) > 200 {
		rs = rs[:197] + "..."
	}
	if k.RightOperandReference != "" {
		rs = "<" + k.RightOperandReference + ">"
	}
	n.text = Short(k.LeftOperand) + " " + Short(string(k.Operator)) + " " + rs
	if k.Unit != "" {
		n.text += " (" + Short(k.Unit) + ")"
	}
	n.buildReasons()
	return n
}

func (n *cNode) buildReasons() {
	where := "constraint"
	if n.refine {
		where = "refinement"
	}
	left := n.text
	if i := strings.IndexByte(left, ' '); i > 0 && !n.logical {
		left = left[:i]
	}
	msgs := [numCauses]string{
		fmt.Sprintf("%s %s (%s) is not satisfied", where, n.id, n.text),
		fmt.Sprintf("the request gives no value for %s, which %s %s needs: failing closed", left, where, n.id),
		fmt.Sprintf("%s %s uses left operand %s, which no vocabulary defines and the request does not give: failing closed", where, n.id, left),
		fmt.Sprintf("%s %s uses an operator ODRL does not define (%s): failing closed", where, n.id, n.text),
		fmt.Sprintf("the request's value for %s has the wrong type for %s %s (%s): failing closed", left, where, n.id, n.text),
		fmt.Sprintf("the request's value for %s cannot be ordered against %s %s (%s): failing closed", left, where, n.id, n.text),
		fmt.Sprintf("the request's value for %s is not in the unit of %s %s (%s): failing closed", left, where, n.id, n.text),
		fmt.Sprintf("%s %s needs a right operand fetched from elsewhere, which xborder never does: failing closed", where, n.id),
	}
	for i := range msgs {
		code := causeCode[i]
		if i == int(causeFalse) && n.refine {
			code = CodeRefinementUnsatisfied
		}
		n.reasons[i] = []Reason{{Code: code, Message: msgs[i], Constraint: n.id}}
	}
}

// slot returns the index of the left operand's slot, creating it.
func (c *compiler) slot(iri string) int {
	if i, ok := c.slotIdx[iri]; ok {
		return i
	}
	// Requests mostly use short names: try them before the IRI.
	s := slot{iri: iri}
	_, s.known = lookupOperand(iri)
	if name, ok := strings.CutPrefix(iri, NS); ok {
		s.keys = append(s.keys, name, iri, "odrl:"+name)
		s.dateTime = name == "dateTime"
	} else if name, ok := strings.CutPrefix(iri, XborderNS); ok {
		if claim, ok := strings.CutPrefix(name, "claim/"); ok {
			s.claim = strings.Split(claim, ".")
			s.keys = append(s.keys, "claim:"+claim)
		} else if _, clash := odrlOperands[name]; !clash {
			s.keys = append(s.keys, name)
		}
		s.keys = append(s.keys, "xborder:"+name, iri)
	} else {
		s.keys = append(s.keys, iri)
	}
	c.slots = append(c.slots, s)
	c.slotIdx[iri] = len(c.slots) - 1
	return len(c.slots) - 1
}

// inherit applies ODRL 2.2 policy inheritance (§2.8): the child gets the
// parent's rules in addition to its own. Parents come from WithParents.
func inherit(p *Policy, o options) (*Policy, error) {
	if len(p.InheritFrom) == 0 {
		return p, nil
	}
	if o.parents == nil {
		return nil, newErr(CodeUnresolvedParent, "inheritFrom", "the policy inherits from %s; give the parent policies to Prepare (WithParents)", strings.Join(p.InheritFrom, ", "))
	}
	out := *p
	out.Permissions = append([]*Rule(nil), p.Permissions...)
	out.Prohibitions = append([]*Rule(nil), p.Prohibitions...)
	out.Obligations = append([]*Rule(nil), p.Obligations...)
	seen := map[string]bool{p.UID: true}
	var visit func(child *Policy, depth int) error
	visit = func(child *Policy, depth int) error {
		if depth > 16 {
			return newErr(CodeTooDeep, "inheritFrom", "inheritance is deeper than 16 policies")
		}
		for _, uid := range child.InheritFrom {
			if seen[uid] {
				return newErr(CodeCycle, "inheritFrom", "policy inheritance is cyclic at %s", uid)
			}
			parent, ok := o.parents(uid)
			if !ok || parent == nil {
				return newErr(CodeUnresolvedParent, "inheritFrom", "parent policy %s is unknown", uid)
			}
			seen[uid] = true
			if parent.Conflict != "" && out.Conflict != "" && parent.Conflict != out.Conflict {
				return newErr(CodeInheritConflict, "conflict", "the policy's conflict strategy %s differs from its parent's %s", out.Conflict, parent.Conflict)
			}
			if out.Conflict == "" {
				out.Conflict = parent.Conflict
			}
			out.Permissions = append(out.Permissions, parent.Permissions...)
			out.Prohibitions = append(out.Prohibitions, parent.Prohibitions...)
			out.Obligations = append(out.Obligations, parent.Obligations...)
			out.Mandatory = out.Mandatory || parent.Mandatory
			if len(parent.PartOf) > 0 {
				merged := map[string][]string{}
				for k, v := range out.PartOf {
					merged[k] = v
				}
				for k, v := range parent.PartOf {
					merged[k] = append(append([]string(nil), merged[k]...), v...)
				}
				out.PartOf = merged
			}
			if err := visit(parent, depth+1); err != nil {
				return err
			}
			delete(seen, uid)
		}
		return nil
	}
	if err := visit(p, 0); err != nil {
		return nil, err
	}
	out.InheritFrom = nil
	return &out, nil
}
