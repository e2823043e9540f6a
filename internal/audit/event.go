// Package audit is xborder's tamper-evident audit ledger (issue 5; user
// guide: docs/audit.md).
//
// An [Event] records who (an actor DID) did what (an [Operation]) to which
// object (an identifier and an [ObjectKind]), with which [Result], why (a
// reason code), a SHA-256 digest of the details, the sensitivity [Class] of
// the data and counts of records and bytes. Events carry identifiers, codes,
// numbers and digests only, never free text, so no personal data in clear;
// [Event.Validate] enforces bounded sizes and a restricted character set.
//
// Canonical encoding ([Event.Canonical], read back by [ParseCanonical]): a
// JSON object with exactly the fields actor, bytes, class, details_digest,
// object_id, object_kind, operation, reason, records, result, time (RFC 3339
// UTC with nanoseconds, "Z" suffix), in that (sorted) order — class always
// present (an empty class is written "general"), bytes and records as
// decimal integers — no insignificant whitespace, strings escaped as by
// encoding/json with HTML escaping off. Validation restricts strings to
// printable ASCII, so the encoding is byte-for-byte deterministic.
//
// Salted commitments: each appended event gets a fresh random 32-byte salt;
// the log leaf data is the commitment SHA-256(salt ‖ canonical event), so the
// RFC 6962 leaf hash is SHA-256(0x00 ‖ commitment) and the public tiles reveal
// nothing about the events. The payload (salt ‖ event) is group-committed to
// a per-class segment file beside the tree (segment.go) and is pruned by
// whole segments for retention under a signed manifest (prune.go), while the
// tree stays verifiable.
//
// The Merkle log is github.com/transparency-dev/tessera with its POSIX
// driver (tlog-tiles layout under DIR/log); checkpoints are C2SP signed notes
// signed with the node's Ed25519 key (and SM2 for the gm suite, sm2note.go),
// optionally cosigned k-of-n by witnesses before publication and
// timestamped by an RFC 3161 authority (timestamp.go). [Log.Append] returns
// an index only once the payload is fsync'd and the entry is integrated into
// the tree on disk. [Verify] rechecks a data directory offline; [Index]
// answers queries from an index derived from, and checked against, the log;
// [BuildPack] and [VerifyPack] make and check evidence packs; [Handler]
// serves the tlog-tiles read API and proofs.
package audit

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Operation is the kind of action audited.
type Operation string

// Operations.
const (
	OpAccess         Operation = "access"
	OpDownload       Operation = "download"
	OpTransfer       Operation = "transfer"
	OpCompute        Operation = "compute"
	OpPolicyDecision Operation = "policy_decision"
	OpNegotiation    Operation = "negotiation"
	OpResolution     Operation = "resolution"
	OpKeyUse         Operation = "key_use"
	OpAdminChange    Operation = "admin_change"
	// OpAlert records an anomaly alert raised by a detection rule; its object
	// is the alert (KindAlert), its reason the rule's code.
	OpAlert Operation = "alert"
)

// ObjectKind is the kind of object an event is about.
type ObjectKind string

// Object kinds.
const (
	KindDataset   ObjectKind = "dataset"
	KindAgreement ObjectKind = "agreement"
	KindTransfer  ObjectKind = "transfer"
	KindTask      ObjectKind = "task"
	KindAlert     ObjectKind = "alert"
	// KindAuditLog is the audit log itself (its payload segments, for
	// example, when retention prunes one).
	KindAuditLog ObjectKind = "audit_log"
)

// Class is the sensitivity class of the data an event concerns. It selects
// the retention period of the event's payload (see RetentionPolicy).
type Class string

// Classes, after the PRC data classification (一般数据, 个人信息, 敏感个人信息,
// 重要数据, 核心数据). The empty class is read as ClassGeneral.
const (
	ClassGeneral   Class = "general"
	ClassPersonal  Class = "personal"
	ClassSensitive Class = "sensitive"
	ClassImportant Class = "important"
	ClassCore      Class = "core"
)

// Result is the outcome of the audited action.
type Result string

// Results.
const (
	ResultAllow   Result = "allow"
	ResultDeny    Result = "deny"
	ResultSuccess Result = "success"
	ResultFailure Result = "failure"
)

var (
	validOps     = map[Operation]bool{OpAccess: true, OpDownload: true, OpTransfer: true, OpCompute: true, OpPolicyDecision: true, OpNegotiation: true, OpResolution: true, OpKeyUse: true, OpAdminChange: true, OpAlert: true}
	validKinds   = map[ObjectKind]bool{KindDataset: true, KindAgreement: true, KindTransfer: true, KindTask: true, KindAlert: true, KindAuditLog: true}
	validClasses = map[Class]bool{ClassGeneral: true, ClassPersonal: true, ClassSensitive: true, ClassImportant: true, ClassCore: true}
	validResults = map[Result]bool{ResultAllow: true, ResultDeny: true, ResultSuccess: true, ResultFailure: true}
)

