package channel

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xborder/xborder/internal/jws"
	"github.com/xborder/xborder/internal/suite"
)

// Session is the client side of one channel session: one peer, one
// binding, one pair of keys. Call is safe for concurrent use.
type Session struct {
	cfg      Config
	hc       *http.Client
	url      string // {base}/s/{sid}
	sid      string
	peer     string // the server's DID
	peerKid  string
	peerAlg  suite.Alg
	peerKey  crypto.PublicKey
	binding  string
	signed   bool
	expires  time.Time
	maxMsg   uint64
	seq      atomic.Uint64
	maxBody  int64
	mu       sync.RWMutex // guards the keys against Close
	c2s, s2c dirKeys
	closed   bool
}

// Dial opens a session with the node at base (the URL the server is
// mounted at, without the trailing slash) whose DID is peerDID, bound to
// binding (for example the agreement id). hc nil means
// http.DefaultClient.
func Dial(ctx context.Context, cfg Config, hc *http.Client, base, peerDID, binding string) (*Session, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("dialling %s: %w", trunc(peerDID), err)
	}
	if binding == "" || len(binding) > MaxBinding {
		return nil, fmt.Errorf("dialling %s: the binding must have 1 to %d bytes", trunc(peerDID), MaxBinding)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	base = strings.TrimSuffix(base, "/")
	ka := cfg.Suite.KeyAgreements()[0]
	helloJWS, eph, err := makeHello(&cfg, peerDID, binding, ka)
	if err != nil {
		return nil, fmt.Errorf("dialling %s: %w", trunc(peerDID), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/handshake", strings.NewReader(helloJWS))
	if err != nil {
		return nil, fmt.Errorf("dialling %s: %w", trunc(peerDID), err)
	}
	req.Header.Set("Content-Type", "application/jose")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("dialling %s: %w", trunc(peerDID), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxHandshake+1))
	if err != nil {
		return nil, fmt.Errorf("dialling %s: reading the answer: %w", trunc(peerDID), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("dialling %s: %w", trunc(peerDID), refusedFrom(resp.StatusCode, body))
	}
	if len(body) > MaxHandshake {
		return nil, fmt.Errorf("dialling %s: the answer exceeds %d bytes", trunc(peerDID), MaxHandshake)
	}
	s, err := accept(ctx, &cfg, helloJWS, string(body), eph, peerDID, binding, ka)
	if err != nil {
		return nil, fmt.Errorf("dialling %s: %w", trunc(peerDID), err)
	}
	s.hc = hc
	s.url = base + "/s/" + s.sid
	cfg.logger().LogAttrs(ctx, slog.LevelInfo, "pet channel session opened", strAttr("peer", peerDID), strAttr("sid", s.sid), strAttr("suite", cfg.Suite.Name()))
	return s, nil
}

// makeHello signs a hello; it checks nothing about cfg (tests use it to
// build hellos that the server must refuse).
func makeHello(cfg *Config, peerDID, binding string, ka suite.KeyAgreement) (string, suite.AgreementKey, error) {
	eph, err := ka.GenerateKey(nil)
	if err != nil {
		return "", nil, fmt.Errorf("making the ephemeral key: %w", err)
	}
	jti, err := randomID(16)
	if err != nil {
		return "", nil, fmt.Errorf("making the hello: %w", err)
	}
	now := cfg.now()
	h := hello{Iss: cfg.DID, Aud: peerDID, Jti: jti, Iat: now.Unix(), Exp: now.Add(2 * time.Minute).Unix(),
		Suite: cfg.Suite.Name(), KA: ka.Name(), EPK: b64.EncodeToString(eph.PublicBytes()), Binding: binding,
		Unsigned: cfg.UnsignedMessages}
	payload, err := json.Marshal(h)
	if err != nil {
		return "", nil, fmt.Errorf("making the hello: %w", err)
	}
	tok, err := jws.Sign(payload, cfg.Signer, jws.Header{Kid: cfg.KeyID, Typ: HelloTyp})
	if err != nil {
		return "", nil, fmt.Errorf("signing the hello: %w", err)
	}
	return tok, eph, nil
}

// accept verifies the server's welcome and derives the session keys.
func accept(ctx context.Context, cfg *Config, helloJWS, welcomeJWS string, eph suite.AgreementKey, peerDID, binding string, ka suite.KeyAgreement) (*Session, error) {
	st := cfg.Suite
	v, err := jws.Verify(ctx, welcomeJWS, cfg.Resolve, jws.Expect{Typ: WelcomeTyp, MaxBytes: MaxHandshake, Algs: cfg.sigAlgs(st)})
	if err != nil {
		return nil, fmt.Errorf("verifying the server's answer: %w", err)
	}
	var w welcome
	if err := decodeClaims(v.Payload, &w); err != nil {
		return nil, fmt.Errorf("reading the server's answer: %w", err)
	}
	now := cfg.now()
	switch {
	case w.Iss != peerDID || kidDID(v.Header.Kid) != peerDID:
		return nil, fmt.Errorf("the answer is signed by %s (key %s), not by the DID dialled", trunc(w.Iss), trunc(v.Header.Kid))
	case w.Aud != cfg.DID:
		return nil, errors.New("the answer is not addressed to this party")
	case w.Hello != b64.EncodeToString(st.Sum([]byte(helloJWS))):
		return nil, errors.New("the answer does not answer this hello")
	case w.Suite != st.Name() || w.KA != ka.Name() || w.Binding != binding || w.Unsigned != cfg.UnsignedMessages:
		return nil, errors.New("the answer does not match the hello's suite, key agreement, binding or signing mode")
	case !validSID(w.Sid):
		return nil, errors.New("the answer's session id is malformed")
	case w.MaxMsg == 0 || w.SExp <= now.Unix():
		return nil, errors.New("the answer's session limits are malformed")
	}
	if r := checkTimes(w.Iat, w.Exp, now); r != nil {
		return nil, fmt.Errorf("the server's answer: %s", r.msg)
	}
	epk, err := b64.DecodeString(w.EPK)
	if err != nil || len(epk) != ka.PublicKeySize() {
		return nil, fmt.Errorf("the server's epk is not a %s public key", ka.Name())
	}
	c2s, s2c, err := derive(cfg, eph, epk, transcript(st, helloJWS, welcomeJWS))
	if err != nil {
		return nil, err
	}
	s := &Session{cfg: *cfg, sid: w.Sid, peer: peerDID, peerKid: v.Header.Kid, peerAlg: v.Alg, peerKey: v.Key,
		binding: binding, signed: !w.Unsigned, expires: time.Unix(w.SExp, 0), maxMsg: w.MaxMsg,
		maxBody: int64(cfg.maxMessage() + overhead), c2s: c2s, s2c: s2c}
	return s, nil
}

// ID is the session id the server chose.
func (s *Session) ID() string { return s.sid }

// Suite is the suite the session runs on.
func (s *Session) Suite() string { return s.cfg.Suite.Name() }

// Call sends op with payload and returns the server's result and the
// call's receipt. A Handler's *Error comes back as an equal *Error (with
// the receipt); a transport refusal is a *RefusedError. Call is safe for
// concurrent use.
func (s *Session) Call(ctx context.Context, op string, payload []byte) ([]byte, *Receipt, error) {
	if op == "" || len(op) > MaxOp {
		return nil, nil, fmt.Errorf("calling %s: op must have 1 to %d bytes", trunc(s.peer), MaxOp)
	}
	return s.do(ctx, http.MethodPost, op, payload)
}

func (s *Session) do(ctx context.Context, method, op string, payload []byte) ([]byte, *Receipt, error) {
	what := "calling " + trunc(op) + " on " + trunc(s.peer)
	if len(payload) > s.cfg.maxMessage() {
		return nil, nil, fmt.Errorf("%s: payload of %d bytes exceeds %d", what, len(payload), s.cfg.maxMessage())
	}
	if !s.cfg.now().Before(s.expires) {
		return nil, nil, fmt.Errorf("%s: %w", what, &RefusedError{Status: 404, Code: CodeUnknownSession, Message: "the session has expired (locally)"})
	}
	seq := s.seq.Add(1)
	if seq > s.maxMsg {
		return nil, nil, fmt.Errorf("%s: %w", what, &RefusedError{Status: 429, Code: CodeExhausted, Message: "the session's message budget is spent; dial again"})
	}
	st := s.cfg.Suite
	r := &Receipt{SessionID: s.sid, Suite: st.Name(), Caller: s.cfg.DID, Callee: s.peer, Binding: s.binding,
		Seq: seq, Op: op, RequestDigest: st.Sum(payload)}
	if s.signed {
		sig, err := jws.SignDetached(r.Statement(false), s.cfg.Signer, jws.Header{Kid: s.cfg.KeyID, Typ: ReceiptTyp})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: signing the request: %w", what, err)
		}
		r.RequestSignature = sig
	}
	// seq ‖ plaintext in one buffer with room for the tag: the plaintext
	// is sealed in place.
	body := make([]byte, 8, 8+3+len(op)+len(r.RequestSignature)+len(payload)+16)
	putSeq(body, seq)
	body = appendRequest(body, op, r.RequestSignature, payload)
	pt := body[8:]
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, nil, fmt.Errorf("%s: the session is closed", what)
	}
	body = s.c2s.aead.Seal(body[:8], nonceFor(s.c2s.nonce, seq), pt, aad(s.sid, seq, dirC2S))
	s.mu.RUnlock()
	req, err := http.NewRequestWithContext(ctx, method, s.url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	rb, err := readBody(io.LimitReader(resp.Body, s.maxBody+1), resp.ContentLength, s.maxBody+1)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: reading the response: %w", what, err)
	}
	if method == http.MethodDelete && resp.StatusCode == http.StatusNoContent {
		return nil, r, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("%s: %w", what, refusedFrom(resp.StatusCode, rb))
	}
	if int64(len(rb)) > s.maxBody {
		return nil, nil, fmt.Errorf("%s: the response exceeds %d bytes", what, s.maxBody)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, nil, fmt.Errorf("%s: the session is closed", what)
	}
	rpt, err := s.s2c.aead.Open(rb[:0], nonceFor(s.s2c.nonce, seq), rb, aad(s.sid, seq, dirS2C)) // in place
	s.mu.RUnlock()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: the response cannot be opened", what)
	}
	status, sig, out, err := parseResponse(rpt)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: reading the response: %w", what, err)
	}
	r.Status, r.ResponseDigest, r.ResponseSignature = status, st.Sum(out), sig
	if s.signed {
		if err := verifyMessageSig(sig, r.Statement(true), s.peerKid, s.peerAlg, s.peerKey, st, s.cfg.Keys); err != nil {
			return nil, nil, fmt.Errorf("%s: the response's signature: %w", what, err)
		}
	} else if sig != "" {
		return nil, nil, fmt.Errorf("%s: a signature in an unsigned session", what)
	}
	if status != http.StatusOK {
		var e Error
		if err := decodeClaims(out, &e); err != nil || e.Code == "" || e.Status != status {
			return nil, r, fmt.Errorf("%s: the error response is malformed", what)
		}
		return nil, r, &e
	}
	return out, r, nil
}

