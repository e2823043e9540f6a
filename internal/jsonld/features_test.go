package jsonld

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

const (
	credV2   = "https://www.w3.org/ns/credentials/v2"
	examples = "https://www.w3.org/ns/credentials/examples/v2"
	dspace   = "https://w3id.org/dspace/2025/1/context.jsonld"
	cred     = "https://www.w3.org/2018/credentials#"
	sec      = "https://w3id.org/security#"
	exVocab  = "https://www.w3.org/ns/credentials/examples#"
)

func parseDoc(t *testing.T, s string) map[string]any {
	t.Helper()
	doc, err := decodeDoc([]byte(s))
	if err != nil {
		t.Fatalf("bad test document: %v", err)
	}
	return doc
}

// get follows a path of keys and array indexes through expanded output.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// TestFeatures runs hand-written documents through both processors
// (requiring agreement) and checks what each feature produces.
func TestFeatures(t *testing.T) {
	l := newTestLoader(t)
	cases := []struct {
		name string
		doc  string
		code Code                          // expected error code, "" for success
		is   error                         // expected errors.Is target
		gold string                        // "panic" when json-gold panics, "differs" when it is not compared
		test func(t *testing.T, out []any) // checks on the output
		// quirk checks the output with the json-gold container quirk, for
		// the cases where it differs from the default.
		quirk func(t *testing.T, out []any)
	}{
		{
			name: "vocab and type-scoped terms",
			doc:  `{"@context":["` + credV2 + `","` + examples + `"],"type":["VerifiableCredential","AlumniCredential"],"issuer":"did:example:i","credentialSubject":{"id":"did:example:s","alumniOf":"Example"}}`,
			test: func(t *testing.T, out []any) {
				if got := get(out, 0, cred+"credentialSubject", 0, exVocab+"alumniOf", 0, "@value"); got != "Example" {
					t.Errorf("alumniOf: %v", got)
				}
				if got := get(out, 0, "@type", 1); got != exVocab+"AlumniCredential" {
					t.Errorf("@type: %v", got)
				}
				if got := get(out, 0, cred+"issuer", 0, "@id"); got != "did:example:i" {
					t.Errorf("issuer (@type @id): %v", got)
				}
			},
		},
		{
			name: "type @vocab, typed literals and the proof @graph container",
			doc:  `{"@context":"` + credV2 + `","type":"VerifiableCredential","proof":{"type":"DataIntegrityProof","proofPurpose":"assertionMethod","created":"2024-01-01T00:00:00Z","verificationMethod":"did:example:i#k"}}`,
			test: func(t *testing.T, out []any) {
				g := get(out, 0, sec+"proof", 0, "@graph", 0)
				if got := get(g, sec+"proofPurpose", 0, "@id"); got != sec+"assertionMethod" {
					t.Errorf("proofPurpose (@type @vocab): %v", got)
				}
				if got := get(g, "http://purl.org/dc/terms/created", 0, "@type"); got != "http://www.w3.org/2001/XMLSchema#dateTime" {
					t.Errorf("created: %v", got)
				}
				if got := get(g, sec+"verificationMethod", 0, "@id"); got != "did:example:i#k" {
					t.Errorf("verificationMethod: %v", got)
				}
			},
		},
		{
			name: "undefined term is data loss",
			doc:  `{"@context":"` + credV2 + `","type":"VerifiableCredential","credentialSubject":{"undefinedTerm":"x"}}`,
			code: InvalidProperty,
		},
		{
			name: "type-scoped terms do not propagate into nested nodes",
			doc:  `{"@context":"` + credV2 + `","type":"VerifiableCredential","issuer":{"id":"did:example:i","validFrom":"2024-01-01T00:00:00Z"}}`,
			code: InvalidProperty,
		},
		{
			name: "property-scoped @context null in a presentation",
			doc:  `{"@context":"` + credV2 + `","type":"VerifiablePresentation","verifiableCredential":{"id":"urn:x","type":"VerifiableCredential"}}`,
			code: InvalidProperty,
		},
		{
			name: "embedded credential with its own context",
			doc:  `{"@context":"` + credV2 + `","type":"VerifiablePresentation","verifiableCredential":{"@context":"` + credV2 + `","id":"urn:x","type":"VerifiableCredential","issuer":"did:example:i"}}`,
			test: func(t *testing.T, out []any) {
				// verifiableCredential is "@container": "@graph" with
				// "@context": null. The container mapping is read from the
				// active context (W3C expansion algorithm step 13.5, and
				// jsonld.js), so the embedded credential is put in a @graph.
				vc := get(out, 0, cred+"verifiableCredential", 0)
				if m, _ := vc.(map[string]any); len(m) != 1 {
					t.Errorf("verifiableCredential is not a bare @graph: %s", mustJSON(vc))
				}
				if got := get(vc, "@graph", 0, "@id"); got != "urn:x" {
					t.Errorf("embedded credential id: %v", got)
				}
				if got := get(vc, "@graph", 0, cred+"issuer", 0, "@id"); got != "did:example:i" {
					t.Errorf("embedded issuer: %v", got)
				}
			},
			quirk: func(t *testing.T, out []any) {
				// json-gold takes the container mapping from the term's
				// scoped context (here null), so the embedded credential
				// is not put in a @graph.
				if got := get(out, 0, cred+"verifiableCredential", 0, cred+"issuer", 0, "@id"); got != "did:example:i" {
					t.Errorf("embedded issuer (json-gold's reading): %v", got)
				}
				if got := get(out, 0, cred+"verifiableCredential", 0, "@graph"); got != nil {
					t.Errorf("json-gold's reading made a @graph: %s", mustJSON(out))
				}
			},
		},
		{
			name: "protected term redefinition",
			doc:  `{"@context":["` + credV2 + `",{"name":"https://example.org/name"}],"name":"x"}`,
			code: ProtectedTermRedefinition,
		},
		{
			name: "protected term redefined identically",
			doc:  `{"@context":["` + credV2 + `",{"name":"https://schema.org/name"}],"name":"x"}`,
		},
		{
			name: "json-gold lets a protected term be defined as null",
			doc:  `{"@context":["` + credV2 + `",{"name":null}],"@id":"urn:x","description":"d"}`,
		},
		{
			name: "a term defined as null is data loss",
			doc:  `{"@context":["` + credV2 + `",{"name":null}],"@id":"urn:x","name":"n"}`,
			code: InvalidProperty,
		},
		{
			name: "@direction accepts any string",
			doc:  `{"@context":"` + credV2 + `","@id":"urn:x","https://example.org/p":{"@value":"v","@direction":"sideways"}}`,
		},
		{
			name: "nullifying protected terms",
			doc:  `{"@context":["` + credV2 + `",null],"@id":"urn:x"}`,
			code: InvalidContextNullification,
		},
		{
			name: "the same context twice",
			doc:  `{"@context":["` + credV2 + `","` + credV2 + `"],"type":"VerifiableCredential"}`,
			code: RecursiveContextInclusion,
		},
		{
			name: "unknown context",
			doc:  `{"@context":"https://example.org/not-pinned","@id":"urn:x"}`,
			code: LoadingRemoteContextFailed,
			is:   errNotPinned,
		},
		{
			name: "@import and @propagate (DSP)",
			doc:  `{"@context":"` + dspace + `","@type":"ContractRequestMessage","consumerPid":"urn:c","offer":{"@type":"Offer","@id":"urn:o","permission":[{"action":"use","constraint":[{"leftOperand":"dateTime","operator":"lteq","rightOperand":"2030-01-01"}]}]}}`,
			test: func(t *testing.T, out []any) {
				perm := get(out, 0, "https://w3id.org/dspace/2025/1/offer", 0, "http://www.w3.org/ns/odrl/2/permission", 0)
				if got := get(perm, "http://www.w3.org/ns/odrl/2/action", 0, "@id"); got != "http://www.w3.org/ns/odrl/2/use" {
					t.Errorf("odrl action: %v (%s)", got, mustJSON(out))
				}
			},
		},
		{
			name: "@list, @set, @json, @graph, @included, @nest, @index, @language",
			doc: `{"@context":["` + credV2 + `","` + examples + `"],"type":"VerifiableCredential","credentialSubject":{
				"l":{"@list":[1,"a",{"@id":"did:example:x"}]},"s":{"@set":["a"]},
				"j":{"@value":{"k":[1,null]},"@type":"@json"},"g":{"@graph":{"@id":"did:example:g","p":"v"}},
				"@included":[{"@id":"did:example:inc","p":"q"}],"@nest":{"n":"nested"},
				"i":{"@value":"v","@index":"idx"},"t":{"@value":"Hallo","@language":"DE"}}}`,
			test: func(t *testing.T, out []any) {
				cs := get(out, 0, cred+"credentialSubject", 0)
				if got := get(cs, exVocab+"l", 0, "@list", 2, "@id"); got != "did:example:x" {
					t.Errorf("@list: %v", got)
				}
				if got := get(cs, exVocab+"j", 0, "@value", "k", 0); got != 1.0 {
					t.Errorf("@json: %v", got)
				}
				if got := get(cs, exVocab+"n", 0, "@value"); got != "nested" {
					t.Errorf("@nest: %v", got)
				}
				if got := get(cs, "@included", 0, "@id"); got != "did:example:inc" {
					t.Errorf("@included: %v", got)
				}
				if got := get(cs, exVocab+"t", 0, "@language"); got != "de" {
					t.Errorf("@language: %v", got)
				}
			},
		},
		{
			name: "json-gold drops a failing @list silently",
			doc:  `{"@context":"` + credV2 + `","type":"VerifiableCredential","credentialSubject":{"id":"did:example:s","https://example.org/p":{"@list":[{"undefined":"x"}]}}}`,
			test: func(t *testing.T, out []any) {
				if got := get(out, 0, cred+"credentialSubject", 0, "https://example.org/p", 0, "@list"); !reflect.DeepEqual(got, []any{nil}) {
					t.Errorf("@list: %#v", got)
				}
			},
		},
		{
			name: "@reverse is unsupported",
			doc:  `{"@context":"` + credV2 + `","@id":"urn:x","@reverse":{"https://example.org/p":{"@id":"urn:y"}}}`,
			is:   ErrUnsupported,
			gold: "differs",
		},
		{
			name: "@base is unsupported",
			doc:  `{"@context":["` + credV2 + `",{"@base":"https://example.org/"}],"@id":"x"}`,
			is:   ErrUnsupported,
			gold: "differs",
		},
		{
			name: "@index in a term definition is unsupported",
			doc:  `{"@context":{"p":{"@id":"https://example.org/p","@container":"@index","@index":"https://example.org/i"}},"p":{"a":{"@id":"urn:a"}}}`,
			is:   ErrUnsupported,
			gold: "differs",
		},
		{
			name: "json-gold panics on a non-boolean @protected",
			doc:  `{"@context":{"@protected":"yes","p":"https://example.org/p"},"p":"x"}`,
			code: InvalidInput,
			gold: "panic",
		},
		{
			name: "json-gold panics on a compact IRI with a null prefix",
			doc:  `{"@context":{"ex":null},"ex:p":"x"}`,
			code: InvalidInput,
			gold: "panic",
		},
		{
			name: "json-gold panics on a non-string @container",
			doc:  `{"@context":{"p":{"@id":"https://example.org/p","@container":1}},"p":"x"}`,
			code: InvalidInput,
			gold: "panic",
		},
		{
			name: "json-gold panics on an empty @nest",
			doc:  `{"@context":{"p":{"@id":"https://example.org/p","@nest":""}},"p":"x"}`,
			code: InvalidInput,
			gold: "panic",
		},
		{
			name: "json-gold's outcome depends on map order",
			doc:  `{"@context":{"@protected":true,"a":"https://x.example/a#","p":{"@id":"https://x.example/p","@context":{"b":"a:suffix","a":"https://y.example/a#"}}},"p":{"b":"v"}}`,
			is:   ErrUnsupported,
			gold: "differs",
		},
		{
			name: "colliding keywords",
			doc:  `{"@context":"` + credV2 + `","id":"urn:a","@id":"urn:b","type":"VerifiableCredential"}`,
			code: CollidingKeywords,
		},
		{
			name: "invalid typed value",
			doc:  `{"@context":"` + credV2 + `","@id":"urn:a","https://example.org/p":{"@value":"x","@type":"notAnIRI"}}`,
			code: InvalidTypedValue,
		},
		{
			name: "empty document",
			doc:  `{}`,
			test: func(t *testing.T, out []any) {
				if out == nil || len(out) != 0 {
					t.Errorf("want [], got %#v", out)
				}
			},
		},
		{
			name: "top-level @graph",
			doc:  `{"@context":"` + credV2 + `","@graph":[{"id":"urn:a","name":"A"},{"id":"urn:b"}]}`,
			test: func(t *testing.T, out []any) {
				if len(out) != 1 || get(out, 0, "@id") != "urn:a" {
					t.Errorf("@graph: %s", mustJSON(out))
				}
			},
		},
	}
	p := New(l)
	quirky := newGoldProcessor(l)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := parseDoc(t, tc.doc)
			out, err := p.Expand(context.Background(), doc)
			switch {
			case tc.code == "" && tc.is == nil:
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
			default:
				if err == nil {
					t.Fatalf("no error; output %s", mustJSON(out))
				}
				if tc.code != "" && CodeOf(err) != tc.code {
					t.Fatalf("code %q, want %q (%v)", CodeOf(err), tc.code, err)
				}
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Fatalf("error %v is not %v", err, tc.is)
				}
			}
			if tc.test != nil && err == nil {
				tc.test(t, out)
			}
			qout, qerr := quirky.Expand(context.Background(), parseDoc(t, tc.doc))
			switch {
			case tc.quirk != nil:
				if qerr != nil {
					t.Fatalf("json-gold container quirk: %v", qerr)
				}
				tc.quirk(t, qout)
			case !reflect.DeepEqual(out, qout) || CodeOf(err) != CodeOf(qerr):
				t.Errorf("the json-gold container quirk changes the outcome:\ndefault: %s (%v)\nquirk: %s (%v)", mustJSON(out), err, mustJSON(qout), qerr)
			}
			switch tc.gold {
			case "differs":
			case "panic":
				_, gerr := goldExpand(l, parseDoc(t, tc.doc))
				var gp *goldPanic
				if !errors.As(gerr, &gp) {
					t.Errorf("json-gold did not panic: %v", gerr)
				}
			default:
				if mismatch, _, _ := differential(newGoldProcessor(l), l, parseDoc(t, tc.doc)); mismatch != "" {
					t.Error(mismatch)
				}
			}
		})
	}
}

