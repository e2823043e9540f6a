package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/mask"
	"github.com/xborder/xborder/internal/suite"
)

const clinicalCSV = "case_id,姓名,手机号,出生日期,diagnosis\n" +
	"C001,张三丰,13812345678,1990-05-17,C34.1\n" +
	"C002,李四,13987654321,1985-11-02,C50.9\n" +
	"C003,王五,13700001111,1972-01-30,C18.7\n"

const clinicalMask = `{"version":1,"default":{"action":"drop"},"columns":[
	{"name":"case_id","action":"pseudonymise"},
	{"name":"姓名","action":"drop"},
	{"name":"手机号","action":"mask","class":"cn_mobile"},
	{"name":"出生日期","action":"generalise","kind":"date","granularity":"year"},
	{"name":"diagnosis","action":"keep"}]}`

// dataPlaneFixture is a Shenzhen provider with one registered clinical
// dataset and an Amsterdam consumer, with management tokens.
type dataPlaneFixture struct {
	provider, consumer *testNode
	ops, office, cops  string // provider operations and compliance, consumer operations
	dataset            string
}

func newDataPlaneFixture(t *testing.T) *dataPlaneFixture {
	return newDataPlaneFixtureAlg(t, suite.Ed25519)
}

// newDataPlaneFixtureAlg: the provider's key is of alg (SM2: suite gm).
func newDataPlaneFixtureAlg(t *testing.T, alg suite.Alg) *dataPlaneFixture {
	t.Helper()
	consumer := startKeyNode(t, "NL", nil)
	provider := startAlgNode(t, alg, "CN", []Participant{{DID: consumer.did, Country: "NL"}}, func(c *Config) {
		if alg == suite.SM2 {
			c.Suite = "gm"
		}
	})
	f := &dataPlaneFixture{provider: provider, consumer: consumer, dataset: "xb86/CN/shenzhen-hospital/oncology"}
	registerDataset(t, f)
	return f
}

