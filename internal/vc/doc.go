// Package vc issues and verifies W3C Verifiable Credentials (VC Data Model
// 2.0) secured with Data Integrity proofs.
//
// # Supported
//
//   - Proof type DataIntegrityProof with the cryptosuites eddsa-rdfc-2022
//     (Ed25519) and ecdsa-rdfc-2019 (ECDSA P-256, SHA-256; P-384 is not
//     offered because the suite package has no P-384 key), both over RDFC-1.0
//     canonical N-Quads. hashData is H(canonical proof configuration) ||
//     H(canonical document); Ed25519 signs those 64 bytes directly, the
//     P-256 signer of package suite hashes them once more with SHA-256 as
//     ECDSA prescribes, and the signature is r||s. proofValue is multibase
//     base58btc ("z…").
//   - Further RDFC-based suites (the planned SM2/SM3 one) plug in with
//     WithCryptosuite; nothing else changes.
//   - Proof sets (proof is an array; every proof must verify) and proof
//     chains (previousProof: the chained proofs are part of what is signed),
//     checked against the published vc-di-eddsa proof-set and chain vectors.
//     VerifyOptions.SkipUnsupported lets a verifier that lacks one suite
//     accept a credential on the proofs it can check, for example an intl
//     proof beside an SM2 one.
//   - Verification: bounds (MaxDocumentSize, MaxDepth), pinned contexts,
//     VCDM 2.0 required properties (@context starting with
//     https://www.w3.org/ns/credentials/v2, type including
//     VerifiableCredential, issuer as a URL or an object with an id,
//     credentialSubject), data loss, each proof's purpose, domain,
//     challenge, created/expires, key and signature, and last validFrom /
//     validUntil against VerifyOptions.Now (injectable clock).
//   - vc+jwt (VC-JOSE-COSE, SignJWT / VerifyJWT): a compact JWS with alg
//     EdDSA or ES256 (go-jose), typ "vc+jwt", cty "vc", kid resolved through
//     the KeyResolver, and the credential itself as payload (no "vc"/"vp"
//     claims; "iss", when present, must name the issuer; exp/nbf, when
//     present, are checked). A vc+jwt needs no JSON-LD processing, so its
//     contexts are not required to be pinned; the VCDM 2.0 required
//     properties are checked all the same.
//
// Not yet here: presentations (holder binding, nonce, audience),
// Bitstring Status List, the trust registry, SD-JWT and COSE,
// eddsa-jcs-2022 / ecdsa-jcs-2019, ecdsa-sd-2023, bbs-2023, and the legacy
// Ed25519Signature2020.
//
// # Pinned contexts
//
// The JSON-LD contexts are byte-exact copies embedded with go:embed from
// contexts/, with the upstream index.json (URL, file, SHA-256, provenance,
// licence) and the licence texts. NewLoader checks every file's SHA-256
// against the index. The Loader serves only those URLs, exactly as
// written, each time as a fresh copy, and never reads the network or the
// file system. Any other URL, and any inline (object) context, is refused
// with CodeUnknownContext before JSON-LD processing starts: a document
// cannot define terms no one reviewed. See PinnedContexts for the list.
//
// # Canonicalisation
//
// JSON-LD 1.1 expansion is github.com/piprate/json-gold (processed
// top-level contexts are cached per Processor). Conversion of the
// expanded form to RDF and RDF Dataset Canonicalization (RDFC-1.0) are
// implemented here: json-gold's URDNA2015 has no work-factor limit (a
// document with enough identical nested objects without ids takes
// exponential time in the permutations of Hash N-Degree Quads), it is
// SHA-256 only, and escapes control characters differently from
// RDFC-1.0. This implementation passes all 65 evaluation tests of the W3C
// rdf-canon suite (including SHA-384 and the poison-graph negative test)
// and stops after DefaultRDFCWorkLimit units of Hash N-Degree Quads work
// (CodeMalformed), checking the context as it goes.
//
// # The data-loss rule
//
// Data Integrity 1.0 requires an error when JSON-LD processing would drop
// data. Here the document fails with CodeDataLoss when:
//   - a property does not expand to an absolute IRI (json-gold safe mode:
//     an undefined term, or a keyword-like "@foo" key);
//   - a type, node @id, datatype or graph name is not an absolute IRI (for
//     example an undefined type name or a relative id), or a predicate is
//     a blank node;
//   - a language tag is not well formed, or a value carries @direction or is
//     an @json literal (neither survives this RDF conversion).
//
// Absolute means a scheme, ":" and no white space or characters an N-Quads
// IRI cannot hold; a document with a null value (which JSON-LD defines as
// "no value") is not data loss.
//
// # Error codes
//
// Every failure is an *Error whose Code is one of: malformed,
// unknown_context, data_loss, bad_signature, unsupported_cryptosuite,
// key_resolution, purpose_mismatch, domain_mismatch, challenge_mismatch,
// expired, not_yet_valid, and internal (a bug, a cancelled context, or a
// failing signer, never the document's fault). CodeOf extracts the code;
// errors.Is(err, &Error{Code: c}) matches it. When several things are
// wrong, the order of checks decides the code: shape and bounds, contexts,
// required properties, data loss in the document, then per proof (type and
// suite, proofValue, purpose, created/expires, domain, challenge, data loss
// in the proof, key, signature), and only then the validity period, so an
// unverified date is never reported as the reason.
//
// # Keys
//
// Verification methods are resolved through KeyResolver (package identity
// provides did:key and did:web); the resolver is also where a caller checks
// that the method is authorised for the purpose (for example listed under
// the DID document's assertionMethod). Signing uses a suite.Signer.
package vc
