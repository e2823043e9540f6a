package odrl

import (
	"math/bits"
	"strings"
	"sync"
)

// tri is a three-valued truth: false, true, or unknown (something needed
// to decide was missing or not understood).
type tri int8

const (
	tFalse tri = iota
	tTrue
	tUnknown
)

// verdict is the outcome of a condition: its truth and, when not true, the
// constraint that decided and why.
type verdict struct {
	t     tri
	node  *cNode
	cause cause
}

var vTrue = verdict{t: tTrue}

// Reasons for unknown verdicts that no constraint decided. Read-only.
var (
	reasonActionUnknown = []Reason{{Code: CodeUnknownAction, Message: "the requested action or the rule's action is not in the ODRL vocabulary, so whether one includes the other is unknown: failing closed"}}
	reasonPartyMissing  = []Reason{{Code: CodeMissingState, Message: "the request does not say who asks or for which asset, which the rule needs: failing closed"}}
)

// and combines two verdicts (Kleene), keeping the first decisive failure.
func (a verdict) and(b verdict) verdict {
	switch {
	case a.t == tFalse:
		return a
	case b.t == tFalse:
		return b
	case a.t == tUnknown:
		return a
	}
	return b
}

// slotCache holds a left operand's raw value for one evaluation.
type slotCache struct {
	done  bool
	found bool
	raw   any
}

type evalState struct {
	p         *Prepared
	req       *Request
	reqv      Request
	performed bool           // evaluating over a Performed entry's context
	ctx       map[string]any // Request.Context, or a Performed entry's
	slots     []slotCache
	inner     [32]slotCache
}

var statePool = sync.Pool{New: func() any { return new(evalState) }}

// Evaluate decides a request. It never reads the clock or the environment,
// is safe to call concurrently, and allocates only for unusual outcomes
// (conflicts, violated duties, unknown actions).
//
// Rule by rule: a rule applies when its action covers the requested one
// (ODRL includedIn: a permission for use covers read), its target and
// parties match (collections through partOf), and its refinements and
// constraints hold. Then: a prohibition that applies denies; a permission
// that applies permits, unless a prohibition also applies, in which case
// the policy's conflict strategy decides (perm, prohibit, or invalid: the
// default, which denies). Anything the engine cannot decide — a missing
// value, an unknown left operand, operator or action, a value of the wrong
// type — is never taken as satisfied: a permission needing it does not
// apply, a prohibition needing it is taken to apply, and the reasons say
// what was missing.
func (p *Prepared) Evaluate(req Request) Decision {
	e := statePool.Get().(*evalState)
	e.reqv = req
	e.p, e.req, e.ctx = p, &e.reqv, req.Context
	if len(p.slots) <= len(e.inner) {
		e.slots = e.inner[:len(p.slots)]
		clear(e.slots)
	} else {
		e.slots = make([]slotCache, len(p.slots))
	}
	d := e.decide()
	e.p, e.req, e.ctx, e.slots = nil, nil, nil, nil
	e.reqv = Request{}
	clear(e.inner[:])
	statePool.Put(e)
	return d
}

// ruleResult is how one rule fared.
type ruleResult struct {
	r       *cRule
	matched bool    // action, target and party cover the request (possibly unknown)
	v       verdict // conditions, matching included
}

