// Package statuslist implements W3C Bitstring Status List v1.0 (W3C
// Recommendation, 2025-05-15): the issuer side that allocates status indexes,
// revokes and suspends credentials and publishes signed status list
// credentials, and the verifier side that fetches, verifies, caches and reads
// them.
//
// # Formats
//
// A status list is a bitstring of at least MinEntries (131,072) one-bit
// entries, 16 KiB. Index 0 is the left-most, most significant bit of the first
// byte. Its encodedList is multibase base64url without padding ("u" prefix) of
// the GZIP-compressed bitstring; the specification's example list decodes to
// 131,072 zero bits, which a test checks.
//
// A credential points at its bit with a BitstringStatusListEntry (Entry):
//
//	{"id": "https://issuer.example/status/rev-1#94567",
//	 "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
//	 "statusListIndex": "94567",
//	 "statusListCredential": "https://issuer.example/status/rev-1"}
//
// The list itself is published as a BitstringStatusListCredential (see
// BuildCredential) whose id is the list's URL and whose credentialSubject
// (id URL#list, type BitstringStatusList) carries statusPurpose, encodedList
// and an optional ttl in milliseconds, with validFrom and validUntil. It lists
// only the VCDM 2.0 context, which defines every status list term. It is
// secured with package vc: a Data Integrity proof (eddsa-rdfc-2022 for Ed25519,
// ecdsa-rdfc-2019 for P-256, or a registered suite such as an SM2 one) or as a
// vc+jwt.
//
// # Issuer side
//
// Store keeps lists in a directory: lists/ID.json per list, written atomically
// (temporary file, fsync, rename; mode 0600), holding
//
//	{"format": "xborder-statuslist/1", "id", "url", "purpose", "size",
//	 "revision", "created", "updated",
//	 "status": encodedList of the status bits,
//	 "allocation": encodedList of the indexes handed out}
//
// Allocate hands out a free index chosen at random (crypto/rand), as the
// specification's privacy considerations advise: with sequential indexes the
// position in the list would reveal the order, and so roughly the time, of
// issuance, and neighbouring indexes would link credentials issued together.
// Set sets a bit (revoke on a revocation list, suspend on a suspension list);
// Clear lifts a suspension. Revocation is final: clearing a set bit of a
// revocation list fails with CodeRevocationPermanent. Only allocated indexes
// can be changed (CodeNotAllocated), so a mistyped index cannot silently
// revoke nothing. Every change increments the list's revision.
//
// Publisher signs a list's credential on demand, re-signing when the list
// changed or half of the validity period (DefaultValidFor, 24 h) has passed,
// and serves it as an http.Handler: GET and HEAD, the request path matched
// unchanged against the path of each list's URL (mount it at the lists' path
// prefix, not behind http.StripPrefix), media type application/vc or
// application/vc+jwt, Cache-Control max-age from the TTL.
//
// # Verifier side
//
// Checker.Check takes a decoded credential whose proofs already verified and,
// for each BitstringStatusListEntry: validates the entry; fetches the status
// list credential through a Fetcher (HTTPFetcher: https only unless
// AllowHTTP, redirects included; a timeout; a 1 MiB body bound; with
// DenyPrivateAddresses, no connections to loopback or private addresses, since
// the URL is chosen by whoever presents the credential); concurrent checks of
// one list share one fetch; verifies it with
// vc.Processor.Verify or VerifyJWT with RequireIssuerKey, at the Checker's
// clock (so an expired or not-yet-valid list fails); requires its id to be
// the URL it came from (a server cannot substitute another list of the same
// issuer), its type and its subject's type, its issuer to be the credential's
// issuer and its statusPurpose to be the entry's; decompresses the list with a
// 16 MiB bound (a GZIP bomb stops there); requires at least MinEntries
// entries (STATUS_LIST_LENGTH_ERROR) and the index inside the list
// (RANGE_ERROR); and reads statusSize bits (1 to 8). Verified lists are cached
// by URL for CacheTTL, shortened by the list's ttl and validUntil, with an
// injectable clock. Entries of any other type fail: a verifier that skipped
// status mechanisms it does not know would accept revoked credentials.
//
// # Error codes
//
// Every error is an *Error with a stable Code. Verifier side:
// status_unreachable (fetch failed: transport, timeout, non-200),
// status_invalid (a malformed entry, an unverifiable, expired, inconsistent,
// too short or oversized list: the specification's STATUS_VERIFICATION_ERROR,
// STATUS_LIST_LENGTH_ERROR, RANGE_ERROR and MALFORMED_VALUE_ERROR), revoked
// and suspended; Check reports revoked before suspended before the first
// other failure. The vc code of a failing list credential stays in the chain
// (vc.CodeOf). Issuer side: not_found, exists, range, not_allocated,
// revocation_permanent, list_full, invalid_argument, internal.
//
// # Privacy notes
//
// Herd privacy comes from the list size: a verifier (and the host serving the
// list) learns only that the credential is one of the list's entries, so
// lists must not be created per holder or per small group, and must be
// fetched whole (this package never asks for single bits). The list's host
// still sees which verifiers fetch the list and when; caching (and, for a
// connector, fetching through its own node) reduces that signal. Random
// allocation keeps the index from leaking issuance order. A status list
// reveals how many of its entries are revoked or suspended; this package does
// not obscure that count.
//
// # Freshness
//
// A captured copy of a list from before a revocation stays verifiable until
// its validUntil; keep ValidFor short (hours) where revocation must propagate
// quickly, and the verifier's cache TTL no longer than the issuer's ttl.
//
// The package has no global mutable state and does no logging.
package statuslist
