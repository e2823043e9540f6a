package audit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"github.com/xborder/xborder/internal/witness"
	"golang.org/x/mod/sumdb/note"
)

// Data directory layout (all under the directory given to Open):
//
//	log/            tessera POSIX log: checkpoint, tile/…, tile/entries/… (tlog-tiles)
//	payloads/CLASS/ payload segments (salt ‖ canonical event records), one
//	                sequence per sensitivity class; see segment.go
//	log.key         Ed25519 note signer key (private, mode 0600)
//	log.pub         the matching note verifier key ("origin+keyid+key")
const (
	logDir     = "log"
	payloadDir = "payloads"
	keyFile    = "log.key"
	pubFile    = "log.pub"
	saltLen    = 32
)

// Tessera batching defaults: an entry waits at most DefaultBatchMaxAge in
// memory before it is integrated with the others of its batch.
const (
	DefaultBatchMaxAge  = 10 * time.Millisecond
	DefaultBatchMaxSize = 4096
)

// Options configure Open.
type Options struct {
	// Origin is the checkpoint origin (and note key name) used when a new
	// data directory is created; ignored when the key already exists.
	// Default "xborder.audit".
	Origin string
	// CheckpointInterval is how often tessera publishes a checkpoint
	// (minimum 100 ms for POSIX). Default 100 ms.
	CheckpointInterval time.Duration
	// BatchMaxAge bounds how long an entry waits in tessera's in-memory batch. Default 10 ms.
	BatchMaxAge time.Duration
	// BatchMaxSize is tessera's largest batch. Default 4096.
	BatchMaxSize uint
	// SegmentMaxBytes rotates a payload segment at this size. Default 64 MiB.
	SegmentMaxBytes int64
	// Now is the clock used to name payload segments. Default time.Now.
	Now func() time.Time
	// Logger receives operational messages. Default slog.Default().
	Logger *slog.Logger
	// IndexInterval is how often the query index follows the log. Default 1 s.
	IndexInterval time.Duration
	// Witnesses, when set with K > 0, must cosign (k of n) every checkpoint
	// before it is published (C2SP tlog-witness). Their URLs are contacted
	// with WitnessTimeout (default 5 s) per round.
	Witnesses      *witness.Policy
	WitnessTimeout time.Duration
	// Timestamper, when set, timestamps the latest checkpoint every
	// TimestampInterval (default 1 min) if the tree grew.
	Timestamper       Timestamper
	TimestampInterval time.Duration
	// Follow, when set, receives every entry the index takes in, in log
	// order, from the tailer goroutine: first those already in the index
	// when the log opens (replay = true), then each new one (replay = false).
	// Pruned entries have a nil event. It must not block for long.
	Follow func(ctx context.Context, index uint64, e *Event, replay bool)
}

// Log is an open audit log. Append is safe for concurrent use.
type Log struct {
	dir      string
	origin   string
	verifier note.Verifier
	signer   note.Signer
	opts     Options
	vkey     string
	appender *tessera.Appender
	shutdown func(context.Context) error
	awaiter  *tessera.PublicationAwaiter
	reader   tessera.LogReader
	payloads *segmentWriter
	index    *Index
	unlock   func()
	tailDone chan struct{}
	// stampDone is closed when the timestamping loop has stopped.
	stampDone chan struct{}
	// checked is closed when the index check after Open is done (checkErr its outcome).
	checked  chan struct{}
	checkErr error
	cancel   context.CancelFunc
	// stopTail stops the tail (index reconciliation and Follow) alone.
	stopTail context.CancelFunc
}

