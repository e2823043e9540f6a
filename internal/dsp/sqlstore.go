package dsp

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/statedb/migrate"
)

// The schema is portable SQL that SQLite (modernc.org/sqlite) and
// PostgreSQL both accept unchanged: TEXT and BIGINT columns, $n
// placeholders, INSERT … ON CONFLICT DO NOTHING, RETURNING, partial
// unique indexes, times as Unix milliseconds. The one exception is the
// auto-numbered key of dsp_events, written autoKey and replaced per
// dialect (dialect.stmt). Tables are prefixed dsp_ because the database
// is shared with other components.
//
// migrations[i] brings the schema from version i to i+1. Never edit a
// released migration; append a new one.
var migrations = [][]string{
	{ // 1: the initial schema
		`CREATE TABLE dsp_processes (
			kind         TEXT NOT NULL CHECK (kind IN ('negotiation', 'transfer')),
			role         TEXT NOT NULL CHECK (role IN ('provider', 'consumer')),
			pid          TEXT NOT NULL,
			peer_pid     TEXT NOT NULL,
			counterparty TEXT NOT NULL,
			peer_address TEXT NOT NULL,
			state        TEXT NOT NULL,
			version      BIGINT NOT NULL CHECK (version > 0),
			is_open      BIGINT NOT NULL CHECK (is_open IN (0, 1)),
			offer        TEXT NOT NULL,
			agreement    TEXT NOT NULL,
			agreement_id TEXT NOT NULL,
			target       TEXT NOT NULL,
			parked       BIGINT NOT NULL CHECK (parked IN (0, 1)),
			format       TEXT NOT NULL,
			data_address TEXT NOT NULL,
			outbox       TEXT NOT NULL,
			created_at   BIGINT NOT NULL,
			updated_at   BIGINT NOT NULL,
			PRIMARY KEY (kind, role, pid)
		)`,
		// A repeated initial request finds its process by the peer's id.
		`CREATE UNIQUE INDEX dsp_processes_by_peer ON dsp_processes (kind, role, counterparty, peer_pid) WHERE peer_pid <> ''`,
		// Resume reads the open processes only.
		`CREATE INDEX dsp_processes_open ON dsp_processes (is_open)`,
		`CREATE TABLE dsp_events (
			kind         TEXT NOT NULL,
			role         TEXT NOT NULL,
			pid          TEXT NOT NULL,
			seq          BIGINT NOT NULL,
			at           BIGINT NOT NULL,
			provider_pid TEXT NOT NULL,
			consumer_pid TEXT NOT NULL,
			counterparty TEXT NOT NULL,
			actor        TEXT NOT NULL,
			sender       TEXT NOT NULL,
			from_state   TEXT NOT NULL,
			to_state     TEXT NOT NULL,
			step         TEXT NOT NULL,
			code         TEXT NOT NULL,
			agreement_id TEXT NOT NULL,
			target       TEXT NOT NULL,
			PRIMARY KEY (kind, role, pid, seq)
		)`,
	},
	// 2: the extensions of transfer requests (JSON object, '' for none).
	// and the lookup of a negotiation by its agreement, for the data plane.
	{`ALTER TABLE dsp_processes ADD COLUMN extensions TEXT NOT NULL DEFAULT ''`,
		`CREATE INDEX dsp_processes_agreement ON dsp_processes (agreement_id, kind, role)`},
	// 3: one history for the whole store, which followers (the audit
	// ledger's) read in order: every event gets a position, and refused
	// messages are stored too (refused = 1, seq 0, pid '' when this side's
	// process is unknown). Followers keep their cursors in dsp_cursors. The
	// table is rebuilt because SQLite can only auto-number a column that
	// is the primary key from the start; existing events are numbered in
	// the order they happened.
	{
		`CREATE TABLE dsp_events_v3 (
			pos          ` + autoKey + `,
			kind         TEXT NOT NULL,
			role         TEXT NOT NULL,
			pid          TEXT NOT NULL,
			seq          BIGINT NOT NULL,
			at           BIGINT NOT NULL,
			provider_pid TEXT NOT NULL,
			consumer_pid TEXT NOT NULL,
			counterparty TEXT NOT NULL,
			actor        TEXT NOT NULL,
			sender       TEXT NOT NULL,
			from_state   TEXT NOT NULL,
			to_state     TEXT NOT NULL,
			step         TEXT NOT NULL,
			code         TEXT NOT NULL,
			agreement_id TEXT NOT NULL,
			target       TEXT NOT NULL,
			refused      BIGINT NOT NULL CHECK (refused IN (0, 1))
		)`,
		`INSERT INTO dsp_events_v3 (` + eventColumns + `, refused)
			SELECT ` + eventColumns + `, 0 FROM dsp_events ORDER BY at, kind, role, pid, seq`,
		`DROP TABLE dsp_events`,
		`ALTER TABLE dsp_events_v3 RENAME TO dsp_events`,
		`CREATE UNIQUE INDEX dsp_events_step ON dsp_events (kind, role, pid, seq) WHERE refused = 0`,
		`CREATE TABLE dsp_cursors (
			name  TEXT PRIMARY KEY,
			pos   BIGINT NOT NULL,
			ahead BIGINT NOT NULL CHECK (ahead >= 0)
		)`,
	},
}

