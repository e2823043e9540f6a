package contract

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/jws"
	"github.com/xborder/xborder/internal/statedb/migrate"
)

// The schema is portable SQL that SQLite (modernc.org/sqlite) and
// PostgreSQL both accept unchanged: TEXT and BIGINT columns only, no
// auto-increment (usage records are numbered by the agreement's own use
// counter), $n placeholders, INSERT … ON CONFLICT, times as Unix
// milliseconds and calendar periods as 'YYYY-MM' text. Every table is
// prefixed contract_ because the database is shared with other components.
//
// migrations[i] brings the schema from version i to i+1. Never edit a
// released migration; append a new one.
var migrations = [][]string{
	{ // 1: the initial schema
		`CREATE TABLE contract_agreements (
			id               TEXT PRIMARY KEY,
			offer_id         TEXT NOT NULL,
			offer_digest     TEXT NOT NULL,
			template         TEXT NOT NULL,
			target           TEXT NOT NULL,
			provider         TEXT NOT NULL,
			consumer         TEXT NOT NULL,
			state            TEXT NOT NULL CHECK (state IN ('pending', 'active', 'suspended', 'terminated')),
			issued_at        BIGINT NOT NULL,
			activated_at     BIGINT,
			ended_at         BIGINT,
			period_from      BIGINT,
			period_until     BIGINT,
			currency         TEXT NOT NULL,
			agreement        TEXT NOT NULL,
			provider_jws     TEXT NOT NULL,
			consumer_jws     TEXT,
			uses             BIGINT NOT NULL CHECK (uses >= 0),
			invoiced_through TEXT NOT NULL,
			updated_at       BIGINT NOT NULL
		)`,
		`CREATE INDEX contract_agreements_by_target ON contract_agreements (target)`,
		`CREATE TABLE contract_limits (
			agreement_id TEXT NOT NULL REFERENCES contract_agreements (id),
			metric       TEXT NOT NULL,
			win          TEXT NOT NULL,
			max_value    BIGINT NOT NULL CHECK (max_value >= 0),
			PRIMARY KEY (agreement_id, metric, win)
		)`,
		`CREATE TABLE contract_counters (
			agreement_id TEXT NOT NULL REFERENCES contract_agreements (id),
			metric       TEXT NOT NULL,
			win          TEXT NOT NULL,
			win_key      TEXT NOT NULL,
			used         BIGINT NOT NULL CHECK (used >= 0),
			PRIMARY KEY (agreement_id, metric, win, win_key)
		)`,
		`CREATE TABLE contract_usage (
			agreement_id TEXT NOT NULL REFERENCES contract_agreements (id),
			seq          BIGINT NOT NULL,
			used_at      BIGINT NOT NULL,
			period       TEXT NOT NULL,
			actor        TEXT NOT NULL,
			action       TEXT NOT NULL,
			provider     TEXT NOT NULL,
			q_count      BIGINT NOT NULL CHECK (q_count >= 0),
			q_bytes      BIGINT NOT NULL CHECK (q_bytes >= 0),
			q_rows       BIGINT NOT NULL CHECK (q_rows >= 0),
			q_tasks      BIGINT NOT NULL CHECK (q_tasks >= 0),
			ref          TEXT NOT NULL,
			PRIMARY KEY (agreement_id, seq)
		)`,
		// Invoicing reads a month per agreement and provider in index order.
		`CREATE INDEX contract_usage_by_period ON contract_usage (period, agreement_id, provider)`,
		`CREATE TABLE contract_events (
			agreement_id TEXT NOT NULL,
			n            BIGINT NOT NULL,
			at           BIGINT NOT NULL,
			kind         TEXT NOT NULL,
			actor        TEXT NOT NULL,
			code         TEXT NOT NULL,
			detail       TEXT NOT NULL,
			evidence     TEXT NOT NULL,
			PRIMARY KEY (agreement_id, n)
		)`,
		`CREATE TABLE contract_approvals (
			provider    TEXT NOT NULL,
			route       TEXT NOT NULL,
			ref         TEXT NOT NULL,
			issued      TEXT NOT NULL,
			expires     TEXT NOT NULL,
			recorded_at BIGINT NOT NULL,
			PRIMARY KEY (provider, route, ref)
		)`,
		`CREATE TABLE contract_reviews (
			offer_digest TEXT NOT NULL,
			reviewed_at  BIGINT NOT NULL,
			passed       BIGINT NOT NULL CHECK (passed IN (0, 1)),
			review       TEXT NOT NULL,
			PRIMARY KEY (offer_digest, reviewed_at)
		)`,
		`CREATE TABLE contract_invoices (
			id           TEXT PRIMARY KEY,
			agreement_id TEXT NOT NULL REFERENCES contract_agreements (id),
			period       TEXT NOT NULL,
			currency     TEXT NOT NULL,
			subtotal     BIGINT NOT NULL,
			tax          BIGINT NOT NULL,
			total        BIGINT NOT NULL,
			invoice      TEXT NOT NULL,
			issued_at    BIGINT NOT NULL,
			UNIQUE (agreement_id, period)
		)`,
		`CREATE TABLE contract_settlements (
			period     TEXT PRIMARY KEY,
			settlement TEXT NOT NULL,
			settled_at BIGINT NOT NULL
		)`,
		`CREATE TABLE contract_actions (
			digest       TEXT PRIMARY KEY,
			agreement_id TEXT NOT NULL,
			at           BIGINT NOT NULL
		)`,
	},
}

