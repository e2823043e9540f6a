package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/contract"
)

func newContractUseCmd(e *env) *cobra.Command {
	var u contract.UseRequest
	var at, requestFile, dir, lang string
	cmd := &cobra.Command{
		Use:   "use --agreement ID --count N [--bytes B] [--rows R] [--tasks T]",
		Short: "Record a use of the data under an agreement; refused beyond its terms",
		Long: `use checks one use against the agreement (state, period, purpose and jurisdiction
when given, the approved route, and every usage limit per day, month and in total)
and, when permitted, counts and records it: who, what, when and how much, never a
data value. A use beyond a limit or outside the period, purpose or jurisdictions is
a breach: it is refused, the agreement is suspended and an alert is raised (on
stderr here). --request reads the usage record as JSON instead of flags.

EXIT CODES
  0  recorded
  1  refused: the code and the reason on stderr
  2  bad input: unknown agreement, negative quantities, a time in the future`,
		Example: `  xborder contract use --agreement urn:uuid:… --count 1 --bytes 52428800 --rows 10000`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			l, err := pickLang(e, lang)
			if err != nil {
				return badInput(err, "use --lang zh-CN or --lang en")
			}
			if requestFile != "" {
				if cmd.Flags().Changed("count") || cmd.Flags().Changed("bytes") || cmd.Flags().Changed("rows") || cmd.Flags().Changed("tasks") {
					return badInput(errors.New("--request and the quantity flags exclude each other"), "")
				}
				data, err := readLimited(requestFile, contract.MaxUseRequestBytes)
				if err != nil {
					return badInput(err, "")
				}
				agreement := u.Agreement
				if u, err = contract.ParseUseRequest(data); err != nil {
					return badInput(fmt.Errorf("%s: %w", requestFile, err), `e.g. {"agreement": "urn:uuid:…", "count": 1, "bytes": 1024}`)
				}
				if agreement != "" {
					if u.Agreement != "" && u.Agreement != agreement {
						return badInput(errors.New("--agreement differs from the request's agreement"), "")
					}
					u.Agreement = agreement
				}
			}
			if u.Agreement == "" {
				return badInput(errors.New("--agreement is required"), "list them with: xborder contract list")
			}
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return badInput(fmt.Errorf("--at %q: %w", at, err), "write times as RFC 3339, e.g. 2026-03-05T10:00:00Z")
				}
				u.At = t
			}
			var d *contract.UseDecision
			err = withContractStore(ctx, e, dir, func(s *contract.Store) error {
				var err error
				d, err = s.RecordUse(ctx, u)
				return err
			})
			if err != nil {
				return storeErr(err)
			}
			if err := printJSON(e, d); err != nil {
				return err
			}
			if !d.Allowed {
				hint := map[string]string{
					contract.RefusedRouteNotApprove: "record the approval with xborder contract approval add",
					contract.RefusedSuspended:       "the provider may resume it with xborder contract resume",
					contract.RefusedNotInForce:      "the consumer countersigns with xborder contract countersign",
				}[d.Code]
				if d.State == contract.StateSuspended && d.Code != contract.RefusedSuspended {
					hint = "the agreement is now suspended; the provider may resume it with xborder contract resume"
				}
				return &exitError{code: exitFailure, err: fmt.Errorf("use refused: %s: %s", d.Code, d.Reason.In(string(l))), hint: hint}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&u.Agreement, "agreement", "", "agreement id")
	fl.Int64Var(&u.Count, "count", 1, "uses (calls, queries)")
	fl.Int64Var(&u.Bytes, "bytes", 0, "bytes delivered")
	fl.Int64Var(&u.Rows, "rows", 0, "rows delivered")
	fl.Int64Var(&u.Tasks, "tasks", 0, "privacy-computing tasks run")
	fl.StringVar(&u.Actor, "actor", "", "who used the data (default: the consumer)")
	fl.StringVar(&u.Provider, "provider", "", "the provider credited with the rows, in a revenue share (default: the agreement's provider)")
	fl.StringVar(&u.Purpose, "purpose", "", "the purpose of this use, checked against the agreement")
	fl.StringVar(&u.Country, "country", "", "where the data is used (ISO code), checked against the agreement")
	fl.StringVar(&u.Action, "action", "", "a metering label: use, query, transfer, compute (default use)")
	fl.StringVar(&u.Ref, "ref", "", "your reference, e.g. the transfer id")
	fl.StringVar(&at, "at", "", "when the use happened, RFC 3339 (default now; never in the future)")
	fl.StringVar(&requestFile, "request", "", "read the usage record from a JSON file")
	fl.StringVar(&lang, "lang", "", "language of the refusal reason: zh-CN or en")
	fl.StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	return cmd
}

