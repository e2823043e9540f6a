package identity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// WebURL maps a did:web to the HTTPS URL of its DID document (did:web
// method, Read): "did:web:example.com" →
// https://example.com/.well-known/did.json; "did:web:example.com:user:alice"
// → https://example.com/user/alice/did.json; the port colon is
// percent-encoded ("did:web:example.com%3A3000"). IP addresses, empty path
// segments and "." or ".." segments are invalidDid.
func WebURL(did string) (string, error) {
	d, err := ParseDID(did)
	if err != nil {
		return "", err
	}
	u, err := webURL(d)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

func webURL(d DID) (*url.URL, error) {
	if d.Method != "web" {
		return nil, newErr(CodeInvalidDID, "%s is not a did:web", truncate(d.String()))
	}
	parts := strings.Split(d.ID, ":")
	hostport, err := webHost(parts[0])
	if err != nil {
		return nil, wrapErr(CodeInvalidDID, err, "%s", truncate(d.String()))
	}
	path := "/.well-known"
	if len(parts) > 1 {
		for _, s := range parts[1:] {
			if err := checkWebSegment(s); err != nil {
				return nil, wrapErr(CodeInvalidDID, err, "%s", truncate(d.String()))
			}
		}
		path = "/" + strings.Join(parts[1:], "/")
	}
	u, err := url.Parse("https://" + hostport + path + "/did.json")
	if err != nil {
		return nil, wrapErr(CodeInvalidDID, err, "%s", truncate(d.String()))
	}
	return u, nil
}

// webHost decodes the domain part of a did:web ("example.com%3A3000") to
// host[:port] and checks it.
func webHost(s string) (string, error) {
	host, port := s, ""
	if i := strings.Index(strings.ToLower(s), "%3a"); i >= 0 {
		host, port = s[:i], s[i+3:]
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 || port[0] == '0' {
			return "", fmt.Errorf("invalid port %q", port)
		}
	}
	if err := checkDomain(host); err != nil {
		return "", err
	}
	if port != "" {
		return host + ":" + port, nil
	}
	return host, nil
}

// checkDomain checks a DNS name (RFC 1123 labels), refusing IP addresses
// as the did:web method requires.
func checkDomain(h string) error {
	if h == "" || len(h) > 253 {
		return fmt.Errorf("domain name of %d bytes", len(h))
	}
	if net.ParseIP(h) != nil {
		return fmt.Errorf("%q: did:web must not use an IP address", h)
	}
	for _, l := range strings.Split(h, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("%q: invalid domain label %q", h, l)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("%q: invalid character %q in domain name", h, c)
			}
		}
	}
	last := h[strings.LastIndexByte(h, '.')+1:]
	if strings.Trim(last, "0123456789") == "" {
		return fmt.Errorf("%q: numeric top-level label (an IP address?)", h)
	}
	return nil
}

// checkWebSegment checks one path segment of a did:web.
func checkWebSegment(s string) error {
	if s == "" {
		return errors.New("empty path segment")
	}
	dec, err := url.PathUnescape(s)
	if err != nil {
		return fmt.Errorf("path segment %q: %w", s, err)
	}
	if dec == "." || dec == ".." || strings.ContainsAny(dec, "/\\?#") {
		return fmt.Errorf("path segment %q not allowed", s)
	}
	for i := 0; i < len(dec); i++ {
		if dec[i] < 0x20 || dec[i] == 0x7f {
			return fmt.Errorf("path segment %q holds a control character", s)
		}
	}
	return nil
}

// WebDIDFromURL is the inverse of WebURL: it maps the HTTPS URL of a
// did.json to its did:web.
func WebDIDFromURL(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", wrapErr(CodeInvalidDID, err, "URL %q", truncate(rawURL))
	}
	if u.Scheme != "https" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", newErr(CodeInvalidDID, "%q: a did:web document URL is https with no user, query or fragment", truncate(rawURL))
	}
	p := u.EscapedPath()
	if !strings.HasSuffix(p, "/did.json") {
		return "", newErr(CodeInvalidDID, "%q does not end in /did.json", truncate(rawURL))
	}
	p = strings.TrimSuffix(p, "/did.json")
	var segs []string
	if p != "/.well-known" {
		if p == "" {
			return "", newErr(CodeInvalidDID, "%q: the root document is /.well-known/did.json", truncate(rawURL))
		}
		segs = strings.Split(strings.TrimPrefix(p, "/"), "/")
	}
	return NewWebDID(u.Host, segs...)
}