func (e *evalState) decide() Decision {
	p := e.p
	reqAction, reqKnown := canonicalAction(e.req.Action)

	// Prohibitions.
	var prohib ruleResult
	for _, r := range p.prohibs {
		res := e.evalRule(r, reqAction, reqKnown)
		if !res.matched || res.v.t == tFalse {
			continue
		}
		// A prohibition that applies (true) or may apply (unknown) denies.
		if prohib.r == nil || (prohib.v.t == tUnknown && res.v.t == tTrue) {
			prohib = res
		}
		if res.v.t == tTrue {
			break
		}
	}

	// Permissions.
	var perm, closest, unknownPerm ruleResult
	var permDuties []Duty
	var dutyBlock []Reason
	for _, r := range p.perms {
		res := e.evalRule(r, reqAction, reqKnown)
		if !res.matched {
			continue
		}
		switch res.v.t {
		case tTrue:
			duties, block := e.duties(r)
			if block != nil {
				if dutyBlock == nil {
					dutyBlock, closest = block, res
				}
				continue
			}
			perm, permDuties = res, duties
		case tUnknown:
			if unknownPerm.r == nil {
				unknownPerm = res
			}
		case tFalse:
			if closest.r == nil {
				closest = res
			}
		}
		if perm.r != nil {
			break
		}
	}

	// Obligations of the policy bind the requester whatever is asked.
	obDuties, obViolated := e.obligations()

	d := Decision{Policy: p.uid}
	switch {
	case perm.r != nil && prohib.r != nil:
		return e.conflict(perm, prohib, permDuties)
	case prohib.r != nil:
		d.Decision, d.Rule = Deny, prohib.r.id
		if prohib.v.t == tUnknown {
			d.Constraint = idOf(prohib.v.node)
			d.Reasons = append(append([]Reason{}, prohib.r.denyReason...), e.why(prohib.v)...)
			d.Reasons[0].Message = "prohibition " + prohib.r.id + " may apply and cannot be ruled out"
		} else {
			if len(prohib.r.cons) > 0 {
				d.Constraint = prohib.r.cons[0].id
			}
			d.Reasons = prohib.r.denyReason
		}
		d.Duties = remediesOf(prohib.r)
		return d
	case perm.r != nil:
		if obViolated != nil {
			d.Decision, d.Rule = Deny, obViolated.Rule
			d.Reasons = []Reason{{Code: CodeObligationViolated, Message: "obligation " + obViolated.Rule + " is violated", Rule: obViolated.Rule}}
			d.Duties = obDuties
			return d
		}
		d.Decision, d.Rule = Permit, perm.r.id
		d.Reasons = perm.r.permitReason
		d.Duties = permDuties
		if len(obDuties) > 0 {
			d.Duties = append(append([]Duty{}, permDuties...), obDuties...)
		}
		return d
	case unknownPerm.r != nil:
		// A permission might apply but something needed is missing or not
		// understood: fail closed, and say what.
		d.Decision, d.Rule, d.Constraint = Deny, unknownPerm.r.id, idOf(unknownPerm.v.node)
		d.Reasons = e.why(unknownPerm.v)
		return d
	case dutyBlock != nil:
		d.Decision, d.Rule = NotApplicable, closest.r.id
		d.Reasons = dutyBlock
		d.Duties = e.blockedDuties(closest.r)
		return d
	case closest.r != nil:
		d.Decision, d.Rule, d.Constraint = NotApplicable, closest.r.id, idOf(closest.v.node)
		d.Reasons = e.why(closest.v)
		return d
	}
	if !reqKnown {
		d.Decision = Deny
		d.Reasons = []Reason{{Code: CodeUnknownAction, Message: "action " + clip(Short(reqAction)) + " is not in the ODRL vocabulary and no rule names it: failing closed"}}
		return d
	}
	d.Decision = NotApplicable
	d.Reasons = p.noRuleReason
	return d
}

func idOf(n *cNode) string {
	if n == nil {
		return ""
	}
	return n.id
}

// why returns the precomputed reasons of a failed or unknown verdict.
func (e *evalState) why(v verdict) []Reason {
	if v.node == nil {
		if v.cause == causeAction {
			return reasonActionUnknown
		}
		return reasonPartyMissing
	}
	return v.node.reasons[v.cause]
}

