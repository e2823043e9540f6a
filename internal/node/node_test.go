package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/suite"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startNode(t *testing.T) (*Node, context.CancelFunc, chan error) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.DID = "did:web:hospital.example.cn"
	cfg.Listen = Listen{Public: "127.0.0.1:0", Management: "127.0.0.1:0"}
	useTestDatabase(t, &cfg)
	signer, err := suite.Generate(suite.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Open(context.Background(), cfg, Deps{Logger: quiet(), Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	// Ready once serving.
	deadline := time.Now().Add(5 * time.Second)
	for !n.ready.Load() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return n, cancel, done
}

func do(t *testing.T, method, url, token string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestNodeManagementAPI(t *testing.T) {
	n, cancel, done := startNode(t)
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}()
	now := time.Now()
	tokens := map[Role]string{}
	for _, r := range Roles {
		tok, err := n.Tokens().Add("alice-"+string(r), r, now)
		if err != nil {
			t.Fatal(err)
		}
		tokens[r] = tok
	}
	m := n.MgmtURL
	if c, _, b := do(t, "GET", m+"/healthz", ""); c != 200 || !strings.Contains(b, "ok") {
		t.Fatalf("healthz %d %s", c, b)
	}
	if c, _, _ := do(t, "GET", m+"/readyz", ""); c != 200 {
		t.Fatalf("readyz %d", c)
	}
	// The role matrix: who may call what.
	cases := []struct {
		path string
		role Role
		want int
	}{
		{"/api/v1/node", RoleOperations, 200},
		{"/api/v1/node", RoleAuditor, 200},
		{"/api/v1/audit/checkpoint", RoleAuditor, 200},
		{"/api/v1/audit/checkpoint", RoleOperations, 403},
		{"/api/v1/audit/entries", RoleAuditor, 200},
		{"/api/v1/audit/entries", RoleCompliance, 200},
		{"/api/v1/audit/entries", RoleOperations, 403},
		{"/api/v1/audit/entries", RoleAdmin, 403},
		{"/api/v1/tokens", RoleAdmin, 200},
		{"/api/v1/tokens", RoleAuditor, 403},
		{"/api/v1/nothing", RoleAdmin, 404},
	}
	for _, c := range cases {
		code, _, body := do(t, "GET", m+c.path, tokens[c.role])
		if code != c.want {
			t.Errorf("%s as %s: %d %s, want %d", c.path, c.role, code, body, c.want)
		}
	}
	for _, bad := range []string{"", "xbt_forged", "not-a-token", strings.Repeat("x", 500)} {
		code, h, body := do(t, "GET", m+"/api/v1/node", bad)
		if code != 401 || h.Get("WWW-Authenticate") == "" || !strings.Contains(body, "unauthenticated") {
			t.Errorf("token %q: %d %s", bad, code, body)
		}
	}
	// The tokens endpoint never discloses tokens, only hashes.
	_, _, body := do(t, "GET", m+"/api/v1/tokens", tokens[RoleAdmin])
	for _, tok := range tokens {
		if strings.Contains(body, tok) {
			t.Fatal("a token was disclosed")
		}
	}
	// Every decision, allow and deny, is in the ledger.
	if err := n.Ledger().Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, hdr, body := do(t, "GET", m+"/api/v1/audit/entries?operation=access&limit=5", tokens[RoleAuditor])
	if code != 200 || !strings.Contains(hdr.Get("Link"), `rel="next"`) {
		t.Fatalf("entries: %d %v %s", code, hdr, body)
	}
	hits, err := n.Ledger().Query(context.Background(), audit.Query{Operation: audit.OpAccess, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var allow, deny int
	for _, h := range hits {
		switch h.Event.Result {
		case audit.ResultAllow:
			allow++
		case audit.ResultDeny:
			deny++
		}
	}
	if allow < 6 || deny != 8 {
		t.Fatalf("audited decisions: %d allow, %d deny", allow, deny)
	}
	// An evidence pack for the API route, verifiable offline.
	code, _, body = do(t, "GET", m+"/api/v1/audit/pack?object=urn:xborder:api:api/v1/tokens", tokens[RoleAuditor])
	if code != 200 {
		t.Fatalf("pack: %d %s", code, body)
	}
	if rep, err := audit.VerifyPack([]byte(body), audit.PackTrust{LogKey: n.Ledger().VerifierKey()}); err != nil || rep.Entries < 2 {
		t.Fatalf("pack verify: %v %+v", err, rep)
	}
	for _, bad := range []string{"/api/v1/audit/entries?since=yesterday", "/api/v1/audit/entries?limit=0", "/api/v1/audit/entries?after=-3", "/api/v1/audit/pack"} {
		if code, _, body := do(t, "GET", m+bad, tokens[RoleAuditor]); code != 400 {
			t.Errorf("%s: %d %s", bad, code, body)
		}
	}
	// A fifth unauthenticated request within ten minutes: the anomaly rules
	// (run over the ledger by the node) raise a repeated_denials alert,
	// recorded in the ledger itself.
	do(t, "GET", m+"/api/v1/node", "xbt_guess")
	deadline := time.Now().Add(10 * time.Second)
	var alerts []audit.Hit
	for time.Now().Before(deadline) {
		n.Ledger().Sync(context.Background())
		alerts, _ = n.Ledger().Query(context.Background(), audit.Query{Operation: audit.OpAlert})
		if len(alerts) > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(alerts) != 1 || alerts[0].Event.Reason != "repeated_denials" || alerts[0].Event.Actor != "did:web:anonymous.invalid" {
		t.Fatalf("alerts: %+v", alerts)
	}
	// OpenAPI lists every route; metrics count them.
	_, _, body = do(t, "GET", m+"/openapi.json", "")
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi: %v %s", err, body)
	}
	ops := 0
	for p, m := range doc.Paths {
		ops += len(m)
		if strings.Contains(p, "...") {
			t.Errorf("openapi path %s", p)
		}
	}
	if ops != len(n.routes()) {
		t.Fatalf("openapi has %d operations for %d routes", ops, len(n.routes()))
	}
	_, _, body = do(t, "GET", m+"/metrics", "")
	if !strings.Contains(body, `xborder_management_decisions_total{decision="deny"`) || !strings.Contains(body, "xborder_http_requests_total") ||
		!strings.Contains(body, `xborder_anomaly_alerts_total{rule="repeated_denials"`) {
		t.Fatalf("metrics: %s", body[:min(len(body), 500)])
	}
	// The public listener: version metadata, audit read API.
	p := n.PublicURL
	if code, _, body := do(t, "GET", p+"/.well-known/dspace-version", ""); code != 200 || !strings.Contains(body, `"2025-1"`) {
		t.Fatalf("dspace-version: %d %s", code, body)
	}
	if code, _, body := do(t, "GET", p+"/audit/checkpoint", ""); code != 200 || !strings.HasPrefix(body, "hospital.example.cn/audit\n") {
		t.Fatalf("audit checkpoint: %d %s", code, body)
	}
	code, _, body = do(t, "GET", p+"/.well-known/did.json", "")
	if code != 200 || !strings.Contains(body, `"id": "did:web:hospital.example.cn"`) && !strings.Contains(body, `"id":"did:web:hospital.example.cn"`) || !strings.Contains(body, "DataService") {
		t.Fatalf("did.json: %d %s", code, body)
	}
	if code, _, _ := do(t, "GET", p+"/api/v1/node", tokens[RoleAdmin]); code != 404 {
		t.Fatalf("management API reachable on the public listener: %d", code)
	}
}

func TestNodeShutdownAndRestart(t *testing.T) {
	n, cancel, done := startNode(t)
	dir := n.cfg.DataDir
	tok, _ := n.Tokens().Add("bob", RoleAuditor, time.Now())
	do(t, "GET", n.MgmtURL+"/api/v1/node", tok)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// After a graceful shutdown the ledger verifies and holds the decision.
	rep, err := audit.VerifyDir(context.Background(), filepath.Join(dir, "audit"))
	if err != nil || rep.Size < 1 {
		t.Fatalf("ledger after shutdown: %v %+v", err, rep)
	}
	// Tokens survive a restart (stored as hashes, mode 0600).
	st, err := os.Stat(filepath.Join(dir, "tokens.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("tokens file: %v %v", err, st)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "tokens.json"))
	if strings.Contains(string(b), tok) {
		t.Fatal("token stored in clear")
	}
}

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.yaml")
	os.WriteFile(p, []byte("data_dir: /srv/xborder\ndid: did:web:bank.example.hk\njurisdiction: HK\nlisten:\n  public: 0.0.0.0:9443\n"), 0o644)
	c, err := LoadConfig(p, func(k string) string {
		if k == "XBORDER_LOG_LEVEL" {
			return "debug"
		}
		return ""
	})
	if err != nil || c.DataDir != "/srv/xborder" || c.Jurisdiction != "HK" || c.Listen.Public != "0.0.0.0:9443" || c.Listen.Management != "127.0.0.1:8444" || c.LogLevel != "debug" {
		t.Fatalf("%v %+v", err, c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, nil, 0o644)
	if c, err := LoadConfig(p, nil); err != nil || c.Suite != "intl" {
		t.Fatalf("empty file: %v %+v", err, c)
	}
	bad := map[string]string{
		"unknown key":   "data_dir: /x\nlisten_public: 1\n",
		"suite":         "data_dir: /x\nsuite: rsa\n",
		"jurisdiction":  "data_dir: /x\njurisdiction: china\n",
		"listen":        "data_dir: /x\nlisten:\n  public: nowhere\n",
		"same listener": "data_dir: /x\nlisten:\n  public: 127.0.0.1:1\n  management: 127.0.0.1:1\n",
		"did":           "data_dir: /x\ndid: hospital\n",
		"log level":     "data_dir: /x\nlog_level: loud\n",
	}
	for name, text := range bad {
		os.WriteFile(p, []byte(text), 0o644)
		c, err := LoadConfig(p, nil)
		if err == nil {
			err = c.Validate()
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNodeTLS(t *testing.T) {
	s, _ := suite.Generate(suite.Ed25519, nil)
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.DID, cfg.Key, cfg.TLS = "did:web:localhost", "store:node", true
	cfg.Listen = Listen{Public: "127.0.0.1:0", Management: "127.0.0.1:0"}
	n, err := Open(context.Background(), cfg, Deps{Logger: quiet(), Signer: s})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if !strings.HasPrefix(n.PublicURL, "https://") {
		t.Fatalf("public URL %s", n.PublicURL)
	}
	// A client that pins the node's certificate reads the version metadata over TLS 1.3.
	pool := x509.NewCertPool()
	pool.AddCert(n.Certificate.Leaf)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS13}}}
	resp, err := c.Get(n.PublicURL + "/.well-known/dspace-version")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS.Version != tls.VersionTLS13 {
		t.Fatalf("status %d, TLS %x", resp.StatusCode, resp.TLS.Version)
	}
	// TLS 1.2 is refused.
	c12 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost", MaxVersion: tls.VersionTLS12}}}
	if _, err := c12.Get(n.PublicURL + "/.well-known/dspace-version"); err == nil {
		t.Fatal("TLS 1.2 accepted")
	}
}

func doBody(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestNodeDatasetsAndApprovals(t *testing.T) {
	n, cancel, done := startNode(t)
	defer func() { cancel(); <-done }()
	ops, _ := n.Tokens().Add("ops", RoleOperations, time.Now())
	comp, _ := n.Tokens().Add("compliance", RoleCompliance, time.Now())
	aud, _ := n.Tokens().Add("auditor", RoleAuditor, time.Now())
	m := n.MgmtURL
	entry, err := os.ReadFile("../catalog/testdata/entries/minimal.json")
	if err != nil {
		t.Fatal(err)
	}
	if code, body := doBody(t, "POST", m+"/api/v1/datasets", aud, string(entry)); code != 403 {
		t.Fatalf("auditor registering: %d %s", code, body)
	}
	code, body := doBody(t, "POST", m+"/api/v1/datasets", ops, string(entry))
	if code != 201 {
		t.Fatalf("register: %d %s", code, body)
	}
	var reg struct{ ID string }
	json.Unmarshal([]byte(body), &reg)
	if code, body := doBody(t, "POST", m+"/api/v1/datasets", ops, string(entry)); code != 409 {
		t.Fatalf("second register: %d %s", code, body)
	}
	if code, body := doBody(t, "POST", m+"/api/v1/datasets", ops, `{"identifier": 7}`); code != 400 {
		t.Fatalf("bad entry: %d %s", code, body)
	}
	if code, body := doBody(t, "POST", m+"/api/v1/datasets", ops, strings.Repeat("x", 5<<20)); code != 413 {
		t.Fatalf("huge body: %d %.100s", code, body)
	}
	if code, body := doBody(t, "GET", m+"/api/v1/datasets/"+reg.ID, ops, ""); code != 200 || !strings.Contains(body, "identifier") {
		t.Fatalf("get: %d %s", code, body)
	}
	if code, body := doBody(t, "GET", m+"/api/v1/datasets/xb86/CN/none/none", ops, ""); code != 404 {
		t.Fatalf("missing: %d %s", code, body)
	}
	if code, body := doBody(t, "GET", m+"/api/v1/datasets?q=&limit=5", comp, ""); code != 200 || !strings.Contains(body, reg.ID) {
		t.Fatalf("search: %d %s", code, body)
	}
	// Filings and approvals: compliance records, auditors read.
	ap := `{"provider":"did:web:hospital.example.cn","route":"CN_SC","ref":"SC-2026-0042","issued":"2026-03-01","expires":"2029-02-28"}`
	if code, body := doBody(t, "POST", m+"/api/v1/approvals", ops, ap); code != 403 {
		t.Fatalf("operations recording an approval: %d %s", code, body)
	}
	if code, body := doBody(t, "POST", m+"/api/v1/approvals", comp, ap); code != 201 {
		t.Fatalf("approval: %d %s", code, body)
	}
	if code, body := doBody(t, "POST", m+"/api/v1/approvals", comp, `{"provider":"did:web:x","route":"CN_SC","ref":"r","issued":"yesterday"}`); code != 400 {
		t.Fatalf("bad approval: %d %s", code, body)
	}
	if code, body := doBody(t, "GET", m+"/api/v1/approvals?provider=did:web:hospital.example.cn", aud, ""); code != 200 || !strings.Contains(body, "SC-2026-0042") {
		t.Fatalf("approvals: %d %s", code, body)
	}
	if code, body := doBody(t, "GET", m+"/api/v1/agreements", aud, ""); code != 200 || strings.TrimSpace(body) != "[]" {
		t.Fatalf("agreements: %d %s", code, body)
	}
}
