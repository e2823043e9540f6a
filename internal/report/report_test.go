package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/classify"
	"github.com/xborder/xborder/internal/rulebook"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var (
	allFormats = []Format{Text, JSON, Markdown, HTML}
	allLangs   = []Lang{ZH, EN}
)

func render(t *testing.T, fx fixture, f Format, lang Lang) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := (Options{Version: "v0.0.0-test"}).Render(&b, fx.r, f, lang); err != nil {
		t.Fatalf("%s %s %s: %v", fx.name, f, lang, err)
	}
	return b.Bytes()
}

// TestGolden compares every format × language × fixture with testdata/.
// Run with -update to rewrite the files after a deliberate change.
func TestGolden(t *testing.T) {
	for _, fx := range fixtures() {
		for _, f := range allFormats {
			for _, lang := range allLangs {
				name := fx.name + "." + string(lang) + f.Ext()
				t.Run(name, func(t *testing.T) {
					got := render(t, fx, f, lang)
					path := filepath.Join("testdata", name)
					if *update {
						if err := os.WriteFile(path, got, 0o644); err != nil {
							t.Fatal(err)
						}
						return
					}
					want, err := os.ReadFile(path)
					if err != nil {
						t.Fatalf("%v (run go test -update)", err)
					}
					if !bytes.Equal(got, want) {
						t.Errorf("output differs from %s (run go test -update and review the diff)\n%s", path, firstDiff(got, want))
					}
				})
			}
		}
	}
}

func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + a + "\nwant: " + b
		}
	}
	return ""
}

func TestDeterministic(t *testing.T) {
	for _, fx := range fixtures() {
		for _, f := range allFormats {
			a, b := render(t, fx, f, ZH), render(t, fx, f, ZH)
			if !bytes.Equal(a, b) {
				t.Errorf("%s %s: two renders differ", fx.name, f)
			}
		}
	}
}

// TestJSONContract checks the names docs/assess.md fixes.
func TestJSONContract(t *testing.T) {
	for _, fx := range fixtures() {
		for _, lang := range allLangs {
			out := render(t, fx, JSON, lang)
			if !bytes.HasSuffix(out, []byte("}\n")) || !bytes.Contains(out, []byte("\n  \"as_of\"")) {
				t.Errorf("%s: want 2-space indent and a trailing newline", fx.name)
			}
			var doc map[string]any
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatalf("%s: %v", fx.name, err)
			}
			hasKeys(t, fx.name, doc, "as_of", "profile", "decisions", "conflicts", "what_if", "year_to_date", "materials", "scenario", "inputs", "tool")
			if doc["as_of"] != "2026-04-15" {
				t.Errorf("%s: as_of = %v", fx.name, doc["as_of"])
			}
			prof := doc["profile"].(map[string]any)
			hasKeys(t, fx.name+".profile", prof, "rows", "individuals", "sensitive_individuals", "fields")
			for _, f := range prof["fields"].([]any) {
				hasKeys(t, fx.name+".fields[]", f.(map[string]any), "name", "class", "personal", "sensitive", "confidence", "valid_ratio", "example")
			}
			decs := doc["decisions"].([]any)
			if len(decs) != len(fx.r.Decisions) {
				t.Fatalf("%s: %d decisions, want %d", fx.name, len(decs), len(fx.r.Decisions))
			}
			for i, d := range decs {
				dm := d.(map[string]any)
				hasKeys(t, fx.name+".decisions[]", dm, "jurisdiction", "route", "alternatives", "obligations", "citations", "reasons", "needs_review",
					"review_reasons", "rule", "blocking", "approval", "obligation_codes", "citation_details")
				if dm["route"] != fx.r.Decisions[i].Route {
					t.Errorf("%s: route %v, want %s", fx.name, dm["route"], fx.r.Decisions[i].Route)
				}
				for _, c := range dm["citations"].([]any) {
					if _, ok := c.(string); !ok {
						t.Errorf("%s: citations must be ref strings, got %T", fx.name, c)
					}
				}
				for j, o := range dm["obligations"].([]any) {
					if want := fx.r.Decisions[i].Obligations[j].In(string(lang)); o != want {
						t.Errorf("%s %s: obligation %q, want %q", fx.name, lang, o, want)
					}
				}
			}
			tool := doc["tool"].(map[string]any)
			if tool["name"] != "xborder" || tool["version"] != "v0.0.0-test" {
				t.Errorf("%s: tool = %v", fx.name, tool)
			}
		}
	}
}

