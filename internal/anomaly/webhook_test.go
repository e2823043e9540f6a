package anomaly

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var testSecret = strings.Repeat("k", MinSecretBytes)

// receiver is an httptest webhook receiver verifying signatures; status
// answers the n-th request (0-based), 200 beyond its length.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	ids    []string
	hits   int
	status []int
	block  chan struct{} // when set, each request waits on it
	got    chan struct{} // signalled on each request
	now    time.Time
}

func newReceiver(t *testing.T, status ...int) *receiver {
	r := &receiver{t: t, status: status, got: make(chan struct{}, 100), now: t0}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	n := r.hits
	r.hits++
	r.mu.Unlock()
	r.got <- struct{}{}
	if r.block != nil {
		<-r.block
	}
	err := VerifySignature([]byte(testSecret), req.Header.Get(HeaderTimestamp), req.Header.Get(HeaderSignature), body, r.now, 5*time.Minute)
	if err != nil || req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
		r.t.Errorf("request %d: %v %s %s", n, err, req.Method, req.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	status := http.StatusOK
	if n < len(r.status) {
		status = r.status[n]
	}
	if status == http.StatusOK {
		r.mu.Lock()
		r.bodies = append(r.bodies, body)
		r.ids = append(r.ids, req.Header.Get(HeaderAlertID))
		r.mu.Unlock()
	}
	w.WriteHeader(status)
}

func (r *receiver) count() int { r.mu.Lock(); defer r.mu.Unlock(); return r.hits }

// testWebhook builds a sink with a fixed clock, a recorded sleep and a
// fixed jitter of one half.
func testWebhook(t *testing.T, urls []string, mod func(*WebhookConfig), log *slog.Logger) (*Webhook, *[]time.Duration) {
	t.Helper()
	cfg := DefaultConfig().Webhooks
	cfg.URLs, cfg.Backoff, cfg.MaxBackoff, cfg.MaxAttempts, cfg.Timeout = urls, Duration(100*time.Millisecond), Duration(time.Second), 3, Duration(5*time.Second)
	if mod != nil {
		mod(&cfg)
	}
	var mu sync.Mutex
	var sleeps []time.Duration
	w, err := NewWebhook(cfg, WebhookOptions{
		Now: func() time.Time { return t0 },
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			sleeps = append(sleeps, d)
			mu.Unlock()
			return ctx.Err()
		},
		Rand:   func() float64 { return 0.5 },
		Getenv: func(k string) string { return map[string]string{cfg.SecretEnv: testSecret}[k] },
		Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	return w, &sleeps
}

func testAlert(id string, sev Severity) Alert {
	return Alert{ID: strings.Repeat(id, 64), Rule: RuleRepeatedDenials, Severity: sev, Actor: alice, Finding: FindingDenials,
		WindowStart: t0, WindowEnd: t0, At: t0, Observed: 5, Threshold: 5, Evidence: []uint64{1, 2}, Class: "general"}
}

func closeWebhook(t *testing.T, w *Webhook) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestWebhookDelivers(t *testing.T) {
	r1, r2 := newReceiver(t), newReceiver(t)
	w, sleeps := testWebhook(t, []string{r1.srv.URL + "/hook", r2.srv.URL}, nil, nil)
	a, b := testAlert("a", SeverityWarning), testAlert("b", SeverityCritical)
	for _, x := range []Alert{a, b} {
		if err := w.Alert(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
	closeWebhook(t, w)
	for _, r := range []*receiver{r1, r2} {
		if len(r.bodies) != 2 || !bytes.Equal(r.bodies[0], a.Canonical()) || !bytes.Equal(r.bodies[1], b.Canonical()) ||
			!slices.Equal(r.ids, []string{a.ID, b.ID}) {
			t.Fatalf("received %q %v", r.bodies, r.ids)
		}
	}
	if s := w.Stats(); s != (WebhookStats{Queued: 2, Delivered: 4}) || len(*sleeps) != 0 {
		t.Fatalf("stats %+v, sleeps %v", s, *sleeps)
	}
	if err := w.Alert(context.Background(), a); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestWebhookRetries(t *testing.T) {
	tests := []struct {
		name       string
		status     []int
		hits       int
		sleeps     []time.Duration
		want       WebhookStats
		maxBackoff time.Duration
	}{
		{"500 then success", []int{500, 502}, 3, []time.Duration{75 * time.Millisecond, 150 * time.Millisecond},
			WebhookStats{Queued: 1, Delivered: 1, Retries: 2}, time.Second},
		{"429 is retried", []int{429}, 2, []time.Duration{75 * time.Millisecond},
			WebhookStats{Queued: 1, Delivered: 1, Retries: 1}, time.Second},
		{"give up after max attempts", []int{503, 503, 503, 503}, 3, []time.Duration{75 * time.Millisecond, 150 * time.Millisecond},
			WebhookStats{Queued: 1, Failed: 1, Retries: 2}, time.Second},
		{"backoff capped", []int{500, 500, 500}, 3, []time.Duration{75 * time.Millisecond, 112500 * time.Microsecond},
			WebhookStats{Queued: 1, Failed: 1, Retries: 2}, 150 * time.Millisecond},
		{"400 is not retried", []int{400}, 1, nil, WebhookStats{Queued: 1, Failed: 1}, time.Second},
		{"a redirect is not followed", []int{302}, 1, nil, WebhookStats{Queued: 1, Failed: 1}, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newReceiver(t, tc.status...)
			w, sleeps := testWebhook(t, []string{r.srv.URL}, func(c *WebhookConfig) { c.MaxBackoff = Duration(tc.maxBackoff) }, nil)
			if err := w.Alert(context.Background(), testAlert("c", SeverityInfo)); err != nil {
				t.Fatal(err)
			}
			closeWebhook(t, w)
			if r.count() != tc.hits || !slices.Equal(*sleeps, tc.sleeps) || w.Stats() != tc.want {
				t.Fatalf("hits %d, sleeps %v, stats %+v", r.count(), *sleeps, w.Stats())
			}
		})
	}
}

func TestWebhookBackoffJitter(t *testing.T) {
	w := &Webhook{cfg: WebhookConfig{Backoff: Duration(time.Second), MaxBackoff: Duration(10 * time.Second)}}
	for _, tc := range []struct {
		n    int
		r    float64
		want time.Duration
	}{
		{2, 0, 500 * time.Millisecond}, {2, 0.999, 999500 * time.Microsecond}, {3, 0, time.Second}, {4, 0, 2 * time.Second},
		{5, 0.5, 6 * time.Second}, {6, 0, 5 * time.Second}, {20, 0, 5 * time.Second},
	} {
		w.rand = func() float64 { return tc.r }
		if got := w.backoff(tc.n); got != tc.want {
			t.Errorf("backoff(%d) with %v = %v, want %v", tc.n, tc.r, got, tc.want)
		}
	}
}

// TestWebhookQueueFull: Alert never blocks; past the queue it drops,
// counts and logs.
func TestWebhookQueueFull(t *testing.T) {
	r := newReceiver(t)
	r.block = make(chan struct{})
	var logs bytes.Buffer
	var mu sync.Mutex
	w, _ := testWebhook(t, []string{r.srv.URL}, func(c *WebhookConfig) { c.QueueSize = 1 },
		slog.New(slog.NewTextHandler(lockedWriter{&logs, &mu}, nil)))
	ctx := context.Background()
	if err := w.Alert(ctx, testAlert("1", SeverityInfo)); err != nil {
		t.Fatal(err)
	}
	<-r.got // the first is being delivered, the queue is empty
	if err := w.Alert(ctx, testAlert("2", SeverityInfo)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- w.Alert(ctx, testAlert("3", SeverityInfo)) }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrQueueFull) {
			t.Fatalf("got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Alert blocked")
	}
	close(r.block)
	closeWebhook(t, w)
	if s := w.Stats(); s != (WebhookStats{Queued: 2, Dropped: 1, Delivered: 2}) {
		t.Fatalf("stats %+v", s)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "alert dropped") || !strings.Contains(logs.String(), strings.Repeat("3", 64)) {
		t.Fatalf("log: %s", logs.String())
	}
}

func TestWebhookCloseAbandons(t *testing.T) {
	r := newReceiver(t)
	r.block = make(chan struct{})
	defer close(r.block)
	w, _ := testWebhook(t, []string{r.srv.URL}, nil, nil)
	w.Alert(context.Background(), testAlert("1", SeverityInfo))
	w.Alert(context.Background(), testAlert("2", SeverityInfo))
	<-r.got
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: %v", err)
	}
	if s := w.Stats(); s.Failed != 2 || s.Delivered != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestWebhookMinSeverity(t *testing.T) {
	r := newReceiver(t)
	w, _ := testWebhook(t, []string{r.srv.URL}, func(c *WebhookConfig) { c.MinSeverity = SeverityWarning }, nil)
	for _, s := range []Severity{SeverityInfo, SeverityWarning, SeverityCritical} {
		w.Alert(context.Background(), testAlert(string(s[0]), s))
	}
	closeWebhook(t, w)
	if s := w.Stats(); s.Filtered != 1 || s.Delivered != 2 {
		t.Fatalf("stats %+v", s)
	}
}

// TestWebhookKeepsSecretsOut: neither the secret nor a URL's token reaches
// errors or logs.
func TestWebhookKeepsSecretsOut(t *testing.T) {
	cfg := DefaultConfig().Webhooks
	cfg.URLs = []string{"https://hooks.example/T0KEN"}
	_, err := NewWebhook(cfg, WebhookOptions{Getenv: func(string) string { return "short-s3cret" }})
	if err == nil || strings.Contains(err.Error(), "short-s3cret") || !strings.Contains(err.Error(), cfg.SecretEnv) {
		t.Fatalf("got %v", err)
	}
	cfg.URLs = nil
	if _, err := NewWebhook(cfg, WebhookOptions{Getenv: func(string) string { return testSecret }}); err == nil {
		t.Fatal("no URL accepted")
	}

	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL + "/services/T0KEN"
	dead.Close()
	var logs bytes.Buffer
	var mu sync.Mutex
	w, _ := testWebhook(t, []string{url}, func(c *WebhookConfig) { c.MaxAttempts = 2 }, slog.New(slog.NewTextHandler(lockedWriter{&logs, &mu}, nil)))
	w.Alert(context.Background(), testAlert("d", SeverityInfo))
	closeWebhook(t, w)
	mu.Lock()
	defer mu.Unlock()
	if w.Stats().Failed != 1 || strings.Contains(logs.String(), "T0KEN") || strings.Contains(logs.String(), testSecret) ||
		!strings.Contains(logs.String(), "given up") {
		t.Fatalf("stats %+v, log: %s", w.Stats(), logs.String())
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"id":"x"}`)
	sig := Sign([]byte(testSecret), "1772416800", body)
	now := time.Unix(1772416800, 0)
	for _, tc := range []struct {
		name, ts, sig string
		body          []byte
		now           time.Time
		ok            bool
	}{
		{"valid", "1772416800", sig, body, now, true},
		{"within tolerance", "1772416800", sig, body, now.Add(5 * time.Minute), true},
		{"stale", "1772416800", sig, body, now.Add(5*time.Minute + time.Second), false},
		{"from the future", "1772416800", sig, body, now.Add(-6 * time.Minute), false},
		{"body changed", "1772416800", sig, []byte(`{"id":"y"}`), now, false},
		{"timestamp changed", "1772416801", sig, body, now, false},
		{"not a number", "soon", sig, body, now, false},
		{"no prefix", "1772416800", strings.TrimPrefix(sig, "sha256="), body, now, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := VerifySignature([]byte(testSecret), tc.ts, tc.sig, tc.body, tc.now, 5*time.Minute); (err == nil) != tc.ok {
				t.Fatalf("got %v", err)
			}
		})
	}
}
