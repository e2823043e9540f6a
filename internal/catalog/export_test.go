package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
)

func TestExport(t *testing.T) {
	c := newTestCatalog(t, openTestDB(t), Config{Checker: &roleChecker{}})
	ctx := context.Background()
	for _, f := range []string{"full.json", "minimal.json", "eu-health.json"} {
		mustRegister(t, c, readEntry(t, filepath.Join("testdata", "entries", f)))
	}
	var buf bytes.Buffer
	if _, err := c.Export(ctx, &buf, Operator(), ExportOptions{DSP: true}); err == nil || !IsInputError(err) {
		t.Errorf("a DSP catalog without participant and service: %v", err)
	}
	if err := c.SetInfo(ctx, Info{ID: "urn:uuid:3afeadd8-ed2d-569e-d634-8394a8836d57", ParticipantID: "did:web:retail.example.cn",
		Title:   LangMap{"zh": "零售数据目录", "en": "Retail data catalog"},
		Service: &DataService{ID: "urn:uuid:4aa2dcc8-4d2d-569e-d634-8394a8834d77", EndpointURL: "https://connector.retail.example.cn/dsp"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetInfo(ctx, Info{ParticipantID: "retail"}); err == nil {
		t.Error("a participant that is not an IRI was accepted")
	}
	buf.Reset()
	n, err := c.Export(ctx, &buf, Operator(), ExportOptions{})
	if err != nil || n != 3 {
		t.Fatalf("export: %d %v", n, err)
	}
	golden(t, "export.golden.jsonld", buf.Bytes())

	// The DSP catalog: only datasets with an offer and a distribution, and
	// what the DSP 2025-1 schemas require.
	buf.Reset()
	if n, err := c.Export(ctx, &buf, Operator(), ExportOptions{DSP: true}); err != nil || n != 1 {
		t.Fatalf("DSP export: %d %v", n, err)
	}
	var cat map[string]any
	if err := json.Unmarshal(buf.Bytes(), &cat); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	for _, k := range []string{"@context", "@id", "@type", "participantId", "service", "dataset"} {
		if cat[k] == nil {
			t.Errorf("catalog lacks %s", k)
		}
	}
	for _, ds := range cat["dataset"].([]any) {
		d := ds.(map[string]any)
		if d["@id"] == nil || d["@context"] != nil || len(d["hasPolicy"].([]any)) == 0 || len(d["distribution"].([]any)) == 0 {
			t.Errorf("dataset %v", d["@id"])
		}
		for _, o := range d["hasPolicy"].([]any) {
			if o.(map[string]any)["target"] != nil || o.(map[string]any)["@type"] != "Offer" {
				t.Errorf("offer %v", o)
			}
		}
		for _, dist := range d["distribution"].([]any) {
			m := dist.(map[string]any)
			if m["format"] == nil || m["accessService"] == nil {
				t.Errorf("distribution %v", m)
			}
		}
	}
	// An anonymous requester's export holds only public entries.
	buf.Reset()
	if n, err := c.Export(ctx, &buf, Requester{}, ExportOptions{}); err != nil || n != 1 {
		t.Errorf("anonymous export: %d %v", n, err)
	}
}
