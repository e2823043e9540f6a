package transfer

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/suite"
)

// Token uses.
const (
	UseAccess  = "access"  // GET a stream (pull) or POST one (push)
	UseRefresh = "refresh" // obtain a new access token
)

const (
	tokenPrefix    = "xbt1"
	maxTokenLength = 8 << 10
)

// Claims are the contents of an access or refresh token.
type Claims struct {
	Suite      string `json:"s"`
	TransferID string `json:"tid"`
	Use        string `json:"use"`
	Subject    string `json:"sub,omitempty"` // the DID the token was issued to
	IssuedAt   int64  `json:"iat"`
	Expires    int64  `json:"exp"`
	ID         string `json:"jti"`
}

// Tokens issues and verifies short-lived bearer tokens for one party's
// endpoints. A token is
//
//	"xbt1." || suite || "." || base64url(JSON claims) || "." || base64url(MAC)
//
// where MAC is HMAC (RFC 2104) over everything before the last dot, with
// the suite's hash (HMAC-SHA256 for intl, HMAC-SM3 for gm) and the key
// KDF(master, salt = "", info = "xborder transfer v1 token", 32) under that
// suite. A token is only ever checked by the party that issued it, so a
// MAC suffices; replicas share the master key. Tokens are safe for
// concurrent use.
type Tokens struct {
	keys map[string][]byte
	now  func() time.Time
}

// NewTokens derives the MAC keys from master (at least 32 bytes; nil
// draws a random one, which then lives only in this process). now is the
// clock (time.Now when nil).
func NewTokens(master []byte, now func() time.Time) (*Tokens, error) {
	if master == nil {
		master = make([]byte, 32)
		if _, err := rand.Read(master); err != nil {
			return nil, err
		}
	}
	if len(master) < 32 {
		return nil, fmt.Errorf("transfer: token key of %d bytes, want at least 32", len(master))
	}
	if now == nil {
		now = time.Now
	}
	t := &Tokens{keys: map[string][]byte{}, now: now}
	for _, s := range suite.Suites() {
		k, err := s.KDF(master, nil, labelToken, 32)
		if err != nil {
			return nil, err
		}
		t.keys[s.Name()] = k
	}
	return t, nil
}

// Issue makes a token for transferID under suite s.
func (t *Tokens) Issue(s *suite.Suite, transferID, use, subject string, ttl time.Duration) (string, time.Time, error) {
	if s == nil || t.keys[s.Name()] == nil {
		return "", time.Time{}, errors.New("transfer: issuing a token: unknown suite")
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", time.Time{}, err
	}
	now := t.now()
	exp := now.Add(ttl)
	c := Claims{Suite: s.Name(), TransferID: transferID, Use: use, Subject: subject,
		IssuedAt: now.Unix(), Expires: exp.Unix(), ID: hex.EncodeToString(jti[:])}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", time.Time{}, err
	}
	signed := tokenPrefix + "." + s.Name() + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signed + "." + base64.RawURLEncoding.EncodeToString(t.mac(s, signed)), time.Unix(c.Expires, 0), nil
}

func (t *Tokens) mac(s *suite.Suite, signed string) []byte {
	m := hmac.New(func() hash.Hash { return s.Hash() }, t.keys[s.Name()])
	m.Write([]byte(signed))
	return m.Sum(nil)
}

// Verify checks a token's MAC, expiry, use and transfer. It returns
// errors wrapping ErrTokenInvalid (malformed or forged), ErrTokenExpired
// or ErrTokenScope (another transfer or use).
func (t *Tokens) Verify(token, use, transferID string) (*Claims, error) {
	if len(token) > maxTokenLength {
		return nil, fmt.Errorf("transfer: %w: %d bytes", ErrTokenInvalid, len(token))
	}
	parts := strings.Split(token, ".")
	if len(parts) != 4 || parts[0] != tokenPrefix {
		return nil, fmt.Errorf("transfer: %w: not an xbt1 token", ErrTokenInvalid)
	}
	s, err := suite.ByName(parts[1])
	if err != nil {
		return nil, fmt.Errorf("transfer: %w: %v", ErrTokenInvalid, err)
	}
	mac, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil || !hmac.Equal(mac, t.mac(s, token[:len(token)-len(parts[3])-1])) {
		return nil, fmt.Errorf("transfer: %w: MAC does not verify", ErrTokenInvalid)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("transfer: %w: %v", ErrTokenInvalid, err)
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil || c.Suite != s.Name() {
		return nil, fmt.Errorf("transfer: %w: bad claims", ErrTokenInvalid)
	}
	if !t.now().Before(time.Unix(c.Expires, 0)) {
		return nil, fmt.Errorf("transfer: %w at %s", ErrTokenExpired, time.Unix(c.Expires, 0).UTC().Format(time.RFC3339))
	}
	if c.Use != use {
		return nil, fmt.Errorf("transfer: %w: a %s token, not %s", ErrTokenScope, c.Use, use)
	}
	if c.TransferID != transferID {
		return nil, fmt.Errorf("transfer: %w: token is for transfer %q", ErrTokenScope, c.TransferID)
	}
	return &c, nil
}
