package channel

import (
	"bytes"
	"crypto/cipher"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/jsonstrict"
	"github.com/xborder/xborder/internal/jws"
	"github.com/xborder/xborder/internal/suite"
)

// hello is the payload of the client's handshake token.
type hello struct {
	Iss      string `json:"iss"`
	Aud      string `json:"aud"`
	Jti      string `json:"jti"`
	Iat      int64  `json:"iat"`
	Exp      int64  `json:"exp"`
	Suite    string `json:"suite"`
	KA       string `json:"ka"`
	EPK      string `json:"epk"`
	Binding  string `json:"binding"`
	Unsigned bool   `json:"unsigned,omitempty"`
}

// welcome is the payload of the server's answer.
type welcome struct {
	Iss      string `json:"iss"`
	Aud      string `json:"aud"`
	Iat      int64  `json:"iat"`
	Exp      int64  `json:"exp"`
	Sid      string `json:"sid"`
	Suite    string `json:"suite"`
	KA       string `json:"ka"`
	EPK      string `json:"epk"`
	Hello    string `json:"hello"`
	Binding  string `json:"binding"`
	SExp     int64  `json:"sexp"`   // the session's end of life (unix seconds)
	Idle     int64  `json:"idle"`   // the idle timeout in seconds
	MaxMsg   uint64 `json:"maxmsg"` // the most messages the session accepts
	Unsigned bool   `json:"unsigned,omitempty"`
}

// refusal is a transport-level refusal being built by the server.
type refusal struct {
	status int
	code   string
	msg    string
}

func (r *refusal) Error() string { return r.code + ": " + r.msg }

func refuse(status int, code, format string, args ...any) *refusal {
	return &refusal{status, code, fmt.Sprintf(format, args...)}
}

// unverifiedPayload returns the decoded middle part of a compact JWS; the
// caller checks the signature later.
func unverifiedPayload(token string) ([]byte, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS")
	}
	return b64.DecodeString(parts[1])
}

// decodeClaims decodes one JSON object strictly: no duplicate or unknown
// members, nothing after it.
func decodeClaims(raw []byte, v any) error {
	if !json.Valid(raw) {
		return errors.New("claims are not valid JSON")
	}
	if e := jsonstrict.Check(raw, 2); e != nil {
		return e
	}
	return jsonstrict.Decode(raw, v)
}

