package catalog

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/xborder/xborder/internal/statedb/pgtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testNow is the clock of every test.
var testNow = time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// openTestDB opens a fresh SQLite database the way the command line does
// (or a fresh PostgreSQL schema, see openDBAt).
func openTestDB(t testing.TB) *sql.DB {
	t.Helper()
	return openDBAt(t, filepath.Join(t.TempDir(), "xborder.db"))
}

// openDBAt opens the SQLite database at path; with XBORDER_TEST_POSTGRES
// set, the PostgreSQL schema standing for path instead (see pgtest).
func openDBAt(t testing.TB, path string) *sql.DB {
	t.Helper()
	if pgtest.Enabled() {
		return pgtest.Open(t, pgtest.At(t, path))
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func newTestCatalog(t testing.TB, db *sql.DB, cfg Config) *Catalog {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = fixedNow
	}
	c, err := Open(context.Background(), db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readEntry(t testing.TB, path string) *Entry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	e, err := DecodeEntry(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return e
}

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update after checking the change):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func indentJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// roleChecker grants access when the requester's role claim is one the
// policy's "roles" member lists: the test's own tiny policy language.
type roleChecker struct{ calls int }

func (c *roleChecker) CheckAccess(_ context.Context, r Requester, policy json.RawMessage) (bool, error) {
	c.calls++
	var p struct {
		Roles []string `json:"xbc:roles"`
	}
	if err := json.Unmarshal(policy, &p); err != nil {
		return false, err
	}
	role, _ := r.Claims["role"].(string)
	for _, x := range p.Roles {
		if x == role {
			return true, nil
		}
	}
	return false, nil
}

// mustRegister registers entries or fails the test.
func mustRegister(t testing.TB, c *Catalog, es ...*Entry) {
	t.Helper()
	if _, err := c.RegisterBatch(context.Background(), es, RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
}

// entry builds a minimal valid entry for tests.
func entry(id, zh, en, level string) *Entry {
	return &Entry{
		Identifier: id,
		Title:      LangMap{"zh": zh, "en": en},
		Governance: Governance{Owner: "did:web:owner.example", ClassificationLevel: level},
	}
}
