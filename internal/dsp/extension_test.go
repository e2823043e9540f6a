package dsp

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

const testKeyIRI = "https://xborder.org/ns/transfer/v1#consumerKey"

func TestTransferRequestExtensions(t *testing.T) {
	m := &TransferRequestMessage{ConsumerPID: "urn:uuid:c1", AgreementID: "urn:uuid:a1", Format: "HttpData-PULL", CallbackAddress: "https://c.example/cb"}
	m.Extensions.SetString(testKeyIRI, "BASE64KEY")
	m.Extensions["urn:example:other"] = json.RawMessage(`{ "n" : 1 }`)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `"urn:example:other":{"n":1}`
	if !strings.HasSuffix(string(b), `"`+testKeyIRI+`":"BASE64KEY",`+want+`}`) {
		t.Fatalf("encoded %s", b)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	g := got.(*TransferRequestMessage)
	if k, ok := g.Extensions.String(testKeyIRI); !ok || k != "BASE64KEY" || string(g.Extensions["urn:example:other"]) != `{"n":1}` {
		t.Fatalf("decoded extensions %v", g.Extensions)
	}
	// The message without its extensions still validates against the schema's properties.
	var plain map[string]any
	if err := json.Unmarshal(b, &plain); err != nil || plain["consumerPid"] != "urn:uuid:c1" {
		t.Fatal(err)
	}
	// Compact IRIs of the DSP context's prefixes stay ignored, as before.
	ign := strings.Replace(string(b), `"urn:example:other"`, `"dct:other"`, 1)
	got, err = Decode([]byte(ign))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.(*TransferRequestMessage).Extensions["dct:other"]; ok {
		t.Error("a compact IRI of the DSP context was kept as an extension")
	}
}

func TestTransferRequestExtensionsRefused(t *testing.T) {
	base := `{"@context":["https://w3id.org/dspace/2025/1/context.jsonld"],"@type":"TransferRequestMessage","consumerPid":"urn:uuid:c1","agreementId":"urn:uuid:a1","format":"HttpData-PULL","callbackAddress":"https://c.example/cb"`
	many := base
	for i := range MaxExtensions + 1 {
		many += `,"urn:x:` + string(rune('a'+i)) + `":1`
	}
	for name, body := range map[string]string{
		"too many":  many + "}",
		"too large": base + `,"urn:x:big":"` + strings.Repeat("a", MaxExtensionBytes) + `"}`,
	} {
		if _, err := Decode([]byte(body)); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	m := &TransferRequestMessage{ConsumerPID: "c", AgreementID: "a", Format: "f", CallbackAddress: "https://c.example/cb",
		Extensions: Extensions{"odrl:purpose": json.RawMessage(`"x"`)}}
	if _, err := json.Marshal(m); err == nil {
		t.Error("a compact IRI of ODRL was sent as an extension")
	}
}

// TestTransferExtensionsReachStarter: the consumer's extensions travel in
// the request, are stored with the provider's process and survive its
// restart before the data plane sees them.
func TestTransferExtensionsReachStarter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	var seen []string
	starter := starterFunc(func(p *Process) (*DataAddress, error) {
		k, _ := p.Extensions.String(testKeyIRI)
		mu.Lock()
		seen = append(seen, k)
		mu.Unlock()
		return pullAddress(p)
	})
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{starter: starter})
	cons := newTestNode(t, consumerDID, consumerTok, nodeOpts{})
	req := TransferRequest{AgreementID: "urn:uuid:agreement-x", Format: "HttpData-PULL"}
	req.Extensions.SetString(testKeyIRI, "KEY-1")
	tr, err := cons.node.RequestTransfer(ctx, prov.node.BaseURL(), providerDID, req)
	if err != nil {
		t.Fatal(err)
	}
	ct := cons.waitState(KindTransfer, Consumer, tr.ConsumerPID, Started)
	if k, _ := ct.Extensions.String(testKeyIRI); k != "KEY-1" {
		t.Errorf("consumer's process keeps %q", k)
	}
	prov.restart()
	pt, err := prov.node.Process(ctx, KindTransfer, Provider, ct.ProviderPID)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := pt.Extensions.String(testKeyIRI); k != "KEY-1" {
		t.Errorf("provider's stored process keeps %q", k)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != "KEY-1" {
		t.Errorf("the starter saw %v", seen)
	}
}
