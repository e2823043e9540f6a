package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// node is one local resolver on loopback: its catalog and server.
type node struct {
	cat *Catalog
	rec *TableRecorder
	srv *httptest.Server
}

func startLocal(t *testing.T, name string, tokens BearerTokens, es ...*Entry) *node {
	t.Helper()
	db := openTestDB(t)
	c := newTestCatalog(t, db, Config{Checker: &roleChecker{}, Node: name})
	mustRegister(t, c, es...)
	h, err := NewLocalResolver(LocalResolverConfig{Catalog: c, Authenticator: tokens})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &node{cat: c, rec: NewTableRecorder(db), srv: srv}
}

// TestFederation starts a root resolver and two local resolvers in
// different jurisdictions on loopback and resolves through them.
func TestFederation(t *testing.T) {
	tokens := BearerTokens{
		"tok-auditor": {DID: "did:web:auditor.example.de", Claims: map[string]any{"role": "auditor"}},
		"tok-analyst": {DID: "did:web:analyst.example.cn", Claims: map[string]any{"role": "analyst"}},
	}
	withService := func(e *Entry, endpoint string) *Entry {
		e.Distributions = []Distribution{{Format: "HttpData-PULL", AccessService: AccessService{Service: &DataService{
			ID: "urn:uuid:4aa2dcc8-4d2d-569e-d634-8394a8834d77", EndpointURL: endpoint}}}}
		return e
	}
	restricted := withService(entry("xb86/CN/gba-finance/cards", "银行卡交易", "Card transactions", LevelSensitive), "https://dsp.bank.example.cn/api/dsp")
	restricted.Governance.AccessPolicy = json.RawMessage(`{"xbc:roles":["analyst"]}`)
	cn := startLocal(t, "cn-resolver", tokens,
		withService(entry("xb86/CN/gba-finance/retail-orders", "零售订单", "Retail orders", LevelInternal), "https://dsp.retail.example.cn/api/dsp"),
		entry("xb86/CN/gd-energy/grid-load", "电网负荷", "Grid load", LevelPublic),
		restricted)
	de := startLocal(t, "de-resolver", tokens,
		withService(entry("xb86/DE/auto-eu/fleet", "车队遥测", "Fleet telemetry", LevelInternal), "https://dsp.fleet.example.de/dsp"))

	var rootSawCredentials atomic.Bool
	rootHandler, err := NewRootResolver(RootResolverConfig{Prefixes: []string{"xb86"},
		Resolvers: map[string]string{"CN": cn.srv.URL, "de": de.srv.URL + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	root := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			rootSawCredentials.Store(true)
		}
		rootHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(root.Close)

	client := func(token string) *Client {
		return &Client{Root: root.URL, Authorize: func(r *http.Request) error {
			if token != "" {
				r.Header.Set("Authorization", "Bearer "+token)
			}
			return nil
		}}
	}
	ctx := context.Background()
	auditor, analyst, anon := client("tok-auditor"), client("tok-analyst"), client("")

	// identifier → metadata → access interface, in both jurisdictions
	res, err := auditor.Resolve(ctx, "xb86/CN/gba-finance/retail-orders")
	if err != nil {
		t.Fatal(err)
	}
	if res.ResolvedBy != "cn-resolver" || res.Metadata.Title["en"] != "Retail orders" || len(res.Access) != 1 ||
		res.Access[0].EndpointURL != "https://dsp.retail.example.cn/api/dsp" || res.Access[0].Protocol != Protocol ||
		!strings.HasPrefix(res.Access[0].DatasetURL, "https://dsp.retail.example.cn/api/dsp/catalog/datasets/https:%2F%2Fw3id.org") {
		t.Errorf("CN resolution: %+v", res)
	}
	res, err = auditor.Resolve(ctx, "https://w3id.org/xborder/id/xb86/DE/auto-eu/fleet")
	if err != nil || res.ResolvedBy != "de-resolver" || res.Access[0].EndpointURL != "https://dsp.fleet.example.de/dsp" {
		t.Errorf("DE resolution: %+v %v", res, err)
	}
	// the restricted entry: the analyst's credentials satisfy its policy,
	// the auditor's do not, and a refusal looks like an unknown identifier
	if _, err := analyst.Resolve(ctx, "xb86/CN/gba-finance/cards"); err != nil {
		t.Errorf("analyst: %v", err)
	}
	if _, err := auditor.Resolve(ctx, "xb86/CN/gba-finance/cards"); !errors.Is(err, ErrNotFound) {
		t.Errorf("auditor: %v, want not found", err)
	}
	if _, err := auditor.Resolve(ctx, "xb86/CN/gba-finance/nothing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown identifier: %v", err)
	}
	// anonymous: public yes, internal no
	if _, err := anon.Resolve(ctx, "xb86/CN/gd-energy/grid-load"); err != nil {
		t.Errorf("anonymous, public entry: %v", err)
	}
	if _, err := anon.Resolve(ctx, "xb86/CN/gba-finance/retail-orders"); !errors.Is(err, ErrNotFound) {
		t.Errorf("anonymous, internal entry: %v", err)
	}
	// no resolver for the jurisdiction, a prefix the root does not serve,
	// a malformed identifier, bad credentials
	if _, err := auditor.Resolve(ctx, "xb86/JP/tourism/hotels"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no resolver for sovereignty JP") {
		t.Errorf("JP: %v", err)
	}
	if _, err := auditor.Resolve(ctx, "zz99/CN/gba-finance/retail-orders"); !errors.Is(err, ErrNotFound) {
		t.Errorf("other prefix: %v", err)
	}
	if _, err := auditor.Resolve(ctx, "xb86/CN/retail"); !IsInputError(err) {
		t.Errorf("malformed: %v", err)
	}
	if _, err := client("tok-forged").Resolve(ctx, "xb86/CN/gd-energy/grid-load"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("forged token: %v", err)
	}
	if rootSawCredentials.Load() {
		t.Error("the requester's credentials were sent to the root")
	}

	// raw HTTP: the root redirects, answers 400 and lists its routes
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(root.URL + "/v1/resolve/xb86/DE/auto-eu/fleet")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != de.srv.URL+"/v1/resolve/xb86/DE/auto-eu/fleet" {
		t.Errorf("redirect: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	for path, want := range map[string]int{"/v1/route/xb86/CN/x": 400, "/v1/routes": 200, "/v1/route/xb86/CN/ab/cd": 200} {
		resp, err := http.Get(root.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	// local search over HTTP: the anonymous requester sees the public entry only
	resp, err = http.Get(cn.srv.URL + "/v1/search?q=" + "电网" + "&facet=level:public")
	if err != nil {
		t.Fatal(err)
	}
	var sr SearchResult
	json.NewDecoder(resp.Body).Decode(&sr)
	resp.Body.Close()
	if sr.Total != 1 || sr.Hits[0].Identifier != "xb86/CN/gd-energy/grid-load" {
		t.Errorf("search: %+v", sr)
	}
	resp, _ = http.Get(cn.srv.URL + "/v1/search?facet=colour")
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("bad facet: %d", resp.StatusCode)
	}

	// every resolution is recorded where it happened: who, what, outcome
	recs, err := cn.rec.List(ctx, ResolutionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Requester+" "+r.Identifier+" "+r.Outcome)
		if r.Resolver != "cn-resolver" || r.At.IsZero() {
			t.Errorf("record %+v", r)
		}
	}
	want := []string{
		"did:web:auditor.example.de xb86/CN/gba-finance/retail-orders resolved",
		"did:web:analyst.example.cn xb86/CN/gba-finance/cards resolved",
		"did:web:auditor.example.de xb86/CN/gba-finance/cards denied",
		"did:web:auditor.example.de xb86/CN/gba-finance/nothing not_found",
		" xb86/CN/gd-energy/grid-load resolved",
		" xb86/CN/gba-finance/retail-orders denied",
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("no record %q in %q", w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d records, want %d: %q", len(got), len(want), got)
	}
	if recs, _ := de.rec.List(ctx, ResolutionFilter{}); len(recs) != 1 || recs[0].Outcome != OutcomeResolved {
		t.Errorf("DE records: %+v", recs)
	}
}

func TestRootResolverConfig(t *testing.T) {
	for _, cfg := range []RootResolverConfig{
		{Resolvers: map[string]string{"XX": "https://a.example"}},
		{Resolvers: map[string]string{"CN": "ftp://a.example"}},
		{Prefixes: []string{"-x"}},
	} {
		if _, err := NewRootResolver(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
	if _, err := NewLocalResolver(LocalResolverConfig{}); err == nil {
		t.Error("a local resolver without a catalog")
	}
}

// failingRecorder refuses to record.
type failingRecorder struct{}

func (failingRecorder) RecordResolution(context.Context, ResolutionRecord) error {
	return errors.New("ledger unavailable")
}

// TestResolveNeedsRecord: a resolution that cannot be recorded fails.
func TestResolveNeedsRecord(t *testing.T) {
	c := newTestCatalog(t, openTestDB(t), Config{Recorder: failingRecorder{}})
	mustRegister(t, c, entry("xb86/CN/retail/a", "甲", "A", LevelPublic))
	if _, err := c.Resolve(context.Background(), Requester{}, "xb86/CN/retail/a"); err == nil || !strings.Contains(err.Error(), "ledger unavailable") {
		t.Errorf("%v", err)
	}
}
