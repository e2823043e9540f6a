package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/odrl"
)

func newPolicyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Evaluate, check and compare ODRL usage policies",
		Long: `policy works on ODRL 2.2 policies written in JSON-LD: compacted with the ODRL context
(http://www.w3.org/ns/odrl.jsonld), with the Dataspace Protocol 2025-1 context (a bare
offer or agreement, or a DSP message or dataset carrying one), with xborder's context
(https://xborder.dev/ns/odrl/v1) for its own terms, or expanded. Contexts are bundled in
xborder; nothing is fetched. See docs/policy.md.`,
	}
	cmd.AddCommand(newPolicyEvalCmd(e), newPolicyCheckCmd(e), newPolicyConflictsCmd(e), newPolicyToRegoCmd(e))
	return cmd
}

// policyOpts are the flags shared by the policy subcommands.
type policyOpts struct {
	lenient     bool
	dutiesFirst bool
}

func (o policyOpts) options() []odrl.Option {
	var out []odrl.Option
	if o.lenient {
		out = append(out, odrl.Lenient())
	}
	if o.dutiesFirst {
		out = append(out, odrl.WithDutyMode(odrl.DutiesFirst))
	}
	return out
}

func (o *policyOpts) flags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.lenient, "lenient", false, "accept rules without action or target (they match anything), as the SolidLab test suite writes them")
	cmd.Flags().BoolVar(&o.dutiesFirst, "duties-first", false, "duties are pre-conditions: a permission applies only once its duties are fulfilled")
}

// readInput reads a policy or request file within the bound.
func readInput(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return b, nil
}

// loadPolicies parses every policy in the files; the first bad file is a
// bad-input error listing each problem with its path.
func loadPolicies(e *env, paths []string, opts []odrl.Option) ([]*odrl.Policy, error) {
	var out []*odrl.Policy
	for _, path := range paths {
		raw, err := readInput(path, odrl.DefaultLimits().MaxBytes)
		if err != nil {
			return nil, badInput(err, "give an ODRL policy file (JSON-LD)")
		}
		ps, err := odrl.ParseAll(raw, opts...)
		if err != nil {
			return nil, badInput(policyError(path, err), "run xborder policy check "+path+" for every problem")
		}
		for _, p := range ps {
			for _, w := range p.Warnings {
				fmt.Fprintf(e.stderr, "xborder: warning: %s: %s\n", path, w)
			}
		}
		out = append(out, ps...)
	}
	return out, nil
}