func hasKeys(t *testing.T, where string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: missing key %q", where, k)
		}
	}
}

// TestJSONNoNull: arrays are [] and never null; the only null allowed is
// a decision's "approval" when none is on record.
func TestJSONNoNull(t *testing.T) {
	for _, fx := range fixtures() {
		var doc any
		if err := json.Unmarshal(render(t, fx, JSON, EN), &doc); err != nil {
			t.Fatal(err)
		}
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, e := range x {
					if e == nil && k != "approval" {
						t.Errorf("%s: %s.%s is null", fx.name, path, k)
					}
					walk(path+"."+k, e)
				}
			case []any:
				for _, e := range x {
					walk(path+"[]", e)
				}
			}
		}
		walk("$", doc)
	}
}

func TestJSONScenarioOnlyProfile(t *testing.T) {
	var doc struct {
		Profile struct {
			Individuals int64 `json:"individuals"`
			Fields      []any `json:"fields"`
			Source      string
		}
	}
	if err := json.Unmarshal(render(t, exemptFixture(), JSON, EN), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Profile.Individuals != 40000 || doc.Profile.Fields == nil || len(doc.Profile.Fields) != 0 || doc.Profile.Source != "scenario" {
		t.Errorf("scenario-only profile = %+v", doc.Profile)
	}
}

// TestHTMLSelfContained: well formed, no script, no external resource, only
// the fixture's citation links, lang set.
func TestHTMLSelfContained(t *testing.T) {
	href := regexp.MustCompile(`href="([^"]*)"`)
	for _, fx := range fixtures() {
		for _, lang := range allLangs {
			out := render(t, fx, HTML, lang)
			s := string(out)
			if !strings.Contains(s, `<html lang="`+string(lang)+`">`) {
				t.Errorf("%s: lang attribute missing", fx.name)
			}
			for _, bad := range []string{"<script", "<link", "<iframe", "<img", "src=", "@import", "url(", "javascript:"} {
				if strings.Contains(strings.ToLower(s), bad) {
					t.Errorf("%s %s: HTML contains %q", fx.name, lang, bad)
				}
			}
			for _, m := range href.FindAllStringSubmatch(s, -1) {
				ok := false
				for _, u := range fx.urls {
					ok = ok || m[1] == u
				}
				if !ok {
					t.Errorf("%s: unexpected link %q", fx.name, m[1])
				}
			}
			wellFormed(t, fx.name, out)
		}
	}
}

// wellFormed checks that every element is closed in order: void elements
// and self-closing SVG elements excepted, the style sheet skipped.
func wellFormed(t *testing.T, name string, page []byte) {
	t.Helper()
	s := string(page)
	if i, j := strings.Index(s, "<style>"), strings.Index(s, "</style>"); i >= 0 && j > i {
		s = s[:i] + s[j+len("</style>"):]
	}
	void := map[string]bool{"meta": true, "br": true, "hr": true, "img": true, "input": true, "link": true}
	var stack []string
	for _, m := range tagRE.FindAllStringSubmatch(s, -1) {
		closing, tag, self := m[1] == "/", strings.ToLower(m[2]), strings.HasSuffix(m[0], "/>")
		switch {
		case void[tag] || self:
		case !closing:
			stack = append(stack, tag)
		case len(stack) == 0 || stack[len(stack)-1] != tag:
			t.Fatalf("%s: </%s> does not close %v", name, tag, stack)
		default:
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		t.Errorf("%s: unclosed elements %v", name, stack)
	}
	if strings.Count(s, "<") != len(tagRE.FindAllString(s, -1))+1 { // +1: <!DOCTYPE html>
		t.Errorf("%s: stray '<' outside tags", name)
	}
}

var tagRE = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)(?:\s[^<>]*)?>`)

// TestNoRawValues: no output holds a raw value; the masked examples only.
func TestNoRawValues(t *testing.T) {
	for _, fx := range fixtures() {
		for _, f := range allFormats {
			for _, lang := range allLangs {
				out := string(render(t, fx, f, lang))
				for _, raw := range fx.raw {
					if strings.Contains(out, raw) {
						t.Errorf("%s %s %s: raw value %q in output", fx.name, f, lang, raw)
					}
				}
			}
		}
	}
}

func TestEscaping(t *testing.T) {
	fx := fullFixture()
	h := string(render(t, fx, HTML, EN))
	if strings.Contains(h, "<script>") || !strings.Contains(h, "&lt;script&gt;") {
		t.Error("HTML does not escape the field name")
	}
	md := string(render(t, fx, Markdown, EN))
	if strings.Contains(md, "<script>") || strings.Contains(md, "备注 | ") {
		t.Error("Markdown does not escape the field name")
	}
}

// TestEmptyResult: a Result with nothing in it renders in every format,
// and its JSON still has arrays, not nulls.
func TestEmptyResult(t *testing.T) {
	fx := fixture{name: "empty", r: &assess.Result{}}
	for _, f := range allFormats {
		for _, lang := range allLangs {
			if out := render(t, fx, f, lang); len(out) == 0 {
				t.Errorf("%s %s: empty output", f, lang)
			}
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(render(t, fx, JSON, EN), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"decisions", "conflicts", "what_if", "materials", "inputs"} {
		if _, ok := doc[k].([]any); !ok {
			t.Errorf("%s = %v, want []", k, doc[k])
		}
	}
	wellFormed(t, "empty", render(t, fx, HTML, ZH))
}

func TestTextColor(t *testing.T) {
	fx := usFixture()
	var plain, color bytes.Buffer
	if err := Render(&plain, fx.r, Text, EN); err != nil {
		t.Fatal(err)
	}
	if err := (Options{Color: true}).Render(&color, fx.r, Text, EN); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain.Bytes(), []byte("\x1b[")) {
		t.Error("ANSI escapes without Color")
	}
	if !bytes.Contains(color.Bytes(), []byte("\x1b[31m")) {
		t.Error("no red for a prohibited route with Color")
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Format{"text": Text, "JSON": JSON, "md": Markdown, "markdown": Markdown, "html": HTML} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("pdf"); err == nil || !strings.Contains(err.Error(), "text, json, md, html") {
		t.Errorf("ParseFormat(pdf) error = %v", err)
	}
	for in, want := range map[string]Lang{"zh-CN": ZH, "zh": ZH, "en": EN, "EN-us": EN} {
		if got, err := ParseLang(in); err != nil || got != want {
			t.Errorf("ParseLang(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseLang("fr"); err == nil || !strings.Contains(err.Error(), "zh-CN, en") {
		t.Errorf("ParseLang(fr) error = %v", err)
	}
	if err := Render(io.Discard, fullFixture().r, "pdf", EN); err == nil {
		t.Error("Render with an unknown format: no error")
	}
	if err := Render(io.Discard, nil, JSON, EN); err == nil {
		t.Error("Render(nil): no error")
	}
}

func TestCatalogComplete(t *testing.T) {
	for k, m := range catalog {
		if m.en == "" || m.zh == "" {
			t.Errorf("catalog %q lacks a language", k)
		}
		if strings.Count(m.en, "%") != strings.Count(m.zh, "%") {
			t.Errorf("catalog %q: verbs differ between en and zh", k)
		}
	}
	for _, table := range []map[string]msg{vocabNames, jurisdictionNames, countryNames, roleNames} {
		for k, m := range table {
			if m.en == "" || m.zh == "" {
				t.Errorf("%q lacks a language", k)
			}
		}
	}
}

// TestClassNames: every Class constant of internal/classify has a name in
// both languages.
func TestClassNames(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, "../classify", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Skipf("cannot parse ../classify: %v", err)
	}
	n := 0
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Class" {
						continue
					}
					for _, v := range vs.Values {
						lit, ok := v.(*ast.BasicLit)
						if !ok {
							continue
						}
						code := strings.Trim(lit.Value, `"`)
						n++
						if _, ok := classNames[classify.Class(code)]; !ok {
							t.Errorf("class %q has no localised name in i18n.go", code)
						}
					}
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("found only %d Class constants", n)
	}
}

