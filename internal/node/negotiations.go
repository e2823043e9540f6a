package node

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/jsonstrict"
)

// The approval queue: negotiations the compliance gate parked (a filing not
// on record, a point needing review) wait for the compliance office, which
// records the filing (POST /api/v1/approvals) and accepts, or rejects with
// a reason the consumer receives.

type negotiationView struct {
	Role         string `json:"role"`
	ProviderPID  string `json:"providerPid"`
	ConsumerPID  string `json:"consumerPid"`
	State        string `json:"state"`
	Parked       bool   `json:"parked"`
	Counterparty string `json:"counterparty"`
	Dataset      string `json:"dataset"`
	AgreementID  string `json:"agreementId,omitempty"`
	// Agreement is the agreement as both sides hold it, with the
	// provider's signature; Countersignature is the consumer's.
	Agreement        json.RawMessage `json:"agreement,omitempty"`
	Countersignature string          `json:"countersignature,omitempty"`
	Events           []dsp.Event     `json:"events,omitempty"`
	// Termination is the counterparty's code and reason, as received.
	Termination *Termination `json:"termination,omitempty"`
}

func viewOf(p *dsp.Process) negotiationView {
	cs, _ := p.Extensions.String(ExtConsumerSignature)
	return negotiationView{Role: string(p.Role), ProviderPID: p.ProviderPID, ConsumerPID: p.ConsumerPID, State: string(p.State),
		Parked: p.Parked, Counterparty: p.Counterparty, Dataset: p.Target, AgreementID: p.AgreementID, Agreement: p.Agreement,
		Countersignature: cs}
}

func (n *Node) needDSP(w http.ResponseWriter) bool {
	if n.dsp == nil {
		apiError(w, http.StatusServiceUnavailable, "no_protocol", "this node has no DID and key, so no Dataspace Protocol")
		return false
	}
	return true
}

// listNegotiations lists unfinished negotiations (?parked=true: the queue).
func (n *Node) listNegotiations(w http.ResponseWriter, r *http.Request, _ Token) {
	if !n.needDSP(w) {
		return
	}
	ps, err := n.dspStore.Unfinished(r.Context())
	if err != nil {
		apiError(w, http.StatusInternalServerError, "dsp_failed", "listing negotiations failed")
		return
	}
	parked := r.URL.Query().Get("parked") == "true"
	out := []negotiationView{}
	for _, p := range ps {
		if p.Kind == dsp.KindNegotiation && (!parked || p.Parked) {
			out = append(out, viewOf(p))
		}
	}
	writeJSON(w, out)
}

// getNegotiation returns one negotiation of this node as provider, with its history.
func (n *Node) getNegotiation(w http.ResponseWriter, r *http.Request, _ Token) {
	if !n.needDSP(w) {
		return
	}
	role, pid, ok := rolePID(w, r)
	if !ok {
		return
	}
	p, err := n.dsp.Process(r.Context(), dsp.KindNegotiation, role, pid)
	if err != nil {
		apiError(w, http.StatusNotFound, "not_found", "no such negotiation")
		return
	}
	v := viewOf(p)
	if v.Events, err = n.dsp.Events(r.Context(), dsp.KindNegotiation, role, pid); err != nil {
		apiError(w, http.StatusInternalServerError, "dsp_failed", "reading the history failed")
		return
	}
	if v.Termination, err = n.receivedTermination(r.Context(), dsp.KindNegotiation, pid); err != nil {
		apiError(w, http.StatusInternalServerError, "dsp_failed", "reading the termination's reason failed")
		return
	}
	writeJSON(w, v)
}

// rolePID reads ?role=provider|consumer (default provider) and the pid.
func rolePID(w http.ResponseWriter, r *http.Request) (dsp.Role, string, bool) {
	role := dsp.Provider
	switch r.URL.Query().Get("role") {
	case "", "provider":
	case "consumer":
		role = dsp.Consumer
	default:
		apiError(w, http.StatusBadRequest, "bad_parameter", "role: provider or consumer")
		return "", "", false
	}
	pid := r.PathValue("pid")
	if pid == "" || len(pid) > 512 {
		apiError(w, http.StatusBadRequest, "bad_parameter", "the process id")
		return "", "", false
	}
	return role, pid, true
}

type decisionBody struct {
	Verdict string `json:"verdict"` // accept or reject
	Code    string `json:"code,omitempty"`
	EN      string `json:"en,omitempty"`
	ZH      string `json:"zh,omitempty"`
}

// decideNegotiation resolves a parked negotiation.
func (n *Node) decideNegotiation(w http.ResponseWriter, r *http.Request, _ Token) {
	if !n.needDSP(w) {
		return
	}
	role, pid, ok := rolePID(w, r)
	if !ok {
		return
	}
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	var d decisionBody
	if err := jsonstrict.Decode(b, &d); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_decision", err.Error())
		return
	}
	var dec dsp.Decision
	switch d.Verdict {
	case "accept":
		dec.Verdict = dsp.Accept
	case "reject":
		if d.Code == "" || d.EN == "" || d.ZH == "" || len(d.EN) > 1000 || len(d.ZH) > 1000 || strings.ContainsAny(d.Code, " \t\n") {
			apiError(w, http.StatusBadRequest, "invalid_decision", "a rejection needs a code and a reason in English (en) and Chinese (zh)")
			return
		}
		dec = dsp.Decision{Verdict: dsp.Reject, Code: d.Code, EN: d.EN, ZH: d.ZH}
	default:
		apiError(w, http.StatusBadRequest, "invalid_decision", "verdict: accept or reject")
		return
	}
	p, err := n.dsp.Decide(r.Context(), role, pid, dec)
	switch {
	case errors.Is(err, dsp.ErrNotOurTurn), errors.Is(err, dsp.ErrChanged):
		apiError(w, http.StatusConflict, "not_waiting", "the negotiation is not waiting for a decision")
		return
	case err != nil:
		apiError(w, http.StatusNotFound, "not_found", "no such negotiation")
		return
	}
	writeJSON(w, viewOf(p))
}
