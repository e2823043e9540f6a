package jsonld

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/piprate/json-gold/ld"
)

// The pinned contexts: internal/vc/contexts (what internal/vc bundles), plus
// any other context in the shared vector collection (the legacy
// Ed25519Signature2020 context), read at test time. The loading logic is a
// copy of internal/vc's, which this package must not import.
const (
	vcContextsDir     = "../vc/contexts"
	sharedVectorsDir  = "/work/shared/vectors"
	sharedContextsDir = sharedVectorsDir + "/jsonld-contexts"
)

type testLoader struct {
	docs map[string]any
}

var (
	loaderOnce sync.Once
	loaderVal  *testLoader
	loaderErr  error
)

func newTestLoader(t testing.TB) *testLoader {
	t.Helper()
	loaderOnce.Do(func() {
		l := &testLoader{docs: map[string]any{}}
		for _, dir := range []string{vcContextsDir, sharedContextsDir} {
			if err := l.addDir(dir); err != nil {
				if dir == vcContextsDir {
					loaderErr = err
					return
				}
			}
		}
		loaderVal = l
	})
	if loaderErr != nil {
		t.Fatal(loaderErr)
	}
	return loaderVal
}

func (l *testLoader) addDir(dir string) error {
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return err
	}
	var idx struct {
		Contexts map[string]struct {
			File string `json:"file"`
		} `json:"contexts"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return err
	}
	for u, c := range idx.Contexts {
		if _, ok := l.docs[u]; ok {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, c.File))
		if err != nil {
			continue // listed but not bundled
		}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("%s: %w", c.File, err)
		}
		l.docs[u] = doc
	}
	return nil
}

var errNotPinned = errors.New("context not pinned")

// Load returns the shared parsed document: the processor must not modify it.
func (l *testLoader) Load(u string) (any, error) {
	doc, ok := l.docs[u]
	if !ok {
		return nil, fmt.Errorf("%w: %s", errNotPinned, u)
	}
	return doc, nil
}

// LoadDocument serves json-gold, which modifies @import-ed contexts: a copy
// every time.
func (l *testLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	doc, ok := l.docs[u]
	if !ok {
		return nil, fmt.Errorf("%w: %s", errNotPinned, u)
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: ld.CloneDocument(doc)}, nil
}

// goldExpand expands doc with json-gold exactly as internal/vc does
// (Processor.expand in canon.go), turning a panic into an error.
func goldExpand(l ld.DocumentLoader, doc map[string]any) (out []any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &goldPanic{r}
		}
	}()
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = l
	opts.ProcessingMode = ld.JsonLd_1_1
	opts.SafeMode = true
	active := ld.NewContext(nil, opts)
	if cv := doc["@context"]; cv != nil {
		if active, err = active.Parse(cv); err != nil {
			return nil, err
		}
	}
	body := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "@context" {
			body[k] = v
		}
	}
	expanded, err := ld.NewJsonLdApi().Expand(active, "", body, opts, false, nil)
	if err != nil {
		return nil, err
	}
	if m, ok := expanded.(map[string]any); ok {
		if len(m) == 0 {
			return []any{}, nil
		}
		if g, ok := m["@graph"]; ok && len(m) == 1 {
			expanded = g
		}
	}
	switch t := expanded.(type) {
	case nil:
		return []any{}, nil
	case []any:
		return t, nil
	}
	return []any{expanded}, nil
}

type goldPanic struct{ v any }

func (p *goldPanic) Error() string { return fmt.Sprintf("json-gold panicked: %v", p.v) }

// errClass is how internal/vc classifies an expansion error
// (classifyLDError): data loss, unknown context, or malformed.
func errClass(err error) string {
	if err == nil {
		return "ok"
	}
	if errors.Is(err, errNotPinned) {
		return "unknown-context"
	}
	var je *ld.JsonLdError
	if errors.As(err, &je) {
		switch je.Code {
		case ld.InvalidProperty:
			return "data-loss"
		case ld.LoadingRemoteContextFailed, ld.LoadingDocumentFailed:
			return "unknown-context"
		}
		return "malformed"
	}
	var e *Error
	if errors.As(err, &e) {
		switch e.Code {
		case InvalidProperty:
			return "data-loss"
		case LoadingRemoteContextFailed:
			return "unknown-context"
		}
	}
	return "malformed"
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, e := range t {
			a[i] = deepCopy(e)
		}
		return a
	}
	return v
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

func decodeDoc(b []byte) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return m, nil
}

// compareResult is the outcome of expanding one document with both
// processors.
type compareResult struct {
	ours, gold       []any
	oursErr, goldErr error
}

// newGoldProcessor returns a processor that reads container mappings as
// json-gold does (withJSONGoldContainerQuirk): the one that must return
// exactly what json-gold returns.
func newGoldProcessor(l Loader, opts ...Option) *Processor {
	return New(l, append(opts, withJSONGoldContainerQuirk())...)
}

// differential expands doc with both processors and reports a mismatch,
// or "" when they agree. Unsupported is reported as skipped. p must be made
// by newGoldProcessor.
func differential(p *Processor, l *testLoader, doc map[string]any) (mismatch string, skipped bool, r compareResult) {
	if !p.goldContainer {
		panic("differential needs a processor with the json-gold container quirk")
	}
	before := deepCopy(doc)
	r.ours, r.oursErr = p.Expand(nil, doc) //nolint:staticcheck // nil context is allowed
	if !reflect.DeepEqual(before, doc) {
		return "Expand modified its input", false, r
	}
	r.gold, r.goldErr = goldExpand(l, deepCopy(doc).(map[string]any))
	if errors.Is(r.oursErr, ErrUnsupported) {
		if strings.Contains(r.oursErr.Error(), "internal error") {
			return fmt.Sprintf("panic: %v", r.oursErr), false, r
		}
		return "", true, r
	}
	if errors.Is(r.oursErr, ErrLimit) {
		return "", true, r
	}
	switch {
	case r.oursErr == nil && r.goldErr == nil:
		if !reflect.DeepEqual(r.ours, r.gold) {
			return fmt.Sprintf("outputs differ:\nours: %s\ngold: %s", mustJSON(r.ours), mustJSON(r.gold)), false, r
		}
	case r.oursErr == nil || r.goldErr == nil:
		return fmt.Sprintf("one failed:\nours: %v (%s)\ngold: %v (%s)", r.oursErr, mustJSON(r.ours), r.goldErr, mustJSON(r.gold)), false, r
	default:
		if a, b := errClass(r.oursErr), errClass(r.goldErr); a != b {
			return fmt.Sprintf("error classes differ: ours %s (%v), gold %s (%v)", a, r.oursErr, b, r.goldErr), false, r
		}
	}
	return "", false, r
}

// goldExpander is internal/vc's json-gold expansion with its cache of
// processed top-level contexts (one entry is enough for a benchmark).
type goldExpander struct {
	opts   *ld.JsonLdOptions
	key    string
	active *ld.Context
}

func newGoldExpander(l ld.DocumentLoader) *goldExpander {
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = l
	opts.ProcessingMode = ld.JsonLd_1_1
	opts.SafeMode = true
	return &goldExpander{opts: opts}
}

func (g *goldExpander) expand(doc map[string]any) ([]any, error) {
	key := mustJSON(doc["@context"])
	if g.active == nil || key != g.key {
		c, err := ld.NewContext(nil, g.opts).Parse(doc["@context"])
		if err != nil {
			return nil, err
		}
		g.key, g.active = key, c
	}
	body := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "@context" {
			body[k] = v
		}
	}
	expanded, err := ld.NewJsonLdApi().Expand(g.active, "", body, g.opts, false, nil)
	if err != nil {
		return nil, err
	}
	if m, ok := expanded.(map[string]any); ok {
		if g, ok := m["@graph"]; ok && len(m) == 1 {
			expanded = g
		}
	}
	if a, ok := expanded.([]any); ok {
		return a, nil
	}
	return []any{expanded}, nil
}

func readDoc(t testing.TB, name string) map[string]any {
	b, err := os.ReadFile(filepath.Join("testdata/docs", name))
	if err != nil {
		panic(err)
	}
	doc, err := decodeDoc(b)
	if err != nil {
		panic(err)
	}
	return doc
}

// specCheck expands doc with p, a processor in the default (spec) mode, for
// the checks that need no oracle: no panic (an internal error) and the
// input left unmodified. It returns "" when they pass.
func specCheck(p *Processor, doc map[string]any) string {
	if p.goldContainer {
		panic("specCheck needs a processor in the default mode")
	}
	before := deepCopy(doc)
	_, err := p.Expand(nil, doc) //nolint:staticcheck // nil context is allowed
	if !reflect.DeepEqual(before, doc) {
		return "Expand (spec mode) modified its input"
	}
	if errors.Is(err, ErrUnsupported) && strings.Contains(err.Error(), "internal error") {
		return fmt.Sprintf("panic (spec mode): %v", err)
	}
	return ""
}
