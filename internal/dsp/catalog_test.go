package dsp

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (run with -update if the change is intended):\n got %s\nwant %s", path, got, want)
	}
}

// catalogOffer is an offer as a catalog carries it: no target.
func catalogOffer(id string) json.RawMessage {
	return json.RawMessage(`{"@id":"` + id + `","@type":"Offer","permission":[{"action":"use","constraint":[{"leftOperand":"purpose","operator":"eq","rightOperand":"research"}]}]}`)
}

// sampleCatalog has every part the model holds: extension properties,
// a nested catalog, distributions naming the service by @id and in full.
func sampleCatalog() Catalog {
	svc := DataService{ID: "urn:uuid:svc-1", EndpointURL: "https://provider.example/dsp/2025-1", EndpointDescription: "DSP 2025-1"}
	return Catalog{
		ID: "https://provider.example/dsp/2025-1/catalog", ParticipantID: providerDID,
		Services:   []DataService{svc},
		Properties: Properties{"dct:title": LangValues(map[string]string{"en": "Provider catalog", "zh": "提供方目录"})},
		Datasets: []Dataset{{
			ID:            "https://w3id.org/xborder/id/xb86/CN/health/oncology",
			HasPolicy:     []json.RawMessage{catalogOffer("urn:uuid:offer-1"), catalogOffer("urn:uuid:offer-2")},
			Distributions: []Distribution{{Format: "XborderStream-PULL", AccessService: DataService{ID: svc.ID}}},
			Properties: Properties{
				"dct:identifier": StringValue("xb86/CN/health/oncology"),
				"dct:title":      LangValues(map[string]string{"en": "Oncology <cases> & outcomes", "zh": "肿瘤病例"}),
			},
		}, {
			ID:            "urn:uuid:dataset-2",
			HasPolicy:     []json.RawMessage{catalogOffer("urn:uuid:offer-3")},
			Distributions: []Distribution{{Format: "HttpData-PULL", AccessService: svc, HasPolicy: []json.RawMessage{catalogOffer("urn:uuid:offer-4")}}},
		}},
		Catalogs: []Catalog{{ID: "urn:uuid:sub-catalog", Distributions: []Distribution{{Format: "Catalog", AccessService: DataService{ID: "urn:uuid:svc-2"}}},
			Services: []DataService{{ID: "urn:uuid:svc-2", EndpointURL: "https://provider.example/sub"}}}},
	}
}

// TestCatalogEncoding: a catalog and a dataset with every part encode to
// JSON that validates against the 2025-1 schemas, matches the golden file,
// and decodes back to the same value.
func TestCatalogEncoding(t *testing.T) {
	c := sampleCatalog()
	d := c.Datasets[0]
	for _, tc := range []struct {
		name string
		m    Message
	}{{"catalog.golden.json", c}, {"dataset.golden.json", d}} {
		t.Run(tc.name, func(t *testing.T) {
			b := mustJSON(t, tc.m)
			if err := validateMessage(b); err != nil {
				t.Fatalf("does not validate: %v\n%s", err, b)
			}
			golden(t, tc.name, b)
			back, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if again := mustJSON(t, back); string(again) != string(b) {
				t.Errorf("not stable:\n%s\n%s", b, again)
			}
			switch m := back.(type) {
			case *Catalog:
				if !reflect.DeepEqual(normalize(t, mustJSON(t, *m)), normalize(t, b)) || len(m.Datasets) != 2 || m.Datasets[1].Distributions[0].AccessService.EndpointURL == "" {
					t.Errorf("decoded %+v", m)
				}
			case *Dataset:
				if m.ID != d.ID || len(m.HasPolicy) != 2 || string(m.Properties["dct:identifier"]) != `"xb86/CN/health/oncology"` {
					t.Errorf("decoded %+v", m)
				}
			}
		})
	}
	// A catalog without datasets leaves the member out (the schema asks for
	// at least one when present).
	empty := mustJSON(t, Catalog{ID: "urn:c", ParticipantID: providerDID, Services: c.Services})
	if strings.Contains(string(empty), "dataset") || validateMessage(empty) != nil {
		t.Errorf("empty catalog: %s", empty)
	}
}

