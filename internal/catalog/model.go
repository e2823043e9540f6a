package catalog

import (
	"github.com/xborder/xborder/internal/jsonstrict"

	"encoding/json"
	"maps"
	"slices"
)

// JSON-LD contexts of an entry: the Dataspace Protocol 2025-1 context
// (Catalog, Dataset, Distribution, DataService, hasPolicy and ODRL) first,
// then ours for the DCAT terms it lacks and the xborder extension terms.
const (
	DSPContext = "https://w3id.org/dspace/2025/1/context.jsonld"
	// ContextURL is the xborder catalog context, compiled into the binary
	// (context/xborder-catalog-v1.jsonld) and never fetched.
	ContextURL = "https://w3id.org/xborder/catalog/v1"
	// Vocab is the namespace of the xborder extension terms.
	Vocab = "https://w3id.org/xborder/catalog#"
)

// Contexts returns the @context of every entry and catalog xborder writes.
func Contexts() []string { return []string{DSPContext, ContextURL} }

// Classification levels (seed §2.3.4.1: 公开、内部、敏感、核心). Entries at
// LevelSensitive and LevelCore are restricted: visible only to requesters
// whose credentials satisfy the entry's access policy (see AccessChecker).
const (
	LevelPublic    = "public"
	LevelInternal  = "internal"
	LevelSensitive = "sensitive"
	LevelCore      = "core"
)

// Entry is one catalog entry: a DCAT 3 dcat:Dataset with the four metadata
// groups of seed §2.2.2.2 and §2.3.4.1. Its JSON form is plain JSON and
// compacted JSON-LD at once (docs/catalog.md).
//
// The basic group is the DCAT core at the top level; Technical is filled by
// Harvest; Business, Governance and Provenance are the other three groups.
type Entry struct {
	Context []string `json:"@context,omitempty"`
	IRI     string   `json:"@id,omitempty"`
	Type    string   `json:"@type,omitempty"`

	Identifier      string            `json:"identifier"`
	Title           LangMap           `json:"title"`
	Description     LangMap           `json:"description,omitempty"`
	Keywords        LangList          `json:"keyword,omitempty"`
	Publisher       string            `json:"publisher,omitempty"`
	Issued          string            `json:"issued,omitempty"`
	Modified        string            `json:"modified,omitempty"`
	SpatialCoverage []string          `json:"spatialCoverage,omitempty"`
	UpdateFrequency string            `json:"updateFrequency,omitempty"`
	Distributions   []Distribution    `json:"distribution,omitempty"`
	Offers          []json.RawMessage `json:"hasPolicy,omitempty"`

	Technical  *Technical  `json:"technical,omitempty"`
	Business   *Business   `json:"business,omitempty"`
	Governance Governance  `json:"governance"`
	Provenance *Provenance `json:"provenance,omitempty"`
}

// LangMap is a JSON-LD language map: BCP 47 tag → text.
type LangMap map[string]string

// LangList is a language map with several values per language.
type LangList map[string][]string

// Distribution is a dcat:Distribution as the Dataspace Protocol uses it: a
// transfer type and the DataService that serves it.
type Distribution struct {
	Type          string        `json:"@type"`
	Format        string        `json:"format"`
	AccessService AccessService `json:"accessService"`
}

// AccessService is a Distribution's dcat:accessService: a DataService, or in
// input only a reference to the catalog's service by its @id.
type AccessService struct {
	Ref     string       // set when the input gave an @id string
	Service *DataService // set when the input gave the object
}

// MarshalJSON writes the reference as a string or the service as an object.
func (a AccessService) MarshalJSON() ([]byte, error) {
	if a.Service != nil {
		return json.Marshal(a.Service)
	}
	return json.Marshal(a.Ref)
}

// UnmarshalJSON reads a string reference or a DataService object.
func (a *AccessService) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &a.Ref)
	}
	var s DataService
	if err := jsonstrict.Decode(b, &s); err != nil {
		return err
	}
	a.Service = &s
	return nil
}

// DataService is a dcat:DataService: the Dataspace Protocol endpoint that
// gives access to datasets — the "access interface" of a resolution.
type DataService struct {
	ID                  string `json:"@id"`
	Type                string `json:"@type"`
	EndpointURL         string `json:"endpointURL"`
	EndpointDescription string `json:"endpointDescription,omitempty"`
}

// Technical is the technical metadata Harvest fills from the data: never a
// data value, only its shape and counts.
type Technical struct {
	DataFormat  string     `json:"dataFormat,omitempty"` // csv, tsv, json, jsonl, xlsx, parquet, sqlite
	MediaType   string     `json:"mediaType,omitempty"`
	ByteSize    int64      `json:"byteSize,omitempty"`
	Checksum    *Checksum  `json:"checksum,omitempty"`
	RowCount    int64      `json:"rowCount,omitempty"`
	SourceName  string     `json:"sourceName,omitempty"` // base name of the file harvested
	HarvestedAt string     `json:"harvestedAt,omitempty"`
	Tables      []Table    `json:"tables,omitempty"`
	Fields      []Field    `json:"fields,omitempty"`
	PIProfile   *PIProfile `json:"piProfile,omitempty"`
}

// Checksum is an spdx:Checksum of the harvested file.
type Checksum struct {
	Algorithm string `json:"algorithm"` // sha256
	Value     string `json:"value"`     // lower-case hex
}

// Table is one table of the harvested file.
type Table struct {
	Name       string `json:"name"`
	DataFormat string `json:"dataFormat,omitempty"`
	RowCount   int64  `json:"rowCount"`
	ByteSize   int64  `json:"byteSize,omitempty"`
}

