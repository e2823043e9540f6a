package task

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/pet/dp"
	"github.com/xborder/xborder/internal/statedb"
	"github.com/xborder/xborder/internal/statedb/pgtest"
)

// openDB opens a SQLite file or, with XBORDER_TEST_POSTGRES set, the
// PostgreSQL schema standing for path (as internal/pet/dp's tests do).
func openDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	if pgtest.Enabled() {
		return pgtest.Open(t, pgtest.At(t, path))
	}
	db, err := statedb.Open(path, "NORMAL")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type memAudit struct {
	mu     sync.Mutex
	events []*audit.Event
	fail   bool
}

func (m *memAudit) Append(_ context.Context, e *audit.Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("audit log down")
	}
	m.events = append(m.events, e)
	return nil
}

func (m *memAudit) Entries(_ context.Context, obj string) ([]audit.Hit, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []audit.Hit
	for i, e := range m.events {
		if e.ObjectID == obj {
			out = append(out, audit.Hit{Index: uint64(i), Status: "ok", Event: e})
		}
	}
	return out, []byte("checkpoint"), nil
}

// has reports whether an entry with result and reason was appended.
func (m *memAudit) has(res audit.Result, reason string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.events {
		if e.Result == res && e.Reason == reason {
			return true
		}
	}
	return false
}

type memAgreements struct {
	mu sync.Mutex
	m  map[string]*Agreement
}

func (a *memAgreements) Agreement(_ context.Context, id string) (*Agreement, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ag, ok := a.m[id]; ok {
		c := *ag
		return &c, nil
	}
	return nil, ErrNoAgreement
}

// world wires nodes through an in-memory Peers that goes through Handle
// and the JSON form of errors, as the channel would.
type world struct {
	mu    sync.Mutex
	nodes map[string]*node
}

type node struct {
	did    string
	svc    *Service
	audit  *memAudit
	ags    *memAgreements
	ledger *dp.Ledger
	db     *sql.DB
	opts   Options
}

type peers struct {
	w    *world
	self string
}

func (p peers) Call(ctx context.Context, did, binding, op string, body []byte) ([]byte, error) {
	p.w.mu.Lock()
	n := p.w.nodes[did]
	p.w.mu.Unlock()
	if n == nil {
		return nil, errors.New("no route to " + did)
	}
	out, err := n.svc.Handle(ctx, Caller{DID: p.self}, op, body)
	if err != nil {
		b, _ := json.Marshal(err)
		if e, ok := DecodeError(b); ok {
			return nil, e
		}
		return nil, err
	}
	return out, nil
}

const (
	didC = "did:web:consumer.example"
	didP = "did:web:provider.example"
	didQ = "did:web:provider2.example"
)

func policy(id, provider, consumer, target string, algs ...string) json.RawMessage {
	if len(algs) == 0 {
		algs = []string{"psi-cardinality@1", "psi-sum@1", "psi-intersection@1", "secagg-sum@1", "secagg-count@1", "secagg-mean@1"}
	}
	b, _ := json.Marshal(map[string]any{
		"@type": "Agreement", "uid": id, "assigner": provider, "assignee": consumer,
		"permission": []any{map[string]any{"action": "use", "target": target, "constraint": []any{
			map[string]any{"leftOperand": "computation", "operator": "isAnyOf", "rightOperand": []string{"psi", "mpc"}},
			map[string]any{"leftOperand": "algorithm", "operator": "isAnyOf", "rightOperand": algs},
		}}},
	})
	return b
}

