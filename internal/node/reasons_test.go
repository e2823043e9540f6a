package node

import (
	"encoding/json"
	"fmt"
	"testing"

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