// Open opens (creating if needed) the audit log in dir. A directory can be
// open by one Log at a time, in this process or another (an flock on
// dir/.lock, which — unlike tessera's fcntl locks — also excludes a second
// Open in the same process); Close releases it.
func Open(dir string, opts Options) (l *Log, err error) {
	if opts.Origin == "" {
		opts.Origin = "xborder.audit"
	}
	if opts.CheckpointInterval == 0 {
		opts.CheckpointInterval = 100 * time.Millisecond
	}
	if opts.BatchMaxAge == 0 {
		opts.BatchMaxAge = DefaultBatchMaxAge
	}
	if opts.BatchMaxSize == 0 {
		opts.BatchMaxSize = DefaultBatchMaxSize
	}
	if opts.SegmentMaxBytes == 0 {
		opts.SegmentMaxBytes = 64 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.IndexInterval == 0 {
		opts.IndexInterval = time.Second
	}
	if opts.WitnessTimeout == 0 {
		opts.WitnessTimeout = 5 * time.Second
	}
	if opts.TimestampInterval == 0 {
		opts.TimestampInterval = time.Minute
	}
	if err := os.MkdirAll(filepath.Join(dir, payloadDir), 0o755); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			unlock()
		}
	}()
	skey, vkey, err := loadOrCreateKey(dir, opts.Origin)
	if err != nil {
		return nil, err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("audit: %s: %w", keyFile, err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("audit: %s: %w", pubFile, err)
	}
	// Before tessera trusts its private tree state, check it against the
	// signed checkpoint and the tiles, and bring the index up to date (which
	// refuses a checkpoint older than one already indexed).
	if err := checkTreeState(context.Background(), dir, verifier); err != nil {
		return nil, fmt.Errorf("audit: refusing to open: %w", err)
	}
	idx, err := openIndexChecked(context.Background(), dir, opts.Logger)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			idx.Close()
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	driver, err := posix.New(ctx, posix.Config{Path: filepath.Join(dir, logDir), HTTPClient: &http.Client{Timeout: opts.WitnessTimeout}})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("audit: tessera posix driver: %w", err)
	}
	sm2Signer, err := loadSM2Signer(dir)
	if err != nil {
		cancel()
		return nil, err
	}
	var extra []note.Signer
	if sm2Signer != nil {
		if sm2Signer.Name() != signer.Name() {
			cancel()
			return nil, fmt.Errorf("audit: %s is for %q, the log is %q", sm2PubFile, sm2Signer.Name(), signer.Name())
		}
		extra = append(extra, sm2Signer)
	}
	aopts := tessera.NewAppendOptions().
		WithCheckpointSigner(signer, extra...).
		WithCheckpointInterval(opts.CheckpointInterval).
		WithBatching(opts.BatchMaxSize, opts.BatchMaxAge).
		WithPushback(1 << 16)
	if opts.Witnesses != nil && opts.Witnesses.K > 0 {
		g, err := opts.Witnesses.WitnessGroup()
		if err != nil {
			cancel()
			return nil, fmt.Errorf("audit: witnesses: %w", err)
		}
		aopts = aopts.WithWitnesses(g, &tessera.WitnessOptions{Timeout: opts.WitnessTimeout})
	}
	appender, shutdown, reader, err := tessera.NewAppender(ctx, driver, aopts)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("audit: tessera appender: %w", err)
	}
	pw, err := newSegmentWriter(filepath.Join(dir, payloadDir), opts.SegmentMaxBytes, opts.Now, opts.Logger)
	if err != nil {
		shutdown(ctx)
		cancel()
		return nil, err
	}
	if err != nil {
		pw.close()
		shutdown(ctx)
		cancel()
		return nil, err
	}
	l = &Log{
		unlock: unlock,
		dir:    dir, origin: signer.Name(), verifier: verifier, vkey: vkey, signer: signer, opts: opts,
		appender: appender, shutdown: shutdown, cancel: cancel, reader: reader, payloads: pw, index: idx,
		awaiter:  tessera.NewPublicationAwaiter(ctx, reader.ReadCheckpoint, 10*time.Millisecond),
		tailDone: make(chan struct{}), stampDone: make(chan struct{}), checked: make(chan struct{}),
	}
	tailCtx, stopTail := context.WithCancel(ctx)
	l.stopTail = stopTail
	go l.tail(tailCtx)
	if opts.Timestamper != nil {
		go l.stampLoop(ctx, opts.Timestamper, opts.TimestampInterval)
	} else {
		close(l.stampDone)
	}
	if err := l.finishPrunes(ctx); err != nil {
		l.Close(context.Background())
		return nil, err
	}
	return l, nil
}

