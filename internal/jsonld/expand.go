package jsonld

import (
	"slices"
	"strings"
)

// The expansion algorithm, step for step as json-gold v0.9.1 runs it
// (api_expand.go), including where it differs from the W3C algorithm: the
// output must be the same Go value. The one exception is where a term's
// container mapping is read from (expandObject; withJSONGoldContainerQuirk
// restores json-gold's reading).

func (st *state) enter() error {
	st.depth++
	if st.depth > st.p.maxDepth {
		return limitErr("document nested deeper than %d", st.p.maxDepth)
	}
	st.steps++
	if st.steps&1023 == 0 {
		if err := st.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// sortedKeys pushes m's keys, sorted, on the key stack and returns them
// with the stack mark to pop back to.
func (st *state) sortedKeys(m map[string]any, skipContext bool) ([]string, int) {
	mark := len(st.keys)
	for k := range m {
		if skipContext && k == "@context" {
			continue
		}
		st.keys = append(st.keys, k)
	}
	ks := st.keys[mark:len(st.keys):len(st.keys)]
	slices.Sort(ks)
	return ks, mark
}

// arrayify returns v if it is an array, else a new [v] (for values that
// may be appended to in place; see state.arrayify for output arrays).
func arrayify(v any) []any {
	if a, ok := v.([]any); ok {
		return a
	}
	return []any{v}
}

// expand is json-gold's expandElement.
func (st *state) expand(active *activeContext, prop string, elem any, insideIndex bool, typeScoped *activeContext) (any, error) {
	switch t := elem.(type) {
	case nil:
		return nil, nil
	case []any:
		return st.expandArray(active, prop, t, insideIndex, typeScoped)
	case map[string]any:
		return st.expandMap(active, prop, t, insideIndex, typeScoped, false)
	default:
		if prop == "" || prop == "@graph" {
			return nil, nil
		}
		return active.expandValue(prop, t)
	}
}

func (st *state) expandArray(active *activeContext, prop string, a []any, insideIndex bool, typeScoped *activeContext) (any, error) {
	if err := st.enter(); err != nil {
		return nil, err
	}
	defer func() { st.depth-- }()
	out := make([]any, 0, len(a))
	listy := prop == "@list" || active.terms[prop].has(cList)
	for _, item := range a {
		v, err := st.expand(active, prop, item, insideIndex, typeScoped)
		if err != nil {
			return nil, err
		}
		if listy {
			if l, ok := v.([]any); ok {
				v = map[string]any{"@list": l}
			}
		}
		if v != nil {
			if l, ok := v.([]any); ok {
				out = append(out, l...)
			} else {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

// expandMap expands a JSON object. top marks the document itself, whose
// @context has already been processed into active.
func (st *state) expandMap(active *activeContext, prop string, elem map[string]any, insideIndex bool, typeScoped *activeContext, top bool) (any, error) {
	if err := st.enter(); err != nil {
		return nil, err
	}
	defer func() { st.depth-- }()
	keys, mark := st.sortedKeys(elem, top)
	defer func() { st.keys = st.keys[:mark] }()

	// json-gold expands the active property only to compare it with
	// @reverse.
	eap, err := active.keywordOf(prop)
	if err != nil {
		return nil, err
	}
	var scoped *termDef
	if td := active.terms[prop]; td != nil && td.ctx != nil {
		scoped = td
	}
	if typeScoped == nil && active.previous != nil {
		typeScoped = active
	}
	mustRevert := !insideIndex
	var elemCtx any
	hasContext := false
	if !top {
		elemCtx, hasContext = elem["@context"]
	}
	if mustRevert && typeScoped != nil && len(keys) <= 2 && !hasContext {
		for _, k := range keys {
			ep, err := typeScoped.keywordOf(k)
			if err != nil {
				return nil, err
			}
			if ep == "@value" {
				mustRevert = false
				active = typeScoped
				break
			}
			if ep == "@id" && len(keys) == 1 {
				mustRevert = false
				break
			}
		}
	}
	if mustRevert {
		active = active.revert()
	}
	if scoped != nil {
		if active, err = st.applyTerm(active, scoped, true, true); err != nil {
			return nil, err
		}
	}
	if hasContext {
		if active, err = st.applyEmbedded(active, elemCtx); err != nil {
			return nil, err
		}
	}
	typeScoped = active
	typeKey := ""
	for _, k := range keys {
		ep, err := active.keywordOf(k)
		if err != nil {
			return nil, err
		}
		if ep != "@type" {
			continue
		}
		switch v := elem[k].(type) {
		case string:
			if active, err = st.applyTypeScoped(active, typeScoped, v); err != nil {
				return nil, err
			}
		case []any:
			var buf [8]string
			types := buf[:0]
			for _, t := range v {
				s, ok := t.(string)
				if !ok {
					return nil, newErr(InvalidTypeValue, "@type value must be a string or array of strings")
				}
				types = append(types, s)
			}
			slices.Sort(types)
			for _, t := range types {
				if active, err = st.applyTypeScoped(active, typeScoped, t); err != nil {
					return nil, err
				}
			}
		default:
			return nil, newErr(InvalidTypeValue, "@type value must be a string or array of strings")
		}
		typeKey = k
	}

	result := make(map[string]any, len(keys))
	if err := st.expandObject(active, prop, eap, elem, keys, result, typeKey, typeScoped); err != nil {
		return nil, err
	}

	if rval, hasValue := result["@value"]; hasValue {
		for k := range result {
			switch k {
			case "@value", "@index", "@language", "@type", "@direction":
			default:
				return nil, newErr(InvalidValueObject, "value object has unknown keys")
			}
		}
		_, hasLang := result["@language"]
		_, hasDir := result["@direction"]
		tv, hasType := result["@type"]
		if (hasLang || hasDir) && hasType {
			return nil, newErr(InvalidValueObject, "value object must not include @type with either @language or @direction")
		}
		if rval == nil && !isString(tv, "@json") {
			return nil, nil
		}
		if hasLang {
			for _, v := range arrayify(rval) {
				if _, ok := v.(string); !ok && !isEmptyObject(v) {
					return nil, newErr(InvalidLanguageTaggedValue, "only strings may be language-tagged")
				}
			}
		} else if hasType {
			types := arrayify(tv)
			if !(len(types) == 1 && isString(types[0], "@json")) {
				for _, v := range types {
					s, ok := v.(string)
					if !isEmptyObject(v) && !(ok && isAbsoluteIRI(s) && !strings.HasPrefix(s, "_:")) {
						return nil, newErr(InvalidTypedValue, "an element containing @value and @type must have an absolute IRI for the value of @type")
					}
				}
			}
		}
	} else if rt, hasType := result["@type"]; hasType {
		if _, ok := rt.([]any); !ok {
			result["@type"] = st.one(rt)
		}
	} else {
		rset, hasSet := result["@set"]
		_, hasList := result["@list"]
		if hasSet || hasList {
			max := 1
			if _, ok := result["@index"]; ok {
				max = 2
			}
			if len(result) > max {
				return nil, newErr(InvalidSetOrListObject, "@set or @list may only contain @index")
			}
			if hasSet {
				return rset, nil
			}
		}
	}
	if _, ok := result["@language"]; ok && len(result) == 1 {
		return nil, nil
	}
	if prop == "" || prop == "@graph" {
		_, hasValue := result["@value"]
		_, hasList := result["@list"]
		_, hasID := result["@id"]
		if len(result) == 0 || hasValue || hasList || hasID && len(result) == 1 {
			return nil, nil
		}
	}
	return result, nil
}

func (st *state) applyTypeScoped(active, typeScoped *activeContext, t string) (*activeContext, error) {
	if td := typeScoped.terms[t]; td != nil && td.hasCtx {
		return st.applyTerm(active, td, false, false)
	}
	return active, nil
}

func isString(v any, s string) bool {
	t, ok := v.(string)
	return ok && t == s
}

func isEmptyObject(v any) bool {
	m, ok := v.(map[string]any)
	return ok && len(m) == 0
}

// isSubject is json-gold's IsSubject: a node object that is not just a
// reference.
func isSubject(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, hasValue := m["@value"]
	_, hasSet := m["@set"]
	_, hasList := m["@list"]
	if hasValue || hasSet || hasList {
		return false
	}
	_, hasID := m["@id"]
	return len(m) > 1 || !hasID
}

func isGraph(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if _, ok := m["@graph"]; !ok {
		return false
	}
	for k := range m {
		if k != "@id" && k != "@index" && k != "@graph" {
			return false
		}
	}
	return true
}

// expandObject is json-gold's expandObject: it expands elem's entries into
// result. keys are elem's keys, sorted.
func (st *state) expandObject(active *activeContext, prop, eap string, elem map[string]any, keys []string, result map[string]any, typeKey string, typeScoped *activeContext) error {
	inputType := ""
	if it := elem[typeKey]; it != nil {
		if a, ok := it.([]any); ok {
			if len(a) > 0 {
				it = a[len(a)-1]
			} else {
				it = nil
			}
		}
		if _, ok := it.(map[string]any); ok {
			return newErr(InvalidTypedValue, "@type value must be a string or array of strings")
		}
		if it != nil {
			s, ok := it.(string)
			if !ok {
				return newErr(InvalidInput, "@type value must be a string or array of strings")
			}
			var err error
			if inputType, err = active.expandIRI(s, true); err != nil {
				return err
			}
		}
	}

	var nests []string
	for _, key := range keys {
		if key == "@context" {
			continue
		}
		value := elem[key]
		ep, err := active.expandIRI(key, true)
		if err != nil {
			return err
		}
		if ep == "" || (!strings.Contains(ep, ":") && !isKeyword(ep)) {
			return newErr(InvalidProperty, "a property does not expand to an absolute IRI or keyword")
		}
		if isKeyword(ep) {
			if eap == "@reverse" {
				return newErr(InvalidReversePropertyMap, "a keyword cannot be used as a @reverse property")
			}
			if _, exists := result[ep]; exists && ep != "@type" && ep != "@included" {
				return newErr(CollidingKeywords, "%s already exists in result", ep)
			}
			var ev any
			switch ep {
			case "@id":
				s, ok := value.(string)
				if !ok {
					return newErr(InvalidIDValue, "value of @id must be a string")
				}
				if ev, err = active.expandIRI(s, false); err != nil {
					return err
				}
			case "@included":
				v, err := st.expand(active, prop, value, false, nil)
				if err != nil {
					return err
				}
				inc := arrayify(v)
				for _, x := range inc {
					if !isSubject(x) {
						return newErr(InvalidIncludedValue, "values of @included must expand to node objects")
					}
				}
				if prev, ok := result["@included"]; ok {
					inc = append(prev.([]any), inc...)
				}
				ev = inc
			case "@type":
				switch v := value.(type) {
				case []any:
					var list []any
					for _, e := range v {
						s, ok := e.(string)
						if !ok {
							return newErr(InvalidTypeValue, "@type value must be a string or array of strings")
						}
						x, err := typeScoped.expandIRI(s, true)
						if err != nil {
							return err
						}
						list = append(list, x)
					}
					ev = list
				case string:
					x, err := typeScoped.expandIRI(v, true)
					if err != nil {
						return err
					}
					if prev, exists := result["@type"]; exists {
						ev = append(arrayify(prev), x)
					} else {
						ev = x
					}
				case map[string]any:
					if len(v) != 0 {
						return newErr(InvalidTypeValue, "@type value must be a an empty object for framing")
					}
					ev = v
				default:
					return newErr(InvalidTypeValue, "@type value must be a string or array of strings")
				}
			case "@graph":
				v, err := st.expand(active, "@graph", value, false, nil)
				if err != nil {
					return err
				}
				ev = st.arrayify(v)
			case "@value":
				if inputType != "@json" {
					switch value.(type) {
					case map[string]any, []any:
						return newErr(InvalidValueObjectValue, "value of @value must be a scalar or null")
					}
				}
				if value == nil {
					result["@value"] = nil
					continue
				}
				ev = value
			case "@language":
				s, ok := value.(string)
				if !ok {
					return newErr(InvalidLanguageTaggedString, "@language value must be a string")
				}
				ev = strings.ToLower(s)
			case "@direction":
				if _, ok := value.(string); !ok {
					return newErr(InvalidBaseDirection, "@direction must be one of 'ltr', 'rtl'")
				}
				ev = value
			case "@index":
				if _, ok := value.(string); !ok {
					return newErr(InvalidIndexValue, "value of @index must be a string")
				}
				ev = value
			case "@list":
				if prop == "" || prop == "@graph" {
					continue
				}
				v, err := st.expand(active, prop, value, false, nil)
				if err != nil {
					if !swallowed(err) {
						return err
					}
					v = nil
				}
				ev = st.arrayify(v)
			case "@set":
				v, err := st.expand(active, prop, value, false, nil)
				if err != nil {
					if !swallowed(err) {
						return err
					}
					v = nil
				}
				ev = v
			case "@reverse":
				return unsupported("@reverse")
			case "@nest":
				nests = append(nests, key)
			case "@default":
				v, err := st.expand(active, "@default", value, false, nil)
				if err != nil {
					if !swallowed(err) {
						return err
					}
					v = nil
				}
				ev = v
			case "@explicit", "@embed", "@requireAll", "@omitDefault":
				ev = st.one(value)
			}
			if ev != nil {
				result[ep] = ev
			}
			continue
		}

		termCtx := active
		td := active.terms[key]
		if td != nil && td.hasCtx {
			if termCtx, err = st.applyTerm(active, td, true, true); err != nil {
				return err
			}
		}
		vm, isMap := value.(map[string]any)
		// The container mapping is key's in the active context, before
		// its scoped context applies (JSON-LD 1.1 API, expansion algorithm
		// step 13.5; jsonld.js does the same). json-gold reads it from the
		// term's scoped context, so that a term with "@context": null
		// loses its container.
		ttd := td
		if st.p.goldContainer {
			ttd = termCtx.terms[key]
		}
		var ev any
		switch {
		case isMap && ttd.has(cLanguage):
			ev, err = st.languageMap(termCtx, td, vm)
		case isMap && ttd.has(cIndex):
			ev, err = st.indexMap(termCtx, key, vm, "@index", ttd.has(cGraph))
		case isMap && ttd.has(cID):
			ev, err = st.indexMap(termCtx, key, vm, "@id", ttd.has(cGraph))
		case isMap && ttd.has(cType):
			ev, err = st.indexMap(termCtx.revert(), key, vm, "@type", false)
		case td != nil && td.typ == "@json":
			ev = map[string]any{"@type": "@json", "@value": value}
		default:
			ev, err = st.expand(termCtx, key, value, false, nil)
		}
		if err != nil {
			return err
		}
		if ev == nil {
			continue
		}
		if ttd.has(cList) {
			m, ok := ev.(map[string]any)
			if _, hasList := m["@list"]; !ok || !hasList {
				if l, ok := ev.([]any); ok {
					ev = map[string]any{"@list": l}
				} else {
					ev = map[string]any{"@list": st.one(ev)}
				}
			}
		}
		if ttd.has(cGraph) && !ttd.has(cID) && !ttd.has(cIndex) {
			items := st.arrayify(ev)
			wrapped := make([]any, 0, len(items))
			for _, x := range items {
				wrapped = append(wrapped, map[string]any{"@graph": st.arrayify(x)})
			}
			ev = wrapped
		}
		if prev, exists := result[ep]; exists {
			list, ok := prev.([]any)
			if !ok {
				return newErr(InvalidInput, "a property collides with a keyword entry")
			}
			if l, ok := ev.([]any); ok {
				list = append(list, l...)
			} else {
				list = append(list, ev)
			}
			result[ep] = list
		} else if l, ok := ev.([]any); ok {
			if l == nil {
				l = []any{}
			}
			result[ep] = l
		} else {
			result[ep] = st.one(ev)
		}
	}

	for _, n := range nests {
		for _, nv := range arrayify(elem[n]) {
			nm, ok := nv.(map[string]any)
			if ok {
				nkeys, mark := st.sortedKeys(nm, false)
				for _, k := range nkeys {
					x, err := active.keywordOf(k)
					if err != nil {
						st.keys = st.keys[:mark]
						return err
					}
					if x == "@value" {
						ok = false
						break
					}
				}
				st.keys = st.keys[:mark]
			}
			if !ok {
				return newErr(InvalidNestValue, "nested value must be a node object")
			}
			if err := st.expandNested(active, prop, eap, nm, result, typeKey, typeScoped); err != nil {
				return err
			}
		}
	}
	return nil
}

func (st *state) expandNested(active *activeContext, prop, eap string, nm map[string]any, result map[string]any, typeKey string, typeScoped *activeContext) error {
	if err := st.enter(); err != nil {
		return err
	}
	defer func() { st.depth-- }()
	keys, mark := st.sortedKeys(nm, false)
	defer func() { st.keys = st.keys[:mark] }()
	return st.expandObject(active, prop, eap, nm, keys, result, typeKey, typeScoped)
}

// languageMap expands a language map. Like json-gold, it puts the term's
// @direction into the value objects as a *string.
func (st *state) languageMap(termCtx *activeContext, td *termDef, vm map[string]any) (any, error) {
	keys, mark := st.sortedKeys(vm, false)
	defer func() { st.keys = st.keys[:mark] }()
	var list []any
	for _, lang := range keys {
		el, err := termCtx.expandIRI(lang, true)
		if err != nil {
			return nil, err
		}
		for _, item := range arrayify(vm[lang]) {
			if item == nil {
				continue
			}
			if _, ok := item.(string); !ok {
				return nil, newErr(InvalidLanguageMapValue, "language map values must be strings")
			}
			v := map[string]any{"@value": item}
			if el != "@none" {
				v["@language"] = strings.ToLower(lang)
			}
			if td.hasDirection {
				if td.direction != nil {
					v["@direction"] = td.direction
				}
			} else if termCtx.direction != "" {
				v["@direction"] = termCtx.direction
			}
			list = append(list, v)
		}
	}
	return list, nil
}

// indexMap is json-gold's expandIndexMap for @index (without a property
// index), @id and @type maps.
func (st *state) indexMap(ctx *activeContext, prop string, vm map[string]any, indexKey string, asGraph bool) (any, error) {
	if err := st.enter(); err != nil {
		return nil, err
	}
	defer func() { st.depth-- }()
	keys, mark := st.sortedKeys(vm, false)
	defer func() { st.keys = st.keys[:mark] }()
	var list []any
	for _, key := range keys {
		indexCtx := ctx
		if indexKey == "@type" {
			if td := ctx.terms[key]; td != nil && td.hasCtx {
				var err error
				if indexCtx, err = st.applyTerm(ctx, td, true, false); err != nil {
					return nil, err
				}
			}
		}
		v, err := st.expand(indexCtx, prop, arrayify(vm[key]), true, nil)
		if err != nil {
			return nil, err
		}
		expandedKey, err := indexCtx.expandIRI(key, true)
		if err != nil {
			return nil, err
		}
		k := key
		switch indexKey {
		case "@id":
			if k, err = indexCtx.expandIRI(key, false); err != nil {
				return nil, err
			}
		case "@type":
			k = expandedKey
		}
		items, _ := v.([]any)
		for _, item := range items {
			if asGraph && !isGraph(item) {
				item = map[string]any{"@graph": st.arrayify(item)}
			}
			m, ok := item.(map[string]any)
			if !ok {
				return nil, newErr(InvalidInput, "an index map value did not expand to an object")
			}
			switch {
			case indexKey == "@type":
				if expandedKey == "@none" {
					break
				}
				if t, has := m["@type"]; has {
					switch tv := t.(type) {
					case string:
						m["@type"] = []any{k, tv}
					case []any:
						m["@type"] = append([]any{k}, tv...)
					}
				} else {
					m["@type"] = []any{k}
				}
			case isValueObject(m) && indexKey != "@index":
				return nil, newErr(InvalidValueObject, "attempt to add an illegal key to a value object")
			default:
				if _, has := m[indexKey]; !has && expandedKey != "@none" {
					m[indexKey] = k
				}
			}
			list = append(list, m)
		}
	}
	return list, nil
}

func isValueObject(m map[string]any) bool {
	_, ok := m["@value"]
	return ok
}

// expandValue is json-gold's Context.ExpandValue.
func (c *activeContext) expandValue(prop string, value any) (any, error) {
	td := c.terms[prop]
	if td != nil && (td.typ == "@id" || td.typ == "@vocab") {
		if s, ok := value.(string); ok {
			id, err := c.expandIRI(s, td.typ == "@vocab")
			if err != nil {
				return nil, err
			}
			return map[string]any{"@id": id}, nil
		}
		return map[string]any{"@value": value}, nil
	}
	r := map[string]any{"@value": value}
	if td != nil && td.typ != "" && td.typ != "@none" {
		r["@type"] = td.typ
	} else if _, ok := value.(string); ok {
		if td != nil && td.hasLanguage {
			if td.language != nil {
				r["@language"] = *td.language
			}
		} else if c.hasLanguage {
			r["@language"] = c.language
		}
		if td != nil && td.hasDirection {
			if td.direction != nil {
				r["@direction"] = *td.direction
			}
		} else if c.direction != "" {
			r["@direction"] = c.direction
		}
	}
	return r, nil
}
