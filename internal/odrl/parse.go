package odrl

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Parse reads one ODRL policy from a JSON-LD document: compacted with the
// ODRL context, with the Dataspace Protocol 2025-1 context (a bare policy, or
// a DSP message or dataset that carries one: offer, agreement, hasPolicy),
// with xborder's context, or expanded. Contexts are the copies bundled in
// the binary; nothing is fetched. The document is expanded and read by IRI,
// so prefixes, @vocab and aliases cannot change what a term means.
//
// Every problem found is returned (as Errors), each with the path of the
// offending element and a stable code. A document holding more than one
// policy is refused with CodeManyPolicies; use ParseAll.
func Parse(data []byte, opts ...Option) (*Policy, error) {
	ps, err := ParseAll(data, opts...)
	if err != nil {
		return nil, err
	}
	if len(ps) != 1 {
		return nil, newErr(CodeManyPolicies, "", "the document holds %d policies; use ParseAll", len(ps))
	}
	return ps[0], nil
}

// ParseAll reads every ODRL policy in a JSON-LD document (see Parse).
func ParseAll(data []byte, opts ...Option) ([]*Policy, error) {
	o := buildOptions(opts)
	if e := precheck(data, o.limits); e != nil {
		return nil, e
	}
	doc, e := decodeJSON(data)
	if e != nil {
		return nil, e
	}
	x, err := expand(doc, o)
	if err != nil {
		return nil, err
	}
	b := &builder{x: x, o: o, index: map[string]map[string]any{}, partOf: map[string][]string{}, visiting: map[string]bool{}}
	for _, n := range x.nodes {
		b.indexNodes(n)
	}
	for _, n := range x.nodes {
		b.find(n, "", true)
	}
	if len(b.found) == 0 && len(b.errs) == 0 {
		b.errs = append(b.errs, newErr(CodeNoPolicy, "", "no ODRL policy found: the document needs an @context that defines the ODRL terms (%s or %s) and a policy of type Set, Offer or Agreement", ContextODRL, ContextDSP))
	}
	if len(b.found) > o.limits.MaxPolicies {
		return nil, newErr(CodeTooMany, "", "the document holds %d policies, more than the limit of %d", len(b.found), o.limits.MaxPolicies)
	}
	var out []*Policy
	for _, f := range b.found {
		if p := b.policy(f.node, f.target); p != nil {
			out = append(out, p)
		}
	}
	if len(b.errs) == 0 {
		for _, p := range out {
			for _, e := range contradictions(p) {
				if o.lenient {
					b.warns = append(b.warns, e)
				} else {
					b.errs = append(b.errs, e)
				}
			}
		}
	}
	b.collectPartOf()
	b.checkCycles()
	if len(b.errs) > 0 {
		return nil, b.errs
	}
	for _, p := range out {
		if len(b.partOf) > 0 {
			p.PartOf = b.partOf
		}
		p.Warnings = append(p.Warnings, b.warns...)
	}
	return out, nil
}

type foundPolicy struct {
	node   map[string]any
	target string // inferred from odrl:hasPolicy
}

// builder turns expanded JSON-LD into the model, collecting every problem.
type builder struct {
	x        *expanded
	o        options
	index    map[string]map[string]any // @id → the node object that describes it
	found    []foundPolicy
	errs     Errors
	warns    []*Error
	partOf   map[string][]string
	nRules   int
	nCons    int
	visiting map[string]bool // rule and constraint @ids on the current path, for cycles
}

func (b *builder) fail(code Code, path, format string, args ...any) {
	if len(b.errs) < 100 {
		b.errs = append(b.errs, newErr(code, path, format, args...))
	}
}

func (b *builder) warn(code Code, path, format string, args ...any) {
	if len(b.warns) < 100 {
		b.warns = append(b.warns, newErr(code, path, format, args...))
	}
}

// indexNodes records every node object that has an @id and describes it,
// so that references by @id elsewhere in the document can be followed.
func (b *builder) indexNodes(v any) {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			b.indexNodes(e)
		}
	case map[string]any:
		if _, ok := t["@value"]; ok {
			return
		}
		if id, ok := t["@id"].(string); ok && len(t) > 1 {
			if _, dup := b.index[id]; !dup {
				b.index[id] = t
			}
		}
		for k, c := range t {
			if k != "@id" && k != "@type" {
				b.indexNodes(c)
			}
		}
	}
}

// resolve follows a bare reference ({"@id": x}) to the node describing x.
func (b *builder) resolve(m map[string]any) map[string]any {
	if len(m) == 1 {
		if id, ok := m["@id"].(string); ok {
			if full, ok := b.index[id]; ok {
				return full
			}
		}
	}
	return m
}

var policyClasses = map[string]PolicyType{
	NS + "Set": TypeSet, NS + "Offer": TypeOffer, NS + "Agreement": TypeAgreement, NS + "Policy": TypeSet,
}

