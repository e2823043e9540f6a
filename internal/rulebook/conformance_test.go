package rulebook

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// caseFile is one testdata/cases/*.yaml file: defaults deep-merged under
// every case's scenario.
type caseFile struct {
	Defaults yaml.Node  `yaml:"defaults"`
	Cases    []confCase `yaml:"cases"`
}

type wantDecision struct {
	Route        string    `yaml:"route"`
	Rule         string    `yaml:"rule"`
	NeedsReview  *bool     `yaml:"needs_review"`
	Blocking     *bool     `yaml:"blocking"`
	Alternatives *[]string `yaml:"alternatives"`
	Approval     *bool     `yaml:"approval"`     // an approval is set on the decision
	Obligations  []string  `yaml:"obligations"`  // obligation codes that must be present
	ReviewCodes  []string  `yaml:"review_codes"` // review-reason codes that must be present
	Reasons      []string  `yaml:"reasons"`      // reason codes that must be present
}

type confCase struct {
	Name          string                  `yaml:"name"`
	Rule          string                  `yaml:"rule"`
	Scenario      yaml.Node               `yaml:"scenario"`
	Want          map[string]wantDecision `yaml:"want"`
	Jurisdictions *[]string               `yaml:"jurisdictions"` // exact list of decisions, if given
	Conflicts     *[]string               `yaml:"conflicts"`     // exact list of conflict codes, if given
	WantErrorKey  string                  `yaml:"want_error_key"`
}

type loadedCase struct {
	file string
	c    confCase
	s    Scenario
	err  error // DecodeScenario error
}

// mergeNodes deep-merges mapping node over onto base (over wins).
func mergeNodes(base, over *yaml.Node) *yaml.Node {
	if base == nil || base.Kind == 0 {
		return over
	}
	if over == nil || over.Kind == 0 {
		return base
	}
	if base.Kind == yaml.DocumentNode {
		base = base.Content[0]
	}
	if over.Kind == yaml.DocumentNode {
		over = over.Content[0]
	}
	if base.Kind != yaml.MappingNode || over.Kind != yaml.MappingNode {
		return over
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	idx := map[string]int{}
	for i := 0; i+1 < len(base.Content); i += 2 {
		idx[base.Content[i].Value] = len(out.Content)
		out.Content = append(out.Content, base.Content[i], base.Content[i+1])
	}
	for i := 0; i+1 < len(over.Content); i += 2 {
		k := over.Content[i].Value
		if j, ok := idx[k]; ok {
			out.Content[j+1] = mergeNodes(out.Content[j+1], over.Content[i+1])
			continue
		}
		out.Content = append(out.Content, over.Content[i], over.Content[i+1])
	}
	return out
}

func loadCases(t testing.TB) []loadedCase {
	t.Helper()
	files, err := filepath.Glob("testdata/cases/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no case files: %v", err)
	}
	var out []loadedCase
	names := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cf caseFile
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&cf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range cf.Cases {
			if c.Name == "" || names[c.Name] {
				t.Fatalf("%s: empty or duplicate case name %q", f, c.Name)
			}
			names[c.Name] = true
			n := mergeNodes(&cf.Defaults, &c.Scenario)
			var s Scenario
			var derr error
			if n != nil && n.Kind != 0 {
				derr = decodeNode(n, reflect.ValueOf(&s).Elem(), "")
			}
			out = append(out, loadedCase{file: filepath.Base(f), c: c, s: s, err: derr})
		}
	}
	return out
}

