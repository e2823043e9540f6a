package odrl

import (
	"encoding/json"
	"strings"
)

// MarshalJSON writes the policy as compact JSON-LD with the ODRL context
// (and xborder's, for its terms), in atomic form: every rule states its
// own action, target and parties. Parse reads it back to the same policy.
// Operators and left operands whose plain names the ODRL context maps
// wrongly (neq, industry) are written as odrl: compact IRIs.
func (p *Policy) MarshalJSON() ([]byte, error) {
	doc := map[string]any{
		"@context": []any{ContextODRL, ContextXborder},
		"@type":    string(p.Type),
	}
	if p.Type == "" {
		doc["@type"] = string(TypeSet)
	}
	if p.UID != "" {
		doc["uid"] = p.UID
	}
	if len(p.Profiles) > 0 {
		doc["profile"] = p.Profiles
	}
	if p.Conflict != "" {
		doc["conflict"] = string(p.Conflict)
	}
	if len(p.InheritFrom) > 0 {
		doc["inheritFrom"] = p.InheritFrom
	}
	if p.Mandatory {
		doc["mandatory"] = true
	}
	if p.Jurisdiction != "" {
		doc["jurisdiction"] = p.Jurisdiction
	}
	for _, spec := range []struct {
		key   string
		rules []*Rule
	}{{"permission", p.Permissions}, {"prohibition", p.Prohibitions}, {"obligation", p.Obligations}} {
		if len(spec.rules) == 0 {
			continue
		}
		var rs []any
		for _, r := range spec.rules {
			rs = append(rs, ruleJSON(r))
		}
		doc[spec.key] = rs
	}
	if len(p.PartOf) > 0 {
		graph := []any{withoutContext(doc)}
		for _, member := range sortedKeys(p.PartOf) {
			graph = append(graph, map[string]any{"@id": member, "partOf": p.PartOf[member]})
		}
		return json.Marshal(map[string]any{"@context": doc["@context"], "@graph": graph})
	}
	return json.Marshal(doc)
}

func withoutContext(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != "@context" {
			out[k] = v
		}
	}
	return out
}

func ruleJSON(r *Rule) map[string]any {
	m := map[string]any{}
	if r.UID != "" {
		m["uid"] = r.UID
	}
	if r.Action != nil {
		m["action"] = actionJSON(r.Action)
	}
	if r.Target != nil {
		m["target"] = entityJSON(entity(*r.Target), "AssetCollection")
	}
	if len(r.Assigner) > 0 {
		m["assigner"] = partiesJSON(r.Assigner)
	}
	if len(r.Assignee) > 0 {
		m["assignee"] = partiesJSON(r.Assignee)
	}
	for _, fn := range sortedKeys(r.Functions) {
		m[Short(fn)] = partiesJSON(r.Functions[fn])
	}
	if len(r.Constraints) > 0 {
		m["constraint"] = constraintsJSON(r.Constraints)
	}
	for _, spec := range []struct {
		key   string
		rules []*Rule
	}{{"duty", r.Duties}, {"remedy", r.Remedies}, {"consequence", r.Consequences}} {
		if len(spec.rules) == 0 {
			continue
		}
		var rs []any
		for _, d := range spec.rules {
			rs = append(rs, ruleJSON(d))
		}
		m[spec.key] = rs
	}
	return m
}

func actionJSON(a *Action) any {
	if len(a.Refinements) == 0 {
		if s := Short(a.IRI); s != a.IRI {
			return s
		}
		return a.IRI
	}
	id := a.IRI
	if s, ok := strings.CutPrefix(a.IRI, NS); ok {
		id = "odrl:" + s
	}
	return map[string]any{"rdf:value": map[string]any{"@id": id}, "refinement": constraintsJSON(a.Refinements)}
}

func entityJSON(e entity, collType string) any {
	if !e.Collection && e.Source == "" && len(e.Refinements) == 0 {
		return e.UID
	}
	m := map[string]any{"@type": collType}
	if e.UID != "" {
		m["uid"] = e.UID
	}
	if e.Source != "" {
		m["source"] = e.Source
	}
	if len(e.Refinements) > 0 {
		m["refinement"] = constraintsJSON(e.Refinements)
	}
	return m
}

func partiesJSON(ps []Party) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = entityJSON(entity(p), "PartyCollection")
	}
	return out
}

func constraintsJSON(cs []Constraint) []any {
	out := make([]any, len(cs))
	for i := range cs {
		out[i] = constraintJSON(&cs[i])
	}
	return out
}

func constraintJSON(c *Constraint) map[string]any {
	m := map[string]any{}
	if c.UID != "" {
		m["uid"] = c.UID
	}
	if c.Operator.IsLogical() {
		m[Short(string(c.Operator))] = constraintsJSON(c.Members)
		return m
	}
	left := c.LeftOperand
	switch {
	case left == NS+"industry":
		left = "odrl:industry"
	case strings.HasPrefix(left, NS):
		left = Short(left)
	case strings.HasPrefix(left, XborderNS):
		left = "xborder:" + strings.TrimPrefix(left, XborderNS)
	}
	m["leftOperand"] = left
	op := string(c.Operator)
	switch {
	case c.Operator == Neq:
		op = "odrl:neq"
	case strings.HasPrefix(op, NS):
		op = Short(op)
	}
	m["operator"] = op
	if c.RightOperandReference != "" {
		m["rightOperandReference"] = c.RightOperandReference
	} else if len(c.RightOperand) == 1 {
		m["rightOperand"] = valueJSON(c.RightOperand[0])
	} else {
		vs := make([]any, len(c.RightOperand))
		for i, v := range c.RightOperand {
			vs[i] = valueJSON(v)
		}
		m["rightOperand"] = vs
	}
	if c.Unit != "" {
		m["unit"] = c.Unit
	}
	if c.DataType != "" {
		m["dataType"] = c.DataType
	}
	return m
}

func valueJSON(v Value) any {
	switch {
	case v.IRI:
		return map[string]any{"@id": v.Lexical}
	case v.Language != "":
		return map[string]any{"@value": v.Lexical, "@language": v.Language}
	case v.Datatype == xsdNS+"boolean" && (v.Lexical == "true" || v.Lexical == "false"):
		return v.Lexical == "true"
	case v.Datatype != "":
		dt := v.Datatype
		if s, ok := strings.CutPrefix(dt, xsdNS); ok {
			dt = "xsd:" + s
		}
		return map[string]any{"@value": v.Lexical, "@type": dt}
	case v.number && json.Valid([]byte(v.Lexical)):
		return json.Number(v.Lexical)
	}
	return v.Lexical
}
