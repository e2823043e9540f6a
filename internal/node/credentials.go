package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/dcp"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/sitoken"
	"github.com/xborder/xborder/internal/statuslist"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/trust"
	"github.com/xborder/xborder/internal/vc"
)

// Credentials on the wire (Decentralized Claims Protocol): the node is a
// holder — its credential service at /dcp presents its credentials to the
// providers it calls, which find the access token in its self-issued ID
// tokens — and a verifier: the compliance gate takes the consumer's
// jurisdiction from a MembershipCredential the consumer presents, whose
// issuer the pinned trust registry trusts in that jurisdiction.

// TrustConfig pins a signed trust registry (internal/trust).
type TrustConfig struct {
	// Registry is the file of the signed registry.
	Registry string `yaml:"registry"`
	// ID is the registry id expected.
	ID string `yaml:"id"`
	// Operators are the did:key DIDs of the operator keys trusted to sign it.
	Operators []string `yaml:"operators"`
}

func (t TrustConfig) validate() error {
	if t.Registry == "" && t.ID == "" && len(t.Operators) == 0 {
		return nil
	}
	if t.Registry == "" || t.ID == "" || len(t.Operators) == 0 {
		return errors.New("config: trust needs registry, id and operators together")
	}
	for i, o := range t.Operators {
		if _, err := identity.ParseKeyDID(o); err != nil {
			return fmt.Errorf("config: trust.operators[%d]: %w", i, err)
		}
	}
	return nil
}

// MembershipCredential is the credential type a participant proves its
// jurisdiction with (credentialSubject.jurisdiction, ISO 3166-1 alpha-2).
const MembershipCredential = "MembershipCredential"

// dcpPath is where the credential service is mounted on the public listener.
const dcpPath = "/dcp"

// credentials are the node's holder and verifier.
type credentials struct {
	holder   *dcp.Holder
	verifier *dcp.Verifier
	log      *slog.Logger

	mu     sync.Mutex
	tokens map[string]string // the latest access token each caller sent
}

// openCredentials loads the node's credentials and the trust registry.
func (n *Node) openCredentials(ctx context.Context, signer suite.Signer, kid string, client *http.Client) (*credentials, error) {
	var creds []dcp.Credential
	for _, f := range n.cfg.Credentials {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("node: credential: %w", err)
		}
		c, err := dcp.ParseCredential(b)
		if err != nil {
			return nil, fmt.Errorf("node: credential %s: %w", f, err)
		}
		creds = append(creds, c)
	}
	var reg *trust.Registry
	if t := n.cfg.Trust; t.Registry != "" {
		var keys []trust.OperatorKey
		for _, o := range t.Operators {
			k, _ := identity.ParseKeyDID(o)
			keys = append(keys, trust.OperatorKey{KeyID: k.DID, Alg: k.Alg, Public: k.PublicKey})
		}
		raw, err := os.ReadFile(t.Registry)
		if err != nil {
			return nil, fmt.Errorf("node: trust registry: %w", err)
		}
		hw := &trust.FileHighWater{Path: filepath.Join(n.cfg.DataDir, "trust", "highwater.json")}
		if reg, err = trust.Load(ctx, raw, trust.VerifyOptions{ID: t.ID, Keys: keys}, hw); err != nil {
			return nil, fmt.Errorf("node: trust registry %s: %w", t.Registry, err)
		}
	}
	log := n.log.With(slog.String("component", "dcp"))
	// One processor (pinned contexts, SM2 suite) for presenting, verifying
	// and status lists.
	proc, err := vc.New(vc.WithSM2())
	if err != nil {
		return nil, err
	}
	h, err := dcp.NewHolder(dcp.HolderConfig{DID: n.cfg.DID, KeyID: kid, Signer: signer, Credentials: creds, Logger: log, Processor: proc,
		Tokens: &sitoken.Verifier{Audience: n.cfg.DID, Resolve: n.resolver.ResolveKey, Keys: suite.NewVerifierCache(256)}})
	if err != nil {
		return nil, fmt.Errorf("node: credential service: %w", err)
	}
	// Revocation: the status lists credentials point at are fetched through
	// the egress guard (plain http only where private addresses are allowed).
	status, err := statuslist.NewChecker(statuslist.CheckerOptions{Processor: proc, Resolver: n.resolver,
		Fetcher: &statuslist.HTTPFetcher{Client: client, AllowHTTP: n.cfg.Egress.AllowPrivate}})
	if err != nil {
		return nil, err
	}
	v, err := dcp.NewVerifier(dcp.VerifierConfig{DID: n.cfg.DID, KeyID: kid, Signer: signer, Resolver: n.resolver, Client: client,
		Processor: proc, Status: status, Registry: func() *trust.Registry { return reg }})
	if err != nil {
		return nil, fmt.Errorf("node: credential verifier: %w", err)
	}
	return &credentials{holder: h, verifier: v, log: log, tokens: map[string]string{}}, nil
}

// sawToken remembers the access token a caller's self-issued ID token
// carried, for the gate's presentation query.
func (c *credentials) sawToken(caller, token string) {
	if token == "" {
		return
	}
	c.mu.Lock()
	if len(c.tokens) > 100000 {
		clear(c.tokens)
	}
	c.tokens[caller] = token
	c.mu.Unlock()
}

// jurisdiction returns the jurisdiction the counterparty of p proved with
// a trusted MembershipCredential ("" when it proved none): from the cache,
// or by a presentation query to its credential service — the one in its
// DID document, else (a did:key has no services) /dcp at the origin of
// its protocol address.
func (c *credentials) jurisdiction(ctx context.Context, p *dsp.Process) string {
	did := p.Counterparty
	if v := c.verifier.Cached(did); v != nil {
		return v.Jurisdiction(MembershipCredential)
	}
	c.mu.Lock()
	tok := c.tokens[did]
	c.mu.Unlock()
	if tok == "" {
		return ""
	}
	svc, err := c.verifier.ServiceURL(ctx, did)
	if err != nil {
		u, perr := url.Parse(p.PeerAddress)
		if perr != nil || u.Host == "" {
			return ""
		}
		svc = u.Scheme + "://" + u.Host + dcpPath
	}
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := c.verifier.Query(qctx, did, tok, svc, []string{MembershipCredential})
	if err != nil {
		c.log.WarnContext(ctx, "the counterparty's credentials could not be obtained", slog.String("did", did), slog.Any("error", err))
		return ""
	}
	if len(v.Rejected) > 0 {
		c.log.InfoContext(ctx, "credentials set aside", slog.String("did", did), slog.String("why", strings.Join(v.Rejected, "; ")))
	}
	return v.Jurisdiction(MembershipCredential)
}
