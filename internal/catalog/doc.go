// Package catalog is the data catalog of the interconnection layer: it
// answers "where is the data and what is it" (seed white paper §2.1.2.2,
// §2.2.2, §2.3.4) with DCAT 3 entries, identifiers that resolve across
// jurisdictions, and bilingual search.
//
// # Entries
//
// An [Entry] is a dcat:Dataset carrying the four metadata groups of seed
// §2.2.2.2 and §2.3.4.1: basic (the DCAT core: identifier, title,
// description, keywords, dates, coverage, update frequency, distributions,
// offers), business (industry, scenarios, quality, usage limits), governance
// (owner DID, sovereignty, applicable laws, classification level, sensitive
// fields, legal basis, export status and approvals, allowed purposes,
// recipients and countries, localisation, onward transfer, security
// baseline, contract id, access policy) and provenance (lineage and
// processing history). [Catalog.Harvest] adds the technical group from the
// data itself — schema, statistics, size, SHA-256, and the personal
// information profile of internal/classify — never a data value.
//
// The JSON form is plain JSON that a client reads without a JSON-LD
// processor, and at the same time compacted JSON-LD under two contexts:
// the Dataspace Protocol 2025-1 context ([DSPContext]: Dataset,
// Distribution, DataService, hasPolicy with ODRL offers) and the xborder
// catalog context ([ContextURL], compiled into the binary and never fetched:
// [ContextDocument]). [DecodeEntry] refuses every key the model does not
// know, so no key is ever dropped silently; [Loader] expands entries with
// the pinned contexts for JSON-LD consumers.
//
// # Identifiers and federation
//
// Identifiers are prefix/sovereignty/space/product ([ParseID]), e.g.
// xb86/CN/gba-finance/retail-customers-2026, with the IRI form
// [IRIBase]+identifier as the entry's @id. [Catalog.Resolve] maps an
// identifier to its metadata and access interface (the DSP endpoint), after
// checking the requester may see it, and records every resolution through a
// [Recorder]. [NewRootResolver] routes identifiers by sovereignty code to
// local resolvers ([NewLocalResolver]); [Client] resolves through them.
//
// # Search and access
//
// [Catalog.Search] serves full-text search (CJK bigrams and Latin words,
// see [ParseQuery] for the syntax), facets with counts, filters and pages
// from an in-memory index kept in step with the database, with compliance
// hints from internal/rulebook on every result. Entries classified sensitive
// or core are visible only to their owner, the operator, and requesters
// whose verified claims satisfy the entry's access policy according to the
// configured [AccessChecker]; without one they are denied.
//
// # Storage
//
// [Open] takes a *sql.DB: SQLite (modernc.org/sqlite) by default, and the
// same schema runs on PostgreSQL (portable SQL, $n placeholders, tables
// prefixed catalog_, numbered migrations in catalog_schema_version). Writes
// are transactional: bad input changes nothing.
package catalog
