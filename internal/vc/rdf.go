package vc

import (
	"encoding/json"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// toRDF converts expanded JSON-LD to an RDF dataset (JSON-LD 1.1 API,
// "Deserialize JSON-LD to RDF"). It differs from json-gold's ToRDF in one
// way only: where the algorithm would silently drop a statement (a relative
// IRI, a blank-node predicate, an ill-formed language tag, a base direction),
// it fails with CodeDataLoss instead. It also checks absolute IRIs with the
// JSON-LD rule (scheme ":" and no white space), as jsonld.js does, instead of
// json-gold's URL regular expression, which is both slower and stricter.
func toRDF(expanded []any) (ds *ld.RDFDataset, err error) {
	issuer := ld.NewIdentifierIssuer("_:b")
	nodeMap := map[string]any{"@default": map[string]any{}}
	if _, err := ld.NewJsonLdApi().GenerateNodeMap(any(expanded), nodeMap, "@default", issuer, "", "", nil); err != nil {
		return nil, newErr(CodeMalformed, err, "JSON-LD node map")
	}
	ds = ld.NewRDFDataset()
	for _, graphName := range sortedKeys(nodeMap) {
		if graphName != "@default" && !absoluteIRI(graphName) {
			return nil, newErr(CodeDataLoss, nil, "graph name %q is not an absolute IRI", graphName)
		}
		graph, _ := nodeMap[graphName].(map[string]any)
		quads, err := graphToRDF(graphName, graph, issuer)
		if err != nil {
			return nil, err
		}
		ds.Graphs[graphName] = quads
	}
	return ds, nil
}

func graphToRDF(graphName string, graph map[string]any, issuer *ld.IdentifierIssuer) ([]*ld.Quad, error) {
	var quads []*ld.Quad
	for _, id := range sortedKeys(graph) {
		if !absoluteIRI(id) {
			return nil, newErr(CodeDataLoss, nil, "node @id %q is not an absolute IRI", id)
		}
		node, _ := graph[id].(map[string]any)
		subject := iriOrBlank(id)
		for _, property := range sortedKeys(node) {
			var values []any
			predicate := property
			switch {
			case property == "@type":
				values, _ = node[property].([]any)
				predicate = ld.RDFType
			case ld.IsKeyword(property):
				continue
			case strings.HasPrefix(property, "_:"):
				return nil, newErr(CodeDataLoss, nil, "blank-node predicate %q", property)
			case !absoluteIRI(property):
				return nil, newErr(CodeDataLoss, nil, "property %q is not an absolute IRI", property)
			default:
				values, _ = node[property].([]any)
			}
			for _, item := range values {
				if property == "@type" {
					s, _ := item.(string)
					if !absoluteIRI(s) {
						return nil, newErr(CodeDataLoss, nil, "type %q is not an absolute IRI", s)
					}
					quads = append(quads, ld.NewQuad(subject, ld.NewIRI(predicate), iriOrBlank(s), graphName))
					continue
				}
				var object ld.Node
				var err error
				object, quads, err = objectToRDF(item, issuer, graphName, quads)
				if err != nil {
					return nil, err
				}
				quads = append(quads, ld.NewQuad(subject, ld.NewIRI(predicate), object, graphName))
			}
		}
	}
	return quads, nil
}

var languageTag = regexp.MustCompile(`^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$`)

func objectToRDF(item any, issuer *ld.IdentifierIssuer, graphName string, quads []*ld.Quad) (ld.Node, []*ld.Quad, error) {
	m, isMap := item.(map[string]any)
	if !isMap {
		s, ok := item.(string)
		if !ok {
			return nil, quads, newErr(CodeMalformed, nil, "unexpected %T in expanded JSON-LD", item)
		}
		if !absoluteIRI(s) {
			return nil, quads, newErr(CodeDataLoss, nil, "%q is not an absolute IRI", s)
		}
		return iriOrBlank(s), quads, nil
	}
	if list, ok := m["@list"]; ok {
		l, _ := list.([]any)
		return listToRDF(l, issuer, graphName, quads)
	}
	value, isValue := m["@value"]
	if !isValue {
		id, _ := m["@id"].(string)
		if !absoluteIRI(id) {
			return nil, quads, newErr(CodeDataLoss, nil, "@id %q is not an absolute IRI", id)
		}
		return iriOrBlank(id), quads, nil
	}
	if _, ok := m["@direction"]; ok {
		return nil, quads, newErr(CodeDataLoss, nil, "@direction is not preserved by RDF canonicalisation here")
	}
	datatype, _ := m["@type"].(string)
	if datatype == "@json" {
		return nil, quads, newErr(CodeDataLoss, nil, "@json literals are not supported")
	}
	if datatype != "" && (!absoluteIRI(datatype) || strings.HasPrefix(datatype, "_:")) {
		return nil, quads, newErr(CodeDataLoss, nil, "datatype %q is not an absolute IRI", datatype)
	}
	switch v := value.(type) {
	case bool:
		if datatype == "" {
			datatype = ld.XSDBoolean
		}
		return ld.NewLiteral(strconv.FormatBool(v), datatype, ""), quads, nil
	case float64, json.Number:
		f, ok := v.(float64)
		if n, isNum := v.(json.Number); isNum {
			var err error
			if f, err = n.Float64(); err != nil {
				return nil, quads, newErr(CodeMalformed, err, "number %s", n)
			}
			ok = true
		}
		if !ok || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, quads, newErr(CodeMalformed, nil, "number out of range")
		}
		isInteger := f == math.Trunc(f) && math.Abs(f) < 1e21
		if !isInteger || datatype == ld.XSDDouble {
			if datatype == "" {
				datatype = ld.XSDDouble
			}
			return ld.NewLiteral(ld.GetCanonicalDouble(f), datatype, ""), quads, nil
		}
		if datatype == "" {
			datatype = ld.XSDInteger
		}
		if f == 0 {
			f = 0 // -0 is the integer 0 (JSON-LD toRDF; "-0" would not verify elsewhere)
		}
		return ld.NewLiteral(strconv.FormatFloat(f, 'f', 0, 64), datatype, ""), quads, nil
	case string:
		if lang, ok := m["@language"]; ok {
			l, _ := lang.(string)
			if !languageTag.MatchString(l) {
				return nil, quads, newErr(CodeDataLoss, nil, "language tag %q is not well-formed", l)
			}
			if datatype == "" {
				datatype = ld.RDFLangString
			}
			return ld.NewLiteral(v, datatype, l), quads, nil
		}
		if datatype == "" {
			datatype = ld.XSDString
		}
		return ld.NewLiteral(v, datatype, ""), quads, nil
	}
	return nil, quads, newErr(CodeMalformed, nil, "@value of type %T", value)
}

