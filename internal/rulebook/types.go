package rulebook

import (
	"fmt"
	"time"
)

// Date is a calendar day, written 2006-01-02 in YAML and JSON.
type Date struct{ time.Time }

// ParseDate parses a 2006-01-02 day.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// MarshalJSON writes "2006-01-02" ("" for the zero day); without it the
// embedded time.Time's RFC 3339 form would be used.
func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// UnmarshalJSON reads "2006-01-02" ("" or null is the zero day).
func (d *Date) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" || s == `""` {
		*d = Date{}
		return nil
	}
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return fmt.Errorf("date %s: want \"YYYY-MM-DD\"", s)
	}
	return d.UnmarshalText([]byte(s[1 : len(s)-1]))
}

func (d *Date) UnmarshalText(b []byte) error {
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// Scenario is everything the rulebook needs to know about one export. Its
// YAML form is fixed by docs/assess.md ("Input: data plus a scenario"); keep
// the names.
type Scenario struct {
	AsOf       Date      `yaml:"as_of" json:"as_of"`
	Exporter   Exporter  `yaml:"exporter" json:"exporter"`
	Recipient  Recipient `yaml:"recipient" json:"recipient"`
	Dataset    Dataset   `yaml:"dataset" json:"dataset"`
	Purpose    string    `yaml:"purpose" json:"purpose"`
	LegalBasis string    `yaml:"legal_basis" json:"legal_basis,omitempty"`
}

// Exporter is the data processor (controller) sending the data.
type Exporter struct {
	Country   string     `yaml:"country" json:"country"` // ISO 3166-1 alpha-2; HK, MO, TW separate
	City      string     `yaml:"city" json:"city,omitempty"`
	Type      string     `yaml:"type" json:"type,omitempty"`     // company | public_body | hospital | university | individual | data_broker | …
	Sector    string     `yaml:"sector" json:"sector,omitempty"` // finance | automotive | health | …
	CIIO      bool       `yaml:"ciio" json:"ciio"`               // notified critical information infrastructure operator
	FTZ       string     `yaml:"ftz" json:"ftz,omitempty"`       // pilot free-trade zone whose negative list applies, or "none"
	GBA       bool       `yaml:"gba" json:"gba"`                 // registered in a Greater Bay Area mainland city, HK or Macao
	USPerson  bool       `yaml:"us_person" json:"us_person"`
	Approvals []Approval `yaml:"approvals" json:"approvals,omitempty"`
}

// Approval is a filing or approval already on record.
type Approval struct {
	Route   string `yaml:"route" json:"route"`
	Ref     string `yaml:"ref" json:"ref,omitempty"`
	Issued  Date   `yaml:"issued" json:"issued"`
	Expires Date   `yaml:"expires" json:"expires,omitempty"`
}

// Recipient is the party abroad receiving the data.
type Recipient struct {
	// Name identifies the counterparty; the ledger's US 12-month totals are
	// kept per (exporter, counterparty) pair (28 CFR 202.205).
	Name          string `yaml:"name" json:"name,omitempty"`
	Country       string `yaml:"country" json:"country"`
	Type          string `yaml:"type" json:"type,omitempty"`         // company | court | law_enforcement | government | university | …
	Role          string `yaml:"role" json:"role,omitempty"`         // controller | processor | joint_controller
	Relation      string `yaml:"relation" json:"relation,omitempty"` // parent_company | affiliate | unrelated | customer | …
	GBA           bool   `yaml:"gba" json:"gba"`
	CoveredPerson bool   `yaml:"covered_person" json:"covered_person"` // US 28 CFR 202.211
	// CACRestricted is true when the recipient is on a list published by the
	// CAC under PIPL art 42 (restricted or prohibited provision).
	CACRestricted  bool     `yaml:"cac_restricted" json:"cac_restricted,omitempty"`
	Certifications []string `yaml:"certifications" json:"certifications,omitempty"`
}

// Counts are year-to-date totals exported earlier.
type Counts struct {
	Individuals          int64 `yaml:"individuals" json:"individuals"`
	SensitiveIndividuals int64 `yaml:"sensitive_individuals" json:"sensitive_individuals"`
}

// Dataset describes the data of this export.
type Dataset struct {
	Individuals          int64  `yaml:"individuals" json:"individuals"`                     // distinct persons in this export
	SensitiveIndividuals int64  `yaml:"sensitive_individuals" json:"sensitive_individuals"` // of them, persons with sensitive PI
	PriorYTD             Counts `yaml:"prior_ytd" json:"prior_ytd"`
	ImportantData        string `yaml:"important_data" json:"important_data,omitempty"` // none | candidate | notified
	CoreData             bool   `yaml:"core_data" json:"core_data"`
	CollectedAbroad      bool   `yaml:"collected_abroad" json:"collected_abroad"`
	DomesticPIIntroduced bool   `yaml:"domestic_pi_introduced" json:"domestic_pi_introduced"`
	Anonymised           bool   `yaml:"anonymised" json:"anonymised"`
	SpecialCategory      bool   `yaml:"special_category" json:"special_category"` // GDPR art 9 data
	USBulk12m            USBulk `yaml:"us_bulk_12m" json:"us_bulk_12m"`
}

// USBulk counts US persons (devices for geolocation) per 28 CFR 202.205
// category over the preceding 12 months with the same counterparty.
type USBulk struct {
	HumanGenomic              int64 `yaml:"human_genomic" json:"human_genomic,omitempty"`
	HumanOmic                 int64 `yaml:"human_omic" json:"human_omic,omitempty"`
	Biometric                 int64 `yaml:"biometric" json:"biometric,omitempty"`
	PreciseGeolocationDevices int64 `yaml:"precise_geolocation_devices" json:"precise_geolocation_devices,omitempty"`
	PersonalHealth            int64 `yaml:"personal_health" json:"personal_health,omitempty"`
	PersonalFinancial         int64 `yaml:"personal_financial" json:"personal_financial,omitempty"`
	CoveredIdentifiers        int64 `yaml:"covered_identifiers" json:"covered_identifiers,omitempty"`
	GovernmentRelated         bool  `yaml:"government_related" json:"government_related,omitempty"`
}

// Text is a message in both report languages with a stable code scripts can
// match on.
type Text struct {
	Code string `json:"code"`
	EN   string `json:"en"`
	ZH   string `json:"zh"`
}

// In returns the text in lang ("zh-CN" or "en"; anything else is English).
func (t Text) In(lang string) string {
	if lang == "zh-CN" || lang == "zh" {
		return t.ZH
	}
	return t.EN
}

// Citation is a provision a decision rests on.
type Citation struct {
	Ref string `json:"ref"`           // e.g. "2024 Provisions art 7(2)"
	URL string `json:"url,omitempty"` // official source where known
	Tag string `json:"tag,omitempty"` // research confidence: V, S, M, U, C
	// Effective is the day the provision took effect, where known.
	Effective string `json:"effective,omitempty"`
}

// Decision is the route one jurisdiction's rules give for the export.
type Decision struct {
	Jurisdiction string     `json:"jurisdiction"` // CN, EU, US, JP, HK, SG
	Route        string     `json:"route"`        // a route code of research/rulebook.md §0.2
	Alternatives []string   `json:"alternatives"` // other lawful routes the exporter may choose instead
	Obligations  []Text     `json:"obligations"`
	Citations    []Citation `json:"citations"`
	Reasons      []Text     `json:"reasons"`
	NeedsReview  bool       `json:"needs_review"`
	// ReviewReasons say why a person must look: a contested [C] or
	// unverified [M]/[U] point the decision rests on.
	ReviewReasons []Text `json:"review_reasons,omitempty"`
	// Rule identifies the decision-table row that produced the route, e.g.
	// "CN.1.3.step9", so conformance cases can name it (see Rules).
	Rule string `json:"rule"`
	// Trace lists every decision-table row that contributed to the decision
	// (the final Rule last), e.g. a FTZ or GBA alternative, an approval
	// check, or PADFA on top of the DOJ rule.
	Trace []string `json:"trace,omitempty"`
	// Approval is the approval on record that satisfies the route, if any.
	Approval *Approval `json:"approval,omitempty"`
	// Blocking is true when the export may not proceed yet: a prohibition,
	// or a route needing a filing or approval that is not on record.
	Blocking bool `json:"blocking"`
}

// Conflict records where two regimes pull in different directions
// (research/rulebook.md §8), or cumulative duties worth a person's eye.
type Conflict struct {
	Kind          string     `json:"kind"` // CONFLICT | CUMULATIVE
	Jurisdictions []string   `json:"jurisdictions"`
	Description   Text       `json:"description"`
	Citations     []Citation `json:"citations"`
}

// Result is the rulebook's answer for a scenario.
type Result struct {
	Decisions []Decision `json:"decisions"`
	Conflicts []Conflict `json:"conflicts"`
}

// ScenarioError is an invalid scenario: an unknown or malformed key or value.
type ScenarioError struct {
	Key      string // dotted path, e.g. "exporter.country"
	Line     int    // 1-based line in the YAML source, when decoded from one
	Value    string // the offending value, if any
	Msg      string
	Accepted []string // accepted values or keys, if a closed set
}

func (e *ScenarioError) Error() string {
	s := e.Key + ": " + e.Msg
	if e.Value != "" {
		s = fmt.Sprintf("%s: %s (got %q)", e.Key, e.Msg, e.Value)
	}
	if len(e.Accepted) > 0 {
		s += fmt.Sprintf("; accepted: %v", e.Accepted)
	}
	return s
}
