package dsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TokenSource supplies the Authorization header of outgoing requests, for
// example a DCP self-issued ID token whose aud is the counterparty.
type TokenSource interface {
	// Token returns the header value (sent verbatim) for a request to
	// audience, the counterparty's identifier; "" sends no header.
	Token(ctx context.Context, audience string) (string, error)
}

// StaticToken is a TokenSource that sends the same header to everyone
// (test set-ups and the DSP TCK's configured authorization).
type StaticToken string

// Token returns the token.
func (s StaticToken) Token(context.Context, string) (string, error) { return string(s), nil }

// Client sends protocol messages to a counterparty. The zero value works:
// four attempts per message, backoff from 100 ms doubling to 2 s with full
// jitter, 10 s per attempt. Only transport errors and 5xx answers are
// retried; a 4xx is final. It is safe for concurrent use.
type Client struct {
	// HTTP is the client used; http.DefaultClient when nil. Give it the
	// TLS configuration (mutual TLS) of the connector.
	HTTP *http.Client
	// Tokens supplies the Authorization header; nil sends none.
	Tokens TokenSource
	// Attempts is the number of tries per request (default 4).
	Attempts int
	// BaseDelay and MaxDelay bound the exponential backoff between tries
	// (defaults 100 ms and 2 s); each wait is drawn uniformly from zero to
	// the bound (full jitter).
	BaseDelay, MaxDelay time.Duration
	// Timeout bounds each try (default 10 s).
	Timeout time.Duration
}

// RemoteError is a 4xx or 5xx answer of the counterparty. Body is the
// protocol Error it sent (*ContractNegotiationError or *TransferError),
// or nil when it sent none that could be read.
type RemoteError struct {
	Status int
	URL    string
	Body   Message
}

func (e *RemoteError) Error() string {
	msg := fmt.Sprintf("dsp: %s answered %d %s", redactURL(e.URL), e.Status, http.StatusText(e.Status))
	code, reason := "", []Reason(nil)
	switch b := e.Body.(type) {
	case *ContractNegotiationError:
		code, reason = b.Code, b.Reason
	case *TransferError:
		code, reason = b.Code, b.Reason
	}
	if code != "" {
		msg += " (" + clip(code) + ")"
	}
	if len(reason) > 0 {
		msg += ": " + clip(reason[0].Value)
	}
	return msg
}

// Code returns the code of the Error body, if any.
func (e *RemoteError) Code() string {
	switch b := e.Body.(type) {
	case *ContractNegotiationError:
		return b.Code
	case *TransferError:
		return b.Code
	}
	return ""
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "the counterparty"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

func (c *Client) attempts() int {
	if c.Attempts > 0 {
		return c.Attempts
	}
	return 4
}

func (c *Client) delay(try int) time.Duration {
	base, maxd := c.BaseDelay, c.MaxDelay
	if base <= 0 {
		base = 100 * time.Millisecond
	}
	if maxd <= 0 {
		maxd = 2 * time.Second
	}
	d := base << min(try, 30)
	if d <= 0 || d > maxd {
		d = maxd
	}
	return rand.N(d + 1)
}

// Post sends msg to u, authorised for audience, and returns the message
// of the answer (nil for an empty 2xx body).
func (c *Client) Post(ctx context.Context, u, audience string, msg Message) (Message, error) {
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, http.MethodPost, u, audience, body)
}

// PostRaw sends an encoded message (an outbox entry).
func (c *Client) PostRaw(ctx context.Context, u, audience string, body []byte) (Message, error) {
	return c.do(ctx, http.MethodPost, u, audience, body)
}

// Get reads a process (ContractNegotiation or TransferProcess) at u.
func (c *Client) Get(ctx context.Context, u, audience string) (Message, error) {
	return c.do(ctx, http.MethodGet, u, audience, nil)
}

// Versions reads GET <root>/.well-known/dspace-version, unauthenticated.
func (c *Client) Versions(ctx context.Context, root string) (*VersionResponse, error) {
	var out *VersionResponse
	err := c.retry(ctx, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(root, "/")+"/.well-known/dspace-version", nil)
		if err != nil {
			return false, err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := c.httpClient().Do(req)
		if err != nil {
			return true, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, MaxMessageBytes+1))
		if err != nil {
			return true, err
		}
		if resp.StatusCode != http.StatusOK {
			return resp.StatusCode >= 500, &RemoteError{Status: resp.StatusCode, URL: req.URL.String()}
		}
		out, err = DecodeVersionResponse(b)
		return false, err
	})
	return out, err
}

// BaseURL discovers the base URL of a connector's 2025-1 HTTPS binding
// from its root URL; serviceID, when not empty, picks among several.
func (c *Client) BaseURL(ctx context.Context, root, serviceID string) (string, error) {
	v, err := c.Versions(ctx, root)
	if err != nil {
		return "", err
	}
	ru, err := url.Parse(root)
	if err != nil {
		return "", fmt.Errorf("dsp: root URL: %w", err)
	}
	for _, pv := range v.ProtocolVersions {
		if pv.Version == Version && pv.Binding == BindingHTTPS && (serviceID == "" || pv.ServiceID == serviceID) {
			return ru.Scheme + "://" + ru.Host + strings.TrimRight(pv.Path, "/"), nil
		}
	}
	return "", fmt.Errorf("dsp: %s serves no Dataspace Protocol %s over HTTPS", redactURL(root), Version)
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) do(ctx context.Context, method, u, audience string, body []byte) (Message, error) {
	var out Message
	err := c.retry(ctx, func(ctx context.Context) (bool, error) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return false, fmt.Errorf("dsp: %w", err)
		}
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.Tokens != nil {
			tok, err := c.Tokens.Token(ctx, audience)
			if err != nil {
				return false, fmt.Errorf("dsp: getting a token for %s: %w", audience, err)
			}
			if tok != "" {
				req.Header.Set("Authorization", tok)
			}
		}
		resp, err := c.httpClient().Do(req)
		if err != nil {
			return true, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, MaxMessageBytes+1))
		if err != nil {
			return true, err
		}
		if resp.StatusCode >= 300 {
			re := &RemoteError{Status: resp.StatusCode, URL: u}
			if m, err := Decode(b); err == nil {
				re.Body = m
			}
			return resp.StatusCode >= 500, re
		}
		if len(bytes.TrimSpace(b)) == 0 {
			out = nil
			return false, nil
		}
		out, err = Decode(b)
		if err != nil {
			return false, fmt.Errorf("dsp: the answer of %s: %w", redactURL(u), err)
		}
		return false, nil
	})
	return out, err
}

// retry runs try until it succeeds, fails with retry false, or the
// attempts run out. Each try gets its own timeout.
func (c *Client) retry(ctx context.Context, try func(context.Context) (bool, error)) error {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	var last error
	for i := 0; i < c.attempts(); i++ {
		if i > 0 {
			t := time.NewTimer(c.delay(i - 1))
			select {
			case <-ctx.Done():
				t.Stop()
				return errors.Join(ctx.Err(), last)
			case <-t.C:
			}
		}
		tctx, cancel := context.WithTimeout(ctx, timeout)
		again, err := try(tctx)
		cancel()
		if err == nil {
			return nil
		}
		last = err
		if !again || ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() != nil {
		return errors.Join(ctx.Err(), last)
	}
	return last
}
