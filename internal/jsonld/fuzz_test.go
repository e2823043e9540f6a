package jsonld

import (
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
)

// FuzzExpand checks this package against json-gold on mutated documents
// over the pinned contexts. data is a JSON document; ops drives structural
// mutations of it (adding and replacing entries with terms of the pinned
// contexts, keywords, IRIs, scalars, inline contexts...), which reach far
// more of the algorithms than byte mutations of JSON text do.
//
// The processor compared with json-gold reads container mappings as
// json-gold does (withJSONGoldContainerQuirk); the default processor, which
// follows the W3C algorithm there, is only checked not to panic nor modify
// its input (testdata/jsonldjs compares it with jsonld.js).
//
// Asserted: no panic; the input is not modified; if both succeed the
// outputs are reflect.DeepEqual; if one fails so does the other, with the
// same error class (data loss, unknown context, malformed). The expected
// divergences, not compared: errors wrapping ErrUnsupported (the caller
// falls back to json-gold) or ErrLimit (json-gold has no bounds; on a
// context that includes itself it recurses until the stack overflows).
// Where json-gold panics, this package returns InvalidInput (both are
// "malformed"); where json-gold's error depends on map iteration order,
// only the class is compared, and it is the same whatever the order (the
// one case where json-gold's success depends on it is ErrUnsupported).
//
// Seeds: testdata/fuzz/FuzzExpand (internal/vc's verification seeds) and
// the documents under testdata/docs.
func FuzzExpand(f *testing.F) {
	l := newTestLoader(f)
	docs, _ := filepath.Glob("testdata/docs/*.json")
	for _, d := range docs {
		b, err := os.ReadFile(d)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, []byte{})
		f.Add(b, []byte{1, 7, 3, 200, 5, 9, 17, 33, 2, 4})
	}
	f.Add([]byte(`{"@context":"https://www.w3.org/ns/credentials/v2","type":"VerifiableCredential"}`), []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	dict := fuzzDictionary(l)
	f.Fuzz(func(t *testing.T, data, ops []byte) {
		doc, err := decodeDoc(data)
		if err != nil || doc == nil {
			return
		}
		if len(ops) > 0 {
			m := newMutator(ops, dict, l)
			doc = m.mutate(doc)
		}
		p := newGoldProcessor(l)
		mismatch, _, _ := differential(p, l, doc)
		if mismatch != "" {
			t.Fatalf("document %s\n%s", mustJSON(doc), mismatch)
		}
		// Expanding again hits the context cache: the same outcome.
		mismatch2, _, _ := differential(p, l, doc)
		if mismatch2 != "" {
			t.Fatalf("second expansion (cached contexts) of %s\n%s", mustJSON(doc), mismatch2)
		}
		if msg := specCheck(New(l), doc); msg != "" {
			t.Fatalf("document %s\n%s", mustJSON(doc), msg)
		}
	})
}

var (
	dictOnce sync.Once
	dictVal  []string
)

// fuzzDictionary lists strings worth putting in documents: every key and
// string value of the pinned contexts, the keywords, some IRIs and the
// context URLs.
func fuzzDictionary(l *testLoader) []string {
	dictOnce.Do(func() {
		set := map[string]bool{}
		var walk func(v any)
		walk = func(v any) {
			switch t := v.(type) {
			case map[string]any:
				for k, e := range t {
					set[k] = true
					walk(e)
				}
			case []any:
				for _, e := range t {
					walk(e)
				}
			case string:
				set[t] = true
			}
		}
		for u, d := range l.docs {
			set[u] = true
			walk(d)
		}
		for _, s := range []string{
			"@context", "@id", "@type", "@value", "@language", "@direction", "@index", "@list", "@set",
			"@graph", "@included", "@nest", "@reverse", "@json", "@none", "@vocab", "@base", "@default",
			"@explicit", "@embed", "@foo", "@protected", "@propagate", "@import", "@prefix", "@container",
			"did:example:123", "_:b0", "_:b1", "urn:uuid:1234", "http://example.org/a", "https://example.org/b#c",
			"ex:thing", "sec:proof", "cred:issuer", "xsd:string", "schema:name", "relative/path", "", "a:b:c",
			"http://a:b/", "http://[::1]/", "https://x.example/%zz", "mailto:a@b", "EN-us", "ltr", "rtl",
			"http://www.w3.org/2001/XMLSchema#dateTime", "VerifiableCredential", "DataIntegrityProof",
			"VerifiablePresentation", "BitstringStatusListEntry", "ContractRequestMessage", "Offer",
		} {
			set[s] = true
		}
		for s := range set {
			dictVal = append(dictVal, s)
		}
		sort.Strings(dictVal)
	})
	return dictVal
}