// TestLimits checks the processing bounds.
func TestLimits(t *testing.T) {
	l := newTestLoader(t)
	deep := strings.Repeat(`{"https://example.org/p":`, 50) + `"x"` + strings.Repeat(`}`, 50)
	doc := parseDoc(t, `{"@context":"`+credV2+`","https://example.org/p":`+deep+`}`)
	if _, err := New(l).Expand(context.Background(), doc); err != nil {
		t.Fatalf("depth 50 within the default bound: %v", err)
	}
	_, err := New(l, WithMaxDepth(20)).Expand(context.Background(), doc)
	if !errors.Is(err, ErrLimit) || CodeOf(err) != LimitExceeded {
		t.Fatalf("depth bound: %v", err)
	}

	vc := `{"@context":"` + credV2 + `","type":"VerifiableCredential","credentialSubject":{"id":"did:example:s"}}`
	many := parseDoc(t, `{"@context":"`+credV2+`","@graph":[`+strings.Repeat(vc+",", 20)+vc+`]}`)
	if _, err := New(l).Expand(context.Background(), many); err != nil {
		t.Fatal(err)
	}
	if _, err := New(l, WithMaxScopedContexts(10)).Expand(context.Background(), many); !errors.Is(err, ErrLimit) {
		t.Fatalf("scoped-context bound: %v", err)
	}
	// Distinct inline contexts are processed one by one (never cached).
	var b strings.Builder
	b.WriteString(`{"@context":"` + credV2 + `","@graph":[`)
	for i := 0; i < 10; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"@context":{"p%d":"https://example.org/p"},"p%d":"x"}`, i, i)
	}
	b.WriteString(`]}`)
	inline := parseDoc(t, b.String())
	if _, err := New(l).Expand(context.Background(), inline); err != nil {
		t.Fatal(err)
	}
	if _, err := New(l, WithMaxContextParses(5)).Expand(context.Background(), inline); !errors.Is(err, ErrLimit) {
		t.Fatalf("context-processing bound: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(l).Expand(ctx, many); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// TestCache checks that the context cache stays bounded, and that cached
// contexts give the same results, also concurrently (run with -race).
func TestCache(t *testing.T) {
	l := newTestLoader(t)
	p := New(l, WithCacheSize(3))
	ctxs := []string{credV2, examples, dspace, "https://www.w3.org/ns/did/v1", "https://www.w3.org/ns/cid/v1"}
	for i := range ctxs {
		for j := range ctxs {
			if i == j {
				continue
			}
			doc := parseDoc(t, `{"@context":["`+ctxs[i]+`","`+ctxs[j]+`"],"@id":"urn:x"}`)
			_, _ = p.Expand(context.Background(), doc)
		}
	}
	if n := len(p.cache); n > 3 {
		t.Fatalf("cache holds %d entries, bound 3", n)
	}

	// Concurrent expansions over shared caches: with the json-gold
	// container quirk the result is json-gold's; in the default mode, it
	// is what a processor without a cache returns.
	docs := []string{"vc2-signed.json", "vp2-signed.json", "dsp-contract-request.json", "keywords.json", "containers.json"}
	shared, sharedQuirk := New(l), newGoldProcessor(l)
	uncached := New(l, WithCacheSize(0))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				name := docs[(i+w)%len(docs)]
				got, err := sharedQuirk.Expand(context.Background(), readDoc(t, name))
				if err != nil {
					errs <- fmt.Errorf("%s: %v", name, err)
					return
				}
				want, err := goldExpand(l, readDoc(t, name))
				if err != nil || !reflect.DeepEqual(got, want) {
					errs <- fmt.Errorf("%s: differs from json-gold (%v)", name, err)
					return
				}
				got, err = shared.Expand(context.Background(), readDoc(t, name))
				if err != nil {
					errs <- fmt.Errorf("%s: %v", name, err)
					return
				}
				want, err = uncached.Expand(context.Background(), readDoc(t, name))
				if err != nil || !reflect.DeepEqual(got, want) {
					errs <- fmt.Errorf("%s: cached and uncached expansions differ (%v)", name, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestLoaderDocumentsUntouched checks that expansion never modifies what the
// loader returns (json-gold merges @import-ed contexts in place).
func TestLoaderDocumentsUntouched(t *testing.T) {
	l := newTestLoader(t)
	snapshot := map[string]any{}
	for u, d := range l.docs {
		snapshot[u] = deepCopy(d)
	}
	p := New(l)
	for _, name := range []string{"dsp-contract-request.json", "dsp-catalog.json", "vp2-signed.json", "containers.json"} {
		if _, err := p.Expand(context.Background(), readDoc(t, name)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for u, d := range l.docs {
		if !reflect.DeepEqual(d, snapshot[u]) {
			t.Errorf("context %s was modified", u)
		}
	}
}