func newContractInvoiceCmd(e *env) *cobra.Command {
	var period, agreement, dir string
	cmd := &cobra.Command{
		Use:   "invoice --period YYYY-MM [--agreement ID]",
		Short: "Invoices for a calendar month (UTC): final once the month is over, drafts before",
		Long: `invoice prices each agreement's metered use in the month by its pricing schedule
(per call, per volume, subscription, per computation; tiers and free quotas) and
prints the invoices: lines, subtotal, taxes (none unless a tax hook is configured),
total, in integer minor units beside their decimal form. Once the month is over the
invoices are final: stored, never changed, and uses dated in that month are refused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if period == "" {
				return badInput(errors.New("--period is required"), "e.g. --period 2026-11")
			}
			return storeErr(withContractStore(ctx, e, dir, func(s *contract.Store) error {
				invs, err := s.Invoices(ctx, period)
				if err != nil {
					return err
				}
				out := []*contract.Invoice{}
				for _, inv := range invs {
					if agreement == "" || inv.Agreement == agreement {
						out = append(out, inv)
					}
				}
				return printJSON(e, out)
			}))
		},
	}
	cmd.Flags().StringVar(&period, "period", "", "the month, YYYY-MM")
	cmd.Flags().StringVar(&agreement, "agreement", "", "only this agreement's invoice")
	cmd.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	return cmd
}

func newContractSettleCmd(e *env) *cobra.Command {
	var period, party, dir string
	cmd := &cobra.Command{
		Use:   "settle --period YYYY-MM [--party DID]",
		Short: "Settle a finished month: statements per party and payment instructions",
		Long: `settle takes the month's final invoices and works out who is owed what: the
platform fee to the operator, then each invoice's subtotal split among the
product's providers by the agreement's revenue share (fixed weights, or the rows
or uses credited to each provider), by largest remainder so the parts add up to
the subtotal exactly. It prints one statement per party and currency, and the
payment instructions (consumer to provider, provider to co-providers and
operator). The first settlement of a month is stored; later runs print it again.

EXIT CODES
  0  settled
  1  the month is not over yet
  2  bad input`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if period == "" {
				return badInput(errors.New("--period is required"), "e.g. --period 2026-11")
			}
			err := withContractStore(ctx, e, dir, func(s *contract.Store) error {
				st, err := s.Settle(ctx, period)
				if err != nil {
					return err
				}
				if party != "" {
					var keep []contract.Statement
					for _, stmt := range st.Statements {
						if stmt.Party == party {
							keep = append(keep, stmt)
						}
					}
					if keep == nil {
						keep = []contract.Statement{}
					}
					st.Statements = keep
				}
				return printJSON(e, st)
			})
			if errors.Is(err, contract.ErrPeriodOpen) {
				return &exitError{code: exitFailure, err: err, hint: "settle a month once it has ended; xborder contract invoice shows drafts meanwhile"}
			}
			return storeErr(err)
		},
	}
	cmd.Flags().StringVar(&period, "period", "", "the month, YYYY-MM")
	cmd.Flags().StringVar(&party, "party", "", "only this party's statement")
	cmd.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	return cmd
}
