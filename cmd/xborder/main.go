// Command xborder is the trusted cross-border data circulation toolkit: the
// offline assessor (xborder assess) and, as the project grows, the connector,
// the audit verifier and the rest of the white paper's infrastructure.
//
// User-interface rules: results go to stdout; progress, warnings and errors
// go to stderr as "xborder: error: …" followed by "xborder: hint: …" lines;
// exit codes are documented per command (see docs/assess.md).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes shared by all commands.
const (
	exitOK       = 0
	exitFailure  = 1 // an internal or environment failure
	exitBadInput = 2 // bad input: flags, scenario, data files
	exitFailOn   = 3 // assess --fail-on matched an outcome
)

// env is what a command may touch of the outside world; tests replace it.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	// stderrIsTerminal enables the progress bar.
	stderrIsTerminal bool
	// demoBefore, when set, runs before each step of xborder demo; tests
	// make a step fail with it.
	demoBefore func(step string) error
}

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
	hint string
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{
		stdout:           os.Stdout,
		stderr:           os.Stderr,
		getenv:           os.Getenv,
		now:              time.Now,
		stderrIsTerminal: isTerminal(os.Stderr),
	}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(e.stderr, "xborder: error: %v\n", ee.err)
		}
		if ee.hint != "" {
			fmt.Fprintf(e.stderr, "xborder: hint: %s\n", ee.hint)
		}
		return ee.code
	}
	// Cobra's own errors: unknown flags, wrong argument counts.
	fmt.Fprintf(e.stderr, "xborder: error: %v\n", err)
	fmt.Fprintf(e.stderr, "xborder: hint: run 'xborder help' or add --help to the command\n")
	return exitBadInput
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "xborder",
		Short: "Trusted cross-border data circulation: assess, share, compute and audit",
		Long: `xborder is the software of the white paper 跨境数据流通合规与技术应用白皮书 (2025):
an offline assessor that tells a compliance officer whether a dataset may leave the
country and what to file, and (in later releases) the connector, catalog, contracts,
privacy computing and audit ledger of a data space.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		Version:           version(),
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.AddCommand(newAssessCmd(e), newLedgerCmd(e), newKeyCmd(e), newDIDCmd(e), newVCCmd(e), newVPCmd(e), newTrustCmd(e), newContractCmd(e), newPolicyCmd(e), newCatalogCmd(e), newGenCmd(e), newAuditCmd(e), newServeCmd(e), newDemoCmd(e), newBenchCmd(e), newPetCmd(e), newVersionCmd(e))
	return root
}

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(e.stdout, "xborder", version())
			return nil
		},
	}
}

// version reads the module version from the build information; it can be
// overridden at link time with -X main.linkVersion=v1.2.3.
func version() string {
	if linkVersion != "" {
		return linkVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// linkVersion is set by the linker for release builds.
var linkVersion string

func badInput(err error, hint string) error {
	return &exitError{code: exitBadInput, err: err, hint: hint}
}

func failure(err error) error {
	return &exitError{code: exitFailure, err: err}
}

// dataDir is where xborder keeps its state: --data-dir, $XBORDER_DATA_DIR,
// or ~/.xborder.
func dataDir(e *env, flag string) string {
	if flag != "" {
		return flag
	}
	if d := e.getenv("XBORDER_DATA_DIR"); d != "" {
		return d
	}
	if h := e.getenv("HOME"); h != "" {
		return h + "/.xborder"
	}
	return ".xborder"
}
