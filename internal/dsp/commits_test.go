package dsp

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// countingStore counts the writes of a Store that took effect (each one
// durable commit of its own, or a write in a group commit's batch), by
// the step of their event ("clear" for a write without one).
type countingStore struct {
	Store
	mu     sync.Mutex
	writes []string
}

func (c *countingStore) note(what string) {
	c.mu.Lock()
	c.writes = append(c.writes, what)
	c.mu.Unlock()
}

func (c *countingStore) Create(ctx context.Context, p *Process, e *Event) (*Process, bool, error) {
	q, created, err := c.Store.Create(ctx, p, e)
	if err == nil && created {
		c.note("create " + string(e.Step))
	}
	return q, created, err
}

func (c *countingStore) Update(ctx context.Context, p *Process, e *Event) error {
	from, outbox := p.State, p.Outbox != nil
	err := c.Store.Update(ctx, p, e)
	if err == nil {
		switch {
		case e != nil:
			c.note(fmt.Sprintf("%s %s→%s", e.Step, e.From, e.To))
		case !outbox:
			c.note("clear outbox in " + string(from))
		default:
			c.note("update in " + string(from))
		}
	}
	return err
}

func (c *countingStore) AddRefusal(ctx context.Context, e *Event) error {
	err := c.Store.AddRefusal(ctx, e)
	if err == nil {
		c.note("refusal " + string(e.Step))
	}
	return err
}

func (c *countingStore) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.writes...)
}

// TestWritesPerNegotiation counts the store writes of one negotiation,
// request to FINALIZED, on each side. Each is a durable commit before
// its caller goes on (alone, or in a group commit's batch). The outboxes
// of the agreement and of the verification are not cleared on delivery:
// the counterparty's next message clears them (clearedByReply).
func TestWritesPerNegotiation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var pc, cc *countingStore
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{wrap: func(s Store) Store { pc = &countingStore{Store: s}; return pc }})
	cons := newTestNode(t, consumerDID, consumerTok, nodeOpts{wrap: func(s Store) Store { cc = &countingStore{Store: s}; return cc }})
	p, err := cons.node.RequestContract(ctx, prov.node.BaseURL(), providerDID, testOffer("urn:uuid:o", "urn:uuid:d"))
	if err != nil {
		t.Fatal(err)
	}
	cons.waitState(KindNegotiation, Consumer, p.ConsumerPID, Finalized)
	prov.waitState(KindNegotiation, Provider, p.ProviderPID, Finalized) // and its outbox cleared
	// The close waits for the deliveries in flight.
	prov.close()
	cons.close()
	pw, cw := pc.list(), cc.list()
	t.Logf("provider: %d writes %q", len(pw), pw)
	t.Logf("consumer: %d writes %q", len(cw), cw)
	// The provider: create on the request, agree, the verification
	// received, finalize, the FINALIZED event's outbox cleared.
	if len(pw) != 5 {
		t.Errorf("the provider made %d writes, want 5: %q", len(pw), pw)
	}
	// The consumer: create with the request, its outbox cleared with the
	// provider's process id (unless the agreement, which brings the id
	// too, was stored first), the agreement received, verify, the
	// FINALIZED event received.
	if len(cw) < 4 || len(cw) > 5 {
		t.Errorf("the consumer made %d writes, want 4 or 5: %q", len(cw), cw)
	}
}

// TestDeliveredOutboxKeptThenResumed: the provider's agreement stays in
// its outbox after delivery (clearedByReply) while the consumer waits
// (parked) in AGREED; the provider restarts, as after a crash, and Resume
// delivers the agreement again. The consumer refuses it (a repeat), the
// provider finds the consumer AGREED and counts it as delivered; the
// negotiation then ends FINALIZED on both sides, each transition once.
func TestDeliveredOutboxKeptThenResumed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{})
	cons := newTestNode(t, consumerDID, consumerTok, nodeOpts{policy: policyFunc(func(p *Process) Decision {
		if p.State == Agreed {
			return Decision{Verdict: Park}
		}
		return Decision{Verdict: Accept}
	})})
	p, err := cons.node.RequestContract(ctx, prov.node.BaseURL(), providerDID, testOffer("urn:uuid:o", "urn:uuid:d"))
	if err != nil {
		t.Fatal(err)
	}
	cons.waitParked(KindNegotiation, Consumer, p.ConsumerPID, Agreed)
	pp, err := prov.node.Process(ctx, KindNegotiation, Provider, p.ProviderPID)
	if err != nil {
		t.Fatal(err)
	}
	if pp.State != Agreed || pp.Outbox == nil {
		t.Fatalf("the provider is %s with outbox %v, want AGREED with the delivered agreement kept", pp.State, pp.Outbox != nil)
	}
	prov.restart()
	// Resume delivers the agreement again; the settled outbox is cleared.
	prov.waitState(KindNegotiation, Provider, p.ProviderPID, Agreed)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		q, err := prov.node.Process(ctx, KindNegotiation, Provider, p.ProviderPID)
		if err != nil {
			t.Fatal(err)
		}
		if q.Outbox == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the provider did not settle its redelivered agreement")
		}
	}
	if _, err := cons.node.Decide(ctx, Consumer, p.ConsumerPID, Decision{Verdict: Accept}); err != nil {
		t.Fatal(err)
	}
	cons.waitState(KindNegotiation, Consumer, p.ConsumerPID, Finalized)
	prov.waitState(KindNegotiation, Provider, p.ProviderPID, Finalized)
	want := []State{Requested, Agreed, Verified, Finalized}
	pe, _ := prov.node.Events(ctx, KindNegotiation, Provider, p.ProviderPID)
	if got := states(pe); !slices.Equal(got, want) {
		t.Errorf("provider history %v, want %v", got, want)
	}
	ce, _ := cons.node.Events(ctx, KindNegotiation, Consumer, p.ConsumerPID)
	var moves []State
	for _, e := range ce {
		if e.From != e.To { // not the parking
			moves = append(moves, e.To)
		}
	}
	if !slices.Equal(moves, want) {
		t.Errorf("consumer history %v, want %v", states(ce), want)
	}
}
