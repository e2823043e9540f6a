package dsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// memCatalog is a CatalogSource over datasets kept in memory, sorted by
// @id; hidden maps a dataset's @id to the only caller that sees it.
type memCatalog struct {
	mu     sync.Mutex
	ds     []Dataset
	hidden map[string]string
	calls  int
}

func (m *memCatalog) put(ds ...Dataset) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range ds {
		i := sort.Search(len(m.ds), func(i int) bool { return m.ds[i].ID >= d.ID })
		if i < len(m.ds) && m.ds[i].ID == d.ID {
			m.ds[i] = d
			continue
		}
		m.ds = slices.Insert(m.ds, i, d)
	}
}

func (m *memCatalog) remove(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ds = slices.DeleteFunc(m.ds, func(d Dataset) bool { return d.ID == id })
}

func (m *memCatalog) visible(caller string) []Dataset {
	if len(m.hidden) == 0 {
		return m.ds
	}
	var out []Dataset
	for _, d := range m.ds {
		if who, ok := m.hidden[d.ID]; !ok || who == caller {
			out = append(out, d)
		}
	}
	return out
}

func (m *memCatalog) Datasets(_ context.Context, caller string, req PageRequest) (DatasetPage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	vis := m.visible(caller)
	if req.Before != "" {
		i := sort.Search(len(vis), func(i int) bool { return vis[i].ID >= req.Before })
		lo := max(0, i-req.Limit)
		return DatasetPage{Datasets: vis[lo:i], More: lo > 0}, nil
	}
	i := sort.Search(len(vis), func(i int) bool { return vis[i].ID > req.After })
	hi := min(len(vis), i+req.Limit)
	return DatasetPage{Datasets: vis[i:hi], More: hi < len(vis)}, nil
}

func (m *memCatalog) Dataset(_ context.Context, caller, id string) (*Dataset, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range m.visible(caller) {
		if d.ID == id {
			return &d, nil
		}
	}
	return nil, fmt.Errorf("dataset %s: %w", id, ErrNotFound)
}

// tckDataset is a dataset as the DSP TCK seeds them: one offer of use,
// served by the provider (no service given: the node fills in its own).
func tckDataset(id string) Dataset {
	return Dataset{ID: id, HasPolicy: []json.RawMessage{catalogOffer("urn:uuid:CD123:" + strings.TrimPrefix(id, "urn:uuid:") + ":456")},
		Distributions: []Distribution{{Format: "HttpData-PULL"}},
		Properties:    Properties{"dct:title": LangValues(map[string]string{"en": "Dataset " + id})}}
}

// hiddenID is a dataset the consumer may not see (only otherDID does).
const hiddenID = "urn:uuid:CAT0199"

// iriID is a dataset whose @id is an IRI with slashes, as xborder's are.
const iriID = "https://w3id.org/xborder/id/xb86/CN/health/oncology"

func tckCatalog() *memCatalog {
	m := &memCatalog{hidden: map[string]string{hiddenID: otherDID}}
	m.put(tckDataset("urn:uuid:ACN0101"), tckDataset("urn:uuid:CAT0101"), tckDataset("urn:uuid:CAT0102"), tckDataset(hiddenID), tckDataset(iriID))
	return m
}

// answer is one HTTP exchange with the node, as the TCK sees it.
type answer struct {
	status int
	header http.Header
	body   []byte
	msg    Message
}

func exchangeRaw(t *testing.T, method, u, token, contentType, body string) answer {
	t.Helper()
	resp, b := sendRaw(t, method, u, token, contentType, body)
	var err error
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	if err := validateMessage(b); err != nil {
		t.Errorf("%s %s: the answer does not validate against the 2025-1 schemas: %v\n%s", method, u, err, b)
	}
	if a.msg, err = DecodeCatalog(b); err != nil {
		if a.msg, err = Decode(b); err != nil {
			t.Errorf("%s %s: the answer does not decode: %v", method, u, err)
		}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, u, ct)
	}
	return a
}

