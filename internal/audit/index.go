package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"
	_ "modernc.org/sqlite" // the embedded index database
)

// The query index.
//
// The index is derived data: a tailer reads the log (entry bundles up to the
// latest signed checkpoint) and the payload segments, and records each
// entry's event fields for queries by actor, object, operation, result,
// class and time. It is never written beside the log by Append, so it cannot
// hold an entry the log lacks (the lesson of Rekor's best-effort index).
//
// It cannot drift silently either: it keeps the compact Merkle range of
// every leaf it has indexed, and each reconciliation checks that range's
// root against the signed checkpoint. A mismatch (an index built from
// another log, edited rows, a restored backup) drops and rebuilds the index;
// a checkpoint smaller than the largest the index has seen is a rollback of
// the log and is refused.
const indexFile = "index.db"

// Entry status in the index.
const (
	StatusPresent = "present" // payload present and matching
	StatusPruned  = "pruned"  // payload pruned under a signed manifest
	StatusMissing = "missing" // payload absent without a manifest (verify fails)
)

// indexSchemaVersion is stored in audit_meta; an index of another version
// is dropped and rebuilt (it is derived data).
const indexSchemaVersion = "4"

// audit_payload holds only payload records scanned but not yet matched to an
// entry of a signed checkpoint (appended after it, or orphans of a crash);
// matched records live in their entry's row (seg, off, len).
var indexSchema = []string{
	`CREATE TABLE IF NOT EXISTS audit_meta (k TEXT PRIMARY KEY, v BLOB NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS audit_segment (name TEXT PRIMARY KEY, scanned INTEGER NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS audit_payload (commitment BLOB PRIMARY KEY, segment TEXT NOT NULL, off INTEGER NOT NULL, len INTEGER NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS audit_entry (
		idx INTEGER PRIMARY KEY,
		commitment BLOB NOT NULL,
		status TEXT NOT NULL,
		actor TEXT, time_ns INTEGER, operation TEXT, object_id TEXT, object_kind TEXT,
		result TEXT, reason TEXT, class TEXT, records INTEGER, bytes INTEGER, details_digest TEXT, salt BLOB,
		seg TEXT, off INTEGER, len INTEGER)`,
	`CREATE INDEX IF NOT EXISTS audit_entry_actor ON audit_entry (actor, time_ns)`,
	`CREATE INDEX IF NOT EXISTS audit_entry_object ON audit_entry (object_id, time_ns)`,
	`CREATE INDEX IF NOT EXISTS audit_entry_time ON audit_entry (time_ns)`,
}

// No index on seg: only applying a prune (a rare, batch operation) selects
// by segment, and a scan then is cheaper than maintaining one more B-tree on
// every append.

// Index is the query index of an audit data directory.
type Index struct {
	dir      string
	db       *sql.DB
	verifier note.Verifier
	log      *slog.Logger
	mu       sync.Mutex // one reconciliation at a time in this process
	// pending caches the audit_payload rows written by the last successful
	// reconciliation (payloads ahead of the checkpoint), with their events,
	// so the next one need not read them back from the segments.
	pending map[[32]byte]scannedPayload
}

// OpenIndex opens (creating if needed) the index of the audit data directory
// dir in dir/index.db. The log's verifier key is read from dir/log.pub.
func OpenIndex(dir string, logger *slog.Logger) (*Index, error) {
	if logger == nil {
		logger = slog.Default()
	}
	vb, err := os.ReadFile(filepath.Join(dir, pubFile))
	if err != nil {
		return nil, fmt.Errorf("audit index: %w", err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(vb)))
	if err != nil {
		return nil, fmt.Errorf("audit index: %s: %w", pubFile, err)
	}
	p := filepath.Join(dir, indexFile)
	db, err := sql.Open("sqlite", "file:"+p+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("audit index: %w", err)
	}
	db.SetMaxOpenConns(4)
	// The first connection alone switches a new file to WAL.
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("audit index: %w", err)
	}
	x := &Index{dir: dir, db: db, verifier: v, log: logger}
	if err := x.migrate(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return x, nil
}

