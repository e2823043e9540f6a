package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestExpandNoTermDropped expands every test entry, and a catalog holding
// them, with json-gold and the pinned contexts, in safe mode (a key that
// maps to no IRI is an error), then checks that every property, type and
// node reference is an absolute IRI and that every value of the plain JSON
// is still there after expansion.
func TestExpandNoTermDropped(t *testing.T) {
	l, err := NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/normalized/*.json")
	if len(files) < 3 {
		t.Fatal("run TestEntriesNormalise -update first")
	}
	docs := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[filepath.Base(f)] = b
	}
	// a catalog with the entries, exported
	db := openTestDB(t)
	c := newTestCatalog(t, db, Config{})
	ctx := context.Background()
	if err := c.SetInfo(ctx, Info{ID: "urn:uuid:3afeadd8-ed2d-569e-d634-8394a8836d57", ParticipantID: "did:web:retail.example.cn",
		Title:   LangMap{"zh": "零售数据目录", "en": "Retail data catalog"},
		Service: &DataService{ID: "urn:uuid:4aa2dcc8-4d2d-569e-d634-8394a8834d77", EndpointURL: "https://connector.retail.example.cn/dsp"}}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"full.json", "minimal.json", "eu-health.json"} {
		mustRegister(t, c, readEntry(t, filepath.Join("testdata", "entries", f)))
	}
	var cat bytes.Buffer
	if _, err := c.Export(ctx, &cat, Operator(), ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	docs["catalog"] = cat.Bytes()

	for name, b := range docs {
		t.Run(name, func(t *testing.T) {
			expanded, err := l.Expand(b)
			if err != nil {
				t.Fatalf("expansion failed: %v", err)
			}
			var compact any
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&compact); err != nil {
				t.Fatal(err)
			}
			for _, p := range notIRIs("", expanded) {
				t.Error(p)
			}
			want := map[string]int{}
			compactLeaves(compact, "", want)
			got := map[string]int{}
			expandedLeaves(expanded, got)
			for v, n := range want {
				if got[v] < n {
					t.Errorf("value %s appears %d times in the plain JSON but %d times after expansion", v, n, got[v])
				}
			}
		})
	}
}

// jsonKeys are the terms whose values are JSON literals (@type @json).
func jsonKeys() []string { return []string{"accessPolicy", "usBulk"} }

// compactLeaves counts the leaf values of the plain JSON, skipping
// @context and @type (types are checked as IRIs) and counting a JSON
// literal as one value.
func compactLeaves(v any, key string, out map[string]int) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "@context" || k == "@type" {
				continue
			}
			if slices.Contains(jsonKeys(), k) {
				out["json:"+canonJSON(e)]++
				continue
			}
			if key == "checksum" && k == "algorithm" {
				k = "checksum.algorithm"
			}
			compactLeaves(e, k, out)
		}
	case []any:
		for _, e := range x {
			compactLeaves(e, key, out)
		}
	case string:
		out[expectedValue(key, x)]++
	default:
		out[fmt.Sprint(x)]++
	}
}

// expectedValue is what a compact string becomes once expanded: the terms
// typed @vocab turn into IRIs.
func expectedValue(key, v string) string {
	switch key {
	case "updateFrequency":
		return "http://purl.org/cld/freq/" + v
	case "mediaType":
		return "https://www.iana.org/assignments/media-types/" + v
	case "checksum.algorithm":
		return "http://spdx.org/rdf/terms#checksumAlgorithm_" + v
	case "format":
		return Vocab + v
	case "action", "operator":
		if !strings.Contains(v, ":") {
			return "http://www.w3.org/ns/odrl/2/" + v
		}
		fallthrough
	case "leftOperand":
		if rest, ok := strings.CutPrefix(v, "odrl:"); ok {
			return "http://www.w3.org/ns/odrl/2/" + rest
		}
	}
	return v
}

func expandedLeaves(v any, out map[string]int) {
	switch x := v.(type) {
	case map[string]any:
		if val, ok := x["@value"]; ok {
			if x["@type"] == "@json" {
				out["json:"+canonJSON(val)]++
			} else {
				out[fmt.Sprint(val)]++
			}
			return
		}
		for k, e := range x {
			if k == "@id" {
				out[fmt.Sprint(e)]++
				continue
			}
			if k == "@type" {
				continue
			}
			expandedLeaves(e, out)
		}
	case []any:
		for _, e := range x {
			expandedLeaves(e, out)
		}
	}
}

func canonJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// notIRIs lists the properties, types and @ids that are not absolute IRIs.
func notIRIs(path string, v any) []string {
	abs := func(s string) bool {
		u, err := url.Parse(s)
		return err == nil && u.Scheme != ""
	}
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if x["@type"] == "@json" {
			return nil
		}
		for k, e := range x {
			p := path + "/" + k
			switch {
			case k == "@id":
				if s, _ := e.(string); !abs(s) {
					out = append(out, fmt.Sprintf("%s: @id %v is not an absolute IRI", p, e))
				}
			case k == "@type":
				for _, ty := range asList(e) {
					if s, _ := ty.(string); !abs(s) {
						out = append(out, fmt.Sprintf("%s: type %v is not an absolute IRI", p, ty))
					}
				}
			case strings.HasPrefix(k, "@"):
			default:
				if !abs(k) {
					out = append(out, fmt.Sprintf("%s: property %q is not an absolute IRI", path, k))
				}
			}
			if k != "@value" {
				out = append(out, notIRIs(p, e)...)
			}
		}
	case []any:
		for i, e := range x {
			out = append(out, notIRIs(fmt.Sprintf("%s[%d]", path, i), e)...)
		}
	}
	return out
}

// TestExpandCatchesTraps is the negative control of TestExpandNoTermDropped:
// an unknown key fails the expansion, and a bare ODRL left operand (the
// DSP example's "spatial") shows up as a relative IRI.
func TestExpandCatchesTraps(t *testing.T) {
	l, err := NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	ctx := `"@context":["` + DSPContext + `","` + ContextURL + `"],"@type":"Dataset","@id":"urn:x:1"`
	if _, err := l.Expand([]byte(`{` + ctx + `,"titel":{"en":"x"}}`)); err == nil {
		t.Error("an undefined key expanded without error")
	}
	exp, err := l.Expand([]byte(`{` + ctx + `,"hasPolicy":[{"@id":"urn:x:2","@type":"Offer","permission":[{"action":"use","constraint":[{"leftOperand":"spatial","operator":"eq","rightOperand":"EU"}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(notIRIs("", exp)) == 0 {
		t.Error("a relative left operand was not noticed")
	}
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// TestDSPODRLTerms keeps dspODRLTerms equal to the pinned DSP ODRL profile.
func TestDSPODRLTerms(t *testing.T) {
	l, err := NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := l.LoadDocument("https://w3id.org/dspace/2025/1/odrl-profile.jsonld")
	if err != nil {
		t.Fatal(err)
	}
	ctx := doc.Document.(map[string]any)["@context"].(map[string]any)
	var keys []string
	for k := range ctx {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, dspODRLTerms()) {
		t.Errorf("dspODRLTerms is out of date; the pinned context defines %q", keys)
	}
}

// TestContextAvoidsODRLTerms: no top-level term of our context has the name
// of an ODRL 2.2 term. A vocabulary value in an offer ("purpose",
// "industry", "spatial") is resolved against every term in scope, so a
// term of ours with that name would silently change what the offer means.
// Property-scoped terms (inside business, governance, …) do not reach
// offers and may reuse names.
func TestContextAvoidsODRLTerms(t *testing.T) {
	l, err := NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := l.LoadDocument("https://www.w3.org/ns/odrl.jsonld")
	if err != nil {
		t.Fatal(err)
	}
	odrl := doc.Document.(map[string]any)["@context"].(map[string]any)
	var ours map[string]map[string]any
	if err := json.Unmarshal(ContextDocument(), &ours); err != nil {
		t.Fatal(err)
	}
	for term := range ours["@context"] {
		if _, clash := odrl[term]; clash && !strings.HasPrefix(term, "@") {
			t.Errorf("our context defines %q, an ODRL term", term)
		}
	}
	// and not the names the DSP context protects
	dsp, err := l.LoadDocument(DSPContext)
	if err != nil {
		t.Fatal(err)
	}
	for term := range dsp.Document.(map[string]any)["@context"].(map[string]any) {
		if _, clash := ours["@context"][term]; clash && !strings.HasPrefix(term, "@") {
			t.Errorf("our context redefines %q, a protected term of the DSP context", term)
		}
	}
}

// TestLoaderOffline: the loader serves our context and the pinned ones,
// and nothing else.
func TestLoaderOffline(t *testing.T) {
	l, err := NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range Contexts() {
		if _, err := l.LoadDocument(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if _, err := l.LoadDocument("https://example.com/context.jsonld"); err == nil {
		t.Error("an unpinned context was served")
	}
}
