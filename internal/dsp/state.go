package dsp

import (
	"errors"
	"fmt"
)

// Kind is the kind of a process: a contract negotiation or a transfer.
type Kind string

// Kinds.
const (
	KindNegotiation Kind = "negotiation"
	KindTransfer    Kind = "transfer"
)

// Role is the part a connector plays in a process.
type Role string

// Roles.
const (
	Provider Role = "provider"
	Consumer Role = "consumer"
)

// Other returns the counterpart's role.
func (r Role) Other() Role {
	if r == Provider {
		return Consumer
	}
	return Provider
}

// State is the state of a negotiation or a transfer, written on the wire
// as the plain name (the context types it @vocab).
type State string

// Negotiation states (REQUESTED and TERMINATED are shared with transfers).
const (
	Requested  State = "REQUESTED"
	Offered    State = "OFFERED"
	Accepted   State = "ACCEPTED"
	Agreed     State = "AGREED"
	Verified   State = "VERIFIED"
	Finalized  State = "FINALIZED"
	Terminated State = "TERMINATED"
)

// Transfer states.
const (
	Started   State = "STARTED"
	Suspended State = "SUSPENDED"
	Completed State = "COMPLETED"
)

// NegotiationStates lists the negotiation states in protocol order.
func NegotiationStates() []State {
	return []State{Requested, Offered, Accepted, Agreed, Verified, Finalized, Terminated}
}

// TransferStates lists the transfer states in protocol order.
func TransferStates() []State {
	return []State{Requested, Started, Suspended, Completed, Terminated}
}

// Terminal reports whether s is final: FINALIZED, TERMINATED or
// COMPLETED. Every message after a terminal state is an error.
func (s State) Terminal() bool { return s == Finalized || s == Terminated || s == Completed }

// Valid reports whether s is a state of processes of kind k.
func (s State) Valid(k Kind) bool {
	states := NegotiationStates()
	if k == KindTransfer {
		states = TransferStates()
	}
	for _, x := range states {
		if x == s {
			return true
		}
	}
	return false
}

// Step is a message that moves a state machine, named by its @type (and,
// for negotiation events, the event type after a slash).
type Step string

// Negotiation steps.
const (
	StepRequest   Step = TypeContractRequestMessage
	StepOffer     Step = TypeContractOfferMessage
	StepAccept    Step = TypeContractNegotiationEventMessage + "/ACCEPTED"
	StepAgree     Step = TypeContractAgreementMessage
	StepVerify    Step = TypeContractAgreementVerificationMessage
	StepFinalize  Step = TypeContractNegotiationEventMessage + "/FINALIZED"
	StepTerminate Step = TypeContractNegotiationTerminationMessage
)

// Transfer steps.
const (
	StepTransferRequest   Step = TypeTransferRequestMessage
	StepStart             Step = TypeTransferStartMessage
	StepSuspend           Step = TypeTransferSuspensionMessage
	StepComplete          Step = TypeTransferCompletionMessage
	StepTransferTerminate Step = TypeTransferTerminationMessage
)

// NegotiationSteps lists the steps of a negotiation.
func NegotiationSteps() []Step {
	return []Step{StepRequest, StepOffer, StepAccept, StepAgree, StepVerify, StepFinalize, StepTerminate}
}

// TransferSteps lists the steps of a transfer.
func TransferSteps() []Step {
	return []Step{StepTransferRequest, StepStart, StepSuspend, StepComplete, StepTransferTerminate}
}

// StepOf returns the step a message makes, and false for a message that
// makes none (an acknowledgement or an error, or an event message with an
// event type other than ACCEPTED and FINALIZED).
func StepOf(m Message) (Kind, Step, bool) {
	switch m := m.(type) {
	case *ContractRequestMessage:
		return KindNegotiation, StepRequest, true
	case *ContractOfferMessage:
		return KindNegotiation, StepOffer, true
	case *ContractAgreementMessage:
		return KindNegotiation, StepAgree, true
	case *ContractAgreementVerificationMessage:
		return KindNegotiation, StepVerify, true
	case *ContractNegotiationEventMessage:
		switch m.EventType {
		case Accepted:
			return KindNegotiation, StepAccept, true
		case Finalized:
			return KindNegotiation, StepFinalize, true
		}
	case *ContractNegotiationTerminationMessage:
		return KindNegotiation, StepTerminate, true
	case *TransferRequestMessage:
		return KindTransfer, StepTransferRequest, true
	case *TransferStartMessage:
		return KindTransfer, StepStart, true
	case *TransferSuspensionMessage:
		return KindTransfer, StepSuspend, true
	case *TransferCompletionMessage:
		return KindTransfer, StepComplete, true
	case *TransferTerminationMessage:
		return KindTransfer, StepTransferTerminate, true
	}
	return "", "", false
}

