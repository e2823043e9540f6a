package classify

// US 28 CFR 202.249 sensitive-personal-data categories, as named in
// FieldProfile.USCategory and as the keys of Profile.USBulk.
const (
	USCoveredIdentifiers = "covered_personal_identifiers" // §202.212 (§202.234 listed identifiers)
	USPreciseGeolocation = "precise_geolocation"          // §202.242: within 1,000 meters
	USBiometric          = "biometric"                    // biometric identifiers
	USPersonalHealth     = "personal_health"              // personal health data
	USPersonalFinancial  = "personal_financial"           // §202.240: card, bank account …
	USHumanGenomic       = "human_genomic"                // human genomic data (not detected yet)
)

// Row flags: what a valid value of a column says about its row's person.
const (
	flagSensitive uint8 = 1 << iota // sensitive PI (PIPL art 28)
	flagMinor                       // under 14 on the reference date
	flagUSGeo
	flagUSBiometric
	flagUSHealth
	flagUSFinancial
	flagUSCovered
	flagUSGenomic
)

// classInfo is the legal reading of a class.
type classInfo struct {
	personal  bool
	sensitive bool   // PIPL art 28 / GB/T 45574-2025
	gdpr      bool   // GDPR art 9 special category
	us        string // 28 CFR 202.249 category
	// listed marks a §202.234 listed identifier; contact marks the
	// demographic or contact data that, linked only to other such data, is
	// not a covered personal identifier (§202.212(b)(1)).
	listed, contact bool
	why             string
}

// classInfos maps classes to their legal reading. Choices (see doc.go):
//
//   - cn_resident_id, passport, hk_id, us_ssn: personal, not sensitive.
//     GB/T 45574-2025 dropped the bare ID-card number from "specific
//     identity" sensitive PI (the ID-card photo stays); passport and HKID
//     numbers are treated alike. The standard still lists "specific
//     identity" items, so a reviewer may take the stricter view.
//   - bank_card, iban: sensitive (financial accounts, art 28).
//   - geo_precise: sensitive (whereabouts; TC260 drafters: precise location
//     is SPI, coarse or IP-derived location is not).
//   - health, biometric, religion: sensitive, and GDPR art 9.
//   - minor: sensitive (art 28: PI of minors under 14).
//   - cn_uscc: identifies an organisation, not personal (except for
//     individual businesses, 个体工商户, which the code cannot tell apart).
var classInfos = map[Class]classInfo{
	ClassCNResidentID: {personal: true, us: USCoveredIdentifiers, listed: true, why: "government ID number; GB/T 45574-2025 no longer treats a bare ID number as sensitive"},
	ClassCNMobile:     {personal: true, us: USCoveredIdentifiers, listed: true, contact: true},
	ClassPhone:        {personal: true, us: USCoveredIdentifiers, listed: true, contact: true},
	ClassBankCard:     {personal: true, sensitive: true, us: USPersonalFinancial, listed: true, why: "financial account (PIPL art 28)"},
	ClassCNUSCC:       {why: "organisation identifier (GB 32100-2015); personal only for individual businesses"},
	ClassEmail:        {personal: true, us: USCoveredIdentifiers, listed: true, contact: true},
	ClassPersonName:   {personal: true, us: USCoveredIdentifiers, listed: true, contact: true},
	ClassAddress:      {personal: true, us: USCoveredIdentifiers, listed: true, contact: true},
	ClassBirthDate:    {personal: true, us: USCoveredIdentifiers, listed: true, contact: true},
	ClassIPAddress:    {personal: true, us: USCoveredIdentifiers, listed: true, why: "network identifier; IP-derived location is coarse, not sensitive"},
	ClassGeoPrecise:   {personal: true, sensitive: true, us: USPreciseGeolocation, why: "precise location, whereabouts (PIPL art 28)"},
	ClassGeoCoarse:    {personal: true, why: "coarse location (≥ ~1 km)"},
	ClassPassport:     {personal: true, us: USCoveredIdentifiers, listed: true, why: "government ID number; treated like the resident ID number (specific identity is debated)"},
	ClassHKID:         {personal: true, us: USCoveredIdentifiers, listed: true, why: "government ID number; treated like the resident ID number (specific identity is debated)"},
	ClassIBAN:         {personal: true, sensitive: true, us: USPersonalFinancial, listed: true, why: "financial account (PIPL art 28)"},
	ClassUSSSN:        {personal: true, us: USCoveredIdentifiers, listed: true, why: "government ID number"},
	ClassHealth:       {personal: true, sensitive: true, gdpr: true, us: USPersonalHealth, why: "medical and health (PIPL art 28; GDPR art 9)"},
	ClassBiometric:    {personal: true, sensitive: true, gdpr: true, us: USBiometric, why: "biometrics (PIPL art 28; GDPR art 9)"},
	ClassReligion:     {personal: true, sensitive: true, gdpr: true, why: "religious belief (PIPL art 28; GDPR art 9)"},
	ClassMinor:        {personal: true, sensitive: true, why: "personal information of minors under 14 (PIPL art 28)"},
	ClassAge:          {personal: true},
	ClassNone:         {},
}

// rowFlags is what a valid value of class c marks its row with.
func rowFlags(c Class) uint8 {
	ci := classInfos[c]
	var f uint8
	if ci.sensitive {
		f |= flagSensitive
	}
	switch ci.us {
	case USPreciseGeolocation:
		f |= flagUSGeo
	case USBiometric:
		f |= flagUSBiometric
	case USPersonalHealth:
		f |= flagUSHealth
	case USPersonalFinancial:
		f |= flagUSFinancial
	case USHumanGenomic:
		f |= flagUSGenomic
	}
	return f
}

// usBulkKeys names the Profile.USBulk key of each US flag.
var usBulkKeys = [...]struct {
	flag uint8
	key  string
}{
	{flagUSGeo, USPreciseGeolocation},
	{flagUSBiometric, USBiometric},
	{flagUSHealth, USPersonalHealth},
	{flagUSFinancial, USPersonalFinancial},
	{flagUSCovered, USCoveredIdentifiers},
	{flagUSGenomic, USHumanGenomic},
}
