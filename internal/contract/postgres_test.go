package contract

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"

	"modernc.org/sqlite"
)

// recorder wraps the SQLite driver and records every SQL text the store
// sends, so that the same texts can be checked on PostgreSQL.
type recorder struct {
	mu    sync.Mutex
	stmts map[string]bool
	inner driver.Driver
}

func (r *recorder) add(q string) {
	r.mu.Lock()
	r.stmts[q] = true
	r.mu.Unlock()
}

func (r *recorder) Open(name string) (driver.Conn, error) {
	c, err := r.inner.Open(name)
	if err != nil {
		return nil, err
	}
	return &recConn{c.(sqliteConn), r}, nil
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

var registerRecorder sync.Once
var theRecorder = &recorder{stmts: map[string]bool{}, inner: &sqlite.Driver{}}

// TestPostgresSQL runs the store's flows on SQLite, recording every
// statement, then asks PostgreSQL to apply the migrations and to PREPARE
// (parse, resolve and type-check) every recorded statement. It needs a
// PostgreSQL server and psql: set XBORDER_TEST_PSQL to psql's connection
// arguments, e.g. "-h /tmp/pg -U postgres".
func TestPostgresSQL(t *testing.T) {
	args := os.Getenv("XBORDER_TEST_PSQL")
	if args == "" {
		t.Skip("set XBORDER_TEST_PSQL to psql connection arguments to check the SQL on PostgreSQL")
	}
	registerRecorder.Do(func() { sql.Register("sqlite-recording", theRecorder) })
	db, err := sql.Open("sqlite-recording", "file:"+t.TempDir()+"/x.db?_pragma=busy_timeout(5000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	runFlows(t, db)

	schema := fmt.Sprintf("xborder_test_%d", os.Getpid())
	var script strings.Builder
	fmt.Fprintf(&script, "\\set ON_ERROR_STOP 1\nCREATE SCHEMA %s;\nSET search_path TO %s;\n", schema, schema)
	script.WriteString(schemaTable + ";\n")
	for _, m := range migrations {
		for _, stmt := range m {
			script.WriteString(stmt + ";\n")
		}
	}
	var stmts []string
	for q := range theRecorder.stmts {
		if !strings.HasPrefix(strings.TrimSpace(q), "CREATE") {
			stmts = append(stmts, q)
		}
	}
	sort.Strings(stmts)
	for i, q := range stmts {
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

// runFlows exercises every store operation on db.
func runFlows(t *testing.T, db *sql.DB) {
	t.Helper()
	f := newFixture(t, 1)
	s, err := OpenStore(context.Background(), db, StoreOptions{Resolve: f.resolver.ResolveKey, Alerter: f.alerts, Now: f.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	f.store = s
	ctx := context.Background()
	offer := f.offer(t, map[string]any{"max_count_per_month": 2})
	rev := f.review(t, offer)
	if err := s.RecordReview(ctx, rev); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LatestReview(ctx, rev.OfferDigest); err != nil {
		t.Fatal(err)
	}
	rec := f.agree(t, offer)
	use(t, f, UseRequest{Agreement: rec.ID, Count: 1})
	f.approve(t, "CN_SC")
	if _, err := s.Approvals(ctx, f.provider.did); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		use(t, f, UseRequest{Agreement: rec.ID, Count: 1, Rows: 10})
	}
	use(t, f, UseRequest{Agreement: rec.ID, Count: 1})
	tok, _ := SignAction(Action{Agreement: rec.ID, Action: ActionResume, Issued: f.clock.now()}, f.provider.s, f.provider.kid)
	if _, err := s.Act(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Counters(ctx, rec.ID, f.clock.now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Events(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.set("2026-04-02T00:00:00Z")
	if _, err := s.Settle(ctx, "2026-03"); err != nil {
		t.Fatal(err)
	}
	tok, _ = SignAction(Action{Agreement: rec.ID, Action: ActionTerminate, Issued: f.clock.now()}, f.provider.s, f.provider.kid)
	if _, err := s.Act(ctx, tok); err != nil {
		t.Fatal(err)
	}
}
