package dsp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// A small JSON Schema (2019-09) validator for the keywords the DSP 2025-1
// schemas use: $ref (across the schema files, with "#/definitions/X" and
// "#definitions/X" fragments), type, const, enum, properties, required,
// items, minItems, contains, pattern, allOf, anyOf, oneOf, not. Enough to
// check every message this package writes, as the DSP TCK does.

const vectorDir = "testdata/dsp-2025-1"

type schemaSet struct {
	docs map[string]any // $id → schema document
}

var loadSchemas = sync.OnceValues(func() (*schemaSet, error) {
	s := &schemaSet{docs: map[string]any{}}
	files, err := filepath.Glob(filepath.Join(vectorDir, "*", "*-schema.json"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		s.docs[doc["$id"].(string)] = doc
	}
	return s, nil
})

// schemaFor maps a message @type to its schema $id.
func schemaFor(typ string) string {
	dir := "negotiation"
	switch {
	case strings.HasPrefix(typ, "Transfer"):
		dir = "transfer"
	case strings.HasPrefix(typ, "Catalog"), strings.HasPrefix(typ, "Dataset"):
		dir = "catalog"
	}
	if typ == "VersionResponse" {
		return "https://w3id.org/dspace/2025/1/common/protocol-version-schema.json"
	}
	// ContractRequestMessage → contract-request-message-schema.json
	name := regexp.MustCompile(`([a-z])([A-Z])`).ReplaceAllString(typ, "$1-$2")
	return "https://w3id.org/dspace/2025/1/" + dir + "/" + strings.ToLower(name) + "-schema.json"
}

// validateMessage validates a JSON document against the schema of its
// @type (or the version response schema).
func validateMessage(doc []byte) error {
	s, err := loadSchemas()
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return err
	}
	typ := "VersionResponse"
	if m, ok := v.(map[string]any); ok {
		if t, ok := m["@type"].(string); ok {
			typ = t
		}
	}
	id := schemaFor(typ)
	root, ok := s.docs[id]
	if !ok {
		return fmt.Errorf("no schema %s", id)
	}
	return s.validate(root, root, v, "")
}

func (s *schemaSet) resolve(cur any, ref string) (any, any, error) {
	base, frag, _ := strings.Cut(ref, "#")
	doc := cur
	if base != "" {
		d, ok := s.docs[base]
		if !ok {
			return nil, nil, fmt.Errorf("unknown schema %s", base)
		}
		doc = d
	}
	node := doc
	for _, seg := range strings.Split(strings.Trim(frag, "/"), "/") {
		if seg == "" {
			continue
		}
		m, ok := node.(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("bad ref %s", ref)
		}
		node = m[seg]
		if node == nil {
			return nil, nil, fmt.Errorf("bad ref %s", ref)
		}
	}
	return doc, node, nil
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "?"
}