func newWorld(t testing.TB, dids ...string) *world {
	w := &world{nodes: map[string]*node{}}
	ags := map[string]*Agreement{
		"urn:agreement:cp": {ID: "urn:agreement:cp", Provider: didP, Consumer: didC, Target: "urn:dataset:p", Policy: policy("urn:agreement:cp", didP, didC, "urn:dataset:p"), Purpose: "research", Finalized: true},
		"urn:agreement:cq": {ID: "urn:agreement:cq", Provider: didQ, Consumer: didC, Target: "urn:dataset:q", Policy: policy("urn:agreement:cq", didQ, didC, "urn:dataset:q"), Purpose: "research", Finalized: true},
	}
	dir := t.TempDir()
	for _, did := range dids {
		n := &node{did: did, audit: &memAudit{}, ags: &memAgreements{m: map[string]*Agreement{}}}
		for id, ag := range ags {
			if ag.Provider == did || ag.Consumer == did {
				c := *ag
				n.ags.m[id] = &c
			}
		}
		name := strings.NewReplacer(":", "_", ".", "_").Replace(did)
		n.db = openDB(t, filepath.Join(dir, name+".db"))
		l, err := dp.OpenLedger(context.Background(), n.db, dp.LedgerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n.ledger = l
		n.opts = Options{DB: n.db, Self: did, Agreements: n.ags, Peers: peers{w, did}, Audit: n.audit, Budget: l,
			Uploads: filepath.Join(dir, name+"-uploads"), Publishers: map[string]Publisher{}}
		w.nodes[did] = n
		n.open(t)
	}
	return w
}

func (n *node) open(t testing.TB) {
	t.Helper()
	s, err := Open(context.Background(), n.opts)
	if err != nil {
		t.Fatal(err)
	}
	n.svc = s
	t.Cleanup(s.Close)
}

func local(did string) Caller { return Caller{Local: true, Actor: did} }

func psiSpec(alg string) Spec {
	return Spec{Agreement: "urn:agreement:cp", Algorithm: alg, Parties: []Party{{DID: didC, Role: "a"}, {DID: didP, Role: "b"}},
		Fields: []string{"id", "amount"}, Review: ReviewPolicy{MinIntersection: 5}, Output: []string{didC}}
}

func csvKeys(lo, hi int, val bool) []byte {
	var b strings.Builder
	b.WriteString("id")
	if val {
		b.WriteString(",amount")
	}
	b.WriteString("\n")
	for i := lo; i < hi; i++ {
		fmt.Fprintf(&b, "k%d", i)
		if val {
			fmt.Fprintf(&b, ",%d", i%7)
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}

// prepare uploads and authorizes each party's input.
func (w *world) prepare(t testing.TB, id string, data map[string][]byte, cols map[string]Columns) {
	t.Helper()
	ctx := context.Background()
	for did, d := range data {
		n := w.nodes[did]
		u, err := n.svc.DataUpload(ctx, local(did), UploadRequest{TaskID: id, Data: d})
		if err != nil {
			t.Fatalf("%s upload: %v", did, err)
		}
		if _, err := n.svc.DataAuthorize(ctx, local(did), AuthorizeRequest{TaskID: id, Upload: u.Upload, Columns: cols[did]}); err != nil {
			t.Fatalf("%s authorize: %v", did, err)
		}
	}
}

// wait waits until the task has ended on every node.
func (w *world) wait(t testing.TB, id string, dids ...string) map[string]*View {
	t.Helper()
	out := map[string]*View{}
	deadline := time.Now().Add(60 * time.Second)
	for _, did := range dids {
		for {
			v, err := w.nodes[did].svc.TaskQuery(context.Background(), local(did), Ref{TaskID: id})
			if err != nil {
				t.Fatal(err)
			}
			if terminal(v.State) {
				out[did] = v
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: task still %s", did, v.State)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return out
}

func code(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestPSICardinalityEndToEnd(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, didC, didP)
	c := w.nodes[didC]
	v, err := c.svc.TaskCreate(ctx, local(didC), psiSpec("psi-cardinality@1"))
	if err != nil {
		t.Fatal(err)
	}
	id := v.Task.ID
	if v.State != StateCreated || v.Task.Params.Group != "ristretto255" {
		t.Fatalf("state %s, group %q (pinned at creation)", v.State, v.Task.Params.Group)
	}
	// The provider's mirror exists, and its operator's listing shows it
	// waiting for the provider's input.
	if pv, err := w.nodes[didP].svc.TaskQuery(ctx, local(didP), Ref{TaskID: id}); err != nil || pv.Task.Initiator != didC {
		t.Fatalf("mirror: %v %+v", err, pv)
	}
	if ls, err := w.nodes[didP].svc.Tasks(ctx, StateCreated, 0); err != nil || len(ls) != 1 || ls[0].ID != id || ls[0].MineAuthorized || ls[0].Initiator != didC {
		t.Fatalf("provider's listing: %v %+v", err, ls)
	}
	if ls, err := w.nodes[didP].svc.Tasks(ctx, StateRunning, 0); err != nil || len(ls) != 0 {
		t.Fatalf("provider's running tasks: %v %+v", err, ls)
	}
	// Invoking before the inputs are authorized is refused.
	if _, err := c.svc.AlgorithmInvoke(ctx, local(didC), InvokeRequest{TaskID: id}); code(err) != InputNotAuthorized {
		t.Fatalf("invoke before authorize: %v", err)
	}
	// A long poll with nothing new returns at its deadline with what it
	// had; one waiting for the next event returns with it.
	seen := len(v.Events)
	if w, err := c.svc.TaskQueryWait(ctx, local(didC), QueryRequest{TaskID: id, Events: seen, WaitMS: 20}); err != nil || len(w.Events) != seen {
		t.Fatalf("an idle long poll: %v, %d events (had %d)", err, len(w.Events), seen)
	}
	if _, err := c.svc.TaskQueryWait(ctx, local(didC), QueryRequest{TaskID: id, WaitMS: 31_000}); code(err) != BadRequest {
		t.Fatalf("wait beyond MaxWait: %v", err)
	}
	polled := make(chan *View, 1)
	go func() {
		w, err := c.svc.TaskQueryWait(ctx, local(didC), QueryRequest{TaskID: id, Events: seen, WaitMS: 30_000})
		if err != nil {
			t.Error(err)
		}
		polled <- w
	}()
	w.prepare(t, id, map[string][]byte{didC: csvKeys(0, 100, false), didP: csvKeys(60, 200, false)},
		map[string]Columns{didC: {Key: "id"}, didP: {Key: "id"}})
	if v, _ := c.svc.TaskQuery(ctx, local(didC), Ref{TaskID: id}); v.State != StateAuthorized {
		t.Fatalf("state after both authorized: %s", v.State)
	}
	if w := <-polled; w == nil || len(w.Events) <= seen {
		t.Fatalf("the long poll did not return the next event: %+v", w)
	}
	if _, err := c.svc.AlgorithmInvoke(ctx, local(didC), InvokeRequest{TaskID: id}); err != nil {
		t.Fatal(err)
	}
	vs := w.wait(t, id, didC, didP)
	for did, v := range vs {
		if v.State != StateSucceeded {
			t.Fatalf("%s: %s (%s)", did, v.State, v.Reason)
		}
	}
	if ls, err := c.svc.Tasks(ctx, "", 10); err != nil || len(ls) != 1 || ls[0].State != StateSucceeded || !ls[0].MineAuthorized {
		t.Fatalf("initiator's listing: %v %+v", err, ls)
	}
	rq, err := c.svc.ResultQuery(ctx, local(didC), Ref{TaskID: id})
	if err != nil || !rq.Available || rq.Decision == nil || rq.Decision.Code != "released" || rq.Decision.MessageZH == "" {
		t.Fatalf("result query: %v %+v", err, rq)
	}
	res, err := c.svc.ResultDownload(ctx, local(didC), Ref{TaskID: id})
	if err != nil {
		t.Fatal(err)
	}
	if res.PSI == nil || res.PSI.Size != 40 || res.PSI.Keys != nil {
		t.Fatalf("result %+v", res.PSI)
	}
	// Each node's input was erased when the task ended: its key row and
	// its file are gone, and the erasure is an event and an audit entry.
	for _, did := range []string{didC, didP} {
		n := w.nodes[did]
		var left int
		if err := n.db.QueryRow(`SELECT COUNT(*) FROM task_uploads`).Scan(&left); err != nil || left != 0 {
			t.Errorf("%s keeps %d uploads (%v)", did, left, err)
		}
		// The file goes right after the commit that deleted its key.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			files, _ := os.ReadDir(n.opts.Uploads)
			if len(files) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s keeps %d upload files", did, len(files))
				break
			}
		}
		v, _ := n.svc.TaskQuery(ctx, local(did), Ref{TaskID: id})
		if e := v.Events[len(v.Events)-1]; e.Kind != "input_erased" {
			t.Errorf("%s: last event %+v", did, e)
		}
		if !n.audit.has(audit.ResultSuccess, "input_erased") {
			t.Errorf("%s: the erasure is not audited", did)
		}
	}
	// Each node recorded the end of its run: the reviewer with the
	// review's code, the other with succeeded.
	if !c.audit.has(audit.ResultSuccess, "released") || !w.nodes[didP].audit.has(audit.ResultSuccess, "succeeded") {
		t.Error("the end of the run is not in both ledgers")
	}
	if !c.audit.has(audit.ResultAllow, "downloaded") {
		t.Fatal("the download is not audited")
	}
	// The provider is not an output party.
	if _, err := w.nodes[didP].svc.ResultDownload(ctx, local(didP), Ref{TaskID: id}); code(err) != NotOutputParty {
		t.Fatalf("download by a non-output party: %v", err)
	}
	if !w.nodes[didP].audit.has(audit.ResultDeny, string(NotOutputParty)) {
		t.Fatal("the refused download is not audited")
	}
	// A peer that is not an output party cannot download from the initiator either.
	if _, err := c.svc.ResultDownload(ctx, Caller{DID: didP}, Ref{TaskID: id}); code(err) != NotOutputParty {
		t.Fatalf("peer download: %v", err)
	}
	m, err := c.svc.PerformanceMetric(ctx, local(didC), Ref{TaskID: id})
	if err != nil || m.MessagesSent == 0 || m.BytesReceived == 0 || m.Node.Tasks[StateSucceeded] != 1 {
		t.Fatalf("metrics %v %+v", err, m)
	}
	al, err := c.svc.AuditLog(ctx, local(didC), Ref{TaskID: id})
	if err != nil || len(al.Entries) < 5 || al.Checkpoint == "" {
		t.Fatalf("audit log %v %d", err, len(al.Entries))
	}
	// A message after the end is refused and audited.
	frame := make([]byte, 9)
	frame[7] = 99
	if err := c.svc.Deliver(ctx, Caller{DID: didP}, id, frame); code(err) != TaskEnded {
		t.Fatalf("message after the end: %v", err)
	}
	if !c.audit.has(audit.ResultDeny, string(TaskEnded)) {
		t.Fatal("the refused message is not audited")
	}
}

func TestSecaggSumThreeParties(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, didC, didP, didQ)
	c := w.nodes[didC]
	sp := Spec{Agreement: "urn:agreement:cp", Algorithm: "secagg-sum@1",
		Parties: []Party{{DID: didC, Role: "party"}, {DID: didP, Role: "party", Agreement: "urn:agreement:cp"}, {DID: didQ, Role: "party", Agreement: "urn:agreement:cq"}},
		Params:  Params{Scale: 2}, Fields: []string{"amount"}, Review: ReviewPolicy{MinGroup: 10}, Output: []string{didC, didQ}}
	v, err := c.svc.TaskCreate(ctx, local(didC), sp)
	if err != nil {
		t.Fatal(err)
	}
	id := v.Task.ID
	data := map[string][]byte{}
	want := int64(0)
	for i, did := range []string{didC, didP, didQ} {
		var b strings.Builder
		b.WriteString("amount\n")
		for r := 0; r < 20+i; r++ {
			fmt.Fprintf(&b, "%d.%02d\n", r*(i+1), r%100)
			want += int64(r*(i+1))*100 + int64(r%100)
		}
		data[did] = []byte(b.String())
	}
	cols := map[string]Columns{didC: {Value: "amount"}, didP: {Value: "amount"}, didQ: {Value: "amount"}}
	w.prepare(t, id, data, cols)
	if _, err := c.svc.AlgorithmInvoke(ctx, local(didC), InvokeRequest{TaskID: id}); err != nil {
		t.Fatal(err)
	}
	for did, v := range w.wait(t, id, didC, didP, didQ) {
		if v.State != StateSucceeded {
			t.Fatalf("%s: %s (%s)", did, v.State, v.Reason)
		}
	}
	for _, did := range []string{didC, didQ} {
		res, err := w.nodes[did].svc.ResultDownload(ctx, local(did), Ref{TaskID: id})
		if err != nil {
			t.Fatal(err)
		}
		g := res.Aggregate.Groups[0]
		if g.Sum == nil || g.Sum.Int.Int64() != want || *g.Count != 63 {
			t.Fatalf("%s: sum %v count %v, want %d and 63", did, g.Sum, *g.Count, want)
		}
	}
}

// refusal checks that err has code c, that the node audited a deny with
// that reason and that the task (if any) kept its state.
func refusal(t *testing.T, n *node, err error, c Code) {
	t.Helper()
	if code(err) != c {
		t.Fatalf("err = %v, want %s", err, c)
	}
	var e *Error
	errors.As(err, &e)
	if e.Message == "" || e.MessageZH == "" || e.Status == 0 {
		t.Fatalf("error %+v", e)
	}
	if !n.audit.has(audit.ResultDeny, string(c)) {
		t.Fatalf("no audit deny entry for %s", c)
	}
}

func TestCreateRefusals(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup func(w *world)
		spec  func() Spec
		code  Code
		peer  bool // the peer refuses
	}{
		{name: "no agreement", spec: func() Spec { s := psiSpec("psi-cardinality@1"); s.Agreement = "urn:agreement:none"; return s }, code: AgreementNotFound},
		{name: "not finalized", setup: func(w *world) { w.nodes[didC].ags.m["urn:agreement:cp"].Finalized = false }, spec: func() Spec { return psiSpec("psi-cardinality@1") }, code: AgreementNotFinalized},
		{name: "peer not a party of the agreement", spec: func() Spec {
			s := psiSpec("psi-cardinality@1")
			s.Parties[1].DID = didQ
			return s
		}, code: PartiesMismatch},
		{name: "caller not a party", spec: func() Spec {
			s := psiSpec("psi-cardinality@1")
			s.Parties[0].DID = didQ
			s.Output = []string{didQ}
			return s
		}, code: NotAParty},
		{name: "algorithm not registered", spec: func() Spec { return psiSpec("psi-magic@9") }, code: AlgorithmNotFound},
		{name: "algorithm outside the agreement", setup: func(w *world) {
			for _, n := range w.nodes {
				if n.ags.m["urn:agreement:cp"] == nil {
					continue
				}
				n.ags.m["urn:agreement:cp"].Policy = policy("urn:agreement:cp", didP, didC, "urn:dataset:p", "psi-sum@1")
			}
		}, spec: func() Spec { return psiSpec("psi-cardinality@1") }, code: AlgorithmNotPermitted},
		{name: "policy below the peer's minimum", setup: func(w *world) {
			w.nodes[didP].svc.opts.Minimums = Minimums{MinIntersection: 50}
		}, spec: func() Spec { return psiSpec("psi-cardinality@1") }, code: PolicyBelowMinimum, peer: true},
		{name: "peer requires DP", setup: func(w *world) {
			w.nodes[didP].svc.opts.Minimums = Minimums{RequireDP: true}
		}, spec: func() Spec { return psiSpec("psi-cardinality@1") }, code: PolicyBelowMinimum, peer: true},
		{name: "peer's agreement unfinalized", setup: func(w *world) { w.nodes[didP].ags.m["urn:agreement:cp"].Finalized = false },
			spec: func() Spec { return psiSpec("psi-cardinality@1") }, code: AgreementNotFinalized, peer: true},
		{name: "unknown parameter", spec: func() Spec { s := psiSpec("psi-cardinality@1"); s.Params.Scale = 2; return s }, code: BadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, didC, didP, didQ)
			if tc.setup != nil {
				tc.setup(w)
			}
			_, err := w.nodes[didC].svc.TaskCreate(ctx, local(didC), tc.spec())
			refusal(t, w.nodes[didC], err, tc.code)
			var e *Error
			errors.As(err, &e)
			if tc.peer != (e.Peer != "") {
				t.Fatalf("peer %q", e.Peer)
			}
			if tc.peer {
				refusal(t, w.nodes[didP], err, tc.code)
				// The peer's ledger holds the refusal under the task id the
				// initiator reports.
				if hits, _, _ := w.nodes[didP].audit.Entries(ctx, e.Task); !validID(e.Task) || len(hits) == 0 {
					t.Fatalf("task %q: %d entries in the peer's ledger", e.Task, len(hits))
				}
			}
			w.noTasks(t)
		})
	}
}

