package node

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/pet/channel"
	"github.com/xborder/xborder/internal/suite"
)

// petCall calls a task interface on a node's management API.
func petCall(t *testing.T, n *testNode, token, op string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	code, out := doBody(t, "POST", n.n.MgmtURL+"/api/v1/pet/"+op, token, string(b))
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%s: %d %s", op, code, out)
	}
	return code, m
}

// ids is a CSV of n patient ids id-<from>…id-<from+n-1>.
func ids(from, n int) []byte {
	var b strings.Builder
	b.WriteString("patient_id,age\n")
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "P%06d,%d\n", i, 20+i%60)
	}
	return []byte(b.String())
}

// petUpload uploads csv on n for a task and authorizes it with key col.
func petInput(t *testing.T, n *testNode, token, taskID string, csv []byte) {
	t.Helper()
	code, up := petCall(t, n, token, "dataUpload", map[string]any{"task_id": taskID, "data": base64.StdEncoding.EncodeToString(csv)})
	if code != 200 {
		t.Fatalf("dataUpload: %d %v", code, up)
	}
	code, au := petCall(t, n, token, "dataAuthorize", map[string]any{"task_id": taskID, "upload": up["upload"], "columns": map[string]string{"key": "patient_id"}})
	if code != 200 {
		t.Fatalf("dataAuthorize: %d %v", code, au)
	}
}

// TestPETOverTheConnector: the Amsterdam centre and the Shenzhen hospital
// compute, under their DSP agreement, how many of the centre's patients
// are in the hospital's cohort (PSI cardinality) through the twelve task
// interfaces on each node's management API and the signed ECDHE channel
// between the nodes. Neither input leaves its node; the result equals the
// plaintext count; both sides audit the task; a computation outside the
// agreement and a stranger on the channel are refused.
func TestPETOverTheConnector(t *testing.T) {
	for _, c := range []struct {
		name               string
		consumer, provider suite.Alg
	}{{"intl", suite.Ed25519, suite.Ed25519}, {"intl-to-gm", suite.Ed25519, suite.SM2}, {"gm", suite.SM2, suite.SM2}} {
		t.Run(c.name, func(t *testing.T) { testPET(t, c.consumer, c.provider) })
	}
}

