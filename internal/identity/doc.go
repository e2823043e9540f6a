// Package identity implements W3C Decentralized Identifiers (DID Core 1.0)
// for xborder: DID and DID URL syntax, DID documents, the did:key and
// did:web methods, a caching resolver, and the HTTP handler a node uses to
// publish its own did:web documents.
//
// # Identifiers
//
// [ParseDID] and [ParseDIDURL] implement the DID Core §3 ABNF; errors are
// [*ResolutionError] values whose [ErrorCode] is a DID Core / DID
// Resolution code (invalidDid, invalidDidUrl, notFound,
// representationNotSupported, methodNotSupported, internalError,
// invalidDidDocument) or a did:key key error (invalidPublicKey,
// invalidPublicKeyLength, invalidPublicKeyType, unsupportedPublicKeyType).
// [Code] extracts the code from any error.
//
// # Documents
//
// [Document] models DID Core §5: verification methods of type Multikey
// (publicKeyMultibase) or JsonWebKey (publicKeyJwk), the five verification
// relationships (references or embedded methods) and services whose
// serviceEndpoint is a URI, a map or a set. Unknown members are kept and
// written back. [ParseDocument] is strict: at most [MaxDocumentSize]
// bytes, no duplicate JSON member names, bounded counts, DID Core's
// required members and types, no private key material.
// [(*Document).VerificationMethod] dereferences "#key-1" style references
// under a relationship and [(*VerificationMethod).PublicKey] decodes the
// key as a [suite.Alg] and crypto.PublicKey. [(*Document).AddDataService]
// and [(*Document).AddCredentialService] add the Dataspace Protocol and
// Decentralized Claims Protocol service entries.
//
// # did:key
//
// [NewKeyDID] and [ParseKeyDID] follow the CCG did:key method v0.9:
// base58btc multibase over varint(multicodec) || key, with ed25519-pub
// (0xed), p256-pub (0x1200, compressed point) and sm2-pub (0x1206,
// compressed point). sm2-pub has only draft status in the multicodec table:
// SM2 did:keys are marked with Draft (and ResolutionMetadata.Draft) because
// other implementations may not accept them. X25519 keys are refused
// (invalidPublicKeyType): they cannot verify signatures. Expansion yields
// the spec's single-Multikey document; no X25519 keyAgreement key is
// derived.
//
// # did:web
//
// [WebURL] and [WebDIDFromURL] map between a did:web and its HTTPS URL as
// the did:web method specifies (port colon percent-encoded, no IP
// addresses). [WebMethod] fetches over HTTPS with the caller's
// *http.Client and the context's deadline, bounds the body, checks the
// media type and that the document's id is the DID. [Handler] serves a
// node's /.well-known/did.json and path DIDs (such as
// /datasets/{id}/did.json) from a [DocumentSource]; [Documents] is an
// in-memory one.
//
// # Resolution
//
// [Resolver] dispatches by method (key, web, and any added ones), caches
// did:web results in an LRU with a TTL and caches notFound for a shorter
// TTL (with an injectable clock), coalesces concurrent resolutions of one
// DID, bounds each with a timeout, and returns DID Core resolution
// metadata. The package has no global mutable state and does no logging.
package identity
