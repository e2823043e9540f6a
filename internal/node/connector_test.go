package node

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
)

type testNode struct {
	n      *Node
	did    string
	cancel context.CancelFunc
	done   chan error
}

func startKeyNode(t *testing.T, country string, participants []Participant) *testNode {
	t.Helper()
	s, err := suite.Generate(suite.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := identity.NewKeyDID(suite.Ed25519, s.Public())
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.DataDir, cfg.DID, cfg.Jurisdiction = t.TempDir(), k.DID, country
	cfg.Listen = Listen{Public: "127.0.0.1:0", Management: "127.0.0.1:0"}
	cfg.Participants = participants
	cfg.Anomaly.Disabled = true
	n, err := Open(context.Background(), cfg, Deps{Logger: quiet(), Signer: s})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tn := &testNode{n: n, did: k.DID, cancel: cancel, done: make(chan error, 1)}
	go func() { tn.done <- n.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-tn.done })
	return tn
}

func offer(id, target, purpose string) json.RawMessage {
	return json.RawMessage(`{"@id":"` + id + `","@type":"Offer","target":"` + target + `","permission":[{"action":"use","constraint":[{"leftOperand":"purpose","operator":"eq","rightOperand":"` + purpose + `"}]}]}`)
}

// waitFinal polls the consumer's negotiation until it reaches a final state.
func waitFinal(t *testing.T, c *testNode, pid string) *dsp.Process {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p, err := c.n.DSP().Process(context.Background(), dsp.KindNegotiation, dsp.Consumer, pid)
		if err != nil {
			t.Fatal(err)
		}
		if p.State.Terminal() {
			return p
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("negotiation %s did not finish", pid)
	return nil
}

// TestNegotiationThroughTheGate: a Shenzhen provider and an Amsterdam
// consumer negotiate over DSP with self-issued ID tokens; the provider's
// compliance gate agrees to a small research export and refuses one that
// needs a filing not on record, with a reason the consumer can read; both
// sides audit every step.
func TestNegotiationThroughTheGate(t *testing.T) {
	consumer := startKeyNode(t, "NL", nil)
	provider := startKeyNode(t, "CN", []Participant{{DID: consumer.did, Country: "NL"}})
	ctx := context.Background()
	register := func(id string, individuals int64) {
		e := &catalog.Entry{Identifier: id, Title: catalog.LangMap{"en": "Oncology cases", "zh": "肿瘤病例"}}
		e.Governance = catalog.Governance{Owner: provider.did, ClassificationLevel: "internal", Sovereignty: "CN", AllowedPurposes: []string{"research"}}
		e.Technical = &catalog.Technical{PIProfile: &catalog.PIProfile{Individuals: individuals}}
		if _, err := provider.n.stores.catalog.Register(ctx, e, catalog.RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	register("xb86/CN/shenzhen-hospital/oncology-small", 800)
	register("xb86/CN/shenzhen-hospital/oncology-large", 250_000)

	base := provider.n.DSP().BaseURL()
	p, err := consumer.n.DSP().RequestContract(ctx, base, provider.did, offer("urn:uuid:o-small", "xb86/CN/shenzhen-hospital/oncology-small", "research"))
	if err != nil {
		t.Fatal(err)
	}
	if f := waitFinal(t, consumer, p.ConsumerPID); f.State != dsp.Finalized || f.AgreementID == "" {
		t.Fatalf("small export: %s %q", f.State, f.AgreementID)
	}

	p, err = consumer.n.DSP().RequestContract(ctx, base, provider.did, offer("urn:uuid:o-large", "xb86/CN/shenzhen-hospital/oncology-large", "research"))
	if err != nil {
		t.Fatal(err)
	}
	f := waitFinal(t, consumer, p.ConsumerPID)
	if f.State != dsp.Terminated {
		t.Fatalf("large export: %s", f.State)
	}
	evs, err := consumer.n.DSP().Events(ctx, dsp.KindNegotiation, dsp.Consumer, p.ConsumerPID)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Code != "filing_required" {
		t.Fatalf("the consumer does not see the gate's reason: %+v", last)
	}

	// A purpose the dataset does not permit.
	p, _ = consumer.n.DSP().RequestContract(ctx, base, provider.did, offer("urn:uuid:o-mkt", "xb86/CN/shenzhen-hospital/oncology-small", "marketing"))
	waitFinal(t, consumer, p.ConsumerPID)
	evs, _ = consumer.n.DSP().Events(ctx, dsp.KindNegotiation, dsp.Consumer, p.ConsumerPID)
	if last := evs[len(evs)-1]; last.Code != "purpose_not_permitted" {
		t.Fatalf("marketing: %+v", last)
	}

	// Both ledgers hold the negotiation steps.
	for name, x := range map[string]*testNode{"provider": provider, "consumer": consumer} {
		if err := x.n.Ledger().Sync(ctx); err != nil {
			t.Fatal(err)
		}
		hits, err := x.n.Ledger().Query(ctx, audit.Query{Operation: audit.OpNegotiation, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) < 8 {
			t.Fatalf("%s ledger: %d negotiation entries", name, len(hits))
		}
	}
	// A request from an unknown participant is refused by the gate (no country).
	stranger := startKeyNode(t, "US", nil)
	p, _ = stranger.n.DSP().RequestContract(ctx, base, provider.did, offer("urn:uuid:o-x", "xb86/CN/shenzhen-hospital/oncology-small", "research"))
	waitFinal(t, stranger, p.ConsumerPID)
	evs, _ = stranger.n.DSP().Events(ctx, dsp.KindNegotiation, dsp.Consumer, p.ConsumerPID)
	if last := evs[len(evs)-1]; last.Code != "recipient_country_unknown" {
		t.Fatalf("stranger: %+v", last)
	}
}
