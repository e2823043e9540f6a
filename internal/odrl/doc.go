// Package odrl is xborder's ODRL 2.2 policy engine: it reads usage policies
// (offers, agreements, sets) from JSON-LD, decides requests against them,
// finds conflicts between policies, and translates them to Rego.
//
// # Use
//
// Parse once, Prepare once, Evaluate many times, concurrently:
//
//	p, err := odrl.Parse(doc)          // JSON-LD: ODRL or DSP 2025-1 context, or expanded
//	pp, err := odrl.Prepare(p)         // compile: operands resolved, values converted
//	d := pp.Evaluate(odrl.Request{     // no clock, no I/O: the request is the world
//		Assignee: "did:web:consumer.example", Action: "use", Target: "urn:dataset:1",
//		Context:  map[string]any{"purpose": "research", "dateTime": "2026-05-01T10:00:00Z"},
//	})
//	// d.Decision: permit | deny | not_applicable, with d.Rule, d.Constraint,
//	// d.Duties and d.Reasons (stable codes, English messages, no personal data).
//
// # What it implements
//
// The ODRL 2.2 Information Model: Set, Offer and Agreement; permissions,
// prohibitions, obligations and duties, with consequences and remedies;
// atomic and logical constraints (and, or, xone, andSequence); all twelve
// operators; refinements on actions, assets and parties; party and asset
// collections (membership from partOf facts in the request or the
// document); policy-level shorthand applied to every rule; inheritance
// (WithParents); conflict strategies perm, prohibit and invalid (the
// default). Actions follow the vocabulary's includedIn (use covers read,
// distribute, …; transfer covers sell and give). Left operands: the ODRL
// Common Vocabulary, typed (dateTime, elapsedTime and the other durations,
// count and the other numbers, spatial with ISO 3166 regions, identifiers
// for purpose, recipient, industry, deliveryChannel, event, …), and
// xborder's own in XborderNS: transferRoute, approvals,
// recipientJurisdiction, providerJurisdiction, classificationLevel, fields,
// computation, algorithm, and claim/NAME for verified credential claims.
//
// # Failing closed
//
// Nothing is ever taken as satisfied because it could not be evaluated.
// Parse refuses keys the contexts do not define (JSON-LD would silently drop
// them), unknown ODRL properties, malformed values, over-limit documents and
// cyclic collections or rules, each with a path and a code. At evaluation, a
// missing value, an unknown left operand, operator or action, or a value of
// the wrong type makes the constraint unknown: a permission needing it does
// not apply, a prohibition needing it is taken to apply, and the decision
// is deny with the reason. See docs/policy.md for the full rules.
//
// # Audit
//
// A Decision names the policy, the deciding rule and constraint (by UID, or
// by source path when the document gave none) and carries reason codes:
// everything an audit event of an allow or a deny needs.
package odrl
