package node

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"

	"github.com/xborder/xborder/internal/statedb"
)

// openStateDB opens the node's state database for one component: the
// embedded SQLite file DATA_DIR/xborder.db with the durability the
// component asks for (synchronous FULL or NORMAL), or with database set, a
// connection pool on PostgreSQL, whose durability is the server's.
func (n *Node) openStateDB(ctx context.Context, synchronous string) (*sql.DB, error) {
	if n.cfg.Database == "" {
		return statedb.Open(filepath.Join(n.cfg.DataDir, statedb.File), synchronous)
	}
	db, err := statedb.OpenPostgres(ctx, n.cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("node: state database: %w", err)
	}
	return db, nil
}

// stateDBName names the state database for logs, without a password.
func (c Config) stateDBName() string {
	if c.Database == "" {
		return filepath.Join(c.DataDir, statedb.File)
	}
	return statedb.Redact(c.Database)
}
