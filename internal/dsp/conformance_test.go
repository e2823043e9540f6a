package dsp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePeer plays the counterparty of a node, as the DSP TCK does: it
// validates every message it receives against the 2025-1 schemas, records
// it, and answers 200 (201 with a process for initial requests).
type fakePeer struct {
	t      testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	status func(*http.Request) int
	on     func(*http.Request, Message)
	pid    string // the process id it answers initial requests with
}

type received struct {
	path string
	msg  Message
}

func newFakePeer(t testing.TB, on func(*http.Request, Message)) *fakePeer {
	fp := &fakePeer{t: t, on: on, pid: "urn:uuid:tck-" + NewUUID()[9:]}
	fp.srv = httptest.NewServer(http.HandlerFunc(fp.serve))
	t.Cleanup(fp.srv.Close)
	return fp
}

func (fp *fakePeer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Header.Get("Authorization") == "" {
		fp.t.Errorf("%s: no Authorization header", r.URL.Path)
	}
	if err := validateMessage(body); err != nil {
		fp.t.Errorf("%s: the node sent a message that does not validate: %v\n%s", r.URL.Path, err, body)
	}
	m, err := Decode(body)
	if err != nil {
		fp.t.Errorf("%s: %v", r.URL.Path, err)
		http.Error(w, "bad", http.StatusBadRequest)
		return
	}
	fp.mu.Lock()
	fp.got = append(fp.got, received{r.URL.Path, m})
	fp.mu.Unlock()
	if fp.on != nil {
		fp.on(r, m)
	}
	if fp.status != nil {
		if s := fp.status(r); s >= 300 {
			writeJSON(w, s, &ContractNegotiationError{Code: "refused"})
			return
		}
	}
	switch m := m.(type) {
	case *ContractRequestMessage:
		if m.ProviderPID == "" {
			writeJSON(w, http.StatusCreated, &ContractNegotiation{ProviderPID: fp.pid, ConsumerPID: m.ConsumerPID, State: Requested})
			return
		}
	case *TransferRequestMessage:
		writeJSON(w, http.StatusCreated, &TransferProcess{ProviderPID: fp.pid, ConsumerPID: m.ConsumerPID, State: Requested})
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (fp *fakePeer) types() []string {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	var out []string
	for _, g := range fp.got {
		out = append(out, g.msg.MessageType())
	}
	return out
}

func (fp *fakePeer) paths() []string {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	var out []string
	for _, g := range fp.got {
		out = append(out, g.path)
	}
	return out
}

func (fp *fakePeer) last() string {
	ts := fp.types()
	if len(ts) == 0 {
		return ""
	}
	return ts[len(ts)-1]
}

// scriptPolicy makes the moves a TCK test expects of the connector: the
// verdicts listed per state, in order; no verdict left means park.
type scriptPolicy struct {
	mu sync.Mutex
	m  map[State][]Verdict
}

func (s *scriptPolicy) Decide(_ context.Context, p *Process) (Decision, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.m[p.State]
	if len(vs) == 0 {
		return Decision{Verdict: Park}, nil
	}
	s.m[p.State] = vs[1:]
	switch vs[0] {
	case Counter:
		return Decision{Verdict: Counter, Offer: testOffer("urn:uuid:counter-"+string(p.State), p.Target)}, nil
	case Reject:
		return Decision{Verdict: Reject, Code: "tck_scripted", EN: "scripted refusal", ZH: "脚本拒绝"}, nil
	}
	return Decision{Verdict: vs[0]}, nil
}

// tstep is one step of a conformance case.
type tstep struct {
	send  string // a message the test sends as the counterparty
	bad   bool   // the node must refuse it: 400, Error body, state unchanged
	act   string // or a local action of the node
	await State  // then the node's process is in this state, settled
	peer  string // and the last message the counterparty got is of this type
}

func send(m string, s State, peer ...string) tstep {
	st := tstep{send: m, await: s}
	if len(peer) > 0 {
		st.peer = peer[0]
	}
	return st
}

func refused(m string) tstep { return tstep{send: m, bad: true} }

func act(a string, s State, peer string) tstep { return tstep{act: a, await: s, peer: peer} }

type tckCase struct {
	id     string
	kind   Kind
	role   Role // the node's role
	script map[State][]Verdict
	park   bool  // transfers: the provider's data plane does not start
	first  State // the state after the opening exchange
	peer   string
	steps  []tstep
}

const (
	tCNE  = TypeContractNegotiationEventMessage
	tCRM  = TypeContractRequestMessage
	tCOM  = TypeContractOfferMessage
	tCAM  = TypeContractAgreementMessage
	tCAV  = TypeContractAgreementVerificationMessage
	tCNT  = TypeContractNegotiationTerminationMessage
	tTSM  = TypeTransferStartMessage
	tTSus = TypeTransferSuspensionMessage
	tTCM  = TypeTransferCompletionMessage
	tTTM  = TypeTransferTerminationMessage
)

type V = map[State][]Verdict

// tckCases are the DSP TCK's test cases (research §2.2) plus a few of
// ours (wrong sender), run against a node with a fake counterparty.
var tckCases = []tckCase{
	// Provider negotiation: the test is the consumer.
	{id: "CN:01-01", kind: KindNegotiation, role: Provider, script: V{Requested: {Counter}}, first: Offered, peer: tCOM, steps: []tstep{send("terminate", Terminated)}},
	{id: "CN:01-02", kind: KindNegotiation, role: Provider, script: V{Requested: {Counter, Reject}}, first: Offered, peer: tCOM, steps: []tstep{send("request", Terminated, tCNT)}},
	{id: "CN:01-03", kind: KindNegotiation, role: Provider, script: V{Requested: {Counter}, Accepted: {Accept}, Verified: {Accept}}, first: Offered, peer: tCOM,
		steps: []tstep{send("accept", Agreed, tCAM), send("verify", Finalized, tCNE)}},
	{id: "CN:01-04", kind: KindNegotiation, role: Provider, script: V{Requested: {Accept}, Verified: {Accept}}, first: Agreed, peer: tCAM, steps: []tstep{send("verify", Finalized, tCNE)}},
	{id: "CN:02-01", kind: KindNegotiation, role: Provider, script: V{Requested: {Reject}}, first: Terminated, peer: tCNT},
	{id: "CN:02-02", kind: KindNegotiation, role: Provider, first: Requested, steps: []tstep{send("terminate", Terminated)}},
	{id: "CN:02-03", kind: KindNegotiation, role: Provider, script: V{Requested: {Accept}}, first: Agreed, peer: tCAM, steps: []tstep{send("terminate", Terminated)}},
	{id: "CN:02-04", kind: KindNegotiation, role: Provider, script: V{Requested: {Counter}}, first: Offered, peer: tCOM, steps: []tstep{send("terminate", Terminated)}},
	{id: "CN:02-05", kind: KindNegotiation, role: Provider, script: V{Requested: {Counter}}, first: Offered, peer: tCOM, steps: []tstep{act("terminate", Terminated, tCNT)}},
	{id: "CN:02-06", kind: KindNegotiation, role: Provider, script: V{Requested: {Counter}, Accepted: {Reject}}, first: Offered, peer: tCOM, steps: []tstep{send("accept", Terminated, tCNT)}},
	{id: "CN:02-07", kind: KindNegotiation, role: Provider, script: V{Requested: {Accept}, Verified: {Reject}}, first: Agreed, peer: tCAM, steps: []tstep{send("verify", Terminated, tCNT)}},
	{id: "CN:03-01", kind: KindNegotiation, role: Provider, script: V{Requested: {Accept}, Verified: {Accept}}, first: Agreed, peer: tCAM,
		steps: []tstep{send("verify", Finalized, tCNE), refused("terminate")}},
	{id: "CN:03-02", kind: KindNegotiation, role: Provider, script: V{Requested: {Counter}}, first: Offered, peer: tCOM, steps: []tstep{refused("verify")}},
	{id: "CN:03-03", kind: KindNegotiation, role: Provider, script: V{Requested: {Counter}}, first: Offered, peer: tCOM, steps: []tstep{send("accept", Accepted), refused("verify")}},
	{id: "CN:03-04", kind: KindNegotiation, role: Provider, script: V{Requested: {Counter}}, first: Offered, peer: tCOM, steps: []tstep{send("request", Requested), refused("request")}},
	{id: "xb:CN-consumer-finalizes", kind: KindNegotiation, role: Provider, script: V{Requested: {Accept}}, first: Agreed, peer: tCAM,
		steps: []tstep{send("verify", Verified), refused("finalize")}},
	{id: "xb:CN-consumer-terminates-verified", kind: KindNegotiation, role: Provider, script: V{Requested: {Accept}}, first: Agreed, peer: tCAM,
		steps: []tstep{send("verify", Verified), refused("terminate")}},
	{id: "xb:CN-accept-requested", kind: KindNegotiation, role: Provider, first: Requested, steps: []tstep{refused("accept"), refused("verify"), send("terminate", Terminated), refused("terminate")}},

	// Consumer negotiation: the test is the provider.
	{id: "CN_C:01-01", kind: KindNegotiation, role: Consumer, script: V{Offered: {Accept}, Agreed: {Accept}}, first: Requested, peer: tCRM,
		steps: []tstep{send("offer", Accepted, tCNE), send("agree", Verified, tCAV), send("finalize", Finalized)}},
	{id: "CN_C:01-02", kind: KindNegotiation, role: Consumer, script: V{Offered: {Counter}}, first: Requested, peer: tCRM,
		steps: []tstep{send("offer", Requested, tCRM), send("terminate", Terminated)}},
	{id: "CN_C:01-03", kind: KindNegotiation, role: Consumer, script: V{Offered: {Reject}}, first: Requested, peer: tCRM, steps: []tstep{send("offer", Terminated, tCNT)}},
	{id: "CN_C:01-04", kind: KindNegotiation, role: Consumer, script: V{Agreed: {Accept}}, first: Requested, peer: tCRM,
		steps: []tstep{send("agree", Verified, tCAV), send("finalize", Finalized)}},
	{id: "CN_C:02-01", kind: KindNegotiation, role: Consumer, first: Requested, peer: tCRM, steps: []tstep{send("terminate", Terminated)}},
	{id: "CN_C:02-02", kind: KindNegotiation, role: Consumer, first: Requested, peer: tCRM, steps: []tstep{act("terminate", Terminated, tCNT)}},
	{id: "CN_C:02-03", kind: KindNegotiation, role: Consumer, script: V{Agreed: {Reject}}, first: Requested, peer: tCRM, steps: []tstep{send("agree", Terminated, tCNT)}},
	{id: "CN_C:02-04", kind: KindNegotiation, role: Consumer, first: Requested, peer: tCRM, steps: []tstep{send("offer", Offered), send("terminate", Terminated)}},
	{id: "CN_C:02-05", kind: KindNegotiation, role: Consumer, script: V{Offered: {Accept}}, first: Requested, peer: tCRM,
		steps: []tstep{send("offer", Accepted, tCNE), send("terminate", Terminated)}},
	{id: "CN_C:02-06", kind: KindNegotiation, role: Consumer, script: V{Agreed: {Accept}}, first: Requested, peer: tCRM,
		steps: []tstep{send("agree", Verified, tCAV), send("terminate", Terminated)}},
	{id: "CN_C:03-01", kind: KindNegotiation, role: Consumer, first: Requested, peer: tCRM, steps: []tstep{refused("finalize")}},
	{id: "CN_C:03-02", kind: KindNegotiation, role: Consumer, first: Requested, peer: tCRM, steps: []tstep{send("offer", Offered), refused("agree")}},
	{id: "CN_C:03-03", kind: KindNegotiation, role: Consumer, first: Requested, peer: tCRM, steps: []tstep{send("offer", Offered), refused("finalize")}},
	{id: "CN_C:03-04", kind: KindNegotiation, role: Consumer, script: V{Offered: {Accept}}, first: Requested, peer: tCRM, steps: []tstep{send("offer", Accepted, tCNE), refused("finalize")}},
	{id: "CN_C:03-05", kind: KindNegotiation, role: Consumer, script: V{Offered: {Accept}}, first: Requested, peer: tCRM, steps: []tstep{send("offer", Accepted, tCNE), refused("offer")}},
	{id: "CN_C:03-06", kind: KindNegotiation, role: Consumer, first: Requested, peer: tCRM, steps: []tstep{send("agree", Agreed), refused("finalize")}},
	{id: "xb:CN_C-provider-accepts", kind: KindNegotiation, role: Consumer, first: Requested, peer: tCRM, steps: []tstep{send("offer", Offered), refused("accept")}},
	{id: "xb:CN_C-provider-terminates-agreed", kind: KindNegotiation, role: Consumer, first: Requested, peer: tCRM, steps: []tstep{send("agree", Agreed), refused("terminate")}},

	// Provider transfer: the test is the consumer.
	{id: "TP:01-01", kind: KindTransfer, role: Provider, first: Started, peer: tTSM, steps: []tstep{act("terminate", Terminated, tTTM)}},
	{id: "TP:01-02", kind: KindTransfer, role: Provider, first: Started, peer: tTSM, steps: []tstep{act("complete", Completed, tTCM)}},
	{id: "TP:01-03", kind: KindTransfer, role: Provider, first: Started, peer: tTSM, steps: []tstep{act("suspend", Suspended, tTSus), act("terminate", Terminated, tTTM)}},
	{id: "TP:01-04", kind: KindTransfer, role: Provider, first: Started, peer: tTSM,
		steps: []tstep{act("suspend", Suspended, tTSus), act("start", Started, tTSM), act("complete", Completed, tTCM)}},
	{id: "TP:01-05", kind: KindTransfer, role: Provider, park: true, first: Requested, steps: []tstep{act("terminate", Terminated, tTTM)}},
	{id: "TP:02-01", kind: KindTransfer, role: Provider, first: Started, peer: tTSM, steps: []tstep{send("terminate", Terminated)}},
	{id: "TP:02-02", kind: KindTransfer, role: Provider, first: Started, peer: tTSM, steps: []tstep{send("complete", Completed)}},
	{id: "TP:02-03", kind: KindTransfer, role: Provider, first: Started, peer: tTSM, steps: []tstep{send("suspend", Suspended), send("terminate", Terminated)}},
	{id: "TP:02-04", kind: KindTransfer, role: Provider, first: Started, peer: tTSM,
		steps: []tstep{send("suspend", Suspended), send("start", Started), send("complete", Completed)}},
	{id: "TP:02-05", kind: KindTransfer, role: Provider, park: true, first: Requested, steps: []tstep{send("terminate", Terminated)}},
	{id: "TP:03-01", kind: KindTransfer, role: Provider, park: true, first: Requested, steps: []tstep{refused("complete")}},
	{id: "TP:03-02", kind: KindTransfer, role: Provider, park: true, first: Requested, steps: []tstep{refused("suspend")}},
	{id: "TP:03-03", kind: KindTransfer, role: Provider, first: Started, peer: tTSM, steps: []tstep{send("suspend", Suspended), refused("complete")}},
	{id: "TP:03-04", kind: KindTransfer, role: Provider, first: Started, peer: tTSM, steps: []tstep{send("terminate", Terminated), refused("start")}},
	{id: "TP:03-05", kind: KindTransfer, role: Provider, first: Started, peer: tTSM, steps: []tstep{send("terminate", Terminated), refused("suspend")}},
	{id: "TP:03-06", kind: KindTransfer, role: Provider, first: Started, peer: tTSM, steps: []tstep{send("terminate", Terminated), refused("complete")}},
	{id: "xb:TP-consumer-starts-requested", kind: KindTransfer, role: Provider, park: true, first: Requested, steps: []tstep{refused("start"), act("start", Started, tTSM)}},
	{id: "xb:TP-completed-is-final", kind: KindTransfer, role: Provider, first: Started, peer: tTSM,
		steps: []tstep{send("complete", Completed), refused("terminate"), refused("start"), refused("suspend")}},

	// Consumer transfer: the test is the provider.
	{id: "TP_C:01-01", kind: KindTransfer, role: Consumer, first: Requested, peer: TypeTransferRequestMessage, steps: []tstep{send("start", Started), send("terminate", Terminated)}},
	{id: "TP_C:01-02", kind: KindTransfer, role: Consumer, first: Requested, steps: []tstep{send("start", Started), send("complete", Completed)}},
	{id: "TP_C:01-03", kind: KindTransfer, role: Consumer, first: Requested, steps: []tstep{send("start", Started), send("suspend", Suspended), send("terminate", Terminated)}},
	{id: "TP_C:01-04", kind: KindTransfer, role: Consumer, first: Requested,
		steps: []tstep{send("start", Started), send("suspend", Suspended), send("start", Started), send("complete", Completed)}},
	{id: "TP_C:01-05", kind: KindTransfer, role: Consumer, first: Requested, steps: []tstep{send("terminate", Terminated)}},
	{id: "TP_C:02-01", kind: KindTransfer, role: Consumer, first: Requested, steps: []tstep{send("start", Started), act("terminate", Terminated, tTTM)}},
	{id: "TP_C:02-02", kind: KindTransfer, role: Consumer, first: Requested, steps: []tstep{send("start", Started), act("complete", Completed, tTCM)}},
	{id: "TP_C:02-03", kind: KindTransfer, role: Consumer, first: Requested,
		steps: []tstep{send("start", Started), act("suspend", Suspended, tTSus), act("terminate", Terminated, tTTM)}},
	{id: "TP_C:02-04", kind: KindTransfer, role: Consumer, first: Requested,
		steps: []tstep{send("start", Started), act("suspend", Suspended, tTSus), act("start", Started, tTSM), act("complete", Completed, tTCM)}},
	{id: "TP_C:02-05", kind: KindTransfer, role: Consumer, first: Requested, steps: []tstep{act("terminate", Terminated, tTTM)}},
	{id: "TP_C:03-01", kind: KindTransfer, role: Consumer, first: Requested, steps: []tstep{refused("complete")}},
	{id: "TP_C:03-02", kind: KindTransfer, role: Consumer, first: Requested, steps: []tstep{refused("suspend")}},
	{id: "TP_C:03-03", kind: KindTransfer, role: Consumer, first: Requested, steps: []tstep{send("start", Started), send("suspend", Suspended), refused("complete")}},
	{id: "TP_C:03-04", kind: KindTransfer, role: Consumer, first: Requested, steps: []tstep{send("start", Started), send("terminate", Terminated), refused("start")}},
	{id: "TP_C:03-05", kind: KindTransfer, role: Consumer, first: Requested, steps: []tstep{send("start", Started), send("terminate", Terminated), refused("suspend")}},
	{id: "TP_C:03-06", kind: KindTransfer, role: Consumer, first: Requested, steps: []tstep{send("start", Started), send("terminate", Terminated), refused("complete")}},
	{id: "xb:TP_C-consumer-cannot-start", kind: KindTransfer, role: Consumer, first: Requested, steps: []tstep{act("start", Requested, TypeTransferRequestMessage)}},
}

// harness runs one case.
type harness struct {
	t      *testing.T
	c      tckCase
	node   *testNode
	peer   *fakePeer
	client *Client // the test's client, as the counterparty
	pp, cp string
}

func (h *harness) message(name string) Message {
	pp, cp := h.pp, h.cp
	switch name {
	case "request":
		return &ContractRequestMessage{ProviderPID: pp, ConsumerPID: cp, Offer: testOffer("urn:uuid:tck-counter", "urn:uuid:ACN0101")}
	case "offer":
		return &ContractOfferMessage{ProviderPID: pp, ConsumerPID: cp, Offer: testOffer("urn:uuid:tck-offer", "urn:uuid:ACN0101")}
	case "accept":
		return &ContractNegotiationEventMessage{ProviderPID: pp, ConsumerPID: cp, EventType: Accepted}
	case "finalize":
		return &ContractNegotiationEventMessage{ProviderPID: pp, ConsumerPID: cp, EventType: Finalized}
	case "agree":
		return &ContractAgreementMessage{ProviderPID: pp, ConsumerPID: cp, Agreement: json.RawMessage(`{"@id":"urn:uuid:ATP0101","@type":"Agreement","target":"urn:uuid:ACN0101","assigner":"` + providerDID + `","assignee":"` + consumerDID + `","timestamp":"2026-05-01T10:00:00Z","permission":[{"action":"use"}]}`)}
	case "verify":
		return &ContractAgreementVerificationMessage{ProviderPID: pp, ConsumerPID: cp}
	case "terminate":
		if h.c.kind == KindTransfer {
			return &TransferTerminationMessage{ProviderPID: pp, ConsumerPID: cp, Code: "99", Reason: []Reason{{Value: "TCK"}}}
		}
		return &ContractNegotiationTerminationMessage{ProviderPID: pp, ConsumerPID: cp, Code: "99", Reason: []Reason{{Value: "TCK"}}}
	case "start":
		m := &TransferStartMessage{ProviderPID: pp, ConsumerPID: cp}
		if h.c.role == Consumer {
			m.DataAddress, _ = pullAddress(nil)
		}
		return m
	case "suspend":
		return &TransferSuspensionMessage{ProviderPID: pp, ConsumerPID: cp, Code: "pause"}
	case "complete":
		return &TransferCompletionMessage{ProviderPID: pp, ConsumerPID: cp}
	}
	h.t.Fatalf("unknown message %s", name)
	return nil
}

// url is where the counterparty sends m.
func (h *harness) url(m Message) string {
	if h.c.role == Provider {
		return h.node.node.BaseURL() + peerPath(&Process{Role: Consumer, ProviderPID: h.pp, ConsumerPID: h.cp}, m)
	}
	return h.node.node.CallbackAddress() + peerPath(&Process{Role: Provider, ProviderPID: h.pp, ConsumerPID: h.cp}, m)
}

func (h *harness) pid() string {
	if h.c.role == Provider {
		return h.pp
	}
	return h.cp
}

// remoteState reads the node's state the way the TCK does: GET.
func (h *harness) remoteState() State {
	h.t.Helper()
	seg := "/negotiations/"
	if h.c.kind == KindTransfer {
		seg = "/transfers/"
	}
	u := h.node.node.BaseURL() + seg + h.pp
	if h.c.role == Consumer {
		u = h.node.node.CallbackAddress() + seg + h.cp
	}
	m, err := h.client.Get(context.Background(), u, h.node.did)
	if err != nil {
		h.t.Fatalf("GET %s: %v", u, err)
	}
	b, _ := json.Marshal(m)
	if err := validateMessage(b); err != nil {
		h.t.Errorf("the GET answer does not validate: %v", err)
	}
	switch m := m.(type) {
	case *ContractNegotiation:
		return m.State
	case *TransferProcess:
		return m.State
	}
	h.t.Fatalf("GET %s: %T", u, m)
	return ""
}

func (h *harness) settle(want State, peer string, what string) {
	h.t.Helper()
	h.node.waitState(h.c.kind, h.c.role, h.pid(), want)
	// An outbox kept for the counterparty's reply may not be delivered yet.
	for deadline := time.Now().Add(5 * time.Second); peer != "" && h.peer.last() != peer && time.Now().Before(deadline); {
		time.Sleep(2 * time.Millisecond)
	}
	if got := h.remoteState(); got != want {
		h.t.Fatalf("%s: GET says %s, want %s", what, got, want)
	}
	if peer != "" && h.peer.last() != peer {
		h.t.Fatalf("%s: the counterparty last got %q, want %q (all: %v)", what, h.peer.last(), peer, h.peer.types())
	}
}

func (h *harness) open() {
	ctx := context.Background()
	switch {
	case h.c.role == Provider && h.c.kind == KindNegotiation:
		h.cp = "urn:uuid:tck-c-" + NewUUID()[9:]
		a, err := h.client.Post(ctx, h.node.node.BaseURL()+"/negotiations/request", h.node.did,
			&ContractRequestMessage{ConsumerPID: h.cp, Offer: testOffer("urn:uuid:CD123:ACN0101:456", "urn:uuid:ACN0101"), CallbackAddress: h.peer.srv.URL + "/callback/"})
		if err != nil {
			h.t.Fatal(err)
		}
		h.pp = a.(*ContractNegotiation).ProviderPID
	case h.c.role == Provider:
		h.cp = "urn:uuid:tck-c-" + NewUUID()[9:]
		a, err := h.client.Post(ctx, h.node.node.BaseURL()+"/transfers/request", h.node.did,
			&TransferRequestMessage{ConsumerPID: h.cp, AgreementID: "urn:uuid:ATP0101", Format: "HttpData-PULL", CallbackAddress: h.peer.srv.URL + "/callback"})
		if err != nil {
			h.t.Fatal(err)
		}
		h.pp = a.(*TransferProcess).ProviderPID
	case h.c.kind == KindNegotiation:
		p, err := h.node.node.RequestContract(ctx, h.peer.srv.URL, providerDID, testOffer("urn:uuid:CD123:ACN0101:456", "urn:uuid:ACN0101"))
		if err != nil {
			h.t.Fatal(err)
		}
		h.pp, h.cp = p.ProviderPID, p.ConsumerPID
	default:
		p, err := h.node.node.RequestTransfer(ctx, h.peer.srv.URL, providerDID, TransferRequest{AgreementID: "urn:uuid:ATP0101", Format: "HttpData-PULL"})
		if err != nil {
			h.t.Fatal(err)
		}
		h.pp, h.cp = p.ProviderPID, p.ConsumerPID
	}
	if h.pp == "" || h.cp == "" {
		h.t.Fatalf("process ids %q %q", h.pp, h.cp)
	}
}

func (h *harness) do(i int, s tstep) {
	h.t.Helper()
	ctx := context.Background()
	what := s.send + s.act
	if s.act != "" {
		n, r, pid := h.node.node, h.c.role, h.pid()
		var err error
		switch s.act {
		case "terminate":
			_, err = n.Terminate(ctx, h.c.kind, r, pid, "tck_scripted", Reason{Value: "scripted", Lang: "en"})
		case "start":
			_, err = n.StartTransfer(ctx, r, pid)
		case "suspend":
			_, err = n.SuspendTransfer(ctx, r, pid, "tck_scripted")
		case "complete":
			_, err = n.CompleteTransfer(ctx, r, pid)
		}
		if err != nil && !errors.Is(err, ErrInvalidTransition) {
			h.t.Fatalf("step %d (%s): %v", i, what, err)
		}
		if err != nil && s.await == "" {
			h.t.Fatalf("step %d (%s): %v", i, what, err)
		}
		h.settle(s.await, s.peer, what)
		return
	}
	before := h.remoteState()
	m := h.message(s.send)
	_, err := h.client.Post(ctx, h.url(m), h.node.did, m)
	if !s.bad {
		if err != nil {
			h.t.Fatalf("step %d (%s): %v", i, what, err)
		}
		h.settle(s.await, s.peer, what)
		return
	}
	var re *RemoteError
	if !errors.As(err, &re) || re.Status != http.StatusBadRequest {
		h.t.Fatalf("step %d (%s in %s): got %v, want 400", i, what, before, err)
	}
	b, _ := json.Marshal(re.Body)
	if re.Body == nil || validateMessage(b) != nil {
		h.t.Fatalf("step %d (%s): the Error body %s does not validate", i, what, b)
	}
	wantType := TypeContractNegotiationError
	if h.c.kind == KindTransfer {
		wantType = TypeTransferError
	}
	if re.Body.MessageType() != wantType || re.Code() != CodeInvalidTransition {
		h.t.Errorf("step %d (%s): body %s", i, what, b)
	}
	time.Sleep(5 * time.Millisecond) // let anything wrongly started show
	if after := h.remoteState(); after != before {
		h.t.Fatalf("step %d (%s): the refused message moved %s to %s", i, what, before, after)
	}
}

// TestTCKConformance runs the DSP TCK's negotiation and transfer cases
// against a node, both roles, with a fake counterparty that validates
// every message the node sends.
func TestTCKConformance(t *testing.T) {
	for _, c := range tckCases {
		t.Run(strings.ReplaceAll(c.id, ":", "_"), func(t *testing.T) {
			t.Parallel()
			script := &scriptPolicy{m: map[State][]Verdict{}}
			for k, v := range c.script {
				script.m[k] = append([]Verdict(nil), v...)
			}
			starter := starterFunc(pullAddress)
			if c.park {
				starter = func(*Process) (*DataAddress, error) { return nil, ErrPark }
			}
			did, tok, peerTok := providerDID, providerTok, consumerTok
			if c.role == Consumer {
				did, tok, peerTok = consumerDID, consumerTok, providerTok
			}
			h := &harness{t: t, c: c, peer: newFakePeer(t, nil),
				client: &Client{Tokens: StaticToken(peerTok), Attempts: 1, Timeout: 5 * time.Second}}
			h.node = newTestNode(t, did, tok, nodeOpts{policy: script, starter: starter})
			if c.park {
				// The provider's data plane parks, then starts when asked.
				h.node.start = starterFunc(func(p *Process) (*DataAddress, error) {
					if p.Parked {
						return pullAddress(p)
					}
					return nil, ErrPark
				})
				h.node.restart()
			}
			h.open()
			h.settle(c.first, c.peer, "opening")
			for i, s := range c.steps {
				h.do(i, s)
			}
		})
	}
}
