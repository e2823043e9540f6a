package dsp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Protocol constants of the Dataspace Protocol 2025-1.
const (
	// ContextURL is the JSON-LD context every message names in its
	// @context array.
	ContextURL = "https://w3id.org/dspace/2025/1/context.jsonld"
	// Namespace is the IRI the context maps un-prefixed terms and state
	// names to (REQUESTED expands to Namespace+"REQUESTED").
	Namespace = "https://w3id.org/dspace/2025/1/"
	// Version is the protocol version this package speaks, as listed by
	// the version endpoint.
	Version = "2025-1"
	// BindingHTTPS is the only binding of 2025-1.
	BindingHTTPS = "HTTPS"
	// MaxMessageBytes bounds every message read from the network.
	MaxMessageBytes = 1 << 20
)

// Message type names (the @type of each message).
const (
	TypeContractRequestMessage                = "ContractRequestMessage"
	TypeContractOfferMessage                  = "ContractOfferMessage"
	TypeContractAgreementMessage              = "ContractAgreementMessage"
	TypeContractAgreementVerificationMessage  = "ContractAgreementVerificationMessage"
	TypeContractNegotiationEventMessage       = "ContractNegotiationEventMessage"
	TypeContractNegotiationTerminationMessage = "ContractNegotiationTerminationMessage"
	TypeContractNegotiation                   = "ContractNegotiation"
	TypeContractNegotiationError              = "ContractNegotiationError"
	TypeTransferRequestMessage                = "TransferRequestMessage"
	TypeTransferStartMessage                  = "TransferStartMessage"
	TypeTransferSuspensionMessage             = "TransferSuspensionMessage"
	TypeTransferCompletionMessage             = "TransferCompletionMessage"
	TypeTransferTerminationMessage            = "TransferTerminationMessage"
	TypeTransferProcess                       = "TransferProcess"
	TypeTransferError                         = "TransferError"
)

// Message is one Dataspace Protocol message or response body. Marshalling
// any of them with encoding/json writes compacted JSON-LD: an @context
// array holding [ContextURL], the @type, then the fields under their
// un-prefixed names, so that the output validates against the 2025-1 JSON
// schemas. [Decode] reads them back strictly.
type Message interface {
	// MessageType returns the @type.
	MessageType() string
}

// ContractRequestMessage is sent by the consumer to request a contract
// (initial, with CallbackAddress and no ProviderPID) or to make a counter
// offer (with ProviderPID and no CallbackAddress).
type ContractRequestMessage struct {
	ProviderPID     string          `json:"providerPid,omitempty"`
	ConsumerPID     string          `json:"consumerPid"`
	Offer           json.RawMessage `json:"offer"`
	CallbackAddress string          `json:"callbackAddress,omitempty"`
}

// ContractOfferMessage is sent by the provider to offer a contract
// (initial, with CallbackAddress and no ConsumerPID) or a counter offer.
type ContractOfferMessage struct {
	ProviderPID     string          `json:"providerPid"`
	ConsumerPID     string          `json:"consumerPid,omitempty"`
	Offer           json.RawMessage `json:"offer"`
	CallbackAddress string          `json:"callbackAddress,omitempty"`
}

// ContractAgreementMessage carries the provider's agreement.
type ContractAgreementMessage struct {
	ProviderPID string          `json:"providerPid"`
	ConsumerPID string          `json:"consumerPid"`
	Agreement   json.RawMessage `json:"agreement"`
}

// ContractAgreementVerificationMessage is the consumer's verification of
// the agreement.
type ContractAgreementVerificationMessage struct {
	ProviderPID string `json:"providerPid"`
	ConsumerPID string `json:"consumerPid"`
	// Extensions (see [Extensions]): xborder's consumer sends its
	// countersignature of the agreement here.
	Extensions Extensions `json:"-"`
}

// ContractNegotiationEventMessage announces ACCEPTED (by the consumer) or
// FINALIZED (by the provider).
type ContractNegotiationEventMessage struct {
	ProviderPID string `json:"providerPid"`
	ConsumerPID string `json:"consumerPid"`
	EventType   State  `json:"eventType"`
}

// ContractNegotiationTerminationMessage ends a negotiation.
type ContractNegotiationTerminationMessage struct {
	ProviderPID string   `json:"providerPid"`
	ConsumerPID string   `json:"consumerPid"`
	Code        string   `json:"code,omitempty"`
	Reason      []Reason `json:"reason,omitempty"`
}

// ContractNegotiation is the state of a negotiation, the body of the
// answer to an initial request and of GET.
type ContractNegotiation struct {
	ProviderPID string `json:"providerPid"`
	ConsumerPID string `json:"consumerPid"`
	State       State  `json:"state"`
}

// ContractNegotiationError is the body of every 4xx answer of the
// negotiation endpoints.
type ContractNegotiationError struct {
	ProviderPID string   `json:"providerPid"`
	ConsumerPID string   `json:"consumerPid"`
	Code        string   `json:"code,omitempty"`
	Reason      []Reason `json:"reason,omitempty"`
}

