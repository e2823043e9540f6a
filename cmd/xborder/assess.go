package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/atomicfile"
	"github.com/xborder/xborder/internal/report"
	"github.com/xborder/xborder/internal/rulebook"
)

type assessFlags struct {
	scenario     string
	from, to     string
	purpose      string
	asOf         string
	set          []string
	format       string
	lang         string
	out          string
	dataDir      string
	record       bool
	identityKey  string
	failOn       []string
	listPurposes bool
	noProgress   bool
	workers      int
	encoding     string
}

func newAssessCmd(e *env) *cobra.Command {
	var f assessFlags
	cmd := &cobra.Command{
		Use:   "assess [FILE ...] [--scenario scenario.yaml] [--from CN --to DE --purpose hr_management]",
		Short: "Assess whether data may leave the country, by which route, and what to file",
		Long: `Assess profiles the data files to be exported (CSV/TSV in UTF-8 or GB18030/GBK,
JSON, JSONL, XLSX, Parquet, SQLite), classifies every field, counts the distinct
individuals and those with sensitive personal information, and applies the rules of
every jurisdiction involved (CN, EU, US, JP, HK, SG) to the export the scenario
describes. It prints the route in each jurisdiction, the obligations, the materials
to prepare and the cheapest lawful change that would lower the route.

It never opens a network connection and never stores the data: with --record, only
the counts and routes of the export go to the local ledger (DATA_DIR/ledger.db), so
that later assessments add them to the year-to-date totals.

EXIT CODES
  0  assessed (whatever the outcome, unless --fail-on matches)
  1  internal failure (a disk error, a bug)
  2  bad input: unknown scenario key or value, unreadable or malformed data file
  3  --fail-on matched the outcome

--fail-on takes a comma-separated list of: blocking (a route needs a filing or
approval not on record, or is prohibited), needs_review, filing (any route other
than exempt/not regulated), assessment (a security assessment or stronger),
prohibited, or an exact route code such as CN_SA.`,
		Example: `  # The example in the repository: a Shenzhen retailer sending customer records to its German parent
  xborder assess --scenario examples/shenzhen-retail/scenario.yaml examples/shenzhen-retail/patients.csv

  # Counts only, no files; Chinese HTML report
  xborder assess --from CN --to US --purpose analytics --set dataset.individuals=150000 \
      --format html --lang zh-CN --out reports/

  # In CI: fail when the export would need a filing that is not on record
  xborder assess --scenario s.yaml data.csv --format json --fail-on blocking`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAssess(cmd, e, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.scenario, "scenario", "", "scenario YAML `file` (docs/assess.md)")
	fl.StringVar(&f.from, "from", "", "exporter's country (ISO 3166-1 alpha-2); sets exporter.country")
	fl.StringVar(&f.to, "to", "", "recipient's country; sets recipient.country")
	fl.StringVar(&f.purpose, "purpose", "", "purpose of the transfer (see --list-purposes); sets purpose")
	fl.StringVar(&f.asOf, "as-of", "", "day of the export, YYYY-MM-DD (default today); sets as_of")
	fl.StringArrayVar(&f.set, "set", nil, "set a scenario `key=value`, e.g. exporter.ciio=true (repeatable)")
	fl.StringVar(&f.format, "format", "text", "output format: text, json, md or html")
	fl.StringVar(&f.lang, "lang", "", "report language: zh-CN or en (default from $LANG, else en)")
	fl.StringVar(&f.out, "out", "", "write the report into `DIR` (assessment.<format>) instead of stdout")
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory for the ledger (default $XBORDER_DATA_DIR or ~/.xborder)")
	fl.BoolVar(&f.record, "record", false, "record this export's counts and routes in the ledger")
	fl.StringVar(&f.identityKey, "identity-key", "", "column that identifies a person across files (default: the strongest identifier found)")
	fl.StringSliceVar(&f.failOn, "fail-on", nil, "exit 3 when the outcome matches (blocking, needs_review, filing, assessment, prohibited, or a route code)")
	fl.BoolVar(&f.listPurposes, "list-purposes", false, "list the accepted purposes and the rules they can trigger, then exit")
	fl.BoolVar(&f.noProgress, "no-progress", false, "never show the progress bar")
	fl.StringVar(&f.encoding, "encoding", "", "text encoding of CSV/TSV files: utf-8 or gb18030 (default: detected)")
	fl.IntVar(&f.workers, "workers", 0, "classification workers (default: the number of CPUs)")
	return cmd
}

func runAssess(cmd *cobra.Command, e *env, f assessFlags, files []string) error {
	ctx := cmd.Context()
	lang, err := pickLang(e, f.lang)
	if err != nil {
		return badInput(err, "use --lang zh-CN or --lang en")
	}
	if f.listPurposes {
		return listPurposes(e.stdout, lang)
	}
	switch strings.ToLower(f.encoding) {
	case "", "utf-8", "utf8", "gb18030", "gbk":
	default:
		return badInput(fmt.Errorf("--encoding %q: accepted: utf-8, gb18030", f.encoding), "leave --encoding out to detect the encoding")
	}
	format, err := report.ParseFormat(f.format)
	if err != nil {
		return badInput(err, "use --format text, json, md or html")
	}
	failOn, err := parseFailOn(f.failOn)
	if err != nil {
		return badInput(err, "see xborder assess --help, EXIT CODES")
	}
	if f.scenario == "" && f.from == "" && len(f.set) == 0 {
		return badInput(errors.New("no scenario"), "give --scenario FILE, or at least --from and --to (docs/assess.md)")
	}
	for _, p := range files {
		if _, err := os.Stat(p); err != nil {
			return badInput(fmt.Errorf("%s: %w", p, errors.Unwrap(err)), "check the path of the data file")
		}
	}

	src := assess.ScenarioSource{File: f.scenario}
	for _, o := range []struct{ key, val, flag string }{
		{"exporter.country", f.from, "--from"},
		{"recipient.country", f.to, "--to"},
		{"purpose", f.purpose, "--purpose"},
		{"as_of", f.asOf, "--as-of"},
	} {
		if o.val != "" {
			src.Overrides = append(src.Overrides, assess.Override{Key: o.key, Value: o.val, Flag: o.flag})
		}
	}
	for _, kv := range f.set {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return badInput(fmt.Errorf("--set %q: want KEY=VALUE", kv), "for example --set exporter.ciio=true")
		}
		src.Overrides = append(src.Overrides, assess.Override{Key: strings.TrimSpace(k), Value: strings.TrimSpace(v), Flag: "--set " + k})
	}
	scenario, err := assess.LoadScenario(src)
	if err != nil {
		return inputErr(err)
	}

	dir := dataDir(e, f.dataDir)
	ledger, err := assess.OpenLedger(ctx, dir, false)
	if err != nil {
		return failure(err)
	}
	if ledger != nil {
		defer ledger.Close()
	}

	req := assess.Request{
		Scenario:    scenario,
		Files:       files,
		IdentityKey: f.identityKey,
		Ledger:      ledger,
		Now:         e.now,
	}
	req.Classify.Workers = f.workers
	req.Classify.Tabular.Encoding = f.encoding
	var bar *progressBar
	if e.stderrIsTerminal && !f.noProgress && len(files) > 0 {
		bar = newProgressBar(e.stderr, e.now)
		req.Progress = bar.update
	}
	res, err := assess.Assess(ctx, req)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		return inputErr(err)
	}

	if err := writeReport(e, f.out, res, format, lang); err != nil {
		return err
	}

	if f.record {
		if ledger == nil {
			if ledger, err = assess.OpenLedger(ctx, dir, true); err != nil {
				return failure(err)
			}
			defer ledger.Close()
		}
		id, err := assess.RecordExport(ctx, ledger, res, e.now())
		if err != nil {
			return failure(err)
		}
		fmt.Fprintf(e.stderr, "xborder: recorded export %d in %s\n", id, filepath.Join(dir, assess.LedgerFile))
	}

	if why := matchFailOn(failOn, res); why != "" {
		return &exitError{code: exitFailOn, err: fmt.Errorf("--fail-on matched: %s", why)}
	}
	return nil
}

