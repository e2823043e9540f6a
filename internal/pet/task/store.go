package task

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/statedb/migrate"
)

// The schema is portable SQL that SQLite and PostgreSQL both accept
// unchanged (TEXT and BIGINT, $n placeholders, times as Unix
// milliseconds), so migrate needs no dialect rewrite. Tables are prefixed
// task_. Never edit a released migration; append one.
var migrations = [][]string{
	{ // 1: the initial schema
		`CREATE TABLE task_tasks (
			id         TEXT PRIMARY KEY,
			agreement  TEXT NOT NULL,
			algorithm  TEXT NOT NULL,
			initiator  TEXT NOT NULL,
			spec       TEXT NOT NULL,
			state      TEXT NOT NULL,
			reason     TEXT NOT NULL,
			created_ms BIGINT NOT NULL,
			updated_ms BIGINT NOT NULL,
			decision   TEXT NOT NULL,
			result     TEXT NOT NULL,
			metrics    TEXT NOT NULL
		)`,
		`CREATE TABLE task_events (
			task_id TEXT NOT NULL,
			seq     BIGINT NOT NULL,
			at_ms   BIGINT NOT NULL,
			kind    TEXT NOT NULL,
			actor   TEXT NOT NULL,
			detail  TEXT NOT NULL,
			PRIMARY KEY (task_id, seq)
		)`,
		// One row per party whose input is authorized; this node's own row
		// holds the upload and the columns, a peer's row (from its notice)
		// does not.
		`CREATE TABLE task_inputs (
			task_id       TEXT NOT NULL,
			party         TEXT NOT NULL,
			upload        TEXT NOT NULL,
			columns       TEXT NOT NULL,
			policy_digest TEXT NOT NULL,
			at_ms         BIGINT NOT NULL,
			PRIMARY KEY (task_id, party)
		)`,
		`CREATE TABLE task_uploads (
			digest     TEXT PRIMARY KEY,
			task_id    TEXT NOT NULL,
			dataset    TEXT NOT NULL,
			size       BIGINT NOT NULL,
			suite      TEXT NOT NULL,
			data_key   TEXT NOT NULL,
			created_ms BIGINT NOT NULL
		)`,
		`CREATE TABLE task_algorithms (
			id            TEXT PRIMARY KEY,
			manifest      TEXT NOT NULL,
			jws           TEXT NOT NULL,
			registered_ms BIGINT NOT NULL
		)`,
	},
}

// SchemaVersion is the schema version this release writes.
func SchemaVersion() int { return len(migrations) }

func migrateDB(ctx context.Context, db *sql.DB) error {
	return migrate.Apply(ctx, db, "task", migrations, nil)
}

// record is a task row.
type record struct {
	Spec             Spec
	State, Reason    string
	Created, Updated time.Time
	Decision         string // JSON of Decision, "" before review
	Result           string // JSON of Result, "" unless released here
	Metrics          string // JSON of runMetrics at the end
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func (s *Service) load(ctx context.Context, id string) (*record, error) {
	var r record
	var spec string
	var c, u int64
	err := s.db.QueryRowContext(ctx, `SELECT spec, state, reason, created_ms, updated_ms, decision, result, metrics FROM task_tasks WHERE id = $1`, id).
		Scan(&spec, &r.State, &r.Reason, &c, &u, &r.Decision, &r.Result, &r.Metrics)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, refuse(TaskNotFound, "%s", id)
	}
	if err != nil {
		return nil, internal(err, "reading the task")
	}
	if err := json.Unmarshal([]byte(spec), &r.Spec); err != nil {
		return nil, internal(err, "reading the task's spec")
	}
	r.Created, r.Updated = time.UnixMilli(c).UTC(), time.UnixMilli(u).UTC()
	return &r, nil
}

// insert stores a new task in state created with its first event.
func (s *Service) insert(ctx context.Context, sp *Spec, actor string) error {
	b, _ := json.Marshal(sp)
	now := ms(s.now())
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storing the task: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO task_tasks (id, agreement, algorithm, initiator, spec, state, reason, created_ms, updated_ms, decision, result, metrics)
		VALUES ($1, $2, $3, $4, $5, $6, '', $7, $7, '', '', '')`, sp.ID, sp.Agreement, sp.Algorithm, sp.Initiator, string(b), StateCreated, now); err != nil {
		return fmt.Errorf("storing the task: %w", err)
	}
	if err := addEvent(ctx, tx, sp.ID, now, StateCreated, actor, ""); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.signal()
	return nil
}

func addEvent(ctx context.Context, tx *sql.Tx, id string, at int64, kind, actor, detail string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO task_events (task_id, seq, at_ms, kind, actor, detail)
		SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM task_events WHERE task_id = $1`, id, at, kind, actor, detail); err != nil {
		return fmt.Errorf("recording the task's event %s: %w", kind, err)
	}
	return nil
}

