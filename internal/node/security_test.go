package node

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/sitoken"
	"github.com/xborder/xborder/internal/suite"
)

// The security matrix of the connector (issue 6): each attack is refused
// with the right status and code, changes nothing, and leaves a deny in the
// provider's ledger. TLS-level cases (no client certificate, a certificate
// for the wrong DID, an expired one, an impostor key) are in
// TestDIDBoundTLS; an untrusted credential in TestGateWithCredentials; the
// count limit in TestDataPlaneCountLimit; chunk-level tampering of every
// kind in internal/transfer's tamper tests.

// rawParty is a participant that speaks DSP by hand.
type rawParty struct {
	did, kid string
	s        suite.Signer
}

func newRawParty(t *testing.T) rawParty {
	t.Helper()
	s, err := suite.Generate(suite.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := identity.NewKeyDID(suite.Ed25519, s.Public())
	return rawParty{did: k.DID, kid: k.VerificationMethodID(), s: s}
}

func (p rawParty) token(t *testing.T, aud string, at time.Time) string {
	t.Helper()
	tok, err := sitoken.Issue(p.s, p.kid, p.did, aud, 2*time.Minute, at, "")
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + tok
}

// postDSP posts a body to a DSP URL and returns the status and the error
// code of the answer.
func postDSP(t *testing.T, url, auth string, body []byte) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct{ Code string }
	json.Unmarshal(b, &e)
	return resp.StatusCode, e.Code, b
}

func contractRequest(consumerPID, callback string, offer string) []byte {
	return []byte(`{"@context":["https://w3id.org/dspace/2025/1/context.jsonld"],"@type":"ContractRequestMessage","consumerPid":"` +
		consumerPID + `","offer":` + offer + `,"callbackAddress":"` + callback + `"}`)
}

