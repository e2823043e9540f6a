// Package mask desensitises rows on their way out (seed white paper
// §2.2.4, 数据脱敏): field minimisation and dynamic masking under one
// agreement. The connector streams a dataset through it while
// transferring: only the columns the agreement allows leave, and those
// leave masked, pseudonymised or generalised as its policy says.
//
// # Use
//
// [Parse] reads a [Policy] (JSON; [Propose] drafts one from
// internal/classify's column classes for a compliance officer to review).
// [DeriveKey] derives the agreement's pseudonymisation [Key] from a
// per-agreement secret. [New] compiles the two into a [Masker], which is
// immutable and safe for concurrent use. Then either stream
// ([Masker.CopyCSV], [Masker.CopyJSONL]: io.Reader to io.Writer, constant
// memory, no allocation per row) or bind a header ([Masker.Bind]) and
// transform rows of strings ([Table.Row]: one allocation per row, none
// for rows whose values are all kept).
//
// The output depends only on the policy, the key and the input: the same
// three always give the same bytes.
//
// # Policy
//
//	{
//	  "version": 1,
//	  "default": {"action": "drop"},
//	  "columns": [
//	    {"name": "订单号", "action": "keep"},
//	    {"name": "姓名", "action": "mask", "class": "person_name"},
//	    {"name": "身份证号", "action": "pseudonymise", "class": "cn_resident_id", "prefix": "pid_", "length": 20},
//	    {"name": "手机号", "action": "mask", "class": "cn_mobile"},
//	    {"name": "出生日期", "action": "generalise", "kind": "date", "granularity": "month"},
//	    {"name": "年龄", "action": "generalise", "kind": "number", "bounds": [14, 18, 30, 45, 65]},
//	    {"name": "备注", "action": "drop"}
//	  ]
//	}
//
// Columns are matched by exact name. A column the policy does not name
// gets the default rule, which is drop when absent: deny by default.
// Parsing is strict; see [Parse] and the fields of [Rule].
//
// # Actions: what each protects against, and what it does not
//
// keep sends the value as it is. Use it only for columns the purpose
// needs and that identify nobody alone; combinations of kept columns
// (postcode, birth date, sex) can still single a person out.
//
// drop removes the column (field minimisation, PIPL art 6, GDPR art
// 5(1)(c)). It is the only action that protects fully: what is not sent
// cannot leak. Prefer it to every other action when the purpose can do
// without the column.
//
// mask replaces part of a value with a mask character, keeping a
// class-specific part for display and checking:
//
//	cn_mobile       13812345678          → 138****5678       (first 3, last 4)
//	cn_resident_id  440305199001011234   → 440305********1234 (first 6, last 4)
//	bank_card       6222 0212 3456 7890  → ************7890  (last 4)
//	email           zhangsan@example.com → z***@example.com  (first character, domain)
//	person_name     张三丰 / John Smith   → 张** / J*** *****  (surname's first character; initial)
//	address         广东省深圳市南山区科技园路1号 → 广东省深圳市南山区******
//	birth_date      1990-05-17           → 1990-**-**
//	ip_address      192.168.10.20        → 192.168.*.*
//	generic         keep_first/keep_last characters (0 and 0: all masked)
//
// Number classes are normalised first (separators, +86 and full-width
// digits removed), so the output is the canonical digits. A value without
// its class's shape (a mobile column holding "n/a", a 17-digit "ID") is
// masked whole, one mask character per character, never passed through;
// so is a value whose kept ends would leave fewer than max(2, ⌈n/3⌉) of
// its n characters hidden. The hidden part keeps its length except in
// e-mail addresses (always three), which tells something (a two-character
// name). Masking protects against casual reading, screenshots and logs.
// It does not anonymise: the kept parts (birth region and year of a
// resident ID, a mobile's prefix and last four digits, an e-mail domain,
// a district) are quasi-identifiers, and together with other columns
// they may identify a person or link the rows to another dataset. Masked
// data of persons is still personal information.
//
// pseudonymise replaces a value by a keyed token, "ps_" followed by 16
// base32 characters (80 bits) by default: HMAC-SHA256 (suite intl) or
// HMAC-SM3 (suite gm) under the agreement's key, over the rule's domain
// and the value normalised for its class. Equal values give equal tokens
// within an agreement (and domain), so the recipient can join tables and
// count persons; the tokens of two agreements cannot be linked to each
// other, since their keys are independent. Tokens are one-way: without
// the key nobody, the recipient included, can compute a token from a
// guessed value or turn a token back into a value; there is no
// de-tokenisation table. Alphabet "digits" gives numeric tokens (10–40
// digits) for columns that must stay numeric; a digit token can pass a
// check-digit test by chance (one in ten for Luhn), so keep a prefix
// unless the recipient's schema forbids one. What pseudonymisation does
// not do: it does not anonymise. Pseudonymised data is still personal
// data (GDPR recital 26, art 4(5); PIPL art 73 distinguishes
// de-identified from anonymised information): the provider, holding the
// key, can re-identify every row, and the recipient can still link all
// rows of one person and single them out by the other columns. The key
// holder can confirm a guess (is this token 13800138000?): keep the secret
// with the provider, never with the recipient. Collisions are possible
// but rare: among n distinct values, about n²/2^(5·length+1) pairs share
// a token (n = 10⁸ at length 16: 4·10⁻⁹).
//
// hash is not offered. An unkeyed hash (SHA-256, SM3, MD5) of a mobile
// number, ID number, card number or name is reversed by anyone by hashing
// every candidate: there are about 10⁹ PRC mobile numbers and fewer than
// 10¹¹ plausible resident IDs, both enumerated in minutes on one GPU.
// Salting with a published salt changes nothing. Only a secret key
// (pseudonymise) prevents that. A policy asking for "hash" is an error.
//
// generalise coarsens a value: dates to year ("1990"), quarter
// ("1990-Q2") or month ("1990-05"); timestamps also to day ("2024-05-01")
// or hour ("2024-05-01T13:00+08:00", in the offset as written); numbers to
// bands of a width ("[30,40)") or between bounds ("<18", "[18,65)",
// ">=65"); coordinates rounded to 0–4 decimals (2 decimals, the default,
// is about 1.1 km; internal/classify counts 3 decimals, about 111 m, as
// precise location); postal codes to their first characters ("100***").
// A value that does not parse becomes one mask character. It protects
// against exact matching on the generalised attribute; it does not bound
// re-identification by itself: the granularity must fit the population
// (a month of birth in a village is identifying, in a province it is not),
// and several generalised columns together can still single a person out.
// It gives no k-anonymity guarantee: checking group sizes is a review of
// the result, not something a row-by-row transformation can do.
//
// redact writes a constant ("***" by default) and null writes an empty
// value (JSON null). Both hide the value completely but keep the column
// and show which rows had one (an empty value stays empty under mask,
// pseudonymise and generalise too).
//
// # Key
//
// [DeriveKey] takes the suite name ("intl" or "gm"), the agreement's
// secret (at least 16 random bytes, kept by the provider) and the
// agreement ID, and derives 32 bytes with HKDF-SHA256 or HKDF-SM3 (info
// "xborder mask v1 pseudonym key" || 0x00 || agreement ID). Rotating the
// secret or the agreement changes every token.
//
// # Streams
//
// [Masker.CopyCSV] and [Masker.CopyJSONL] parse strictly and write whole
// rows only. A malformed row (wrong field count, bad quoting, invalid
// UTF-8, over-long record) stops the copy with a [*RowError] naming its
// row and line but no value; dst then holds exactly the header and the
// rows before it, each complete. Memory is bounded by the longest record
// (MaxRecordBytes, 16 MiB by default) plus a 64 KiB read buffer and a
// 64 KiB write buffer. A progress callback reports rows and bytes.
package mask
