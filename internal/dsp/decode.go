package dsp

import (
	"github.com/xborder/xborder/internal/jsonstrict"

	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/xborder/xborder/internal/vc"
)

// Error codes of messages that cannot be read. With the codes of
// errors.go they are the code of the protocol Error body.
const (
	CodeBadMessage  = "bad_message"  // not JSON, a missing or malformed field
	CodeBadContext  = "bad_context"  // @context is not an array naming ContextURL
	CodeUnknownType = "unknown_type" // @type names no message of 2025-1
	CodeTooLarge    = "too_large"    // more than MaxMessageBytes
)

// MessageError is a message that was refused by [Decode]: Path points at
// the offending member, e.g. "offer.permission[0].action".
type MessageError struct {
	Code string
	Path string
	Msg  string
}

func (e *MessageError) Error() string {
	if e.Path == "" {
		return "dsp: " + e.Msg
	}
	return "dsp: " + e.Path + ": " + e.Msg
}

func badMsg(path, format string, args ...any) *MessageError {
	return &MessageError{Code: CodeBadMessage, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// maxDepth bounds the nesting of a message (policies nest logical
// constraints; nothing real is deeper).
const maxDepth = 32

type spec struct {
	keys []string // the message's properties besides @context and @type
	new  func() Message
	// present lists properties that must be present even when empty
	// (the process ids of an error body, which may not be known).
	present []string
}

func specs() map[string]spec {
	pids := []string{"providerPid", "consumerPid"}
	coded := []string{"providerPid", "consumerPid", "code", "reason"}
	return map[string]spec{
		TypeContractRequestMessage:                {keys: []string{"providerPid", "consumerPid", "offer", "callbackAddress"}, new: func() Message { return new(ContractRequestMessage) }},
		TypeContractOfferMessage:                  {keys: []string{"providerPid", "consumerPid", "offer", "callbackAddress"}, new: func() Message { return new(ContractOfferMessage) }},
		TypeContractAgreementMessage:              {keys: []string{"providerPid", "consumerPid", "agreement"}, new: func() Message { return new(ContractAgreementMessage) }},
		TypeContractAgreementVerificationMessage:  {keys: pids, new: func() Message { return new(ContractAgreementVerificationMessage) }},
		TypeContractNegotiationEventMessage:       {keys: []string{"providerPid", "consumerPid", "eventType"}, new: func() Message { return new(ContractNegotiationEventMessage) }},
		TypeContractNegotiationTerminationMessage: {keys: coded, new: func() Message { return new(ContractNegotiationTerminationMessage) }},
		TypeContractNegotiation:                   {keys: []string{"providerPid", "consumerPid", "state"}, new: func() Message { return new(ContractNegotiation) }},
		TypeContractNegotiationError:              {keys: coded, new: func() Message { return new(ContractNegotiationError) }, present: pids},
		TypeTransferRequestMessage:                {keys: []string{"consumerPid", "agreementId", "format", "dataAddress", "callbackAddress"}, new: func() Message { return new(TransferRequestMessage) }},
		TypeTransferStartMessage:                  {keys: []string{"providerPid", "consumerPid", "dataAddress"}, new: func() Message { return new(TransferStartMessage) }},
		TypeTransferSuspensionMessage:             {keys: coded, new: func() Message { return new(TransferSuspensionMessage) }},
		TypeTransferCompletionMessage:             {keys: pids, new: func() Message { return new(TransferCompletionMessage) }},
		TypeTransferTerminationMessage:            {keys: coded, new: func() Message { return new(TransferTerminationMessage) }},
		TypeTransferProcess:                       {keys: []string{"providerPid", "consumerPid", "state"}, new: func() Message { return new(TransferProcess) }},
		TypeTransferError:                         {keys: coded, new: func() Message { return new(TransferError) }, present: pids},
		TypeCatalogRequestMessage:                 {keys: []string{"filter"}, new: func() Message { return new(CatalogRequestMessage) }},
		TypeDatasetRequestMessage:                 {keys: []string{"dataset"}, new: func() Message { return new(DatasetRequestMessage) }},
		TypeCatalogError:                          {keys: []string{"code", "reason"}, new: func() Message { return new(CatalogError) }},
		TypeCatalog:                               {keys: catalogKeys(), new: func() Message { return new(Catalog) }},
		TypeDataset:                               {keys: datasetKeys(), new: func() Message { return new(Dataset) }},
	}
}

var messageSpecs = specs()

// Decode reads one message strictly and returns a pointer to its type
// (*ContractRequestMessage, …, *Catalog, *Dataset; catalog_decode.go adds
// the catalog protocol's rules). It refuses, with a *[MessageError]: more
// than MaxMessageBytes; anything but one JSON object; duplicate keys;
// nesting deeper than 32; an @context that is not an array of strings
// containing [ContextURL]; an unknown @type; a property the message does
// not define (properties whose name holds a colon, extension IRIs of other
// contexts, are ignored); a missing or empty required property; a value of
// the wrong type or outside its enumeration; the oneOf rules of the
// schemas (a ContractRequestMessage has exactly one of callbackAddress
// and providerPid); and offers, agreements and data addresses that break
// the 2025-1 schemas (see checkPolicy).
func Decode(data []byte) (Message, error) { return decode(data, MaxMessageBytes) }

// decode is Decode with a size limit.
func decode(data []byte, limit int) (Message, error) {
	ms, err := readMembers(data, limit)
	if err != nil {
		return nil, err
	}
	top := membersMap(ms)
	if err := checkContext(top["@context"]); err != nil {
		return nil, err
	}
	rawType, ok := top["@type"]
	if !ok {
		return nil, badMsg("@type", "missing")
	}
	var typ string
	if json.Unmarshal(rawType, &typ) != nil {
		return nil, badMsg("@type", "must be a string")
	}
	sp, ok := messageSpecs[typ]
	if !ok {
		return nil, &MessageError{Code: CodeUnknownType, Path: "@type", Msg: fmt.Sprintf("%q is not a Dataspace Protocol 2025-1 message", clip(typ))}
	}
	for _, k := range sortedKeys(top) {
		if k == "@context" || k == "@type" || slices.Contains(sp.keys, k) || isExtension(k) {
			continue
		}
		return nil, badMsg(k, "is not a property of %s", typ)
	}
	for _, k := range sp.present {
		if _, ok := top[k]; !ok {
			return nil, badMsg(k, "missing; it is required")
		}
	}
	m := sp.new()
	if r, ok := m.(interface{ readRaw([]byte) error }); ok {
		if err := r.readRaw(data); err != nil {
			return nil, err
		}
	} else if err := json.Unmarshal(data, m); err != nil {
		return nil, jsonErr(err)
	}
	switch t := m.(type) {
	case *TransferRequestMessage:
		if t.Extensions, err = readExtensions(top); err != nil {
			return nil, err
		}
	case *ContractAgreementVerificationMessage:
		if t.Extensions, err = readExtensions(top); err != nil {
			return nil, err
		}
	}
	if v, ok := m.(interface{ validate() error }); ok {
		if err := v.validate(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// DecodeVersionResponse reads the body of the version endpoint.
func DecodeVersionResponse(data []byte) (*VersionResponse, error) {
	top, err := readObject(data, MaxMessageBytes)
	if err != nil {
		return nil, err
	}
	for k := range top {
		if k != "protocolVersions" && k != "@context" && !isExtension(k) {
			return nil, badMsg(k, "is not a property of a version response")
		}
	}
	var v VersionResponse
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, jsonErr(err)
	}
	if len(v.ProtocolVersions) == 0 {
		return nil, badMsg("protocolVersions", "needs at least one version")
	}
	for i, p := range v.ProtocolVersions {
		path := "protocolVersions[" + strconv.Itoa(i) + "]"
		switch {
		case p.Version == "":
			return nil, badMsg(path+".version", "missing")
		case p.Path == "":
			return nil, badMsg(path+".path", "missing")
		case p.Binding != BindingHTTPS:
			return nil, badMsg(path+".binding", "must be %q", BindingHTTPS)
		case p.Auth != nil && (p.Auth.Protocol == "" || p.Auth.Version == ""):
			return nil, badMsg(path+".auth", "needs protocol and version")
		}
	}
	return &v, nil
}

// readObject checks the size (at most limit bytes) and the syntax of data
// and returns its top-level members.
func readObject(data []byte, limit int) (map[string]json.RawMessage, error) {
	ms, err := readMembers(data, limit)
	if err != nil {
		return nil, err
	}
	return membersMap(ms), nil
}

// readMembers checks the size and the syntax of data and returns its
// top-level members in document order (sharing memory with data).
func readMembers(data []byte, limit int) ([]member, error) {
	if len(data) > limit {
		return nil, &MessageError{Code: CodeTooLarge, Msg: fmt.Sprintf("the message is %d bytes; the limit is %d", len(data), limit)}
	}
	if err := scanJSON(data); err != nil {
		return nil, err
	}
	ms, ok := objectMembers(data)
	if !ok {
		return nil, badMsg("", "a message is a JSON object")
	}
	return ms, nil
}

func membersMap(ms []member) map[string]json.RawMessage {
	top := make(map[string]json.RawMessage, len(ms))
	for _, m := range ms {
		top[m.key] = m.val
	}
	return top
}

func checkContext(raw json.RawMessage) error {
	if raw == nil {
		return &MessageError{Code: CodeBadContext, Path: "@context", Msg: "missing; a 2025-1 message has @context [\"" + ContextURL + "\"]"}
	}
	var ctx []string
	if err := json.Unmarshal(raw, &ctx); err != nil {
		return &MessageError{Code: CodeBadContext, Path: "@context", Msg: "must be an array of context URLs containing \"" + ContextURL + "\""}
	}
	if !slices.Contains(ctx, ContextURL) {
		return &MessageError{Code: CodeBadContext, Path: "@context", Msg: "does not name \"" + ContextURL + "\": another version of the protocol, or not the protocol at all"}
	}
	return nil
}

// isExtension reports whether a property name is a compact or absolute
// IRI, which the protected DSP context leaves to other contexts.
func isExtension(k string) bool { return strings.Contains(k, ":") }

func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return badMsg(te.Field, "must be %s, not a JSON %s", kindName(te.Type.Kind().String()), te.Value)
	}
	var me *MessageError
	if errors.As(err, &me) {
		return me
	}
	return badMsg("", "%v", err)
}

func kindName(k string) string {
	switch k {
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return k
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// scanJSON checks that data is one JSON value with objects nested at most
// maxDepth deep and without duplicate keys (JSON-LD processors and plain
// JSON readers would disagree on which duplicate counts).
func scanJSON(data []byte) error {
	if ok, _ := scanStrict(data, maxDepth); ok {
		return nil
	}
	if err := scanJSONSlow(data); err != nil {
		return err
	}
	return badMsg("", "not JSON") // scanStrict and the slow path disagree: refuse
}

// scanJSONSlow is scanJSON with encoding/json and jsonstrict, which say
// what is wrong.
func scanJSONSlow(data []byte) error {
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return badMsg("", "not JSON at byte %d: %v", se.Offset, err)
		}
		return badMsg("", "not JSON: %v", err)
	}
	if e := jsonstrict.Check(data, maxDepth); e != nil {
		if e.Depth {
			return badMsg("", "nested more than %d deep", maxDepth)
		}
		return badMsg(clip(e.Key), "duplicate key")
	}
	return nil
}

// Validation of each message after encoding/json has filled it.

func required(path, v string) error {
	if v == "" {
		return badMsg(path, "missing or empty; it is required")
	}
	return nil
}

func requireAll(kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if err := required(kv[i], kv[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// checkCallback checks a callbackAddress: an absolute http or https URL
// without query or fragment (paths are appended to it).
func checkCallback(path, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return badMsg(path, "must be an absolute https (or http) URL without query, fragment or credentials")
	}
	return nil
}

func checkReason(rs []Reason, present bool) error {
	if present && len(rs) == 0 {
		return badMsg("reason", "when present it needs at least one item")
	}
	return nil
}

func (m *ContractRequestMessage) validate() error {
	if err := required("consumerPid", m.ConsumerPID); err != nil {
		return err
	}
	if (m.CallbackAddress == "") == (m.ProviderPID == "") {
		return badMsg("", "a ContractRequestMessage has either callbackAddress (the initial request) or providerPid (a counter offer), exactly one")
	}
	if m.CallbackAddress != "" {
		if err := checkCallback("callbackAddress", m.CallbackAddress); err != nil {
			return err
		}
	}
	return checkPolicy("offer", m.Offer, "Offer")
}

func (m *ContractOfferMessage) validate() error {
	if err := required("providerPid", m.ProviderPID); err != nil {
		return err
	}
	if (m.CallbackAddress == "") == (m.ConsumerPID == "") {
		return badMsg("", "a ContractOfferMessage has either callbackAddress (the initial offer) or consumerPid, exactly one")
	}
	if m.CallbackAddress != "" {
		if err := checkCallback("callbackAddress", m.CallbackAddress); err != nil {
			return err
		}
	}
	return checkPolicy("offer", m.Offer, "Offer")
}

func (m *ContractAgreementMessage) validate() error {
	if err := requireAll("providerPid", m.ProviderPID, "consumerPid", m.ConsumerPID); err != nil {
		return err
	}
	return checkPolicy("agreement", m.Agreement, "Agreement")
}

func (m *ContractAgreementVerificationMessage) validate() error {
	return requireAll("providerPid", m.ProviderPID, "consumerPid", m.ConsumerPID)
}

func (m *ContractNegotiationEventMessage) validate() error {
	if err := requireAll("providerPid", m.ProviderPID, "consumerPid", m.ConsumerPID); err != nil {
		return err
	}
	if m.EventType != Accepted && m.EventType != Finalized {
		return badMsg("eventType", "must be ACCEPTED or FINALIZED")
	}
	return nil
}

func (m *ContractNegotiationTerminationMessage) validate() error {
	if err := requireAll("providerPid", m.ProviderPID, "consumerPid", m.ConsumerPID); err != nil {
		return err
	}
	return checkReason(m.Reason, m.Reason != nil)
}

func (m *ContractNegotiation) validate() error {
	if err := requireAll("providerPid", m.ProviderPID, "consumerPid", m.ConsumerPID); err != nil {
		return err
	}
	if !m.State.Valid(KindNegotiation) {
		return badMsg("state", "%q is not a negotiation state", clip(string(m.State)))
	}
	return nil
}

// validate of the error bodies accepts empty process ids: an answer to a
// request for an unknown process may not know one of them.
func (m *ContractNegotiationError) validate() error { return checkReason(m.Reason, m.Reason != nil) }

func (m *TransferRequestMessage) validate() error {
	if err := requireAll("consumerPid", m.ConsumerPID, "agreementId", m.AgreementID, "format", m.Format, "callbackAddress", m.CallbackAddress); err != nil {
		return err
	}
	if err := m.Extensions.validate(); err != nil {
		return err
	}
	return checkCallback("callbackAddress", m.CallbackAddress)
}

func (m *TransferStartMessage) validate() error {
	return requireAll("providerPid", m.ProviderPID, "consumerPid", m.ConsumerPID)
}

func (m *TransferSuspensionMessage) validate() error {
	if err := requireAll("providerPid", m.ProviderPID, "consumerPid", m.ConsumerPID); err != nil {
		return err
	}
	return checkReason(m.Reason, m.Reason != nil)
}

func (m *TransferCompletionMessage) validate() error {
	return requireAll("providerPid", m.ProviderPID, "consumerPid", m.ConsumerPID)
}

func (m *TransferTerminationMessage) validate() error {
	if err := requireAll("providerPid", m.ProviderPID, "consumerPid", m.ConsumerPID); err != nil {
		return err
	}
	return checkReason(m.Reason, m.Reason != nil)
}

func (m *TransferProcess) validate() error {
	if err := requireAll("providerPid", m.ProviderPID, "consumerPid", m.ConsumerPID); err != nil {
		return err
	}
	if !m.State.Valid(KindTransfer) {
		return badMsg("state", "%q is not a transfer state", clip(string(m.State)))
	}
	return nil
}

func (m *TransferError) validate() error { return checkReason(m.Reason, m.Reason != nil) }

// UnmarshalJSON reads a DataAddress strictly: @type DataAddress,
// endpointType, and properties each with @type EndpointProperty, name and
// value.
func (d *DataAddress) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return badMsg("dataAddress", "must be an object")
	}
	if err := typeIs(m, "dataAddress", "DataAddress", "endpointType", "endpoint", "endpointProperties"); err != nil {
		return err
	}
	type plain DataAddress
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		var me *MessageError
		if errors.As(err, &me) {
			return me
		}
		return badMsg("dataAddress", "%v", err)
	}
	if err := required("dataAddress.endpointType", p.EndpointType); err != nil {
		return err
	}
	if _, ok := m["endpointProperties"]; ok && len(p.EndpointProperties) == 0 {
		return badMsg("dataAddress.endpointProperties", "when present it needs at least one property")
	}
	*d = DataAddress(p)
	return nil
}

// UnmarshalJSON reads an EndpointProperty strictly.
func (e *EndpointProperty) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return badMsg("dataAddress.endpointProperties", "each property is an object")
	}
	if err := typeIs(m, "dataAddress.endpointProperties", "EndpointProperty", "name", "value"); err != nil {
		return err
	}
	var p struct {
		Name  *string `json:"name"`
		Value *string `json:"value"`
	}
	if err := json.Unmarshal(b, &p); err != nil || p.Name == nil || p.Value == nil || *p.Name == "" {
		return badMsg("dataAddress.endpointProperties", "each property has a string name and a string value")
	}
	*e = EndpointProperty{Name: *p.Name, Value: *p.Value}
	return nil
}