// Close closes the index database.
func (x *Index) Close() error { return x.db.Close() }

func (x *Index) migrate(ctx context.Context) error {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit index: %w", err)
	}
	defer tx.Rollback()
	var v []byte
	err = tx.QueryRowContext(ctx, `SELECT v FROM audit_meta WHERE k = 'schema'`).Scan(&v)
	if err != nil || string(v) != indexSchemaVersion {
		// A new file, or an index of another version: (re)create it. The
		// largest checkpoint size seen survives, to keep refusing rollbacks.
		var maxSize []byte
		tx.QueryRowContext(ctx, `SELECT v FROM audit_meta WHERE k = 'max_size'`).Scan(&maxSize)
		for _, t := range []string{"audit_entry", "audit_payload", "audit_segment", "audit_meta"} {
			if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+t); err != nil {
				return fmt.Errorf("audit index: schema: %w", err)
			}
		}
		for _, s := range indexSchema {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("audit index: schema: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_meta (k, v) VALUES ('schema', ?)`, []byte(indexSchemaVersion)); err != nil {
			return fmt.Errorf("audit index: schema: %w", err)
		}
		if maxSize != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_meta (k, v) VALUES ('max_size', ?)`, maxSize); err != nil {
				return fmt.Errorf("audit index: schema: %w", err)
			}
		}
	}
	return tx.Commit()
}

// ReconcileResult says what a reconciliation did.
type ReconcileResult struct {
	Size     uint64 // checkpoint size the index now reflects
	Added    uint64 // entries indexed in this call
	Payloads uint64 // payload records newly scanned
	Pruned   uint64 // entries newly marked pruned
	Rebuilt  bool   // the index disagreed with the log and was rebuilt
}

// ErrRollback means the log's checkpoint is smaller than one the index has
// already seen: the log was rolled back or replaced.
var ErrRollback = errors.New("audit index: log checkpoint is older than one already indexed (rollback)")

// Reconcile brings the index up to the latest signed checkpoint.
func (x *Index) Reconcile(ctx context.Context) (ReconcileResult, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	raw, err := os.ReadFile(filepath.Join(x.dir, logDir, layout.CheckpointPath))
	if errors.Is(err, os.ErrNotExist) {
		return ReconcileResult{}, nil
	}
	if err != nil {
		return ReconcileResult{}, fmt.Errorf("audit index: %w", err)
	}
	cp, _, _, err := log.ParseCheckpoint(raw, x.verifier.Name(), x.verifier)
	if err != nil {
		return ReconcileResult{}, fmt.Errorf("audit index: checkpoint: %w", err)
	}
	res, err := x.reconcile(ctx, cp)
	if err != nil {
		x.pending = nil // the transaction rolled back; the table is authoritative
	}
	var drift *driftError
	if errors.As(err, &drift) {
		x.log.Warn("audit index: disagrees with the log; rebuilding", "reason", drift.msg)
		if err := x.reset(ctx); err != nil {
			return res, err
		}
		res, err = x.reconcile(ctx, cp)
		res.Rebuilt = true
		if errors.As(err, &drift) {
			return res, fmt.Errorf("audit index: the log does not match its own checkpoint (run audit verify): %s", drift.msg)
		}
	}
	return res, err
}

type driftError struct{ msg string }

func (e *driftError) Error() string { return "audit index drift: " + e.msg }

func (x *Index) reset(ctx context.Context) error {
	x.pending = nil
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit index: %w", err)
	}
	defer tx.Rollback()
	// The largest size seen survives a rebuild: it guards against rollback.
	for _, s := range []string{`DELETE FROM audit_entry`, `DELETE FROM audit_payload`, `DELETE FROM audit_segment`,
		`DELETE FROM audit_meta WHERE k NOT IN ('max_size', 'schema')`} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("audit index: reset: %w", err)
		}
	}
	return tx.Commit()
}

func (x *Index) meta(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, k string) ([]byte, error) {
	var v []byte
	err := q.QueryRowContext(ctx, `SELECT v FROM audit_meta WHERE k = ?`, k).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return v, err
}

func u64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func be64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// scannedPayload is a payload record read during reconciliation.
type scannedPayload struct {
	loc   Location
	salt  []byte
	event *Event
}

func (x *Index) reconcile(ctx context.Context, cp *log.Checkpoint) (ReconcileResult, error) {
	res := ReconcileResult{}
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("audit index: %w", err)
	}
	defer tx.Rollback()

	maxb, err := x.meta(ctx, tx, "max_size")
	if err != nil {
		return res, fmt.Errorf("audit index: %w", err)
	}
	if maxSize := u64(maxb); maxb != nil && cp.Size < maxSize {
		return res, fmt.Errorf("%w: index saw size %d, checkpoint says %d", ErrRollback, maxSize, cp.Size)
	}
	sizeb, err := x.meta(ctx, tx, "size")
	if err != nil {
		return res, fmt.Errorf("audit index: %w", err)
	}
	size := u64(sizeb)
	rangeb, err := x.meta(ctx, tx, "range")
	if err != nil {
		return res, fmt.Errorf("audit index: %w", err)
	}
	if origin, err := x.meta(ctx, tx, "origin"); err != nil {
		return res, fmt.Errorf("audit index: %w", err)
	} else if origin != nil && string(origin) != cp.Origin {
		return res, &driftError{fmt.Sprintf("index built for origin %q, log is %q", origin, cp.Origin)}
	}
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	var hashes [][]byte
	for i := 0; i+32 <= len(rangeb); i += 32 {
		hashes = append(hashes, rangeb[i:i+32])
	}
	cr, err := rf.NewRange(0, size, hashes)
	if err != nil {
		return res, &driftError{"stored compact range: " + err.Error()}
	}

	// 1. New payload records (from where each segment was last scanned).
	fresh := map[[32]byte]scannedPayload{}
	if err := x.scanPayloads(ctx, tx, fresh, &res); err != nil {
		return res, err
	}
	// 2. Segments pruned since the last run.
	if err := x.applyPrunes(ctx, tx, &res); err != nil {
		return res, err
	}
	// 3. New entries.
	if cp.Size > size {
		leaves, err := readLeaves(x.dir, size, cp.Size, cp.Size)
		if err != nil {
			return res, fmt.Errorf("audit index: %w", err)
		}
		pruned, _, err := loadPruneManifests(x.dir, x.verifier)
		if err != nil {
			return res, fmt.Errorf("audit index: %w", err)
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO audit_entry (idx, commitment, status, actor, time_ns, operation, object_id, object_kind, result, reason, class, records, bytes, details_digest, salt, seg, off, len)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return res, fmt.Errorf("audit index: %w", err)
		}
		defer ins.Close()
		for i, c := range leaves {
			idx := size + uint64(i)
			lh := leafHash(c)
			if err := cr.Append(lh[:], nil); err != nil {
				return res, &driftError{err.Error()}
			}
			// A commitment listed in a prune manifest is pruned even if its record was
			// scanned in this round: the manifest is written before the segment goes.
			var p scannedPayload
			var found bool
			var err error
			if !pruned[c] {
				if p, found, err = x.payloadFor(ctx, tx, fresh, c); err != nil {
					return res, err
				}
			}
			switch {
			case pruned[c]:
				_, err = ins.ExecContext(ctx, int64(idx), c[:], StatusPruned, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil)
			case found:
				e := p.event
				_, err = ins.ExecContext(ctx, int64(idx), c[:], StatusPresent, e.Actor, e.Time.UnixNano(), string(e.Operation),
					e.ObjectID, string(e.ObjectKind), string(e.Result), e.Reason, string(e.EffectiveClass()), int64(e.Records), int64(e.Bytes), e.DetailsDigest, p.salt,
					p.loc.Segment, p.loc.Offset, int64(p.loc.Len))
			default:
				x.log.Warn("audit index: entry without payload or prune manifest", "entry", idx)
				_, err = ins.ExecContext(ctx, int64(idx), c[:], StatusMissing, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil)
			}
			if err != nil {
				return res, fmt.Errorf("audit index: entry %d: %w", idx, err)
			}
			res.Added++
		}
	}
	// Records not matched to an entry yet wait in audit_payload (and in memory).
	defer func() {
		if x.pending == nil {
			x.pending = map[[32]byte]scannedPayload{}
		}
		maps.Copy(x.pending, fresh)
	}()
	if len(fresh) > 0 {
		pend, err := tx.PrepareContext(ctx, `INSERT INTO audit_payload (commitment, segment, off, len) VALUES (?, ?, ?, ?) ON CONFLICT (commitment) DO NOTHING`)
		if err != nil {
			return res, fmt.Errorf("audit index: %w", err)
		}
		for c, p := range fresh {
			if _, err := pend.ExecContext(ctx, c[:], p.loc.Segment, p.loc.Offset, int64(p.loc.Len)); err != nil {
				pend.Close()
				return res, fmt.Errorf("audit index: %w", err)
			}
		}
		pend.Close()
	}
	root, err := cr.GetRootHash(nil)
	if err != nil {
		return res, &driftError{err.Error()}
	}
	if cp.Size == 0 {
		root = rfc6962.DefaultHasher.EmptyRoot()
	}
	if !bytes.Equal(root, cp.Hash) {
		return res, &driftError{fmt.Sprintf("indexed leaves give root %x at size %d, checkpoint says %x", root, cp.Size, cp.Hash)}
	}
	rb := []byte{}
	for _, h := range cr.Hashes() {
		rb = append(rb, h...)
	}
	for k, v := range map[string][]byte{"size": be64(cp.Size), "max_size": be64(max(cp.Size, u64(maxb))), "range": rb, "origin": []byte(cp.Origin)} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`, k, v); err != nil {
			return res, fmt.Errorf("audit index: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("audit index: %w", err)
	}
	res.Size = cp.Size
	return res, nil
}

