package anomaly

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Webhook request headers.
const (
	// HeaderTimestamp carries the signing time, decimal Unix seconds.
	HeaderTimestamp = "X-Xborder-Timestamp"
	// HeaderSignature carries "sha256=" and the lower-case hex HMAC-SHA256,
	// under the shared secret, of the timestamp, a full stop and the body
	// (see [Sign]).
	HeaderSignature = "X-Xborder-Signature"
	// HeaderAlertID carries the alert's ID, for the receiver to deduplicate.
	HeaderAlertID = "X-Xborder-Alert-Id"
)

// MinSecretBytes is the shortest webhook secret accepted.
const MinSecretBytes = 32

// Errors of the Webhook sink.
var (
	// ErrQueueFull: the alert was dropped because the delivery queue was
	// full. It is counted and logged; Observe is never blocked.
	ErrQueueFull = errors.New("anomaly: webhooks: queue full, alert dropped")
	// ErrClosed: the sink was closed.
	ErrClosed = errors.New("anomaly: webhooks: closed")
)

// Sign returns the signature header value for a body sent at timestamp
// (decimal Unix seconds): "sha256=" + hex(HMAC-SHA256(secret, timestamp ‖
// "." ‖ body)). Covering the timestamp lets a receiver refuse replays.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature is the receiver's check: the signature must match (in
// constant time) and the timestamp lie within tolerance of now.
func VerifySignature(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("anomaly: webhook signature: timestamp is not decimal Unix seconds")
	}
	if !hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature)) {
		return errors.New("anomaly: webhook signature: mismatch")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("anomaly: webhook signature: timestamp %s away from now, beyond %s", d.Round(time.Second), tolerance)
	}
	return nil
}

// WebhookOptions are the dependencies of a Webhook sink; the zero value
// uses the real ones.
type WebhookOptions struct {
	// Client sends the requests; nil means a default client. Redirects are
	// never followed (a signed alert goes only where configured).
	Client *http.Client
	Now    func() time.Time                                 // signing time; nil: time.Now
	Sleep  func(ctx context.Context, d time.Duration) error // backoff wait; nil: a timer, cut short by ctx
	Rand   func() float64                                   // jitter in [0, 1); nil: math/rand/v2
	Getenv func(string) string                              // reads the secret; nil: os.Getenv
	Logger *slog.Logger                                     // nil: discard
}

// WebhookStats are a Webhook sink's counters. Delivered and Failed count
// (alert, URL) pairs.
type WebhookStats struct {
	Queued    uint64 // alerts accepted into the queue
	Dropped   uint64 // alerts dropped, the queue being full
	Filtered  uint64 // alerts below min_severity, not sent
	Delivered uint64 // deliveries answered 2xx
	Failed    uint64 // deliveries given up
	Retries   uint64 // attempts after the first
}

// Webhook is a [Sink] POSTing each alert to the configured URLs. Alert
// only enqueues (never blocks); one goroutine delivers, each URL in turn,
// retrying transport errors, 408, 429 and 5xx answers with exponential
// backoff and jitter up to max_attempts, giving up at once on other
// answers. Close drains the queue.
//
// The body is [Alert.Canonical]: identifiers, times and counts, never
// personal data. Log lines name a URL by its position and host only, since
// webhook URLs often carry a token in their path.
type Webhook struct {
	cfg     WebhookConfig
	hosts   []string
	secret  []byte
	client  *http.Client
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
	rand    func() float64
	log     *slog.Logger
	minRank int

	queue  chan Alert
	mu     sync.Mutex // guards closed and sends on queue
	closed bool
	done   chan struct{}
	ctx    context.Context // of deliveries, cancelled when Close gives up
	cancel context.CancelFunc

	queued, dropped, filtered, delivered, failed, retries atomic.Uint64
}

