package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGen(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "g.csv")
	stdout, stderr, code := xb(t, dir, "gen", "--out", out, "--rows", "500", "--seed", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var truth struct {
		Rows        int64 `json:"rows"`
		Bytes       int64 `json:"bytes"`
		Individuals int64 `json:"individuals"`
	}
	if err := json.Unmarshal([]byte(stdout), &truth); err != nil {
		t.Fatalf("truth is not JSON: %v\n%s", err, stdout)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if truth.Rows != 500 || fi.Size() != truth.Bytes || truth.Individuals == 0 || truth.Individuals > 500 {
		t.Errorf("truth %+v, file size %d", truth, fi.Size())
	}
	// The assessor counts what the generator says is there.
	stdout, stderr, code = xb(t, dir, "assess", "--from", "CN", "--to", "DE", "--purpose", "analytics", "--format", "json", out)
	if code != 0 {
		t.Fatalf("assess: exit %d: %s", code, stderr)
	}
	if got := int64(decodeJSON(t, stdout)["profile"].(map[string]any)["individuals"].(float64)); got != truth.Individuals {
		t.Errorf("assess counted %d individuals, generator wrote %d", got, truth.Individuals)
	}

	for _, bad := range [][]string{
		{"gen", "--rows", "5"},
		{"gen", "--out", out, "--size", "lots"},
		{"gen", "--out", out, "--size", "-1GB"},
	} {
		_, stderr, code := xb(t, dir, bad...)
		if code != exitBadInput || !strings.Contains(stderr, "hint:") {
			t.Errorf("%v: exit %d, stderr %q; want %d with a hint", bad, code, stderr, exitBadInput)
		}
	}
}

func TestLedgerListJSON(t *testing.T) {
	dir := t.TempDir()
	out, _, code := xb(t, dir, "ledger", "list", "--format", "json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("empty ledger: exit %d, %q; want []", code, out)
	}
	if _, _, code := xb(t, dir, "ledger", "list", "--format", "xml"); code != exitBadInput {
		t.Errorf("--format xml: exit %d, want %d", code, exitBadInput)
	}
}
