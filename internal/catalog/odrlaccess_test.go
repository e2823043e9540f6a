package catalog

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// TestODRLChecker: an entry's access policy, evaluated by internal/odrl,
// admits the requester whose verified claims satisfy it and nobody else;
// a policy that does not parse hides the entry with an error.
func TestODRLChecker(t *testing.T) {
	policy := json.RawMessage(`{
  "@context": "http://www.w3.org/ns/odrl.jsonld",
  "@type": "Set",
  "uid": "urn:uuid:a1b2c3d4-0000-4000-8000-000000000009",
  "permission": [{
    "target": "https://w3id.org/xborder/id/xb86/CN/gba-finance/retail-customers-2026",
    "action": "read",
    "constraint": [
      {"leftOperand": "https://xborder.dev/ns/odrl/claim/role", "operator": "eq", "rightOperand": "auditor"},
      {"leftOperand": "dateTime", "operator": "lt", "rightOperand": {"@value": "2027-01-01T00:00:00Z", "@type": "xsd:dateTime"}}
    ]
  }]
}`)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	c := NewODRLChecker(func() time.Time { return now })
	ctx := context.Background()
	cases := []struct {
		name string
		r    Requester
		want bool
	}{
		{"auditor", Requester{DID: "did:web:auditor.example", Claims: map[string]any{"role": "auditor"}}, true},
		{"other role", Requester{DID: "did:web:x.example", Claims: map[string]any{"role": "marketing"}}, false},
		{"no claims", Requester{DID: "did:web:x.example"}, false},
		{"anonymous with the claim", Requester{Claims: map[string]any{"role": "auditor"}}, false},
	}
	for _, tc := range cases {
		got, err := c.CheckAccess(ctx, tc.r, policy)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	// After the policy's end date nobody reads.
	late := NewODRLChecker(func() time.Time { return now.AddDate(1, 0, 0) })
	if ok, err := late.CheckAccess(ctx, cases[0].r, policy); ok || err != nil {
		t.Errorf("after the period: %v, %v", ok, err)
	}
	// Unknown left operands fail closed rather than pass.
	unknown := json.RawMessage(`{"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Set", "uid": "urn:x:1",
  "permission": [{"target": "urn:x:t", "action": "read",
    "constraint": [{"leftOperand": "https://example.org/whatever", "operator": "eq", "rightOperand": "auditor"}]}]}`)
	if ok, _ := c.CheckAccess(ctx, cases[0].r, unknown); ok {
		t.Error("an unknown left operand admitted the requester")
	}
	if ok, err := c.CheckAccess(ctx, cases[0].r, json.RawMessage(`{"permission": 3}`)); ok || err == nil {
		t.Errorf("a malformed policy: %v, %v", ok, err)
	}
}