var unsupportedClasses = map[string]bool{
	NS + "Privacy": true, NS + "Request": true, NS + "Ticket": true, NS + "Assertion": true,
}

func (b *builder) find(v any, hasPolicyOf string, top bool) {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			b.find(e, hasPolicyOf, top)
		}
	case map[string]any:
		if _, ok := t["@value"]; ok {
			return
		}
		if list, ok := t["@list"]; ok {
			b.find(list, hasPolicyOf, false)
			return
		}
		isPolicy := false
		for _, ty := range iriList(t["@type"]) {
			if _, ok := policyClasses[ty]; ok {
				isPolicy = true
			}
			if unsupportedClasses[ty] {
				b.fail(CodeUnsupportedType, b.x.pathOf(t), "policy type %s is not evaluated by xborder (use Set, Offer or Agreement)", Short(ty))
				return
			}
		}
		if !isPolicy && top && t["@type"] == nil {
			for _, p := range []string{NS + "permission", NS + "prohibition", NS + "obligation"} {
				if _, ok := t[p]; ok {
					isPolicy = true
				}
			}
		}
		if isPolicy {
			b.found = append(b.found, foundPolicy{node: t, target: hasPolicyOf})
			return
		}
		id, _ := t["@id"].(string)
		for k, c := range t {
			switch {
			case k == NS+"hasPolicy":
				b.find(c, id, false)
			case k == "@graph":
				b.find(c, "", top)
			case k == "@id" || k == "@type":
			default:
				b.find(c, "", false)
			}
		}
	}
}

// Properties each kind of node may carry. A property in the ODRL or xborder
// namespace that is not listed is an error everywhere; properties of other
// namespaces are descriptive metadata, accepted on policies, parties and
// assets and (in annotation namespaces only) on rules and constraints.
var (
	policyProps = setOf(NS+"permission", NS+"prohibition", NS+"obligation", NS+"profile", NS+"conflict",
		NS+"inheritFrom", NS+"assigner", NS+"assignee", NS+"target", NS+"action", NS+"inheritAllowed",
		XborderNS+"mandatory", XborderNS+"jurisdiction")
	partyFunctions = setOf(NS+"attributedParty", NS+"attributingParty", NS+"compensatedParty", NS+"compensatingParty",
		NS+"consentingParty", NS+"consentedParty", NS+"informedParty", NS+"informingParty",
		NS+"trackingParty", NS+"trackedParty", NS+"contractingParty", NS+"contractedParty")
	ruleProps = setOf(NS+"action", NS+"target", NS+"output", NS+"assigner", NS+"assignee", NS+"constraint",
		NS+"duty", NS+"remedy", NS+"consequence", NS+"relation")
	constraintProps = setOf(NS+"leftOperand", NS+"operator", NS+"rightOperand", NS+"rightOperandReference",
		NS+"unit", NS+"dataType", NS+"datatype", NS+"status", NS+"and", NS+"or", NS+"xone", NS+"andSequence")
	actionProps          = setOf(rdfNS+"value", NS+"refinement")
	ruleAndFunctionProps = func() map[string]bool {
		m := setOf()
		for k := range ruleProps {
			m[k] = true
		}
		for k := range partyFunctions {
			m[k] = true
		}
		return m
	}()
	entityProps = setOf(NS+"source", NS+"refinement", NS+"partOf", NS+"hasPolicy")
)

func setOf(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, e := range s {
		m[e] = true
	}
	return m
}

var annotationNS = []string{"http://purl.org/dc/terms/", "http://purl.org/dc/elements/1.1/",
	"http://www.w3.org/2000/01/rdf-schema#", "http://www.w3.org/2004/02/skos/core#", "http://schema.org/"}

func (b *builder) checkProps(m map[string]any, path, what string, allowed map[string]bool, descriptive bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case k == "@id" || k == "@type" || k == "@index":
			continue
		case strings.HasPrefix(k, "@"):
			b.fail(CodeMalformed, path, "%s on a %s is not supported", k, what)
			continue
		case allowed[k]:
			continue
		case strings.HasPrefix(k, NS) || strings.HasPrefix(k, XborderNS):
			b.fail(CodeUnknownProperty, joinPath(path, Short(k)), "%s is not a property of a %s", Short(k), what)
			continue
		case descriptive:
			continue
		}
		annot := false
		for _, ns := range annotationNS {
			if strings.HasPrefix(k, ns) {
				annot = true
			}
		}
		if !annot {
			b.fail(CodeUnknownProperty, joinPath(path, k), "property %s on a %s is not understood, and ignoring it could change the decision", k, what)
		}
	}
}

func prop(m map[string]any, iri string) []any {
	switch v := m[iri].(type) {
	case []any:
		return flattenLists(v)
	case nil:
		return nil
	default:
		return []any{v}
	}
}