// registerDataset makes the fixture's tokens and registers its clinical
// dataset (personal information of 3 individuals) in the provider's catalog.
func registerDataset(t *testing.T, f *dataPlaneFixture) {
	t.Helper()
	provider, consumer := f.provider, f.consumer
	f.ops, _ = provider.n.Tokens().Add("ops", RoleOperations, time.Now())
	f.office, _ = provider.n.Tokens().Add("office", RoleCompliance, time.Now())
	f.cops, _ = consumer.n.Tokens().Add("ops", RoleOperations, time.Now())
	e := &catalog.Entry{Identifier: f.dataset, Title: catalog.LangMap{"en": "Oncology cases", "zh": "肿瘤病例"}}
	e.Governance = catalog.Governance{Owner: provider.did, ClassificationLevel: "internal", Sovereignty: "CN", AllowedPurposes: []string{"research"}}
	e.Technical = &catalog.Technical{PIProfile: &catalog.PIProfile{Individuals: 3}}
	if _, err := provider.n.stores.catalog.Register(context.Background(), e, catalog.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
}

// registerClinical registers the dataset, uploads its content and sets
// its masking policy.
func registerClinical(t *testing.T, f *dataPlaneFixture) {
	t.Helper()
	registerDataset(t, f)
	pm := f.provider.n.MgmtURL + "/api/v1/"
	if code, out := doBody(t, "PUT", pm+"sources/"+f.dataset, f.ops, clinicalCSV); code != 200 {
		t.Fatalf("upload: %d %s", code, out)
	}
	if code, out := doBody(t, "PUT", pm+"masks/"+f.dataset, f.office, clinicalMask); code != 200 {
		t.Fatalf("mask: %d %s", code, out)
	}
}

// agree negotiates the offer through the consumer's management API and
// returns the agreement's @id.
func (f *dataPlaneFixture) agree(t *testing.T, offer string) string {
	t.Helper()
	body := fmt.Sprintf(`{"provider":%q,"participant":%q,"offer":%s}`, f.provider.n.DSP().BaseURL(), f.provider.did, offer)
	code, out := doBody(t, "POST", f.consumer.n.MgmtURL+"/api/v1/negotiations", f.cops, body)
	if code != 201 {
		t.Fatalf("negotiate: %d %s", code, out)
	}
	var v negotiationView
	json.Unmarshal([]byte(out), &v)
	p := waitFinal(t, f.consumer, v.ConsumerPID)
	if p.State != dsp.Finalized {
		t.Fatalf("negotiation ended %s", p.State)
	}
	return p.AgreementID
}

// transfer starts a transfer through the consumer's API and waits for the
// consumer's record to reach a final state.
func (f *dataPlaneFixture) transfer(t *testing.T, agreement string) transferRow {
	t.Helper()
	code, out := doBody(t, "POST", f.consumer.n.MgmtURL+"/api/v1/transfers", f.cops, `{"agreement":"`+agreement+`"}`)
	if code != 201 {
		t.Fatalf("transfer: %d %s", code, out)
	}
	var started struct{ PID string }
	json.Unmarshal([]byte(out), &started)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		code, out := doBody(t, "GET", f.consumer.n.MgmtURL+"/api/v1/transfers/"+started.PID, f.cops, "")
		if code != 200 {
			t.Fatalf("transfer status: %d %s", code, out)
		}
		var v struct{ Transfer transferRow }
		json.Unmarshal([]byte(out), &v)
		if v.Transfer.State == "completed" || v.Transfer.State == "failed" || v.Transfer.State == "terminated" {
			return v.Transfer
		}
		p, _ := f.consumer.n.DSP().Process(context.Background(), dsp.KindTransfer, dsp.Consumer, started.PID)
		if p != nil && p.State == dsp.Terminated {
			v.Transfer.State, v.Transfer.Code = "terminated", terminationCode(t, f.consumer, started.PID)
			return v.Transfer
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("transfer %s did not finish", started.PID)
	return transferRow{}
}

// terminationCode is the code of the event that terminated a transfer.
func terminationCode(t *testing.T, n *testNode, pid string) string {
	evs, err := n.n.DSP().Events(context.Background(), dsp.KindTransfer, dsp.Consumer, pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.To == dsp.Terminated {
			return e.Code
		}
	}
	return ""
}

// TestDataPlane: a negotiated agreement, then an encrypted pull of the
// dataset through its masking policy; the consumer keeps exactly the
// masked bytes, verified against the provider's signed digest; both
// ledgers record the transfer; the refusals come with their codes.
func TestDataPlane(t *testing.T) {
	f := newDataPlaneFixture(t)
	ctx := context.Background()
	purpose := offer("urn:uuid:o-research", f.dataset, "research")
	agreement := f.agree(t, string(purpose))

	// No content yet: refused with its reason.
	if tr := f.transfer(t, agreement); tr.State != "terminated" || tr.Code != "data_unavailable" {
		t.Fatalf("without content: %+v", tr)
	}
	pm := f.provider.n.MgmtURL + "/api/v1/"
	if code, out := doBody(t, "PUT", pm+"sources/"+f.dataset+"?format=csv", f.ops, clinicalCSV); code != 200 {
		t.Fatalf("upload: %d %s", code, out)
	}
	// Personal information without a masking policy is not sent.
	if tr := f.transfer(t, agreement); tr.State != "terminated" || tr.Code != "masking_required" {
		t.Fatalf("without a masking policy: %+v", tr)
	}
	if code, out := doBody(t, "PUT", pm+"masks/"+f.dataset, f.office, `{"version":1,"columns":[{"name":"x","action":"bogus"}]}`); code != 400 {
		t.Fatalf("a bad masking policy: %d %s", code, out)
	}
	if code, out := doBody(t, "PUT", pm+"masks/"+f.dataset, f.ops, clinicalMask); code != 403 {
		t.Fatalf("operations may not set masking policies: %d %s", code, out)
	}
	if code, out := doBody(t, "PUT", pm+"masks/"+f.dataset, f.office, clinicalMask); code != 200 {
		t.Fatalf("masking policy: %d %s", code, out)
	}

	tr := f.transfer(t, agreement)
	if tr.State != "completed" || tr.File == "" {
		t.Fatalf("transfer: %+v", tr)
	}
	got, err := os.ReadFile(tr.File)
	if err != nil {
		t.Fatal(err)
	}
	// What the consumer must hold: the source through the policy, under the
	// agreement's pseudonym key (the test reads the provider's secret).
	secret, err := os.ReadFile(filepath.Join(f.provider.n.cfg.DataDir, "mask.secret"))
	if err != nil {
		t.Fatal(err)
	}
	pol, _ := mask.Parse([]byte(clinicalMask))
	key, _ := mask.DeriveKey("intl", secret, agreement)
	m, _ := mask.New(pol, key)
	var want bytes.Buffer
	if _, err := m.CopyCSV(ctx, &want, strings.NewReader(clinicalCSV), nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("received\n%s\nwant\n%s", got, want.Bytes())
	}
	for _, leak := range []string{"张三丰", "13812345678", "1990-05-17", "C001"} {
		if bytes.Contains(got, []byte(leak)) {
			t.Errorf("the received data contain %q", leak)
		}
	}
	sum := sha256.Sum256(got)
	if tr.Digest != hex.EncodeToString(sum[:]) {
		t.Errorf("recorded digest %s, data %x", tr.Digest, sum)
	}
	if _, err := os.Stat(tr.File + ".receipt.json"); err != nil {
		t.Error(err)
	}
	// The provider sees it completed with the bytes counted.
	waitFor(t, "provider's transfer completed", func() bool {
		code, out := doBody(t, "GET", pm+"transfers?role=provider", f.ops, "")
		var rows []transferRow
		json.Unmarshal([]byte(out), &rows)
		return code == 200 && len(rows) > 0 && rows[0].State == "completed" && rows[0].Bytes == int64(len(got))
	})
	// Metering of the agreement on the provider: the transfer served with
	// its bytes (the two refusals are in the ledger, not transfers).
	code, out := doBody(t, "GET", pm+"transfers?role=provider&agreement="+agreement, f.ops, "")
	var metered []transferRow
	json.Unmarshal([]byte(out), &metered)
	if code != 200 || len(metered) != 1 || metered[0].State != "completed" || metered[0].Bytes != int64(len(got)) {
		t.Errorf("metering: %d %s", code, out)
	}
	// Both ledgers: the consumer's verified receipt, the provider's
	// decision and the bytes served.
	waitFor(t, "ledgers", func() bool {
		return hasEntry(t, f.consumer, audit.OpTransfer, "received_verified") && hasEntry(t, f.provider, audit.OpTransfer, "served") &&
			hasEntry(t, f.provider, audit.OpPolicyDecision, "agreement_permits") && hasEntry(t, f.provider, audit.OpPolicyDecision, "masking_required")
	})

	// An agreement this consumer does not hold: refused without a transfer.
	if code, out := doBody(t, "POST", f.consumer.n.MgmtURL+"/api/v1/transfers", f.cops, `{"agreement":"urn:uuid:not-mine"}`); code != 400 {
		t.Fatalf("unknown agreement: %d %s", code, out)
	}
	if code, out := doBody(t, "POST", f.consumer.n.MgmtURL+"/api/v1/transfers", f.cops, `{"agreement":"`+agreement+`","suite":"rot13"}`); code != 400 {
		t.Fatalf("unknown suite: %d %s", code, out)
	}
}

// TestDataPlaneGM: a provider with an SM2 key serves suite gm (SM2 key
// agreement, SM4-GCM, SM3 digest); the consumer picks it from the
// provider's key, and pseudonyms are keyed with HMAC-SM3.
func TestDataPlaneGM(t *testing.T) {
	f := newDataPlaneFixtureAlg(t, suite.SM2)
	pm := f.provider.n.MgmtURL + "/api/v1/"
	doBody(t, "PUT", pm+"sources/"+f.dataset, f.ops, clinicalCSV)
	doBody(t, "PUT", pm+"masks/"+f.dataset, f.office, clinicalMask)
	agreement := f.agree(t, string(offer("urn:uuid:o-gm", f.dataset, "research")))
	tr := f.transfer(t, agreement)
	if tr.State != "completed" {
		t.Fatalf("gm transfer: %+v", tr)
	}
	rb, err := os.ReadFile(tr.File + ".receipt.json")
	if err != nil {
		t.Fatal(err)
	}
	var rc struct{ Suite, Alg string }
	json.Unmarshal(rb, &rc)
	if rc.Suite != "gm" {
		t.Errorf("receipt %s", rb)
	}
	secret, _ := os.ReadFile(filepath.Join(f.provider.n.cfg.DataDir, "mask.secret"))
	pol, _ := mask.Parse([]byte(clinicalMask))
	key, _ := mask.DeriveKey("gm", secret, agreement)
	m, _ := mask.New(pol, key)
	var want bytes.Buffer
	m.CopyCSV(context.Background(), &want, strings.NewReader(clinicalCSV), nil)
	got, _ := os.ReadFile(tr.File)
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("received\n%s\nwant\n%s", got, want.Bytes())
	}
	if sum := sha256.Sum256(got); tr.Digest != hex.EncodeToString(sum[:]) {
		t.Errorf("recorded sha256 %s, data %x (the receipt's SM3 digest is not the file's SHA-256)", tr.Digest, sum)
	}
}

// TestDataPlaneCountLimit: an agreement for one transfer permits one.
func TestDataPlaneCountLimit(t *testing.T) {
	f := newDataPlaneFixture(t)
	pm := f.provider.n.MgmtURL + "/api/v1/"
	doBody(t, "PUT", pm+"sources/"+f.dataset, f.ops, clinicalCSV)
	doBody(t, "PUT", pm+"masks/"+f.dataset, f.office, clinicalMask)
	once := `{"@id":"urn:uuid:o-once","@type":"Offer","target":"` + f.dataset + `","permission":[{"action":"use","constraint":[` +
		`{"leftOperand":"odrl:purpose","operator":"eq","rightOperand":"research"},{"leftOperand":"odrl:count","operator":"lteq","rightOperand":"1"}]}]}`
	agreement := f.agree(t, once)
	if tr := f.transfer(t, agreement); tr.State != "completed" {
		t.Fatalf("first transfer: %+v", tr)
	}
	if tr := f.transfer(t, agreement); tr.State != "terminated" || !strings.HasPrefix(tr.Code, "agreement_") {
		t.Fatalf("second transfer: %+v", tr)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// hasEntry reports whether a node's ledger holds an event of op with reason.
func hasEntry(t *testing.T, n *testNode, op audit.Operation, reason string) bool {
	t.Helper()
	hits, err := n.n.Ledger().Query(context.Background(), audit.Query{Operation: op, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.Event.Reason == reason {
			return true
		}
	}
	return false
}
