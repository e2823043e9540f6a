// Package transfer is the encrypted data plane of one transfer: a key per
// transfer, a chunked, integrity-protected and resumable stream format,
// HTTP pull and push guarded by short-lived bearer tokens, and the
// provider's registry of transfers, which the connector suspends, resumes
// and terminates.
//
// In the transfer walk of the architecture (agreement re-checked →
// minimisation and masking → encryption with a per-transfer key → chunked,
// integrity-protected, resumable stream → consumer verifies → completion →
// audit), this package starts with the masked plaintext (a [Source]) and
// ends with verified plaintext and the provider's signed [Receipt], which
// both sides can log. The cryptography is that of
// [github.com/xborder/xborder/internal/suite]: suite intl (X25519,
// HKDF-SHA256, AES-256-GCM, SHA-256, Ed25519 or ECDSA P-256) or gm (SM2
// ECDH, HKDF-SM3, SM4-GCM, SM3, SM2).
//
// # Keys
//
// The consumer makes an ephemeral key for the transfer ([NewConsumerKey]:
// X25519 for intl, SM2 ECDH for gm) and sends its public half with the
// transfer request. The provider ([NewKey], called by
// [Provider.Register]) makes its own ephemeral key of the same agreement,
// computes the shared secret Z, discards its ephemeral private key, and
// derives the transfer key
//
//	K    = KDF(IKM = Z, salt = "", info, L)
//	info = "xborder transfer v1 key" || 0x00 || suite || ka ||
//	       lp(transfer ID) || lp(agreement ID) || lp(provider DID) || lp(consumer DID) ||
//	       lp(consumer ephemeral public key) || lp(provider ephemeral public key)
//
// where KDF is the suite's (HKDF-SHA256 for intl; HKDF over SM3, as in RFC
// 8998, for gm), L is the AEAD key size (32 for AES-256, 16 for SM4),
// lp(x) is x's length as a 16-bit big-endian number followed by x, suite
// is 0x01 intl or 0x02 gm, and ka is 0x01 X25519, 0x02 P-256 ECDH or 0x03
// SM2 ECDH (the identifiers of the suite package's envelopes). Public keys
// are 32 bytes (X25519) or the 65-byte uncompressed point. The consumer
// derives the same K from the provider's ephemeral public key in the stream
// header. Both ephemeral keys are new for every transfer, so every
// transfer has a fresh key.
//
// Every stream of a transfer (each GET or POST, including each
// resumption) draws a 32-byte random salt, sent in its header, and
// encrypts its chunks under
//
//	Ks = KDF(IKM = K, salt = stream salt, info = "xborder transfer v1 stream", L)
//
// Chunk nonces come from chunk indices, so a resumed stream re-encrypts
// chunk k under the nonce it had before; that is safe only under a new
// key, because the source might not return identical bytes. K stays the
// transfer's key; Ks is never used for two streams.
//
// [Key] never prints or logs its secret (String, Format and LogValue
// redact it); this package logs no key material.
//
// # Stream format, version 1
//
// All integers are big-endian.
//
//	stream  = "XBTS" || 0x01 || record(H) || record(C)* || record(F) || record(T)
//	record  = type (1 byte) || length of body (uint32) || body
//
// A resumed stream starting at chunk s carries chunks s, s+1, … only; when
// the consumer lost nothing but the trailer it is record(H) || record(T).
//
// Header, type 'H' (0x48), at most 4,358 bytes of body:
//
//	suite (1) || ka (1) || sigalg (1) || flags (1) || chunk size (uint32) ||
//	size (uint64) || start (uint64) || salt (32) ||
//	lp(transfer ID) || lp(agreement ID) || lp(provider DID) || lp(consumer DID) ||
//	lp(consumer ephemeral public key) || lp(provider ephemeral public key) ||
//	signature (64)
//
// sigalg is 0x01 Ed25519, 0x02 ECDSA P-256 or 0x03 SM2, and must be in the
// suite; flags bit 0 says the size (in bytes of plaintext) is declared,
// else size is 0 and every other bit is 0; chunk size is between
// [MinChunkSize] and [MaxChunkSize] ([DefaultChunkSize], 1 MiB, unless
// configured); start is the index of the stream's first chunk; the
// identifiers are 1 to [MaxIDLength] bytes. The signature is the
// provider's (suite signer, raw 64 bytes) over
//
//	"xborder transfer v1 header" || 0x00 || "XBTS" || 0x01 || body without the signature
//
// Chunk, type 'C' (0x43), and final chunk, type 'F' (0x46): the AEAD
// ciphertext and 16-byte tag of plaintext chunk i, i counted from 0 over
// the whole transfer:
//
//	body  = AEAD-Seal(Ks, nonce_i, plaintext_i, aad_i)
//	nonce = 0x00000000 || uint64(i)                      (12 bytes)
//	aad   = lp(transfer ID) || uint64(i) || final        (final: 0x01 for 'F', else 0x00)
//
// Every chunk but the last holds exactly chunk size bytes of plaintext
// (body chunk size + 16); the last one, type 'F', holds 1 to chunk size
// bytes, or 0 when it is chunk 0 (the empty plaintext). A plaintext that
// is a multiple of the chunk size ends with a full 'F' chunk. With the
// size declared, the final chunk's index and length follow from it.
//
// Trailer, type 'T' (0x54), 112 bytes of body:
//
//	chunks (uint64) || size (uint64) || digest (32) || signature (64)
//
// chunks and size count the whole transfer; digest is the SHA-256 (intl)
// or SM3 (gm) of the whole plaintext; the signature, by the header's key
// and algorithm, is over
//
//	"xborder transfer v1 receipt" || 0x00 || suite || sigalg ||
//	lp(transfer ID) || lp(agreement ID) || lp(provider DID) || lp(consumer DID) ||
//	uint64(chunks) || uint64(size) || digest
//
// which does not involve the ephemeral keys or the streams, so the same
// statement, the [Receipt], can be checked later by anyone holding the
// provider's public key ([Receipt.Verify]).
//
// # Verification
//
// A [Reader] is given the binding (suite, transfer and agreement IDs,
// both DIDs), the consumer's ephemeral private key and the provider's
// signing public key. It checks the header fields against them
// ([ErrMismatch]), the header signature ([ErrHeaderSignature]), and that
// the stream starts at the chunk it needs; then, chunk by chunk, the record
// type and length ([ErrMalformed]) and the AEAD tag ([ErrChunkAuth]),
// both inside a [*ChunkError] naming the chunk index; then the trailer's
// counts and digest against what it received ([ErrDigest]) and its
// signature ([ErrTrailerSignature]); and finally that nothing follows.
// Because the index is in the nonce and the associated data, a chunk that
// is modified, moved, dropped or duplicated fails at its position; the
// final flag in the associated data means a stream cannot be cut at a
// chunk boundary and still end well; a chunk from another transfer or
// another stream is under another key. Read returns a chunk's plaintext
// only after its tag verifies, and io.EOF only after the trailer verifies:
// data are complete only at io.EOF. An interrupted stream gives
// [ErrTruncated] ([Resumable] reports true).
//
// # Resuming
//
// A consumer that has verified chunks [0, k) ([Reader.Next]) asks for a
// stream from chunk k (HTTP: ?from=k, [FromParam]) and hands it to
// [Reader.Resume]; its digest and counts go on. The provider opens the
// source at the nearest digest checkpoint at or below k (it keeps the
// marshalled digest state every 64 MiB of a stream, the last 16), hashes
// up to chunk k without sending, and streams the rest under a new stream
// key. A [Source] must yield the same bytes every time; if it does not, the
// trailer digest will not match and the consumer refuses the transfer.
//
// # HTTP
//
// Pull: [Provider.Handler] serves GET <base>/<transfer ID>?from=k with
// Authorization: Bearer <access token>, and the token refresh POST
// <base>/<transfer ID>/token (grant_type=refresh_token); [Puller] pulls,
// retries dropped connections from the next unverified chunk, and
// refreshes the token. Push: [Provider.Push] POSTs the same stream to a
// consumer's [Receiver], probing it (GET) for the chunk to resume from
// after a failure. [DataAddress] carries the endpoint and tokens as DSP
// endpointProperties (authorization, authType bearer, expiresIn,
// refreshToken, refreshEndpoint; endpointType [EndpointType]).
//
// Tokens ([Tokens]) are "xbt1.<suite>.<claims>.<MAC>": HMAC-SHA256 (intl)
// or HMAC-SM3 (gm) over JSON claims binding the transfer ID, the use
// (access or refresh), the subject's DID, issue and expiry times; an
// access token lives 5 minutes and a refresh token 24 hours by default.
// Only the issuer verifies them.
//
// # Control
//
// [Provider.Suspend] makes streams in flight stop at the next chunk
// boundary (the response is cut; the consumer sees [ErrSuspended] on its
// next request, HTTP 409) and refuses new ones until [Provider.Resume],
// which issues a new [DataAddress]. [Provider.Terminate] and
// [Provider.Complete] stop streams the same way, refuse every later request
// (HTTP 410) and destroy the key once no stream uses it. A new stream of
// a transfer cancels the one in flight. Progress callbacks
// ([Transfer.OnProgress], [ReaderConfig.OnProgress]) report chunks and
// bytes after each chunk.
//
// # Memory
//
// A Writer and a Reader each hold one chunk buffer (chunk size + 21
// bytes) whatever the size of the transfer, and allocate nothing per
// chunk once under way; the provider adds the source's and HTTP's buffers.
// Registry state is in memory: a replica that did not register a
// transfer cannot serve it.
//
// # Compatibility
//
// The version byte after "XBTS" names this format; a later format gets a
// new number. Record types, flags and identifiers that this version does
// not know are refused, never skipped.
package transfer
