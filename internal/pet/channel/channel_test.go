package channel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/suite"
)

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		st       *suite.Suite
		alg      suite.Alg
		unsigned bool
	}{
		{suite.Intl, suite.Ed25519, false},
		{suite.Intl, suite.P256, false},
		{suite.GM, suite.SM2, false},
		{suite.Intl, suite.Ed25519, true},
		{suite.GM, suite.SM2, true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/unsigned=%v", c.st.Name(), c.alg, c.unsigned), func(t *testing.T) {
			var mu sync.Mutex
			var serverReceipts []*Receipt
			var handlerSigs int
			h := func(ctx context.Context, p Peer, op string, payload []byte, rc *Receipt) ([]byte, error) {
				if p.Binding != "agreement-1" || p.Suite != c.st.Name() || rc.Op != op || rc.Status != 0 {
					return nil, fmt.Errorf("bad peer or receipt: %+v %+v", p, rc)
				}
				mu.Lock()
				if rc.RequestSignature != "" {
					handlerSigs++
				}
				mu.Unlock()
				return echo(ctx, p, op, payload, rc)
			}
			opt := ServerOptions{AllowUnsigned: c.unsigned, OnReceipt: func(_ context.Context, _ Peer, rc *Receipt) {
				mu.Lock()
				serverReceipts = append(serverReceipts, rc)
				mu.Unlock()
			}}
			f := newFixture(t, c.st, c.alg, h, opt)
			f.client.UnsignedMessages = c.unsigned
			s := f.dial(t)
			const n = 32
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Go(func() {
					payload := bytes.Repeat([]byte{byte(i)}, i*100)
					out, rc, err := s.Call(context.Background(), fmt.Sprintf("op%d", i), payload)
					if err != nil {
						errs <- err
						return
					}
					if want := append([]byte(fmt.Sprintf("op%d:", i)), payload...); !bytes.Equal(out, want) {
						errs <- fmt.Errorf("call %d: wrong result", i)
						return
					}
					if rc.Status != 200 || rc.Caller != f.client.DID || rc.Callee != f.server.DID {
						errs <- fmt.Errorf("call %d: receipt %+v", i, rc)
						return
					}
					if c.unsigned {
						if rc.RequestSignature != "" || rc.ResponseSignature != "" {
							errs <- fmt.Errorf("call %d: signatures in an unsigned session", i)
						}
						return
					}
					if err := rc.Verify(context.Background(), f.kr.resolve); err != nil {
						errs <- fmt.Errorf("call %d: receipt: %w", i, err)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(serverReceipts) != n {
				t.Fatalf("%d server receipts, want %d", len(serverReceipts), n)
			}
			if !c.unsigned {
				if handlerSigs != n {
					t.Errorf("%d handler receipts signed, want %d", handlerSigs, n)
				}
				for _, rc := range serverReceipts {
					if err := rc.Verify(context.Background(), f.kr.resolve); err != nil {
						t.Errorf("server receipt %d: %v", rc.Seq, err)
					}
				}
				// A receipt whose content is altered no longer verifies.
				bad := *serverReceipts[0]
				bad.Op += "x"
				if err := bad.Verify(context.Background(), f.kr.resolve); err == nil {
					t.Error("an altered receipt verifies")
				}
			}
			if err := s.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if f.srv.Sessions() != 0 {
				t.Errorf("%d sessions after Close", f.srv.Sessions())
			}
			if _, _, err := s.Call(context.Background(), "after", nil); err == nil {
				t.Error("a call after Close succeeded")
			}
		})
	}
}

// TestConfigChecks covers refusals made locally, before any request.
func TestConfigChecks(t *testing.T) {
	kr := &keyring{}
	ed := party(t, suite.GM, suite.Ed25519, kr, nil) // an Ed25519 key in the gm suite, strict
	ed.StrictSignatures = true
	if _, err := NewServer(ed, echo, ServerOptions{}); err == nil || !strings.Contains(err.Error(), "cannot sign in suite gm") {
		t.Errorf("NewServer with an Ed25519 key in gm: %v", err)
	}
	if _, err := Dial(context.Background(), ed, nil, "http://127.0.0.1:1", "did:key:x", "b"); err == nil {
		t.Error("Dial with an Ed25519 key in gm succeeded")
	}
	ok := party(t, suite.Intl, suite.Ed25519, kr, nil)
	if _, err := Dial(context.Background(), ok, nil, "http://127.0.0.1:1", "did:key:x", strings.Repeat("b", MaxBinding+1)); err == nil {
		t.Error("Dial with an oversize binding succeeded")
	}
	bad := ok
	bad.KeyID = "did:key:other#k"
	if _, err := NewServer(bad, echo, ServerOptions{}); err == nil {
		t.Error("NewServer with a key id of another DID succeeded")
	}
}

func TestHandshakeRefusals(t *testing.T) {
	type env struct {
		f     *fixture
		other Config // another registered party
	}
	cases := []struct {
		name   string
		opt    ServerOptions
		status int
		code   string
		hello  func(t *testing.T, e env) string
	}{
		{"wrong aud", ServerOptions{}, 401, CodeAudience, func(t *testing.T, e env) string {
			h := validHello(t, e.f.client, e.other.DID)
			return signHello(t, e.f.client.Signer, e.f.client.KeyID, h)
		}},
		{"expired", ServerOptions{}, 401, CodeExpired, func(t *testing.T, e env) string {
			h := validHello(t, e.f.client, e.f.server.DID)
			h.Iat, h.Exp = h.Iat-600, h.Iat-300
			return signHello(t, e.f.client.Signer, e.f.client.KeyID, h)
		}},
		{"future iat", ServerOptions{}, 401, CodeNotYetValid, func(t *testing.T, e env) string {
			h := validHello(t, e.f.client, e.f.server.DID)
			h.Iat, h.Exp = h.Iat+120, h.Iat+180
			return signHello(t, e.f.client.Signer, e.f.client.KeyID, h)
		}},
		{"lifetime over 5 min", ServerOptions{}, 400, CodeLifetime, func(t *testing.T, e env) string {
			h := validHello(t, e.f.client, e.f.server.DID)
			h.Exp = h.Iat + 301
			return signHello(t, e.f.client.Signer, e.f.client.KeyID, h)
		}},
		{"unknown kid", ServerOptions{}, 401, CodeUnauthenticated, func(t *testing.T, e env) string {
			h := validHello(t, e.f.client, e.f.server.DID)
			return signHello(t, e.f.client.Signer, e.f.client.DID+"#nope", h)
		}},
		{"kid of another DID", ServerOptions{}, 401, CodeIssuer, func(t *testing.T, e env) string {
			h := validHello(t, e.f.client, e.f.server.DID)
			return signHello(t, e.other.Signer, e.other.KeyID, h)
		}},
		{"signed by the wrong key", ServerOptions{}, 401, CodeUnauthenticated, func(t *testing.T, e env) string {
			h := validHello(t, e.f.client, e.f.server.DID)
			return signHello(t, e.other.Signer, e.f.client.KeyID, h)
		}},
		{"suite mismatch", ServerOptions{}, 400, CodeSuite, func(t *testing.T, e env) string {
			h := validHello(t, e.f.client, e.f.server.DID)
			h.Suite = "gm"
			return signHello(t, e.f.client.Signer, e.f.client.KeyID, h)
		}},
		{"key agreement of another suite", ServerOptions{}, 400, CodeKeyAgreement, func(t *testing.T, e env) string {
			h := validHello(t, e.f.client, e.f.server.DID)
			h.KA = "sm2-ecdh"
			return signHello(t, e.f.client.Signer, e.f.client.KeyID, h)
		}},
		{"malformed epk", ServerOptions{}, 400, CodeMalformed, func(t *testing.T, e env) string {
			h := validHello(t, e.f.client, e.f.server.DID)
			h.EPK = "AAAA"
			return signHello(t, e.f.client.Signer, e.f.client.KeyID, h)
		}},
		{"no binding", ServerOptions{}, 400, CodeMalformed, func(t *testing.T, e env) string {
			h := validHello(t, e.f.client, e.f.server.DID)
			h.Binding = ""
			return signHello(t, e.f.client.Signer, e.f.client.KeyID, h)
		}},
		{"unsigned refused", ServerOptions{}, 400, CodeSignatures, func(t *testing.T, e env) string {
			h := validHello(t, e.f.client, e.f.server.DID)
			h.Unsigned = true
			return signHello(t, e.f.client.Signer, e.f.client.KeyID, h)
		}},
		{"authorize refuses", ServerOptions{Authorize: func(_ context.Context, peer, binding string) error {
			return errors.New("not a party to " + binding)
		}}, 403, CodeForbidden, func(t *testing.T, e env) string {
			return signHello(t, e.f.client.Signer, e.f.client.KeyID, validHello(t, e.f.client, e.f.server.DID))
		}},
		{"authorize refuses with an Error", ServerOptions{Authorize: func(_ context.Context, peer, binding string) error {
			return &Error{Status: 403, Code: "not_a_party", Message: "not a party to the agreement"}
		}}, 403, "not_a_party", func(t *testing.T, e env) string {
			return signHello(t, e.f.client.Signer, e.f.client.KeyID, validHello(t, e.f.client, e.f.server.DID))
		}},
		{"oversize", ServerOptions{}, 413, CodeTooLarge, func(t *testing.T, e env) string {
			h := validHello(t, e.f.client, e.f.server.DID)
			h.Jti = strings.Repeat("j", MaxHandshake)
			return signHello(t, e.f.client.Signer, e.f.client.KeyID, h)
		}},
		{"not a JWS", ServerOptions{}, 400, CodeMalformed, func(t *testing.T, e env) string { return "hello" }},
		{"duplicate claim", ServerOptions{}, 400, CodeMalformed, func(t *testing.T, e env) string {
			tok := signHello(t, e.f.client.Signer, e.f.client.KeyID, validHello(t, e.f.client, e.f.server.DID))
			parts := strings.Split(tok, ".")
			raw, _ := b64.DecodeString(parts[1])
			raw = append(raw[:len(raw)-1], []byte(`,"aud":"x"}`)...)
			return parts[0] + "." + b64.EncodeToString(raw) + "." + parts[2]
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, suite.Intl, suite.Ed25519, nil, c.opt)
			e := env{f: f, other: party(t, suite.Intl, suite.Ed25519, f.kr, f.clk)}
			tok := c.hello(t, e)
			status, code, _ := post(t, http.MethodPost, f.base+"/handshake", []byte(tok))
			if status != c.status || code != c.code {
				t.Fatalf("got %d %q, want %d %q", status, code, c.status, c.code)
			}
			if n := f.srv.Sessions(); n != 0 {
				t.Errorf("%d sessions after a refusal", n)
			}
		})
	}
}

