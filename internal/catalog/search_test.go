package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// loadCorpus registers testdata/search/corpus.json, a small bilingual
// catalog, and returns the catalog.
func loadCorpus(t testing.TB, cfg Config) *Catalog {
	t.Helper()
	b, err := os.ReadFile("testdata/search/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	var es []*Entry
	for _, r := range raw {
		e, err := DecodeEntry(r)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	c := newTestCatalog(t, openTestDB(t), cfg)
	mustRegister(t, c, es...)
	return c
}

func ids(res *SearchResult) []string {
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.Identifier)
	}
	return out
}

func search(t testing.TB, c *Catalog, r Requester, req SearchRequest) *SearchResult {
	t.Helper()
	res, err := c.Search(context.Background(), r, req)
	if err != nil {
		t.Fatalf("search %q: %v", req.Query, err)
	}
	return res
}

// TestSearchQuality runs queries in Chinese and English over the corpus and
// checks the first results; testdata/search/results.golden records every
// result list with its scores and facets for review.
func TestSearchQuality(t *testing.T) {
	c := loadCorpus(t, Config{})
	op := Operator()
	tests := []struct {
		query string
		top   []string // the first results, in order
		total int      // -1: do not check
	}{
		{"零售客户", []string{"xb86/CN/gba-finance/retail-customers-2026"}, 1},
		{"retail customers", []string{"xb86/CN/gba-finance/retail-customers-2026"}, 1},
		{"Retail Customer", []string{"xb86/CN/gba-finance/retail-customers-2026"}, 1},
		{"客户", nil, 2},
		{"customer", nil, 3},
		{"支付", []string{"xb86/CN/sh-fintech/cross-border-payments"}, -1},
		{"payment", []string{"xb86/CN/sh-fintech/cross-border-payments"}, -1},
		{"信用卡 流水", []string{"xb86/CN/gba-finance/credit-card-transactions"}, 1},
		{"credit card", []string{"xb86/CN/gba-finance/credit-card-transactions"}, 1},
		{"金融", nil, 3}, // the zh label of industry finance
		{"医疗", []string{"xb86/CN/sh-health/outpatient-records"}, 1},
		{"medical", []string{"xb86/CN/sh-health/outpatient-records"}, 1},
		{"港口", []string{"xb86/HK/trade/port-throughput-2025"}, 1},
		{"身份证号", []string{"xb86/CN/gba-finance/retail-customers-2026"}, 1}, // a column name
		{"电网 -广东", nil, 0},
		{"reta*", []string{"xb86/CN/gba-finance/retail-customers-2026"}, 2},
		{"retail bananas", []string{"xb86/CN/gba-finance/retail-customers-2026"}, 2}, // relaxed
		{"ＫＹＣ", []string{"xb86/SG/fintech/kyc-2026"}, 1},                             // full-width
		{"粤港澳 订单", []string{"xb86/CN/gba-finance/retail-customers-2026"}, 1},
		{"反洗钱", []string{"xb86/SG/fintech/kyc-2026"}, 1},
		{"anti-money laundering", []string{"xb86/SG/fintech/kyc-2026"}, 1},
		{"xb86/CN/gba-finance", nil, 3}, // identifier words
	}
	var log strings.Builder
	for _, tc := range tests {
		res := search(t, c, op, SearchRequest{Query: tc.query, NoHints: true})
		got := ids(res)
		if len(got) < len(tc.top) || tc.top != nil && !slices.Equal(got[:len(tc.top)], tc.top) {
			t.Errorf("%q: results %v, want first %v", tc.query, got, tc.top)
		}
		if tc.total >= 0 && res.Total != tc.total {
			t.Errorf("%q: %d results, want %d: %v", tc.query, res.Total, tc.total, got)
		}
		fmt.Fprintf(&log, "%q total=%d relaxed=%v\n", tc.query, res.Total, res.Relaxed)
		for _, h := range res.Hits {
			fmt.Fprintf(&log, "  %.4f %s\n", h.Score, h.Identifier)
		}
	}
	golden(t, "search/results.golden", []byte(log.String()))
}

