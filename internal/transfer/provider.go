package transfer

import (
	"context"
	"encoding"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xborder/xborder/internal/suite"
)

// Source yields a transfer's plaintext from byte offset on. Every call
// must yield the same bytes: a resumed stream re-reads the source, and a
// source that changed between streams makes the consumer's digest check
// fail at the end.
type Source func(ctx context.Context, offset int64) (io.ReadCloser, error)

// ReaderAtSource is a Source over the first size bytes of r (an *os.File,
// a *bytes.Reader).
func ReaderAtSource(r io.ReaderAt, size int64) Source {
	return func(_ context.Context, off int64) (io.ReadCloser, error) {
		off = min(max(off, 0), size)
		return io.NopCloser(io.NewSectionReader(r, off, size-off)), nil
	}
}

// Transfer is what the connector registers with a Provider once a
// transfer request has passed the contract and compliance checks, and the
// data have been minimised and masked.
type Transfer struct {
	// Binding names the transfer. ProviderDID may be left empty: it is the
	// Provider's.
	Binding
	// ConsumerKey is the consumer's ephemeral public key from the transfer
	// request (32 bytes for X25519, 65 for P-256 or SM2).
	ConsumerKey []byte
	// Source yields the plaintext.
	Source Source
	// Size, when positive, is the plaintext size, declared in every header
	// (and as the HTTP Content-Length). 0 or less: not declared.
	Size int64
	// OnProgress, when set, is called after every chunk sent.
	OnProgress func(Progress)
}

// ProviderConfig configures a Provider. DID and Signers are required.
type ProviderConfig struct {
	// DID is the provider's DID.
	DID string
	// Signers are the provider's signing keys, one per suite it serves;
	// a transfer is signed by the first whose algorithm its suite has.
	Signers []suite.Signer
	// BaseURL is the absolute URL at which Handler is mounted (without a
	// trailing slash); DataAddress endpoints are BaseURL/<transfer ID>.
	BaseURL string
	// ChunkSize; 0 means DefaultChunkSize.
	ChunkSize int
	// TokenKey is the master key of the access tokens, at least 32 bytes,
	// shared by replicas; nil draws one for this process.
	TokenKey []byte
	// AccessTTL is the lifetime of an access token; 0 means 5 minutes.
	AccessTTL time.Duration
	// RefreshTTL is the lifetime of a refresh token, and how long a
	// terminated transfer is remembered; 0 means 24 hours.
	RefreshTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of ephemeral keys and stream salts; nil means
	// crypto/rand.
	Rand io.Reader
	// Logger receives one record per stream (never a key); nil discards.
	Logger *slog.Logger
}

// Provider is the provider's side of the data plane: a registry of
// transfers that the connector controls (Register, Suspend, Resume,
// Terminate, Complete), the pull endpoint (Handler) and the push client
// (Push). It keeps its state in memory. A Provider is safe for concurrent
// use.
type Provider struct {
	cfg    ProviderConfig
	tokens *Tokens
	log    *slog.Logger

	mu        sync.Mutex
	transfers map[string]*entry

	// checkpointEvery is the number of chunks between digest checkpoints
	// (so that a resumed stream re-reads at most that much); 0: 64 MiB
	// worth of chunks.
	checkpointEvery uint64
}

const maxCheckpoints = 16

type transferState int32

const (
	stateActive transferState = iota
	stateSuspended
	stateTerminated
)

type entry struct {
	t      Transfer
	signer suite.Signer
	state  atomic.Int32

	mu          sync.Mutex
	key         *Key // nil once terminated
	running     int  // streams in flight
	cancel      context.CancelFunc
	checkpoints []checkpoint
	until       time.Time // when a terminated entry is forgotten
}

// checkpoint is the marshalled digest state after the first chunks chunks.
type checkpoint struct {
	chunks uint64
	bytes  int64
	state  []byte
}

