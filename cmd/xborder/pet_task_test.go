package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/demo"
)

// TestPetOverNodes: the demo's research centre runs `xborder pet psi
// --node` against the hospital under their agreement; the hospital's
// operator finds the task with `xborder pet tasks` and contributes with
// `xborder pet join`; the result equals the plaintext count. Bad input
// exits 2 before any call; a node's refusal exits 1 with its code.
func TestPetOverNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := demo.New(demo.Options{Dir: t.TempDir(), Rows: 300})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(context.Background())
	steps, err := d.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var agreement string
	for _, s := range steps {
		if a, ok := s.Facts["agreement"].(string); ok && a != "" {
			agreement = a
		}
	}
	var cn, nl demo.NodeInfo
	for _, n := range d.Nodes() {
		switch n.Country {
		case "CN":
			cn = n
		case "NL":
			nl = n
		}
	}
	if agreement == "" || cn.DID == "" || nl.DID == "" {
		t.Fatalf("demo: agreement %q, nodes %+v", agreement, d.Nodes())
	}
	dir := t.TempDir()
	write := func(name string, from, n int) string {
		var b strings.Builder
		b.WriteString("patient_id,visits\n")
		for i := from; i < from+n; i++ {
			fmt.Fprintf(&b, "P%05d,%d\n", i, i%7)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mine, theirs := write("trial.csv", 0, 50), write("cohort.csv", 30, 80) // 20 in common

	// Bad input: nothing is called, nothing changes.
	for _, bad := range [][]string{
		{"pet", "psi", "--node", nl.Management, "--token", nl.AdminToken, "--peer", cn.DID, "--key", "patient_id", mine},                     // no agreement
		{"pet", "psi", "--node", nl.Management, "--token", nl.AdminToken, "--agreement", agreement, "--peer", cn.DID, "--key", "nope", mine}, // no such column
		{"pet", "psi", "--node", "ftp://x", "--token", "t", "--agreement", agreement, "--peer", cn.DID, "--key", "patient_id", mine},         // not http
		{"pet", "psi", "--local", "--node", nl.Management, "--key", "patient_id", mine, theirs},                                              // both modes
		{"pet", "join", "urn:uuid:x", theirs, "--node", cn.Management, "--token", cn.AdminToken, "--key", "nope"},                            // no such column
		{"pet", "task", "taskDelete", "urn:uuid:x", "--node", cn.Management, "--token", cn.AdminToken},                                       // no such interface
		{"pet", "task", "taskQuery", "{not json", "--node", cn.Management, "--token", cn.AdminToken},                                         // not JSON
	} {
		if _, stderr, code := xb(t, dir, bad...); code != exitBadInput {
			t.Errorf("%v: exit %d %s", bad[:3], code, stderr)
		}
	}
	if out, _, code := xb(t, dir, "pet", "tasks", "--node", cn.Management, "--token", cn.AdminToken, "--state", "created", "--format", "json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("tasks before: exit %d %s", code, out)
	}
	// A refusal by the node: exit 1 with its code.
	if _, stderr, code := xb(t, dir, "pet", "task", "taskQuery", "urn:uuid:00000000-0000-0000-0000-000000000000", "--node", cn.Management, "--token", cn.AdminToken); code != exitFailure || !strings.Contains(stderr, "task_not_found") {
		t.Fatalf("unknown task: exit %d %s", code, stderr)
	}

	done := make(chan cliResult, 1)
	go func() {
		out, stderr, code := xb(t, dir, "pet", "psi", "--node", nl.Management, "--token", nl.AdminToken, "--agreement", agreement,
			"--peer", cn.DID, "--key", "patient_id", "--cardinality", "--min-intersection", "10", "--purpose", "research", "--wait", "90s", mine)
		done <- cliResult{out, stderr, code}
	}()
	// The hospital's operator finds the task waiting for its input.
	id := waitingTask(t, dir, cn, done)
	if out, stderr, code := xb(t, dir, "pet", "join", id, theirs, "--key", "patient_id", "--node", cn.Management, "--token", cn.AdminToken); code != 0 || !strings.Contains(out, "authorized") {
		t.Fatalf("join: exit %d %s %s", code, out, stderr)
	}
	r := <-done
	if r.code != 0 {
		t.Fatalf("pet psi --node: exit %d %s %s", r.code, r.out, r.stderr)
	}
	var rep struct {
		Task string `json:"task"`
		Size int    `json:"intersection_size"`
	}
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil || rep.Size != 20 || rep.Task != id {
		t.Fatalf("result: %v %s", err, r.out)
	}
	// The task as an HTML page, from each node: the centre's shows the
	// released size, the hospital's says it holds no result.
	page := filepath.Join(dir, "task.html")
	if _, stderr, code := xb(t, dir, "pet", "report", id, "--node", nl.Management, "--token", nl.AdminToken, "--lang", "zh", "--out", page); code != 0 {
		t.Fatalf("report: exit %d %s", code, stderr)
	}
	if b, err := os.ReadFile(page); err != nil || !strings.Contains(string(b), "交集大小") || !strings.Contains(string(b), ">20<") || !strings.Contains(string(b), "<svg") {
		t.Fatalf("the centre's report: %v", err)
	}
	if out, stderr, code := xb(t, dir, "pet", "report", id, "--node", cn.Management, "--token", cn.AdminToken, "--lang", "en"); code != 0 || !strings.Contains(out, "holds no released result") {
		t.Fatalf("the hospital's report: exit %d %s", code, stderr)
	}
	if _, _, code := xb(t, dir, "pet", "report", id, "--node", cn.Management, "--token", cn.AdminToken, "--lang", "fr"); code != exitBadInput {
		t.Fatalf("--lang fr: exit %d", code)
	}
	// Secure aggregation between the same nodes: the sum of visits over
	// both files, 130 rows.
	go func() {
		out, stderr, code := xb(t, dir, "pet", "aggregate", "--node", nl.Management, "--token", nl.AdminToken, "--agreement", agreement,
			"--peer", cn.DID, "--stat", "sum", "--column", "visits", "--scale", "0", "--purpose", "research", "--wait", "90s", mine)
		done <- cliResult{out, stderr, code}
	}()
	aggID := waitingTask(t, dir, cn, done)
	if out, stderr, code := xb(t, dir, "pet", "join", aggID, theirs, "--value", "visits", "--node", cn.Management, "--token", cn.AdminToken); code != 0 {
		t.Fatalf("join: exit %d %s %s", code, out, stderr)
	}
	r = <-done
	if r.code != 0 {
		t.Fatalf("pet aggregate --node: exit %d %s %s", r.code, r.out, r.stderr)
	}
	want := 0
	for i := 0; i < 50; i++ {
		want += i % 7
	}
	for i := 30; i < 110; i++ {
		want += i % 7
	}
	var agg struct {
		Result struct {
			Groups []struct {
				Count int64       `json:"count"`
				Sum   json.Number `json:"sum"`
			} `json:"groups"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(r.out), &agg); err != nil || len(agg.Result.Groups) != 1 || agg.Result.Groups[0].Count != 130 || agg.Result.Groups[0].Sum.String() != fmt.Sprint(want) {
		t.Fatalf("aggregate: %v %s (want count 130, sum %d)", err, r.out, want)
	}
	// Both nodes can show the task's audit trail.
	for _, n := range []demo.NodeInfo{nl, cn} {
		out, stderr, code := xb(t, dir, "pet", "task", "auditLog", id, "--node", n.Management, "--token", n.AdminToken)
		if code != 0 || !strings.Contains(out, id) {
			t.Fatalf("auditLog on %s: exit %d %s", n.Country, code, stderr)
		}
	}
}

type cliResult struct {
	out, stderr string
	code        int
}

// waitingTask polls n's task list (with xborder pet tasks) until a created
// task waits for n's input and returns its id; the command behind done
// must not end first.
func waitingTask(t *testing.T, dir string, n demo.NodeInfo, done chan cliResult) string {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, stderr, code := xb(t, dir, "pet", "tasks", "--node", n.Management, "--token", n.AdminToken, "--state", "created", "--format", "json")
		if code != 0 {
			t.Fatalf("tasks: exit %d %s", code, stderr)
		}
		var ts []struct {
			ID             string `json:"id"`
			MineAuthorized bool   `json:"mine_authorized"`
		}
		json.Unmarshal([]byte(out), &ts)
		for _, x := range ts {
			if !x.MineAuthorized {
				return x.ID
			}
		}
		select {
		case r := <-done:
			t.Fatalf("the initiator's command ended early: exit %d %s %s", r.code, r.out, r.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no task reached the other node")
		}
	}
}
