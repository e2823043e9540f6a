// Package trust implements xborder's trust registry: a signed, versioned
// list, in the manner of an eIDAS trusted list, of which issuers (DIDs) are
// trusted for which credential types in which jurisdictions, under which
// scheme, and when. A verifier accepts a credential's issuer only through a
// registry entry, and the Anchor it gets back (registry id and sequence,
// scheme, jurisdiction, entry name) is what a verification result names.
//
// # Registry format
//
// A registry (format "xborder-trust-registry/1") is JSON:
//
//	{"format": "xborder-trust-registry/1",
//	 "id": "https://registry.example/xborder/trusted-list",
//	 "operator": "did:web:registry.example",
//	 "scheme": "CN-EU cross-border data pilot",
//	 "sequence": 42,
//	 "issued": "2026-11-01T00:00:00Z", "nextUpdate": "2026-12-01T00:00:00Z",
//	 "entries": [
//	   {"name": "Shanghai Data Exchange CA", "issuer": "did:web:sh-ca.example.cn",
//	    "jurisdiction": "CN-SH", "credentialTypes": ["DataExportFiling"],
//	    "scheme": "CAC data export filing",
//	    "validFrom": "2026-01-01T00:00:00Z", "validUntil": "2027-01-01T00:00:00Z"}]}
//
// sequence grows with every published version (at most 2^53-1, so that it is
// exact in JSON); issued and nextUpdate bound when the version is current;
// jurisdiction is an upper-case ISO 3166-1 alpha-2 code ("EU" allowed)
// with an optional ISO 3166-2 subdivision; credentialTypes may hold "*" for
// every type; an entry's scheme overrides the registry's; validUntil is
// optional. Times are RFC 3339 UTC to the second with "Z". Members this
// format does not define are refused, not ignored: a trust decision must not
// depend on data a verifier skips.
//
// # Signature format
//
// The signed document is
//
//	{"registry": {…the registry…},
//	 "signatures": [{"protected": B64U(header), "signature": B64U(sig)}, …]}
//
// Each signature is a JWS (RFC 7515) in the general JSON serialization with a
// detached payload (RFC 7515 Appendix F): the payload is the JSON
// Canonicalization Scheme form (RFC 8785) of the "registry" member, and
//
//	sig = Sign(ASCII(B64U(header) || "." || B64U(JCS(registry))))
//
// with header {"alg", "kid", "typ": "xborder-trust-registry+jcs"} and no other
// member (no crit, b64, jku, x5u, jwk: keys never come from the document).
// alg is EdDSA (Ed25519) or ES256 (P-256, r||s) — a JOSE library verifies
// these after re-attaching the canonical payload, as a test does with go-jose
// — or SM2SM3, xborder's private name for SM2 with SM3 and the default user
// ID 1234567812345678 (GB/T 32918.2, GM/T 0009), r||s, because no JOSE
// algorithm for SM2 is registered. Because the payload is canonicalised, the
// registry can be pretty-printed or reordered without breaking signatures.
// Several signatures may sit side by side (an intl key and an SM2 key, or the
// keys of several operators); VerifyOptions.Threshold says how many distinct
// trusted keys must have signed, signatures by unknown key ids are ignored,
// and any failing signature by a trusted key fails the whole document.
//
// # Verifying and loading
//
// Verify parses strictly (valid UTF-8, no duplicate members, bounded size and
// nesting), checks the signatures against the pinned operator keys, decodes
// the registry from exactly the canonical bytes that were signed and checks
// that writing it back yields the same bytes, checks the expected registry id
// and that the registry is current: issued no later than now plus a clock skew
// and now not after nextUpdate (else stale_registry). Load adds rollback
// protection through a HighWater store (FileHighWater keeps marks in a JSON
// file, written atomically): a sequence below the highest seen, or the same
// sequence with different content (equivocation), is refused with rollback;
// a higher sequence becomes the new mark, and only after every other check
// passed, so a forged document cannot raise the mark.
//
// Registry.Accept(issuer, types, jurisdiction, at) returns the first entry
// with that exact issuer DID and jurisdiction whose validity period holds at
// and which covers every type of the credential other than
// VerifiableCredential (or has "*"); otherwise untrusted_issuer. A registry
// past nextUpdate at that time gives stale_registry.
//
// # Threat model
//
// Protected against: a tampered or forged registry (signatures over the
// canonical form, strict parsing, no members outside the signature's reach);
// algorithm or key substitution (the key's algorithm is pinned with its id,
// keys never come from the document); substitution of another registry of the
// same operator (the expected id); replay of an older, validly signed
// registry that still trusted a since-removed issuer (the high-water mark,
// and nextUpdate bounds how long a verifier that has never seen a newer one
// can be fooled); equivocation by an operator showing different verifiers
// different lists under one sequence, as far as one verifier sees both;
// trust borrowed across types or jurisdictions (one entry must cover every
// asserted type, jurisdictions match exactly).
//
// Not protected against: a compromised operator key (rotate by pinning new
// keys; a Threshold above 1 across independent operators, say a Chinese and a
// European one, means one compromised key is not enough); a verifier whose
// clock is wrong; the loss or rollback of the high-water file itself (keep
// it with the node's other state); freeze attacks shorter than nextUpdate
// (a verifier can be kept on the current version until then; publish with
// short nextUpdate periods); and the question of whether an issuer deserves
// trust, which is the operator's governance, not this package's.
//
// The package has no global mutable state and does no logging.
package trust
