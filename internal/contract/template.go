package contract

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Template kinds (§2.2.3.2: 通用模板、行业模板、合规模板).
const (
	KindGeneral    = "general"
	KindIndustry   = "industry"
	KindCompliance = "compliance"
)

// Text is a message in English and Chinese.
type Text struct {
	EN string `yaml:"en" json:"en"`
	ZH string `yaml:"zh" json:"zh"`
}

// In returns the text in lang ("zh-CN"/"zh" or anything else for English).
func (t Text) In(lang string) string {
	if strings.HasPrefix(lang, "zh") {
		return t.ZH
	}
	return t.EN
}

// Template is a contract template: typed parameters, the clauses it puts
// into an offer, its legal terms and its compliance baseline.
type Template struct {
	Name        string      `yaml:"name" json:"name"`
	Version     string      `yaml:"version" json:"version"`
	Kind        string      `yaml:"kind" json:"kind"`
	Industry    string      `yaml:"industry,omitempty" json:"industry,omitempty"`
	Title       Text        `yaml:"title" json:"title"`
	Description Text        `yaml:"description" json:"description"`
	Basis       []string    `yaml:"basis,omitempty" json:"basis,omitempty"`
	Params      []ParamSpec `yaml:"params" json:"params"`
	Clauses     []string    `yaml:"clauses" json:"clauses"`
	// Baseline lists the clauses an offer naming this template must keep
	// to pass review, however it was customised.
	Baseline []string   `yaml:"baseline,omitempty" json:"baseline,omitempty"`
	Terms    []TermSpec `yaml:"terms,omitempty" json:"terms,omitempty"`
}

// ParamSpec declares one parameter.
type ParamSpec struct {
	Name     string    `yaml:"name" json:"name"`
	Type     string    `yaml:"type" json:"type"`
	Required bool      `yaml:"required,omitempty" json:"required,omitempty"`
	Default  yaml.Node `yaml:"default,omitempty" json:"-"`
	// Fixed is a value the template sets; params may repeat it, not change it.
	Fixed yaml.Node `yaml:"fixed,omitempty" json:"-"`
	// Allowed restricts a list or enum parameter to these values.
	Allowed []string `yaml:"allowed,omitempty" json:"allowed,omitempty"`
	Min     *int64   `yaml:"min,omitempty" json:"min,omitempty"`
	Max     *int64   `yaml:"max,omitempty" json:"max,omitempty"`
	Title   Text     `yaml:"title" json:"title"`

	// DefaultJSON and FixedJSON are the YAML values as JSON, for listings.
	DefaultJSON any `yaml:"-" json:"default,omitempty"`
	FixedJSON   any `yaml:"-" json:"fixed,omitempty"`
}

// TermSpec is a legal clause in both languages; {{name}} placeholders are
// filled from the parameters.
type TermSpec struct {
	Code string `yaml:"code" json:"code"`
	EN   string `yaml:"en" json:"en"`
	ZH   string `yaml:"zh" json:"zh"`
}

// ID is "name@version", the template reference offers carry.
func (t *Template) ID() string { return t.Name + "@" + t.Version }

// Param returns the parameter spec with the given name.
func (t *Template) Param(name string) (*ParamSpec, bool) {
	for i := range t.Params {
		if t.Params[i].Name == name {
			return &t.Params[i], true
		}
	}
	return nil, false
}

//go:embed templates/*.yaml
var templateFS embed.FS

// MaxTemplateBytes bounds a template file.
const MaxTemplateBytes = 256 << 10

// Catalog is a read-only set of templates by name.
type Catalog struct {
	byName map[string]*Template
}