func TestAuthorizeAndInvokeRefusals(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, didC, didP)
	c, p := w.nodes[didC], w.nodes[didP]
	v, err := c.svc.TaskCreate(ctx, local(didC), psiSpec("psi-cardinality@1"))
	if err != nil {
		t.Fatal(err)
	}
	id := v.Task.ID
	u, err := p.svc.DataUpload(ctx, local(didP), UploadRequest{TaskID: id, Data: csvKeys(0, 10, false)})
	if err != nil {
		t.Fatal(err)
	}
	// A peer cannot upload or authorize for this node.
	_, err = p.svc.DataUpload(ctx, Caller{DID: didC}, UploadRequest{TaskID: id, Data: csvKeys(0, 10, false)})
	refusal(t, p, err, LocalOnly)
	// A column outside the task's fields; a column the file does not have.
	_, err = p.svc.DataAuthorize(ctx, local(didP), AuthorizeRequest{TaskID: id, Upload: u.Upload, Columns: Columns{Key: "ssn"}})
	refusal(t, p, err, InputInvalid)
	_, err = p.svc.DataAuthorize(ctx, local(didP), AuthorizeRequest{TaskID: id, Upload: "sha256:00", Columns: Columns{Key: "id"}})
	refusal(t, p, err, UploadNotFound)
	// The agreement's policy changes to exclude the algorithm: authorization is refused.
	p.ags.m["urn:agreement:cp"].Policy = policy("urn:agreement:cp", didP, didC, "urn:dataset:p", "psi-sum@1")
	_, err = p.svc.DataAuthorize(ctx, local(didP), AuthorizeRequest{TaskID: id, Upload: u.Upload, Columns: Columns{Key: "id"}})
	refusal(t, p, err, AlgorithmNotPermitted)
	// The peer's input not authorized: invoke is refused by the peer, and nothing changes.
	w.prepare(t, id, map[string][]byte{didC: csvKeys(0, 10, false)}, map[string]Columns{didC: {Key: "id"}})
	_, err = c.svc.AlgorithmInvoke(ctx, local(didC), InvokeRequest{TaskID: id})
	refusal(t, c, err, InputNotAuthorized)
	for _, n := range []*node{c, p} {
		v, _ := n.svc.TaskQuery(ctx, local(n.did), Ref{TaskID: id})
		if v.State != StateCreated {
			t.Fatalf("%s: state %s", n.did, v.State)
		}
	}
	// The provider cannot invoke: only the initiator does.
	_, err = p.svc.AlgorithmInvoke(ctx, local(didP), InvokeRequest{TaskID: id})
	refusal(t, p, err, NotInitiator)
	// A message from a DID that is not a party; a replayed message.
	err = c.svc.Deliver(ctx, Caller{DID: didQ}, id, make([]byte, 9))
	refusal(t, c, err, MessageNotParty)
	f1 := []byte{0, 0, 0, 0, 0, 0, 0, 1, 'x'}
	if err := c.svc.Deliver(ctx, Caller{DID: didP}, id, f1); err != nil {
		t.Fatal(err)
	}
	err = c.svc.Deliver(ctx, Caller{DID: didP}, id, f1)
	refusal(t, c, err, MessageReplayed)
	// A task query by a DID that is not a party.
	_, err = c.svc.TaskQuery(ctx, Caller{DID: didQ}, Ref{TaskID: id})
	refusal(t, c, err, NotAParty)
	// Cancel by the provider ends the task on both nodes.
	if _, err := p.svc.TaskCancel(ctx, local(didP), CancelRequest{TaskID: id}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*node{c, p} {
		v, _ := n.svc.TaskQuery(ctx, local(n.did), Ref{TaskID: id})
		if v.State != StateCancelled {
			t.Fatalf("%s: state %s", n.did, v.State)
		}
	}
	_, err = c.svc.TaskCancel(ctx, local(didC), CancelRequest{TaskID: id})
	refusal(t, c, err, TaskEnded)
}