// TestCatalogMarshalRefuses: what would not validate is not written.
func TestCatalogMarshalRefuses(t *testing.T) {
	ok := sampleCatalog()
	cases := map[string]func(c *Catalog){
		"no @id":                  func(c *Catalog) { c.ID = "" },
		"no participant":          func(c *Catalog) { c.ParticipantID = "" },
		"dataset without @id":     func(c *Catalog) { c.Datasets[0].ID = "" },
		"dataset without offer":   func(c *Catalog) { c.Datasets[0].HasPolicy = nil },
		"dataset without dist.":   func(c *Catalog) { c.Datasets[0].Distributions = nil },
		"distribution no format":  func(c *Catalog) { c.Datasets[0].Distributions[0].Format = "" },
		"distribution no service": func(c *Catalog) { c.Datasets[0].Distributions[0].AccessService = DataService{} },
		"service without URL":     func(c *Catalog) { c.Services[0].EndpointURL = "" },
		"offer not JSON":          func(c *Catalog) { c.Datasets[0].HasPolicy[0] = json.RawMessage(`{"@id":`) },
		"property not an IRI":     func(c *Catalog) { c.Datasets[0].Properties["title"] = StringValue("x") },
		"nested without @id":      func(c *Catalog) { c.Catalogs[0].ID = "" },
	}
	for name, mutate := range cases {
		c := sampleCatalog()
		c.Datasets = []Dataset{ok.Datasets[0], ok.Datasets[1]}
		c.Datasets[0].HasPolicy = append([]json.RawMessage(nil), ok.Datasets[0].HasPolicy...)
		c.Datasets[0].Distributions = append([]Distribution(nil), ok.Datasets[0].Distributions...)
		c.Datasets[0].Properties = Properties{}
		mutate(&c)
		if b, err := json.Marshal(c); err == nil {
			t.Errorf("%s: written: %s", name, b)
		}
	}
}

