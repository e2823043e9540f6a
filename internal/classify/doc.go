// Package classify finds personal information in the tables an enterprise
// wants to export and counts the people it concerns: the profiling step of
// `xborder assess` (seed white paper §4.2.1.3, §2.1.1.2 "三识别").
//
// ClassifyValues classifies one column from its name and values. Run
// profiles whole files through internal/tabular: every column of every
// table is classified, rows are counted, and the distinct individuals, the
// distinct individuals with sensitive personal information, the minors and
// the persons per US 28 CFR 202.249 category are counted exactly across all
// the files of one export. Raw values never leave the package: examples are
// masked (Mask), counting keeps only keyed hashes.
//
// # Classes
//
// Identifiers with a check: cn_resident_id (GB 11643-1999 MOD 11-2, GB/T
// 2260 province, birth date not after the reference day; the 15-digit 1989
// form is a weak match), bank_card (12–19 digits, Luhn, issuer prefix),
// cn_uscc (GB 32100-2015 MOD 31), hk_id (check character), iban (ISO 13616
// mod 97 and the country's length). Identifiers by shape: cn_mobile (1[3-9]
// + 9 digits, +86/0086/86 prefix allowed, full-width digits too), phone
// (E.164 with '+', Hong Kong and Macao 852/853 + 8 digits, PRC landlines,
// and PRC mobiles so that a mixed column is one phone column; bare 8-digit
// local numbers weak), email, ip_address (net/netip; under a version-number
// column name nothing matches, and without an IP name hint an IPv4 address
// whose octets are all below 100, as version numbers are, is weak), us_ssn
// (Presidio's rejections; bare 9 digits weak). Needing a column-name hint
// (no check digit, or too common a shape): passport (PRC E/G/D/S/P/K/MA
// patterns strong, other letter+digit shapes weak), birth_date, age. Names
// and addresses: person_name (2–4 Han characters starting with one of 254
// common surnames or a compound surname; Latin "First Last" weak),
// address (Chinese area and street markers; English house number + street
// word). Locations: geo_precise and geo_coarse — a coordinate pair in one
// column (lat,lon, or lon,lat when the first number is out of latitude
// range), or one coordinate in a column named latitude/longitude/纬度/经度;
// precise from GeoPreciseDecimals = 3 decimals (~111 m; 2 decimals is
// ~1.1 km, outside the "within 1,000 meters" of 28 CFR 202.242). Special
// categories: health (name hints 诊断/病历/病史/疾病/diagnosis/icd…; values
// ICD-10 codes such as E11.9), biometric (指纹/人脸/虹膜/声纹,
// fingerprint/iris/voiceprint/biometric…; base64 or hex blobs and feature vectors;
// "face"/"photo" count only with such values), religion (宗教/信仰/religion + a vocabulary). minor: an age
// column with a value under 14. Lookalikes stay none: an 18-digit order
// number fails GB 11643 (a random one passes 1 time in 11 and must also
// carry a real province and date), a random 16-digit number passes Luhn 1
// time in 10 — both far below the 50% a checksum class needs.
//
// # Personal and sensitive
//
// Personal/Sensitive follow PIPL art 28 (sensitive PI: biometrics,
// religious belief, specific identity, medical health, financial accounts,
// whereabouts, and any PI of minors under 14) as refined by GB/T 45574-2025
// (effective 2025-11-01):
//
//   - cn_resident_id is personal, not sensitive: GB/T 45574-2025 no longer
//     treats a bare ID-card number as "specific identity" SPI (an ID-card
//     photo still is). passport, hk_id and us_ssn are treated the same way.
//     The standard still lists "specific identity" items and the point is
//     debated; a reviewer may take the stricter view.
//   - bank_card and iban are sensitive (financial accounts).
//   - geo_precise is sensitive (whereabouts; the TC260 guide's drafters:
//     precise location is SPI, coarse or IP-derived location is not), so
//     geo_coarse and ip_address are personal only.
//   - health, biometric and religion are sensitive and GDPR art 9 special
//     categories (GDPRSpecial).
//   - Minors' data is sensitive: an age column with values under 14 is
//     classed minor; a resident-ID or birth-date column showing children is
//     marked Sensitive with FieldProfile.Minors counting them, and each such
//     row makes its person a sensitive individual.
//   - cn_uscc identifies an organisation and is not personal (individual
//     businesses, 个体工商户, cannot be told apart).
//
// USCategory names the 28 CFR 202.249 category: covered_personal_identifiers for
// the listed identifiers of §202.234 (government ID numbers, financial
// account numbers, name, birth date, address, phone, e-mail, IP address),
// personal_financial (§202.240: bank_card, iban), precise_geolocation
// (§202.242: "within 1,000 meters"), biometric, personal_health. A row
// counts towards covered_personal_identifiers (§202.212) when it links two listed
// identifiers of which at least one is not demographic or contact data
// (§202.212(b)(1) excludes demographic/contact data linked only to other
// such data), or a listed identifier to health, biometric or precise
// location data (§202.212(a)(2)). Profile.USBulk counts distinct persons
// per category under the same names (for precise_geolocation the rule
// counts devices; persons stand in for them).
//
// ImportantCandidate flags, for human review only, columns whose names
// suggest important data in the sense of GB/T 43697-2024 Annex G
// (测绘/地理信息/遥感 survey and mapping, 基因/遗传 genetic resources,
// 军事/国防 defence, 关键基础设施 critical infrastructure, 电网/能源/电力 grid
// and energy, 人口普查 census …) and health columns of an export reaching a
// million individuals (population-scale health data). Only notified data is
// important data (2024 Provisions art 2); the flag feeds the NDSR art 29
// duty to identify and report.
//
// # Deciding a column
//
// The first SampleSize (default 1000) non-empty values of a column are run
// through every validator; the class is chosen from them, then every value
// of the column is validated with the chosen validator only (plus a
// free-text scan for none columns whose values are mostly text of 16 bytes
// or more). For each candidate class c over the sample of n values:
//
//	r(c)     = (strong(c) + weak(c)/2) / n
//	score(c) = r(c) · quality(c) + 0.35 · hint(c)
//
// hint(c) is 1 when the column name carries one of c's keywords (Chinese
// as substrings; English and common pinyin abbreviations such as sfzh,
// sjhm, csrq, jbmc as whole tokens; long unambiguous English words as
// substrings; the +0.35 is Presidio's context boost). Ambiguous keywords
// ("face", "photo", "condition", pinyin zd) are weak: they count only when
// at least 30% of the values agree. Pinyin abbreviations with two common
// readings (xm 姓名/项目, jd 经度/进度) are not hints. quality(c) weighs the evidence:
// 1.0 for check-digit classes, 0.95 bank cards and e-mail, 0.9 mobiles, IP
// addresses and precise coordinates, 0.8 passports, SSNs, birth dates and
// ages, 0.75 names, addresses and phones, 0.7 health/biometric/religion
// values, 0.6 coarse coordinates. A class is eligible when r(c) reaches its
// threshold: 0.5 for check-digit classes with or without a hint (so a
// column of 18-digit numbers of which fewer than half pass GB 11643 is
// none); 0.6 (0.3 with a hint) for shape classes; 0.8 (0.3) for names
// (any 2–4 Han characters are a weak match) and 0.7 (0.3) for addresses;
// classes needing a hint (passport, birth_date, age,
// biometric) are never chosen without one (age and blob-valued biometric
// columns need 0.5 with it); health and religion values without a hint
// need 0.9. Under a health, biometric or
// religion hint, any non-placeholder value counts (r = share of such
// values, quality 0.5). The eligible class with the highest score wins;
// ties go to the order above (resident ID before USCC before bank card
// before mobile before phone …).
//
// Confidence is the same formula over all values instead of the sample,
// capped at 0.99 (none columns report 0); ValidRatio is the share of
// non-empty values the chosen validator accepts (weak matches included). A none column's Reason names
// the best rejected candidate and any contradicting name hint, which Run
// also turns into a warning.
//
// # Counting individuals
//
// A row's person is identified by its strongest valid identifier, in the
// order cn_resident_id, passport, hk_id, us_ssn, cn_mobile, phone, email,
// bank_card, iban (one per person first; people hold several cards), or
// by the column Options.IdentityKey names (which every table must have;
// rows with an empty key are not counted, with a warning). Identifiers are
// normalised (upper case, separators and prefixes dropped, 15-digit
// resident IDs converted to 18 digits, e-mail lower-cased) and prefixed
// with a tag per kind. A row without a valid identifier is identified by
// the combination of its personal values; a table with personal columns
// but no identifier column is counted that way with a warning. Tables
// identifying persons by different kinds of identifier are counted
// separately, with a warning: the result errs towards over-counting.
//
// The tagged identifier is hashed with SipHash-2-4 under a 128-bit key
// drawn from crypto/rand for each run, to 64 bits. Hashes, each with flag
// bits (sensitive, minor, US categories), are appended to a buffer; a full
// buffer is radix-sorted and de-duplicated (flags OR-ed), and when still
// more than half full is written to a temporary file as a sorted run.
// The runs are merged k-way (64 at a time) at the end. Counting is exact
// but for hash collisions: with n distinct identifiers the chance that any
// two share a hash is at most n²/2^65 — 2.7·10⁻⁶ for ten million, 2.7·10⁻⁴
// for a hundred million — and a collision under-counts by one. Memory is
// bounded by Options.MemoryBudget (18 bytes per buffered entry, including
// sort scratch); spilled runs hold keyed hashes only and are removed when
// Run returns.
//
// Batches are validated by Options.Workers goroutines; per-worker column
// tallies are merged at the end, hashes go to one collector goroutine.
package classify
