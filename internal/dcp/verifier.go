package dcp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/sitoken"
	"github.com/xborder/xborder/internal/statuslist"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/trust"
	"github.com/xborder/xborder/internal/vc"
)

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	DID    string       // the verifier's DID
	KeyID  string       // its key, a DID URL of DID
	Signer suite.Signer // that key, for its self-issued ID tokens
	// Resolver resolves DID documents (credential services, keys).
	Resolver *identity.Resolver
	// Processor verifies presentations and credentials; nil makes one
	// with the SM2 suite.
	Processor *vc.Processor
	// Registry returns the trust registry in force (nil: no issuer is
	// trusted).
	Registry func() *trust.Registry
	// Client makes the queries; nil uses one with a 10 s timeout.
	Client *http.Client
	// Status checks the credentials' credentialStatus entries (Bitstring
	// Status List). Nil: a credential that has a status entry is set aside,
	// since its revocation cannot be checked (fail closed).
	Status *statuslist.Checker
	// CacheTTL keeps a holder's verified credentials this long (default 2
	// minutes; negative: no cache), so that a burst of requests costs one
	// query.
	CacheTTL time.Duration
	Now      func() time.Time
}

// Verifier obtains and verifies the credentials of callers.
type Verifier struct {
	cfg VerifierConfig

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	v     *Verified
	until time.Time
}

// VerifiedCredential is a credential that verified and whose issuer the
// registry trusts for its types in the jurisdiction it claims.
type VerifiedCredential struct {
	Types      []string
	Issuer     string
	Subject    map[string]any
	ValidUntil time.Time
	Anchor     trust.Anchor
}

// Verified is what a holder proved: its credentials that verified, and
// why the others were set aside.
type Verified struct {
	Holder      string
	Credentials []VerifiedCredential
	Rejected    []string
}

// Jurisdiction returns the jurisdiction claimed by the holder's first
// verified credential of type t ("" if none).
func (v *Verified) Jurisdiction(t string) string {
	for _, c := range v.Credentials {
		if slices.Contains(c.Types, t) {
			s, _ := c.Subject["jurisdiction"].(string)
			return s
		}
	}
	return ""
}

// NewVerifier checks cfg and returns a Verifier.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.DID == "" || cfg.Signer == nil || !strings.HasPrefix(cfg.KeyID, cfg.DID+"#") || cfg.Resolver == nil {
		return nil, errors.New("dcp: a verifier needs its DID, a key of it and a DID resolver")
	}
	if cfg.Processor == nil {
		p, err := vc.New(vc.WithSM2())
		if err != nil {
			return nil, err
		}
		cfg.Processor = p
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = 2 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Verifier{cfg: cfg, cache: map[string]cached{}}, nil
}

// ServiceURL finds the holder's credential service in its DID document.
func (v *Verifier) ServiceURL(ctx context.Context, holder string) (string, error) {
	res, err := v.cfg.Resolver.Resolve(ctx, holder)
	if err != nil {
		return "", fmt.Errorf("dcp: resolving %s: %w", holder, err)
	}
	for _, s := range res.Document.Service {
		if slices.Contains(s.Type, ServiceType) && s.ServiceEndpoint.URI != "" {
			return s.ServiceEndpoint.URI, nil
		}
	}
	return "", fmt.Errorf("dcp: %s has no %s in its DID document", holder, ServiceType)
}

// Cached returns the holder's verified credentials still in the cache.
func (v *Verifier) Cached(holder string) *Verified {
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.cache[holder]
	if !ok || !v.cfg.Now().Before(c.until) {
		return nil
	}
	return c.v
}