// payloadFor finds the payload of commitment c: scanned in this run, or
// waiting in audit_payload from an earlier run (then read from its segment).
// A record found is consumed: it moves into the entry's row.
func (x *Index) payloadFor(ctx context.Context, tx *sql.Tx, fresh map[[32]byte]scannedPayload, c [32]byte) (scannedPayload, bool, error) {
	if p, ok := fresh[c]; ok {
		delete(fresh, c)
		return p, true, nil
	}
	if p, ok := x.pending[c]; ok {
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_payload WHERE commitment = ?`, c[:]); err != nil {
			return scannedPayload{}, false, fmt.Errorf("audit index: %w", err)
		}
		delete(x.pending, c)
		return p, true, nil
	}
	var loc Location
	err := tx.QueryRowContext(ctx, `SELECT segment, off, len FROM audit_payload WHERE commitment = ?`, c[:]).Scan(&loc.Segment, &loc.Offset, &loc.Len)
	if errors.Is(err, sql.ErrNoRows) {
		return scannedPayload{}, false, nil
	}
	if err != nil {
		return scannedPayload{}, false, fmt.Errorf("audit index: %w", err)
	}
	salt, e, err := ReadPayloadAt(x.dir, loc, c)
	if errors.Is(err, os.ErrNotExist) {
		return scannedPayload{}, false, nil
	}
	if err != nil {
		return scannedPayload{}, false, fmt.Errorf("audit index: payload %x: %w", c, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM audit_payload WHERE commitment = ?`, c[:]); err != nil {
		return scannedPayload{}, false, fmt.Errorf("audit index: %w", err)
	}
	return scannedPayload{loc: loc, salt: salt, event: e}, true, nil
}