// flattenLists replaces {"@list": [...]} entries by their members.
func flattenLists(vs []any) []any {
	hasList := false
	for _, v := range vs {
		if m, ok := v.(map[string]any); ok {
			if _, ok := m["@list"]; ok {
				hasList = true
			}
		}
	}
	if !hasList {
		return vs
	}
	var out []any
	for _, v := range vs {
		if m, ok := v.(map[string]any); ok {
			if l, ok := m["@list"].([]any); ok {
				out = append(out, flattenLists(l)...)
				continue
			}
		}
		out = append(out, v)
	}
	return out
}

func nodeID(m map[string]any) string {
	id, _ := m["@id"].(string)
	return id
}

// childPath is the source path of a value: its own when it is a node
// object the expansion located, else the parent's path plus the property.
func (b *builder) childPath(v any, parent, propName string, i, n int) string {
	if m, ok := v.(map[string]any); ok {
		if p := b.x.pathOf(m); p != "" {
			return p
		}
	}
	p := joinPath(parent, propName)
	if n > 1 {
		p += "[" + strconv.Itoa(i) + "]"
	}
	return p
}

// iriValue reads a property that holds one IRI (an @id, or a string
// literal), resolving relative terms for vocabulary properties.
func (b *builder) iris(m map[string]any, iri, path, name string) []string {
	var out []string
	for _, v := range prop(m, iri) {
		switch t := v.(type) {
		case map[string]any:
			if id, ok := t["@id"].(string); ok {
				out = append(out, id)
			} else if s, ok := t["@value"].(string); ok {
				out = append(out, s)
			} else {
				b.fail(CodeBadValue, joinPath(path, name), "want an IRI")
			}
		case string:
			out = append(out, t)
		default:
			b.fail(CodeBadValue, joinPath(path, name), "want an IRI")
		}
	}
	return out
}

func (b *builder) policy(m map[string]any, inferredTarget string) *Policy {
	path := b.x.pathOf(m)
	p := &Policy{UID: nodeID(m), Type: TypeSet}
	for _, ty := range iriList(m["@type"]) {
		if t, ok := policyClasses[ty]; ok && ty != NS+"Policy" {
			p.Type = t
		}
	}
	b.checkProps(m, path, "policy", policyProps, true)
	if p.UID == "" || strings.HasPrefix(p.UID, "_:") {
		if b.o.lenient {
			b.warn(CodeMissing, path, "the policy has no uid; decisions and audit events cannot name it")
		} else {
			b.fail(CodeMissing, joinPath(path, "uid"), "a policy must have a uid (@id) so that decisions and audit events can name it")
		}
	}
	p.Profiles = b.iris(m, NS+"profile", path, "profile")
	p.InheritFrom = b.iris(m, NS+"inheritFrom", path, "inheritFrom")
	if cs := b.iris(m, NS+"conflict", path, "conflict"); len(cs) > 0 {
		if len(cs) > 1 {
			b.fail(CodeBadValue, joinPath(path, "conflict"), "a policy has one conflict strategy")
		}
		c := cs[0]
		if !strings.Contains(c, ":") {
			c = NS + c
		}
		switch c {
		case NS + "perm":
			p.Conflict = ConflictPerm
		case NS + "prohibit":
			p.Conflict = ConflictProhibit
		case NS + "invalid":
			p.Conflict = ConflictInvalid
		default:
			b.fail(CodeBadValue, joinPath(path, "conflict"), "conflict strategy %s is not perm, prohibit or invalid", Short(c))
		}
	}
	if vs := prop(m, XborderNS+"mandatory"); len(vs) > 0 {
		ok := false
		if vm, isMap := vs[0].(map[string]any); isMap && len(vs) == 1 {
			switch x := vm["@value"].(type) {
			case bool:
				p.Mandatory, ok = x, true
			case string:
				if x == "true" || x == "false" {
					p.Mandatory, ok = x == "true", true
				}
			}
		}
		if !ok {
			b.fail(CodeBadValue, joinPath(path, "mandatory"), "want true or false")
		}
	}
	if js := b.iris(m, XborderNS+"jurisdiction", path, "jurisdiction"); len(js) > 0 {
		if len(js) > 1 {
			b.fail(CodeBadValue, joinPath(path, "jurisdiction"), "a policy has one jurisdiction")
		}
		p.Jurisdiction = normSpatial(js[0])
	}

	p.Assigner = b.parties(prop(m, NS+"assigner"), path, "assigner")
	p.Assignee = b.parties(prop(m, NS+"assignee"), path, "assignee")
	targets := b.assets(prop(m, NS+"target"), path, "target")
	if len(targets) == 0 && inferredTarget != "" {
		targets = []*Asset{{UID: inferredTarget}}
	}
	if len(targets) == 1 {
		p.Target = targets[0]
	}
	actions := b.actions(prop(m, NS+"action"), path, "action")
	if len(actions) == 1 {
		p.Action = actions[0]
	}
	defaults := ruleDefaults{assigner: p.Assigner, assignee: p.Assignee, targets: targets, actions: actions}

	for _, spec := range []struct {
		prop string
		kind RuleKind
		dst  *[]*Rule
	}{
		{NS + "permission", KindPermission, &p.Permissions},
		{NS + "prohibition", KindProhibition, &p.Prohibitions},
		{NS + "obligation", KindObligation, &p.Obligations},
	} {
		vs := prop(m, spec.prop)
		for i, v := range vs {
			rpath := b.childPath(v, path, string(spec.kind), i, len(vs))
			*spec.dst = append(*spec.dst, b.rules(v, spec.kind, rpath, defaults)...)
		}
	}
	if len(p.Permissions)+len(p.Prohibitions)+len(p.Obligations) == 0 {
		b.fail(CodeMissing, path, "the policy has no permission, prohibition or obligation")
	}
	if p.Type == TypeAgreement {
		for _, r := range p.allRules() {
			if len(r.Assignee) == 0 {
				b.fail(CodeMissing, r.Path, "an Agreement must name its assignee (on the policy or the rule); without one it would grant to anyone")
			}
		}
	}
	if (p.Type == TypeAgreement || p.Type == TypeOffer) && len(p.Assigner) == 0 {
		missing := false
		for _, r := range p.allRules() {
			if len(r.Assigner) == 0 {
				missing = true
			}
		}
		if missing {
			b.warn(CodeMissing, path, "an %s should name its assigner (ODRL 2.2)", p.Type)
		}
	}
	return p
}

