package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updatePolicy = flag.Bool("update-policy", false, "rewrite cmd/xborder/testdata/policy/*.golden")

const policyDir = "testdata/policy"

func pd(name string) string { return filepath.Join(policyDir, name) }

// policyGolden compares a command's output with testdata/policy/NAME.golden.
func policyGolden(t *testing.T, name, got string) {
	t.Helper()
	path := pd(name + ".golden")
	if *updatePolicy {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/xborder -run Policy -update-policy)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (-update-policy to accept):\n%s", path, got)
	}
}

// TestPolicyEval: decisions, their JSON and the exit codes 0 permit, 1 deny
// or not applicable.
func TestPolicyEval(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		golden string
		args   []string
		code   int
	}{
		{"eval-permit", []string{"--policy", pd("offer.json"), "--request", pd("request-permit.json")}, exitOK},
		{"eval-deny", []string{"--policy", pd("offer.json"), "--request", pd("request-deny.json")}, exitFailure},
		{"eval-not-applicable", []string{"--policy", pd("offer.json"), "--request", pd("request-not-applicable.json")}, exitFailure},
		{"eval-no-credential", []string{"--policy", pd("offer.json"), "--request", pd("request-no-credential.json")}, exitFailure},
		{"eval-dsp", []string{"--policy", pd("dsp-agreement.json"), "--request", pd("request-dsp.json")}, exitFailure},
		{"eval-combined", []string{"--policy", pd("cn-mandatory.json"), "--policy", pd("agreement.json"), "--jurisdiction", "CN",
			"--request", writeFile(t, dir, "r.json", `{"assignee": "did:web:consumer.example", "action": "distribute",
			  "target": "urn:xborder:CN/retail/aggregate-2026",
			  "context": {"recipientJurisdiction": "DE", "transferRoute": "NONE", "recipient": "did:web:importer.example"}}`)}, exitFailure},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			out, stderr, code := xb(t, dir, append([]string{"policy", "eval"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			var d struct {
				Decision string `json:"decision"`
			}
			if err := json.Unmarshal([]byte(out), &d); err != nil || d.Decision == "" {
				t.Fatalf("stdout is not a decision: %v\n%s", err, out)
			}
			policyGolden(t, tc.golden, out)
		})
	}
}

// TestPolicyEvalClock: without a time in the request, the CLI uses its
// clock (the test clock is 2026-04-15), or --now.
func TestPolicyEvalClock(t *testing.T) {
	dir := t.TempDir()
	var req map[string]any
	raw, _ := os.ReadFile(pd("request-permit.json"))
	if err := json.Unmarshal(raw, &req); err != nil {
		t.Fatal(err)
	}
	delete(req["context"].(map[string]any), "dateTime")
	b, _ := json.Marshal(req)
	r := writeFile(t, dir, "r.json", string(b))
	if _, stderr, code := xb(t, dir, "policy", "eval", "--policy", pd("offer.json"), "--request", r); code != exitOK {
		t.Errorf("clock 2026-04-15: exit %d %s", code, stderr)
	}
	out, _, code := xb(t, dir, "policy", "eval", "--policy", pd("offer.json"), "--request", r, "--now", "2027-02-01T00:00:00Z")
	if code != exitFailure || !strings.Contains(out, `"#until"`) {
		t.Errorf("--now after the offer ends: exit %d %s", code, out)
	}
}

