package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Push sends a registered transfer to the consumer's receiver at addr
// (the DataAddress of the TransferRequestMessage), as POST requests whose
// body is the stream. After a dropped connection it asks the receiver
// (GET) which chunk it needs and sends the rest from there. It returns
// the provider's receipt once the receiver has verified the stream.
func (p *Provider) Push(ctx context.Context, id string, addr DataAddress, client *http.Client, retry RetryPolicy) (*Receipt, error) {
	if client == nil {
		client = http.DefaultClient
	}
	ac := &authClient{hc: client, addr: addr, now: p.cfg.Now}
	var from uint64
	failures, refreshed := 0, false
	for {
		rc, next, err := p.pushOnce(ctx, ac, id, from)
		switch {
		case err == nil:
			return rc, nil
		case ctx.Err() != nil:
			return nil, fmt.Errorf("transfer: push: %w", ctx.Err())
		case errors.Is(err, ErrTokenExpired) && !refreshed:
			refreshed = true
			if err = ac.refresh(ctx); err == nil {
				continue
			}
			if !errors.Is(err, errRetryable) {
				return nil, err
			}
		case !errors.Is(err, errRetryable):
			return nil, err
		}
		refreshed = false
		if next == nil {
			next, _ = p.probe(ctx, ac)
		}
		if next != nil && *next > from {
			failures = 0
		}
		if next != nil {
			from = *next
		}
		failures++
		if failures >= retry.attempts() {
			return nil, fmt.Errorf("transfer: push: %w after %d attempts: %w", errNoProgress, failures, err)
		}
		if werr := retry.wait(ctx, failures); werr != nil {
			return nil, fmt.Errorf("transfer: push: %w", werr)
		}
	}
}

// pushOnce sends one stream from chunk from. next is the receiver's
// resume point when its reply told it.
func (p *Provider) pushOnce(ctx context.Context, ac *authClient, id string, from uint64) (*Receipt, *uint64, error) {
	if err := ac.fresh(ctx); err != nil {
		return nil, nil, err
	}
	u, err := ac.endpoint(from)
	if err != nil {
		return nil, nil, err
	}
	j, err := p.prepare(ctx, id, from)
	if err != nil {
		return nil, nil, err
	}
	pr, pw := io.Pipe()
	type result struct {
		rc  *Receipt
		err error
	}
	done := make(chan result, 1)
	go func() {
		rc, err := j.run(pw)
		pw.CloseWithError(err)
		done <- result{rc, err}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, pr)
	if err != nil {
		pr.CloseWithError(err)
		<-done
		return nil, nil, fmt.Errorf("transfer: push: %w", err)
	}
	req.Header.Set("Content-Type", ContentType)
	if t := j.e.t; t.Size > 0 {
		req.ContentLength = streamLength(headerBodyLen(t.Binding, j.key), p.cfg.ChunkSize, t.Size, from)
	}
	resp, err := ac.do(req)
	pr.CloseWithError(errors.New("request finished")) // stops the writer if the receiver stopped reading
	res := <-done
	if err != nil {
		if res.err != nil && (errors.Is(res.err, ErrSuspended) || errors.Is(res.err, ErrTerminated)) {
			return nil, nil, res.err
		}
		return nil, nil, fmt.Errorf("transfer: push: %w: %w", errRetryable, err)
	}
	defer resp.Body.Close()
	next := nextChunk(resp)
	switch {
	case resp.StatusCode == http.StatusOK && res.err == nil:
		return res.rc, nil, nil
	case resp.StatusCode == http.StatusOK:
		return nil, nil, fmt.Errorf("transfer: push: receiver accepted a stream the provider did not finish: %w", res.err)
	case res.err != nil && (errors.Is(res.err, ErrSuspended) || errors.Is(res.err, ErrTerminated)):
		return nil, nil, res.err
	case resp.StatusCode == http.StatusConflict && next != nil:
		return nil, next, fmt.Errorf("transfer: push: %w: receiver needs chunk %d", errRetryable, *next)
	case resp.StatusCode == http.StatusBadRequest && next != nil: // an incomplete stream
		return nil, next, fmt.Errorf("transfer: push: %w: receiver got an incomplete stream", errRetryable)
	}
	err = statusError(resp)
	if retryableStatus(resp.StatusCode) {
		return nil, next, fmt.Errorf("%w: %w", errRetryable, err)
	}
	return nil, nil, err
}

// probe asks the receiver for the chunk it needs next.
func (p *Provider) probe(ctx context.Context, ac *authClient) (*uint64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ac.addr.Endpoint, nil)
	if err != nil {
		return nil, err
	}
	resp, err := ac.do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if n := nextChunk(resp); n != nil {
		return n, nil
	}
	return nil, fmt.Errorf("transfer: probe: HTTP %d", resp.StatusCode)
}