func TestResultReviewRefusals(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		review ReviewPolicy
		setup  func(w *world)
		code   string
	}{
		{name: "intersection too small", review: ReviewPolicy{MinIntersection: 50}, code: "intersection_too_small"},
		{name: "budget exhausted", review: ReviewPolicy{MinIntersection: 5, Rho: "0.001"}, setup: func(w *world) {
			n := w.nodes[didC]
			l, _ := dp.OpenLedger(ctx, n.db, dp.LedgerOptions{DatasetBudget: dp.RhoUnit / 10000})
			n.svc.opts.Budget = l
		}, code: string(BudgetInsufficient)},
		{name: "dp released", review: ReviewPolicy{MinIntersection: 5, Rho: "0.005"}, code: "released_dp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, didC, didP)
			if tc.setup != nil {
				tc.setup(w)
			}
			c := w.nodes[didC]
			sp := psiSpec("psi-cardinality@1")
			sp.Review = tc.review
			v, err := c.svc.TaskCreate(ctx, local(didC), sp)
			if tc.code == string(BudgetInsufficient) {
				refusal(t, c, err, BudgetInsufficient)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			id := v.Task.ID
			w.prepare(t, id, map[string][]byte{didC: csvKeys(0, 100, false), didP: csvKeys(60, 200, false)}, map[string]Columns{didC: {Key: "id"}, didP: {Key: "id"}})
			if _, err := c.svc.AlgorithmInvoke(ctx, local(didC), InvokeRequest{TaskID: id}); err != nil {
				t.Fatal(err)
			}
			w.wait(t, id, didC, didP)
			rq, err := c.svc.ResultQuery(ctx, local(didC), Ref{TaskID: id})
			if err != nil || rq.Decision == nil || rq.Decision.Code != tc.code {
				t.Fatalf("%v %+v", err, rq.Decision)
			}
			_, err = c.svc.ResultDownload(ctx, local(didC), Ref{TaskID: id})
			if rq.Decision.Allow {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			refusal(t, c, err, Code(tc.code))
		})
	}
}

