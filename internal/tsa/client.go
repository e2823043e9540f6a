package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/digitorus/timestamp"
)

// maxResponseBytes bounds a TimeStampResp read from a TSA. Tokens carrying a
// long certificate chain are a few kilobytes.
const maxResponseBytes = 1 << 20

// Client asks an RFC 3161 TSA for tokens. It is safe for concurrent use.
type Client struct {
	target string // for errors
	do     func(ctx context.Context, req []byte) ([]byte, error)
}

// NewClient returns a Client for the TSA at tsaURL (http or https), which it
// reaches with hc (nil means a client with a 30-second timeout).
func NewClient(tsaURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(tsaURL)
	if err != nil {
		return nil, fmt.Errorf("tsa: TSA URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tsa: TSA URL %q: want http:// or https:// and a host", tsaURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c := &Client{target: u.Redacted()}
	c.do = func(ctx context.Context, req []byte) ([]byte, error) {
		return postQuery(ctx, hc, tsaURL, req)
	}
	return c, nil
}

// RejectionError is a TSA's refusal to issue a token: a TimeStampResp whose
// status is neither granted nor grantedWithMods.
type RejectionError struct {
	Status   int      // PKIStatus: 2 rejection, 3 waiting, 4 revocationWarning, 5 revocationNotification
	FailInfo FailInfo // the lowest failInfo bit set, or FailNone
	Text     string   // the statusString, if any
}

func (e *RejectionError) Error() string {
	s := fmt.Sprintf("tsa: request refused: status %d, failInfo %s", e.Status, e.FailInfo)
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Stamp asks the TSA to timestamp digest, the hash (SHA-256, SHA-384 or
// SHA-512) of the data. The request carries a random 64-bit nonce and
// certReq set. Stamp checks that the response grants the request, that the
// token's signature verifies with the certificate it carries, and that the
// token's nonce and message imprint are those sent; it returns the token
// (the DER TimeStampToken, a CMS ContentInfo) for [Verify].
//
// Stamp does not check who signed: that needs the trusted roots, and is
// [Verify]'s job. A refusal is a *[RejectionError].
func (c *Client) Stamp(ctx context.Context, digest []byte, hash crypto.Hash) ([]byte, error) {
	if err := checkHash(digest, hash); err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, fmt.Errorf("tsa: nonce: %w", err)
	}
	q := timestamp.Request{HashAlgorithm: hash, HashedMessage: digest, Certificates: true, Nonce: nonce}
	req, err := q.Marshal()
	if err != nil {
		return nil, fmt.Errorf("tsa: encoding the request: %w", err)
	}
	respDER, err := c.do(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("tsa: %s: %w", c.target, err)
	}
	token, err := tokenFromResponse(respDER)
	if err != nil {
		return nil, err
	}
	// timestamp.Parse checks the signature against the certificate carried
	// in the token (and does not when the token carries none).
	ts, err := timestamp.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("tsa: %s: token: %w", c.target, err)
	}
	switch {
	case len(ts.Certificates) == 0:
		return nil, fmt.Errorf("tsa: %s: token carries no certificate although certReq was set", c.target)
	case ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0:
		return nil, fmt.Errorf("tsa: %s: token nonce does not match the request", c.target)
	case ts.HashAlgorithm != hash || !bytes.Equal(ts.HashedMessage, digest):
		return nil, fmt.Errorf("tsa: %s: token message imprint does not match the request", c.target)
	}
	return bytes.Clone(token), nil
}

// tokenFromResponse decodes a DER TimeStampResp and returns its token, or
// a *RejectionError.
func tokenFromResponse(der []byte) ([]byte, error) {
	var resp timeStampResp
	rest, err := asn1.Unmarshal(der, &resp)
	if err != nil {
		return nil, fmt.Errorf("tsa: malformed TimeStampResp: %w", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("tsa: malformed TimeStampResp: trailing data")
	}
	if s := resp.Status.Status; s != statusGranted && s != statusGrantedWithMods {
		var text []string
		for _, v := range resp.Status.StatusString {
			text = append(text, string(v.Bytes))
		}
		return nil, &RejectionError{Status: s, FailInfo: firstFailInfo(resp.Status.FailInfo), Text: strings.Join(text, "; ")}
	}
	if len(resp.TimeStampToken.FullBytes) == 0 {
		return nil, errors.New("tsa: TimeStampResp grants the request but holds no token")
	}
	return resp.TimeStampToken.FullBytes, nil
}

func postQuery(ctx context.Context, hc *http.Client, tsaURL string, req []byte) ([]byte, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, tsaURL, bytes.NewReader(req))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", queryType)
	r.Header.Set("Accept", replyType)
	resp, err := hc.Do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("HTTP status %s", resp.Status)
	}
	// Some TSAs still send the pre-RFC name application/timestamp-response.
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != replyType && mt != "application/timestamp-response" {
		return nil, fmt.Errorf("reply has Content-Type %q, want %s", resp.Header.Get("Content-Type"), replyType)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the reply: %w", err)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("reply larger than %d bytes", maxResponseBytes)
	}
	return body, nil
}
