package contract

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piprate/json-gold/ld"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -run %s -update to accept):\n%s", path, t.Name(), diffLines(string(want), string(got)))
	}
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			fmt.Fprintf(&b, "line %d:\n- %s\n+ %s\n", i+1, a, c)
			if b.Len() > 2000 {
				break
			}
		}
	}
	return b.String()
}

func readParams(t testing.TB, name string) Params {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "params", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseParams(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func instantiate(t testing.TB, c *Catalog, name string) *Policy {
	t.Helper()
	tpl, err := c.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	offer, err := tpl.Instantiate(readParams(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return offer
}

// TestInstantiate: every built-in template with its example parameters
// gives the golden offer in both forms; each form parses back to the same
// policy; each expands as JSON-LD without dropping a term or leaving a
// relative IRI; and the offer has every clause its template lists.
func TestInstantiate(t *testing.T) {
	c := builtin(t)
	for _, tpl := range c.List() {
		t.Run(tpl.Name, func(t *testing.T) {
			offer := instantiate(t, c, tpl.Name)
			for _, clause := range tpl.Clauses {
				optional := false
				for _, p := range clauseKinds[clause].params {
					if _, given := readParams(t, tpl.Name)[p.name]; !given {
						if ps, _ := tpl.Param(p.name); ps != nil && ps.Default.Kind == 0 && ps.Fixed.Kind == 0 {
							optional = true
						}
					}
				}
				if !ClausePresent(clause, offer) && !optional {
					t.Errorf("clause %s missing from the offer", clause)
				}
			}
			for _, f := range []struct {
				form Form
				ext  string
			}{{FormODRL, "odrl"}, {FormDSP, "dsp"}} {
				out, err := offer.MarshalIndent(f.form)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join("offers", tpl.Name+"."+f.ext+".json"), out)
				back, err := ParsePolicy(out)
				if err != nil {
					t.Fatalf("%s form does not parse back: %v", f.ext, err)
				}
				again, err := back.MarshalIndent(f.form)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(again, out) {
					t.Errorf("%s form: parse and marshal changed the offer:\n%s", f.ext, diffLines(string(out), string(again)))
				}
				checkExpansion(t, f.form, out)
			}
			// Same template and parameters, same offer id.
			if again := instantiate(t, c, tpl.Name); again.UID != offer.UID {
				t.Errorf("uid not stable: %s, %s", offer.UID, again.UID)
			}
		})
	}
}

// pinnedLoader serves the JSON-LD contexts pinned in internal/vc, never
// the network.
type pinnedLoader struct{}

func (pinnedLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	files := map[string]string{
		ODRLContext: "www.w3.org_ns_odrl.jsonld",
		DSPContext:  "w3id.org_dspace_2025_1_context.jsonld",
		"https://w3id.org/dspace/2025/1/odrl-profile.jsonld": "w3id.org_dspace_2025_1_odrl-profile.jsonld",
	}
	f, ok := files[u]
	if !ok {
		return nil, fmt.Errorf("context %s is not pinned", u)
	}
	data, err := os.ReadFile(filepath.Join("..", "vc", "contexts", f))
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

// checkExpansion expands the policy with json-gold in safe mode (a term
// that does not expand to an IRI is an error) and fails on any relative
// IRI in the result: the JSON-LD traps of policies that look right as
// plain JSON and mean nothing as linked data.
func checkExpansion(t *testing.T, f Form, policy []byte) {
	t.Helper()
	problems, err := expansionProblems(f, policy)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

func expansionProblems(f Form, policy []byte) ([]string, error) {
	var problems []string
	var doc map[string]any
	if err := json.Unmarshal(policy, &doc); err != nil {
		return nil, err
	}
	var input any = doc
	if f == FormDSP {
		input = map[string]any{
			"@context":        []any{DSPContext},
			"@type":           "ContractOfferMessage",
			"providerPid":     "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
			"callbackAddress": "https://provider.example/dsp",
			"offer":           doc,
		}
	}
	proc := ld.NewJsonLdProcessor()
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = pinnedLoader{}
	opts.SafeMode = true
	opts.ProcessingMode = ld.JsonLd_1_1
	out, err := proc.Expand(input, opts)
	if err != nil {
		return nil, fmt.Errorf("expansion: %w", err)
	}
	var walk func(v any, path string)
	seen := 0
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "@id" || k == "@type" {
					for _, s := range asStrings(e) {
						if !strings.Contains(s, ":") && !strings.HasPrefix(s, "@") {
							problems = append(problems, fmt.Sprintf("%s.%s: relative IRI %q", path, k, s))
						}
						seen++
					}
				}
				if k == "@value" {
					continue
				}
				walk(e, path+"."+k)
			}
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(out, "")
	if seen == 0 {
		problems = append(problems, "nothing expanded")
	}
	return problems, nil
}

// TestExpansionCheckWorks: the check catches the trap it is for, a bare
// "purpose" under the DSP context (no @vocab there: it stays relative),
// and an unknown member (safe mode).
func TestExpansionCheckWorks(t *testing.T) {
	offer := instantiate(t, builtin(t), "general")
	dsp, err := offer.Marshal(FormDSP)
	if err != nil {
		t.Fatal(err)
	}
	bare := bytes.ReplaceAll(dsp, []byte(`"odrl:purpose"`), []byte(`"purpose"`))
	if p, err := expansionProblems(FormDSP, bare); err != nil || len(p) == 0 {
		t.Errorf("bare purpose in DSP form not caught: %v %v", p, err)
	}
	odrl, err := offer.Marshal(FormODRL)
	if err != nil {
		t.Fatal(err)
	}
	unknown := bytes.Replace(odrl, []byte(`"target"`), []byte(`"colour":"red","target"`), 1)
	if _, err := expansionProblems(FormODRL, unknown); err == nil {
		t.Error("unknown member not caught in safe mode")
	}
}

func asStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func TestInstantiateErrors(t *testing.T) {
	c := builtin(t)
	tests := []struct {
		template, params, want string
	}{
		{"general", `{}`, "target: required"},
		{"general", `{"target": "orders", "purposes": ["analytics"], "jurisdictions": ["DE"], "period": {"start": "2026-01-01", "end": "2026-02-01"}}`, "not an absolute IRI"},
		{"general", `{"target": "urn:x:y", "purposes": ["world_domination"], "jurisdictions": ["DE"], "period": {"start": "2026-01-01", "end": "2026-02-01"}}`, "assess vocabulary"},
		{"general", `{"target": "urn:x:y", "purposes": ["analytics"], "jurisdictions": ["Germany"], "period": {"start": "2026-01-01", "end": "2026-02-01"}}`, "ISO 3166-1"},
		{"general", `{"target": "urn:x:y", "purposes": ["analytics"], "jurisdictions": ["DE"], "period": {"start": "2026-03-01", "end": "2026-02-01"}}`, "before start"},
		{"general", `{"target": "urn:x:y", "purposes": ["analytics"], "jurisdictions": ["DE"], "period": {"start": "2026-01-01", "end": "2026-02-01"}, "colour": "red"}`, "colour: not a parameter"},
		{"general", `{"target": "urn:x:y", "purposes": ["analytics"], "jurisdictions": ["DE"], "period": {"start": "2026-01-01", "end": "2026-02-01"}, "max_count": 0}`, "below the minimum"},
		{"general", `{"target": "urn:x:y", "purposes": ["analytics"], "jurisdictions": ["DE"], "period": {"start": "2026-01-01", "end": "2026-02-01"}, "max_count": 1.5}`, "whole number"},
		{"general", `{"target": "urn:x:y", "purposes": ["analytics"], "jurisdictions": ["DE"], "period": {"start": "2026-01-01", "end": "2026-02-01"}, "max_bytes": "lots"}`, "size such as"},
		{"general", `{"target": "urn:x:y", "purposes": ["analytics"], "jurisdictions": ["DE"], "period": {"start": "2026-01-01", "end": "2026-02-01"}, "recipients": ["bob"]}`, "not a DID"},
		{"general", `{"target": "urn:x:y", "purposes": ["analytics"], "jurisdictions": ["DE", "DE"], "period": {"start": "2026-01-01", "end": "2026-02-01"}}`, "listed twice"},
		{"general", `{"target": "urn:x:y", "purposes": ["analytics"], "jurisdictions": ["DE"], "period": {"start": "2026-01-01", "end": "2026-02-01"}, "pricing": {"currency": "CNY", "components": [{"model": "per_call", "tiers": [{"price": 1}]}]}}`, "decimal strings"},
		{"general-computation", `{"target": "urn:x:y", "purposes": ["analytics"], "jurisdictions": ["DE"], "period": {"start": "2026-01-01", "end": "2026-02-01"}, "channels": ["file_transfer"]}`, "fixed by template"},
		{"health-research", `{"target": "urn:x:y", "purposes": ["marketing"], "recipients": ["did:web:a.example"], "jurisdictions": ["DE"], "period": {"start": "2026-01-01", "end": "2026-02-01"}}`, "this template accepts"},
		{"eu-scc-transfer", `{"target": "urn:x:y", "scc_module": "m9", "purposes": ["analytics"], "recipients": ["did:web:a.example"], "jurisdictions": ["US"], "period": {"start": "2026-01-01", "end": "2026-02-01"}}`, "accepted: m1"},
		{"cn-standard-contract", `{"target": "urn:x:y", "purposes": ["analytics"], "recipients": ["did:web:a.example"], "jurisdictions": ["US"], "period": {"start": "2026-01-01", "end": "2026-02-01"}, "routes": ["EU_BCR"]}`, "this template accepts"},
		{"health-research", `{"target": "urn:x:y", "provider": "did:web:p.example", "purposes": ["research"], "recipients": ["did:web:a.example"], "jurisdictions": ["DE"], "period": {"start": "2026-01-01", "end": "2026-02-01"}, "pricing": {"currency": "EUR", "components": [{"model": "per_call", "tiers": [{"price": "1"}]}], "revenue_share": {"basis": "rows", "providers": [{"party": "did:web:other.example"}]}}}`, "does not list the assigner"},
	}
	for _, tc := range tests {
		tpl, err := c.Get(tc.template)
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParseParams([]byte(tc.params))
		if err == nil {
			_, err = tpl.Instantiate(p)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: err %v, want %q", tc.template, tc.params, err, tc.want)
		}
	}
	for _, bad := range []string{`[]`, `{"a":1,"a":2}`, `{"a":1} x`, `null`, strings.Repeat(" ", MaxParamsBytes+1)} {
		if _, err := ParseParams([]byte(bad)); err == nil {
			t.Errorf("ParseParams(%.20q) accepted", bad)
		}
	}
}
