// Package psi is private set intersection between two parties by
// Diffie–Hellman (ECDH-PSI) over ristretto255 or, with Config.Group set to
// GroupX25519, over curve25519 u-coordinates with X25519; semi-honest.
//
// Party A holds a set X, party B a set Y (and, for PSI-sum, a non-negative
// integer value per element of Y). Both pick a secret scalar (a, b).
//
//  1. A sends H(x)^a for every x in X (StepMaskedA).
//  2. B returns (H(x)^a)^b, truncated to a 128-bit tag (StepDoubleMasked):
//     in A's order for ModeIntersection, shuffled for ModeCardinality and
//     ModeSum so that A cannot tell which of its elements matched.
//  3. B sends H(y)^b for every y in Y in a random order (StepMaskedB); in
//     ModeSum each comes with an exponential ElGamal encryption of its
//     value under B's key (sent first, StepPublicKey).
//  4. A computes (H(y)^b)^a, truncates it and looks it up among the tags.
//
// H is hash_to_ristretto255 (RFC 9496, expand_message_xmd with SHA-512),
// or, in GroupX25519, encode_to_curve of the RFC 9380 suite
// curve25519_XMD:SHA-512_ELL2_NU_ (Elligator 2, cofactor cleared) and the
// exponentiation is X25519 (crypto/ecdh; clamped scalars are multiples of
// 8, and all-zero outputs from low-order points are refused). The
// domain-separation tag contains the session id, which is the agreement or
// task id: points from one session are useless in another. PSI-sum's
// ElGamal stays on ristretto255 in both groups.
//
// What each mode reveals: ModeIntersection gives A the intersection (and
// B too when Config.RevealToB is set: A sends the positions of the
// matching elements of B's stream). ModeCardinality gives A the size only
// (and B with RevealToB). ModeSum gives A the size and, with B's help,
// the sum of B's values over the intersection: A adds the matching
// ciphertexts, re-randomises the total and sends it to B, B decrypts (the
// sum is found by baby-step giant-step, so it must stay below 2^32) and
// returns the sum; B learns the sum, and the size only with RevealToB.
// Both parties learn the size of the other's set. Neither learns anything
// else provided both follow the protocol (semi-honest model); a party that
// deviates can learn more, for example by sending crafted points.
//
// Messages carry the session id, the mode, the group, the step and a
// sequence number; the receiver refuses a message from another session,
// mode, group or step, one
// out of order or replayed, one of the wrong length, and points that are
// not canonical encodings or are the identity (low order). Inputs are
// deduplicated before hashing.
//
// The scalar multiplications of each batch run on GOMAXPROCS goroutines.
// RunLocal runs both parties in one process over bounded channels.
package psi
