package channel

import (
	"context"
	"crypto"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/jws"
	"github.com/xborder/xborder/internal/suite"
)

// Peer is the authenticated caller of a Handler.
type Peer struct {
	DID       string // the client's DID (the hello's iss)
	Binding   string // what the session is bound to, e.g. the agreement id
	SessionID string
	Suite     string // "intl" or "gm"
}

// Handler serves one call. rcpt carries the request's digest and the
// caller's signature (Status and the response fields are not set yet).
// Returning an *Error sends it, sealed, to the caller; any other error is
// logged and sent as a 500 "internal" *Error without its text.
type Handler func(ctx context.Context, p Peer, op string, payload []byte, rcpt *Receipt) ([]byte, error)

// ServerOptions tunes a Server; zero values take the defaults.
type ServerOptions struct {
	// Authorize, when set, may refuse a peer for a binding before a
	// session exists (for example one that is not a party to the
	// agreement). An *Error it returns is sent as is (as a transport
	// refusal), any other error as 403 forbidden.
	Authorize func(ctx context.Context, peerDID, binding string) error
	// Suites are the suites a client may choose for its session; empty
	// means the Config's only. A node of the intl suite may accept gm too,
	// so that sessions opened by a gm node run on SM2, SM3 and SM4-GCM
	// both ways.
	Suites []*suite.Suite
	// MaxSessions bounds the live sessions (DefaultMaxSessions); a hello
	// beyond it is refused with 503 too_many_sessions.
	MaxSessions int
	// IdleTimeout ends a session unused that long (DefaultIdleTimeout);
	// MaxLifetime ends it that long after the handshake
	// (DefaultMaxLifetime); MaxMessages bounds its messages
	// (DefaultMaxMessages).
	IdleTimeout, MaxLifetime time.Duration
	MaxMessages              uint64
	// CallTimeout, when positive, bounds each Handler call.
	CallTimeout time.Duration
	// AllowUnsigned accepts sessions without per-message signatures.
	AllowUnsigned bool
	// MaxReplay bounds the cache of recent hello jtis (default 100,000);
	// when it is full of unexpired ones hellos are refused (503 busy).
	MaxReplay int
	// OnReceipt, when set, receives each call's complete receipt after the
	// response is sealed, for the audit log.
	OnReceipt func(ctx context.Context, p Peer, rcpt *Receipt)
}

// Server is the server side of the channel, an http.Handler serving
// POST /handshake, POST /s/{sid} and DELETE /s/{sid} relative to where it
// is mounted (it works behind http.StripPrefix).
type Server struct {
	cfg Config
	h   Handler
	opt ServerOptions

	mu       sync.Mutex
	sessions map[string]*serverSession
	jtis     jtiCache
	swept    time.Time
	closed   bool
}

type serverSession struct {
	peer     Peer
	suite    *suite.Suite
	peerKid  string
	peerAlg  suite.Alg
	peerKey  crypto.PublicKey
	signed   bool
	created  time.Time
	expires  time.Time
	maxMsg   uint64
	mu       sync.RWMutex // RLock: using the keys; Lock: window, counters, wiping
	win      window
	count    uint64
	last     time.Time
	c2s, s2c dirKeys
	closed   bool
}

