package catalog

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func countRows(t *testing.T, c *Catalog, table string) int {
	t.Helper()
	var n int
	if err := c.db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMigrations(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	// Opening four times at once migrates once (on PostgreSQL, the
	// migrators run concurrently), and again is a no-op.
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { _, errs[i] = Open(ctx, db, Config{}) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, db, Config{}); err != nil {
		t.Fatal(err)
	}
	var n, v int
	if err := db.QueryRow(`SELECT COUNT(*), MAX(version) FROM catalog_schema_version`).Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations()) || v != SchemaVersion() {
		t.Errorf("%d migrations recorded, version %d", n, v)
	}
	// a database from a newer xborder is refused
	if _, err := db.Exec(`INSERT INTO catalog_schema_version (version, applied_at) VALUES ($1, $2)`, SchemaVersion()+1, "2030-01-01T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, db, Config{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("opening a newer schema: %v", err)
	}
}

// TestBadInputChangesNothing: a batch with one bad entry writes nothing,
// not even the change counter.
func TestBadInputChangesNothing(t *testing.T) {
	c := newTestCatalog(t, openTestDB(t), Config{})
	ctx := context.Background()
	good := entry("xb86/CN/retail/a", "甲", "A", LevelPublic)
	files, _ := filepath.Glob("testdata/bad/*.json")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		bad, err := DecodeEntry(b)
		if err != nil {
			continue // refused before any write
		}
		if _, err := c.RegisterBatch(ctx, []*Entry{good.Clone(), bad}, RegisterOptions{}); err == nil {
			t.Errorf("%s: registered", f)
		} else if !IsInputError(err) {
			t.Errorf("%s: %v is not an input error", f, err)
		}
	}
	dup := []*Entry{good.Clone(), good.Clone()}
	if _, err := c.RegisterBatch(ctx, dup, RegisterOptions{}); err == nil || !strings.Contains(err.Error(), "also entry 1") {
		t.Errorf("a batch with a duplicate: %v", err)
	}
	if n := countRows(t, c, "catalog_datasets"); n != 0 {
		t.Errorf("%d rows written", n)
	}
	if seq, _ := currentSeq(ctx, c.db); seq != 0 {
		t.Errorf("the change counter moved to %d", seq)
	}
	if c.Len() != 0 {
		t.Errorf("the index holds %d entries", c.Len())
	}
}

func TestRegisterReplaceWithdraw(t *testing.T) {
	db := openTestDB(t)
	c := newTestCatalog(t, db, Config{})
	ctx := context.Background()
	e := entry("xb86/CN/retail/orders", "订单", "Orders", LevelPublic)
	id, err := c.Register(ctx, e.Clone(), RegisterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Register(ctx, e.Clone(), RegisterOptions{}); !errors.Is(err, ErrExists) {
		t.Errorf("registering twice: %v", err)
	}
	first, _ := c.Get(ctx, Operator(), id.String())
	e2 := e.Clone()
	e2.Title["en"] = "Customer orders"
	if _, err := c.Register(ctx, e2, RegisterOptions{Replace: true}); err != nil {
		t.Fatal(err)
	}
	got, rev, err := c.get(ctx, Operator(), id.IRI())
	if err != nil || rev != 2 || got.Title["en"] != "Customer orders" || got.Issued != first.Issued {
		t.Errorf("after replace: rev %d, %v, issued %q (was %q)", rev, err, got.Issued, first.Issued)
	}
	if res := search(t, c, Operator(), SearchRequest{Query: "customer"}); res.Total != 1 {
		t.Errorf("the new title is not searchable")
	}
	if err := c.Withdraw(ctx, id.String()); err != nil {
		t.Fatal(err)
	}
	if err := c.Withdraw(ctx, id.String()); !errors.Is(err, ErrWithdrawn) {
		t.Errorf("withdrawing twice: %v", err)
	}
	if err := c.Withdraw(ctx, "xb86/CN/retail/none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("withdrawing an unknown entry: %v", err)
	}
	if _, err := c.Resolve(ctx, Operator(), id.String()); !errors.Is(err, ErrWithdrawn) {
		t.Errorf("resolving a withdrawn entry: %v", err)
	}
	if res := search(t, c, Operator(), SearchRequest{}); res.Total != 0 || c.Len() != 0 {
		t.Errorf("a withdrawn entry is searchable")
	}
	// registering again brings it back, without Replace
	if _, err := c.Register(ctx, e.Clone(), RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	if res := search(t, c, Operator(), SearchRequest{Query: "订单"}); res.Total != 1 {
		t.Errorf("re-registered entry not found")
	}
	// the records of the resolutions
	recs, err := NewTableRecorder(db).List(ctx, ResolutionFilter{Identifier: id.String()})
	if err != nil || len(recs) != 1 || recs[0].Outcome != OutcomeWithdrawn || recs[0].Requester != "operator" {
		t.Errorf("records: %+v %v", recs, err)
	}
}

// TestSyncAcrossCatalogs: two catalogs on one database (two processes,
// two replicas) see each other's writes after Sync, or by themselves with
// SyncEvery.
func TestSyncAcrossCatalogs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "xborder.db")
	a := newTestCatalog(t, openDBAt(t, path), Config{})
	b := newTestCatalog(t, openDBAt(t, path), Config{SyncEvery: 1})
	ctx := context.Background()
	mustRegister(t, a, entry("xb86/CN/retail/a", "零售甲", "Retail A", LevelPublic))
	if res := search(t, b, Operator(), SearchRequest{Query: "retail"}); res.Total != 1 {
		t.Errorf("b does not see a's entry: %d", res.Total)
	}
	mustRegister(t, b, entry("xb86/CN/retail/b", "零售乙", "Retail B", LevelPublic))
	if err := a.Withdraw(ctx, "xb86/CN/retail/a"); err != nil {
		t.Fatal(err)
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*Catalog{"a": a, "b": b} {
		res := search(t, c, Operator(), SearchRequest{Query: "retail", NoHints: true})
		if got := ids(res); len(got) != 1 || got[0] != "xb86/CN/retail/b" {
			t.Errorf("%s sees %v", name, got)
		}
	}
}