// policyError names the file and lists the problems, one per line.
func policyError(path string, err error) error {
	probs := odrl.Problems(err)
	if len(probs) == 1 {
		return fmt.Errorf("%s: %s", path, probs[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problems", path, len(probs))
	for _, p := range probs {
		b.WriteString("\n  " + p.Error())
	}
	return errors.New(b.String())
}

func newPolicyEvalCmd(e *env) *cobra.Command {
	var policies []string
	var requestFile, now, jurisdiction string
	var requireAll bool
	var po policyOpts
	cmd := &cobra.Command{
		Use:   "eval --policy P.json --request R.json",
		Short: "Decide a request against a policy: permit, deny or not_applicable",
		Long: `eval decides the request in --request against the policy in --policy and prints

  {"decision": "permit|deny|not_applicable", "policy": …, "rule": …, "constraint": …,
   "duties": […], "reasons": [{"code": …, "message": …}]}

The request is JSON:

  {"assigner": "…", "assignee": "…", "action": "use", "target": "…",
   "context": {"purpose": "…", "dateTime": "2026-05-01T10:00:00Z", "spatial": "DE",
               "count": 3, "recipient": "…", "elapsedTime": "P10D", …},
   "claims": {…}, "partOf": {"member": ["collection"]}, "duties": {"duty-uid": "fulfilled"},
   "now": "…"}

Keys of context are ODRL left-operand names (plain, "xborder:…", or IRIs). When neither
context.dateTime nor now is given, the time is the system clock's (or --now).
Anything the policy needs that the request lacks, or that xborder does not understand,
fails closed: the decision says deny and why.

With several --policy files (or a file holding several policies) the policies are
taken to govern the same data and are combined by 属地优先、约定优先: the mandatory
policies of --jurisdiction first, then agreements, then the others (--require-all:
every one must permit, as the sources of an aggregated dataset must).

EXIT CODES
  0  permit
  1  deny or not_applicable
  2  bad input: unreadable or invalid policy or request`,
		Example: `  xborder policy eval --policy offer.json --request request.json
  xborder policy eval --policy law-cn.json --policy agreement.json --jurisdiction CN --request r.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(policies) == 0 || requestFile == "" {
				return badInput(errors.New("--policy and --request are required"), "see xborder policy eval --help")
			}
			ps, err := loadPolicies(e, policies, po.options())
			if err != nil {
				return err
			}
			raw, err := readInput(requestFile, odrl.MaxRequestBytes)
			if err != nil {
				return badInput(err, "give the request as a JSON file")
			}
			req, err := odrl.ParseRequest(raw)
			if err != nil {
				return badInput(fmt.Errorf("%s: %w", requestFile, err), `a request looks like {"assignee": "…", "action": "use", "target": "…", "context": {…}}`)
			}
			if now != "" {
				t, err := time.Parse(time.RFC3339, now)
				if err != nil {
					return badInput(fmt.Errorf("--now %q: %w", now, err), "write times as RFC 3339, e.g. 2026-05-01T10:00:00Z")
				}
				req.Now = t
			} else if req.Now.IsZero() {
				req.Now = e.now()
			}
			var pps []*odrl.Prepared
			for _, p := range ps {
				pp, err := odrl.Prepare(p, po.options()...)
				if err != nil {
					return badInput(policyError(p.UID, err), "")
				}
				pps = append(pps, pp)
			}
			var d odrl.Decision
			if len(pps) == 1 {
				d = pps[0].Evaluate(req)
			} else {
				d = odrl.EvaluateAll(pps, req, odrl.ConflictOptions{Jurisdiction: jurisdiction, RequireAll: requireAll})
			}
			out, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				return failure(err)
			}
			fmt.Fprintf(e.stdout, "%s\n", out)
			if d.Decision != odrl.Permit {
				return &exitError{code: exitFailure}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&policies, "policy", nil, "policy file (JSON-LD); repeat to combine policies")
	cmd.Flags().StringVar(&requestFile, "request", "", "request file (JSON)")
	cmd.Flags().StringVar(&now, "now", "", "time of the request when it gives none (RFC 3339; default: the system clock)")
	cmd.Flags().StringVar(&jurisdiction, "jurisdiction", "", "with several policies: the jurisdiction whose mandatory policies come first, e.g. CN")
	cmd.Flags().BoolVar(&requireAll, "require-all", false, "with several policies: every one must permit (sources of an aggregated dataset)")
	po.flags(cmd)
	return cmd
}

type checkResult struct {
	File     string        `json:"file"`
	Valid    bool          `json:"valid"`
	Policies []checkPolicy `json:"policies,omitempty"`
	Errors   []checkIssue  `json:"errors,omitempty"`
	Warnings []checkIssue  `json:"warnings,omitempty"`
}

type checkPolicy struct {
	UID          string `json:"uid"`
	Type         string `json:"type"`
	Permissions  int    `json:"permissions"`
	Prohibitions int    `json:"prohibitions"`
	Obligations  int    `json:"obligations"`
	Constraints  int    `json:"constraints"`
	Conflict     string `json:"conflict,omitempty"`
	Mandatory    bool   `json:"mandatory,omitempty"`
	Jurisdiction string `json:"jurisdiction,omitempty"`
}

type checkIssue struct {
	Code    string `json:"code"`
	Path    string `json:"path"`
	Message string `json:"message"`
}

func issues(es []*odrl.Error) []checkIssue {
	var out []checkIssue
	for _, e := range es {
		msg := e.Msg
		if e.Err != nil {
			msg += ": " + e.Err.Error()
		}
		out = append(out, checkIssue{Code: string(e.Code), Path: e.Path, Message: msg})
	}
	return out
}

func countConstraints(cs []odrl.Constraint) int {
	n := 0
	for _, c := range cs {
		n++
		n += countConstraints(c.Members)
	}
	return n
}

func newPolicyCheckCmd(e *env) *cobra.Command {
	var asJSON bool
	var po policyOpts
	cmd := &cobra.Command{
		Use:   "check P.json [P2.json…]",
		Short: "Validate policies; print every problem with its path",
		Long: `check parses each policy and prints what is wrong, each problem with the path of the
offending element (for example permission[1].constraint[0].rightOperand) and a stable
code, and the warnings: terms read by their ODRL meaning because the contexts left them
undefined, left operands no vocabulary defines (they fail closed at evaluation), and
the like. It also compiles each policy as eval would.

EXIT CODES
  0  every policy is valid (warnings may be printed)
  1  a policy is invalid
  2  a file cannot be read`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var results []checkResult
			valid := true
			for _, path := range args {
				raw, err := readInput(path, odrl.DefaultLimits().MaxBytes)
				if err != nil {
					return badInput(err, "give ODRL policy files (JSON-LD)")
				}
				res := checkResult{File: path, Valid: true}
				ps, err := odrl.ParseAll(raw, po.options()...)
				if err == nil {
					for _, p := range ps {
						if _, perr := odrl.Prepare(p, po.options()...); perr != nil && odrl.CodeOf(perr) != odrl.CodeUnresolvedParent {
							err = perr
							break
						}
					}
				}
				if err != nil {
					res.Valid, valid = false, false
					res.Errors = issues(odrl.Problems(err))
				}
				for _, p := range ps {
					n := 0
					for _, rs := range [][]*odrl.Rule{p.Permissions, p.Prohibitions, p.Obligations} {
						for _, r := range rs {
							n += countConstraints(r.Constraints)
						}
					}
					res.Policies = append(res.Policies, checkPolicy{UID: p.UID, Type: string(p.Type),
						Permissions: len(p.Permissions), Prohibitions: len(p.Prohibitions), Obligations: len(p.Obligations),
						Constraints: n, Conflict: string(p.Conflict), Mandatory: p.Mandatory, Jurisdiction: p.Jurisdiction})
					res.Warnings = append(res.Warnings, issues(p.Warnings)...)
				}
				results = append(results, res)
			}
			if asJSON {
				out, err := json.MarshalIndent(results, "", "  ")
				if err != nil {
					return failure(err)
				}
				fmt.Fprintf(e.stdout, "%s\n", out)
			} else {
				for _, r := range results {
					printCheck(e.stdout, r)
				}
			}
			if !valid {
				return &exitError{code: exitFailure}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	po.flags(cmd)
	return cmd
}

func printCheck(w io.Writer, r checkResult) {
	if r.Valid {
		for _, p := range r.Policies {
			extra := ""
			if p.Mandatory {
				extra = ", mandatory (" + p.Jurisdiction + ")"
			}
			if p.Conflict != "" {
				extra += ", conflict " + p.Conflict
			}
			fmt.Fprintf(w, "%s: ok: %s %s: permissions %d, prohibitions %d, obligations %d, constraints %d%s\n",
				r.File, p.Type, p.UID, p.Permissions, p.Prohibitions, p.Obligations, p.Constraints, extra)
		}
	} else {
		fmt.Fprintf(w, "%s: invalid\n", r.File)
		for _, i := range r.Errors {
			fmt.Fprintf(w, "  error   %s: %s (%s)\n", orRoot(i.Path), i.Message, i.Code)
		}
	}
	for _, i := range r.Warnings {
		fmt.Fprintf(w, "  warning %s: %s (%s)\n", orRoot(i.Path), i.Message, i.Code)
	}
}

func orRoot(p string) string {
	if p == "" {
		return "(document)"
	}
	return p
}

func newPolicyConflictsCmd(e *env) *cobra.Command {
	var jurisdiction string
	var asJSON bool
	var po policyOpts
	cmd := &cobra.Command{
		Use:   "conflicts P1.json P2.json… [--jurisdiction CN]",
		Short: "Find, explain and resolve conflicts inside and between policies",
		Long: `conflicts reports every permission and prohibition, of one policy or of two, that can
apply to the same request (overlapping actions, targets and parties, and constraints one
request can satisfy together), and every permission of one policy that no permission of
another can be used together with. Policies given together are taken to govern the same
data (the sources of an aggregated dataset, or an agreement and the law that applies).

Each conflict is resolved by 属地优先、约定优先: a policy marked mandatory for the
jurisdiction (--jurisdiction; every mandatory one when omitted) prevails, then an
agreement over an offer or set, then the conflict strategies (perm, prohibit; invalid,
the ODRL default, denies).

EXIT CODES
  0  no conflict
  1  conflicts found (printed)
  2  bad input`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ps, err := loadPolicies(e, args, po.options())
			if err != nil {
				return err
			}
			cs := odrl.Conflicts(ps, odrl.ConflictOptions{Jurisdiction: jurisdiction})
			if asJSON {
				if cs == nil {
					cs = []odrl.Conflict{}
				}
				out, err := json.MarshalIndent(cs, "", "  ")
				if err != nil {
					return failure(err)
				}
				fmt.Fprintf(e.stdout, "%s\n", out)
			} else {
				if len(cs) == 0 {
					fmt.Fprintf(e.stdout, "no conflicts between %d policies\n", len(ps))
				}
				for i, c := range cs {
					fmt.Fprintf(e.stdout, "%d. %s: %s (%s) vs %s (%s)\n", i+1, c.Kind, c.A.Rule, c.A.Kind, c.B.Rule, c.B.Kind)
					fmt.Fprintf(e.stdout, "   %s\n", c.Explanation)
					fmt.Fprintf(e.stdout, "   resolved by %s: %s\n", c.ResolvedBy, c.Resolution)
				}
			}
			if len(cs) > 0 {
				return &exitError{code: exitFailure}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&jurisdiction, "jurisdiction", "", "the jurisdiction whose mandatory policies come first, e.g. CN")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the conflicts as JSON")
	po.flags(cmd)
	return cmd
}

func newPolicyToRegoCmd(e *env) *cobra.Command {
	var pkg string
	var po policyOpts
	cmd := &cobra.Command{
		Use:   "to-rego P.json [--package xborder.policy]",
		Short: "Translate a policy to Rego for OPA",
		Long: `to-rego prints a Rego module (OPA v1 syntax) whose rule "decision" is permit, deny or
not_applicable and whose rule "rule" names the deciding rule, for a request given as
input in the JSON form policy eval reads. It follows xborder's evaluation rules,
fail-closed three-valued logic included; xborder's tests check that OPA reaches the same
decisions on every conformance case. Example:

  xborder policy to-rego offer.json > offer.rego
  opa eval -d offer.rego -i request.json data.xborder.policy.decision`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ps, err := loadPolicies(e, args, po.options())
			if err != nil {
				return err
			}
			if len(ps) != 1 {
				return badInput(fmt.Errorf("%s holds %d policies; give one", args[0], len(ps)), "")
			}
			pp, err := odrl.Prepare(ps[0], po.options()...)
			if err != nil {
				return badInput(policyError(args[0], err), "")
			}
			src, err := odrl.ToRego(pp, pkg)
			if err != nil {
				return badInput(err, "a package name is lower-case words joined by dots, e.g. xborder.policy")
			}
			_, err = io.WriteString(e.stdout, src)
			return err
		},
	}
	cmd.Flags().StringVar(&pkg, "package", "xborder.policy", "Rego package of the module")
	po.flags(cmd)
	return cmd
}
