package dsp

import (
	"errors"
	"strings"
	"testing"
)

const ctx = `"@context":["https://w3id.org/dspace/2025/1/context.jsonld"]`

func msg(typ, rest string) string {
	if rest != "" {
		rest = "," + rest
	}
	return `{` + ctx + `,"@type":"` + typ + `"` + rest + `}`
}

const pidsJSON = `"providerPid":"urn:uuid:p","consumerPid":"urn:uuid:c"`

// TestDecodeRefuses: every way a message can be bad gives a
// *MessageError with the right code and a path.
func TestDecodeRefuses(t *testing.T) {
	offer := func(o string) string {
		return msg("ContractRequestMessage", `"consumerPid":"urn:uuid:c","callbackAddress":"https://c.example/cb","offer":`+o)
	}
	agreement := func(a string) string {
		return msg("ContractAgreementMessage", pidsJSON+`,"agreement":`+a)
	}
	cases := []refusal{
		{"not JSON", `{"@context":`, CodeBadMessage, ""},
		{"an array", `[1,2]`, CodeBadMessage, ""},
		{"two values", msg("ContractNegotiation", pidsJSON+`,"state":"REQUESTED"`) + `{}`, CodeBadMessage, ""},
		{"no context", `{"@type":"ContractNegotiation",` + pidsJSON + `,"state":"REQUESTED"}`, CodeBadContext, "@context"},
		{"context string", `{"@context":"https://w3id.org/dspace/2025/1/context.jsonld","@type":"ContractNegotiation",` + pidsJSON + `,"state":"REQUESTED"}`, CodeBadContext, "@context"},
		{"2024-1 context", `{"@context":["https://w3id.org/dspace/2024/1/context.json"],"@type":"ContractNegotiation",` + pidsJSON + `,"state":"REQUESTED"}`, CodeBadContext, "@context"},
		{"context object", `{"@context":[{"x":"y"}],"@type":"ContractNegotiation",` + pidsJSON + `,"state":"REQUESTED"}`, CodeBadContext, "@context"},
		{"no type", `{` + ctx + `,` + pidsJSON + `}`, CodeBadMessage, "@type"},
		{"type array", `{` + ctx + `,"@type":["ContractNegotiation"],` + pidsJSON + `,"state":"REQUESTED"}`, CodeBadMessage, "@type"},
		{"unknown type", msg("ContractWish", pidsJSON), CodeUnknownType, "@type"},
		{"prefixed type", msg("dspace:ContractNegotiation", pidsJSON+`,"state":"REQUESTED"`), CodeUnknownType, "@type"},
		{"not a message type", msg("DataService", `"@id":"urn:s","endpointURL":"https://p.example/dsp"`), CodeUnknownType, "@type"},
		{"unknown property", msg("ContractNegotiation", pidsJSON+`,"state":"REQUESTED","status":"x"`), CodeBadMessage, "status"},
		{"case-folded property", msg("ContractNegotiation", `"ProviderPid":"urn:uuid:p","consumerPid":"urn:uuid:c","state":"REQUESTED"`), CodeBadMessage, "ProviderPid"},
		{"duplicate key", msg("ContractNegotiation", pidsJSON+`,"state":"REQUESTED","state":"FINALIZED"`), CodeBadMessage, "state"},
		{"bad state", msg("ContractNegotiation", pidsJSON+`,"state":"STARTED"`), CodeBadMessage, "state"},
		{"prefixed state", msg("TransferProcess", pidsJSON+`,"state":"dspace:STARTED"`), CodeBadMessage, "state"},
		{"bad event", msg("ContractNegotiationEventMessage", pidsJSON+`,"eventType":"AGREED"`), CodeBadMessage, "eventType"},
		{"pid number", msg("ContractAgreementVerificationMessage", `"providerPid":1,"consumerPid":"urn:uuid:c"`), CodeBadMessage, "providerPid"},
		{"empty pid", msg("ContractAgreementVerificationMessage", `"providerPid":"","consumerPid":"urn:uuid:c"`), CodeBadMessage, "providerPid"},
		{"null pid", msg("TransferCompletionMessage", `"providerPid":null,"consumerPid":"urn:uuid:c"`), CodeBadMessage, "providerPid"},
		{"empty reason", msg("TransferTerminationMessage", pidsJSON+`,"reason":[]`), CodeBadMessage, "reason"},
		{"request with both", msg("ContractRequestMessage", pidsJSON+`,"callbackAddress":"https://c.example/cb","offer":`+string(testOffer("urn:o", "urn:d"))), CodeBadMessage, ""},
		{"request with neither", msg("ContractRequestMessage", `"consumerPid":"urn:uuid:c","offer":`+string(testOffer("urn:o", "urn:d"))), CodeBadMessage, ""},
		{"offer message with both", msg("ContractOfferMessage", pidsJSON+`,"callbackAddress":"https://p.example","offer":`+string(testOffer("urn:o", "urn:d"))), CodeBadMessage, ""},
		{"callback not a URL", msg("ContractRequestMessage", `"consumerPid":"urn:uuid:c","callbackAddress":"callback","offer":`+string(testOffer("urn:o", "urn:d"))), CodeBadMessage, "callbackAddress"},
		{"callback ftp", msg("TransferRequestMessage", `"consumerPid":"c","agreementId":"a","format":"HttpData-PULL","callbackAddress":"ftp://c.example"`), CodeBadMessage, "callbackAddress"},
		{"no offer", msg("ContractRequestMessage", `"consumerPid":"urn:uuid:c","callbackAddress":"https://c.example/cb"`), CodeBadMessage, "offer"},
		{"offer not object", offer(`"urn:o"`), CodeBadMessage, "offer"},
		{"offer type", offer(`{"@id":"o","@type":"Agreement","target":"d","permission":[{"action":"use"}]}`), CodeBadMessage, "offer.@type"},
		{"offer no id", offer(`{"@type":"Offer","target":"d","permission":[{"action":"use"}]}`), CodeBadMessage, "offer.@id"},
		{"offer no target", offer(`{"@id":"o","@type":"Offer","permission":[{"action":"use"}]}`), CodeBadMessage, "offer.target"},
		{"offer no rule", offer(`{"@id":"o","@type":"Offer","target":"d"}`), CodeBadMessage, "offer"},
		{"offer only obligation", offer(`{"@id":"o","@type":"Offer","target":"d","obligation":[{"action":"delete"}]}`), CodeBadMessage, "offer"},
		{"permission object", offer(`{"@id":"o","@type":"Offer","target":"d","permission":{"action":"use"}}`), CodeBadMessage, "offer.permission"},
		{"permission empty", offer(`{"@id":"o","@type":"Offer","target":"d","permission":[]}`), CodeBadMessage, "offer.permission"},
		{"rule no action", offer(`{"@id":"o","@type":"Offer","target":"d","permission":[{"constraint":[]}]}`), CodeBadMessage, "offer.permission[0].action"},
		{"rule target", offer(`{"@id":"o","@type":"Offer","target":"d","permission":[{"action":"use","target":"d"}]}`), CodeBadMessage, "offer.permission[0].target"},
		{"undefined term", offer(`{"@id":"o","@type":"Offer","target":"d","permission":[{"action":"use","refinement":[]}]}`), CodeBadMessage, "offer.permission[0].refinement"},
		{"keyword in rule", offer(`{"@id":"o","@type":"Offer","target":"d","permission":[{"action":"use","@context":{}}]}`), CodeBadMessage, "offer.permission[0].@context"},
		{"bad operator", offer(`{"@id":"o","@type":"Offer","target":"d","permission":[{"action":"use","constraint":[{"leftOperand":"count","operator":"lessThan","rightOperand":"5"}]}]}`), CodeBadMessage, "offer.permission[0].constraint[0].operator"},
		{"no right operand", offer(`{"@id":"o","@type":"Offer","target":"d","permission":[{"action":"use","constraint":[{"leftOperand":"count","operator":"lt"}]}]}`), CodeBadMessage, "offer.permission[0].constraint[0].rightOperand"},
		{"two logical", offer(`{"@id":"o","@type":"Offer","target":"d","permission":[{"action":"use","constraint":[{"and":[],"or":[]}]}]}`), CodeBadMessage, "offer.permission[0].constraint[0]"},
		{"nested bad", offer(`{"@id":"o","@type":"Offer","target":"d","prohibition":[{"action":"use","constraint":[{"or":[{"leftOperand":"x","operator":"eq"}]}]}]}`), CodeBadMessage, "offer.prohibition[0].constraint[0].or[0].rightOperand"},
		{"profile number", offer(`{"@id":"o","@type":"Offer","target":"d","profile":1,"permission":[{"action":"use"}]}`), CodeBadMessage, "offer.profile"},
		{"offer timestamp", offer(`{"@id":"o","@type":"Offer","target":"d","timestamp":"2026-01-01T00:00:00Z","permission":[{"action":"use"}]}`), CodeBadMessage, "offer.timestamp"},
		{"agreement no assignee", agreement(`{"@id":"a","@type":"Agreement","target":"d","assigner":"p","permission":[{"action":"use"}]}`), CodeBadMessage, "agreement.assignee"},
		{"agreement bad timestamp", agreement(`{"@id":"a","@type":"Agreement","target":"d","assigner":"p","assignee":"c","timestamp":"yesterday","permission":[{"action":"use"}]}`), CodeBadMessage, "agreement.timestamp"},
		{"data address type", msg("TransferStartMessage", pidsJSON+`,"dataAddress":{"@type":"Address","endpointType":"x"}`), CodeBadMessage, "dataAddress.@type"},
		{"data address no endpointType", msg("TransferStartMessage", pidsJSON+`,"dataAddress":{"@type":"DataAddress","endpoint":"x"}`), CodeBadMessage, "dataAddress.endpointType"},
		{"data address unknown", msg("TransferStartMessage", pidsJSON+`,"dataAddress":{"@type":"DataAddress","endpointType":"x","secret":"y"}`), CodeBadMessage, "dataAddress.secret"},
		{"endpoint property no value", msg("TransferStartMessage", pidsJSON+`,"dataAddress":{"@type":"DataAddress","endpointType":"x","endpointProperties":[{"@type":"EndpointProperty","name":"a"}]}`), CodeBadMessage, "dataAddress.endpointProperties"},
		{"endpoint properties empty", msg("TransferStartMessage", pidsJSON+`,"dataAddress":{"@type":"DataAddress","endpointType":"x","endpointProperties":[]}`), CodeBadMessage, "dataAddress.endpointProperties"},
		{"transfer request no format", msg("TransferRequestMessage", `"consumerPid":"c","agreementId":"a","callbackAddress":"https://c.example"`), CodeBadMessage, "format"},
		{"error without pids", msg("TransferError", `"code":"x"`), CodeBadMessage, "providerPid"},
		{"too deep", msg("ContractRequestMessage", `"consumerPid":"c","callbackAddress":"https://c.example","offer":`+strings.Repeat(`[`, 40)+strings.Repeat(`]`, 40)), CodeBadMessage, ""},
		{"too large", msg("ContractAgreementVerificationMessage", pidsJSON+`,"x:pad":"`+strings.Repeat("a", MaxMessageBytes)+`"`), CodeTooLarge, ""},
	}
	checkRefusals(t, cases)
}