// ErrInvalidTransition is wrapped by every [TransitionError].
var ErrInvalidTransition = errors.New("invalid state transition")

// TransitionError is a message the state machine does not allow: from
// this state, or from this sender. The process is unchanged; the protocol
// answer is 400 with the Error body.
type TransitionError struct {
	Kind   Kind
	From   State // "" for a message that would create a process
	Step   Step
	Sender Role
}

func (e *TransitionError) Error() string {
	from := string(e.From)
	if from == "" {
		from = "no process"
	}
	if e.From.Terminal() {
		return fmt.Sprintf("%s: the %s is %s, a final state: %s from the %s is not accepted", ErrInvalidTransition, e.Kind, from, e.Step, e.Sender)
	}
	return fmt.Sprintf("%s: %s from the %s is not allowed in %s state %s", ErrInvalidTransition, e.Step, e.Sender, e.Kind, from)
}

// Unwrap returns ErrInvalidTransition.
func (e *TransitionError) Unwrap() error { return ErrInvalidTransition }

type edge struct {
	from State
	step Step
}

type move struct {
	to       State
	provider bool // the provider may send it
	consumer bool // the consumer may send it
}

// negotiationMoves is the negotiation state machine of DSP 2025-1
// (contract.negotiation.state.machine.puml), with the senders the diagram
// allows: termination from ACCEPTED and VERIFIED by the provider only, from
// AGREED by the consumer only.
var negotiationMoves = map[edge]move{
	{"", StepRequest}:          {Requested, false, true},
	{"", StepOffer}:            {Offered, true, false},
	{Requested, StepOffer}:     {Offered, true, false},
	{Requested, StepAgree}:     {Agreed, true, false},
	{Offered, StepRequest}:     {Requested, false, true},
	{Offered, StepAccept}:      {Accepted, false, true},
	{Accepted, StepAgree}:      {Agreed, true, false},
	{Agreed, StepVerify}:       {Verified, false, true},
	{Verified, StepFinalize}:   {Finalized, true, false},
	{Requested, StepTerminate}: {Terminated, true, true},
	{Offered, StepTerminate}:   {Terminated, true, true},
	{Accepted, StepTerminate}:  {Terminated, true, false},
	{Agreed, StepTerminate}:    {Terminated, false, true},
	{Verified, StepTerminate}:  {Terminated, true, false},
}

// transferMoves is the transfer state machine of DSP 2025-1
// (transfer-process-state-machine.puml): only the provider starts a
// requested transfer; either party suspends, resumes, completes or
// terminates.
var transferMoves = map[edge]move{
	{"", StepTransferRequest}:          {Requested, false, true},
	{Requested, StepStart}:             {Started, true, false},
	{Requested, StepTransferTerminate}: {Terminated, true, true},
	{Started, StepComplete}:            {Completed, true, true},
	{Started, StepSuspend}:             {Suspended, true, true},
	{Started, StepTransferTerminate}:   {Terminated, true, true},
	{Suspended, StepStart}:             {Started, true, true},
	{Suspended, StepTransferTerminate}: {Terminated, true, true},
}

// Next returns the state a process of kind k moves to when sender sends
// step in state from ("" when no process exists yet), or a
// *[TransitionError]. It is a pure function: the state machines of the
// protocol, nothing else.
func Next(k Kind, from State, sender Role, step Step) (State, error) {
	moves := negotiationMoves
	if k == KindTransfer {
		moves = transferMoves
	}
	m, ok := moves[edge{from, step}]
	if !ok || m.to == "" || (sender == Provider && !m.provider) || (sender == Consumer && !m.consumer) {
		return from, &TransitionError{Kind: k, From: from, Step: step, Sender: sender}
	}
	return m.to, nil
}