// SchemaVersion is the schema version this release writes.
func SchemaVersion() int { return len(migrations) }

// Migrate brings the contract tables of db to SchemaVersion, each
// migration in one transaction. Concurrent migrators serialise on the
// schema row; a database from a newer release is refused.
func Migrate(ctx context.Context, db *sql.DB) error {
	return migrate.Apply(ctx, db, "contract", migrations, nil)
}

// Store keeps agreements and their enforcement, metering and billing
// state. It is safe for concurrent use; with SQLite, give it a *sql.DB
// whose DSN sets busy_timeout (and preferably _txlock=immediate).
type Store struct {
	db      *sql.DB
	resolve jws.Resolver
	alert   Alerter
	tax     Taxer
	now     func() time.Time
	log     *slog.Logger

	// cache holds the parsed terms of agreements by id. Signed agreements
	// never change, so entries never go stale.
	cache sync.Map // id → *terms
	// stmts are the prepared statements of RecordUse.
	stmts struct{ use, counter, insert, approval *sql.Stmt }
}

// StoreOptions configures OpenStore. Zero values take the defaults.
type StoreOptions struct {
	// Resolve finds the keys of the signers of agreements and of
	// authorised actions (suspend, resume, terminate); without it those
	// are refused.
	Resolve jws.Resolver
	// Alerter is told of every breach; nil logs them only.
	Alerter Alerter
	// Tax computes taxes on invoices; nil adds none.
	Tax Taxer
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives operational messages (never personal data); the
	// default discards them.
	Logger *slog.Logger
}

// OpenStore migrates the contract tables of db and returns the store.
// The caller owns db and closes it.
func OpenStore(ctx context.Context, db *sql.DB, opts StoreOptions) (*Store, error) {
	if db == nil {
		return nil, errors.New("contract store: no database")
	}
	if err := Migrate(ctx, db); err != nil {
		return nil, err
	}
	s := &Store{db: db, resolve: opts.Resolve, alert: opts.Alerter, tax: opts.Tax, now: opts.Now, log: opts.Logger}
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{{&s.stmts.use, sqlUseAgreement}, {&s.stmts.counter, sqlUseCounter}, {&s.stmts.insert, sqlUseInsert}, {&s.stmts.approval, sqlUseApproval}} {
		st, err := db.PrepareContext(ctx, p.q)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("contract store: preparing statements: %w", err)
		}
		*p.dst = st
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Close releases the store's prepared statements. It does not close the
// database, which belongs to the caller.
func (s *Store) Close() error {
	var first error
	for _, st := range []*sql.Stmt{s.stmts.use, s.stmts.counter, s.stmts.insert, s.stmts.approval} {
		if st != nil {
			if err := st.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// Errors of the store.
var (
	ErrNotFound = errors.New("no such agreement")
	ErrExists   = errors.New("the agreement is already stored")
	// ErrState: the agreement's state does not allow the operation.
	ErrState = errors.New("not allowed in the agreement's state")
)

// InputError is bad input to the store (a usage record, an action, an
// approval): nothing was changed.
type InputError struct {
	Field string
	Msg   string
}

func (e *InputError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}