// typeIs checks the @type of a nested object and that it has only the
// listed properties (or extension IRIs).
func typeIs(m map[string]json.RawMessage, path, typ string, keys ...string) error {
	var t string
	if json.Unmarshal(m["@type"], &t) != nil || t != typ {
		return badMsg(path+".@type", "must be %q", typ)
	}
	for _, k := range sortedKeys(m) {
		if k != "@type" && !slices.Contains(keys, k) && !isExtension(k) {
			return badMsg(path+"."+k, "is not a property of %s", typ)
		}
	}
	return nil
}

// Policies: the Offer and Agreement shapes of negotiation/contract-schema.json.

// odrlTerms returns the terms the DSP 2025-1 ODRL profile context
// defines, read once from the context pinned by internal/vc: a key
// outside them (and not an IRI) would be dropped by JSON-LD processors.
var odrlTerms = sync.OnceValues(func() (map[string]bool, error) {
	l, err := vc.NewLoader()
	if err != nil {
		return nil, err
	}
	doc, err := l.Load("https://w3id.org/dspace/2025/1/odrl-profile.jsonld")
	if err != nil {
		return nil, err
	}
	m, _ := doc.(map[string]any)
	ctx, _ := m["@context"].(map[string]any)
	if len(ctx) == 0 {
		return nil, errors.New("the pinned DSP ODRL profile context has no terms")
	}
	terms := make(map[string]bool, len(ctx))
	for k := range ctx {
		if !strings.HasPrefix(k, "@") {
			terms[k] = true
		}
	}
	return terms, nil
})

