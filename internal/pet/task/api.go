package task

import (
	"context"
	"crypto"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/pet/review"
	"github.com/xborder/xborder/internal/suite"
)

// Caller is who makes a call: the node's own operator (Local, through the
// management API; Actor is the operator's DID recorded in the audit log)
// or an authenticated peer node (DID from the channel).
type Caller struct {
	DID   string
	Local bool
	Actor string
}

// Agreement is a finalized DSP agreement as the node stores it.
type Agreement struct {
	ID                 string
	Provider, Consumer string          // DIDs
	Target             string          // the dataset id
	Policy             json.RawMessage // the agreement's ODRL (JSON-LD)
	Purpose            string
	Finalized          bool
}

// ErrNoAgreement is returned (wrapped or not) by Agreements for an
// unknown id.
var ErrNoAgreement = errors.New("task: no such agreement")

// Agreements finds the node's agreements (the node implements it from its
// DSP store).
type Agreements interface {
	Agreement(ctx context.Context, id string) (*Agreement, error)
}

// Peers calls op on the peer node did, bound to the agreement binding, and
// returns the peer's response body. A refusal by the peer comes back as an
// *Error (the node decodes it with DecodeError).
type Peers interface {
	Call(ctx context.Context, did, binding, op string, body []byte) ([]byte, error)
}

// Auditor appends to the audit ledger and finds the entries about an
// object. [LogAuditor] adapts *audit.Log.
type Auditor interface {
	Append(ctx context.Context, e *audit.Event) error
	// Entries returns the entries whose object is objectID, in log order,
	// and the log's latest checkpoint (nil when none).
	Entries(ctx context.Context, objectID string) ([]audit.Hit, []byte, error)
}

// LogAuditor is the Auditor of an *audit.Log.
type LogAuditor struct{ Log *audit.Log }

// Append appends e.
func (a LogAuditor) Append(ctx context.Context, e *audit.Event) error {
	_, err := a.Log.Append(ctx, e)
	return err
}

// Entries waits for the index to catch up, then queries it.
func (a LogAuditor) Entries(ctx context.Context, objectID string) ([]audit.Hit, []byte, error) {
	if err := a.Log.Sync(ctx); err != nil {
		return nil, nil, err
	}
	hits, err := a.Log.Query(ctx, audit.Query{ObjectID: objectID, Limit: 10_000})
	if err != nil {
		return nil, nil, err
	}
	cp, err := a.Log.Checkpoint(ctx)
	if err != nil {
		cp = nil
	}
	return hits, cp, nil
}

// Publisher is a trusted algorithm publisher's verification key.
type Publisher struct {
	Alg suite.Alg
	Key crypto.PublicKey
}

// Minimums are the node's floor for any task's review policy: a peer's
// task below them is refused (policy_below_minimum).
type Minimums struct {
	MinGroup        int64 // smallest secagg group shown; 0 means secagg.DefaultMinGroup
	MinIntersection int64 // smallest PSI intersection shown; 0 means 1
	RequireDP       bool  // refuse exact releases
	NoKeys          bool  // refuse releasing intersection keys
}

// Options configure Open.
type Options struct {
	DB         *sql.DB // SQLite or PostgreSQL; the caller closes it
	Self       string  // this node's DID
	Agreements Agreements
	Peers      Peers
	Audit      Auditor
	// Budget debits the privacy budget of DP releases (a *dp.Ledger); a
	// DP task is refused without it.
	Budget review.Budget
	// Uploads is the directory of the encrypted uploads.
	Uploads string
	// Publishers are the trusted algorithm publishers, by DID.
	Publishers map[string]Publisher
	// Suite encrypts the uploads at rest: suite.Intl (AES-256-GCM, the
	// default) or suite.GM (SM4-GCM).
	Suite    *suite.Suite
	Minimums Minimums
	// MaxUpload bounds an upload in bytes (default 64 MiB); MaxRows the
	// rows of an input (default 1<<22).
	MaxUpload int64
	MaxRows   int64
	// RunTimeout bounds a run (default 1 h); InboxDepth the messages
	// waiting per task (default 256).
	RunTimeout time.Duration
	InboxDepth int
	Now        func() time.Time
	Logger     *slog.Logger
	// Noise replaces crypto/rand as the source of DP noise (tests).
	Noise io.Reader
	// KeepInputs keeps this node's input of a task after the task ended.
	// By default it is erased then (its key deleted, its file removed) —
	// the data was uploaded for that computation only — unless a task
	// that has not ended uses the same content, or it was uploaded for a
	// dataset rather than a task.
	KeepInputs bool
}

