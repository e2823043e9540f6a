package transfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/suite"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// pullEnv is a provider behind a TLS server and a consumer's material.
type pullEnv struct {
	p     *party
	prov  *Provider
	srv   *httptest.Server
	clock *fakeClock
	pt    []byte
	addr  DataAddress

	mu    sync.Mutex
	froms []string // the from= of every stream request
}

func newPullEnv(t *testing.T, s *suite.Suite, size, cs int, declare bool) *pullEnv {
	t.Helper()
	e := &pullEnv{p: newParty(t, s, "urn:uuid:transfer-1"), clock: &fakeClock{t: time.Unix(1_800_000_000, 0)},
		pt: randomBytes(size, uint64(size))}
	mux := http.NewServeMux()
	e.srv = httptest.NewUnstartedServer(mux)
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	var err error
	e.prov, err = NewProvider(ProviderConfig{DID: e.p.b.ProviderDID, Signers: []suite.Signer{e.p.signer},
		BaseURL: e.srv.URL + "/t/", ChunkSize: cs, Now: e.clock.Now, AccessTTL: time.Minute, RefreshTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	h := http.StripPrefix("/t", e.prov.Handler())
	mux.Handle("/t/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			e.mu.Lock()
			e.froms = append(e.froms, r.URL.Query().Get(FromParam))
			e.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	tr := Transfer{Binding: e.p.b, ConsumerKey: e.p.consumer.PublicBytes(),
		Source: ReaderAtSource(bytes.NewReader(e.pt), int64(size))}
	if declare {
		tr.Size = int64(size)
	}
	if e.addr, err = e.prov.Register(tr); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *pullEnv) puller(t *testing.T, hc *http.Client) *Puller {
	t.Helper()
	if hc == nil {
		hc = e.srv.Client()
	}
	pl, err := NewPuller(PullConfig{Address: e.addr, Reader: e.p.readerConfig(), Client: hc, Now: e.clock.Now,
		Retry: RetryPolicy{Backoff: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

func (e *pullEnv) requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.froms...)
}

func TestPull(t *testing.T) {
	const cs = 1 << 10
	for _, s := range suite.Suites() {
		for _, size := range []int{0, 1, cs, 5*cs + 3} {
			for _, declare := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%d/declared=%v", s, size, declare), func(t *testing.T) {
					e := newPullEnv(t, s, size, cs, declare)
					var got bytes.Buffer
					rc, err := e.puller(t, nil).Pull(context.Background(), &got)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got.Bytes(), e.pt) {
						t.Fatal("plaintext differs")
					}
					if err := rc.Verify(e.p.signer.Public()); err != nil || rc.Size != int64(size) {
						t.Fatalf("receipt %+v: %v", rc, err)
					}
				})
			}
		}
	}
}

// cutDialer dials TCP and cuts the n-th connection after cuts[n] bytes
// read (0 or beyond the list: never).
type cutDialer struct {
	mu    sync.Mutex
	cuts  []int64
	dials int
}

func (d *cutDialer) client(srv *httptest.Server) *http.Client {
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		var limit int64
		if d.dials < len(d.cuts) {
			limit = d.cuts[d.dials]
		}
		d.dials++
		if limit == 0 {
			return c, nil
		}
		return newCutConn(c, limit), nil
	}
	return &http.Client{Transport: tr}
}

type cutConn struct {
	net.Conn
	left atomic.Int64 // bytes read and written before the cut
}

func newCutConn(c net.Conn, limit int64) *cutConn {
	cc := &cutConn{Conn: c}
	cc.left.Store(limit)
	return cc
}

var errCut = errors.New("connection cut by the test")

func (c *cutConn) Read(p []byte) (int, error) {
	left := c.left.Load()
	if left <= 0 {
		c.Conn.Close()
		return 0, errCut
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := c.Conn.Read(p)
	c.left.Add(-int64(n))
	return n, err
}

func (c *cutConn) Write(p []byte) (int, error) {
	left := c.left.Load()
	if left <= 0 {
		c.Conn.Close()
		return 0, errCut
	}
	if int64(len(p)) > left {
		n, _ := c.Conn.Write(p[:left])
		c.left.Add(-int64(n))
		c.Conn.Close()
		return n, errCut
	}
	n, err := c.Conn.Write(p)
	c.left.Add(-int64(n))
	return n, err
}

func TestPullResumesAfterCut(t *testing.T) {
	const cs = 4 << 10
	for _, s := range suite.Suites() {
		for _, declare := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/declared=%v", s, declare), func(t *testing.T) {
				e := newPullEnv(t, s, 60*cs+123, cs, declare)
				e.prov.checkpointEvery = 4
				d := &cutDialer{cuts: []int64{50 << 10, 90 << 10, 7 << 10, 150 << 10}}
				var got bytes.Buffer
				var progress []Progress
				pl := e.puller(t, d.client(e.srv))
				pl.r.cfg.OnProgress = func(p Progress) { progress = append(progress, p) }
				rc, err := pl.Pull(context.Background(), &got)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), e.pt) {
					t.Fatalf("plaintext differs after resuming (%d bytes, want %d)", got.Len(), len(e.pt))
				}
				if !bytes.Equal(rc.Digest, s.Sum(e.pt)) {
					t.Fatal("receipt digest differs")
				}
				reqs := e.requests()
				if len(reqs) < 4 || reqs[0] != "0" || reqs[len(reqs)-1] == "0" {
					t.Fatalf("stream requests from %v, want a first from 0 and resumed ones", reqs)
				}
				for i, p := range progress {
					if p.Chunks != uint64(i+1) {
						t.Fatalf("progress %d is %+v: a chunk was delivered twice or skipped", i, p)
					}
				}
			})
		}
	}
}

