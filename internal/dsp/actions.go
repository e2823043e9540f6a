package dsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// ErrNotOurTurn is returned by Node.Decide when the process does not wait
// for a decision of this side.
var ErrNotOurTurn = errors.New("dsp: the process does not wait for a decision of this side")

// validCode reports whether s is a reason code of this package's form:
// 1 to 64 bytes of [a-z0-9_.-].
func validCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// peerCode makes a counterparty's code fit an Event: kept when it is a
// short token, else "peer_code".
func peerCode(s string) string {
	if s == "" {
		return ""
	}
	if len(s) <= 64 {
		ok := true
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == ':') {
				ok = false
				break
			}
		}
		if ok {
			return s
		}
	}
	return "peer_code"
}

// decide asks the policy for this side's move in p and makes it.
func (n *Node) decide(ctx context.Context, p *Process) {
	d, err := n.cfg.Policy.Decide(ctx, p.clone())
	if err != nil {
		var rf *Refusal
		if !errors.As(err, &rf) {
			if ctx.Err() == nil {
				n.log.ErrorContext(ctx, "dsp: the negotiation policy failed; the negotiation waits", slog.String("pid", p.PID()), slog.Any("error", err))
			}
			return
		}
		d = Decision{Verdict: Reject, Code: rf.Code, EN: rf.EN, ZH: rf.ZH}
	}
	if _, err := n.apply(ctx, p, d); err != nil && !errors.Is(err, ErrChanged) && ctx.Err() == nil {
		n.log.ErrorContext(ctx, "dsp: making a negotiation move", slog.String("pid", p.PID()), slog.String("verdict", d.Verdict.String()), slog.Any("error", err))
	}
}

// Decide makes a decision for a negotiation that waits for one, typically
// one the policy parked for a manual approval. It returns ErrNotOurTurn
// when the negotiation does not wait for this side; see
// NegotiationPolicy for the verdicts allowed in each state, and
// ErrChanged when the process moved meanwhile.
func (n *Node) Decide(ctx context.Context, r Role, pid string, d Decision) (*Process, error) {
	p, err := n.cfg.Store.Get(ctx, KindNegotiation, r, pid)
	if err != nil {
		return nil, err
	}
	if p.Outbox != nil || !decisionState(p) {
		return p, ErrNotOurTurn
	}
	return n.apply(ctx, p, d)
}

// apply makes decision d on p, which was read in the state d was made
// for; ErrChanged when the process moved meanwhile.
func (n *Node) apply(ctx context.Context, p *Process, d Decision) (*Process, error) {
	const k = KindNegotiation
	r, pid, want := p.Role, p.PID(), p.State
	switch d.Verdict {
	case Park:
		// The policy's code says why it waits (the approval queue shows it).
		code := d.Code
		if !validCode(code) {
			code = "parked"
		}
		q, _, err := n.mutate(ctx, k, r, pid, func(q *Process) (*Event, error) {
			if q.State != want || q.Outbox != nil || q.Parked {
				return nil, ErrChanged
			}
			q.Parked = true
			return n.event(q, q.State, "", r, code), nil
		})
		return q, err
	case Reject:
		code := d.Code
		if !validCode(code) {
			code = "policy_rejected"
		}
		return n.own(ctx, k, r, pid, want, StepTerminate, code, func(q *Process) (Message, error) {
			return terminationMessage(q, code, bilingual(d.EN, d.ZH)), nil
		})
	case Counter:
		if err := n.checkOffer(p, d.Offer); err != nil {
			return p, err
		}
		offer := compact(d.Offer)
		if r == Provider {
			return n.own(ctx, k, r, pid, want, StepOffer, "", func(q *Process) (Message, error) {
				q.Offer = offer
				return &ContractOfferMessage{ProviderPID: q.ProviderPID, ConsumerPID: q.ConsumerPID, Offer: offer}, nil
			})
		}
		return n.own(ctx, k, r, pid, want, StepRequest, "", func(q *Process) (Message, error) {
			if q.ProviderPID == "" {
				return nil, errors.New("dsp: the provider's process id is not known yet")
			}
			q.Offer = offer
			return &ContractRequestMessage{ProviderPID: q.ProviderPID, ConsumerPID: q.ConsumerPID, Offer: offer}, nil
		})
	case Accept:
		switch {
		case r == Provider && (want == Requested || want == Accepted):
			agreement, err := n.agreement(ctx, p, d)
			if err != nil {
				var rf *Refusal
				if errors.As(err, &rf) {
					return n.apply(ctx, p, Decision{Verdict: Reject, Code: rf.Code, EN: rf.EN, ZH: rf.ZH})
				}
				return p, err
			}
			head, _ := ReadPolicyHead(agreement)
			return n.own(ctx, k, r, pid, want, StepAgree, "", func(q *Process) (Message, error) {
				q.Agreement, q.AgreementID = agreement, head.ID
				return &ContractAgreementMessage{ProviderPID: q.ProviderPID, ConsumerPID: q.ConsumerPID, Agreement: agreement}, nil
			})
		case r == Provider && want == Verified:
			return n.own(ctx, k, r, pid, want, StepFinalize, "", func(q *Process) (Message, error) {
				return &ContractNegotiationEventMessage{ProviderPID: q.ProviderPID, ConsumerPID: q.ConsumerPID, EventType: Finalized}, nil
			})
		case r == Consumer && want == Offered:
			return n.own(ctx, k, r, pid, want, StepAccept, "", func(q *Process) (Message, error) {
				return &ContractNegotiationEventMessage{ProviderPID: q.ProviderPID, ConsumerPID: q.ConsumerPID, EventType: Accepted}, nil
			})
		case r == Consumer && want == Agreed:
			if err := d.Extensions.validate(); err != nil {
				return p, err
			}
			return n.own(ctx, k, r, pid, want, StepVerify, "", func(q *Process) (Message, error) {
				q.Extensions = d.Extensions.clone()
				return &ContractAgreementVerificationMessage{ProviderPID: q.ProviderPID, ConsumerPID: q.ConsumerPID, Extensions: d.Extensions.clone()}, nil
			})
		}
		return p, fmt.Errorf("dsp: nothing to accept for the %s in state %s", r, want)
	}
	return p, fmt.Errorf("dsp: unknown verdict %d", d.Verdict)
}

