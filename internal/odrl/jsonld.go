package odrl

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/piprate/json-gold/ld"

	"github.com/xborder/xborder/internal/vc"
)

//go:embed contexts/xborder-odrl-v1.jsonld
var contextFS embed.FS

// XborderContext returns the bytes of xborder's JSON-LD context
// (ContextXborder), for publishing.
func XborderContext() []byte {
	b, err := contextFS.ReadFile("contexts/xborder-odrl-v1.jsonld")
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

// loader serves the contexts a policy may use: xborder's own, the ODRL
// context under both the http URL the ODRL specifications write and the
// https URL that is pinned, and every other context internal/vc pins. It
// never touches the network.
type loader struct {
	pinned *vc.Loader
	own    map[string]any
}

var _ ld.DocumentLoader = (*loader)(nil)

// sharedLoader is built once and immutable afterwards; LoadDocument hands
// out copies, so it is safe for concurrent use.
var sharedLoader = sync.OnceValues(func() (*loader, error) {
	p, err := vc.NewLoader()
	if err != nil {
		return nil, fmt.Errorf("loading the pinned JSON-LD contexts: %w", err)
	}
	var own any
	if err := json.Unmarshal(XborderContext(), &own); err != nil {
		return nil, fmt.Errorf("parsing the xborder context: %w", err)
	}
	return &loader{pinned: p, own: map[string]any{ContextXborder: own}}, nil
})

func (l *loader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	if doc, ok := l.own[u]; ok {
		return &ld.RemoteDocument{DocumentURL: u, Document: ld.CloneDocument(doc)}, nil
	}
	if u == ContextODRL {
		u = "https://www.w3.org/ns/odrl.jsonld"
	}
	return l.pinned.LoadDocument(u)
}

// precheck bounds the raw document before any JSON-LD processing: size,
// nesting depth, and the number of JSON values.
func precheck(data []byte, lim Limits) *Error {
	if len(data) > lim.MaxBytes {
		return newErr(CodeTooLarge, "", "document is %d bytes, more than the limit of %d", len(data), lim.MaxBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	depth, values := 0, 0
	maxValues := lim.MaxConstraints*8 + lim.MaxRules*16 + lim.MaxMembers*4 + 1024
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return &Error{Code: CodeMalformed, Msg: "not valid JSON", Err: err}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			if depth > lim.MaxDepth {
				return newErr(CodeTooDeep, "", "nesting is deeper than the limit of %d", lim.MaxDepth)
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		values++
		if values > maxValues {
			return newErr(CodeTooMany, "", "document has more than %d JSON values", maxValues)
		}
	}
	return nil
}

// decodeJSON decodes one JSON value, numbers kept as json.Number.
func decodeJSON(data []byte) (any, *Error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &Error{Code: CodeMalformed, Msg: "not valid JSON", Err: err}
	}
	if dec.More() {
		return nil, newErr(CodeMalformed, "", "more than one JSON value")
	}
	return v, nil
}

// expanded is a document after JSON-LD expansion, with the source path of
// every node object.
type expanded struct {
	nodes []any
	paths map[uintptr]string // node object (map identity) → source path
}

func (x *expanded) pathOf(m map[string]any) string {
	return x.paths[reflect.ValueOf(m).Pointer()]
}

// expand runs JSON-LD expansion with the bundled contexts. Keys the contexts
// do not define are an error (CodeUndefinedTerm) because expansion would
// silently drop them; lenient mode tolerates them on policy nodes only.
func expand(doc any, o options) (*expanded, error) {
	l, err := sharedLoader()
	if err != nil {
		return nil, err
	}
	x, err := runExpand(doc, l, true)
	if err == nil {
		return x, nil
	}
	var je *ld.JsonLdError
	if !errors.As(err, &je) || je.Code != ld.InvalidProperty {
		return nil, jsonldError(err)
	}
	// Some key was dropped. Expand again keeping the rest, and name the keys.
	x, err2 := runExpand(doc, l, false)
	if err2 != nil {
		return nil, jsonldError(err2)
	}
	if !hasContext(doc) {
		return nil, newErr(CodeNoPolicy, "", "the document has no @context, so none of its keys means anything in JSON-LD; add \"@context\": %q (or the DSP 2025-1 context), or write expanded JSON-LD", ContextODRL)
	}
	dropped := droppedKeys(doc, x)
	var errs Errors
	for _, d := range dropped {
		if o.lenient && d.onPolicy {
			continue
		}
		errs = append(errs, newErr(CodeUndefinedTerm, d.path,
			"%q is not defined by the document's contexts, so JSON-LD processing would drop it; define it, use an IRI, or remove it", d.key))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(dropped) == 0 {
		return nil, newErr(CodeUndefinedTerm, "", "a key is not defined by the document's contexts, so JSON-LD processing would drop it")
	}
	return x, nil
}

// hasContext reports whether the top-level object (or any top-level array
// element) has an @context.
func hasContext(doc any) bool {
	switch t := doc.(type) {
	case map[string]any:
		_, ok := t["@context"]
		return ok
	case []any:
		for _, e := range t {
			if hasContext(e) {
				return true
			}
		}
	}
	return false
}

func runExpand(doc any, l *loader, safe bool) (x *expanded, err error) {
	defer func() {
		if r := recover(); r != nil { // json-gold panics on some malformed contexts
			x, err = nil, newErr(CodeJSONLD, "", "the JSON-LD processor failed on this document: %v", r)
		}
	}()
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = l
	opts.SafeMode = safe
	x = &expanded{paths: map[uintptr]string{}}
	opts.ExpandedElementHandler = func(pointer string, node any) {
		if m, ok := node.(map[string]any); ok {
			x.paths[reflect.ValueOf(m).Pointer()] = pointerToPath(pointer)
		}
	}
	out, err := ld.NewJsonLdProcessor().Expand(doc, opts)
	if err != nil {
		return nil, err
	}
	x.nodes = out
	return x, nil
}

func jsonldError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	var je *ld.JsonLdError
	if errors.As(err, &je) {
		var ve *vc.Error
		if je.Code == ld.LoadingRemoteContextFailed && errors.As(err, &ve) && ve.Code == vc.CodeUnknownContext {
			return &Error{Code: CodeUnknownContext, Msg: "an @context is not one xborder bundles (the ODRL, DSP 2025-1 and xborder contexts are; nothing is fetched)", Err: ve}
		}
		return &Error{Code: CodeJSONLD, Msg: "JSON-LD expansion failed", Err: errors.New(string(je.Code) + ": " + fmt.Sprint(je.Details))}
	}
	return &Error{Code: CodeJSONLD, Msg: "JSON-LD expansion failed", Err: err}
}

// pointerToPath turns a JSON Pointer ("/permission/1/constraint/0") into
// the path form errors use ("permission[1].constraint[0]").
func pointerToPath(p string) string {
	if p == "" {
		return ""
	}
	var b strings.Builder
	for _, tok := range strings.Split(p[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

type droppedKey struct {
	path, key string
	onPolicy  bool
}

// droppedKeys names the keys of source objects that expansion dropped. For
// each source object that became a node object, a key is kept when it is a
// keyword or alias of one, a compact or absolute IRI, or the last segment
// of one of the node's expanded property IRIs; any other key was dropped.
// It only serves the error message; the decision to refuse the document
// was taken by the processor's safe mode.
func droppedKeys(doc any, x *expanded) []droppedKey {
	byPath := map[string]map[string]any{}
	var collect func(v any)
	collect = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if p, ok := x.paths[reflect.ValueOf(t).Pointer()]; ok {
				byPath[p] = t
			}
			for _, c := range t {
				collect(c)
			}
		case []any:
			for _, c := range t {
				collect(c)
			}
		}
	}
	for _, n := range x.nodes {
		collect(n)
	}
	var out []droppedKey
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch t := v.(type) {
		case map[string]any:
			if node, ok := byPath[path]; ok {
				isPolicy := false
				for _, ty := range iriList(node["@type"]) {
					if strings.HasPrefix(ty, NS) {
						switch strings.TrimPrefix(ty, NS) {
						case "Set", "Offer", "Agreement", "Policy", "Privacy", "Request", "Ticket", "Assertion":
							isPolicy = true
						}
					}
				}
				for k := range t {
					if k == "@context" || strings.HasPrefix(k, "@") || strings.Contains(k, ":") || k == "uid" || k == "type" || k == "id" {
						continue
					}
					kept := false
					for p := range node {
						if p == k || strings.HasSuffix(p, "/"+k) || strings.HasSuffix(p, "#"+k) || strings.HasSuffix(p, ":"+k) {
							kept = true
							break
						}
					}
					if !kept {
						out = append(out, droppedKey{path: joinPath(path, k), key: k, onPolicy: isPolicy})
					}
				}
			}
			for k, c := range t {
				if k == "@context" {
					continue
				}
				walk(c, joinPath(path, k))
			}
		case []any:
			for i, c := range t {
				walk(c, path+"["+strconv.Itoa(i)+"]")
			}
		}
	}
	walk(doc, "")
	sortDropped(out)
	return out
}

func sortDropped(d []droppedKey) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j].path < d[j-1].path; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

// iriList returns the @id (or plain string) values of an expanded property.
func iriList(v any) []string {
	var out []string
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			out = append(out, iriList(e)...)
		}
	case string:
		out = append(out, t)
	case map[string]any:
		if id, ok := t["@id"].(string); ok {
			out = append(out, id)
		}
	}
	return out
}