func (s *schemaSet) validate(doc, schema, v any, path string) error {
	sc, ok := schema.(map[string]any)
	if !ok {
		return nil
	}
	if ref, ok := sc["$ref"].(string); ok {
		d, node, err := s.resolve(doc, ref)
		if err != nil {
			return err
		}
		if err := s.validate(d, node, v, path); err != nil {
			return err
		}
	}
	if t, ok := sc["type"].(string); ok && jsonType(v) != t && !(t == "integer" && jsonType(v) == "number") {
		return fmt.Errorf("%s: want %s, have %s", path, t, jsonType(v))
	}
	if c, ok := sc["const"]; ok && !reflect.DeepEqual(c, v) {
		return fmt.Errorf("%s: want %v", path, c)
	}
	if e, ok := sc["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return reflect.DeepEqual(x, v) }) {
		return fmt.Errorf("%s: %v not in %v", path, v, e)
	}
	if p, ok := sc["pattern"].(string); ok {
		if str, ok := v.(string); ok && !regexp.MustCompile(p).MatchString(str) {
			return fmt.Errorf("%s: %q does not match %s", path, str, p)
		}
	}
	if obj, ok := v.(map[string]any); ok {
		if req, ok := sc["required"].([]any); ok {
			for _, k := range req {
				if _, ok := obj[k.(string)]; !ok {
					return fmt.Errorf("%s: %s is required", path, k)
				}
			}
		}
		if props, ok := sc["properties"].(map[string]any); ok {
			for k, ps := range props {
				if x, ok := obj[k]; ok {
					if err := s.validate(doc, ps, x, path+"."+k); err != nil {
						return err
					}
				}
			}
		}
	}
	if arr, ok := v.([]any); ok {
		if mi, ok := sc["minItems"].(float64); ok && len(arr) < int(mi) {
			return fmt.Errorf("%s: fewer than %v items", path, mi)
		}
		if it, ok := sc["items"]; ok {
			for i, x := range arr {
				if err := s.validate(doc, it, x, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
		if c, ok := sc["contains"]; ok && !slices.ContainsFunc(arr, func(x any) bool { return s.validate(doc, c, x, path) == nil }) {
			return fmt.Errorf("%s: no item matches contains", path)
		}
	}
	if all, ok := sc["allOf"].([]any); ok {
		for _, sub := range all {
			if err := s.validate(doc, sub, v, path); err != nil {
				return err
			}
		}
	}
	if anyOf, ok := sc["anyOf"].([]any); ok {
		if !slices.ContainsFunc(anyOf, func(sub any) bool { return s.validate(doc, sub, v, path) == nil }) {
			return fmt.Errorf("%s: matches none of anyOf", path)
		}
	}
	if oneOf, ok := sc["oneOf"].([]any); ok {
		n := 0
		for _, sub := range oneOf {
			if s.validate(doc, sub, v, path) == nil {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: matches %d of oneOf, want 1", path, n)
		}
	}
	if not, ok := sc["not"]; ok && s.validate(doc, not, v, path) == nil {
		return fmt.Errorf("%s: matches not", path)
	}
	return nil
}

// TestSchemaValidatorWorks checks the validator itself refuses what it
// should, so that passing vectors mean something.
func TestSchemaValidatorWorks(t *testing.T) {
	bad := []string{
		`{"@context":["https://w3id.org/dspace/2025/1/context.jsonld"],"@type":"ContractNegotiation","providerPid":"a","consumerPid":"b","state":"DONE"}`,
		`{"@context":["https://example.com/other"],"@type":"ContractNegotiation","providerPid":"a","consumerPid":"b","state":"REQUESTED"}`,
		`{"@context":["https://w3id.org/dspace/2025/1/context.jsonld"],"@type":"ContractNegotiation","consumerPid":"b","state":"REQUESTED"}`,
		`{"@context":["https://w3id.org/dspace/2025/1/context.jsonld"],"@type":"ContractRequestMessage","consumerPid":"b","providerPid":"a","callbackAddress":"https://x","offer":{"@id":"o","@type":"Offer","permission":[{"action":"use"}]}}`,
		`{"@context":["https://w3id.org/dspace/2025/1/context.jsonld"],"@type":"ContractRequestMessage","consumerPid":"b","providerPid":"a","offer":{"@id":"o","@type":"Offer"}}`,
		`{"@context":["https://w3id.org/dspace/2025/1/context.jsonld"],"@type":"TransferTerminationMessage","providerPid":"a","consumerPid":"b","reason":[]}`,
		`{"protocolVersions":[]}`,
	}
	for _, b := range bad {
		if err := validateMessage([]byte(b)); err == nil {
			t.Errorf("the validator accepts %s", b)
		}
	}
}

type vector struct {
	name string
	data []byte
}

func vectors(t testing.TB) []vector {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(vectorDir, "*", "example", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	var out []vector
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vector{strings.TrimPrefix(f, vectorDir+"/"), b})
	}
	return out
}

func normalize(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return v
}

// TestVectors: every example of the 2025-1 artifacts validates against
// its schema, decodes, and encodes back to the same JSON, which validates
// too.
func TestVectors(t *testing.T) {
	for _, v := range vectors(t) {
		t.Run(v.name, func(t *testing.T) {
			if err := validateMessage(v.data); err != nil {
				t.Fatalf("the example does not validate against its schema: %v", err)
			}
			var out []byte
			if strings.HasSuffix(v.name, "protocol-version.json") {
				vr, err := DecodeVersionResponse(v.data)
				if err != nil {
					t.Fatal(err)
				}
				out = mustJSON(t, vr)
			} else {
				m, err := Decode(v.data)
				if err != nil {
					t.Fatal(err)
				}
				out = mustJSON(t, m)
			}
			if err := validateMessage(out); err != nil {
				t.Errorf("our encoding does not validate: %v\n%s", err, out)
			}
			if got, want := normalize(t, out), normalize(t, v.data); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip differs:\n got %s\nwant %s", out, v.data)
			}
		})
	}
}

// deletions returns copies of doc with one member removed, everywhere in
// the tree, with the path of the member.
func deletions(doc any, path string) (out []struct {
	path string
	doc  any
}) {
	switch x := doc.(type) {
	case map[string]any:
		for k := range x {
			c := cloneJSON(x)
			delete(c, k)
			out = append(out, struct {
				path string
				doc  any
			}{path + "." + k, c})
			for _, sub := range deletions(x[k], path+"."+k) {
				c := cloneJSON(x)
				c[k] = sub.doc
				out = append(out, struct {
					path string
					doc  any
				}{sub.path, c})
			}
		}
	case []any:
		for i := range x {
			for _, sub := range deletions(x[i], fmt.Sprintf("%s[%d]", path, i)) {
				c := slices.Clone(x)
				c[i] = sub.doc
				out = append(out, struct {
					path string
					doc  any
				}{sub.path, c})
			}
		}
	}
	return out
}

func cloneJSON(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// TestRequiredFields deletes every member of every example, at every
// depth: whenever the schema then refuses the document (a required
// member, a oneOf, an anyOf of permission/prohibition), Decode must
// refuse it too. It also counts the schema's required members, so that
// the test is known to exercise them.
func TestRequiredFields(t *testing.T) {
	refused := 0
	for _, v := range vectors(t) {
		if strings.HasSuffix(v.name, "protocol-version.json") {
			continue
		}
		var doc any
		if err := json.Unmarshal(v.data, &doc); err != nil {
			t.Fatal(err)
		}
		for _, d := range deletions(doc, "") {
			b, _ := json.Marshal(d.doc)
			if validateMessage(b) == nil {
				continue
			}
			refused++
			if _, err := Decode(b); err == nil {
				t.Errorf("%s without %s: the schema refuses it, Decode accepts it", v.name, d.path)
			} else if _, ok := err.(*MessageError); !ok {
				t.Errorf("%s without %s: %T %v, want a *MessageError", v.name, d.path, err, err)
			}
		}
	}
	if refused < 60 {
		t.Errorf("only %d deletions break the schemas; the test is not exercising them", refused)
	}
}
