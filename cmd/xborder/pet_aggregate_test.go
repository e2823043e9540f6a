package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// petAggregate runs the command constructor through cobra (it is not
// registered under a root command on this branch) and maps the error to an
// exit code as run does.
func petAggregate(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, now: time.Now}
	cmd := newPetAggregateCmd(e)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	if err == nil {
		return out.String(), errb.String(), exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return out.String(), fmt.Sprintf("%v\n%s", ee.err, ee.hint), ee.code
	}
	return out.String(), err.Error(), exitBadInput
}

type aggOut struct {
	Stat     string `json:"stat"`
	Parties  int    `json:"parties"`
	MinGroup int64  `json:"min_group"`
	Groups   []struct {
		Key        string   `json:"key"`
		Suppressed bool     `json:"suppressed"`
		Count      *int64   `json:"count"`
		Sum        *float64 `json:"sum"`
		Mean       *float64 `json:"mean"`
		Variance   *float64 `json:"variance"`
		Bins       []struct {
			Count      *int64 `json:"count"`
			Suppressed bool   `json:"suppressed"`
		} `json:"bins"`
	} `json:"groups"`
	SuppressedGroups int `json:"suppressed_groups"`
}

func TestPetAggregate(t *testing.T) {
	dir := t.TempDir()
	// Three parties; amounts in cents, regions CN and HK (HK has 3 rows).
	r := rand.New(rand.NewPCG(7, 7))
	var files []string
	var total, n, cn int64
	for p := range 3 {
		var b strings.Builder
		b.WriteString("id,region,amount\n")
		for i := range 20 {
			cents := r.Int64N(200001) - 100000
			region := "CN"
			if p == 0 && i < 3 {
				region = "HK"
			} else {
				cn++
			}
			total += cents
			n++
			sign := ""
			if cents < 0 {
				sign = "-"
			}
			fmt.Fprintf(&b, "%d,%s,%s%d.%02d\n", i, region, sign, abs(cents)/100, abs(cents)%100)
		}
		files = append(files, writeFile(t, dir, fmt.Sprintf("p%d.csv", p), b.String()))
	}
	out, stderr, code := petAggregate(t, append([]string{"--local", "--column", "amount", "--stat", "sum", "--scale", "2"}, files...)...)
	if code != exitOK {
		t.Fatalf("sum: exit %d: %s", code, stderr)
	}
	if want := fmt.Sprintf(`"sum": %.2f`, float64(total)/100); !strings.Contains(out, want) {
		t.Errorf("sum: want %s in %s", want, out)
	}
	out, stderr, code = petAggregate(t, append([]string{"--local", "--stat", "count"}, files...)...)
	if code != exitOK {
		t.Fatalf("count: exit %d: %s", code, stderr)
	}
	var res aggOut
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Parties != 3 || *res.Groups[0].Count != n {
		t.Errorf("count: %s", out)
	}

	out, stderr, code = petAggregate(t, append([]string{"--local", "--column", "amount", "--stat", "mean", "--group-by", "region"}, files...)...)
	if code != exitOK {
		t.Fatalf("mean: exit %d: %s", code, stderr)
	}
	res = aggOut{}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 2 || res.Groups[0].Key != "CN" || *res.Groups[0].Count != cn || res.Groups[0].Mean == nil ||
		res.Groups[1].Key != "HK" || !res.Groups[1].Suppressed || res.Groups[1].Mean != nil || res.SuppressedGroups != 1 {
		t.Errorf("group-by: %s", out)
	}

	out, stderr, code = petAggregate(t, append([]string{"--local", "--column", "amount", "--stat", "histogram", "--bins", "-500,0,500", "--min-group", "1"}, files...)...)
	if code != exitOK {
		t.Fatalf("histogram: exit %d: %s", code, stderr)
	}
	res = aggOut{}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, b := range res.Groups[0].Bins {
		if b.Count != nil {
			sum += *b.Count
		}
	}
	if len(res.Groups[0].Bins) != 4 || sum != n {
		t.Errorf("histogram: %s", out)
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestPetAggregateExact(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.csv", "amount\n1.50\n-2.25\n"+strings.Repeat("10\n", 8))
	b := writeFile(t, dir, "b.csv", "amount\n0.05\n")
	out, stderr, code := petAggregate(t, "--local", a, b, "--column", "amount", "--stat", "sum", "--min-group", "2")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, `"sum": 79.30`) || !strings.Contains(out, `"count": 11`) {
		t.Errorf("sum: %s", out)
	}
	out, _, code = petAggregate(t, "--local", a, b, "--column", "amount", "--stat", "variance", "--min-group", "2")
	if code != exitOK || !strings.Contains(out, `"variance"`) {
		t.Errorf("variance: %d %s", code, out)
	}
}

func TestPetAggregateBadInput(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.csv", "amount,region\n1,CN\n")
	b := writeFile(t, dir, "b.csv", "amount,region\n2,XX\n")
	big := writeFile(t, dir, "big.csv", "amount\n99999999999999999\n")
	text := writeFile(t, dir, "text.csv", "amount\nabc\n")
	tests := map[string][]string{
		"not local":      {a, b, "--column", "amount", "--stat", "sum"},
		"one party":      {"--local", a, "--column", "amount", "--stat", "sum"},
		"unknown stat":   {"--local", a, b, "--column", "amount", "--stat", "median"},
		"no column":      {"--local", a, b, "--stat", "sum"},
		"missing column": {"--local", a, b, "--column", "price", "--stat", "sum"},
		"out of bounds":  {"--local", a, big, "--column", "amount", "--stat", "sum"},
		"not a number":   {"--local", a, text, "--column", "amount", "--stat", "sum"},
		"too precise":    {"--local", a, b, "--column", "amount", "--stat", "sum", "--scale", "0", "--bins", "1"},
		"no bins":        {"--local", a, b, "--column", "amount", "--stat", "histogram"},
		"bad bins":       {"--local", a, b, "--column", "amount", "--stat", "histogram", "--bins", "5,1"},
		"outside groups": {"--local", a, b, "--column", "amount", "--stat", "sum", "--group-by", "region", "--groups", "CN"},
		"format":         {"--local", a, b, "--column", "amount", "--stat", "sum", "--format", "csv"},
		"no file":        {"--local", a, filepath.Join(dir, "none.csv"), "--column", "amount", "--stat", "sum"},
	}
	for name, args := range tests {
		if out, stderr, code := petAggregate(t, args...); code != exitBadInput || out != "" {
			t.Errorf("%s: exit %d, want 2; %s%s", name, code, out, stderr)
		}
	}
}
