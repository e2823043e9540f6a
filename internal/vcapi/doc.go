// Package vcapi serves the W3C VC-API (VCALM) endpoints a connector mounts:
// issuing and verifying credentials, verifying presentations with
// single-use challenges, the Bitstring Status List credentials of its
// issuers and its did:web documents. It is an HTTP layer over packages vc,
// identity, statuslist and trust; it authenticates no one (see
// Config.Authorize), keeps no global mutable state and does no logging.
//
// New(Config) builds a Server; Server.Handler returns an http.Handler whose
// routes use Go 1.22 method patterns, so another method on a known path is
// 405 and an unknown path 404.
//
// # Requests
//
// Every POST body must be Content-Type application/json (parameters such
// as charset allowed; otherwise 415 unsupported_media_type) and at most
// Config.MaxBody bytes (default 1 MiB; otherwise 413 too_large). The
// request object and its options are decoded strictly: an unknown member,
// a wrong type, trailing data or a missing required member is 400
// bad_request. Members that carry documents (credential,
// verifiableCredential, verifiablePresentation) are passed on unchanged to
// package vc, which checks them.
//
// # Endpoints
//
// POST /credentials/issue (mounted when Config.Issuers is not empty)
//
//	{"credential": {…unsigned VCDM 2.0 credential…},
//	 "options": {"type": "DataIntegrityProof" | "vc+jwt",
//	             "proofFormat": same as type ("ldp", "jwt" accepted),
//	             "cryptosuite": "eddsa-rdfc-2022" | "ecdsa-rdfc-2019" | "xborder-sm2-rdfc-2025",
//	             "credentialId": id to set when the credential has none,
//	             "mandatoryPointers": must be empty}}
//
// The credential's issuer (a URL or an object with an id) must be a key of
// Config.Issuers, else 400 unknown_issuer; a credential that already has a
// proof is 400 bad_request. The cryptosuite selects the
// issuer's key of that algorithm (400 unsupported_cryptosuite when it has
// none); without one the issuer's first key and Issuer.Format decide.
// validFrom is added (now, UTC, seconds) when absent. An issuer with status
// lists gets one BitstringStatusListEntry per list allocated and added when
// the credential has no credentialStatus; a credentialStatus sent by the
// caller must be well-formed (400 bad_request). Issuer.CoSignSM2 adds an SM2
// proof beside the intl one. Success is 201
//
//	{"verifiableCredential": {…credential with proof…}}
//
// or, for vc+jwt, an EnvelopedVerifiableCredential
//
//	{"verifiableCredential": {"@context": "https://www.w3.org/ns/credentials/v2",
//	  "id": "data:application/vc+jwt,<compact JWS>",
//	  "type": "EnvelopedVerifiableCredential"}}
//
// A credential package vc refuses to sign fails with vc's code (malformed,
// unknown_context, data_loss: 400).
//
// POST /credentials/verify
//
//	{"verifiableCredential": {…with proof…} | {EnvelopedVerifiableCredential} | "<compact JWS>",
//	 "options": {"checks": ["proof", "credentialStatus", "validity", "issuerTrust"],
//	             "challenge": …, "domain": …, "expectedProofPurpose": …}}
//
// The credential is verified with vc.Processor.Verify (Data Integrity) or
// VerifyJWT (vc+jwt) with RequireIssuerKey on, then its credentialStatus
// through Config.Status (a *statuslist.Checker; without one a credential
// that has a credentialStatus fails with status_unchecked), then its issuer
// through Config.Trust (a *trust.Registry) in Config.Jurisdiction. checks
// only has to name known checks: proofs and validity are always checked,
// and status whenever the credential has one. The answer is
//
//	200 {"verified": true, "checks": ["proof", "validity", …],
//	     "warnings": [], "errors": [], "issuer": "…", "trustAnchors": [...]}
//	400 {"verified": false, "checks": [...passed before the failure...],
//	     "warnings": [], "errors": [{"code": "bad_signature", "message": "…"}],
//	     "problemDetails": [{"type": "https://xborder.dev/problems/bad_signature",
//	                         "code": "bad_signature", "title": "…", "detail": "…"}]}
//
// with 500 (code internal) only for failures that are not the document's
// fault. The W3C test suites read only the status: 2xx valid, 4xx refused.
//
// POST /challenges
//
// Any body (at most 1 KiB, not read) → 201 {"challenge": "<43 base64url
// characters, 256 random bits>", "expires": "<RFC 3339>"}. The server
// remembers each challenge for Config.ChallengeTTL (default five minutes),
// at most Config.MaxChallenges (default 100,000) at a time: when full and
// none has expired, 503 unavailable. The endpoint is unauthenticated unless
// Authorize says otherwise; mount it behind rate limiting.
//
// POST /presentations/verify
//
//	{"verifiablePresentation": {…with proof…} | {EnvelopedVerifiablePresentation
//	   with id "data:application/vp+jwt,<JWS>"} | "<compact JWS>",
//	 "options": {"challenge": "…" (required), "domain": "…"}}
//
// The challenge must be one POST /challenges handed out and not expired
// (400 unknown_challenge), unless Config.AcceptForeignChallenges. The
// domain defaults to Config.Audience and, when an audience is configured,
// must be it (400 domain_mismatch). The presentation is verified with
// vc.Processor.VerifyPresentation or VerifyPresentationJWT: holder keys
// through the holder's authentication relationship, challenge, domain,
// freshness (Config.PresentationMaxAge), holder binding
// (Config.RequireHolderBinding), every embedded credential with
// RequireIssuerKey; then status and trust of each credential as above.
// The challenge is spent in Config.Nonces only when the presentation
// verified, so a second use is 400 replayed and a forged presentation
// cannot burn a genuine challenge. The answer has the shape of
// /credentials/verify with "holder" and the checks "presentationProof",
// "challenge" and "domain"; an error caused by an embedded credential
// carries its "index".
//
// GET Config.StatusListPath (default "/status/"), when Config.StatusLists
// is set: the status list credentials of a *statuslist.Publisher
// (application/vc or application/vc+jwt; HEAD too).
//
// GET /.well-known/did.json and GET under each of Config.DIDPaths, when
// Config.DIDs is set: the node's did:web documents (an *identity.Handler).
//
// # Errors
//
// One function (describe) maps every code to its HTTP status and fixed
// message. Errors other than a failed verification are served as
// application/problem+json:
//
//	{"type": "https://xborder.dev/problems/<code>", "title": "<fixed text>",
//	 "status": 400, "code": "<code>", "message": "<fixed text>"}
//
// Codes of this package: bad_request (400), too_large (413),
// unsupported_media_type (415), unknown_issuer (400), unknown_challenge
// (400), status_unchecked (400), forbidden (403), unavailable (503),
// internal (500). Codes of package vc pass through unchanged, all 400:
// malformed, unknown_context, data_loss, bad_signature,
// unsupported_cryptosuite, key_resolution, purpose_mismatch,
// domain_mismatch, challenge_mismatch, expired, not_yet_valid,
// issuer_mismatch, holder_mismatch, replayed (vc's internal is 500). So do
// those of package statuslist (revoked, suspended, status_invalid,
// status_unreachable: 400) and trust (untrusted_issuer, stale_registry:
// 400). When a status list credential fails to verify, the status code is
// reported, not the list's vc code.
//
// Messages are fixed per code (or per check of this package) and never
// contain request data: no identifiers, claims, member names or values of
// the request appear in a response body, so a response can be logged by
// the caller without leaking the credential's personal data. The wrapped
// cause (for the caller's own diagnostics) is in the Go error values of
// Server.Issue and of the Decode functions, never in HTTP bodies.
//
// # Headers
//
// Every JSON answer of this package carries Cache-Control: no-store and
// X-Content-Type-Options: nosniff.
package vcapi
