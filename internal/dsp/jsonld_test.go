package dsp

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/piprate/json-gold/ld"

	"github.com/xborder/xborder/internal/vc"
)

// expand expands a message as the DSP TCK does: an offline loader that
// knows the pinned 2025-1 contexts only.
func expand(t testing.TB, doc []byte) map[string]any {
	t.Helper()
	l, err := vc.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = l
	opts.ProcessingMode = ld.JsonLd_1_1
	out, err := ld.NewJsonLdProcessor().Expand(v, opts)
	if err != nil {
		t.Fatalf("expanding %s: %v", doc, err)
	}
	if len(out) != 1 {
		t.Fatalf("expanding %s: %d nodes", doc, len(out))
	}
	return out[0].(map[string]any)
}

// TestExpansion: what we write expands under the pinned contexts to the
// DSP namespace: the @type, the process ids, and states as vocabulary IRIs
// (the TCK compares the expanded state with Namespace+STATE).
func TestExpansion(t *testing.T) {
	msgs := []Message{
		&ContractNegotiation{ProviderPID: "urn:uuid:p", ConsumerPID: "urn:uuid:c", State: Agreed},
		&TransferProcess{ProviderPID: "urn:uuid:p", ConsumerPID: "urn:uuid:c", State: Suspended},
		&ContractNegotiationEventMessage{ProviderPID: "urn:uuid:p", ConsumerPID: "urn:uuid:c", EventType: Finalized},
		&ContractNegotiationError{ProviderPID: "urn:uuid:p", ConsumerPID: "urn:uuid:c", Code: CodeInvalidTransition, Reason: []Reason{{Value: "no"}, {Value: "不", Lang: "zh"}}},
		&ContractRequestMessage{ConsumerPID: "urn:uuid:c", Offer: testOffer("urn:uuid:o", "urn:uuid:d"), CallbackAddress: "https://c.example/cb"},
		&TransferStartMessage{ProviderPID: "urn:uuid:p", ConsumerPID: "urn:uuid:c", DataAddress: &DataAddress{EndpointType: "https://w3id.org/idsa/v4.1/HTTP", Endpoint: "https://p.example/x", EndpointProperties: []EndpointProperty{{Name: "authorization", Value: "t"}}}},
	}
	for _, m := range msgs {
		b := mustJSON(t, m)
		if err := validateMessage(b); err != nil {
			t.Errorf("%s does not validate: %v", b, err)
		}
		x := expand(t, b)
		if typ, _ := x["@type"].([]any); len(typ) != 1 || typ[0] != Namespace+m.MessageType() {
			t.Errorf("%s: expanded @type %v", m.MessageType(), x["@type"])
		}
		for k := range x {
			if !strings.HasPrefix(k, "@") && !strings.HasPrefix(k, Namespace) && !strings.HasPrefix(k, "http://purl.org/dc/terms/") {
				t.Errorf("%s: expanded property %s outside the DSP namespace", m.MessageType(), k)
			}
		}
		if st, ok := x[Namespace+"state"].([]any); ok {
			id, _ := st[0].(map[string]any)["@id"].(string)
			want := Namespace + string(m.(interface{ state() State }).state())
			if id != want {
				t.Errorf("%s: state expands to %q, want %q", m.MessageType(), id, want)
			}
		}
	}
}

func (m *ContractNegotiation) state() State { return m.State }
func (m *TransferProcess) state() State     { return m.State }
