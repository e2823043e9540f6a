package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHTTPRoundTrip: Client → loopback HTTP → Authority → Verify.
func TestHTTPRoundTrip(t *testing.T) {
	p := testPKI(t)
	var logs bytes.Buffer
	a, err := NewAuthority(p.tsaKey, p.chain(), LocalPolicy, fixedClock(testNow), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	c, err := NewClient(srv.URL+"/tsa", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	d256 := digestOf("checkpoint 7")
	d512 := sha512.Sum512([]byte("checkpoint 7"))
	for _, tc := range []struct {
		hash   crypto.Hash
		digest []byte
	}{{crypto.SHA256, d256}, {crypto.SHA512, d512[:]}} {
		token, err := c.Stamp(t.Context(), tc.digest, tc.hash)
		if err != nil {
			t.Fatal(err)
		}
		st, err := Verify(token, tc.digest, tc.hash, p.pool())
		if err != nil {
			t.Fatal(err)
		}
		if !st.Time.Equal(testNow) || !st.Policy.Equal(LocalPolicy) {
			t.Errorf("stamp %+v", st)
		}
	}
	if !strings.Contains(logs.String(), "tsa: token granted") || !strings.Contains(logs.String(), "serial=") {
		t.Errorf("grant not logged:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), hex.EncodeToString(d256)) {
		t.Errorf("digest logged:\n%s", logs.String())
	}

	// The in-process client gives the same.
	token, err := a.Client().Stamp(t.Context(), d256, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(token, d256, crypto.SHA256, p.pool()); err != nil {
		t.Fatal(err)
	}
}

func TestHandlerHTTPErrors(t *testing.T) {
	p := testPKI(t)
	srv := httptest.NewServer(testAuthority(t, p))
	defer srv.Close()
	req := goodReq().der(t)
	cases := []struct {
		name        string
		method      string
		contentType string
		body        []byte
		status      int
	}{
		{"ok", http.MethodPost, queryType, req, http.StatusOK},
		{"ok with parameters", http.MethodPost, queryType + "; charset=binary", req, http.StatusOK},
		{"rejection is still 200", http.MethodPost, queryType, []byte("junk"), http.StatusOK},
		{"GET", http.MethodGet, "", nil, http.StatusMethodNotAllowed},
		{"PUT", http.MethodPut, queryType, req, http.StatusMethodNotAllowed},
		{"no content type", http.MethodPost, "", req, http.StatusUnsupportedMediaType},
		{"wrong content type", http.MethodPost, "application/octet-stream", req, http.StatusUnsupportedMediaType},
		{"reply type", http.MethodPost, replyType, req, http.StatusUnsupportedMediaType},
		{"too large", http.MethodPost, queryType, make([]byte, MaxRequestBytes+1), http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := http.NewRequestWithContext(t.Context(), c.method, srv.URL, bytes.NewReader(c.body))
			if c.contentType != "" {
				r.Header.Set("Content-Type", c.contentType)
			}
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, c.status, body)
			}
			switch c.status {
			case http.StatusOK:
				if ct := resp.Header.Get("Content-Type"); ct != replyType {
					t.Errorf("Content-Type %q", ct)
				}
				decodeResp(t, body)
			case http.StatusMethodNotAllowed:
				if resp.Header.Get("Allow") != http.MethodPost {
					t.Errorf("Allow %q", resp.Header.Get("Allow"))
				}
			}
		})
	}
}

// TestClientChecks runs the client against TSAs that misbehave.
func TestClientChecks(t *testing.T) {
	p := testPKI(t)
	a := testAuthority(t, p)
	// rewrite answers a request after changing it as a broken or replaying
	// TSA would.
	rewrite := func(change func(*timeStampReq)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			var req timeStampReq
			if _, err := asn1.Unmarshal(body, &req); err != nil {
				t.Errorf("client sent a bad request: %v", err)
			}
			change(&req)
			der, _ := asn1.Marshal(req)
			resp, _ := a.Stamp(der)
			w.Header().Set("Content-Type", replyType)
			w.Write(resp)
		}
	}
	reply := func(status int, ct string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ct)
			w.WriteHeader(status)
			w.Write(body)
		}
	}
	cases := []struct {
		name    string
		handler http.Handler
		want    string
	}{
		{"honest", a, ""},
		{"request as sent", rewrite(func(r *timeStampReq) {
			if r.Version != 1 || !r.CertReq || r.Nonce == nil || r.Nonce.Sign() <= 0 || r.Nonce.BitLen() > 64 {
				t.Errorf("request %+v", r)
			}
		}), ""},
		{"legacy reply type", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			resp, _ := a.Stamp(body)
			w.Header().Set("Content-Type", "application/timestamp-response")
			w.Write(resp)
		}), ""},
		{"wrong nonce", rewrite(func(r *timeStampReq) { r.Nonce = new(big.Int).Add(r.Nonce, big.NewInt(1)) }), "nonce does not match"},
		{"nonce dropped", rewrite(func(r *timeStampReq) { r.Nonce = nil }), "nonce does not match"},
		{"wrong imprint", rewrite(func(r *timeStampReq) { r.MessageImprint.HashedMessage = digestOf("other") }), "imprint does not match"},
		{"certReq ignored", rewrite(func(r *timeStampReq) { r.CertReq = false }), "no certificate"},
		{"rejection", rewrite(func(r *timeStampReq) { r.ReqPolicy = asn1.ObjectIdentifier{1, 2, 3} }), "failInfo unacceptedPolicy: policy 1.2.3"},
		{"HTTP 500", reply(http.StatusInternalServerError, "text/plain", []byte("oops")), "HTTP status 500"},
		{"HTML", reply(http.StatusOK, "text/html", []byte("<html>")), "Content-Type \"text/html\""},
		{"garbage", reply(http.StatusOK, replyType, []byte("garbage")), "malformed TimeStampResp"},
		{"granted without token", reply(http.StatusOK, replyType, []byte{0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00}), "holds no token"},
		{"too large", reply(http.StatusOK, replyType, make([]byte, maxResponseBytes+10)), "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			cl, err := NewClient(srv.URL, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			d := digestOf("x")
			token, err := cl.Stamp(t.Context(), d, crypto.SHA256)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := Verify(token, d, crypto.SHA256, p.pool()); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
	var rej *RejectionError
	srv := httptest.NewServer(rewrite(func(r *timeStampReq) { r.Version = 9 }))
	defer srv.Close()
	cl, _ := NewClient(srv.URL, nil)
	if _, err := cl.Stamp(t.Context(), digestOf("x"), crypto.SHA256); !errors.As(err, &rej) || rej.FailInfo != FailBadRequest {
		t.Errorf("want a *RejectionError with badRequest, got %v", err)
	}
}

func TestClientArguments(t *testing.T) {
	for _, u := range []string{"", "ftp://tsa.example", "http://", "tsa.example/path", "://x"} {
		if _, err := NewClient(u, nil); err == nil {
			t.Errorf("NewClient(%q) accepted", u)
		}
	}
	c, err := NewClient("http://127.0.0.1:1/unused", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := digestOf("x")
	for name, call := range map[string]func() error{
		"sha1":        func() error { _, err := c.Stamp(t.Context(), d[:20], crypto.SHA1); return err },
		"short":       func() error { _, err := c.Stamp(t.Context(), d[:31], crypto.SHA256); return err },
		"wrong hash":  func() error { _, err := c.Stamp(t.Context(), d, crypto.SHA512); return err },
		"unreachable": func() error { _, err := c.Stamp(t.Context(), d, crypto.SHA256); return err },
	} {
		if err := call(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// A cancelled context stops the in-process client too.
	a := testAuthority(t, testPKI(t))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := a.Client().Stamp(ctx, d, crypto.SHA256); err == nil {
		t.Error("in-process client ignored a cancelled context")
	}
}
