// Package dsp is the Dataspace Protocol 2025-1 control plane of an xborder
// connector (the interconnection layer of the seed white paper, §2.1.2):
// catalog, contract negotiation and transfer process, provider and
// consumer side, over HTTPS with JSON-LD messages.
//
// # Messages
//
// Every message and response type of the negotiation and transfer
// protocols ([ContractRequestMessage] … [TransferError]) marshals to
// compacted JSON-LD that validates against the 2025-1 JSON schemas: an
// @context array naming [ContextURL], the @type, un-prefixed terms.
// [Decode] reads them strictly (size bound [MaxMessageBytes], duplicate
// keys, unknown @type or property, a wrong @context, missing required
// fields, enumerations, the schemas' oneOf rules, the shape of offers,
// agreements and data addresses) and returns a *[MessageError], which the
// handlers answer with 400 and the protocol Error body. Offers and
// agreements stay JSON ([json.RawMessage]); their meaning is for the
// policy engine (internal/odrl, internal/contract).
//
// # State machines
//
// [Next] is the pure state machine of both protocols: (kind, state,
// sender, step) → new state or a *[TransitionError]. Negotiation:
// REQUESTED, OFFERED, ACCEPTED, AGREED, VERIFIED, FINALIZED, TERMINATED
// with the senders of the protocol's diagram (termination from ACCEPTED
// and VERIFIED by the provider only, from AGREED by the consumer only).
// Transfer: REQUESTED, STARTED, SUSPENDED, COMPLETED, TERMINATED; only the
// provider starts a requested transfer. Final states accept nothing.
//
// # Node
//
// A [Node] serves both sides under one base URL ([Node.Handler]: every
// endpoint of the HTTPS bindings, the consumer's GET of a transfer the DSP
// TCK calls, and /.well-known/dspace-version; its callback address is its
// base URL), sends messages with a [Client] (retries
// with backoff and jitter on 5xx and transport errors, Authorization from
// a [TokenSource]), and keeps every process and its history in a [Store]
// ([SQLStore]: SQLite or PostgreSQL). Each transition is one
// compare-and-set update of the stored process together with its event,
// so concurrent messages cannot both move a process, and a refused
// message changes nothing. A message this side sends is stored in the
// process's outbox in the same update and delivered after it: a node
// that stops mid-way resumes every process from the store
// ([Node.Resume]), on any replica that shares it.
//
// The connector plugs in through small interfaces: an [Authenticator]
// (who calls), a [NegotiationPolicy] (this side's moves: the compliance
// gate that accepts, counters, rejects with a stable code and a zh/en
// message, or parks for approval, later resolved by [Node.Decide]), an
// optional [AgreementSigner], a [TransferStarter] (the provider's data
// plane, which returns the DataAddress of a pull transfer) and an
// [EventSink], told of every step, allowed or refused. Every step is also
// stored, refusals included, in one history that followers read in order
// ([SQLStore.EventsAfter], [SQLStore.Cursor]): the connector audits each
// step from there ([Event.AuditEvent]).
//
// # Catalog
//
// The provider serves POST <base>/catalog/request (a [Catalog]) and GET
// <base>/catalog/datasets/{id} (a [Dataset]) from a [CatalogSource] the
// connector supplies (Config.Catalog), which sees the authenticated caller
// and may filter per requester. Pages are cut by dataset @id (keyset
// cursors, stable when datasets come and go), at most
// Config.CatalogPageSize datasets and below MaxMessageBytes each, and
// linked with Link headers (rel="next", rel="previous", as the catalog
// HTTPS binding names them); a page link is POSTed the same
// CatalogRequestMessage. Filter expressions are not supported (400,
// [CodeUnsupportedFilter]). [Client.Catalog] reads a whole catalog across
// its pages, within bounds ([CatalogLimits]), following links on the same
// origin only; [Client.Dataset] reads one dataset; [Client.ResolveBase]
// finds a connector's <base> from its root URL.
//
// # Errors on the wire
//
// Initial requests are answered 201 with the process, other messages 200.
// A bad body or an illegal transition gets 400 with a
// ContractNegotiationError or TransferError whose code is stable
// ([CodeInvalidTransition], [CodeBadMessage], …); an unknown process, a
// process of another party and a request that does not authenticate all
// get 404, as the protocol asks, so that nothing is revealed. The catalog
// endpoints answer the same way with a CatalogError: 400 for a bad request,
// 404 for an unknown dataset, one hidden from the caller, and a request
// that does not authenticate.
package dsp