// TestHandshakeReplay: a hello is accepted once.
func TestHandshakeReplay(t *testing.T) {
	f := newFixture(t, suite.Intl, suite.Ed25519, nil, ServerOptions{})
	tok := signHello(t, f.client.Signer, f.client.KeyID, validHello(t, f.client, f.server.DID))
	if status, code, _ := post(t, http.MethodPost, f.base+"/handshake", []byte(tok)); status != 200 {
		t.Fatalf("first hello: %d %s", status, code)
	}
	status, code, _ := post(t, http.MethodPost, f.base+"/handshake", []byte(tok))
	if status != 401 || code != CodeReplayed {
		t.Fatalf("replayed hello: %d %q", status, code)
	}
	if f.srv.Sessions() != 1 {
		t.Errorf("%d sessions, want 1", f.srv.Sessions())
	}
}

// TestSuiteMismatchDial: a gm client dialling an intl server gets a clear
// error; an Ed25519 party opens a gm session (SM2 key agreement, SM3,
// SM4-GCM) with a gm server that signs with SM2, and is refused by a server
// with StrictSignatures.
func TestSuiteMismatchDial(t *testing.T) {
	f := newFixture(t, suite.Intl, suite.Ed25519, nil, ServerOptions{})
	gm := party(t, suite.GM, suite.SM2, f.kr, f.clk)
	_, err := Dial(context.Background(), gm, nil, f.base, f.server.DID, "agreement-1")
	if refusedCode(err) != CodeSuite || !strings.Contains(err.Error(), `speaks suite "intl"`) {
		t.Fatalf("gm client to intl server: %v", err)
	}

	g := newFixture(t, suite.GM, suite.SM2, nil, ServerOptions{})
	ed := party(t, suite.Intl, suite.Ed25519, g.kr, g.clk)
	ed.Suite = suite.GM
	s, err := Dial(context.Background(), ed, nil, g.base, g.server.DID, "agreement-1")
	if err != nil {
		t.Fatalf("Ed25519 party, gm session: %v", err)
	}
	out, rcpt, err := s.Call(context.Background(), "echo", []byte("ping"))
	if err != nil || string(out) != "echo:ping" || rcpt.Suite != "gm" || rcpt.RequestSignature == "" || rcpt.ResponseSignature == "" {
		t.Fatalf("call: %q %+v %v", out, rcpt, err)
	}
	if err := rcpt.Verify(context.Background(), g.kr.resolve); err != nil {
		t.Fatalf("a mixed receipt: %v", err)
	}
	s.Close(context.Background())

	strict := g.server
	strict.StrictSignatures = true
	srv, err := NewServer(strict, echo, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	base := mount(t, srv)
	tok, _, err := makeHello(&ed, g.server.DID, "agreement-1", suite.SM2ECDH())
	if err != nil {
		t.Fatal(err)
	}
	status, code, _ := post(t, http.MethodPost, base+"/handshake", []byte(tok))
	if status != 400 || code != CodeAlgorithm {
		t.Fatalf("Ed25519 hello to a strict gm server: %d %q", status, code)
	}
	if srv.Sessions() != 0 {
		t.Error("a session after a refusal")
	}
	ed.StrictSignatures = true
	if _, err := Dial(context.Background(), ed, nil, g.base, g.server.DID, "agreement-1"); err == nil {
		t.Error("a strict gm client with an Ed25519 key dialled")
	}
}

func TestTooManySessions(t *testing.T) {
	f := newFixture(t, suite.Intl, suite.Ed25519, nil, ServerOptions{MaxSessions: 2, IdleTimeout: time.Minute})
	f.dial(t)
	f.dial(t)
	_, err := Dial(context.Background(), f.client, nil, f.base, f.server.DID, "agreement-1")
	if refusedCode(err) != CodeTooManySessions {
		t.Fatalf("third session: %v", err)
	}
	if f.srv.Sessions() != 2 {
		t.Errorf("%d sessions", f.srv.Sessions())
	}
	// Once the others are idle past the timeout, a new session fits.
	f.clk.Advance(time.Minute)
	f.dial(t)
	if f.srv.Sessions() != 1 {
		t.Errorf("%d sessions after the sweep, want 1", f.srv.Sessions())
	}
}

func TestMessageRefusals(t *testing.T) {
	type step struct {
		seq    uint64
		mutate func(body []byte) []byte
		status int
		code   string
	}
	ok := func(seq uint64) step { return step{seq: seq, status: 200} }
	cases := []struct {
		name  string
		steps []step
	}{
		{"replayed seq", []step{ok(1), {seq: 1, status: 409, code: CodeSeqReplayed}, ok(2)}},
		{"out of order within the window", []step{ok(5), ok(3), ok(4), {seq: 3, status: 409, code: CodeSeqReplayed}}},
		{"seq behind the window", []step{ok(1), ok(2 + ReplayWindow), {seq: 2, status: 409, code: CodeSeqTooOld}, ok(3 + ReplayWindow)}},
		{"seq zero", []step{{seq: 0, status: 400, code: CodeBadMessage}}},
		{"flipped bit", []step{{seq: 1, mutate: func(b []byte) []byte { b[len(b)-20] ^= 1; return b }, status: 400, code: CodeBadMessage}, ok(1)}},
		{"flipped tag", []step{{seq: 1, mutate: func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }, status: 400, code: CodeBadMessage}, ok(1)}},
		{"seq changed", []step{{seq: 1, mutate: func(b []byte) []byte { b[7] = 9; return b }, status: 400, code: CodeBadMessage}, ok(9)}},
		{"truncated", []step{{seq: 1, mutate: func(b []byte) []byte { return b[:10] }, status: 400, code: CodeBadMessage}, ok(1)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, suite.GM, suite.SM2, nil, ServerOptions{})
			s := f.dial(t)
			for i, st := range c.steps {
				body := sealRequest(t, s, st.seq, "op", []byte("payload"), s.cfg.Signer)
				if st.mutate != nil {
					body = st.mutate(body)
				}
				status, code, _ := post(t, http.MethodPost, s.url, body)
				if status != st.status || code != st.code {
					t.Fatalf("step %d (seq %d): %d %q, want %d %q", i, st.seq, status, code, st.status, st.code)
				}
			}
		})
	}
}

