package main

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/pet/dp"
)

// newPetBudgetCmd shows and sets the privacy budgets of the ledger in
// DATA_DIR/xborder.db (internal/pet/dp): per dataset, and per agreement on
// a dataset.
func newPetBudgetCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "budget",
		Short: "Show or set the differential-privacy budget of a dataset or an agreement",
		Long: `The privacy-budget ledger (DATA_DIR/xborder.db) keeps, per dataset and per
agreement on a dataset, a total ρ (zCDP) and what noisy releases have spent.
A dataset never set has the default total: ε ≤ 1 at δ = 10⁻⁶ (ρ ≈ 0.01747).
Budgets are given as --epsilon (with --delta, default 1e-6), converted to the
largest ρ within that ε, or exactly as --rho. See docs/pet-dp.md.`,
	}
	cmd.AddCommand(newPetBudgetShowCmd(e), newPetBudgetSetCmd(e))
	return cmd
}

type petBudgetFlags struct {
	dataset, agreement, dataDir string
	delta                       float64
}

func (f *petBudgetFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.dataset, "dataset", "", "the dataset's id (required)")
	fl.StringVar(&f.agreement, "agreement", "", "an agreement on the dataset: its share of the dataset's budget")
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory with the budget ledger (default $XBORDER_DATA_DIR or ~/.xborder)")
	fl.Float64Var(&f.delta, "delta", dp.DefaultDelta, "the δ at which budgets are given and shown as ε")
}

func (f *petBudgetFlags) check() error {
	if strings.TrimSpace(f.dataset) == "" {
		return badInput(errors.New("--dataset is required"), "name the dataset whose budget to show or set")
	}
	if !(f.delta > 0 && f.delta < 1) {
		return badInput(fmt.Errorf("--delta %v", f.delta), "give 0 < δ < 1, e.g. 1e-6")
	}
	return nil
}

// budgetView is a balance as shown: exact ρ and its ε at δ.
type budgetView struct {
	Dataset   string  `json:"dataset"`
	Agreement string  `json:"agreement,omitempty"`
	Total     dp.Rho  `json:"total_rho"`
	Spent     dp.Rho  `json:"spent_rho"`
	Left      dp.Rho  `json:"left_rho"`
	Delta     float64 `json:"delta"`
	TotalEps  float64 `json:"total_epsilon"`
	LeftEps   float64 `json:"left_epsilon"`
	Spends    int     `json:"spends"`
}