// openIndexChecked opens the index and brings it up to the latest checkpoint
// (refusing a rolled-back log); the row-by-row check runs in the background
// (Log.tail) and queries wait for it. An index that cannot be read (a
// corrupt file) is moved aside and rebuilt: it is derived data. A rollback
// of the log is an error.
func openIndexChecked(ctx context.Context, dir string, logger *slog.Logger) (*Index, error) {
	try := func() (*Index, error) {
		x, err := OpenIndex(dir, logger)
		if err != nil {
			return nil, err
		}
		if _, err = x.Reconcile(ctx); err != nil {
			x.Close()
			return nil, err
		}
		return x, nil
	}
	x, err := try()
	if err == nil || errors.Is(err, ErrRollback) || ctx.Err() != nil {
		return x, err
	}
	aside := filepath.Join(dir, fmt.Sprintf("%s.unreadable-%d", indexFile, time.Now().UnixNano()))
	logger.Warn("audit: index unreadable; moving it aside and rebuilding", "error", err, "moved_to", aside)
	if rerr := os.Rename(filepath.Join(dir, indexFile), aside); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		return nil, fmt.Errorf("audit: index: %w (and moving it aside: %v)", err, rerr)
	}
	for _, sfx := range []string{"-wal", "-shm"} {
		os.Rename(filepath.Join(dir, indexFile+sfx), aside+sfx)
	}
	return try()
}

// tail keeps the query index following the log.
func (l *Log) tail(ctx context.Context) {
	defer close(l.tailDone)
	// First check every indexed row against the log (rebuilding on
	// disagreement); queries wait for this, appends do not.
	rebuilt, err := l.index.Check(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		l.checkErr = err
		l.opts.Logger.Error("audit: index check failed", "error", err)
	case rebuilt:
		l.opts.Logger.Warn("audit: index rebuilt: it disagreed with the log")
	}
	close(l.checked)
	next := int64(0) // the next index to hand to Follow
	if l.opts.Follow != nil {
		next = l.follow(ctx, 0, true)
	}
	t := time.NewTicker(l.opts.IndexInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := l.index.Reconcile(ctx); err != nil && ctx.Err() == nil {
				l.opts.Logger.Error("audit: index reconciliation failed", "error", err)
			}
			if l.opts.Follow != nil {
				next = l.follow(ctx, next, false)
			}
		}
	}
}

// follow hands the indexed entries from index from on to Options.Follow and
// returns the next index to hand over.
func (l *Log) follow(ctx context.Context, from int64, replay bool) int64 {
	q := Query{Limit: 10_000}
	if from > 0 {
		q.After, q.AfterSet = from-1, true
	}
	for ctx.Err() == nil {
		hits, err := l.index.Query(ctx, q)
		if err != nil {
			if ctx.Err() == nil {
				l.opts.Logger.Error("audit: following the log", "error", err)
			}
			return from
		}
		for _, h := range hits {
			l.opts.Follow(ctx, h.Index, h.Event, replay)
			from = int64(h.Index) + 1
		}
		if len(hits) < q.Limit {
			break
		}
		q.After, q.AfterSet = int64(hits[len(hits)-1].Index), true
	}
	return from
}

// Index returns the log's query index. Until WaitIndexChecked returns, its
// rows have not yet been checked against the log since Open.
func (l *Log) Index() *Index { return l.index }

