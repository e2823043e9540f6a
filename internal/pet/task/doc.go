// Package task is the privacy-computing task API of a node: the twelve
// atomic interfaces of T/CCSA 540-2025 (seed white paper §2.3.3.2) —
// taskCreate, taskQuery, taskCancel, dataUpload, dataAuthorize,
// algorithmRegister, algorithmInvoke, resultQuery, resultDownload,
// auditLog, complianceCheck and performanceMetric — over the PSI
// (internal/pet/psi) and secure-aggregation (internal/pet/secagg)
// protocols, with result review (internal/pet/review) before anything is
// releasable. Raw data stays with its holder; only reviewed results leave.
//
// The [Service] is transport-agnostic: each interface is a method
// (ctx, [Caller], request) → (response, error), and [Service.Handle]
// dispatches the same operations from strict JSON bodies, so that the node
// mounts it behind the signed channel between nodes and behind its
// management API. Peer nodes are reached through [Peers]; protocol
// messages arrive through [Service.Deliver].
//
// Every call is bound to an agreement (the task's; a party's own when the
// task names one per party), audited through [Auditor] whether allowed or
// refused (before any state changes: a call whose audit entry cannot be
// written is refused), and refused with an [*Error] carrying a stable
// [Code] and messages in English and Chinese. The task's state machine is
// created → authorized → running → succeeded | failed | cancelled, kept
// in SQL (SQLite or PostgreSQL, migrated by internal/statedb/migrate) with
// an ordered event history; a task found running at Open ends failed with
// reason interrupted.
//
// Algorithms are signed manifests that name a compiled-in implementation:
// no code is ever loaded or executed from a manifest. The built-ins are
// registered at Open without signature (their trust root is the binary).
// There is no trusted execution environment: complianceCheck reports
// "attestation: none". See docs/pet-tasks.md.
package task