// verifyMessageSig checks a detached message signature with the key the
// handshake authenticated.
func verifyMessageSig(sig string, stmt []byte, kid string, alg suite.Alg, key crypto.PublicKey, st *suite.Suite, keys *suite.VerifierCache) error {
	want := jws.Expect{Typ: ReceiptTyp, Detached: stmt, Algs: []suite.Alg{alg}, MaxBytes: maxSig} // the handshake accepted the key
	if keys != nil {
		want.VerifySig = keys.Verify
	}
	v, err := jws.VerifyWithKey(sig, alg, key, want)
	if err != nil {
		return err
	}
	if v.Header.Kid != kid {
		return fmt.Errorf("signed under key %s, not the handshake's %s", trunc(v.Header.Kid), trunc(kid))
	}
	return nil
}

// Close tells the server to end the session (DELETE {base}/s/{sid} with a
// sealed, empty message) and wipes the session keys whatever the server
// answers.
func (s *Session) Close(ctx context.Context) error {
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return nil
	}
	_, _, err := s.do(ctx, http.MethodDelete, "", nil)
	s.wipeKeys()
	if err != nil {
		return fmt.Errorf("closing the session with %s: %w", trunc(s.peer), err)
	}
	return nil
}

func (s *Session) wipeKeys() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	wipe(s.c2s.nonce, s.s2c.nonce)
	s.cfg.hook("closed", s.c2s.nonce, s.s2c.nonce)
	s.c2s.aead, s.s2c.aead = nil, nil
}

// refusedFrom reads a transport refusal's JSON body.
func refusedFrom(status int, body []byte) *RefusedError {
	var m struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.Error == "" {
		return &RefusedError{Status: status, Code: "http_" + fmt.Sprint(status), Message: http.StatusText(status)}
	}
	return &RefusedError{Status: status, Code: m.Error, Message: m.Message}
}
