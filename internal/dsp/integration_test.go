package dsp

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func states(evs []Event) []State {
	var out []State
	for _, e := range evs {
		out = append(out, e.To)
	}
	return out
}

// TestNegotiationAndTransfer runs two nodes on loopback: a negotiation to
// FINALIZED, then a transfer REQUESTED → STARTED → SUSPENDED → STARTED →
// COMPLETED, restarting each node (closing and reopening its SQLite
// store) in the middle.
func TestNegotiationAndTransfer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{})
	cons := newTestNode(t, consumerDID, consumerTok, nodeOpts{})

	p, err := cons.node.RequestContract(ctx, prov.node.BaseURL(), providerDID, testOffer("urn:uuid:offer-1", "urn:uuid:dataset-1"))
	if err != nil {
		t.Fatal(err)
	}
	if p.ProviderPID == "" || p.State == "" {
		t.Fatalf("after the request: %+v", p)
	}
	cn := cons.waitState(KindNegotiation, Consumer, p.ConsumerPID, Finalized)
	pn := prov.waitState(KindNegotiation, Provider, p.ProviderPID, Finalized)
	if cn.AgreementID == "" || cn.AgreementID != pn.AgreementID || string(cn.Agreement) != string(pn.Agreement) {
		t.Fatalf("the sides hold different agreements: %q %q", cn.AgreementID, pn.AgreementID)
	}
	h, err := ReadPolicyHead(cn.Agreement)
	if err != nil || h.Assigner != providerDID || h.Assignee != consumerDID || h.Target != "urn:uuid:dataset-1" || h.Timestamp == "" {
		t.Fatalf("agreement head %+v, %v", h, err)
	}
	pe, _ := prov.node.Events(ctx, KindNegotiation, Provider, p.ProviderPID)
	if got := states(pe); !slices.Equal(got, []State{Requested, Agreed, Verified, Finalized}) {
		t.Errorf("provider history %v", got)
	}
	ce, _ := cons.node.Events(ctx, KindNegotiation, Consumer, p.ConsumerPID)
	if got := states(ce); !slices.Equal(got, []State{Requested, Agreed, Verified, Finalized}) {
		t.Errorf("consumer history %v", got)
	}
	for _, e := range pe {
		wantSender := Consumer
		if e.To == Agreed || e.To == Finalized {
			wantSender = Provider
		}
		if e.Sender != wantSender || e.Time.IsZero() || e.Step == "" {
			t.Errorf("provider event %+v", e)
		}
	}

	tr, err := cons.node.RequestTransfer(ctx, prov.node.BaseURL(), providerDID, TransferRequest{AgreementID: cn.AgreementID, Format: "HttpData-PULL"})
	if err != nil {
		t.Fatal(err)
	}
	cons.waitState(KindTransfer, Consumer, tr.ConsumerPID, Started)
	cons.restart() // the consumer stops and comes back on its database
	ct := cons.waitState(KindTransfer, Consumer, tr.ConsumerPID, Started)
	if ct.DataAddress == nil || ct.DataAddress.Endpoint != "https://provider.example/data/1" || ct.ProviderPID == "" {
		t.Fatalf("the consumer has no pull address: %+v", ct)
	}
	if _, err := prov.node.SuspendTransfer(ctx, Provider, ct.ProviderPID, "maintenance", Reason{Value: "back soon"}); err != nil {
		t.Fatal(err)
	}
	cons.waitState(KindTransfer, Consumer, tr.ConsumerPID, Suspended)
	prov.restart()
	prov.waitState(KindTransfer, Provider, ct.ProviderPID, Suspended)
	if _, err := cons.node.StartTransfer(ctx, Consumer, tr.ConsumerPID); err != nil {
		t.Fatal(err)
	}
	prov.waitState(KindTransfer, Provider, ct.ProviderPID, Started)
	if _, err := cons.node.CompleteTransfer(ctx, Consumer, tr.ConsumerPID); err != nil {
		t.Fatal(err)
	}
	prov.waitState(KindTransfer, Provider, ct.ProviderPID, Completed)
	cons.waitState(KindTransfer, Consumer, tr.ConsumerPID, Completed)
	pte, _ := prov.node.Events(ctx, KindTransfer, Provider, ct.ProviderPID)
	if got := states(pte); !slices.Equal(got, []State{Requested, Started, Suspended, Started, Completed}) {
		t.Errorf("provider transfer history %v", got)
	}
	if pte[2].Code != "maintenance" {
		t.Errorf("suspension code %q", pte[2].Code)
	}
	cte, _ := cons.node.Events(ctx, KindTransfer, Consumer, tr.ConsumerPID)
	if got := states(cte); !slices.Equal(got, []State{Requested, Started, Suspended, Started, Completed}) {
		t.Errorf("consumer transfer history %v", got)
	}

	// Every step reached the event sinks, and maps to a valid audit event.
	for _, tn := range []*testNode{prov, cons} {
		evs := tn.sink.all()
		if len(evs) < 9 {
			t.Errorf("%s: %d events", tn.did, len(evs))
		}
		for _, e := range evs {
			if _, err := e.AuditEvent(tn.did); err != nil {
				t.Errorf("%s: %+v: %v", tn.did, e, err)
			}
		}
	}
}