// TransferRequestMessage asks the provider to transfer data under an
// agreement. DataAddress is set for push transfers only.
type TransferRequestMessage struct {
	ConsumerPID     string       `json:"consumerPid"`
	AgreementID     string       `json:"agreementId"`
	Format          string       `json:"format"`
	DataAddress     *DataAddress `json:"dataAddress,omitempty"`
	CallbackAddress string       `json:"callbackAddress"`
	// Extensions are properties under absolute IRIs that other contexts
	// define (see [Extensions]); connectors that do not know them ignore
	// them.
	Extensions Extensions `json:"-"`
}

// TransferStartMessage starts (provider) or resumes (either party) a
// transfer. For pull transfers the provider's message carries the
// DataAddress the consumer reads from.
type TransferStartMessage struct {
	ProviderPID string       `json:"providerPid"`
	ConsumerPID string       `json:"consumerPid"`
	DataAddress *DataAddress `json:"dataAddress,omitempty"`
}

// TransferSuspensionMessage suspends a started transfer.
type TransferSuspensionMessage struct {
	ProviderPID string   `json:"providerPid"`
	ConsumerPID string   `json:"consumerPid"`
	Code        string   `json:"code,omitempty"`
	Reason      []Reason `json:"reason,omitempty"`
}

// TransferCompletionMessage completes a started transfer.
type TransferCompletionMessage struct {
	ProviderPID string `json:"providerPid"`
	ConsumerPID string `json:"consumerPid"`
}

// TransferTerminationMessage ends a transfer.
type TransferTerminationMessage struct {
	ProviderPID string   `json:"providerPid"`
	ConsumerPID string   `json:"consumerPid"`
	Code        string   `json:"code,omitempty"`
	Reason      []Reason `json:"reason,omitempty"`
}

// TransferProcess is the state of a transfer, the body of the answer to a
// transfer request and of GET.
type TransferProcess struct {
	ProviderPID string `json:"providerPid"`
	ConsumerPID string `json:"consumerPid"`
	State       State  `json:"state"`
}

// TransferError is the body of every 4xx answer of the transfer endpoints.
type TransferError struct {
	ProviderPID string   `json:"providerPid"`
	ConsumerPID string   `json:"consumerPid"`
	Code        string   `json:"code,omitempty"`
	Reason      []Reason `json:"reason,omitempty"`
}

// DataAddress says where and how data is read (pull) or written (push).
// Its endpoint properties may hold credentials: never log one.
type DataAddress struct {
	EndpointType       string             `json:"endpointType"`
	Endpoint           string             `json:"endpoint,omitempty"`
	EndpointProperties []EndpointProperty `json:"endpointProperties,omitempty"`
}

// EndpointProperty is a name/value pair of a DataAddress; the well-known
// names are "authorization" and "authType".
type EndpointProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Reason is one item of the reason array of a termination, suspension or
// error: a plain string, or a language-tagged string written as a JSON-LD
// value object ({"@value": …, "@language": "zh"}). A reason item of
// another shape sent by a peer is kept as its compact JSON text.
type Reason struct {
	Value string
	Lang  string
}

// MarshalJSON writes a string, or a value object when Lang is set.
func (r Reason) MarshalJSON() ([]byte, error) {
	if r.Lang == "" {
		return json.Marshal(r.Value)
	}
	return json.Marshal(struct {
		Value string `json:"@value"`
		Lang  string `json:"@language"`
	}{r.Value, r.Lang})
}