// checkOffer checks a counter offer: a valid Offer for the same dataset.
func (n *Node) checkOffer(p *Process, offer json.RawMessage) error {
	if err := CheckPolicy(offer, "Offer"); err != nil {
		return fmt.Errorf("dsp: the counter offer: %w", err)
	}
	head, _ := ReadPolicyHead(offer)
	if p.Target != "" && head.Target != p.Target {
		return fmt.Errorf("dsp: the counter offer targets %q, the negotiation is about %q", head.Target, p.Target)
	}
	return nil
}

// agreement returns the signed agreement the provider sends.
func (n *Node) agreement(ctx context.Context, p *Process, d Decision) (json.RawMessage, error) {
	a := d.Agreement
	if a == nil {
		var err error
		if a, err = n.deriveAgreement(p); err != nil {
			return nil, err
		}
	}
	if n.cfg.Signer != nil {
		var err error
		if a, err = n.cfg.Signer.SignAgreement(ctx, p.clone(), a); err != nil {
			return nil, fmt.Errorf("dsp: signing the agreement: %w", err)
		}
	}
	if err := CheckPolicy(a, "Agreement"); err != nil {
		return nil, fmt.Errorf("dsp: the agreement to send: %w", err)
	}
	head, _ := ReadPolicyHead(a)
	if p.Target != "" && head.Target != p.Target {
		return nil, fmt.Errorf("dsp: the agreement targets %q, the negotiation is about %q", head.Target, p.Target)
	}
	return compact(a), nil
}

// deriveAgreement turns the offer of p into the agreement: a new @id,
// assigner this participant, assignee the counterparty, timestamp now.
func (n *Node) deriveAgreement(p *Process) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(p.Offer))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errors.New("dsp: the negotiation has no offer to derive an agreement from")
	}
	delete(m, "@context")
	m["@type"] = "Agreement"
	m["@id"] = n.cfg.NewPID()
	m["assigner"] = n.cfg.ParticipantID
	m["assignee"] = p.Counterparty
	m["timestamp"] = n.now().Format(time.RFC3339)
	return json.Marshal(m)
}

