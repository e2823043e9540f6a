// Package anomaly detects anomalous behaviour in the audit trail (seed white
// paper §2.2.5.2, 异常行为识别与预警: bulk downloads, use beyond what was
// authorised). An [Engine] evaluates configurable rules over the stream of
// audit events and raises an [Alert] for each finding; a [Sink] takes the
// alerts: [LedgerSink] writes them back to the audit ledger as events
// ([Alert.Event]), [Webhook] POSTs them, signed, to HTTP receivers.
//
// # Rules
//
// Four rules, each with an enable flag and a severity ([Config]):
//
//   - bulk_transfer: per actor and tumbling window (default 1 h), the
//     records, bytes and number of successful download and transfer
//     events, each against max(floor, factor × the actor's baseline), the
//     baseline an exponentially weighted mean of the actor's previous
//     windows; during the warm-up only the absolute ceiling applies. At most
//     one alert per actor and window, raised as soon as a metric exceeds its
//     threshold (not when the window closes).
//   - outside_agreement: a successful or allowed use of an agreement that
//     the [Agreements] lookup does not know, reports not in force, or dates
//     outside its validity window; and any event carrying one of the
//     configured reason codes (policy-engine findings such as
//     purpose_mismatch), even when the access was denied. One alert per
//     event.
//   - repeated_denials: N or more deny results by one actor within a
//     sliding window (default 5 in 10 min); once per actor per window.
//   - unusual_hours: events of the configured operations outside business
//     hours in an IANA time zone (default Asia/Shanghai, 08:00–20:00,
//     Monday to Friday, optional holidays and make-up workdays); at most one
//     alert per actor per window (default 1 h).
//
// # Determinism and replay
//
// Detection is a function of the sequence of events given to
// [Engine.Observe]: windows follow the events' times, never the wall
// clock. The one exception is an event dated more than max_clock_skew after
// the engine's clock, whose time is replaced by the clock's for window
// state (its own findings still use its own time). Agreement lookups are
// asked about the event's time; their answers are only as reproducible as
// the lookup.
//
// An alert's ID is the SHA-256 of its rule, actor and window (and the log
// index for single-event findings), so the same log yields the same IDs.
// The engine never raises an ID twice within its memory (the last 65536
// IDs), and it learns the IDs the ledger already holds from the alert
// events it is fed (which no rule evaluates). After a restart, feed the log
// to [Engine.Replay] rather than Observe: alerts are held back until
// [Engine.EndReplay] and delivered only if the log does not already record
// them, so a replay duplicates nothing in the ledger. A webhook receiver may
// see an alert again (delivery is at least once); it deduplicates by the
// ID, sent in the X-Xborder-Alert-Id header.
//
// # Memory
//
// The engine keeps state for at most max_actors actors (default 100000),
// evicting the least recently seen. Eviction forgets the actor's baseline,
// current window, recent denials and unusual-hours window: a returning
// actor starts a fresh warm-up (only the bulk ceiling applies), volume and
// denials counted before the eviction no longer add up, and an
// unusual-hours alert may be raised again in the same window (it has the
// same ID, so it is suppressed while the ID is remembered). An actor costs
// about 0.5 KiB, up to 1 KiB when every rule holds full state for it (with
// the default threshold of 5 denials), so the default bound is at most
// about 100 MiB; the remembered alert IDs add up to about 10 MiB. Evictions
// are counted in [Stats].
//
// # Webhooks
//
// Each request carries the alert's canonical JSON, a timestamp header and
// X-Xborder-Signature: sha256=<hex HMAC-SHA256 of timestamp "." body>
// ([Sign], [VerifySignature]). The HMAC key is read from the environment
// variable the configuration names, never from the configuration itself,
// and is never logged; neither are the URLs, which often carry tokens.
package anomaly
