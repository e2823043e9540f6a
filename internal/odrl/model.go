package odrl

// The policy model: what Parse returns and what Prepare compiles. Every
// name here is an absolute IRI (ODRL terms in the NS namespace, ours in
// XborderNS); Short gives the compact name for display.

// PolicyType is the class of a policy. Set is the default when a document
// names none.
type PolicyType string

// The policy classes xborder evaluates. Other ODRL subclasses (Assertion,
// Privacy, Request, Ticket) are refused by Parse: they grant nothing or need
// semantics (a ticket holder, a privacy duty on the assigner) this engine
// does not implement.
const (
	TypeSet       PolicyType = "Set"
	TypeOffer     PolicyType = "Offer"
	TypeAgreement PolicyType = "Agreement"
)

// ConflictStrategy is a policy's odrl:conflict value: what happens when a
// permission and a prohibition both apply to a request.
type ConflictStrategy string

// The ODRL 2.2 conflict strategies. When a policy states none, ODRL's
// default applies: invalid (the policy is void for the conflicting request,
// so the request is denied).
const (
	ConflictPerm     ConflictStrategy = "perm"
	ConflictProhibit ConflictStrategy = "prohibit"
	ConflictInvalid  ConflictStrategy = "invalid"
)

// Policy is one ODRL policy in atomic form: policy-level assigner, assignee,
// target and action have been copied into every rule that did not state its
// own (ODRL 2.2 §2.7.1), so a rule carries everything needed to evaluate it.
type Policy struct {
	UID         string
	Type        PolicyType
	Profiles    []string
	Conflict    ConflictStrategy // "" when the policy states none
	InheritFrom []string         // parent policy UIDs (resolved by Prepare through WithParents)

	// Mandatory marks a policy that encodes a jurisdiction's mandatory rules
	// (xborder:mandatory). Conflict resolution puts it first: 属地优先.
	Mandatory bool
	// Jurisdiction is the jurisdiction whose rules the policy encodes or
	// under which it was agreed (xborder:jurisdiction), e.g. "CN".
	Jurisdiction string

	// The policy-level shorthand as written; already applied to the rules.
	Assigner []Party
	Assignee []Party
	Target   *Asset
	Action   *Action

	Permissions  []*Rule
	Prohibitions []*Rule
	Obligations  []*Rule

	// PartOf holds membership facts stated inside the document (a node with
	// odrl:partOf): member IRI → collection IRIs. Evaluation adds them to the
	// request's own.
	PartOf map[string][]string

	// Warnings are the things Parse accepted but a reviewer should know:
	// relative terms resolved against the ODRL vocabulary, left operands no
	// vocabulary defines, features that fail closed at evaluation.
	Warnings []*Error
}

// RuleKind says what a rule is and where it hangs.
type RuleKind string

// Rule kinds. Duties hang on permissions, remedies on prohibitions,
// consequences on duties and obligations.
const (
	KindPermission  RuleKind = "permission"
	KindProhibition RuleKind = "prohibition"
	KindObligation  RuleKind = "obligation"
	KindDuty        RuleKind = "duty"
	KindRemedy      RuleKind = "remedy"
	KindConsequence RuleKind = "consequence"
)

// Rule is a permission, prohibition, obligation or duty.
type Rule struct {
	Kind   RuleKind
	UID    string  // "" when the document gives the rule no identifier
	Action *Action // nil only in lenient mode: any action
	Target *Asset  // nil: any asset (lenient mode, or a duty without a target)

	Assigner []Party // empty: any assigner
	Assignee []Party // empty: any assignee

	// Functions holds the other party functions (informedParty,
	// compensatedParty, …) by property IRI. They do not change a decision;
	// they are reported with duties.
	Functions map[string][]Party

	Constraints []Constraint // all must hold

	Duties       []*Rule // permission → duty
	Remedies     []*Rule // prohibition → remedy
	Consequences []*Rule // duty or obligation → consequence

	// Path locates the rule in the source document, for example
	// "permission[1]" or "offer.permission[0].duty[0]".
	Path string
}

// ID is the rule's UID, or its path when it has none: what decisions and
// audit events name.
func (r *Rule) ID() string {
	if r.UID != "" {
		return r.UID
	}
	return r.Path
}

// Action is an action IRI with optional refinements.
type Action struct {
	IRI         string
	Refinements []Constraint
}

// Party is an assigner or assignee: one party, or a PartyCollection whose
// members are named by partOf facts (in the request or the document) and
// optionally narrowed by refinements.
type Party struct {
	UID         string
	Collection  bool
	Source      string // odrl:source: the collection the refinements narrow
	Refinements []Constraint
}

// Asset is a rule's target: one asset, or an AssetCollection (as Party).
type Asset struct {
	UID         string
	Collection  bool
	Source      string
	Refinements []Constraint
}

// Operator is an ODRL operator IRI: a comparison of an atomic constraint
// or the connective of a logical constraint.
type Operator string

// The ODRL 2.2 operators.
const (
	Eq       Operator = NS + "eq"
	Neq      Operator = NS + "neq"
	Lt       Operator = NS + "lt"
	Lteq     Operator = NS + "lteq"
	Gt       Operator = NS + "gt"
	Gteq     Operator = NS + "gteq"
	IsA      Operator = NS + "isA"
	HasPart  Operator = NS + "hasPart"
	IsPartOf Operator = NS + "isPartOf"
	IsAllOf  Operator = NS + "isAllOf"
	IsAnyOf  Operator = NS + "isAnyOf"
	IsNoneOf Operator = NS + "isNoneOf"

	And         Operator = NS + "and"
	Or          Operator = NS + "or"
	Xone        Operator = NS + "xone"
	AndSequence Operator = NS + "andSequence"
)

// IsLogical reports whether o connects constraints (and, or, xone,
// andSequence) rather than comparing values.
func (o Operator) IsLogical() bool {
	switch o {
	case And, Or, Xone, AndSequence:
		return true
	}
	return false
}

// Constraint is an atomic constraint (LeftOperand Operator RightOperand) or
// a logical one (Operator over Members).
type Constraint struct {
	UID      string
	Operator Operator

	// Atomic constraints.
	LeftOperand           string  // IRI
	RightOperand          []Value // one value; several for the list operators
	RightOperandReference string  // IRI to dereference; never fetched (fails closed)
	Unit                  string  // IRI
	DataType              string  // IRI

	// Logical constraints.
	Members []Constraint

	Path string
}

// ID is the constraint's UID, or its path when it has none.
func (c *Constraint) ID() string {
	if c.UID != "" {
		return c.UID
	}
	return c.Path
}

// Value is one right-operand value: a literal with its datatype, or an IRI.
type Value struct {
	Lexical  string // the literal's lexical form, or the IRI
	IRI      bool   // an IRI reference (@id) rather than a literal
	Datatype string // datatype IRI; "" for a plain string, number or boolean
	Language string

	number bool // written as a JSON number
}

// Literal returns a plain literal value; Typed one with a datatype IRI
// (or "xsd:…" name); Ref an IRI value.
func Literal(s string) Value { return Value{Lexical: s} }

// Typed returns a literal with a datatype, e.g. Typed("2026-12-31", "xsd:date").
func Typed(s, datatype string) Value { return Value{Lexical: s, Datatype: expandName(datatype)} }

// Ref returns an IRI value.
func Ref(iri string) Value { return Value{Lexical: iri, IRI: true} }