// transition moves the task from one of the states in from to to, with an
// event; ok is false when the task was in none of them.
func (s *Service) transition(ctx context.Context, id string, from []string, to, reason, actor string, set map[string]string) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("changing the task's state: %w", err)
	}
	defer tx.Rollback()
	var state string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM task_tasks WHERE id = $1`, id).Scan(&state); err != nil {
		return false, fmt.Errorf("changing the task's state: %w", err)
	}
	okFrom := false
	for _, f := range from {
		okFrom = okFrom || f == state
	}
	if !okFrom {
		return false, nil
	}
	now := ms(s.now())
	if _, err := tx.ExecContext(ctx, `UPDATE task_tasks SET state = $1, reason = $2, updated_ms = $3 WHERE id = $4 AND state = $5`, to, reason, now, id, state); err != nil {
		return false, fmt.Errorf("changing the task's state: %w", err)
	}
	for _, col := range []string{"decision", "result", "metrics"} {
		if v, ok := set[col]; ok {
			if _, err := tx.ExecContext(ctx, `UPDATE task_tasks SET `+col+` = $1 WHERE id = $2`, v, id); err != nil {
				return false, fmt.Errorf("storing the task's %s: %w", col, err)
			}
		}
	}
	if to != state {
		if err := addEvent(ctx, tx, id, now, to, actor, reason); err != nil {
			return false, err
		}
	}
	// The end of a task erases this node's input in the same transaction,
	// so no one sees the task ended with its input still readable.
	var erased string
	if terminal(to) && !terminal(state) && !s.opts.KeepInputs {
		var err error
		if erased, err = s.eraseInput(ctx, tx, id, now); err != nil {
			return false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("changing the task's state: %w", err)
	}
	s.signal()
	if erased != "" {
		// The key is gone with the commit: what is left cannot be read.
		if err := os.Remove(filepath.Join(s.opts.Uploads, strings.TrimPrefix(erased, "sha256:"))); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.ErrorContext(ctx, "removing an erased input's file failed", "task", id, "error", err)
		}
	}
	return true, nil
}

func (s *Service) event(ctx context.Context, id, kind, actor, detail string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("recording the task's event: %w", err)
	}
	defer tx.Rollback()
	if err := addEvent(ctx, tx, id, ms(s.now()), kind, actor, detail); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.signal()
	return nil
}

func (s *Service) events(ctx context.Context, id string) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at_ms, kind, actor, detail FROM task_events WHERE task_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("reading the task's events: %w", err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Kind, &e.Actor, &e.Detail); err != nil {
			return nil, fmt.Errorf("reading the task's events: %w", err)
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// inputRow is a party's authorization.
type inputRow struct {
	Upload       string
	Columns      Columns
	PolicyDigest string
}

func (s *Service) inputs(ctx context.Context, id string) (map[string]*inputRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT party, upload, columns, policy_digest FROM task_inputs WHERE task_id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("reading the task's inputs: %w", err)
	}
	defer rows.Close()
	out := map[string]*inputRow{}
	for rows.Next() {
		var party, cols string
		r := &inputRow{}
		if err := rows.Scan(&party, &r.Upload, &cols, &r.PolicyDigest); err != nil {
			return nil, fmt.Errorf("reading the task's inputs: %w", err)
		}
		if cols != "" {
			_ = json.Unmarshal([]byte(cols), &r.Columns)
		}
		out[party] = r
	}
	return out, rows.Err()
}

// authorize records party's authorization (replacing an earlier one while
// the task has not started) and moves the task to authorized when every
// party has one.
func (s *Service) authorizeInput(ctx context.Context, sp *Spec, party string, in *inputRow, actor string) (string, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("recording the authorization: %w", err)
	}
	defer tx.Rollback()
	var state string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM task_tasks WHERE id = $1`, sp.ID).Scan(&state); err != nil {
		return "", fmt.Errorf("recording the authorization: %w", err)
	}
	if state != StateCreated && state != StateAuthorized {
		return state, refuse(WrongState, "the task is %s", state)
	}
	cols := ""
	if in.Upload != "" {
		b, _ := json.Marshal(in.Columns)
		cols = string(b)
	}
	now := ms(s.now())
	if _, err := tx.ExecContext(ctx, `INSERT INTO task_inputs (task_id, party, upload, columns, policy_digest, at_ms) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (task_id, party) DO UPDATE SET upload = $3, columns = $4, policy_digest = $5, at_ms = $6`, sp.ID, party, in.Upload, cols, in.PolicyDigest, now); err != nil {
		return "", fmt.Errorf("recording the authorization: %w", err)
	}
	if err := addEvent(ctx, tx, sp.ID, now, "input_authorized", actor, party); err != nil {
		return "", err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM task_inputs WHERE task_id = $1`, sp.ID).Scan(&n); err != nil {
		return "", fmt.Errorf("recording the authorization: %w", err)
	}
	if n == len(sp.Parties) && state == StateCreated {
		state = StateAuthorized
		if _, err := tx.ExecContext(ctx, `UPDATE task_tasks SET state = $1, updated_ms = $2 WHERE id = $3`, state, now, sp.ID); err != nil {
			return "", fmt.Errorf("recording the authorization: %w", err)
		}
		if err := addEvent(ctx, tx, sp.ID, now, StateAuthorized, actor, ""); err != nil {
			return "", err
		}
	}
	if err := tx.Commit(); err != nil {
		return "", err
	}
	s.signal()
	return state, nil
}

// interrupt ends the tasks a previous process left running.
func (s *Service) interrupt(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM task_tasks WHERE state = $1`, StateRunning)
	if err != nil {
		return fmt.Errorf("finding interrupted tasks: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("finding interrupted tasks: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if _, err := s.transition(ctx, id, []string{StateRunning}, StateFailed, "interrupted", s.self, nil); err != nil {
			return err
		}
		s.log.WarnContext(ctx, "a task that was running when the node stopped ends failed", "task", id)
	}
	return nil
}

