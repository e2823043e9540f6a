// Package jws signs and verifies compact JSON Web Signatures (RFC 7515)
// with the algorithm suites of internal/suite.
//
// # Algorithms
//
//	suite key   JOSE "alg"   signature
//	Ed25519     EdDSA        RFC 8037: Ed25519 over the signing input, 64 bytes
//	P-256       ES256        RFC 7518 §3.4: ECDSA P-256 over SHA-256, r||s, 64 bytes
//	SM2         SM2SM3       private: SM2 over SM3(Z||input), r||s, 64 bytes
//
// SM2SM3 is not registered with IANA: no JOSE algorithm identifier for SM2
// exists in the "JSON Web Signature and Encryption Algorithms" registry or
// in any RFC. xborder defines it as the SM2 digital signature of GB/T
// 32918.2-2016 with SM3 (GB/T 32905-2016) as the hash, Z computed with the
// default user ID "1234567812345678" (GM/T 0009-2012 §10), the signing
// input hashed as SM3(Z || ASCII(BASE64URL(header) || '.' ||
// BASE64URL(payload))), and the signature carried as the 64-byte
// big-endian r||s, the same layout ES256 uses. Other implementations will
// not recognise the name; use it between xborder nodes, and add an
// Ed25519 or P-256 signature where a foreign verifier must check the
// object. Should a JOSE registration for SM2 appear, it will be accepted
// under its own name beside this one.
//
// Verification also accepts "Ed25519", the fully specified name that
// RFC 9864 registers for EdDSA with Ed25519 (and that deprecates the
// polymorphic "EdDSA"); signing writes "EdDSA", which every deployed
// verifier knows.
//
// # Profile
//
// The protected header is the only header (compact serialisation has no
// unprotected one). [Sign] writes alg, then kid, typ and cty when set, in
// that order and nothing else. [Verify] is strict where RFC 7515 allows
// leniency, because two parsers that disagree about a signed object are a
// security bug:
//
//   - exactly three parts; each in the base64url alphabet without padding,
//     whitespace or line breaks, and canonical (unused bits zero);
//   - the header is one JSON object in valid UTF-8 with no duplicate member
//     names (RFC 7515 §5.2 step 4 lets a parser reject them; we do), member
//     names compared exactly, alg/kid/typ/cty strings when present;
//   - "crit" is refused whatever it lists (we understand no extension),
//     "b64" (RFC 7797) is refused, "alg": "none" and every algorithm outside
//     the table above is refused;
//   - typ and cty must equal what the caller expects, absent meaning absent;
//   - the key comes from the caller: by kid through a [Resolver] ([Verify]),
//     or given ([VerifyWithKey]); "jwk", "jku", "x5c" and "x5u" headers are
//     never used to find a key;
//   - the resolved key's algorithm must be the header's: an SM2 key never
//     verifies an ES256 signature, though both are ECDSA-shaped.
//
// Detached payloads (RFC 7515 appendix F) are supported: [SignDetached]
// leaves the middle part empty, and [Expect].Detached supplies the payload
// to [Verify].
//
// Errors are *[Error] with a stable [Code] (malformed,
// unsupported_algorithm, key_resolution, bad_signature) and the kid when
// the header was read, so callers can report which key failed.
package jws
