package jsonld

import (
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Container flags of a term definition.
const (
	cList uint8 = 1 << iota
	cSet
	cIndex
	cLanguage
	cGraph
	cID
	cType
)

// termDef is a processed term definition. It is never modified once the
// context that holds it is complete.
type termDef struct {
	id           string
	typ          string
	container    []string // as written (nil when absent), for the protected-term comparison
	containers   uint8    // the same as flags
	nest         string
	ctx          any // the scoped context (may be nil with hasCtx: "@context": null)
	hasCtx       bool
	prefix       bool
	protected    bool
	language     *string
	hasLanguage  bool
	direction    *string
	hasDirection bool
}

func (td *termDef) has(c uint8) bool { return td != nil && td.containers&c != 0 }

// sameDefinition is json-gold's DeepCompareTermDef (the prefix flag is not
// compared).
func sameDefinition(a, b *termDef) bool {
	return a.id == b.id && a.typ == b.typ && a.hasCtx == b.hasCtx && a.nest == b.nest &&
		a.protected == b.protected &&
		reflect.DeepEqual(a.container, b.container) &&
		samePtr(a.direction, b.direction) && a.hasDirection == b.hasDirection &&
		samePtr(a.language, b.language) && a.hasLanguage == b.hasLanguage &&
		deepCompare(a.ctx, b.ctx)
}

func samePtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// activeContext is a processed (active) JSON-LD context. It is immutable once
// built and may be shared by concurrent expansions. The processing mode is
// always json-ld-1.1 and the base IRI always empty (a context that sets
// @base to an IRI is unsupported).
type activeContext struct {
	terms       map[string]*termDef // a nil value is a term defined as null
	vocab       string
	hasVocab    bool
	language    string
	hasLanguage bool
	direction   string
	// hasProtected is json-gold's len(Protected) != 0: some term was made
	// protected since the context was last nullified.
	hasProtected bool
	// previous is the context a non-propagated (type-scoped) context
	// reverts to.
	previous *activeContext
}

func newContext() *activeContext {
	return &activeContext{terms: map[string]*termDef{}}
}

// clone returns a mutable copy of c (json-gold's CopyContext; the previous
// context is shared, as contexts are immutable).
func (c *activeContext) clone() *activeContext {
	n := *c
	n.terms = maps.Clone(c.terms)
	if n.terms == nil {
		n.terms = map[string]*termDef{}
	}
	return &n
}

// revert is json-gold's RevertToPreviousContext.
func (c *activeContext) revert() *activeContext {
	if c.previous != nil {
		return c.previous
	}
	return c
}

// expandIRI is IRI expansion outside context processing. The base IRI is
// always empty, so document-relative expansion leaves relative IRIs alone.
func (c *activeContext) expandIRI(value string, vocab bool) (string, error) {
	if isKeyword(value) {
		return value, nil
	}
	if isIgnoredKeyword(value) {
		return "", nil
	}
	if vocab {
		if td, ok := c.terms[value]; ok {
			if td == nil {
				return "", nil
			}
			return td.id, nil
		}
	}
	if i := strings.IndexByte(value, ':'); i > 0 {
		prefix, suffix := value[:i], value[i+1:]
		if prefix == "_" || strings.HasPrefix(suffix, "//") {
			return value, nil
		}
		if td, ok := c.terms[prefix]; ok {
			if td == nil {
				return "", nullPrefixErr()
			}
			if td.id != "" && td.prefix {
				return td.id + suffix, nil
			}
		}
		if isAbsoluteIRI(value) {
			return value, nil
		}
	}
	if vocab && c.hasVocab {
		return c.vocab + value, nil
	}
	return value, nil
}

// keywordOf is expandIRI(value, true) when that is a keyword, and ""
// otherwise, without building the expanded IRI (the expansion scans only
// look for @type, @value and @id). A keyword has no colon, which rules
// most cases out.
func (c *activeContext) keywordOf(value string) (string, error) {
	if isKeyword(value) {
		return value, nil
	}
	if isIgnoredKeyword(value) {
		return "", nil
	}
	if td, ok := c.terms[value]; ok {
		if td != nil && isKeyword(td.id) {
			return td.id, nil
		}
		return "", nil
	}
	if i := strings.IndexByte(value, ':'); i > 0 {
		prefix, suffix := value[:i], value[i+1:]
		if prefix == "_" || strings.HasPrefix(suffix, "//") {
			return "", nil
		}
		if td, ok := c.terms[prefix]; ok {
			if td == nil {
				return "", nullPrefixErr()
			}
			if td.id != "" && td.prefix {
				if strings.IndexByte(td.id, ':') < 0 && isKeyword(td.id+suffix) {
					return td.id + suffix, nil
				}
				return "", nil
			}
		}
		if isAbsoluteIRI(value) {
			return "", nil
		}
	}
	if c.hasVocab && strings.IndexByte(c.vocab, ':') < 0 && isKeyword(c.vocab+value) {
		return c.vocab + value, nil
	}
	return "", nil
}

func nullPrefixErr() *Error {
	return newErr(InvalidInput, "a compact IRI uses a prefix defined as null")
}

// nonTermKeys are the context entries that are not term definitions.
var nonTermKeys = map[string]bool{
	"@base": true, "@direction": true, "@import": true, "@language": true,
	"@protected": true, "@version": true, "@vocab": true,
}

// maxRemoteDepth bounds remote contexts that load remote contexts (json-gold
// recurses without bound on a context that includes itself).
const maxRemoteDepth = 16

// parse is json-gold's Context.parse: it processes the local context local
// on top of c and returns a new context (or c itself for an empty array).
// c is not modified.
func (st *state) parse(c *activeContext, local any, remote []string, parsingRemote, propagate, override bool, depth int) (*activeContext, error) {
	contexts, isArray := local.([]any)
	if !isArray {
		contexts = []any{local}
	}
	if len(contexts) == 0 {
		return c, nil
	}
	if m, ok := contexts[0].(map[string]any); ok {
		if b, ok := m["@propagate"].(bool); ok {
			propagate = b
		}
	}
	if err := st.countProcessing(); err != nil {
		return nil, err
	}
	result := c.clone()
	if !propagate && result.previous == nil {
		result.previous = c
	}
	for _, item := range contexts {
		var cm map[string]any
		switch t := item.(type) {
		case nil:
			if !override && result.hasProtected {
				return nil, newErr(InvalidContextNullification, "tried to nullify a context with protected terms outside of a term definition")
			}
			n := newContext()
			if !propagate {
				n.previous = result
			}
			result = n
			continue
		case string:
			uri := t
			if slices.Contains(remote, uri) {
				return nil, &Error{Code: RecursiveContextInclusion, Op: "loading context " + uri}
			}
			remote = append(remote, uri)
			if depth >= maxRemoteDepth {
				return nil, &Error{Code: RecursiveContextInclusion, Op: "loading context " + uri, Msg: "remote contexts nested too deeply"}
			}
			doc, err := st.load(uri)
			if err != nil {
				return nil, err
			}
			dm, isMap := doc.(map[string]any)
			rc, has := dm["@context"]
			if !isMap || !has {
				return nil, &Error{Code: InvalidRemoteContext, Op: "loading context " + uri, Msg: "no top-level @context"}
			}
			r, err := st.parse(result, rc, nil, true, true, override, depth+1)
			if err != nil {
				return nil, withOp(err, "processing context "+uri)
			}
			result = r
			continue
		case map[string]any:
			cm = t
		default:
			return nil, newErr(InvalidLocalContext, "a context must be an object, a string or null")
		}
		if nested := cm["@context"]; nested != nil {
			m, ok := nested.(map[string]any)
			if !ok {
				return nil, newErr(InvalidLocalContext, "a nested @context must be an object")
			}
			cm = m
		}
		if v, ok := cm["@version"]; ok {
			if f, isNum := v.(float64); !isNum || f != 1.1 {
				return nil, newErr(InvalidVersionValue, "unsupported JSON-LD version")
			}
		}
		if v, ok := cm["@import"]; ok {
			var err error
			if cm, err = st.importContext(cm, v); err != nil {
				return nil, err
			}
		}
		if v, ok := cm["@base"]; ok && !parsingRemote {
			switch b := v.(type) {
			case nil:
			case string:
				if isAbsoluteIRI(b) {
					return nil, unsupported("@base")
				}
				return nil, newErr(InvalidBaseIRI, "a relative @base needs an absolute base IRI")
			default:
				return nil, newErr(InvalidBaseIRI, "the value of @base in a @context must be a string or null")
			}
		}
		if v, ok := cm["@language"]; ok {
			switch l := v.(type) {
			case nil:
				result.hasLanguage, result.language = false, ""
			case string:
				result.hasLanguage, result.language = true, strings.ToLower(l)
			default:
				return nil, newErr(InvalidDefaultLanguage, "@language must be a string or null")
			}
		}
		if v, ok := cm["@direction"]; ok {
			switch d := v.(type) {
			case nil:
				result.direction = ""
			case string:
				if d != "ltr" && d != "rtl" {
					return nil, newErr(InvalidBaseDirection, "@direction must be ltr, rtl or null")
				}
				result.direction = d
			default:
				return nil, newErr(InvalidBaseDirection, "@direction must be ltr, rtl or null")
			}
		}
		defined := make(map[string]bool, len(cm)+2)
		if v, ok := cm["@propagate"]; ok {
			if _, isBool := v.(bool); !isBool {
				return nil, newErr(InvalidPropagateValue, "@propagate value must be a boolean")
			}
			defined["@propagate"] = true
		}
		if v, ok := cm["@vocab"]; ok {
			switch s := v.(type) {
			case nil:
				result.hasVocab, result.vocab = false, ""
			case string:
				ev, err := result.expandIRI(s, true)
				if err != nil {
					return nil, err
				}
				result.hasVocab, result.vocab = true, ev
			default:
				return nil, newErr(InvalidVocabMapping, "@vocab must be a string or null")
			}
		}
		if v, ok := cm["@protected"]; ok {
			b, isBool := v.(bool)
			if !isBool {
				return nil, newErr(InvalidInput, "@protected must be a boolean")
			}
			defined["@protected"] = b
		}
		keys := make([]string, 0, len(cm))
		for k := range cm {
			if !nonTermKeys[k] {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		b := builder{st: st, ctx: result, local: cm, defined: defined, override: override}
		for _, k := range keys {
			if err := b.define(k, override); err != nil {
				return nil, err
			}
		}
	}
	return result, nil
}

// importContext handles @import: the imported context's entries, overlaid
// with those of cm. (json-gold merges into the loaded document; this builds
// a new map so loaded documents are never modified.)
func (st *state) importContext(cm map[string]any, v any) (map[string]any, error) {
	uri, ok := v.(string)
	if !ok {
		return nil, newErr(InvalidImportValue, "@import must be a string")
	}
	doc, err := st.load(uri)
	if err != nil {
		return nil, err
	}
	dm, isMap := doc.(map[string]any)
	ic, has := dm["@context"]
	if !isMap || !has {
		return nil, &Error{Code: InvalidRemoteContext, Op: "importing context " + uri, Msg: "no top-level @context"}
	}
	im, isMap := ic.(map[string]any)
	if !isMap {
		return nil, &Error{Code: InvalidRemoteContext, Op: "importing context " + uri, Msg: "the imported context must be an object"}
	}
	if _, has := im["@import"]; has {
		return nil, &Error{Code: InvalidContextEntry, Op: "importing context " + uri, Msg: "an imported context must not include @import"}
	}
	merged := make(map[string]any, len(im)+len(cm))
	maps.Copy(merged, im)
	maps.Copy(merged, cm)
	return merged, nil
}

// builder runs the Create Term Definition algorithm for one local context.
type builder struct {
	st      *state
	ctx     *activeContext // being built; not yet shared
	local   map[string]any
	defined map[string]bool
	// override is set for property-scoped contexts, which may redefine
	// protected terms. A term defined because another refers to it is
	// defined without override (as in json-gold and the spec), so there
	// the outcome depends on the order terms are processed in.
	override bool
}

// define is json-gold's createTermDefinition.
func (b *builder) define(term string, override bool) error {
	if done, seen := b.defined[term]; seen {
		if done {
			return nil
		}
		return newErr(CyclicIRIMapping, "term %q", term)
	}
	b.defined[term] = false
	c := b.ctx
	value := b.local[term]
	m, isMap := value.(map[string]any)
	idValue, hasID := m["@id"]
	if value == nil || (isMap && hasID && idValue == nil) {
		c.terms[term] = nil
		b.defined[term] = true
		return nil
	}
	simple := false
	if s, isString := value.(string); isString {
		m = map[string]any{"@id": s}
		simple, isMap = true, true
	}
	if !isMap {
		return newErr(InvalidTermDefinition, "term %q: a definition must be a string, an object or null", term)
	}
	if isKeyword(term) {
		vm, vIsMap := value.(map[string]any)
		onlyAllowed := true
		for k := range vm {
			if k != "@container" && k != "@protected" {
				onlyAllowed = false
				break
			}
		}
		isSet := vIsMap && (vm["@container"] == "@set" || vm["@container"] == nil)
		if !(term == "@type" && onlyAllowed && isSet) {
			return newErr(KeywordRedefinition, "%s", term)
		}
	} else if isIgnoredKeyword(term) {
		return nil
	}
	prev := c.terms[term]
	delete(c.terms, term)

	for k := range m {
		switch k {
		case "@container", "@id", "@language", "@reverse", "@type",
			"@context", "@direction", "@index", "@nest", "@prefix", "@protected":
		default:
			return newErr(InvalidTermDefinition, "term %q: a term definition must not contain %s", term, k)
		}
	}
	colon := strings.IndexByte(term, ':')
	hasColon := colon > 0
	def := &termDef{}

	if _, ok := m["@reverse"]; ok {
		return unsupported("@reverse (term %q)", term)
	}
	if idValue, ok := m["@id"]; ok {
		idStr, isString := idValue.(string)
		if !isString {
			return newErr(InvalidIRIMapping, "term %q: @id must be a string", term)
		}
		if term != idStr {
			if !isKeyword(idStr) && isIgnoredKeyword(idStr) {
				return nil
			}
			res, err := b.expandIRI(idStr, false, true)
			if err != nil {
				return err
			}
			if !isKeyword(res) && !isAbsoluteIRI(res) {
				return newErr(InvalidIRIMapping, "term %q: an IRI mapping must be a keyword, an absolute IRI or a blank node identifier", term)
			}
			if res == "@context" {
				return newErr(InvalidKeywordAlias, "cannot alias @context")
			}
			def.id = res
			if iriLike(term) {
				b.defined[term] = true
				termIRI, err := b.expandIRI(term, false, true)
				if err != nil {
					return err
				}
				if termIRI != res {
					return newErr(InvalidIRIMapping, "term %q does not expand to its IRI mapping", term)
				}
				delete(b.defined, term)
			}
			suffix := false
			if n := len(res); n > 0 {
				switch res[n-1] {
				case ':', '/', '?', '#', '[', ']', '@':
					suffix = true
				}
			}
			def.prefix = !hasColon && suffix && simple
		}
	}
	if def.id == "" {
		switch {
		case hasColon:
			prefix := term[:colon]
			if _, ok := b.local[prefix]; ok {
				if err := b.define(prefix, override); err != nil {
					return err
				}
			}
			if ptd, ok := c.terms[prefix]; ok {
				if ptd == nil {
					return nullPrefixErr()
				}
				def.id = ptd.id + term[colon+1:]
			} else {
				def.id = term
			}
		case c.hasVocab:
			def.id = c.vocab + term
		case term != "@type":
			return newErr(InvalidIRIMapping, "term %q: relative term definition without vocab mapping", term)
		}
	}
	protected := b.defined["@protected"]
	if v, ok := m["@protected"]; ok {
		p, isBool := v.(bool)
		if !isBool {
			return newErr(InvalidInput, "term %q: @protected must be a boolean", term)
		}
		protected = p
	}
	if protected {
		c.hasProtected = true
		def.protected = true
	}
	b.defined[term] = true

	if v, ok := m["@type"]; ok {
		typ, isString := v.(string)
		if !isString {
			return newErr(InvalidTypeMapping, "term %q: @type must be a string", term)
		}
		switch typ {
		case "@id", "@vocab", "@json", "@none":
		default:
			ev, err := b.expandIRI(typ, false, true)
			if err != nil {
				if CodeOf(err) == InvalidIRIMapping {
					return newErr(InvalidTypeMapping, "term %q: invalid @type", term)
				}
				return err
			}
			if !isAbsoluteIRI(ev) {
				return newErr(InvalidTypeMapping, "term %q: an @context @type value must be an absolute IRI", term)
			}
			if strings.HasPrefix(ev, "_:") {
				return newErr(InvalidTypeMapping, "term %q: an @context @type value must be an IRI, not a blank node identifier", term)
			}
			typ = ev
		}
		def.typ = typ
	}
	if v, ok := m["@container"]; ok {
		if err := b.container(term, def, v); err != nil {
			return err
		}
	}
	if _, ok := m["@index"]; ok {
		return unsupported("@index in a term definition (term %q)", term)
	}
	if v, ok := m["@context"]; ok {
		def.ctx, def.hasCtx = v, true
	}
	if v, ok := m["@language"]; ok {
		if _, hasType := m["@type"]; !hasType {
			switch l := v.(type) {
			case string:
				s := strings.ToLower(l)
				def.language, def.hasLanguage = &s, true
			case nil:
				def.language, def.hasLanguage = nil, true
			default:
				return newErr(InvalidLanguageMapping, "term %q: @language must be a string or null", term)
			}
		}
	}
	if v, ok := m["@prefix"]; ok {
		if strings.ContainsAny(term, ":/") {
			return newErr(InvalidTermDefinition, "term %q: @prefix used on a compact or relative IRI term", term)
		}
		p, isBool := v.(bool)
		if !isBool {
			return newErr(InvalidPrefixValue, "term %q: @prefix must be a boolean", term)
		}
		if isKeyword(def.id) {
			return newErr(InvalidTermDefinition, "term %q: keywords may not be used as prefixes", term)
		}
		def.prefix = p
	}
	if v, ok := m["@direction"]; ok {
		switch d := v.(type) {
		case string:
			s := strings.ToLower(d)
			def.direction, def.hasDirection = &s, true
		case nil:
			def.direction, def.hasDirection = nil, true
		default:
			return newErr(InvalidBaseDirection, "term %q: @direction must be a string or null", term)
		}
	}
	if v, ok := m["@nest"]; ok {
		n, isString := v.(string)
		if isString && n == "" {
			return newErr(InvalidInput, "term %q: empty @nest", term)
		}
		if !isString || (n != "@nest" && n[0] == '@') {
			return newErr(InvalidNestValue, "term %q: @nest must be a string which is not a keyword other than @nest", term)
		}
		def.nest = n
	}
	if def.id == "@context" || def.id == "@preserve" {
		return newErr(InvalidKeywordAlias, "@context and @preserve cannot be aliased")
	}
	if prev != nil && prev.protected {
		if !override {
			c.hasProtected = true
			def.protected = true
			if !sameDefinition(prev, def) {
				if b.override {
					// Defined because another term refers to it: in another
					// order the loop would have defined it, with override.
					return unsupported("redefinition of protected term %q in a property-scoped context depends on term order", term)
				}
				return newErr(ProtectedTermRedefinition, "term %q", term)
			}
		} else if b.referenced(term) {
			// Defined with override by the loop; in another order a term
			// referring to it would have defined it without, as protected.
			alt := *def
			alt.protected = true
			if !sameDefinition(prev, &alt) {
				return unsupported("redefinition of protected term %q in a property-scoped context depends on term order", term)
			}
		}
	}
	c.terms[term] = def
	return nil
}

// referenced reports whether another entry of the local context may make
// IRI expansion define term (an @id, @type or @reverse that is term or a
// compact IRI with prefix term, or a key with prefix term).
func (b *builder) referenced(term string) bool {
	refers := func(v any) bool {
		s, ok := v.(string)
		return ok && (s == term || strings.HasPrefix(s, term+":"))
	}
	for k, v := range b.local {
		if k == term {
			continue
		}
		if strings.HasPrefix(k, term+":") || refers(v) {
			return true
		}
		if m, ok := v.(map[string]any); ok && (refers(m["@id"]) || refers(m["@type"]) || refers(m["@reverse"])) {
			return true
		}
	}
	return false
}

// iriLike is json-gold's iriLikeTermPattern, (?::[^:])|/: a slash, or a
// colon followed by a character other than a colon.
func iriLike(term string) bool {
	for i := 0; i < len(term); i++ {
		switch term[i] {
		case '/':
			return true
		case ':':
			if i+1 < len(term) && term[i+1] != ':' {
				return true
			}
		}
	}
	return false
}

func (b *builder) container(term string, def *termDef, v any) error {
	var list []string
	switch t := v.(type) {
	case []any:
		list = make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return newErr(InvalidInput, "term %q: @container entries must be strings", term)
			}
			list = append(list, s)
		}
	case string:
		list = []string{t}
	default:
		return newErr(InvalidInput, "term %q: @container must be a string or an array", term)
	}
	var flags uint8
	valid := true
	for _, s := range list {
		switch s {
		case "@list":
			flags |= cList
		case "@set":
			flags |= cSet
		case "@index":
			flags |= cIndex
		case "@language":
			flags |= cLanguage
		case "@graph":
			flags |= cGraph
		case "@id":
			flags |= cID
		case "@type":
			flags |= cType
		default:
			valid = false
		}
	}
	if flags&cList != 0 && len(list) != 1 {
		return newErr(InvalidContainerMapping, "term %q: @list must have no other values", term)
	}
	if flags&cGraph != 0 {
		if !valid || flags&^(cGraph|cID|cIndex|cSet) != 0 {
			return newErr(InvalidContainerMapping, "term %q: @graph may only be combined with @id, @index and @set", term)
		}
	} else {
		max := 1
		if flags&cSet != 0 {
			max = 2
		}
		if len(list) > max {
			return newErr(InvalidContainerMapping, "term %q: @set can only be combined with one more container", term)
		}
	}
	if flags&cType != 0 {
		if def.typ == "" {
			def.typ = "@id"
		}
		if def.typ != "@id" && def.typ != "@vocab" {
			return newErr(InvalidTypeMapping, "term %q: @container @type requires @type @id or @vocab", term)
		}
	}
	if !valid {
		return newErr(InvalidContainerMapping, "term %q: invalid @container value", term)
	}
	if flags&cSet != 0 && flags&cList != 0 {
		return newErr(InvalidContainerMapping, "term %q: @set not allowed with @list", term)
	}
	def.container = list
	def.containers = flags
	if term == "@type" {
		def.id = "@type"
	}
	return nil
}

// expandIRI is IRI expansion during context processing: terms of the
// local context that are referred to are defined first.
func (b *builder) expandIRI(value string, relative, vocab bool) (string, error) {
	if isKeyword(value) {
		return value, nil
	}
	if isIgnoredKeyword(value) {
		return "", nil
	}
	c := b.ctx
	if _, ok := b.local[value]; ok && !b.defined[value] {
		if err := b.define(value, false); err != nil {
			return "", err
		}
	}
	if vocab {
		if td, ok := c.terms[value]; ok {
			if td == nil {
				return "", nil
			}
			return td.id, nil
		}
	}
	if i := strings.IndexByte(value, ':'); i > 0 {
		prefix, suffix := value[:i], value[i+1:]
		if prefix == "_" || strings.HasPrefix(suffix, "//") {
			return value, nil
		}
		if _, ok := b.local[prefix]; ok && !b.defined[prefix] {
			if err := b.define(prefix, false); err != nil {
				return "", err
			}
		}
		if td, ok := c.terms[prefix]; ok {
			if td == nil {
				return "", nullPrefixErr()
			}
			if td.id != "" && td.prefix {
				return td.id + suffix, nil
			}
		}
		if isAbsoluteIRI(value) {
			return value, nil
		}
	}
	if vocab && c.hasVocab {
		return c.vocab + value, nil
	}
	if relative {
		return value, nil
	}
	if !isKeyword(value) && !isAbsoluteIRI(value) {
		return "", newErr(InvalidIRIMapping, "not an absolute IRI")
	}
	return value, nil
}
