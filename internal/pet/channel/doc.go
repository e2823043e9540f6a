// Package channel is the signed, ECDHE-keyed channel between two
// privacy-computing nodes (xborder serve), over plain HTTP(S): node-to-node
// task calls and protocol messages (PSI, secure aggregation) travel on it.
// It implements what T/CCSA 540-2025 asks of every call between privacy-
// computing platforms: mutual authentication, signatures (SM2 in the gm
// suite), one-time session keys from ephemeral ECDH that are wiped after
// use, and integrity protection. docs/pet-channel.md has the rationale,
// the mapping to the standard and the benchmark figures.
//
// Parties are DIDs; keys are verification methods (DID URLs) found through
// the Config's jws.Resolver. A session speaks one suite of internal/suite:
//
//	suite  signature          key agreement  KDF          AEAD         hash
//	intl   Ed25519 or P-256   X25519         HKDF-SHA256  AES-256-GCM  SHA-256
//	gm     SM2 (SM2SM3)       SM2 ECDH       HKDF-SM3     SM4-GCM      SM3
//
// # Handshake (one round trip)
//
// The client POSTs {base}/handshake with a compact JWS (typ
// "xborder-pet-hello+jwt", kid = a verification method of iss) whose
// payload is
//
//	{"iss": client DID, "aud": server DID, "jti": random, "iat", "exp" (≤ iat+5 min),
//	 "suite": "intl"|"gm", "ka": "x25519"|"sm2-ecdh", "epk": base64url ephemeral public key,
//	 "binding": 1..256 bytes (e.g. the agreement id), "unsigned": true (optional)}
//
// The server refuses, before any state changes, a hello whose suite is not
// its own (suite_mismatch), whose ka is not of the suite, whose JWS alg is
// not of the suite (gm: SM2 only), whose kid is not a key of iss, whose aud
// is not the server's DID, whose iat/exp are off by more than 30 s of skew
// or span more than 5 min, or whose signature does not verify with the key
// the resolver returns. It then records iss|jti in a bounded replay cache
// (a replay is refused; a full cache refuses rather than forgets), asks
// ServerOptions.Authorize whether the peer may open a session for the
// binding, checks the session limit, makes its own ephemeral key and
// answers 200 with a JWS (typ "xborder-pet-welcome+jwt", signed by the
// server's key) whose payload is
//
//	{"iss": server DID, "aud": client DID, "iat", "exp", "sid": 16 random bytes base64url,
//	 "suite", "ka", "epk", "hello": base64url Hash(hello JWS), "binding",
//	 "sexp": session end (unix s), "idle": idle timeout (s), "maxmsg": message budget,
//	 "unsigned" (echoed)}
//
// The client checks it likewise: signature through the resolver, iss and
// the kid's DID = the DID it dialled, aud = its own DID, hello = the hash
// of the hello it sent, suite/ka/binding/unsigned echoed, times.
//
// # Keys
//
//	shared     = ECDH(own ephemeral private key, peer epk)
//	transcript = Hash(hello JWS ‖ "." ‖ welcome JWS)
//	k_c2s ‖ n_c2s = KDF(shared, salt = transcript, info = "xborder pet channel v1 c2s", K+12)
//	k_s2c ‖ n_s2c = KDF(shared, salt = transcript, info = "xborder pet channel v1 s2c", K+12)
//
// with the suite's Hash and KDF and K its AEAD key size (32 or 16). The
// shared secret, the copy of the ephemeral scalar and the KDF outputs are
// zeroed as soon as the two AEADs exist; the nonce bases are zeroed when
// the session ends (Close, DELETE, expiry, Server.Close). A session is
// bound to one binding and ends after ServerOptions.IdleTimeout without a
// message (2 min), MaxLifetime after the handshake (30 min), or after
// MaxMessages messages. The server holds at most MaxSessions sessions
// (1024) and refuses a handshake beyond that with 503 too_many_sessions.
//
// # Calls
//
// POST {base}/s/{sid}, body:
//
//	seq (u64 big-endian, from 1) ‖ AEAD_c2s.Seal(nonce, plaintext, aad)
//	nonce     = n_c2s XOR (0^4 ‖ seq)
//	aad       = "xpc1" ‖ sid ‖ seq ‖ direction (0x01 c2s, 0x02 s2c)
//	plaintext = len(op) u8 ‖ op ‖ len(sig) u16 ‖ sig ‖ payload
//
// The server refuses a seq already seen or more than ReplayWindow (1024)
// behind the highest seen (a sliding window as in IPsec and DTLS, so calls
// may be concurrent), before decrypting; it records the seq only once the
// message has decrypted. The response body, status 200, is
//
//	AEAD_s2c.Seal(nonce = n_s2c XOR (0^4 ‖ seq), plaintext, aad with direction 0x02)
//	plaintext = status u16 ‖ len(sig) u16 ‖ sig ‖ body
//
// where status 200 carries the Handler's result and 400..599 the JSON of
// its *Error ({"status","code","message","message_zh"}), which the caller
// gets back as an *Error. DELETE {base}/s/{sid} with a sealed message
// whose op is empty ends the session (204).
//
// # Signed receipts
//
// Unless the session is unsigned, sig in a request is a detached compact
// JWS (typ "xborder-pet-receipt+jws", kid = the signer's verification
// method, the handshake's) by the caller over the request statement, and
// sig in a response one by the server over the response statement:
//
//	"xborder-pet-receipt-v1" 0x00 ‖ 'Q' or 'R' ‖ lp(sid) ‖ lp(suite) ‖ lp(caller DID)
//	‖ lp(callee DID) ‖ lp(binding) ‖ seq u64 ‖ lp(op) ‖ lp(Hash(request payload))
//	[response only: ‖ status u16 ‖ lp(Hash(response body))]
//
// with lp(x) = len(x) u32 big-endian ‖ x. The Receipt (its fields rebuild
// the statements) goes to the Handler (request side) and to the caller and
// ServerOptions.OnReceipt (both sides); Receipt.Verify checks it against
// the DIDs' keys, so either node can show what the other sent and
// answered. Receipts hold digests, never payloads.
//
// # Refusals
//
// Transport refusals are plain HTTP errors with a JSON body {"error":
// code, "message": text}; the client returns them as *RefusedError. The
// text never holds key material or payloads, and a message that does not
// decrypt is "bad_message" whatever the reason (wrong key, flipped bit,
// wrong sid or seq in the aad).
package channel
