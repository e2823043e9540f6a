package dsp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// The catalog protocol of the Dataspace Protocol 2025-1: a consumer asks a
// provider's catalog service for its Catalog (DCAT, profiled: datasets
// with ODRL offers and distributions served by a DataService) or for one
// Dataset. Message and response types, as encoded by this package.
const (
	TypeCatalogRequestMessage = "CatalogRequestMessage"
	TypeDatasetRequestMessage = "DatasetRequestMessage"
	TypeCatalog               = "Catalog"
	TypeDataset               = "Dataset"
	TypeCatalogError          = "CatalogError"
	TypeDistribution          = "Distribution"
	TypeDataService           = "DataService"
)

// MaxCatalogBytes bounds one page of a catalog that [DecodeCatalog] and
// [Client.Catalog] read: the one answer that may be larger than
// MaxMessageBytes (other providers need not page their catalogs). The
// pages this package serves stay below MaxMessageBytes.
const MaxCatalogBytes = 16 << 20

// CatalogRequestMessage asks a catalog service for its catalog (POST
// <base>/catalog/request).
type CatalogRequestMessage struct {
	// Filter is the implementation-specific filter expression, an array
	// kept as JSON; nil when absent. [Node] supports none: a non-empty
	// filter is refused with 400 and the code [CodeUnsupportedFilter].
	Filter json.RawMessage `json:"filter,omitempty"`
}

// DatasetRequestMessage asks for one dataset. The HTTPS binding carries it
// in the path (GET <base>/catalog/datasets/{id}); the type is here for
// completeness and for bindings that send it as a body.
type DatasetRequestMessage struct {
	Dataset string `json:"dataset"`
}

// CatalogError is the body of every 4xx answer of the catalog endpoints.
type CatalogError struct {
	Code   string   `json:"code,omitempty"`
	Reason []Reason `json:"reason,omitempty"`
}

// Properties are the members of a catalog object outside the DSP context's
// terms: compact or absolute IRIs (for example "dct:title", with the dct,
// dcat, odrl, dspace and xsd prefixes the context defines) mapped to their
// JSON values. They are written after the protocol's members, sorted by
// name; [Decode] keeps those it reads.
type Properties map[string]json.RawMessage

// Catalog is a dcat:Catalog: the answer to a CatalogRequestMessage (the
// root catalog, with ParticipantID) or a catalog nested in another.
type Catalog struct {
	ID            string // @id (required)
	ParticipantID string // the provider's identifier (required at the root)
	Datasets      []Dataset
	Catalogs      []Catalog // nested catalogs
	Services      []DataService
	Distributions []Distribution
	Properties    Properties
}

// Dataset is a dcat:Dataset as the catalog protocol profiles it: an @id,
// at least one ODRL offer (hasPolicy; offers in a catalog carry an @id and
// no target: the dataset is the target) and at least one distribution.
type Dataset struct {
	ID            string
	HasPolicy     []json.RawMessage
	Distributions []Distribution
	Properties    Properties
}

// Distribution is a dcat:Distribution: a transfer format (dct:format, for
// example "HttpData-PULL") and the DataService that serves it.
type Distribution struct {
	Format string
	// AccessService is the DataService, or a reference to one of the
	// catalog's services when only its ID is set (written as a string).
	AccessService DataService
	HasPolicy     []json.RawMessage
	Properties    Properties
}

// DataService is a dcat:DataService: the endpoint (a connector's <base>)
// where the datasets are negotiated and transferred.
type DataService struct {
	ID                  string
	EndpointURL         string
	EndpointDescription string
	Properties          Properties
}

// IsRef reports whether s is only a reference to a service by its @id.
func (s DataService) IsRef() bool {
	return s.EndpointURL == "" && s.EndpointDescription == "" && len(s.Properties) == 0
}

func (CatalogRequestMessage) MessageType() string { return TypeCatalogRequestMessage }
func (DatasetRequestMessage) MessageType() string { return TypeDatasetRequestMessage }
func (CatalogError) MessageType() string          { return TypeCatalogError }
func (Catalog) MessageType() string               { return TypeCatalog }
func (Dataset) MessageType() string               { return TypeDataset }

