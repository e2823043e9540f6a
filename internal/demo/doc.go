// Package demo tells xborder's cross-border story end to end, in one
// process, on loopback: a Shenzhen hospital (CN, gm suite), an Amsterdam
// research centre (NL, intl) and a Hong Kong bank (HK), each with its own
// connector (internal/node), DID and credential from a demo trust
// registry. The hospital assesses a generated clinical table offline,
// publishes it with a masking policy its compliance office reviewed; the
// research centre negotiates for it for cancer research through the
// hospital's compliance gate and pulls it, encrypted and de-identified;
// the two connectors then compute how many of the centre's trial patients
// the hospital has (PSI cardinality through the T/CCSA 540-2025 task
// interfaces), neither list leaving its node; the hospital's audit
// ledger publishes only checkpoints the centre's witness cosigned, and the
// evidence packs verify offline; the bank's request for the same data for
// marketing is refused with its reason. docs/demo.md describes what each step proves.
//
// Everything goes through the connectors' management APIs over HTTP, as
// an operator's scripts would; only the counterparties' countries are
// established in the demo itself (verifyParticipants), until verifiable
// presentations travel with the protocol.
package demo