func TestConformance(t *testing.T) {
	rules := map[string]bool{}
	for _, r := range Rules() {
		rules[r.ID] = true
	}
	for _, lc := range loadCases(t) {
		c := lc.c
		t.Run(strings.TrimSuffix(lc.file, ".yaml")+"/"+c.Name, func(t *testing.T) {
			if c.Rule != "" && !rules[c.Rule] {
				t.Fatalf("case names rule %q not in Rules()", c.Rule)
			}
			err := lc.err
			var res Result
			if err == nil {
				res, err = Evaluate(lc.s)
			}
			if c.WantErrorKey != "" {
				var se *ScenarioError
				if !errors.As(err, &se) {
					t.Fatalf("want ScenarioError for %s, got %v", c.WantErrorKey, err)
				}
				if se.Key != c.WantErrorKey {
					t.Fatalf("error key %q, want %q (%v)", se.Key, c.WantErrorKey, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			got := map[string]Decision{}
			var js []string
			for _, d := range res.Decisions {
				got[d.Jurisdiction] = d
				js = append(js, d.Jurisdiction)
				if !rules[d.Rule] {
					t.Errorf("%s: rule %q not in Rules()", d.Jurisdiction, d.Rule)
				}
				for _, tr := range d.Trace {
					if !rules[tr] {
						t.Errorf("%s: trace rule %q not in Rules()", d.Jurisdiction, tr)
					}
				}
				if _, ok := RouteByCode(d.Route); !ok {
					t.Errorf("%s: route %q not in Routes()", d.Jurisdiction, d.Route)
				}
				for _, a := range d.Alternatives {
					if _, ok := RouteByCode(a); !ok {
						t.Errorf("%s: alternative %q not in Routes()", d.Jurisdiction, a)
					}
				}
				if d.NeedsReview != (len(d.ReviewReasons) > 0) {
					t.Errorf("%s: needs_review %v with %d reasons", d.Jurisdiction, d.NeedsReview, len(d.ReviewReasons))
				}
				for _, x := range append(append(slices.Clone(d.Reasons), d.Obligations...), d.ReviewReasons...) {
					if x.Code == "" || x.EN == "" || x.ZH == "" {
						t.Errorf("%s: incomplete text %+v", d.Jurisdiction, x)
					}
				}
			}
			if c.Rule != "" {
				found := false
				for _, d := range res.Decisions {
					if slices.Contains(d.Trace, c.Rule) {
						found = true
					}
				}
				if !found {
					t.Errorf("rule %s not produced; decisions: %s", c.Rule, summary(res))
				}
			}
			if c.Jurisdictions != nil && !slices.Equal(js, *c.Jurisdictions) {
				t.Errorf("jurisdictions %v, want %v", js, *c.Jurisdictions)
			}
			for j, w := range c.Want {
				d, ok := got[j]
				if !ok {
					t.Errorf("no %s decision; got %s", j, summary(res))
					continue
				}
				if w.Route != "" && d.Route != w.Route {
					t.Errorf("%s route %s, want %s (rule %s; %s)", j, d.Route, w.Route, d.Rule, reasons(d))
				}
				if w.Rule != "" && d.Rule != w.Rule {
					t.Errorf("%s rule %s, want %s", j, d.Rule, w.Rule)
				}
				if w.NeedsReview != nil && d.NeedsReview != *w.NeedsReview {
					t.Errorf("%s needs_review %v, want %v; review: %s", j, d.NeedsReview, *w.NeedsReview, codes(d.ReviewReasons))
				}
				if w.Blocking != nil && d.Blocking != *w.Blocking {
					t.Errorf("%s blocking %v, want %v", j, d.Blocking, *w.Blocking)
				}
				if w.Alternatives != nil {
					a, b := slices.Clone(d.Alternatives), slices.Clone(*w.Alternatives)
					sort.Strings(a)
					sort.Strings(b)
					if !slices.Equal(a, b) {
						t.Errorf("%s alternatives %v, want %v", j, d.Alternatives, *w.Alternatives)
					}
				}
				if w.Approval != nil && (d.Approval != nil) != *w.Approval {
					t.Errorf("%s approval %v, want set=%v", j, d.Approval, *w.Approval)
				}
				for _, o := range w.Obligations {
					if !strings.Contains(codes(d.Obligations), o) {
						t.Errorf("%s missing obligation %s; have %s", j, o, codes(d.Obligations))
					}
				}
				for _, o := range w.Reasons {
					if !strings.Contains(codes(d.Reasons), o) {
						t.Errorf("%s missing reason %s; have %s", j, o, codes(d.Reasons))
					}
				}
				for _, o := range w.ReviewCodes {
					if !strings.Contains(codes(d.ReviewReasons), o) {
						t.Errorf("%s missing review reason %s; have %s", j, o, codes(d.ReviewReasons))
					}
				}
			}
			if c.Conflicts != nil {
				var cs []string
				for _, x := range res.Conflicts {
					cs = append(cs, x.Description.Code)
				}
				a, b := slices.Clone(cs), slices.Clone(*c.Conflicts)
				sort.Strings(a)
				sort.Strings(b)
				if !slices.Equal(a, b) {
					t.Errorf("conflicts %v, want %v", cs, *c.Conflicts)
				}
			}
		})
	}
}

func summary(r Result) string {
	var s []string
	for _, d := range r.Decisions {
		s = append(s, d.Jurisdiction+"="+d.Route+"("+d.Rule+")")
	}
	return strings.Join(s, " ")
}

func reasons(d Decision) string { return codes(d.Reasons) }

func codes(ts []Text) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.Code)
	}
	return strings.Join(s, ",")
}

// TestEveryRuleHasACase asserts every registered decision-table row is the
// rule of at least one conformance case.
func TestEveryRuleHasACase(t *testing.T) {
	have := map[string]bool{}
	for _, lc := range loadCases(t) {
		have[lc.c.Rule] = true
	}
	for _, r := range Rules() {
		if !have[r.ID] {
			t.Errorf("rule %s (%s) has no conformance case", r.ID, r.Summary)
		}
	}
}

func FuzzEvaluate(f *testing.F) {
	for _, lc := range loadCases(f) {
		if lc.err != nil {
			continue
		}
		b, err := yaml.Marshal(lc.s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeScenario(data)
		if err != nil {
			var se *ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("DecodeScenario error is not a ScenarioError: %v", err)
			}
			return
		}
		verr := s.Validate()
		res, err := Evaluate(s)
		if (verr == nil) != (err == nil) {
			t.Fatalf("Validate %v but Evaluate %v", verr, err)
		}
		if err != nil {
			var se *ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("Evaluate error is not a ScenarioError: %v", err)
			}
			return
		}
		for _, d := range res.Decisions {
			if d.Route == "" || d.Rule == "" {
				t.Fatalf("empty route or rule: %+v", d)
			}
		}
	})
}
