// Package contract implements the digital contracts of the white paper
// (§2.1.2.3, §2.2.3, §2.3.2.1): contract templates as data, instantiated
// into ODRL 2.2 offers; a compliance review of an offer against the
// rulebook; agreements signed by both parties with compact JWS; their
// enforcement state (usage counters, breaches, suspension); and the
// metering, invoices and settlements that close the loop from data flow to
// contract flow to money flow (the "三流融合" of chapter 3).
//
// docs/contract.md is the user guide; this comment is the map.
//
// # Templates and offers
//
// A [Template] (general, industry or compliance; §2.2.3.2) is YAML
// embedded in the binary: typed parameters, the clauses it produces, its
// legal terms and its compliance baseline. [Template.Instantiate] checks
// [Params] and returns an Offer [Policy], which marshals to JSON-LD
// compacted with the ODRL context ([FormODRL]) or in the form it takes
// inside Dataspace Protocol 2025-1 messages ([FormDSP]), and parses back
// with [ParsePolicy], which reads the closed subset xborder writes and
// fails closed on anything else.
//
// # Review
//
// [ReviewOffer] evaluates an offer against a dataset's scenario (the
// internal/assess and internal/rulebook engines decide the route for every
// jurisdiction and purpose the offer permits; whether an approved route
// the offer requires satisfies a route is decided by re-running the
// rulebook with that approval on record) and returns a [Review] of
// [Finding]s with stable codes ([FindingCodes]) and zh/en messages. A
// review that does not pass blocks signing ([NewAgreement] refuses it).
//
// # Agreements
//
// [NewAgreement] derives the Agreement from a reviewed offer; the provider
// signs it ([SignAgreement], a compact JWS of internal/jws with the
// agreement's canonical FormODRL bytes as payload) and the consumer
// countersigns the provider's JWS ([Countersign], a detached JWS over the
// provider's compact JWS). [VerifyAgreement] checks both and binds each key
// to its party's DID. The order follows the Dataspace Protocol: the
// provider sends the agreement (AGREED), the consumer verifies it
// (VERIFIED).
//
// # Store
//
// [Store] keeps agreements, approvals, usage counters and records,
// events, reviews, invoices and settlements in SQL tables prefixed
// contract_ in a database shared with other components (SQLite by default;
// the same portable SQL on PostgreSQL, see [Migrate]). [Store.RecordUse]
// checks and counts a use atomically; a breach suspends the agreement and
// calls the [Alerter]; [Store.Act] applies signed, authorised actions
// (suspend, resume, terminate). [Store.Invoices] prices a month's metered
// use with internal/contract/billing and [Store.Settle] splits the
// revenue among a product's providers.
package contract
