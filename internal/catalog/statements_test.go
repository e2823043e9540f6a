package catalog

import (
	"context"
	"database/sql"
	"io"
	"testing"
)

// TestEveryStatement sends every SQL statement of the catalog at least
// once: on SQLite, or on PostgreSQL with XBORDER_TEST_POSTGRES set (see
// pgtest), where the whole suite runs too; this keeps each statement
// covered whatever the other tests come to do.
func TestEveryStatement(t *testing.T) {
	db := openTestDB(t)
	db.SetMaxOpenConns(1)
	runCatalogFlows(t, db)
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