func TestRestartInterrupted(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, didC, didP)
	c := w.nodes[didC]
	v, err := c.svc.TaskCreate(ctx, local(didC), psiSpec("psi-cardinality@1"))
	if err != nil {
		t.Fatal(err)
	}
	id := v.Task.ID
	// The task is marked running as if the node had stopped mid-run.
	if ok, err := c.svc.transition(ctx, id, []string{StateCreated}, StateRunning, "", didC, nil); !ok || err != nil {
		t.Fatal(ok, err)
	}
	c.svc.Close()
	c.open(t)
	v, err = c.svc.TaskQuery(ctx, local(didC), Ref{TaskID: id})
	if err != nil || v.State != StateFailed || v.Reason != "interrupted" {
		t.Fatalf("%v %s %s", err, v.State, v.Reason)
	}
	kinds := []string{}
	for _, e := range v.Events {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Equal(kinds, []string{StateCreated, StateRunning, StateFailed}) {
		t.Fatalf("events %v", kinds)
	}
}

func TestComplianceCheck(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, didC, didP)
	c := w.nodes[didC]
	sp := psiSpec("psi-cardinality@1")
	rep, err := c.svc.ComplianceCheck(ctx, local(didC), ComplianceRequest{Task: &sp})
	if err != nil || !rep.Pass || rep.Attestation != "none" {
		t.Fatalf("%v %+v", err, rep)
	}
	sp.Algorithm = "psi-magic@1"
	rep, err = c.svc.ComplianceCheck(ctx, local(didC), ComplianceRequest{Task: &sp})
	if err != nil || rep.Pass {
		t.Fatalf("%v %+v", err, rep)
	}
	if !c.audit.has(audit.ResultAllow, string(ComplianceFailed)) {
		t.Fatal("not audited")
	}
	// A proposal below the peer's floor passes this node's checks and
	// fails the peer's, which the report names.
	w.nodes[didP].svc.opts.Minimums = Minimums{MinIntersection: 50}
	sp = psiSpec("psi-cardinality@1")
	rep, err = c.svc.ComplianceCheck(ctx, local(didC), ComplianceRequest{Task: &sp})
	if err != nil || rep.Pass {
		t.Fatalf("below the peer's floor: %v %+v", err, rep)
	}
	var peerFail *Check
	for i, ch := range rep.Checks {
		if !ch.Pass {
			if ch.Peer != didP || ch.Code != string(PolicyBelowMinimum) || peerFail != nil {
				t.Fatalf("failing check %+v", ch)
			}
			peerFail = &rep.Checks[i]
		}
	}
	if peerFail == nil {
		t.Fatalf("no failing peer check: %+v", rep.Checks)
	}
	// Nothing was created on either node.
	w.noTasks(t)
}