func (x *Index) scanPayloads(ctx context.Context, tx *sql.Tx, fresh map[[32]byte]scannedPayload, res *ReconcileResult) error {
	root := filepath.Join(x.dir, payloadDir)
	for c := range validClasses {
		names, err := segmentNames(root, c)
		if err != nil {
			return fmt.Errorf("audit index: %w", err)
		}
		for _, name := range names {
			var scanned int64
			err := tx.QueryRowContext(ctx, `SELECT scanned FROM audit_segment WHERE name = ?`, name).Scan(&scanned)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("audit index: %w", err)
			}
			end, err := scanSegmentFrom(filepath.Join(root, filepath.FromSlash(name)), scanned, func(loc Location, cm [32]byte, data []byte) error {
				e, err := ParseCanonical(data[saltLen:])
				if err != nil {
					return fmt.Errorf("record at %d: %w", loc.Offset, err)
				}
				fresh[cm] = scannedPayload{loc, append([]byte{}, data[:saltLen]...), e}
				res.Payloads++
				return nil
			})
			var ce *corruptRecord
			if err != nil && !errors.As(err, &ce) {
				return fmt.Errorf("audit index: segment %s: %w", name, err)
			}
			// A torn or corrupt tail stops the scan there; it is retried next time
			// (a live writer may still be appending) and audit verify reports it.
			if end != scanned {
				if _, err := tx.ExecContext(ctx, `INSERT INTO audit_segment (name, scanned) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET scanned = excluded.scanned`, name, end); err != nil {
					return fmt.Errorf("audit index: %w", err)
				}
			}
		}
	}
	return nil
}