// Query asks the holder's credential service at serviceURL for its
// credentials of the given types with the access token the holder gave,
// and verifies the answer.
func (v *Verifier) Query(ctx context.Context, holder, accessToken, serviceURL string, types []string) (*Verified, error) {
	if accessToken == "" {
		return nil, errors.New("dcp: the caller's token carries no access token for its credential service")
	}
	now := v.cfg.Now()
	si, err := sitoken.Issue(v.cfg.Signer, v.cfg.KeyID, v.cfg.DID, holder, 2*time.Minute, now, accessToken)
	if err != nil {
		return nil, err
	}
	nonce, err := jtiOf(si)
	if err != nil {
		return nil, err
	}
	scopes := make([]string, len(types))
	for i, t := range types {
		scopes[i] = Scope(t)
	}
	body, _ := json.Marshal(PresentationQueryMessage{Scope: scopes})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(serviceURL, "/")+QueryPath, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("dcp: credential service %q: %w", serviceURL, err)
	}
	req.Header.Set("Authorization", "Bearer "+si)
	req.Header.Set("Content-Type", "application/json")
	resp, err := v.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("dcp: querying %s's credential service: %w", holder, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("dcp: reading %s's presentation: %w", holder, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("dcp: %s's credential service answered %d", holder, resp.StatusCode)
	}
	msg, err := ParseResponse(data)
	if err != nil {
		return nil, err
	}
	ver, err := v.verify(ctx, holder, nonce, msg.Presentation[0], now)
	if err != nil {
		return nil, err
	}
	if v.cfg.CacheTTL > 0 {
		v.mu.Lock()
		if len(v.cache) > 10000 {
			clear(v.cache)
		}
		v.cache[holder] = cached{ver, now.Add(v.cfg.CacheTTL)}
		v.mu.Unlock()
	}
	return ver, nil
}

// verify checks one presentation and its credentials.
func (v *Verifier) verify(ctx context.Context, holder, nonce string, raw json.RawMessage, now time.Time) (*Verified, error) {
	p := v.cfg.Processor
	opts := vc.PresentationOptions{Now: now, Challenge: nonce, Domain: v.cfg.DID, HolderResolver: vc.KeysFor(v.cfg.Resolver, identity.Authentication),
		RequireHolderKey: true, RequireSubjectHolder: true, RequireIssuerKey: true}
	var res *vc.PresentationResult
	var err error
	var tok string
	if json.Unmarshal(raw, &tok) == nil {
		res, err = p.VerifyPresentationJWT(ctx, []byte(tok), v.cfg.Resolver, opts)
	} else {
		res, err = p.VerifyPresentation(ctx, raw, v.cfg.Resolver, opts)
	}
	if err == nil && !res.Verified {
		err = res.Err
	}
	if err != nil {
		return nil, fmt.Errorf("dcp: %s's presentation: %w", holder, err)
	}
	if res.Holder != holder {
		return nil, fmt.Errorf("dcp: the presentation is %s's, not the caller %s's", res.Holder, holder)
	}
	out := &Verified{Holder: holder}
	var reg *trust.Registry
	if v.cfg.Registry != nil {
		reg = v.cfg.Registry()
	}
	for _, c := range res.Credentials {
		if c == nil || !c.Verified {
			out.Rejected = append(out.Rejected, "a credential did not verify")
			continue
		}
		if entries, err := statuslist.EntriesOf(c.Credential); err != nil || len(entries) > 0 {
			switch {
			case err != nil:
				out.Rejected = append(out.Rejected, c.Issuer+": malformed credentialStatus: "+err.Error())
				continue
			case v.cfg.Status == nil:
				out.Rejected = append(out.Rejected, c.Issuer+": the credential's status cannot be checked here")
				continue
			}
			if _, err := v.cfg.Status.Check(ctx, c.Credential); err != nil {
				out.Rejected = append(out.Rejected, c.Issuer+": "+err.Error())
				continue
			}
		}
		subj, _ := c.Credential["credentialSubject"].(map[string]any)
		types := typesOf(c.Credential)
		j, _ := subj["jurisdiction"].(string)
		if reg == nil {
			out.Rejected = append(out.Rejected, c.Issuer+": no trust registry")
			continue
		}
		a, err := reg.Accept(c.Issuer, types, strings.ToUpper(j), now)
		if err != nil {
			out.Rejected = append(out.Rejected, err.Error())
			continue
		}
		out.Credentials = append(out.Credentials, VerifiedCredential{Types: types, Issuer: c.Issuer, Subject: subj, ValidUntil: c.ValidUntil, Anchor: a})
	}
	return out, nil
}

// jtiOf reads the jti of a compact JWT this package issued.
func jtiOf(tok string) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", errors.New("dcp: malformed token")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var c struct {
		Jti string `json:"jti"`
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Jti == "" {
		return "", errors.New("dcp: token without jti")
	}
	return c.Jti, nil
}