// noTasks fails the test when a node holds a task.
func (w *world) noTasks(t *testing.T) {
	t.Helper()
	for _, n := range w.nodes {
		if counts, _ := n.svc.countByState(context.Background()); len(counts) != 0 {
			t.Fatalf("%s has tasks %v", n.did, counts)
		}
	}
}

// TestInputErasureExceptions: KeepInputs keeps a node's inputs after the
// task ended, and an upload made for a dataset is kept as well.
func TestInputErasureExceptions(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, didC, didP)
	c, p := w.nodes[didC], w.nodes[didP]
	p.svc.opts.KeepInputs = true
	count := func(n *node) (k int) {
		if err := n.db.QueryRow(`SELECT COUNT(*) FROM task_uploads`).Scan(&k); err != nil {
			t.Fatal(err)
		}
		return k
	}
	run := func(cUpload UploadRequest) {
		v, err := c.svc.TaskCreate(ctx, local(didC), psiSpec("psi-cardinality@1"))
		if err != nil {
			t.Fatal(err)
		}
		id := v.Task.ID
		cUpload.Data, cUpload.TaskID = csvKeys(0, 50, false), id
		if cUpload.Dataset != "" {
			cUpload.TaskID = ""
		}
		u, err := c.svc.DataUpload(ctx, local(didC), cUpload)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.svc.DataAuthorize(ctx, local(didC), AuthorizeRequest{TaskID: id, Upload: u.Upload, Columns: Columns{Key: "id"}}); err != nil {
			t.Fatal(err)
		}
		w.prepare(t, id, map[string][]byte{didP: csvKeys(20, 80, false)}, map[string]Columns{didP: {Key: "id"}})
		if _, err := c.svc.AlgorithmInvoke(ctx, local(didC), InvokeRequest{TaskID: id}); err != nil {
			t.Fatal(err)
		}
		for did, v := range w.wait(t, id, didC, didP) {
			if v.State != StateSucceeded {
				t.Fatalf("%s: %s", did, v.State)
			}
		}
	}
	run(UploadRequest{})
	if count(c) != 0 || count(p) != 1 {
		t.Fatalf("after a task: the initiator keeps %d uploads (want 0), the peer with KeepInputs %d (want 1)", count(c), count(p))
	}
	run(UploadRequest{Dataset: "urn:dataset:c"})
	if count(c) != 1 {
		t.Fatalf("an upload for a dataset was erased (%d left)", count(c))
	}
}