// eventColumns are the columns of dsp_events from schema 1.
const eventColumns = `kind, role, pid, seq, at, provider_pid, consumer_pid, counterparty, actor, sender, from_state, to_state, step, code, agreement_id, target`

// autoKey stands in a migration for the auto-numbered primary key, the
// one thing SQLite and PostgreSQL spell differently.
const autoKey = "@AUTOKEY@"

// dialect is the SQL dialect of the database.
type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

// stmt writes a migration statement in d: on SQLite the key is an alias of
// the rowid that AUTOINCREMENT never reuses, even after the newest row is
// deleted; on PostgreSQL it is drawn from a sequence (BIGSERIAL).
func (d dialect) stmt(s string) string {
	key := "INTEGER PRIMARY KEY AUTOINCREMENT"
	if d == dialectPostgres {
		key = "BIGSERIAL PRIMARY KEY"
	}
	return strings.ReplaceAll(s, autoKey, key)
}

// dialectProbes are the queries detectDialect sends, in order.
var dialectProbes = []string{`SELECT version()`, `SELECT sqlite_version()`}

// detectDialect asks the database what it is: PostgreSQL answers
// version() (SQLite has no such function, so the probe leaves no error in
// a PostgreSQL server's log), SQLite answers sqlite_version().
func detectDialect(ctx context.Context, db *sql.DB) (dialect, error) {
	var v string
	if err := db.QueryRowContext(ctx, dialectProbes[0]).Scan(&v); err == nil && strings.HasPrefix(v, "PostgreSQL") {
		return dialectPostgres, nil
	}
	err := db.QueryRowContext(ctx, dialectProbes[1]).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("dsp: the database is neither PostgreSQL nor SQLite: %w", err)
	}
	return dialectSQLite, nil
}

// SchemaVersion is the version of the dsp_ tables this release writes.
func SchemaVersion() int { return len(migrations) }

// Migrate brings the dsp_ tables of db to SchemaVersion, each migration in
// one transaction. Concurrent migrators serialise on the schema row; a
// database from a newer release is refused.
func Migrate(ctx context.Context, db *sql.DB) error {
	d, err := detectDialect(ctx, db)
	if err != nil {
		return err
	}
	return migrate.Apply(ctx, db, "dsp", migrations, d.stmt)
}

// SQLStore is the [Store] on database/sql: SQLite (modernc.org/sqlite)
// by default, the same SQL on PostgreSQL. It is safe for concurrent use.
// Statements are prepared once (OpenSQLStore); Close releases them.
//
// With SQLite, open the database in WAL mode with busy_timeout and
// _txlock=immediate, and make the first connection alone (SetMaxOpenConns(1)
// and a Ping) before any concurrent use: switching a new file to WAL does
// not wait on busy_timeout.
//
// On SQLite, concurrent writes share transactions (group commit, see
// groupcommit.go): one writer goroutine runs the writes queued at the
// moment in one transaction and commits them with one fsync, so writers
// queue in Go rather than in SQLite's busy handler. Reads do not go
// through the writer: they use the pool of db directly, autocommit, and
// with WAL a read on another connection sees every committed batch and
// does not wait for the one being committed. A pool of two connections
// (the node's) lets reads run during a commit; with one, reads wait
// between batches, correct but slower.
type SQLStore struct {
	db    *sql.DB
	group bool // SQLite: writes go through the writer
	queue chan *writeOp
	quit  chan struct{}
	// stopped is closed when the writer has returned.
	stopped   chan struct{}
	closeOnce sync.Once
	stats     groupStats
	stmts     struct {
		get, byPeer, insert, update, event, events, unfinished, byAgreement *sql.Stmt
		after, last, cursorInit, cursorGet, cursorSave                      *sql.Stmt
	}
}