// catCase is a conformance case of the catalog protocol: one request, the
// status and the body's type (and code) it must get.
type catCase struct {
	id          string
	method      string
	path        string // below <base>; ?cursor=… allowed
	token       string
	contentType string
	body        string
	status      int
	typ         string
	code        string
	check       func(t *testing.T, a answer)
}

func datasetIDs(m Message) []string {
	c, _ := m.(*Catalog)
	if c == nil {
		return nil
	}
	var ids []string
	for _, d := range c.Datasets {
		ids = append(ids, d.ID)
	}
	return ids
}

var emptyRequest = msg("CatalogRequestMessage", "")

// catCases are the DSP TCK's catalog cases (CAT:01-01 … 01-03) and ours:
// authorization, per-requester filtering, malformed requests, filters and
// cursors.
var catCases = []catCase{
	{id: "CAT:01-01", method: "POST", path: "/catalog/request", token: consumerTok, body: emptyRequest, status: 200, typ: TypeCatalog,
		check: func(t *testing.T, a answer) {
			c := a.msg.(*Catalog)
			if ids := datasetIDs(c); !slices.Contains(ids, "urn:uuid:ACN0101") || len(ids) != 4 {
				t.Errorf("datasets %v", ids)
			}
			if c.ParticipantID != providerDID || len(c.Services) != 1 || c.Services[0].EndpointURL == "" {
				t.Errorf("head %+v", c)
			}
			for _, d := range c.Datasets {
				if d.Distributions[0].AccessService.ID != c.Services[0].ID || !d.Distributions[0].AccessService.IsRef() {
					t.Errorf("%s: distribution %+v, want a reference to the catalog's service", d.ID, d.Distributions[0])
				}
			}
			if a.header.Get("Link") != "" {
				t.Errorf("a one-page catalog has links: %v", a.header.Values("Link"))
			}
		}},
	{id: "CAT:01-02", method: "GET", path: "/catalog/datasets/urn:uuid:ACN0101", token: consumerTok, status: 200, typ: TypeDataset,
		check: func(t *testing.T, a answer) {
			d := a.msg.(*Dataset)
			if d.ID != "urn:uuid:ACN0101" || d.Distributions[0].AccessService.IsRef() || d.Distributions[0].AccessService.EndpointURL == "" {
				t.Errorf("dataset %+v", d)
			}
		}},
	{id: "CAT:01-03", method: "GET", path: "/catalog/datasets/urn:uuid:UNKNOWN", token: consumerTok, status: 404, typ: TypeCatalogError, code: CodeNotFound},
	{id: "xb:CAT-empty-filter", method: "POST", path: "/catalog/request", token: consumerTok, body: msg("CatalogRequestMessage", `"filter":[]`), status: 200, typ: TypeCatalog},
	{id: "xb:CAT-ld-json", method: "POST", path: "/catalog/request", token: consumerTok, contentType: "application/ld+json", body: emptyRequest, status: 200, typ: TypeCatalog},
	{id: "xb:CAT-dataset-iri", method: "GET", path: "/catalog/datasets/" + url.PathEscape(iriID), token: consumerTok, status: 200, typ: TypeDataset,
		check: func(t *testing.T, a answer) {
			if d := a.msg.(*Dataset); d.ID != iriID {
				t.Errorf("dataset %s", d.ID)
			}
		}},
	{id: "xb:CAT-dataset-iri-unescaped", method: "GET", path: "/catalog/datasets/urn:uuid:CAT0101/part", token: consumerTok, status: 404, typ: TypeCatalogError, code: CodeNotFound},
	{id: "xb:CAT-dataset-empty-id", method: "GET", path: "/catalog/datasets/", token: consumerTok, status: 404, typ: TypeCatalogError, code: CodeNotFound},
	{id: "xb:CAT-trailing-slash", method: "GET", path: "/catalog/datasets/urn:uuid:CAT0101/", token: consumerTok, status: 200, typ: TypeDataset},
	// Unauthorized: 404, as for an unknown dataset, revealing nothing.
	{id: "xb:CAT-request-no-token", method: "POST", path: "/catalog/request", body: emptyRequest, status: 404, typ: TypeCatalogError, code: CodeNotFound},
	{id: "xb:CAT-request-bad-token", method: "POST", path: "/catalog/request", token: "Bearer forged", body: emptyRequest, status: 404, typ: TypeCatalogError, code: CodeNotFound},
	{id: "xb:CAT-dataset-no-token", method: "GET", path: "/catalog/datasets/urn:uuid:ACN0101", status: 404, typ: TypeCatalogError, code: CodeNotFound},
	// Per requester: the hidden dataset is neither listed nor served to the
	// consumer, and the answer is the one of an unknown dataset.
	{id: "xb:CAT-hidden-dataset", method: "GET", path: "/catalog/datasets/" + hiddenID, token: consumerTok, status: 404, typ: TypeCatalogError, code: CodeNotFound},
	{id: "xb:CAT-hidden-dataset-owner", method: "GET", path: "/catalog/datasets/" + hiddenID, token: otherTok, status: 200, typ: TypeDataset},
	{id: "xb:CAT-hidden-listed-to-owner", method: "POST", path: "/catalog/request", token: otherTok, body: emptyRequest, status: 200, typ: TypeCatalog,
		check: func(t *testing.T, a answer) {
			if ids := datasetIDs(a.msg); !slices.Contains(ids, hiddenID) || len(ids) != 5 {
				t.Errorf("datasets %v", ids)
			}
		}},
	// Malformed requests: 400 with a CatalogError.
	{id: "xb:CAT-not-json", method: "POST", path: "/catalog/request", token: consumerTok, body: `{"@context":`, status: 400, typ: TypeCatalogError, code: CodeBadMessage},
	{id: "xb:CAT-no-body", method: "POST", path: "/catalog/request", token: consumerTok, status: 400, typ: TypeCatalogError, code: CodeBadMessage},
	{id: "xb:CAT-wrong-message", method: "POST", path: "/catalog/request", token: consumerTok, body: msg("DatasetRequestMessage", `"dataset":"urn:uuid:ACN0101"`), status: 400, typ: TypeCatalogError, code: CodeUnexpected},
	{id: "xb:CAT-2024-context", method: "POST", path: "/catalog/request", token: consumerTok, body: `{"@context":["https://w3id.org/dspace/2024/1/context.json"],"@type":"CatalogRequestMessage"}`, status: 400, typ: TypeCatalogError, code: CodeBadContext},
	{id: "xb:CAT-unknown-member", method: "POST", path: "/catalog/request", token: consumerTok, body: msg("CatalogRequestMessage", `"limit":10`), status: 400, typ: TypeCatalogError, code: CodeBadMessage},
	{id: "xb:CAT-text-plain", method: "POST", path: "/catalog/request", token: consumerTok, contentType: "text/plain", body: emptyRequest, status: 400, typ: TypeCatalogError, code: CodeBadMediaType},
	{id: "xb:CAT-unsupported-filter", method: "POST", path: "/catalog/request", token: consumerTok, body: msg("CatalogRequestMessage", `"filter":[{"keyword":"oncology"}]`), status: 400, typ: TypeCatalogError, code: CodeUnsupportedFilter},
	{id: "xb:CAT-bad-cursor", method: "POST", path: "/catalog/request?cursor=%21%21", token: consumerTok, body: emptyRequest, status: 400, typ: TypeCatalogError, code: CodeBadCursor},
	{id: "xb:CAT-foreign-cursor", method: "POST", path: "/catalog/request?cursor=" + cursor('z', "urn:x"), token: consumerTok, body: emptyRequest, status: 400, typ: TypeCatalogError, code: CodeBadCursor},
	{id: "xb:CAT-oversized", method: "POST", path: "/catalog/request", token: consumerTok, body: msg("CatalogRequestMessage", `"filter":["`+strings.Repeat("x", MaxMessageBytes)+`"]`), status: 400, typ: TypeCatalogError, code: CodeTooLarge},
}

