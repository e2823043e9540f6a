package dsp

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
)

// Group commit (SQLite only).
//
// Every write of a SQLStore on SQLite (Create, Update, AddRefusal, Cursor,
// SaveCursor) is handed to one writer goroutine. The writer takes the
// first write queued and every other write whose caller is waiting to
// queue at that moment, up to maxBatch, and runs them in one transaction:
// each write in its own savepoint (SAVEPOINT, then RELEASE, or ROLLBACK TO
// when its statements fail, so that one failing write leaves the others
// in), then one COMMIT, one fsync with synchronous=FULL, for the whole
// batch. Only after the COMMIT does any caller get its answer: its own
// result (ErrConflict, the existing process of a repeated Create, …) if
// the COMMIT succeeded, the COMMIT's error otherwise. A state transition
// is therefore durable before its caller can act on it, exactly as with a
// transaction per write.
//
// A caller whose ctx is done before the writer starts its write gets
// ctx.Err() and the write is not applied. Once the writer has started it,
// the write runs to the end of its batch regardless of ctx (its
// statements run under the writer's context: interrupting one statement
// would roll back the whole batch) and the caller waits for the COMMIT's
// result, which is then the truth about the write.
//
// Positions in dsp_events stay commit-ordered: SQLite assigns them under
// the write lock that the batch's transaction holds until it commits, in
// the order the writes run, and a write rolled back to its savepoint
// also rolls back its increment of sqlite_sequence, so it leaves no gap.
// A batch's events become visible together, at its COMMIT, after every
// event of earlier batches.
//
// PostgreSQL keeps a transaction per write on its connection pool.

// maxBatch bounds the writes of one transaction.
const maxBatch = 256

// errStoreClosed answers writes queued after Close.
var errStoreClosed = errors.New("dsp: the store is closed")

// groupStats counts the writer's work, for tests.
type groupStats struct {
	waiting               atomic.Int64 // callers waiting to queue a write
	batches, writes, last atomic.Int64 // transactions, writes in them, writes in the last one
}

// writeOp is one write waiting for the writer.
type writeOp struct {
	ctx context.Context
	// apply runs the write's statements in tx; an error undoes them.
	apply func(ctx context.Context, tx *sql.Tx) error
	// state: opQueued, then opStarted (by the writer) or opAbandoned (by
	// the caller, when its ctx is done first).
	state atomic.Int32
	done  chan error // buffered: the writer never waits for the caller
}

const (
	opQueued int32 = iota
	opStarted
	opAbandoned
)

// write runs apply in a transaction: on SQLite in the writer's next batch,
// on PostgreSQL in a transaction of its own. what names the write in
// errors of the transaction itself. apply's own error is returned as is.
func (s *SQLStore) write(ctx context.Context, what string, apply func(ctx context.Context, tx *sql.Tx) error) error {
	if !s.group {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("dsp: %s: %w", what, err)
		}
		defer tx.Rollback()
		if err := apply(ctx, tx); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("dsp: %s: %w", what, err)
		}
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	op := &writeOp{ctx: ctx, apply: apply, done: make(chan error, 1)}
	s.stats.waiting.Add(1)
	select {
	case s.queue <- op:
		s.stats.waiting.Add(-1)
	case <-ctx.Done():
		s.stats.waiting.Add(-1)
		return ctx.Err()
	case <-s.quit:
		s.stats.waiting.Add(-1)
		return errStoreClosed
	}
	select {
	case err := <-op.done:
		return s.wrapCommit(what, err)
	case <-ctx.Done():
		if op.state.CompareAndSwap(opQueued, opAbandoned) {
			return ctx.Err()
		}
		// The writer has started the write: its COMMIT decides.
		return s.wrapCommit(what, <-op.done)
	}
}

// commitError marks the errors of a batch's transaction, as opposed to a
// write's own result.
type commitError struct{ err error }

func (e *commitError) Error() string { return e.err.Error() }
func (e *commitError) Unwrap() error { return e.err }

func (s *SQLStore) wrapCommit(what string, err error) error {
	if ce, ok := err.(*commitError); ok {
		return fmt.Errorf("dsp: %s: %w", what, ce.err)
	}
	return err
}

// writer runs the batches until Close.
func (s *SQLStore) writer() {
	defer close(s.stopped)
	batch := make([]*writeOp, 0, maxBatch)
	for {
		var op *writeOp
		select {
		case op = <-s.queue:
		case <-s.quit:
			return
		}
		batch = append(batch[:0], op)
	more:
		for len(batch) < maxBatch {
			select {
			case op := <-s.queue:
				batch = append(batch, op)
			default:
				break more
			}
		}
		s.runBatch(batch)
		clear(batch)
	}
}

// runBatch runs the writes of batch in one transaction and answers them
// after its COMMIT.
func (s *SQLStore) runBatch(batch []*writeOp) {
	ctx := context.Background()
	live := batch[:0:0]
	for _, op := range batch {
		if op.ctx.Err() == nil && op.state.CompareAndSwap(opQueued, opStarted) {
			live = append(live, op)
		} else if op.state.CompareAndSwap(opQueued, opAbandoned) {
			op.done <- op.ctx.Err()
		} // else the caller abandoned it and has its answer
	}
	if len(live) == 0 {
		return
	}
	s.stats.batches.Add(1)
	s.stats.writes.Add(int64(len(live)))
	s.stats.last.Store(int64(len(live)))
	fail := func(err error) {
		for _, op := range live {
			op.done <- &commitError{err}
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		fail(err)
		return
	}
	results := make([]error, len(live))
	if len(live) == 1 {
		// No savepoint needed: the write's failure is the transaction's.
		if results[0] = live[0].apply(ctx, tx); results[0] != nil {
			tx.Rollback()
			live[0].done <- results[0]
			return
		}
	} else {
		for i, op := range live {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
				tx.Rollback()
				fail(err)
				return
			}
			undo := []string{"RELEASE w"}
			if results[i] = op.apply(ctx, tx); results[i] != nil {
				undo = []string{"ROLLBACK TO w", "RELEASE w"}
			}
			if err := execAll(ctx, tx, undo); err != nil {
				// The transaction is in doubt (SQLite rolls back the whole
				// transaction on some errors): nothing of it is kept.
				tx.Rollback()
				fail(err)
				return
			}
		}
	}
	if err := tx.Commit(); err != nil {
		fail(err)
		return
	}
	for i, op := range live {
		op.done <- results[i]
	}
}

func execAll(ctx context.Context, tx *sql.Tx, stmts []string) error {
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
