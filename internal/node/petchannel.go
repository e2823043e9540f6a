package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/pet/channel"
	"github.com/xborder/xborder/internal/suite"
)

// petPath is where the node's privacy-computing channel is mounted on the
// public listener (internal/pet/channel: a signed ECDHE handshake, then
// sealed, signed calls). A peer's channel is found at the same path under
// the root of its DSP address.
const petPath = "/pet/v1"

// petChannel carries privacy-computing calls between this node and the
// counterparties of its agreements: the server side answers peers, the
// client side keeps one session per (peer, agreement) and dials again
// when the peer has forgotten it (expired, or restarted).
type petChannel struct {
	n      *Node
	cfg    channel.Config
	server *channel.Server
	client *http.Client
	log    *slog.Logger

	mu       sync.Mutex
	sessions map[string]*channel.Session // by peer DID + "\x00" + agreement
	closed   bool
	stop     chan struct{}
	done     chan struct{}
}

// openPETChannel makes the channel; h answers the calls of peers, once
// Authorize has checked that the peer is the counterparty of the agreement
// the session is bound to.
func (n *Node) openPETChannel(signer suite.Signer, kid string, hc *http.Client, h channel.Handler) (*petChannel, error) {
	s, err := suite.ByName(n.cfg.Suite)
	if err != nil {
		return nil, fmt.Errorf("node: pet channel: %w", err)
	}
	p := &petChannel{n: n, client: hc, log: n.log.With(slog.String("component", "pet-channel")),
		sessions: map[string]*channel.Session{}, stop: make(chan struct{}), done: make(chan struct{})}
	p.cfg = channel.Config{Suite: s, DID: n.cfg.DID, KeyID: kid, Signer: signer, Resolve: n.resolver.ResolveKey,
		Logger: p.log, Keys: suite.NewVerifierCache(1024), StrictSignatures: n.cfg.PET.StrictSignatures}
	// A gm node accepts gm sessions only; an intl node accepts gm too, so
	// that every session with a gm party (whichever side opens it) runs on
	// SM2 key agreement, SM3 and SM4-GCM.
	accept := []*suite.Suite{suite.GM}
	if s != suite.GM {
		accept = []*suite.Suite{s, suite.GM}
	}
	p.server, err = channel.NewServer(p.cfg, h, channel.ServerOptions{Authorize: p.authorize, OnReceipt: p.receipt, Suites: accept})
	if err != nil {
		return nil, fmt.Errorf("node: pet channel: %w", err)
	}
	go p.sweep()
	return p, nil
}

// sweep drops expired sessions (and zeroes their keys) every 30 s rather
// than waiting for the next handshake.
func (p *petChannel) sweep() {
	defer close(p.done)
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.server.Sweep()
		}
	}
}

// negotiationOf returns this side's negotiation that produced the
// agreement, in whichever role this node had.
func (n *Node) negotiationOf(ctx context.Context, agreementID string) (*dsp.Process, error) {
	if n.dspStore == nil {
		return nil, errors.New("node: no control plane")
	}
	for _, r := range []dsp.Role{dsp.Provider, dsp.Consumer} {
		p, err := n.dspStore.ByAgreement(ctx, r, agreementID)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, dsp.ErrNotFound) {
			return nil, fmt.Errorf("node: looking up agreement %s: %w", agreementID, err)
		}
	}
	return nil, dsp.ErrNotFound
}

// authorize admits a session only from the counterparty of a finalized
// agreement of this node, bound to that agreement.
func (p *petChannel) authorize(ctx context.Context, peerDID, binding string) error {
	neg, err := p.n.negotiationOf(ctx, binding)
	switch {
	case errors.Is(err, dsp.ErrNotFound):
		return &channel.Error{Status: http.StatusForbidden, Code: "unknown_agreement",
			Message: "the session is not bound to an agreement of this node", MessageZH: "会话未绑定本节点的协议"}
	case err != nil:
		return err
	case neg.Counterparty != peerDID:
		return &channel.Error{Status: http.StatusForbidden, Code: "not_a_party",
			Message: "the caller is not the counterparty of this agreement", MessageZH: "调用方不是该协议的相对方"}
	case neg.State != dsp.Finalized:
		return &channel.Error{Status: http.StatusForbidden, Code: "agreement_not_finalized",
			Message: "the agreement is not finalized", MessageZH: "协议尚未生效"}
	}
	return nil
}

