package dsp

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

type signerFunc func(p *Process, a json.RawMessage) (json.RawMessage, error)

func (f signerFunc) SignAgreement(_ context.Context, p *Process, a json.RawMessage) (json.RawMessage, error) {
	return f(p, a)
}

// TestCounterOfferSigned: the provider counters, the consumer accepts
// the counter offer, the provider's signer signs the agreement (an
// extension IRI property), and both end FINALIZED with the signed
// agreement.
func TestCounterOfferSigned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var sawOffer json.RawMessage
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{policy: policyFunc(func(p *Process) Decision {
		if p.State == Requested {
			return Decision{Verdict: Counter, Offer: testOffer("urn:uuid:counter", p.Target)}
		}
		return Decision{Verdict: Accept}
	})})
	prov.node.cfg.Signer = signerFunc(func(p *Process, a json.RawMessage) (json.RawMessage, error) {
		var m map[string]any
		json.Unmarshal(a, &m)
		m["https://w3id.org/xborder/ns#jws"] = "eyJhbGciOiJFZERTQSJ9..sig"
		return json.Marshal(m)
	})
	cons := newTestNode(t, consumerDID, consumerTok, nodeOpts{policy: policyFunc(func(p *Process) Decision {
		if p.State == Offered {
			sawOffer = p.Offer
		}
		return Decision{Verdict: Accept}
	})})
	p, err := cons.node.RequestContract(ctx, prov.node.BaseURL()+"/", providerDID, testOffer("urn:uuid:o", "urn:uuid:d"))
	if err != nil {
		t.Fatal(err)
	}
	cn := cons.waitState(KindNegotiation, Consumer, p.ConsumerPID, Finalized)
	prov.waitState(KindNegotiation, Provider, p.ProviderPID, Finalized)
	if h, _ := ReadPolicyHead(sawOffer); h.ID != "urn:uuid:counter" {
		t.Errorf("the consumer decided on %s", sawOffer)
	}
	if !strings.Contains(string(cn.Agreement), "xborder/ns#jws") {
		t.Errorf("the signature did not travel: %s", cn.Agreement)
	}
	evs, _ := cons.node.Events(ctx, KindNegotiation, Consumer, p.ConsumerPID)
	if got := states(evs); !slices.Equal(got, []State{Requested, Offered, Accepted, Agreed, Verified, Finalized}) {
		t.Errorf("consumer history %v", got)
	}
}

// TestProviderInitiated: OfferContract sends an initial offer to the
// consumer's <base>/negotiations/offers; the negotiation finishes.
func TestProviderInitiated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{})
	cons := newTestNode(t, consumerDID, consumerTok, nodeOpts{})
	p, err := prov.node.OfferContract(ctx, cons.node.BaseURL(), consumerDID, testOffer("urn:uuid:o", "urn:uuid:d"))
	if err != nil {
		t.Fatal(err)
	}
	if p.ConsumerPID == "" {
		t.Fatalf("%+v", p)
	}
	prov.waitState(KindNegotiation, Provider, p.ProviderPID, Finalized)
	cons.waitState(KindNegotiation, Consumer, p.ConsumerPID, Finalized)
}

// TestPolicyRejects: the provider's gate refuses with a stable code and
// zh/en reasons, which reach the consumer.
func TestPolicyRejects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{policy: policyFunc(func(p *Process) Decision {
		return Decision{Verdict: Reject, Code: "approval_missing", EN: "The transfer route needs a security assessment not on record.", ZH: "该出境路径需要的安全评估尚未备案。"}
	})})
	peer := newFakePeer(t, nil)
	c := fastClient(consumerTok)
	a, err := c.Post(ctx, prov.node.BaseURL()+"/negotiations/request", providerDID,
		&ContractRequestMessage{ConsumerPID: "urn:uuid:c", Offer: testOffer("urn:o", "urn:d"), CallbackAddress: peer.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	pid := a.(*ContractNegotiation).ProviderPID
	prov.waitState(KindNegotiation, Provider, pid, Terminated)
	peer.mu.Lock()
	m := peer.got[0].msg.(*ContractNegotiationTerminationMessage)
	peer.mu.Unlock()
	if m.Code != "approval_missing" || len(m.Reason) != 2 || m.Reason[1].Lang != "zh" || !strings.Contains(m.Reason[1].Value, "安全评估") {
		t.Errorf("termination %+v", m)
	}
	evs, _ := prov.node.Events(ctx, KindNegotiation, Provider, pid)
	ae, err := evs[1].AuditEvent(providerDID)
	if err != nil || ae.Result != audit.ResultDeny || ae.Reason != "approval_missing" || ae.Actor != providerDID || ae.ObjectKind != audit.KindAgreement {
		t.Errorf("audit event %+v, %v", ae, err)
	}
}

func TestAuditEvent(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	e := Event{Time: now, Kind: KindTransfer, Role: Provider, ProviderPID: "urn:uuid:p", ConsumerPID: "urn:uuid:c", Counterparty: consumerDID,
		Actor: consumerDID, Sender: Consumer, From: Started, To: Suspended, Step: StepSuspend, Code: "Policy Violation!"}
	ae, err := e.AuditEvent(providerDID)
	if err != nil {
		t.Fatal(err)
	}
	if ae.Operation != audit.OpTransfer || ae.ObjectKind != audit.KindTransfer || ae.ObjectID != "urn:uuid:p" || ae.Result != audit.ResultSuccess ||
		ae.Reason != "peer_code" || ae.Actor != consumerDID || !strings.HasPrefix(ae.DetailsDigest, "sha256:") {
		t.Errorf("%+v", ae)
	}
	e.Code, e.Refused, e.Actor = "", true, ""
	ae, err = e.AuditEvent(providerDID)
	if err != nil || ae.Result != audit.ResultDeny || ae.Actor != providerDID || ae.Reason != "suspended" {
		t.Errorf("%+v %v", ae, err)
	}
	// A refused request's process id the ledger cannot take as an object.
	for _, pid := range []string{"no-scheme", "urn:has space", "urn:" + strings.Repeat("x", 600), "urn:ünï"} {
		e.ProviderPID = pid
		if ae, err := e.AuditEvent(providerDID); err != nil || ae.ObjectID != unknownProcess {
			t.Errorf("process id %.20q: %+v, %v", pid, ae, err)
		}
	}
	e.Actor = "TCK_PARTICIPANT"
	if _, err := e.AuditEvent(providerDID); err == nil {
		t.Error("a non-DID actor passed the ledger's validation")
	}
}