// TestCatalogConformance runs the catalog cases against a provider node
// whose catalog hides one dataset from the consumer. Every answer is
// checked against the 2025-1 schemas.
func TestCatalogConformance(t *testing.T) {
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{catalog: tckCatalog()})
	base := prov.node.BaseURL()
	for _, c := range catCases {
		t.Run(strings.ReplaceAll(c.id, ":", "_"), func(t *testing.T) {
			ct := c.contentType
			if ct == "" && c.body != "" {
				ct = "application/json"
			}
			a := exchangeRaw(t, c.method, base+c.path, c.token, ct, c.body)
			if a.status != c.status {
				t.Fatalf("status %d, want %d: %s", a.status, c.status, a.body)
			}
			if a.msg == nil || a.msg.MessageType() != c.typ {
				t.Fatalf("body %s, want a %s", a.body, c.typ)
			}
			if ce, ok := a.msg.(*CatalogError); ok && (ce.Code != c.code || len(ce.Reason) == 0) {
				t.Errorf("error %+v, want code %s with a reason", ce, c.code)
			}
			if c.check != nil {
				c.check(t, a)
			}
		})
	}
}

// TestCatalogWithoutSource: a node without a catalog source answers the
// catalog protocol with an empty catalog and 404 for every dataset.
func TestCatalogWithoutSource(t *testing.T) {
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{})
	a := exchangeRaw(t, "POST", prov.node.BaseURL()+"/catalog/request", consumerTok, "application/json", emptyRequest)
	if a.status != 200 || len(datasetIDs(a.msg)) != 0 || strings.Contains(string(a.body), `"dataset"`) {
		t.Errorf("catalog %d %s", a.status, a.body)
	}
	a = exchangeRaw(t, "GET", prov.node.BaseURL()+"/catalog/datasets/urn:uuid:ACN0101", consumerTok, "", "")
	if a.status != 404 {
		t.Errorf("dataset %d %s", a.status, a.body)
	}
}