// mutator applies structural mutations to a decoded document, driven by
// the bytes of ops (each mutation consumes a few of them).
type mutator struct {
	ops     []byte
	i       int
	dict    []string
	urls    []string // context URLs: the pinned ones and one that is not
	docKeys []string // the keys of the document being mutated
}

func newMutator(ops []byte, dict []string, l *testLoader) *mutator {
	urls := []string{"https://example.org/unpinned-context"}
	for u := range l.docs {
		urls = append(urls, u)
	}
	sort.Strings(urls)
	return &mutator{ops: ops, dict: dict, urls: urls}
}

func (m *mutator) next() int {
	if m.i >= len(m.ops) {
		return 0
	}
	b := int(m.ops[m.i])
	m.i++
	return b
}

func (m *mutator) more() bool { return m.i < len(m.ops) }

func (m *mutator) word() string {
	n := m.next()<<8 | m.next()
	if n&1 == 1 && len(m.docKeys) > 0 {
		return m.docKeys[(n>>1)%len(m.docKeys)]
	}
	return m.dict[(n>>1)%len(m.dict)]
}

func (m *mutator) mutate(doc map[string]any) map[string]any {
	var root any = doc
	var nodes []any
	collect(root, &nodes)
	seen := map[string]bool{}
	for _, n := range nodes {
		if o, ok := n.(map[string]any); ok {
			for k := range o {
				if !seen[k] {
					seen[k] = true
					m.docKeys = append(m.docKeys, k)
				}
			}
		}
	}
	sort.Strings(m.docKeys)
	for steps := 0; m.more() && steps < 64; steps++ {
		var nodes []any
		collect(root, &nodes)
		target := nodes[m.next()%len(nodes)]
		switch t := target.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			switch op := m.next() % 6; {
			case op == 0 || len(keys) == 0:
				t[m.word()] = m.value(0)
			case op == 1:
				delete(t, keys[m.next()%len(keys)])
			case op == 2:
				t[keys[m.next()%len(keys)]] = m.value(0)
			case op == 3:
				k := keys[m.next()%len(keys)]
				v := t[k]
				delete(t, k)
				t[m.word()] = v
			case op == 4:
				t["@context"] = m.contextValue()
			default:
				k := keys[m.next()%len(keys)]
				t[k] = []any{t[k], m.value(0)}
			}
		case []any:
			if len(t) > 0 {
				t[m.next()%len(t)] = m.value(0)
			}
		}
	}
	if d, ok := root.(map[string]any); ok {
		return d
	}
	return doc
}

func collect(v any, out *[]any) {
	switch t := v.(type) {
	case map[string]any:
		*out = append(*out, t)
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			collect(t[k], out)
		}
	case []any:
		*out = append(*out, t)
		for _, e := range t {
			collect(e, out)
		}
	}
}