func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// start asks the data plane to start (or, resume, restart) the provider's
// transfer p and sends the start message.
func (n *Node) start(ctx context.Context, p *Process, resume bool) (*Process, error) {
	const k = KindTransfer
	if _, err := Next(k, p.State, Provider, StepStart); err != nil {
		return p, err
	}
	if n.cfg.Transfers == nil {
		return n.own(ctx, k, Provider, p.PID(), p.State, StepTransferTerminate, "transfer_unavailable", func(q *Process) (Message, error) {
			return terminationMessage(q, "transfer_unavailable", bilingual("This connector does not transfer data.", "本连接器不提供数据传输。")), nil
		})
	}
	da, err := n.cfg.Transfers.StartTransfer(ctx, p.clone())
	var rf *Refusal
	switch {
	case errors.Is(err, ErrPark) && !resume:
		q, _, err := n.mutate(ctx, k, Provider, p.PID(), func(q *Process) (*Event, error) {
			if q.State != p.State || q.Parked || q.Outbox != nil {
				return nil, ErrChanged
			}
			q.Parked = true
			return n.event(q, q.State, "", Provider, "parked"), nil
		})
		return q, err
	case errors.As(err, &rf):
		code := rf.Code
		if !validCode(code) {
			code = "transfer_refused"
		}
		return n.own(ctx, k, Provider, p.PID(), p.State, StepTransferTerminate, code, func(q *Process) (Message, error) {
			return terminationMessage(q, code, bilingual(rf.EN, rf.ZH)), nil
		})
	case err != nil:
		if !errors.Is(err, ErrPark) && ctx.Err() == nil {
			n.log.ErrorContext(ctx, "dsp: the data plane did not start the transfer; it waits", slog.String("pid", p.PID()), slog.Any("error", err))
		}
		return p, err
	}
	return n.own(ctx, k, Provider, p.PID(), p.State, StepStart, "", func(q *Process) (Message, error) {
		q.DataAddress = da
		return &TransferStartMessage{ProviderPID: q.ProviderPID, ConsumerPID: q.ConsumerPID, DataAddress: da}, nil
	})
}

// StartTransfer starts a transfer that waits (a provider's parked
// request) or resumes a suspended one. The provider asks its
// TransferStarter for the data address first.
func (n *Node) StartTransfer(ctx context.Context, r Role, pid string) (*Process, error) {
	p, err := n.cfg.Store.Get(ctx, KindTransfer, r, pid)
	if err != nil {
		return nil, err
	}
	if r == Provider {
		return n.start(ctx, p, true)
	}
	return n.own(ctx, KindTransfer, r, pid, "", StepStart, "", func(q *Process) (Message, error) {
		return &TransferStartMessage{ProviderPID: q.ProviderPID, ConsumerPID: q.ConsumerPID}, nil
	})
}

// SuspendTransfer suspends a started transfer, with a reason code and
// reasons for the counterparty.
func (n *Node) SuspendTransfer(ctx context.Context, r Role, pid, code string, reason ...Reason) (*Process, error) {
	return n.own(ctx, KindTransfer, r, pid, "", StepSuspend, eventCode(code), func(q *Process) (Message, error) {
		return &TransferSuspensionMessage{ProviderPID: q.ProviderPID, ConsumerPID: q.ConsumerPID, Code: code, Reason: reason}, nil
	})
}

// CompleteTransfer completes a started transfer.
func (n *Node) CompleteTransfer(ctx context.Context, r Role, pid string) (*Process, error) {
	return n.own(ctx, KindTransfer, r, pid, "", StepComplete, "", func(q *Process) (Message, error) {
		return &TransferCompletionMessage{ProviderPID: q.ProviderPID, ConsumerPID: q.ConsumerPID}, nil
	})
}

// Terminate ends a negotiation or a transfer from this side, when the
// state machine lets this side do so, with a reason code and reasons.
func (n *Node) Terminate(ctx context.Context, k Kind, r Role, pid, code string, reason ...Reason) (*Process, error) {
	return n.own(ctx, k, r, pid, "", terminateStep(k), eventCode(code), func(q *Process) (Message, error) {
		if q.PeerPID() == "" {
			return nil, errors.New("dsp: the counterparty's process id is not known yet")
		}
		return terminationMessage(q, code, reason), nil
	})
}

func eventCode(code string) string {
	if validCode(code) {
		return code
	}
	return peerCode(code)
}

func checkPeerURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", errors.New("dsp: the counterparty's address must be an absolute http(s) URL without query, fragment or credentials")
	}
	return strings.TrimRight(s, "/"), nil
}