func writeReport(e *env, outDir string, res *assess.Result, format report.Format, lang report.Lang) error {
	opts := report.Options{Version: version(), Color: false}
	if outDir == "" {
		return renderOrFail(e.stdout, res, format, lang, opts)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return failure(fmt.Errorf("creating %s: %w", outDir, err))
	}
	path := filepath.Join(outDir, "assessment"+format.Ext())
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		return failure(err)
	}
	defer f.Abort()
	if err := renderOrFail(f, res, format, lang, opts); err != nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return failure(err)
	}
	fmt.Fprintf(e.stderr, "xborder: wrote %s\n", path)
	return nil
}

func renderOrFail(w io.Writer, res *assess.Result, format report.Format, lang report.Lang, opts report.Options) error {
	if err := opts.Render(w, res, format, lang); err != nil {
		return failure(fmt.Errorf("rendering the report: %w", err))
	}
	return nil
}

// inputErr maps assessment errors to exit codes: bad input is 2.
func inputErr(err error) error {
	var ie *assess.InputError
	if errors.As(err, &ie) {
		return badInput(err, ie.Hint)
	}
	return failure(err)
}

func pickLang(e *env, flag string) (report.Lang, error) {
	if flag != "" {
		return report.ParseLang(flag)
	}
	if l := e.getenv("LANG"); strings.HasPrefix(l, "zh") {
		return report.ParseLang("zh-CN")
	}
	return report.ParseLang("en")
}

func listPurposes(w io.Writer, lang report.Lang) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PURPOSE\tRULE\tDESCRIPTION")
	for _, p := range rulebook.Purposes() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, p.Article, p.Description.In(string(lang)))
	}
	return tw.Flush()
}

var failOnWords = []string{"blocking", "needs_review", "filing", "assessment", "prohibited"}

func parseFailOn(vals []string) ([]string, error) {
	var out []string
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		known := false
		for _, w := range failOnWords {
			if v == w {
				known = true
			}
		}
		if !known && !isRouteCode(v) {
			return nil, fmt.Errorf("--fail-on %q: not an outcome (accepted: %s, or a route code)", v, strings.Join(failOnWords, ", "))
		}
		out = append(out, v)
	}
	return out, nil
}

func isRouteCode(v string) bool {
	base, _, _ := strings.Cut(v, "(")
	for _, r := range rulebook.Routes() {
		rb, _, _ := strings.Cut(r.Code, "(")
		if rb == base {
			return true
		}
	}
	return false
}

// matchFailOn returns why the result matches one of the outcomes, or "".
func matchFailOn(conds []string, res *assess.Result) string {
	for _, c := range conds {
		for _, d := range res.Decisions {
			rank := assess.RouteRank(d)
			hit := false
			switch c {
			case "blocking":
				hit = d.Blocking
			case "needs_review":
				hit = d.NeedsReview
			case "filing":
				hit = rank >= 1
			case "assessment":
				hit = rank >= 2
			case "prohibited":
				hit = rank >= 3
			default:
				hit = d.Route == c || strings.HasPrefix(d.Route, c+"(")
			}
			if hit {
				return fmt.Sprintf("%s (%s: %s)", c, d.Jurisdiction, d.Route)
			}
		}
	}
	return ""
}