// TestRoutesAndMaterials: every route code of research/rulebook.md §0.2 has
// a title in both languages, and its checklists resolve every string.
func TestRoutesAndMaterials(t *testing.T) {
	codes := []string{
		"CN_NOT_REGULATED", "CN_EXEMPT_ART3", "CN_EXEMPT_ART4", "CN_EXEMPT_ART5_1", "CN_EXEMPT_ART5_2", "CN_EXEMPT_ART5_3",
		"CN_EXEMPT_ART5_4", "CN_EXEMPT_FTZ_ART6", "CN_SC_OR_CERT", "CN_SA", "CN_GBA_SC", "CN_FOREIGN_JUDICIAL_APPROVAL",
		"BLOCK", "BLOCK_NEEDS_REVIEW",
		"EU_NO_TRANSFER", "EU_ADEQUACY(2019/419)", "EU_SCC_M1", "EU_SCC_M2", "EU_SCC_M3", "EU_SCC_M4", "EU_BCR", "EU_ART46_OTHER",
		"EU_ART49_a", "EU_ART49_b", "EU_ART49_c", "EU_ART49_d", "EU_ART49_e", "EU_ART49_f", "EU_ART49_g", "EU_ART49_CLI", "EU_PROHIBITED",
		"US_NOT_COVERED", "US_EXEMPT(202.506)", "US_PROHIBITED(202.301)", "US_PROHIBITED(202.303)", "US_RESTRICTED",
		"US_ONWARD_CONTRACT_REQUIRED", "US_PADFA_PROHIBITED",
		"JP_WHITELIST", "JP_EQUIV_MEASURES", "JP_CONSENT", "JP_ART27_EXCEPTION",
		"HK_NO_TRANSFER_RULE", "HK_GBA_SC",
		"SG_CONTRACT", "SG_BCR", "SG_LAW", "SG_CERT(CBPR)", "SG_DEEMED(10(2)(a))",
	}
	fx := fullFixture()
	for _, code := range codes {
		for _, lang := range allLangs {
			title := routeTitle(code, lang)
			if title == code || strings.Contains(title, "%") {
				t.Errorf("route %s: title %q", code, title)
			}
			r := *fx.r
			d := r.Decisions[1]
			d.Route = code
			d.Alternatives = nil
			r.Decisions = append(r.Decisions[:0:0], d)
			for _, m := range Materials(&r, lang) {
				if strings.HasPrefix(m.Title, "m_") || len(m.Items) == 0 {
					t.Errorf("route %s: material %q", code, m.Title)
				}
				for _, it := range m.Items {
					if strings.HasPrefix(it.Text, "i_") || strings.Contains(it.Prefill, "%!") {
						t.Errorf("route %s: item %q prefill %q", code, it.Text, it.Prefill)
					}
				}
			}
		}
	}
}

