package contract

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/odrl"
)

// TestOffersParseWithODRLEngine: every offer a template makes is read by
// internal/odrl, the platform's ODRL engine, in both forms (the DSP form
// inside a ContractOfferMessage, where it travels), and prepared for
// evaluation; the only warnings are the usage-window operands that the
// contract store evaluates.
func TestOffersParseWithODRLEngine(t *testing.T) {
	if OperandNS != odrl.XborderNS {
		t.Fatalf("OperandNS %s differs from odrl.XborderNS %s", OperandNS, odrl.XborderNS)
	}
	c := builtin(t)
	for _, tpl := range c.List() {
		t.Run(tpl.Name, func(t *testing.T) {
			offer := instantiate(t, c, tpl.Name)
			odrlForm, err := offer.Marshal(FormODRL)
			if err != nil {
				t.Fatal(err)
			}
			dspForm, err := offer.Marshal(FormDSP)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := json.Marshal(map[string]any{
				"@context": []string{DSPContext}, "@type": "ContractOfferMessage",
				"providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab", "callbackAddress": "https://provider.example/dsp",
				"offer": json.RawMessage(dspForm),
			})
			if err != nil {
				t.Fatal(err)
			}
			for name, doc := range map[string][]byte{"odrl": odrlForm, "dsp": msg} {
				p, err := odrl.Parse(doc)
				if err != nil {
					t.Fatalf("%s form: odrl.Parse: %v", name, err)
				}
				if p.UID != offer.UID {
					t.Errorf("%s form: uid %s", name, p.UID)
				}
				if _, err := odrl.Prepare(p); err != nil {
					t.Fatalf("%s form: odrl.Prepare: %v", name, err)
				}
				for _, w := range p.Warnings {
					if !strings.Contains(w.Error(), "ount") && !strings.Contains(w.Error(), "olume") {
						t.Errorf("%s form: warning %v", name, w)
					}
				}
			}
		})
	}
}

// TestODRLEngineAgrees: the ODRL engine, given the state the contract
// store keeps (counters, the approved route), permits what the store
// permits and denies a use for another purpose or beyond a window.
func TestODRLEngineAgrees(t *testing.T) {
	offer := instantiate(t, builtin(t), "retail-analytics")
	doc, err := offer.Marshal(FormODRL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := odrl.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	pp, err := odrl.Prepare(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx := func(change map[string]any) map[string]any {
		m := map[string]any{
			"purpose": "analytics", "spatial": "DE", "recipient": "did:web:beispiel-handel.example.de",
			"industry": "ecommerce", "dateTime": "2026-05-10T10:00:00Z", "transferRoute": "CN_SC",
			LOMonthlyCount: 2, LOMonthlyVolumeBytes: 1000,
		}
		for k, v := range change {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		change map[string]any
		permit bool
	}{
		{"within the terms", nil, true},
		{"another purpose", map[string]any{"purpose": "marketing"}, false},
		{"fourth use this month", map[string]any{LOMonthlyCount: 4}, false},
		{"after the period", map[string]any{"dateTime": "2027-01-01T00:00:00Z"}, false},
		{"no approved route", map[string]any{"transferRoute": "CN_EXEMPT_ART5_4"}, false},
	} {
		d := pp.Evaluate(odrl.Request{Assignee: "did:web:beispiel-handel.example.de", Action: "use", Target: offer.Target, Context: ctx(tc.change)})
		if d.Permitted() != tc.permit {
			t.Errorf("%s: %s %v", tc.name, d.Decision, d.Reasons)
		}
	}
}