func (e *evalState) conflict(perm, prohib ruleResult, duties []Duty) Decision {
	d := Decision{Policy: e.p.uid}
	switch e.p.conflict {
	case ConflictPerm:
		d.Decision, d.Rule, d.Duties = Permit, perm.r.id, duties
		d.Reasons = []Reason{perm.r.permitReason[0], {Code: CodeConflictPerm,
			Message: "prohibition " + prohib.r.id + " also applies; the policy's conflict strategy perm lets the permission win", Rule: prohib.r.id}}
	case ConflictProhibit:
		d.Decision, d.Rule = Deny, prohib.r.id
		d.Reasons = []Reason{prohib.r.denyReason[0], {Code: CodeConflictProhibit,
			Message: "permission " + perm.r.id + " also applies; the policy's conflict strategy prohibit lets the prohibition win", Rule: perm.r.id}}
		d.Duties = remediesOf(prohib.r)
	default:
		d.Decision, d.Rule = Deny, prohib.r.id
		d.Reasons = []Reason{{Code: CodeConflictInvalid,
			Message: "permission " + perm.r.id + " and prohibition " + prohib.r.id + " both apply and the policy's conflict strategy is invalid (the ODRL default): the policy is void for this request", Rule: prohib.r.id}}
	}
	if prohib.v.t == tUnknown && e.p.conflict != ConflictPerm {
		d.Constraint = idOf(prohib.v.node)
		d.Reasons = append(d.Reasons, e.why(prohib.v)...)
	}
	return d
}

func remediesOf(r *cRule) []Duty {
	if len(r.remedies) == 0 {
		return nil
	}
	out := make([]Duty, len(r.remedies))
	for i, d := range r.remedies {
		out[i] = d.asDuty
	}
	return out
}

// evalRule matches a rule against the request and evaluates its
// conditions.
func (e *evalState) evalRule(r *cRule, reqAction string, reqKnown bool) ruleResult {
	res := ruleResult{r: r}
	prohibition := r.kind == KindProhibition

	// Action.
	v := vTrue
	if r.action != "" {
		switch {
		case r.action == reqAction:
		case r.actionKnown && reqKnown:
			if !includedIn(reqAction, r.action) {
				return res
			}
		default:
			// One of the two actions is not in the vocabulary, so inclusion
			// is unknown: a permission does not apply, a prohibition may.
			if !prohibition {
				return res
			}
			v = verdict{t: tUnknown, cause: causeAction}
		}
	}
	// Target.
	if r.target != nil {
		m := e.matchEntity(r.target, e.req.Target, prohibition)
		if m.t == tFalse {
			return res
		}
		v = v.and(m)
	}
	// Parties.
	if len(r.assignees) > 0 {
		m := e.matchParties(r.assignees, e.req.Assignee, prohibition)
		if m.t == tFalse {
			return res
		}
		v = v.and(m)
	}
	if len(r.assigners) > 0 && e.req.Assigner != "" {
		m := e.matchParties(r.assigners, e.req.Assigner, prohibition)
		if m.t == tFalse {
			return res
		}
		v = v.and(m)
	}
	res.matched = true
	for _, n := range r.actionRefs {
		if v = v.and(e.node(n)); v.t == tFalse {
			res.v = v
			return res
		}
	}
	for _, n := range r.cons {
		if v = v.and(e.node(n)); v.t == tFalse {
			break
		}
	}
	res.v = v
	return res
}

func (e *evalState) matchParties(ps []cEntity, who string, prohibition bool) verdict {
	best := verdict{t: tFalse}
	for i := range ps {
		m := e.matchEntity(&ps[i], who, prohibition)
		if m.t == tTrue {
			return m
		}
		if m.t == tUnknown {
			best = m
		}
	}
	return best
}

// matchEntity decides whether x is the party or asset, or a member of the
// collection, with the collection's refinements holding.
func (e *evalState) matchEntity(en *cEntity, x string, prohibition bool) verdict {
	if x == "" {
		if prohibition {
			return verdict{t: tUnknown, cause: causeParty}
		}
		return verdict{t: tFalse}
	}
	if x == en.uid && en.uid != "" {
		return vTrue
	}
	if !en.collection {
		return verdict{t: tFalse}
	}
	if !(en.uid != "" && e.memberOf(x, en.uid, false)) && !(en.source != "" && (x == en.source || e.memberOf(x, en.source, false))) {
		return verdict{t: tFalse}
	}
	v := vTrue
	for _, n := range en.refs {
		if v = v.and(e.node(n)); v.t == tFalse {
			return v
		}
	}
	return v
}

