package odrl

import "encoding/json"

// Effect is the outcome of an evaluation.
type Effect string

// The three outcomes. Deny means a prohibition applies, or something needed
// to decide was missing or not understood (the engine fails closed and the
// reasons say what). NotApplicable means no rule of the policy covers the
// request; a closed-world caller refuses it too.
const (
	Permit        Effect = "permit"
	Deny          Effect = "deny"
	NotApplicable Effect = "not_applicable"
)

// Decision reason codes (besides the parse codes that can also appear,
// such as CodeUnknownLeftOperand and CodeUnknownAction).
const (
	CodePermitted             Code = "permitted"              // a permission applies
	CodeProhibited            Code = "prohibited"             // a prohibition applies
	CodeNoMatchingRule        Code = "no_matching_rule"       // no rule covers the action, target and party
	CodeConstraintUnsatisfied Code = "constraint_unsatisfied" // a constraint is false for this request
	CodeRefinementUnsatisfied Code = "refinement_unsatisfied" // an action, target or party refinement is false
	CodeMissingState          Code = "missing_state"          // the request lacks a value a constraint needs: fail closed
	CodeTypeMismatch          Code = "type_mismatch"          // a request value of the wrong type: fail closed
	CodeIncomparable          Code = "incomparable"           // durations XML Schema leaves unordered (P1M vs P30D): fail closed
	CodeUnitMismatch          Code = "unit_mismatch"          // a value without, or in another, unit than the constraint's: fail closed
	CodeDutyViolated          Code = "duty_violated"          // a duty of the permission is violated
	CodeDutyUnfulfilled       Code = "duty_unfulfilled"       // DutiesFirst: a duty is not yet fulfilled
	CodeObligationViolated    Code = "obligation_violated"    // a policy obligation is violated
	CodeConflictPerm          Code = "conflict_perm"          // permission and prohibition apply; strategy perm
	CodeConflictProhibit      Code = "conflict_prohibit"      // permission and prohibition apply; strategy prohibit
	CodeMandatory             Code = "mandatory"              // EvaluateAll: a jurisdiction's mandatory policy decided
	CodeAgreement             Code = "agreement"              // EvaluateAll: an agreement decided
	CodeNotPermittedBy        Code = "not_permitted_by"       // EvaluateAll with RequireAll: a policy did not permit
)

// Decision is the result of evaluating a request against a policy. It
// carries what an audit event needs: the policy UID, the deciding rule and
// constraint (UID, or source path when the document gave none), the
// duties, and the reason codes.
//
// The slices of a Decision may be shared with other decisions of the same
// Prepared policy: treat them as read-only, and copy before changing.
type Decision struct {
	Decision   Effect   `json:"decision"`
	Policy     string   `json:"policy"`
	Rule       string   `json:"rule"`
	Constraint string   `json:"constraint"`
	Duties     []Duty   `json:"duties"`
	Reasons    []Reason `json:"reasons"`
}

// Permitted reports whether the decision is permit.
func (d Decision) Permitted() bool { return d.Decision == Permit }

// Codes lists the reason codes, for audit events.
func (d Decision) Codes() []Code {
	out := make([]Code, len(d.Reasons))
	for i, r := range d.Reasons {
		out[i] = r.Code
	}
	return out
}

// MarshalJSON writes absent rule and constraint as null and absent lists as
// empty arrays, so that scripts see every key.
func (d Decision) MarshalJSON() ([]byte, error) {
	type out struct {
		Decision   Effect   `json:"decision"`
		Policy     *string  `json:"policy"`
		Rule       *string  `json:"rule"`
		Constraint *string  `json:"constraint"`
		Duties     []Duty   `json:"duties"`
		Reasons    []Reason `json:"reasons"`
	}
	o := out{Decision: d.Decision, Duties: d.Duties, Reasons: d.Reasons}
	if d.Policy != "" {
		o.Policy = &d.Policy
	}
	if d.Rule != "" {
		o.Rule = &d.Rule
	}
	if d.Constraint != "" {
		o.Constraint = &d.Constraint
	}
	if o.Duties == nil {
		o.Duties = []Duty{}
	}
	if o.Reasons == nil {
		o.Reasons = []Reason{}
	}
	return json.Marshal(o)
}

// Reason explains a decision: a stable code and an English message. The
// message names policy elements (rules, constraints, operands, the policy's
// own values) and never the request's values, so it carries no personal
// data.
type Reason struct {
	Code       Code   `json:"code"`
	Message    string `json:"message"`
	Rule       string `json:"rule,omitempty"`
	Constraint string `json:"constraint,omitempty"`
}

// DutyState is what the caller knows of a duty.
type DutyState string

// Duty states. A duty the request says nothing about is pending.
const (
	DutyPending   DutyState = "pending"
	DutyFulfilled DutyState = "fulfilled"
	DutyViolated  DutyState = "violated"
)

// Duty is a duty the decision attaches: to fulfil (a permit's duties and
// the policy's obligations), or that applies because one was violated
// (consequences), or a prohibition's remedies.
type Duty struct {
	Rule   string    `json:"rule"`         // the duty's UID or path
	Of     string    `json:"of,omitempty"` // the rule it belongs to
	Kind   RuleKind  `json:"kind"`         // duty, obligation, consequence or remedy
	Action string    `json:"action"`       // compact action name
	Target string    `json:"target,omitempty"`
	State  DutyState `json:"state"`
}
