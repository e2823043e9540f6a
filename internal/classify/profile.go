package classify

// Class is a field class of docs/assess.md. Keep the names: other tools read
// them from the JSON output.
type Class string

const (
	ClassCNResidentID Class = "cn_resident_id"
	ClassCNMobile     Class = "cn_mobile"
	ClassPhone        Class = "phone"
	ClassBankCard     Class = "bank_card"
	ClassCNUSCC       Class = "cn_uscc"
	ClassEmail        Class = "email"
	ClassPersonName   Class = "person_name"
	ClassAddress      Class = "address"
	ClassBirthDate    Class = "birth_date"
	ClassIPAddress    Class = "ip_address"
	ClassGeoPrecise   Class = "geo_precise"
	ClassPassport     Class = "passport"
	ClassHKID         Class = "hk_id"
	ClassIBAN         Class = "iban"
	ClassUSSSN        Class = "us_ssn"
	ClassHealth       Class = "health"
	ClassBiometric    Class = "biometric"
	ClassReligion     Class = "religion"
	ClassMinor        Class = "minor"
	ClassNone         Class = "none"

	// Classes beyond docs/assess.md's minimum list.
	ClassGeoCoarse Class = "geo_coarse" // coordinates with fewer than 3 decimals (≥ ~1 km)
	ClassAge       Class = "age"        // an age column without values under 14
)

// FieldProfile is what the classifier found in one column.
type FieldProfile struct {
	Table      string  `json:"table,omitempty"` // file or file#table the column is in
	Name       string  `json:"name"`
	Class      Class   `json:"class"`
	Personal   bool    `json:"personal"`
	Sensitive  bool    `json:"sensitive"`  // PIPL art 28 / GB/T 45574-2025
	Confidence float64 `json:"confidence"` // 0..1
	ValidRatio float64 `json:"valid_ratio"`
	Example    string  `json:"example,omitempty"` // always masked
	// Embedded lists identifier classes found inside free text in this
	// column, with how many values carried them.
	Embedded map[Class]int64 `json:"embedded,omitempty"`
	// GDPRSpecial marks GDPR art 9 special categories; USCategory names the
	// 28 CFR 202.249 category ("" when none).
	GDPRSpecial bool   `json:"gdpr_special,omitempty"`
	USCategory  string `json:"us_category,omitempty"`
	// ImportantCandidate flags the column for human review as possible
	// important data (GB/T 43697-2024 Annex G); never decided silently.
	ImportantCandidate bool   `json:"important_candidate,omitempty"`
	Reason             string `json:"reason,omitempty"` // why this class: the validator, the name hint
	Values             int64  `json:"values"`           // non-empty values seen
	// Minors counts values showing a person under 14 on the reference date
	// (age, birth date or resident-ID birth date).
	Minors int64 `json:"minors,omitempty"`
}

// TableProfile summarises one table.
type TableProfile struct {
	Table  string `json:"table"`
	Format string `json:"format"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
}

// Profile is the classification of all files of one export.
type Profile struct {
	Rows                 int64          `json:"rows"`
	Individuals          int64          `json:"individuals"`
	SensitiveIndividuals int64          `json:"sensitive_individuals"`
	Fields               []FieldProfile `json:"fields"`
	Tables               []TableProfile `json:"tables,omitempty"`
	// IdentityKey names how individuals were counted: the class or the
	// column of the strongest identifier, or the key the user named.
	IdentityKey string `json:"identity_key,omitempty"`
	// USBulk counts distinct persons per 28 CFR 202.249 category in this
	// export (geolocation counts devices).
	USBulk map[string]int64 `json:"us_bulk,omitempty"`
	// ImportantCandidates names the columns flagged for important-data review.
	ImportantCandidates []string `json:"important_candidates,omitempty"`
	SpecialCategory     bool     `json:"special_category"` // any GDPR art 9 column
	// Minors counts distinct individuals under 14 on the reference date.
	Minors   int64    `json:"minors,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}