// Party is one party of a task.
type Party struct {
	DID string `json:"did"`
	// Role: "a" (learns the PSI result) or "b" for PSI; "party" for
	// secure aggregation, where the order of Parties is the party index.
	Role string `json:"role"`
	// Agreement binds this party to the initiator; empty means the task's.
	Agreement string `json:"agreement,omitempty"`
}

// ReviewPolicy is the result review all parties agree at creation.
type ReviewPolicy struct {
	MinGroup        int64  `json:"min_group,omitempty"`        // secagg: smallest group or bin shown
	MinIntersection int64  `json:"min_intersection,omitempty"` // PSI: smallest intersection shown
	Rho             string `json:"rho,omitempty"`              // zCDP ρ (discrete Gaussian), decimal or fraction
	Epsilon         string `json:"epsilon,omitempty"`          // pure-DP ε (discrete Laplace)
	ReleaseKeys     bool   `json:"release_keys,omitempty"`     // PSI intersection: release the keys
}

// Params are the algorithm's parameters.
type Params struct {
	Group      string   `json:"group,omitempty"`       // PSI: ristretto255 (default) or x25519
	ValueBound int64    `json:"value_bound,omitempty"` // PSI-sum: values clamped to [0, value_bound]
	Groups     []string `json:"groups,omitempty"`      // secagg: the agreed group-key domain
	Edges      []string `json:"edges,omitempty"`       // secagg histogram: bin edges (decimals)
	Scale      int      `json:"scale,omitempty"`       // secagg: decimal digits of the values
	ClampLo    string   `json:"clamp_lo,omitempty"`    // secagg: clamp bounds (decimals), both or neither
	ClampHi    string   `json:"clamp_hi,omitempty"`
}

// Spec is a task as all parties agree it at creation; it is the body of
// taskCreate (id and initiator are set by the initiator's node).
type Spec struct {
	ID        string       `json:"id,omitempty"`
	Initiator string       `json:"initiator,omitempty"`
	Agreement string       `json:"agreement"`
	Algorithm string       `json:"algorithm"` // name@version
	Params    Params       `json:"params"`
	Parties   []Party      `json:"parties"`
	Fields    []string     `json:"fields"` // the columns the computation may use (all parties)
	Review    ReviewPolicy `json:"review"`
	Output    []string     `json:"output"` // DIDs that receive (may download) the result
	Purpose   string       `json:"purpose,omitempty"`
}

// States of a task.
const (
	StateCreated    = "created"
	StateAuthorized = "authorized"
	StateRunning    = "running"
	StateSucceeded  = "succeeded"
	StateFailed     = "failed"
	StateCancelled  = "cancelled"
)

func terminal(state string) bool {
	return state == StateSucceeded || state == StateFailed || state == StateCancelled
}

// Event is one entry of a task's ordered history.
type Event struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Actor  string    `json:"actor"`
	Detail string    `json:"detail,omitempty"`
}

// InputStatus says whether a party's input is authorized.
type InputStatus struct {
	Party      string `json:"party"`
	Authorized bool   `json:"authorized"`
}

// Progress is a running task's advance.
type Progress struct {
	Phase string `json:"phase"`
	Done  int64  `json:"done"`
	Total int64  `json:"total"`
}

// View is taskQuery's response.
type View struct {
	Task     Spec          `json:"task"`
	State    string        `json:"state"`
	Reason   string        `json:"reason,omitempty"`
	Inputs   []InputStatus `json:"inputs"`
	Progress *Progress     `json:"progress,omitempty"`
	Events   []Event       `json:"events"`
	Created  time.Time     `json:"created"`
	Updated  time.Time     `json:"updated"`
}

// Ref names a task: the body of taskQuery, resultQuery, resultDownload,
// auditLog and performanceMetric.
type Ref struct {
	TaskID string `json:"task_id"`
}