// TestSearchFacets checks filters and the disjunctive facet counts.
func TestSearchFacets(t *testing.T) {
	c := loadCorpus(t, Config{})
	op := Operator()
	count := func(res *SearchResult, facet, value string) int {
		for _, fc := range res.Facets[facet] {
			if fc.Value == value {
				return fc.Count
			}
		}
		return 0
	}
	// two entries mention 客户 in their titles: both come first
	res := search(t, c, op, SearchRequest{Query: "客户 customer", NoHints: true})
	if got := ids(res); len(got) != 2 || !slices.Contains(got, "xb86/SG/fintech/kyc-2026") || !slices.Contains(got, "xb86/CN/gba-finance/retail-customers-2026") {
		t.Errorf("客户 customer: %v", got)
	}
	res = search(t, c, op, SearchRequest{Query: "industry:finance", NoHints: true})
	if res.Total != 3 {
		t.Errorf("industry:finance: %d results %v", res.Total, ids(res))
	}
	// the industry facet ignores its own filter; the others count the 3
	if count(res, "industry", "retail") != 2 || count(res, "industry", "finance") != 3 {
		t.Errorf("industry facet: %v", res.Facets["industry"])
	}
	if count(res, "frequency", "daily") != 2 || count(res, "frequency", "weekly") != 1 {
		t.Errorf("frequency facet under industry:finance: %v", res.Facets["frequency"])
	}
	for _, tc := range []struct {
		req   SearchRequest
		total int
	}{
		{SearchRequest{Query: "geo:CN"}, 8},
		{SearchRequest{Filters: map[string][]string{"geo": {"cn-gd"}}}, 4},
		{SearchRequest{Query: "geo:HK"}, 2},
		{SearchRequest{Query: "quality:>=90"}, 5},
		{SearchRequest{Query: "quality:>90 quality:<99"}, 3},
		{SearchRequest{Query: "quality:unrated"}, 1},
		{SearchRequest{Query: "quality:90-100"}, 5},
		{SearchRequest{Query: "frequency:daily format:parquet"}, 2},
		{SearchRequest{Query: "industry:finance industry:retail"}, 5},
		{SearchRequest{Query: "level:public"}, 3},
		{SearchRequest{Query: "sovereignty:cn level:sensitive"}, 3},
		{SearchRequest{Query: "space:gba-finance"}, 3},
		{SearchRequest{Query: "owner:did:web:bank.example.sg"}, 1},
		{SearchRequest{Query: "scenario:marketing 酒店"}, 1},
		{SearchRequest{Query: "industry:nonexistent"}, 0},
	} {
		tc.req.NoHints = true
		res := search(t, c, op, tc.req)
		if res.Total != tc.total {
			t.Errorf("%q %v: %d results, want %d: %v", tc.req.Query, tc.req.Filters, res.Total, tc.total, ids(res))
		}
	}
	// pagination and sorting
	all := search(t, c, op, SearchRequest{Sort: "quality", Limit: 100, NoHints: true})
	p2 := search(t, c, op, SearchRequest{Sort: "quality", Limit: 4, Page: 2, NoHints: true})
	if !slices.Equal(ids(p2), ids(all)[4:8]) || all.Total != 13 || p2.Total != 13 {
		t.Errorf("page 2 of 4 = %v, want %v", ids(p2), ids(all)[4:8])
	}
	if ids(all)[0] != "xb86/CN/gd-energy/grid-load" || ids(all)[12] != "xb86/CN/bj-edu/online-courses" {
		t.Errorf("by quality: %v", ids(all))
	}
	for _, bad := range []SearchRequest{
		{Query: "quality:>=high"}, {Query: "quality:excellent"}, {Filters: map[string][]string{"colour": {"red"}}},
		{Limit: 101}, {Page: -1}, {Page: 2000, Limit: 100}, {Sort: "random"}, {To: []string{"XX"}}, {Query: `"open`},
	} {
		if _, err := c.Search(context.Background(), op, bad); err == nil || !IsInputError(err) {
			t.Errorf("%+v: %v, want an input error", bad, err)
		}
	}
}