// TestCatalogDecodeRefuses: every way a catalog, a dataset or a catalog
// request can be bad gives a *MessageError at the right path.
func TestCatalogDecodeRefuses(t *testing.T) {
	svc := `"service":[{"@id":"urn:s","@type":"DataService","endpointURL":"https://p.example/dsp"}]`
	dist := `"distribution":[{"@type":"Distribution","format":"HttpData-PULL","accessService":"urn:s"}]`
	offer := `{"@id":"urn:o","@type":"Offer","permission":[{"action":"use"}]}`
	dataset := func(rest string) string {
		return msg("Catalog", `"@id":"urn:c","participantId":"did:web:p.example",`+svc+`,"dataset":[{"@id":"urn:d","@type":"Dataset"`+rest+`}]`)
	}
	root := func(rest string) string { return msg("Dataset", `"@id":"urn:d"`+rest) }
	checkRefusals(t, []refusal{
		{"catalog without participant", msg("Catalog", `"@id":"urn:c",`+svc), CodeBadMessage, "participantId"},
		{"catalog without @id", msg("Catalog", `"participantId":"did:web:p.example",`+svc), CodeBadMessage, "@id"},
		{"catalog with hasPolicy", msg("Catalog", `"@id":"urn:c","participantId":"p","hasPolicy":[`+offer+`]`), CodeBadMessage, "hasPolicy"},
		{"catalog unknown member", msg("Catalog", `"@id":"urn:c","participantId":"p","title":"x"`), CodeBadMessage, "title"},
		{"catalog empty datasets", msg("Catalog", `"@id":"urn:c","participantId":"p","dataset":[]`), CodeBadMessage, "dataset"},
		{"catalog datasets object", msg("Catalog", `"@id":"urn:c","participantId":"p","dataset":{}`), CodeBadMessage, "dataset"},
		{"participant number", msg("Catalog", `"@id":"urn:c","participantId":7`), CodeBadMessage, "participantId"},
		{"dataset without @id", msg("Catalog", `"@id":"urn:c","participantId":"p","dataset":[{"hasPolicy":[`+offer+`],`+dist+`}]`), CodeBadMessage, "dataset[0].@id"},
		{"dataset without offer", dataset(`,` + dist), CodeBadMessage, "dataset[0].hasPolicy"},
		{"dataset empty offers", dataset(`,"hasPolicy":[],` + dist), CodeBadMessage, "dataset[0].hasPolicy"},
		{"dataset without distribution", dataset(`,"hasPolicy":[` + offer + `]`), CodeBadMessage, "dataset[0].distribution"},
		{"dataset wrong type", msg("Catalog", `"@id":"urn:c","participantId":"p","dataset":[{"@id":"urn:d","@type":"Catalog","hasPolicy":[`+offer+`],`+dist+`}]`), CodeBadMessage, "dataset[0].@type"},
		{"dataset unknown member", dataset(`,"hasPolicy":[` + offer + `],` + dist + `,"title":"x"`), CodeBadMessage, "dataset[0].title"},
		{"offer with target", dataset(`,"hasPolicy":[{"@id":"urn:o","target":"urn:d","permission":[{"action":"use"}]}],` + dist), CodeBadMessage, "dataset[0].hasPolicy[0].target"},
		{"offer without @id", dataset(`,"hasPolicy":[{"@type":"Offer","permission":[{"action":"use"}]}],` + dist), CodeBadMessage, "dataset[0].hasPolicy[0].@id"},
		{"offer wrong type", dataset(`,"hasPolicy":[{"@id":"urn:o","@type":"Agreement","permission":[{"action":"use"}]}],` + dist), CodeBadMessage, "dataset[0].hasPolicy[0].@type"},
		{"offer without rule", dataset(`,"hasPolicy":[{"@id":"urn:o"}],` + dist), CodeBadMessage, "dataset[0].hasPolicy[0]"},
		{"offer bad operator", dataset(`,"hasPolicy":[{"@id":"urn:o","permission":[{"action":"use","constraint":[{"leftOperand":"a","operator":"like","rightOperand":"b"}]}]}],` + dist), CodeBadMessage, "dataset[0].hasPolicy[0].permission[0].constraint[0].operator"},
		{"offers with one @id", dataset(`,"hasPolicy":[` + offer + `,` + offer + `],` + dist), CodeBadMessage, "dataset[0].hasPolicy[1].@id"},
		{"distribution without format", dataset(`,"hasPolicy":[` + offer + `],"distribution":[{"accessService":"urn:s"}]`), CodeBadMessage, "dataset[0].distribution[0].format"},
		{"distribution without service", dataset(`,"hasPolicy":[` + offer + `],"distribution":[{"format":"f"}]`), CodeBadMessage, "dataset[0].distribution[0].accessService"},
		{"distribution empty service", dataset(`,"hasPolicy":[` + offer + `],"distribution":[{"format":"f","accessService":""}]`), CodeBadMessage, "dataset[0].distribution[0].accessService"},
		{"service without type", dataset(`,"hasPolicy":[` + offer + `],"distribution":[{"format":"f","accessService":{"@id":"urn:s","endpointURL":"https://x"}}]`), CodeBadMessage, "dataset[0].distribution[0].accessService.@type"},
		{"service without URL", dataset(`,"hasPolicy":[` + offer + `],"distribution":[{"format":"f","accessService":{"@id":"urn:s","@type":"DataService"}}]`), CodeBadMessage, "dataset[0].distribution[0].accessService.endpointURL"},
		{"service number", dataset(`,"hasPolicy":[` + offer + `],"distribution":[{"format":"f","accessService":3}]`), CodeBadMessage, "dataset[0].distribution[0].accessService"},
		{"nested catalog without type", msg("Catalog", `"@id":"urn:c","participantId":"p","catalog":[{"@id":"urn:n"}]`), CodeBadMessage, "catalog[0].@type"},
		{"nested catalog with context", msg("Catalog", `"@id":"urn:c","participantId":"p","catalog":[{"@context":["`+ContextURL+`"],"@id":"urn:n","@type":"Catalog"}]`), CodeBadMessage, "catalog[0].@context"},
		{"root dataset without offer", root(`,` + dist), CodeBadMessage, "hasPolicy"},
		{"root dataset no context", `{"@type":"Dataset","@id":"urn:d","hasPolicy":[` + offer + `],` + dist + `}`, CodeBadContext, "@context"},
		{"request filter object", msg("CatalogRequestMessage", `"filter":{"q":"x"}`), CodeBadMessage, "filter"},
		{"request filter null", msg("CatalogRequestMessage", `"filter":null`), CodeBadMessage, "filter"},
		{"request unknown member", msg("CatalogRequestMessage", `"query":"x"`), CodeBadMessage, "query"},
		{"dataset request empty", msg("DatasetRequestMessage", `"dataset":""`), CodeBadMessage, "dataset"},
		{"error empty reason", msg("CatalogError", `"reason":[]`), CodeBadMessage, "reason"},
	})
}