// NewServer returns a Server answering for cfg.DID with handler h.
func NewServer(cfg Config, h Handler, opt ServerOptions) (*Server, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("pet channel server: %w", err)
	}
	if h == nil {
		return nil, errors.New("pet channel server: no handler")
	}
	if len(opt.Suites) == 0 {
		opt.Suites = []*suite.Suite{cfg.Suite}
	}
	for _, st := range opt.Suites {
		if st == nil {
			return nil, errors.New("pet channel server: a nil suite")
		}
		if !slices.Contains(cfg.sigAlgs(st), cfg.Signer.Alg()) {
			return nil, fmt.Errorf("pet channel server: the %s key cannot sign in suite %s", cfg.Signer.Alg(), st.Name())
		}
	}
	if opt.MaxSessions <= 0 {
		opt.MaxSessions = DefaultMaxSessions
	}
	if opt.IdleTimeout <= 0 {
		opt.IdleTimeout = DefaultIdleTimeout
	}
	if opt.MaxLifetime <= 0 {
		opt.MaxLifetime = DefaultMaxLifetime
	}
	if opt.MaxMessages == 0 {
		opt.MaxMessages = DefaultMaxMessages
	}
	if cfg.Keys == nil {
		cfg.Keys = suite.NewVerifierCache(64)
	}
	if opt.MaxReplay <= 0 {
		opt.MaxReplay = 100_000
	}
	return &Server{cfg: cfg, h: h, opt: opt, sessions: map[string]*serverSession{}, jtis: jtiCache{max: opt.MaxReplay}}, nil
}

// ServeHTTP routes the channel's requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/handshake" || path == "handshake":
		if r.Method != http.MethodPost {
			s.fail(w, r, refuse(405, CodeMethod, "use POST"))
			return
		}
		s.serveHandshake(w, r)
	case strings.HasPrefix(path, "/s/"):
		sid := path[len("/s/"):]
		if r.Method != http.MethodPost && r.Method != http.MethodDelete {
			s.fail(w, r, refuse(405, CodeMethod, "use POST or DELETE"))
			return
		}
		s.serveMessage(w, r, sid)
	default:
		s.fail(w, r, refuse(404, CodeNotFound, "no such endpoint"))
	}
}

// fail writes a transport refusal as JSON.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, f *refusal) {
	s.cfg.logger().LogAttrs(r.Context(), slogDebug, "pet channel refusal", strAttr("code", f.code), strAttr("reason", f.msg))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(f.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": f.code, "message": f.msg})
}

func (s *Server) serveHandshake(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxHandshake))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			s.fail(w, r, refuse(413, CodeTooLarge, "the hello exceeds %d bytes", MaxHandshake))
			return
		}
		s.fail(w, r, refuse(400, CodeMalformed, "reading the hello failed"))
		return
	}
	tok, f := s.handshake(r.Context(), string(body))
	if f != nil {
		s.fail(w, r, f)
		return
	}
	w.Header().Set("Content-Type", "application/jose")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, tok)
}

