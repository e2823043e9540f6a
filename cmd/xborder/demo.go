package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/demo"
)

type demoFlags struct {
	dir, lang    string
	exit, asJSON bool
}

func newDemoCmd(e *env) *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR] [--exit] [--lang en|zh] [--json]",
		Short: "Tell the cross-border story end to end: three connectors on loopback, from assessment to audit",
		Long: `demo starts three connectors in this process, on loopback: a Shenzhen hospital (CN, gm
suite: SM2, SM3, SM4), an Amsterdam research centre (NL) and a Hong Kong bank (HK), each with
its DID and a credential from a demo trust registry. Then it tells the story, one numbered
step at a time:

   1 identities   keys, DIDs, credentials; the counterparties' countries from them
   2 connectors   the nodes; the NL centre's witness for the CN audit ledger
   3 data         a generated clinical table (names, mobiles, resident IDs, diagnoses)
   4 assess       the offline assessment of the export to NL (route, blocking or not)
   5 publish      catalog entry, content, the masking policy the compliance office reviewed
   6 negotiate    the NL centre asks for the data for cancer research (DSP 2025-1)
   7 gate         the CN compliance gate; the compliance office files and accepts
   8 transfer     encrypted pull, signed digest verified, no direct identifier received
   9 compute      joint computation (PSI cardinality) between NL and CN: how many of the
                  centre's trial patients the hospital has, neither list leaving its node
  10 audit        the CN checkpoint cosigned in NL; the transfer's and the computation's
                  evidence packs, verified offline
  11 refusal      the HK bank asks for the same data for marketing: refused, with its reason

Everything is kept under --dir (default: a new temporary directory): the connectors' data
directories and logs, the generated data, the assessment report, the masking policies, the
trust registry and credentials, the received file and the evidence. Without --exit the
connectors keep running after the story, with their URLs and an admin token each, until
Ctrl-C. See docs/demo.md.

EXIT CODES
  0  every step succeeded
  1  a step failed (named on stderr), or the connectors could not start`,
		Example: `  xborder demo                       # the story, then the connectors stay up (Ctrl-C stops them)
  xborder demo --exit --dir /tmp/xb  # the story only; exit 0 when every step succeeded
  xborder demo --lang zh --exit      # 中文叙述
  xborder demo --json --exit         # the steps and their facts as JSON`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), e, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", "", "keep everything under `DIR` (default: a new temporary directory)")
	fl.BoolVar(&f.exit, "exit", false, "exit after the story (0 only if every step succeeded)")
	fl.StringVar(&f.lang, "lang", "", "narrative language: en or zh (default from $LANG, else en)")
	fl.BoolVar(&f.asJSON, "json", false, "print the steps and their facts as JSON instead of the narrative")
	return cmd
}