// TestSearchAccess: restricted entries are seen by their owner, the
// operator, and requesters whose claims the checker accepts; facets never
// count what the requester cannot see; without a checker nobody else sees
// them.
func TestSearchAccess(t *testing.T) {
	checker := &roleChecker{}
	c := loadCorpus(t, Config{Checker: checker})
	ctx := context.Background()
	anon := Requester{}
	member := Requester{DID: "did:web:member.example"}
	analyst := Requester{DID: "did:web:analyst.example", Claims: map[string]any{"role": "analyst"}}
	auditor := Requester{DID: "did:web:auditor.example", Claims: map[string]any{"role": "auditor"}}
	insurer := Requester{DID: "did:web:insure.example.cn"}
	tests := []struct {
		name  string
		r     Requester
		total int
		sees  []string
	}{
		{"anonymous: public only", anon, 3, []string{"xb86/HK/trade/port-throughput-2025"}},
		{"member: public and internal", member, 8, []string{"xb86/CN/sh-fintech/cross-border-payments"}},
		{"analyst", analyst, 9, []string{"xb86/CN/gba-finance/retail-customers-2026"}},
		{"auditor", auditor, 10, []string{"xb86/CN/gba-finance/credit-card-transactions", "xb86/SG/fintech/kyc-2026"}},
		{"owner of an entry without a policy", insurer, 9, []string{"xb86/CN/gba-finance/insurance-claims"}},
		{"operator", Operator(), 13, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := search(t, c, tc.r, SearchRequest{Limit: 100, NoHints: true})
			if res.Total != tc.total {
				t.Errorf("sees %d entries, want %d: %v", res.Total, tc.total, ids(res))
			}
			for _, id := range tc.sees {
				if !slices.Contains(ids(res), id) {
					t.Errorf("does not see %s", id)
				}
			}
			n := 0
			for _, fc := range res.Facets["level"] {
				n += fc.Count
				if !tc.r.IsOperator() && tc.r.DID == "" && fc.Value != LevelPublic {
					t.Errorf("an anonymous requester's facets count %d %s entries", fc.Count, fc.Value)
				}
			}
			if n != tc.total {
				t.Errorf("level facet counts %d entries, results %d", n, tc.total)
			}
			// text search and Get agree with the listing
			_, err := c.Get(ctx, tc.r, "xb86/CN/gba-finance/retail-customers-2026")
			if want := slices.Contains(ids(res), "xb86/CN/gba-finance/retail-customers-2026"); want != (err == nil) {
				t.Errorf("Get: %v, listed %v", err, want)
			} else if err != nil && !errors.Is(err, ErrDenied) {
				t.Errorf("Get: %v, want ErrDenied", err)
			}
			words := search(t, c, tc.r, SearchRequest{Query: "客户", NoHints: true})
			for _, id := range ids(words) {
				if !slices.Contains(ids(res), id) {
					t.Errorf("the text search shows %s, which the listing hides", id)
				}
			}
		})
	}
	// the checker is asked once per distinct policy and search
	checker.calls = 0
	search(t, c, Requester{DID: "did:web:x.example", Claims: map[string]any{"role": "nobody"}}, SearchRequest{NoHints: true})
	if checker.calls != 3 {
		t.Errorf("checker asked %d times for 3 distinct policies", checker.calls)
	}
	// without a checker: default deny
	c2 := loadCorpus(t, Config{})
	if res := search(t, c2, auditor, SearchRequest{Limit: 100, NoHints: true}); res.Total != 8 {
		t.Errorf("without a checker the auditor sees %d entries, want 8", res.Total)
	}
}

// TestSearchHints: results carry the rulebook's route for the export and
// say what they assumed.
func TestSearchHints(t *testing.T) {
	c := loadCorpus(t, Config{})
	op := Operator()
	find := func(res *SearchResult, id string) Hit {
		for _, h := range res.Hits {
			if h.Identifier == id {
				return h
			}
		}
		t.Fatalf("%s not in the results", id)
		return Hit{}
	}
	// 1.2 million individuals, all with sensitive PI: a security assessment
	res := search(t, c, op, SearchRequest{Query: "credit card", To: []string{"us"}})
	h := find(res, "xb86/CN/gba-finance/credit-card-transactions")
	if len(h.Hints) != 1 || h.Hints[0].Route != "CN_SA" || !h.Hints[0].Blocking || h.Hints[0].To != "US" {
		t.Fatalf("hints: %+v", h.Hints)
	}
	if msg := h.Hints[0].Message["en"]; !strings.HasPrefix(msg, "export to US needs CN_SA") {
		t.Errorf("message %q", msg)
	}
	if a := h.Hints[0].Assumed; a == nil || a.Individuals != 1200000 || a.SensitiveIndividuals != 1200000 || a.PriorExportsThisYear != 0 || a.Purpose != "other" {
		t.Errorf("assumed %+v", a)
	}
	// default destinations: the entry's allowed countries
	res = search(t, c, op, SearchRequest{Query: "零售客户"})
	h = find(res, "xb86/CN/gba-finance/retail-customers-2026")
	if len(h.Hints) != 1 || h.Hints[0].To != "DE" || h.Hints[0].Route != "CN_SC_OR_CERT" {
		t.Errorf("hints: %+v", h.Hints)
	}
	// localisation comes first; the entry without allowed countries gets
	// the catalog's defaults (US, DE)
	res = search(t, c, op, SearchRequest{Query: "理赔"})
	h = find(res, "xb86/CN/gba-finance/insurance-claims")
	if len(h.Hints) != 3 || h.Hints[0].Kind != "localization" || h.Hints[1].To != "DE" && h.Hints[1].To != "US" {
		t.Errorf("hints: %+v", h.Hints)
	}
	// a public entry without PI: not regulated; the hint says it assumed so
	res = search(t, c, op, SearchRequest{Query: "港口", To: []string{"US"}})
	h = find(res, "xb86/HK/trade/port-throughput-2025")
	if len(h.Hints) != 1 || h.Hints[0].Kind != "route" && h.Hints[0].Kind != "unknown" {
		t.Errorf("hints: %+v", h.Hints)
	}
	// access: endpoints come with the hit
	res = search(t, c, op, SearchRequest{Query: "港口", NoHints: true})
	if h := res.Hits[0]; h.Hints != nil {
		t.Errorf("NoHints gave hints: %+v", h.Hints)
	}
}