func testPET(t *testing.T, calg, palg suite.Alg) {
	gm := func(alg suite.Alg) func(*Config) {
		return func(c *Config) {
			if alg == suite.SM2 {
				c.Suite = "gm"
			}
		}
	}
	consumer := startAlgNode(t, calg, "NL", nil, gm(calg))
	provider := startAlgNode(t, palg, "CN", []Participant{{DID: consumer.did, Country: "NL"}}, gm(palg))
	f := &dataPlaneFixture{provider: provider, consumer: consumer, dataset: "xb86/CN/shenzhen-hospital/oncology"}
	registerDataset(t, f)
	alg := calg
	agreement := f.agree(t, string(offer("urn:uuid:o-psi", f.dataset, "research")))
	c, p := f.consumer, f.provider

	spec := map[string]any{"agreement": agreement, "algorithm": "psi-cardinality@1",
		"parties": []map[string]string{{"did": c.did, "role": "a"}, {"did": p.did, "role": "b"}},
		"fields":  []string{"patient_id"}, "review": map[string]any{"min_intersection": 5}, "output": []string{c.did}, "purpose": "research"}
	// complianceCheck of the proposed task passes.
	code, rep := petCall(t, c, f.cops, "complianceCheck", map[string]any{"task": spec})
	if code != 200 || rep["pass"] != true || rep["attestation"] != "none" {
		t.Fatalf("complianceCheck: %d %v", code, rep)
	}
	code, v := petCall(t, c, f.cops, "taskCreate", spec)
	if code != 200 && code != 201 {
		t.Fatalf("taskCreate: %d %v", code, v)
	}
	taskID := v["task"].(map[string]any)["id"].(string)
	// The hospital's node holds the mirror task.
	if code, pv := petCall(t, p, f.ops, "taskQuery", map[string]any{"task_id": taskID}); code != 200 || pv["state"] != "created" {
		t.Fatalf("provider taskQuery: %d %v", code, pv)
	}
	// Invoke before the inputs are authorized is refused.
	if code, e := petCall(t, c, f.cops, "algorithmInvoke", map[string]any{"task_id": taskID}); code < 400 {
		t.Fatalf("invoke without inputs: %d %v", code, e)
	}
	// 300 centre patients, 1000 hospital patients, 120 in common.
	petInput(t, c, f.cops, taskID, ids(880, 300))
	petInput(t, p, f.ops, taskID, ids(0, 1000))
	if code, e := petCall(t, c, f.cops, "algorithmInvoke", map[string]any{"task_id": taskID}); code >= 400 {
		t.Fatalf("algorithmInvoke: %d %v", code, e)
	}
	if size := petResult(t, c, f.cops, taskID); size != 120 {
		t.Fatalf("intersection %v, want 120", size)
	}
	// Every session with a gm party ran on gm, whichever node opened it.
	for _, n := range []*testNode{c, p} {
		n.n.pet.ch.mu.Lock()
		for _, s := range n.n.pet.ch.sessions {
			if want := map[bool]string{true: "gm", false: "intl"}[calg == suite.SM2 || palg == suite.SM2]; s.Suite() != want {
				t.Errorf("a session of %s ran on %s, want %s", n.did, s.Suite(), want)
			}
		}
		n.n.pet.ch.mu.Unlock()
	}
	// The hospital is not an output party: it cannot download.
	if code, e := petCall(t, p, f.ops, "resultDownload", map[string]any{"task_id": taskID}); code < 400 {
		t.Fatalf("provider download: %d %v", code, e)
	}
	for _, n := range []*testNode{c, p} {
		code, m := petCall(t, n, f.cops, "performanceMetric", map[string]any{"task_id": taskID})
		if n == p {
			code, m = petCall(t, n, f.ops, "performanceMetric", map[string]any{"task_id": taskID})
		}
		if code != 200 {
			t.Fatalf("performanceMetric: %d %v", code, m)
		}
		// Both sides audited the task.
		waitFor(t, "the task in the ledger", func() bool {
			hits, err := n.n.Ledger().Query(context.Background(), audit.Query{ObjectID: taskID})
			return err == nil && len(hits) >= 3
		})
	}
	// A computation outside the agreement: the agreement allows use for
	// research only by MPC.
	mpcOnly := `{"@id":"urn:uuid:o-mpc","@type":"Offer","target":"` + f.dataset + `","permission":[{"action":"use","constraint":[` +
		`{"leftOperand":"purpose","operator":"eq","rightOperand":"research"},` +
		`{"leftOperand":"xborder:computation","operator":"eq","rightOperand":"mpc"}]}]}`
	ag2 := f.agree(t, mpcOnly)
	spec["agreement"] = ag2
	code, e := petCall(t, c, f.cops, "taskCreate", spec)
	if code < 400 || e["error"] == "" {
		t.Fatalf("psi under an mpc-only agreement: %d %v", code, e)
	}
	if hits, _ := c.n.Ledger().Query(context.Background(), audit.Query{Result: audit.ResultDeny, Operation: audit.OpCompute}); len(hits) == 0 {
		t.Error("the refused task is not audited")
	}
	// A stranger cannot open a channel bound to the agreement.
	stranger := startAlgNode(t, alg, "HK", nil, gm(alg))
	cfg := stranger.n.pet.ch.cfg
	cfg.Suite = p.n.pet.ch.cfg.Suite
	if _, err := channel.Dial(context.Background(), cfg, nil, p.n.PublicURL+petPath, p.did, agreement); err == nil || !strings.Contains(err.Error(), "not_a_party") {
		t.Fatalf("a stranger's session: %v", err)
	}
}

// TestBenchPET runs the benchmark's whole path at a small size: the task
// finds the intersection psi.RunLocal finds (BenchPET checks both).
func TestBenchPET(t *testing.T) {
	var out strings.Builder
	if err := BenchPET(context.Background(), t.TempDir(), 300, "x25519", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "PSI cardinality 300 × 300 (x25519)") || !strings.Contains(out.String(), "psi.RunLocal") {
		t.Fatalf("report: %s", out.String())
	}
}

