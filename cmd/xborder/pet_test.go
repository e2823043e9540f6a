package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPetPSI(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.csv", "id,name\n 1 ,x\n2,y\n3,z\n3,z\n")
	b := writeFile(t, dir, "b.csv", "amount, id\n10,3\n20,4\n5, 1\n")
	type rep struct {
		IntersectionSize int     `json:"intersection_size"`
		ASize, BSize     int     `json:"-"`
		Sum              *uint64 `json:"sum"`
		ADup             int     `json:"a_duplicates"`
	}
	parse := func(out string) rep {
		var r rep
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return r
	}
	keys := filepath.Join(dir, "keys.txt")
	out, errs, code := xb(t, dir, "pet", "psi", "--local", a, b, "--key", "id", "--out", keys, "--output", "both")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if r := parse(out); r.IntersectionSize != 2 || r.ADup != 1 {
		t.Fatalf("got %s", out)
	}
	if k, _ := os.ReadFile(keys); string(k) != "1\n3\n" {
		t.Fatalf("keys file %q", k)
	}
	out, errs, code = xb(t, dir, "pet", "psi", "--local", a, b, "--key", "id", "--cardinality", "--output", "b")
	if code != 0 || parse(out).IntersectionSize != 2 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	out, errs, code = xb(t, dir, "pet", "psi", "--local", a, b, "--key", "id", "--sum", "amount")
	if r := parse(out); code != 0 || r.IntersectionSize != 2 || r.Sum == nil || *r.Sum != 15 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	for _, g := range []string{"ristretto255", "x25519"} {
		out, errs, code = xb(t, dir, "pet", "psi", "--local", a, b, "--key", "id", "--sum", "amount", "--output", "both", "--group", g)
		if r := parse(out); code != 0 || r.IntersectionSize != 2 || r.Sum == nil || *r.Sum != 15 || !strings.Contains(out, `"group": "`+g+`"`) {
			t.Fatalf("--group %s: exit %d: %s %s", g, code, out, errs)
		}
	}
	out, _, code = xb(t, dir, "pet", "psi", "--local", a, b, "--key", "id", "--format", "text")
	if code != 0 || !strings.Contains(out, "intersection 2") {
		t.Fatalf("exit %d: %s", code, out)
	}
	for name, args := range map[string][]string{
		"missing column": {"--local", a, b, "--key", "nope"},
		"missing file":   {"--local", a, filepath.Join(dir, "none.csv"), "--key", "id"},
		"bad value":      {"--local", b, a, "--key", "id", "--sum", "name"},
		"no --local":     {a, b, "--key", "id"},
		"out with card":  {"--local", a, b, "--key", "id", "--cardinality", "--out", keys},
		"sum duplicates": {"--local", b, a, "--key", "id", "--sum", "name"},
		"bad group":      {"--local", a, b, "--key", "id", "--group", "p256"},
	} {
		_, errs, code := xb(t, dir, append([]string{"pet", "psi"}, args...)...)
		if code != 2 || !strings.Contains(errs, "xborder: error:") {
			t.Errorf("%s: exit %d, stderr %q", name, code, errs)
		}
	}
	dupVals := writeFile(t, dir, "d.csv", "id,v\n1,1\n1,2\n")
	if _, errs, code := xb(t, dir, "pet", "psi", "--local", a, dupVals, "--key", "id", "--sum", "v"); code != 2 {
		t.Errorf("duplicate keys with values: exit %d, %s", code, errs)
	}
}

func TestBenchPSI(t *testing.T) {
	out, errs, code := xb(t, t.TempDir(), "bench", "psi", "--size", "2^6", "--format", "json", "--mode", "sum")
	if code != 0 || !strings.Contains(out, `"ratio_to_floor"`) {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	out, errs, code = xb(t, t.TempDir(), "bench", "psi", "--size", "2^6", "--format", "json", "--group", "x25519")
	if code != 0 || !strings.Contains(out, `"group": "x25519"`) {
		t.Fatalf("x25519: exit %d: %s %s", code, out, errs)
	}
	if _, _, code := xb(t, t.TempDir(), "bench", "psi", "--size", "2^6", "--group", "p256"); code != 2 {
		t.Fatalf("bad group: exit %d", code)
	}
	if _, _, code := xb(t, t.TempDir(), "bench", "psi", "--size", "2^x"); code != 2 {
		t.Fatalf("bad size: exit %d", code)
	}
}