var _ Store = (*SQLStore)(nil)

// OpenSQLStore migrates the dsp_ tables of db and returns the store. The
// caller owns db and closes it.
func OpenSQLStore(ctx context.Context, db *sql.DB) (*SQLStore, error) {
	if db == nil {
		return nil, errors.New("dsp: no database")
	}
	if err := Migrate(ctx, db); err != nil {
		return nil, err
	}
	d, err := detectDialect(ctx, db)
	if err != nil {
		return nil, err
	}
	s := &SQLStore{db: db, group: d == dialectSQLite}
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&s.stmts.get, sqlGet}, {&s.stmts.byPeer, sqlByPeer}, {&s.stmts.insert, sqlInsert}, {&s.stmts.update, sqlUpdate}, {&s.stmts.byAgreement, sqlByAgreement},
		{&s.stmts.event, sqlEvent}, {&s.stmts.events, sqlEvents}, {&s.stmts.unfinished, sqlUnfinished},
		{&s.stmts.after, sqlEventsAfter}, {&s.stmts.last, sqlLastPosition},
		{&s.stmts.cursorInit, sqlCursorInit}, {&s.stmts.cursorGet, sqlCursorGet}, {&s.stmts.cursorSave, sqlCursorSave},
	} {
		st, err := db.PrepareContext(ctx, p.q)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("dsp: preparing statements: %w", err)
		}
		*p.dst = st
	}
	if s.group {
		s.queue, s.quit, s.stopped = make(chan *writeOp), make(chan struct{}), make(chan struct{})
		go s.writer()
	}
	return s, nil
}

