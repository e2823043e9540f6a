package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/xborder/xborder/internal/rulebook"
)

const cnScenario = `
as_of: 2026-04-15
exporter: {country: CN, city: Shenzhen, type: company, sector: ecommerce, gba: true}
recipient: {name: Partner, type: company, role: controller, relation: unrelated}
dataset:
  individuals: %d
  sensitive_individuals: %d
  important_data: none
purpose: analytics
`

func scenario(t testing.TB, yaml string) rulebook.Scenario {
	t.Helper()
	s, err := rulebook.DecodeScenario([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// offerWith instantiates a template with its example parameters, some
// replaced or removed (a nil value removes).
func offerWith(t testing.TB, c *Catalog, name string, change map[string]any) *Policy {
	t.Helper()
	p := readParams(t, name)
	for k, v := range change {
		if v == nil {
			delete(p, k)
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		p[k] = raw
	}
	tpl, err := c.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	offer, err := tpl.Instantiate(p)
	if err != nil {
		t.Fatal(err)
	}
	return offer
}

func TestReview(t *testing.T) {
	c := builtin(t)
	big := fmt.Sprintf(cnScenario, 1_200_000, 0)
	tests := []struct {
		name     string
		offer    func() *Policy
		scenario string
		passed   bool
		codes    []string // findings that must be present
	}{
		{"general-us-needs-sa", func() *Policy {
			return offerWith(t, c, "general", map[string]any{"jurisdictions": []string{"US"}})
		}, big, false, []string{"route_approval_not_required"}},
		{"cn-sa-pending", func() *Policy { return offerWith(t, c, "cn-security-assessment", nil) }, big, true, []string{"route_approval_pending"}},
		{"cn-sa-approved", func() *Policy { return offerWith(t, c, "cn-security-assessment", nil) },
			big, true, []string{"route_approved"}},
		{"cn-sc-insufficient", func() *Policy {
			return offerWith(t, c, "cn-standard-contract", map[string]any{"jurisdictions": []string{"US"}})
		}, big, false, []string{"route_approval_insufficient"}},
		{"customised-without-deletion", func() *Policy {
			p := offerWith(t, c, "cn-standard-contract", nil)
			p.Obligations = slices.DeleteFunc(p.Obligations, func(r Rule) bool { return r.Action == ActDelete })
			return p
		}, fmt.Sprintf(cnScenario, 150_000, 0), false, []string{"baseline_clause_missing", "deletion_duty_missing", "route_approval_pending"}},
		{"recipient-restricted", func() *Policy { return offerWith(t, c, "cn-standard-contract", nil) },
			fmt.Sprintf(cnScenario, 150_000, 0) + "\n", false, []string{"route_prohibited"}},
		{"retail-sc", func() *Policy { return offerWith(t, c, "retail-analytics", nil) },
			fmt.Sprintf(cnScenario, 4_000, 900), true, []string{"route_approval_pending", "sensitive_channel_open"}},
		{"fixed-term-changed", func() *Policy {
			p := offerWith(t, c, "general-computation", nil)
			u := p.UsePermission()
			for i := range u.Constraints {
				if u.Constraints[i].LeftOperand == LODeliveryChannel {
					u.Constraints[i].RightOperand = ListV("file_transfer")
				}
			}
			return p
		}, fmt.Sprintf(cnScenario, 50_000, 0), false, []string{"fixed_term_changed"}},
		{"bare-offer", func() *Policy {
			return &Policy{Type: TypeOffer, UID: "urn:uuid:1", Target: "urn:x:y", Permissions: []Rule{{Action: ActUse}}}
		}, fmt.Sprintf(cnScenario, 50_000, 0), false, []string{"purpose_unrestricted", "spatial_unrestricted", "period_unbounded",
			"deletion_duty_missing", "onward_transfer_unrestricted", "recipient_unrestricted", "breach_notice_missing", "usage_unlimited"}},
		{"anonymised-bare-offer", func() *Policy {
			return &Policy{Type: TypeOffer, UID: "urn:uuid:1", Target: "urn:x:y", Permissions: []Rule{{Action: ActUse,
				Constraints: []Constraint{{LOPurpose, OpEq, StringV("analytics")}, {LOSpatial, OpEq, StringV("JP")}}}}}
		}, `{as_of: 2026-04-15, exporter: {country: CN}, dataset: {anonymised: true}}`, true, []string{"period_unbounded"}},
		{"eu-scc-m1", func() *Policy { return offerWith(t, c, "eu-scc-transfer", nil) }, euScenario, true, nil},
		{"eu-scc-wrong-module", func() *Policy {
			return offerWith(t, c, "eu-scc-transfer", map[string]any{"scc_module": "m2"})
		}, euScenario, false, []string{"scc_not_incorporated"}},
		{"unknown-purpose-and-country", func() *Policy {
			return &Policy{Type: TypeOffer, UID: "urn:uuid:1", Target: "urn:x:y", Permissions: []Rule{{Action: ActUse,
				Constraints: []Constraint{{LOPurpose, OpIsAnyOf, ListV("analytics", "mind_reading")}, {LOSpatial, OpIsAnyOf, ListV("XX")}}}}}
		}, fmt.Sprintf(cnScenario, 50_000, 0), false, []string{"purpose_unknown", "country_unknown"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := scenario(t, tc.scenario)
			switch tc.name {
			case "cn-sa-approved":
				issued, _ := rulebook.ParseDate("2026-01-10")
				s.Exporter.Approvals = []rulebook.Approval{{Route: "CN_SA", Ref: "CAC-2026-0042", Issued: issued}}
			case "recipient-restricted":
				s.Recipient.CACRestricted = true
			}
			r, err := ReviewOffer(context.Background(), ReviewInput{Offer: tc.offer(), Scenario: s, Templates: c})
			if err != nil {
				t.Fatal(err)
			}
			if r.Passed != tc.passed {
				t.Errorf("passed = %v, want %v: %+v", r.Passed, tc.passed, r.Findings)
			}
			known := map[string]bool{}
			for _, fc := range FindingCodes() {
				known[fc.Code] = true
			}
			got := map[string]bool{}
			for _, f := range r.Findings {
				got[f.Code] = true
				if !known[f.Code] {
					t.Errorf("finding code %s is not in FindingCodes", f.Code)
				}
				if f.Message.EN == "" || f.Message.ZH == "" {
					t.Errorf("finding %s lacks a message", f.Code)
				}
			}
			for _, code := range tc.codes {
				if !got[code] {
					t.Errorf("no %s finding; got %v", code, keys(got))
				}
			}
			out, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("review", tc.name+".json"), append(out, '\n'))
		})
	}
}

const euScenario = `
as_of: 2026-04-15
exporter: {country: DE, type: company}
recipient: {type: company, role: controller, relation: parent_company}
dataset: {individuals: 800, sensitive_individuals: 0}
purpose: hr_management
legal_basis: contract
`

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
