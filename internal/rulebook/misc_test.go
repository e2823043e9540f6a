package rulebook

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The example scenario of docs/assess.md decodes and evaluates.
func TestAssessExampleScenario(t *testing.T) {
	src := `
as_of: 2026-04-15
exporter:
  country: CN
  city: Shenzhen
  type: company
  sector: health
  ciio: false
  ftz: none
  gba: false
  us_person: false
  approvals:
    - {route: CN_SC_OR_CERT, ref: "filing 2026-0042", issued: 2026-01-20, expires: 2029-01-20}
recipient:
  country: DE
  type: company
  role: controller
  relation: affiliate
  gba: false
  covered_person: false
  certifications: []
dataset:
  individuals: 0
  sensitive_individuals: 0
  prior_ytd: {individuals: 0, sensitive_individuals: 0}
  important_data: none
  core_data: false
  collected_abroad: false
  domestic_pi_introduced: false
  anonymised: false
  special_category: false
  us_bulk_12m: {}
purpose: cross_border_shopping
legal_basis: contract
`
	s, err := DecodeScenario([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	s.Dataset.Individuals, s.Dataset.SensitiveIndividuals = 118532, 20411
	res, err := Evaluate(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Decisions) != 1 || res.Decisions[0].Route != RouteCNExemptArt5_1 {
		t.Fatalf("got %s", summary(res))
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"alternatives":[]`) || strings.Contains(string(b), "null") {
		t.Errorf("JSON should use empty lists, not null: %s", b)
	}
}

func TestDateJSON(t *testing.T) {
	a := Approval{Route: RouteCNSA, Issued: Date{mustDate("2026-01-20")}}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"route":"CN_SA","issued":"2026-01-20","expires":""}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
	var back Approval
	if err := json.Unmarshal(b, &back); err != nil || !back.Issued.Equal(a.Issued.Time) || !back.Expires.IsZero() {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}

func TestScenarioErrorMessage(t *testing.T) {
	s := Scenario{AsOf: Date{mustDate("2026-01-01")}, Exporter: Exporter{Country: "CN", Type: "bank"}, Recipient: Recipient{Country: "DE"}}
	err := s.Validate()
	var se *ScenarioError
	if !errors.As(err, &se) || se.Key != "exporter.type" || se.Value != "bank" || !slices.Contains(se.Accepted, "company") {
		t.Fatalf("got %#v", err)
	}
	if !strings.Contains(err.Error(), `exporter.type`) || !strings.Contains(err.Error(), "accepted") {
		t.Errorf("message %q", err.Error())
	}
}

func TestPurposesCoverAssessVocabulary(t *testing.T) {
	want := []string{"cross_border_shopping", "cross_border_delivery", "cross_border_payment", "cross_border_remittance",
		"account_opening", "travel_booking", "visa_processing", "exam_services", "hr_management", "emergency_life_health",
		"international_trade", "cross_border_transport", "academic_cooperation", "transnational_manufacturing", "marketing",
		"analytics", "research", "clinical_trial", "customer_service", "product_development", "litigation", "other"}
	var got []string
	for _, p := range Purposes() {
		got = append(got, p.Name)
		if p.Description.EN == "" || p.Description.ZH == "" || p.Description.Code == "" {
			t.Errorf("purpose %s lacks a description", p.Name)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("purpose %s missing", w)
		}
	}
}

func TestRoutesTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Routes() {
		if seen[r.Code] {
			t.Errorf("duplicate route %s", r.Code)
		}
		seen[r.Code] = true
		if r.Title.EN == "" || r.Title.ZH == "" || r.Jurisdiction == "" {
			t.Errorf("route %s incomplete: %+v", r.Code, r)
		}
	}
	for _, c := range approvalRoutes() {
		if !seen[c] {
			t.Errorf("approval route %s not in Routes()", c)
		}
	}
	if !routeNeedsFiling(RouteCNSA) || routeNeedsFiling(RouteCNExemptArt5_4) || !routeIsProhibition("US_PROHIBITED(202.301)") {
		t.Error("filing/prohibition flags wrong")
	}
}

// Every rule id literal in the source is registered in Rules().
func TestRuleLiteralsRegistered(t *testing.T) {
	reg := map[string]bool{}
	for _, r := range Rules() {
		if reg[r.ID] {
			t.Errorf("duplicate rule %s", r.ID)
		}
		reg[r.ID] = true
	}
	re := regexp.MustCompile(`"((?:CN|EU|US|JP|HK|SG)\.[0-9][A-Za-z0-9_.]*)"`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "rules.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			id := m[1]
			if strings.HasSuffix(id, ".") || strings.HasSuffix(id, "step2") || strings.HasSuffix(id, "reg10_2") {
				continue // prefix completed at run time (EU.2.5.<g>, US.3.1.step2.<§>, SG.6.reg10_2<g>)
			}
			if !reg[id] {
				t.Errorf("%s: rule %s not in Rules()", f, id)
			}
		}
	}
	for _, g := range []string{"a", "b", "c", "d", "e", "f", "g", "CLI"} {
		if !reg["EU.2.5."+g] {
			t.Errorf("EU.2.5.%s not registered", g)
		}
	}
	for _, g := range []string{"a", "b", "c", "e"} {
		if !reg["SG.6.reg10_2"+g] {
			t.Errorf("SG.6.reg10_2%s not registered", g)
		}
	}
	for _, e := range usExemptions() {
		if !reg["US.3.1.step2."+e.Section] {
			t.Errorf("US.3.1.step2.%s not registered", e.Section)
		}
	}
}

func TestInstrumentsComplete(t *testing.T) {
	for id, in := range Instruments() {
		if in.Name == "" || in.Tag == "" {
			t.Errorf("instrument %s incomplete", id)
		}
	}
	if c := cite("C8", "art 7(2)", ""); c.Ref != "2024 Provisions art 7(2)" || c.Tag != "V" || c.Effective != "2024-03-22" {
		t.Errorf("cite: %+v", c)
	}
}

func TestDecodeScenarioDocuments(t *testing.T) {
	for _, c := range []struct{ src, key string }{
		{"", ""},
		{"# only a comment\n", ""},
		{"as_of: [", "(document)"},
		{"- a\n- b\n", "(document)"},
		{"a: &x {b: 1}\nexporter: *x\n", "a"},
		{"exporter: &x {country: CN}\nrecipient: *x\n", ""},
	} {
		_, err := DecodeScenario([]byte(c.src))
		var se *ScenarioError
		switch {
		case c.key == "" && err != nil:
			t.Errorf("%q: %v", c.src, err)
		case c.key != "" && (!errors.As(err, &se) || se.Key != c.key):
			t.Errorf("%q: got %v, want key %s", c.src, err, c.key)
		}
	}
	if (Text{EN: "a", ZH: "甲"}).In("zh-CN") != "甲" || (Text{EN: "a", ZH: "甲"}).In("en") != "a" {
		t.Error("Text.In")
	}
}

// TestPurposeLabels: every purpose has a short name in both languages.
func TestPurposeLabels(t *testing.T) {
	for _, p := range Purposes() {
		if p.Label.EN == "" || p.Label.ZH == "" {
			t.Errorf("purpose %s lacks a label: %+v", p.Name, p.Label)
		}
	}
}