// Size bounds enforced by Validate.
const (
	MaxActorLen    = 512
	MaxObjectIDLen = 512
	MaxReasonLen   = 64
	MaxCount       = 1<<53 - 1
)

// Event is one audited action. See the package doc for the canonical form.
type Event struct {
	Actor         string     `json:"actor"`             // DID of the actor, e.g. did:web:example.org
	Time          time.Time  `json:"time"`              // when it happened (UTC)
	Operation     Operation  `json:"operation"`         // what was done
	ObjectID      string     `json:"object_id"`         // identifier (URI, URN or DID) of the object
	ObjectKind    ObjectKind `json:"object_kind"`       // dataset, agreement, transfer, task
	Result        Result     `json:"result"`            // allow, deny, success, failure
	Reason        string     `json:"reason"`            // short machine reason code, e.g. "purpose_mismatch"; may be empty
	DetailsDigest string     `json:"details_digest"`    // "sha256:" + 64 lower-case hex digits of the details document
	Class         Class      `json:"class,omitempty"`   // sensitivity class; empty means general
	Records       uint64     `json:"records,omitempty"` // records moved or touched, when known (0 = not applicable)
	Bytes         uint64     `json:"bytes,omitempty"`   // bytes moved, when known (0 = not applicable)
}

// EffectiveClass returns the event's class, ClassGeneral when empty.
func (e *Event) EffectiveClass() Class {
	if e.Class == "" {
		return ClassGeneral
	}
	return e.Class
}

// ValidationError reports which field of an event is invalid.
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return "audit: event field " + e.Field + ": " + e.Msg }

func verr(field, format string, a ...any) error {
	return &ValidationError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// identifier checks printable ASCII without spaces, within max bytes.
func identifier(field, s string, max int) error {
	if s == "" {
		return verr(field, "empty")
	}
	if len(s) > max {
		return verr(field, "%d bytes, more than %d", len(s), max)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c >= 0x7f {
			return verr(field, "byte %d (0x%02x) is not printable ASCII without spaces", i, c)
		}
	}
	return nil
}

// Validate checks the event: bounded sizes, known enumerations, identifiers
// only (a DID actor, an identifier with a scheme, a snake_case reason code and
// a sha256 digest), so that no free text — and so no personal data in clear —
// can enter the log.
func (e *Event) Validate() error {
	if err := identifier("actor", e.Actor, MaxActorLen); err != nil {
		return err
	}
	if parts := strings.SplitN(e.Actor, ":", 3); len(parts) != 3 || parts[0] != "did" || parts[1] == "" || parts[2] == "" {
		return verr("actor", "%q is not a DID (did:<method>:<id>)", e.Actor)
	}
	if e.Time.IsZero() {
		return verr("time", "missing")
	}
	if y := e.Time.UTC().Year(); y < 2000 || y > 9999 {
		return verr("time", "year %d out of range 2000..9999", y)
	}
	if !validOps[e.Operation] {
		return verr("operation", "unknown operation %q", e.Operation)
	}
	if err := identifier("object_id", e.ObjectID, MaxObjectIDLen); err != nil {
		return err
	}
	if i := strings.IndexByte(e.ObjectID, ':'); i <= 0 {
		return verr("object_id", "%q has no scheme (expected a URI, URN or DID)", e.ObjectID)
	}
	if !validKinds[e.ObjectKind] {
		return verr("object_kind", "unknown object kind %q", e.ObjectKind)
	}
	if !validResults[e.Result] {
		return verr("result", "unknown result %q", e.Result)
	}
	if e.Class != "" && !validClasses[e.Class] {
		return verr("class", "unknown class %q (general, personal, sensitive, important, core)", e.Class)
	}
	if e.Records > MaxCount || e.Bytes > MaxCount {
		return verr("records", "counts are bounded by 2^53-1 (exact in JSON numbers)")
	}
	if len(e.Reason) > MaxReasonLen {
		return verr("reason", "%d bytes, more than %d", len(e.Reason), MaxReasonLen)
	}
	for i := 0; i < len(e.Reason); i++ {
		c := e.Reason[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return verr("reason", "byte %d (%q): a reason is a code of [a-z0-9_.-], not free text", i, c)
		}
	}
	d, ok := strings.CutPrefix(e.DetailsDigest, "sha256:")
	if !ok || len(d) != 64 || strings.ToLower(d) != d {
		return verr("details_digest", "want \"sha256:\" and 64 lower-case hex digits")
	}
	if _, err := hex.DecodeString(d); err != nil {
		return verr("details_digest", "not hex: %v", err)
	}
	return nil
}

// Canonical validates e and returns its canonical JSON encoding. It writes
// the fixed layout directly (FuzzCanonical checks it against encoding/json).
func (e *Event) Canonical() ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 320+len(e.Actor)+len(e.ObjectID))
	b = append(b, `{"actor":`...)
	b = appendCanonString(b, e.Actor)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendUint(b, e.Bytes, 10)
	b = append(b, `,"class":`...)
	b = appendCanonString(b, string(e.EffectiveClass()))
	b = append(b, `,"details_digest":`...)
	b = appendCanonString(b, e.DetailsDigest)
	b = append(b, `,"object_id":`...)
	b = appendCanonString(b, e.ObjectID)
	b = append(b, `,"object_kind":`...)
	b = appendCanonString(b, string(e.ObjectKind))
	b = append(b, `,"operation":`...)
	b = appendCanonString(b, string(e.Operation))
	b = append(b, `,"reason":`...)
	b = appendCanonString(b, e.Reason)
	b = append(b, `,"records":`...)
	b = strconv.AppendUint(b, e.Records, 10)
	b = append(b, `,"result":`...)
	b = appendCanonString(b, string(e.Result))
	b = append(b, `,"time":"`...)
	b = e.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `"}`...)
	return b, nil
}