func nextChunk(resp *http.Response) *uint64 {
	v := resp.Header.Get(NextChunkHeader)
	if v == "" {
		return nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

// ReceiverConfig configures a Receiver.
type ReceiverConfig struct {
	// BaseURL is the absolute URL at which Handler is mounted.
	BaseURL    string
	TokenKey   []byte        // as ProviderConfig.TokenKey
	AccessTTL  time.Duration // 0 means 5 minutes
	RefreshTTL time.Duration // 0 means 24 hours
	Now        func() time.Time
	Logger     *slog.Logger
}

// Receiver is the consumer's push endpoint: it accepts the streams that
// providers POST, verifies them with a Reader per transfer, and writes
// the plaintext to the transfer's destination. A Receiver is safe for
// concurrent use.
type Receiver struct {
	cfg    ReceiverConfig
	tokens *Tokens
	log    *slog.Logger

	mu       sync.Mutex
	inbounds map[string]*inbound
}

type inbound struct {
	r    *Reader
	dst  *errWriter
	sem  chan struct{} // one upload at a time
	done chan struct{}

	mu      sync.Mutex
	active  *http.ResponseController // the upload holding sem
	receipt *Receipt
	err     error
}

// NewReceiver returns a Receiver expecting no transfer.
func NewReceiver(cfg ReceiverConfig) (*Receiver, error) {
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
	t, err := NewTokens(cfg.TokenKey, cfg.Now)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Receiver{cfg: cfg, tokens: t, log: log, inbounds: map[string]*inbound{}}, nil
}

// Expect registers a transfer to be pushed and returns the DataAddress
// for the TransferRequestMessage. The verified plaintext goes to dst.
func (rv *Receiver) Expect(cfg ReaderConfig, dst io.Writer) (DataAddress, error) {
	r, err := NewReader(nil, cfg)
	if err != nil {
		return DataAddress{}, err
	}
	id := cfg.TransferID
	in := &inbound{r: r, dst: &errWriter{w: dst}, sem: make(chan struct{}, 1), done: make(chan struct{})}
	rv.mu.Lock()
	if _, dup := rv.inbounds[id]; dup {
		rv.mu.Unlock()
		return DataAddress{}, fmt.Errorf("transfer: expecting %q: already expected", id)
	}
	rv.inbounds[id] = in
	rv.mu.Unlock()
	access, exp, err := rv.tokens.Issue(cfg.Suite, id, UseAccess, cfg.ProviderDID, rv.cfg.AccessTTL)
	if err != nil {
		return DataAddress{}, err
	}
	refresh, _, err := rv.tokens.Issue(cfg.Suite, id, UseRefresh, cfg.ProviderDID, rv.cfg.RefreshTTL)
	if err != nil {
		return DataAddress{}, err
	}
	ep := rv.cfg.BaseURL + "/" + urlPathEscape(id)
	return DataAddress{Endpoint: ep, Token: access, ExpiresAt: exp, RefreshToken: refresh, RefreshEndpoint: ep + "/token"}, nil
}

// Wait blocks until the transfer is received and verified, or fails for
// good, and returns the provider's verified receipt.
func (rv *Receiver) Wait(ctx context.Context, id string) (*Receipt, error) {
	in := rv.inbound(id)
	if in == nil {
		return nil, fmt.Errorf("transfer: %q: %w", id, ErrUnknownTransfer)
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-in.done:
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.receipt, in.err
}

// Forget drops a transfer; later pushes of it get 404.
func (rv *Receiver) Forget(id string) {
	rv.mu.Lock()
	delete(rv.inbounds, id)
	rv.mu.Unlock()
}

func (rv *Receiver) inbound(id string) *inbound {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return rv.inbounds[id]
}

// Handler serves the push endpoint, to be mounted at BaseURL:
//
//	POST /{id}?from=k  a stream starting at chunk k; 200 and the JSON
//	                   receipt once verified; 409 and Xborder-Next-Chunk
//	                   when k is not the chunk needed; 400 and
//	                   Xborder-Next-Chunk for an incomplete stream; 422 for
//	                   a stream that fails verification (the transfer fails)
//	GET  /{id}         204 and Xborder-Next-Chunk: where to resume
//	POST /{id}/token   token refresh, as the provider's
//
// all with Authorization: Bearer <token from Expect>.
func (rv *Receiver) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{id}", rv.serveUpload)
	mux.HandleFunc("GET /{id}", rv.serveProbe)
	mux.HandleFunc("POST /{id}/token", rv.serveRefresh)
	return mux
}

func (rv *Receiver) authorize(w http.ResponseWriter, r *http.Request) (*inbound, bool) {
	id := r.PathValue("id")
	if _, err := rv.tokens.Verify(bearer(r), UseAccess, id); err != nil {
		unauthorized(w, err)
		return nil, false
	}
	in := rv.inbound(id)
	if in == nil {
		http.Error(w, fmt.Sprintf("transfer: %q: %v", id, ErrUnknownTransfer), http.StatusNotFound)
		return nil, false
	}
	return in, true
}

func (rv *Receiver) serveProbe(w http.ResponseWriter, r *http.Request) {
	in, ok := rv.authorize(w, r)
	if !ok {
		return
	}
	// A probe may arrive while a dead upload still holds the Reader.
	if !in.acquire(r.Context()) {
		http.Error(w, "transfer: busy", http.StatusServiceUnavailable)
		return
	}
	next := in.r.Next()
	in.release()
	w.Header().Set(NextChunkHeader, strconv.FormatUint(next, 10))
	w.WriteHeader(http.StatusNoContent)
}

// acquire takes the inbound's upload slot, cutting off an upload that
// still holds it (its client has given up on it).
func (in *inbound) acquire(ctx context.Context) bool {
	select {
	case in.sem <- struct{}{}:
		return true
	default:
	}
	in.mu.Lock()
	if in.active != nil {
		in.active.SetReadDeadline(time.Now())
	}
	in.mu.Unlock()
	select {
	case in.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	case <-time.After(10 * time.Second):
		return false
	}
}

func (in *inbound) release() { <-in.sem }

func (in *inbound) finish(rc *Receipt, err error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	select {
	case <-in.done:
		return
	default:
	}
	in.receipt, in.err = rc, err
	close(in.done)
}

func (rv *Receiver) serveUpload(w http.ResponseWriter, r *http.Request) {
	in, ok := rv.authorize(w, r)
	if !ok {
		return
	}
	from, err := parseFrom(r.URL.Query().Get(FromParam))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !in.acquire(r.Context()) {
		http.Error(w, "transfer: busy", http.StatusServiceUnavailable)
		return
	}
	defer in.release()
	select {
	case <-in.done:
		in.mu.Lock()
		rc, ferr := in.receipt, in.err
		in.mu.Unlock()
		if ferr != nil {
			http.Error(w, ferr.Error(), http.StatusUnprocessableEntity)
			return
		}
		writeJSON(w, rc)
		return
	default:
	}
	next := in.r.Next()
	w.Header().Set(NextChunkHeader, strconv.FormatUint(next, 10))
	if from != next {
		http.Error(w, fmt.Sprintf("transfer: need chunk %d, not %d", next, from), http.StatusConflict)
		return
	}
	in.mu.Lock()
	in.active = http.NewResponseController(w)
	in.mu.Unlock()
	in.r.Resume(r.Body)
	_, err = in.r.WriteTo(in.dst)
	in.mu.Lock()
	in.active = nil
	in.mu.Unlock()
	id := r.PathValue("id")
	switch {
	case err == nil:
		in.finish(in.r.Receipt(), nil)
		rv.log.LogAttrs(r.Context(), slog.LevelInfo, "transfer received", slog.String("transfer", id))
		writeJSON(w, in.r.Receipt())
	case in.dst.err != nil:
		in.finish(nil, fmt.Errorf("transfer: writing the plaintext: %w", in.dst.err))
		http.Error(w, "transfer: the receiver could not store the data", http.StatusInternalServerError)
	case Resumable(err):
		w.Header().Set(NextChunkHeader, strconv.FormatUint(in.r.Next(), 10))
		http.Error(w, err.Error(), http.StatusBadRequest)
	default:
		in.finish(nil, err)
		rv.log.LogAttrs(r.Context(), slog.LevelWarn, "transfer refused", slog.String("transfer", id), slog.Any("error", err))
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
	}
}

func (rv *Receiver) serveRefresh(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "want grant_type=refresh_token")
		return
	}
	c, err := rv.tokens.Verify(r.PostForm.Get("refresh_token"), UseRefresh, id)
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
		return
	}
	in := rv.inbound(id)
	if in == nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown transfer")
		return
	}
	s := in.r.cfg.Suite
	access, exp, err := rv.tokens.Issue(s, id, UseAccess, c.Subject, rv.cfg.AccessTTL)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeJSON(w, tokenReply{AccessToken: access, TokenType: "Bearer",
		ExpiresIn: int64(exp.Sub(rv.cfg.Now()).Seconds()), RefreshToken: r.PostForm.Get("refresh_token")})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}