func TestResumeAfterFinalChunk(t *testing.T) {
	// The consumer verified every chunk but lost the trailer: the provider
	// resends the header and the trailer only.
	const cs = 64
	for _, size := range []int{3 * cs, 3*cs + 5, 0} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			e := newPullEnv(t, suite.Intl, size, cs, false)
			var full bytes.Buffer
			if _, err := e.prov.Stream(context.Background(), e.p.b.TransferID, 0, &full); err != nil {
				t.Fatal(err)
			}
			cut := full.Bytes()[:full.Len()-(recordHdrSize+trailerBodySize)]
			r, err := NewReader(bytes.NewReader(cut), e.p.readerConfig())
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if _, err := r.WriteTo(&got); !errors.Is(err, ErrTruncated) {
				t.Fatalf("got %v", err)
			}
			n := chunkCount(int64(size), cs)
			if r.Next() != n {
				t.Fatalf("next %d, want %d", r.Next(), n)
			}
			var rest bytes.Buffer
			if _, err := e.prov.Stream(context.Background(), e.p.b.TransferID, n, &rest); err != nil {
				t.Fatal(err)
			}
			if recs := splitStream(t, rest.Bytes()); len(recs) != 2 || recs[1].typ != recTrailer {
				t.Fatalf("resumed stream has %d records", len(recs))
			}
			r.Resume(&rest)
			if _, err := r.WriteTo(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), e.pt) || r.Receipt() == nil {
				t.Fatal("plaintext differs")
			}
			if _, err := e.prov.Stream(context.Background(), e.p.b.TransferID, n+1, io.Discard); !errors.Is(err, errRange) {
				t.Fatalf("from %d: got %v", n+1, err)
			}
		})
	}
}

func TestResumeFromEveryChunk(t *testing.T) {
	// With checkpoints every 3 chunks, resuming anywhere gives the stream
	// tail whose trailer matches the whole plaintext.
	const cs = 64
	e := newPullEnv(t, suite.GM, 20*cs+7, cs, true)
	e.prov.checkpointEvery = 3
	if _, err := e.prov.Stream(context.Background(), e.p.b.TransferID, 0, io.Discard); err != nil {
		t.Fatal(err)
	}
	if n := len(e.prov.transfers[e.p.b.TransferID].checkpoints); n != 7 {
		t.Fatalf("%d checkpoints, want 7", n)
	}
	full := p2bytes(t, e, 0)
	for k := uint64(0); k <= 21; k++ {
		r, _ := NewReader(bytes.NewReader(full), e.p.readerConfig())
		var got bytes.Buffer
		// Read the first k chunks from the full stream, then resume.
		for r.Next() < k {
			buf := make([]byte, cs)
			n, err := r.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			got.Write(buf[:n])
		}
		r.Resume(bytes.NewReader(p2bytes(t, e, k)))
		if _, err := r.WriteTo(&got); err != nil {
			t.Fatalf("resume from %d: %v", k, err)
		}
		if !bytes.Equal(got.Bytes(), e.pt) {
			t.Fatalf("resume from %d: plaintext differs", k)
		}
	}
}

