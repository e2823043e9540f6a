// Package synth generates deterministic synthetic personal data for the
// example data set, the throughput benchmark and the classification-quality
// evaluation of internal/classify.
//
// Everything is drawn from a caller's seed through math/rand/v2's PCG: the
// same seed gives the same bytes on every platform, and no function reads
// ambient randomness, the clock or global mutable state.
//
// # Values
//
// The value generators take a seeded *rand.Rand and return one value:
// valid identifiers built with classify's own check-digit functions
// ([ResidentID], [BankCard], [USCC], [HKID], [IBAN]), formats without a
// check digit ([CNMobile], [Passport], [USSSN], [IPv4], [IPv6], [GeoPrecise],
// [BirthDate], [Email]), text ([ChineseName], [ChineseAddress],
// [EnglishName], [EnglishAddress], [Diagnosis], [FreeText], which reports the
// identifier it embeds), and decoys that look like identifiers but fail
// their check ([OrderNumber], [LookalikeResidentID], [LuhnFailing],
// [BadMobile], [BadHKID], [OrderTimestamp], [UUID], [ProductCode],
// [RandomAlnum]). [GeoCoarse] gives one-decimal coordinates, which are
// location but not precise location.
//
// Resident identity numbers carry real GB/T 2260 county codes from a table
// of about 390 divisions across all 31 mainland provinces; addresses use the
// same table, so a person's address can match the region of their number.
//
// # The benchmark data set
//
// [WriteCSV] writes the ten-column customer-order table (UTF-8 or GB18030,
// optional BOM) at about 150–300 MB/s on one core (1 GiB in about 6 s) and
// returns [Stats], the truth a profiler should find: rows, bytes, distinct
// individuals, distinct sensitive individuals and the class of every column. Individuals repeat
// across rows at a configurable ratio without any memory: a person is
// regenerated from their index, and identifiers come from a bijection of
// the index, so distinct persons never share a resident ID or mobile.
//
// # Classification quality
//
// [Corpus] returns labelled columns for every field class, with realistic,
// pinyin and opaque column names, presentation variants (full-width digits,
// +86, grouping) and noise, plus decoy columns labelled none. [Evaluate]
// scores any column classifier on it (per-class precision and recall, micro
// and macro averages, misclassified columns with masked examples);
// [Quality] and [QualityMarkdown] run it on [classify.ClassifyValues].
package synth
