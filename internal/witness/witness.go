package witness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// KnownLog is a log the witness cosigns for: its checkpoint origin line and
// one of its Ed25519 note verifier keys ("name+keyID+base64"). List a log
// twice to accept two keys (for example during a key rotation).
type KnownLog struct {
	Origin      string `json:"origin" yaml:"origin"`
	VerifierKey string `json:"vkey" yaml:"vkey"`
}

// Config configures [New].
type Config struct {
	// Dir is the state directory, created (mode 0700) if missing.
	Dir string
	// Cosigner is the witness key (see [GenerateKey], [LoadKeyFile]).
	Cosigner *Cosigner
	// Logs are the logs the witness accepts checkpoints from.
	Logs []KnownLog
	// Now is the clock that stamps cosignatures. Default time.Now.
	Now func() time.Time
	// Logger receives one record per request. Default: discard.
	Logger *slog.Logger
}

// Witness is a tlog-witness. Its methods are safe for concurrent use.
type Witness struct {
	dir    string
	abs    string
	signer *Cosigner
	now    func() time.Time
	log    *slog.Logger
	logs   map[string]*logState // by origin; fixed after New
	closed atomic.Bool
}

// logState is the witness's view of one log; mu serialises check-and-update.
type logState struct {
	mu        sync.Mutex
	origin    string
	verifiers note.Verifiers
	seen      bool // a checkpoint has been cosigned (size may be 0)
	size      uint64
	root      []byte
	lastTime  int64 // POSIX time of the latest cosignature, 0 if unknown
}

// openDirs stops two Witnesses in one process from sharing a state directory.
var (
	openMu   sync.Mutex
	openDirs = map[string]bool{}
)

// New opens the witness state in cfg.Dir. It fails if a state file cannot be
// read or parsed, or if the directory is already open in this process;
// [Witness.Close] releases it.
func New(cfg Config) (_ *Witness, err error) {
	if cfg.Dir == "" {
		return nil, errors.New("witness: no state directory")
	}
	if cfg.Cosigner == nil {
		return nil, errors.New("witness: no cosigner key")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	abs, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	openMu.Lock()
	if openDirs[abs] {
		openMu.Unlock()
		return nil, fmt.Errorf("witness: %s is already open in this process", cfg.Dir)
	}
	openDirs[abs] = true
	openMu.Unlock()
	defer func() {
		if err != nil {
			openMu.Lock()
			delete(openDirs, abs)
			openMu.Unlock()
		}
	}()
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	w := &Witness{dir: cfg.Dir, abs: abs, signer: cfg.Cosigner, now: cfg.Now, log: cfg.Logger, logs: map[string]*logState{}}
	keys := map[string][]note.Verifier{}
	seenKey := map[string]bool{}
	for _, l := range cfg.Logs {
		if l.Origin == "" || strings.ContainsAny(l.Origin, "\n") {
			return nil, fmt.Errorf("witness: invalid log origin %q", l.Origin)
		}
		v, err := note.NewVerifier(l.VerifierKey)
		if err != nil {
			return nil, fmt.Errorf("witness: log %q: verifier key: %w", l.Origin, err)
		}
		id := fmt.Sprintf("%s\n%s\n%08x", l.Origin, v.Name(), v.KeyHash())
		if seenKey[id] {
			return nil, fmt.Errorf("witness: log %q: key %s listed twice", l.Origin, v.Name())
		}
		seenKey[id] = true
		keys[l.Origin] = append(keys[l.Origin], v)
	}
	own := note.VerifierList(w.signer.Verifier())
	for origin, vs := range keys {
		ls := &logState{origin: origin, verifiers: note.VerifierList(vs...)}
		st, err := ReadState(cfg.Dir, origin)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, err
		default:
			ls.seen, ls.size, ls.root = true, st.Size, st.Root
			ls.lastTime, err = ownTimestamp(st.Checkpoint, own)
			if err != nil {
				return nil, fmt.Errorf("witness: state of %q: %w", origin, err)
			}
		}
		w.logs[origin] = ls
	}
	return w, nil
}

// ownTimestamp returns the time of the witness's own cosignature on a stored
// checkpoint, or 0 if it carries none from the current key.
func ownTimestamp(stored []byte, own note.Verifiers) (int64, error) {
	n, err := note.Open(stored, own)
	var unverified *note.UnverifiedNoteError
	if errors.As(err, &unverified) {
		return 0, nil // cosigned with an earlier key
	}
	if err != nil {
		return 0, fmt.Errorf("stored checkpoint: %w", err)
	}
	t, err := fnote.CoSigV1Timestamp(n.Sigs[0])
	if err != nil {
		return 0, fmt.Errorf("stored cosignature: %w", err)
	}
	return t.Unix(), nil
}

// Close waits for requests being processed, makes later ones fail with 503
// and releases the state directory.
func (w *Witness) Close() error {
	if w.closed.Swap(true) {
		return nil
	}
	for _, ls := range w.logs {
		ls.mu.Lock()
		//lint:ignore SA2001 waiting for the holder to finish is the point
		ls.mu.Unlock()
	}
	openMu.Lock()
	delete(openDirs, w.abs)
	openMu.Unlock()
	return nil
}

// VerifierKey returns the witness's cosignature/v1 verifier key.
func (w *Witness) VerifierKey() string { return w.signer.VerifierKey() }

var emptyRoot = sha256.Sum256(nil)

