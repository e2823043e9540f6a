package dsp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"

	"github.com/xborder/xborder/internal/audit"
)

// AuditEvent maps e to an audit ledger event (internal/audit): operation
// negotiation or transfer, object the process id of this side (kind
// agreement or transfer), actor the sender (self, this connector's DID,
// when the sender is unknown), result deny for a refused message or a
// termination of this side with a reason code, success otherwise; the
// reason is the event's code, or the new state in lower case; the
// details digest is the SHA-256 of the event's JSON, which makes it the
// event's identity in the ledger once it is stored (the JSON holds its
// Position). A process id the ledger cannot take as an object (one that a
// refused request brought: not printable ASCII, no scheme, too long) is
// replaced by urn:dsp:unknown-process; the digest still covers it. It
// returns the validation error of the ledger (for example when the
// sender's identifier is not a DID).
func (e Event) AuditEvent(self string) (*audit.Event, error) {
	actor := e.Actor
	if actor == "" {
		actor = self
	}
	op, kind := audit.OpNegotiation, audit.KindAgreement
	if e.Kind == KindTransfer {
		op, kind = audit.OpTransfer, audit.KindTransfer
	}
	id := e.ProviderPID
	if e.Role == Consumer || id == "" {
		id = e.ConsumerPID
	}
	if id == "" {
		id = e.ProviderPID
	}
	if id == "" {
		id = unknownProcess
	}
	result := audit.ResultSuccess
	if e.Refused || (e.To == Terminated && e.Sender == e.Role && e.Code != "") {
		result = audit.ResultDeny
	}
	reason := strings.ToLower(e.Code)
	if reason != "" && !validCode(reason) {
		reason = "peer_code"
	}
	if reason == "" {
		reason = strings.ToLower(string(e.To))
	}
	details, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(details)
	ae := &audit.Event{Actor: actor, Time: e.Time, Operation: op, ObjectID: id, ObjectKind: kind, Result: result,
		Reason: reason, DetailsDigest: "sha256:" + hex.EncodeToString(sum[:])}
	err = ae.Validate()
	if ve, ok := errors.AsType[*audit.ValidationError](err); ok && ve.Field == "object_id" {
		ae.ObjectID = unknownProcess
		err = ae.Validate()
	}
	return ae, err
}

// unknownProcess is the audit object of a step whose process id is not known.
const unknownProcess = "urn:dsp:unknown-process"