// handshake checks a hello and, when it is acceptable, opens a session and
// returns the signed welcome.
func (s *Server) handshake(ctx context.Context, helloJWS string) (string, *refusal) {
	now := s.cfg.now()
	h, _, st, ka, epk, f := parseHello(helloJWS, s.opt.Suites, s.cfg.sigAlgs, s.cfg.DID, now)
	if f != nil {
		return "", f
	}
	// The session runs on the suite the hello chose among those accepted.
	scfg := s.cfg
	scfg.Suite = st
	cfg := &scfg
	v, err := jws.Verify(ctx, helloJWS, cfg.Resolve, jws.Expect{Typ: HelloTyp, MaxBytes: MaxHandshake, Algs: cfg.sigAlgs(st)})
	if err != nil {
		if ctx.Err() != nil {
			return "", refuse(503, CodeBusy, "the handshake was cancelled")
		}
		return "", refuse(401, CodeUnauthenticated, "the hello's signature does not verify with the issuer's key (%s)", jws.CodeOf(err))
	}
	if h.Unsigned && !s.opt.AllowUnsigned {
		return "", refuse(400, CodeSignatures, "this node requires per-message signatures")
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return "", refuse(503, CodeClosed, "the server is closed")
	}
	f = s.jtis.add(h.Iss+"|"+h.Jti, h.Exp, now.Unix())
	s.mu.Unlock()
	if f != nil {
		return "", f
	}
	if s.opt.Authorize != nil {
		if err := s.opt.Authorize(ctx, h.Iss, h.Binding); err != nil {
			var e *Error
			if errors.As(err, &e) && e.Status >= 400 && e.Status <= 599 && e.Code != "" {
				return "", refuse(e.Status, e.Code, "%s", e.Message)
			}
			cfg.logger().LogAttrs(ctx, slogDebug, "pet channel peer refused", strAttr("peer", h.Iss), strAttr("err", err.Error()))
			return "", refuse(403, CodeForbidden, "this peer may not open a session for this binding")
		}
	}
	sid, err := randomID(sidBytes)
	if err != nil {
		return "", refuse(500, "internal", "no randomness")
	}
	eph, err := ka.GenerateKey(nil)
	if err != nil {
		return "", refuse(500, "internal", "making the ephemeral key failed")
	}
	exp := now.Add(s.opt.MaxLifetime)
	wl := welcome{Iss: cfg.DID, Aud: h.Iss, Iat: now.Unix(), Exp: now.Add(2 * time.Minute).Unix(), Sid: sid,
		Suite: st.Name(), KA: ka.Name(), EPK: b64.EncodeToString(eph.PublicBytes()),
		Hello: b64.EncodeToString(st.Sum([]byte(helloJWS))), Binding: h.Binding, SExp: exp.Unix(),
		Idle: int64(s.opt.IdleTimeout / time.Second), MaxMsg: s.opt.MaxMessages, Unsigned: h.Unsigned}
	payload, err := json.Marshal(wl)
	if err != nil {
		return "", refuse(500, "internal", "encoding the answer failed")
	}
	welcomeJWS, err := jws.Sign(payload, cfg.Signer, jws.Header{Kid: cfg.KeyID, Typ: WelcomeTyp})
	if err != nil {
		return "", refuse(500, "internal", "signing the answer failed")
	}
	c2s, s2c, err := derive(cfg, eph, epk, transcript(st, helloJWS, welcomeJWS))
	if err != nil {
		return "", refuse(400, CodeMalformed, "the key agreement failed")
	}
	ss := &serverSession{peer: Peer{DID: h.Iss, Binding: h.Binding, SessionID: sid, Suite: st.Name()}, suite: st,
		peerKid: v.Header.Kid, peerAlg: v.Alg, peerKey: v.Key, signed: !h.Unsigned,
		created: now, expires: exp, maxMsg: s.opt.MaxMessages, last: now, c2s: c2s, s2c: s2c}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		ss.wipe(cfg)
		return "", refuse(503, CodeClosed, "the server is closed")
	}
	if len(s.sessions) >= s.opt.MaxSessions || now.Sub(s.swept) >= 10*time.Second {
		s.sweepLocked(now)
	}
	if len(s.sessions) >= s.opt.MaxSessions {
		ss.wipe(cfg)
		return "", refuse(503, CodeTooManySessions, "this node has %d live sessions, its limit; try again later", len(s.sessions))
	}
	s.sessions[sid] = ss
	cfg.logger().LogAttrs(ctx, slog.LevelInfo, "pet channel session opened", strAttr("peer", h.Iss), strAttr("sid", sid))
	return welcomeJWS, nil
}

// Sweep ends the sessions that have expired or been idle too long,
// wiping their keys. Sessions are also swept lazily (on lookup, and during
// handshakes); a node may call Sweep from a ticker so that idle keys do
// not wait for the next handshake.
func (s *Server) Sweep() {
	now := s.cfg.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
}

// sweepLocked ends the expired sessions; s.mu is held.
func (s *Server) sweepLocked(now time.Time) {
	s.swept = now
	for sid, ss := range s.sessions {
		if ss.expired(now, s.opt.IdleTimeout) {
			delete(s.sessions, sid)
			ss.wipe(&s.cfg)
		}
	}
}

func (ss *serverSession) expired(now time.Time, idle time.Duration) bool {
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	return !now.Before(ss.expires) || now.Sub(ss.last) >= idle
}