// petResult waits for the task to succeed on n and returns the size its
// result download gives.
func petResult(t *testing.T, n *testNode, token, taskID string) float64 {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, q := petCall(t, n, token, "taskQuery", map[string]any{"task_id": taskID})
		if s := q["state"]; s == "succeeded" {
			break
		} else if s == "failed" || s == "cancelled" || time.Now().After(deadline) {
			t.Fatalf("task ended %v: %v", s, q)
		}
		time.Sleep(50 * time.Millisecond)
	}
	code, res := petCall(t, n, token, "resultDownload", map[string]any{"task_id": taskID})
	if code != 200 {
		t.Fatalf("resultDownload: %d %v", code, res)
	}
	psi, _ := res["psi"].(map[string]any)
	if psi == nil {
		t.Fatalf("result: %v", res)
	}
	size, _ := psi["intersection_size"].(float64)
	return size
}

// TestPETAfterRestart: the provider's node restarts between two tasks;
// the consumer's cached channel session is unknown to the new process,
// so the consumer dials again, and the second task runs.
func TestPETAfterRestart(t *testing.T) {
	consumer := startKeyNode(t, "NL", nil)
	ps, err := suite.Generate(suite.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	provider := startSignerNode(t, ps, "CN", func(c *Config) { c.Participants = []Participant{{DID: consumer.did, Country: "NL"}} })
	f := &dataPlaneFixture{provider: provider, consumer: consumer, dataset: "xb86/CN/shenzhen-hospital/oncology"}
	registerDataset(t, f)
	agreement := f.agree(t, string(offer("urn:uuid:o-psi", f.dataset, "research")))
	run := func(p *testNode, cIDs, pIDs []byte) float64 {
		spec := map[string]any{"agreement": agreement, "algorithm": "psi-cardinality@1",
			"parties": []map[string]string{{"did": consumer.did, "role": "a"}, {"did": p.did, "role": "b"}},
			"fields":  []string{"patient_id"}, "review": map[string]any{"min_intersection": 5}, "output": []string{consumer.did}, "purpose": "research"}
		code, v := petCall(t, consumer, f.cops, "taskCreate", spec)
		if code >= 300 {
			t.Fatalf("taskCreate: %d %v", code, v)
		}
		id := v["task"].(map[string]any)["id"].(string)
		petInput(t, consumer, f.cops, id, cIDs)
		petInput(t, p, f.ops, id, pIDs)
		if code, e := petCall(t, consumer, f.cops, "algorithmInvoke", map[string]any{"task_id": id}); code >= 300 {
			t.Fatalf("algorithmInvoke: %d %v", code, e)
		}
		return petResult(t, consumer, f.cops, id)
	}
	if got := run(provider, ids(0, 100), ids(50, 100)); got != 50 {
		t.Fatalf("first task: %v", got)
	}
	sessionID := func() string {
		consumer.n.pet.ch.mu.Lock()
		defer consumer.n.pet.ch.mu.Unlock()
		for _, s := range consumer.n.pet.ch.sessions {
			return s.ID()
		}
		return ""
	}
	before := sessionID()
	if before == "" {
		t.Fatal("the consumer keeps no session")
	}
	// Restart the provider on the same data directory and key.
	cfg := provider.n.cfg
	provider.cancel()
	err = <-provider.done
	provider.done <- err // for the test's cleanup
	// The consumer knows the provider at its old address: listen there.
	cfg.Listen.Public = strings.TrimPrefix(provider.n.PublicURL, "http://")
	restarted := runNode(t, cfg, ps)
	if got := run(restarted, ids(0, 100), ids(90, 100)); got != 10 {
		t.Fatalf("second task, after the restart: %v", got)
	}
	if after := sessionID(); after == "" || after == before {
		t.Fatalf("the consumer's session %q → %q: it did not dial again", before, after)
	}
}
