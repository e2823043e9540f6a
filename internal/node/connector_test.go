package node

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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

func startKeyNode(t *testing.T, country string, participants []Participant, mods ...func(*Config)) *testNode {
	return startAlgNode(t, suite.Ed25519, country, participants, mods...)
}

// startAlgNode starts a node with a did:key of a new key of alg.
func startAlgNode(t *testing.T, alg suite.Alg, country string, participants []Participant, mods ...func(*Config)) *testNode {
	t.Helper()
	s, err := suite.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return startSignerNode(t, s, country, append([]func(*Config){func(c *Config) { c.Participants = participants }}, mods...)...)
}

// startSignerNode starts a node with the did:key of s.
func startSignerNode(t *testing.T, s suite.Signer, country string, mods ...func(*Config)) *testNode {
	t.Helper()
	k, err := identity.NewKeyDID(s.Alg(), s.Public())
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.DataDir, cfg.DID, cfg.Jurisdiction = t.TempDir(), k.DID, country
	cfg.Listen = Listen{Public: "127.0.0.1:0", Management: "127.0.0.1:0"}
	cfg.Egress.AllowPrivate = true // every node of the test is on loopback
	cfg.Anomaly.Disabled = true
	for _, m := range mods {
		m(&cfg)
	}
	return runNode(t, cfg, s)
}