// TestIdempotentTransferRequest: a repeated TransferRequestMessage with
// the same consumerPid gets the same process, and the start again.
func TestIdempotentTransferRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{})
	var starts atomic.Int32
	peer := newFakePeer(t, func(r *http.Request, m Message) { starts.Add(1) })
	c := fastClient(consumerTok)
	req := &TransferRequestMessage{ConsumerPID: "urn:uuid:c-1", AgreementID: "urn:uuid:a", Format: "HttpData-PULL", CallbackAddress: peer.srv.URL + "/cb/"}
	a1, err := c.Post(ctx, prov.node.BaseURL()+"/transfers/request", providerDID, req)
	if err != nil {
		t.Fatal(err)
	}
	tp := a1.(*TransferProcess)
	prov.waitState(KindTransfer, Provider, tp.ProviderPID, Started)
	a2, err := c.Post(ctx, prov.node.BaseURL()+"/transfers/request", providerDID, req)
	if err != nil {
		t.Fatal(err)
	}
	if tp2 := a2.(*TransferProcess); tp2.ProviderPID != tp.ProviderPID || tp2.State != Started {
		t.Fatalf("the repeated request made %+v, want %+v in STARTED", tp2, tp)
	}
	deadline := time.Now().Add(5 * time.Second)
	for starts.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	if starts.Load() != 2 {
		t.Errorf("%d start messages, want 2 (one per request)", starts.Load())
	}
	if got := peer.paths(); len(got) != 2 || got[0] != "/cb/transfers/urn:uuid:c-1/start" {
		t.Errorf("paths %v", got)
	}
}

// TestRestartResumesParkedNegotiation: the provider parks a request for
// approval, restarts, and the approval (Node.Decide) finishes it.
func TestRestartResumesParkedNegotiation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{policy: policyFunc(func(p *Process) Decision {
		if p.State == Requested {
			return Decision{Verdict: Park}
		}
		return Decision{Verdict: Accept}
	})})
	cons := newTestNode(t, consumerDID, consumerTok, nodeOpts{})
	p, err := cons.node.RequestContract(ctx, prov.node.BaseURL(), providerDID, testOffer("urn:uuid:o", "urn:uuid:d"))
	if err != nil {
		t.Fatal(err)
	}
	prov.waitParked(KindNegotiation, Provider, p.ProviderPID, Requested)
	prov.restart()
	cons.restart()
	if _, err := prov.node.Decide(ctx, Consumer, p.ProviderPID, Decision{Verdict: Accept}); !errors.Is(err, ErrNotFound) {
		t.Errorf("deciding as the wrong role: %v", err)
	}
	if _, err := prov.node.Decide(ctx, Provider, p.ProviderPID, Decision{Verdict: Accept}); err != nil {
		t.Fatal(err)
	}
	prov.waitState(KindNegotiation, Provider, p.ProviderPID, Finalized)
	cons.waitState(KindNegotiation, Consumer, p.ConsumerPID, Finalized)
	if _, err := prov.node.Decide(ctx, Provider, p.ProviderPID, Decision{Verdict: Accept}); !errors.Is(err, ErrNotOurTurn) {
		t.Errorf("deciding a finalized negotiation: %v", err)
	}
	evs, _ := prov.node.Events(ctx, KindNegotiation, Provider, p.ProviderPID)
	if got := states(evs); !slices.Equal(got, []State{Requested, Requested, Agreed, Verified, Finalized}) || evs[1].Code != "parked" {
		t.Errorf("history %v", got)
	}
}

