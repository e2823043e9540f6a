package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/node"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/trust"
	"github.com/xborder/xborder/internal/vc"
	"github.com/xborder/xborder/internal/witness"
)

// text is a phrase in both languages of the narrative.
type text struct{ en, zh string }

func (t text) in(lang string) string {
	if lang == "zh" {
		return t.zh
	}
	return t.en
}

// party is one organisation of the story and its connector.
type party struct {
	id      string // directory under Options.Dir; key in the JSON output
	name    text
	country string
	suite   string
	signer  suite.Signer
	did     string
	dir     string
	issuer  text // the registration authority that attests it (demo issuer)
	cred    string

	node   *node.Node
	done   chan error
	logf   *os.File
	tokens map[node.Role]string
}

// credentialType is what the demo's registration authorities attest: the
// organisation, its DID and the country it is established in.
const credentialType = node.MembershipCredential

// registryID names the demo trust registry.
const registryID = "https://trust.demo.xborder.invalid/registry"

func newParties(dir string) []*party {
	return []*party{
		{id: "shenzhen-hospital", country: "CN", suite: "gm",
			name:   text{"Shenzhen hospital", "深圳医院"},
			issuer: text{"Shenzhen Administration for Market Regulation (demo issuer)", "深圳市市场监督管理局（演示签发方）"}},
		{id: "amsterdam-research", country: "NL", suite: "intl",
			name:   text{"Amsterdam research centre", "阿姆斯特丹研究中心"},
			issuer: text{"Netherlands Chamber of Commerce (demo issuer)", "荷兰商会（演示签发方）"}},
		{id: "hongkong-bank", country: "HK", suite: "intl",
			name:   text{"Hong Kong bank", "香港银行"},
			issuer: text{"Hong Kong Companies Registry (demo issuer)", "香港公司注册处（演示签发方）"}},
	}
}

// keyDID makes a key of alg and its did:key.
func keyDID(alg suite.Alg) (suite.Signer, *identity.KeyDID, error) {
	s, err := suite.Generate(alg, nil)
	if err != nil {
		return nil, nil, err
	}
	k, err := identity.NewKeyDID(alg, s.Public())
	return s, k, err
}

// trustSetup is the demo data space's trust: the signed registry and the
// operator key verifiers pin.
type trustSetup struct {
	signed   []byte
	key      trust.OperatorKey
	file     string // the signed registry, which every node pins
	operator string // the operator's did:key
}

// issueIdentities gives every party a key and a DID (SM2 for the gm
// suite), and a credential from its country's registration authority,
// which the demo trust registry lists. Files go to dir/trust.
func issueIdentities(ctx context.Context, ps []*party, dir string, now time.Time) (*trustSetup, error) {
	opSigner, op, err := keyDID(suite.Ed25519)
	if err != nil {
		return nil, err
	}
	// The story runs on its own clock (fixed in tests); the connectors check
	// the registry and the credentials on the wall clock. Both must find
	// them current.
	wall := time.Now()
	first, last := now, now
	if wall.Before(first) {
		first = wall
	}
	if wall.After(last) {
		last = wall
	}
	reg := &trust.Registry{ID: registryID, Operator: op.DID, Scheme: "xborder demo data space (CN–EU–HK)", Sequence: 1,
		Issued: first.Add(-time.Hour).Truncate(time.Second), NextUpdate: last.Add(30 * 24 * time.Hour).Truncate(time.Second)}
	proc, err := vc.New()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "trust"), 0o755); err != nil {
		return nil, err
	}
	for _, p := range ps {
		alg := suite.Ed25519
		if p.suite == "gm" {
			alg = suite.SM2
		}
		var k *identity.KeyDID
		if p.signer, k, err = keyDID(alg); err != nil {
			return nil, err
		}
		p.did = k.DID
		is, ik, err := keyDID(suite.Ed25519)
		if err != nil {
			return nil, err
		}
		reg.Entries = append(reg.Entries, trust.Entry{Name: p.issuer.en, Issuer: ik.DID, Jurisdiction: p.country,
			CredentialTypes: []string{credentialType}, ValidFrom: first.AddDate(-1, 0, 0).Truncate(time.Second)})
		cred := map[string]any{
			"@context":          []any{"https://www.w3.org/ns/credentials/v2"},
			"type":              []any{"VerifiableCredential", credentialType},
			"issuer":            ik.DID,
			"validFrom":         first.Add(-time.Hour).UTC().Format(time.RFC3339),
			"credentialSubject": map[string]any{"id": p.did, "legalName": p.name.en + " (demo)", "jurisdiction": p.country},
		}
		if p.cred, err = proc.SignJWT(ctx, cred, vc.JWTOptions{Signer: is, KeyID: ik.VerificationMethodID()}); err != nil {
			return nil, fmt.Errorf("issuing %s's credential: %w", p.id, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "trust", p.id+".vc.jwt"), []byte(p.cred+"\n"), 0o644); err != nil {
			return nil, err
		}
	}
	ks := trust.KeySigner{KeyID: op.DID, Signer: opSigner}
	signed, err := trust.Sign(reg, ks)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "trust", "registry.json"), signed, 0o644); err != nil {
		return nil, err
	}
	return &trustSetup{signed: signed, key: ks.Public(), file: filepath.Join(dir, "trust", "registry.json"), operator: op.DID}, nil
}

