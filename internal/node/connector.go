package node

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/gate"
	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/sitoken"
	"github.com/xborder/xborder/internal/suite"
)

// The Dataspace Protocol on the public listener: the dsp control plane,
// authenticated with DCP self-issued ID tokens, negotiating through the
// compliance gate, every step in the audit ledger (auditfeed.go).

// Participant is a member of the data space this node knows: its DID and
// the country it is established in. Until the presentation exchange of DCP
// lands, the consumer's country for the gate comes from this list.
type Participant struct {
	DID     string `yaml:"did"`
	Country string `yaml:"country"`
}

// dspPath is where the 2025-1 endpoints live below the public root.
const dspPath = "/dsp"

// sitokenAuth authenticates DSP requests with self-issued ID tokens; with
// DID-bound TLS, the client certificate's DID must be the token's issuer.
// The access token for the caller's credential service is kept for the
// gate.
type sitokenAuth struct {
	v     *sitoken.Verifier
	creds *credentials
}

func (a sitokenAuth) Authenticate(r *http.Request) (string, error) {
	c, err := a.v.Verify(r.Context(), sitoken.FromHeader(r.Header.Get("Authorization")))
	if err != nil {
		return "", err
	}
	if peer := PeerDID(r); peer != "" && peer != c.Iss {
		return "", fmt.Errorf("token of %s on a TLS connection of %s", c.Iss, peer)
	}
	a.creds.sawToken(c.Iss, c.Token)
	return c.Iss, nil
}

// tokenSource issues this node's self-issued ID tokens for outgoing
// requests, each with an access token to its credential service for the
// audience.
type tokenSource struct {
	signer   suite.Signer
	did, kid string
	creds    *credentials
}

func (t tokenSource) Token(_ context.Context, audience string) (string, error) {
	tok, err := sitoken.Issue(t.signer, t.kid, t.did, audience, 2*time.Minute, time.Now(), t.creds.holder.AccessToken(audience))
	if err != nil {
		return "", err
	}
	return "Bearer " + tok, nil
}

// gatePolicy makes this node's negotiation moves: as provider, the
// compliance gate decides each contract request and the consumer's
// countersignature decides finalization; as consumer, the provider's
// signature decides verification, which carries our countersignature
// (agreements.go); the other moves proceed.
type gatePolicy struct {
	n      *Node
	gate   *gate.Gate
	signer suite.Signer
	kid    string
}

func (g gatePolicy) Decide(ctx context.Context, p *dsp.Process) (dsp.Decision, error) {
	switch {
	case p.Role == dsp.Consumer && p.State == dsp.Agreed:
		// The provider's signature first; then ours.
		if err := g.n.checkProviderSignature(ctx, p); err != nil {
			g.n.log.Warn("an agreement's signature does not verify", "negotiation", p.ConsumerPID, "provider", p.Counterparty, "error", err)
			return dsp.Decision{Verdict: dsp.Reject, Code: "agreement_signature_invalid",
				EN: "The agreement is not signed with a key of the provider's DID.", ZH: "协议未使用提供方 DID 的密钥签名。"}, nil
		}
		ext, err := countersign(g.signer, g.kid, p.Agreement)
		if err != nil {
			return dsp.Decision{}, err
		}
		return dsp.Decision{Verdict: dsp.Accept, Extensions: ext}, nil
	case p.Role == dsp.Provider && p.State == dsp.Verified:
		if err := g.n.checkCountersignature(ctx, p); err != nil {
			g.n.log.Warn("an agreement's countersignature does not verify", "negotiation", p.ProviderPID, "consumer", p.Counterparty, "error", err)
			return dsp.Decision{Verdict: dsp.Reject, Code: "countersignature_invalid",
				EN: "The verification does not carry the consumer's countersignature of the agreement.", ZH: "协议确认未附消费方的会签。"}, nil
		}
		return dsp.Decision{Verdict: dsp.Accept}, nil
	case p.Role != dsp.Provider || p.State != dsp.Requested:
		return dsp.Decision{Verdict: dsp.Accept}, nil
	}
	e, err := g.n.stores.catalog.Get(ctx, catalog.Operator(), p.Target)
	if err != nil {
		return dsp.Decision{Verdict: dsp.Reject, Code: "dataset_unknown",
			EN: "The requested dataset is not in this node's catalog.", ZH: "请求的数据集不在本节点的目录中。"}, nil
	}
	purpose := offerPurpose(p.Offer)
	country := g.n.countryOf(ctx, p)
	approvals, err := g.n.stores.contracts.Approvals(ctx, e.Governance.Owner)
	if err != nil {
		return dsp.Decision{}, err
	}
	d, err := g.gate.Decide(ctx, gate.Request{Entry: e, Consumer: p.Counterparty, ConsumerCountry: country, Purpose: purpose,
		At: time.Now(), Approvals: approvals})
	if err != nil {
		return dsp.Decision{}, err
	}
	g.n.log.Info("compliance gate", "negotiation", p.ProviderPID, "dataset", e.Identifier, "consumer", p.Counterparty,
		"country", country, "purpose", purpose, "outcome", d.Outcome, "code", d.Code)
	switch d.Outcome {
	case gate.Agree:
		return dsp.Decision{Verdict: dsp.Accept}, nil
	case gate.Park:
		return dsp.Decision{Verdict: dsp.Park, Code: d.Code, EN: d.Message.EN, ZH: d.Message.ZH}, nil
	}
	return dsp.Decision{Verdict: dsp.Reject, Code: d.Code, EN: d.Message.EN, ZH: d.Message.ZH}, nil
}

