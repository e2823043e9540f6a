// Package suite provides the cryptographic algorithm suites of xborder as
// values, signing keys, envelope encryption, and an encrypted key store.
//
// # Suites
//
// A [Suite] names everything two parties must agree on. There are two,
// [Intl] and [GM]:
//
//	               Intl                                  GM
//	signature      Ed25519 (RFC 8032, pure)              SM2 with SM3, UID "1234567812345678"
//	               ECDSA P-256 + SHA-256 (FIPS 186-5)    (GB/T 32918.2-2016, GM/T 0009-2012)
//	agreement      X25519 (RFC 7748)                     SM2 ECDH (curve of GB/T 32918.5-2017)
//	               ECDH P-256 (SEC 1 §3.3.1)
//	hash           SHA-256 (FIPS 180-4)                  SM3 (GB/T 32905-2016)
//	KDF            HKDF-SHA256 (RFC 5869)                HKDF-SM3 (RFC 5869 over SM3, as RFC 8998)
//	AEAD           AES-256-GCM (NIST SP 800-38D)         SM4-GCM (GB/T 32907-2016, RFC 8998)
//	envelope       HPKE base mode (RFC 9180)             SM2 ECDH + HKDF-SM3 + SM4-GCM, HPKE-shaped
//
// The gm suite also offers SM2 public-key encryption (GB/T 32918.4-2016,
// C1C3C2) as [SM2Encrypt]/[SM2Decrypt] and the GB/T 32918.4 KDF as
// [SM3KDF]. The interactive SM2 key exchange of GB/T 32918.3 (with key
// confirmation) is a session protocol, not a suite primitive: use
// github.com/emmansun/gmsm/sm2.KeyExchange with the *sm2.PrivateKey keys
// this package makes (a test here runs it). The suite's [KeyAgreement] for
// gm is plain ECDH on the SM2 curve, because an envelope is one message
// with no round trip.
//
// # Signatures
//
// A [Signer] hashes for itself: Ed25519 signs the message, P-256 its
// SHA-256 digest, SM2 SM3(Z || message) with Z over the default UID.
// Signatures are raw and fixed-size, 64 bytes: Ed25519's R || S; for P-256
// and SM2 r || s, 32 bytes each, big-endian (IEEE P1363, the JOSE form),
// not ASN.1. [Verify] returns an error wrapping [ErrBadSignature] for a
// signature that does not verify, and another error for a key of the wrong
// type.
//
// Public keys marshal ([MarshalPublicKey]) to 32 bytes for Ed25519 and to
// the SEC 1 compressed point (33 bytes) for P-256 and SM2, the form did:key
// uses; [MarshalPublicKeyUncompressed] gives the 65-byte point.
// [ParsePublicKey] reads either. Private keys marshal to PKCS#8 DER
// ([MarshalPrivateKey], [ParsePrivateKey]); SM2 keys use id-ecPublicKey
// with the sm2p256v1 OID, as OpenSSL 3, GmSSL and Tongsuo write them.
//
// # Envelope format
//
// [Seal] encrypts to a recipient's public key with a fresh ephemeral key;
// the caller's associated data is authenticated, not carried. Version 1:
//
//	envelope = version(1 byte, 0x01) || suite(1) || ka(1) || enc || ct
//	suite    = 0x01 intl | 0x02 gm
//	ka       = 0x01 X25519 (enc 32 bytes) | 0x02 P-256 (enc 65) | 0x03 SM2 (enc 65)
//
// For intl, enc and ct are RFC 9180 HPKE base mode, single shot:
// DHKEM(X25519 or P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, info =
// "xborder envelope v1" || the 3 header bytes, aad = the caller's aad.
// For gm, enc is the ephemeral SM2 public key (uncompressed point) and
//
//	Z            = x-coordinate of [e]·PK_R (e the ephemeral private key)
//	key || nonce = HKDF-SM3(IKM = Z, salt = "",
//	                        info = "xborder envelope v1" || header || enc || PK_R,
//	                        L = 16 + 12)
//	ct           = SM4-GCM(key, nonce, plaintext, aad)
//
// which is HPKE's shape (ephemeral-static DH, KDF bound to both public
// keys and to the header) with GM primitives; no standard defines an
// SM-based HPKE yet. Changing the suite, key agreement or version byte
// makes an envelope fail before decryption; any other change fails
// authentication ([ErrDecrypt]). Overhead: 3 + 32 + 16 bytes for X25519,
// 3 + 65 + 16 for P-256 and SM2.
//
// # Key store and threat model
//
// [OpenKeyStore] keeps named signing keys in a data directory:
// keystore.json (Argon2id parameters, salt, and a passphrase check value)
// and keys/NAME.key, one file per key holding every version. Each key file
// is encrypted with AES-256-GCM under a key derived from the passphrase
// with Argon2id (RFC 9106; 3 passes, 64 MiB, 4 lanes by default), bound by
// its associated data to its own path so files cannot be swapped or
// renamed. Files are mode 0600, the directories it creates 0700, written atomically
// (temporary file, fsync, rename). [KeyStore.Rotate] adds a version and
// makes it current; old versions keep their public keys and dates for
// verifying old signatures, and keep their private keys unless
// DestroyOnRotate is set.
//
// What at-rest encryption protects: private keys on a copied disk, a
// stolen backup or a leaked volume snapshot, read by someone without the
// passphrase; and tampering with a key file, which then fails to decrypt.
// What it does not protect: a running xborder process (the derived key and
// loaded private keys are in its memory), root or the xborder user on the
// host (they can read memory, or the passphrase where it is kept), a weak
// passphrase (Argon2id slows guessing, it does not make a short passphrase
// strong), rollback of a whole key file to an older valid copy, or the
// deletion of files. The passphrase comes from the caller: the CLI takes
// it from the XBORDER_KEY_PASSPHRASE environment variable or a prompt; a
// service manager's credential mechanism is better than a plain
// environment file. Locking between processes is not done: one process
// per store writes, and a [KeyStore] is safe for concurrent use within it.
//
// # Compatibility
//
// Signatures, public-key encodings and PKCS#8 follow the standards named
// above and stay as they are. The envelope and key-store formats are
// versioned by their first byte and the "version" field: a later release
// reads every earlier version, and writes a new version only with a new
// number. Suites gain algorithms only by adding identifiers; an identifier
// never changes meaning.
package suite
