package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/anomaly"
	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/contract"
)

// contractWindows answers the anomaly engine's agreement lookups from the
// contract store: the agreement's period, and whether it is active.
type contractWindows struct{ s *contract.Store }

func (c contractWindows) Window(ctx context.Context, id string, at time.Time) (anomaly.AgreementWindow, bool, error) {
	r, err := c.s.Get(ctx, id)
	if errors.Is(err, contract.ErrNotFound) {
		return anomaly.AgreementWindow{}, false, nil
	}
	if err != nil {
		return anomaly.AgreementWindow{}, false, err
	}
	return anomaly.AgreementWindow{NotBefore: r.Period.From, NotAfter: r.Period.Until, Active: r.State == contract.StateActive}, true, nil
}

// logAppender adapts *audit.Log to the anomaly ledger sink.
type logAppender struct{ l *audit.Log }

func (a logAppender) Append(ctx context.Context, e *audit.Event) (uint64, error) {
	x, err := a.l.Append(ctx, e)
	return x.Index, err
}

func newAuditAlertsCmd(e *env) *cobra.Command {
	var dir, cfgFile, format string
	var dry bool
	c := &cobra.Command{
		Use:   "alerts [--config anomaly.json] [--dry-run]",
		Short: "Run the anomaly rules over the ledger; record new alerts and send them to the webhooks",
		Long: `Replays every checkpointed entry through the anomaly rules (seed §2.2.5.2): bulk transfer
beyond an actor's baseline, use outside an agreement's window or of a suspended one (agreements
from the contract store in DATA_DIR/xborder.db), policy findings such as purpose_mismatch,
repeated denials and unusual hours. Alerts already in the ledger are not raised again; new ones
are appended as 'alert' events and POSTed, signed, to the configured webhooks (the HMAC secret
from the environment variable the config names). --dry-run prints them and changes nothing.
The configuration format and its defaults: internal/anomaly/testdata/default.json.
Run it from cron, or let 'xborder serve' run the rules continuously.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if format != "text" && format != "json" {
				return badInput(fmt.Errorf("--format %q: accepted: text, json", format), "")
			}
			cfg := anomaly.DefaultConfig()
			if cfgFile != "" {
				b, err := readLimited(cfgFile, anomaly.MaxConfigBytes)
				if err != nil {
					return badInput(err, "")
				}
				if cfg, err = anomaly.ParseConfig(b); err != nil {
					return badInput(fmt.Errorf("%s: %w", cfgFile, err), "see internal/anomaly/testdata/README.md")
				}
			}
			d := auditDir(e, dir)
			if _, err := os.Stat(filepath.Join(d, "log.pub")); err != nil {
				return badInput(fmt.Errorf("no audit ledger at %s", d), "")
			}
			logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

			var agreements anomaly.Agreements
			if _, err := os.Stat(filepath.Join(dataDir(e, dir), stateDBFile)); err == nil {
				db, err := openContractDB(e, dir)
				if err != nil {
					return err
				}
				defer db.Close()
				s, err := contract.OpenStore(ctx, db, contract.StoreOptions{Resolve: keyResolver(), Now: e.now})
				if err != nil {
					return failure(err)
				}
				defer s.Close()
				agreements = contractWindows{s}
			}

			var raised []anomaly.Alert
			collect := anomaly.SinkFunc(func(_ context.Context, a anomaly.Alert) error { raised = append(raised, a); return nil })
			var sink anomaly.Sink = collect
			var l *audit.Log
			var hook *anomaly.Webhook
			if !dry {
				var err error
				if l, err = openAuditLog(e, d, "xborder.audit"); err != nil {
					return err
				}
				defer closeAuditLog(ctx, l)
				sinks := []anomaly.Sink{collect, anomaly.NewLedgerSink(logAppender{l})}
				if len(cfg.Webhooks.URLs) > 0 {
					if hook, err = anomaly.NewWebhook(cfg.Webhooks, anomaly.WebhookOptions{Getenv: e.getenv, Logger: logger}); err != nil {
						return badInput(err, "")
					}
					sinks = append(sinks, hook)
				}
				sink = anomaly.Tee(sinks...)
				if err := l.Sync(ctx); err != nil {
					return failure(err)
				}
			}
			eng, err := anomaly.NewEngine(cfg, e.now, agreements, sink, logger)
			if err != nil {
				return badInput(err, "")
			}
			quietTessera()
			var x *audit.Index
			if l != nil {
				x = l.Index()
			} else {
				if x, err = audit.OpenIndex(d, logger); err != nil {
					return failure(err)
				}
				defer x.Close()
				if _, err := x.Reconcile(ctx); err != nil {
					return failure(err)
				}
			}
			q := audit.Query{Limit: 10_000}
			n := 0
			for {
				hits, err := x.Query(ctx, q)
				if err != nil {
					return failure(err)
				}
				for _, h := range hits {
					if h.Event != nil {
						if err := eng.Replay(ctx, h.Index, h.Event); err != nil {
							fmt.Fprintf(e.stderr, "xborder: warning: entry %d: %v\n", h.Index, err)
						}
						n++
					}
				}
				if len(hits) < q.Limit {
					break
				}
				q.After, q.AfterSet = int64(hits[len(hits)-1].Index), true
			}
			if _, err := eng.EndReplay(ctx); err != nil {
				fmt.Fprintf(e.stderr, "xborder: warning: %v\n", err)
			}
			if hook != nil {
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				if err := hook.Close(cctx); err != nil {
					fmt.Fprintf(e.stderr, "xborder: warning: webhooks: %v\n", err)
				}
				cancel()
				st := hook.Stats()
				fmt.Fprintf(e.stderr, "xborder: webhooks: %d delivered, %d failed, %d dropped\n", st.Delivered, st.Failed, st.Dropped)
			}
			if format == "json" {
				if raised == nil {
					raised = []anomaly.Alert{}
				}
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(raised)
			}
			verb := "recorded"
			if dry {
				verb = "found (dry run, nothing recorded)"
			}
			fmt.Fprintf(e.stdout, "%d events checked; %d new alerts %s\n", n, len(raised), verb)
			for _, a := range raised {
				fmt.Fprintf(e.stdout, "%s  %-8s %-17s %s  %s  observed %d, threshold %d\n", a.At.UTC().Format(time.RFC3339), a.Severity, a.Rule, a.Actor, a.Finding, a.Observed, a.Threshold)
			}
			return nil
		},
	}
	c.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	c.Flags().StringVar(&cfgFile, "config", "", "anomaly rules configuration (JSON; default: the built-in defaults)")
	c.Flags().BoolVar(&dry, "dry-run", false, "print the alerts; record and send nothing")
	c.Flags().StringVar(&format, "format", "text", "text or json")
	return c
}
