package catalog

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// dspODRLTerms are the terms the Dataspace Protocol 2025-1 ODRL profile
// context (https://w3id.org/dspace/2025/1/odrl-profile.jsonld, which the DSP
// context imports for Dataset) defines. TestDSPODRLTerms keeps the list equal
// to the pinned context.
func dspODRLTerms() []string {
	return []string{"Action", "Agreement", "Assertion", "Asset", "Constraint", "Duty", "LeftOperand", "Offer",
		"Operator", "Permission", "Policy", "Prohibition", "RightOperand", "Rule", "Set", "action", "and",
		"andSequence", "assignee", "assigner", "constraint", "duty", "eq", "gt", "gteq", "hasPart", "hasPolicy",
		"isA", "isAllOf", "isAnyOf", "isNoneOf", "isPartOf", "leftOperand", "lt", "lteq", "neq", "obligation",
		"odrl", "operator", "or", "permission", "profile", "prohibit", "prohibition", "rightOperand", "target",
		"use", "xone"}
}

// vocabKeys are the ODRL properties whose string values the DSP context
// expands as vocabulary terms (@type @vocab).
func vocabKeys() []string { return []string{"action", "leftOperand", "operator"} }

// checkOffer checks one ODRL offer of hasPolicy against the Dataspace
// Protocol's rules (an Offer with an @id, a permission or a prohibition, no
// target inside a catalog) and against the JSON-LD trap of the DSP context:
// a key or a vocabulary value it does not define (for example the left
// operand "purpose", or "refinement") would expand to nothing or to a
// relative IRI and be silently lost. Such names must be written as compact
// IRIs (odrl:purpose). It returns the offer's @id.
func checkOffer(path string, raw json.RawMessage) (string, error) {
	if len(raw) > MaxPolicyBytes {
		return "", inputErr(path, "is %d bytes; the limit is %d", len(raw), MaxPolicyBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return "", inputErr(path, "an offer is a JSON object (an ODRL Offer)")
	}
	if m["@type"] != "Offer" {
		return "", inputErr(path+".@type", "must be \"Offer\"")
	}
	id, _ := m["@id"].(string)
	if !isIRI(id) {
		return "", inputErr(path+".@id", "an offer needs an @id that is an absolute IRI, such as urn:uuid:…")
	}
	if m["permission"] == nil && m["prohibition"] == nil {
		return "", inputErr(path, "an offer needs a permission or a prohibition")
	}
	if err := checkODRLNode(path, m); err != nil {
		return "", err
	}
	return id, nil
}

func odrlDefined(name string) bool {
	return strings.Contains(name, ":") || slices.Contains(dspODRLTerms(), name)
}

func checkODRLNode(path string, v any) error {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			if err := checkODRLNode(path+"["+strconv.Itoa(i)+"]", e); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			p := joinPath(path, k)
			if k == "target" {
				return inputErr(p, "an offer in a catalog has no target (Dataspace Protocol 2025-1: the dataset is the target)")
			}
			switch k {
			case "@id", "@value", "@language":
				continue
			case "@type":
				if err := checkVocab(p, x[k]); err != nil {
					return err
				}
				continue
			case "@list", "@set":
			default:
				if strings.HasPrefix(k, "@") {
					return inputErr(p, "JSON-LD keyword %s is not accepted in an offer", k)
				}
				if !odrlDefined(k) {
					return inputErr(p, "%q is not defined by the Dataspace Protocol context and would be dropped by JSON-LD processors; write it as a compact IRI such as odrl:%s", k, k)
				}
			}
			if slices.Contains(vocabKeys(), k) {
				if err := checkVocab(p, x[k]); err != nil {
					return err
				}
			}
			if err := checkODRLNode(p, x[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkVocab checks the values of a vocabulary-typed property: strings must
// be defined terms or IRIs.
func checkVocab(path string, v any) error {
	switch x := v.(type) {
	case string:
		if !odrlDefined(x) {
			return inputErr(path, "%q is not defined by the Dataspace Protocol context and would expand to a relative IRI; write it as a compact IRI such as odrl:%s", x, x)
		}
	case []any:
		for i, e := range x {
			if err := checkVocab(path+"["+strconv.Itoa(i)+"]", e); err != nil {
				return err
			}
		}
	}
	return nil
}
