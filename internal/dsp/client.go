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
// protocol Error it sent (*ContractNegotiationError, *TransferError or
// *CatalogError), or nil when it sent none that could be read.
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
	case *CatalogError:
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
	case *CatalogError:
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
		_, b, again, err := c.exchange(ctx, method, u, audience, body, MaxMessageBytes)
		if err != nil {
			return again, err
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

// exchange makes one try of a request: with its token, reading at most
// limit+1 bytes of the answer (a longer one is the decoder's to refuse). A
// 3xx, 4xx or 5xx answer is a *RemoteError; again reports whether a
// failure may be retried (transport errors and 5xx).
func (c *Client) exchange(ctx context.Context, method, u, audience string, body []byte, limit int) (http.Header, []byte, bool, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, false, fmt.Errorf("dsp: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Tokens != nil {
		tok, err := c.Tokens.Token(ctx, audience)
		if err != nil {
			return nil, nil, false, fmt.Errorf("dsp: getting a token for %s: %w", audience, err)
		}
		if tok != "" {
			req.Header.Set("Authorization", tok)
		}
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, nil, true, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && n <= int64(limit) {
		buf.Grow(int(n) + bytes.MinRead) // one allocation for a large page (ReadFrom wants MinRead free)
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, int64(limit)+1)); err != nil {
		return nil, nil, true, err
	}
	b := buf.Bytes()
	if resp.StatusCode >= 300 {
		re := &RemoteError{Status: resp.StatusCode, URL: u}
		if m, err := Decode(b); err == nil {
			re.Body = m
		}
		return resp.Header, b, resp.StatusCode >= 500, re
	}
	return resp.Header, b, false, nil
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

// CatalogPage requests one page of a catalog: POST req to u (a provider's
// <base>/catalog/request or a page link it gave), reading at most
// MaxCatalogBytes. It returns the page and its links, resolved against u.
func (c *Client) CatalogPage(ctx context.Context, u, audience string, req *CatalogRequestMessage) (*Catalog, PageLinks, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, PageLinks{}, err
	}
	p, err := c.fetchPage(ctx, u, audience, body, MaxCatalogBytes)
	if err != nil {
		return nil, PageLinks{}, err
	}
	page, err := p.decode()
	return page, p.links, err
}

// rawPage is a catalog page as read, not yet decoded.
type rawPage struct {
	url   string
	body  []byte
	links PageLinks
	limit int
}

func (p *rawPage) decode() (*Catalog, error) {
	m, err := decode(p.body, p.limit)
	if err != nil {
		return nil, fmt.Errorf("dsp: the catalog page %s: %w", redactURL(p.url), err)
	}
	page, ok := m.(*Catalog)
	if !ok {
		return nil, fmt.Errorf("dsp: the catalog page %s: a %s, where a Catalog was expected", redactURL(p.url), m.MessageType())
	}
	return page, nil
}

// fetchPage POSTs an encoded catalog request to u and reads the answer (at
// most limit bytes) and its links, resolved against u.
func (c *Client) fetchPage(ctx context.Context, u, audience string, body []byte, limit int) (*rawPage, error) {
	p := &rawPage{url: u, limit: limit}
	err := c.retry(ctx, func(ctx context.Context) (bool, error) {
		h, b, again, err := c.exchange(ctx, http.MethodPost, u, audience, body, limit)
		if err != nil {
			return again, err
		}
		p.body, p.links = b, parseLinks(h.Values("Link"))
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if p.links, err = p.links.resolve(u); err != nil {
		return nil, err
	}
	return p, nil
}

// Catalog reads the whole catalog of the provider at base (its <base>
// URL): a CatalogRequestMessage without filter, then every page its
// rel="next" links lead to (on the same scheme and host as base), merged
// into one Catalog (the first page's head; datasets, nested catalogs and
// services of every page, each @id once). A page is decoded while the
// next one is fetched. It stops with an error past lim's pages or bytes,
// on a page link seen before, on a page of another participant, and on
// any page that is not a strict 2025-1 Catalog.
func (c *Client) Catalog(ctx context.Context, base, audience string, lim CatalogLimits) (*Catalog, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan *rawPage, 1)
	fetched := make(chan error, 1)
	go func() {
		defer close(pages)
		fetched <- c.fetchPages(ctx, base, audience, lim, pages)
	}()
	var all *Catalog
	var m merger
	i := 0
	for p := range pages {
		i++
		page, err := p.decode()
		if err == nil && all == nil {
			all = m.first(page)
		} else if err == nil {
			err = m.add(all, page)
		}
		if err != nil {
			cancel()
			for range pages {
			}
			<-fetched
			return nil, fmt.Errorf("dsp: page %d of the catalog of %s: %w", i, redactURL(base), err)
		}
	}
	if err := <-fetched; err != nil {
		return nil, err
	}
	return all, nil
}

// fetchPages reads the pages of a catalog into out, following next links
// within lim.
func (c *Client) fetchPages(ctx context.Context, base, audience string, lim CatalogLimits, out chan<- *rawPage) error {
	pages, budget := lim.pages(), lim.bytes()
	u := strings.TrimRight(base, "/") + "/catalog/request"
	body, err := json.Marshal(&CatalogRequestMessage{})
	if err != nil {
		return err
	}
	seen := map[string]bool{u: true}
	var total int64
	for i := 0; ; i++ {
		if i == pages {
			return fmt.Errorf("dsp: the catalog of %s has more than %d pages", redactURL(base), pages)
		}
		left := budget - total
		if left <= 0 {
			return fmt.Errorf("dsp: the catalog of %s is larger than %d bytes", redactURL(base), budget)
		}
		p, err := c.fetchPage(ctx, u, audience, body, int(min(left, MaxCatalogBytes)))
		if err != nil {
			return fmt.Errorf("dsp: page %d of the catalog: %w", i+1, err)
		}
		if len(p.body) > p.limit {
			if left < MaxCatalogBytes {
				return fmt.Errorf("dsp: the catalog of %s is larger than %d bytes", redactURL(base), budget)
			}
			return fmt.Errorf("dsp: page %d of the catalog of %s is larger than %d bytes", i+1, redactURL(base), MaxCatalogBytes)
		}
		total += int64(len(p.body))
		select {
		case out <- p:
		case <-ctx.Done():
			return ctx.Err()
		}
		next := p.links.Next
		switch {
		case next == "":
			return nil
		case !sameOrigin(u, next):
			return fmt.Errorf("dsp: page %d of the catalog of %s links to another origin (%s)", i+1, redactURL(base), redactURL(next))
		case seen[next]:
			return fmt.Errorf("dsp: page %d of the catalog of %s links to a page already read", i+1, redactURL(base))
		}
		seen[next] = true
		u = next
	}
}

// Dataset reads one dataset of the provider at base: GET
// <base>/catalog/datasets/{id}.
func (c *Client) Dataset(ctx context.Context, base, audience, id string) (*Dataset, error) {
	m, err := c.Get(ctx, catalogURL(base, id), audience)
	if err != nil {
		return nil, err
	}
	d, ok := m.(*Dataset)
	if !ok {
		typ := "empty answer"
		if m != nil {
			typ = m.MessageType()
		}
		return nil, fmt.Errorf("dsp: the dataset %s: a %s, where a Dataset was expected", clip(id), typ)
	}
	return d, nil
}

// ResolveBase returns the <base> of the 2025-1 HTTPS binding of the
// connector at u: u is its root, whose version endpoint names the path
// appended to it, or u is already the <base> (it has no version endpoint:
// 404, or an answer that is not a version document).
func (c *Client) ResolveBase(ctx context.Context, u string) (string, error) {
	root := strings.TrimRight(u, "/")
	v, err := c.Versions(ctx, root)
	var re *RemoteError
	var me *MessageError
	switch {
	case errors.As(err, &re) && re.Status == http.StatusNotFound, errors.As(err, &me):
		return root, nil
	case err != nil:
		return "", err
	}
	for _, pv := range v.ProtocolVersions {
		if pv.Version == Version && pv.Binding == BindingHTTPS {
			if p := strings.Trim(pv.Path, "/"); p != "" {
				return root + "/" + p, nil
			}
			return root, nil
		}
	}
	return "", fmt.Errorf("dsp: %s serves no Dataspace Protocol %s over HTTPS", redactURL(u), Version)
}
