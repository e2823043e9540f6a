package dsp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Error codes of refused requests, the code of the protocol Error body
// (besides the codes of MessageError).
const (
	CodeNotFound          = "not_found"          // unknown process, or not the caller's (also: not authenticated)
	CodeInvalidTransition = "invalid_transition" // the state machine does not allow the message
	CodeUnexpected        = "unexpected_message" // not the message this endpoint takes
	CodePIDMismatch       = "pid_mismatch"       // the process ids of the message and the path or the process differ
	CodeTargetMismatch    = "target_mismatch"    // an offer or agreement for another dataset
	CodeBadMediaType      = "bad_media_type"     // a Content-Type other than JSON
	CodeInternal          = "internal_error"
)

// requestError is a refused request with its status and code.
type requestError struct {
	status int
	code   string
	msg    string
}

func (e *requestError) Error() string { return "dsp: " + e.msg }

func badRequest(code, msg string) error { return &requestError{http.StatusBadRequest, code, msg} }

// errorStatus is the one place that maps errors to HTTP: the status, the
// code and the message sent to the client (never internal detail).
func errorStatus(err error) (int, string, string) {
	var re *requestError
	var me *MessageError
	var te *TransitionError
	switch {
	case errors.As(err, &re):
		return re.status, re.code, re.msg
	case errors.As(err, &me):
		return http.StatusBadRequest, me.Code, strings.TrimPrefix(me.Error(), "dsp: ")
	case errors.As(err, &te):
		return http.StatusBadRequest, CodeInvalidTransition, strings.TrimPrefix(te.Error(), "dsp: ")
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, CodeNotFound, "no such process"
	}
	return http.StatusInternalServerError, CodeInternal, "internal error"
}

// Handler serves the protocol below the root (Config.PublicURL):
//
//	GET  /.well-known/dspace-version                    (unauthenticated)
//	<base> = BasePath, provider endpoints:
//	GET  <base>/negotiations/{providerPid}
//	POST <base>/negotiations/request                    201
//	POST <base>/negotiations/{providerPid}/request
//	POST <base>/negotiations/{providerPid}/events
//	POST <base>/negotiations/{providerPid}/agreement/verification
//	POST <base>/negotiations/{providerPid}/termination
//	GET  <base>/transfers/{providerPid}
//	POST <base>/transfers/request                       201, idempotent on consumerPid
//	POST <base>/transfers/{providerPid}/{start,completion,termination,suspension}
//	POST <base>/catalog/request[?cursor=…]              200, Link: rel="next", rel="previous"
//	GET  <base>/catalog/datasets/{id}                   200 (catalog_server.go)
//	consumer endpoints (the callback address is <base> too):
//	POST <base>/negotiations/offers                     201 (provider-initiated)
//	GET  <base>/negotiations/{consumerPid}
//	POST <base>/negotiations/{consumerPid}/{offers,agreement,events,termination}
//	GET  <base>/transfers/{consumerPid}
//	POST <base>/transfers/{consumerPid}/{start,completion,termination,suspension}
//
// The two sides share one URL space, because after a provider-initiated
// offer the provider can only address the consumer's <base>; where both
// sides have an endpoint, the process id (chosen by this node, unique)
// tells which side's process is meant.
//
// Answers: 201 with the process for initial requests, 200 otherwise; 400
// with the protocol Error body for a bad body (more than MaxMessageBytes,
// not a strict 2025-1 message, not the endpoint's message, process ids
// that do not match) or a transition the state machine refuses, with
// nothing changed; 404 with the Error body for an unknown process, a
// process of another party, or a request that does not authenticate.
// Repeated slashes and a trailing slash in the path are tolerated.
func (n *Node) Handler() http.Handler { return n.handler }

