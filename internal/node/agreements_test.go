package node

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/dsp"
)

// TestAgreementsSignedByBothSides: the finalized agreement carries the
// provider's signature and both sides keep the consumer's
// countersignature; any change to the agreement or either signature is
// caught.
func TestAgreementsSignedByBothSides(t *testing.T) {
	f := newDataPlaneFixture(t)
	ctx := context.Background()
	id := f.agree(t, string(offer("urn:uuid:o-signed", f.dataset, "research")))
	cp, err := f.consumer.n.dspStore.ByAgreement(ctx, dsp.Consumer, id)
	if err != nil {
		t.Fatal(err)
	}
	pp, err := f.provider.n.dspStore.ByAgreement(ctx, dsp.Provider, id)
	if err != nil {
		t.Fatal(err)
	}
	if string(cp.Agreement) != string(pp.Agreement) || providerSignature(pp.Agreement) == "" {
		t.Fatalf("agreements differ or are unsigned:\n%s\n%s", cp.Agreement, pp.Agreement)
	}
	cs, _ := pp.Extensions.String(ExtConsumerSignature)
	if cs2, _ := cp.Extensions.String(ExtConsumerSignature); cs == "" || cs != cs2 {
		t.Fatalf("countersignatures %q %q", cs, cs2)
	}
	if err := f.consumer.n.checkProviderSignature(ctx, cp); err != nil {
		t.Fatal(err)
	}
	if err := f.provider.n.checkCountersignature(ctx, pp); err != nil {
		t.Fatal(err)
	}

	// Tampering.
	changed := *cp
	changed.Agreement = json.RawMessage(strings.Replace(string(cp.Agreement), `"research"`, `"marketing"`, 1))
	if err := f.consumer.n.checkProviderSignature(ctx, &changed); err == nil {
		t.Error("a changed agreement verified")
	}
	other := *cp
	other.Counterparty = f.consumer.did // signed, but not by this party
	if err := f.consumer.n.checkProviderSignature(ctx, &other); err == nil {
		t.Error("an agreement verified as another party's")
	}
	bad := *pp
	bad.Extensions = nil
	if err := f.provider.n.checkCountersignature(ctx, &bad); err == nil {
		t.Error("a missing countersignature verified")
	}
	bad.Extensions = dsp.Extensions{}
	bad.Extensions.SetString(ExtConsumerSignature, cs[:len(cs)-4]+"AAAA")
	if err := f.provider.n.checkCountersignature(ctx, &bad); err == nil {
		t.Error("a broken countersignature verified")
	}
}
