package dsp

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"modernc.org/sqlite"
)

// recorder wraps the SQLite driver and records every SQL text the store
// sends, so that the same texts can be checked on PostgreSQL.
type recorder struct {
	mu    sync.Mutex
	stmts map[string]bool
	inner driver.Driver
}

func (r *recorder) Open(name string) (driver.Conn, error) {
	c, err := r.inner.Open(name)
	if err != nil {
		return nil, err
	}
	return &recConn{c.(sqliteConn), r}, nil
}

func (r *recorder) add(q string) {
	r.mu.Lock()
	r.stmts[q] = true
	r.mu.Unlock()
}

type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
	driver.ConnPrepareContext
}

type recConn struct {
	sqliteConn
	r *recorder
}

func (c *recConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.r.add(q)
	return c.sqliteConn.ExecContext(ctx, q, args)
}

func (c *recConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.r.add(q)
	return c.sqliteConn.QueryContext(ctx, q, args)
}

func (c *recConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	c.r.add(q)
	return c.sqliteConn.PrepareContext(ctx, q)
}

var (
	registerRecorder sync.Once
	theRecorder      = &recorder{stmts: map[string]bool{}, inner: &sqlite.Driver{}}
)

// TestPostgresSQL runs every store operation on SQLite, recording the
// statements, then asks PostgreSQL to apply the migrations and to PREPARE
// (parse, resolve and type-check) every recorded statement. It needs psql
// and a server: set XBORDER_TEST_PSQL to psql's connection arguments,
// e.g. "-h /tmp/pg -U postgres".
func TestPostgresSQL(t *testing.T) {
	args := os.Getenv("XBORDER_TEST_PSQL")
	if args == "" {
		t.Skip("set XBORDER_TEST_PSQL to psql connection arguments to check the SQL on PostgreSQL")
	}
	registerRecorder.Do(func() { sql.Register("sqlite-dsp-recording", theRecorder) })
	db, err := sql.Open("sqlite-dsp-recording", "file:"+filepath.Join(t.TempDir(), "x.db")+"?_pragma=busy_timeout(5000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	s := openStore(t, db)
	defer s.Close()
	now := time.Now()
	p := &Process{Kind: KindNegotiation, Role: Provider, ProviderPID: "urn:p", ConsumerPID: "urn:c", State: Requested, Counterparty: consumerDID, Created: now, Updated: now}
	if _, _, err := s.Create(ctx, p, &Event{Time: now, To: Requested}); err != nil {
		t.Fatal(err)
	}
	dup := *p
	dup.ProviderPID = "urn:p2"
	if _, created, err := s.Create(ctx, &dup, nil); err != nil || created {
		t.Fatal(err, created)
	}
	p.State = Agreed
	if err := s.Update(ctx, p, &Event{Time: now, From: Requested, To: Agreed}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, KindNegotiation, Provider, "urn:p"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Events(ctx, KindNegotiation, Provider, "urn:p"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Unfinished(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRefusal(ctx, &Event{Time: now, Kind: KindNegotiation, Role: Provider, Refused: true, Code: CodeNotFound}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EventsAfter(ctx, 0, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LastPosition(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Cursor(ctx, "audit"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCursor(ctx, "audit", Cursor{Position: 1, Ahead: 1}); err != nil {
		t.Fatal(err)
	}

	schema := fmt.Sprintf("xborder_dsp_test_%d", os.Getpid())
	var script strings.Builder
	fmt.Fprintf(&script, "\\set ON_ERROR_STOP 1\nCREATE SCHEMA %s;\nSET search_path TO %s;\n", schema, schema)
	// The migrations (applied below in PostgreSQL's dialect) and the
	// dialect probes are not statements to check.
	skip := map[string]bool{}
	for _, m := range migrations {
		for _, stmt := range m {
			skip[dialectSQLite.stmt(stmt)] = true
		}
	}
	for _, q := range dialectProbes {
		skip[q] = true
	}
	var stmts []string
	for q := range theRecorder.stmts {
		if strings.HasPrefix(strings.TrimSpace(q), "CREATE") || skip[q] {
			continue
		}
		stmts = append(stmts, q)
	}
	sort.Strings(stmts)
	script.WriteString("CREATE TABLE IF NOT EXISTS dsp_schema (id BIGINT PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);\n")
	for v, m := range migrations {
		if v == 2 {
			// An event of schema 2, which migration 3 numbers.
			script.WriteString("INSERT INTO dsp_events (" + eventColumns + ") VALUES ('negotiation', 'provider', 'urn:p', 1, 1, '', '', '', '', '', '', 'REQUESTED', '', '', '', '');\n")
		}
		for _, stmt := range m {
			script.WriteString(dialectPostgres.stmt(stmt) + ";\n")
		}
	}
	// The event kept its place and new ones follow it.
	script.WriteString("INSERT INTO dsp_events (" + eventColumns + ", refused) VALUES ('negotiation', 'provider', '', 0, 2, '', '', '', '', '', '', '', '', '', '', '', 1);\n")
	script.WriteString("DO $$ BEGIN IF (SELECT string_agg(pos || ':' || seq, ',' ORDER BY pos) FROM dsp_events) <> '1:1,2:0' THEN RAISE EXCEPTION 'positions after migration 3: %', (SELECT string_agg(pos || ':' || seq, ',' ORDER BY pos) FROM dsp_events); END IF; END $$;\n")
	for i, q := range stmts {
		if strings.HasPrefix(q, "BEGIN") || strings.HasPrefix(q, "COMMIT") || strings.HasPrefix(q, "ROLLBACK") {
			continue
		}
		fmt.Fprintf(&script, "PREPARE s%d AS %s;\n", i, q)
	}
	fmt.Fprintf(&script, "DROP SCHEMA %s CASCADE;\n", schema)
	cmd := exec.Command("psql", append(strings.Fields(args), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-")...)
	cmd.Stdin = strings.NewReader(script.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		exec.Command("psql", append(strings.Fields(args), "-X", "-q", "-c", "DROP SCHEMA IF EXISTS "+schema+" CASCADE")...).Run()
		t.Fatalf("PostgreSQL refused the SQL: %v\n%s", err, out)
	}
	t.Logf("PostgreSQL accepted the schema and %d statements", len(stmts))
}
