package audit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
)

// Data directory layout (all under the directory given to Open):
//
//	log/            tessera POSIX log: checkpoint, tile/…, tile/entries/… (tlog-tiles)
//	payloads/HH/C   payload for commitment C (64 hex digits; HH = its first two):
//	                32-byte salt followed by the canonical event
//	log.key         Ed25519 note signer key (private, mode 0600)
//	log.pub         the matching note verifier key ("origin+keyid+key")
const (
	logDir     = "log"
	payloadDir = "payloads"
	keyFile    = "log.key"
	pubFile    = "log.pub"
	saltLen    = 32
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
}

// Log is an open audit log. Append is safe for concurrent use.
type Log struct {
	dir      string
	abs      string
	origin   string
	verifier note.Verifier
	vkey     string
	appender *tessera.Appender
	shutdown func(context.Context) error
	awaiter  *tessera.PublicationAwaiter
	cancel   context.CancelFunc
}

// openDirs guards against two Logs on one directory in one process
// (tessera's POSIX fcntl locks do not exclude threads of the same process).
var (
	openMu   sync.Mutex
	openDirs = map[string]bool{}
)

// Open opens (creating if needed) the audit log in dir. A directory can be
// open only once per process; Close releases it.
func Open(dir string, opts Options) (l *Log, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	openMu.Lock()
	if openDirs[abs] {
		openMu.Unlock()
		return nil, fmt.Errorf("audit: %s is already open in this process", dir)
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
	if opts.Origin == "" {
		opts.Origin = "xborder.audit"
	}
	if opts.CheckpointInterval == 0 {
		opts.CheckpointInterval = 100 * time.Millisecond
	}
	if opts.BatchMaxAge == 0 {
		opts.BatchMaxAge = 10 * time.Millisecond
	}
	if err := os.MkdirAll(filepath.Join(dir, payloadDir), 0o755); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
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
	ctx, cancel := context.WithCancel(context.Background())
	driver, err := posix.New(ctx, posix.Config{Path: filepath.Join(dir, logDir)})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("audit: tessera posix driver: %w", err)
	}
	appender, shutdown, reader, err := tessera.NewAppender(ctx, driver, tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithCheckpointInterval(opts.CheckpointInterval).
		WithBatching(256, opts.BatchMaxAge))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("audit: tessera appender: %w", err)
	}
	return &Log{
		dir: dir, abs: abs, origin: signer.Name(), verifier: verifier, vkey: vkey,
		appender: appender, shutdown: shutdown, cancel: cancel,
		awaiter: tessera.NewPublicationAwaiter(ctx, reader.ReadCheckpoint, 10*time.Millisecond),
	}, nil
}

// VerifierKey returns the note verifier key of the log ("origin+keyid+base64").
func (l *Log) VerifierKey() string { return l.vkey }

// Origin returns the checkpoint origin.
func (l *Log) Origin() string { return l.origin }

// Appended is what Append returns for an acknowledged entry.
type Appended struct {
	Index      uint64
	Commitment [32]byte // leaf data: SHA-256(salt ‖ canonical event)
	Checkpoint []byte   // a signed checkpoint committing to the entry
}

// Append validates e, stores its salted payload durably, adds the commitment
// to the log and returns only once a signed checkpoint covering it has been
// published (the entry is then durable and integrated).
func (l *Log) Append(ctx context.Context, e *Event) (Appended, error) {
	canon, err := e.Canonical()
	if err != nil {
		return Appended{}, err
	}
	var salt [saltLen]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return Appended{}, fmt.Errorf("audit: salt: %w", err)
	}
	c := Commit(salt[:], canon)
	if err := writePayload(l.dir, c, salt[:], canon); err != nil {
		return Appended{}, err
	}
	idx, cp, err := l.awaiter.Await(ctx, l.appender.Add(ctx, tessera.NewEntry(c[:])))
	if err != nil {
		return Appended{}, fmt.Errorf("audit: append: %w", err)
	}
	return Appended{Index: idx.Index, Commitment: c, Checkpoint: cp}, nil
}

// Close flushes outstanding entries and releases the log.
func (l *Log) Close(ctx context.Context) error {
	err := l.shutdown(ctx)
	l.cancel()
	openMu.Lock()
	delete(openDirs, l.abs)
	openMu.Unlock()
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

func payloadPath(dir string, c [32]byte) string {
	x := hex.EncodeToString(c[:])
	return filepath.Join(dir, payloadDir, x[:2], x)
}

// writePayload durably writes salt‖canonical: temp file, fsync, rename, fsync dirs.
func writePayload(dir string, c [32]byte, salt, canon []byte) error {
	p := payloadPath(dir, c)
	sub := filepath.Dir(p)
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return fmt.Errorf("audit: payload: %w", err)
	}
	f, err := os.CreateTemp(sub, ".tmp-*")
	if err != nil {
		return fmt.Errorf("audit: payload: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(append([]byte{}, salt...), canon...))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("audit: payload: %w", err)
	}
	for _, d := range []string{sub, filepath.Dir(sub)} {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("audit: payload: %w", err)
		}
	}
	return nil
}

func syncDir(d string) error {
	f, err := os.Open(d)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// ReadPayload returns the salt and event stored for a commitment, checking
// that they reproduce it. os.ErrNotExist (wrapped) means pruned or missing.
func ReadPayload(dir string, c [32]byte) (salt []byte, e *Event, err error) {
	b, err := os.ReadFile(payloadPath(dir, c))
	if err != nil {
		return nil, nil, err
	}
	if len(b) <= saltLen {
		return nil, nil, errors.New("payload too short")
	}
	salt, canon := b[:saltLen], b[saltLen:]
	if Commit(salt, canon) != c {
		return nil, nil, errors.New("payload does not match the commitment in the log")
	}
	e, err = ParseCanonical(canon)
	if err != nil {
		return nil, nil, err
	}
	return salt, e, nil
}

// PrunePayload deletes the payload of a commitment (retention). The tree
// keeps the commitment, so the log still verifies.
func PrunePayload(dir string, c [32]byte) error {
	if err := os.Remove(payloadPath(dir, c)); err != nil {
		return fmt.Errorf("audit: prune: %w", err)
	}
	return nil
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