// wipe zeroes the session's nonce bases and drops its ciphers.
func (ss *serverSession) wipe(cfg *Config) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return
	}
	ss.closed = true
	wipe(ss.c2s.nonce, ss.s2c.nonce)
	cfg.hook("closed", ss.c2s.nonce, ss.s2c.nonce)
	ss.c2s.aead, ss.s2c.aead = nil, nil
}

// lookup returns the live session sid, ending it first if it expired.
func (s *Server) lookup(sid string, now time.Time) *serverSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[sid]
	if ss == nil {
		return nil
	}
	if ss.expired(now, s.opt.IdleTimeout) {
		delete(s.sessions, sid)
		ss.wipe(&s.cfg)
		return nil
	}
	return ss
}

func (s *Server) remove(sid string, ss *serverSession) {
	s.mu.Lock()
	if s.sessions[sid] == ss {
		delete(s.sessions, sid)
	}
	s.mu.Unlock()
	ss.wipe(&s.cfg)
}

var errOpen = refuse(400, CodeBadMessage, "the message cannot be opened")

func (s *Server) serveMessage(w http.ResponseWriter, r *http.Request, sid string) {
	cfg := &s.cfg
	limit := int64(cfg.maxMessage() + overhead)
	body, err := readBody(http.MaxBytesReader(w, r.Body, limit), r.ContentLength, limit)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			s.fail(w, r, refuse(413, CodeTooLarge, "the message exceeds %d bytes", limit))
			return
		}
		s.fail(w, r, refuse(400, CodeMalformed, "reading the message failed"))
		return
	}
	now := cfg.now()
	ss := s.lookup(sid, now)
	if ss == nil {
		s.fail(w, r, refuse(404, CodeUnknownSession, "no such session, or it has expired or been closed"))
		return
	}
	pt, seq, f := ss.open(body, sid)
	if f != nil {
		s.fail(w, r, f)
		return
	}
	if f := ss.accept(seq, now); f != nil {
		s.fail(w, r, f)
		return
	}
	op, sig, payload, err := parseRequest(pt)
	if err != nil {
		s.fail(w, r, refuse(400, CodeBadMessage, "the message is malformed"))
		return
	}
	st := ss.suite
	rc := &Receipt{SessionID: sid, Suite: st.Name(), Caller: ss.peer.DID, Callee: cfg.DID, Binding: ss.peer.Binding,
		Seq: seq, Op: op, RequestDigest: st.Sum(payload), RequestSignature: sig}
	if ss.signed {
		if err := verifyMessageSig(sig, rc.Statement(false), ss.peerKid, ss.peerAlg, ss.peerKey, st, cfg.Keys); err != nil {
			s.fail(w, r, refuse(400, CodeBadSignature, "the message's signature does not verify"))
			return
		}
	} else if sig != "" {
		s.fail(w, r, refuse(400, CodeBadMessage, "the message is malformed"))
		return
	}
	if r.Method == http.MethodDelete {
		if op != "" {
			s.fail(w, r, refuse(400, CodeBadMessage, "a close message carries no op"))
			return
		}
		s.remove(sid, ss)
		cfg.logger().LogAttrs(r.Context(), slog.LevelInfo, "pet channel session closed", strAttr("sid", sid))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if op == "" {
		s.fail(w, r, refuse(400, CodeBadMessage, "a call needs an op"))
		return
	}
	ctx := r.Context()
	if s.opt.CallTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opt.CallTimeout)
		defer cancel()
	}
	out, herr := s.h(ctx, ss.peer, op, payload, rc)
	status := http.StatusOK
	if herr != nil {
		var e *Error
		if !errors.As(herr, &e) || e.Code == "" || e.Status < 400 || e.Status > 599 {
			cfg.logger().LogAttrs(ctx, slogWarn, "pet channel handler failed", strAttr("op", op), strAttr("peer", ss.peer.DID), strAttr("err", herr.Error()))
			e = &Error{Status: 500, Code: "internal", Message: "the call failed on the peer", MessageZH: "对端处理调用失败"}
		}
		status = e.Status
		out, _ = json.Marshal(e)
	} else if len(out) > cfg.maxMessage() {
		cfg.logger().LogAttrs(ctx, slogWarn, "pet channel handler result too large", strAttr("op", op), strAttr("peer", ss.peer.DID))
		status = 500
		out, _ = json.Marshal(&Error{Status: 500, Code: CodeTooLarge, Message: "the result exceeds the message size limit", MessageZH: "结果超过消息大小上限"})
	}
	rc.Status, rc.ResponseDigest = status, st.Sum(out)
	if ss.signed {
		sig, err := jws.SignDetached(rc.Statement(true), cfg.Signer, jws.Header{Kid: cfg.KeyID, Typ: ReceiptTyp})
		if err != nil {
			s.fail(w, r, refuse(500, "internal", "signing the response failed"))
			return
		}
		rc.ResponseSignature = sig
	}
	rpt := encodeResponse(status, rc.ResponseSignature, out)
	ss.mu.RLock()
	if ss.closed {
		ss.mu.RUnlock()
		s.fail(w, r, refuse(404, CodeUnknownSession, "the session ended during the call"))
		return
	}
	sealed := ss.s2c.aead.Seal(nil, nonceFor(ss.s2c.nonce, seq), rpt, aad(sid, seq, dirS2C))
	ss.mu.RUnlock()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(sealed)
	if s.opt.OnReceipt != nil {
		s.opt.OnReceipt(ctx, ss.peer, rc)
	}
}

