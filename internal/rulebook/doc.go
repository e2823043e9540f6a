// Package rulebook decides whether data may leave a country and which route
// applies, for China (PIPL/DSL and the 2024 Provisions), the EU/EEA (GDPR
// Chapter V), the United States (28 CFR Part 202 and PADFA), Japan (APPI
// art 28), Hong Kong (PDPO) and Singapore (PDPA s26). The rules follow
// research/rulebook.md; route codes are those of its §0.2.
//
// # Applicability
//
// Evaluate returns one Decision per applicable jurisdiction, ordered CN, EU,
// US, JP, HK, SG:
//
//   - CN when exporter.country is CN (mainland; HK and MO are separate and
//     count as abroad). A recipient in mainland China is not an export
//     (CN.1.2.domestic). The GBA contract is an alternative inside CN.
//   - EU when exporter.country is an EEA state; a recipient in the EEA gives
//     EU_NO_TRANSFER. The exporter is taken to be a controller unless
//     exporter.type is "processor".
//   - US when the exporter is a U.S. person (exporter.us_person or
//     exporter.country US), or when us_bulk_12m holds any US persons' data
//     (a non-U.S.-person exporter then gets step 0, or PADFA for data
//     brokers).
//   - JP, HK, SG when the exporter is in that country, the recipient is
//     not, and the export holds personal data (individuals, US persons'
//     data or special-category data, not anonymised). For the EU the same
//     absence of personal data gives EU_NO_TRANSFER.
//
// Conflicts and CUMULATIVE records follow research §8 and §0.3.
//
// # Counting
//
// Dataset.Individuals and SensitiveIndividuals describe this export
// (sensitive individuals are a subset of individuals); PriorYTD is what the
// exporter sent abroad earlier in the calendar year of as_of. China adds the
// two and compares with the thresholds: "以上" includes the number, "不满"
// excludes it (exactly 100,000 → SC/cert; exactly 1,000,000 → SA; exactly
// 10,000 sensitive → SA). Every individual counts toward the non-sensitive
// threshold (a person with sensitive PI also has non-sensitive PI exported);
// this is the conservative reading of a contested point. The US
// us_bulk_12m counts are already rolling 12-month counts per counterparty;
// bulk means "more than N".
//
// # needs_review
//
// A Decision is NeedsReview, with ReviewReasons, when the rule its route
// rests on is tagged contested [C] or unverified [M]/[U] in the research:
// e.g. the separate-consent question under the art 5(1)–(3) exemptions,
// mixed sensitive and non-sensitive data, CIIO with exemptions, candidate
// important data, an FTZ whose negative list cannot be looked up, EU
// adequacy decision references from background knowledge, art 49
// derogations, US exemptions whose section numbers are secondary, combined
// US data. A cumulative Chinese count within 10% of a threshold is also
// flagged, because the de-duplication convention (distinct persons per
// year, an assumption [M][C]) and the inclusive reading of "以上" [C] can
// move it across the edge; farther from a threshold the de-duplication
// convention is stated as an obligation note only. Obligations citing [M]
// sources (e.g. HK DPPs) do not by themselves set needs_review.
//
// Tables (instruments, thresholds, countries, adequacy, routes, purposes,
// rule registry) live in instruments.go, countries.go, routes.go,
// purposes.go and rules.go, apart from the procedures in cn.go, eu.go,
// us.go, jp.go, hk.go, sg.go and conflicts.go. Conformance cases are data
// in testdata/cases.
package rulebook