func newPetBudgetShowCmd(e *env) *cobra.Command {
	var f petBudgetFlags
	var format string
	cmd := &cobra.Command{
		Use:   "show --dataset ID [--agreement ID]",
		Short: "Show a budget: total, spent and left, as ρ and as ε at δ",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			if format != "text" && format != "json" {
				return badInput(fmt.Errorf("unknown format %q", format), "use --format text or --format json")
			}
			l, closeDB, err := openPetBudget(cmd.Context(), dataDir(e, f.dataDir))
			if err != nil {
				return err
			}
			defer closeDB()
			b, err := l.Balance(cmd.Context(), f.dataset, f.agreement)
			if err != nil {
				return failure(err)
			}
			h, err := l.History(cmd.Context(), f.dataset, f.agreement)
			if err != nil {
				return failure(err)
			}
			v := budgetView{Dataset: f.dataset, Agreement: f.agreement, Total: b.Total, Spent: b.Spent, Left: b.Left(), Delta: f.delta,
				TotalEps: b.Total.Epsilon(f.delta), LeftEps: max(b.Left(), 0).Epsilon(f.delta), Spends: len(h)}
			if format == "json" {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			who := "dataset " + f.dataset
			if f.agreement != "" {
				who = "agreement " + f.agreement + " on " + who
			}
			fmt.Fprintf(e.stdout, "%s\n  total  ρ %s  (ε %.4f at δ %g)\n  spent  ρ %s  in %d release(s)\n  left   ρ %s  (ε %.4f at δ %g)\n",
				who, v.Total, v.TotalEps, f.delta, v.Spent, v.Spends, v.Left, v.LeftEps, f.delta)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}

func newPetBudgetSetCmd(e *env) *cobra.Command {
	var f petBudgetFlags
	var epsilon, rho, actor string
	cmd := &cobra.Command{
		Use:   "set --dataset ID [--agreement ID] (--epsilon E [--delta D] | --rho R)",
		Short: "Set the total budget of a dataset, or an agreement's share of it",
		Long: `Sets a total. What was spent stays spent: a total below it refuses every
further noisy release. The change is recorded in the audit ledger
(DATA_DIR/audit) when there is one.`,
		Example: `  xborder pet budget set --dataset urn:xborder:dataset:clinical --epsilon 1
  xborder pet budget set --dataset urn:xborder:dataset:clinical --agreement urn:uuid:… --epsilon 0.3
  xborder pet budget set --dataset urn:xborder:dataset:clinical --rho 1/100`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			var total dp.Rho
			switch {
			case (epsilon == "") == (rho == ""):
				return badInput(errors.New("give exactly one of --epsilon and --rho"), "e.g. --epsilon 1 (at --delta 1e-6) or --rho 0.0175")
			case epsilon != "":
				eps, err := strconv.ParseFloat(strings.TrimSpace(epsilon), 64)
				if err != nil {
					return badInput(fmt.Errorf("--epsilon %q", epsilon), "give a positive number, e.g. 1 or 0.5")
				}
				if total, err = dp.RhoForEpsilon(eps, f.delta); err != nil {
					return badInput(err, "give a positive ε and 0 < δ < 1")
				}
			default:
				r, ok := new(big.Rat).SetString(strings.TrimSpace(rho))
				if !ok || r.Sign() <= 0 {
					return badInput(fmt.Errorf("--rho %q", rho), "give a positive number, e.g. 0.0175 or 1/50")
				}
				var err error
				if total, err = dp.RhoFromRat(r); err != nil {
					return badInput(err, "give a smaller ρ")
				}
			}
			dir := dataDir(e, f.dataDir)
			l, closeDB, err := openPetBudget(cmd.Context(), dir)
			if err != nil {
				return err
			}
			defer closeDB()
			if f.agreement != "" {
				err = l.SetAgreementBudget(cmd.Context(), f.dataset, f.agreement, total)
			} else {
				err = l.SetDatasetBudget(cmd.Context(), f.dataset, total)
			}
			if err != nil {
				return failure(err)
			}
			al, err := openPetAudit(e, dir)
			if err != nil {
				return err
			}
			if al != nil {
				defer al.Close(cmd.Context())
				obj := f.dataset
				if !strings.Contains(obj, ":") {
					obj = "urn:xborder:dataset:" + obj
				}
				d, _ := json.Marshal(map[string]any{"dataset": f.dataset, "agreement": f.agreement, "total_rho": total})
				if _, err := al.Append(cmd.Context(), &audit.Event{Actor: actor, Time: e.now().UTC(), Operation: audit.OpAdminChange,
					ObjectID: obj, ObjectKind: audit.KindDataset, Result: audit.ResultAllow, Reason: "dp_budget_set",
					DetailsDigest: fmt.Sprintf("sha256:%x", sha256.Sum256(d))}); err != nil {
					return failure(fmt.Errorf("auditing the budget change: %w", err))
				}
			}
			fmt.Fprintf(e.stdout, "budget set: ρ %s (ε %.4f at δ %g)\n", total, total.Epsilon(f.delta), f.delta)
			return nil
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&epsilon, "epsilon", "", "the total as ε at --delta (converted to the largest ρ within it)")
	fl.StringVar(&rho, "rho", "", "the total as ρ (zCDP), exactly (decimal or fraction)")
	fl.StringVar(&actor, "actor", "did:web:localhost", "who sets it, for the audit ledger (a DID)")
	return cmd
}
