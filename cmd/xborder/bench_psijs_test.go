package main

import (
	"encoding/json"
	"os"
	"path/filepath"
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