// offerPurpose reads the purpose an ODRL offer (compact DSP form)
// constrains its permissions to: the first "purpose eq/isAnyOf" value.
func offerPurpose(offer json.RawMessage) string {
	var o struct {
		Permission []struct {
			Constraint []struct {
				LeftOperand  any `json:"leftOperand"`
				RightOperand any `json:"rightOperand"`
			} `json:"constraint"`
		} `json:"permission"`
	}
	if json.Unmarshal(offer, &o) != nil {
		return ""
	}
	for _, p := range o.Permission {
		for _, c := range p.Constraint {
			if l, _ := c.LeftOperand.(string); strings.TrimPrefix(l, "odrl:") != "purpose" {
				continue
			}
			switch r := c.RightOperand.(type) {
			case string:
				return r
			case []any:
				if len(r) > 0 {
					s, _ := r[0].(string)
					return s
				}
			}
		}
	}
	return ""
}

// countryOf returns the counterparty's country: the jurisdiction it proved
// with a trusted MembershipCredential, else the one the participants list
// gives ("" if neither: the gate then refuses, as it cannot assess the
// route).
func (n *Node) countryOf(ctx context.Context, p *dsp.Process) string {
	if j := n.creds.jurisdiction(ctx, p); j != "" {
		return strings.ToUpper(j)
	}
	for _, x := range n.cfg.Participants {
		if x.DID == p.Counterparty {
			return x.Country
		}
	}
	return ""
}

// A protocol message is tried peerAttempts times, waiting up to
// peerMaxDelay between tries (exponential from 100 ms, full jitter): at
// most about 21 s, 10 s on average. dsp.Client's default (4 tries, under
// 0.7 s in all) is shorter than a counterparty's restart, and a message
// that is not delivered ends the process on this side while the
// counterparty, back a moment later, waits for it forever (found by
// cmd/xborder TestNodeKill9: a provider killed after it streamed the data
// stayed STARTED when the consumer's completion gave up before it was up).
const (
	peerAttempts = 10
	peerMaxDelay = 5 * time.Second
)

// openDSP builds the node's DSP control plane (nil without a key and DID).
func (n *Node) openDSP(ctx context.Context, signer suite.Signer, publicURL string, httpClient *http.Client) error {
	if signer == nil || n.cfg.DID == "" {
		return nil
	}
	db, err := n.openStateDB(ctx, "FULL")
	if err != nil {
		return err
	}
	if n.cfg.Database == "" {
		// Two connections: the dsp store's writer commits its batches on
		// one while reads (and the node's own tables) use the other; WAL
		// lets a reader see every committed batch during the next commit
		// (dsp.SQLStore, group commit).
		db.SetMaxOpenConns(2)
	}
	store, err := dsp.OpenSQLStore(ctx, db)
	if err != nil {
		db.Close()
		return fmt.Errorf("node: dsp store: %w", err)
	}
	// Every step reaches the audit ledger from the store's history, after
	// it is answered (auditfeed.go); the event sink only wakes the follower.
	feed := newAuditFollower(store, n.ledger, followerConfig{Self: n.cfg.DID, Logger: n.log, Registerer: n.reg})
	if err := feed.start(ctx); err != nil {
		store.Close()
		db.Close()
		return err
	}
	fail := func(err error) error {
		feed.Close(context.WithoutCancel(ctx))
		store.Close()
		db.Close()
		return err
	}
	kid := n.cfg.DID + "#key-1"
	if k, err := identity.NewKeyDID(signer.Alg(), signer.Public()); err == nil && k.DID == n.cfg.DID {
		kid = k.VerificationMethodID()
	}
	n.dspDB, n.dspStore = db, store
	if n.creds, err = n.openCredentials(ctx, signer, kid, httpClient); err != nil {
		return fail(err)
	}
	// Pulls may last hours: no overall timeout; the transport bounds the
	// connection and the wait for response headers, and the puller resumes
	// a stalled stream from its last verified chunk.
	pullClient := &http.Client{Transport: httpClient.Transport}
	data, err := n.openDataPlane(ctx, signer, kid, publicURL, pullClient)
	if err != nil {
		return fail(err)
	}
	// The task service keeps its tables in the same database.
	n.pet, err = n.openPET(ctx, signer, kid, httpClient)
	if err != nil {
		return fail(err)
	}
	dn, err := dsp.New(dsp.Config{
		ParticipantID: n.cfg.DID,
		PublicURL:     strings.TrimSuffix(publicURL, "/") + dspPath,
		Store:         store,
		Auth:          sitokenAuth{&sitoken.Verifier{Audience: n.cfg.DID, Resolve: n.resolver.ResolveKey, Keys: suite.NewVerifierCache(4096)}, n.creds},
		Policy:        gatePolicy{n: n, gate: &gate.Gate{ParkFilings: n.cfg.ParkFilings}, signer: signer, kid: kid},
		Signer:        agreementSigner{signer: signer, kid: kid},
		Transfers:     data,
		Catalog:       newCatalogSource(n.stores.catalog, n.log.With(slog.String("component", "dsp-catalog"))),
		Events:        sinks{feed, data},
		Client: &dsp.Client{HTTP: httpClient, Tokens: tokenSource{signer: signer, did: n.cfg.DID, kid: kid, creds: n.creds},
			Attempts: peerAttempts, MaxDelay: peerMaxDelay},
		Logger: n.log.With(slog.String("component", "dsp")),
	})
	if err != nil {
		n.pet.close(ctx)
		return fail(fmt.Errorf("node: dsp: %w", err))
	}
	n.dsp, n.data, n.auditFeed = dn, data, feed
	return nil
}

// DSP returns the node's protocol control plane (nil without key and DID).
func (n *Node) DSP() *dsp.Node { return n.dsp }
