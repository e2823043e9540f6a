package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/contract"
	"github.com/xborder/xborder/internal/contract/billing"
	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/jws"
	"github.com/xborder/xborder/internal/rulebook"
)

// contractDBFile is the database in the data directory that the contract
// store shares with other components.

func newContractCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "contract",
		Short: "Contract templates, offers, reviews, signed agreements, metering, invoices and settlement",
		Long: `contract turns contract templates (general, industry, compliance) into ODRL offers,
reviews an offer against the rulebook for a dataset, has the provider sign and the
consumer countersign the agreement, enforces it (usage limits, period, suspension on
breach), meters every use and produces monthly invoices and settlements that split
revenue among the providers of a product. See docs/contract.md.

State lives in DATA_DIR/xborder.db (SQLite; --data-dir, $XBORDER_DATA_DIR or
~/.xborder). Results go to stdout as JSON; errors and alerts to stderr.

EXIT CODES
  0  done (review passed, use recorded, signature valid)
  1  a check failed: review blocked, use refused, signature invalid, no passing review
  2  bad input: flags, files, unknown agreement`,
	}
	cmd.AddCommand(newContractTemplateCmd(e), newContractOfferCmd(e), newContractReviewCmd(e),
		newContractSignCmd(e), newContractCountersignCmd(e), newContractVerifyCmd(e),
		newContractShowCmd(e), newContractListCmd(e), newContractUseCmd(e), newContractApprovalCmd(e),
		newContractActionCmd(e, contract.ActionSuspend), newContractActionCmd(e, contract.ActionResume),
		newContractActionCmd(e, contract.ActionTerminate), newContractInvoiceCmd(e), newContractSettleCmd(e))
	return cmd
}

func newContractTemplateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "template", Short: "List and show contract templates"}
	var lang string
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the built-in templates: general, industry and compliance",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := pickLang(e, lang)
			if err != nil {
				return badInput(err, "use --lang zh-CN or --lang en")
			}
			c, err := contract.BuiltinTemplates()
			if err != nil {
				return failure(err)
			}
			if asJSON {
				return printJSON(e, c.List())
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tVERSION\tTITLE")
			for _, t := range c.List() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Kind, t.Version, t.Title.In(string(l)))
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&lang, "lang", "", "zh-CN or en (default from $LANG, else en)")
	list.Flags().BoolVar(&asJSON, "json", false, "print the templates as JSON")
	show := &cobra.Command{
		Use:   "show NAME|FILE.yaml",
		Short: "Print a template (parameters, clauses, terms) as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := loadTemplate(args[0])
			if err != nil {
				return err
			}
			return printJSON(e, t)
		},
	}
	cmd.AddCommand(list, show)
	return cmd
}

// loadTemplate returns a built-in template by name, or a template file
// (a customised template, which offers then name and reviews check).
func loadTemplate(ref string) (*contract.Template, error) {
	if strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml") {
		data, err := readLimited(ref, contract.MaxTemplateBytes)
		if err != nil {
			return nil, badInput(err, "give a template YAML file, or the name of a built-in template")
		}
		t, err := contract.ParseTemplate(data)
		if err != nil {
			return nil, badInput(fmt.Errorf("%s: %w", ref, err), "see xborder contract template show general for the format")
		}
		return t, nil
	}
	c, err := contract.BuiltinTemplates()
	if err != nil {
		return nil, failure(err)
	}
	t, err := c.Get(ref)
	if err != nil {
		return nil, badInput(err, "list them with: xborder contract template list")
	}
	return t, nil
}