func (m *mutator) value(depth int) any {
	switch op := m.next() % 12; {
	case op < 4:
		return m.word()
	case op == 4:
		return float64(m.next()) - 3.5
	case op == 5:
		return m.next()%2 == 0
	case op == 6:
		return nil
	case op == 7 && depth < 3:
		a := []any{}
		for n := m.next() % 3; n > 0; n-- {
			a = append(a, m.value(depth+1))
		}
		return a
	case op < 11 && depth < 3:
		o := map[string]any{}
		for n := m.next() % 4; n > 0; n-- {
			o[m.word()] = m.value(depth + 1)
		}
		return o
	}
	return m.word()
}

// contextValue returns a pinned context URL, a list of them, null, or a
// small inline context.
func (m *mutator) contextValue() any {
	urls := m.urls
	switch op := m.next() % 6; op {
	case 0:
		return urls[m.next()%len(urls)]
	case 1:
		return []any{urls[m.next()%len(urls)], urls[m.next()%len(urls)]}
	case 2:
		return nil
	case 3:
		return []any{urls[m.next()%len(urls)], m.inlineContext(0)}
	default:
		return m.inlineContext(0)
	}
}

var (
	fuzzContainers = []any{"@set", "@list", "@graph", "@index", "@language", "@id", "@type", []any{"@graph", "@id"},
		[]any{"@graph", "@index"}, []any{"@set", "@index"}, []any{"@graph", "@set"}, []any{"@type", "@set"}, []any{}, "@foo", 3.0, nil}
	fuzzTypes      = []any{"@id", "@vocab", "@json", "@none", "xsd:string", "http://www.w3.org/2001/XMLSchema#dateTime", "_:b", "@foo", 1.0}
	fuzzDirections = []any{"ltr", "rtl", nil, "LTR", 1.0}
	fuzzLanguages  = []any{"en", "DE", nil, 2.0}
	fuzzEntries    = []string{"@vocab", "@protected", "@propagate", "@version", "@language", "@direction", "@import", "@base"}
)

func (m *mutator) pick(a []any) any { return a[m.next()%len(a)] }

// inlineContext returns a small inline context with term definitions of
// all kinds.
func (m *mutator) inlineContext(depth int) map[string]any {
	c := map[string]any{}
	for n := m.next()%3 + 1; n > 0; n-- {
		k := m.word()
		switch m.next() % 5 {
		case 0:
			c[k] = m.word()
		case 1, 2:
			def := map[string]any{}
			if m.next()%4 != 0 {
				def["@id"] = m.word()
			}
			for j := m.next() % 4; j > 0; j-- {
				switch m.next() % 9 {
				case 0:
					def["@type"] = m.pick(fuzzTypes)
				case 1:
					def["@container"] = m.pick(fuzzContainers)
				case 2:
					if depth < 2 {
						def["@context"] = m.inlineContext(depth + 1)
					} else {
						def["@context"] = nil
					}
				case 3:
					def["@protected"] = m.next()%3 != 0
				case 4:
					def["@prefix"] = m.next()%3 != 0
				case 5:
					def["@language"] = m.pick(fuzzLanguages)
				case 6:
					def["@direction"] = m.pick(fuzzDirections)
				case 7:
					def["@nest"] = m.pick([]any{"@nest", k, "", "@id"})
				default:
					def["@reverse"] = m.word()
				}
			}
			c[k] = def
		case 3:
			c[k] = m.value(2)
		default:
			switch e := fuzzEntries[m.next()%len(fuzzEntries)]; e {
			case "@vocab":
				c[e] = m.pick([]any{"https://vocab.example/", "", nil, "ex:", "@", 1.0})
			case "@version":
				c[e] = m.pick([]any{1.1, 1.0, "1.1"})
			case "@propagate", "@protected":
				c[e] = m.pick([]any{true, false, "yes"})
			case "@language":
				c[e] = m.pick(fuzzLanguages)
			case "@direction":
				c[e] = m.pick(fuzzDirections)
			case "@import":
				c[e] = m.urls[m.next()%len(m.urls)]
			default:
				c[e] = m.pick([]any{nil, "https://base.example/", "rel"})
			}
		}
	}
	return c
}
