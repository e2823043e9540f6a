package anomaly

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// Rule is the code of a detection rule. It is the Reason of the alert's
// audit event.
type Rule string

// Rules.
const (
	RuleBulkTransfer     Rule = "bulk_transfer"
	RuleOutsideAgreement Rule = "outside_agreement"
	RuleRepeatedDenials  Rule = "repeated_denials"
	RuleUnusualHours     Rule = "unusual_hours"
)

// Severity grades an alert.
type Severity string

// Severities, in increasing order.
const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

var severityRank = map[Severity]int{SeverityInfo: 0, SeverityWarning: 1, SeverityCritical: 2}

// Findings: what exactly an alert found, by rule.
const (
	// bulk_transfer: the metric that exceeded its threshold.
	FindingRecords = "records"
	FindingBytes   = "bytes"
	FindingEvents  = "events"
	// outside_agreement, from the Agreements lookup (a reason-code alert has
	// the event's reason code as its finding).
	FindingBeforeWindow      = "before_window"
	FindingAfterWindow       = "after_window"
	FindingUnknownAgreement  = "unknown_agreement"
	FindingInactiveAgreement = "inactive_agreement"
	// repeated_denials.
	FindingDenials = "denials"
	// unusual_hours.
	FindingOffHours = "off_hours" // a business day, outside business hours
	FindingWeekend  = "weekend"   // a weekday not in Days
	FindingHoliday  = "holiday"   // a date in Holidays
)

// MaxEvidence bounds the log indices an alert cites: the most recent
// triggering events, the alerting one last.
const MaxEvidence = 32

// Alert is what a rule found. It holds identifiers, times and counts only,
// never personal data in clear (the actor is a DID, the object an
// identifier).
//
// The ID is deterministic: the SHA-256 of the rule, the actor and the window
// (and, for outside_agreement, whose alerts concern a single event, the
// event's log index), so the same log yields the same alerts with the same
// IDs however often it is replayed. Precisely, the lower-case hex SHA-256
// of "xborder.anomaly.alert/v1" and a zero byte, then the rule, the actor
// and the key (the decimal log index, or empty) each preceded by its length
// as a big-endian uint64, then the window's start and end each as Unix
// seconds (big-endian uint64) and nanoseconds (big-endian uint32).
type Alert struct {
	ID       string   `json:"id"`                  // 64 lower-case hex digits
	Rule     Rule     `json:"rule"`                // the rule's code
	Severity Severity `json:"severity"`            // the rule's configured severity
	Actor    string   `json:"actor"`               // DID of the actor concerned
	ObjectID string   `json:"object_id,omitempty"` // the object of the alerting event, for single-event findings
	Finding  string   `json:"finding"`             // see the Finding constants
	// Window is the period the rule looked at: the tumbling window
	// (bulk_transfer, unusual_hours), from the oldest counted denial to the
	// alerting one (repeated_denials), or the event's time (outside_agreement).
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	At          time.Time `json:"at"`        // time of the alerting event
	Observed    uint64    `json:"observed"`  // the value measured (sum, count); 1 for a single event
	Threshold   uint64    `json:"threshold"` // bulk_transfer: Observed exceeded it; repeated_denials: Observed reached it; 0 otherwise
	Evidence    []uint64  `json:"evidence"`  // log indices of the triggering events, at most MaxEvidence, oldest first
	// Class is the most sensitive class among the triggering events; it is
	// the alert event's class, so that the alert is retained as long as its
	// evidence.
	Class audit.Class `json:"class"`
}

// alertID computes the deterministic ID. key distinguishes alerts about
// single events ("" for windowed rules).
func alertID(rule Rule, actor string, start, end time.Time, key string) string {
	h := sha256.New()
	h.Write([]byte("xborder.anomaly.alert/v1\x00"))
	for _, s := range []string{string(rule), actor, key} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	for _, t := range []time.Time{start, end} {
		var n [12]byte
		binary.BigEndian.PutUint64(n[:8], uint64(t.Unix()))
		binary.BigEndian.PutUint32(n[8:], uint32(t.Nanosecond()))
		h.Write(n[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func eventKey(index uint64) string { return strconv.FormatUint(index, 10) }

// AlertURNPrefix prefixes an alert's ID in its audit event's object ID.
const AlertURNPrefix = "urn:xborder:alert:"

// Canonical returns the alert's canonical JSON: the fields in the order of
// the struct, times in RFC 3339 UTC with nanoseconds, no insignificant
// whitespace, no HTML escaping. It is the webhook body, and its SHA-256 is
// the details digest of the alert's audit event.
func (a Alert) Canonical() []byte {
	a.WindowStart, a.WindowEnd, a.At = a.WindowStart.UTC(), a.WindowEnd.UTC(), a.At.UTC()
	if a.Evidence == nil {
		a.Evidence = []uint64{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(a); err != nil {
		// Only strings, times within years 2000..9999, integers and a slice:
		// encoding cannot fail.
		panic("anomaly: encoding an alert: " + err.Error())
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// Event maps the alert to the audit event that records it in the ledger:
//
//   - Operation audit.OpAlert, ObjectKind audit.KindAlert, ObjectID
//     "urn:xborder:alert:" + ID;
//   - Actor: the actor concerned, so that the ledger is searchable by actor;
//   - Time: the alerting event's time (not the window's end, which may lie
//     in the future), so replaying yields the same event;
//   - Result audit.ResultFailure: the actor's behaviour failed a detection
//     rule. Never success, which would count as a successful operation of
//     the actor, and never deny, since detection refuses nothing;
//   - Reason: the rule's code;
//   - DetailsDigest: "sha256:" + hex SHA-256 of [Alert.Canonical];
//   - Class: the alert's class; Records and Bytes 0, so that volume
//     reports summing them do not count the alert's observation again.
func (a Alert) Event() *audit.Event {
	sum := sha256.Sum256(a.Canonical())
	return &audit.Event{
		Actor:         a.Actor,
		Time:          a.At.UTC(),
		Operation:     audit.OpAlert,
		ObjectID:      AlertURNPrefix + a.ID,
		ObjectKind:    audit.KindAlert,
		Result:        audit.ResultFailure,
		Reason:        string(a.Rule),
		DetailsDigest: "sha256:" + hex.EncodeToString(sum[:]),
		Class:         a.Class,
	}
}

// classRank orders classes by sensitivity (and so by retention).
var classRank = map[audit.Class]int{
	audit.ClassGeneral: 0, audit.ClassPersonal: 1, audit.ClassSensitive: 2, audit.ClassImportant: 3, audit.ClassCore: 4,
}

func maxClass(a, b audit.Class) audit.Class {
	if a == "" {
		a = audit.ClassGeneral
	}
	if b == "" {
		b = audit.ClassGeneral
	}
	if classRank[b] > classRank[a] {
		return b
	}
	return a
}