func (p *Policy) allRules() []*Rule {
	out := make([]*Rule, 0, len(p.Permissions)+len(p.Prohibitions)+len(p.Obligations))
	out = append(out, p.Permissions...)
	out = append(out, p.Prohibitions...)
	return append(out, p.Obligations...)
}

type ruleDefaults struct {
	assigner, assignee []Party
	targets            []*Asset
	actions            []*Action
}

var ruleTypes = map[RuleKind]string{
	KindPermission: NS + "Permission", KindProhibition: NS + "Prohibition", KindObligation: NS + "Duty",
	KindDuty: NS + "Duty", KindRemedy: NS + "Duty", KindConsequence: NS + "Duty",
}

// rules reads one rule node and returns it in atomic form: one Rule per
// action and target (ODRL 2.2 §2.7.1).
func (b *builder) rules(v any, kind RuleKind, path string, d ruleDefaults) []*Rule {
	m, ok := v.(map[string]any)
	if !ok {
		b.fail(CodeMalformed, path, "a %s must be an object", kind)
		return nil
	}
	if _, isValue := m["@value"]; isValue {
		b.fail(CodeMalformed, path, "a %s must be an object, not a literal", kind)
		return nil
	}
	m = b.resolve(m)
	id := nodeID(m)
	if id != "" {
		if b.visiting[id] {
			b.fail(CodeCycle, path, "rule %s contains itself", id)
			return nil
		}
		b.visiting[id] = true
		defer delete(b.visiting, id)
	}
	for _, ty := range iriList(m["@type"]) {
		if strings.HasPrefix(ty, NS) && ty != ruleTypes[kind] && ty != NS+"Rule" {
			b.fail(CodeBadValue, joinPath(path, "type"), "a %s cannot be of type %s", kind, Short(ty))
		}
	}
	b.checkProps(m, path, string(kind), ruleAndFunctionProps, false)
	switch {
	case kind != KindPermission && m[NS+"duty"] != nil:
		b.fail(CodeMalformed, joinPath(path, "duty"), "only a permission has duties (a %s does not)", kind)
	case kind != KindProhibition && m[NS+"remedy"] != nil:
		b.fail(CodeMalformed, joinPath(path, "remedy"), "only a prohibition has remedies")
	case kind != KindDuty && kind != KindObligation && m[NS+"consequence"] != nil:
		b.fail(CodeMalformed, joinPath(path, "consequence"), "only a duty or an obligation has consequences (ODRL 2.2 §2.6)")
	}

	r := Rule{Kind: kind, UID: id, Path: path}
	if strings.HasPrefix(r.UID, "_:") {
		r.UID = ""
	}
	actions := b.actions(prop(m, NS+"action"), path, "action")
	targets := b.assets(prop(m, NS+"target"), path, "target")
	r.Assigner = b.parties(prop(m, NS+"assigner"), path, "assigner")
	r.Assignee = b.parties(prop(m, NS+"assignee"), path, "assignee")
	for fn := range partyFunctions {
		if vs := prop(m, fn); len(vs) > 0 {
			if r.Functions == nil {
				r.Functions = map[string][]Party{}
			}
			r.Functions[fn] = b.parties(vs, path, Short(fn))
		}
	}
	r.Constraints = b.constraints(prop(m, NS+"constraint"), path, "constraint", 0)

	// Policy-level shorthand applies to the top-level rules.
	if kind == KindPermission || kind == KindProhibition || kind == KindObligation {
		if len(actions) == 0 {
			actions = d.actions
		}
		if len(targets) == 0 {
			targets = d.targets
		}
		if len(r.Assigner) == 0 {
			r.Assigner = d.assigner
		}
		if len(r.Assignee) == 0 {
			r.Assignee = d.assignee
		}
	}
	if len(actions) == 0 {
		if !b.o.lenient {
			b.fail(CodeMissing, joinPath(path, "action"), "a %s must have an action (ODRL 2.2)", kind)
		}
		actions = []*Action{nil}
	}
	if len(targets) == 0 {
		if (kind == KindPermission || kind == KindProhibition) && !b.o.lenient {
			b.fail(CodeMissing, joinPath(path, "target"), "a %s must have a target, on the rule or the policy (ODRL 2.2)", kind)
		}
		targets = []*Asset{nil}
	}

	sub := ruleDefaults{assignee: r.Assignee}
	for i, spec := range []struct {
		prop string
		kind RuleKind
	}{{NS + "duty", KindDuty}, {NS + "remedy", KindRemedy}, {NS + "consequence", KindConsequence}} {
		vs := prop(m, spec.prop)
		var out []*Rule
		for j, dv := range vs {
			dpath := b.childPath(dv, path, string(spec.kind), j, len(vs))
			for _, dr := range b.rules(dv, spec.kind, dpath, sub) {
				if len(dr.Assignee) == 0 && kind != KindProhibition {
					dr.Assignee = r.Assignee // a duty binds the permission's assignee unless it names another party
				}
				out = append(out, dr)
			}
		}
		switch i {
		case 0:
			r.Duties = out
		case 1:
			r.Remedies = out
		case 2:
			r.Consequences = out
		}
	}

	out := make([]*Rule, 0, len(actions)*len(targets))
	for _, a := range actions {
		for _, t := range targets {
			b.nRules++
			if b.nRules > b.o.limits.MaxRules {
				if b.nRules == b.o.limits.MaxRules+1 {
					b.fail(CodeTooMany, path, "more than %d rules", b.o.limits.MaxRules)
				}
				return out
			}
			rr := r
			rr.Action, rr.Target = a, t
			out = append(out, &rr)
		}
	}
	return out
}

