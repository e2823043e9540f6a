// Package pgtest runs tests on PostgreSQL: with XBORDER_TEST_POSTGRES set
// to a server's URL (a superuser's, e.g. the throwaway cluster of
// .ci/with-postgres), each test gets schemas of its own, created empty and
// dropped when it ends, so that runs are independent. The stores' test
// helpers open their databases here instead of in a SQLite file when
// Enabled, which runs their whole suites on PostgreSQL.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/statedb"
)

// Env names the environment variable holding the server's URL.
const Env = "XBORDER_TEST_POSTGRES"

// Enabled reports whether the tests run on PostgreSQL.
func Enabled() bool { return os.Getenv(Env) != "" }

// server returns the server's URL, skipping t without one.
func server(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(Env)
	if dsn == "" {
		t.Skip("set " + Env + " to a PostgreSQL URL (or run under .ci/with-postgres) to run this test")
	}
	return dsn
}

// Schema creates an empty schema and returns a URL whose sessions use it
// (search_path). The schema is dropped when t ends. Without
// XBORDER_TEST_POSTGRES, t is skipped.
func Schema(t testing.TB) string {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	return schema(t, "xbt_"+hex.EncodeToString(b[:]), false)
}

// At returns the URL of the schema of key, creating it on first use: the
// same key (a test's database file path) gives the same schema, so a test
// that closes and reopens its database finds its data again. The schema
// is dropped when the test that created it ends.
func At(t testing.TB, key string) string {
	t.Helper()
	h := sha256.Sum256([]byte(key))
	return schema(t, "xbt_"+hex.EncodeToString(h[:10]), true)
}

// adminPool is the connection pool that creates and drops schemas, one
// for the test process: a new connection costs tens of milliseconds on a
// loaded machine, and a suite makes hundreds of schemas.
var adminPool struct {
	once sync.Once
	db   *sql.DB
	err  error
}

func admin(base string) (*sql.DB, error) {
	adminPool.once.Do(func() {
		adminPool.db, adminPool.err = statedb.OpenPostgres(context.Background(), base)
		if adminPool.err == nil {
			adminPool.db.SetMaxIdleConns(2)
			adminPool.db.SetConnMaxIdleTime(0)
		}
	})
	return adminPool.db, adminPool.err
}

func schema(t testing.TB, name string, reuse bool) string {
	t.Helper()
	base := server(t)
	ctx := context.Background()
	admin, err := admin(base)
	if err != nil {
		t.Fatal(err)
	}
	var exists bool
	if err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, name).Scan(&exists); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if !exists || !reuse {
		if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
			t.Fatalf("pgtest: creating schema %s: %v", name, err)
		}
		t.Cleanup(func() { drop(t, admin, name) })
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", Env, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func drop(t testing.TB, admin *sql.DB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A connection left inside a transaction would make the drop wait:
	// fail instead, naming the leak. (SET LOCAL holds for the transaction.)
	tx, err := admin.BeginTx(ctx, nil)
	if err != nil {
		t.Errorf("pgtest: dropping schema %s: %v", name, err)
		return
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = '10s'`); err != nil {
		t.Errorf("pgtest: dropping schema %s: %v", name, err)
		return
	}
	if _, err := tx.ExecContext(ctx, `DROP SCHEMA `+name+` CASCADE`); err != nil {
		t.Errorf("pgtest: dropping schema %s (a connection still in a transaction?): %v", name, err)
		return
	}
	if err := tx.Commit(); err != nil {
		t.Errorf("pgtest: dropping schema %s: %v", name, err)
	}
}

// Open opens dsn with statedb.OpenPostgres and closes it when t ends.
func Open(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := statedb.OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