// denies counts the deny entries of a ledger.
func denies(t *testing.T, n *testNode) int {
	t.Helper()
	hits, err := n.n.Ledger().Query(context.Background(), audit.Query{Result: audit.ResultDeny, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	return len(hits)
}

// processes counts the provider's stored processes.
func processes(t *testing.T, n *testNode) int {
	t.Helper()
	var c int
	if err := n.n.dspDB.QueryRow(`SELECT COUNT(*) FROM dsp_processes`).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSecurityMatrix(t *testing.T) {
	attacker := newRawParty(t)
	consumer := startKeyNode(t, "NL", nil)
	provider := startKeyNode(t, "CN", []Participant{{DID: consumer.did, Country: "NL"}, {DID: attacker.did, Country: "NL"}})
	base := provider.n.DSP().BaseURL()
	dataset := "xb86/CN/shenzhen-hospital/oncology"
	good := string(offer("urn:uuid:o-sec", dataset, "research"))
	now := time.Now()

	// One legitimate process to attack later.
	st, _, body := postDSP(t, base+"/negotiations/request", attacker.token(t, provider.did, now), contractRequest("urn:uuid:c-legit", "http://127.0.0.1:1/cb", good))
	if st != http.StatusCreated {
		t.Fatalf("a legitimate request: %d %s", st, body)
	}
	var legit struct{ ProviderPid string }
	json.Unmarshal(body, &legit)

	replayed := attacker.token(t, provider.did, now)
	if st, _, b := postDSP(t, base+"/negotiations/request", replayed, contractRequest("urn:uuid:c-first", "http://127.0.0.1:1/cb", good)); st != http.StatusCreated {
		t.Fatalf("first use of a token: %d %s", st, b)
	}
	impostor := newRawParty(t)
	forged, _ := sitoken.Issue(impostor.s, attacker.kid, attacker.did, provider.did, time.Minute, now, "") // attacker's kid, impostor's key

	big := contractRequest("urn:uuid:c-big", "http://127.0.0.1:1/cb", `{"@id":"urn:uuid:o","@type":"Offer","target":"`+dataset+`","permission":[{"action":"use"}],"dct:description":"`+strings.Repeat("x", 2<<20)+`"}`)
	cases := []struct {
		name       string
		url, auth  string
		body       []byte
		status     int
		code       string
		changesPID bool
	}{
		{"no token", base + "/negotiations/request", "", contractRequest("urn:uuid:c1", "http://127.0.0.1:1/cb", good), 404, dsp.CodeNotFound, false},
		{"token for another verifier", base + "/negotiations/request", attacker.token(t, consumer.did, now), contractRequest("urn:uuid:c2", "http://127.0.0.1:1/cb", good), 404, dsp.CodeNotFound, false},
		{"token signed by another key (wrong DID)", base + "/negotiations/request", "Bearer " + forged, contractRequest("urn:uuid:c3", "http://127.0.0.1:1/cb", good), 404, dsp.CodeNotFound, false},
		{"replayed token", base + "/negotiations/request", replayed, contractRequest("urn:uuid:c4", "http://127.0.0.1:1/cb", good), 404, dsp.CodeNotFound, false},
		{"expired token", base + "/negotiations/request", attacker.token(t, provider.did, now.Add(-time.Hour)), contractRequest("urn:uuid:c5", "http://127.0.0.1:1/cb", good), 404, dsp.CodeNotFound, false},
		{"oversized body", base + "/negotiations/request", attacker.token(t, provider.did, now), big, 400, dsp.CodeTooLarge, false},
		{"malformed JSON-LD (a term the context drops)", base + "/negotiations/request", attacker.token(t, provider.did, now),
			contractRequest("urn:uuid:c6", "http://127.0.0.1:1/cb", `{"@id":"urn:uuid:o","@type":"Offer","target":"`+dataset+`","permission":[{"action":"use","refinement":[]}]}`), 400, dsp.CodeBadMessage, false},
		{"not JSON", base + "/negotiations/request", attacker.token(t, provider.did, now), []byte(`{"@context":`), 400, dsp.CodeBadMessage, false},
		{"illegal state transition (verify a requested negotiation)", base + "/negotiations/" + legit.ProviderPid + "/agreement/verification", attacker.token(t, provider.did, now),
			[]byte(`{"@context":["https://w3id.org/dspace/2025/1/context.jsonld"],"@type":"ContractAgreementVerificationMessage","providerPid":"` + legit.ProviderPid + `","consumerPid":"urn:uuid:c-legit"}`),
			400, dsp.CodeInvalidTransition, false},
		{"another party's process", base + "/negotiations/" + legit.ProviderPid + "/termination", impostor.token(t, provider.did, now),
			[]byte(`{"@context":["https://w3id.org/dspace/2025/1/context.jsonld"],"@type":"ContractNegotiationTerminationMessage","providerPid":"` + legit.ProviderPid + `","consumerPid":"urn:uuid:c-legit","code":"x"}`),
			404, dsp.CodeNotFound, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			beforeDeny, beforeProc := denies(t, provider), processes(t, provider)
			legitBefore, _ := provider.n.DSP().Process(context.Background(), dsp.KindNegotiation, dsp.Provider, legit.ProviderPid)
			st, code, b := postDSP(t, tc.url, tc.auth, tc.body)
			if st != tc.status || code != tc.code {
				t.Fatalf("%d %q, want %d %q: %.300s", st, code, tc.status, tc.code, b)
			}
			if p := processes(t, provider); p != beforeProc {
				t.Errorf("processes %d → %d", beforeProc, p)
			}
			if after, _ := provider.n.DSP().Process(context.Background(), dsp.KindNegotiation, dsp.Provider, legit.ProviderPid); after.Version != legitBefore.Version {
				t.Errorf("the legitimate process changed: %s v%d → %s v%d", legitBefore.State, legitBefore.Version, after.State, after.Version)
			}
			waitFor(t, "a deny in the ledger", func() bool { return denies(t, provider) > beforeDeny })
		})
	}
}

// flipper flips one byte in the middle of every data plane response body.
type flipper struct {
	hits atomic.Int64
}

func (f *flipper) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !strings.Contains(r.URL.Path, transferPath+"/") || r.Method != http.MethodGet || resp.StatusCode != 200 {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(b) > 200 {
		b[len(b)/2] ^= 0x01
		f.hits.Add(1)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// TestTamperedChunkRefused: a byte flipped on the way is caught; the
// consumer keeps nothing, ends the transfer and records the failure.
func TestTamperedChunkRefused(t *testing.T) {
	fl := &flipper{}
	consumer := startKeyNode(t, "NL", nil)
	consumer.n.data.client.Transport = fl
	provider := startKeyNode(t, "CN", []Participant{{DID: consumer.did, Country: "NL"}})
	f := &dataPlaneFixture{provider: provider, consumer: consumer, dataset: "xb86/CN/shenzhen-hospital/oncology"}
	registerClinical(t, f)
	agreement := f.agree(t, string(offer("urn:uuid:o-tamper", f.dataset, "research")))
	tr := f.transfer(t, agreement)
	if fl.hits.Load() == 0 {
		t.Fatal("the interposer saw no stream")
	}
	if tr.State != "failed" || tr.Code != "integrity_failed" {
		t.Fatalf("a tampered stream: %+v", tr)
	}
	ents, _ := os.ReadDir(filepath.Join(consumer.n.cfg.DataDir, "received"))
	if len(ents) != 0 {
		t.Fatalf("the consumer kept %d files", len(ents))
	}
	waitFor(t, "the failure in the consumer's ledger", func() bool { return hasEntry(t, consumer, audit.OpTransfer, "integrity_failed") })
}

// TestAgreementTermsEnforced: a transfer outside the agreement's terms —
// after its end date, or for a recipient the agreement does not name — is
// refused with the agreement's reason and audited.
func TestAgreementTermsEnforced(t *testing.T) {
	f := newDataPlaneFixture(t)
	pm := f.provider.n.MgmtURL + "/api/v1/"
	doBody(t, "PUT", pm+"sources/"+f.dataset, f.ops, clinicalCSV)
	doBody(t, "PUT", pm+"masks/"+f.dataset, f.office, clinicalMask)
	for name, constraint := range map[string]string{
		"expired":         `{"leftOperand":"odrl:dateTime","operator":"lteq","rightOperand":"2020-01-01T00:00:00Z"}`,
		"other recipient": `{"leftOperand":"odrl:recipient","operator":"eq","rightOperand":"did:web:someone-else.example"}`,
	} {
		t.Run(name, func(t *testing.T) {
			o := `{"@id":"urn:uuid:o-` + strings.ReplaceAll(name, " ", "-") + `","@type":"Offer","target":"` + f.dataset + `","permission":[{"action":"use","constraint":[` +
				`{"leftOperand":"odrl:purpose","operator":"eq","rightOperand":"research"},` + constraint + `]}]}`
			tr := f.transfer(t, f.agree(t, o))
			if tr.State != "terminated" || !strings.HasPrefix(tr.Code, "agreement_") {
				t.Fatalf("%+v", tr)
			}
			waitFor(t, "the deny in the provider's ledger", func() bool { return hasEntry(t, f.provider, audit.OpPolicyDecision, tr.Code) })
		})
	}
}