// memberOf follows partOf from the request, the policy document and, for
// jurisdictions, the built-in regions, transitively (bounded).
func (e *evalState) memberOf(x, coll string, spatial bool) bool {
	var stack [64]string
	n := 0
	stack[n] = x
	n++
	steps := 0
	for n > 0 && steps < 256 {
		n--
		cur := stack[n]
		steps++
		for src := 0; src < 3; src++ {
			var parents []string
			switch src {
			case 0:
				parents = e.req.PartOf[cur]
			case 1:
				parents = e.p.partOf[cur]
			case 2:
				if spatial {
					parents = regions[cur]
				}
			}
			for _, q := range parents {
				if q == coll {
					return true
				}
				if n < len(stack) {
					stack[n] = q
					n++
				}
			}
		}
	}
	return false
}

// node evaluates a compiled constraint.
func (e *evalState) node(n *cNode) verdict {
	if n.badOp {
		return verdict{t: tUnknown, node: n, cause: causeUnknownOperator}
	}
	if n.logical {
		return e.logical(n)
	}
	if n.noRef {
		return verdict{t: tUnknown, node: n, cause: causeUnsupported}
	}
	return e.atomic(n)
}

func (e *evalState) logical(n *cNode) verdict {
	switch n.op {
	case And, AndSequence:
		// andSequence: each member is evaluated only once the previous one is
		// satisfied; with a single request that is "and" stopping at the
		// first member that does not hold.
		v := vTrue
		for _, m := range n.members {
			mv := e.node(m)
			if mv.t == tFalse {
				return mv
			}
			if mv.t == tUnknown {
				if n.op == AndSequence {
					return mv
				}
				if v.t == tTrue {
					v = mv
				}
			}
		}
		return v
	case Or:
		var unknown verdict
		for _, m := range n.members {
			mv := e.node(m)
			if mv.t == tTrue {
				return vTrue
			}
			if mv.t == tUnknown && unknown.node == nil {
				unknown = mv
			}
		}
		if unknown.node != nil {
			return unknown
		}
		return verdict{t: tFalse, node: n, cause: causeFalse}
	case Xone:
		trues := 0
		var unknown verdict
		for _, m := range n.members {
			switch mv := e.node(m); mv.t {
			case tTrue:
				trues++
			case tUnknown:
				if unknown.node == nil {
					unknown = mv
				}
			}
		}
		switch {
		case trues > 1:
			return verdict{t: tFalse, node: n, cause: causeFalse}
		case unknown.node != nil:
			return unknown
		case trues == 1:
			return vTrue
		}
		return verdict{t: tFalse, node: n, cause: causeFalse}
	}
	return verdict{t: tUnknown, node: n, cause: causeUnknownOperator}
}

// lookup finds a left operand's value in the request.
func (e *evalState) lookup(i int) (any, bool) {
	c := &e.slots[i]
	if c.done {
		return c.raw, c.found
	}
	c.done = true
	s := &e.p.slots[i]
	if s.claim != nil {
		if v, ok := claimValue(e.req.Claims, s.claim); ok {
			c.raw, c.found = v, true
			return v, true
		}
	}
	for _, k := range s.keys {
		if v, ok := e.ctx[k]; ok && v != nil {
			c.raw, c.found = v, true
			return v, true
		}
	}
	return nil, false
}

func claimValue(claims map[string]any, path []string) (any, bool) {
	var cur any = claims
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, cur != nil
}

func (e *evalState) atomic(n *cNode) verdict {
	raw, found := e.lookup(n.slot)
	if !found {
		if e.p.slots[n.slot].dateTime && !e.req.Now.IsZero() && !e.performed {
			return e.compareOne(n, val{k: kTime, t: e.req.Now.UTC()})
		}
		if e.p.slots[n.slot].known {
			return verdict{t: tUnknown, node: n, cause: causeMissing}
		}
		return verdict{t: tUnknown, node: n, cause: causeUnknownOperand}
	}
	switch list := raw.(type) {
	case []any:
		return e.compareList(n, len(list), func(i int) any { return list[i] })
	case []string:
		return e.compareList(n, len(list), func(i int) any { return list[i] })
	}
	switch n.op {
	case IsAllOf, HasPart:
		return e.compareList(n, 1, func(int) any { return raw })
	}
	lv, err := leftValue(n.k, n.typ, raw)
	if err != nil {
		return verdict{t: tUnknown, node: n, cause: causeType}
	}
	return e.compareOne(n, lv)
}