// NewWebDID returns the did:web for host (a domain name, optionally with
// ":port") and optional path segments, which must be already
// percent-encoded if they need to be.
func NewWebDID(host string, path ...string) (string, error) {
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		h, port = host, ""
	}
	id := h
	if port != "" {
		id += "%3A" + port
	}
	for _, s := range path {
		id += ":" + s
	}
	did := "did:web:" + id
	d, err := ParseDID(did)
	if err != nil {
		return "", err
	}
	if _, err := webURL(d); err != nil {
		return "", err
	}
	return did, nil
}

// WebMethod resolves did:web over HTTPS.
type WebMethod struct {
	client  *http.Client
	maxSize int64
}

// NewWebMethod returns a did:web resolver using a copy of client (a
// client with no timeout of its own and http.DefaultTransport when nil;
// deadlines come from the context). The copy refuses redirects to
// non-HTTPS URLs and after five hops. TLS settings are the client's:
// use a transport with MinVersion TLS 1.2 or later.
func NewWebMethod(client *http.Client) *WebMethod {
	var c http.Client
	if client != nil {
		c = *client
	}
	prev := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return errors.New("redirect to a non-HTTPS URL refused")
		}
		if len(via) >= 5 {
			return errors.New("more than 5 redirects")
		}
		if prev != nil {
			return prev(req, via)
		}
		return nil
	}
	return &WebMethod{client: &c, maxSize: MaxDocumentSize}
}

// Resolve fetches and checks the document of a did:web: HTTP 404 and 410
// are notFound; other statuses and transport errors (a context deadline
// among them) are internalError; a media type other than
// application/did+json, application/did+ld+json, application/json or
// application/ld+json is representationNotSupported; a body over
// MaxDocumentSize, a malformed document or one whose id is not the DID is
// invalidDidDocument.
func (w *WebMethod) Resolve(ctx context.Context, d DID) (*Result, error) {
	u, err := webURL(d)
	if err != nil {
		return nil, err
	}
	did := d.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, wrapErr(CodeInternalError, err, "%s", truncate(did))
	}
	req.Header.Set("Accept", "application/did+json, application/did+ld+json;q=0.9, application/json;q=0.8")
	resp, err := w.client.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, wrapErr(CodeInternalError, ctxErr, "fetching %s", u)
		}
		return nil, wrapErr(CodeInternalError, err, "fetching %s", u)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, newErr(CodeNotFound, "%s: %s answered %s", truncate(did), u, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, newErr(CodeInternalError, "%s: %s answered %s", truncate(did), u, resp.Status)
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		return nil, wrapErr(CodeRepresentationNotSupported, err, "%s: Content-Type %q", truncate(did), resp.Header.Get("Content-Type"))
	}
	switch mt {
	case MediaTypeDIDJSON, MediaTypeDIDLDJSON, MediaTypeJSON, MediaTypeLDJSON:
	default:
		return nil, newErr(CodeRepresentationNotSupported, "%s: %s served %q (want %s)", truncate(did), u, mt, MediaTypeDIDJSON)
	}
	if resp.ContentLength > w.maxSize {
		return nil, newErr(CodeInvalidDIDDocument, "%s: document of %d bytes exceeds %d", truncate(did), resp.ContentLength, w.maxSize)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, w.maxSize+1))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, wrapErr(CodeInternalError, err, "reading %s", u)
	}
	if int64(len(body)) > w.maxSize {
		return nil, newErr(CodeInvalidDIDDocument, "%s: document exceeds %d bytes", truncate(did), w.maxSize)
	}
	doc, err := ParseDocument(body)
	if err != nil {
		return nil, wrapErr(CodeInvalidDIDDocument, err, "%s", truncate(did))
	}
	if doc.ID != did {
		return nil, newErr(CodeInvalidDIDDocument, "%s: the document at %s has id %q", truncate(did), u, truncate(doc.ID))
	}
	if (mt == MediaTypeDIDLDJSON || mt == MediaTypeLDJSON) && len(doc.Context) == 0 {
		return nil, newErr(CodeInvalidDIDDocument, "%s: %s representation without @context", truncate(did), mt)
	}
	return &Result{Document: doc, Metadata: ResolutionMetadata{ContentType: mt}}, nil
}
