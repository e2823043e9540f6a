package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/statedb"
)

// catalogOffer is an offer as the catalog keeps it: no target, ODRL terms
// the DSP context defines (odrl:purpose is not one of them, so it is
// written as a compact IRI).
func catalogOffer(id, purpose string) json.RawMessage {
	return json.RawMessage(`{"@id":"` + id + `","@type":"Offer","permission":[{"action":"use","constraint":[{"leftOperand":"odrl:purpose","operator":"eq","rightOperand":"` + purpose + `"}]}]}`)
}

// TestRemoteCatalog: a Shenzhen provider registers datasets; an Amsterdam
// consumer reads the provider's catalog through its management API, over
// DSP with its self-issued ID tokens, and sees the one dataset it may see
// that has an offer, with the offer, the node's transfer format and the
// provider's DSP endpoint; it then negotiates that offer to FINALIZED.
func TestRemoteCatalog(t *testing.T) {
	consumer := startKeyNode(t, "NL", nil)
	provider := startKeyNode(t, "CN", []Participant{{DID: consumer.did, Country: "NL"}})
	ctx := context.Background()
	register := func(id, level string, offers ...json.RawMessage) {
		e := &catalog.Entry{Identifier: id, Title: catalog.LangMap{"en": "Oncology cases", "zh": "肿瘤病例"},
			Description: catalog.LangMap{"en": "Treatment outcomes, pseudonymised."}, Offers: offers}
		e.Governance = catalog.Governance{Owner: provider.did, ClassificationLevel: level, Sovereignty: "CN", AllowedPurposes: []string{"research"}}
		e.Technical = &catalog.Technical{PIProfile: &catalog.PIProfile{Individuals: 800}}
		if _, err := provider.n.stores.catalog.Register(ctx, e, catalog.RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	register("xb86/CN/shenzhen-hospital/oncology-small", "internal", catalogOffer("urn:uuid:o-small", "research"))
	register("xb86/CN/shenzhen-hospital/oncology-core", "sensitive", catalogOffer("urn:uuid:o-core", "research")) // the owner's only
	register("xb86/CN/shenzhen-hospital/oncology-draft", "internal")                                              // no offer yet

	ops, _ := consumer.n.Tokens().Add("ops", RoleOperations, time.Now())
	aud, _ := consumer.n.Tokens().Add("auditor", RoleAuditor, time.Now())
	m := consumer.n.MgmtURL + "/api/v1/remote/catalog"
	ask := func(token, body string) (int, string) { return doBody(t, "POST", m, token, body) }

	for _, url := range []string{provider.n.PublicURL, provider.n.DSP().BaseURL()} {
		code, body := ask(ops, `{"url":"`+url+`","participant":"`+provider.did+`"}`)
		if code != 200 {
			t.Fatalf("%s: %d %s", url, code, body)
		}
		c, err := dsp.DecodeCatalog([]byte(body))
		if err != nil {
			t.Fatalf("the answer is not a DSP catalog: %v\n%s", err, body)
		}
		if c.ParticipantID != provider.did || len(c.Services) != 1 || c.Services[0].EndpointURL != provider.n.DSP().BaseURL() {
			t.Fatalf("head %+v", c)
		}
		if len(c.Datasets) != 1 {
			t.Fatalf("datasets %+v", c.Datasets)
		}
		d := c.Datasets[0]
		if d.ID != catalog.IRIBase+"xb86/CN/shenzhen-hospital/oncology-small" || len(d.HasPolicy) != 1 || !strings.Contains(string(d.HasPolicy[0]), "urn:uuid:o-small") {
			t.Fatalf("dataset %+v", d)
		}
		if len(d.Distributions) != 1 || d.Distributions[0].Format != TransferFormat || d.Distributions[0].AccessService.ID != c.Services[0].ID {
			t.Fatalf("distribution %+v", d.Distributions)
		}
		if !strings.Contains(string(d.Properties["dct:title"]), "肿瘤病例") {
			t.Errorf("title %s", d.Properties["dct:title"])
		}
	}

	// The consumer negotiates the offer it found, for that dataset.
	var offer map[string]any
	code, body := ask(ops, `{"url":"`+provider.n.PublicURL+`","participant":"`+provider.did+`"}`)
	c, _ := dsp.DecodeCatalog([]byte(body))
	if code != 200 || c == nil || json.Unmarshal(c.Datasets[0].HasPolicy[0], &offer) != nil {
		t.Fatalf("%d %s", code, body)
	}
	offer["target"] = c.Datasets[0].ID
	raw, _ := json.Marshal(offer)
	p, err := consumer.n.DSP().RequestContract(ctx, c.Services[0].EndpointURL, c.ParticipantID, raw)
	if err != nil {
		t.Fatal(err)
	}
	if f := waitFinal(t, consumer, p.ConsumerPID); f.State != dsp.Finalized {
		t.Fatalf("negotiating the catalog's offer: %s", f.State)
	}

	// Refusals.
	for _, tc := range []struct {
		token, body string
		code        int
		err         string
	}{
		{aud, `{"url":"` + provider.n.PublicURL + `","participant":"` + provider.did + `"}`, 403, "role_not_permitted"},
		{ops, `{"url":"ftp://` + strings.TrimPrefix(provider.n.PublicURL, "http://") + `","participant":"` + provider.did + `"}`, 400, "bad_parameter"},
		{ops, `{"url":"` + provider.n.PublicURL + `?x=1","participant":"` + provider.did + `"}`, 400, "bad_parameter"},
		{ops, `{"url":"http://` + strings.Repeat("a", 2100) + `","participant":"` + provider.did + `"}`, 400, "bad_parameter"},
		{ops, `{"url":"` + provider.n.PublicURL + `"}`, 400, "bad_parameter"},
		{ops, `{"url":"` + provider.n.PublicURL + `","participant":"` + provider.did + `","page":2}`, 400, "invalid_request"},
		// Tokens for another audience do not authenticate: the provider answers 404.
		{ops, `{"url":"` + provider.n.PublicURL + `","participant":"did:web:someone-else.example"}`, 502, "remote_not_found"},
	} {
		code, body := ask(tc.token, tc.body)
		if code != tc.code || !strings.Contains(body, `"`+tc.err+`"`) {
			t.Errorf("%.80s: %d %s, want %d %s", tc.body, code, body, tc.code, tc.err)
		}
	}
}

// TestCatalogSourcePages pages the catalog source as the DSP node does,
// forward and back, with entries without offers and entries hidden from
// the caller in between: each visible offered dataset once, in order.
func TestCatalogSourcePages(t *testing.T) {
	ctx := context.Background()
	db, err := statedb.Open(filepath.Join(t.TempDir(), statedb.File), "NORMAL")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := catalog.Open(ctx, db, catalog.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 40 {
		id := fmt.Sprintf("xb86/CN/source-test/p%02d", i)
		e := &catalog.Entry{Identifier: id, Title: catalog.LangMap{"en": "Data"}}
		e.Governance = catalog.Governance{Owner: "did:web:owner.example", ClassificationLevel: "internal"}
		switch {
		case i%4 == 1: // no offer
		case i%4 == 2:
			e.Governance.ClassificationLevel = "sensitive" // hidden from the caller
			e.Offers = []json.RawMessage{catalogOffer(fmt.Sprintf("urn:uuid:o-%d", i), "research")}
		default:
			e.Offers = []json.RawMessage{catalogOffer(fmt.Sprintf("urn:uuid:o-%d", i), "research")}
			want = append(want, catalog.IRIBase+id)
		}
		if _, err := c.Register(ctx, e, catalog.RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	s := newCatalogSource(c, quiet())
	const caller = "did:web:consumer.example"
	for pass := range 2 { // the second pass is served from what the first made
		var got []string
		req := dsp.PageRequest{Limit: 3}
		for range 30 {
			p, err := s.Datasets(ctx, caller, req)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range p.Datasets {
				got = append(got, d.ID)
			}
			if !p.More {
				break
			}
			req.After = p.Datasets[len(p.Datasets)-1].ID
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pass %d forward: %v\nwant %v", pass, got, want)
		}
	}
	var back []string
	req := dsp.PageRequest{Limit: 3, Before: catalog.IRIBase + "xb86/CN/source-test/zz"}
	for range 30 {
		p, err := s.Datasets(ctx, caller, req)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range p.Datasets {
			ids = append(ids, d.ID)
		}
		back = append(ids, back...)
		if !p.More {
			break
		}
		req.Before = p.Datasets[0].ID
	}
	if !slices.Equal(back, want) {
		t.Fatalf("backward: %v\nwant %v", back, want)
	}
	// Cursors that are not this catalog's IRIs: before all of them, or after.
	if p, _ := s.Datasets(ctx, caller, dsp.PageRequest{Limit: 3, After: "urn:uuid:x"}); len(p.Datasets) != 0 {
		t.Errorf("after urn:uuid:x: %v", p.Datasets)
	}
	if p, _ := s.Datasets(ctx, caller, dsp.PageRequest{Limit: 3, After: "a"}); len(p.Datasets) != 3 || p.Datasets[0].ID != want[0] {
		t.Errorf("after a: %v", p.Datasets)
	}
	// One dataset: hidden, without offer, unknown and malformed are all
	// not found; the owner sees the hidden one.
	for _, id := range []string{"xb86/CN/source-test/p02", catalog.IRIBase + "xb86/CN/source-test/p01", "xb86/CN/source-test/nope", "not an id"} {
		if _, err := s.Dataset(ctx, caller, id); !errors.Is(err, dsp.ErrNotFound) {
			t.Errorf("%s: %v", id, err)
		}
	}
	if d, err := s.Dataset(ctx, "did:web:owner.example", catalog.IRIBase+"xb86/CN/source-test/p02"); err != nil || d.Distributions[0].Format != TransferFormat {
		t.Errorf("owner: %v %+v", err, d)
	}
}

// BenchmarkRemoteCatalog measures the consumer node reading a provider
// node's whole catalog of 10,000 synthetic datasets (one offer each) over
// DSP on loopback, through the node stack (self-issued ID tokens, the
// catalog store's listing filtered for the consumer, strict decoding); the
// first, cold read (no dataset made yet) is reported apart as cold-ms.
//
//	go test ./internal/node -run '^$' -bench RemoteCatalog -benchtime 10x
func BenchmarkRemoteCatalog(b *testing.B) {
	ctx := context.Background()
	cons, prov, stop, err := startBenchPair(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	const n = 10_000
	if err := registerBenchCatalog(ctx, prov, n); err != nil {
		b.Fatal(err)
	}
	fetch := func() *dsp.Catalog {
		c, err := cons.DSP().FetchCatalog(ctx, prov.PublicURL, prov.cfg.DID, dsp.CatalogLimits{})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	t0 := time.Now()
	if c := fetch(); len(c.Datasets) != n {
		b.Fatalf("%d datasets", len(c.Datasets))
	}
	cold := time.Since(t0)
	b.ResetTimer()
	t0 = time.Now()
	for range b.N {
		fetch()
	}
	el := time.Since(t0)
	b.ReportMetric(float64(el.Microseconds())/1000/float64(b.N), "ms/catalog")
	b.ReportMetric(float64(cold.Microseconds())/1000, "cold-ms")
}