// actions reads action values: an IRI, or a node with rdf:value and
// refinements.
func (b *builder) actions(vs []any, parent, name string) []*Action {
	var out []*Action
	for i, v := range vs {
		path := b.childPath(v, parent, name, i, len(vs))
		m, ok := v.(map[string]any)
		if !ok {
			b.fail(CodeBadValue, path, "want an action")
			continue
		}
		var iri string
		var refs []Constraint
		if id, ok := m["@id"].(string); ok && len(m) == 1 {
			if full := b.resolve(m); len(full) > 1 && full[rdfNS+"value"] != nil {
				m = full
			} else {
				iri = id
			}
		}
		if iri == "" {
			if s, ok := m["@value"].(string); ok {
				iri = s // an action written as a plain string where the context does not make it an IRI
			} else {
				b.checkProps(m, path, "action", actionProps, false)
				ids := b.iris(m, rdfNS+"value", path, "rdf:value")
				if len(ids) != 1 {
					b.fail(CodeMissing, joinPath(path, "rdf:value"), "an action with refinements names its action in rdf:value")
					continue
				}
				iri = ids[0]
				refs = b.constraints(prop(m, NS+"refinement"), path, "refinement", 0)
			}
		}
		out = append(out, &Action{IRI: b.actionIRI(iri, path), Refinements: refs})
	}
	return out
}

// actionIRI resolves relative action names and deprecated actions.
func (b *builder) actionIRI(iri, path string) string {
	name := strings.TrimPrefix(iri, NS)
	if name != iri || !strings.Contains(iri, ":") {
		if eq, dep := deprecatedAction[name]; dep {
			b.warn(CodeDeprecatedTerm, path, "action %s is deprecated in ODRL 2.2; read as %s", name, eq)
			return NS + eq
		}
	}
	if !strings.Contains(iri, ":") {
		if _, ok := actionParent[iri]; ok {
			b.warn(CodeRelativeTerm, path, "action %q is not defined by the document's contexts; read as the ODRL action", iri)
			return NS + iri
		}
	}
	if _, known := canonicalAction(iri); !known {
		b.warn(CodeUnknownAction, path, "action %s is not in the ODRL vocabulary: it matches only a request for exactly this action, and a prohibition of it denies any action it might include", Short(iri))
	}
	return iri
}

func (b *builder) parties(vs []any, parent, name string) []Party {
	var out []Party
	for i, v := range vs {
		path := b.childPath(v, parent, name, i, len(vs))
		e, ok := b.entity(v, path, "party", NS+"PartyCollection", NS+"AssetCollection")
		if ok {
			out = append(out, Party(e))
		}
	}
	return out
}