func (n *Node) routes() http.Handler {
	mux := http.NewServeMux()
	b := n.base
	both := []Role{Provider, Consumer}
	mux.HandleFunc("GET /.well-known/dspace-version", n.versions)

	mux.HandleFunc("POST "+b+"/negotiations/request", n.initialRequest)
	mux.HandleFunc("POST "+b+"/negotiations/offers", n.initialOffer)
	mux.HandleFunc("GET "+b+"/negotiations/{pid}", n.get(KindNegotiation, both))
	mux.HandleFunc("POST "+b+"/negotiations/{pid}/request", n.receive(KindNegotiation, TypeContractRequestMessage, Provider))
	mux.HandleFunc("POST "+b+"/negotiations/{pid}/offers", n.receive(KindNegotiation, TypeContractOfferMessage, Consumer))
	mux.HandleFunc("POST "+b+"/negotiations/{pid}/agreement", n.receive(KindNegotiation, TypeContractAgreementMessage, Consumer))
	mux.HandleFunc("POST "+b+"/negotiations/{pid}/agreement/verification", n.receive(KindNegotiation, TypeContractAgreementVerificationMessage, Provider))
	mux.HandleFunc("POST "+b+"/negotiations/{pid}/events", n.receive(KindNegotiation, TypeContractNegotiationEventMessage, both...))
	mux.HandleFunc("POST "+b+"/negotiations/{pid}/termination", n.receive(KindNegotiation, TypeContractNegotiationTerminationMessage, both...))

	mux.HandleFunc("POST "+b+"/transfers/request", n.initialTransfer)
	mux.HandleFunc("GET "+b+"/transfers/{pid}", n.get(KindTransfer, both))
	mux.HandleFunc("POST "+b+"/transfers/{pid}/start", n.receive(KindTransfer, TypeTransferStartMessage, both...))
	mux.HandleFunc("POST "+b+"/transfers/{pid}/completion", n.receive(KindTransfer, TypeTransferCompletionMessage, both...))
	mux.HandleFunc("POST "+b+"/transfers/{pid}/termination", n.receive(KindTransfer, TypeTransferTerminationMessage, both...))
	mux.HandleFunc("POST "+b+"/transfers/{pid}/suspension", n.receive(KindTransfer, TypeTransferSuspensionMessage, both...))

	mux.HandleFunc("POST "+b+"/catalog/request", n.catalogRequest)
	mux.HandleFunc("GET "+b+"/catalog/datasets/{id...}", n.catalogDataset)
	mux.HandleFunc("GET "+b+"/catalog/datasets", n.catalogDataset) // no id: 404, not the mux's redirect
	return cleanPaths(mux)
}

// roleOf finds which of this node's sides holds process pid.
func (n *Node) roleOf(ctx context.Context, k Kind, pid string, roles []Role) (Role, error) {
	if len(roles) == 1 {
		return roles[0], nil
	}
	for _, r := range roles {
		_, err := n.cfg.Store.Get(ctx, k, r, pid)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return r, err
		}
	}
	return roles[0], ErrNotFound
}