var operators = []string{"eq", "gt", "gteq", "lteq", "hasPart", "isA", "isAllOf", "isAnyOf", "isNoneOf", "isPartOf", "lt", "term-lteq", "neq"}

// xsdDateTime is the timestamp pattern of the 2025-1 Agreement schema.
var xsdDateTime = regexp.MustCompile(`^-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|(24:00:00(\.0+)?))(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?$`)

// PolicyHead is what the protocol itself reads from an offer or an
// agreement; the rest is for the policy engine (internal/odrl,
// internal/contract).
type PolicyHead struct {
	ID        string // @id
	Type      string // Offer or Agreement
	Target    string // the dataset
	Assigner  string
	Assignee  string
	Timestamp string
}

// ReadPolicyHead returns the head of an offer or agreement that Decode has
// already checked.
func ReadPolicyHead(raw json.RawMessage) (PolicyHead, error) {
	var h struct {
		ID        string `json:"@id"`
		Type      string `json:"@type"`
		Target    string `json:"target"`
		Assigner  string `json:"assigner"`
		Assignee  string `json:"assignee"`
		Timestamp string `json:"timestamp"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return PolicyHead{}, badMsg("", "the policy's head is malformed: %v", err)
	}
	return PolicyHead(h), nil
}

// CheckPolicy checks an offer (typ "Offer") or an agreement ("Agreement")
// as it travels in a message; see checkPolicy. raw need not have been
// checked: duplicate keys and deep nesting are refused too.
func CheckPolicy(raw json.RawMessage, typ string) error {
	if raw != nil {
		if err := scanJSON(raw); err != nil {
			return err
		}
	}
	return checkPolicy("", raw, typ)
}

// checkPolicy checks the shape the 2025-1 schemas give an offer in a
// message (MessageOffer, with the @id and target every negotiation
// needs) or an agreement: @type, @id, target, assigner and assignee
// (agreements), an xsd:dateTime timestamp, profile, at least one
// permission or prohibition, rules with a string action and no target,
// atomic constraints with leftOperand, an operator of the schema's
// enumeration and a rightOperand, logical constraints with exactly one of
// and, andSequence, or, xone. Keys must be terms of the DSP ODRL profile
// or IRIs. It does not decide what the policy means: that is the policy
// engine's job. A number or boolean rightOperand is accepted although the
// schema asks for a string, object or array, because ODRL writers
// (internal/contract among them) use JSON literals for counts. raw has
// been checked by scanJSON (it is part of a decoded message); members are
// checked in the order of their keys.
func checkPolicy(path string, raw json.RawMessage, typ string) error {
	_, err := checkPolicyShape(path, raw, typ, false)
	return err
}

// sortedMembers appends the members of a checked object to buf, sorted by
// key (buf lets callers keep small objects off the heap).
func sortedMembers(b []byte, buf []member) ([]member, bool) {
	it, ok := newMemberIter(b)
	if !ok {
		return nil, false
	}
	ms := buf[:0]
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		ms = append(ms, member{k, v})
	}
	slices.SortFunc(ms, func(a, b member) int { return strings.Compare(a.key, b.key) })
	return ms, true
}

// get returns the value of the member named k.
func get(ms []member, k string) ([]byte, bool) {
	for _, m := range ms {
		if m.key == k {
			return m.val, true
		}
	}
	return nil, false
}

// checkPolicyShape is checkPolicy; inCatalog checks an offer as a catalog
// carries it instead of one in a message. It returns the policy's @id.
func checkPolicyShape(path string, raw json.RawMessage, typ string, inCatalog bool) (string, error) {
	id, err := checkPolicyRel(raw, typ, inCatalog)
	return id, within(err, path)
}

// within puts err, a *MessageError whose path is relative to a value, at
// that value's path (seg: a member's name, an item's "[i]" or a path);
// other errors pass. Checks report paths relative to what they check and
// their callers add where it is, so that a valid message builds no path.
func within(err error, seg string) error {
	me, ok := err.(*MessageError)
	if !ok || seg == "" {
		return err
	}
	switch {
	case me.Path == "":
		me.Path = seg
	case me.Path[0] == '[':
		me.Path = seg + me.Path
	default:
		me.Path = seg + "." + me.Path
	}
	return me
}

// item is the path segment of an array's item i.
func item(i int) string { return "[" + strconv.Itoa(i) + "]" }

func checkPolicyRel(raw json.RawMessage, typ string, inCatalog bool) (string, error) {
	terms, err := odrlTerms()
	if err != nil {
		return "", fmt.Errorf("dsp: reading the pinned ODRL profile context: %w", err)
	}
	if raw == nil || isNull(raw) {
		return "", badMsg("", "missing; it is required")
	}
	var buf [8]member
	p, ok := sortedMembers(raw, buf[:0])
	if !ok {
		return "", badMsg("", "must be an object (an ODRL %s)", typ)
	}
	if t, ok := get(p, "@type"); ok || !inCatalog {
		if s, _ := stringValue(t); s != typ {
			return "", badMsg("@type", "must be %q", typ)
		}
	}
	musts := []string{"@id", "target"}
	switch {
	case inCatalog:
		musts = musts[:1]
		if _, ok := get(p, "target"); ok {
			return "", badMsg("target", "an offer in a catalog carries no target (Dataspace Protocol 2025-1: the enclosing dataset is the target)")
		}
	case typ == "Agreement":
		musts = append(musts, "assigner", "assignee")
	}
	for _, k := range musts {
		if v, _ := get(p, k); len(v) == 0 || v[0] != '"' || len(v) == 2 {
			return "", badMsg(k, "missing or not a non-empty string; it is required")
		}
	}
	var id string
	for _, m := range p {
		k := m.key
		switch k {
		case "@id", "@type", "target", "assigner", "assignee":
			s, ok := stringValue(m.val)
			if !ok {
				return "", badMsg(k, "must be a string")
			}
			if k == "@id" {
				id = s
			}
		case "timestamp":
			s, ok := stringValue(m.val)
			if typ != "Agreement" || !ok || !xsdDateTime.MatchString(s) {
				return "", badMsg(k, "an agreement's timestamp is an xsd:dateTime string")
			}
		case "profile":
			if !isProfile(m.val) {
				return "", badMsg(k, "must be a string or an array of strings")
			}
		case "permission", "prohibition", "obligation":
			if err := checkRules(m.val, terms); err != nil {
				return "", within(err, k)
			}
		default:
			if err := checkTerm(k, terms); err != nil {
				return "", err
			}
		}
	}
	_, perm := get(p, "permission")
	_, proh := get(p, "prohibition")
	if !perm && !proh {
		return "", badMsg("", "an %s needs a permission or a prohibition", typ)
	}
	return id, nil
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

// checkTerm checks a member name k, at path k.
func checkTerm(k string, terms map[string]bool) error {
	if isExtension(k) || terms[k] {
		return nil
	}
	if strings.HasPrefix(k, "@") {
		return badMsg(k, "JSON-LD keyword %s is not accepted here", clip(k))
	}
	return badMsg(k, "%q is not defined by the Dataspace Protocol context and would be dropped by JSON-LD processors; write it as a compact IRI such as odrl:%s", clip(k), clip(k))
}

// isProfile reports whether v is a string or an array of strings.
func isProfile(v []byte) bool {
	if _, ok := stringValue(v); ok {
		return true
	}
	items, ok := arrayItems(v)
	if !ok {
		return false
	}
	for _, e := range items {
		if _, ok := stringValue(e); !ok {
			return false
		}
	}
	return true
}

func checkRules(v []byte, terms map[string]bool) error {
	rs, ok := arrayItems(v)
	if !ok || len(rs) == 0 {
		return badMsg("", "must be an array of at least one rule")
	}
	return checkEach(rs, terms, checkRule)
}

// checkEach checks every item with check, at the item's path.
func checkEach(items [][]byte, terms map[string]bool, check func([]byte, map[string]bool) error) error {
	for i, x := range items {
		if err := check(x, terms); err != nil {
			return within(err, item(i))
		}
	}
	return nil
}

func checkRule(r []byte, terms map[string]bool) error {
	var buf [8]member
	m, ok := sortedMembers(r, buf[:0])
	if !ok {
		return badMsg("", "a rule is an object")
	}
	if a, _ := get(m, "action"); len(a) == 0 || a[0] != '"' || len(a) == 2 {
		return badMsg("action", "missing or not a string; a rule needs an action")
	}
	for _, x := range m {
		switch x.key {
		case "action", "@id", "@type", "assigner", "assignee":
		case "target":
			return badMsg(x.key, "a rule inside a negotiated policy carries no target (Dataspace Protocol 2025-1: the policy's target is the dataset)")
		case "constraint":
			if err := checkConstraints(x.val, terms); err != nil {
				return within(err, x.key)
			}
		case "duty", "obligation":
			if err := checkRules(x.val, terms); err != nil {
				return within(err, x.key)
			}
		default:
			if err := checkTerm(x.key, terms); err != nil {
				return err
			}
		}
	}
	return nil
}

// logicalOperators are the members of a logical constraint.
var logicalOperators = []string{"and", "andSequence", "or", "xone"}

func checkConstraints(v []byte, terms map[string]bool) error {
	cs, ok := arrayItems(v)
	if !ok {
		return badMsg("", "must be an array of constraints")
	}
	return checkEach(cs, terms, checkConstraint)
}

func checkConstraint(c []byte, terms map[string]bool) error {
	var buf [8]member
	m, ok := sortedMembers(c, buf[:0])
	if !ok {
		return badMsg("", "a constraint is an object")
	}
	logical, n := "", 0
	for _, op := range logicalOperators {
		if _, ok := get(m, op); ok {
			logical, n = op, n+1
		}
	}
	switch {
	case n > 1:
		return badMsg("", "a logical constraint has exactly one of and, andSequence, or, xone")
	case n == 1:
		sub, _ := get(m, logical)
		if err := checkConstraints(sub, terms); err != nil {
			return within(err, logical)
		}
	default:
		if l, _ := get(m, "leftOperand"); len(l) == 0 || l[0] != '"' || len(l) == 2 {
			return badMsg("leftOperand", "missing or not a string")
		}
		if o, _ := get(m, "operator"); !slices.Contains(operators, unquoted(o)) {
			return badMsg("operator", "missing or not one of %s", strings.Join(operators, ", "))
		}
		if r, ok := get(m, "rightOperand"); !ok || isNull(r) {
			return badMsg("rightOperand", "missing")
		}
	}
	for _, x := range m {
		switch x.key {
		case "and", "andSequence", "or", "xone", "leftOperand", "operator", "rightOperand", "@id", "@type":
		default:
			if err := checkTerm(x.key, terms); err != nil {
				return err
			}
		}
	}
	return nil
}

// unquoted is the string a checked JSON value holds ("" if it is not one).
func unquoted(v []byte) string {
	s, _ := stringValue(v)
	return s
}
