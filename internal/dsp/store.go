package dsp

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Process is one contract negotiation or transfer as one side keeps it.
// The fields after PeerAddress are those of its kind.
type Process struct {
	Kind Kind
	// Role is this connector's part; PID() is the process id it chose.
	Role        Role
	ProviderPID string
	ConsumerPID string
	State       State
	// Version counts the changes of the stored process; an update
	// succeeds only on the version it was read at (compare and set).
	Version int64
	// Counterparty is the authenticated identifier (a DID) of the other
	// party; messages from anyone else are answered 404.
	Counterparty string
	// PeerAddress is where messages to the counterparty go: the
	// consumer's callbackAddress (on the provider's side) or the
	// provider's base URL (on the consumer's side).
	PeerAddress string

	// Negotiations: the offer last made by either party, the agreement
	// (once AGREED), the agreement's @id and target (the dataset), and
	// whether the next move waits for a decision from outside (Node.Decide).
	Offer       json.RawMessage
	Agreement   json.RawMessage
	AgreementID string
	Target      string
	Parked      bool

	// Transfers: the agreement (AgreementID), the format, and the data
	// address: the consumer's push destination (in the request) or the
	// provider's pull endpoint (in the start message). It may hold a
	// token: never log it.
	Format      string
	DataAddress *DataAddress
	// Extensions are those of the TransferRequestMessage (see
	// [Extensions]), kept for the data plane.
	Extensions Extensions

	// Outbox is the message this side still has to deliver: the one its
	// last own transition produced. Node.Resume delivers it after a
	// restart.
	Outbox *Outgoing

	Created time.Time
	Updated time.Time
}

// PID returns this side's process id.
func (p *Process) PID() string {
	if p.Role == Provider {
		return p.ProviderPID
	}
	return p.ConsumerPID
}

// PeerPID returns the counterparty's process id ("" until known).
func (p *Process) PeerPID() string {
	if p.Role == Provider {
		return p.ConsumerPID
	}
	return p.ProviderPID
}

func (p *Process) setPeerPID(pid string) {
	if p.Role == Provider {
		p.ConsumerPID = pid
	} else {
		p.ProviderPID = pid
	}
}

func (p *Process) clone() *Process {
	c := *p
	if p.DataAddress != nil {
		d := *p.DataAddress
		d.EndpointProperties = append([]EndpointProperty(nil), d.EndpointProperties...)
		c.DataAddress = &d
	}
	if p.Outbox != nil {
		o := *p.Outbox
		c.Outbox = &o
	}
	c.Extensions = p.Extensions.clone()
	return &c
}

// Outgoing is a message waiting for delivery.
type Outgoing struct {
	// Seq is the process version whose transition produced it.
	Seq  int64
	URL  string
	Type string
	Body json.RawMessage
}

// Event is one step of a process: a transition (stored with the process,
// in order) or a refused message (stored on its own). It holds
// identifiers and codes, never a policy, a data address or free text, so
// it can go to an audit log as it is.
type Event struct {
	// Position places the stored event in the history of the whole store:
	// unique, assigned when the event is stored and increasing in the
	// order events are stored (see [SQLStore.EventsAfter] for the
	// guarantees); 0 until stored.
	Position int64
	// Seq numbers the transitions of a process (the version the process
	// reached); 0 for refusals.
	Seq         int64
	Time        time.Time
	Kind        Kind
	Role        Role // this connector's role
	ProviderPID string
	ConsumerPID string
	// Counterparty is the other party's identifier (empty when a message
	// could not be authenticated).
	Counterparty string
	// Actor is the identifier of the sender of the message (this
	// connector's participant id when it sent it).
	Actor  string
	Sender Role
	From   State // "" when the message created the process
	To     State // the new state; equal to From for a refusal or a decision to wait
	Step   Step  // the message, or "" for a change of this side only (parking)
	// Code is the reason code: this connector's (for example
	// "policy_rejected", "invalid_transition", "parked") or the one a
	// counterparty's termination or suspension gave.
	Code string
	// Refused reports a message answered with an error and no change.
	Refused bool
	// AgreementID and Target identify the agreement and the dataset.
	AgreementID string
	Target      string
}

// Store keeps processes and their history. Implementations must make
// Create and Update atomic: a process and its event are written together
// or not at all, and Update is a compare-and-set on the version, so two
// concurrent messages cannot both move a process. [SQLStore] is the
// implementation on database/sql.
type Store interface {
	// Create stores a new process (Version 1) and its first event. When a
	// process of the same kind and role with the same counterparty and a
	// non-empty peer process id exists (a repeated initial request), it
	// returns that one and false, and stores nothing.
	Create(ctx context.Context, p *Process, e *Event) (*Process, bool, error)
	// Get returns the process of this side with id pid, or ErrNotFound.
	Get(ctx context.Context, k Kind, r Role, pid string) (*Process, error)
	// Update stores p if the stored version is still p.Version, and e
	// (when not nil) as the event numbered p.Version+1; then it sets
	// p.Version to that number. It returns ErrConflict when the process
	// changed since it was read.
	Update(ctx context.Context, p *Process, e *Event) error
	// AddRefusal stores the event of a refused message (e.Refused), which
	// changes no process, so that the refusal is in the history too.
	AddRefusal(ctx context.Context, e *Event) error
	// Events returns the stored transitions of a process, in order.
	Events(ctx context.Context, k Kind, r Role, pid string) ([]Event, error)
	// Unfinished returns the processes that are not in a final state or
	// still have an outbox, for Node.Resume.
	Unfinished(ctx context.Context) ([]*Process, error)
	// ByAgreement returns this side's negotiation (role r) that produced
	// the agreement with @id agreementID, or ErrNotFound.
	ByAgreement(ctx context.Context, r Role, agreementID string) (*Process, error)
}

// Store errors.
var (
	ErrNotFound = errors.New("dsp: no such process")
	ErrConflict = errors.New("the process changed concurrently")
)