// compareList evaluates a constraint against a request value that is a
// set. isAllOf and hasPart look at the whole set; the other operators are
// applied to each element: in permissions and duties every element must
// satisfy the constraint, in prohibitions one element suffices.
func (e *evalState) compareList(n *cNode, count int, at func(int) any) verdict {
	if count > 10000 {
		return verdict{t: tUnknown, node: n, cause: causeType}
	}
	switch n.op {
	case IsAllOf, HasPart:
		// The whole set: every element must be readable (and in the
		// constraint's unit), then every right operand value must be among
		// the elements (for hasPart: be one of them or part of one).
		for i := 0; i < count; i++ {
			lv, err := leftValue(n.k, n.typ, at(i))
			if err != nil {
				return verdict{t: tUnknown, node: n, cause: causeType}
			}
			if n.unit != "" && lv.unit != n.unit {
				return verdict{t: tUnknown, node: n, cause: causeUnit}
			}
		}
		for _, r := range n.right {
			found := false
			for i := 0; i < count && !found; i++ {
				lv, _ := leftValue(n.k, n.typ, at(i))
				found = sameVal(lv, r)
				if !found && n.op == HasPart && n.k == kToken {
					found = e.memberOf(r.s, lv.s, n.regions())
				}
			}
			if !found {
				return verdict{t: tFalse, node: n, cause: causeFalse}
			}
		}
		return vTrue
	}
	if count == 0 {
		return verdict{t: tUnknown, node: n, cause: causeMissing}
	}
	var unknown verdict
	for i := 0; i < count; i++ {
		lv, err := leftValue(n.k, n.typ, at(i))
		var v verdict
		if err != nil {
			v = verdict{t: tUnknown, node: n, cause: causeType}
		} else {
			v = e.compareOne(n, lv)
		}
		switch {
		case v.t == tTrue && n.exists:
			return v
		case v.t == tFalse && !n.exists:
			return v
		case v.t == tUnknown && unknown.node == nil:
			unknown = v
		}
	}
	if unknown.node != nil {
		return unknown
	}
	if n.exists {
		return verdict{t: tFalse, node: n, cause: causeFalse}
	}
	return vTrue
}

// compareOne applies the operator to one request value.
func (e *evalState) compareOne(n *cNode, lv val) verdict {
	if n.unit != "" && lv.unit != n.unit {
		return verdict{t: tUnknown, node: n, cause: causeUnit}
	}
	var ok bool
	switch n.op {
	case IsAnyOf:
		ok = e.inRight(n, lv)
	case IsNoneOf:
		ok = !e.inRight(n, lv)
	case IsAllOf, HasPart:
		// A single value: it must be every right operand value.
		ok = true
		for _, r := range n.right {
			if !(sameVal(lv, r) || (n.op == HasPart && n.k == kToken && e.memberOf(r.s, lv.s, n.regions()))) {
				ok = false
				break
			}
		}
	case IsA, IsPartOf:
		r := n.right[0]
		ok = lv.s == r.s || e.memberOf(lv.s, r.s, n.regions())
	default:
		c, comparable := compareVals(n, lv, n.right[0])
		if !comparable {
			return verdict{t: tUnknown, node: n, cause: causeIncomparable}
		}
		switch n.op {
		case Eq:
			ok = c == 0
		case Neq:
			ok = c != 0
		case Lt:
			ok = c < 0
		case Lteq:
			ok = c <= 0
		case Gt:
			ok = c > 0
		case Gteq:
			ok = c >= 0
		}
	}
	if ok {
		return vTrue
	}
	return verdict{t: tFalse, node: n, cause: causeFalse}
}