func listToRDF(list []any, issuer *ld.IdentifierIssuer, graphName string, quads []*ld.Quad) (ld.Node, []*ld.Quad, error) {
	if len(list) == 0 {
		return ld.NewIRI(ld.RDFNil), quads, nil
	}
	first, rest := ld.NewIRI(ld.RDFFirst), ld.NewIRI(ld.RDFRest)
	head := ld.NewBlankNode(issuer.GetId(""))
	subj := ld.Node(head)
	for i, item := range list {
		obj, q, err := objectToRDF(item, issuer, graphName, quads)
		if err != nil {
			return nil, quads, err
		}
		quads = q
		var next ld.Node = ld.NewIRI(ld.RDFNil)
		if i < len(list)-1 {
			next = ld.NewBlankNode(issuer.GetId(""))
		}
		quads = append(quads, ld.NewQuad(subj, first, obj, graphName), ld.NewQuad(subj, rest, next, graphName))
		subj = next
	}
	return head, quads, nil
}

// absoluteIRI is the JSON-LD test for an absolute IRI or a blank node
// identifier: a scheme, ":", and no white space or characters N-Quads
// cannot carry in an IRI.
func absoluteIRI(s string) bool {
	if strings.HasPrefix(s, "_:") {
		return len(s) > 2 && !strings.ContainsAny(s, " \t\r\n")
	}
	i := strings.IndexByte(s, ':')
	if i < 1 {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		isAlpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if j == 0 && !isAlpha || !(isAlpha || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	// Bytes at or above 0x80 belong to multi-byte UTF-8 sequences, which
	// are allowed; only ASCII needs checking.
	for j := i + 1; j < len(s); j++ {
		if c := s[j]; c < 0x80 && iriForbidden[c] {
			return false
		}
	}
	return true
}

// iriForbidden marks the ASCII bytes an IRI in N-Quads cannot carry: controls,
// space and <>"{}|^`\.
var iriForbidden = func() (t [0x80]bool) {
	for c := 0; c <= 0x20; c++ {
		t[c] = true
	}
	for _, c := range []byte("<>\"{}|^`\\") {
		t[c] = true
	}
	t[0x7f] = false
	return t
}()

func iriOrBlank(s string) ld.Node {
	if strings.HasPrefix(s, "_:") {
		return ld.NewBlankNode(s)
	}
	return ld.NewIRI(s)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
