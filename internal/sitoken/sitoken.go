// Package sitoken issues and verifies the self-issued ID tokens that carry
// a caller's identity on every Dataspace Protocol request (issue 6 item 3),
// as the Decentralized Claims Protocol (DCP v1.0) specifies: a JWT signed
// with a key of the caller's DID document, with iss = sub = the caller's
// DID, aud = the verifier's DID, a unique jti, iat and exp; optionally a
// "token" claim the verifier presents to the caller's credential service to
// obtain the credentials its policy needs.
//
// Verification resolves the key named by the JOSE kid (a DID URL of the
// issuer's document), requires the kid's DID to be the issuer, bounds the
// lifetime, allows a small clock skew, and refuses a jti seen before within
// its lifetime (a replay), keeping a bounded replay cache.
package sitoken

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/jws"
	"github.com/xborder/xborder/internal/suite"
)

// Claims are the token's claims.
type Claims struct {
	Iss   string   `json:"iss"`
	Sub   string   `json:"sub"`
	Aud   Audience `json:"aud"`
	Jti   string   `json:"jti"`
	Iat   int64    `json:"iat"`
	Exp   int64    `json:"exp"`
	Nbf   int64    `json:"nbf,omitempty"`
	Token string   `json:"token,omitempty"` // access token for the caller's credential service
}

// Audience is a JWT aud: one string or an array of strings.
type Audience []string

// MarshalJSON writes one audience as a string.
func (a Audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// UnmarshalJSON reads a string or an array of strings.
func (a *Audience) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = Audience{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = l
	return nil
}

// Typ is the JOSE typ of the tokens.
const Typ = "JWT"

// Issue signs a self-issued ID token for the caller DID iss, with key kid
// (a DID URL in iss's document), for the verifier aud, valid for ttl.
func Issue(s suite.Signer, kid, iss, aud string, ttl time.Duration, now time.Time, accessToken string) (string, error) {
	if !strings.HasPrefix(kid, iss+"#") {
		return "", fmt.Errorf("sitoken: kid %q is not a key of %s", kid, iss)
	}
	var j [16]byte
	if _, err := rand.Read(j[:]); err != nil {
		return "", err
	}
	c := Claims{Iss: iss, Sub: iss, Aud: Audience{aud}, Jti: base64.RawURLEncoding.EncodeToString(j[:]),
		Iat: now.Unix(), Exp: now.Add(ttl).Unix(), Token: accessToken}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return jws.Sign(payload, s, jws.Header{Kid: kid, Typ: Typ})
}

// Error codes of a refused token; callers map them to HTTP statuses (DSP:
// an unauthorized request to a process is a 404).
const (
	CodeMalformed = "token_malformed"
	CodeSignature = "token_signature"
	CodeIssuer    = "token_issuer"
	CodeAudience  = "token_audience"
	CodeExpired   = "token_expired"
	CodeNotYet    = "token_not_yet_valid"
	CodeLifetime  = "token_lifetime"
	CodeReplay    = "token_replayed"
)

// Error is a refused token.
type Error struct {
	Code string
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "sitoken: " + e.Code + ": " + e.Msg + ": " + e.Err.Error()
	}
	return "sitoken: " + e.Code + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Verifier checks tokens addressed to one audience.
type Verifier struct {
	Audience string       // the verifier's DID
	Resolve  jws.Resolver // resolves the kid (a DID URL) to a key
	Now      func() time.Time
	// MaxLifetime bounds exp - iat (default 5 min); Leeway is the allowed
	// clock skew (default 30 s).
	MaxLifetime, Leeway time.Duration
	// Keys, when set, verifies signatures with prepared keys (faster for
	// callers that call often).
	Keys *suite.VerifierCache
	// MaxReplay bounds the replay cache (default 1,000,000 jtis); when it is
	// full of unexpired jtis, new tokens are refused rather than the cache
	// forgetting (fail closed).
	MaxReplay int

	mu   sync.Mutex
	seen map[string]int64 // issuer|jti → exp
	gc   int64
}

// Verify checks a token and returns its claims.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	maxLife, leeway, maxReplay := v.MaxLifetime, v.Leeway, v.MaxReplay
	if maxLife == 0 {
		maxLife = 5 * time.Minute
	}
	if leeway == 0 {
		leeway = 30 * time.Second
	}
	if maxReplay == 0 {
		maxReplay = 1_000_000
	}
	h, err := jws.ParseHeader(token)
	if err != nil {
		return nil, &Error{Code: CodeMalformed, Msg: "not a compact JWS", Err: err}
	}
	want := jws.Expect{Typ: Typ, MaxBytes: 8 << 10}
	if v.Keys != nil {
		want.VerifySig = v.Keys.Verify
	}
	vt, err := jws.Verify(ctx, token, v.Resolve, want)
	if err != nil {
		return nil, &Error{Code: CodeSignature, Msg: "the signature does not verify with the issuer's key", Err: err}
	}
	var c Claims
	dec := json.NewDecoder(bytes.NewReader(vt.Payload))
	if err := dec.Decode(&c); err != nil {
		return nil, &Error{Code: CodeMalformed, Msg: "claims", Err: err}
	}
	if c.Iss == "" || c.Iss != c.Sub || !strings.HasPrefix(c.Iss, "did:") {
		return nil, &Error{Code: CodeIssuer, Msg: "iss and sub must be the same DID"}
	}
	if did, _, _ := strings.Cut(h.Kid, "#"); did != c.Iss {
		return nil, &Error{Code: CodeIssuer, Msg: fmt.Sprintf("signed with a key of %s, not of the issuer", did)}
	}
	if !slices.Contains(c.Aud, v.Audience) {
		return nil, &Error{Code: CodeAudience, Msg: "the token is not addressed to this verifier"}
	}
	if c.Jti == "" || len(c.Jti) > 256 {
		return nil, &Error{Code: CodeMalformed, Msg: "jti missing or too long"}
	}
	t := now().Unix()
	lw := int64(leeway / time.Second)
	switch {
	case c.Exp == 0 || c.Iat == 0:
		return nil, &Error{Code: CodeMalformed, Msg: "iat and exp are required"}
	case t > c.Exp+lw:
		return nil, &Error{Code: CodeExpired, Msg: "the token has expired"}
	case c.Iat > t+lw || (c.Nbf != 0 && c.Nbf > t+lw):
		return nil, &Error{Code: CodeNotYet, Msg: "the token is not valid yet"}
	case c.Exp-c.Iat > int64(maxLife/time.Second) || c.Exp < c.Iat:
		return nil, &Error{Code: CodeLifetime, Msg: fmt.Sprintf("lifetime %ds exceeds %s", c.Exp-c.Iat, maxLife)}
	}
	key := c.Iss + "|" + c.Jti
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen == nil {
		v.seen = map[string]int64{}
	}
	if exp, ok := v.seen[key]; ok && exp+lw >= t {
		return nil, &Error{Code: CodeReplay, Msg: "this token was already used"}
	}
	if len(v.seen) >= maxReplay || t-v.gc > 60 {
		for k, exp := range v.seen {
			if exp+lw < t {
				delete(v.seen, k)
			}
		}
		v.gc = t
		if len(v.seen) >= maxReplay {
			return nil, &Error{Code: CodeReplay, Msg: "replay cache full; try again shortly"}
		}
	}
	v.seen[key] = c.Exp
	return &c, nil
}

// FromHeader extracts the token from an Authorization header value
// ("Bearer <token>", or the bare token as DSP implementations send it).
func FromHeader(h string) string {
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return strings.TrimSpace(h)
}
