package dsp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

type tokenFunc func(ctx context.Context, aud string) (string, error)

func (f tokenFunc) Token(ctx context.Context, aud string) (string, error) { return f(ctx, aud) }

func TestClientRetries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	msg := &ContractAgreementVerificationMessage{ProviderPID: "urn:p", ConsumerPID: "urn:c"}
	var calls atomic.Int32
	status := func(n int32) int { return http.StatusOK }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if got := r.Header.Get("Authorization"); got != "token-for-did:web:provider.example" {
			t.Errorf("Authorization %q", got)
		}
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
		}
		s := status(n)
		if s >= 400 {
			writeJSON(w, s, &ContractNegotiationError{ProviderPID: "urn:p", ConsumerPID: "urn:c", Code: "nope", Reason: []Reason{{Value: "no"}}})
			return
		}
		w.WriteHeader(s)
	}))
	defer srv.Close()
	c := &Client{Tokens: tokenFunc(func(_ context.Context, aud string) (string, error) { return "token-for-" + aud, nil }),
		Attempts: 4, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}

	// 5xx twice, then 200: three calls, success.
	calls.Store(0)
	status = func(n int32) int {
		if n < 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	if _, err := c.Post(ctx, srv.URL, providerDID, msg); err != nil || calls.Load() != 3 {
		t.Errorf("5xx then 200: %v after %d calls", err, calls.Load())
	}
	// 5xx always: all attempts, then the last error.
	calls.Store(0)
	status = func(int32) int { return http.StatusBadGateway }
	_, err := c.Post(ctx, srv.URL, providerDID, msg)
	var re *RemoteError
	if !errors.As(err, &re) || re.Status != http.StatusBadGateway || calls.Load() != 4 {
		t.Errorf("5xx: %v after %d calls", err, calls.Load())
	}
	// 4xx: final at once, with the Error body.
	calls.Store(0)
	status = func(int32) int { return http.StatusBadRequest }
	_, err = c.Post(ctx, srv.URL, providerDID, msg)
	if !errors.As(err, &re) || re.Status != http.StatusBadRequest || re.Code() != "nope" || calls.Load() != 1 {
		t.Errorf("4xx: %v after %d calls", err, calls.Load())
	}
	if re != nil && re.Error() == "" {
		t.Error("empty error")
	}
	// 404 too.
	calls.Store(0)
	status = func(int32) int { return http.StatusNotFound }
	if _, err = c.Post(ctx, srv.URL, providerDID, msg); calls.Load() != 1 {
		t.Errorf("404: %v after %d calls", err, calls.Load())
	}

	// Transport errors are retried: a listener that drops connections.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var dropped atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			dropped.Add(1)
			conn.Close()
		}
	}()
	_, err = c.Post(ctx, "http://"+ln.Addr().String()+"/x", providerDID, msg)
	ln.Close()
	if err == nil || dropped.Load() != 4 {
		t.Errorf("transport errors: %v after %d connections", err, dropped.Load())
	}

	// A token error is final.
	bad := &Client{Tokens: tokenFunc(func(context.Context, string) (string, error) { return "", errors.New("no key") }), Attempts: 4}
	calls.Store(0)
	if _, err := bad.Post(ctx, srv.URL, providerDID, msg); err == nil || calls.Load() != 0 {
		t.Errorf("token error: %v, %d calls", err, calls.Load())
	}

	// Cancelling the context stops the backoff.
	status = func(int32) int { return http.StatusServiceUnavailable }
	slow := &Client{Tokens: c.Tokens, Attempts: 100, BaseDelay: time.Hour, MaxDelay: time.Hour}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := slow.Post(cctx, srv.URL, providerDID, msg); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled: %v after %v", err, time.Since(start))
	}
}

func TestClientBackoff(t *testing.T) {
	c := &Client{BaseDelay: 10 * time.Millisecond, MaxDelay: 80 * time.Millisecond}
	for try := 0; try < 10; try++ {
		bound := min(10*time.Millisecond<<try, 80*time.Millisecond)
		var maxSeen time.Duration
		for i := 0; i < 200; i++ {
			d := c.delay(try)
			if d < 0 || d > bound {
				t.Fatalf("try %d: delay %v outside [0, %v]", try, d, bound)
			}
			maxSeen = max(maxSeen, d)
		}
		if maxSeen < bound/2 {
			t.Errorf("try %d: the jitter never came near the bound %v (max %v)", try, bound, maxSeen)
		}
	}
	if d := (&Client{}).delay(40); d > 2*time.Second {
		t.Errorf("default cap: %v", d)
	}
}
