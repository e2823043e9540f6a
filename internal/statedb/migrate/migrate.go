// Package migrate brings one component's tables in a state database
// (SQLite or PostgreSQL) to the schema version its release writes: the
// versioned migrations of the component, each applied in one transaction,
// recorded in the component's <name>_schema table. Concurrent migrators
// (replicas starting together) serialise on the schema row; a database
// from a newer release is refused. It imports no database driver.
package migrate

import (
	"context"
	"database/sql"
	"fmt"
)

// Apply applies the migrations of the component name (the prefix of its
// tables, e.g. "dsp") that db does not have yet: migrations[i] holds the
// statements that take version i to i+1. rewrite, when not nil, rewrites
// each statement before it runs (a dialect's spelling).
func Apply(ctx context.Context, db *sql.DB, name string, migrations [][]string, rewrite func(string) string) error {
	// On PostgreSQL, concurrent CREATE TABLE IF NOT EXISTS fail in all but
	// one migrator (on unique type names) once the winner commits; tried
	// again, they find the table.
	var err error
	for range 3 {
		if err = createSchemaTable(ctx, db, name); err == nil {
			break
		}
	}
	if err != nil {
		return err
	}
	for {
		done, err := applyOne(ctx, db, name, migrations, rewrite)
		if err != nil || done {
			return err
		}
	}
}

// createSchemaTable makes the schema table and its row in one transaction,
// so that on SQLite (opened with _txlock=immediate, as xborder opens it)
// concurrent migrators wait for the write lock instead of failing with
// SQLITE_BUSY when one upgrades a read to a write.
func createSchemaTable(ctx context.Context, db *sql.DB, name string) error {
	table := name + "_schema"
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: creating %s: %w", name, table, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (
		id      BIGINT PRIMARY KEY CHECK (id = 1),
		version BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("%s: creating %s: %w", name, table, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`); err != nil {
		return fmt.Errorf("%s: initialising %s: %w", name, table, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: creating %s: %w", name, table, err)
	}
	return nil
}

// applyOne applies the next migration, or reports that none is left.
func applyOne(ctx context.Context, db *sql.DB, name string, migrations [][]string, rewrite func(string) string) (bool, error) {
	table := name + "_schema"
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("%s: migrating: %w", name, err)
	}
	defer tx.Rollback()
	// A write first: it takes the row lock (PostgreSQL) or the write lock
	// (SQLite) before the version is read.
	if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET version = version WHERE id = 1`); err != nil {
		return false, fmt.Errorf("%s: locking %s: %w", name, table, err)
	}
	var v int
	if err := tx.QueryRowContext(ctx, `SELECT version FROM `+table+` WHERE id = 1`).Scan(&v); err != nil {
		return false, fmt.Errorf("%s: reading the schema version: %w", name, err)
	}
	switch {
	case v > len(migrations):
		return false, fmt.Errorf("%s: the %s_ tables are at schema version %d, newer than this release's %d", name, name, v, len(migrations))
	case v == len(migrations):
		return true, nil
	}
	for _, stmt := range migrations[v] {
		if rewrite != nil {
			stmt = rewrite(stmt)
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("%s: schema migration %d: %w", name, v+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET version = $1 WHERE id = 1`, v+1); err != nil {
		return false, fmt.Errorf("%s: schema migration %d: %w", name, v+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("%s: schema migration %d: %w", name, v+1, err)
	}
	return false, nil
}