func newContractOfferCmd(e *env) *cobra.Command {
	var template, paramsFile, form string
	cmd := &cobra.Command{
		Use:   "offer --template NAME --params P.json [--form odrl|dsp]",
		Short: "Instantiate a template into an ODRL offer",
		Long: `offer checks the parameters against the template and prints the offer: JSON-LD
compacted with the ODRL context (--form odrl, the default), or the form it takes
inside a Dataspace Protocol 2025-1 ContractOfferMessage (--form dsp). The offer's
uid is derived from the template and the parameters, so the same input always
gives the same offer.`,
		Example: `  xborder contract template show retail-analytics
  xborder contract offer --template retail-analytics --params params.json > offer.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if template == "" || paramsFile == "" {
				return badInput(errors.New("--template and --params are required"), "see xborder contract offer --help")
			}
			f, err := parseForm(form)
			if err != nil {
				return err
			}
			t, err := loadTemplate(template)
			if err != nil {
				return err
			}
			data, err := readLimited(paramsFile, contract.MaxParamsBytes)
			if err != nil {
				return badInput(err, "give a JSON file of parameter values")
			}
			p, err := contract.ParseParams(data)
			if err == nil {
				var offer *contract.Policy
				if offer, err = t.Instantiate(p); err == nil {
					out, err := offer.MarshalIndent(f)
					if err != nil {
						return failure(err)
					}
					_, err = e.stdout.Write(out)
					return err
				}
			}
			var pe *contract.ParamError
			if errors.As(err, &pe) {
				return badInput(fmt.Errorf("%s: %w", paramsFile, err), pe.Hint)
			}
			return badInput(err, "")
		},
	}
	cmd.Flags().StringVar(&template, "template", "", "template name (xborder contract template list) or a template YAML file")
	cmd.Flags().StringVar(&paramsFile, "params", "", "JSON file of parameter values")
	cmd.Flags().StringVar(&form, "form", "odrl", "odrl (JSON-LD with the ODRL context) or dsp (Dataspace Protocol 2025-1)")
	return cmd
}

func parseForm(s string) (contract.Form, error) {
	switch s {
	case "odrl":
		return contract.FormODRL, nil
	case "dsp":
		return contract.FormDSP, nil
	}
	return 0, badInput(fmt.Errorf("--form %q: accepted: odrl, dsp", s), "")
}

// readOffer reads an offer file.
func readOffer(path string) (*contract.Policy, error) {
	data, err := readLimited(path, contract.MaxPolicyBytes)
	if err != nil {
		return nil, badInput(err, "give the offer file that xborder contract offer wrote")
	}
	p, err := contract.ParsePolicy(data)
	if err != nil {
		return nil, badInput(fmt.Errorf("%s: %w", path, err), "xborder reads the ODRL subset its templates write; see docs/contract.md")
	}
	if p.Type != contract.TypeOffer {
		return nil, badInput(fmt.Errorf("%s is an %s, not an Offer", path, p.Type), "")
	}
	return p, nil
}

// loadReviewScenario reads the dataset's scenario: a YAML scenario as
// xborder assess takes it, or JSON: the output of xborder assess --format
// json (its "scenario", with the profiled counts) or a scenario object.
func loadReviewScenario(path string) (rulebook.Scenario, error) {
	if strings.HasSuffix(path, ".json") {
		data, err := readLimited(path, 4<<20)
		if err != nil {
			return rulebook.Scenario{}, badInput(err, "give the scenario or the JSON output of xborder assess")
		}
		var wrapper struct {
			Scenario *json.RawMessage `json:"scenario"`
		}
		raw := data
		if err := json.Unmarshal(data, &wrapper); err == nil && wrapper.Scenario != nil {
			raw = *wrapper.Scenario
		}
		var s rulebook.Scenario
		dec := json.NewDecoder(bytes.NewReader(raw))
		if err := dec.Decode(&s); err != nil {
			return s, badInput(fmt.Errorf("%s: not a scenario: %w", path, err), "give xborder assess --format json output, or a scenario")
		}
		if err := s.Validate(); err != nil {
			return s, badInput(fmt.Errorf("%s: %w", path, err), "see docs/assess.md for the scenario keys and values")
		}
		return s, nil
	}
	s, err := assess.LoadScenario(assess.ScenarioSource{File: path})
	if err != nil {
		var ie *assess.InputError
		if errors.As(err, &ie) {
			return s, badInput(err, ie.Hint)
		}
		return s, badInput(err, "")
	}
	return s, nil
}

func newContractReviewCmd(e *env) *cobra.Command {
	var offerFile, scenarioFile, format, lang, dir string
	var record bool
	cmd := &cobra.Command{
		Use:   "review --offer O.json --scenario S.yaml",
		Short: "Review an offer against the rulebook for a dataset; blocking findings fail it",
		Long: `review evaluates the rulebook for every jurisdiction and purpose the offer permits,
with the dataset and exporter the scenario describes (a scenario as xborder assess
takes it, or the JSON output of xborder assess, which carries the profiled counts),
and checks the offer's clauses: routes needing an approval the offer does not
require, prohibited routes, missing deletion or onward-transfer terms, clauses of
its template's baseline that a customisation removed. A review with a blocking
finding fails, and a failed review blocks signing. --record keeps the review in
the data directory so that xborder contract sign can check it.

EXIT CODES
  0  passed (warnings and notes may remain)
  1  failed: at least one blocking finding
  2  bad input`,
		Example: `  xborder contract review --offer offer.json --scenario examples/shenzhen-retail/scenario.yaml
  xborder assess --scenario s.yaml data.csv --format json > profile.json
  xborder contract review --offer offer.json --scenario profile.json --record`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if offerFile == "" || scenarioFile == "" {
				return badInput(errors.New("--offer and --scenario are required"), "see xborder contract review --help")
			}
			l, err := pickLang(e, lang)
			if err != nil {
				return badInput(err, "use --lang zh-CN or --lang en")
			}
			if format != "text" && format != "json" {
				return badInput(fmt.Errorf("--format %q: accepted: text, json", format), "")
			}
			offer, err := readOffer(offerFile)
			if err != nil {
				return err
			}
			r, err := reviewOffer(cmd.Context(), e, offer, scenarioFile)
			if err != nil {
				return err
			}
			if record {
				err := withContractStore(cmd.Context(), e, dir, func(s *contract.Store) error { return s.RecordReview(cmd.Context(), r) })
				if err != nil {
					return err
				}
			}
			if format == "json" {
				if err := printJSON(e, r); err != nil {
					return err
				}
			} else {
				printReview(e, r, string(l))
			}
			if !r.Passed {
				return &exitError{code: exitFailure, err: fmt.Errorf("review failed: blocking findings: %d", len(r.Blocking())),
					hint: "change the offer (or its parameters) and review again"}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&offerFile, "offer", "", "offer file (xborder contract offer)")
	fl.StringVar(&scenarioFile, "scenario", "", "scenario YAML, or xborder assess JSON output")
	fl.StringVar(&format, "format", "text", "text or json")
	fl.StringVar(&lang, "lang", "", "zh-CN or en (default from $LANG, else en)")
	fl.BoolVar(&record, "record", false, "keep the review in the data directory for xborder contract sign")
	fl.StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	return cmd
}

func reviewOffer(ctx context.Context, e *env, offer *contract.Policy, scenarioFile string) (*contract.Review, error) {
	s, err := loadReviewScenario(scenarioFile)
	if err != nil {
		return nil, err
	}
	c, err := contract.BuiltinTemplates()
	if err != nil {
		return nil, failure(err)
	}
	r, err := contract.ReviewOffer(ctx, contract.ReviewInput{Offer: offer, Scenario: s, Templates: c, Now: e.now})
	if err != nil {
		var pe *contract.ParamError
		if errors.As(err, &pe) {
			return nil, badInput(fmt.Errorf("%s: %w", scenarioFile, err), pe.Hint)
		}
		return nil, failure(err)
	}
	return r, nil
}

func printReview(e *env, r *contract.Review, lang string) {
	zh := strings.HasPrefix(lang, "zh")
	w := e.stdout
	verdict := map[bool][2]string{true: {"PASSED", "审核通过"}, false: {"FAILED", "审核未通过"}}[r.Passed]
	yes := func(b bool) string {
		if zh {
			return map[bool]string{true: "是", false: "否"}[b]
		}
		return map[bool]string{true: "yes", false: "no"}[b]
	}
	tpl := r.Template
	if tpl == "" {
		tpl = "-"
	}
	if zh {
		fmt.Fprintf(w, "要约 %s（模板 %s）合规审核：%s\n", r.Offer, tpl, verdict[1])
		fmt.Fprintf(w, "  评估日 %s，出境方 %s，含个人信息：%s，含敏感个人信息：%s\n\n出境路径\n", r.AsOf, r.Exporter, yes(r.Personal), yes(r.Sensitive))
	} else {
		fmt.Fprintf(w, "Review of offer %s (template %s): %s\n", r.Offer, tpl, verdict[0])
		fmt.Fprintf(w, "  as of %s, exporter %s, personal information: %s, sensitive: %s\n\nRoutes\n", r.AsOf, r.Exporter, yes(r.Personal), yes(r.Sensitive))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(r.Routes) == 0 {
		fmt.Fprintln(tw, "  -")
	}
	for _, rc := range r.Routes {
		state := routeState(rc, zh)
		fmt.Fprintf(tw, "  %s→%s\t%s\t%s\t%s\t%s\n", r.Exporter, rc.Country, rc.Purpose, rc.Jurisdiction, rc.Route, state)
	}
	tw.Flush()
	if zh {
		fmt.Fprintln(w, "\n审核意见")
	} else {
		fmt.Fprintln(w, "\nFindings")
	}
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, "  -")
	}
	for _, f := range r.Findings {
		fmt.Fprintf(w, "  %-8s %s: %s\n", f.Severity, f.Code, f.Message.In(lang))
	}
}

func routeState(rc contract.RouteCheck, zh bool) string {
	switch {
	case rc.Blocking && rc.Covered:
		return map[bool]string{false: "needs an approval not on record; the offer waits for it", true: "须审批，尚无记录；要约以其为使用前提"}[zh]
	case rc.Blocking:
		return map[bool]string{false: "blocking", true: "阻断"}[zh]
	case rc.Approval != "":
		return map[bool]string{false: "approval on record: " + rc.Approval, true: "已有记录：" + rc.Approval}[zh]
	}
	return map[bool]string{false: "clear", true: "可出境"}[zh]
}

// openContractDB opens DATA_DIR/xborder.db, creating it.
func openContractDB(e *env, dirFlag string) (*sql.DB, error) {
	dir := dataDir(e, dirFlag)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, failure(fmt.Errorf("creating the data directory: %w", err))
	}
	return openStateDB(filepath.Join(dir, stateDBFile), "FULL")
}

// withContractStore runs f with the contract store of the data directory.
func withContractStore(ctx context.Context, e *env, dirFlag string, f func(*contract.Store) error) error {
	db, err := openContractDB(e, dirFlag)
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := contract.OpenStore(ctx, db, contract.StoreOptions{
		Resolve: keyResolver(), Now: e.now,
		Alerter: contract.AlerterFunc(func(_ context.Context, a contract.Alert) error {
			fmt.Fprintf(e.stderr, "xborder: alert: agreement %s: %s (state %s)\n", a.Agreement, a.Code, a.State)
			return nil
		}),
	})
	if err != nil {
		return failure(err)
	}
	defer s.Close()
	return f(s)
}

// keyResolver resolves signers' keys: did:key offline, did:web over HTTPS.
func keyResolver() jws.Resolver {
	r := identity.NewResolver(identity.ResolverOptions{HTTPClient: &http.Client{Timeout: 10 * time.Second}, Timeout: 10 * time.Second})
	return r.ResolveKey
}

// storeErr maps store errors: unknown agreements and rejected input are
// bad input (2), a state that forbids the step is a failed check (1).
func storeErr(err error) error {
	var ie *contract.InputError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie), errors.Is(err, contract.ErrNotFound):
		return badInput(err, "")
	case errors.Is(err, contract.ErrState), errors.Is(err, contract.ErrPartyMismatch), errors.Is(err, contract.ErrExists),
		errors.Is(err, contract.ErrReviewRequired), errors.Is(err, contract.ErrMalformedAgreement), jws.CodeOf(err) != "":
		return &exitError{code: exitFailure, err: err}
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return failure(err)
}

func money(m billing.Money) string { return m.Amount + " " + m.Currency }