func TestMaterialsDone(t *testing.T) {
	ms := Materials(fullFixture().r, EN)
	var decl *Material
	for i := range ms {
		if ms[i].Code == "sa_declaration" {
			decl = &ms[i]
		}
	}
	if decl == nil {
		t.Fatalf("no sa_declaration in %+v", ms)
	}
	for _, it := range decl.Items {
		if it.Code == "sa_form" && (!it.Done || !strings.Contains(it.Prefill, "CAC-SA-2025-0117")) {
			t.Errorf("declaration form not done from the approval on record: %+v", it)
		}
		if it.Code == "sa_validity" && it.Done {
			t.Error("validity follow-up marked done")
		}
	}
	// Without the approval, nothing is done.
	fx := fullFixture()
	fx.r.Decisions[0].Approval = nil
	fx.r.Scenario.Exporter.Approvals = nil
	for _, m := range Materials(fx.r, EN) {
		for _, it := range m.Items {
			if it.Done {
				t.Errorf("%s/%s done without an approval", m.Code, it.Code)
			}
		}
	}
	// An expired approval does not count.
	fx = fullFixture()
	fx.r.Decisions[0].Approval = nil
	fx.r.Scenario.Exporter.Approvals[0].Expires = day("2026-01-01")
	for _, m := range Materials(fx.r, EN) {
		for _, it := range m.Items {
			if it.Done {
				t.Errorf("%s/%s done from an expired approval", m.Code, it.Code)
			}
		}
	}
}