// parseHello checks everything about a hello that needs no key and no
// state: shape, suite, key agreement, signature algorithm, audience,
// issuer, times, sizes. It returns the claims, the header, the suite
// (the one of suites the hello asks for), the key agreement and the
// peer's ephemeral public key. algsFor gives a suite's accepted
// signature algorithms.
func parseHello(token string, suites []*suite.Suite, algsFor func(*suite.Suite) []suite.Alg, aud string, now time.Time) (*hello, jws.Header, *suite.Suite, suite.KeyAgreement, []byte, *refusal) {
	var h hello
	if len(token) > MaxHandshake {
		return nil, jws.Header{}, nil, nil, nil, refuse(413, CodeTooLarge, "hello of %d bytes exceeds %d", len(token), MaxHandshake)
	}
	hdr, err := jws.ParseHeader(token)
	if err != nil {
		return nil, hdr, nil, nil, nil, refuse(400, CodeMalformed, "the hello is not a compact JWS")
	}
	raw, err := unverifiedPayload(token)
	if err != nil {
		return nil, hdr, nil, nil, nil, refuse(400, CodeMalformed, "the hello's payload is not base64url")
	}
	if err := decodeClaims(raw, &h); err != nil {
		return nil, hdr, nil, nil, nil, refuse(400, CodeMalformed, "the hello's claims: %v", err)
	}
	if hdr.Typ != HelloTyp {
		return nil, hdr, nil, nil, nil, refuse(400, CodeMalformed, "typ %q, want %q", trunc(hdr.Typ), HelloTyp)
	}
	var st *suite.Suite
	names := make([]string, len(suites))
	for i, s := range suites {
		names[i] = s.Name()
		if s.Name() == h.Suite {
			st = s
		}
	}
	if st == nil {
		return nil, hdr, nil, nil, nil, refuse(400, CodeSuite, "this node speaks suite %q, the hello asks for %q", strings.Join(names, `" or "`), trunc(h.Suite))
	}
	algs := algsFor(st)
	ka := findKA(st, h.KA)
	if ka == nil {
		return nil, hdr, nil, nil, nil, refuse(400, CodeKeyAgreement, "key agreement %q is not one of suite %s", trunc(h.KA), st.Name())
	}
	alg, err := jws.SuiteAlg(hdr.Alg)
	if err != nil || !slices.Contains(algs, alg) {
		return nil, hdr, nil, nil, nil, refuse(400, CodeAlgorithm, "signature algorithm %q is not allowed in suite %s (accepted: %v)", trunc(hdr.Alg), st.Name(), algs)
	}
	if !strings.HasPrefix(h.Iss, "did:") || kidDID(hdr.Kid) != h.Iss {
		return nil, hdr, nil, nil, nil, refuse(401, CodeIssuer, "the key %q is not a verification method of the issuer", trunc(hdr.Kid))
	}
	if h.Aud != aud {
		return nil, hdr, nil, nil, nil, refuse(401, CodeAudience, "the hello is addressed to %q, not to this node", trunc(h.Aud))
	}
	if r := checkTimes(h.Iat, h.Exp, now); r != nil {
		return nil, hdr, nil, nil, nil, r
	}
	if h.Jti == "" || len(h.Jti) > 256 {
		return nil, hdr, nil, nil, nil, refuse(400, CodeMalformed, "jti missing or longer than 256 bytes")
	}
	if h.Binding == "" || len(h.Binding) > MaxBinding {
		return nil, hdr, nil, nil, nil, refuse(400, CodeMalformed, "binding missing or longer than %d bytes", MaxBinding)
	}
	epk, err := b64.DecodeString(h.EPK)
	if err != nil || len(epk) != ka.PublicKeySize() {
		return nil, hdr, nil, nil, nil, refuse(400, CodeMalformed, "epk is not a %s public key", ka.Name())
	}
	return &h, hdr, st, ka, epk, nil
}

// checkTimes bounds a handshake token's iat and exp.
func checkTimes(iat, exp int64, now time.Time) *refusal {
	t, lw := now.Unix(), int64(leeway/time.Second)
	switch {
	case iat == 0 || exp == 0:
		return refuse(400, CodeMalformed, "iat and exp are required")
	case t > exp+lw:
		return refuse(401, CodeExpired, "the token expired")
	case iat > t+lw:
		return refuse(401, CodeNotYetValid, "the token was issued in the future")
	case exp < iat || exp-iat > int64(helloLifetime/time.Second):
		return refuse(400, CodeLifetime, "lifetime %ds exceeds %s", exp-iat, helloLifetime)
	}
	return nil
}

func findKA(st *suite.Suite, name string) suite.KeyAgreement {
	for _, ka := range st.KeyAgreements() {
		if ka.Name() == name {
			return ka
		}
	}
	return nil
}

// direction keys: one AEAD and its nonce base.
type dirKeys struct {
	aead  cipher.AEAD
	nonce []byte // nonceLen bytes, wiped at close
}

const (
	dirC2S byte = 1
	dirS2C byte = 2
)

// transcript is Hash(hello ‖ "." ‖ welcome).
func transcript(st *suite.Suite, helloJWS, welcomeJWS string) []byte {
	h := st.Hash()
	h.Write([]byte(helloJWS))
	h.Write([]byte{'.'})
	h.Write([]byte(welcomeJWS))
	return h.Sum(nil)
}