func (b *builder) assets(vs []any, parent, name string) []*Asset {
	var out []*Asset
	for i, v := range vs {
		path := b.childPath(v, parent, name, i, len(vs))
		e, ok := b.entity(v, path, "asset", NS+"AssetCollection", NS+"PartyCollection")
		if ok {
			a := Asset(e)
			out = append(out, &a)
		}
	}
	return out
}

type entity struct {
	UID         string
	Collection  bool
	Source      string
	Refinements []Constraint
}

func (b *builder) entity(v any, path, what, collType, wrongType string) (entity, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		b.fail(CodeBadValue, path, "want a %s", what)
		return entity{}, false
	}
	if s, ok := m["@value"].(string); ok {
		return entity{UID: s}, true
	}
	m = b.resolve(m)
	e := entity{UID: nodeID(m)}
	for _, ty := range iriList(m["@type"]) {
		switch ty {
		case collType:
			e.Collection = true
		case wrongType:
			b.fail(CodeBadValue, joinPath(path, "type"), "a %s cannot be a %s", what, Short(ty))
		}
	}
	b.checkProps(m, path, what, entityProps, true)
	if src := b.iris(m, NS+"source", path, "source"); len(src) > 0 {
		if len(src) > 1 {
			b.fail(CodeBadValue, joinPath(path, "source"), "a collection has one source")
		}
		e.Source = src[0]
		e.Collection = true
	}
	e.Refinements = b.constraints(prop(m, NS+"refinement"), path, "refinement", 0)
	if len(e.Refinements) > 0 && !e.Collection {
		e.Collection = true // refinements narrow a collection (ODRL 2.2 §2.2.3)
	}
	if e.UID == "" && e.Source == "" {
		b.fail(CodeMissing, path, "a %s must have a uid or, for a collection, a source", what)
		return entity{}, false
	}
	if strings.HasPrefix(e.UID, "_:") && e.Source == "" {
		b.fail(CodeMissing, path, "a %s identified only by a blank node cannot match a request", what)
	}
	return e, true
}

// collectPartOf gathers odrl:partOf facts from every node in the document.
func (b *builder) collectPartOf() {
	n := 0
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			if id, ok := t["@id"].(string); ok {
				for _, c := range b.iris(t, NS+"partOf", b.x.pathOf(t), "partOf") {
					n++
					if n > b.o.limits.MaxMembers {
						if n == b.o.limits.MaxMembers+1 {
							b.fail(CodeTooMany, b.x.pathOf(t), "more than %d partOf facts", b.o.limits.MaxMembers)
						}
						return
					}
					if !contains(b.partOf[id], c) {
						b.partOf[id] = append(b.partOf[id], c)
					}
				}
			}
			for k, c := range t {
				if k != "@id" && k != "@type" {
					walk(c)
				}
			}
		}
	}
	for _, nd := range b.x.nodes {
		walk(nd)
	}
}

func contains(s []string, x string) bool {
	for _, e := range s {
		if e == x {
			return true
		}
	}
	return false
}

// checkCycles refuses cyclic collection membership in the document.
func (b *builder) checkCycles() {
	if c := findCycle(b.partOf); c != nil {
		b.fail(CodeCycle, "", "collection membership is cyclic: %s", strings.Join(c, " → "))
	}
}