// QueryRequest is taskQuery's body. With WaitMS the answer waits, up to
// that long (at most MaxWait), until the task has more than Events events
// (the number the caller has seen) — a long poll, so that a caller
// following a task makes one call (and one audit entry) per change
// rather than one per poll.
type QueryRequest struct {
	TaskID string `json:"task_id"`
	Events int    `json:"events,omitempty"`
	WaitMS int    `json:"wait_ms,omitempty"`
}

// MaxWait bounds taskQuery's wait.
const MaxWait = 30 * time.Second

// CancelRequest is taskCancel's body.
type CancelRequest struct {
	TaskID string `json:"task_id"`
	Reason string `json:"reason,omitempty"` // snake_case code; "peer_failed" from a peer whose run failed
}

// InvokeRequest is algorithmInvoke's body; DryRun (between nodes) checks
// the preconditions without starting.
type InvokeRequest struct {
	TaskID string `json:"task_id"`
	DryRun bool   `json:"dry_run,omitempty"`
}

// UploadRequest is dataUpload's body: CSV with a header row (base64 in
// JSON), for a task or a dataset.
type UploadRequest struct {
	TaskID  string `json:"task_id,omitempty"`
	Dataset string `json:"dataset,omitempty"`
	Data    []byte `json:"data"`
}

// UploadResponse names the stored upload.
type UploadResponse struct {
	Upload  string   `json:"upload"` // "sha256:" + hex of the plaintext
	Size    int64    `json:"size"`
	Columns []string `json:"columns"`
	Suite   string   `json:"suite"` // the at-rest encryption: aes-256-gcm or sm4-gcm
}

// Columns are the columns of an upload a party's input uses.
type Columns struct {
	Key     string `json:"key,omitempty"`      // PSI: the key column
	Value   string `json:"value,omitempty"`    // PSI-sum (party b) and secagg (except count)
	GroupBy string `json:"group_by,omitempty"` // secagg with groups
}