// Close stops the writer (writes still queued get an error; a batch
// being committed finishes) and releases the prepared statements. It does
// not close the database, which belongs to the caller.
func (s *SQLStore) Close() error {
	if s.quit != nil {
		s.closeOnce.Do(func() { close(s.quit) })
		<-s.stopped
	}
	var first error
	for _, st := range []*sql.Stmt{s.stmts.get, s.stmts.byPeer, s.stmts.insert, s.stmts.update, s.stmts.event, s.stmts.events, s.stmts.unfinished,
		s.stmts.byAgreement, s.stmts.after, s.stmts.last, s.stmts.cursorInit, s.stmts.cursorGet, s.stmts.cursorSave} {
		if st != nil {
			if err := st.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// The statements, prepared once: parsing SQL is most of the cost of a
// small transaction on SQLite.
const (
	sqlGet    = `SELECT ` + processColumns + ` FROM dsp_processes WHERE kind = $1 AND role = $2 AND pid = $3`
	sqlByPeer = `SELECT ` + processColumns + ` FROM dsp_processes WHERE kind = $1 AND role = $2 AND counterparty = $3 AND peer_pid = $4`
	sqlInsert = `INSERT INTO dsp_processes (` + processColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) ON CONFLICT DO NOTHING`
	// The values are those of processRow, then the version read.
	sqlUpdate = `UPDATE dsp_processes SET peer_pid = $4, counterparty = $5, peer_address = $6, state = $7,
		version = $8, is_open = $9, offer = $10, agreement = $11, agreement_id = $12, target = $13, parked = $14, format = $15,
		data_address = $16, outbox = $17, updated_at = $19, extensions = $20
		WHERE kind = $1 AND role = $2 AND pid = $3 AND version = $21 AND created_at = $18`
	sqlEvent = `INSERT INTO dsp_events (` + eventColumns + `, refused)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING pos`
	sqlEvents       = eventSelect + ` WHERE kind = $1 AND role = $2 AND pid = $3 AND refused = 0 ORDER BY seq`
	sqlUnfinished   = `SELECT ` + processColumns + ` FROM dsp_processes WHERE is_open = 1 ORDER BY updated_at`
	sqlEventsAfter  = eventSelect + ` WHERE pos > $1 ORDER BY pos LIMIT $2`
	sqlLastPosition = `SELECT COALESCE(MAX(pos), 0) FROM dsp_events`
	// A new follower starts after the events already stored. (WHERE true:
	// SQLite needs it to parse the ON CONFLICT after a SELECT.)
	sqlCursorInit = `INSERT INTO dsp_cursors (name, pos, ahead) SELECT CAST($1 AS TEXT), COALESCE(MAX(pos), 0), 0 FROM dsp_events WHERE true
		ON CONFLICT (name) DO NOTHING`
	sqlCursorGet  = `SELECT pos, ahead FROM dsp_cursors WHERE name = $1`
	sqlCursorSave = `UPDATE dsp_cursors SET pos = $2, ahead = $3 WHERE name = $1`
	// Agreement @ids are unique per side (new UUIDs); the first is the one.
	sqlByAgreement = `SELECT ` + processColumns + ` FROM dsp_processes WHERE agreement_id = $1 AND kind = 'negotiation' AND role = $2 ORDER BY created_at LIMIT 1`
)

// eventSelect reads events as scanEvent takes them.
const eventSelect = `SELECT pos, kind, role, seq, at, provider_pid, consumer_pid, counterparty, actor, sender, from_state, to_state, step, code,
	agreement_id, target, refused FROM dsp_events`

func scanEvent(s scanner) (Event, error) {
	var (
		e                                  Event
		kind, role, sender, from, to, step string
		at, refused                        int64
	)
	err := s.Scan(&e.Position, &kind, &role, &e.Seq, &at, &e.ProviderPID, &e.ConsumerPID, &e.Counterparty, &e.Actor, &sender, &from, &to, &step,
		&e.Code, &e.AgreementID, &e.Target, &refused)
	e.Kind, e.Role, e.Time, e.Sender = Kind(kind), Role(role), time.UnixMilli(at).UTC(), Role(sender)
	e.From, e.To, e.Step, e.Refused = State(from), State(to), Step(step), refused == 1
	return e, err
}

const processColumns = `kind, role, pid, peer_pid, counterparty, peer_address, state, version, is_open, offer, agreement, agreement_id, target, parked, format, data_address, outbox, created_at, updated_at, extensions`

func processRow(p *Process) ([]any, error) {
	da, ob := "", ""
	if p.DataAddress != nil {
		b, err := json.Marshal(p.DataAddress)
		if err != nil {
			return nil, fmt.Errorf("dsp: encoding the data address: %w", err)
		}
		da = string(b)
	}
	if p.Outbox != nil {
		b, err := json.Marshal(p.Outbox)
		if err != nil {
			return nil, fmt.Errorf("dsp: encoding the outbox: %w", err)
		}
		ob = string(b)
	}
	ext := ""
	if len(p.Extensions) > 0 {
		b, err := json.Marshal(p.Extensions)
		if err != nil {
			return nil, fmt.Errorf("dsp: encoding the extensions: %w", err)
		}
		ext = string(b)
	}
	open := 0
	if !p.State.Terminal() || p.Outbox != nil {
		open = 1
	}
	parked := 0
	if p.Parked {
		parked = 1
	}
	return []any{string(p.Kind), string(p.Role), p.PID(), p.PeerPID(), p.Counterparty, p.PeerAddress, string(p.State),
		p.Version, open, string(p.Offer), string(p.Agreement), p.AgreementID, p.Target, parked, p.Format, da, ob,
		p.Created.UnixMilli(), p.Updated.UnixMilli(), ext}, nil
}

type scanner interface{ Scan(...any) error }

func scanProcess(s scanner) (*Process, error) {
	var (
		p                                            Process
		kind, role, pid, peer, state, offer, agr, da string
		ob, ext                                      string
		open, parked, created, updated               int64
	)
	if err := s.Scan(&kind, &role, &pid, &peer, &p.Counterparty, &p.PeerAddress, &state, &p.Version, &open, &offer,
		&agr, &p.AgreementID, &p.Target, &parked, &p.Format, &da, &ob, &created, &updated, &ext); err != nil {
		return nil, err
	}
	p.Kind, p.Role, p.State, p.Parked = Kind(kind), Role(role), State(state), parked == 1
	if p.Role == Provider {
		p.ProviderPID, p.ConsumerPID = pid, peer
	} else {
		p.ProviderPID, p.ConsumerPID = peer, pid
	}
	if offer != "" {
		p.Offer = json.RawMessage(offer)
	}
	if agr != "" {
		p.Agreement = json.RawMessage(agr)
	}
	if da != "" {
		p.DataAddress = new(DataAddress)
		if err := json.Unmarshal([]byte(da), p.DataAddress); err != nil {
			return nil, fmt.Errorf("dsp: the stored data address of %s is corrupt: %w", pid, err)
		}
	}
	if ob != "" {
		p.Outbox = new(Outgoing)
		if err := json.Unmarshal([]byte(ob), p.Outbox); err != nil {
			return nil, fmt.Errorf("dsp: the stored outbox of %s is corrupt: %w", pid, err)
		}
	}
	if ext != "" {
		if err := json.Unmarshal([]byte(ext), &p.Extensions); err != nil {
			return nil, fmt.Errorf("dsp: the stored extensions of %s are corrupt: %w", pid, err)
		}
	}
	p.Created, p.Updated = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return &p, nil
}

// insertEvent stores e as an event of this side's process pid (kind and
// role from e) and sets e.Position.
func (s *SQLStore) insertEvent(ctx context.Context, tx *sql.Tx, pid string, e *Event) error {
	refused := 0
	if e.Refused {
		refused = 1
	}
	err := tx.StmtContext(ctx, s.stmts.event).QueryRowContext(ctx,
		string(e.Kind), string(e.Role), pid, e.Seq, e.Time.UnixMilli(), e.ProviderPID, e.ConsumerPID, e.Counterparty,
		e.Actor, string(e.Sender), string(e.From), string(e.To), string(e.Step), e.Code, e.AgreementID, e.Target, refused).Scan(&e.Position)
	if err != nil {
		return fmt.Errorf("dsp: storing the event: %w", err)
	}
	return nil
}

// Create implements [Store].
func (s *SQLStore) Create(ctx context.Context, p *Process, e *Event) (*Process, bool, error) {
	p.Version = 1
	vals, err := processRow(p)
	if err != nil {
		return nil, false, err
	}
	var old *Process
	err = s.write(ctx, "storing the process", func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.stmts.insert).ExecContext(ctx, vals...)
		if err != nil {
			return fmt.Errorf("dsp: storing the process: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("dsp: storing the process: %w", err)
		} else if n == 0 {
			if p.PeerPID() == "" {
				return fmt.Errorf("dsp: process id %s is taken", p.PID())
			}
			old, err = scanProcess(tx.StmtContext(ctx, s.stmts.byPeer).QueryRowContext(ctx, string(p.Kind), string(p.Role), p.Counterparty, p.PeerPID()))
			if err != nil {
				return fmt.Errorf("dsp: reading the existing process: %w", err)
			}
			return nil
		}
		if e != nil {
			e.Seq, e.Kind, e.Role = 1, p.Kind, p.Role
			if err := s.insertEvent(ctx, tx, p.PID(), e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if old != nil {
		return old, false, nil
	}
	return p, true, nil
}

// Get implements [Store].
func (s *SQLStore) Get(ctx context.Context, k Kind, r Role, pid string) (*Process, error) {
	p, err := scanProcess(s.stmts.get.QueryRowContext(ctx, string(k), string(r), pid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("dsp: reading the process: %w", err)
	}
	return p, nil
}

// Update implements [Store].
func (s *SQLStore) Update(ctx context.Context, p *Process, e *Event) error {
	next := *p
	next.Version = p.Version + 1
	vals, err := processRow(&next)
	if err != nil {
		return err
	}
	err = s.write(ctx, "updating the process", func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.stmts.update).ExecContext(ctx, append(vals, p.Version)...)
		if err != nil {
			return fmt.Errorf("dsp: updating the process: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("dsp: updating the process: %w", err)
		} else if n == 0 {
			return ErrConflict
		}
		if e != nil {
			e.Seq, e.Kind, e.Role = next.Version, p.Kind, p.Role
			return s.insertEvent(ctx, tx, p.PID(), e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.Version = next.Version
	return nil
}

// AddRefusal implements [Store]. The event belongs to e's kind and role
// and to this side's process id as far as it is known (” otherwise).
func (s *SQLStore) AddRefusal(ctx context.Context, e *Event) error {
	if !e.Refused || e.Seq != 0 {
		return errors.New("dsp: a refusal is an event with Refused set and no sequence number")
	}
	pid := e.ProviderPID
	if e.Role == Consumer {
		pid = e.ConsumerPID
	}
	return s.write(ctx, "storing the refusal", func(ctx context.Context, tx *sql.Tx) error {
		return s.insertEvent(ctx, tx, pid, e)
	})
}

// Events implements [Store].
func (s *SQLStore) Events(ctx context.Context, k Kind, r Role, pid string) ([]Event, error) {
	return s.queryEvents(ctx, s.stmts.events, string(k), string(r), pid)
}

// EventsAfter returns up to limit stored events, transitions and
// refusals of every process, whose Position is above after, in Position
// order: the store's history for followers such as the audit ledger's.
//
// What a follower may conclude from what it reads:
//
//   - SQLite: positions are assigned under the database's write lock,
//     which a transaction holds until it commits, so an event becomes
//     visible only after every event of a lower position, and a position
//     is skipped only when an insert fails within a committed transaction
//     (the store never does that). The next position is the next event.
//   - PostgreSQL: positions come from a sequence when the event is
//     inserted, and transactions commit in any order: a lower position can
//     become visible after a higher one (a transaction still in flight),
//     or never (one that rolled back, a hole for good). A follower must not
//     move past a missing position until it is sure that no transaction
//     will still commit it. The node's audit follower waits a grace
//     period before it skips a missing position, which is strict when no
//     transaction can last that long (PostgreSQL 17's
//     transaction_timeout on the store's role).
func (s *SQLStore) EventsAfter(ctx context.Context, after int64, limit int) ([]Event, error) {
	return s.queryEvents(ctx, s.stmts.after, after, limit)
}

func (s *SQLStore) queryEvents(ctx context.Context, st *sql.Stmt, args ...any) ([]Event, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("dsp: reading events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("dsp: reading events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("dsp: reading events: %w", err)
	}
	return out, nil
}

// LastPosition returns the highest Position stored (0 for none).
func (s *SQLStore) LastPosition(ctx context.Context) (int64, error) {
	var n int64
	if err := s.stmts.last.QueryRowContext(ctx).Scan(&n); err != nil {
		return 0, fmt.Errorf("dsp: reading the last event position: %w", err)
	}
	return n, nil
}

// Cursor is a follower's durable place in the history (EventsAfter).
type Cursor struct {
	// Position: every event at or below it has been handled.
	Position int64
	// Ahead bounds what the follower may have handled beyond Position
	// without saving a new cursor yet: events in (Position,
	// Position+Ahead]. After a crash those are the events it must check
	// (is this one already done?) before handling them again; the
	// follower saves an Ahead covering any batch before working on it.
	Ahead int64
}

// Cursor returns the cursor saved by the follower called name. A follower
// new to the store starts after the events stored so far, with Ahead 0:
// events of earlier releases were audited as they happened.
func (s *SQLStore) Cursor(ctx context.Context, name string) (Cursor, error) {
	var c Cursor
	err := s.write(ctx, "creating the cursor of "+name, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, s.stmts.cursorInit).ExecContext(ctx, name); err != nil {
			return fmt.Errorf("dsp: creating the cursor of %s: %w", name, err)
		}
		if err := tx.StmtContext(ctx, s.stmts.cursorGet).QueryRowContext(ctx, name).Scan(&c.Position, &c.Ahead); err != nil {
			return fmt.Errorf("dsp: reading the cursor of %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return Cursor{}, err
	}
	return c, nil
}

// SaveCursor saves the cursor of the follower called name, created by
// Cursor.
func (s *SQLStore) SaveCursor(ctx context.Context, name string, c Cursor) error {
	if c.Position < 0 || c.Ahead < 0 {
		return fmt.Errorf("dsp: invalid cursor %+v", c)
	}
	return s.write(ctx, "saving the cursor of "+name, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.stmts.cursorSave).ExecContext(ctx, name, c.Position, c.Ahead)
		if err != nil {
			return fmt.Errorf("dsp: saving the cursor of %s: %w", name, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("dsp: saving the cursor of %s: %w", name, err)
		} else if n != 1 {
			return fmt.Errorf("dsp: saving the cursor of %s: no such cursor (read it with Cursor first)", name)
		}
		return nil
	})
}

// Unfinished implements [Store].
func (s *SQLStore) Unfinished(ctx context.Context) ([]*Process, error) {
	rows, err := s.stmts.unfinished.QueryContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("dsp: reading open processes: %w", err)
	}
	defer rows.Close()
	var out []*Process
	for rows.Next() {
		p, err := scanProcess(rows)
		if err != nil {
			return nil, fmt.Errorf("dsp: reading open processes: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("dsp: reading open processes: %w", err)
	}
	return out, nil
}

// ByAgreement implements [Store].
func (s *SQLStore) ByAgreement(ctx context.Context, r Role, agreementID string) (*Process, error) {
	if agreementID == "" {
		return nil, ErrNotFound
	}
	p, err := scanProcess(s.stmts.byAgreement.QueryRowContext(ctx, agreementID, string(r)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("dsp: reading the negotiation of agreement %s: %w", agreementID, err)
	}
	return p, nil
}