// findCycle returns one cycle of the partOf graph, or nil.
func findCycle(g map[string][]string) []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var cycle []string
	var visit func(n string) bool
	visit = func(n string) bool {
		color[n] = grey
		stack = append(stack, n)
		for _, m := range g[n] {
			switch color[m] {
			case grey:
				for i, s := range stack {
					if s == m {
						cycle = append(append([]string{}, stack[i:]...), m)
						return true
					}
				}
			case white:
				if visit(m) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return false
	}
	keys := make([]string, 0, len(g))
	for k := range g {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if color[k] == white && visit(k) {
			return cycle
		}
	}
	return nil
}

var logicalProps = []string{NS + "and", NS + "or", NS + "xone", NS + "andSequence"}

func (b *builder) constraints(vs []any, parent, name string, depth int) []Constraint {
	var out []Constraint
	for i, v := range vs {
		path := b.childPath(v, parent, name, i, len(vs))
		if c, ok := b.constraint(v, path, depth); ok {
			out = append(out, c)
		}
	}
	return out
}

func (b *builder) constraint(v any, path string, depth int) (Constraint, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		b.fail(CodeMalformed, path, "a constraint must be an object")
		return Constraint{}, false
	}
	if _, isValue := m["@value"]; isValue {
		b.fail(CodeMalformed, path, "a constraint must be an object, not a literal")
		return Constraint{}, false
	}
	if depth > 16 {
		b.fail(CodeTooDeep, path, "logical constraints are nested more than 16 deep")
		return Constraint{}, false
	}
	b.nCons++
	if b.nCons > b.o.limits.MaxConstraints {
		if b.nCons == b.o.limits.MaxConstraints+1 {
			b.fail(CodeTooMany, path, "more than %d constraints", b.o.limits.MaxConstraints)
		}
		return Constraint{}, false
	}
	m = b.resolve(m)
	id := nodeID(m)
	if id != "" {
		if b.visiting[id] {
			b.fail(CodeCycle, path, "constraint %s contains itself", id)
			return Constraint{}, false
		}
		b.visiting[id] = true
		defer delete(b.visiting, id)
	}
	b.checkProps(m, path, "constraint", constraintProps, false)
	c := Constraint{UID: id, Path: path}
	if strings.HasPrefix(c.UID, "_:") {
		c.UID = ""
	}
	var logical []string
	for _, lp := range logicalProps {
		if _, ok := m[lp]; ok {
			logical = append(logical, lp)
		}
	}
	if len(logical) > 1 {
		b.fail(CodeMalformed, path, "a logical constraint has one operator, not %d", len(logical))
		return Constraint{}, false
	}
	if len(logical) == 1 {
		for _, k := range []string{NS + "leftOperand", NS + "operator", NS + "rightOperand", NS + "rightOperandReference"} {
			if _, ok := m[k]; ok {
				b.fail(CodeMalformed, path, "a logical constraint cannot also have %s", Short(k))
			}
		}
		c.Operator = Operator(logical[0])
		members := prop(m, logical[0])
		if len(members) == 0 {
			b.fail(CodeMissing, joinPath(path, Short(logical[0])), "a logical constraint needs constraints to combine")
			return Constraint{}, false
		}
		c.Members = b.constraints(members, path, Short(logical[0]), depth+1)
		return c, true
	}

	lefts := b.iris(m, NS+"leftOperand", path, "leftOperand")
	ops := b.iris(m, NS+"operator", path, "operator")
	if len(lefts) != 1 {
		b.fail(CodeMissing, joinPath(path, "leftOperand"), "an atomic constraint has exactly one leftOperand")
		return Constraint{}, false
	}
	if len(ops) != 1 {
		b.fail(CodeMissing, joinPath(path, "operator"), "an atomic constraint has exactly one operator")
		return Constraint{}, false
	}
	c.LeftOperand = b.leftOperandIRI(lefts[0], joinPath(path, "leftOperand"))
	c.Operator = b.operatorIRI(ops[0], joinPath(path, "operator"))
	if us := b.iris(m, NS+"unit", path, "unit"); len(us) > 0 {
		c.Unit = us[0]
	}
	for _, dt := range []string{NS + "dataType", NS + "datatype"} {
		if ds := b.iris(m, dt, path, "dataType"); len(ds) > 0 {
			c.DataType = ds[0]
		}
	}
	if _, ok := m[NS+"status"]; ok {
		b.warn(CodeUnsupported, joinPath(path, "status"), "status is informational: the engine reads the state of the world from the request")
	}
	refs := b.iris(m, NS+"rightOperandReference", path, "rightOperandReference")
	rights := prop(m, NS+"rightOperand")
	switch {
	case len(refs) > 0 && len(rights) > 0:
		b.fail(CodeMalformed, path, "a constraint has a rightOperand or a rightOperandReference, not both")
		return Constraint{}, false
	case len(refs) > 0:
		c.RightOperandReference = refs[0]
		b.warn(CodeUnsupported, joinPath(path, "rightOperandReference"), "rightOperandReference is never dereferenced: the constraint fails closed")
		return c, true
	case len(rights) == 0:
		b.fail(CodeMissing, joinPath(path, "rightOperand"), "an atomic constraint needs a rightOperand")
		return Constraint{}, false
	}
	if len(rights) > b.o.limits.MaxValues {
		b.fail(CodeTooMany, joinPath(path, "rightOperand"), "more than %d values", b.o.limits.MaxValues)
		return Constraint{}, false
	}
	rpath := joinPath(path, "rightOperand")
	for _, rv := range rights {
		val, ok := b.rightValue(rv, rpath)
		if !ok {
			return Constraint{}, false
		}
		c.RightOperand = append(c.RightOperand, val)
	}
	if err := checkAtomic(&c); err != nil {
		err.Path = joinPath(path, err.Path)
		if len(b.errs) < 100 {
			b.errs = append(b.errs, err)
		}
		return Constraint{}, false
	}
	if !knownOperator(c.Operator) {
		b.warn(CodeUnknownOperator, joinPath(path, "operator"), "operator %s is not an ODRL operator: the constraint fails closed", Short(string(c.Operator)))
	} else if _, known := lookupOperand(c.LeftOperand); !known {
		b.warn(CodeUnknownLeftOperand, joinPath(path, "leftOperand"), "left operand %s is not in the ODRL or xborder vocabulary: the constraint is evaluated only when the request gives a value under this IRI, and fails closed otherwise", Short(c.LeftOperand))
	}
	return c, true
}