// applyPrunes marks entries of segments that have been pruned since the
// last reconciliation, dropping their indexed fields.
func (x *Index) applyPrunes(ctx context.Context, tx *sql.Tx, res *ReconcileResult) error {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM audit_segment`)
	if err != nil {
		return fmt.Errorf("audit index: %w", err)
	}
	var gone []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("audit index: %w", err)
		}
		if _, err := os.Stat(filepath.Join(x.dir, payloadDir, filepath.FromSlash(name))); errors.Is(err, os.ErrNotExist) {
			gone = append(gone, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit index: %w", err)
	}
	for _, name := range gone {
		r, err := tx.ExecContext(ctx, `UPDATE audit_entry SET status = ?, actor = NULL, time_ns = NULL, operation = NULL, object_id = NULL,
			object_kind = NULL, result = NULL, reason = NULL, class = NULL, records = NULL, bytes = NULL, details_digest = NULL, salt = NULL,
			seg = NULL, off = NULL, len = NULL
			WHERE seg = ?`, StatusPruned, name)
		if err != nil {
			return fmt.Errorf("audit index: %w", err)
		}
		n, _ := r.RowsAffected()
		res.Pruned += uint64(n)
		maps.DeleteFunc(x.pending, func(_ [32]byte, p scannedPayload) bool { return p.loc.Segment == name })
		for _, q := range []string{`DELETE FROM audit_payload WHERE segment = ?`, `DELETE FROM audit_segment WHERE name = ?`} {
			if _, err := tx.ExecContext(ctx, q, name); err != nil {
				return fmt.Errorf("audit index: %w", err)
			}
		}
	}
	return nil
}

// scanSegmentFrom is scanSegment starting at offset from.
func scanSegmentFrom(p string, from int64, fn func(loc Location, c [32]byte, data []byte) error) (int64, error) {
	if from == 0 {
		return scanSegment(p, fn)
	}
	f, err := os.Open(p)
	if err != nil {
		return from, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return from, err
	}
	if st.Size() == from {
		return from, nil
	}
	// Read the tail into a temporary view and scan it with offsets shifted.
	sr := io.NewSectionReader(f, from, st.Size()-from)
	end, err := scanReader(sr, st.Size()-from, filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p), func(loc Location, c [32]byte, data []byte) error {
		loc.Offset += from
		return fn(loc, c, data)
	})
	return from + end, err
}

// Query selects indexed entries. Zero fields do not filter.
type Query struct {
	Actor      string
	ObjectID   string
	ObjectKind ObjectKind
	Operation  Operation
	Result     Result
	Class      Class
	From, To   time.Time // event time in [From, To)
	After      int64     // only entries with index > After (cursor); -1 or 0 value with AfterSet false = from the start
	AfterSet   bool
	Limit      int // default 100, at most 10,000
}

// Hit is one query result.
type Hit struct {
	Index      uint64
	Commitment [32]byte
	Status     string
	Event      *Event // nil when pruned or missing
}

// MarshalJSON writes a hit as {"index", "commitment" (hex), "status",
// "event" (absent when pruned or missing)}: the form of the CLI's and the
// management API's query results.
func (h Hit) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Index      uint64 `json:"index"`
		Commitment string `json:"commitment"`
		Status     string `json:"status"`
		Event      *Event `json:"event,omitempty"`
	}{h.Index, hex.EncodeToString(h.Commitment[:]), h.Status, h.Event})
}

// UnmarshalJSON reads MarshalJSON's form, so that clients of the
// management API can decode its hits.
func (h *Hit) UnmarshalJSON(b []byte) error {
	var v struct {
		Index      uint64 `json:"index"`
		Commitment string `json:"commitment"`
		Status     string `json:"status"`
		Event      *Event `json:"event"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	c, err := hex.DecodeString(v.Commitment)
	if err != nil || len(c) != len(h.Commitment) {
		return fmt.Errorf("audit: hit commitment %q: want %d hex bytes", v.Commitment, len(h.Commitment))
	}
	h.Index, h.Status, h.Event = v.Index, v.Status, v.Event
	copy(h.Commitment[:], c)
	return nil
}

