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
//   - xborder's SM2/SM3 suite, xborder-sm2-rdfc-2025, for the gm algorithm
//     suite (WithSM2; see "The SM2 cryptosuite" below). Further RDFC-based
//     suites plug in with WithCryptosuite; nothing else changes.
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
//   - Verifiable presentations (VCDM 2.0 §4.13; see "Presentations"):
//     SignPresentation / VerifyPresentation with Data Integrity, and
//     SignPresentationJWT / VerifyPresentationJWT as vp+jwt, holding
//     Data Integrity credentials and EnvelopedVerifiableCredential entries
//     carrying a vc+jwt; holder binding, challenge and domain, freshness,
//     expiry and replay protection through a NonceStore.
//   - vc+jwt (VC-JOSE-COSE, SignJWT / VerifyJWT): a compact JWS with alg
//     EdDSA or ES256 (internal/jws; go-jose checks it in the tests), typ "vc+jwt", cty "vc", kid resolved through
//     the KeyResolver, and the credential itself as payload (no "vc"/"vp"
//     claims; "iss", when present, must name the issuer; exp/nbf, when
//     present, are checked). A vc+jwt needs no JSON-LD processing, so its
//     contexts are not required to be pinned; the VCDM 2.0 required
//     properties are checked all the same.
//
// Not here: Bitstring Status List and the trust registry (packages
// statuslist and trust), SD-JWT and COSE, EnvelopedVerifiablePresentation,
// eddsa-jcs-2022 / ecdsa-jcs-2019, ecdsa-sd-2023, bbs-2023, and the legacy
// Ed25519Signature2020.
//
// # The SM2 cryptosuite
//
// No SM2 cryptosuite is registered with the W3C (nor a JOSE or COSE
// algorithm), so xborder defines its own, private one. It is the
// eddsa-rdfc-2022 construction with the GM primitives of GB/T 32905 (SM3)
// and GB/T 32918.2 (SM2):
//
//	proof.type          "DataIntegrityProof"
//	proof.cryptosuite   "xborder-sm2-rdfc-2025" (SM2RDFC2025)
//	verificationMethod  an SM2 public key: a did:key with the draft sm2-pub
//	                    multicodec 0x1206 over the 33-byte compressed point,
//	                    or any method the KeyResolver maps to suite.SM2
//	transformation      RDFC-1.0 (with SHA-256 inside RDFC-1.0 itself, as for
//	                    eddsa-rdfc-2022) of the unsecured document, and of
//	                    the proof configuration (the proof without
//	                    proofValue, with the document's @context)
//	hashData            SM3(canonical proof configuration) ||
//	                    SM3(canonical document): 64 bytes
//	signature           SM2 over hashData as GB/T 32918.2 prescribes:
//	                    e = SM3(Z || hashData), where
//	                    Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA),
//	                    ID = "1234567812345678" (GM/T 0009 default, ENTL 0x0080)
//	                    and (xA, yA) the signer's public key; r || s, 32
//	                    bytes each, big-endian (64 bytes, not ASN.1 DER)
//	proofValue          multibase base58btc: "z" + base58btc(r || s)
//
// So hashing is done twice, deliberately: once by the suite (as every Data
// Integrity suite hashes the two canonical forms) and once inside SM2, with
// Z, exactly as suite.Signer with alg sm2 and any GM/T 0003 library do;
// a verifier needs nothing beyond a standard SM2 verify with the default
// UID over the 64 bytes of hashData. Proof purpose, created, expires,
// domain, challenge, id and previousProof behave as in every Data Integrity
// proof. The name carries the "xborder-" prefix and a year so that it
// cannot collide with a future registered suite, and it is not Instun's
// "sm2-2023": that suite hashes with SHA-256 where this one uses SM3.
//
// The suite is not built in: New(WithSM2()) registers it. A Processor
// without it behaves like a verifier outside xborder, which is what the
// gm-suite interoperability rule relies on: the issuer signs with an
// intl suite (eddsa-rdfc-2022 or ecdsa-rdfc-2019), then AddProof adds the
// SM2 proof to the proof set as a parallel signature (not chained:
// both sign the same unsecured credential, neither covers the other). An
// SM2-aware verifier checks both; a foreign one passes
// VerifyOptions.SkipUnsupported and verifies on the intl proof. Any change
// to the credential breaks both proofs. A verifier that skips the SM2
// proof does not check it, so a damaged SM2 proof beside an intact intl one
// passes there and fails with bad_signature at an SM2-aware verifier.
//
// # Presentations
//
// SignPresentation adds a Data Integrity proof (any registered suite,
// SM2 included) with proofPurpose "authentication", the verifier's nonce as
// challenge and its audience as domain; VerifyPresentation checks, in this
// order: the options (Challenge and Domain are required, internal
// otherwise), bounds and JSON, pinned contexts, the presentation (first
// @context, type VerifiablePresentation, holder a URL, each
// verifiableCredential an object, an enveloped one with a data: URL id),
// the proof set (type and suite, purpose authentication, expires, domain,
// challenge, data loss, key through PresentationOptions.HolderResolver,
// signature), holder binding (a presentation naming a holder must be
// signed by a key of that holder, "did:x:y#k" for "did:x:y"; with
// RequireHolderKey one without a holder fails), freshness (created within
// MaxAge, default five minutes, and not beyond ClockSkew in the future),
// each credential with the credential rules (Data Integrity, or an
// EnvelopedVerifiableCredential whose id is "data:application/vc+jwt,"
// followed by the compact JWS; RequireIssuerKey and SkipUnsupported as
// given), the optional subject binding (RequireSubjectHolder: some
// credentialSubject id is the holder), and last the NonceStore: the
// challenge is spent only once the presentation has verified, so a forged
// presentation cannot use up a genuine nonce. The store keeps the record
// until created + MaxAge or the proof's expires, whichever is first.
// MemoryNonceStore is a bounded in-process store; a cluster needs a shared
// one. A failing credential is reported with its own code and its index.
//
// A vp+jwt (SignPresentationJWT / VerifyPresentationJWT) is a compact JWS
// with typ "vp+jwt", cty "vp", the holder's kid, and the presentation itself
// as payload plus the claims nonce (the challenge), aud (the audience: a
// string or an array), iat (checked against MaxAge) and optionally exp;
// iss, when present, must be the holder, and the kid must be the holder's.
// The rest is as for Data Integrity presentations.
//
// Package identity's Resolver.ResolveKey accepts only assertionMethod
// keys, the relationship for issuing credentials; KeysFor(r,
// identity.Authentication) is the HolderResolver that accepts a holder's
// authentication keys.
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
// JSON-LD 1.1 expansion is internal/jsonld, which returns what
// github.com/piprate/json-gold returns with every processed context cached,
// and falls back to json-gold for the few features it leaves out (a
// document using @reverse). In one place it follows the W3C algorithm and
// jsonld.js instead of json-gold: the credentials embedded in a
// presentation (verifiableCredential, an @graph container) are each put in
// a named graph, so presentation proofs interoperate with the JavaScript VC
// stack (json-gold would sign them in the presentation's own graph; a
// presentation that uses @reverse still gets json-gold's reading, through
// the fallback). Conversion of the
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
// expired, not_yet_valid, issuer_mismatch, holder_mismatch, replayed, and
// internal (a bug, a cancelled context, or a
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