// appendCanonString quotes s, which Validate has restricted to printable
// ASCII, as encoding/json does with HTML escaping off: only " and \ escaped.
func appendCanonString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b = append(b, '\\', c)
		} else {
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// ParseCanonical decodes a canonical encoding, rejecting unknown fields and
// any input that is not exactly the canonical encoding of a valid event.
//
// It reads the fixed layout directly (keys in canonical order, no
// whitespace, strings with only the escapes encoding/json would write for
// printable ASCII) instead of decoding JSON and re-encoding it: verification
// and indexing parse every stored event. FuzzParseCanonical checks it accepts
// exactly what the encoding/json round trip accepts.
func ParseCanonical(b []byte) (*Event, error) {
	p := canonParser{b: b}
	var e Event
	var class, tm string
	p.lit(`{"actor":`)
	e.Actor = p.str()
	p.lit(`,"bytes":`)
	e.Bytes = p.uint()
	p.lit(`,"class":`)
	class = p.str()
	p.lit(`,"details_digest":`)
	e.DetailsDigest = p.str()
	p.lit(`,"object_id":`)
	e.ObjectID = p.str()
	p.lit(`,"object_kind":`)
	e.ObjectKind = ObjectKind(p.str())
	p.lit(`,"operation":`)
	e.Operation = Operation(p.str())
	p.lit(`,"reason":`)
	e.Reason = p.str()
	p.lit(`,"records":`)
	e.Records = p.uint()
	p.lit(`,"result":`)
	e.Result = Result(p.str())
	p.lit(`,"time":`)
	tm = p.str()
	p.lit(`}`)
	if p.err == nil && p.i != len(b) {
		p.fail("trailing bytes")
	}
	if p.err != nil {
		return nil, fmt.Errorf("audit: canonical event: %w", p.err)
	}
	t, err := time.Parse(time.RFC3339Nano, tm)
	if err != nil {
		return nil, fmt.Errorf("audit: canonical event: time: %w", err)
	}
	if t.Location() != time.UTC || t.Format(time.RFC3339Nano) != tm {
		return nil, errors.New("audit: canonical event: input is not in canonical form (time)")
	}
	e.Time = t
	if class == "" {
		return nil, errors.New("audit: canonical event: input is not in canonical form (empty class)")
	}
	e.Class = Class(class)
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return &e, nil
}

// canonParser reads the canonical layout; the first error sticks.
type canonParser struct {
	b   []byte
	i   int
	err error
}

func (p *canonParser) fail(msg string) {
	if p.err == nil {
		p.err = fmt.Errorf("input is not in canonical form (%s at byte %d)", msg, p.i)
	}
}

func (p *canonParser) lit(s string) {
	if p.err != nil {
		return
	}
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		p.fail("expected " + s)
		return
	}
	p.i += len(s)
}

// str reads a JSON string holding printable ASCII, escaped as encoding/json
// does with HTML escaping off: only \" and \\.
func (p *canonParser) str() string {
	p.lit(`"`)
	if p.err != nil {
		return ""
	}
	start := p.i
	plain := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if plain {
				return string(s)
			}
			out := make([]byte, 0, len(s))
			for j := 0; j < len(s); j++ {
				if s[j] == '\\' {
					j++
				}
				out = append(out, s[j])
			}
			return string(out)
		case c == '\\':
			if p.i+1 >= len(p.b) || (p.b[p.i+1] != '"' && p.b[p.i+1] != '\\') {
				p.fail("escape")
				return ""
			}
			plain = false
			p.i += 2
		case c < 0x20 || c >= 0x7f:
			p.fail("byte outside printable ASCII")
			return ""
		default:
			p.i++
		}
	}
	p.fail("unterminated string")
	return ""
}

// uint reads a decimal integer without leading zeros.
func (p *canonParser) uint() uint64 {
	if p.err != nil {
		return 0
	}
	start := p.i
	var n uint64
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		if p.i-start >= 16 {
			p.fail("number too long")
			return 0
		}
		n = n*10 + uint64(p.b[p.i]-'0')
		p.i++
	}
	if p.i == start || (p.b[start] == '0' && p.i-start > 1) {
		p.fail("number")
		return 0
	}
	return n
}
