package node

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/gate"
	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/sitoken"
	"github.com/xborder/xborder/internal/statedb"
	"github.com/xborder/xborder/internal/suite"
)

// The Dataspace Protocol on the public listener: the dsp control plane,
// authenticated with DCP self-issued ID tokens, negotiating through the
// compliance gate, every step in the audit ledger.

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
type sitokenAuth struct{ v *sitoken.Verifier }

func (a sitokenAuth) Authenticate(r *http.Request) (string, error) {
	c, err := a.v.Verify(r.Context(), sitoken.FromHeader(r.Header.Get("Authorization")))
	if err != nil {
		return "", err
	}
	if peer := PeerDID(r); peer != "" && peer != c.Iss {
		return "", fmt.Errorf("token of %s on a TLS connection of %s", c.Iss, peer)
	}
	return c.Iss, nil
}

// tokenSource issues this node's self-issued ID tokens for outgoing requests.
type tokenSource struct {
	signer   suite.Signer
	did, kid string
}

func (t tokenSource) Token(_ context.Context, audience string) (string, error) {
	tok, err := sitoken.Issue(t.signer, t.kid, t.did, audience, 2*time.Minute, time.Now(), "")
	if err != nil {
		return "", err
	}
	return "Bearer " + tok, nil
}

// gatePolicy makes this node's negotiation moves: as provider, the
// compliance gate decides each contract request; the other moves of an
// agreed negotiation (and the consumer's) proceed.
type gatePolicy struct {
	n    *Node
	gate *gate.Gate
}

func (g gatePolicy) Decide(ctx context.Context, p *dsp.Process) (dsp.Decision, error) {
	if p.Role != dsp.Provider || p.State != dsp.Requested {
		return dsp.Decision{Verdict: dsp.Accept}, nil
	}
	e, err := g.n.stores.catalog.Get(ctx, catalog.Operator(), p.Target)
	if err != nil {
		return dsp.Decision{Verdict: dsp.Reject, Code: "dataset_unknown",
			EN: "The requested dataset is not in this node's catalog.", ZH: "请求的数据集不在本节点的目录中。"}, nil
	}
	purpose := offerPurpose(p.Offer)
	country := g.n.countryOf(p.Counterparty)
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

// countryOf returns the country of a known participant ("" if unknown:
// the gate then refuses, as it cannot assess the route).
func (n *Node) countryOf(did string) string {
	for _, p := range n.cfg.Participants {
		if p.DID == did {
			return p.Country
		}
	}
	return ""
}

// auditSink appends every DSP step to the audit ledger.
type auditSink struct{ n *Node }

func (s auditSink) Record(ctx context.Context, e dsp.Event) error {
	ev, err := e.AuditEvent(s.n.cfg.DID)
	if err != nil {
		return err
	}
	_, err = s.n.ledger.Append(ctx, ev)
	return err
}

// openDSP builds the node's DSP control plane (nil without a key and DID).
func (n *Node) openDSP(ctx context.Context, signer suite.Signer, publicURL string, httpClient *http.Client) error {
	if signer == nil || n.cfg.DID == "" {
		return nil
	}
	db, err := statedb.Open(filepath.Join(n.cfg.DataDir, statedb.File), "FULL")
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1) // the dsp store is fastest with one SQLite connection
	store, err := dsp.OpenSQLStore(ctx, db)
	if err != nil {
		db.Close()
		return fmt.Errorf("node: dsp store: %w", err)
	}
	kid := n.cfg.DID + "#key-1"
	if k, err := identity.NewKeyDID(signer.Alg(), signer.Public()); err == nil && k.DID == n.cfg.DID {
		kid = k.VerificationMethodID()
	}
	dn, err := dsp.New(dsp.Config{
		ParticipantID: n.cfg.DID,
		PublicURL:     strings.TrimSuffix(publicURL, "/") + dspPath,
		Store:         store,
		Auth:          sitokenAuth{&sitoken.Verifier{Audience: n.cfg.DID, Resolve: n.resolver.ResolveKey, Keys: suite.NewVerifierCache(4096)}},
		Policy:        gatePolicy{n: n, gate: &gate.Gate{ParkFilings: n.cfg.ParkFilings}},
		Events:        auditSink{n},
		Catalog:       newCatalogSource(n.stores.catalog, n.log.With(slog.String("component", "dsp-catalog"))),
		Client:        &dsp.Client{HTTP: httpClient, Tokens: tokenSource{signer: signer, did: n.cfg.DID, kid: kid}},
		Logger:        n.log.With(slog.String("component", "dsp")),
	})
	if err != nil {
		store.Close()
		db.Close()
		return fmt.Errorf("node: dsp: %w", err)
	}
	n.dsp, n.dspDB, n.dspStore = dn, db, store
	return nil
}

// DSP returns the node's protocol control plane (nil without key and DID).
func (n *Node) DSP() *dsp.Node { return n.dsp }