func runDemo(ctx context.Context, e *env, f demoFlags) error {
	lang := f.lang
	switch {
	case lang == "zh-CN":
		lang = "zh"
	case lang == "" && strings.HasPrefix(e.getenv("LANG"), "zh"):
		lang = "zh"
	case lang == "":
		lang = "en"
	}
	if lang != "en" && lang != "zh" {
		return badInput(fmt.Errorf("--lang %q: accepted: en, zh", f.lang), "")
	}
	dir := f.dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "xborder-demo-"); err != nil {
			return failure(err)
		}
	} else if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return badInput(fmt.Errorf("--dir %s is not empty", dir), "give a new or empty directory: the demo starts from nothing")
	}
	quietTessera()
	say := func(format string, a ...any) {
		if !f.asJSON {
			fmt.Fprintf(e.stdout, format, a...)
		}
	}
	tr := func(en, zh string) string {
		if lang == "zh" {
			return zh
		}
		return en
	}
	say("%s %s\n\n", tr("xborder demo — everything is kept under", "xborder 演示 — 全部数据保存在"), dir)
	var bar *progressBar
	opts := demo.Options{Dir: dir, Lang: lang, Now: e.now, Before: e.demoBefore,
		Step: func(s demo.Step) {
			if bar != nil {
				bar.finish()
				bar = nil
			}
			status := ""
			if s.Err != nil {
				status = tr(" — FAILED: ", " — 失败：") + s.Err.Error()
			}
			say("%d. %s (%s)%s\n", s.N, s.Title, s.Took.Round(time.Millisecond), status)
			for _, l := range s.Lines {
				say("   %s\n", l)
			}
		},
	}
	if e.stderrIsTerminal && !f.asJSON {
		opts.Progress = func(n int64) {
			if bar == nil {
				bar = newProgressBar(e.stderr, e.now)
			}
			bar.update(n, 0)
		}
		opts.TaskProgress = func(phase string, done, total int64) {
			if bar == nil {
				bar = newProgressBar(e.stderr, e.now)
				// This node's part only: after masking its keys it waits
				// for the hospital's, so a rate would mislead.
				bar.count, bar.noRate = func(n int64) string { return fmt.Sprintf("%d keys", n) }, true
			}
			bar.relabel("NL " + phase + " ")
			bar.update(done, total)
		}
	}
	d, err := demo.New(opts)
	if err != nil {
		return badInput(err, "")
	}
	start := time.Now()
	steps, runErr := d.Run(ctx)
	took := time.Since(start)
	if f.asJSON {
		if err := writeDemoJSON(e, dir, steps, runErr, d); err != nil {
			runErr = errors.Join(runErr, err)
		}
	}
	if runErr != nil || f.exit {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if cerr := d.Close(cctx); cerr != nil && runErr == nil {
			return failure(fmt.Errorf("shutting the connectors down: %w", cerr))
		}
	}
	if runErr != nil {
		return &exitError{code: exitFailure, err: fmt.Errorf("demo: %w", runErr),
			hint: fmt.Sprintf("the data and each connector's node.log are under %s", dir)}
	}
	say("\n%s\n", tr(fmt.Sprintf("All %d steps succeeded in %s.", len(steps), took.Round(10*time.Millisecond)),
		fmt.Sprintf("全部 %d 步成功，用时 %s。", len(steps), took.Round(10*time.Millisecond))))
	if f.exit {
		return nil
	}
	say("\n%s\n", tr("The connectors keep running (Ctrl-C stops them):", "连接器继续运行（Ctrl-C 停止）："))
	for _, n := range d.Nodes() {
		say("  %s %s\n    public %s\n    management %s\n    admin token %s\n", n.Country, n.Name, n.Public, n.Management, n.AdminToken)
	}
	say("  %s %s\n", tr("NL centre's witness", "NL 中心见证方"), d.WitnessURL())
	if ns := d.Nodes(); len(ns) > 0 {
		say("\n%s\n  curl -H \"Authorization: Bearer %s\" %s/api/v1/transfers\n", tr("For example, the CN hospital's transfers:", "例如，CN 医院的传输记录："), ns[0].AdminToken, ns[0].Management)
	}
	<-ctx.Done()
	fmt.Fprintln(e.stderr, "xborder: shutting the connectors down")
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := d.Close(cctx); err != nil {
		return failure(fmt.Errorf("shutting the connectors down: %w", err))
	}
	return nil
}

// writeDemoJSON prints the story as one JSON document.
func writeDemoJSON(e *env, dir string, steps []demo.Step, runErr error, d *demo.Demo) error {
	type stepJSON struct {
		N     int            `json:"n"`
		Name  string         `json:"name"`
		Title string         `json:"title"`
		OK    bool           `json:"ok"`
		Error string         `json:"error,omitempty"`
		MS    int64          `json:"ms"`
		Lines []string       `json:"lines"`
		Facts map[string]any `json:"facts"`
	}
	out := struct {
		Dir     string          `json:"dir"`
		OK      bool            `json:"ok"`
		Steps   []stepJSON      `json:"steps"`
		Nodes   []demo.NodeInfo `json:"nodes"`
		Witness string          `json:"witness,omitempty"`
	}{Dir: dir, OK: runErr == nil, Nodes: d.Nodes(), Witness: d.WitnessURL()}
	for _, s := range steps {
		j := stepJSON{N: s.N, Name: s.Name, Title: s.Title, OK: s.Err == nil, MS: s.Took.Milliseconds(), Lines: s.Lines, Facts: s.Facts}
		if s.Err != nil {
			j.Error = s.Err.Error()
		}
		out.Steps = append(out.Steps, j)
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