// derive computes the shared secret with eph and the peer's ephemeral key,
// derives both directions' keys, and wipes the shared secret, the
// ephemeral scalar's copy and the raw key bytes.
func derive(cfg *Config, eph suite.AgreementKey, peerEPK, th []byte) (c2s, s2c dirKeys, err error) {
	st := cfg.Suite
	shared, err := eph.Agree(peerEPK)
	scalar := eph.Bytes()
	if err != nil {
		wipe(scalar)
		return c2s, s2c, fmt.Errorf("key agreement: %w", err)
	}
	n := st.AEADKeySize() + nonceLen
	okmC, err1 := st.KDF(shared, th, labelC2S, n)
	okmS, err2 := st.KDF(shared, th, labelS2C, n)
	wipe(shared, scalar)
	defer func() {
		wipe(okmC, okmS)
		cfg.hook("derived", shared, scalar, okmC, okmS)
	}()
	if err := errors.Join(err1, err2); err != nil {
		return c2s, s2c, fmt.Errorf("deriving the session keys: %w", err)
	}
	for _, d := range []struct {
		okm []byte
		dst *dirKeys
	}{{okmC, &c2s}, {okmS, &s2c}} {
		a, err := st.NewAEAD(d.okm[:st.AEADKeySize()])
		if err != nil {
			return c2s, s2c, fmt.Errorf("deriving the session keys: %w", err)
		}
		if a.NonceSize() != nonceLen {
			return c2s, s2c, fmt.Errorf("deriving the session keys: %s nonce of %d bytes", st.AEADName(), a.NonceSize())
		}
		d.dst.aead = a
		d.dst.nonce = bytes.Clone(d.okm[st.AEADKeySize():])
	}
	return c2s, s2c, nil
}

func nonceFor(base []byte, seq uint64) []byte {
	n := make([]byte, nonceLen)
	binary.BigEndian.PutUint64(n[nonceLen-8:], seq)
	for i := range n {
		n[i] ^= base[i]
	}
	return n
}

func aad(sid string, seq uint64, dir byte) []byte {
	b := make([]byte, 0, 4+len(sid)+9)
	b = append(b, "xpc1"...)
	b = append(b, sid...)
	b = binary.BigEndian.AppendUint64(b, seq)
	return append(b, dir)
}

// encodeRequest is op-length u8 ‖ op ‖ sig-length u16 ‖ sig ‖ payload.
func encodeRequest(op string, sig string, payload []byte) []byte {
	return appendRequest(make([]byte, 0, 3+len(op)+len(sig)+len(payload)), op, sig, payload)
}

// appendRequest appends encodeRequest's bytes to b.
func appendRequest(b []byte, op string, sig string, payload []byte) []byte {
	b = append(b, byte(len(op)))
	b = append(b, op...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(sig)))
	b = append(b, sig...)
	return append(b, payload...)
}

// parseRequest reverses encodeRequest.
func parseRequest(pt []byte) (op, sig string, payload []byte, err error) {
	if len(pt) < 1 {
		return "", "", nil, errors.New("empty request")
	}
	n := int(pt[0])
	if len(pt) < 1+n+2 {
		return "", "", nil, errors.New("truncated request")
	}
	op = string(pt[1 : 1+n])
	rest := pt[1+n:]
	m := int(binary.BigEndian.Uint16(rest))
	if m > maxSig || len(rest) < 2+m {
		return "", "", nil, errors.New("truncated or oversize request signature")
	}
	return op, string(rest[2 : 2+m]), rest[2+m:], nil
}

// encodeResponse is status u16 ‖ sig-length u16 ‖ sig ‖ body.
func encodeResponse(status int, sig string, body []byte) []byte {
	b := make([]byte, 0, 4+len(sig)+len(body))
	b = binary.BigEndian.AppendUint16(b, uint16(status))
	b = binary.BigEndian.AppendUint16(b, uint16(len(sig)))
	b = append(b, sig...)
	return append(b, body...)
}

