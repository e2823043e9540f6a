package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// RetryPolicy bounds the retries of the pull and push clients.
type RetryPolicy struct {
	// MaxAttempts is the number of consecutive failed attempts (with no
	// chunk verified in between) after which the client gives up;
	// 0 means 5.
	MaxAttempts int
	// Backoff is the wait after the first failure, doubled after each
	// further one up to 5 s; 0 means 100 ms.
	Backoff time.Duration
}

func (rp RetryPolicy) attempts() int {
	if rp.MaxAttempts <= 0 {
		return 5
	}
	return rp.MaxAttempts
}

// wait sleeps before retry number failures (1 for the first).
func (rp RetryPolicy) wait(ctx context.Context, failures int) error {
	d := rp.Backoff
	if d <= 0 {
		d = 100 * time.Millisecond
	}
	for i := 1; i < failures && d < 5*time.Second; i++ {
		d *= 2
	}
	t := time.NewTimer(min(d, 5*time.Second))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// authClient sends requests with a DataAddress's bearer token and
// refreshes it when it is about to expire or has expired.
type authClient struct {
	hc   *http.Client
	addr DataAddress
	now  func() time.Time
}

func (c *authClient) canRefresh() bool {
	return c.addr.RefreshToken != "" && c.addr.RefreshEndpoint != ""
}

// fresh refreshes the token ahead of an expiry less than 10 s away.
func (c *authClient) fresh(ctx context.Context) error {
	if c.canRefresh() && !c.addr.ExpiresAt.IsZero() && c.now().Add(10*time.Second).After(c.addr.ExpiresAt) {
		return c.refresh(ctx)
	}
	return nil
}

func (c *authClient) refresh(ctx context.Context) error {
	if !c.canRefresh() {
		return fmt.Errorf("transfer: %w and there is no refresh token", ErrTokenExpired)
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {c.addr.RefreshToken}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.addr.RefreshEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("transfer: refreshing the token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("transfer: refreshing the token: %w: %w", errRetryable, err)
	}
	defer resp.Body.Close()
	var tr tokenReply
	body := io.LimitReader(resp.Body, maxFormBytes)
	if resp.StatusCode != http.StatusOK {
		var oe struct {
			Error string `json:"error"`
			Desc  string `json:"error_description"`
		}
		json.NewDecoder(body).Decode(&oe)
		if retryableStatus(resp.StatusCode) {
			return fmt.Errorf("transfer: refreshing the token: %w: HTTP %d", errRetryable, resp.StatusCode)
		}
		return fmt.Errorf("transfer: refreshing the token: %w: %s %s (HTTP %d)", ErrTokenInvalid, oe.Error, oe.Desc, resp.StatusCode)
	}
	if err := json.NewDecoder(body).Decode(&tr); err != nil || tr.AccessToken == "" {
		return fmt.Errorf("transfer: refreshing the token: bad reply: %v", err)
	}
	c.addr.Token = tr.AccessToken
	c.addr.ExpiresAt = c.now().Add(time.Duration(tr.ExpiresIn) * time.Second)
	if tr.RefreshToken != "" {
		c.addr.RefreshToken = tr.RefreshToken
	}
	return nil
}

func (c *authClient) do(req *http.Request) (*http.Response, error) {
	req.Header.Set("Authorization", "Bearer "+c.addr.Token)
	return c.hc.Do(req)
}

// endpoint is the stream endpoint with ?from=k.
func (c *authClient) endpoint(from uint64) (string, error) {
	u, err := url.Parse(c.addr.Endpoint)
	if err != nil {
		return "", fmt.Errorf("transfer: endpoint: %w", err)
	}
	q := u.Query()
	q.Set(FromParam, fmt.Sprint(from))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// statusError turns a refusal into the package's errors.
func statusError(resp *http.Response) error {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	detail := fmt.Sprintf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	var sentinel error
	switch resp.StatusCode {
	case http.StatusNotFound:
		sentinel = ErrUnknownTransfer
	case http.StatusGone:
		sentinel = ErrTerminated
	case http.StatusConflict:
		sentinel = ErrSuspended
	case http.StatusUnauthorized:
		sentinel = ErrTokenInvalid
		if strings.Contains(resp.Header.Get("WWW-Authenticate"), "expired") {
			sentinel = ErrTokenExpired
		}
	case http.StatusUnprocessableEntity:
		sentinel = ErrChunkAuth // the receiver refused the stream
	default:
		return fmt.Errorf("transfer: %s", detail)
	}
	return fmt.Errorf("transfer: %w (%s)", sentinel, detail)
}

// retryableStatus: overload and server trouble are worth another attempt.
func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

// errWriter remembers whether the destination failed, to tell its errors
// from the stream's.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

var errNoProgress = errors.New("giving up")
