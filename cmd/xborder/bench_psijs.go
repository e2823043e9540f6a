package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// The comparison of `xborder bench psi` with OpenMined's @openmined/psi.js
// (npm, WASM; ECDH over P-256 with PJC's commutative cipher), run by
// tools/psijs/psi.mjs on the same two generated sets, after our run.

// psijsVersion is the version pinned in tools/psijs/package-lock.json.
const psijsVersion = "2.0.6"

// psijsFPR is the false-positive rate asked of psi.js's compressed setup
// (Golomb-compressed set). psi.js reads it as the rate for the whole client
// set: it divides it by the client's size to size the filter.
const psijsFPR = 1e-9

// psijsResult is one entry of psi.mjs's "results".
type psijsResult struct {
	Setup         string  `json:"setup"`
	Size          int     `json:"size"`
	SetupMS       float64 `json:"setup_ms"`
	RequestMS     float64 `json:"request_ms"`
	ResponseMS    float64 `json:"response_ms"`
	IntersectMS   float64 `json:"intersect_ms"`
	TotalMS       float64 `json:"total_ms"`
	CPUMS         float64 `json:"cpu_ms"`
	Bytes         int64   `json:"bytes"`
	SetupBytes    int64   `json:"setup_bytes"`
	RequestBytes  int64   `json:"request_bytes"`
	ResponseBytes int64   `json:"response_bytes"`
	FPR           float64 `json:"fpr"`
	// Error is set, and the figures are not, when psi.js failed on this
	// setup (its GCS setup does once client size x server size / fpr
	// passes 2^63: at 2^18 x 2^18 with fpr 1e-9).
	Error string `json:"error,omitempty"`
	// Filled in here: our wall time over theirs, and our CPU time over
	// theirs. On a shared machine the wall times also count waiting for a
	// core; the CPU times count work only (ours is spread over both cores,
	// theirs is one thread).
	RatioTime float64 `json:"ratio_time_ours_over_theirs"`
	RatioCPU  float64 `json:"ratio_cpu_ours_over_theirs"`
}

// psijsReport is psi.mjs's output.
type psijsReport struct {
	ClientSize int           `json:"client_size"`
	ServerSize int           `json:"server_size"`
	Reveal     bool          `json:"reveal"`
	Node       string        `json:"node"`
	PSIJS      string        `json:"psijs"`
	Results    []psijsResult `json:"results"`
}

// addPSIJSFlag adds --psijs DIR to bench psi and checks, before anything
// runs, that the comparison can run: node on the PATH, DIR/psi.mjs and the
// pinned module installed in DIR. When it cannot, the command exits with
// the bad-input code and says what to run.
func addPSIJSFlag(cmd *cobra.Command) {
	cmd.Flags().String("psijs", "", "also run @openmined/psi.js on the same sets, from this directory (tools/psijs, after: npm ci --ignore-scripts --prefix tools/psijs)")
	prev := cmd.PreRunE
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		if prev != nil {
			if err := prev(cmd, args); err != nil {
				return err
			}
		}
		dir, _ := cmd.Flags().GetString("psijs")
		if dir == "" {
			return nil
		}
		if mode, _ := cmd.Flags().GetString("mode"); mode == "sum" {
			return badInput(fmt.Errorf("--psijs with --mode sum: psi.js computes intersections and their sizes, not sums"), "use --mode cardinality or --mode intersection with --psijs")
		}
		return checkPSIJS(dir)
	}
}

// checkPSIJS reports, as a bad-input error with the command to run, what is
// missing for the comparison in dir.
func checkPSIJS(dir string) error {
	install := "npm ci --ignore-scripts --prefix " + dir
	if _, err := exec.LookPath("node"); err != nil {
		return badInput(fmt.Errorf("checking for the psi.js comparison: node (Node.js >= 20) is not on the PATH"), "install Node.js and npm, then run: "+install)
	}
	if _, err := os.Stat(filepath.Join(dir, "psi.mjs")); err != nil {
		return badInput(fmt.Errorf("checking for the psi.js comparison: %w", err), "--psijs wants the directory of psi.mjs and package.json: tools/psijs in the repository")
	}
	pkg := filepath.Join(dir, "node_modules", "@openmined", "psi.js", "package.json")
	b, err := os.ReadFile(pkg)
	if err != nil {
		return badInput(fmt.Errorf("checking for the psi.js comparison: @openmined/psi.js is not installed in %s: %w", dir, err), "run: "+install)
	}
	var v struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &v); err != nil || v.Version != psijsVersion {
		return badInput(fmt.Errorf("checking for the psi.js comparison: %s has version %q, want %s", pkg, v.Version, psijsVersion), "run: "+install)
	}
	return nil
}

