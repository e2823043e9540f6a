package taskreport

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/pet/review"
	"github.com/xborder/xborder/internal/pet/task"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// bundle is a finished PSI-cardinality task as the initiator's node sees
// it.
func bundle() *Bundle {
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	const c, p = "did:web:research.example.nl", "did:web:hospital.example.cn"
	sp := task.Spec{ID: "urn:uuid:6f1c2a9e-0000-4000-8000-000000000001", Initiator: c, Agreement: "urn:uuid:agreement-1",
		Algorithm: "psi-cardinality@1", Params: task.Params{Group: "x25519"},
		Parties: []task.Party{{DID: c, Role: "a"}, {DID: p, Role: "b"}}, Fields: []string{"patient_id"},
		Review: task.ReviewPolicy{MinIntersection: 10}, Output: []string{c}, Purpose: "research"}
	return &Bundle{
		Node: c, Generated: at(5000),
		View: &task.View{Task: sp, State: task.StateSucceeded, Events: []task.Event{
			{Seq: 1, At: at(0), Kind: "created", Actor: c}, {Seq: 2, At: at(120), Kind: "input_authorized", Actor: c},
			{Seq: 3, At: at(400), Kind: "input_authorized", Actor: p}, {Seq: 4, At: at(401), Kind: "authorized", Actor: c},
			{Seq: 5, At: at(460), Kind: "running", Actor: c}, {Seq: 6, At: at(1380), Kind: "succeeded", Actor: c, Detail: "released"},
			{Seq: 7, At: at(1380), Kind: "input_erased", Actor: c, Detail: "sha256:ab12"}}},
		ResultView: &task.ResultView{TaskID: sp.ID, State: task.StateSucceeded, Reviewed: true, Available: true, Output: []string{c},
			Decision: &task.Decision{Allow: true, Code: "released", Message: "released: the result passed its policy", MessageZH: "已放行：结果符合策略"}},
		Result: &task.Result{TaskID: sp.ID, Algorithm: sp.Algorithm, PSI: &review.PSIRelease{Mode: "cardinality", Size: 150}, Digest: "sha256:cd34"},
		Compliance: &task.ComplianceReport{TaskID: sp.ID, Pass: true, Attestation: "none", Checks: []task.Check{
			{Name: "agreement", Pass: true, Code: "ok", Message: "the agreement is finalized", MessageZH: "协议已生效"},
			{Name: "review_policy_minimums", Pass: true, Code: "ok", Message: "meets this node's minimums", MessageZH: "符合本节点最低要求", Peer: p},
			{Name: "inputs_authorized", Pass: false, Code: "input_not_authorized", Message: "<script>alert(1)</script>", MessageZH: "<script>alert(1)</script>"}}},
		Metrics: &task.Metrics{TaskID: sp.ID, Phases: map[string]int64{"created_to_authorized": 401, "authorized_to_running": 59, "running_to_end": 920},
			BytesSent: 13_000, BytesReceived: 103_000, MessagesSent: 1, MessagesRecvd: 2, Items: 400, ItemsPerSecond: 434.8},
		Audit: &task.AuditLog{TaskID: sp.ID, Checkpoint: "research.example.nl/audit\n42\nAAAA\n", Entries: []audit.Hit{
			{Index: 40, Event: &audit.Event{Actor: c, Time: at(0), Operation: audit.OpCompute, ObjectID: sp.ID, ObjectKind: audit.KindTask, Result: audit.ResultAllow, Reason: "created"}},
			{Index: 41, Event: &audit.Event{Actor: c, Time: at(1380), Operation: audit.OpAdminChange, ObjectID: sp.ID, ObjectKind: audit.KindTask, Result: audit.ResultSuccess, Reason: "input_erased"}}}},
	}
}

// TestHTML: the page in both languages against golden files; values are
// escaped; bad input is refused.
func TestHTML(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		var b bytes.Buffer
		if err := HTML(&b, bundle(), lang); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.Contains(out, "<script>") || !strings.Contains(out, "&lt;script&gt;") {
			t.Errorf("%s: a value is not escaped", lang)
		}
		for _, want := range []string{"150", "psi-cardinality@1", "input_erased", "<svg", "research.example.nl/audit"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the page lacks %q", lang, want)
			}
		}
		golden := filepath.Join("testdata", "task."+lang+".html")
		if *update {
			if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to write it)", err)
		}
		if !bytes.Equal(want, b.Bytes()) {
			t.Errorf("%s: the page differs from %s (run with -update after checking)", lang, golden)
		}
	}
	if err := HTML(&bytes.Buffer{}, bundle(), "fr"); err == nil {
		t.Error("a third language accepted")
	}
	if err := HTML(&bytes.Buffer{}, &Bundle{}, "en"); err == nil {
		t.Error("an empty bundle accepted")
	}
	// A task that ended without a result for this node still renders.
	b := bundle()
	b.Result, b.ResultView, b.Metrics, b.Audit = nil, nil, nil, nil
	var out bytes.Buffer
	if err := HTML(&out, b, "zh"); err != nil || !strings.Contains(out.String(), texts["zh"]["no_result"]) {
		t.Errorf("without a result: %v", err)
	}
}

// TestTexts: both languages have every key.
func TestTexts(t *testing.T) {
	for k := range texts["en"] {
		if texts["zh"][k] == "" {
			t.Errorf("zh lacks %q", k)
		}
	}
	for k := range texts["zh"] {
		if texts["en"][k] == "" {
			t.Errorf("en lacks %q", k)
		}
	}
}
