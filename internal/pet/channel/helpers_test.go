package channel

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/jws"
	"github.com/xborder/xborder/internal/suite"
)

// clock is an injected clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_750_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// keyring is a map-based resolver of verification methods.
type keyring struct {
	mu   sync.Mutex
	keys map[string]struct {
		alg suite.Alg
		pub crypto.PublicKey
	}
}

func (k *keyring) add(kid string, alg suite.Alg, pub crypto.PublicKey) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil {
		k.keys = map[string]struct {
			alg suite.Alg
			pub crypto.PublicKey
		}{}
	}
	k.keys[kid] = struct {
		alg suite.Alg
		pub crypto.PublicKey
	}{alg, pub}
}

func (k *keyring) resolve(_ context.Context, kid string) (suite.Alg, crypto.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.keys[kid]
	if !ok {
		return "", nil, fmt.Errorf("unknown verification method %q", kid)
	}
	return e.alg, e.pub, nil
}

// party makes a did:key party with a fresh key of alg, registered in kr.
func party(t testing.TB, st *suite.Suite, alg suite.Alg, kr *keyring, clk *clock) Config {
	t.Helper()
	s, err := suite.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := identity.NewKeyDID(alg, s.Public())
	if err != nil {
		t.Fatal(err)
	}
	kr.add(kd.VerificationMethodID(), alg, s.Public())
	cfg := Config{Suite: st, DID: kd.DID, KeyID: kd.VerificationMethodID(), Signer: s, Resolve: kr.resolve}
	if clk != nil {
		cfg.Now = clk.Now
	}
	return cfg
}

func sigAlg(st *suite.Suite) suite.Alg { return st.SigAlgs()[0] }

// echo returns op ‖ ":" ‖ payload.
func echo(_ context.Context, _ Peer, op string, payload []byte, _ *Receipt) ([]byte, error) {
	return append([]byte(op+":"), payload...), nil
}

// mount serves srv under /pet behind http.StripPrefix and returns the base.
func mount(t testing.TB, srv *Server) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/pet/", http.StripPrefix("/pet", srv))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { _ = srv.Close() })
	return ts.URL + "/pet"
}

type fixture struct {
	clk    *clock
	kr     *keyring
	client Config
	server Config
	srv    *Server
	base   string
}

func newFixture(t testing.TB, st *suite.Suite, alg suite.Alg, h Handler, opt ServerOptions) *fixture {
	t.Helper()
	f := &fixture{clk: newClock(), kr: &keyring{}}
	f.client = party(t, st, alg, f.kr, f.clk)
	f.server = party(t, st, alg, f.kr, f.clk)
	if h == nil {
		h = echo
	}
	srv, err := NewServer(f.server, h, opt)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.base = mount(t, srv)
	return f
}

func (f *fixture) dial(t testing.TB) *Session {
	t.Helper()
	s, err := Dial(context.Background(), f.client, nil, f.base, f.server.DID, "agreement-1")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// post sends a raw body and returns the status and the refusal code (or
// the body on success).
func post(t testing.TB, method, url string, body []byte) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 || resp.StatusCode == 204 {
		return resp.StatusCode, "", b
	}
	var m struct{ Error, Message string }
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("refusal body %q is not JSON: %v", b, err)
	}
	return resp.StatusCode, m.Error, b
}

func refusedCode(err error) string {
	var r *RefusedError
	if errors.As(err, &r) {
		return r.Code
	}
	return ""
}

// signHello signs arbitrary hello claims with s under kid.
func signHello(t testing.TB, s suite.Signer, kid string, h hello) string {
	t.Helper()
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.Sign(b, s, jws.Header{Kid: kid, Typ: HelloTyp})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// validHello returns the claims of an acceptable hello from cfg to aud.
func validHello(t testing.TB, cfg Config, aud string) hello {
	t.Helper()
	ka := cfg.Suite.KeyAgreements()[0]
	eph, err := ka.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	jti, _ := randomID(16)
	now := cfg.now()
	return hello{Iss: cfg.DID, Aud: aud, Jti: jti, Iat: now.Unix(), Exp: now.Add(time.Minute).Unix(),
		Suite: cfg.Suite.Name(), KA: ka.Name(), EPK: b64.EncodeToString(eph.PublicBytes()), Binding: "agreement-1"}
}

// sealRequest builds a raw call body on s's keys.
func sealRequest(t testing.TB, s *Session, seq uint64, op string, payload []byte, signer suite.Signer) []byte {
	t.Helper()
	st := s.cfg.Suite
	r := &Receipt{SessionID: s.sid, Suite: st.Name(), Caller: s.cfg.DID, Callee: s.peer, Binding: s.binding,
		Seq: seq, Op: op, RequestDigest: st.Sum(payload)}
	sig := ""
	if s.signed {
		var err error
		sig, err = jws.SignDetached(r.Statement(false), signer, jws.Header{Kid: s.cfg.KeyID, Typ: ReceiptTyp})
		if err != nil {
			t.Fatal(err)
		}
	}
	body := make([]byte, 8)
	putSeq(body, seq)
	return s.c2s.aead.Seal(body, nonceFor(s.c2s.nonce, seq), encodeRequest(op, sig, payload), aad(s.sid, seq, dirC2S))
}