// benchPSIJS runs psi.mjs on a (client) and b (server) when --psijs is set,
// checks its answers against ours (size) and adds its figures and the
// ratios to rep under "psijs". The raw setup must give exactly our size; the
// compressed one may only add false positives, and no more than its
// false-positive rate makes plausible. A compressed setup that psi.js itself
// fails on is reported, not fatal; a failed raw setup is.
func benchPSIJS(cmd *cobra.Command, mode string, a, b []string, size int, seconds float64, rep map[string]any) error {
	dir, _ := cmd.Flags().GetString("psijs")
	if dir == "" {
		return nil
	}
	tmp, err := os.MkdirTemp("", "xborder-psijs-")
	if err != nil {
		return failure(fmt.Errorf("psi.js comparison: making the key files: %w", err))
	}
	defer os.RemoveAll(tmp)
	fa, fb := filepath.Join(tmp, "a.keys"), filepath.Join(tmp, "b.keys")
	if err := writeKeys(fa, a); err != nil {
		return failure(fmt.Errorf("psi.js comparison: %w", err))
	}
	if err := writeKeys(fb, b); err != nil {
		return failure(fmt.Errorf("psi.js comparison: %w", err))
	}
	args := []string{filepath.Join(dir, "psi.mjs"), "--setup", "raw,gcs", "--fpr", fmt.Sprint(psijsFPR)}
	if mode == "intersection" {
		args = append(args, "--reveal")
	}
	r, err := runPSIJS(cmd, append(args, fa, fb))
	if err != nil {
		return failure(err)
	}
	if r.ClientSize != len(a) || r.ServerSize != len(b) {
		return failure(fmt.Errorf("psi.js comparison: psi.mjs read %d and %d keys, we wrote %d and %d", r.ClientSize, r.ServerSize, len(a), len(b)))
	}
	if len(r.Results) == 0 {
		return failure(fmt.Errorf("psi.js comparison: psi.mjs gave no results"))
	}
	for i := range r.Results {
		x := &r.Results[i]
		if x.Error != "" {
			if x.Setup == "raw" {
				return failure(fmt.Errorf("psi.js comparison: %s", x.Error))
			}
			continue
		}
		if extra := x.Size - size; extra < 0 || extra > psijsAllowedExtra(x.FPR) {
			return failure(fmt.Errorf("psi.js comparison: psi.js (%s setup, fpr %g) found an intersection of %d, we found %d: the implementations disagree", x.Setup, x.FPR, x.Size, size))
		}
		if x.TotalMS > 0 {
			x.RatioTime = seconds / (x.TotalMS / 1000)
		}
		if cpu, ok := rep["cpu_seconds"].(float64); ok && x.CPUMS > 0 {
			x.RatioCPU = cpu / (x.CPUMS / 1000)
		}
	}
	rep["psijs"] = r
	return nil
}

// psijsAllowedExtra is the largest number of false positives we accept from
// a psi.js setup whose false-positive rate for the whole client set is fpr:
// the smallest k with P(Poisson(fpr) > k) < 1e-6 (an overestimate of the
// count's tail, which is a sum of independent Bernoulli trials of mean fpr).
// 0 for the raw setup and for fpr 1e-9.
func psijsAllowedExtra(fpr float64) int {
	if fpr <= 0 {
		return 0
	}
	term, cdf := math.Exp(-fpr), math.Exp(-fpr)
	k := 0
	for 1-cdf >= 1e-6 && k < 1<<20 {
		k++
		term *= fpr / float64(k)
		cdf += term
	}
	return k
}

// writeKeys writes one key per line.
func writeKeys(path string, keys []string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing the keys: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, k := range keys {
		if strings.ContainsAny(k, "\r\n") {
			f.Close()
			return fmt.Errorf("writing the keys to %s: key %q has a line break", path, k)
		}
		w.WriteString(k)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("writing the keys to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the keys to %s: %w", path, err)
	}
	return nil
}

// runPSIJS runs node on args and reads psi.mjs's JSON.
func runPSIJS(cmd *cobra.Command, args []string) (*psijsReport, error) {
	var out, stderr bytes.Buffer
	c := exec.CommandContext(cmd.Context(), "node", args...)
	c.Stdout, c.Stderr = &out, &stderr
	if err := c.Run(); err != nil {
		return nil, fmt.Errorf("psi.js comparison: running node %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	var r psijsReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("psi.js comparison: reading psi.mjs's output %q: %w", out.String(), err)
	}
	return &r, nil
}

// printPSIJS prints the comparison that benchPSIJS added to rep, if any.
func printPSIJS(w io.Writer, rep map[string]any) {
	r, ok := rep["psijs"].(*psijsReport)
	if !ok {
		return
	}
	ours, _ := rep["seconds"].(float64)
	oursCPU, _ := rep["cpu_seconds"].(float64)
	fmt.Fprintf(w, "@openmined/psi.js %s (WASM, one thread, P-256; %s), same sets, client = our party A:\n", r.PSIJS, r.Node)
	for _, x := range r.Results {
		if x.Error != "" {
			fmt.Fprintf(w, "  %-4s setup (fpr %g): failed: %s\n", x.Setup, x.FPR, x.Error)
			continue
		}
		acc := "exact"
		if x.FPR > 0 {
			acc = fmt.Sprintf("fpr %g", x.FPR)
		}
		fmt.Fprintf(w, "  %-4s setup (%s): size %d, %.2f s wall (setup %.2f, request %.2f, response %.2f, client %.2f), %.2f s CPU, %.1f MB\n",
			x.Setup, acc, x.Size, x.TotalMS/1000, x.SetupMS/1000, x.RequestMS/1000, x.ResponseMS/1000, x.IntersectMS/1000, x.CPUMS/1000, float64(x.Bytes)/1e6)
		fmt.Fprintf(w, "  ours / theirs: wall %.2f s / %.2f s = %.3f; CPU %.2f s / %.2f s = %.3f\n",
			ours, x.TotalMS/1000, x.RatioTime, oursCPU, x.CPUMS/1000, x.RatioCPU)
	}
}
