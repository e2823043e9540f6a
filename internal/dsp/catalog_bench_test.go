package dsp

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// BenchmarkCatalog measures a whole-catalog request of 10,000 datasets
// (one offer each, titles and descriptions in Chinese and English, about
// the size of an xborder catalog entry's DSP form) between two in-process
// nodes on loopback: every page requested, served from an in-memory
// source, encoded, read and decoded strictly, merged. It reports the
// milliseconds per whole catalog, the pages and the bytes read.
func BenchmarkCatalog(b *testing.B) {
	for _, size := range []int{DefaultCatalogPageSize, MaxCatalogPageSize} {
		b.Run(fmt.Sprintf("datasets=10000/page=%d", size), func(b *testing.B) { benchCatalog(b, 10000, size) })
	}
}

// benchDataset is a dataset of the size xborder's catalog serves.
func benchDataset(i int) Dataset {
	d := tckDataset(fmt.Sprintf("https://w3id.org/xborder/id/xb86/CN/space-%03d/product-%06d", i%97, i))
	d.HasPolicy[0] = catalogOffer(fmt.Sprintf("urn:uuid:10000000-0000-4000-8000-%012d", i))
	d.Properties = Properties{
		"dct:identifier":  StringValue(fmt.Sprintf("xb86/CN/space-%03d/product-%06d", i%97, i)),
		"dct:title":       LangValues(map[string]string{"en": fmt.Sprintf("Guangdong retail transactions, detailed (Q%d 2025)", i%4+1), "zh": "广东零售交易明细（2025年）"}),
		"dct:description": LangValues(map[string]string{"en": "Detailed retail data on transactions in Guangdong, updated daily, for supply chain analysis.", "zh": "广东地区零售的交易数据，按日更新，可用于供应链分析。"}),
	}
	return d
}

func benchCatalog(b *testing.B, n, size int) {
	m := &memCatalog{hidden: map[string]string{}}
	ds := make([]Dataset, n)
	for i := range ds {
		ds[i] = benchDataset(i)
	}
	m.put(ds...)
	prov := newTestNode(b, providerDID, providerTok, nodeOpts{catalog: m, pageSize: size})
	c := &Client{HTTP: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}, Tokens: StaticToken(consumerTok)}
	ctx := context.Background()
	calls := m.calls
	var got *Catalog
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		var err error
		if got, err = c.Catalog(ctx, prov.node.BaseURL(), providerDID, CatalogLimits{}); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if len(got.Datasets) != n {
		b.Fatalf("%d datasets", len(got.Datasets))
	}
	b.ReportMetric(float64(elapsed.Microseconds())/1000/float64(b.N), "ms/catalog")
	b.ReportMetric(float64(m.calls-calls)/float64(b.N), "pages")
	enc, err := got.MarshalJSON()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(enc))/1e6, "MB")
}
