package dsp

import (
	"errors"
	"fmt"
	"testing"
)

// The expected moves, written out from the DSP 2025-1 state machine
// diagrams (research §1.6, §1.7) independently of state.go: from, step,
// who may send it ("P", "C" or "PC"), to. Every pair not listed must be
// refused.
var wantNegotiation = []struct {
	from   State
	step   Step
	by, to string
}{
	{"", StepRequest, "C", "REQUESTED"},
	{"", StepOffer, "P", "OFFERED"},
	{Requested, StepOffer, "P", "OFFERED"},
	{Requested, StepAgree, "P", "AGREED"},
	{Offered, StepRequest, "C", "REQUESTED"},
	{Offered, StepAccept, "C", "ACCEPTED"},
	{Accepted, StepAgree, "P", "AGREED"},
	{Agreed, StepVerify, "C", "VERIFIED"},
	{Verified, StepFinalize, "P", "FINALIZED"},
	{Requested, StepTerminate, "PC", "TERMINATED"},
	{Offered, StepTerminate, "PC", "TERMINATED"},
	{Accepted, StepTerminate, "P", "TERMINATED"},
	{Agreed, StepTerminate, "C", "TERMINATED"},
	{Verified, StepTerminate, "P", "TERMINATED"},
}

var wantTransfer = []struct {
	from   State
	step   Step
	by, to string
}{
	{"", StepTransferRequest, "C", "REQUESTED"},
	{Requested, StepStart, "P", "STARTED"},
	{Requested, StepTransferTerminate, "PC", "TERMINATED"},
	{Started, StepComplete, "PC", "COMPLETED"},
	{Started, StepSuspend, "PC", "SUSPENDED"},
	{Started, StepTransferTerminate, "PC", "TERMINATED"},
	{Suspended, StepStart, "PC", "STARTED"},
	{Suspended, StepTransferTerminate, "PC", "TERMINATED"},
}

func roleLetter(r Role) string {
	if r == Provider {
		return "P"
	}
	return "C"
}

// TestStateMachines tries every (state, step, sender) of both machines,
// steps of the other machine included: the listed moves move, everything
// else returns a *TransitionError wrapping ErrInvalidTransition and the
// state it was given.
func TestStateMachines(t *testing.T) {
	allSteps := append(NegotiationSteps(), TransferSteps()...)
	for _, k := range []Kind{KindNegotiation, KindTransfer} {
		states := append([]State{""}, NegotiationStates()...)
		want := map[string]string{}
		if k == KindNegotiation {
			for _, w := range wantNegotiation {
				for _, r := range w.by {
					want[fmt.Sprint(w.from, w.step, string(r))] = w.to
				}
			}
		} else {
			states = append([]State{""}, TransferStates()...)
			for _, w := range wantTransfer {
				for _, r := range w.by {
					want[fmt.Sprint(w.from, w.step, string(r))] = w.to
				}
			}
		}
		legal := 0
		for _, from := range states {
			for _, step := range allSteps {
				for _, sender := range []Role{Provider, Consumer} {
					name := fmt.Sprintf("%s/%s/%s/%s", k, from, step, sender)
					got, err := Next(k, from, sender, step)
					to, ok := want[fmt.Sprint(from, step, roleLetter(sender))]
					if ok {
						legal++
						if err != nil || string(got) != to {
							t.Errorf("%s: got %s, %v; want %s", name, got, err, to)
						}
						continue
					}
					var te *TransitionError
					if !errors.As(err, &te) || !errors.Is(err, ErrInvalidTransition) {
						t.Errorf("%s: got %s, %v; want a TransitionError", name, got, err)
						continue
					}
					if got != from || te.From != from || te.Step != step || te.Sender != sender || te.Kind != k {
						t.Errorf("%s: the refusal changed the state or misreports it: %s, %+v", name, got, te)
					}
					if from.Terminal() && te.Error() == "" {
						t.Errorf("%s: empty message", name)
					}
				}
			}
		}
		if wantN := len(want); legal != wantN {
			t.Errorf("%s: %d legal moves tried, %d expected", k, legal, wantN)
		}
	}
}

// TestTerminalStatesAcceptNothing: the TCK's "events after a final state
// are errors" for every step and sender.
func TestTerminalStatesAcceptNothing(t *testing.T) {
	for _, c := range []struct {
		k      Kind
		states []State
		steps  []Step
	}{
		{KindNegotiation, []State{Finalized, Terminated}, NegotiationSteps()},
		{KindTransfer, []State{Completed, Terminated}, TransferSteps()},
	} {
		for _, s := range c.states {
			if !s.Terminal() {
				t.Errorf("%s is not terminal", s)
			}
			for _, step := range c.steps {
				for _, r := range []Role{Provider, Consumer} {
					if _, err := Next(c.k, s, r, step); !errors.Is(err, ErrInvalidTransition) {
						t.Errorf("%s %s %s by %s: %v", c.k, s, step, r, err)
					}
				}
			}
		}
	}
}

func TestStepOf(t *testing.T) {
	for _, c := range []struct {
		m    Message
		k    Kind
		step Step
	}{
		{&ContractRequestMessage{}, KindNegotiation, StepRequest},
		{&ContractOfferMessage{}, KindNegotiation, StepOffer},
		{&ContractNegotiationEventMessage{EventType: Accepted}, KindNegotiation, StepAccept},
		{&ContractNegotiationEventMessage{EventType: Finalized}, KindNegotiation, StepFinalize},
		{&ContractAgreementMessage{}, KindNegotiation, StepAgree},
		{&ContractAgreementVerificationMessage{}, KindNegotiation, StepVerify},
		{&ContractNegotiationTerminationMessage{}, KindNegotiation, StepTerminate},
		{&TransferRequestMessage{}, KindTransfer, StepTransferRequest},
		{&TransferStartMessage{}, KindTransfer, StepStart},
		{&TransferSuspensionMessage{}, KindTransfer, StepSuspend},
		{&TransferCompletionMessage{}, KindTransfer, StepComplete},
		{&TransferTerminationMessage{}, KindTransfer, StepTransferTerminate},
	} {
		k, s, ok := StepOf(c.m)
		if !ok || k != c.k || s != c.step {
			t.Errorf("%T: %s %s %v", c.m, k, s, ok)
		}
	}
	for _, m := range []Message{&ContractNegotiation{}, &TransferProcess{}, &TransferError{}, &ContractNegotiationError{}, &ContractNegotiationEventMessage{EventType: Requested}} {
		if _, _, ok := StepOf(m); ok {
			t.Errorf("%T makes a step", m)
		}
	}
}
