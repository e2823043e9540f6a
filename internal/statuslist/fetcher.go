package statuslist

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"syscall"
	"time"
)

// Fetcher retrieves a status list credential by its URL.
type Fetcher interface {
	Fetch(ctx context.Context, url string) ([]byte, error)
}

// FetcherFunc adapts a function to Fetcher.
type FetcherFunc func(ctx context.Context, url string) ([]byte, error)

// Fetch calls f.
func (f FetcherFunc) Fetch(ctx context.Context, url string) ([]byte, error) { return f(ctx, url) }

// Defaults of HTTPFetcher.
const (
	DefaultFetchTimeout = 10 * time.Second
	DefaultMaxFetchSize = 1 << 20 // bytes of a status list credential
)

// HTTPFetcher fetches over HTTP(S) with a timeout and a size bound.
// Status list credentials are small (a 131,072-entry list compresses to a few
// hundred bytes when empty and to at most ~16 KiB when random), so the bound
// refuses anything unreasonable before it is parsed.
type HTTPFetcher struct {
	// Client is used for requests (a copy, with its own redirect policy);
	// a client over http.DefaultTransport when nil. Its transport's TLS
	// settings apply.
	Client *http.Client
	// Timeout bounds each fetch (DefaultFetchTimeout when zero); the
	// context's deadline applies as well.
	Timeout time.Duration
	// MaxBytes bounds the body (DefaultMaxFetchSize when zero).
	MaxBytes int64
	// AllowHTTP permits plain http:// URLs (loopback tests, a connector
	// behind a TLS terminator). Only https:// is fetched otherwise, and
	// redirects are followed (at most 5) only to URLs fetchable under the
	// same rule.
	AllowHTTP bool
	// DenyPrivateAddresses refuses to connect to loopback, private,
	// link-local, multicast and unspecified addresses. The URL comes from
	// the credential being verified, that is from whoever presents it, so
	// a verifier inside a private network should set this to avoid being
	// used to probe it (server-side request forgery). It applies when
	// Client is nil; with a Client of your own, put the same check in its
	// dialer.
	DenyPrivateAddresses bool

	once   sync.Once
	client *http.Client
}

func (f *HTTPFetcher) httpClient() *http.Client {
	f.once.Do(func() {
		c := http.Client{}
		if f.Client != nil {
			c = *f.Client
		} else if f.DenyPrivateAddresses {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.Proxy = nil // the check must see the real destination
			tr.DialContext = (&net.Dialer{Timeout: 30 * time.Second, Control: denyPrivate}).DialContext
			c.Transport = tr
		}
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("more than 5 redirects")
			}
			if !f.fetchable(req.URL) {
				return fmt.Errorf("redirect to %s refused", req.URL.Redacted())
			}
			return nil
		}
		f.client = &c
	})
	return f.client
}

func (f *HTTPFetcher) fetchable(u *url.URL) bool {
	return u.Host != "" && (u.Scheme == "https" || (u.Scheme == "http" && f.AllowHTTP))
}

// denyPrivate is a net.Dialer Control function refusing non-public addresses.
func denyPrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dialing %s: not an IP address", address)
	}
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() {
		return fmt.Errorf("dialing %s: a non-public address is refused", address)
	}
	return nil
}

// Fetch GETs rawURL. Transport failures, timeouts and non-200 answers are
// CodeStatusUnreachable; a refused scheme or an over-long body is
// CodeStatusInvalid.
func (f *HTTPFetcher) Fetch(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !f.fetchable(u) {
		return nil, errorf(CodeStatusInvalid, err, fmt.Sprintf("statusListCredential %q is not a fetchable https URL", rawURL))
	}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	max := f.MaxBytes
	if max <= 0 {
		max = DefaultMaxFetchSize
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errorf(CodeStatusInvalid, err, "building the request for "+rawURL)
	}
	req.Header.Set("Accept", "application/vc, application/vc+jwt, application/vc+ld+json, application/ld+json, application/json")
	resp, err := f.httpClient().Do(req)
	if err != nil {
		return nil, errorf(CodeStatusUnreachable, err, "fetching "+rawURL)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errorf(CodeStatusUnreachable, nil, fmt.Sprintf("fetching %s: HTTP %d", rawURL, resp.StatusCode))
	}
	if resp.ContentLength > max {
		return nil, errorf(CodeStatusInvalid, nil, fmt.Sprintf("status list credential at %s is %d bytes, over %d", rawURL, resp.ContentLength, max))
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, errorf(CodeStatusUnreachable, err, "reading "+rawURL)
	}
	if int64(len(b)) > max {
		return nil, errorf(CodeStatusInvalid, nil, fmt.Sprintf("status list credential at %s is over %d bytes", rawURL, max))
	}
	return b, nil
}
