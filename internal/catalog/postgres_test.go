package catalog

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"modernc.org/sqlite"
)

// sqlRecorder wraps the SQLite driver and records every SQL text the
// catalog sends, so that the same texts can be checked on PostgreSQL.
type sqlRecorder struct {
	mu    sync.Mutex
	stmts map[string]bool
	inner driver.Driver
}

func (r *sqlRecorder) add(q string) {
	r.mu.Lock()
	r.stmts[q] = true
	r.mu.Unlock()
}

func (r *sqlRecorder) Open(name string) (driver.Conn, error) {
	c, err := r.inner.Open(name)
	if err != nil {
		return nil, err
	}
	return &recordingConn{c.(fullConn), r}, nil
}

type fullConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
	driver.ConnPrepareContext
}

type recordingConn struct {
	fullConn
	r *sqlRecorder
}

func (c *recordingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.r.add(q)
	return c.fullConn.ExecContext(ctx, q, args)
}

func (c *recordingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.r.add(q)
	return c.fullConn.QueryContext(ctx, q, args)
}

func (c *recordingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	c.r.add(q)
	return c.fullConn.PrepareContext(ctx, q)
}

var registerRecording sync.Once
var recordingDriver = &sqlRecorder{stmts: map[string]bool{}, inner: &sqlite.Driver{}}

// TestPostgresSQL runs the catalog's flows on SQLite, recording every SQL
// statement, then has PostgreSQL run the migrations and PREPARE (parse,
// resolve and type-check) every recorded statement. It needs a PostgreSQL
// server and psql: set XBORDER_TEST_PSQL to psql's connection arguments,
// e.g. "-h /tmp/pg -U postgres".
func TestPostgresSQL(t *testing.T) {
	args := os.Getenv("XBORDER_TEST_PSQL")
	if args == "" {
		t.Skip("set XBORDER_TEST_PSQL to psql connection arguments to check the SQL on PostgreSQL")
	}
	registerRecording.Do(func() { sql.Register("sqlite-catalog-recording", recordingDriver) })
	db, err := sql.Open("sqlite-catalog-recording", "file:"+filepath.Join(t.TempDir(), "x.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	runCatalogFlows(t, db)

	schema := fmt.Sprintf("xborder_catalog_test_%d", os.Getpid())
	var script strings.Builder
	fmt.Fprintf(&script, "CREATE SCHEMA %s;\nSET search_path TO %s;\n", schema, schema)
	var stmts []string
	recordingDriver.mu.Lock()
	for q := range recordingDriver.stmts {
		if strings.HasPrefix(strings.TrimSpace(q), "CREATE") {
			script.WriteString(q + ";\n") // the DDL, as SQLite ran it
		} else {
			stmts = append(stmts, q)
		}
	}
	recordingDriver.mu.Unlock()
	for _, m := range migrations() {
		for _, s := range m.statements {
			if !strings.HasPrefix(s, "CREATE") {
				script.WriteString(s + ";\n")
			}
		}
	}
	sort.Strings(stmts)
	for i, q := range stmts {
		fmt.Fprintf(&script, "PREPARE s%d AS %s;\n", i, q)
	}
	// and run a write the way Register does
	script.WriteString(`INSERT INTO catalog_datasets (id, sovereignty, space, level, owner, status, revision, seq, registered_at, updated_at, entry)
		VALUES ('xb86/CN/a/b', 'CN', 'a', 'public', 'did:web:a', 'active', 1, 1, 'x', 'x', '{}')
		ON CONFLICT (id) DO UPDATE SET revision = excluded.revision;
UPDATE catalog_counters SET value = value + 1 WHERE name = 'seq' RETURNING value;
`)
	fmt.Fprintf(&script, "DROP SCHEMA %s CASCADE;\n", schema)
	// CREATE statements may run in any order; order them: tables first.
	ordered := orderDDL(script.String())
	cmd := exec.Command("psql", append(strings.Fields(args), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-")...)
	cmd.Stdin = strings.NewReader(ordered)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		exec.Command("psql", append(strings.Fields(args), "-X", "-q", "-c", "DROP SCHEMA IF EXISTS "+schema+" CASCADE")...).Run()
		t.Fatalf("PostgreSQL refused the SQL: %v\n%s\n--- script\n%s", err, out.String(), ordered)
	}
	t.Logf("PostgreSQL accepted the schema and %d statements", len(stmts))
}

// orderDDL moves CREATE TABLE before CREATE INDEX in the script.
func orderDDL(s string) string {
	lines := strings.SplitAfter(s, ";\n")
	var head, tables, indexes, rest []string
	for i, l := range lines {
		switch t := strings.TrimSpace(l); {
		case i < 2:
			head = append(head, l)
		case strings.HasPrefix(t, "CREATE TABLE"):
			tables = append(tables, l)
		case strings.HasPrefix(t, "CREATE INDEX"):
			indexes = append(indexes, l)
		default:
			rest = append(rest, l)
		}
	}
	return strings.Join(head, "") + strings.Join(tables, "") + strings.Join(indexes, "") + strings.Join(rest, "")
}

// runCatalogFlows exercises every statement of the catalog on db.
func runCatalogFlows(t *testing.T, db *sql.DB) {
	t.Helper()
	ctx := context.Background()
	c := newTestCatalog(t, db, Config{SyncEvery: 1})
	if err := c.SetInfo(ctx, Info{ParticipantID: "did:web:a.example"}); err != nil {
		t.Fatal(err)
	}
	full := readEntry(t, "testdata/entries/full.json")
	mustRegister(t, c, full, entry("xb86/CN/retail/a", "甲", "A", LevelPublic))
	if _, err := c.Register(ctx, entry("xb86/CN/retail/a", "甲", "A2", LevelPublic), RegisterOptions{Replace: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Resolve(ctx, Operator(), full.Identifier); err != nil {
		t.Fatal(err)
	}
	if err := c.Withdraw(ctx, "xb86/CN/retail/a"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Export(ctx, io.Discard, Operator(), ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	rec := NewTableRecorder(db)
	for _, f := range []ResolutionFilter{{}, {Identifier: full.Identifier}} {
		if _, err := rec.List(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	other := newTestCatalog(t, db, Config{})
	mustRegister(t, other, entry("xb86/CN/retail/b", "乙", "B", LevelPublic))
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}