// UnmarshalJSON reads any JSON value (the schema allows any item).
func (r *Reason) UnmarshalJSON(b []byte) error {
	*r = Reason{}
	if json.Unmarshal(b, &r.Value) == nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) == nil {
		var v, lang string
		okV := json.Unmarshal(m["@value"], &v) == nil
		_, hasLang := m["@language"]
		okL := !hasLang || json.Unmarshal(m["@language"], &lang) == nil
		if okV && okL && len(m) == 1+btoi(hasLang) {
			r.Value, r.Lang = v, lang
			return nil
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, b) == nil {
		r.Value = buf.String()
	} else {
		r.Value = string(b)
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// VersionResponse is the body of GET /.well-known/dspace-version. It has
// no @context (the 2025-1 schema defines none).
type VersionResponse struct {
	ProtocolVersions []ProtocolVersion `json:"protocolVersions"`
}

// ProtocolVersion is one protocol version a connector serves.
type ProtocolVersion struct {
	Version        string       `json:"version"`
	Path           string       `json:"path"`
	Binding        string       `json:"binding"`
	ServiceID      string       `json:"serviceId,omitempty"`
	IdentifierType string       `json:"identifierType,omitempty"`
	Auth           *VersionAuth `json:"auth,omitempty"`
}

// VersionAuth names the authorization protocol of a version, for example
// {Protocol: "DCP", Version: "1.0", Profile: ["vc20-bssl/jwt"]}.
type VersionAuth struct {
	Protocol string   `json:"protocol"`
	Version  string   `json:"version"`
	Profile  []string `json:"profile,omitempty"`
}

// MessageType implementations.

func (ContractRequestMessage) MessageType() string { return TypeContractRequestMessage }
func (ContractOfferMessage) MessageType() string   { return TypeContractOfferMessage }
func (ContractAgreementMessage) MessageType() string {
	return TypeContractAgreementMessage
}
func (ContractAgreementVerificationMessage) MessageType() string {
	return TypeContractAgreementVerificationMessage
}
func (ContractNegotiationEventMessage) MessageType() string {
	return TypeContractNegotiationEventMessage
}
func (ContractNegotiationTerminationMessage) MessageType() string {
	return TypeContractNegotiationTerminationMessage
}
func (ContractNegotiation) MessageType() string      { return TypeContractNegotiation }
func (ContractNegotiationError) MessageType() string { return TypeContractNegotiationError }
func (TransferRequestMessage) MessageType() string   { return TypeTransferRequestMessage }
func (TransferStartMessage) MessageType() string     { return TypeTransferStartMessage }
func (TransferSuspensionMessage) MessageType() string {
	return TypeTransferSuspensionMessage
}
func (TransferCompletionMessage) MessageType() string {
	return TypeTransferCompletionMessage
}
func (TransferTerminationMessage) MessageType() string {
	return TypeTransferTerminationMessage
}
func (TransferProcess) MessageType() string { return TypeTransferProcess }
func (TransferError) MessageType() string   { return TypeTransferError }

// Compacted JSON-LD encoders: the header, then the fields.

func (m ContractRequestMessage) MarshalJSON() ([]byte, error) {
	type plain ContractRequestMessage
	return encode(m.MessageType(), plain(m))
}
func (m ContractOfferMessage) MarshalJSON() ([]byte, error) {
	type plain ContractOfferMessage
	return encode(m.MessageType(), plain(m))
}
func (m ContractAgreementMessage) MarshalJSON() ([]byte, error) {
	type plain ContractAgreementMessage
	return encode(m.MessageType(), plain(m))
}
func (m ContractAgreementVerificationMessage) MarshalJSON() ([]byte, error) {
	type plain ContractAgreementVerificationMessage
	b, err := encode(m.MessageType(), plain(m))
	if err != nil {
		return nil, err
	}
	return m.Extensions.appendTo(b)
}
func (m ContractNegotiationEventMessage) MarshalJSON() ([]byte, error) {
	type plain ContractNegotiationEventMessage
	return encode(m.MessageType(), plain(m))
}
func (m ContractNegotiationTerminationMessage) MarshalJSON() ([]byte, error) {
	type plain ContractNegotiationTerminationMessage
	return encode(m.MessageType(), plain(m))
}
func (m ContractNegotiation) MarshalJSON() ([]byte, error) {
	type plain ContractNegotiation
	return encode(m.MessageType(), plain(m))
}
func (m ContractNegotiationError) MarshalJSON() ([]byte, error) {
	type plain ContractNegotiationError
	return encode(m.MessageType(), plain(m))
}
func (m TransferRequestMessage) MarshalJSON() ([]byte, error) {
	type plain TransferRequestMessage
	b, err := encode(m.MessageType(), plain(m))
	if err != nil {
		return nil, err
	}
	return m.Extensions.appendTo(b)
}
func (m TransferStartMessage) MarshalJSON() ([]byte, error) {
	type plain TransferStartMessage
	return encode(m.MessageType(), plain(m))
}
func (m TransferSuspensionMessage) MarshalJSON() ([]byte, error) {
	type plain TransferSuspensionMessage
	return encode(m.MessageType(), plain(m))
}
func (m TransferCompletionMessage) MarshalJSON() ([]byte, error) {
	type plain TransferCompletionMessage
	return encode(m.MessageType(), plain(m))
}
func (m TransferTerminationMessage) MarshalJSON() ([]byte, error) {
	type plain TransferTerminationMessage
	return encode(m.MessageType(), plain(m))
}
func (m TransferProcess) MarshalJSON() ([]byte, error) {
	type plain TransferProcess
	return encode(m.MessageType(), plain(m))
}
func (m TransferError) MarshalJSON() ([]byte, error) {
	type plain TransferError
	return encode(m.MessageType(), plain(m))
}

// MarshalJSON writes the DataAddress with its @type.
func (d DataAddress) MarshalJSON() ([]byte, error) {
	type plain DataAddress
	return json.Marshal(struct {
		Type string `json:"@type"`
		plain
	}{"DataAddress", plain(d)})
}

// MarshalJSON writes the property with its @type.
func (p EndpointProperty) MarshalJSON() ([]byte, error) {
	type plain EndpointProperty
	return json.Marshal(struct {
		Type string `json:"@type"`
		plain
	}{"EndpointProperty", plain(p)})
}

// encode writes the header and then the fields of v, a struct without
// custom marshalling whose JSON is an object.
func encode(typ string, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", typ, err)
	}
	out := make([]byte, 0, len(body)+len(ContextURL)+len(typ)+32)
	out = append(out, `{"@context":["`...)
	out = append(out, ContextURL...)
	out = append(out, `"],"@type":`...)
	out = strconv.AppendQuote(out, typ)
	if len(body) > 2 {
		out = append(out, ',')
	}
	return append(out, body[1:]...), nil
}
