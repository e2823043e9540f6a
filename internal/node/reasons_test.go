package node

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/dsp"
)

// TestTerminationReasonKept: the consumer keeps the code and the reason
// in both languages that the provider's gate sent with its termination.
func TestTerminationReasonKept(t *testing.T) {
	f := newDataPlaneFixture(t)
	body := fmt.Sprintf(`{"provider":%q,"participant":%q,"offer":%s}`, f.provider.n.DSP().BaseURL(), f.provider.did,
		offer("urn:uuid:o-mkt", f.dataset, "marketing"))
	code, out := doBody(t, "POST", f.consumer.n.MgmtURL+"/api/v1/negotiations", f.cops, body)
	if code != 201 {
		t.Fatalf("negotiate: %d %s", code, out)
	}
	var v negotiationView
	json.Unmarshal([]byte(out), &v)
	if p := waitFinal(t, f.consumer, v.ConsumerPID); p.State != dsp.Terminated {
		t.Fatalf("marketing: %s", p.State)
	}
	waitFor(t, "the reason", func() bool {
		_, out := doBody(t, "GET", f.consumer.n.MgmtURL+"/api/v1/negotiations/"+v.ConsumerPID+"?role=consumer", f.cops, "")
		json.Unmarshal([]byte(out), &v)
		return v.Termination != nil
	})
	tm := v.Termination
	if tm.Code != "purpose_not_permitted" || len(tm.Reason) != 2 || tm.Reason[0].Lang != "en" || tm.Reason[1].Lang != "zh" ||
		tm.Reason[0].Value != `The dataset's governance does not permit the purpose "marketing" (permitted: research).` {
		t.Fatalf("termination as received: %+v", tm)
	}
}

// TestParkedWithCode: the approval queue says why the gate parked a
// request (its code on the parking event), not just that it waits.
func TestParkedWithCode(t *testing.T) {
	consumer := startKeyNode(t, "NL", nil)
	provider := startKeyNode(t, "CN", []Participant{{DID: consumer.did, Country: "NL"}}, func(c *Config) { c.ParkFilings = true })
	e := &catalog.Entry{Identifier: "xb86/CN/shenzhen-hospital/oncology-large", Title: catalog.LangMap{"en": "Oncology cases"}}
	e.Governance = catalog.Governance{Owner: provider.did, ClassificationLevel: "internal", Sovereignty: "CN", AllowedPurposes: []string{"research"}}
	e.Technical = &catalog.Technical{PIProfile: &catalog.PIProfile{Individuals: 250_000}}
	if _, err := provider.n.stores.catalog.Register(context.Background(), e, catalog.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	office, _ := provider.n.Tokens().Add("office", RoleCompliance, time.Now())
	if _, err := consumer.n.DSP().RequestContract(context.Background(), provider.n.DSP().BaseURL(), provider.did, offer("urn:uuid:o-p", e.Identifier, "research")); err != nil {
		t.Fatal(err)
	}
	var q []negotiationView
	waitFor(t, "the parked request", func() bool {
		_, body := doBody(t, "GET", provider.n.MgmtURL+"/api/v1/negotiations?parked=true", office, "")
		return json.Unmarshal([]byte(body), &q) == nil && len(q) == 1
	})
	_, body := doBody(t, "GET", provider.n.MgmtURL+"/api/v1/negotiations/"+q[0].ProviderPID, office, "")
	var v negotiationView
	json.Unmarshal([]byte(body), &v)
	if n := len(v.Events); n == 0 || v.Events[n-1].Code != "filing_required" || !v.Parked {
		t.Fatalf("parked negotiation: %s", body)
	}
}
