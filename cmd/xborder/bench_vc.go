package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/vc"
)

func newBenchVCCmd(e *env) *cobra.Command {
	var dur time.Duration
	var jsDir string
	cmd := &cobra.Command{
		Use:   "vc [--duration 2s] [--js interop/vcjs]",
		Short: "Issue and verify per second for every proof format, beside the JavaScript VC stack",
		Long: `bench vc signs and verifies one credential in a loop on one goroutine (so the
figures are per core) for every proof format: Data Integrity eddsa-rdfc-2022 and
ecdsa-rdfc-2019, and vc+jwt with EdDSA and ES256. When Node.js and the pinned
JavaScript stack (interop/vcjs, installed by its setup.sh) are present, it also
runs @digitalbazaar/vc verifying the same eddsa-rdfc-2022 credential in the same
run, and prints the ratio.

Targets (issue 3): vc+jwt Ed25519 verify >= 20k/s per core; eddsa-rdfc-2022 verify
>= 2k/s per core and >= 10x the JS stack.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return benchVC(cmd.Context(), e, dur, jsDir)
		},
	}
	cmd.Flags().DurationVar(&dur, "duration", 2*time.Second, "how long to run each loop")
	cmd.Flags().StringVar(&jsDir, "js", "interop/vcjs", "directory of the JavaScript comparison (skipped when absent)")
	return cmd
}

// rate runs f repeatedly for about d and returns operations per second.
func rate(d time.Duration, f func() error) (float64, error) {
	r, _, err := measureRate(d, f)
	return r, err
}

// measureRate runs f repeatedly for about d and returns operations per second
// of wall time and per CPU-second of this process (0 when the platform
// does not tell). f runs on one goroutine, so the CPU figure is per core,
// the garbage collector's work on other threads included.
func measureRate(d time.Duration, f func() error) (perSecond, perCPUSecond float64, err error) {
	if err := f(); err != nil { // warm up, and fail early
		return 0, 0, err
	}
	n := 0
	start, cpu0 := time.Now(), processCPUTime()
	for time.Since(start) < d {
		for i := 0; i < 16; i++ {
			if err := f(); err != nil {
				return 0, 0, err
			}
		}
		n += 16
	}
	perSecond = float64(n) / time.Since(start).Seconds()
	if cpu := processCPUTime() - cpu0; cpu > 0 {
		perCPUSecond = float64(n) / cpu.Seconds()
	}
	return perSecond, perCPUSecond, nil
}

func benchVC(ctx context.Context, e *env, d time.Duration, jsDir string) error {
	p, err := vc.New()
	if err != nil {
		return failure(err)
	}
	res := identity.NewResolver(identity.ResolverOptions{})
	cred := func(issuer string) map[string]any {
		return map[string]any{
			"@context":  []any{vc.ContextV2, "https://www.w3.org/ns/credentials/examples/v2"},
			"type":      []any{"VerifiableCredential", "ExampleDataSharingCredential"},
			"issuer":    issuer,
			"validFrom": "2026-01-01T00:00:00Z",
			"credentialSubject": map[string]any{
				"id":           "did:example:participant",
				"name":         "Example Data Exchange Participant",
				"jurisdiction": "CN",
			},
		}
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	opts := vc.VerifyOptions{Now: now, RequireIssuerKey: true}
	fmt.Fprintf(e.stdout, "%-28s %12s %12s %14s\n", "format", "issue/s", "verify/s", "verify/cpu-s")
	var eddsaVerify, eddsaVerifyCPU float64
	var eddsaCred []byte
	for _, f := range []struct {
		name  string
		alg   suite.Alg
		suite string // "" for vc+jwt
	}{
		{"eddsa-rdfc-2022", suite.Ed25519, vc.EdDSARDFC2022},
		{"ecdsa-rdfc-2019 (P-256)", suite.P256, vc.ECDSARDFC2019},
		{"vc+jwt EdDSA", suite.Ed25519, ""},
		{"vc+jwt ES256", suite.P256, ""},
	} {
		s, err := suite.Generate(f.alg, nil)
		if err != nil {
			return failure(err)
		}
		k, err := identity.NewKeyDID(f.alg, s.Public())
		if err != nil {
			return failure(err)
		}
		c := cred(k.DID)
		var signed []byte
		sign := func() error {
			if f.suite == "" {
				tok, err := p.SignJWT(ctx, c, vc.JWTOptions{Signer: s, KeyID: k.VerificationMethodID()})
				signed = []byte(tok)
				return err
			}
			signed, err = p.Sign(ctx, c, vc.ProofOptions{Cryptosuite: f.suite, VerificationMethod: k.VerificationMethodID(), Signer: s})
			return err
		}
		verify := func() error {
			if f.suite == "" {
				_, err := p.VerifyJWT(ctx, signed, res, opts)
				return err
			}
			_, err := p.Verify(ctx, signed, res, opts)
			return err
		}
		is, err := rate(d, sign)
		if err != nil {
			return failure(fmt.Errorf("%s: issuing: %w", f.name, err))
		}
		vs, vcpu, err := measureRate(d, verify)
		if err != nil {
			return failure(fmt.Errorf("%s: verifying: %w", f.name, err))
		}
		fmt.Fprintf(e.stdout, "%-28s %12.0f %12.0f %14.0f\n", f.name, is, vs, vcpu)
		if f.suite == vc.EdDSARDFC2022 {
			eddsaVerify, eddsaVerifyCPU, eddsaCred = vs, vcpu, signed
		}
	}

	js, jsCPU, err := jsVerifyRate(ctx, jsDir, eddsaCred, d)
	switch {
	case err != nil:
		fmt.Fprintf(e.stdout, "JavaScript comparison skipped: %v\n", err)
	default:
		fmt.Fprintf(e.stdout, "%-28s %12s %12.0f %14.0f\n", "JS @digitalbazaar/vc eddsa", "", js, jsCPU)
		fmt.Fprintf(e.stdout, "ratio eddsa-rdfc-2022 verify: %.1fx the JavaScript stack per second", eddsaVerify/js)
		if eddsaVerifyCPU > 0 && jsCPU > 0 {
			fmt.Fprintf(e.stdout, ", %.1fx per CPU-second", eddsaVerifyCPU/jsCPU)
		}
		fmt.Fprintln(e.stdout, " (target >= 10x)")
	}
	fmt.Fprintln(e.stdout, "targets: vc+jwt EdDSA verify >= 20000/s per core; eddsa-rdfc-2022 verify >= 2000/s per core")
	fmt.Fprintln(e.stdout, "verify/cpu-s counts the process's CPU time (GC included): on a busy machine it is the per-core figure to read")
	return nil
}

// jsVerifyRate runs the JavaScript stack's benchmark on the credential and
// returns its verifications per second and per CPU-second of the Node.js
// process.
func jsVerifyRate(ctx context.Context, dir string, cred []byte, d time.Duration) (float64, float64, error) {
	if _, err := exec.LookPath("node"); err != nil {
		return 0, 0, fmt.Errorf("node not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		return 0, 0, fmt.Errorf("%s/node_modules missing (run %s/setup.sh)", dir, dir)
	}
	f, err := os.CreateTemp("", "xborder-bench-*.json")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(cred); err != nil {
		return 0, 0, err
	}
	f.Close()
	// Run about as many verifications as fit in d at a few hundred per
	// second, after the JS stack's own warm-up.
	n := strconv.Itoa(int(d.Seconds()*300) + 100)
	c := exec.CommandContext(ctx, "node", filepath.Join(dir, "bench.mjs"), "-n", n, "--json", f.Name())
	var out, stderr bytes.Buffer
	c.Stdout, c.Stderr = &out, &stderr
	if err := c.Run(); err != nil {
		return 0, 0, fmt.Errorf("node bench.mjs: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var r struct {
		PerSecond    float64 `json:"perSecond"`
		PerCPUSecond float64 `json:"perCpuSecond"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.PerSecond <= 0 {
		return 0, 0, fmt.Errorf("node bench.mjs printed %q", out.String())
	}
	return r.PerSecond, r.PerCPUSecond, nil
}
