package dsp

import (
	"context"
	"fmt"
	"sync"
	"testing"
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