// refusal is a message Decode must refuse with code, at path.
type refusal struct{ name, doc, code, path string }

func checkRefusals(t *testing.T, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Decode([]byte(c.doc))
			var me *MessageError
			if !errors.As(err, &me) {
				t.Fatalf("got %v, %v; want a MessageError", m, err)
			}
			if me.Code != c.code || me.Path != c.path {
				t.Errorf("got code %q path %q (%v); want %q %q", me.Code, me.Path, err, c.code, c.path)
			}
		})
	}
}

// TestDecodeAccepts: what the schemas allow and other implementations
// send.
func TestDecodeAccepts(t *testing.T) {
	for _, doc := range []string{
		// Extension properties of other contexts are ignored.
		`{"@context":["https://w3id.org/dspace/2025/1/context.jsonld","https://w3id.org/edc/dspace/v0.0.1"],"@type":"ContractNegotiation",` + pidsJSON + `,"state":"REQUESTED","edc:createdAt":1}`,
		// Language-tagged reasons.
		msg("ContractNegotiationTerminationMessage", pidsJSON+`,"code":"policy_rejected","reason":[{"@value":"no","@language":"en"},{"@value":"不","@language":"zh"},{"detail":1}]`),
		// Error bodies may not know a process id.
		msg("TransferError", `"providerPid":"","consumerPid":"urn:uuid:c","code":"not_found"`),
		// Numbers as right operands (internal/contract writes counts so).
		msg("ContractRequestMessage", `"consumerPid":"c","callbackAddress":"https://c.example/","offer":{"@id":"o","@type":"Offer","target":"d","profile":["https://x"],"permission":[{"action":"use","constraint":[{"leftOperand":"count","operator":"lteq","rightOperand":10}],"duty":[{"action":"odrl:delete"}]}],"dct:title":"t"}`),
	} {
		if _, err := Decode([]byte(doc)); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
	m, err := Decode([]byte(msg("ContractNegotiationTerminationMessage", pidsJSON+`,"reason":[{"@value":"不","@language":"zh"},{"detail":1}]`)))
	if err != nil {
		t.Fatal(err)
	}
	r := m.(*ContractNegotiationTerminationMessage).Reason
	if r[0] != (Reason{"不", "zh"}) || r[1].Value != `{"detail":1}` {
		t.Errorf("reasons %+v", r)
	}
}