// cleanPaths collapses repeated slashes and drops a trailing slash, so
// that a callbackAddress written with or without a final "/" works (the
// mux would redirect a POST, losing its body). It works on the escaped
// path: an escaped slash (%2F, as in a dataset IRI in
// /catalog/datasets/{id}) is part of a segment, not a separator.
func cleanPaths(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.EscapedPath()
		if strings.Contains(p, "//") || (len(p) > 1 && strings.HasSuffix(p, "/")) {
			for strings.Contains(p, "//") {
				p = strings.ReplaceAll(p, "//", "/")
			}
			if len(p) > 1 {
				p = strings.TrimSuffix(p, "/")
			}
			if up, err := url.PathUnescape(p); err == nil {
				r2 := r.Clone(r.Context())
				r2.URL.Path, r2.URL.RawPath = up, p
				r = r2
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (n *Node) versions(w http.ResponseWriter, r *http.Request) {
	path := n.base
	if path == "" {
		path = "/"
	}
	writeJSON(w, http.StatusOK, VersionResponse{ProtocolVersions: []ProtocolVersion{{
		Version: Version, Path: path, Binding: BindingHTTPS, ServiceID: n.cfg.ServiceID,
		IdentifierType: n.cfg.IdentifierType, Auth: n.cfg.VersionAuth,
	}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b) // the client went away
}

// ack is the process as the protocol shows it.
func ack(p *Process) Message {
	if p.Kind == KindTransfer {
		return &TransferProcess{ProviderPID: p.ProviderPID, ConsumerPID: p.ConsumerPID, State: p.State}
	}
	return &ContractNegotiation{ProviderPID: p.ProviderPID, ConsumerPID: p.ConsumerPID, State: p.State}
}

// refuse stores the refusal in the history (before answering, as a
// transition is), answers err with the protocol Error body and tells the
// EventSink. own and peer are the process ids as far as they are known.
func (n *Node) refuse(w http.ResponseWriter, r *http.Request, k Kind, role Role, own, peer, caller string, step Step, p *Process, err error) {
	status, code, msg := errorStatus(err)
	if status >= 500 {
		n.log.ErrorContext(r.Context(), "dsp: handling a request", slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	pp, cp := own, peer
	if role == Consumer {
		pp, cp = peer, own
	}
	// Tell the caller the ids of the process only once it has shown it is
	// the counterparty.
	if p != nil && status != http.StatusNotFound {
		pp, cp = p.ProviderPID, p.ConsumerPID
	}
	reason := []Reason{{Value: msg}}
	var body Message = &ContractNegotiationError{ProviderPID: pp, ConsumerPID: cp, Code: code, Reason: reason}
	if k == KindTransfer {
		body = &TransferError{ProviderPID: pp, ConsumerPID: cp, Code: code, Reason: reason}
	}
	// The ids and the caller come from the request when the process is
	// unknown: bounded, as anyone can send them.
	e := &Event{Time: n.now(), Kind: k, Role: role, ProviderPID: bounded(pp), ConsumerPID: bounded(cp), Counterparty: bounded(caller), Actor: bounded(caller),
		Sender: role.Other(), Step: step, Code: code, Refused: true}
	if p != nil {
		e.From, e.To, e.AgreementID, e.Target = p.State, p.State, p.AgreementID, p.Target
	}
	ctx := context.WithoutCancel(r.Context())
	if serr := n.cfg.Store.AddRefusal(ctx, e); serr != nil {
		n.log.ErrorContext(ctx, "dsp: storing a refusal", slog.String("kind", string(k)), slog.String("pid", e.ProviderPID),
			slog.String("code", code), slog.Any("error", serr))
	}
	writeJSON(w, status, body)
	n.record(ctx, e)
}

// maxRefusedID bounds an identifier a refused request brings (a process
// id in the path can be as long as the request line).
const maxRefusedID = 512

func bounded(s string) string {
	if len(s) > maxRefusedID {
		return s[:maxRefusedID]
	}
	return s
}

// readMessage authenticates the caller and reads the body as a message.
func (n *Node) readMessage(w http.ResponseWriter, r *http.Request) (string, Message, error) {
	caller, err := n.cfg.Auth.Authenticate(r)
	if err != nil {
		n.log.InfoContext(r.Context(), "dsp: a request did not authenticate", slog.String("path", r.URL.Path), slog.Any("error", err))
		return "", nil, ErrNotFound
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "application/ld+json" && !strings.HasSuffix(mt, "+json")) {
			return caller, nil, badRequest(CodeBadMediaType, "the body must be application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxMessageBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return caller, nil, &MessageError{Code: CodeTooLarge, Msg: "the message is larger than 1 MiB"}
		}
		return caller, nil, badRequest(CodeBadMessage, "the body could not be read")
	}
	m, err := Decode(body)
	return caller, m, err
}

// pids returns the process ids a message carries.
func pids(m Message) (provider, consumer string) {
	switch m := m.(type) {
	case *ContractRequestMessage:
		return m.ProviderPID, m.ConsumerPID
	case *ContractOfferMessage:
		return m.ProviderPID, m.ConsumerPID
	case *ContractAgreementMessage:
		return m.ProviderPID, m.ConsumerPID
	case *ContractAgreementVerificationMessage:
		return m.ProviderPID, m.ConsumerPID
	case *ContractNegotiationEventMessage:
		return m.ProviderPID, m.ConsumerPID
	case *ContractNegotiationTerminationMessage:
		return m.ProviderPID, m.ConsumerPID
	case *TransferRequestMessage:
		return "", m.ConsumerPID
	case *TransferStartMessage:
		return m.ProviderPID, m.ConsumerPID
	case *TransferSuspensionMessage:
		return m.ProviderPID, m.ConsumerPID
	case *TransferCompletionMessage:
		return m.ProviderPID, m.ConsumerPID
	case *TransferTerminationMessage:
		return m.ProviderPID, m.ConsumerPID
	}
	return "", ""
}

// messageCode is the code a termination or suspension carries.
func messageCode(m Message) string {
	switch m := m.(type) {
	case *ContractNegotiationTerminationMessage:
		return peerCode(m.Code)
	case *TransferTerminationMessage:
		return peerCode(m.Code)
	case *TransferSuspensionMessage:
		return peerCode(m.Code)
	}
	return ""
}

// receive handles a message from the counterparty about an existing
// process of this node, held by one of roles.
func (n *Node) receive(k Kind, typ string, roles ...Role) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pid := r.PathValue("pid")
		caller, msg, err := n.readMessage(w, r)
		var step Step
		if err == nil && msg.MessageType() != typ {
			err = badRequest(CodeUnexpected, "this endpoint takes a "+typ+", not a "+msg.MessageType())
		}
		if err == nil {
			_, step, _ = StepOf(msg)
		}
		role := roles[0]
		if err == nil {
			role, err = n.roleOf(r.Context(), k, pid, roles)
		}
		pp, cp := pids(msg)
		own, peer := pp, cp
		if role == Consumer {
			own, peer = cp, pp
		}
		if err == nil && own != pid {
			err = badRequest(CodePIDMismatch, "the message's "+string(role)+"Pid differs from the process id in the path")
		}
		if err != nil {
			n.refuse(w, r, k, role, pid, peer, caller, step, nil, err)
			return
		}
		var seen *Process
		p, _, err := n.mutate(r.Context(), k, role, pid, func(p *Process) (*Event, error) {
			if p.Counterparty != caller {
				return nil, ErrNotFound
			}
			seen = p
			if p.PeerPID() != "" && p.PeerPID() != peer {
				return nil, badRequest(CodePIDMismatch, "the message's "+string(role.Other())+"Pid is not the one of this process")
			}
			from := p.State
			to, err := Next(k, from, role.Other(), step)
			if err != nil {
				return nil, err
			}
			if p.PeerPID() == "" {
				p.setPeerPID(peer)
			}
			if err := absorb(p, msg); err != nil {
				return nil, err
			}
			p.State, p.Parked, p.Outbox = to, false, nil
			return n.event(p, from, step, role.Other(), messageCode(msg)), nil
		})
		if err != nil {
			n.refuse(w, r, k, role, pid, peer, caller, step, seen, err)
			return
		}
		w.WriteHeader(http.StatusOK)
		if n.ourTurn(p) {
			n.schedule(k, role, pid)
		}
	}
}

// absorb takes what a message brings into the process.
func absorb(p *Process, m Message) error {
	switch m := m.(type) {
	case *ContractRequestMessage:
		return takeOffer(p, m.Offer)
	case *ContractOfferMessage:
		return takeOffer(p, m.Offer)
	case *ContractAgreementMessage:
		head, _ := ReadPolicyHead(m.Agreement)
		if p.Target != "" && head.Target != p.Target {
			return badRequest(CodeTargetMismatch, "the agreement's target is not the dataset of this negotiation")
		}
		p.Agreement, p.AgreementID = compact(m.Agreement), head.ID
		if p.Target == "" {
			p.Target = head.Target
		}
	case *ContractAgreementVerificationMessage:
		p.Extensions = m.Extensions.clone()
	case *TransferStartMessage:
		if m.DataAddress != nil {
			p.DataAddress = m.DataAddress
		}
	}
	return nil
}

func takeOffer(p *Process, offer json.RawMessage) error {
	head, _ := ReadPolicyHead(offer)
	if p.Target != "" && head.Target != p.Target {
		return badRequest(CodeTargetMismatch, "the offer's target is not the dataset of this negotiation")
	}
	p.Offer, p.Target = compact(offer), head.Target
	return nil
}

// get answers GET of a process.
func (n *Node) get(k Kind, roles []Role) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pid := r.PathValue("pid")
		caller, err := n.cfg.Auth.Authenticate(r)
		if err != nil {
			n.refuse(w, r, k, Provider, pid, "", "", "", nil, ErrNotFound)
			return
		}
		role, err := n.roleOf(r.Context(), k, pid, roles)
		var p *Process
		if err == nil {
			p, err = n.cfg.Store.Get(r.Context(), k, role, pid)
		}
		if err == nil && p.Counterparty != caller {
			err = ErrNotFound
		}
		if err != nil {
			n.refuse(w, r, k, role, pid, "", caller, "", nil, err)
			return
		}
		writeJSON(w, http.StatusOK, ack(p))
	}
}

// created stores a process a counterparty's initial message creates and
// answers 201 with it; a repeated initial message (same counterparty,
// same process id of theirs) gets the existing process.
func (n *Node) created(w http.ResponseWriter, r *http.Request, p *Process, step Step, caller string) {
	now := n.now()
	p.Created, p.Updated, p.Counterparty = now, now, caller
	if _, err := Next(p.Kind, "", p.Role.Other(), step); err != nil {
		n.refuse(w, r, p.Kind, p.Role, "", p.PeerPID(), caller, step, nil, err)
		return
	}
	e := n.event(p, "", step, p.Role.Other(), "")
	stored, isNew, err := n.cfg.Store.Create(r.Context(), p, e)
	if err != nil {
		n.refuse(w, r, p.Kind, p.Role, "", p.PeerPID(), caller, step, nil, err)
		return
	}
	if isNew {
		n.record(r.Context(), e)
	} else if stored.Kind == KindTransfer && stored.State == Started && stored.Outbox == nil {
		n.resendStart(r.Context(), stored)
	}
	writeJSON(w, http.StatusCreated, ack(stored))
	if isNew && n.ourTurn(stored) {
		n.schedule(stored.Kind, stored.Role, stored.PID())
	}
}

// resendStart answers a repeated transfer request for a started transfer
// with the start message again, as the protocol suggests.
func (n *Node) resendStart(ctx context.Context, p *Process) {
	_, _, err := n.mutate(context.WithoutCancel(ctx), KindTransfer, Provider, p.PID(), func(q *Process) (*Event, error) {
		if q.State != Started || q.Outbox != nil {
			return nil, ErrChanged
		}
		return nil, outgoing(q, &TransferStartMessage{ProviderPID: q.ProviderPID, ConsumerPID: q.ConsumerPID, DataAddress: q.DataAddress})
	})
	if err == nil {
		n.schedule(KindTransfer, Provider, p.PID())
	}
}

// initialRequest handles POST <base>/negotiations/request.
func (n *Node) initialRequest(w http.ResponseWriter, r *http.Request) {
	caller, msg, err := n.readMessage(w, r)
	m, ok := msg.(*ContractRequestMessage)
	switch {
	case err != nil:
	case !ok:
		err = badRequest(CodeUnexpected, "this endpoint takes a ContractRequestMessage, not a "+msg.MessageType())
	case m.CallbackAddress == "":
		err = badRequest(CodeBadMessage, "an initial ContractRequestMessage has a callbackAddress and no providerPid; a counter offer goes to /negotiations/{providerPid}/request")
	}
	if err != nil {
		_, cp := pids(msg)
		n.refuse(w, r, KindNegotiation, Provider, "", cp, caller, StepRequest, nil, err)
		return
	}
	n.created(w, r, &Process{Kind: KindNegotiation, Role: Provider, ProviderPID: n.cfg.NewPID(), ConsumerPID: m.ConsumerPID,
		State: Requested, PeerAddress: strings.TrimRight(m.CallbackAddress, "/"), Offer: compact(m.Offer), Target: head(m.Offer).Target}, StepRequest, caller)
}

// initialOffer handles POST <base>/negotiations/offers (the consumer's
// side of a provider-initiated negotiation).
func (n *Node) initialOffer(w http.ResponseWriter, r *http.Request) {
	caller, msg, err := n.readMessage(w, r)
	m, ok := msg.(*ContractOfferMessage)
	switch {
	case err != nil:
	case !ok:
		err = badRequest(CodeUnexpected, "this endpoint takes a ContractOfferMessage, not a "+msg.MessageType())
	case m.CallbackAddress == "":
		err = badRequest(CodeBadMessage, "an initial ContractOfferMessage has a callbackAddress and no consumerPid")
	}
	if err != nil {
		pp, _ := pids(msg)
		n.refuse(w, r, KindNegotiation, Consumer, "", pp, caller, StepOffer, nil, err)
		return
	}
	n.created(w, r, &Process{Kind: KindNegotiation, Role: Consumer, ProviderPID: m.ProviderPID, ConsumerPID: n.cfg.NewPID(),
		State: Offered, PeerAddress: strings.TrimRight(m.CallbackAddress, "/"), Offer: compact(m.Offer), Target: head(m.Offer).Target}, StepOffer, caller)
}

// initialTransfer handles POST <base>/transfers/request.
func (n *Node) initialTransfer(w http.ResponseWriter, r *http.Request) {
	caller, msg, err := n.readMessage(w, r)
	m, ok := msg.(*TransferRequestMessage)
	if err == nil && !ok {
		err = badRequest(CodeUnexpected, "this endpoint takes a TransferRequestMessage, not a "+msg.MessageType())
	}
	if err != nil {
		_, cp := pids(msg)
		n.refuse(w, r, KindTransfer, Provider, "", cp, caller, StepTransferRequest, nil, err)
		return
	}
	n.created(w, r, &Process{Kind: KindTransfer, Role: Provider, ProviderPID: n.cfg.NewPID(), ConsumerPID: m.ConsumerPID,
		State: Requested, PeerAddress: strings.TrimRight(m.CallbackAddress, "/"), AgreementID: m.AgreementID, Format: m.Format,
		DataAddress: m.DataAddress, Extensions: m.Extensions}, StepTransferRequest, caller)
}

func head(raw json.RawMessage) PolicyHead {
	h, _ := ReadPolicyHead(raw)
	return h
}
