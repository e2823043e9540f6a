package dsp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Authenticator verifies the caller of a protocol request.
type Authenticator interface {
	// Authenticate checks the Authorization header of r (for example a
	// DCP self-issued ID token whose aud is this connector) and returns
	// the caller's identifier, a DID. Any error is answered 404, as the
	// protocol asks for unauthorized requests, with nothing revealed;
	// the handler logs the error without the header.
	Authenticate(r *http.Request) (string, error)
}

// BearerTokens is an Authenticator for tests and the DSP TCK: it maps the
// Authorization header value (with or without "Bearer ") to the caller.
type BearerTokens map[string]string

// Authenticate looks the header up.
func (b BearerTokens) Authenticate(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if id, ok := b[h]; ok && h != "" {
		return id, nil
	}
	if id, ok := b[strings.TrimPrefix(h, "Bearer ")]; ok && h != "" {
		return id, nil
	}
	return "", errors.New("unknown token")
}

// NegotiationPolicy makes this connector's moves in negotiations. The
// node calls Decide whenever it is this side's turn, with the process as
// stored (a copy):
//
//   - provider, REQUESTED (p.Offer is the consumer's request or counter
//     offer): Accept sends the agreement, Counter sends Decision.Offer,
//     Reject terminates, Park waits for Node.Decide;
//   - provider, ACCEPTED (the consumer accepted p.Offer): Accept sends the
//     agreement, Reject terminates, Park waits;
//   - provider, VERIFIED (the consumer verified p.Agreement): Accept
//     finalizes, Reject terminates, Park waits;
//   - consumer, OFFERED (p.Offer is the provider's offer): Accept sends
//     ACCEPTED, Counter sends a counter request with Decision.Offer,
//     Reject terminates, Park waits;
//   - consumer, AGREED (p.Agreement is the provider's agreement): Accept
//     sends the verification (with Decision.Extensions, kept in
//     p.Extensions on both sides), Reject terminates, Park waits.
//
// This is the compliance gate of the provider: check the consumer's
// credentials (p.Counterparty), the offer against the catalog and the
// ODRL constraints (internal/odrl, internal/contract), and refuse with a
// stable code and a zh/en message when a transfer route needs an approval
// not on record. An error other than a *[Refusal] leaves the process
// waiting (it is logged and tried again by Node.Resume); a *Refusal is a
// Reject.
type NegotiationPolicy interface {
	Decide(ctx context.Context, p *Process) (Decision, error)
}

// Verdict is the kind of a Decision.
type Verdict uint8

// Verdicts.
const (
	Accept Verdict = iota + 1
	Reject
	Park
	Counter
)