// pagedProvider is a provider with n datasets and pages of size.
func pagedProvider(t *testing.T, n, size int) (*testNode, *memCatalog) {
	m := &memCatalog{hidden: map[string]string{}}
	for i := range n {
		m.put(tckDataset(fmt.Sprintf("urn:uuid:CAT%04d", i)))
	}
	return newTestNode(t, providerDID, providerTok, nodeOpts{catalog: m, pageSize: size}), m
}

// TestCatalogPagination walks a paged catalog by its Link headers, forward
// and back: every dataset once, in order; the first page has no previous
// link and the last no next one; cursors survive datasets added and
// removed around them.
func TestCatalogPagination(t *testing.T) {
	prov, m := pagedProvider(t, 23, 5)
	post := func(u string) answer {
		t.Helper()
		a := exchangeRaw(t, "POST", u, consumerTok, "application/json", emptyRequest)
		if a.status != 200 {
			t.Fatalf("%s: %d %s", u, a.status, a.body)
		}
		return a
	}
	links := func(a answer) PageLinks {
		l := parseLinks(a.header.Values("Link"))
		for _, v := range a.header.Values("Link") {
			if !strings.HasPrefix(v, "<"+prov.node.BaseURL()+"/catalog/request?cursor=") || !(strings.HasSuffix(v, `>; rel="next"`) || strings.HasSuffix(v, `>; rel="previous"`)) {
				t.Errorf("Link %q", v)
			}
		}
		return l
	}
	u := prov.node.BaseURL() + "/catalog/request"
	var got []string
	var pages []answer
	for u != "" {
		a := post(u)
		pages = append(pages, a)
		got = append(got, datasetIDs(a.msg)...)
		u = links(a).Next
		if len(pages) > 10 {
			t.Fatal("the links do not end")
		}
	}
	var want []string
	for i := range 23 {
		want = append(want, fmt.Sprintf("urn:uuid:CAT%04d", i))
	}
	if !slices.Equal(got, want) || len(pages) != 5 {
		t.Fatalf("%d pages: %v", len(pages), got)
	}
	if l := links(pages[0]); l.Previous != "" || l.Next == "" {
		t.Errorf("first page links %+v", l)
	}
	if l := links(pages[4]); l.Previous == "" || l.Next != "" {
		t.Errorf("last page links %+v", l)
	}
	// Back from the third page: the second, then the first.
	back := post(links(pages[2]).Previous)
	if !slices.Equal(datasetIDs(back.msg), want[5:10]) {
		t.Errorf("previous of page 3: %v", datasetIDs(back.msg))
	}
	first := post(links(back).Previous)
	if !slices.Equal(datasetIDs(first.msg), want[:5]) || links(first).Previous != "" {
		t.Errorf("previous of page 2: %v %+v", datasetIDs(first.msg), links(first))
	}
	// Datasets added before and after the cursor, and the next dataset
	// removed: page 2's next link still continues after page 2.
	m.put(tckDataset("urn:uuid:CAT0001a"), tckDataset("urn:uuid:CAT0012a"))
	m.remove("urn:uuid:CAT0010")
	third := post(links(pages[1]).Next)
	if ids := datasetIDs(third.msg); !slices.Equal(ids, []string{"urn:uuid:CAT0011", "urn:uuid:CAT0012", "urn:uuid:CAT0012a", "urn:uuid:CAT0013", "urn:uuid:CAT0014"}) {
		t.Errorf("after changes: %v", ids)
	}
}