// BuiltinTemplates parses the templates compiled into xborder. It fails
// only on a bug (the templates are tested).
func BuiltinTemplates() (*Catalog, error) {
	entries, err := templateFS.ReadDir("templates")
	if err != nil {
		return nil, fmt.Errorf("reading the built-in templates: %w", err)
	}
	c := &Catalog{byName: map[string]*Template{}}
	for _, e := range entries {
		data, err := templateFS.ReadFile(path.Join("templates", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("reading template %s: %w", e.Name(), err)
		}
		t, err := ParseTemplate(data)
		if err != nil {
			return nil, fmt.Errorf("built-in template %s: %w", e.Name(), err)
		}
		if _, dup := c.byName[t.Name]; dup {
			return nil, fmt.Errorf("built-in template %s: name %q used twice", e.Name(), t.Name)
		}
		c.byName[t.Name] = t
	}
	return c, nil
}

// List returns the templates ordered by kind (general, industry,
// compliance) then name.
func (c *Catalog) List() []*Template {
	var out []*Template
	for _, t := range c.byName {
		out = append(out, t)
	}
	rank := map[string]int{KindGeneral: 0, KindIndustry: 1, KindCompliance: 2}
	sort.Slice(out, func(i, j int) bool {
		if rank[out[i].Kind] != rank[out[j].Kind] {
			return rank[out[i].Kind] < rank[out[j].Kind]
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Get returns the template named name (a "name@version" reference must
// match the version too).
func (c *Catalog) Get(ref string) (*Template, error) {
	name, version, _ := strings.Cut(ref, "@")
	t, ok := c.byName[name]
	if !ok {
		var names []string
		for _, t := range c.List() {
			names = append(names, t.Name)
		}
		return nil, fmt.Errorf("no template %q (known: %s)", name, strings.Join(names, ", "))
	}
	if version != "" && version != t.Version {
		return nil, fmt.Errorf("template %s is at version %s, not %s", name, t.Version, version)
	}
	return t, nil
}

var (
	nameRE        = regexp.MustCompile(`^[a-z][a-z0-9-]{1,62}$`)
	placeholderRE = regexp.MustCompile(`\{\{\s*([a-z_]+)\s*\}\}`)
	codeRE        = regexp.MustCompile(`^[a-z][a-z0-9_{}]*$`)
)

// ParseTemplate reads and checks a template in YAML: unknown keys,
// unknown parameter types or clause kinds, clauses whose parameters are
// not declared, and placeholders naming no parameter are errors.
func ParseTemplate(data []byte) (*Template, error) {
	if len(data) > MaxTemplateBytes {
		return nil, fmt.Errorf("template: larger than %d bytes", MaxTemplateBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var t Template
	if err := dec.Decode(&t); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("template: empty")
		}
		return nil, fmt.Errorf("template: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("template: more than one YAML document")
	}
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("template %s: %w", t.Name, err)
	}
	return &t, nil
}

func (t *Template) check() error {
	if !nameRE.MatchString(t.Name) {
		return fmt.Errorf("name %q: lower-case letters, digits and hyphens", t.Name)
	}
	if t.Version == "" || strings.ContainsAny(t.Version, "@ \t\n") {
		return fmt.Errorf("version %q", t.Version)
	}
	switch t.Kind {
	case KindGeneral, KindCompliance:
	case KindIndustry:
		if t.Industry == "" {
			return errors.New("an industry template names its industry")
		}
	default:
		return fmt.Errorf("kind %q (accepted: general, industry, compliance)", t.Kind)
	}
	if t.Title.EN == "" || t.Title.ZH == "" {
		return errors.New("title needs en and zh")
	}
	seen := map[string]bool{}
	for i := range t.Params {
		ps := &t.Params[i]
		if seen[ps.Name] {
			return fmt.Errorf("parameter %q declared twice", ps.Name)
		}
		seen[ps.Name] = true
		if err := ps.check(); err != nil {
			return fmt.Errorf("parameter %s: %w", ps.Name, err)
		}
	}
	if _, ok := t.Param("target"); !ok {
		return errors.New("every template has a target parameter (the dataset)")
	}
	for _, c := range t.Clauses {
		spec, ok := clauseKinds[c]
		if !ok {
			return fmt.Errorf("clause %q (known: %s)", c, strings.Join(clauseNames(), ", "))
		}
		for _, p := range spec.params {
			ps, ok := t.Param(p.name)
			if !ok {
				if p.mandatory {
					return fmt.Errorf("clause %s needs parameter %s", c, p.name)
				}
				continue
			}
			if ps.Type != p.typ {
				return fmt.Errorf("clause %s: parameter %s must be of type %s, not %s", c, p.name, p.typ, ps.Type)
			}
		}
	}
	if len(t.Clauses) != len(slices.Compact(slices.Sorted(slices.Values(t.Clauses)))) {
		return errors.New("a clause is listed twice")
	}
	for _, b := range t.Baseline {
		if !slices.Contains(t.Clauses, b) {
			return fmt.Errorf("baseline clause %s is not among the clauses", b)
		}
	}
	for _, term := range t.Terms {
		if !codeRE.MatchString(term.Code) || term.EN == "" || term.ZH == "" {
			return fmt.Errorf("term %q needs a code (lower case) and both texts", term.Code)
		}
		for _, s := range []string{term.Code, term.EN, term.ZH} {
			for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
				if _, ok := t.Param(m[1]); !ok {
					return fmt.Errorf("term %s: placeholder {{%s}} names no parameter", term.Code, m[1])
				}
			}
		}
	}
	// Defaults and fixed values must be valid values of their type.
	for i := range t.Params {
		ps := &t.Params[i]
		for _, n := range []struct {
			node *yaml.Node
			dst  *any
			what string
		}{{&ps.Default, &ps.DefaultJSON, "default"}, {&ps.Fixed, &ps.FixedJSON, "fixed"}} {
			if n.node.Kind == 0 {
				continue
			}
			raw, err := yamlToJSON(n.node)
			if err != nil {
				return fmt.Errorf("parameter %s: %s: %w", ps.Name, n.what, err)
			}
			if _, err := ps.decode(raw); err != nil {
				return fmt.Errorf("parameter %s: %s: %w", ps.Name, n.what, err)
			}
			var v any
			if err := jsonUnmarshal(raw, &v); err == nil {
				*n.dst = v
			}
		}
	}
	return nil
}