// regions reports whether isPartOf/hasPart on this constraint also follow
// the built-in region memberships (jurisdictions, and operands of unknown
// type such as credential claims).
func (n *cNode) regions() bool { return n.typ == typeSpatial || n.typ == typeAny }

func (e *evalState) inRight(n *cNode, lv val) bool {
	if n.rightSet != nil {
		_, ok := n.rightSet[lv.s]
		return ok
	}
	for _, r := range n.right {
		if sameVal(lv, r) {
			return true
		}
	}
	return false
}

func sameVal(a, b val) bool {
	switch b.k {
	case kToken:
		return a.s == b.s
	case kNumber, kLevel:
		return a.num == b.num
	case kDuration:
		c, ok := compareDuration(a.mon, a.num, b.mon, b.num)
		return ok && c == 0
	case kTime:
		if b.day {
			return !a.t.Before(b.t) && a.t.Before(b.t.AddDate(0, 0, 1))
		}
		return a.t.Equal(b.t)
	}
	return false
}

// compareVals orders the request value against the right operand: a
// negative, zero or positive result, or comparable == false. For the
// period operands (elapsedTime, meteredTime) eq means "within the period"
// and for delayPeriod "at least the period", as the ODRL vocabulary
// defines them; an xsd:date right operand stands for the whole day.
func compareVals(n *cNode, l, r val) (int, bool) {
	switch r.k {
	case kToken:
		if l.s == r.s {
			return 0, true
		}
		return 1, true // only eq and neq reach here for identifiers
	case kNumber, kLevel:
		return cmpFloat(l.num, r.num), true
	case kDuration:
		c, ok := compareDuration(l.mon, l.num, r.mon, r.num)
		if !ok {
			return 0, false
		}
		if n.op == Eq || n.op == Neq {
			if n.info.withinPeriod && c < 0 {
				c = 0
			}
			if n.info.atLeastPeriod && c > 0 {
				c = 0
			}
		}
		return c, true
	case kTime:
		if !r.day {
			return l.t.Compare(r.t), true
		}
		end := r.t.AddDate(0, 0, 1)
		switch {
		case l.t.Before(r.t):
			return -1, true
		case l.t.Before(end):
			// Within the day: equal for eq/neq; for the orderings the day
			// counts as reached (lteq, gteq hold; lt, gt do not).
			return 0, true
		}
		return 1, true
	}
	return 0, false
}

// duties checks a permission's duties. It returns the duties to report,
// or, when the permission must not apply because of a duty, the reasons.
func (e *evalState) duties(r *cRule) ([]Duty, []Reason) {
	if len(r.duties) == 0 {
		return nil, nil
	}
	if len(e.req.Duties) == 0 && len(e.req.Performed) == 0 && e.p.dutyMode == DutiesAfter && !anyConstrained(r.duties) {
		return r.dutyList, nil
	}
	// The pending duties in force are reported as a sub-slice of the
	// prepared list when they are contiguous (no allocation), else copied.
	var out []Duty
	var mask uint64
	small := len(r.duties) <= 64
	for k, d := range r.duties {
		if e.conditions(d.cons).t == tFalse {
			continue // the duty is not in force for this request
		}
		st := e.dutyState(d)
		switch {
		case st == DutyViolated:
			return nil, []Reason{{Code: CodeDutyViolated, Message: "duty " + d.id + " of permission " + r.id + " is violated", Rule: d.id}}
		case e.p.dutyMode == DutiesFirst && st != DutyFulfilled:
			return nil, []Reason{{Code: CodeDutyUnfulfilled, Message: "duty " + d.id + " of permission " + r.id + " must be fulfilled first", Rule: d.id}}
		case st == DutyPending:
			if small {
				mask |= 1 << k
			} else {
				out = append(out, d.asDuty)
			}
		}
	}
	if !small || mask == 0 {
		return out, nil
	}
	lo, hi := bits.TrailingZeros64(mask), 63-bits.LeadingZeros64(mask)
	if bits.OnesCount64(mask) == hi-lo+1 {
		return r.dutyList[lo : hi+1 : hi+1], nil
	}
	for k := range r.duties {
		if mask&(1<<k) != 0 {
			out = append(out, r.dutyList[k])
		}
	}
	return out, nil
}