// Query returns entries matching q in log order.
func (x *Index) Query(ctx context.Context, q Query) ([]Hit, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if q.Actor != "" {
		add("actor = ?", q.Actor)
	}
	if q.ObjectID != "" {
		add("object_id = ?", q.ObjectID)
	}
	if q.ObjectKind != "" {
		add("object_kind = ?", string(q.ObjectKind))
	}
	if q.Operation != "" {
		add("operation = ?", string(q.Operation))
	}
	if q.Result != "" {
		add("result = ?", string(q.Result))
	}
	if q.Class != "" {
		add("class = ?", string(q.Class))
	}
	if !q.From.IsZero() {
		add("time_ns >= ?", q.From.UnixNano())
	}
	if !q.To.IsZero() {
		add("time_ns < ?", q.To.UnixNano())
	}
	if q.AfterSet {
		add("idx > ?", q.After)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 10_000)
	s := `SELECT idx, commitment, status, actor, time_ns, operation, object_id, object_kind, result, reason, class, records, bytes, details_digest FROM audit_entry`
	if len(where) > 0 {
		s += " WHERE " + strings.Join(where, " AND ")
	}
	s += fmt.Sprintf(" ORDER BY idx LIMIT %d", limit)
	rows, err := x.db.QueryContext(ctx, s, args...)
	if err != nil {
		return nil, fmt.Errorf("audit query: %w", err)
	}
	defer rows.Close()
	var out []Hit
	for rows.Next() {
		var h Hit
		var c []byte
		var actor, op, oid, kind, result, reason, class, digest sql.NullString
		var tns, records, nbytes sql.NullInt64
		if err := rows.Scan(&h.Index, &c, &h.Status, &actor, &tns, &op, &oid, &kind, &result, &reason, &class, &records, &nbytes, &digest); err != nil {
			return nil, fmt.Errorf("audit query: %w", err)
		}
		copy(h.Commitment[:], c)
		if h.Status == StatusPresent {
			h.Event = &Event{Actor: actor.String, Time: time.Unix(0, tns.Int64).UTC(), Operation: Operation(op.String),
				ObjectID: oid.String, ObjectKind: ObjectKind(kind.String), Result: Result(result.String), Reason: reason.String,
				Class: Class(class.String), Records: uint64(records.Int64), Bytes: uint64(nbytes.Int64), DetailsDigest: digest.String}
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Locate returns where the payload of entry index is stored, if present.
func (x *Index) Locate(ctx context.Context, index uint64) (Location, bool, error) {
	var seg sql.NullString
	var off, n sql.NullInt64
	err := x.db.QueryRowContext(ctx, `SELECT seg, off, len FROM audit_entry WHERE idx = ?`, int64(index)).Scan(&seg, &off, &n)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !seg.Valid) {
		return Location{}, false, nil
	}
	if err != nil {
		return Location{}, false, fmt.Errorf("audit index: %w", err)
	}
	return Location{Segment: seg.String, Offset: off.Int64, Len: uint32(n.Int64)}, true, nil
}

// Check recomputes the tree root from every commitment the index holds, in
// index order, and compares it with the root the index last reconciled to
// (itself checked against a signed checkpoint). Rows deleted, added or
// changed outside the tailer are found here; Check then rebuilds the index.
func (x *Index) Check(ctx context.Context) (rebuilt bool, err error) {
	x.mu.Lock()
	sizeb, err := x.meta(ctx, x.db, "size")
	if err != nil {
		x.mu.Unlock()
		return false, fmt.Errorf("audit index: %w", err)
	}
	rangeb, err := x.meta(ctx, x.db, "range")
	if err != nil {
		x.mu.Unlock()
		return false, fmt.Errorf("audit index: %w", err)
	}
	size := u64(sizeb)
	msg, err := x.checkRows(ctx, size, rangeb)
	x.mu.Unlock()
	if err != nil {
		return false, err
	}
	if msg == "" {
		return false, nil
	}
	x.log.Warn("audit index: rows disagree with the log; rebuilding", "reason", msg)
	if err := x.reset(ctx); err != nil {
		return true, err
	}
	_, err = x.Reconcile(ctx)
	return true, err
}

func (x *Index) checkRows(ctx context.Context, size uint64, rangeb []byte) (string, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT idx, commitment, status, actor, time_ns, operation, object_id, object_kind, result, reason, class, records, bytes, details_digest, salt FROM audit_entry ORDER BY idx`)
	if err != nil {
		return "", fmt.Errorf("audit index: %w", err)
	}
	defer rows.Close()
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	cr := rf.NewEmptyRange(0)
	var n uint64
	for rows.Next() {
		var idx int64
		var c, salt []byte
		var status string
		var actor, op, oid, kind, result, reason, class, digest sql.NullString
		var tns, records, nbytes sql.NullInt64
		if err := rows.Scan(&idx, &c, &status, &actor, &tns, &op, &oid, &kind, &result, &reason, &class, &records, &nbytes, &digest, &salt); err != nil {
			return "", fmt.Errorf("audit index: %w", err)
		}
		if uint64(idx) != n || len(c) != 32 {
			return fmt.Sprintf("row %d out of sequence or malformed", idx), nil
		}
		switch status {
		case StatusPresent:
			// The row's fields and salt must reproduce the commitment in the log.
			e := &Event{Actor: actor.String, Time: time.Unix(0, tns.Int64).UTC(), Operation: Operation(op.String),
				ObjectID: oid.String, ObjectKind: ObjectKind(kind.String), Result: Result(result.String), Reason: reason.String,
				Class: Class(class.String), Records: uint64(records.Int64), Bytes: uint64(nbytes.Int64), DetailsDigest: digest.String}
			canon, err := e.Canonical()
			if err != nil || len(salt) != saltLen || Commit(salt, canon) != [32]byte(c) {
				return fmt.Sprintf("row %d does not reproduce its commitment", idx), nil
			}
		case StatusPruned, StatusMissing:
			if actor.Valid || oid.Valid || salt != nil {
				return fmt.Sprintf("row %d keeps fields of a %s payload", idx, status), nil
			}
		default:
			return fmt.Sprintf("row %d has status %q", idx, status), nil
		}
		lh := leafHash([32]byte(c))
		if err := cr.Append(lh[:], nil); err != nil {
			return err.Error(), nil
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("audit index: %w", err)
	}
	if n != size {
		return fmt.Sprintf("%d rows for size %d", n, size), nil
	}
	got := []byte{}
	for _, h := range cr.Hashes() {
		got = append(got, h...)
	}
	if !bytes.Equal(got, rangeb) {
		return "rows do not reproduce the reconciled tree", nil
	}
	return "", nil
}
