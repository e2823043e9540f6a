package main

import (
	"database/sql"

	"github.com/xborder/xborder/internal/statedb"
)

// stateDBFile is the node's SQLite database in the data directory, shared
// by the catalog and the contract store (each with its own tables).
const stateDBFile = statedb.File

// openStateDB opens the SQLite database at path the way every command does
// (see internal/statedb); synchronous is FULL or NORMAL.
func openStateDB(path, synchronous string) (*sql.DB, error) {
	db, err := statedb.Open(path, synchronous)
	if err != nil {
		return nil, failure(err)
	}
	return db, nil
}