// AddCheckpoint runs the tlog-witness add-checkpoint checks on r and, if
// they pass, records the checkpoint durably and returns the cosignature
// line(s) to send back. A refusal is an *[Error] carrying the HTTP status;
// other errors are internal (500). A refused request changes no state.
func (w *Witness) AddCheckpoint(ctx context.Context, r *Request) ([]byte, error) {
	origin, _, ok := bytes.Cut(r.Checkpoint, []byte{'\n'})
	if !ok || len(origin) == 0 {
		return nil, malformed("checkpoint has no origin line")
	}
	ls := w.logs[string(origin)]
	if ls == nil {
		w.log.DebugContext(ctx, "add-checkpoint: unknown origin", slog.String("origin", string(origin)))
		return nil, refuse(http.StatusNotFound, "unknown log origin")
	}
	n, err := note.Open(r.Checkpoint, ls.verifiers)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			w.log.DebugContext(ctx, "add-checkpoint: no log signature", slog.String("origin", ls.origin))
			return nil, refuse(http.StatusForbidden, "no signature from a known key of the log")
		case errors.As(err, &invalid):
			w.log.DebugContext(ctx, "add-checkpoint: invalid log signature", slog.String("origin", ls.origin))
			return nil, refuse(http.StatusForbidden, "invalid log signature")
		default:
			return nil, malformed("checkpoint is not a signed note")
		}
	}
	cp, err := parseCheckpointText(n.Text)
	if err != nil {
		return nil, malformed(err.Error())
	}
	if r.OldSize > cp.Size {
		return nil, malformed(fmt.Sprintf("old size %d is larger than the checkpoint size %d", r.OldSize, cp.Size))
	}
	if r.OldSize == 0 && len(r.Proof) > 0 {
		return nil, malformed("the consistency proof must be empty when the old size is 0")
	}
	if cp.Size == 0 && !bytes.Equal(cp.Hash, emptyRoot[:]) {
		return nil, w.misbehaviour(ctx, ls, r, refuse(http.StatusUnprocessableEntity, "a tree of size 0 must have the empty root"))
	}

	ls.mu.Lock()
	defer ls.mu.Unlock()
	if w.closed.Load() {
		return nil, refuse(http.StatusServiceUnavailable, "witness is shut down")
	}
	if r.OldSize != ls.size {
		w.log.InfoContext(ctx, "add-checkpoint: old size mismatch", slog.String("origin", ls.origin),
			slog.Uint64("old", r.OldSize), slog.Uint64("latest", ls.size))
		latest := ls.size
		return nil, &Error{Status: http.StatusConflict, Latest: &latest, Msg: "old size is not the size of the latest cosigned checkpoint"}
	}
	switch {
	case r.OldSize == cp.Size:
		if ls.seen && !bytes.Equal(cp.Hash, ls.root) {
			return nil, w.misbehaviour(ctx, ls, r, refuse(http.StatusConflict, "root hash differs from the cosigned checkpoint of the same size"))
		}
		if len(r.Proof) > 0 {
			return nil, w.misbehaviour(ctx, ls, r, refuse(http.StatusUnprocessableEntity, "consistency proof must be empty for an unchanged size"))
		}
	case r.OldSize > 0:
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, r.OldSize, cp.Size, r.Proof, ls.root, cp.Hash); err != nil {
			return nil, w.misbehaviour(ctx, ls, r, refuse(http.StatusUnprocessableEntity, "consistency proof does not verify"))
		}
	}
	t := w.now().Unix()
	if t < ls.lastTime {
		w.log.ErrorContext(ctx, "add-checkpoint: clock is behind the latest cosignature", slog.String("origin", ls.origin),
			slog.Int64("now", t), slog.Int64("latest_cosignature", ls.lastTime))
		return nil, refuse(http.StatusServiceUnavailable, "witness clock is behind its latest cosignature")
	}
	cosig, err := w.signer.sigLine(t, []byte(n.Text))
	if err != nil {
		return nil, err
	}
	// Stored: the checkpoint text, the verified log signatures, our cosignature.
	var stored bytes.Buffer
	stored.WriteString(n.Text)
	stored.WriteByte('\n')
	for _, s := range n.Sigs {
		fmt.Fprintf(&stored, "— %s %s\n", s.Name, s.Base64)
	}
	stored.Write(cosig)
	if err := writeState(w.dir, ls.origin, stored.Bytes()); err != nil {
		w.log.ErrorContext(ctx, "add-checkpoint: persisting state", slog.String("origin", ls.origin), slog.Any("error", err))
		return nil, fmt.Errorf("witness: persisting state: %w", err)
	}
	ls.seen, ls.size, ls.root, ls.lastTime = true, cp.Size, cp.Hash, t
	w.log.InfoContext(ctx, "add-checkpoint: cosigned", slog.String("origin", ls.origin),
		slog.Uint64("old", r.OldSize), slog.Uint64("size", cp.Size), slog.Int64("time", t))
	return cosig, nil
}

// misbehaviour logs a refused checkpoint that carries a valid log signature
// but is inconsistent with what the witness cosigned: it may be evidence of
// a fork, so the signed checkpoint (public data) goes into the log record.
func (w *Witness) misbehaviour(ctx context.Context, ls *logState, r *Request, e *Error) *Error {
	w.log.WarnContext(ctx, "add-checkpoint: inconsistent checkpoint refused", slog.String("origin", ls.origin),
		slog.Int("status", e.Status), slog.String("reason", e.Msg), slog.Uint64("old", r.OldSize),
		slog.String("checkpoint", string(r.Checkpoint)))
	return e
}

// Latest returns the in-memory view of the latest cosigned checkpoint of
// origin: its size and root, and whether any was cosigned.
func (w *Witness) Latest(origin string) (size uint64, root []byte, ok bool) {
	ls := w.logs[origin]
	if ls == nil {
		return 0, nil, false
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.size, bytes.Clone(ls.root), ls.seen
}
