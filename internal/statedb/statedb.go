// Package statedb opens the node's state database, shared by the catalog,
// the contract store and the DSP process store, the same way for every
// caller.
//
// The default is embedded SQLite (DATA_DIR/xborder.db, Open): WAL, foreign
// keys, a 10 s busy timeout, transactions that take the write lock when they
// begin (so concurrent writers wait instead of failing), and the durability
// each caller asks for. For production, OpenPostgres opens a PostgreSQL
// database from a postgres:// URL with pgx's database/sql driver. The
// stores' SQL is portable and their schema the same on both, so callers do
// not need to know which one they have.
package statedb

import (
	"database/sql"
	"fmt"

	_ "modernc.org/sqlite" // the embedded database driver
)

// File is the database's name in the data directory.
const File = "xborder.db"

// Open opens the SQLite database at path. synchronous is FULL (durable on
// power loss) or NORMAL (durable on a process crash). The first connection
// is opened alone before Open returns: a new file's switch to WAL does not
// wait on busy_timeout, so connections opened concurrently on first use
// could fail with SQLITE_BUSY.
func Open(path, synchronous string) (*sql.DB, error) {
	if synchronous != "FULL" && synchronous != "NORMAL" {
		return nil, fmt.Errorf("statedb: synchronous %q: want FULL or NORMAL", synchronous)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous("+synchronous+")&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return db, nil
}
