package gate

import (
	"context"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/rulebook"
)

func entry(individuals, sensitive int64, mut func(*catalog.Governance)) *catalog.Entry {
	e := &catalog.Entry{Identifier: "xb86/CN/shenzhen-hospital/oncology-2026"}
	e.Governance = catalog.Governance{Owner: "did:web:hospital.example.cn", Sovereignty: "CN", ClassificationLevel: "sensitive",
		AllowedPurposes: []string{"research"}}
	e.Technical = &catalog.Technical{PIProfile: &catalog.PIProfile{Individuals: individuals, SensitiveIndividuals: sensitive}}
	if mut != nil {
		mut(&e.Governance)
	}
	return e
}

func TestGate(t *testing.T) {
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	req := func(e *catalog.Entry, country, purpose string) Request {
		return Request{Entry: e, Consumer: "did:web:research.example.nl", ConsumerCountry: country, Purpose: purpose, At: at}
	}
	cases := []struct {
		name    string
		gate    Gate
		r       Request
		outcome Outcome
		code    string
	}{
		{"small anonymous-scale export clears", Gate{}, req(entry(500, 0, nil), "NL", "research"), Agree, "route_clear"},
		{"domestic", Gate{}, req(entry(5_000_000, 2_000_000, nil), "CN", "research"), Agree, "domestic"},
		{"sensitive data needs a filing not on record", Gate{}, req(entry(200_000, 20_000, nil), "NL", "research"), Terminate, "filing_required"},
		{"parked for the compliance office", Gate{ParkFilings: true}, req(entry(200_000, 20_000, nil), "NL", "research"), Park, "filing_required"},
		{"purpose outside governance", Gate{}, req(entry(500, 0, nil), "NL", "marketing"), Terminate, "purpose_not_permitted"},
		{"no purpose", Gate{}, req(entry(500, 0, nil), "NL", ""), Terminate, "purpose_missing"},
		{"country outside governance", Gate{}, req(entry(500, 0, func(g *catalog.Governance) { g.AllowedCountries = []string{"HK"} }), "NL", "research"), Terminate, "recipient_country_not_permitted"},
		{"localization", Gate{}, req(entry(500, 0, func(g *catalog.Governance) { g.Localization = "in_country_only" }), "HK", "research"), Terminate, "localization_required"},
		{"recipient list", Gate{}, req(entry(500, 0, func(g *catalog.Governance) { g.AllowedRecipients = []string{"did:web:other.example"} }), "NL", "research"), Terminate, "recipient_not_permitted"},
		{"unknown country", Gate{}, req(entry(500, 0, nil), "Netherlands", "research"), Terminate, "recipient_country_unknown"},
		{"no origin", Gate{}, req(entry(500, 0, func(g *catalog.Governance) { g.Sovereignty = "" }), "NL", "research"), Terminate, "sovereignty_unknown"},
	}
	for _, c := range cases {
		d, err := c.gate.Decide(context.Background(), c.r)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if d.Outcome != c.outcome || d.Code != c.code {
			t.Errorf("%s: %s/%s (%s), want %s/%s", c.name, d.Outcome, d.Code, d.Message.EN, c.outcome, c.code)
		}
		if d.Message.EN == "" || d.Message.ZH == "" {
			t.Errorf("%s: message missing a language: %+v", c.name, d.Message)
		}
	}
}

// TestGateApprovalOnRecord: the same export clears once the filing the
// rulebook asks for is on record.
func TestGateApprovalOnRecord(t *testing.T) {
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	e := entry(200_000, 0, nil) // non-sensitive PI of 200,000 people: a standard contract filing
	g := Gate{}
	d, err := g.Decide(context.Background(), Request{Entry: e, Consumer: "did:web:r.example.nl", ConsumerCountry: "NL", Purpose: "research", At: at})
	if err != nil || d.Code != "filing_required" {
		t.Fatalf("%v %+v", err, d)
	}
	var route string
	for _, x := range d.Routes {
		if x.Blocking {
			route = x.Route
		}
	}
	// On record in the compliance office (the contract store) …
	issued, _ := rulebook.ParseDate("2026-01-10")
	expires, _ := rulebook.ParseDate("2029-01-09")
	d, err = g.Decide(context.Background(), Request{Entry: e, Consumer: "did:web:r.example.nl", ConsumerCountry: "NL", Purpose: "research", At: at,
		Approvals: []rulebook.Approval{{Route: route, Ref: "SC-2026-0001", Issued: issued, Expires: expires}}})
	if err != nil || d.Outcome != Agree || d.Code != "route_clear" {
		t.Fatalf("with %s on record in the office: %v %s %s", route, err, d.Outcome, d.Code)
	}
	// … or in the dataset's governance.
	e.Governance.Approvals = []catalog.Approval{{Route: route, Ref: "CAC-2026-0001", Issued: "2026-01-10", Expires: "2029-01-09"}}
	d, err = g.Decide(context.Background(), Request{Entry: e, Consumer: "did:web:r.example.nl", ConsumerCountry: "NL", Purpose: "research", At: at})
	if err != nil || d.Outcome != Agree || d.Code != "route_clear" {
		t.Fatalf("with %s on record: %v %s %s", route, err, d.Outcome, d.Code)
	}
	// Mixed sensitive and non-sensitive data rests on a contested point: with
	// the filing on record it still goes to a person, never through silently.
	m := entry(200_000, 20_000, nil)
	m.Governance.Approvals = []catalog.Approval{{Route: "CN_SA", Ref: "CAC-2026-0002", Issued: "2026-01-10", Expires: "2029-01-09"}}
	for _, park := range []bool{false, true} {
		d, err := (&Gate{ParkFilings: park}).Decide(context.Background(), Request{Entry: m, Consumer: "did:web:r.example.nl", ConsumerCountry: "NL", Purpose: "research", At: at})
		want := map[bool]Outcome{false: Terminate, true: Park}[park]
		if err != nil || d.Code != "needs_review" || d.Outcome != want {
			t.Fatalf("mixed data, park=%v: %v %s %s", park, err, d.Outcome, d.Code)
		}
	}
}
