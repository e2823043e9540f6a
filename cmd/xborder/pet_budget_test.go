package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestPetBudget: a budget set lower than the default refuses the release
// that the default would have allowed; show reports the spends; bad input
// exits 2 and changes nothing; the change is audited.
func TestPetBudget(t *testing.T) {
	files, _, _ := petReviewFiles(t)
	dir := t.TempDir()
	mustXB(t, dir, "audit", "init")
	const ds, ag = "urn:xborder:dataset:wm", "urn:xborder:agreement:a1"
	show := func() budgetView {
		t.Helper()
		out, stderr, code := xb(t, dir, "pet", "budget", "show", "--dataset", ds, "--agreement", ag, "--format", "json")
		if code != 0 {
			t.Fatalf("show: exit %d %s", code, stderr)
		}
		var v budgetView
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("show: %v in %s", err, out)
		}
		return v
	}
	if v := show(); v.Total.String() != "0.017468904769" || v.Spent != 0 || v.Spends != 0 {
		t.Fatalf("default budget: %+v", v)
	}
	for _, bad := range [][]string{
		{"set", "--agreement", ag, "--epsilon", "1"},                // no dataset
		{"set", "--dataset", ds},                                    // no amount
		{"set", "--dataset", ds, "--epsilon", "1", "--rho", "0.01"}, // both
		{"set", "--dataset", ds, "--epsilon", "-1"},                 // negative
		{"set", "--dataset", ds, "--epsilon", "1", "--delta", "2"},  // bad δ
		{"set", "--dataset", ds, "--rho", "zero"},                   // not a number
		{"show", "--dataset", ds, "--format", "yaml"},               // bad format
	} {
		if _, stderr, code := xb(t, dir, append([]string{"pet", "budget"}, bad...)...); code != exitBadInput || stderr == "" {
			t.Errorf("%v: exit %d %s", bad, code, stderr)
		}
	}
	if v := show(); v.Total.String() != "0.017468904769" {
		t.Fatalf("bad input changed the budget: %+v", v)
	}
	// ρ 0.008 on the agreement: one release of ρ 0.005 fits, the second not.
	if out, stderr, code := xb(t, dir, "pet", "budget", "set", "--dataset", ds, "--agreement", ag, "--rho", "0.008"); code != 0 || !strings.Contains(out, "0.008000000000") {
		t.Fatalf("set: exit %d %s %s", code, out, stderr)
	}
	args := append([]string{"pet", "aggregate", "--local"}, files...)
	args = append(args, "--stat", "count", "--rho", "0.005", "--dataset", ds, "--agreement", ag)
	if _, stderr, code := xb(t, dir, args...); code != 0 {
		t.Fatalf("first release: exit %d %s", code, stderr)
	}
	if _, stderr, code := xb(t, dir, args...); code != exitFailure || !strings.Contains(stderr, "budget_exhausted") {
		t.Fatalf("second release: exit %d %s", code, stderr)
	}
	if v := show(); v.Total.String() != "0.008000000000" || v.Spent.String() != "0.005000000000" || v.Spends != 1 || v.Left.String() != "0.003000000000" {
		t.Fatalf("after one release: %+v", v)
	}
	// ε at δ: ε 1 at 1e-6 is the default ρ.
	if out, _, code := xb(t, dir, "pet", "budget", "set", "--dataset", ds, "--epsilon", "1"); code != 0 || !strings.Contains(out, "0.017468904769") {
		t.Fatalf("set ε: exit %d %s", code, out)
	}
	out, stderr, code := xb(t, dir, "audit", "query", "--object", ds, "--format", "json")
	if code != 0 || strings.Count(out, "dp_budget_set") != 2 {
		t.Fatalf("audit: exit %d, %d budget changes: %s %s", code, strings.Count(out, "dp_budget_set"), out, stderr)
	}
}
