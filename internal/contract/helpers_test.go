package contract

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/rulebook"
	"github.com/xborder/xborder/internal/statedb/pgtest"
	"github.com/xborder/xborder/internal/suite"
)

// party is a signing key with its did:key.
type party struct {
	s   suite.Signer
	did string
	kid string
}

func newParty(t testing.TB, alg suite.Alg) party {
	t.Helper()
	s, err := suite.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := identity.NewKeyDID(alg, s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return party{s: s, did: k.DID, kid: k.VerificationMethodID()}
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(s string) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// openDB opens a fresh SQLite database the way the CLI does; with
// XBORDER_TEST_POSTGRES set, a fresh PostgreSQL schema (see pgtest).
func openDB(t testing.TB, conns int) *sql.DB {
	t.Helper()
	if pgtest.Enabled() {
		db := pgtest.Open(t, pgtest.Schema(t))
		db.SetMaxOpenConns(conns)
		return db
	}
	path := filepath.Join(t.TempDir(), "xborder.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(conns)
	t.Cleanup(func() { db.Close() })
	// The first connection turns a new file into WAL mode; connections
	// opened concurrently with it can fail with SQLITE_BUSY while it does
	// (the journal-mode switch does not wait on busy_timeout). The CLI's
	// first statement runs alone, so do the same here.
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	return db
}

type alerts struct {
	mu   sync.Mutex
	list []Alert
}

func (a *alerts) Alert(_ context.Context, al Alert) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.list = append(a.list, al)
	return nil
}

func (a *alerts) codes() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, al := range a.list {
		out = append(out, al.Code)
	}
	return out
}

// fixture is a store with a provider, a consumer and a co-provider.
type fixture struct {
	store              *Store
	clock              *clock
	alerts             *alerts
	provider, consumer party
	coProvider         party
	resolver           *identity.Resolver
	catalog            *Catalog
}

func newFixture(t testing.TB, conns int) *fixture {
	t.Helper()
	f := &fixture{clock: &clock{}, alerts: &alerts{}, catalog: builtin(t)}
	f.clock.set("2026-03-10T09:00:00Z")
	f.provider = newParty(t, suite.Ed25519)
	f.consumer = newParty(t, suite.SM2)
	f.coProvider = newParty(t, suite.P256)
	f.resolver = identity.NewResolver(identity.ResolverOptions{})
	s, err := OpenStore(context.Background(), openDB(t, conns), StoreOptions{
		Resolve: f.resolver.ResolveKey, Alerter: f.alerts, Now: f.clock.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f.store = s
	return f
}

// offer instantiates the retail template for the fixture's parties with
// changes to its example parameters.
func (f *fixture) offer(t testing.TB, change map[string]any) *Policy {
	t.Helper()
	base := map[string]any{
		"provider":   f.provider.did,
		"recipients": []string{f.consumer.did},
		"pricing": json.RawMessage(`{"currency": "CNY", "components": [{"model": "subscription", "fee": "1000.00"},
			{"model": "per_volume", "metric": "rows", "per": 1000, "tiers": [{"price": "5.00"}]}],
			"revenue_share": {"basis": "rows", "platform_fee_bp": 500, "operator": "did:web:exchange.example.cn",
			"providers": [{"party": "` + f.provider.did + `"}, {"party": "` + f.coProvider.did + `"}]}}`),
	}
	for k, v := range change {
		base[k] = v
	}
	return offerWith(t, f.catalog, "retail-analytics", base)
}

func (f *fixture) review(t testing.TB, offer *Policy) *Review {
	t.Helper()
	r, err := ReviewOffer(context.Background(), ReviewInput{Offer: offer, Scenario: scenario(t, retailScenario), Templates: f.catalog})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Passed {
		t.Fatalf("review failed: %+v", r.Blocking())
	}
	return r
}

const retailScenario = `
as_of: 2026-03-01
exporter: {country: CN, city: Shenzhen, type: company, sector: ecommerce, gba: true}
recipient: {name: Beispiel Handel GmbH, type: company, role: controller, relation: parent_company}
dataset: {individuals: 4000, sensitive_individuals: 900, prior_ytd: {individuals: 40000, sensitive_individuals: 8000}}
purpose: analytics
`

// signed makes the agreement on offer between the fixture's provider and
// consumer, signed by the provider.
func (f *fixture) signed(t testing.TB, offer *Policy) *Signed {
	t.Helper()
	a, err := NewAgreement(offer, f.review(t, offer), f.provider.did, f.consumer.did, f.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	sa, err := SignAgreement(a, f.provider.s, f.provider.kid)
	if err != nil {
		t.Fatal(err)
	}
	return sa
}

// agree runs the whole signing protocol and stores an active agreement.
func (f *fixture) agree(t testing.TB, offer *Policy) *Record {
	t.Helper()
	ctx := context.Background()
	sa := f.signed(t, offer)
	if _, err := f.store.PutAgreement(ctx, sa); err != nil {
		t.Fatal(err)
	}
	cs, err := Countersign(ctx, sa, f.consumer.s, f.consumer.kid, f.resolver.ResolveKey)
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.store.Activate(ctx, sa.ID, cs.ConsumerJWS)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != StateActive {
		t.Fatalf("state %s", r.State)
	}
	return r
}

func (f *fixture) approve(t testing.TB, route string) {
	t.Helper()
	issued, _ := rulebook.ParseDate("2026-02-01")
	if err := f.store.RecordApproval(context.Background(), f.provider.did, rulebook.Approval{Route: route, Ref: "GD-SC-2026-001", Issued: issued}); err != nil {
		t.Fatal(err)
	}
}

// seededParty is an Ed25519 party from a fixed seed, for golden files.
func seededParty(t testing.TB, b byte) party {
	t.Helper()
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = b
	}
	s, err := suite.NewSigner(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	k, err := identity.NewKeyDID(suite.Ed25519, s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return party{s: s, did: k.DID, kid: k.VerificationMethodID()}
}