// Field is one column: its schema, statistics and classification.
type Field struct {
	Name      string `json:"name"`
	Table     string `json:"table,omitempty"`
	ValueType string `json:"valueType,omitempty"` // integer, decimal, boolean, date, datetime, string, empty
	NonEmpty  int64  `json:"nonEmpty"`
	MaxLength int    `json:"maxLength,omitempty"` // characters of the longest value
	PIClass   string `json:"piClass,omitempty"`   // a classify.Class other than none
	Personal  bool   `json:"personal,omitempty"`
	Sensitive bool   `json:"sensitive,omitempty"`
}

// PIProfile is the personal-information profile of the assess engine
// (internal/classify): counts of distinct individuals, never identifiers.
type PIProfile struct {
	Individuals          int64            `json:"individuals"`
	SensitiveIndividuals int64            `json:"sensitiveIndividuals"`
	Minors               int64            `json:"minors,omitempty"`
	SpecialCategory      bool             `json:"specialCategory,omitempty"`
	PersonalInfoTypes    []string         `json:"personalInfoTypes,omitempty"`
	USBulk               map[string]int64 `json:"usBulk,omitempty"`
	ImportantCandidates  []string         `json:"importantCandidates,omitempty"`
	IdentityKey          string           `json:"identityKey,omitempty"`
}

// Business is the business metadata group: industry, scenarios, quality,
// usage limits.
type Business struct {
	Industry          string             `json:"industry,omitempty"`
	Scenarios         []string           `json:"scenarios,omitempty"`
	QualityScore      *float64           `json:"qualityScore,omitempty"` // 0–100
	QualityDimensions *QualityDimensions `json:"qualityDimensions,omitempty"`
	UsageLimits       []string           `json:"usageLimits,omitempty"`
}

// QualityDimensions are the scores of seed §2.3.4.1 (完整性、准确性、时效性、
// 一致性), each 0–100.
type QualityDimensions struct {
	Completeness *float64 `json:"completeness,omitempty"`
	Accuracy     *float64 `json:"accuracy,omitempty"`
	Timeliness   *float64 `json:"timeliness,omitempty"`
	Consistency  *float64 `json:"consistency,omitempty"`
}

// Governance is the governance metadata group (seed §2.3.4.1): sovereignty
// and jurisdiction, classification, compliance and authorisation,
// circulation policy, security baseline.
type Governance struct {
	Owner               string          `json:"owner"` // DID of the legal entity that registered the product
	Controller          string          `json:"controller,omitempty"`
	Sovereignty         string          `json:"sovereignty,omitempty"` // where the data originates; default the identifier's
	ApplicableLaws      []string        `json:"applicableLaws,omitempty"`
	ClassificationLevel string          `json:"classificationLevel"` // public, internal, sensitive, core
	DataGrade           string          `json:"dataGrade,omitempty"` // general, important, core (DSL art 21)
	SensitiveFields     []string        `json:"sensitiveFields,omitempty"`
	LegalBasis          []string        `json:"legalBasis,omitempty"`
	ConsentVersion      string          `json:"consentVersion,omitempty"`
	SubjectRights       []string        `json:"subjectRights,omitempty"`
	ExportStatus        string          `json:"exportStatus,omitempty"`
	Approvals           []Approval      `json:"approvals,omitempty"`
	AllowedPurposes     []string        `json:"allowedPurposes,omitempty"`
	AllowedRecipients   []string        `json:"allowedRecipients,omitempty"`
	AllowedCountries    []string        `json:"allowedCountries,omitempty"`
	Localization        string          `json:"localization,omitempty"`
	OnwardTransfer      string          `json:"onwardTransfer,omitempty"`
	SecurityBaseline    []string        `json:"securityBaseline,omitempty"`
	ContractID          string          `json:"contractId,omitempty"`
	AccessPolicy        json.RawMessage `json:"accessPolicy,omitempty"` // an ODRL policy, kept verbatim
}

// Approval is a filing or approval on record for exports of the dataset,
// in the shape of the rulebook's exporter.approvals.
type Approval struct {
	Route   string `json:"route"`
	Ref     string `json:"ref,omitempty"`
	Issued  string `json:"issued,omitempty"`  // YYYY-MM-DD
	Expires string `json:"expires,omitempty"` // YYYY-MM-DD
}

// Provenance is the provenance group: lineage and processing history.
type Provenance struct {
	DerivedFrom []string `json:"derivedFrom,omitempty"` // identifiers (or IRIs) of source datasets
	History     []Step   `json:"history,omitempty"`
}

// Step is one processing step: who, when, what, where (seed §2.3.4.1: 操作者、
// 时间、算法和地点).
type Step struct {
	Activity  string `json:"activity"`
	Actor     string `json:"actor,omitempty"` // DID or IRI
	Time      string `json:"time"`            // RFC 3339
	Location  string `json:"location,omitempty"`
	Algorithm string `json:"algorithm,omitempty"`
	Note      string `json:"note,omitempty"`
}

// Restricted reports whether the entry is visible only to requesters whose
// credentials satisfy its access policy.
func (e *Entry) Restricted() bool {
	l := e.Governance.ClassificationLevel
	return l == LevelSensitive || l == LevelCore
}

// Clone returns a deep copy of e.
func (e *Entry) Clone() *Entry {
	b, err := json.Marshal(e)
	if err != nil {
		panic("catalog: marshalling an entry: " + err.Error())
	}
	var c Entry
	if err := json.Unmarshal(b, &c); err != nil {
		panic("catalog: unmarshalling an entry: " + err.Error())
	}
	return &c
}

// languages returns the language tags of m, sorted.
func (m LangMap) languages() []string { return slices.Sorted(maps.Keys(m)) }
