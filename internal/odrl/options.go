package odrl

// Limits bound everything Parse and Prepare accept from outside. The zero
// value of a field means its default.
type Limits struct {
	MaxBytes       int // document size; default 1 MiB
	MaxDepth       int // JSON nesting; default 64
	MaxRules       int // rules of all kinds (duties included); default 1,000
	MaxConstraints int // constraints and refinements (logical ones included); default 10,000
	MaxValues      int // values of one right operand list; default 1,000
	MaxMembers     int // partOf facts stated in the document; default 10,000
	MaxPolicies    int // policies in one document (ParseAll); default 100
}

// DefaultLimits returns the bounds used when no WithLimits option is given.
func DefaultLimits() Limits { return defaultLimits }

var defaultLimits = Limits{
	MaxBytes:       1 << 20,
	MaxDepth:       64,
	MaxRules:       1000,
	MaxConstraints: 10000,
	MaxValues:      1000,
	MaxMembers:     10000,
	MaxPolicies:    100,
}

func (l Limits) withDefaults() Limits {
	d := defaultLimits
	if l.MaxBytes > 0 {
		d.MaxBytes = l.MaxBytes
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxRules > 0 {
		d.MaxRules = l.MaxRules
	}
	if l.MaxConstraints > 0 {
		d.MaxConstraints = l.MaxConstraints
	}
	if l.MaxValues > 0 {
		d.MaxValues = l.MaxValues
	}
	if l.MaxMembers > 0 {
		d.MaxMembers = l.MaxMembers
	}
	if l.MaxPolicies > 0 {
		d.MaxPolicies = l.MaxPolicies
	}
	return d
}

// DutyMode says how a permission's duties bear on the decision.
type DutyMode uint8

const (
	// DutiesAfter (the default) reads duties as obligations the assignee
	// takes on with the permission: the permission applies unless a duty is
	// known to be violated, and the decision lists the duties to fulfil.
	// This is the SolidLab test suite's reading and what a connector needs
	// at negotiation and transfer time.
	DutiesAfter DutyMode = iota
	// DutiesFirst reads duties as pre-conditions (the W3C ODRL formal
	// semantics draft): the permission applies only once each of its active
	// duties is fulfilled.
	DutiesFirst
)

// Option changes how Parse, ParseAll and Prepare work.
type Option func(*options)

type options struct {
	limits   Limits
	lenient  bool
	dutyMode DutyMode
	parents  func(uid string) (*Policy, bool)
}

func buildOptions(opts []Option) options {
	o := options{limits: defaultLimits}
	for _, f := range opts {
		f(&o)
	}
	o.limits = o.limits.withDefaults()
	return o
}

// WithLimits replaces the default bounds.
func WithLimits(l Limits) Option { return func(o *options) { o.limits = l } }

// Lenient accepts rules without an action or a target and lets them match
// any requested action or asset, as the SolidLab ODRL test suite expects.
// ODRL 2.2 makes both mandatory; without Lenient such a rule is an error.
// Lenient also tolerates keys the contexts leave undefined on the policy
// node itself (descriptive metadata such as "description"); never on rules
// or constraints.
func Lenient() Option { return func(o *options) { o.lenient = true } }

// WithDutyMode selects how duties bear on a permission (default DutiesAfter).
func WithDutyMode(m DutyMode) Option { return func(o *options) { o.dutyMode = m } }

// WithParents gives Prepare the policies named by inheritFrom. A policy that
// inherits from one the lookup does not know is refused
// (CodeUnresolvedParent), as is a cycle of inheritance (CodeCycle).
func WithParents(lookup func(uid string) (*Policy, bool)) Option {
	return func(o *options) { o.parents = lookup }
}
