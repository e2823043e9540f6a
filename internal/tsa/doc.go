// Package tsa gives xborder's audit ledger RFC 3161 trusted time: a
// time-stamping authority that runs in-process or behind HTTP ([Authority]),
// a client for any RFC 3161 TSA URL ([Client]), and offline verification of
// the tokens ([Verify]).
//
// # What it is for
//
// The ledger does not timestamp each audit record. It timestamps each signed
// checkpoint: the message imprint is SHA-256 of the checkpoint note, so one
// token dates every record the checkpoint commits to. The token (a DER
// TimeStampToken, that is a CMS ContentInfo holding SignedData over a
// TSTInfo) goes into evidence packs beside the checkpoint, and [Verify]
// checks it later from the token, the digest and the trusted root
// certificates alone, with no network.
//
// # Where the time comes from
//
// With no internet, the embedded default is a local TSA: [GenerateLocal]
// creates a small PKI (a root CA and a TSA certificate, ECDSA P-256) in a
// directory, [LoadLocal] reads it back, and [NewAuthority] turns it into an
// [Authority]. [Authority.Client] returns a [Client] that talks to it
// in-process; [NewClient] returns one that talks to a TSA over HTTP
// (RFC 3161 §3.4), such as an accredited TSA or an Authority served with
// net/http (an Authority is a [net/http.Handler]).
//
// # What a token proves, and what it does not
//
// A token made by a self-run TSA proves that the digest existed at the
// token's time only as far as the TSA's private key and its clock are
// trusted: whoever holds the key, or sets the machine's clock, can date
// anything. A TSA run by the ledger's own operator therefore proves little
// against that operator.
//
// In the PRC the time-stamp standard is GB/T 20520-2025 (issued 2025-08-01,
// effective 2026-02-01, superseding GB/T 20520-2006). Whether tokens from a
// self-run TSA carry legal weight in the PRC was not established. For
// evidence meant for a court or a regulator, configure an accredited TSA
// with [NewClient]. Witness cosignatures on checkpoints carry their own
// timestamps: they give a second clock, independent of this one, and both
// belong in the evidence pack.
//
// # Algorithms
//
// Requests may use SHA-256, SHA-384 or SHA-512 message imprints. SHA-1 and
// anything else are refused with failInfo badAlg. SM3 imprints are refused
// too: github.com/digitorus/timestamp (which builds the tokens) knows only
// the SHA family, both for the imprint and for the ESS signing-certificate
// hash, and neither its CMS code (github.com/digitorus/pkcs7) nor
// crypto/x509 signs or verifies SM2. A GB/T 20520 SM2/SM3 TSA needs another
// implementation.
//
// [Verify] does its own CMS checks with crypto/x509 and encoding/asn1 rather
// than github.com/digitorus/pkcs7, whose verifier ignores decoding errors in
// the SignedData, leaves the content-type attribute unchecked, re-encodes
// the signed attributes instead of checking the bytes that were signed, and
// judges certificate validity by the CMS signingTime rather than genTime.
//
// Times in tokens made here have a resolution of one second (genTime is
// truncated, never rounded up); [Verify] reads fractional seconds from other
// TSAs.
package tsa
