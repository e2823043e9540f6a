// Package report renders an assessment ([assess.Result]) for people and
// tools, in Simplified Chinese ([ZH]) or English ([EN]).
//
// # Formats
//
//   - [JSON]: the output contract of docs/assess.md ("Output: the JSON
//     contract"). The contract's names come first and keep their meaning:
//     as_of, profile (rows, individuals, sensitive_individuals, fields with
//     name, class, personal, sensitive, confidence, valid_ratio, example),
//     decisions (jurisdiction, route, alternatives, obligations, citations,
//     reasons, needs_review) and conflicts. Obligations, reasons and
//     conflict descriptions are strings in the report language; citations
//     are the provisions' reference strings. Additions: per decision
//     review_reasons, rule, blocking, approval, route_title, outcome, the
//     stable codes of the texts (obligation_codes, reason_codes,
//     review_codes) and citation_details (full citations with URL, tag,
//     effective date); at the top what_if, year_to_date, materials,
//     scenario (the scenario echoed), inputs, lang and tool. Arrays are
//     always present ([] rather than null); the only null is a decision's
//     approval when none is on record. When no file was profiled the
//     profile carries the scenario's counts, rows 0, no fields and
//     "source": "scenario" (else "files"). Keys come in a fixed order,
//     indented by two spaces, with a final newline.
//   - [Text]: a compact terminal summary; ANSI colour only with
//     [Options].Color.
//   - [Markdown]: a full report with tables, checklists and a disclaimer.
//   - [HTML]: one self-contained page (inline CSS and SVG, no script, no
//     external resource) with a chart of field classes and a route diagram;
//     it prints well. Every value goes through html/template.
//
// # Materials
//
// [Materials] turns the decisions into checklists of what to prepare
// (PIPIA outline, filing and declaration checklists, SCC and TIA steps,
// US DOJ rule programme, …), pre-filled from the profile and the scenario
// and ticked where the scenario shows an approval on record.
//
// # Privacy
//
// Reports carry column names, field classes, counts and the masked examples
// of the profile; never raw values.
//
// # Localisation
//
// Fixed strings, field-class names, purposes and countries live in
// i18n.go; route titles in routes.go. Texts from the rulebook come in both
// languages already ([rulebook.Text.In]).
package report
