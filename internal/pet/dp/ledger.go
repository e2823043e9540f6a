package dp

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/xborder/xborder/internal/statedb/migrate"
)

// The schema is portable SQL that SQLite (modernc.org/sqlite) and
// PostgreSQL both accept unchanged: TEXT and BIGINT columns, $n
// placeholders, INSERT … ON CONFLICT, UPDATE … RETURNING, times as Unix
// milliseconds. Amounts are [Rho] units. Tables are prefixed dp_ because
// the database is shared with other components.
//
// migrations[i] brings the schema from version i to i+1. Never edit a
// released migration; append a new one.
var migrations = [][]string{
	{ // 1: the initial schema
		// One row per dataset: its total budget, what all agreements
		// have spent of it, and the number of spends (which numbers them).
		`CREATE TABLE dp_datasets (
			dataset TEXT PRIMARY KEY,
			total   BIGINT NOT NULL CHECK (total >= 0),
			spent   BIGINT NOT NULL CHECK (spent >= 0),
			spends  BIGINT NOT NULL
		)`,
		// One row per agreement on a dataset: its share of the budget.
		`CREATE TABLE dp_agreements (
			dataset   TEXT NOT NULL,
			agreement TEXT NOT NULL,
			total     BIGINT NOT NULL CHECK (total >= 0),
			spent     BIGINT NOT NULL CHECK (spent >= 0),
			PRIMARY KEY (dataset, agreement)
		)`,
		`CREATE TABLE dp_spends (
			dataset   TEXT NOT NULL,
			seq       BIGINT NOT NULL,
			agreement TEXT NOT NULL,
			rho       BIGINT NOT NULL,
			purpose   TEXT NOT NULL,
			at_ms     BIGINT NOT NULL,
			PRIMARY KEY (dataset, seq)
		)`,
		`CREATE INDEX dp_spends_agreement ON dp_spends (dataset, agreement, seq)`,
	},
}

// SchemaVersion is the schema version this release writes.
func SchemaVersion() int { return len(migrations) }

// Migrate brings the dp tables of db to SchemaVersion, each migration in
// one transaction; concurrent migrators serialise on the schema row, and a
// database from a newer release is refused.
func Migrate(ctx context.Context, db *sql.DB) error {
	return migrate.Apply(ctx, db, "dp", migrations, nil)
}

// ErrBudgetExhausted is returned (wrapped in a *BudgetError) by
// [Ledger.Spend] when the spend would take the dataset's or the
// agreement's spent budget above its total. Nothing is debited.
var ErrBudgetExhausted = errors.New("dp: privacy budget exhausted")

// BudgetError says which budget a refused spend would have exceeded. It
// wraps ErrBudgetExhausted.
type BudgetError struct {
	Dataset   string
	Agreement string // empty when the dataset's own budget refused
	Rho       Rho    // the refused cost
	Balance   Balance
}

func (e *BudgetError) Error() string {
	who := "dataset " + e.Dataset
	if e.Agreement != "" {
		who = "agreement " + e.Agreement + " on " + who
	}
	return fmt.Sprintf("dp: privacy budget exhausted: %s has %s of ρ left, the query costs %s", who, e.Balance.Left(), e.Rho)
}

func (e *BudgetError) Unwrap() error { return ErrBudgetExhausted }

// Balance is a budget and what has been spent of it.
type Balance struct {
	Total, Spent Rho
}

// Left is what remains of the budget.
func (b Balance) Left() Rho { return b.Total - b.Spent }

// Receipt records one spend.
type Receipt struct {
	Dataset   string
	Agreement string
	Seq       int64 // numbers the spends of a dataset from 1
	Rho       Rho
	Purpose   string
	At        time.Time
	// The balances right after the spend.
	DatasetBalance, AgreementBalance Balance
}