// TestCatalogPageBytes: a page stops below MaxMessageBytes whatever the
// page size, and its next link continues with the first dataset left out.
func TestCatalogPageBytes(t *testing.T) {
	m := &memCatalog{hidden: map[string]string{}}
	big := strings.Repeat("大", 20000) // 60 kB of title per dataset
	for i := range 40 {
		d := tckDataset(fmt.Sprintf("urn:uuid:BIG%04d", i))
		d.Properties = Properties{"dct:title": LangValues(map[string]string{"zh": big})}
		m.put(d)
	}
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{catalog: m, pageSize: MaxCatalogPageSize})
	c := prov.client
	page, links, err := c.CatalogPage(context.Background(), prov.node.BaseURL()+"/catalog/request", providerDID, &CatalogRequestMessage{})
	if err != nil {
		t.Fatal(err)
	}
	n := len(page.Datasets)
	if n == 0 || n == 40 || len(mustJSON(t, page)) > MaxMessageBytes || links.Next == "" {
		t.Fatalf("%d datasets, next %q", n, links.Next)
	}
	all, err := c.Catalog(context.Background(), prov.node.BaseURL(), providerDID, CatalogLimits{})
	if err != nil || len(all.Datasets) != 40 {
		t.Fatalf("whole catalog: %v", err)
	}
}

