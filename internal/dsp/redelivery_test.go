package dsp

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRedeliveredVerification replays, deterministically, a crash that
// cmd/xborder's TestNodeKill9 can hit: the consumer is killed after the
// provider stored its ContractAgreementVerificationMessage (and went on to
// FINALIZED) but before the consumer cleared the message from its outbox.
// When the consumer comes back, Resume delivers the verification again and
// the provider, FINALIZED, refuses it (400 invalid_transition, as the DSP
// TCK requires for a repeated message). Before settleRepeat, deliver took
// the refusal for a disagreement and terminated the consumer's process:
// the provider ended FINALIZED and the consumer TERMINATED. Both must end
// FINALIZED.
func TestRedeliveredVerification(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// The provider keeps trying its FINALIZED event while the consumer is
	// down, and (below) until the consumer has had the answer to its
	// verification.
	gate := make(chan struct{})
	patient := &Client{Tokens: StaticToken(providerTok), Attempts: 1000, BaseDelay: 5 * time.Millisecond, MaxDelay: 10 * time.Millisecond,
		Timeout: 10 * time.Second, HTTP: &http.Client{Transport: holdEvents{gate}}}
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{client: patient})
	cons := newTestNode(t, consumerDID, consumerTok, nodeOpts{})
	close(gate) // open for the first run
	p, err := cons.node.RequestContract(ctx, prov.node.BaseURL(), providerDID, testOffer("urn:uuid:o", "urn:uuid:d"))
	if err != nil {
		t.Fatal(err)
	}
	prov.waitState(KindNegotiation, Provider, p.ProviderPID, Finalized)
	cons.waitState(KindNegotiation, Consumer, p.ConsumerPID, Finalized)

	// The stores as the crash leaves them: the consumer VERIFIED with its
	// verification in the outbox, the provider FINALIZED with its event in
	// the outbox (not delivered yet: the consumer is down).
	prov.close()
	cons.close()
	gate = make(chan struct{})
	patient.HTTP.Transport = holdEvents{gate}
	rewrite := func(tn *testNode, r Role, pid string, state State, msg Message) {
		db := openDB(t, tn.path)
		defer db.Close()
		s := openStore(t, db)
		q, err := s.Get(ctx, KindNegotiation, r, pid)
		if err != nil {
			t.Fatal(err)
		}
		q.State = state
		if err := outgoing(q, msg); err != nil {
			t.Fatal(err)
		}
		if err := s.Update(ctx, q, nil); err != nil {
			t.Fatal(err)
		}
	}
	rewrite(cons, Consumer, p.ConsumerPID, Verified, &ContractAgreementVerificationMessage{ProviderPID: p.ProviderPID, ConsumerPID: p.ConsumerPID})
	rewrite(prov, Provider, p.ProviderPID, Finalized, &ContractNegotiationEventMessage{ProviderPID: p.ProviderPID, ConsumerPID: p.ConsumerPID, EventType: Finalized})

	// The provider comes back first; its event reaches the consumer only
	// once the consumer has had the answer to its verification, which
	// Resume delivers again.
	prov.open()
	cons.open()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if q, err := cons.node.Process(ctx, KindNegotiation, Consumer, p.ConsumerPID); err == nil && q.Outbox == nil {
			break
		}
	}
	close(gate)
	prov.waitState(KindNegotiation, Provider, p.ProviderPID, Finalized)
	cons.waitState(KindNegotiation, Consumer, p.ConsumerPID, Finalized)
	evs, _ := cons.node.Events(ctx, KindNegotiation, Consumer, p.ConsumerPID)
	for _, e := range evs {
		if e.To == Terminated {
			t.Errorf("the consumer's history has a termination: %+v", e)
		}
	}
}

// holdEvents holds negotiation event messages until gate is closed.
type holdEvents struct{ gate chan struct{} }

func (h holdEvents) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/events") {
		select {
		case <-h.gate:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestRedeliveredStart: a provider that crashed after the consumer took its
// TransferStartMessage delivers it again when it comes back; the consumer,
// STARTED, refuses it, and the provider, seeing the consumer STARTED,
// counts it as delivered. Before settleRepeat the provider terminated a
// transfer both sides had started (seen in cmd/xborder TestNodeKill9).
func TestRedeliveredStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{})
	cons := newTestNode(t, consumerDID, consumerTok, nodeOpts{})
	p, err := cons.node.RequestContract(ctx, prov.node.BaseURL(), providerDID, testOffer("urn:uuid:o", "urn:uuid:d"))
	if err != nil {
		t.Fatal(err)
	}
	cn := cons.waitState(KindNegotiation, Consumer, p.ConsumerPID, Finalized)
	tr, err := cons.node.RequestTransfer(ctx, prov.node.BaseURL(), providerDID, TransferRequest{AgreementID: cn.AgreementID, Format: "HttpData-PULL"})
	if err != nil {
		t.Fatal(err)
	}
	ct := cons.waitState(KindTransfer, Consumer, tr.ConsumerPID, Started)
	pt := prov.waitState(KindTransfer, Provider, ct.ProviderPID, Started)

	// The provider's store as the crash leaves it: the start still in the outbox.
	prov.close()
	db := openDB(t, prov.path)
	s := openStore(t, db)
	if err := outgoing(pt, &TransferStartMessage{ProviderPID: pt.ProviderPID, ConsumerPID: pt.ConsumerPID, DataAddress: pt.DataAddress}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, pt, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	prov.open() // Resume delivers the start again
	prov.waitState(KindTransfer, Provider, ct.ProviderPID, Started)
	cons.waitState(KindTransfer, Consumer, tr.ConsumerPID, Started)
	if _, err := cons.node.CompleteTransfer(ctx, Consumer, tr.ConsumerPID); err != nil {
		t.Fatal(err)
	}
	prov.waitState(KindTransfer, Provider, ct.ProviderPID, Completed)
}