// TestPolicyBadInput: exit 2, an error naming the file and the path of each
// problem, nothing on stdout.
func TestPolicyBadInput(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"no flags", []string{"policy", "eval"}, []string{"--policy and --request are required"}},
		{"missing file", []string{"policy", "eval", "--policy", pd("nope.json"), "--request", pd("request-permit.json")}, []string{"nope.json"}},
		{"undefined term", []string{"policy", "eval", "--policy", pd("policy-bad-term.json"), "--request", pd("request-permit.json")},
			[]string{"permission[0].constrant", "undefined_term", "hint: run xborder policy check"}},
		{"bad values", []string{"policy", "eval", "--policy", pd("policy-bad-values.json"), "--request", pd("request-permit.json")},
			[]string{"2 problems", "permission[1].constraint[0].rightOperand", "bad_value", "permission[1].constraint[1].operator", "operator_mismatch"}},
		{"bad request", []string{"policy", "eval", "--policy", pd("offer.json"), "--request", pd("request-bad.json")}, []string{"context.dateTime", "bad_value"}},
		{"not JSON", []string{"policy", "eval", "--policy", writeFile(t, dir, "x.json", "{"), "--request", pd("request-permit.json")}, []string{"malformed"}},
		{"bad --now", []string{"policy", "eval", "--policy", pd("offer.json"), "--request", pd("request-permit.json"), "--now", "tomorrow"}, []string{"--now"}},
		{"oversized", []string{"policy", "check", writeFile(t, dir, "big.json", `{"x": "`+strings.Repeat("a", 2<<20)+`"}`)}, []string{"larger than"}},
		{"bad package", []string{"policy", "to-rego", pd("offer.json"), "--package", "Not-A-Package"}, []string{"not a Rego package name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := xb(t, dir, tc.args...)
			if code != exitBadInput {
				t.Fatalf("exit %d, want %d: %s", code, exitBadInput, stderr)
			}
			if out != "" {
				t.Errorf("stdout: %s", out)
			}
			if !strings.HasPrefix(stderr, "xborder: error: ") {
				t.Errorf("stderr: %s", stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestPolicyCheck: valid policies exit 0, invalid ones 1 with every
// problem and its path.
func TestPolicyCheck(t *testing.T) {
	dir := t.TempDir()
	out, stderr, code := xb(t, dir, "policy", "check", pd("offer.json"), pd("dsp-agreement.json"), pd("cn-mandatory.json"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	policyGolden(t, "check-ok", out)
	out, _, code = xb(t, dir, "policy", "check", pd("policy-bad-values.json"))
	if code != exitFailure {
		t.Fatalf("exit %d", code)
	}
	policyGolden(t, "check-invalid", out)
	out, _, code = xb(t, dir, "policy", "check", "--json", pd("policy-bad-term.json"))
	if code != exitFailure {
		t.Fatalf("exit %d", code)
	}
	policyGolden(t, "check-invalid-json", out)
}

// TestPolicyConflicts: conflicts inside and between policies, resolved.
func TestPolicyConflicts(t *testing.T) {
	dir := t.TempDir()
	out, stderr, code := xb(t, dir, "policy", "conflicts", pd("cn-mandatory.json"), pd("source-a.json"), pd("source-b.json"), pd("agreement.json"), "--jurisdiction", "CN")
	if code != exitFailure {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	policyGolden(t, "conflicts", out)
	out, _, code = xb(t, dir, "policy", "conflicts", "--json", pd("source-a.json"), pd("source-b.json"))
	if code != exitFailure || !json.Valid([]byte(out)) {
		t.Fatalf("--json: exit %d %s", code, out)
	}
	out, _, code = xb(t, dir, "policy", "conflicts", pd("agreement.json"))
	if code != exitOK || !strings.Contains(out, "no conflicts") {
		t.Errorf("one policy without conflicts: exit %d %s", code, out)
	}
}

// TestPolicyToRego: the module for a small policy.
func TestPolicyToRego(t *testing.T) {
	dir := t.TempDir()
	out, stderr, code := xb(t, dir, "policy", "to-rego", pd("agreement.json"), "--package", "xborder.agreement")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "package xborder.agreement\n") || !strings.Contains(out, "decision := result[0]") {
		t.Errorf("not a module:\n%s", out)
	}
	policyGolden(t, "to-rego", out)
}

// TestBenchPolicy runs the benchmark briefly and checks what it prints, not
// its figures.
// Without the opa build tag the OPA line says how to get it.
func TestBenchPolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs OPA")
	}
	out, stderr, code := xb(t, t.TempDir(), "bench", "policy", "--duration", "30ms")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := []string{"decision permit", "xborder   p50", "OPA       p50", "ratio", "targets"}
	if !opaBuilt {
		want = []string{"decision permit", "xborder   p50", "OPA       not in this build", "-tags opa", "targets"}
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if !bytes.Contains([]byte(out), []byte("allocs/decision")) {
		t.Errorf("no allocation figure:\n%s", out)
	}
}