func TestMessageRefusalsOther(t *testing.T) {
	ctx := context.Background()
	t.Run("wrong session id", func(t *testing.T) {
		f := newFixture(t, suite.Intl, suite.Ed25519, nil, ServerOptions{})
		a, b := f.dial(t), f.dial(t)
		status, code, _ := post(t, http.MethodPost, b.url, sealRequest(t, a, 1, "op", nil, a.cfg.Signer))
		if status != 400 || code != CodeBadMessage {
			t.Fatalf("%d %q", status, code)
		}
		if _, _, err := b.Call(ctx, "op", nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("message signed by the wrong key", func(t *testing.T) {
		f := newFixture(t, suite.Intl, suite.Ed25519, nil, ServerOptions{})
		s := f.dial(t)
		other := party(t, suite.Intl, suite.Ed25519, f.kr, nil)
		status, code, _ := post(t, http.MethodPost, s.url, sealRequest(t, s, 1, "op", nil, other.Signer))
		if status != 400 || code != CodeBadSignature {
			t.Fatalf("%d %q", status, code)
		}
	})
	t.Run("closed session", func(t *testing.T) {
		f := newFixture(t, suite.Intl, suite.Ed25519, nil, ServerOptions{})
		s := f.dial(t)
		body := sealRequest(t, s, 5, "op", nil, s.cfg.Signer)
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
		status, code, _ := post(t, http.MethodPost, s.url, body)
		if status != 404 || code != CodeUnknownSession {
			t.Fatalf("%d %q", status, code)
		}
	})
	t.Run("unknown session", func(t *testing.T) {
		f := newFixture(t, suite.Intl, suite.Ed25519, nil, ServerOptions{})
		status, code, _ := post(t, http.MethodPost, f.base+"/s/AAAAAAAAAAAAAAAAAAAAAA", make([]byte, 40))
		if status != 404 || code != CodeUnknownSession {
			t.Fatalf("%d %q", status, code)
		}
	})
	for _, c := range []struct {
		name    string
		advance time.Duration
		ok      bool
	}{
		{"idle just under the timeout", DefaultIdleTimeout - time.Second, true},
		{"idle timeout", DefaultIdleTimeout, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, suite.GM, suite.SM2, nil, ServerOptions{})
			s := f.dial(t)
			f.clk.Advance(c.advance)
			body := sealRequest(t, s, 1, "op", nil, s.cfg.Signer)
			status, code, _ := post(t, http.MethodPost, s.url, body)
			if c.ok != (status == 200) || (!c.ok && code != CodeUnknownSession) {
				t.Fatalf("%d %q", status, code)
			}
		})
	}
	t.Run("max lifetime", func(t *testing.T) {
		f := newFixture(t, suite.Intl, suite.Ed25519, nil, ServerOptions{MaxLifetime: 3 * time.Minute})
		s := f.dial(t)
		for range 3 { // keep it busy: only the lifetime ends it
			f.clk.Advance(time.Minute - time.Second)
			if _, _, err := s.Call(ctx, "op", nil); err != nil {
				t.Fatal(err)
			}
		}
		f.clk.Advance(3 * time.Second)
		body := sealRequest(t, s, 10, "op", nil, s.cfg.Signer)
		if status, code, _ := post(t, http.MethodPost, s.url, body); status != 404 || code != CodeUnknownSession {
			t.Fatalf("%d %q", status, code)
		}
		if _, _, err := s.Call(ctx, "op", nil); refusedCode(err) != CodeUnknownSession {
			t.Fatalf("Call after the lifetime: %v", err)
		}
	})
	t.Run("message budget", func(t *testing.T) {
		f := newFixture(t, suite.Intl, suite.Ed25519, nil, ServerOptions{MaxMessages: 2})
		s := f.dial(t)
		for seq := uint64(1); seq <= 2; seq++ {
			if status, code, _ := post(t, http.MethodPost, s.url, sealRequest(t, s, seq, "op", nil, s.cfg.Signer)); status != 200 {
				t.Fatalf("%d %q", status, code)
			}
		}
		if status, code, _ := post(t, http.MethodPost, s.url, sealRequest(t, s, 3, "op", nil, s.cfg.Signer)); status != 429 || code != CodeExhausted {
			t.Fatalf("%d %q", status, code)
		}
	})
	t.Run("oversize message", func(t *testing.T) {
		f := newFixture(t, suite.Intl, suite.Ed25519, nil, ServerOptions{})
		f.server.MaxMessage = 1 << 10
		srv, err := NewServer(f.server, echo, ServerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		base := mount(t, srv)
		s, err := Dial(ctx, f.client, nil, base, f.server.DID, "agreement-1")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Call(ctx, "op", make([]byte, 1<<10-3)); err != nil {
			t.Fatalf("a payload at the limit: %v", err)
		}
		_, _, err = s.Call(ctx, "op", make([]byte, 1<<10+overhead))
		if refusedCode(err) != CodeTooLarge {
			t.Fatalf("oversize: %v", err)
		}
		// Locally: the client's own limit.
		s.cfg.MaxMessage = 10
		if _, _, err := s.Call(ctx, "op", make([]byte, 11)); err == nil {
			t.Fatal("a payload over the client's limit was sent")
		}
	})
	t.Run("wrong method and path", func(t *testing.T) {
		f := newFixture(t, suite.Intl, suite.Ed25519, nil, ServerOptions{})
		if status, code, _ := post(t, http.MethodGet, f.base+"/handshake", nil); status != 405 || code != CodeMethod {
			t.Fatalf("%d %q", status, code)
		}
		if status, code, _ := post(t, http.MethodPost, f.base+"/nowhere", nil); status != 404 || code != CodeNotFound {
			t.Fatalf("%d %q", status, code)
		}
	})
}

func TestHandlerError(t *testing.T) {
	want := &Error{Status: 403, Code: "not_a_party", Message: "the caller is not a party to the agreement", MessageZH: "调用方不是协议当事方"}
	h := func(_ context.Context, _ Peer, op string, _ []byte, _ *Receipt) ([]byte, error) {
		if op == "internal" {
			return nil, errors.New("database password is hunter2")
		}
		return nil, fmt.Errorf("checking the agreement: %w", want)
	}
	for _, st := range suite.Suites() {
		t.Run(st.Name(), func(t *testing.T) {
			f := newFixture(t, st, sigAlg(st), h, ServerOptions{})
			s := f.dial(t)
			_, rc, err := s.Call(context.Background(), "compute", []byte("x"))
			var got *Error
			if !errors.As(err, &got) || *got != *want {
				t.Fatalf("got %v, want %v", err, want)
			}
			if rc == nil || rc.Status != 403 {
				t.Fatalf("receipt %+v", rc)
			}
			if err := rc.Verify(context.Background(), f.kr.resolve); err != nil {
				t.Fatalf("receipt of an error: %v", err)
			}
			_, _, err = s.Call(context.Background(), "internal", nil)
			if !errors.As(err, &got) || got.Status != 500 || got.Code != "internal" || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("internal error: %v", err)
			}
		})
	}
}

// TestKeysWiped checks through the test hook that the shared secret, the
// ephemeral scalar copy and the KDF output are zeroed at derivation, and
// the nonce bases at Close, on both sides.
func TestKeysWiped(t *testing.T) {
	for _, st := range suite.Suites() {
		t.Run(st.Name(), func(t *testing.T) {
			var mu sync.Mutex
			events := map[string]int{}
			var bad []string
			hook := func(event string, wiped ...[]byte) {
				mu.Lock()
				defer mu.Unlock()
				events[event]++
				for i, b := range wiped {
					if len(b) == 0 {
						bad = append(bad, fmt.Sprintf("%s: secret %d is empty (not captured)", event, i))
					}
					if !bytes.Equal(b, make([]byte, len(b))) {
						bad = append(bad, fmt.Sprintf("%s: secret %d not zeroed", event, i))
					}
				}
			}
			clk := newClock()
			kr := &keyring{}
			client, server := party(t, st, sigAlg(st), kr, clk), party(t, st, sigAlg(st), kr, clk)
			client.testHook, server.testHook = hook, hook
			srv, err := NewServer(server, echo, ServerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			base := mount(t, srv)
			ctx := context.Background()
			s1, err := Dial(ctx, client, nil, base, server.DID, "b")
			if err != nil {
				t.Fatal(err)
			}
			s2, err := Dial(ctx, client, nil, base, server.DID, "b")
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s1.Call(ctx, "op", []byte("x")); err != nil {
				t.Fatal(err)
			}
			if err := s1.Close(ctx); err != nil { // client and server side of s1
				t.Fatal(err)
			}
			if s1.c2s.aead != nil || s1.s2c.aead != nil {
				t.Error("the client kept its ciphers after Close")
			}
			_ = srv.Close() // server side of s2
			s2.wipeKeys()
			mu.Lock()
			defer mu.Unlock()
			if events["derived"] != 4 || events["closed"] != 4 {
				t.Errorf("events %v, want 4 derivations and 4 closes", events)
			}
			for _, b := range bad {
				t.Error(b)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	// Against a model: a set of seen numbers and the highest one.
	var w window
	seen := map[uint64]bool{}
	var top uint64
	x := uint64(12345)
	for range 200_000 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		var seq uint64
		switch x % 4 {
		case 0:
			seq = top + 1 + x%3000 // ahead, sometimes far
		default:
			seq = top - min(top, x%1500) // behind, sometimes out of the window
		}
		want := ""
		switch {
		case seq == 0:
			want = CodeBadMessage
		case seq <= top && top-seq >= ReplayWindow:
			want = CodeSeqTooOld
		case seen[seq]:
			want = CodeSeqReplayed
		}
		if got := w.check(seq); got != want {
			t.Fatalf("seq %d (top %d): %q, want %q", seq, top, got, want)
		}
		if want == "" {
			w.mark(seq)
			seen[seq] = true
			top = max(top, seq)
		}
	}
}

// TestServerSuites: a server accepting both suites runs each session on
// the suite its client chose; a suite it does not accept is refused.
func TestServerSuites(t *testing.T) {
	f := newFixture(t, suite.Intl, suite.Ed25519, nil, ServerOptions{Suites: []*suite.Suite{suite.Intl, suite.GM}})
	gm := party(t, suite.GM, suite.SM2, f.kr, f.clk)
	for _, c := range []struct {
		cfg  Config
		want string
	}{{f.client, "intl"}, {gm, "gm"}} {
		s, err := Dial(context.Background(), c.cfg, nil, f.base, f.server.DID, "agreement-1")
		if err != nil {
			t.Fatalf("%s client: %v", c.want, err)
		}
		_, rcpt, err := s.Call(context.Background(), "echo", []byte("x"))
		if err != nil || rcpt.Suite != c.want {
			t.Fatalf("%s client: %+v %v", c.want, rcpt, err)
		}
		if err := rcpt.Verify(context.Background(), f.kr.resolve); err != nil {
			t.Fatalf("%s receipt: %v", c.want, err)
		}
		s.Close(context.Background())
	}
	only := newFixture(t, suite.GM, suite.SM2, nil, ServerOptions{})
	intl := party(t, suite.Intl, suite.Ed25519, only.kr, only.clk)
	if _, err := Dial(context.Background(), intl, nil, only.base, only.server.DID, "agreement-1"); refusedCode(err) != CodeSuite {
		t.Fatalf("intl client to a gm-only server: %v", err)
	}
	if _, err := NewServer(only.server, echo, ServerOptions{Suites: []*suite.Suite{nil}}); err == nil {
		t.Error("a nil suite accepted")
	}
}