func (m CatalogRequestMessage) MarshalJSON() ([]byte, error) {
	type plain CatalogRequestMessage
	return encode(m.MessageType(), plain(m))
}
func (m DatasetRequestMessage) MarshalJSON() ([]byte, error) {
	type plain DatasetRequestMessage
	return encode(m.MessageType(), plain(m))
}
func (m CatalogError) MarshalJSON() ([]byte, error) {
	type plain CatalogError
	return encode(m.MessageType(), plain(m))
}

// MarshalJSON writes the catalog as the root of a message (with @context).
// It refuses a catalog that would not validate against the 2025-1 schema
// (no @id, no participantId, a dataset, distribution or service missing a
// required member); offers are written as they are (compacted), so they
// must already be catalog offers.
func (c Catalog) MarshalJSON() ([]byte, error) { return c.appendJSON(nil, true) }

// MarshalJSON writes the dataset as the root of a message (with @context),
// refusing one that would not validate (see Catalog.MarshalJSON).
func (d Dataset) MarshalJSON() ([]byte, error) { return d.appendJSON(nil, true) }

// MarshalJSON writes the distribution; its access service is a string when
// it is a reference.
func (d Distribution) MarshalJSON() ([]byte, error) { return d.appendJSON(nil) }

// MarshalJSON writes the data service object.
func (s DataService) MarshalJSON() ([]byte, error) { return s.appendJSON(nil) }

// object writes a JSON object member by member into b.
type object struct {
	b []byte
	n int
}

func (o *object) key(k string) {
	if o.n == 0 {
		o.b = append(o.b, '{')
	} else {
		o.b = append(o.b, ',')
	}
	o.n++
	o.b = appendString(o.b, k)
	o.b = append(o.b, ':')
}

func (o *object) str(k, v string) {
	o.key(k)
	o.b = appendString(o.b, v)
}

func (o *object) context() {
	o.key("@context")
	o.b = append(o.b, `["`+ContextURL+`"]`...)
}

// raws writes an array of JSON values, compacted (which also checks them).
func (o *object) raws(k string, vs []json.RawMessage) error {
	o.key(k)
	o.b = append(o.b, '[')
	for i, v := range vs {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		var err error
		if o.b, err = appendCompact(o.b, v); err != nil {
			return fmt.Errorf("%s[%d]: %w", k, i, err)
		}
	}
	o.b = append(o.b, ']')
	return nil
}

// list writes an array of n items, each appended by item.
func (o *object) list(k string, n int, item func(b []byte, i int) ([]byte, error)) error {
	o.key(k)
	o.b = append(o.b, '[')
	for i := range n {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		var err error
		if o.b, err = item(o.b, i); err != nil {
			return fmt.Errorf("%s[%d]: %w", k, i, err)
		}
	}
	o.b = append(o.b, ']')
	return nil
}

// props writes the extension properties, sorted by name.
func (o *object) props(p Properties) error {
	if len(p) == 0 {
		return nil
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		if !isExtension(k) {
			return fmt.Errorf("property %q: an extension property is a compact or absolute IRI", clip(k))
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		o.key(k)
		var err error
		if o.b, err = appendCompact(o.b, p[k]); err != nil {
			return fmt.Errorf("%s: %w", clip(k), err)
		}
	}
	return nil
}

func (o *object) close() []byte {
	if o.n == 0 {
		o.b = append(o.b, '{')
	}
	return append(o.b, '}')
}

// appendCompact appends v compacted; it fails on anything but one JSON
// value. Values already compact (as stored offers and decoded values are)
// are checked by scanStrict and copied.
func appendCompact(b []byte, v json.RawMessage) ([]byte, error) {
	if len(v) == 0 {
		return b, errors.New("an empty JSON value")
	}
	if ok, compact := scanStrict(v, maxDepth); ok && compact {
		return append(b, v...), nil
	}
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, v); err != nil {
		return b, err
	}
	return buf.Bytes(), nil
}

// appendString appends s as a JSON string, as encoding/json writes it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func missing(what string) error { return errors.New(what + " is missing; it is required") }

