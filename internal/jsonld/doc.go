// Package jsonld is a JSON-LD 1.1 expansion processor (the context
// processing and expansion algorithms of JSON-LD 1.1 Processing Algorithms
// and API) that returns what github.com/piprate/json-gold v0.9.1 returns,
// with one deliberate departure (container mappings, below), and that
// caches processed contexts.
//
// # Why
//
// Verifying a Data Integrity proof expands the credential; json-gold
// re-processes the type-scoped and property-scoped contexts of the VC 2.0
// context (VerifiableCredential, DataIntegrityProof, ...) on every call.
// Here a processed context is an immutable value, and the result of
// applying a context (a document's @context list, or a term's scoped
// context) to an active context is memoised, so expanding a credential
// over already-seen contexts costs map lookups only.
//
// # API
//
//	p := jsonld.New(loader)                   // loader serves context documents
//	expanded, err := p.Expand(ctx, doc)       // doc decoded by encoding/json
//
// Expand's result is the Go value ([]any, map[string]any, string, float64,
// bool, nil) that json-gold's JsonLdApi.Expand returns in JSON-LD 1.1 safe
// mode with an empty base IRI, for the document without its top-level
// @context on the active context made from that @context, after the final
// step of the expansion algorithm (as internal/vc ran it). That includes
// most of json-gold's departures from the W3C algorithm (see below), so
// that RDF produced from it is the same, but not the one about container
// mappings.
//
// Errors are *Error values whose Code has the text of the json-gold error
// code of the same name; in particular InvalidProperty is safe mode's
// "property does not expand to an IRI" (data loss) and
// LoadingRemoteContextFailed wraps the loader's error. Where json-gold
// panics (a non-boolean @protected, a non-string @container, a compact IRI
// whose prefix is a term defined as null, an empty @nest, a non-string
// @type on a node...) the code is InvalidInput. Errors quote no document
// values other than context URLs and the names of terms being defined.
//
// # Not implemented (ErrUnsupported)
//
// An error wrapping ErrUnsupported means: expand this document with
// json-gold instead. It is returned for
//   - the @reverse keyword, and term definitions with @reverse;
//   - term definitions with @index (property-valued index maps);
//   - @base set to an IRI in a context that is not a remote context
//     (json-gold ignores @base in remote contexts, and so does this
//     package; @base: null is supported);
//   - a property-scoped context that redefines a protected term which
//     another of its terms refers to (json-gold then fails or succeeds
//     depending on Go's map iteration order);
//   - an internal error (a recovered panic), so that a bug here degrades
//     to json-gold rather than to a wrong answer.
//
// None of the pinned contexts (VC 1.1 and 2.0, Data Integrity, Multikey,
// JWK, DID, CID, Bitstring Status List, citizenship, ODRL, DSP 2025-1) uses
// these, so a document that uses only pinned contexts (as internal/vc
// requires) falls back only if it uses the @reverse keyword itself. Everything they use is implemented: @protected, @vocab, @version,
// @import, @propagate, type-scoped and property-scoped contexts (including
// "@context": null), @type @id/@vocab/@json and datatype IRIs,
// @container @set and @graph; and also @container @list, @index, @id,
// @type and @language, @language, @direction, @prefix, @nest, @included,
// @json literals, @list, @set, @graph, @index and @default in documents,
// and inline contexts (processed, but not cached).
//
// # Where this package departs from json-gold: container mappings
//
// json-gold reads a term's container mapping from the active context after
// the term's own property-scoped context is applied; the W3C algorithm
// (Expansion Algorithm step 13.5: "container mapping be key's container
// mapping in active context") and jsonld.js read it before. A term with
// "@context": null thus loses its container in json-gold. The VC 2.0
// context defines verifiableCredential that way (@container @graph,
// @context null), so json-gold puts the credentials embedded in a
// VerifiablePresentation in the presentation's own graph, where the
// specification and the JavaScript VC stack (jsonld.js) put each in a named
// graph of its own. A Data Integrity proof over such a presentation signs
// the canonical RDF, so proofs made with json-gold's reading neither verify
// in other implementations nor verify theirs. This package follows the
// specification.
//
// The oracle for this behaviour is jsonld.js: testdata/jsonldjs holds its
// expansion of every test document on which the two readings disagree (in
// the test documents: presentations that embed credentials), and the
// tests require the same result here; everywhere else the tests still
// require json-gold's result. An unexported option
// (withJSONGoldContainerQuirk) restores json-gold's reading, for the
// differential, fuzz and mutation tests against json-gold.
//
// A document this package leaves to json-gold (ErrUnsupported, below) gets
// json-gold's reading from json-gold. Under the pinned contexts internal/vc
// accepts, that is a document that uses @reverse (property-valued @index
// needs a term definition no pinned context has, and inline contexts are
// refused there): a presentation that embeds credentials and also uses
// @reverse canonicalises with the credentials in the presentation's graph.
//
// # json-gold's behaviour, reproduced
//
// Among the places where json-gold v0.9.1 departs from the W3C algorithms,
// and this package follows it:
//   - errors while expanding the value of @list, @set and @default are
//     dropped (a failing @list becomes [null]);
//   - a language map with a term @direction puts a *string in @direction;
//   - the same context URL twice in one @context array is a recursive
//     context inclusion;
//   - a protected term can be redefined as null (the protection check
//     comes after the null case);
//   - @direction on a value object accepts any string.
//
// Where json-gold's error depends on Go's map iteration order (which error
// a context with several bad term definitions reports), this package
// processes terms in sorted order; the error class is the same.
//
// # Bounds
//
// Documents are untrusted. Each expansion is bounded in nesting depth
// (WithMaxDepth), in the number of contexts applied (WithMaxScopedContexts)
// and in the number of contexts processed rather than found in the cache
// (WithMaxContextParses); beyond a bound Expand fails with an error
// wrapping ErrLimit, which must not be retried with json-gold. Remote
// contexts that load remote contexts are bounded in depth too. The cache
// holds at most WithCacheSize processed contexts.
//
// A Processor is safe for concurrent use. It has no global state and logs
// nothing.
package jsonld