// TestDecodeCatalogSize: a catalog page may be larger than a message, up
// to MaxCatalogBytes.
func TestDecodeCatalogSize(t *testing.T) {
	c := sampleCatalog()
	base := c.Datasets[1]
	c.Datasets = nil
	for i := 0; len(c.Datasets) < 6000; i++ {
		d := base
		d.ID = "urn:uuid:dataset-" + strings.Repeat("x", 40) + "-" + string(rune('a'+i%26)) + "-" + strings.Repeat("y", i%7) + "-" + strconv.Itoa(i)
		c.Datasets = append(c.Datasets, d)
	}
	b := mustJSON(t, c)
	if len(b) <= MaxMessageBytes {
		t.Fatalf("the test catalog is only %d bytes", len(b))
	}
	if _, err := Decode(b); err == nil {
		t.Error("Decode takes a catalog larger than MaxMessageBytes")
	}
	got, err := DecodeCatalog(b)
	if err != nil || len(got.Datasets) != len(c.Datasets) {
		t.Fatalf("DecodeCatalog: %v", err)
	}
	if _, err := DecodeCatalog(mustJSON(t, c.Datasets[0])); err == nil {
		t.Error("DecodeCatalog takes a Dataset")
	}
}

// TestCatalogExpansion: what the catalog protocol writes expands, under
// the pinned contexts only (as the DSP TCK expands it), to DCAT, ODRL and
// Dublin Core terms; language-tagged extension values stay tagged.
func TestCatalogExpansion(t *testing.T) {
	c := sampleCatalog()
	x := expand(t, mustJSON(t, c))
	if typ, _ := x["@type"].([]any); len(typ) != 1 || typ[0] != "http://www.w3.org/ns/dcat#Catalog" {
		t.Fatalf("@type %v", x["@type"])
	}
	ds, _ := x["http://www.w3.org/ns/dcat#dataset"].([]any)
	if len(ds) != 2 {
		t.Fatalf("datasets %v", x)
	}
	d := ds[0].(map[string]any)
	if d["@id"] != c.Datasets[0].ID {
		t.Errorf("dataset @id %v", d["@id"])
	}
	for _, k := range []string{"http://www.w3.org/ns/odrl/2/hasPolicy", "http://www.w3.org/ns/dcat#distribution", "http://purl.org/dc/terms/title", "http://purl.org/dc/terms/identifier"} {
		if d[k] == nil {
			t.Errorf("the dataset lost %s: %v", k, d)
		}
	}
	titles, _ := d["http://purl.org/dc/terms/title"].([]any)
	langs := map[any]bool{}
	for _, v := range titles {
		langs[v.(map[string]any)["@language"]] = true
	}
	if !langs["en"] || !langs["zh"] {
		t.Errorf("titles %v", titles)
	}
	if x["https://w3id.org/dspace/2025/1/participantId"] == nil {
		t.Errorf("participantId lost: %v", x)
	}
}