// receipt records the signed receipt of every control call a peer made
// (protocol messages are too many to audit one by one; the task audits
// its run).
func (p *petChannel) receipt(ctx context.Context, peer channel.Peer, r *channel.Receipt) {
	if r.Op == petOpMessage {
		return
	}
	b, _ := json.Marshal(r)
	d := sha256.Sum256(b)
	result := audit.ResultAllow
	if r.Status >= 400 {
		result = audit.ResultDeny
	}
	if _, err := p.n.ledger.Append(ctx, &audit.Event{Actor: peer.DID, Time: time.Now().UTC(), Operation: audit.OpAccess,
		ObjectID: "urn:xborder:pet:" + r.Op, ObjectKind: audit.KindTask, Result: result, Reason: "pet_call_receipt",
		DetailsDigest: "sha256:" + hex.EncodeToString(d[:])}); err != nil {
		p.log.Error("audit: recording a pet call receipt failed", "error", err)
	}
}

// petOpMessage is the channel op that carries protocol messages (PSI,
// secure aggregation) of a running task.
const petOpMessage = "message"

// peerBase is the channel's URL at the counterparty of neg: the root of
// its DSP address plus petPath.
func peerBase(neg *dsp.Process) (string, error) {
	// The address is the peer's DSP base: ROOT/dsp or ROOT/dsp/VERSION.
	a := strings.TrimSuffix(neg.PeerAddress, "/")
	i := strings.LastIndex(a, dspPath)
	ok := i > 0 && (i+len(dspPath) == len(a) || a[i+len(dspPath)] == '/' && !strings.Contains(a[i+len(dspPath)+1:], "/"))
	root := a[:max(i, 0)]
	if !ok || !(strings.HasPrefix(root, "https://") || strings.HasPrefix(root, "http://")) {
		return "", fmt.Errorf("node: the counterparty's address %q is not an xborder DSP address", neg.PeerAddress)
	}
	return root + petPath, nil
}

// Call sends op to the counterparty did of the agreement binding and
// returns its answer, over a session kept for the pair.
func (p *petChannel) Call(ctx context.Context, did, binding, op string, body []byte) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		s, err := p.session(ctx, did, binding)
		if err != nil {
			return nil, err
		}
		out, _, err := s.Call(ctx, op, body)
		var re *channel.RefusedError
		if attempt == 0 && errors.As(err, &re) && (re.Code == channel.CodeUnknownSession || re.Code == channel.CodeExhausted || re.Code == channel.CodeClosed) {
			p.forget(did, binding, s)
			continue
		}
		return out, err
	}
}

func (p *petChannel) session(ctx context.Context, did, binding string) (*channel.Session, error) {
	key := did + "\x00" + binding
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("node: pet channel closed")
	}
	s := p.sessions[key]
	p.mu.Unlock()
	if s != nil {
		return s, nil
	}
	neg, err := p.n.negotiationOf(ctx, binding)
	if err != nil {
		return nil, err
	}
	if neg.Counterparty != did {
		return nil, fmt.Errorf("node: %s is not the counterparty of agreement %s", did, binding)
	}
	base, err := peerBase(neg)
	if err != nil {
		return nil, err
	}
	s, err = channel.Dial(ctx, p.cfg, p.client, base, did, binding)
	var re *channel.RefusedError
	if errors.As(err, &re) && re.Code == channel.CodeSuite {
		// The peer serves only the other suite (a gm node, when this one is
		// intl): the session runs on its suite; each side signs with its
		// own key.
		other := p.cfg
		other.Suite = suite.GM
		if p.cfg.Suite == suite.GM {
			other.Suite = suite.Intl
		}
		s, err = channel.Dial(ctx, other, p.client, base, did, binding)
	}
	if err != nil {
		return nil, fmt.Errorf("node: opening a pet session with %s: %w", did, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old := p.sessions[key]; old != nil || p.closed {
		go s.Close(context.Background())
		if p.closed {
			return nil, errors.New("node: pet channel closed")
		}
		return old, nil
	}
	p.sessions[key] = s
	return s, nil
}

func (p *petChannel) forget(did, binding string, s *channel.Session) {
	key := did + "\x00" + binding
	p.mu.Lock()
	if p.sessions[key] == s {
		delete(p.sessions, key)
	}
	p.mu.Unlock()
	s.Close(context.Background())
}

// close ends the client sessions (telling the peers) and the server's,
// zeroing their keys.
func (p *petChannel) close(ctx context.Context) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	ss := p.sessions
	p.sessions = nil
	p.mu.Unlock()
	close(p.stop)
	<-p.done
	var wg sync.WaitGroup
	for _, s := range ss {
		wg.Go(func() { s.Close(ctx) })
	}
	wg.Wait()
	p.server.Close()
}