// NewWebhook validates cfg, reads the secret from the environment variable
// cfg.SecretEnv and starts the delivery goroutine. Call Close to stop it.
func NewWebhook(cfg WebhookConfig, opts WebhookOptions) (*Webhook, error) {
	if err := cfg.validate("webhooks"); err != nil {
		return nil, err
	}
	if len(cfg.URLs) == 0 {
		return nil, errors.New("anomaly: webhooks: no URL configured")
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	secret := getenv(cfg.SecretEnv)
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("anomaly: webhooks: environment variable %s is unset or shorter than %d bytes", cfg.SecretEnv, MinSecretBytes)
	}
	client := &http.Client{}
	if opts.Client != nil {
		c := *opts.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	w := &Webhook{
		cfg: cfg, secret: []byte(secret), client: client,
		now: opts.Now, sleep: opts.Sleep, rand: opts.Rand, log: opts.Logger,
		minRank: severityRank[cfg.MinSeverity],
		queue:   make(chan Alert, cfg.QueueSize), done: make(chan struct{}),
	}
	w.cfg.URLs = append([]string(nil), cfg.URLs...)
	for _, s := range w.cfg.URLs {
		u, _ := url.Parse(s) // validated
		w.hosts = append(w.hosts, u.Host)
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.sleep == nil {
		w.sleep = sleepCtx
	}
	if w.rand == nil {
		w.rand = rand.Float64
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	go w.run()
	return w, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Alert enqueues a for delivery without blocking. Below min_severity it
// does nothing. When the queue is full it drops the alert, counts and logs
// the drop and returns an error wrapping ErrQueueFull.
func (w *Webhook) Alert(ctx context.Context, a Alert) error {
	if severityRank[a.Severity] < w.minRank {
		w.filtered.Add(1)
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	select {
	case w.queue <- a:
		w.queued.Add(1)
		return nil
	default:
		n := w.dropped.Add(1)
		w.log.WarnContext(ctx, "webhook queue full, alert dropped", slog.String("id", a.ID), slog.Uint64("dropped", n))
		return fmt.Errorf("alert %s: %w", a.ID, ErrQueueFull)
	}
}

// Close stops accepting alerts and waits until the queued ones are
// delivered or given up. If ctx ends first, the deliveries in progress and
// those left are abandoned (counted as failed) and ctx's error returned.
func (w *Webhook) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	select {
	case <-w.done:
		w.cancel()
		return nil
	case <-ctx.Done():
		w.cancel()
		<-w.done
		return fmt.Errorf("anomaly: webhooks: closing: deliveries abandoned: %w", ctx.Err())
	}
}

// Stats returns the sink's counters.
func (w *Webhook) Stats() WebhookStats {
	return WebhookStats{
		Queued: w.queued.Load(), Dropped: w.dropped.Load(), Filtered: w.filtered.Load(),
		Delivered: w.delivered.Load(), Failed: w.failed.Load(), Retries: w.retries.Load(),
	}
}

func (w *Webhook) run() {
	defer close(w.done)
	for a := range w.queue {
		body := a.Canonical()
		for i := range w.cfg.URLs {
			w.deliver(i, a.ID, body)
		}
	}
}

// backoff returns the wait before attempt n (n ≥ 2): Backoff doubled n-2
// times, capped at MaxBackoff, then jittered into [d/2, d).
func (w *Webhook) backoff(n int) time.Duration {
	d, limit := w.cfg.Backoff.D(), w.cfg.MaxBackoff.D()
	for i := 2; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + time.Duration(w.rand()*float64(d/2))
}

func (w *Webhook) deliver(i int, id string, body []byte) {
	ctx := w.ctx
	attrs := []slog.Attr{slog.Int("webhook", i), slog.String("host", w.hosts[i]), slog.String("id", id)}
	for n := 1; n <= w.cfg.MaxAttempts; n++ {
		if n > 1 {
			w.retries.Add(1)
			if err := w.sleep(ctx, w.backoff(n)); err != nil {
				break
			}
		}
		status, err := w.post(ctx, w.cfg.URLs[i], id, body)
		if err == nil && status >= 200 && status < 300 {
			w.delivered.Add(1)
			w.log.LogAttrs(ctx, slog.LevelDebug, "webhook delivered", append(attrs, slog.Int("attempt", n))...)
			return
		}
		w.log.LogAttrs(ctx, slog.LevelWarn, "webhook attempt failed",
			append(attrs, slog.Int("attempt", n), slog.Int("status", status), slog.Any("error", err))...)
		if err == nil && !retryable(status) {
			break
		}
		if ctx.Err() != nil {
			break
		}
	}
	w.failed.Add(1)
	w.log.LogAttrs(ctx, slog.LevelError, "webhook delivery given up", attrs...)
}

func retryable(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
}

// post sends one signed attempt and returns the status. Its error never
// carries the URL.
func (w *Webhook) post(ctx context.Context, u, id string, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout.D())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("building the request failed")
	}
	ts := strconv.FormatInt(w.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "xborder-anomaly/1")
	req.Header.Set(HeaderAlertID, id)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(w.secret, ts, body))
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // *url.Error repeats the URL, which may hold a token
		}
		return 0, errors.New(strings.ReplaceAll(err.Error(), u, "<url>"))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}