// TestClientCatalog: Client.Catalog follows the pages into one catalog,
// within its bounds, and refuses links to another origin or back to a page
// already read.
func TestClientCatalog(t *testing.T) {
	prov, _ := pagedProvider(t, 23, 5)
	ctx := context.Background()
	c := fastClient(consumerTok)
	all, err := c.Catalog(ctx, prov.node.BaseURL()+"/", providerDID, CatalogLimits{})
	if err != nil || len(all.Datasets) != 23 || all.ParticipantID != providerDID || len(all.Services) != 1 {
		t.Fatalf("%v %+v", err, all)
	}
	if err := validateMessage(mustJSON(t, all)); err != nil {
		t.Errorf("the merged catalog does not validate: %v", err)
	}
	if _, err := c.Catalog(ctx, prov.node.BaseURL(), providerDID, CatalogLimits{Pages: 4}); err == nil || !strings.Contains(err.Error(), "more than 4 pages") {
		t.Errorf("page bound: %v", err)
	}
	if _, err := c.Catalog(ctx, prov.node.BaseURL(), providerDID, CatalogLimits{Bytes: 3000}); err == nil || !strings.Contains(err.Error(), "larger than 3000 bytes") {
		t.Errorf("byte bound: %v", err)
	}
	d, err := c.Dataset(ctx, prov.node.BaseURL(), providerDID, "urn:uuid:CAT0007")
	if err != nil || d.ID != "urn:uuid:CAT0007" {
		t.Errorf("dataset: %v %+v", err, d)
	}
	_, err = c.Dataset(ctx, prov.node.BaseURL(), providerDID, "urn:uuid:nope")
	var re *RemoteError
	if !errors.As(err, &re) || re.Status != 404 || re.Code() != CodeNotFound || !strings.Contains(err.Error(), "not found") {
		t.Errorf("unknown dataset: %v", err)
	}

	// A provider whose next link goes elsewhere, or back.
	for name, link := range map[string]string{"other origin": "http://127.0.0.2:1/catalog/request?cursor=x", "loop": "/catalog/request"} {
		srv := newFakeCatalog(t, func(w http.ResponseWriter) { w.Header().Set("Link", "<"+link+`>; rel="next"`) })
		if _, err := c.Catalog(ctx, srv, providerDID, CatalogLimits{}); err == nil {
			t.Errorf("%s: followed", name)
		}
	}
}

// newFakeCatalog serves a one-dataset catalog at <base>/catalog/request,
// with headers set by hdr; it returns <base>.
func newFakeCatalog(t *testing.T, hdr func(w http.ResponseWriter)) string {
	m := &memCatalog{hidden: map[string]string{}}
	m.put(tckDataset("urn:uuid:X"))
	tn := newTestNode(t, providerDID, providerTok, nodeOpts{catalog: m})
	h := tn.node.Handler()
	tn.swap.set(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr(w)
		h.ServeHTTP(w, r)
	}))
	return tn.node.BaseURL()
}

// TestResolveBase: a root URL leads to <base> through the version
// endpoint; a <base> is taken as it is.
func TestResolveBase(t *testing.T) {
	prov := newTestNode(t, providerDID, providerTok, nodeOpts{catalog: tckCatalog()})
	c := fastClient(consumerTok)
	for _, u := range []string{prov.srv.URL, prov.srv.URL + "/", prov.node.BaseURL()} {
		got, err := c.ResolveBase(context.Background(), u)
		if err != nil || got != prov.node.BaseURL() {
			t.Errorf("%s: %q %v, want %q", u, got, err, prov.node.BaseURL())
		}
	}
}

// TestParseLinks reads Link headers as RFC 8288 writes them.
func TestParseLinks(t *testing.T) {
	cases := []struct {
		in   []string
		want PageLinks
	}{
		{[]string{`<https://p/c?cursor=2>; rel="next"`}, PageLinks{Next: "https://p/c?cursor=2"}},
		{[]string{`<https://p/c?cursor=1>; rel="previous"`, `<https://p/c?cursor=3>; rel="next"`}, PageLinks{Next: "https://p/c?cursor=3", Previous: "https://p/c?cursor=1"}},
		{[]string{`<https://p/1>; rel=prev, <https://p/3>; title="a, \"b\"; c"; rel=next`}, PageLinks{Next: "https://p/3", Previous: "https://p/1"}},
		{[]string{`<https://p/x>; rel="next previous"`}, PageLinks{Next: "https://p/x", Previous: "https://p/x"}},
		{[]string{`<https://p/first>; rel="first", <https://p/n>; REL="Next"`}, PageLinks{Next: "https://p/n"}},
		{[]string{`https://p/n; rel="next"`}, PageLinks{}},
		{[]string{`<https://p/n; rel="next"`}, PageLinks{}},
		{[]string{`<https://p/n>; rel="next`}, PageLinks{}},
	}
	for _, c := range cases {
		if got := parseLinks(c.in); got != c.want {
			t.Errorf("%q: %+v, want %+v", c.in, got, c.want)
		}
	}
}
