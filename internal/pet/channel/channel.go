package channel

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xborder/xborder/internal/jws"
	"github.com/xborder/xborder/internal/suite"
)

// JOSE typ of the handshake tokens and of the per-message signatures.
const (
	HelloTyp   = "xborder-pet-hello+jwt"
	WelcomeTyp = "xborder-pet-welcome+jwt"
	ReceiptTyp = "xborder-pet-receipt+jws"
)

// Limits and defaults.
const (
	// MaxHandshake bounds a hello or welcome token.
	MaxHandshake = 16 << 10
	// MaxBinding bounds the binding string, in bytes.
	MaxBinding = 256
	// MaxOp bounds an operation name, in bytes (it travels behind a u8).
	MaxOp = 255
	// DefaultMaxMessage bounds a call's payload and a response's body.
	DefaultMaxMessage = 8 << 20
	// ReplayWindow is the width of the server's anti-replay window in
	// sequence numbers.
	ReplayWindow = 1024
	// DefaultIdleTimeout, DefaultMaxLifetime, DefaultMaxMessages and
	// DefaultMaxSessions are the ServerOptions defaults.
	DefaultIdleTimeout = 2 * time.Minute
	DefaultMaxLifetime = 30 * time.Minute
	DefaultMaxMessages = 1 << 24
	DefaultMaxSessions = 1024

	// helloLifetime bounds exp - iat of both handshake tokens; leeway is
	// the clock skew allowed on iat and exp.
	helloLifetime = 5 * time.Minute
	leeway        = 30 * time.Second
	// overhead is what a sealed message carries beyond its payload: the
	// sequence number, op, signature (a detached JWS whose header holds a
	// DID URL) and tag. A body may exceed MaxMessage by this much.
	overhead = 16 << 10
	// maxSig bounds a detached signature inside a message.
	maxSig = 8 << 10
	// sidBytes is the entropy of a session id (base64url in the path).
	sidBytes = 16
	// labelC2S and labelS2C are the KDF info strings.
	labelC2S = "xborder pet channel v1 c2s"
	labelS2C = "xborder pet channel v1 s2c"
	nonceLen = 12
)

// Config describes one party: its suite, DID, signing key, and how it
// resolves its peers' verification methods. The same Config serves Dial
// and NewServer.
type Config struct {
	// Suite is suite.Intl or suite.GM; a session speaks exactly this suite.
	Suite *suite.Suite
	// DID is this party's DID; KeyID is the verification method (a DID URL
	// of DID) that Signer's key is published under.
	DID   string
	KeyID string
	// Signer signs the handshake and, unless UnsignedMessages, every
	// message, with this party's identity key: Ed25519, P-256 or SM2.
	Signer suite.Signer
	// StrictSignatures refuses peers (and a Signer) whose signature
	// algorithm is not the suite's (gm: SM2 only). Without it each party
	// signs with its own identity key, whatever its suite, while the
	// session's key agreement, KDF and AEAD are always the suite's: a gm
	// node can then serve a partner abroad that has no SM2 key, and every
	// session with it still runs on SM2 key agreement, SM3 and SM4-GCM.
	StrictSignatures bool
	// Resolve returns a peer's verification method (for example
	// (*identity.Resolver).ResolveKey).
	Resolve jws.Resolver
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxMessage bounds a payload in either direction; 0 means
	// DefaultMaxMessage.
	MaxMessage int
	// Logger receives refusals and handler failures (never keys or
	// payloads); nil discards.
	Logger *slog.Logger
	// UnsignedMessages asks (Dial) for a session without per-message
	// signatures: the AEAD still authenticates every message, but neither
	// side gets a signed receipt. A server accepts such a hello only with
	// ServerOptions.AllowUnsigned.
	UnsignedMessages bool
	// Keys, when set, verifies the peers' per-message signatures with
	// prepared keys (Ed25519 verification is then about 3 times faster);
	// share one among sessions. NewServer makes one of 64 keys when nil;
	// a Session without it verifies as suite.Verify does.
	Keys *suite.VerifierCache

	// testHook, when set by this package's tests, sees the secrets this
	// package wiped (after wiping them).
	testHook func(event string, wiped ...[]byte)
}

