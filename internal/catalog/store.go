package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The schema is portable SQL that runs unchanged on SQLite (modernc.org/sqlite)
// and PostgreSQL: TEXT, INTEGER and BIGINT columns, times as RFC 3339 text in
// UTC, JSON as TEXT, $n placeholders, ON CONFLICT upserts and UPDATE …
// RETURNING (SQLite 3.35+, PostgreSQL 8.2+). Every table is prefixed
// catalog_. Migrations are numbered; catalog_schema_version records each one
// applied, in the same transaction as the migration.

// migration is one schema step.
type migration struct {
	version    int
	statements []string
}

// migrations returns the schema steps in order. Never edit a released step:
// add a new one.
func migrations() []migration {
	return []migration{{
		version: 1,
		statements: []string{
			`CREATE TABLE catalog_datasets (
				id            TEXT    NOT NULL PRIMARY KEY,
				sovereignty   TEXT    NOT NULL,
				space         TEXT    NOT NULL,
				level         TEXT    NOT NULL,
				owner         TEXT    NOT NULL,
				status        TEXT    NOT NULL,
				revision      BIGINT  NOT NULL,
				seq           BIGINT  NOT NULL,
				registered_at TEXT    NOT NULL,
				updated_at    TEXT    NOT NULL,
				entry         TEXT    NOT NULL
			)`,
			`CREATE INDEX catalog_datasets_seq ON catalog_datasets (seq)`,
			`CREATE INDEX catalog_datasets_sovereignty ON catalog_datasets (sovereignty, space)`,
			`CREATE TABLE catalog_counters (
				name  TEXT   NOT NULL PRIMARY KEY,
				value BIGINT NOT NULL
			)`,
			`INSERT INTO catalog_counters (name, value) VALUES ('seq', 0)`,
			`CREATE TABLE catalog_info (
				name  TEXT NOT NULL PRIMARY KEY,
				value TEXT NOT NULL
			)`,
			`CREATE TABLE catalog_resolutions (
				id         TEXT NOT NULL PRIMARY KEY,
				at         TEXT NOT NULL,
				requester  TEXT NOT NULL,
				identifier TEXT NOT NULL,
				outcome    TEXT NOT NULL,
				resolver   TEXT NOT NULL,
				reason     TEXT NOT NULL
			)`,
			`CREATE INDEX catalog_resolutions_at ON catalog_resolutions (at)`,
			`CREATE INDEX catalog_resolutions_identifier ON catalog_resolutions (identifier, at)`,
		},
	}}
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int {
	m := migrations()
	return m[len(m)-1].version
}

// migrate brings the database to SchemaVersion, one transaction per step.
func migrate(ctx context.Context, db *sql.DB) error {
	// On PostgreSQL, concurrent CREATE TABLE IF NOT EXISTS fail in all
	// but one migrator (on the catalog's unique type names), once the
	// winner commits: again, they find the table.
	var err error
	for range 3 {
		if _, err = db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS catalog_schema_version (
			version    INTEGER NOT NULL PRIMARY KEY,
			applied_at TEXT    NOT NULL
		)`); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("creating catalog_schema_version: %w", err)
	}
	for _, m := range migrations() {
		if err := applyMigration(ctx, db, m); err != nil {
			return err
		}
	}
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(version) FROM catalog_schema_version`).Scan(&v); err != nil {
		return fmt.Errorf("reading the catalog schema version: %w", err)
	}
	if int(v.Int64) > SchemaVersion() {
		return fmt.Errorf("the catalog schema is at version %d, newer than this xborder knows (%d): upgrade xborder", v.Int64, SchemaVersion())
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrating the catalog to version %d: %w", m.version, err)
	}
	defer tx.Rollback()
	// The version's row first: a concurrent migrator's insert waits for
	// this transaction and then finds the step applied (PostgreSQL; on
	// SQLite the write lock taken at BEGIN serialises migrators anyway).
	res, err := tx.ExecContext(ctx, `INSERT INTO catalog_schema_version (version, applied_at) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING`,
		m.version, time.Now().UTC().Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("migrating the catalog to version %d: %w", m.version, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("migrating the catalog to version %d: %w", m.version, err)
	} else if n == 0 {
		return nil // applied already
	}
	for _, s := range m.statements {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("migrating the catalog to version %d: %w", m.version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrating the catalog to version %d: %w", m.version, err)
	}
	return nil
}

// Dataset statuses.
const (
	statusActive    = "active"
	statusWithdrawn = "withdrawn"
)

// row is one catalog_datasets row.
type row struct {
	id           string
	status       string
	revision     int64
	seq          int64
	registeredAt string
	updatedAt    string
	entry        string
}

const rowColumns = `id, status, revision, seq, registered_at, updated_at, entry`

func scanRow(s interface{ Scan(...any) error }) (row, error) {
	var r row
	err := s.Scan(&r.id, &r.status, &r.revision, &r.seq, &r.registeredAt, &r.updatedAt, &r.entry)
	return r, err
}

// rowsSince calls f for every dataset row with seq > after, in seq order.
func rowsSince(ctx context.Context, db *sql.DB, after int64, f func(row) error) error {
	rs, err := db.QueryContext(ctx, `SELECT `+rowColumns+` FROM catalog_datasets WHERE seq > $1 ORDER BY seq`, after)
	if err != nil {
		return fmt.Errorf("reading the catalog: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		r, err := scanRow(rs)
		if err != nil {
			return fmt.Errorf("reading the catalog: %w", err)
		}
		if err := f(r); err != nil {
			return err
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("reading the catalog: %w", err)
	}
	return nil
}

// readRow reads one dataset row; sql.ErrNoRows when absent.
func readRow(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id string) (row, error) {
	return scanRow(q.QueryRowContext(ctx, `SELECT `+rowColumns+` FROM catalog_datasets WHERE id = $1`, id))
}

// nextSeq increments and returns the change counter inside tx. The row lock
// it takes orders concurrent writers, so seq order is commit order.
func nextSeq(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int64, error) {
	var v int64
	if err := q.QueryRowContext(ctx, nextSeqSQL).Scan(&v); err != nil {
		return 0, fmt.Errorf("advancing the change counter: %w", err)
	}
	return v, nil
}

const nextSeqSQL = `UPDATE catalog_counters SET value = value + 1 WHERE name = 'seq' RETURNING value`

func (w *writeStmts) nextSeq(ctx context.Context) (int64, error) {
	var v int64
	if err := w.seq.QueryRowContext(ctx).Scan(&v); err != nil {
		return 0, fmt.Errorf("advancing the change counter: %w", err)
	}
	return v, nil
}

// currentSeq returns the last change number committed.
func currentSeq(ctx context.Context, db *sql.DB) (int64, error) {
	var v int64
	if err := db.QueryRowContext(ctx, `SELECT value FROM catalog_counters WHERE name = 'seq'`).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading the change counter: %w", err)
	}
	return v, nil
}

// writeStmts are the statements of a registration, prepared once per
// transaction.
type writeStmts struct {
	read, seq, upsert *sql.Stmt
}

func prepareWrites(ctx context.Context, tx *sql.Tx) (*writeStmts, error) {
	var w writeStmts
	var err error
	if w.read, err = tx.PrepareContext(ctx, `SELECT `+rowColumns+` FROM catalog_datasets WHERE id = $1`); err != nil {
		return nil, fmt.Errorf("preparing: %w", err)
	}
	if w.seq, err = tx.PrepareContext(ctx, nextSeqSQL); err != nil {
		return nil, fmt.Errorf("preparing: %w", err)
	}
	if w.upsert, err = tx.PrepareContext(ctx, upsertSQL); err != nil {
		return nil, fmt.Errorf("preparing: %w", err)
	}
	return &w, nil
}

func (w *writeStmts) close() {
	w.read.Close()
	w.seq.Close()
	w.upsert.Close()
}

const upsertSQL = `INSERT INTO catalog_datasets
		(id, sovereignty, space, level, owner, status, revision, seq, registered_at, updated_at, entry)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (id) DO UPDATE SET
			level = excluded.level, owner = excluded.owner, status = excluded.status,
			revision = excluded.revision, seq = excluded.seq, updated_at = excluded.updated_at,
			entry = excluded.entry`

func (w *writeStmts) upsertRow(ctx context.Context, r row, sov, space, level, owner string) error {
	_, err := w.upsert.ExecContext(ctx, r.id, sov, space, level, owner, r.status, r.revision, r.seq, r.registeredAt, r.updatedAt, r.entry)
	if err != nil {
		return fmt.Errorf("writing %s: %w", r.id, err)
	}
	return nil
}

func setStatus(ctx context.Context, tx *sql.Tx, id, status string, seq int64, at string) error {
	res, err := tx.ExecContext(ctx, `UPDATE catalog_datasets SET status = $1, seq = $2, updated_at = $3, revision = revision + 1 WHERE id = $4`,
		status, seq, at, id)
	if err != nil {
		return fmt.Errorf("withdrawing %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Info keys.
const (
	infoKey = "catalog"
)

func readInfo(ctx context.Context, db *sql.DB) (string, error) {
	var v string
	err := db.QueryRowContext(ctx, `SELECT value FROM catalog_info WHERE name = $1`, infoKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the catalog description: %w", err)
	}
	return v, nil
}

func writeInfo(ctx context.Context, db *sql.DB, v string) error {
	_, err := db.ExecContext(ctx, `INSERT INTO catalog_info (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, infoKey, v)
	if err != nil {
		return fmt.Errorf("writing the catalog description: %w", err)
	}
	return nil
}

// itoa is strconv.Itoa for int64.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