// LedgerOptions configures OpenLedger. Zero values take the defaults.
type LedgerOptions struct {
	// DatasetBudget is the total of a dataset seen for the first time;
	// DefaultBudget when zero.
	DatasetBudget Rho
	// AgreementBudget is the share of a dataset's budget that an
	// agreement seen for the first time may spend; the dataset's whole
	// budget when zero (agreements are then limited by the dataset only).
	AgreementBudget Rho
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Ledger keeps privacy budgets per dataset and per agreement on a
// dataset. A spend debits both at once, and only if neither would exceed
// its total. It is safe for concurrent use, also by several processes on
// one database; with SQLite, give it a *sql.DB whose DSN sets busy_timeout
// and _txlock=immediate.
type Ledger struct {
	db   *sql.DB
	opts LedgerOptions
}

// OpenLedger migrates the dp tables of db and returns the ledger. The
// caller owns db and closes it.
func OpenLedger(ctx context.Context, db *sql.DB, opts LedgerOptions) (*Ledger, error) {
	if db == nil {
		return nil, errors.New("dp ledger: no database")
	}
	if opts.DatasetBudget < 0 || opts.AgreementBudget < 0 {
		return nil, errors.New("dp ledger: negative budget")
	}
	if opts.DatasetBudget == 0 {
		opts.DatasetBudget = DefaultBudget
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := Migrate(ctx, db); err != nil {
		return nil, err
	}
	return &Ledger{db: db, opts: opts}, nil
}

// SetDatasetBudget sets the total budget of a dataset. A total below what
// is spent already refuses every further spend.
func (l *Ledger) SetDatasetBudget(ctx context.Context, dataset string, total Rho) error {
	if dataset == "" || total < 0 {
		return errors.New("dp ledger: a dataset and a non-negative total are required")
	}
	_, err := l.db.ExecContext(ctx, `INSERT INTO dp_datasets (dataset, total, spent, spends) VALUES ($1, $2, 0, 0)
		ON CONFLICT (dataset) DO UPDATE SET total = $2`, dataset, int64(total))
	if err != nil {
		return fmt.Errorf("dp ledger: setting the budget of %s: %w", dataset, err)
	}
	return nil
}

// SetAgreementBudget sets the share of a dataset's budget that an
// agreement may spend.
func (l *Ledger) SetAgreementBudget(ctx context.Context, dataset, agreement string, total Rho) error {
	if dataset == "" || agreement == "" || total < 0 {
		return errors.New("dp ledger: a dataset, an agreement and a non-negative total are required")
	}
	_, err := l.db.ExecContext(ctx, `INSERT INTO dp_agreements (dataset, agreement, total, spent) VALUES ($1, $2, $3, 0)
		ON CONFLICT (dataset, agreement) DO UPDATE SET total = $3`, dataset, agreement, int64(total))
	if err != nil {
		return fmt.Errorf("dp ledger: setting the budget of %s on %s: %w", agreement, dataset, err)
	}
	return nil
}

// Spend debits rho from the budget of the dataset and from that of the
// agreement on it, and records the purpose, all in one transaction. The
// debits are conditional UPDATEs (spent + ρ ≤ total), so concurrent spends
// never take a budget past its total. A spend that would is refused with
// a *BudgetError wrapping ErrBudgetExhausted; nothing is recorded.
// Spend before running the query, and release the result only if Spend
// succeeded.
func (l *Ledger) Spend(ctx context.Context, dataset, agreement string, rho Rho, purpose string) (Receipt, error) {
	if dataset == "" || agreement == "" {
		return Receipt{}, errors.New("dp ledger: a spend needs a dataset and an agreement")
	}
	if rho <= 0 || rho > 1<<62 { // spent + ρ must not overflow BIGINT
		return Receipt{}, errors.New("dp ledger: a spend must be positive and at most 2⁶² units")
	}
	at := l.opts.Now()
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return Receipt{}, fmt.Errorf("dp ledger: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO dp_datasets (dataset, total, spent, spends) VALUES ($1, $2, 0, 0)
		ON CONFLICT (dataset) DO NOTHING`, dataset, int64(l.opts.DatasetBudget)); err != nil {
		return Receipt{}, fmt.Errorf("dp ledger: %w", err)
	}
	share := l.opts.AgreementBudget
	if share == 0 {
		share = l.opts.DatasetBudget
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO dp_agreements (dataset, agreement, total, spent) VALUES ($1, $2, $3, 0)
		ON CONFLICT (dataset, agreement) DO NOTHING`, dataset, agreement, int64(share)); err != nil {
		return Receipt{}, fmt.Errorf("dp ledger: %w", err)
	}
	r := Receipt{Dataset: dataset, Agreement: agreement, Rho: rho, Purpose: purpose, At: at}
	err = tx.QueryRowContext(ctx, `UPDATE dp_datasets SET spent = spent + $1, spends = spends + 1
		WHERE dataset = $2 AND spent + $1 <= total RETURNING total, spent, spends`, int64(rho), dataset).
		Scan(&r.DatasetBalance.Total, &r.DatasetBalance.Spent, &r.Seq)
	if errors.Is(err, sql.ErrNoRows) {
		b, err := balance(ctx, tx, dataset, "")
		if err != nil {
			return Receipt{}, err
		}
		return Receipt{}, &BudgetError{Dataset: dataset, Rho: rho, Balance: b}
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("dp ledger: debiting %s: %w", dataset, err)
	}
	err = tx.QueryRowContext(ctx, `UPDATE dp_agreements SET spent = spent + $1
		WHERE dataset = $2 AND agreement = $3 AND spent + $1 <= total RETURNING total, spent`, int64(rho), dataset, agreement).
		Scan(&r.AgreementBalance.Total, &r.AgreementBalance.Spent)
	if errors.Is(err, sql.ErrNoRows) {
		b, err := balance(ctx, tx, dataset, agreement)
		if err != nil {
			return Receipt{}, err
		}
		return Receipt{}, &BudgetError{Dataset: dataset, Agreement: agreement, Rho: rho, Balance: b}
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("dp ledger: debiting %s on %s: %w", agreement, dataset, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO dp_spends (dataset, seq, agreement, rho, purpose, at_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
		dataset, r.Seq, agreement, int64(rho), purpose, at.UnixMilli()); err != nil {
		return Receipt{}, fmt.Errorf("dp ledger: recording the spend: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Receipt{}, fmt.Errorf("dp ledger: %w", err)
	}
	r.At = time.UnixMilli(at.UnixMilli())
	return r, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// balance reads the budget of a dataset (agreement empty) or of an
// agreement on it. A budget never used has its default total.
func balance(ctx context.Context, q querier, dataset, agreement string) (Balance, error) {
	var b Balance
	var err error
	if agreement == "" {
		err = q.QueryRowContext(ctx, `SELECT total, spent FROM dp_datasets WHERE dataset = $1`, dataset).Scan(&b.Total, &b.Spent)
	} else {
		err = q.QueryRowContext(ctx, `SELECT total, spent FROM dp_agreements WHERE dataset = $1 AND agreement = $2`, dataset, agreement).Scan(&b.Total, &b.Spent)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return Balance{}, sql.ErrNoRows
	}
	if err != nil {
		return Balance{}, fmt.Errorf("dp ledger: reading a balance: %w", err)
	}
	return b, nil
}

// Balance returns the budget of a dataset, or with a non-empty agreement
// that of the agreement on the dataset. A budget never used or set has
// its default total.
func (l *Ledger) Balance(ctx context.Context, dataset, agreement string) (Balance, error) {
	b, err := balance(ctx, l.db, dataset, agreement)
	if errors.Is(err, sql.ErrNoRows) {
		b = Balance{Total: l.opts.DatasetBudget}
		if agreement != "" && l.opts.AgreementBudget != 0 {
			b.Total = l.opts.AgreementBudget
		}
		return b, nil
	}
	return b, err
}

// History returns the spends of a dataset in order, only those of one
// agreement when agreement is not empty. Receipts in the history carry no
// balances.
func (l *Ledger) History(ctx context.Context, dataset, agreement string) ([]Receipt, error) {
	q := `SELECT seq, agreement, rho, purpose, at_ms FROM dp_spends WHERE dataset = $1 ORDER BY seq`
	args := []any{dataset}
	if agreement != "" {
		q = `SELECT seq, agreement, rho, purpose, at_ms FROM dp_spends WHERE dataset = $1 AND agreement = $2 ORDER BY seq`
		args = append(args, agreement)
	}
	rows, err := l.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("dp ledger: reading the history of %s: %w", dataset, err)
	}
	defer rows.Close()
	var out []Receipt
	for rows.Next() {
		r := Receipt{Dataset: dataset}
		var ms int64
		if err := rows.Scan(&r.Seq, &r.Agreement, &r.Rho, &r.Purpose, &ms); err != nil {
			return nil, fmt.Errorf("dp ledger: reading the history of %s: %w", dataset, err)
		}
		r.At = time.UnixMilli(ms)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("dp ledger: reading the history of %s: %w", dataset, err)
	}
	return out, nil
}
