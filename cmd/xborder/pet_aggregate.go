package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/pet/dp"
	"github.com/xborder/xborder/internal/pet/input"
	"github.com/xborder/xborder/internal/pet/review"
	"github.com/xborder/xborder/internal/pet/secagg"
)

// newPetAggregateCmd is "xborder pet aggregate": a joint statistic over
// several parties' CSV files by additive secret sharing (internal/pet/secagg).
// It is registered under the pet command group.
func newPetAggregateCmd(e *env) *cobra.Command {
	var local bool
	var column, stat, bins, groupBy, groups, format string
	var minGroup int64
	var scale int
	var rf petReviewFlags
	var nf nodeFlags
	var peers []string
	var purpose, output string
	cmd := &cobra.Command{
		Use:   "aggregate (--local A.csv B.csv [C.csv ...] | --node URL --agreement ID --peer DID MINE.csv) --column COL --stat sum|mean|variance|count|histogram",
		Short: "Compute a joint statistic over several parties' data by secret sharing",
		Long: `aggregate computes count, sum, mean, variance (population) or a histogram of one
column over the rows of two or more parties, optionally per group of --group-by,
revealing only the aggregate: each party sums its own rows, splits those sums into
additive secret shares (Z_2^128), and the parties combine the shares. Groups and
histogram bins with fewer than --min-group rows (default 10) are suppressed.

With --local every file is one party and all parties run in this process. The
group-key domain is --groups when given, else the union of the keys in all files
(which tells each party the others' keys: acceptable only in local mode).

Values are fixed-point decimals with at most --scale digits after the point
(default 2) and at most 2^44 units in magnitude; a value outside is refused, never
rounded. What each party learns is described in docs/pet-secagg.md.

Every result passes result review before it is printed (internal/pet/review):
the group sizes are checked against --min-group and, with --rho (discrete
Gaussian, zCDP) or --epsilon (discrete Laplace, pure DP), the budget of --dataset
and --agreement in DATA_DIR/xborder.db is debited first and noise is then added to
the released counts and sums (mean and variance are computed from the noisy
figures); --bounds LO:HI clamps the values and sets the sum's sensitivity. Each
decision, allow or deny, is appended to DATA_DIR/audit when that ledger exists
(xborder audit init); without it a note goes to stderr and the run goes on. See
"Result review" in docs/pet-secagg.md.

With --node, your node and the other parties' nodes run it between them (the
twelve T/CCSA 540 task interfaces, a signed ECDHE channel between the nodes):
MINE.csv goes to your node only; --peer DID names a party bound to you by
--agreement, --peer DID=AGREEMENT one bound by another agreement with you;
--groups is then required with --group-by (the agreed domain); the review
(--min-group, --rho/--epsilon, --bounds) is agreed by every node, whose own
floor it must meet, and the budget debited is each output node's for the
agreement. The other operators contribute with xborder pet join TASK FILE
--value COL [--group-by COL].

Exit codes: 0 computed and released; 1 internal failure or release refused by
review (budget exhausted: nothing is released); 2 bad input (flags, files, values).`,
		Example: `  xborder pet aggregate --local A.csv B.csv C.csv --column amount --stat sum --format json
  xborder pet aggregate --local A.csv B.csv --column amount --stat mean --group-by region --min-group 20
  xborder pet aggregate --local A.csv B.csv --column age --stat histogram --bins 18,30,45,65
  xborder pet aggregate --local A.csv B.csv --column amount --stat mean --bounds 0:10000 --rho 0.005 --dataset urn:xborder:dataset:wm --agreement urn:xborder:agreement:a1`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if local && nf.node != "" {
				return badInput(errors.New("--local and --node"), "pick one: --local (all parties here) or --node (between your node and the others')")
			}
			if !local {
				if nf.node == "" && e.getenv("XBORDER_NODE") == "" {
					return badInput(errors.New("give --local (all parties here) or --node (between your node and the others')"), "")
				}
				return runNodeAggregate(cmd, e, &nf, args, nodeAggregate{stat: stat, column: column, groupBy: groupBy, groups: groups, bins: bins,
					minGroup: minGroup, scale: scale, rf: rf, peers: peers, purpose: purpose, output: output})
			}
			if len(args) < 2 {
				return badInput(fmt.Errorf("%d input files: secure aggregation needs at least 2 parties", len(args)), "give one CSV file per party")
			}
			if format != "json" {
				return badInput(fmt.Errorf("--format %q", format), "the only format is json")
			}
			cfg := secagg.Config{Stat: secagg.Stat(stat), MinGroup: minGroup, Scale: scale}
			switch cfg.Stat {
			case secagg.Count, secagg.Sum, secagg.Mean, secagg.Variance, secagg.Histogram:
			default:
				return badInput(fmt.Errorf("--stat %q", stat), "use count, sum, mean, variance or histogram")
			}
			if scale < 0 || scale > 9 {
				return badInput(fmt.Errorf("--scale %d", scale), "use 0 to 9 decimal digits")
			}
			if minGroup < 1 {
				return badInput(fmt.Errorf("--min-group %d", minGroup), "use a positive group size (default 10)")
			}
			if column == "" && cfg.Stat != secagg.Count {
				return badInput(errors.New("--column is required"), "name the column to aggregate, e.g. --column amount")
			}
			if cfg.Stat == secagg.Histogram {
				if bins == "" {
					return badInput(errors.New("--stat histogram needs --bins"), "give the agreed bin edges, e.g. --bins 0,100,1000")
				}
				for _, s := range strings.Split(bins, ",") {
					v, err := secagg.ParseFixed(s, scale)
					if err != nil {
						return badInput(fmt.Errorf("--bins: %w", err), "bin edges are increasing decimal numbers")
					}
					cfg.Edges = append(cfg.Edges, v)
				}
			} else if bins != "" {
				return badInput(errors.New("--bins is only for --stat histogram"), "")
			}
			if groups != "" {
				if groupBy == "" {
					return badInput(errors.New("--groups without --group-by"), "")
				}
				cfg.Groups = strings.Split(groups, ",")
			}
			rho, eps, bounds, err := rf.parse(cfg.Stat, scale)
			if err != nil {
				return err
			}
			parties := make([]*input.Rows, len(args))
			for i, path := range args {
				p, err := readPartyCSV(path, column, groupBy, scale)
				if err != nil {
					return badInput(err, "each file is a CSV with a header row naming --column (and --group-by)")
				}
				parties[i] = p
			}
			clampRows(parties, bounds)
			if groupBy != "" && groups == "" {
				seen := map[string]bool{}
				for _, p := range parties {
					for _, k := range p.Keys {
						if !seen[k] {
							seen[k] = true
							cfg.Groups = append(cfg.Groups, k)
						}
					}
				}
				sort.Strings(cfg.Groups)
			}
			inputs := make([]secagg.Input, len(parties))
			index := map[string]int32{}
			for g, k := range cfg.Groups {
				index[k] = int32(g)
			}
			for i, p := range parties {
				inputs[i].Values = p.Values
				if groupBy != "" {
					inputs[i].Groups = make([]int32, len(p.Keys))
					for r, k := range p.Keys {
						g, ok := index[k]
						if !ok {
							return badInput(fmt.Errorf("%s: group %q is not in --groups", args[i], k), "list every agreed group key in --groups, or leave --groups out in local mode")
						}
						inputs[i].Groups[r] = g
					}
				}
			}
			if e.stderrIsTerminal {
				cfg.Progress = func(p secagg.Progress) {
					if p.Phase == "done" && p.Party == 0 {
						fmt.Fprintf(e.stderr, "xborder: aggregate computed by %d parties\n", len(inputs))
					} else if p.Phase == "aggregate" && p.Done == p.Total && p.Total > 0 {
						fmt.Fprintf(e.stderr, "xborder: party %d summed %d rows\n", p.Party, p.Total)
					}
				}
			}
			// The audit ledger is opened first: a broken ledger stops the run
			// before any budget is spent.
			dir := dataDir(e, rf.dataDir)
			al, err := openPetAudit(e, dir)
			if err != nil {
				return err
			}
			if al != nil {
				defer func() {
					if cerr := closeAuditLog(cmd.Context(), al); cerr != nil {
						fmt.Fprintf(e.stderr, "xborder: %v\n", cerr)
					}
				}()
			}
			res, err := secagg.Run(cmd.Context(), cfg, inputs)
			switch {
			case errors.Is(err, secagg.ErrOutOfBounds):
				return badInput(err, "values must be within ±2^44 units at the chosen --scale")
			case errors.Is(err, secagg.ErrConfig):
				return badInput(err, "")
			case err != nil:
				return failure(err)
			}
			// Result review: the local policy allows every statistic, column
			// and group-by column; it enforces --min-group and, with --rho or
			// --epsilon, the noise and the budget debit.
			policy := review.Policy{Stats: []secagg.Stat{secagg.Count, secagg.Sum, secagg.Mean, secagg.Variance, secagg.Histogram},
				Columns: []string{"*"}, GroupBy: []string{"*"}, MinGroup: minGroup, Rho: rho, Epsilon: eps,
				Dataset: rf.dataset, Agreement: rf.agreement, Purpose: "pet aggregate " + stat}
			var budget review.Budget
			if policy.DP() {
				l, closeDB, err := openPetBudget(cmd.Context(), dir)
				if err != nil {
					return err
				}
				defer closeDB()
				budget = l
			}
			var rows int64
			for _, p := range parties {
				rows += int64(len(p.Values))
			}
			d := review.Review(cmd.Context(), policy, review.Result{Column: column, GroupBy: groupBy, Scale: scale, Clamped: bounds, Agg: res},
				budget, dp.NewSampler(petNoiseSource))
			if al != nil {
				if err := auditReview(cmd.Context(), al, e.now(), rf.actor, rf.dataset, rows, d); err != nil {
					return failure(fmt.Errorf("%w; nothing was released", err))
				}
			}
			if !d.Allow {
				return failure(fmt.Errorf("result review refused the release [%s]: %s / %s", d.Code, d.Message, d.MessageZH))
			}
			return printJSON(e, d.Released)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&local, "local", false, "run all parties in this process, one CSV file each")
	fl.StringVar(&column, "column", "", "the numeric column to aggregate (not needed for count)")
	fl.StringVar(&stat, "stat", "", "count, sum, mean, variance or histogram")
	fl.StringVar(&bins, "bins", "", "agreed histogram bin edges, comma-separated and increasing")
	fl.StringVar(&groupBy, "group-by", "", "column whose value groups the rows")
	fl.StringVar(&groups, "groups", "", "the agreed group keys, comma-separated (default in local mode: every key seen)")
	fl.Int64Var(&minGroup, "min-group", secagg.DefaultMinGroup, "suppress groups and bins with fewer rows")
	fl.IntVar(&scale, "scale", 2, "decimal digits of the values (0 to 9)")
	fl.StringVar(&format, "format", "json", "output format: json")
	fl.StringVar(&rf.rho, "rho", "", "release with discrete Gaussian noise at this ρ (zCDP), e.g. 0.005")
	fl.StringVar(&rf.epsilon, "epsilon", "", "release with discrete Laplace noise at this ε (pure DP; costs ρ = ε²/2)")
	fl.StringVar(&rf.dataset, "dataset", "", "dataset whose privacy budget is debited (and the audited object)")
	fl.StringVar(&rf.agreement, "agreement", "", "agreement whose share of the budget is debited")
	fl.StringVar(&rf.bounds, "bounds", "", "clamp every value to LO:HI before aggregating (sets the sum's sensitivity; required for noisy sum, mean, variance)")
	fl.StringVar(&rf.dataDir, "data-dir", "", "data directory with the budget ledger (xborder.db) and the audit ledger (audit/) (default $XBORDER_DATA_DIR or ~/.xborder)")
	fl.StringVar(&rf.actor, "actor", "did:web:localhost", "DID recorded as the actor of the audited review decision")
	nf.register(cmd)
	fl.StringArrayVar(&peers, "peer", nil, "with --node: another party, DID (bound by --agreement) or DID=AGREEMENT; repeat for each")
	fl.StringVar(&purpose, "purpose", "", "with --node: the purpose declared for the task (checked against the agreements)")
	fl.StringVar(&output, "output", "self", "with --node: who may download the result: self or all")
	_ = cmd.MarkFlagRequired("stat")
	return cmd
}

// readPartyCSV reads column (empty: count rows only) and groupBy from a CSV
// file with a header row (internal/pet/input). An empty or non-numeric
// value is an error naming the line.
func readPartyCSV(path, column, groupBy string, scale int) (*input.Rows, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := input.ReadRows(f, column, groupBy, scale, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}
