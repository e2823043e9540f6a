package main

import (
	"database/sql"
	"fmt"
)

// stateDBFile is the node's SQLite database in the data directory, shared
// by the catalog and the contract store (each with its own tables).
const stateDBFile = "xborder.db"

// openStateDB opens the SQLite database at path the way every command
// does: WAL, foreign keys, a 10 s busy timeout, and transactions that take
// the write lock when they begin (so concurrent writers wait instead of
// failing). synchronous is the durability each caller asks for: FULL
// (durable on power loss) or NORMAL (durable on a process crash).
func openStateDB(path, synchronous string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous("+synchronous+")&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		return nil, failure(fmt.Errorf("opening %s: %w", path, err))
	}
	return db, nil
}