// parseResponse reverses encodeResponse.
func parseResponse(pt []byte) (status int, sig string, body []byte, err error) {
	if len(pt) < 4 {
		return 0, "", nil, errors.New("truncated response")
	}
	status = int(binary.BigEndian.Uint16(pt))
	m := int(binary.BigEndian.Uint16(pt[2:]))
	if m > maxSig || len(pt) < 4+m {
		return 0, "", nil, errors.New("truncated or oversize response signature")
	}
	if status != 200 && (status < 400 || status > 599) {
		return 0, "", nil, fmt.Errorf("status %d", status)
	}
	return status, string(pt[4 : 4+m]), pt[4+m:], nil
}

// window is a sliding anti-replay window (RFC 4303 §3.4.3, RFC 6347
// §4.1.2.6): top is the highest sequence number accepted, bit i of bits
// stands for top-i.
type window struct {
	top  uint64
	bits [ReplayWindow / 64]uint64
}

// check reports whether seq may be accepted, without recording it.
func (w *window) check(seq uint64) string {
	switch {
	case seq == 0:
		return CodeBadMessage
	case seq > w.top:
		return ""
	case w.top-seq >= ReplayWindow:
		return CodeSeqTooOld
	}
	i := w.top - seq
	if w.bits[i/64]&(1<<(i%64)) != 0 {
		return CodeSeqReplayed
	}
	return ""
}

// mark records seq, which check accepted.
func (w *window) mark(seq uint64) {
	if seq > w.top {
		d := seq - w.top
		if d >= ReplayWindow {
			w.bits = [ReplayWindow / 64]uint64{}
		} else {
			ws, bs := int(d/64), d%64
			for i := len(w.bits) - 1; i >= 0; i-- {
				var v uint64
				if src := i - ws; src >= 0 {
					v = w.bits[src] << bs
					if bs > 0 && src > 0 {
						v |= w.bits[src-1] >> (64 - bs)
					}
				}
				w.bits[i] = v
			}
		}
		w.top = seq
	}
	i := w.top - seq
	w.bits[i/64] |= 1 << (i % 64)
}

// jtiCache remembers the hellos' jtis until they expire, bounded: when it
// is full of unexpired entries it refuses (fails closed) rather than
// forgetting.
type jtiCache struct {
	max  int
	seen map[string]int64 // iss|jti → exp
	gc   int64
}

// add records key with its expiry; it returns a refusal for a replay or a
// full cache.
func (c *jtiCache) add(key string, exp, now int64) *refusal {
	lw := int64(leeway / time.Second)
	if c.seen == nil {
		c.seen = map[string]int64{}
	}
	if e, ok := c.seen[key]; ok && e+lw >= now {
		return refuse(401, CodeReplayed, "this hello was already used")
	}
	if len(c.seen) >= c.max || now-c.gc > 60 {
		for k, e := range c.seen {
			if e+lw < now {
				delete(c.seen, k)
			}
		}
		c.gc = now
		if len(c.seen) >= c.max {
			return refuse(503, CodeBusy, "too many recent handshakes; try again shortly")
		}
	}
	c.seen[key] = exp
	return nil
}

// readBody reads a message body of at most limit bytes from r: into one
// buffer of the announced length when the sender gave one within the
// limit (no growing and copying of a large message), else as io.ReadAll
// does. r enforces the limit.
func readBody(r io.Reader, contentLength, limit int64) ([]byte, error) {
	if contentLength < 0 || contentLength > limit {
		return io.ReadAll(r)
	}
	b := make([]byte, contentLength, contentLength+1)
	if _, err := io.ReadFull(r, b); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return nil, fmt.Errorf("the body ended before its %d bytes: %w", contentLength, io.ErrUnexpectedEOF)
		}
		return nil, err
	}
	// Anything past the announced length is an error, as net/http makes it.
	var one [1]byte
	if n, _ := r.Read(one[:]); n > 0 {
		return nil, errors.New("the body is longer than its Content-Length")
	}
	return b, nil
}
