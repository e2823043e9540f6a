package dsp

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/xborder/xborder/internal/statedb/pgtest"
)

const (
	providerDID = "did:web:provider.example"
	consumerDID = "did:web:consumer.example"
	otherDID    = "did:web:other.example"
	providerTok = "Bearer tok-provider"
	consumerTok = "Bearer tok-consumer"
	otherTok    = "Bearer tok-other"
)

// tokens authenticates the three test parties.
var tokens = BearerTokens{"tok-provider": providerDID, "tok-consumer": consumerDID, "tok-other": otherDID}

// openDB opens a SQLite database the way the connector does: WAL, a busy
// timeout, immediate transactions; the first connection alone (the switch
// of a new file to WAL does not wait on busy_timeout), then a few.
func openDB(t testing.TB, path string) *sql.DB { return openDBConns(t, path, 4) }

// openDBConns opens the database with a pool of conns connections; with
// XBORDER_TEST_POSTGRES set, the PostgreSQL schema standing for path
// instead (see pgtest).
func openDBConns(t testing.TB, path string, conns int) *sql.DB {
	t.Helper()
	if pgtest.Enabled() {
		db := pgtest.Open(t, pgtest.At(t, path))
		db.SetMaxOpenConns(conns)
		return db
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(conns)
	return db
}

func openStore(t testing.TB, db *sql.DB) *SQLStore {
	t.Helper()
	s, err := OpenSQLStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// policyFunc is a NegotiationPolicy from a function.
type policyFunc func(p *Process) Decision

func (f policyFunc) Decide(_ context.Context, p *Process) (Decision, error) { return f(p), nil }

func acceptAll(*Process) Decision { return Decision{Verdict: Accept} }

// starterFunc is a TransferStarter from a function.
type starterFunc func(t *Process) (*DataAddress, error)

func (f starterFunc) StartTransfer(_ context.Context, t *Process) (*DataAddress, error) { return f(t) }

func pullAddress(*Process) (*DataAddress, error) {
	return &DataAddress{EndpointType: "https://w3id.org/idsa/v4.1/HTTP", Endpoint: "https://provider.example/data/1",
		EndpointProperties: []EndpointProperty{{Name: "authorization", Value: "TOKEN-1"}, {Name: "authType", Value: "bearer"}}}, nil
}

// sink records events.
type sink struct {
	mu     sync.Mutex
	events []Event
	notify func(Event)
}

func (s *sink) Record(_ context.Context, e Event) error {
	s.mu.Lock()
	s.events = append(s.events, e)
	f := s.notify
	s.mu.Unlock()
	if f != nil {
		f(e)
	}
	return nil
}

func (s *sink) all() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// swapHandler lets a test replace a server's handler (a restart).
type swapHandler struct{ h atomic.Value }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.h.Load().(http.Handler).ServeHTTP(w, r)
}

func (s *swapHandler) set(h http.Handler) { s.h.Store(h) }

// testNode is a node on loopback with its own database file.
type testNode struct {
	t      testing.TB
	did    string
	token  string
	path   string
	db     *sql.DB
	store  *SQLStore
	node   *Node
	srv    *httptest.Server
	swap   *swapHandler
	sink   *sink
	policy NegotiationPolicy
	start  TransferStarter
	client *Client
	conns  int
	opts   nodeOpts
}

type nodeOpts struct {
	policy   NegotiationPolicy
	starter  TransferStarter
	client   *Client
	conns    int // SQLite connections (default 4)
	catalog  CatalogSource
	pageSize int
	// wrap, when set, wraps the store the node uses (not tn.store).
	wrap func(Store) Store
}

func fastClient(tok string) *Client {
	return &Client{Tokens: StaticToken(tok), Attempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, Timeout: 5 * time.Second}
}

func newTestNode(t testing.TB, did, tok string, o nodeOpts) *testNode {
	t.Helper()
	tn := &testNode{t: t, did: did, token: tok, path: filepath.Join(t.TempDir(), "xborder.db"), swap: &swapHandler{}, sink: &sink{},
		policy: o.policy, start: o.starter, client: o.client, conns: o.conns, opts: o}
	if tn.conns == 0 {
		tn.conns = 4
	}
	if tn.policy == nil {
		tn.policy = policyFunc(acceptAll)
	}
	if tn.start == nil {
		tn.start = starterFunc(pullAddress)
	}
	if tn.client == nil {
		tn.client = fastClient(tok)
	}
	tn.swap.set(http.NotFoundHandler())
	tn.srv = httptest.NewServer(tn.swap)
	t.Cleanup(tn.srv.Close)
	tn.open()
	t.Cleanup(func() { tn.close() })
	return tn
}

// open opens the database and a node on it, and serves it.
func (tn *testNode) open() {
	tn.t.Helper()
	tn.db = openDBConns(tn.t, tn.path, tn.conns)
	tn.store = openStore(tn.t, tn.db)
	var st Store = tn.store
	if tn.opts.wrap != nil {
		st = tn.opts.wrap(st)
	}
	n, err := New(Config{ParticipantID: tn.did, PublicURL: tn.srv.URL, Store: st, Auth: tokens, Policy: tn.policy,
		Transfers: tn.start, Events: tn.sink, Client: tn.client, Catalog: tn.opts.catalog, CatalogPageSize: tn.opts.pageSize})
	if err != nil {
		tn.t.Fatal(err)
	}
	tn.node = n
	tn.swap.set(n.Handler())
	if err := n.Resume(context.Background()); err != nil {
		tn.t.Fatal(err)
	}
}

// close stops the node and closes its database (a crash, as far as the
// store is concerned: whatever was in flight stays in the outbox).
func (tn *testNode) close() {
	if tn.node == nil {
		return
	}
	tn.swap.set(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tn.node.Close(ctx); err != nil {
		tn.t.Errorf("closing the node: %v", err)
	}
	tn.store.Close()
	tn.db.Close()
	tn.node = nil
}

func (tn *testNode) restart() {
	tn.t.Helper()
	tn.close()
	tn.open()
}

// waitState polls the store until the process reaches want with its
// outbox cleared, or kept until the counterparty's reply clears it
// (clearedByReply: then the message may still be on its way, and a
// caller that needs it delivered checks the counterparty).
func (tn *testNode) waitState(k Kind, r Role, pid string, want State) *Process {
	tn.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var p *Process
	var err error
	for time.Now().Before(deadline) {
		p, err = tn.node.Process(context.Background(), k, r, pid)
		if err == nil && p.State == want && (p.Outbox == nil || clearedByReply(p, p.Outbox)) {
			return p
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err != nil {
		tn.t.Fatalf("%s %s %s: %v; want %s", tn.did, k, pid, err, want)
	}
	tn.t.Fatalf("%s %s %s: state %s (outbox %v, parked %v), want %s", tn.did, k, pid, p.State, p.Outbox != nil, p.Parked, want)
	return nil
}

// waitParked polls until the process waits for a decision.
func (tn *testNode) waitParked(k Kind, r Role, pid string, want State) *Process {
	tn.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		p, err := tn.node.Process(context.Background(), k, r, pid)
		if err == nil && p.State == want && p.Parked {
			return p
		}
		time.Sleep(2 * time.Millisecond)
	}
	tn.t.Fatalf("%s %s %s: not parked in %s", tn.did, k, pid, want)
	return nil
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testOffer is the TCK's kind of offer: use, no constraints.
func testOffer(id, dataset string) json.RawMessage {
	return json.RawMessage(`{"@id":"` + id + `","@type":"Offer","target":"` + dataset + `","permission":[{"action":"use","constraint":[{"leftOperand":"purpose","operator":"eq","rightOperand":"research"}]}]}`)
}