// open checks the sequence number against the window (without recording
// it) and decrypts the message.
func (ss *serverSession) open(body []byte, sid string) ([]byte, uint64, *refusal) {
	if len(body) < 8+16 {
		return nil, 0, errOpen
	}
	seq := binary.BigEndian.Uint64(body)
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	if ss.closed {
		return nil, 0, refuse(404, CodeUnknownSession, "no such session, or it has expired or been closed")
	}
	if f := ss.windowRefusal(seq); f != nil {
		return nil, 0, f
	}
	pt, err := ss.c2s.aead.Open(body[8:8], nonceFor(ss.c2s.nonce, seq), body[8:], aad(sid, seq, dirC2S)) // in place
	if err != nil {
		return nil, 0, errOpen
	}
	return pt, seq, nil
}

func (ss *serverSession) windowRefusal(seq uint64) *refusal {
	switch ss.win.check(seq) {
	case "":
		return nil
	case CodeSeqReplayed:
		return refuse(409, CodeSeqReplayed, "sequence number %d was already used", seq)
	case CodeSeqTooOld:
		return refuse(409, CodeSeqTooOld, "sequence number %d is behind the replay window", seq)
	}
	return errOpen
}

// accept records an authentic message's seq, counting it against the
// session's budget.
func (ss *serverSession) accept(seq uint64, now time.Time) *refusal {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return refuse(404, CodeUnknownSession, "no such session, or it has expired or been closed")
	}
	if f := ss.windowRefusal(seq); f != nil { // a concurrent duplicate
		return f
	}
	if ss.count >= ss.maxMsg {
		return refuse(429, CodeExhausted, "the session's message budget is spent; dial again")
	}
	ss.win.mark(seq)
	ss.count++
	ss.last = now
	return nil
}

// Sessions is the number of live sessions (expired ones included until
// they are swept).
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Close ends every session, wiping its keys; later requests are refused.
func (s *Server) Close() error {
	s.mu.Lock()
	sessions := s.sessions
	s.sessions = map[string]*serverSession{}
	s.closed = true
	s.mu.Unlock()
	for _, ss := range sessions {
		ss.wipe(&s.cfg)
	}
	return nil
}
