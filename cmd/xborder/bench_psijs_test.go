package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// psijsTestDir returns tools/psijs when @openmined/psi.js is installed there,
// and skips otherwise (fails under XBORDER_INTEROP=1, which CI sets after
// installing it).
func psijsTestDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "tools", "psijs")
	if err := checkPSIJS(dir); err != nil {
		msg := "the psi.js comparison needs node and the pinned module: npm ci --ignore-scripts --prefix tools/psijs (" + err.Error() + ")"
		if os.Getenv("XBORDER_INTEROP") == "1" {
			t.Fatal("XBORDER_INTEROP=1 but " + msg)
		}
		t.Skip("skipped: " + msg)
	}
	return dir
}

// TestBenchPSIJSAgrees runs our PSI and psi.js's on the same small sets, for
// the cardinality and for the intersection, and checks the sizes agree (the
// command itself fails when they do not; this checks the report too).
func TestBenchPSIJSAgrees(t *testing.T) {
	dir := psijsTestDir(t)
	for _, c := range []struct{ size, mode string }{{"2^10", "cardinality"}, {"2^8", "intersection"}} {
		out, errs, code := xb(t, t.TempDir(), "bench", "psi", "--size", c.size, "--mode", c.mode, "--group", "x25519", "--format", "json", "--psijs", dir)
		if code != 0 {
			t.Fatalf("%s %s: exit %d: %s %s", c.size, c.mode, code, out, errs)
		}
		var rep struct {
			Size  int         `json:"size"`
			PSIJS psijsReport `json:"psijs"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%s %s: %v: %s", c.size, c.mode, err, out)
		}
		want := rep.Size - rep.Size/2 // half the keys are shared
		if rep.PSIJS.ClientSize != rep.Size || rep.PSIJS.Reveal != (c.mode == "intersection") {
			t.Errorf("%s %s: psi.js report %+v", c.size, c.mode, rep.PSIJS)
		}
		setups := map[string]bool{}
		for _, r := range rep.PSIJS.Results {
			setups[r.Setup] = true
			if r.Error != "" {
				t.Errorf("%s %s: psi.js %s setup failed: %s", c.size, c.mode, r.Setup, r.Error)
			}
			if r.Size != want {
				t.Errorf("%s %s: psi.js %s setup found %d, ours and the sets say %d", c.size, c.mode, r.Setup, r.Size, want)
			}
			if r.Bytes <= 0 || r.TotalMS <= 0 || r.RatioTime <= 0 || r.RatioCPU <= 0 {
				t.Errorf("%s %s: psi.js %s figures missing: %+v", c.size, c.mode, r.Setup, r)
			}
		}
		if !setups["raw"] || !setups["gcs"] {
			t.Errorf("%s %s: setups %v, want raw and gcs", c.size, c.mode, setups)
		}
	}
	out, errs, code := xb(t, t.TempDir(), "bench", "psi", "--size", "2^6", "--psijs", dir)
	if code != 0 || !strings.Contains(out, "@openmined/psi.js 2.0.6") || !strings.Contains(out, "ours / theirs") {
		t.Fatalf("text: exit %d: %s %s", code, out, errs)
	}
}

// TestBenchPSIJSMissing: without the module the command runs nothing and
// says what to install, with the bad-input code.
func TestBenchPSIJSMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "psi.mjs"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := xb(t, t.TempDir(), "bench", "psi", "--size", "2^6", "--psijs", dir)
	if code != 2 || out != "" || !strings.Contains(errs, "npm ci --ignore-scripts --prefix "+dir) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if _, errs, code := xb(t, t.TempDir(), "bench", "psi", "--size", "2^6", "--mode", "sum", "--psijs", dir); code != 2 || !strings.Contains(errs, "not sums") {
		t.Fatalf("sum: exit %d, %s", code, errs)
	}
}

func TestPSIJSAllowedExtra(t *testing.T) {
	for _, c := range []struct {
		fpr  float64
		want int
	}{{0, 0}, {1e-9, 0}, {1e-3, 1}, {1, 9}} {
		if got := psijsAllowedExtra(c.fpr); got != c.want {
			t.Errorf("psijsAllowedExtra(%g) = %d, want %d", c.fpr, got, c.want)
		}
	}
}

// fakePSIJS makes a --psijs directory whose psi.mjs prints canned results
// (raw size = half the client's keys + rawOff; gcs failed), to test how the
// command reads them without psi.js itself.
func fakePSIJS(t *testing.T, rawOff int) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("skipped: node is not on the PATH")
	}
	dir := t.TempDir()
	mod := filepath.Join(dir, "node_modules", "@openmined", "psi.js")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, mod, "package.json", `{"version": "`+psijsVersion+`"}`)
	writeFile(t, dir, "psi.mjs", `import { readFileSync } from 'node:fs'
const n = readFileSync(process.argv.at(-2), 'utf8').split('\n').length - 1
const m = readFileSync(process.argv.at(-1), 'utf8').split('\n').length - 1
console.log(JSON.stringify({client_size: n, server_size: m, reveal: false, node: 'v0', psijs: '`+psijsVersion+`', results: [
  {setup: 'raw', size: n / 2 + `+strconv.Itoa(rawOff)+`, setup_ms: 1, request_ms: 1, response_ms: 1, intersect_ms: 1, total_ms: 4, cpu_ms: 4, bytes: 100, fpr: 0},
  {setup: 'gcs', fpr: 1e-9, error: 'psi.js gcs setup: Assertion failed'}]}))
`)
	return dir
}

// TestBenchPSIJSReadsResults: a failed GCS setup is reported, not fatal; a
// raw size that differs from ours fails the command.
func TestBenchPSIJSReadsResults(t *testing.T) {
	out, errs, code := xb(t, t.TempDir(), "bench", "psi", "--size", "2^6", "--psijs", fakePSIJS(t, 0))
	if code != 0 || !strings.Contains(out, "gcs  setup (fpr 1e-09): failed: psi.js gcs setup: Assertion failed") || !strings.Contains(out, "raw  setup (exact): size 32") {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	out, errs, code = xb(t, t.TempDir(), "bench", "psi", "--size", "2^6", "--psijs", fakePSIJS(t, 1))
	if code != 1 || !strings.Contains(errs, "found an intersection of 33, we found 32: the implementations disagree") {
		t.Fatalf("disagreeing sizes: exit %d: %s %s", code, out, errs)
	}
}