// create stores a new process of this side with its first message in
// the outbox, then delivers it.
func (n *Node) create(ctx context.Context, p *Process, step Step, msg Message) (*Process, error) {
	now := n.now()
	p.Created, p.Updated = now, now
	if err := outgoing(p, msg); err != nil {
		return nil, err
	}
	e := n.event(p, "", step, p.Role, "")
	stored, created, err := n.cfg.Store.Create(ctx, p, e)
	if err != nil {
		return nil, err
	}
	if !created {
		return stored, fmt.Errorf("dsp: process id %s is taken", p.PID())
	}
	n.record(ctx, e)
	if err := n.deliver(ctx, stored); err != nil {
		q, _ := n.cfg.Store.Get(context.WithoutCancel(ctx), p.Kind, p.Role, p.PID())
		return q, err
	}
	return n.cfg.Store.Get(ctx, p.Kind, p.Role, p.PID())
}

// RequestContract starts a negotiation as the consumer: it sends a
// ContractRequestMessage for offer (an ODRL Offer with @id and target, as
// found in the provider's catalog) to the provider at providerURL (its
// <base>), whose identifier is providerID (the provider's callbacks must
// authenticate as it). It returns the process once the provider has
// acknowledged it; the rest of the negotiation runs in the background
// (NegotiationPolicy, EventSink).
func (n *Node) RequestContract(ctx context.Context, providerURL, providerID string, offer json.RawMessage) (*Process, error) {
	addr, err := checkPeerURL(providerURL)
	if err != nil {
		return nil, err
	}
	if err := CheckPolicy(offer, "Offer"); err != nil {
		return nil, err
	}
	head, _ := ReadPolicyHead(offer)
	offer = compact(offer)
	p := &Process{Kind: KindNegotiation, Role: Consumer, ConsumerPID: n.cfg.NewPID(), State: Requested,
		Counterparty: providerID, PeerAddress: addr, Offer: offer, Target: head.Target}
	return n.create(ctx, p, StepRequest, &ContractRequestMessage{ConsumerPID: p.ConsumerPID, Offer: offer, CallbackAddress: n.callback})
}

// OfferContract starts a negotiation as the provider: it sends a
// ContractOfferMessage to the consumer at consumerURL (its <base>).
func (n *Node) OfferContract(ctx context.Context, consumerURL, consumerID string, offer json.RawMessage) (*Process, error) {
	addr, err := checkPeerURL(consumerURL)
	if err != nil {
		return nil, err
	}
	if err := CheckPolicy(offer, "Offer"); err != nil {
		return nil, err
	}
	head, _ := ReadPolicyHead(offer)
	offer = compact(offer)
	p := &Process{Kind: KindNegotiation, Role: Provider, ProviderPID: n.cfg.NewPID(), State: Offered,
		Counterparty: consumerID, PeerAddress: addr, Offer: offer, Target: head.Target}
	return n.create(ctx, p, StepOffer, &ContractOfferMessage{ProviderPID: p.ProviderPID, Offer: offer, CallbackAddress: n.provider})
}

// TransferRequest is what a consumer asks to transfer.
type TransferRequest struct {
	AgreementID string
	// Format is the transfer type, e.g. "HttpData-PULL".
	Format string
	// DataAddress is the destination of a push transfer; nil for pull.
	DataAddress *DataAddress
	// Extensions go with the request (for example the consumer's
	// ephemeral key of xborder's data plane).
	Extensions Extensions
}

// RequestTransfer starts a transfer as the consumer under a finalized
// agreement with the provider at providerURL (its <base>). It returns
// once the provider has acknowledged the request; the provider's start
// (with the data address to pull from) arrives later (EventSink, Process).
func (n *Node) RequestTransfer(ctx context.Context, providerURL, providerID string, req TransferRequest) (*Process, error) {
	addr, err := checkPeerURL(providerURL)
	if err != nil {
		return nil, err
	}
	msg := &TransferRequestMessage{ConsumerPID: n.cfg.NewPID(), AgreementID: req.AgreementID, Format: req.Format, DataAddress: req.DataAddress, CallbackAddress: n.callback,
		Extensions: req.Extensions}
	if err := msg.validate(); err != nil {
		return nil, err
	}
	p := &Process{Kind: KindTransfer, Role: Consumer, ConsumerPID: msg.ConsumerPID, State: Requested, Counterparty: providerID,
		PeerAddress: addr, AgreementID: req.AgreementID, Format: req.Format, DataAddress: req.DataAddress,
		Extensions: req.Extensions.clone()}
	return n.create(ctx, p, StepTransferRequest, msg)
}