// verifiedParticipant is a counterparty whose country a credential proves.
type verifiedParticipant struct {
	node.Participant
	Anchor trust.Anchor
}

// verifyParticipants establishes the country of each credential's subject
// for the provider's compliance gate: the credential (vc+jwt) must verify
// with a key of its issuer, and the signed trust registry must accept the
// issuer for this credential type in the country the credential states.
//
// The demo checks them for its narrative; the nodes do not take them from
// here: each presents its credential from its own credential service, and
// the provider's gate verifies it against the registry it pins (DCP,
// internal/dcp).
func verifyParticipants(ctx context.Context, ts *trustSetup, creds []string, now time.Time) ([]verifiedParticipant, error) {
	reg, _, err := trust.Verify(ts.signed, trust.VerifyOptions{ID: registryID, Keys: []trust.OperatorKey{ts.key}, Now: func() time.Time { return now }})
	if err != nil {
		return nil, fmt.Errorf("trust registry: %w", err)
	}
	proc, err := vc.New()
	if err != nil {
		return nil, err
	}
	res := identity.NewResolver(identity.ResolverOptions{}) // did:key only: nothing leaves the process
	var out []verifiedParticipant
	for _, c := range creds {
		r, err := proc.VerifyJWT(ctx, []byte(c), res, vc.VerifyOptions{Now: now, RequireIssuerKey: true})
		if err != nil {
			return nil, err
		}
		if !r.Verified {
			return nil, fmt.Errorf("credential: %s: %w", r.Code, r.Err)
		}
		list, _ := r.Credential["type"].([]any)
		var types []string
		for _, t := range list {
			if s, ok := t.(string); ok {
				types = append(types, s)
			}
		}
		subj, _ := r.Credential["credentialSubject"].(map[string]any)
		did, _ := subj["id"].(string)
		country, _ := subj["jurisdiction"].(string)
		if did == "" || country == "" || !slices.Contains(types, credentialType) {
			return nil, fmt.Errorf("credential of %s: want a %s with a subject id and jurisdiction", r.Issuer, credentialType)
		}
		a, err := reg.Accept(r.Issuer, types, country, now)
		if err != nil {
			return nil, fmt.Errorf("credential of %s: %w", did, err)
		}
		out = append(out, verifiedParticipant{Participant: node.Participant{DID: did, Country: country}, Anchor: a})
	}
	return out, nil
}

// witnessServer is the Amsterdam centre's witness of the Shenzhen ledger.
type witnessServer struct {
	w   *witness.Witness
	srv *http.Server
	url string
	key string // cosignature verifier key
}

// startWitness runs a C2SP witness for one log on loopback, its key and
// state under dir.
func startWitness(dir, name string, log node.LedgerKeys) (*witnessServer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	skey, _, err := witness.GenerateKey(rand.Reader, name)
	if err != nil {
		return nil, err
	}
	if err := witness.WriteKeyFile(filepath.Join(dir, "witness.key"), skey); err != nil {
		return nil, err
	}
	cs, err := witness.NewCosigner(skey)
	if err != nil {
		return nil, err
	}
	w, err := witness.New(witness.Config{Dir: filepath.Join(dir, "state"), Cosigner: cs,
		Logs: []witness.KnownLog{{Origin: log.Origin, VerifierKey: log.Key}}})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		w.Close()
		return nil, err
	}
	ws := &witnessServer{w: w, url: "http://" + ln.Addr().String(), key: cs.VerifierKey(),
		srv: &http.Server{Handler: w.Handler(""), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute}}
	go ws.srv.Serve(ln)
	return ws, nil
}

func (ws *witnessServer) close(ctx context.Context) error {
	err := ws.srv.Shutdown(ctx)
	return errors.Join(err, ws.w.Close())
}

// openNode opens a party's connector with cfg and serves it until the
// demo closes; its log goes to DIR/<party>/node.log.
func (d *Demo) openNode(ctx context.Context, p *party, cfg node.Config) error {
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return err
	}
	var err error
	if p.logf, err = os.OpenFile(filepath.Join(p.dir, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(p.logf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if p.node, err = node.Open(ctx, cfg, node.Deps{Logger: logger, Signer: p.signer}); err != nil {
		return fmt.Errorf("%s: %w", p.id, err)
	}
	p.done = make(chan error, 1)
	go func() { p.done <- p.node.Run(d.nodeCtx) }()
	p.tokens = map[node.Role]string{}
	for _, r := range node.Roles {
		if p.tokens[r], err = p.node.Tokens().Add("demo-"+string(r), r, time.Now()); err != nil {
			return err
		}
	}
	return nil
}

// api is a management API client of p for role.
func (d *Demo) api(p *party, role node.Role) client {
	return client{base: p.node.MgmtURL + "/api/v1", token: p.tokens[role], hc: d.hc}
}