func p2bytes(t *testing.T, e *pullEnv, from uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := e.prov.Stream(context.Background(), e.p.b.TransferID, from, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func get(t *testing.T, e *pullEnv, url, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestTokens(t *testing.T) {
	e := newPullEnv(t, suite.Intl, 1000, 64, true)
	other := newParty(t, suite.Intl, "urn:uuid:transfer-2")
	otherAddr, err := e.prov.Register(Transfer{Binding: other.b, ConsumerKey: other.consumer.PublicBytes(),
		Source: ReaderAtSource(bytes.NewReader(nil), 0)})
	if err != nil {
		t.Fatal(err)
	}
	forged := []byte(e.addr.Token)
	forged[len(forged)-3] ^= 1
	// A token with a valid shape but MACed under another provider's key.
	alien, _ := NewTokens(bytes.Repeat([]byte{1}, 32), e.clock.Now)
	alienTok, _, _ := alien.Issue(suite.Intl, e.p.b.TransferID, UseAccess, "", time.Hour)
	for _, c := range []struct {
		name, token, want string
	}{
		{"none", "", "invalid token"},
		{"forged", string(forged), "invalid token"},
		{"other-key", alienTok, "invalid token"},
		{"other-transfer", otherAddr.Token, "another transfer"},
		{"refresh-as-access", e.addr.RefreshToken, "another transfer or use"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := get(t, e, e.addr.Endpoint, c.token)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), c.want) {
				t.Fatalf("HTTP %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("valid", func(t *testing.T) {
		if resp := get(t, e, e.addr.Endpoint, e.addr.Token); resp.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d", resp.StatusCode)
		}
	})
	t.Run("expired", func(t *testing.T) {
		e.clock.Advance(time.Minute)
		resp := get(t, e, e.addr.Endpoint, e.addr.Token)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "expired") {
			t.Fatalf("HTTP %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	})
	t.Run("refresh", func(t *testing.T) {
		// The puller notices the expiry, refreshes, and pulls.
		var got bytes.Buffer
		if _, err := e.puller(t, nil).Pull(context.Background(), &got); err != nil || !bytes.Equal(got.Bytes(), e.pt) {
			t.Fatalf("pull after expiry: %v", err)
		}
		// Without a known expiry it learns it from the 401.
		a := e.addr
		a.ExpiresAt = time.Time{}
		pl := e.puller(t, nil)
		pl.SetAddress(a)
		got.Reset()
		if _, err := pl.Pull(context.Background(), &got); err != nil || !bytes.Equal(got.Bytes(), e.pt) {
			t.Fatalf("pull after a 401: %v", err)
		}
		// An access token is not a refresh token.
		a.RefreshToken = e.addr.Token
		pl = e.puller(t, nil)
		pl.SetAddress(a)
		if _, err := pl.Pull(context.Background(), io.Discard); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("refresh with an access token: %v", err)
		}
	})
	t.Run("refresh-expired", func(t *testing.T) {
		e.clock.Advance(time.Hour)
		pl := e.puller(t, nil)
		if _, err := pl.Pull(context.Background(), io.Discard); !errors.Is(err, ErrTokenInvalid) ||
			!strings.Contains(err.Error(), "expired") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestSuspendResumeTerminate(t *testing.T) {
	const cs = 1 << 10
	e := newPullEnv(t, suite.Intl, 40*cs, cs, true)
	id := e.p.b.TransferID
	pl := e.puller(t, nil)
	suspendAt := uint64(10)
	e.prov.transfers[id].t.OnProgress = func(p Progress) {
		if p.Chunks == suspendAt {
			if err := e.prov.Suspend(id); err != nil {
				t.Error(err)
			}
		}
	}
	var got bytes.Buffer
	_, err := pl.Pull(context.Background(), &got)
	if !errors.Is(err, ErrSuspended) {
		t.Fatalf("pull of a suspended transfer: %v", err)
	}
	if n := pl.Next(); n > suspendAt || n == 0 || int64(got.Len()) != int64(n)*cs {
		t.Fatalf("suspended after %d chunks and %d bytes; the provider stopped after chunk %d", n, got.Len(), suspendAt)
	}
	if resp := get(t, e, e.addr.Endpoint, e.addr.Token); resp.StatusCode != http.StatusConflict {
		t.Fatalf("GET while suspended: HTTP %d", resp.StatusCode)
	}
	a, err := e.prov.Resume(id)
	if err != nil {
		t.Fatal(err)
	}
	pl.SetAddress(a)
	suspendAt = 0
	if _, err := pl.Pull(context.Background(), &got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), e.pt) {
		t.Fatal("plaintext differs after suspend and resume")
	}

	if err := e.prov.Terminate(id); err != nil {
		t.Fatal(err)
	}
	if resp := get(t, e, e.addr.Endpoint, a.Token); resp.StatusCode != http.StatusGone {
		t.Fatalf("GET after termination: HTTP %d", resp.StatusCode)
	}
	if err := e.prov.Suspend(id); !errors.Is(err, ErrTerminated) {
		t.Fatalf("suspend after termination: %v", err)
	}
	if _, err := e.puller(t, nil).Pull(context.Background(), io.Discard); !errors.Is(err, ErrTerminated) {
		t.Fatalf("pull after termination: %v", err)
	}
	if resp := get(t, e, e.srv.URL+"/t/urn:uuid:nope", a.Token); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET of another transfer: HTTP %d", resp.StatusCode)
	}
}

func TestTerminateMidStream(t *testing.T) {
	const cs = 1 << 10
	e := newPullEnv(t, suite.GM, 40*cs, cs, false)
	id := e.p.b.TransferID
	e.prov.transfers[id].t.OnProgress = func(p Progress) {
		if p.Chunks == 5 {
			e.prov.Terminate(id)
		}
	}
	_, err := e.puller(t, nil).Pull(context.Background(), io.Discard)
	if !errors.Is(err, ErrTerminated) {
		t.Fatalf("got %v", err)
	}
	ent := e.prov.transfers[id]
	ent.mu.Lock()
	defer ent.mu.Unlock()
	if ent.key != nil || ent.running != 0 {
		t.Fatalf("terminated transfer still holds its key (running %d)", ent.running)
	}
}

func TestRangeAndUnknown(t *testing.T) {
	e := newPullEnv(t, suite.Intl, 1000, 64, true)
	if resp := get(t, e, e.addr.Endpoint+"?from=17", e.addr.Token); resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("from beyond the end: HTTP %d", resp.StatusCode)
	}
	if resp := get(t, e, e.addr.Endpoint+"?from=x", e.addr.Token); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad from: HTTP %d", resp.StatusCode)
	}
	tok, _, _ := e.prov.Tokens().Issue(suite.Intl, "urn:uuid:nope", UseAccess, "", time.Minute)
	if resp := get(t, e, e.srv.URL+"/t/urn:uuid:nope", tok); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown transfer: HTTP %d", resp.StatusCode)
	}
}

func TestPush(t *testing.T) {
	const cs = 4 << 10
	for _, s := range suite.Suites() {
		t.Run(s.Name(), func(t *testing.T) {
			e := newPullEnv(t, s, 50*cs+9, cs, s == suite.Intl)
			rv, err := NewReceiver(ReceiverConfig{})
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var froms []string
			h := http.StripPrefix("/in", rv.Handler())
			rsrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && !strings.HasSuffix(r.URL.Path, "/token") {
					mu.Lock()
					froms = append(froms, r.URL.Query().Get(FromParam))
					mu.Unlock()
				}
				h.ServeHTTP(w, r)
			}))
			defer rsrv.Close()
			rv.cfg.BaseURL = rsrv.URL + "/in"
			var got bytes.Buffer
			addr, err := rv.Expect(e.p.readerConfig(), &got)
			if err != nil {
				t.Fatal(err)
			}
			d := &cutDialer{cuts: []int64{60 << 10, 100 << 10}}
			rc, err := e.prov.Push(context.Background(), e.p.b.TransferID, addr, d.client(rsrv), RetryPolicy{Backoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			crc, err := rv.Wait(context.Background(), e.p.b.TransferID)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), e.pt) {
				t.Fatalf("pushed plaintext differs (%d bytes, want %d)", got.Len(), len(e.pt))
			}
			if !bytes.Equal(rc.Digest, crc.Digest) {
				t.Fatal("receipts differ")
			}
			mu.Lock()
			defer mu.Unlock()
			if len(froms) < 2 || froms[0] != "0" || froms[len(froms)-1] == "0" {
				t.Fatalf("pushes from %v, want a first from 0 and resumed ones", froms)
			}
		})
	}
}

