package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// demoRun runs xborder demo in-process; before, when set, runs before
// each step.
func demoRun(t *testing.T, before func(string) error, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" },
		now: func() time.Time { return time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC) }, demoBefore: before}
	code := run(context.Background(), e, append([]string{"demo"}, args...))
	return out.String(), errb.String(), code
}

// TestDemo: the whole story with --exit: every step succeeds and the
// narrative states the facts each one proves.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	out, stderr, code := demoRun(t, nil, "--exit", "--dir", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{
		"1. Identities", "(SM2, suite gm)", "MembershipCredential (vc+jwt) verified",
		"the CN compliance gate learns a caller's country from the MembershipCredential it presents over DCP, checked against the registry (NL, HK)",
		"3,000 synthetic oncology cases (seed 2026)",
		"3,000 individuals (counted by cn_resident_id), 3,000 of them with sensitive personal information",
		"CN rules: CN_SC_OR_CERT", "blocking: no filing or approval on record",
		"姓名: mask → drop", "诊断: drop → keep",
		"the CN gate parked the request for the compliance office: filing_required",
		"FINALIZED: agreement urn:uuid:",
		"gm suite: SM2 key agreement, SM4-GCM, SM3 digest",
		"none of the source's", // direct identifiers checked
		"9. Joint computation",
		"refused by the CN node: policy_below_minimum",
		"en: the task's review policy is below this node's minimums: this node does not release intersection keys",
		"review_policy_minimums ✓", "attestation: none",
		"CN operations uploads the export (3,000 rows, sm4-gcm at rest)",
		"150 of the centre's 400 trial patients are in the hospital's cohort — the known answer",
		"both ways on the gm suite (SM2 key agreement, SM3, SM4-GCM",
		"cosigned by witness.amsterdam-research.demo",
		"verified offline with the CN ledger key and the witness policy",
		"evidence pack of the joint computation urn:uuid:",
		"code purpose_not_permitted",
		`en: The dataset's governance does not permit the purpose "marketing" (permitted: research).`,
		"zh: 该数据集的治理规则不允许用于“marketing”（允许的目的：research）。",
		"All 11 steps succeeded",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the narrative lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
	// What the story leaves for the user to inspect.
	for _, f := range []string{"shenzhen-hospital/export/oncology-cases.csv", "shenzhen-hospital/export/assessment.html",
		"shenzhen-hospital/export/mask-reviewed.json", "trust/registry.json", "evidence/transfer-pack.json", "shenzhen-hospital/node.log",
		"evidence/task-pack.json", "amsterdam-research/pet/trial-patients.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	got, _ := filepath.Glob(filepath.Join(dir, "amsterdam-research", "received", "urn_uuid_*"))
	if len(got) != 2 { // the data and its receipt
		t.Errorf("received: %v", got)
	}
	// The evidence verifies with the command the narrative prints.
	var verify string
	for _, l := range strings.Split(out, "\n") {
		if _, cmd, ok := strings.Cut(l, "check it yourself: "); ok {
			verify = cmd
		}
	}
	key, err := os.ReadFile(filepath.Join(dir, "evidence", "cn-ledger.vkey"))
	if verify == "" || err != nil {
		t.Fatalf("no verification command (%v)", err)
	}
	for _, pack := range []string{"transfer-pack.json", "task-pack.json"} {
		vout, verr, code := xb(t, dir, "audit", "verify", filepath.Join(dir, "evidence", pack),
			"--log-key", strings.TrimSpace(string(key)), "--witness-policy", filepath.Join(dir, "evidence", "witnesses.policy"))
		if code != 0 || !strings.Contains(vout, "cosigned by witness.amsterdam-research.demo") {
			t.Fatalf("audit verify %s: exit %d\n%s\n%s", pack, code, vout, verr)
		}
	}
}

// TestDemoStepFails: a failing step stops the story; exit 1 names it.
func TestDemoStepFails(t *testing.T) {
	out, stderr, code := demoRun(t, func(step string) error {
		if step == "transfer" {
			return errors.New("injected failure")
		}
		return nil
	}, "--exit", "--dir", t.TempDir())
	if code != exitFailure || !strings.Contains(stderr, "step 8 (transfer): injected failure") || !strings.Contains(stderr, "node.log") {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	if !strings.Contains(out, "8. Transfer") || !strings.Contains(out, "FAILED: injected failure") || strings.Contains(out, "9. Joint computation") ||
		strings.Contains(out, "succeeded") {
		t.Fatalf("narrative:\n%s", out)
	}
}

// TestDemoJSON: --json --lang zh gives the steps and their facts.
func TestDemoJSON(t *testing.T) {
	out, stderr, code := demoRun(t, nil, "--exit", "--json", "--lang", "zh", "--dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var v struct {
		OK    bool
		Steps []struct {
			Name  string
			Title string
			OK    bool
			Facts map[string]any
		}
		Nodes []struct{ Country, Management, AdminToken string }
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !v.OK || len(v.Steps) != 11 || len(v.Nodes) != 3 || v.Steps[10].Name != "refusal" || v.Steps[10].Title != "被拒绝的请求" {
		t.Fatalf("%+v", v)
	}
	if f := v.Steps[10].Facts; f["code"] != "purpose_not_permitted" {
		t.Errorf("refusal facts %v", f)
	}
	// The joint computation's result is the known answer.
	c := v.Steps[8]
	if f := c.Facts; c.Name != "compute" || c.Title != "联合计算" || !c.OK || f["algorithm"] != "psi-cardinality@1" ||
		f["expected"] != float64(150) || f["result"] != float64(150) || !strings.HasPrefix(fmt.Sprint(f["taskId"]), "urn:uuid:") {
		t.Errorf("compute step %s %q: facts %v", c.Name, c.Title, c.Facts)
	}
	if r, _ := c.Facts["refused"].(map[string]any); r["code"] != "policy_below_minimum" {
		t.Errorf("compute refusal %v", c.Facts["refused"])
	}
	if b, _ := c.Facts["bytes"].(map[string]any); b["sent"] == float64(0) || b["received"] == float64(0) {
		t.Errorf("compute bytes %v", c.Facts["bytes"])
	}
	if f := v.Steps[9].Facts; f["taskPack"] == nil {
		t.Errorf("audit facts %v", f)
	}
	if f := v.Steps[7].Facts; f["suite"] != "gm" || f["verified"] != true {
		t.Errorf("transfer facts %v", f)
	}
}

// TestDemoBadInput: a directory that is not empty is refused.
func TestDemoBadInput(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x"), nil, 0o644)
	if _, stderr, code := demoRun(t, nil, "--exit", "--dir", dir); code != exitBadInput || !strings.Contains(stderr, "not empty") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, stderr, code := demoRun(t, nil, "--exit", "--lang", "fr"); code != exitBadInput {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
