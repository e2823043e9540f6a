package dsp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/xborder/xborder/internal/audit"
)

// AuditEvent maps e to an audit ledger event (internal/audit): operation
// negotiation or transfer, object the process id of this side (kind
// agreement or transfer), actor the sender (self, this connector's DID,
// when the sender is unknown), result deny for a refused message or a
// termination of this side with a reason code, success otherwise; the
// reason is the event's code, or the new state in lower case; the
// details digest is the SHA-256 of the event's JSON. It returns the
// validation error of the ledger (for example when the counterparty's
// identifier is not a DID).
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
		id = "urn:dsp:unknown-process"
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
	return ae, ae.Validate()
}