func (b *builder) leftOperandIRI(iri, path string) string {
	if !strings.Contains(iri, ":") {
		name := iri
		if n, dep := deprecatedOperand[name]; dep {
			name = n
		}
		if _, ok := odrlOperands[name]; ok {
			b.warn(CodeRelativeTerm, path, "left operand %q is not defined by the document's contexts; read as the ODRL left operand", iri)
			return NS + name
		}
		if _, ok := xborderOperands[name]; ok {
			b.warn(CodeRelativeTerm, path, "left operand %q is not defined by the document's contexts; read as xborder:%s", iri, name)
			return XborderNS + name
		}
		return iri
	}
	c := canonicalOperand(iri)
	if c != iri && iri != NS+"industry:" {
		b.warn(CodeDeprecatedTerm, path, "left operand %s is deprecated; read as %s", Short(iri), Short(c))
	}
	return c
}

func (b *builder) operatorIRI(iri, path string) Operator {
	if !strings.Contains(iri, ":") {
		if knownOperator(Operator(NS + iri)) {
			b.warn(CodeRelativeTerm, path, "operator %q is not defined by the document's contexts; read as the ODRL operator", iri)
			return Operator(NS + iri)
		}
		return Operator(iri)
	}
	return canonicalOperator(iri)
}

// rightValue reads one expanded right-operand value.
func (b *builder) rightValue(v any, path string) (Value, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		b.fail(CodeBadValue, path, "want a literal, an IRI or a list")
		return Value{}, false
	}
	if raw, ok := m["@value"]; ok {
		out := Value{}
		out.Datatype, _ = m["@type"].(string)
		out.Language, _ = m["@language"].(string)
		switch x := raw.(type) {
		case string:
			out.Lexical = x
		case json.Number:
			out.Lexical, out.number = x.String(), true
		case float64:
			out.Lexical, out.number = strconv.FormatFloat(x, 'f', -1, 64), true
		case bool:
			out.Lexical = strconv.FormatBool(x)
			if out.Datatype == "" {
				out.Datatype = xsdNS + "boolean"
			}
		default:
			b.fail(CodeBadValue, path, "want a literal, an IRI or a list")
			return Value{}, false
		}
		return out, true
	}
	if id, ok := m["@id"].(string); ok {
		if len(m) == 1 {
			return Ref(id), true
		}
		if rv := prop(m, rdfNS+"value"); len(rv) == 1 {
			return b.rightValue(rv[0], path)
		}
		return Ref(id), true
	}
	if rv := prop(m, rdfNS+"value"); len(rv) == 1 {
		return b.rightValue(rv[0], path)
	}
	b.fail(CodeBadValue, path, "want a literal, an IRI or a list")
	return Value{}, false
}

// checkAtomic validates an atomic constraint whose left operand the engine
// knows: operator against the operand's type, number of values, and the
// form of each value. The returned error's Path is relative to the
// constraint.
func checkAtomic(c *Constraint) *Error {
	if c.LeftOperand == "" {
		return newErr(CodeMissing, "leftOperand", "the leftOperand is empty")
	}
	if !knownOperator(c.Operator) || c.RightOperandReference != "" {
		return nil
	}
	if len(c.RightOperand) == 0 {
		return newErr(CodeMissing, "rightOperand", "an atomic constraint needs a rightOperand")
	}
	switch c.Operator {
	case Eq, Neq, Lt, Lteq, Gt, Gteq, IsA, IsPartOf:
		if len(c.RightOperand) != 1 {
			return newErr(CodeBadValue, "rightOperand", "%s compares with one value, not %d (use isAnyOf, isAllOf or isNoneOf for a list)", Short(string(c.Operator)), len(c.RightOperand))
		}
	}
	info, known := lookupOperand(c.LeftOperand)
	if !known {
		return nil
	}
	k := domainOf(info.typ)
	if info.typ == typeAny {
		k = anyDomain(c.RightOperand[0])
	}
	switch c.Operator {
	case Lt, Lteq, Gt, Gteq:
		if k == kToken {
			return newErr(CodeOperatorMismatch, "operator", "%s orders values, and %s is compared as an identifier", Short(string(c.Operator)), Short(c.LeftOperand))
		}
	case IsA, IsPartOf, HasPart:
		if k != kToken {
			return newErr(CodeOperatorMismatch, "operator", "%s relates identifiers, and %s is a %s", Short(string(c.Operator)), Short(c.LeftOperand), k)
		}
	}
	for i, v := range c.RightOperand {
		if _, err := rightValue(k, info.typ, v); err != nil {
			p := "rightOperand"
			if len(c.RightOperand) > 1 {
				p += "[" + strconv.Itoa(i) + "]"
			}
			return &Error{Code: CodeBadValue, Path: p, Msg: fmt.Sprintf("%q is not a valid value for %s", clip(v.Lexical), Short(c.LeftOperand)), Err: err}
		}
	}
	return nil
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:61] + "..."
	}
	return s
}
