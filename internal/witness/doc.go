// Package witness is a C2SP transparency-log witness (c2sp.org/tlog-witness)
// for xborder's audit log, plus the checks a node and an auditor run on
// witnessed checkpoints.
//
// # What a witness is for here (审计互信)
//
// The audit log ([github.com/xborder/xborder/internal/audit]) is a Merkle
// log whose checkpoints the operating node signs. A signature alone does not
// stop the operator from rewriting history, or from showing one view of the
// log to a regulator and another to the counterpart abroad (a split view):
// the operator holds the key and can sign any tree it likes. A witness
// closes that gap. The counterpart in the other jurisdiction, the data space
// operator or a regulator each run one; before the log publishes a
// checkpoint it sends it to the witnesses with a consistency proof from the
// last checkpoint each of them cosigned. A witness cosigns only if the new
// tree extends the old one, and it remembers the newest checkpoint per log,
// so it never cosigns two different trees of one size nor moves backwards.
// A checkpoint that carries k cosignatures from independent witnesses is
// therefore the one history every party has seen. The log side is tessera's
// own witness client
// ([github.com/transparency-dev/tessera.AppendOptions.WithWitnesses]); build
// its witness group from a [Policy].
//
// # Protocol
//
// [Witness.Handler] serves
//
//	POST <prefix>/add-checkpoint
//
// The body is "old <size>\n", at most 63 base64 consistency-proof hashes,
// one per line, an empty line, then the log-signed checkpoint
// (c2sp.org/tlog-checkpoint, a c2sp.org/signed-note). The replies, in the
// order the witness checks:
//
//	400  malformed body, old size above the checkpoint size, or a proof when old is 0
//	413  body over [MaxRequestBytes]
//	404  the checkpoint's origin is not a configured log
//	403  no signature from a configured key of that log verifies
//	409  old size is not the size the witness last cosigned; the body is that
//	     size in decimal and a newline, Content-Type text/x.tlog.size
//	409  (no size body) same size as the last cosigned checkpoint, other root
//	422  the consistency proof does not verify (a fork, or a bad proof)
//	503  the witness clock is behind its last cosignature for the log, or
//	     the witness is shut down
//	200  one cosignature line, c2sp.org/tlog-cosignature v1 (timestamped
//	     Ed25519): "— <witness name> base64(key ID ‖ timestamp ‖ signature)"
//
// The first checkpoint of a log is submitted with "old 0" and no proof. The
// witness checks and records a new checkpoint under a per-log lock, and
// writes it to its state directory (temporary file, fsync, rename, fsync of
// the directory) before it replies, so two racing requests cannot both
// advance from the same size and a crash cannot lose a cosigned size. A
// refused request changes nothing on disk. Cosignature timestamps per log
// never decrease: a cosignature says "as of this time, this is the largest
// tree I have seen".
//
// # State directory
//
// One file per log, named by the hex SHA-256 of the origin plus
// ".checkpoint", holding the latest cosigned checkpoint as a signed note:
// the checkpoint text, the log's signature(s) and the witness's cosignature.
// It is a self-contained piece of evidence; [ReadState] parses it. A file
// that is missing means "never cosigned"; a file that cannot be read or
// parsed makes [New] fail rather than start that log again from zero.
// Only one [Witness] may use a directory at a time (within one process
// [New] enforces it; across processes it is up to the operator).
//
// # Keys
//
// [GenerateKey] makes an Ed25519 key; the verifier key handed to logs and
// auditors is its cosignature/v1 form (signature type 0x04). Keep the
// private key in a file of mode 0600 ([WriteKeyFile], [LoadKeyFile]).
//
// # Verifying
//
// [VerifyCosignatures] checks that a checkpoint carries the log's signature
// and at least k valid cosignatures from distinct listed witnesses; [Policy]
// (parsed from tessera's policy text by [ParsePolicy]) bundles the witness
// list and k for both the log side ([Policy.WitnessGroup]) and auditors
// ([Policy.Verify]).
package witness