func (v Verdict) String() string {
	switch v {
	case Accept:
		return "accept"
	case Reject:
		return "reject"
	case Park:
		return "park"
	case Counter:
		return "counter"
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// Decision is a move in a negotiation; see NegotiationPolicy.
type Decision struct {
	Verdict Verdict
	// Offer is the counter offer (Counter): an ODRL Offer with @id and
	// target, as it travels in messages (internal/contract FormDSP).
	Offer json.RawMessage
	// Agreement is the agreement the provider sends (Accept in REQUESTED
	// or ACCEPTED). When nil the node derives it from the offer: a new
	// @id, assigner this participant, assignee the counterparty, the
	// timestamp now. The AgreementSigner, if any, signs either.
	Agreement json.RawMessage
	// Extensions go with the message an Accept sends when it is the
	// consumer's ContractAgreementVerificationMessage (xborder's consumer
	// countersigns the agreement there); the provider finds them in
	// Process.Extensions when it decides in VERIFIED.
	Extensions Extensions
	// Code, EN and ZH explain a Reject: a stable code of [a-z0-9_.-]
	// (default "policy_rejected") and messages in English and Chinese,
	// sent in the termination message and never containing personal data.
	// A Park's code is the code of its event (default "parked").
	Code   string
	EN, ZH string
}

// Refusal is an error of a NegotiationPolicy, an AgreementSigner or a
// TransferStarter that ends the process: the node terminates it with the
// code and the messages.
type Refusal struct {
	Code   string
	EN, ZH string
}

func (r *Refusal) Error() string { return "dsp: refused (" + r.Code + "): " + r.EN }

// ErrPark, returned by a TransferStarter, leaves a requested transfer
// waiting until Node.StartTransfer or Node.Terminate.
var ErrPark = errors.New("dsp: waiting for a decision")

// AgreementSigner signs the agreement the provider sends. It returns the
// agreement to put in the ContractAgreementMessage, for example with a
// proof under an extension IRI (internal/contract.SignAgreement); the
// node checks the result is still a valid Agreement.
type AgreementSigner interface {
	SignAgreement(ctx context.Context, p *Process, agreement json.RawMessage) (json.RawMessage, error)
}

// TransferStarter is the provider's data plane. StartTransfer is called
// for a requested transfer (and when the provider resumes a suspended
// one): check the agreement (t.AgreementID: known, finalized, with
// t.Counterparty as assignee, in force, not exhausted), prepare the data,
// and return the DataAddress the consumer pulls from (nil for a push
// transfer, whose destination is t.DataAddress). A *Refusal terminates
// the transfer; ErrPark leaves it waiting; another error leaves it
// requested and is logged (Node.Resume tries again).
type TransferStarter interface {
	StartTransfer(ctx context.Context, t *Process) (*DataAddress, error)
}

// EventSink is told of every step once it is stored: each transition of
// a process and each refused message. Record runs before the answer is
// sent, so it must be quick; its error is logged (the step stands). The
// same events are in the store's history ([SQLStore.EventsAfter]), which
// is where a durable consumer reads them: the connector's audit follower
// appends them to the audit ledger (Event.AuditEvent) from there, after
// the answer, exactly once. The sink is for reactions (for example,
// starting to pull when a consumer's transfer reaches STARTED:
// Node.Process then has the DataAddress) and for waking such followers.
type EventSink interface {
	Record(ctx context.Context, e Event) error
}

// Config configures a Node.
type Config struct {
	// ParticipantID is this connector's identifier, a DID (required).
	ParticipantID string
	// PublicURL is the absolute URL at which Handler is reachable, the
	// protocol root (required), e.g. https://node.example/dsp.
	PublicURL string
	// BasePath is the path of the 2025-1 endpoints below the root,
	// default "/2025-1"; "/" puts them at the root.
	BasePath string
	// Store keeps the processes (required).
	Store Store
	// Auth authenticates requests (required).
	Auth Authenticator
	// Policy makes the negotiation moves (required).
	Policy NegotiationPolicy
	// Signer signs the agreements the provider sends; nil sends them
	// unsigned.
	Signer AgreementSigner
	// Transfers starts provider transfers; nil refuses them with the code
	// "transfer_unavailable".
	Transfers TransferStarter
	// Events receives every step; nil drops them.
	Events EventSink
	// Catalog supplies the datasets of the catalog protocol, filtered per
	// caller; nil serves an empty catalog (and 404 for every dataset), so
	// a connector that only consumes still answers the protocol.
	Catalog CatalogSource
	// CatalogPageSize is the number of datasets per catalog page (default
	// DefaultCatalogPageSize, at most MaxCatalogPageSize); a page also
	// stays below MaxMessageBytes.
	CatalogPageSize int
	// Client sends messages to counterparties; nil uses a zero Client.
	Client *Client
	// Auth of the version endpoint entry; ServiceID and IdentifierType too.
	VersionAuth    *VersionAuth
	ServiceID      string
	IdentifierType string
	// Now is the clock (time.Now); NewPID makes process ids (urn:uuid v4).
	Now    func() time.Time
	NewPID func() string
	// Logger receives operational messages; never tokens, policies or
	// data addresses. Default: discarded.
	Logger *slog.Logger
}

// Node is one connector's Dataspace Protocol control plane, provider and
// consumer at once: it serves the endpoints (Handler), makes its own moves
// (the policy's decisions, the local actions below) and keeps every
// process in the Store, so that another Node on the same store resumes
// them (Resume). Its methods are safe for concurrent use.
type Node struct {
	cfg      Config
	base     string // BasePath, "" for the root
	client   *Client
	log      *slog.Logger
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	mu       sync.Mutex
	closed   bool
	handler  http.Handler
	provider string // this side's provider base URL
	callback string // this side's consumer callback URL
}

// New checks cfg and returns a Node. Call Resume once it serves, and
// Close when done.
func New(cfg Config) (*Node, error) {
	switch {
	case cfg.ParticipantID == "":
		return nil, errors.New("dsp: Config.ParticipantID is required")
	case cfg.Store == nil:
		return nil, errors.New("dsp: Config.Store is required")
	case cfg.Auth == nil:
		return nil, errors.New("dsp: Config.Auth is required")
	case cfg.Policy == nil:
		return nil, errors.New("dsp: Config.Policy is required")
	case cfg.CatalogPageSize < 0 || cfg.CatalogPageSize > MaxCatalogPageSize:
		return nil, fmt.Errorf("dsp: Config.CatalogPageSize must be between 1 and %d (0: %d)", MaxCatalogPageSize, DefaultCatalogPageSize)
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("dsp: Config.PublicURL must be an absolute http(s) URL without query or fragment")
	}
	base := cfg.BasePath
	switch {
	case base == "":
		base = "/" + Version
	case base == "/":
		base = ""
	case !strings.HasPrefix(base, "/") || strings.HasSuffix(base, "/") || strings.ContainsAny(base, "{}?#"):
		return nil, errors.New("dsp: Config.BasePath must start with / and not end with one")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewPID == nil {
		cfg.NewPID = NewUUID
	}
	if cfg.CatalogPageSize == 0 {
		cfg.CatalogPageSize = DefaultCatalogPageSize
	}
	n := &Node{cfg: cfg, base: base, client: cfg.Client, log: cfg.Logger}
	if n.client == nil {
		n.client = &Client{}
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	root := strings.TrimRight(cfg.PublicURL, "/")
	n.provider = root + base
	n.callback = n.provider
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.handler = n.routes()
	return n, nil
}

// BaseURL is the URL of this node's provider endpoints (<base>), what a
// consumer sends its requests to.
func (n *Node) BaseURL() string { return n.provider }

// CallbackAddress is the URL of this node's consumer endpoints, sent as
// callbackAddress in its requests: the same <base> (see Handler).
func (n *Node) CallbackAddress() string { return n.callback }

// Close stops the node's background work (deliveries and decisions in
// flight are abandoned where they are; their processes resume with
// Resume) and waits for it, or for ctx. It does not close the Store.
// Stop serving Handler first.
func (n *Node) Close(ctx context.Context) error {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.cancel()
	done := make(chan struct{})
	go func() { n.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Resume continues every unfinished process of the store: it delivers
// pending messages and makes the moves that are this side's turn (the
// policy's decisions, provider transfer starts). Call it once at start-up,
// after Handler serves.
func (n *Node) Resume(ctx context.Context) error {
	ps, err := n.cfg.Store.Unfinished(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.Outbox != nil || n.ourTurn(p) {
			n.schedule(p.Kind, p.Role, p.PID())
		}
	}
	return nil
}

// Process returns a process of this node by its own id.
func (n *Node) Process(ctx context.Context, k Kind, r Role, pid string) (*Process, error) {
	return n.cfg.Store.Get(ctx, k, r, pid)
}

// Events returns the history of a process.
func (n *Node) Events(ctx context.Context, k Kind, r Role, pid string) ([]Event, error) {
	return n.cfg.Store.Events(ctx, k, r, pid)
}

// NewUUID returns a random urn:uuid (version 4), the default process id.
func NewUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return "urn:uuid:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// schedule runs the process's next own step in the background.
func (n *Node) schedule(k Kind, r Role, pid string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.advance(n.ctx, k, r, pid)
	}()
}

// ourTurn reports whether the next move of p is this side's and no
// decision is awaited from outside.
func (n *Node) ourTurn(p *Process) bool {
	if p.Parked || p.Outbox != nil {
		return false
	}
	switch p.Kind {
	case KindNegotiation:
		return decisionState(p)
	case KindTransfer:
		return p.Role == Provider && p.State == Requested
	}
	return false
}

func decisionState(p *Process) bool {
	if p.Role == Provider {
		return p.State == Requested || p.State == Accepted || p.State == Verified
	}
	return p.State == Offered || p.State == Agreed
}

// advance delivers the outbox of a process, or makes its next own move.
func (n *Node) advance(ctx context.Context, k Kind, r Role, pid string) {
	p, err := n.cfg.Store.Get(ctx, k, r, pid)
	if err != nil {
		if ctx.Err() == nil {
			n.log.ErrorContext(ctx, "dsp: reading a process", slog.String("pid", pid), slog.Any("error", err))
		}
		return
	}
	switch {
	case p.Outbox != nil:
		n.deliver(ctx, p) // logged and acted on inside
	case !n.ourTurn(p):
	case k == KindNegotiation:
		n.decide(ctx, p)
	case k == KindTransfer:
		n.start(ctx, p, false) // logged inside
	}
}

func (n *Node) now() time.Time { return n.cfg.Now().UTC() }

// event returns the event of a transition of p (already moved to "to").
func (n *Node) event(p *Process, from State, step Step, sender Role, code string) *Event {
	actor := p.Counterparty
	if sender == p.Role {
		actor = n.cfg.ParticipantID
	}
	return &Event{Time: n.now(), Kind: p.Kind, Role: p.Role, ProviderPID: p.ProviderPID, ConsumerPID: p.ConsumerPID,
		Counterparty: p.Counterparty, Actor: actor, Sender: sender, From: from, To: p.State, Step: step, Code: code,
		AgreementID: p.AgreementID, Target: p.Target}
}

// record tells the EventSink.
func (n *Node) record(ctx context.Context, e *Event) {
	if e == nil || n.cfg.Events == nil {
		return
	}
	if err := n.cfg.Events.Record(context.WithoutCancel(ctx), *e); err != nil {
		n.log.ErrorContext(ctx, "dsp: recording an event", slog.String("pid", e.ProviderPID), slog.String("step", string(e.Step)), slog.Any("error", err))
	}
}

// ErrChanged is returned by Node.Decide (and logged by the node's own
// moves) when the process moved, or was decided, while the decision was
// being made: nothing was changed.
var ErrChanged = errors.New("dsp: the process changed while deciding")

// mutate applies fn to the stored process under compare-and-set, trying
// again when a concurrent change wins. fn gets a fresh copy each time and
// returns the event to store (nil for none) or an error that aborts with
// nothing changed.
func (n *Node) mutate(ctx context.Context, k Kind, r Role, pid string, fn func(p *Process) (*Event, error)) (*Process, *Event, error) {
	for range 64 {
		p, err := n.cfg.Store.Get(ctx, k, r, pid)
		if err != nil {
			return nil, nil, err
		}
		e, err := fn(p)
		if err != nil {
			return p, nil, err
		}
		p.Updated = n.now()
		err = n.cfg.Store.Update(ctx, p, e)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		n.record(ctx, e)
		return p, e, nil
	}
	return nil, nil, fmt.Errorf("dsp: %s %s: %w (too many concurrent changes)", k, pid, ErrConflict)
}

// peerPath is the path of the endpoint that receives msg, below the
// counterparty's address.
func peerPath(p *Process, msg Message) string {
	esc := url.PathEscape
	if p.Role == Consumer { // to the provider's <base>
		pp := "/" + esc(p.ProviderPID)
		switch m := msg.(type) {
		case *ContractRequestMessage:
			if m.ProviderPID == "" {
				return "/negotiations/request"
			}
			return "/negotiations" + pp + "/request"
		case *ContractNegotiationEventMessage:
			return "/negotiations" + pp + "/events"
		case *ContractAgreementVerificationMessage:
			return "/negotiations" + pp + "/agreement/verification"
		case *ContractNegotiationTerminationMessage:
			return "/negotiations" + pp + "/termination"
		case *TransferRequestMessage:
			return "/transfers/request"
		case *TransferStartMessage:
			return "/transfers" + pp + "/start"
		case *TransferCompletionMessage:
			return "/transfers" + pp + "/completion"
		case *TransferSuspensionMessage:
			return "/transfers" + pp + "/suspension"
		case *TransferTerminationMessage:
			return "/transfers" + pp + "/termination"
		}
	} else { // to the consumer's callback (or base, for an initial offer)
		cp := "/" + esc(p.ConsumerPID)
		switch m := msg.(type) {
		case *ContractOfferMessage:
			if m.ConsumerPID == "" {
				return "/negotiations/offers"
			}
			return "/negotiations" + cp + "/offers"
		case *ContractAgreementMessage:
			return "/negotiations" + cp + "/agreement"
		case *ContractNegotiationEventMessage:
			return "/negotiations" + cp + "/events"
		case *ContractNegotiationTerminationMessage:
			return "/negotiations" + cp + "/termination"
		case *TransferStartMessage:
			return "/transfers" + cp + "/start"
		case *TransferCompletionMessage:
			return "/transfers" + cp + "/completion"
		case *TransferSuspensionMessage:
			return "/transfers" + cp + "/suspension"
		case *TransferTerminationMessage:
			return "/transfers" + cp + "/termination"
		}
	}
	panic(fmt.Sprintf("dsp: no endpoint for %T sent by the %s", msg, p.Role))
}

// outgoing puts msg in p's outbox; Store.Update numbers it.
func outgoing(p *Process, msg Message) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	p.Outbox = &Outgoing{Seq: p.Version + 1, URL: strings.TrimRight(p.PeerAddress, "/") + peerPath(p, msg), Type: msg.MessageType(), Body: b}
	return nil
}

// own makes one of this side's transitions: step from the current state
// (which must be want, when want is not empty), with the message build
// returns in the outbox, in one atomic update; then it delivers the
// message. build may change p (the agreement, the data address).
func (n *Node) own(ctx context.Context, k Kind, r Role, pid string, want State, step Step, code string, build func(p *Process) (Message, error)) (*Process, error) {
	p, _, err := n.mutate(ctx, k, r, pid, func(p *Process) (*Event, error) {
		if want != "" && p.State != want {
			return nil, ErrChanged
		}
		from := p.State
		to, err := Next(k, from, r, step)
		if err != nil {
			return nil, err
		}
		msg, err := build(p)
		if err != nil {
			return nil, err
		}
		p.State, p.Parked = to, false
		if err := outgoing(p, msg); err != nil {
			return nil, err
		}
		return n.event(p, from, step, r, code), nil
	})
	if err != nil {
		return p, err
	}
	if err := n.deliver(ctx, p); err != nil {
		q, _ := n.cfg.Store.Get(context.WithoutCancel(ctx), k, r, pid)
		if q == nil {
			q = p
		}
		return q, err
	}
	return n.cfg.Store.Get(ctx, k, r, pid)
}

// deliver sends p's outbox. On success it clears the outbox (and learns
// the counterparty's process id from the answer to an initial request).
// When the node is closing it leaves the outbox for Resume. When the
// counterparty refuses the message, or cannot be reached after the
// client's retries, the two sides no longer agree on the state: the
// process is terminated here (code "peer_refused" or "delivery_failed")
// and a termination is sent once, best effort — unless the refusal is of
// a message the counterparty had already taken (settleRepeat).
func (n *Node) deliver(ctx context.Context, p *Process) error {
	ob := p.Outbox
	if ob == nil {
		return nil
	}
	ans, err := n.client.PostRaw(ctx, ob.URL, p.Counterparty, ob.Body)
	if err != nil && n.ctx.Err() != nil {
		return fmt.Errorf("dsp: the node is closing: %w", err) // Resume delivers it
	}
	if err != nil && ctx.Err() != nil {
		// The caller gave up waiting; the node delivers in the background.
		n.schedule(p.Kind, p.Role, p.PID())
		return err
	}
	sctx := context.WithoutCancel(ctx)
	if err == nil && answerPeerPID(p, ans) == "" && clearedByReply(p, ob) {
		return nil // the counterparty's next message clears the outbox
	}
	if err == nil {
		_, _, uerr := n.mutate(sctx, p.Kind, p.Role, p.PID(), func(q *Process) (*Event, error) {
			changed := false
			if q.Outbox != nil && q.Outbox.Seq == ob.Seq {
				q.Outbox, changed = nil, true
			}
			if peer := answerPeerPID(q, ans); peer != "" && q.PeerPID() == "" {
				q.setPeerPID(peer)
				changed = true
			}
			if !changed {
				return nil, ErrChanged
			}
			return nil, nil
		})
		if uerr != nil && !errors.Is(uerr, ErrChanged) {
			n.log.ErrorContext(ctx, "dsp: clearing a delivered message", slog.String("pid", p.PID()), slog.Any("error", uerr))
		}
		return nil
	}
	code := "delivery_failed"
	var re *RemoteError
	if errors.As(err, &re) && re.Status < 500 {
		code = "peer_refused"
	}
	if re != nil && re.Code() == CodeInvalidTransition && n.settleRepeat(sctx, p, ob) {
		return nil
	}
	n.log.WarnContext(ctx, "dsp: a message was not delivered", slog.String("kind", string(p.Kind)), slog.String("pid", p.PID()),
		slog.String("message", ob.Type), slog.String("code", code), slog.Any("error", err))
	if ob.Type == TypeContractNegotiationTerminationMessage || ob.Type == TypeTransferTerminationMessage {
		n.mutate(sctx, p.Kind, p.Role, p.PID(), func(q *Process) (*Event, error) { // best effort
			if q.Outbox == nil || q.Outbox.Seq != ob.Seq {
				return nil, ErrChanged
			}
			q.Outbox = nil
			return nil, nil
		})
		return err
	}
	q, _, terr := n.mutate(sctx, p.Kind, p.Role, p.PID(), func(q *Process) (*Event, error) {
		if q.Outbox == nil || q.Outbox.Seq != ob.Seq || q.State.Terminal() {
			// Superseded: the counterparty moved the process meanwhile.
			if q.Outbox != nil && q.Outbox.Seq == ob.Seq {
				q.Outbox = nil
				return nil, nil
			}
			return nil, ErrChanged
		}
		from := q.State
		q.State, q.Parked = Terminated, false
		q.Outbox = nil
		if q.PeerPID() != "" && (re == nil || re.Status != http.StatusNotFound) {
			if err := outgoing(q, terminationMessage(q, code, reasonsFor(code))); err != nil {
				return nil, err
			}
		}
		return n.event(q, from, terminateStep(q.Kind), q.Role, code), nil
	})
	if terr == nil && q.Outbox != nil {
		n.deliver(sctx, q) // best effort; clears the outbox either way
	}
	return err
}

// clearedByReply reports whether the delivered outbox ob of p may stay in
// the store until the counterparty's next message clears it (receive
// does), which saves a durable write per message. This holds for the
// messages of a negotiation that lead to ACCEPTED, AGREED or VERIFIED:
// p's next transition is then the counterparty's move (or this side's
// termination, which replaces the outbox), and no later state of the
// counterparty takes the message again, so when the message is delivered
// a second time — Resume after a crash, before the counterparty's reply
// arrived — the counterparty refuses it as an invalid transition and
// settleRepeat finds it taken. A request or an offer can be taken again
// after a counter offer or a counter request (REQUESTED and OFFERED are
// re-entered), and a message that ends the process has no next one to
// clear it (Unfinished would keep the process): their outbox is cleared
// on delivery, as is the one of an initial message (the answer brings
// the counterparty's process id).
func clearedByReply(p *Process, ob *Outgoing) bool {
	if p.Kind != KindNegotiation || p.Outbox == nil || p.Outbox.Seq != ob.Seq || p.Version != ob.Seq || p.PeerPID() == "" {
		return false
	}
	switch p.State {
	case Accepted, Agreed, Verified:
		return true
	}
	return false
}

// settleRepeat handles a message the counterparty refused as an invalid
// transition when it may be a repeat: this side crashed after the
// counterparty took the message and before the answer cleared the outbox,
// or the answer was lost and the client tried again. A receiver refuses a
// repeated message (the DSP TCK requires it), so the sender asks the
// counterparty for its state (a GET of the process). When it is the state
// the message led to, or one move of the counterparty beyond it, the
// message counts as delivered and the counterparty's next message is
// awaited; when that move ended the process (FINALIZED, COMPLETED), this
// side takes it too (code "peer_state"), as its message may never come. It
// reports whether it settled the process; otherwise (TERMINATED, another
// state, no answer) the refusal stands.
func (n *Node) settleRepeat(ctx context.Context, p *Process, ob *Outgoing) bool {
	if p.PeerPID() == "" {
		return false
	}
	coll := "/negotiations/"
	if p.Kind == KindTransfer {
		coll = "/transfers/"
	}
	ans, err := n.client.Get(ctx, strings.TrimRight(p.PeerAddress, "/")+coll+url.PathEscape(p.PeerPID()), p.Counterparty)
	if err != nil {
		return false
	}
	var peer State
	switch a := ans.(type) {
	case *ContractNegotiation:
		if a.ProviderPID != p.ProviderPID || a.ConsumerPID != p.ConsumerPID {
			return false
		}
		peer = a.State
	case *TransferProcess:
		if a.ProviderPID != p.ProviderPID || a.ConsumerPID != p.ConsumerPID {
			return false
		}
		peer = a.State
	default:
		return false
	}
	var step Step // the counterparty's move beyond, if any
	if peer != p.State {
		if peer == Terminated {
			return false
		}
		steps := NegotiationSteps()
		if p.Kind == KindTransfer {
			steps = TransferSteps()
		}
		for _, s := range steps {
			if to, err := Next(p.Kind, p.State, p.Role.Other(), s); err == nil && to == peer {
				step = s
			}
		}
		if step == "" {
			return false
		}
	}
	adopt := step != "" && peer.Terminal()
	_, _, err = n.mutate(ctx, p.Kind, p.Role, p.PID(), func(q *Process) (*Event, error) {
		if q.Outbox == nil || q.Outbox.Seq != ob.Seq || q.State != p.State {
			return nil, ErrChanged
		}
		q.Outbox = nil
		if !adopt {
			return nil, nil
		}
		from := q.State
		q.State, q.Parked = peer, false
		return n.event(q, from, step, q.Role.Other(), "peer_state"), nil
	})
	if err != nil {
		return errors.Is(err, ErrChanged) // moved meanwhile: not ours to end
	}
	n.log.InfoContext(ctx, "dsp: a repeated message the counterparty had taken", slog.String("kind", string(p.Kind)), slog.String("pid", p.PID()),
		slog.String("message", ob.Type), slog.String("counterparty_state", string(peer)))
	return true
}

// answerPeerPID returns the counterparty's process id from the answer
// to an initial request or offer.
func answerPeerPID(p *Process, ans Message) string {
	switch a := ans.(type) {
	case *ContractNegotiation:
		if p.Role == Consumer && a.ConsumerPID == p.ConsumerPID {
			return a.ProviderPID
		}
		if p.Role == Provider && a.ProviderPID == p.ProviderPID {
			return a.ConsumerPID
		}
	case *TransferProcess:
		if p.Role == Consumer && a.ConsumerPID == p.ConsumerPID {
			return a.ProviderPID
		}
	}
	return ""
}

func terminateStep(k Kind) Step {
	if k == KindTransfer {
		return StepTransferTerminate
	}
	return StepTerminate
}

func terminationMessage(p *Process, code string, reason []Reason) Message {
	if p.Kind == KindTransfer {
		return &TransferTerminationMessage{ProviderPID: p.ProviderPID, ConsumerPID: p.ConsumerPID, Code: code, Reason: reason}
	}
	return &ContractNegotiationTerminationMessage{ProviderPID: p.ProviderPID, ConsumerPID: p.ConsumerPID, Code: code, Reason: reason}
}

func reasonsFor(code string) []Reason {
	switch code {
	case "delivery_failed":
		return bilingual("A message of this process could not be delivered; the process is terminated.", "本流程的消息无法送达，流程已终止。")
	case "peer_refused":
		return bilingual("The counterparty refused a message of this process; the process is terminated.", "对方拒绝了本流程的消息，流程已终止。")
	}
	return nil
}

func bilingual(en, zh string) []Reason {
	var rs []Reason
	if en != "" {
		rs = append(rs, Reason{Value: en, Lang: "en"})
	}
	if zh != "" {
		rs = append(rs, Reason{Value: zh, Lang: "zh"})
	}
	return rs
}