// runNode opens and runs a node with the key s until the test ends (on
// the test database, when the suite runs on PostgreSQL: the same one for
// the same data directory, so a restart finds its state).
func runNode(t *testing.T, cfg Config, s suite.Signer) *testNode {
	t.Helper()
	useTestDatabase(t, &cfg)
	n, err := Open(context.Background(), cfg, Deps{Logger: quiet(), Signer: s})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tn := &testNode{n: n, did: cfg.DID, cancel: cancel, done: make(chan error, 1)}
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

	// A message that does not authenticate is refused, and the refusal is
	// audited as a deny.
	if code, body := doBody(t, "GET", base+"/negotiations/urn:uuid:nope", "forged", ""); code != 404 {
		t.Fatalf("unauthenticated GET: %d %s", code, body)
	}
	// Both ledgers hold every step of the DSP history exactly once (the
	// follower appends them after the answers: wait for it).
	for name, x := range map[string]*testNode{"provider": provider, "consumer": consumer} {
		hist := waitLedgerHoldsHistory(t, x.n)
		negotiations, refusals := 0, 0
		for _, e := range hist {
			if e.Kind == dsp.KindNegotiation && !e.Refused {
				negotiations++
			}
			if e.Refused {
				refusals++
			}
		}
		if negotiations < 8 || (name == "provider") != (refusals > 0) {
			t.Errorf("%s: %d negotiation steps, %d refusals in the history", name, negotiations, refusals)
		}
	}
	if hits, err := provider.n.Ledger().Query(ctx, audit.Query{Result: audit.ResultDeny, ObjectID: "urn:uuid:nope"}); err != nil || len(hits) != 1 || hits[0].Event.Reason != "not_found" {
		t.Errorf("the refusal in the provider's ledger: %v %+v", err, hits)
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

// TestApprovalQueue: with park_filings, a request needing a filing waits in
// the compliance office's queue; the office records the filing and
// accepts, and the negotiation finalizes; a second one is rejected with a
// reason the consumer receives.
func TestApprovalQueue(t *testing.T) {
	consumer := startKeyNode(t, "NL", nil)
	provider := startKeyNode(t, "CN", []Participant{{DID: consumer.did, Country: "NL"}}, func(c *Config) { c.ParkFilings = true })
	ctx := context.Background()
	e := &catalog.Entry{Identifier: "xb86/CN/shenzhen-hospital/oncology-large", Title: catalog.LangMap{"en": "Oncology cases"}}
	e.Governance = catalog.Governance{Owner: provider.did, ClassificationLevel: "internal", Sovereignty: "CN", AllowedPurposes: []string{"research"}}
	e.Technical = &catalog.Technical{PIProfile: &catalog.PIProfile{Individuals: 250_000}}
	if _, err := provider.n.stores.catalog.Register(ctx, e, catalog.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	comp, _ := provider.n.Tokens().Add("office", RoleCompliance, time.Now())
	m := provider.n.MgmtURL
	request := func(id string) string {
		p, err := consumer.n.DSP().RequestContract(ctx, provider.n.DSP().BaseURL(), provider.did, offer(id, e.Identifier, "research"))
		if err != nil {
			t.Fatal(err)
		}
		return p.ConsumerPID
	}
	queued := func() []negotiationView {
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			_, body := doBody(t, "GET", m+"/api/v1/negotiations?parked=true", comp, "")
			var q []negotiationView
			json.Unmarshal([]byte(body), &q)
			if len(q) > 0 {
				return q
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal("nothing parked")
		return nil
	}
	cpid := request("urn:uuid:o-1")
	q := queued()
	if len(q) != 1 || q[0].Dataset != e.Identifier || q[0].Counterparty != consumer.did {
		t.Fatalf("queue: %+v", q)
	}
	// The office records the standard-contract filing, then accepts.
	if code, body := doBody(t, "POST", m+"/api/v1/approvals", comp,
		`{"provider":"`+provider.did+`","route":"CN_SC","ref":"SC-2026-0099","issued":"2026-01-05","expires":"2029-01-04"}`); code != 201 {
		t.Fatalf("approval: %d %s", code, body)
	}
	if code, body := doBody(t, "POST", m+"/api/v1/negotiations/"+q[0].ProviderPID, comp, `{"verdict":"maybe"}`); code != 400 {
		t.Fatalf("bad verdict: %d %s", code, body)
	}
	if code, body := doBody(t, "POST", m+"/api/v1/negotiations/"+q[0].ProviderPID, comp, `{"verdict":"accept"}`); code != 200 {
		t.Fatalf("accept: %d %s", code, body)
	}
	if f := waitFinal(t, consumer, cpid); f.State != dsp.Finalized {
		t.Fatalf("after approval: %s", f.State)
	}
	if code, _ := doBody(t, "POST", m+"/api/v1/negotiations/"+q[0].ProviderPID, comp, `{"verdict":"accept"}`); code != 409 {
		t.Fatalf("deciding twice: %d", code)
	}
	// A rejection carries the office's reason to the consumer (a second
	// provider, where the filing is not on record, so the request parks).
	prov2 := startKeyNode(t, "CN", []Participant{{DID: consumer.did, Country: "NL"}}, func(c *Config) { c.ParkFilings = true })
	e.Governance.Owner = prov2.did
	if _, err := prov2.n.stores.catalog.Register(ctx, e, catalog.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	comp2, _ := prov2.n.Tokens().Add("office", RoleCompliance, time.Now())
	p, err := consumer.n.DSP().RequestContract(ctx, prov2.n.DSP().BaseURL(), prov2.did, offer("urn:uuid:o-2", e.Identifier, "research"))
	if err != nil {
		t.Fatal(err)
	}
	m, comp = prov2.n.MgmtURL, comp2
	q = queued()
	if code, body := doBody(t, "POST", m+"/api/v1/negotiations/"+q[0].ProviderPID, comp,
		`{"verdict":"reject","code":"filing_pending","en":"The filing is pending with the CAC.","zh":"备案尚在办理中。"}`); code != 200 {
		t.Fatalf("reject: %d %s", code, body)
	}
	waitFinal(t, consumer, p.ConsumerPID)
	evs, _ := consumer.n.DSP().Events(ctx, dsp.KindNegotiation, dsp.Consumer, p.ConsumerPID)
	if last := evs[len(evs)-1]; last.Code != "filing_pending" {
		t.Fatalf("consumer sees %+v", last)
	}
	// History with the reasons, for the operator.
	if code, body := doBody(t, "GET", m+"/api/v1/negotiations/"+q[0].ProviderPID, comp, ""); code != 200 || !strings.Contains(body, "filing_pending") {
		t.Fatalf("history: %d %s", code, body)
	}
}

// waitLedgerHoldsHistory waits until the node's ledger holds every step of
// its DSP history exactly once, and nothing else of the DSP, and returns
// the history.
func waitLedgerHoldsHistory(t *testing.T, n *Node) []dsp.Event {
	t.Helper()
	ctx := context.Background()
	store := n.dspStore.(*dsp.SQLStore)
	var msg string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		hist, err := store.EventsAfter(ctx, 0, 100_000)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Ledger().Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if msg = ledgerMatches(t, n.Ledger(), n.cfg.DID, hist); msg == "" {
			return hist
		}
	}
	t.Fatalf("%s: %s", n.cfg.DID, msg)
	return nil
}

// ledgerMatches compares the DSP entries of the ledger with the history,
// by details digest: "" when each step is there once and nothing else is.
func ledgerMatches(t *testing.T, l interface {
	Query(context.Context, audit.Query) ([]audit.Hit, error)
}, self string, hist []dsp.Event) string {
	t.Helper()
	in := map[string]int{}
	for _, op := range []audit.Operation{audit.OpNegotiation, audit.OpTransfer} {
		q := audit.Query{Operation: op, Limit: 10_000}
		for {
			hits, err := l.Query(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hits {
				in[h.Event.DetailsDigest]++
			}
			if len(hits) < q.Limit {
				break
			}
			q.After, q.AfterSet = int64(hits[len(hits)-1].Index), true
		}
	}
	missing := 0
	for _, e := range hist {
		ae, err := e.AuditEvent(self)
		if err != nil {
			t.Fatal(err)
		}
		switch in[ae.DetailsDigest] {
		case 0:
			missing++
		case 1:
		default:
			return fmt.Sprintf("step %d is in the ledger %d times", e.Position, in[ae.DetailsDigest])
		}
		delete(in, ae.DetailsDigest)
	}
	if missing > 0 || len(in) > 0 {
		return fmt.Sprintf("%d of %d steps missing from the ledger, %d entries not in the history", missing, len(hist), len(in))
	}
	return ""
}