func TestPushRefused(t *testing.T) {
	// A receiver expecting another consumer key refuses the stream for good.
	e := newPullEnv(t, suite.Intl, 1000, 64, false)
	rv, _ := NewReceiver(ReceiverConfig{})
	rsrv := httptest.NewTLSServer(http.StripPrefix("/in", rv.Handler()))
	defer rsrv.Close()
	rv.cfg.BaseURL = rsrv.URL + "/in"
	cfg := e.p.readerConfig()
	cfg.Key, _ = NewConsumerKey(suite.Intl, nil)
	addr, _ := rv.Expect(cfg, io.Discard)
	_, err := e.prov.Push(context.Background(), e.p.b.TransferID, addr, rsrv.Client(), RetryPolicy{Backoff: time.Millisecond})
	if err == nil || Resumable(err) {
		t.Fatalf("got %v", err)
	}
	if _, err := rv.Wait(context.Background(), e.p.b.TransferID); !errors.Is(err, ErrMismatch) {
		t.Fatalf("receiver: %v", err)
	}
}

func TestDataAddressProperties(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	a := DataAddress{Endpoint: "https://p.example/t/x", Token: "tok", ExpiresAt: now.Add(300 * time.Second),
		RefreshToken: "ref", RefreshEndpoint: "https://p.example/t/x/token"}
	b, err := ParseDataAddress(EndpointType, a.Endpoint, a.Properties(now), now)
	if err != nil {
		t.Fatal(err)
	}
	if b != a {
		t.Fatalf("got %+v, want %+v", b, a)
	}
	if _, err := ParseDataAddress("HttpData", a.Endpoint, a.Properties(now), now); err == nil {
		t.Fatal("accepted another endpointType")
	}
}