func (c Columns) list() []string {
	var out []string
	for _, s := range []string{c.Key, c.Value, c.GroupBy} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// AuthorizeRequest is dataAuthorize's body.
type AuthorizeRequest struct {
	TaskID  string  `json:"task_id"`
	Upload  string  `json:"upload"`
	Columns Columns `json:"columns"`
}

// AuthorizeResponse records an authorization.
type AuthorizeResponse struct {
	TaskID       string `json:"task_id"`
	Party        string `json:"party"`
	Upload       string `json:"upload"`
	Rows         int64  `json:"rows"`
	PolicyDigest string `json:"policy_digest"` // sha256 of the agreement's ODRL as evaluated
	Rule         string `json:"rule"`          // the ODRL rule that permitted it
	State        string `json:"state"`
}

// RegisterRequest is algorithmRegister's body: the manifest as a compact
// JWS signed by its publisher.
type RegisterRequest struct {
	Manifest string `json:"manifest"`
}

// Algorithm is a registered algorithm (algorithmRegister's response).
type Algorithm struct {
	ID             string   `json:"id"` // name@version
	Kind           string   `json:"kind"`
	Offers         []string `json:"offers"`
	Implementation string   `json:"implementation"`
	Publisher      string   `json:"publisher"`
	Params         []string `json:"params"`
	Digest         string   `json:"digest"` // sha256 of the manifest JWS ("builtin" for built-ins)
	Builtin        bool     `json:"builtin"`
}

// ComplianceRequest is complianceCheck's body: an existing task, or a
// proposed one.
type ComplianceRequest struct {
	TaskID string `json:"task_id,omitempty"`
	Task   *Spec  `json:"task,omitempty"`
}

// Check is one named compliance check.
type Check struct {
	Name      string `json:"name"`
	Pass      bool   `json:"pass"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageZH string `json:"message_zh"`
	// Peer names the party whose node made the check (empty: this node).
	Peer string `json:"peer,omitempty"`
}

// ComplianceReport is complianceCheck's response.
type ComplianceReport struct {
	TaskID      string  `json:"task_id,omitempty"`
	Pass        bool    `json:"pass"`
	Checks      []Check `json:"checks"`
	Attestation string  `json:"attestation"` // "none": no TEE here
}

// Decision is the review decision shown by resultQuery.
type Decision struct {
	Allow     bool   `json:"allow"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageZH string `json:"message_zh"`
}

// ResultView is resultQuery's response.
type ResultView struct {
	TaskID    string    `json:"task_id"`
	State     string    `json:"state"`
	Reviewed  bool      `json:"reviewed"`
	Decision  *Decision `json:"decision,omitempty"`
	Available bool      `json:"available"` // a released result is held here
	Output    []string  `json:"output"`
	Digest    string    `json:"digest,omitempty"` // sha256 of the released result
}

// Result is resultDownload's response: the released result.
type Result struct {
	TaskID    string             `json:"task_id"`
	Algorithm string             `json:"algorithm"`
	PSI       *review.PSIRelease `json:"psi,omitempty"`
	Aggregate *review.Release    `json:"aggregate,omitempty"`
	Digest    string             `json:"digest"`
}

// AuditLog is auditLog's response.
type AuditLog struct {
	TaskID     string      `json:"task_id"`
	Entries    []audit.Hit `json:"entries"`
	Checkpoint string      `json:"checkpoint,omitempty"` // the signed checkpoint note
}

// Metrics is performanceMetric's response.
type Metrics struct {
	TaskID         string           `json:"task_id"`
	Phases         map[string]int64 `json:"phases_ms"` // created→authorized, authorized→running, running→ended
	BytesSent      int64            `json:"bytes_sent"`
	BytesReceived  int64            `json:"bytes_received"`
	MessagesSent   int64            `json:"messages_sent"`
	MessagesRecvd  int64            `json:"messages_received"`
	Items          int64            `json:"items"`
	ItemsPerSecond float64          `json:"items_per_second"`
	Node           NodeCounters     `json:"node"`
}

// NodeCounters are node-wide figures.
type NodeCounters struct {
	Tasks         map[string]int64 `json:"tasks"` // by state
	Refusals      int64            `json:"refusals"`
	BytesSent     int64            `json:"bytes_sent"`
	BytesReceived int64            `json:"bytes_received"`
	MessagesSent  int64            `json:"messages_sent"`
	MessagesRecvd int64            `json:"messages_received"`
}

// Message is the body of the "message" op: one protocol message of a run.
type Message struct {
	TaskID string `json:"task_id"`
	Seq    uint64 `json:"seq"` // from 1, per sender and task
	Data   []byte `json:"data"`
}

// The message op's body is binary, not JSON: the protocols' messages are
// most of a task's traffic (84 MB for PSI at 2^20), and base64 in JSON
// would add a third. Frame: "XTM1" ‖ task-id length u8 ‖ task id ‖ seq
// u64 ‖ data, all big-endian.
const messageMagic = "XTM1"

// MarshalBinary is the message op's frame.
func (m *Message) MarshalBinary() ([]byte, error) {
	if len(m.TaskID) > 255 {
		return nil, errors.New("task: a task id longer than 255 bytes")
	}
	b := make([]byte, 0, len(messageMagic)+1+len(m.TaskID)+8+len(m.Data))
	b = append(b, messageMagic...)
	b = append(b, byte(len(m.TaskID)))
	b = append(b, m.TaskID...)
	b = binary.BigEndian.AppendUint64(b, m.Seq)
	return append(b, m.Data...), nil
}

// UnmarshalBinary reads the message op's frame; Data aliases b.
func (m *Message) UnmarshalBinary(b []byte) error {
	if len(b) < len(messageMagic)+1 || string(b[:len(messageMagic)]) != messageMagic {
		return errors.New("not a message frame")
	}
	b = b[len(messageMagic):]
	n := int(b[0])
	if len(b) < 1+n+8 {
		return errors.New("a truncated message frame")
	}
	m.TaskID = string(b[1 : 1+n])
	m.Seq = binary.BigEndian.Uint64(b[1+n:])
	m.Data = b[1+n+8:]
	return nil
}

// Notice is the body of the "inputAuthorized" op: a party tells the
// others its input is authorized.
type Notice struct {
	TaskID string `json:"task_id"`
}