// TestMaterialsSCOrCert: a filed contract ticks the filing and drops the
// certification; a certificate ticks the certification and drops the filing.
func TestMaterialsSCOrCert(t *testing.T) {
	for _, tc := range []struct {
		approval string
		want     map[string]bool // material code → present
		done     string          // an item that must be done
	}{
		{"", map[string]bool{"pipia": true, "sc_filing": true, "cert": true}, ""},
		{"CN_SC", map[string]bool{"pipia": true, "sc_filing": true, "cert": false}, "sc_file"},
		{"CN_CERT", map[string]bool{"pipia": true, "sc_filing": false, "cert": true}, "cert_apply"},
	} {
		fx := fullFixture()
		d := &fx.r.Decisions[0]
		d.Route, d.Approval = "CN_SC_OR_CERT", nil
		if tc.approval != "" {
			d.Approval = &rulebook.Approval{Route: tc.approval, Ref: "REF-1", Issued: day("2026-01-20")}
		}
		got := map[string]bool{}
		done := false
		for _, m := range Materials(fx.r, ZH) {
			got[m.Code] = true
			for _, it := range m.Items {
				done = done || (it.Code == tc.done && it.Done && strings.Contains(it.Prefill, "REF-1"))
			}
		}
		for code, want := range tc.want {
			if got[code] != want {
				t.Errorf("approval %q: material %s present = %v, want %v", tc.approval, code, got[code], want)
			}
		}
		if tc.done != "" && !done {
			t.Errorf("approval %q: %s not done with the reference", tc.approval, tc.done)
		}
	}
}

func TestOutcome(t *testing.T) {
	fx := fullFixture()
	v := newView(fx.r, EN, Options{})
	if v.Decisions[0].Outcome != outReview || v.Decisions[1].Outcome != outAction {
		t.Errorf("outcomes = %s, %s", v.Decisions[0].Outcome, v.Decisions[1].Outcome)
	}
	if o := newView(usFixture().r, EN, Options{}).Decisions[0].Outcome; o != outBlocked {
		t.Errorf("US prohibited outcome = %s", o)
	}
	if o := newView(exemptFixture().r, EN, Options{}).Decisions[0].Outcome; o != outClear {
		t.Errorf("exempt outcome = %s", o)
	}
}

func TestNum(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 118532: "118,532", 1000000: "1,000,000", -1234: "-1,234"} {
		if got := num(in); got != want {
			t.Errorf("num(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestFit(t *testing.T) {
	if got := fit("数据出境安全评估", 8); got != "数据出…" {
		t.Errorf("fit = %q", got)
	}
	if got := fit("short", 10); got != "short" {
		t.Errorf("fit = %q", got)
	}
}

// TestRouteTitles: every route the rulebook knows, parameterised ones
// included, gets its title in both languages; an unknown code shows as is.
func TestRouteTitles(t *testing.T) {
	for _, ri := range rulebook.Routes() {
		for _, lang := range []Lang{EN, ZH} {
			if got := routeTitle(ri.Code, lang); got == ri.Code || got == "" {
				t.Errorf("routeTitle(%s, %s) = %q", ri.Code, lang, got)
			}
		}
	}
	if got := routeTitle("US_PROHIBITED(202.301)", EN); got != "Prohibited transaction (28 CFR 202.301)" {
		t.Errorf("routeTitle(US_PROHIBITED(202.301)) = %q", got)
	}
	if got := routeTitle("NOT_A_ROUTE", ZH); got != "NOT_A_ROUTE" {
		t.Errorf("unknown code shown as %q", got)
	}
}