// appendJSON appends the catalog, as a message's root or nested.
func (c *Catalog) appendJSON(b []byte, root bool) ([]byte, error) {
	if c.ID == "" {
		return b, missing("the catalog's @id")
	}
	if root && c.ParticipantID == "" {
		return b, missing("the catalog's participantId")
	}
	o := object{b: b}
	if root {
		o.context()
	}
	o.str("@id", c.ID)
	o.str("@type", TypeCatalog)
	if c.ParticipantID != "" {
		o.str("participantId", c.ParticipantID)
	}
	if len(c.Services) > 0 {
		if err := o.list("service", len(c.Services), func(b []byte, i int) ([]byte, error) { return c.Services[i].appendJSON(b) }); err != nil {
			return b, err
		}
	}
	if len(c.Distributions) > 0 {
		if err := o.list("distribution", len(c.Distributions), func(b []byte, i int) ([]byte, error) { return c.Distributions[i].appendJSON(b) }); err != nil {
			return b, err
		}
	}
	if len(c.Catalogs) > 0 {
		if err := o.list("catalog", len(c.Catalogs), func(b []byte, i int) ([]byte, error) { return c.Catalogs[i].appendJSON(b, false) }); err != nil {
			return b, err
		}
	}
	if err := o.props(c.Properties); err != nil {
		return b, err
	}
	if len(c.Datasets) > 0 {
		if err := o.list("dataset", len(c.Datasets), func(b []byte, i int) ([]byte, error) { return c.Datasets[i].appendJSON(b, false) }); err != nil {
			return b, err
		}
	}
	return o.close(), nil
}

func (d *Dataset) appendJSON(b []byte, root bool) ([]byte, error) {
	switch {
	case d.ID == "":
		return b, missing("the dataset's @id")
	case len(d.HasPolicy) == 0:
		return b, missing("the dataset's offer (hasPolicy)")
	case len(d.Distributions) == 0:
		return b, missing("the dataset's distribution")
	}
	o := object{b: b}
	if root {
		o.context()
	}
	o.str("@id", d.ID)
	o.str("@type", TypeDataset)
	if err := o.raws("hasPolicy", d.HasPolicy); err != nil {
		return b, err
	}
	if err := o.list("distribution", len(d.Distributions), func(b []byte, i int) ([]byte, error) { return d.Distributions[i].appendJSON(b) }); err != nil {
		return b, err
	}
	if err := o.props(d.Properties); err != nil {
		return b, err
	}
	return o.close(), nil
}

func (d *Distribution) appendJSON(b []byte) ([]byte, error) {
	if d.Format == "" {
		return b, missing("the distribution's format")
	}
	o := object{b: b}
	o.str("@type", TypeDistribution)
	o.str("format", d.Format)
	if d.AccessService.IsRef() {
		if d.AccessService.ID == "" {
			return b, missing("the distribution's accessService")
		}
		o.str("accessService", d.AccessService.ID)
	} else {
		o.key("accessService")
		var err error
		if o.b, err = d.AccessService.appendJSON(o.b); err != nil {
			return b, fmt.Errorf("accessService: %w", err)
		}
	}
	if len(d.HasPolicy) > 0 {
		if err := o.raws("hasPolicy", d.HasPolicy); err != nil {
			return b, err
		}
	}
	if err := o.props(d.Properties); err != nil {
		return b, err
	}
	return o.close(), nil
}

func (s *DataService) appendJSON(b []byte) ([]byte, error) {
	switch {
	case s.ID == "":
		return b, missing("the data service's @id")
	case s.EndpointURL == "":
		return b, missing("the data service's endpointURL")
	}
	o := object{b: b}
	o.str("@id", s.ID)
	o.str("@type", TypeDataService)
	o.str("endpointURL", s.EndpointURL)
	if s.EndpointDescription != "" {
		o.str("endpointDescription", s.EndpointDescription)
	}
	if err := o.props(s.Properties); err != nil {
		return b, err
	}
	return o.close(), nil
}

// LangValues encodes language-tagged texts (tag → text) as the JSON-LD
// value objects an extension property takes, sorted by tag, for example
// {"en": "Oncology", "zh": "肿瘤"} for "dct:title". Empty texts are left
// out; nil when none is left.
func LangValues(m map[string]string) json.RawMessage {
	tags := make([]string, 0, len(m))
	for t, v := range m {
		if v != "" {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return nil
	}
	slices.Sort(tags)
	o := []byte{'['}
	for i, t := range tags {
		if i > 0 {
			o = append(o, ',')
		}
		o = append(o, `{"@value":`...)
		o = appendString(o, m[t])
		o = append(o, `,"@language":`...)
		o = appendString(o, t)
		o = append(o, '}')
	}
	return append(o, ']')
}

// StringValue encodes a plain string for an extension property.
func StringValue(s string) json.RawMessage { return appendString(nil, s) }