// NewProvider returns a Provider with no transfers.
func NewProvider(cfg ProviderConfig) (*Provider, error) {
	if cfg.DID == "" {
		return nil, errors.New("transfer: provider: no DID")
	}
	if len(cfg.Signers) == 0 {
		return nil, errors.New("transfer: provider: no signing key")
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	if cfg.ChunkSize < MinChunkSize || cfg.ChunkSize > MaxChunkSize {
		return nil, fmt.Errorf("transfer: provider: chunk size %d outside [%d, %d]", cfg.ChunkSize, MinChunkSize, MaxChunkSize)
	}
	if cfg.AccessTTL == 0 {
		cfg.AccessTTL = 5 * time.Minute
	}
	if cfg.RefreshTTL == 0 {
		cfg.RefreshTTL = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	tokens, err := NewTokens(cfg.TokenKey, cfg.Now)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Provider{cfg: cfg, tokens: tokens, log: log, transfers: map[string]*entry{}}, nil
}

// Tokens returns the provider's token issuer.
func (p *Provider) Tokens() *Tokens { return p.tokens }

// Register adds a transfer, derives its key, and returns the DataAddress
// for the consumer (the TransferStartMessage of a pull). The ID must be
// new.
func (p *Provider) Register(t Transfer) (DataAddress, error) {
	if t.ProviderDID == "" {
		t.ProviderDID = p.cfg.DID
	}
	if t.ProviderDID != p.cfg.DID {
		return DataAddress{}, fmt.Errorf("transfer: registering %q: provider DID %q is not ours", t.TransferID, t.ProviderDID)
	}
	if err := t.Binding.validate(); err != nil {
		return DataAddress{}, err
	}
	if t.Source == nil {
		return DataAddress{}, fmt.Errorf("transfer: registering %q: no source", t.TransferID)
	}
	var signer suite.Signer
	for _, s := range p.cfg.Signers {
		if t.Suite.Supports(s.Alg()) {
			signer = s
			break
		}
	}
	if signer == nil {
		return DataAddress{}, fmt.Errorf("transfer: registering %q: no signing key for suite %s", t.TransferID, t.Suite.Name())
	}
	key, err := NewKey(t.Binding, t.ConsumerKey, p.cfg.Rand)
	if err != nil {
		return DataAddress{}, fmt.Errorf("transfer: registering %q: %w", t.TransferID, err)
	}
	e := &entry{t: t, signer: signer, key: key}
	now := p.cfg.Now()
	p.mu.Lock()
	for id, old := range p.transfers {
		if transferState(old.state.Load()) == stateTerminated && now.After(old.until) {
			delete(p.transfers, id)
		}
	}
	if _, dup := p.transfers[t.TransferID]; dup {
		p.mu.Unlock()
		key.Destroy()
		return DataAddress{}, fmt.Errorf("transfer: registering %q: already registered", t.TransferID)
	}
	p.transfers[t.TransferID] = e
	p.mu.Unlock()
	return p.address(e)
}

// Address issues a new access and refresh token for a transfer that is
// not terminated (for a TransferStartMessage after a suspension).
func (p *Provider) Address(id string) (DataAddress, error) {
	e, err := p.lookup(id)
	if err != nil {
		return DataAddress{}, err
	}
	return p.address(e)
}

func (p *Provider) address(e *entry) (DataAddress, error) {
	t := e.t
	access, exp, err := p.tokens.Issue(t.Suite, t.TransferID, UseAccess, t.ConsumerDID, p.cfg.AccessTTL)
	if err != nil {
		return DataAddress{}, err
	}
	refresh, _, err := p.tokens.Issue(t.Suite, t.TransferID, UseRefresh, t.ConsumerDID, p.cfg.RefreshTTL)
	if err != nil {
		return DataAddress{}, err
	}
	ep := p.cfg.BaseURL + "/" + urlPathEscape(t.TransferID)
	return DataAddress{Endpoint: ep, Token: access, ExpiresAt: exp, RefreshToken: refresh,
		RefreshEndpoint: ep + "/token"}, nil
}

// lookup returns a transfer that is not terminated.
func (p *Provider) lookup(id string) (*entry, error) {
	p.mu.Lock()
	e := p.transfers[id]
	p.mu.Unlock()
	if e == nil {
		return nil, fmt.Errorf("transfer: %q: %w", id, ErrUnknownTransfer)
	}
	if transferState(e.state.Load()) == stateTerminated {
		return nil, fmt.Errorf("transfer: %q: %w", id, ErrTerminated)
	}
	return e, nil
}

// Suspend makes the transfer's streams in flight stop at the next chunk
// boundary, and refuses new ones until Resume.
func (p *Provider) Suspend(id string) error {
	e, err := p.lookup(id)
	if err != nil {
		return err
	}
	e.state.CompareAndSwap(int32(stateActive), int32(stateSuspended))
	if transferState(e.state.Load()) == stateTerminated {
		return fmt.Errorf("transfer: %q: %w", id, ErrTerminated)
	}
	p.log.Info("transfer suspended", slog.String("transfer", id))
	return nil
}

// Resume lets a suspended transfer stream again and returns a fresh
// DataAddress for the TransferStartMessage.
func (p *Provider) Resume(id string) (DataAddress, error) {
	e, err := p.lookup(id)
	if err != nil {
		return DataAddress{}, err
	}
	e.state.CompareAndSwap(int32(stateSuspended), int32(stateActive))
	if transferState(e.state.Load()) == stateTerminated {
		return DataAddress{}, fmt.Errorf("transfer: %q: %w", id, ErrTerminated)
	}
	p.log.Info("transfer resumed", slog.String("transfer", id))
	return p.address(e)
}

// Terminate revokes a transfer: streams in flight stop at the next chunk
// boundary, its tokens stop working, its key is destroyed once no stream
// uses it, and requests for it get ErrTerminated (HTTP 410) until it is
// forgotten after RefreshTTL.
func (p *Provider) Terminate(id string) error { return p.end(id, "terminated") }

// Complete ends a transfer whose consumer has confirmed receipt (a
// TransferCompletionMessage); afterwards it behaves as terminated.
func (p *Provider) Complete(id string) error { return p.end(id, "completed") }

func (p *Provider) end(id, how string) error {
	e, err := p.lookup(id)
	if err != nil {
		return err
	}
	e.state.Store(int32(stateTerminated))
	e.mu.Lock()
	if e.cancel != nil {
		e.cancel()
	}
	if e.running == 0 && e.key != nil {
		e.key.Destroy()
	}
	e.key, e.t.Source, e.checkpoints = nil, nil, nil
	e.until = p.cfg.Now().Add(p.cfg.RefreshTTL)
	e.mu.Unlock()
	p.log.Info("transfer "+how, slog.String("transfer", id))
	return nil
}

// errRange is a resume point beyond the end of the transfer.
var errRange = errors.New("resume point beyond the last chunk")

// Stream writes the transfer's stream from chunk from to w: the whole
// transfer for 0, or the rest of it for a consumer that has verified
// chunks [0, from). A new stream of a transfer cancels the one in flight.
// It returns the signed receipt, or ErrSuspended or ErrTerminated (wrapped)
// when the transfer was stopped mid-stream.
func (p *Provider) Stream(ctx context.Context, id string, from uint64, w io.Writer) (*Receipt, error) {
	j, err := p.prepare(ctx, id, from)
	if err != nil {
		return nil, err
	}
	return j.run(w)
}

// job is one stream of a transfer, prepared up to the header.
type job struct {
	p      *Provider
	e      *entry
	key    *Key
	ctx    context.Context
	cancel context.CancelFunc
	src    io.ReadCloser
	rs     resumeState
}

// prepare checks the transfer's state and the resume point, opens the
// source, and hashes the plaintext before the resume point (from the
// nearest digest checkpoint), so that an error can still become an HTTP
// status.
func (p *Provider) prepare(ctx context.Context, id string, from uint64) (*job, error) {
	e, err := p.lookup(id)
	if err != nil {
		return nil, err
	}
	cs := int64(p.cfg.ChunkSize)
	if e.t.Size > 0 && from > chunkCount(e.t.Size, p.cfg.ChunkSize) || from >= maxChunks {
		return nil, fmt.Errorf("transfer: %q: from chunk %d: %w", id, from, errRange)
	}
	sctx, cancel := context.WithCancel(ctx)
	e.mu.Lock()
	switch transferState(e.state.Load()) {
	case stateTerminated:
		e.mu.Unlock()
		cancel()
		return nil, fmt.Errorf("transfer: %q: %w", id, ErrTerminated)
	case stateSuspended:
		e.mu.Unlock()
		cancel()
		return nil, fmt.Errorf("transfer: %q: %w", id, ErrSuspended)
	}
	if e.cancel != nil {
		e.cancel()
	}
	e.cancel = cancel
	e.running++
	j := &job{p: p, e: e, key: e.key, ctx: sctx, cancel: cancel}
	var cp checkpoint
	for _, c := range e.checkpoints {
		if c.chunks <= from && c.chunks > cp.chunks {
			cp = c
		}
	}
	source := e.t.Source
	e.mu.Unlock()

	fail := func(err error) (*job, error) {
		j.finish()
		return nil, err
	}
	h := e.t.Suite.Hash()
	if cp.state != nil {
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(cp.state); err != nil {
			return fail(fmt.Errorf("transfer: %q: restoring a digest checkpoint: %w", id, err))
		}
	}
	src, err := source(sctx, cp.bytes)
	if err != nil {
		return fail(fmt.Errorf("transfer: %q: opening the source: %w", id, err))
	}
	j.src = src
	need := int64(from)*cs - cp.bytes
	m, err := io.CopyN(h, src, need)
	switch {
	case err == io.EOF && from == chunkCount(cp.bytes+m, p.cfg.ChunkSize):
		// The consumer has every chunk; only the trailer is left.
	case err == io.EOF:
		return fail(fmt.Errorf("transfer: %q: from chunk %d, but the data end at byte %d: %w", id, from, cp.bytes+m, errRange))
	case err != nil:
		return fail(fmt.Errorf("transfer: %q: reading the source: %w", id, err))
	}
	j.rs = resumeState{start: from, bytes: cp.bytes + m, h: h}
	return j, nil
}

// finish releases the job's hold on the transfer.
func (j *job) finish() {
	j.cancel()
	if j.src != nil {
		j.src.Close()
	}
	e := j.e
	e.mu.Lock()
	e.running--
	if e.running == 0 && e.key == nil && j.key != nil {
		j.key.Destroy() // terminated while this stream ran
	}
	e.mu.Unlock()
}

func (j *job) run(w io.Writer) (*Receipt, error) {
	defer j.finish()
	e, p := j.e, j.p
	every := p.checkpointEvery
	if every == 0 {
		every = max(1, uint64(64<<20/p.cfg.ChunkSize))
	}
	hooks := writerHooks{
		gate: func() error {
			switch transferState(e.state.Load()) {
			case stateSuspended:
				return fmt.Errorf("transfer: %q: %w", e.t.TransferID, ErrSuspended)
			case stateTerminated:
				return fmt.Errorf("transfer: %q: %w", e.t.TransferID, ErrTerminated)
			}
			return j.ctx.Err()
		},
		checkpoint: func(chunks uint64, bytes int64, h hash.Hash) {
			if chunks%every != 0 {
				return
			}
			st, err := h.(encoding.BinaryMarshaler).MarshalBinary()
			if err != nil {
				return
			}
			e.mu.Lock()
			defer e.mu.Unlock()
			if n := len(e.checkpoints); n > 0 && e.checkpoints[n-1].chunks >= chunks {
				return
			}
			e.checkpoints = append(e.checkpoints, checkpoint{chunks: chunks, bytes: bytes, state: st})
			if len(e.checkpoints) > maxCheckpoints {
				e.checkpoints = append(e.checkpoints[:0], e.checkpoints[1:]...)
			}
		},
	}
	wr, err := newWriter(w, WriterConfig{Key: j.key, Signer: e.signer, ChunkSize: p.cfg.ChunkSize, Size: e.t.Size,
		OnProgress: e.t.OnProgress, Rand: p.cfg.Rand}, j.rs, hooks)
	if err == nil {
		if _, err = wr.ReadFrom(j.src); err == nil {
			err = wr.Close()
		}
	}
	attrs := []slog.Attr{slog.String("transfer", e.t.TransferID), slog.Uint64("from", j.rs.start)}
	if err != nil {
		if cerr := j.ctx.Err(); cerr != nil && !errors.Is(err, ErrSuspended) && !errors.Is(err, ErrTerminated) {
			err = fmt.Errorf("transfer: %q: stream cancelled: %w", e.t.TransferID, cerr)
		}
		p.log.LogAttrs(j.ctx, slog.LevelInfo, "transfer stream stopped", append(attrs, slog.Any("error", err))...)
		return nil, err
	}
	rc := wr.Receipt()
	p.log.LogAttrs(j.ctx, slog.LevelInfo, "transfer stream sent",
		append(attrs, slog.Uint64("chunks", rc.Chunks), slog.Int64("bytes", rc.Size))...)
	return rc, nil
}