// TestRestartDeliversOutbox: the provider stops while the consumer is
// unreachable and its agreement waits in the outbox; after the restart,
// Resume delivers it and the negotiation finishes.
func TestRestartDeliversOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	slow := &Client{Tokens: StaticToken(providerTok), Attempts: 1000, BaseDelay: 5 * time.Millisecond, MaxDelay: 10 * time.Millisecond, Timeout: 5 * time.Second}
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{client: slow})
	cons := newTestNode(t, consumerDID, consumerTok, nodeOpts{})
	var down atomic.Bool
	var refused atomic.Int32
	inner := cons.node.Handler()
	cons.swap.set(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() && r.Method == http.MethodPost {
			refused.Add(1)
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	// The consumer goes down right after the provider's 201.
	prov.policy = policyFunc(func(p *Process) Decision { down.Store(true); return Decision{Verdict: Accept} })
	prov.restart()
	p, err := cons.node.RequestContract(ctx, prov.node.BaseURL(), providerDID, testOffer("urn:uuid:o", "urn:uuid:d"))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for refused.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if refused.Load() < 2 {
		t.Fatal("the provider did not try to deliver")
	}
	prov.close()
	db := openDB(t, prov.path)
	pp, err := openStore(t, db).Get(ctx, KindNegotiation, Provider, p.ProviderPID)
	db.Close()
	if err != nil || pp.State != Agreed || pp.Outbox == nil || pp.Outbox.Type != TypeContractAgreementMessage {
		t.Fatalf("after the stop: %+v, %v", pp, err)
	}
	down.Store(false)
	prov.policy = policyFunc(acceptAll)
	prov.open()
	prov.waitState(KindNegotiation, Provider, p.ProviderPID, Finalized)
	cons.waitState(KindNegotiation, Consumer, p.ConsumerPID, Finalized)
}

// TestUndeliverableTerminates: a counterparty that refuses a message ends
// the process on this side, with the reason.
func TestUndeliverableTerminates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{})
	peer := newFakePeer(t, nil)
	peer.status = func(r *http.Request) int { return http.StatusBadRequest }
	c := fastClient(consumerTok)
	a, err := c.Post(ctx, prov.node.BaseURL()+"/negotiations/request", providerDID,
		&ContractRequestMessage{ConsumerPID: "urn:uuid:c", Offer: testOffer("urn:o", "urn:d"), CallbackAddress: peer.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	pid := a.(*ContractNegotiation).ProviderPID
	p := prov.waitState(KindNegotiation, Provider, pid, Terminated)
	evs, _ := prov.node.Events(ctx, KindNegotiation, Provider, pid)
	if last := evs[len(evs)-1]; last.Code != "peer_refused" || p.Outbox != nil {
		t.Errorf("last event %+v", last)
	}
	// The agreement, then the termination, were tried.
	got := peer.types()
	if len(got) != 2 || got[0] != TypeContractAgreementMessage || got[1] != TypeContractNegotiationTerminationMessage {
		t.Errorf("the peer received %v", got)
	}
}

// TestConsumerRequestRefused: a provider that refuses the initial
// request leaves the consumer's process terminated, and the error says so.
func TestConsumerRequestRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cons := newTestNode(t, consumerDID, consumerTok, nodeOpts{})
	peer := newFakePeer(t, nil)
	peer.status = func(r *http.Request) int { return http.StatusBadRequest }
	p, err := cons.node.RequestContract(ctx, peer.srv.URL, providerDID, testOffer("urn:o", "urn:d"))
	var re *RemoteError
	if !errors.As(err, &re) || re.Status != http.StatusBadRequest {
		t.Fatalf("err %v", err)
	}
	if p == nil || p.State != Terminated || p.Outbox != nil {
		t.Fatalf("process %+v", p)
	}
}