func (s *Service) countByState(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM task_tasks GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("counting tasks: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("counting tasks: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}

// Summary is one task in a listing.
type Summary struct {
	ID        string    `json:"id"`
	Agreement string    `json:"agreement"`
	Algorithm string    `json:"algorithm"`
	Initiator string    `json:"initiator"`
	State     string    `json:"state"`
	Reason    string    `json:"reason,omitempty"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	// MineAuthorized says whether this node's own input is authorized:
	// false on a created task means it waits for this node's operator.
	MineAuthorized bool `json:"mine_authorized"`
}

// MaxList bounds a listing.
const MaxList = 1000

// Tasks lists this node's tasks, newest first, optionally only those in
// state (an empty state lists all), at most limit (≤ MaxList). It is the
// operator's view (the management API's), not one of the twelve
// interfaces, and is not offered to peers.
func (s *Service) Tasks(ctx context.Context, state string, limit int) ([]Summary, error) {
	if limit <= 0 || limit > MaxList {
		limit = MaxList
	}
	q := `SELECT t.id, t.agreement, t.algorithm, t.initiator, t.state, t.reason, t.created_ms, t.updated_ms,
		EXISTS (SELECT 1 FROM task_inputs i WHERE i.task_id = t.id AND i.party = $1)
		FROM task_tasks t WHERE ($2 = '' OR t.state = $2) ORDER BY t.created_ms DESC, t.id LIMIT $3`
	rows, err := s.db.QueryContext(ctx, q, s.opts.Self, state, limit)
	if err != nil {
		return nil, fmt.Errorf("task: listing tasks: %w", err)
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		var m Summary
		var c, u int64
		if err := rows.Scan(&m.ID, &m.Agreement, &m.Algorithm, &m.Initiator, &m.State, &m.Reason, &c, &u, &m.MineAuthorized); err != nil {
			return nil, fmt.Errorf("task: listing tasks: %w", err)
		}
		m.Created, m.Updated = time.UnixMilli(c).UTC(), time.UnixMilli(u).UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// signal wakes the callers waiting for a task to change.
func (s *Service) signal() {
	s.mu.Lock()
	if s.changed != nil {
		close(s.changed)
	}
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// changes returns the channel closed at the next change of any task.
func (s *Service) changes() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}