// WaitIndexChecked waits for the check of the index that follows Open.
func (l *Log) WaitIndexChecked(ctx context.Context) error {
	select {
	case <-l.checked:
		return l.checkErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Query brings the index up to the latest signed checkpoint and queries it:
// entries acknowledged but not yet covered by a checkpoint are not seen (use
// Sync first to wait for them).
func (l *Log) Query(ctx context.Context, q Query) ([]Hit, error) {
	if err := l.WaitIndexChecked(ctx); err != nil {
		return nil, err
	}
	if _, err := l.index.Reconcile(ctx); err != nil {
		return nil, err
	}
	return l.index.Query(ctx, q)
}

// Sync waits (within ctx) for a signed checkpoint covering every entry
// integrated so far and brings the index up to it.
func (l *Log) Sync(ctx context.Context) error {
	if err := l.WaitIndexChecked(ctx); err != nil {
		return err
	}
	n, err := l.reader.IntegratedSize(ctx)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if n > 0 {
		if _, err := l.AwaitPublished(ctx, n-1); err != nil {
			return err
		}
	}
	_, err = l.index.Reconcile(ctx)
	return err
}

// VerifierKey returns the note verifier key of the log ("origin+keyid+base64").
func (l *Log) VerifierKey() string { return l.vkey }

// Origin returns the checkpoint origin.
func (l *Log) Origin() string { return l.origin }

// Appended is what Append returns for an acknowledged entry.
type Appended struct {
	Index      uint64
	Commitment [32]byte // leaf data: SHA-256(salt ‖ canonical event)
	Payload    Location // where salt ‖ canonical event is stored
}

// Append validates e, stores its salted payload durably (group-committed with
// concurrent appends), adds the commitment to the log and returns once the
// entry is sequenced and integrated into the tree on disk. From then on the
// entry survives a crash: the next checkpoint (within CheckpointInterval, or
// at the next Open) commits to it. Use AwaitPublished for a signed checkpoint
// covering the entry.
func (l *Log) Append(ctx context.Context, e *Event) (Appended, error) {
	r, err := newPayload(e)
	if err != nil {
		return Appended{}, err
	}
	if err := l.payloads.write(ctx, r); err != nil {
		return Appended{}, err
	}
	idx, err := l.appender.Add(ctx, tessera.NewEntry(r.c[:]))()
	if err != nil {
		return Appended{}, fmt.Errorf("audit: append: %w", err)
	}
	return Appended{Index: idx.Index, Commitment: r.c, Payload: r.loc}, nil
}

// AppendBatch appends events as Append does, in their order, as one group:
// it validates them all first (and appends none if one is invalid), stores
// their payloads in one group commit, adds them to the log in order (so
// that, without concurrent appends, they get consecutive indexes) and
// returns once all are integrated, their Appended in the same order. After
// an error other than a validation error, some of the events may be in the
// log: a caller that tries again must look for them first (Sync, Query).
func (l *Log) AppendBatch(ctx context.Context, events []*Event) ([]Appended, error) {
	rs := make([]*payloadReq, len(events))
	for i, e := range events {
		r, err := newPayload(e)
		if err != nil {
			return nil, fmt.Errorf("audit: event %d of the batch: %w", i, err)
		}
		rs[i] = r
	}
	if err := l.payloads.write(ctx, rs...); err != nil {
		return nil, err
	}
	futures := make([]tessera.IndexFuture, len(rs))
	for i, r := range rs {
		futures[i] = l.appender.Add(ctx, tessera.NewEntry(r.c[:]))
	}
	out := make([]Appended, len(rs))
	for i, f := range futures {
		idx, err := f()
		if err != nil {
			return nil, fmt.Errorf("audit: append: %w", err)
		}
		out[i] = Appended{Index: idx.Index, Commitment: rs[i].c, Payload: rs[i].loc}
	}
	return out, nil
}

// newPayload validates e and makes its payload: a fresh salt, then the
// canonical event.
func newPayload(e *Event) (*payloadReq, error) {
	canon, err := e.Canonical()
	if err != nil {
		return nil, err
	}
	data := make([]byte, saltLen+len(canon))
	if _, err := rand.Read(data[:saltLen]); err != nil {
		return nil, fmt.Errorf("audit: salt: %w", err)
	}
	copy(data[saltLen:], canon)
	return &payloadReq{class: e.EffectiveClass(), c: sha256.Sum256(data), data: data}, nil
}

// AwaitPublished waits until a signed checkpoint covering index has been
// published and returns it.
func (l *Log) AwaitPublished(ctx context.Context, index uint64) ([]byte, error) {
	_, cp, err := l.awaiter.Await(ctx, func() (tessera.Index, error) { return tessera.Index{Index: index}, nil })
	if err != nil {
		return nil, fmt.Errorf("audit: awaiting a checkpoint covering %d: %w", index, err)
	}
	return cp, nil
}

// Checkpoint returns the latest published checkpoint.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	return l.reader.ReadCheckpoint(ctx)
}

// Close flushes outstanding entries and releases the log.
//
// Close also waits (within ctx) for a checkpoint covering every integrated
// entry, including entries integrated before a crash and not yet published.
func (l *Log) Close(ctx context.Context) error {
	var err error
	if n, ierr := l.reader.IntegratedSize(ctx); ierr == nil && n > 0 {
		_, err = l.AwaitPublished(ctx, n-1)
	}
	// The tail stops while the appender still runs: a Follow callback may
	// be appending (an anomaly alert, say), and an append to a shut-down
	// appender would never return. What it did not see yet it replays at
	// the next Open.
	l.stopTail()
	<-l.tailDone
	if serr := l.shutdown(ctx); err == nil {
		err = serr
	}
	if l.opts.Timestamper != nil && err == nil {
		if _, serr := l.StampCheckpoint(ctx, l.opts.Timestamper); serr != nil {
			l.opts.Logger.Warn("audit: timestamping the final checkpoint failed", "error", serr)
		}
	}
	l.payloads.close()
	l.cancel()
	<-l.tailDone
	<-l.stampDone
	if _, rerr := l.index.Reconcile(context.WithoutCancel(ctx)); err == nil && rerr != nil {
		err = rerr
	}
	if cerr := l.index.Close(); err == nil {
		err = cerr
	}
	l.unlock()
	return err
}

// Commit returns the salted commitment SHA-256(salt ‖ canonical).
func Commit(salt, canonical []byte) [32]byte {
	h := sha256.New()
	h.Write(salt)
	h.Write(canonical)
	var c [32]byte
	h.Sum(c[:0])
	return c
}

func syncDir(d string) error {
	f, err := os.Open(d)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// ReadPayloadAt reads the payload at loc in data directory dir, checks that
// it reproduces commitment c and returns its salt and event.
func ReadPayloadAt(dir string, loc Location, c [32]byte) (salt []byte, e *Event, err error) {
	data, err := readRecord(filepath.Join(dir, payloadDir), loc, c)
	if err != nil {
		return nil, nil, err
	}
	e, err = ParseCanonical(data[saltLen:])
	if err != nil {
		return nil, nil, err
	}
	return data[:saltLen], e, nil
}

func loadOrCreateKey(dir, origin string) (skey, vkey string, err error) {
	kp, pp := filepath.Join(dir, keyFile), filepath.Join(dir, pubFile)
	sb, err := os.ReadFile(kp)
	if err == nil {
		pb, err := os.ReadFile(pp)
		if err != nil {
			return "", "", fmt.Errorf("audit: %w", err)
		}
		return strings.TrimSpace(string(sb)), strings.TrimSpace(string(pb)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", "", fmt.Errorf("audit: %w", err)
	}
	skey, vkey, err = note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return "", "", fmt.Errorf("audit: key: %w", err)
	}
	if err := writeFileSync(pp, vkey+"\n", 0o644); err != nil {
		return "", "", err
	}
	if err := writeFileSync(kp, skey+"\n", 0o600); err != nil {
		return "", "", err
	}
	return skey, vkey, syncDir(dir)
}

func writeFileSync(p, s string, mode os.FileMode) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	_, err = f.WriteString(s)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// CreateKey creates the log's note key pair in dir (if absent) and returns
// the verifier key, so that witnesses can be told about the log before it
// first publishes a checkpoint.
func CreateKey(dir, origin string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("audit: %w", err)
	}
	_, vkey, err := loadOrCreateKey(dir, origin)
	return vkey, err
}
