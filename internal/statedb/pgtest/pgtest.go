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

func schema(t testing.TB, name string, reuse bool) string {
	t.Helper()
	base := server(t)
	ctx := context.Background()
	admin, err := statedb.OpenPostgres(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var exists bool
	if err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, name).Scan(&exists); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if !exists || !reuse {
		if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
			t.Fatalf("pgtest: creating schema %s: %v", name, err)
		}
		t.Cleanup(func() { drop(t, base, name) })
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

func drop(t testing.TB, base, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := statedb.OpenPostgres(ctx, base)
	if err != nil {
		t.Errorf("pgtest: dropping schema %s: %v", name, err)
		return
	}
	defer admin.Close()
	admin.SetMaxOpenConns(1) // the SET below holds for the DROP
	// A connection left inside a transaction would make the drop wait:
	// fail instead, naming the leak.
	if _, err := admin.ExecContext(ctx, `SET lock_timeout = '10s'`); err != nil {
		t.Errorf("pgtest: %v", err)
	}
	if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+name+` CASCADE`); err != nil {
		t.Errorf("pgtest: dropping schema %s (a connection still in a transaction?): %v", name, err)
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