func (c *Config) check() error {
	switch {
	case c.Suite == nil:
		return errors.New("no suite")
	case !strings.HasPrefix(c.DID, "did:"):
		return fmt.Errorf("DID %q is not a DID", trunc(c.DID))
	case !strings.HasPrefix(c.KeyID, c.DID+"#"):
		return fmt.Errorf("key id %q is not a verification method of %s", trunc(c.KeyID), trunc(c.DID))
	case c.Signer == nil:
		return errors.New("no signer")
	case !slices.Contains(c.sigAlgs(c.Suite), c.Signer.Alg()):
		return fmt.Errorf("the %s key cannot sign in suite %s (it accepts %v)", c.Signer.Alg(), c.Suite.Name(), c.sigAlgs(c.Suite))
	case c.Resolve == nil:
		return errors.New("no resolver for the peers' keys")
	case c.MaxMessage < 0:
		return errors.New("negative MaxMessage")
	}
	return nil
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) maxMessage() int {
	if c.MaxMessage > 0 {
		return c.MaxMessage
	}
	return DefaultMaxMessage
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (c *Config) hook(event string, wiped ...[]byte) {
	if c.testHook != nil {
		c.testHook(event, wiped...)
	}
}

// Error is an application error: what a Handler returns to refuse or fail
// a call, with a stable Code and a message in English and in Chinese. It
// travels sealed (and signed) to the caller, whose Call returns an equal
// *Error.
type Error struct {
	Status    int    `json:"status"` // an HTTP-like status, 400..599
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageZH string `json:"message_zh,omitempty"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("channel: peer error %d %s: %s", e.Status, e.Code, e.Message)
}

// RefusedError is a transport-level refusal: the peer answered with a
// plain HTTP error (bad handshake, unknown or expired session, replay,
// undecryptable or oversize message, too many sessions).
type RefusedError struct {
	Status  int    // the HTTP status
	Code    string // one of the Code constants
	Message string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("channel: refused (HTTP %d, %s): %s", e.Status, e.Code, e.Message)
}

// Codes of transport refusals ({"error": code} in the HTTP body).
const (
	CodeMalformed       = "malformed"
	CodeUnauthenticated = "unauthenticated"
	CodeIssuer          = "wrong_issuer"
	CodeAudience        = "wrong_audience"
	CodeExpired         = "expired"
	CodeNotYetValid     = "not_yet_valid"
	CodeLifetime        = "lifetime_too_long"
	CodeReplayed        = "replayed"
	CodeSuite           = "suite_mismatch"
	CodeKeyAgreement    = "key_agreement_not_allowed"
	CodeAlgorithm       = "algorithm_not_allowed"
	CodeForbidden       = "forbidden"
	CodeSignatures      = "signatures_required"
	CodeTooManySessions = "too_many_sessions"
	CodeBusy            = "busy"
	CodeUnknownSession  = "unknown_session"
	CodeSeqReplayed     = "seq_replayed"
	CodeSeqTooOld       = "seq_too_old"
	CodeBadMessage      = "bad_message"
	CodeBadSignature    = "bad_signature"
	CodeTooLarge        = "too_large"
	CodeExhausted       = "session_exhausted"
	CodeNotFound        = "not_found"
	CodeMethod          = "method_not_allowed"
	CodeClosed          = "closed"
)

// Receipt is the signed record of one call. The caller signs the request
// statement (RequestSignature), the callee the response statement
// (ResponseSignature); both are detached compact JWS over the statement
// bytes (see the package documentation), so a third party holding the
// receipt and the two DIDs can check them with Verify.
type Receipt struct {
	SessionID string
	Suite     string
	Caller    string // DID of the party that called
	Callee    string // DID of the party that answered
	Binding   string
	Seq       uint64
	Op        string
	// RequestDigest is the suite hash (SHA-256 or SM3) of the payload.
	RequestDigest    []byte
	RequestSignature string // "" in an unsigned session
	// Status is 200 for a result, the Error's Status otherwise; 0 while
	// the handler runs.
	Status            int
	ResponseDigest    []byte // hash of the result, or of the Error's JSON
	ResponseSignature string
}

// Statement returns the bytes a signature of the receipt covers: the
// request statement, or the response statement when response is true.
func (r *Receipt) Statement(response bool) []byte {
	b := make([]byte, 0, 256+len(r.Caller)+len(r.Callee)+len(r.Binding)+len(r.Op))
	b = append(b, "xborder-pet-receipt-v1"...)
	b = append(b, 0)
	if response {
		b = append(b, 'R')
	} else {
		b = append(b, 'Q')
	}
	for _, s := range []string{r.SessionID, r.Suite, r.Caller, r.Callee, r.Binding} {
		b = appendLP(b, []byte(s))
	}
	b = binary.BigEndian.AppendUint64(b, r.Seq)
	b = appendLP(b, []byte(r.Op))
	b = appendLP(b, r.RequestDigest)
	if response {
		b = binary.BigEndian.AppendUint16(b, uint16(r.Status))
		b = appendLP(b, r.ResponseDigest)
	}
	return b
}

func appendLP(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

// Verify checks the receipt's signatures against the caller's and
// callee's keys from resolve: each signature's kid must be a verification
// method of the DID it stands for. A receipt of an unsigned session, or
// one without its response yet, fails.
func (r *Receipt) Verify(ctx context.Context, resolve jws.Resolver) error {
	if _, err := suite.ByName(r.Suite); err != nil {
		return fmt.Errorf("verifying a receipt: %w", err)
	}
	if r.RequestSignature == "" || r.ResponseSignature == "" {
		return errors.New("verifying a receipt: it is not signed on both sides")
	}
	for _, c := range []struct {
		sig, did string
		resp     bool
	}{{r.RequestSignature, r.Caller, false}, {r.ResponseSignature, r.Callee, true}} {
		v, err := jws.Verify(ctx, c.sig, resolve, jws.Expect{Typ: ReceiptTyp, Detached: r.Statement(c.resp), Algs: allSigAlgs(), MaxBytes: maxSig})
		if err != nil {
			return fmt.Errorf("verifying a receipt's signature by %s: %w", trunc(c.did), err)
		}
		if kidDID(v.Header.Kid) != c.did {
			return fmt.Errorf("verifying a receipt: signed with a key of %s, not of %s", trunc(kidDID(v.Header.Kid)), trunc(c.did))
		}
	}
	return nil
}

func kidDID(kid string) string {
	d, _, _ := strings.Cut(kid, "#")
	return d
}

var b64 = base64.RawURLEncoding.Strict()

func randomID(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return b64.EncodeToString(b), nil
}

func validSID(s string) bool {
	if len(s) != b64.EncodedLen(sidBytes) {
		return false
	}
	_, err := b64.DecodeString(s)
	return err == nil
}

func trunc(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	for i := max; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return "…"
}

func wipe(bs ...[]byte) {
	for _, b := range bs {
		clear(b)
	}
}

// allSigAlgs are the signature algorithms of every suite.
func allSigAlgs() []suite.Alg {
	var out []suite.Alg
	for _, s := range suite.Suites() {
		for _, a := range s.SigAlgs() {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// sigAlgs are the signature algorithms accepted in a session of suite st.
func (c *Config) sigAlgs(st *suite.Suite) []suite.Alg {
	if c.StrictSignatures {
		return st.SigAlgs()
	}
	return allSigAlgs()
}
