package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/contract"
	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/rulebook"
	"github.com/xborder/xborder/internal/suite"
)

func newBenchContractCmd(e *env) *cobra.Command {
	var dur time.Duration
	var records int
	var dir string
	cmd := &cobra.Command{
		Use:   "contract [--duration 3s] [--records 1000000] [--dir DIR]",
		Short: "Usage records per second with the limit check, and invoicing a million records, beside plain SQL",
		Long: `bench contract measures the contract store on SQLite with one connection, the
way xborder contract opens it (WAL, _txlock=immediate):

 1. recording a use through the store (one transaction: state check, three usage
    limits checked and counted, the record inserted) beside a plain INSERT of the
    same record in its own transaction, for synchronous=FULL (the CLI's setting:
    durable on power loss) and synchronous=NORMAL (durable on a process crash);
 2. invoicing one agreement's month of --records usage records (seeded with bulk
    SQL), beside the bare SUM over the same rows that any invoice must make, and
    settling the month (platform fee, split among two providers by rows).

Ratios are in the same run on the same disk. Files go to a temporary directory
unless --dir is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if records < 1 {
				return badInput(fmt.Errorf("--records %d: at least 1", records), "")
			}
			if dir == "" {
				d, err := os.MkdirTemp("", "xborder-bench-contract-")
				if err != nil {
					return failure(err)
				}
				defer os.RemoveAll(d)
				dir = d
			} else if err := os.MkdirAll(dir, 0o700); err != nil {
				return failure(err)
			}
			return benchContract(cmd.Context(), e, dir, dur, records)
		},
	}
	cmd.Flags().DurationVar(&dur, "duration", 3*time.Second, "how long to run each recording loop")
	cmd.Flags().IntVar(&records, "records", 1_000_000, "usage records to invoice")
	cmd.Flags().StringVar(&dir, "dir", "", "directory for the databases (default: a temporary one, removed after)")
	return cmd
}

// benchClock is the store's clock in the benchmark: fixed while recording,
// moved past the month to invoice it.
type benchClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *benchClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *benchClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// benchFixture is one database with one active agreement.
type benchFixture struct {
	db    *sql.DB
	store *contract.Store
	clock *benchClock
	id    string
}

func (f *benchFixture) close() {
	if f.store != nil {
		f.store.Close()
	}
	f.db.Close()
}

var benchMonthStart = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

func newBenchFixture(ctx context.Context, path, sync string) (*benchFixture, error) {
	db, err := openStateDB(path, sync) // as the contract commands open it
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	f := &benchFixture{db: db, clock: &benchClock{t: benchMonthStart.Add(14*24*time.Hour + 12*time.Hour)}}
	ks := map[string]suite.Signer{}
	dids := map[string]*identity.KeyDID{}
	for _, who := range []string{"provider", "consumer"} {
		s, err := suite.Generate(suite.Ed25519, nil)
		if err != nil {
			return nil, err
		}
		k, err := identity.NewKeyDID(suite.Ed25519, s.Public())
		if err != nil {
			return nil, err
		}
		ks[who], dids[who] = s, k
	}
	resolver := identity.NewResolver(identity.ResolverOptions{})
	if f.store, err = contract.OpenStore(ctx, db, contract.StoreOptions{Resolve: resolver.ResolveKey, Now: f.clock.now}); err != nil {
		return nil, err
	}
	c, err := contract.BuiltinTemplates()
	if err != nil {
		return nil, err
	}
	tpl, err := c.Get("retail-analytics")
	if err != nil {
		return nil, err
	}
	params, err := json.Marshal(map[string]any{
		"target": "urn:xborder:bench/orders", "provider": dids["provider"].DID, "purposes": []string{"analytics"},
		"recipients": []string{dids["consumer"].DID}, "jurisdictions": []string{"DE"},
		"period":              map[string]string{"start": "2026-05-01", "end": "2026-12-31"},
		"max_count_per_month": 1_000_000_000_000, "max_bytes_per_month": "1000TB", "max_rows": 1_000_000_000_000,
		"pricing": json.RawMessage(`{"currency": "CNY", "components": [{"model": "subscription", "fee": "1000.00"},
			{"model": "per_call", "per": 1000, "free": 10000, "tiers": [{"up_to": 500000, "price": "5.00"}, {"price": "3.00"}]},
			{"model": "per_volume", "metric": "rows", "per": 1000, "tiers": [{"price": "0.50"}]}],
			"revenue_share": {"basis": "rows", "platform_fee_bp": 500, "operator": "did:web:exchange.example.cn",
			"providers": [{"party": "` + dids["provider"].DID + `"}, {"party": "did:web:co-provider.example.cn"}]}}`),
	})
	if err != nil {
		return nil, err
	}
	p, err := contract.ParseParams(params)
	if err != nil {
		return nil, err
	}
	offer, err := tpl.Instantiate(p)
	if err != nil {
		return nil, err
	}
	// Anonymised data: no route needs an approval, so the benchmark needs
	// no approval on record.
	review, err := contract.ReviewOffer(ctx, contract.ReviewInput{Offer: offer, Templates: c, Now: f.clock.now,
		Scenario: rulebook.Scenario{Exporter: rulebook.Exporter{Country: "CN"}, Dataset: rulebook.Dataset{Anonymised: true}}})
	if err != nil {
		return nil, err
	}
	a, err := contract.NewAgreement(offer, review, dids["provider"].DID, dids["consumer"].DID, f.clock.now())
	if err != nil {
		return nil, err
	}
	sa, err := contract.SignAgreement(a, ks["provider"], dids["provider"].VerificationMethodID())
	if err != nil {
		return nil, err
	}
	cs, err := contract.Countersign(ctx, sa, ks["consumer"], dids["consumer"].VerificationMethodID(), resolver.ResolveKey)
	if err != nil {
		return nil, err
	}
	if _, err := f.store.PutAgreement(ctx, cs); err != nil {
		return nil, err
	}
	f.id = sa.ID
	return f, nil
}

const benchPlainInsert = `INSERT INTO contract_usage
	(agreement_id, seq, used_at, period, actor, action, provider, q_count, q_bytes, q_rows, q_tasks, ref)
	VALUES ($1, $2, $3, $4, $5, 'use', $6, $7, $8, $9, 0, '')`

func benchContract(ctx context.Context, e *env, dir string, d time.Duration, records int) error {
	w := e.stdout
	fmt.Fprintf(w, "recording a use: store (state check, 3 limits checked and counted, record inserted) vs plain INSERT\n")
	fmt.Fprintf(w, "one SQLite connection, WAL, %s per loop\n", d)
	fmt.Fprintf(w, "%-8s %16s %16s %8s\n", "sync", "store uses/s", "plain INSERT/s", "ratio")
	for i, sync := range []string{"FULL", "NORMAL"} {
		f, err := newBenchFixture(ctx, filepath.Join(dir, fmt.Sprintf("record-%d.db", i)), sync)
		if err != nil {
			return failure(fmt.Errorf("setting up: %w", err))
		}
		u := contract.UseRequest{Agreement: f.id, Count: 1, Bytes: 4096, Rows: 10}
		checked, err := rate(d, func() error {
			dec, err := f.store.RecordUse(ctx, u)
			if err == nil && !dec.Allowed {
				err = fmt.Errorf("refused: %s", dec.Code)
			}
			return err
		})
		if err != nil {
			f.close()
			return failure(fmt.Errorf("recording uses: %w", err))
		}
		r, err := f.store.Get(ctx, f.id)
		if err != nil {
			f.close()
			return failure(err)
		}
		seq := int64(1 << 40) // far above the store's own numbering
		at := f.clock.now().UnixMilli()
		plain, err := rate(d, func() error {
			seq++
			_, err := f.db.ExecContext(ctx, benchPlainInsert, f.id, seq, at, "2026-05", r.Consumer, r.Provider, 1, 4096, 10)
			return err
		})
		f.close()
		if err != nil {
			return failure(fmt.Errorf("plain inserts: %w", err))
		}
		fmt.Fprintf(w, "%-8s %16.0f %16.0f %7.1fx\n", sync, checked, plain, plain/checked)
	}

	fmt.Fprintf(w, "\ninvoicing one agreement's month of %d usage records\n", records)
	f, err := newBenchFixture(ctx, filepath.Join(dir, "invoice.db"), "NORMAL")
	if err != nil {
		return failure(fmt.Errorf("setting up: %w", err))
	}
	defer f.close()
	r, err := f.store.Get(ctx, f.id)
	if err != nil {
		return failure(err)
	}
	start := time.Now()
	if err := seedUsage(ctx, f.db, r, records); err != nil {
		return failure(fmt.Errorf("seeding: %w", err))
	}
	fmt.Fprintf(w, "%-40s %10.2f s (bulk SQL, not through the store)\n", "seeding", time.Since(start).Seconds())
	f.clock.set(benchMonthStart.AddDate(0, 1, 1))
	start = time.Now()
	var n, c, b, rows int64
	if err := f.db.QueryRowContext(ctx, `SELECT COUNT(*), SUM(q_count), SUM(q_bytes), SUM(q_rows) FROM contract_usage WHERE period = $1`,
		"2026-05").Scan(&n, &c, &b, &rows); err != nil {
		return failure(err)
	}
	base := time.Since(start)
	start = time.Now()
	invs, err := f.store.Invoices(ctx, "2026-05")
	if err != nil {
		return failure(err)
	}
	inv := time.Since(start)
	if len(invs) != 1 || invs[0].Usage.Records != n {
		return failure(fmt.Errorf("invoiced %d agreements, %d records; %d records in the month", len(invs), invs[0].Usage.Records, n))
	}
	start = time.Now()
	st, err := f.store.Settle(ctx, "2026-05")
	if err != nil {
		return failure(err)
	}
	settle := time.Since(start)
	fmt.Fprintf(w, "%-40s %10.3f s\n", "baseline: SUM over the month's rows", base.Seconds())
	fmt.Fprintf(w, "%-40s %10.3f s  %.2fx the baseline\n", "invoice (aggregate, price, store final)", inv.Seconds(), inv.Seconds()/base.Seconds())
	fmt.Fprintf(w, "%-40s %10.3f s  (the invoices carry each provider's contribution: no usage record is read again)\n", "settlement (fee, split by rows)", settle.Seconds())
	fmt.Fprintf(w, "invoice total %s for %d uses, %d rows; %d statements\n", money(invs[0].Total), c, rows, len(st.Statements))
	return nil
}

// seedUsage inserts n usage records of May 2026 for the agreement in bulk,
// a fifth of them credited to the co-provider.
func seedUsage(ctx context.Context, db *sql.DB, r *contract.Record, n int) error {
	const batch = 50_000
	for done := 0; done < n; {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, benchPlainInsert)
		if err != nil {
			tx.Rollback()
			return err
		}
		for i := 0; i < batch && done < n; i++ {
			done++
			at := benchMonthStart.Add(time.Duration(done%(30*24*3600)) * time.Second).UnixMilli()
			provider := r.Provider
			if done%5 == 0 {
				provider = "did:web:co-provider.example.cn"
			}
			if _, err := stmt.ExecContext(ctx, r.ID, int64(done), at, "2026-05", r.Consumer, provider, 1, 2048+int64(done%4096), 1+int64(done%50)); err != nil {
				tx.Rollback()
				return err
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
