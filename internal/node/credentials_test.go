package node

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/trust"
	"github.com/xborder/xborder/internal/vc"
)

// demoAuthority is a trust registry operator and a credential issuer it
// lists for membership in some jurisdictions.
type demoAuthority struct {
	op, issuer       suite.Signer
	opDID, issuerDID string
	issuerKID        string
	registry, regID  string
}

func newAuthority(t *testing.T, dir string, trustedIn ...string) *demoAuthority {
	t.Helper()
	a := &demoAuthority{regID: "https://registry.example/dataspace"}
	var err error
	if a.op, err = suite.Generate(suite.Ed25519, nil); err != nil {
		t.Fatal(err)
	}
	if a.issuer, err = suite.Generate(suite.Ed25519, nil); err != nil {
		t.Fatal(err)
	}
	opk, _ := identity.NewKeyDID(suite.Ed25519, a.op.Public())
	ik, _ := identity.NewKeyDID(suite.Ed25519, a.issuer.Public())
	a.opDID, a.issuerDID, a.issuerKID = opk.DID, ik.DID, ik.VerificationMethodID()
	now := time.Now().UTC().Truncate(time.Second)
	reg := &trust.Registry{ID: a.regID, Operator: "did:web:registry.example", Scheme: "xborder test data space", Sequence: 1,
		Issued: now.Add(-time.Hour), NextUpdate: now.Add(24 * time.Hour)}
	for _, j := range trustedIn {
		reg.Entries = append(reg.Entries, trust.Entry{Name: j + " membership authority", Issuer: ik.DID, Jurisdiction: j,
			CredentialTypes: []string{MembershipCredential}, ValidFrom: now.Add(-48 * time.Hour)})
	}
	signed, err := trust.Sign(reg, trust.KeySigner{KeyID: opk.DID, Signer: a.op})
	if err != nil {
		t.Fatal(err)
	}
	a.registry = filepath.Join(dir, "registry.json")
	if err := os.WriteFile(a.registry, signed, 0o600); err != nil {
		t.Fatal(err)
	}
	return a
}

// issue writes a MembershipCredential for holder in jurisdiction to a file.
func (a *demoAuthority) issue(t *testing.T, dir, holder, jurisdiction string) string {
	t.Helper()
	p, err := vc.New()
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]any{"@context": []string{"https://www.w3.org/ns/credentials/v2"}, "type": []string{"VerifiableCredential", MembershipCredential},
		"issuer": a.issuerDID, "validFrom": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
		"credentialSubject": map[string]any{"id": holder, "jurisdiction": jurisdiction}}
	tok, err := p.SignJWT(context.Background(), doc, vc.JWTOptions{Signer: a.issuer, KeyID: a.issuerKID})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "membership-"+jurisdiction+".jwt")
	if err := os.WriteFile(f, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func (a *demoAuthority) pin(c *Config) {
	c.Trust = TrustConfig{Registry: a.registry, ID: a.regID, Operators: []string{a.opDID}}
}

// TestGateWithCredentials: with no participants list, the provider learns
// the consumer's jurisdiction from the MembershipCredential the consumer
// presents through its credential service (DCP); a credential from an
// issuer the registry does not trust there counts for nothing.
func TestGateWithCredentials(t *testing.T) {
	dir := t.TempDir()
	auth := newAuthority(t, dir, "NL")
	// The consumer's DID must be known before its credential is issued:
	// start it, issue, restart on the same data directory with the file.
	cfgDir := t.TempDir()
	key, err := suite.Generate(suite.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := identity.NewKeyDID(suite.Ed25519, key.Public())
	nl := auth.issue(t, cfgDir, kd.DID, "NL")
	consumer := startSignerNode(t, key, "NL", func(c *Config) { c.Credentials = []string{nl} })
	provider := startKeyNode(t, "CN", nil, auth.pin)

	ctx := context.Background()
	e := &catalog.Entry{Identifier: "xb86/CN/shenzhen-hospital/oncology-small", Title: catalog.LangMap{"en": "Oncology cases"}}
	e.Governance = catalog.Governance{Owner: provider.did, ClassificationLevel: "internal", Sovereignty: "CN", AllowedPurposes: []string{"research"}}
	e.Technical = &catalog.Technical{PIProfile: &catalog.PIProfile{Individuals: 800}}
	if _, err := provider.n.stores.catalog.Register(ctx, e, catalog.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	base := provider.n.DSP().BaseURL()
	p, err := consumer.n.DSP().RequestContract(ctx, base, provider.did, offer("urn:uuid:o-1", e.Identifier, "research"))
	if err != nil {
		t.Fatal(err)
	}
	if f := waitFinal(t, consumer, p.ConsumerPID); f.State != dsp.Finalized {
		t.Fatalf("with a trusted membership credential: %s", f.State)
	}

	// A consumer whose credential's issuer is not trusted in its
	// jurisdiction (US) is a stranger to the gate.
	key2, _ := suite.Generate(suite.Ed25519, nil)
	kd2, _ := identity.NewKeyDID(suite.Ed25519, key2.Public())
	us := auth.issue(t, t.TempDir(), kd2.DID, "US")
	stranger := startSignerNode(t, key2, "US", func(c *Config) { c.Credentials = []string{us} })
	p, _ = stranger.n.DSP().RequestContract(ctx, base, provider.did, offer("urn:uuid:o-2", e.Identifier, "research"))
	waitFinal(t, stranger, p.ConsumerPID)
	evs, _ := stranger.n.DSP().Events(ctx, dsp.KindNegotiation, dsp.Consumer, p.ConsumerPID)
	if last := evs[len(evs)-1]; last.Code != "recipient_country_unknown" {
		t.Fatalf("untrusted issuer: %+v", last)
	}
}

// TestTrustConfig: the trust settings come together or not at all.
func TestTrustConfig(t *testing.T) {
	for name, tc := range map[string]TrustConfig{
		"registry alone":   {Registry: "r.json"},
		"no operators":     {Registry: "r.json", ID: "x"},
		"operator not key": {Registry: "r.json", ID: "x", Operators: []string{"did:web:example.org"}},
	} {
		if err := tc.validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