func anyConstrained(ds []*cRule) bool {
	for _, d := range ds {
		if len(d.cons) > 0 {
			return true
		}
	}
	return false
}

// blockedDuties lists, for a permission held back by a duty, the duties
// and the consequences now due.
func (e *evalState) blockedDuties(r *cRule) []Duty {
	var out []Duty
	for _, d := range r.duties {
		st := e.dutyState(d)
		dd := d.asDuty
		dd.State = st
		out = append(out, dd)
		if st == DutyViolated {
			for _, c := range d.consequence {
				out = append(out, c.asDuty)
			}
		}
	}
	return out
}

func (e *evalState) conditions(ns []*cNode) verdict {
	v := vTrue
	for _, n := range ns {
		if v = v.and(e.node(n)); v.t == tFalse {
			return v
		}
	}
	return v
}

// dutyState is what the request says of a duty: its stated state, or
// fulfilled when a performed action matches it.
func (e *evalState) dutyState(d *cRule) DutyState {
	if st, ok := e.req.Duties[d.id]; ok {
		return st
	}
	if d.uid != "" && d.uid != d.id {
		if st, ok := e.req.Duties[d.uid]; ok {
			return st
		}
	}
	for i := range e.req.Performed {
		pf := &e.req.Performed[i]
		if pf.Duty != "" && pf.Duty != d.id && pf.Duty != d.uid {
			continue
		}
		if pf.Action != "" && d.action != "" {
			a, known := canonicalAction(pf.Action)
			if a != d.action && !(known && d.actionKnown && includedIn(a, d.action)) {
				continue
			}
		}
		if pf.Duty == "" && pf.Action == "" {
			continue
		}
		// The duty's action refinements must hold over what was performed.
		saved, savedSlots := e.ctx, e.slots
		var tmp [8]slotCache
		if len(e.p.slots) <= len(tmp) {
			e.slots = tmp[:len(e.p.slots)]
		} else {
			e.slots = make([]slotCache, len(e.p.slots))
		}
		e.ctx, e.performed = pf.Context, true
		v := e.conditions(d.actionRefs)
		e.ctx, e.slots, e.performed = saved, savedSlots, false
		if v.t == tTrue {
			return DutyFulfilled
		}
	}
	return DutyPending
}

// obligations returns the policy's obligations binding the requester that
// are not yet fulfilled, and the first violated one.
func (e *evalState) obligations() ([]Duty, *Duty) {
	if len(e.p.obligs) == 0 {
		return nil, nil
	}
	var out []Duty
	var violated *Duty
	for _, o := range e.p.obligs {
		if len(o.assignees) > 0 && e.matchParties(o.assignees, e.req.Assignee, false).t != tTrue {
			continue
		}
		if o.target != nil && e.req.Target != "" && e.matchEntity(o.target, e.req.Target, false).t == tFalse {
			continue
		}
		if e.conditions(o.cons).t == tFalse {
			continue
		}
		switch e.dutyState(o) {
		case DutyViolated:
			dd := o.asDuty
			dd.State = DutyViolated
			out = append(out, dd)
			for _, c := range o.consequence {
				out = append(out, c.asDuty)
			}
			if violated == nil {
				violated = &out[len(out)-1-len(o.consequence)]
			}
		case DutyPending:
			out = append(out, o.asDuty)
		}
	}
	if violated != nil {
		v := *violated
		return out, &v
	}
	return out, nil
}

// String renders a decision for logs.
func (d Decision) String() string {
	var b strings.Builder
	b.WriteString(string(d.Decision))
	if d.Rule != "" {
		b.WriteString(" by " + d.Rule)
	}
	for _, r := range d.Reasons {
		b.WriteString("; " + string(r.Code) + ": " + r.Message)
	}
	return b.String()
}
