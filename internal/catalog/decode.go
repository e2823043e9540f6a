package catalog

import (
	"github.com/xborder/xborder/internal/jsonstrict"

	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on outside input.
const (
	// MaxEntryBytes bounds one entry document.
	MaxEntryBytes = 1 << 20
	// MaxPolicyBytes bounds an access policy or one offer.
	MaxPolicyBytes = 64 << 10
	// maxDepth bounds the nesting of an entry document.
	maxDepth = 32
)

// InputError is bad input: an entry, an identifier, a query or a request
// that breaks a rule. Path names the place in JSON-path-like form
// ("governance.approvals[1].route"); nothing was written.
type InputError struct {
	Path string
	Msg  string
}

func (e *InputError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

func inputErr(path, format string, args ...any) error {
	return &InputError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// IsInputError reports whether err is bad input (an *InputError or an
// *IDError) rather than a failure of the catalog.
func IsInputError(err error) bool {
	var ie *InputError
	var de *IDError
	return errors.As(err, &ie) || errors.As(err, &de)
}

// DecodeEntry reads one entry document strictly: at most MaxEntryBytes of
// valid UTF-8 JSON, an object nested at most 32 deep, no duplicate keys, no
// key the model does not know (a key JSON-LD would silently drop is refused,
// not ignored), values of the right types. It does not validate values: the
// catalog does that when registering (Validate).
func DecodeEntry(data []byte) (*Entry, error) {
	if len(data) > MaxEntryBytes {
		return nil, inputErr("", "entry is %d bytes; the limit is %d", len(data), MaxEntryBytes)
	}
	if !utf8.Valid(data) {
		return nil, inputErr("", "entry is not valid UTF-8")
	}
	if err := scanJSON(data); err != nil {
		return nil, err
	}
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, inputErr("", "an entry is a JSON object")
	}
	var e Entry
	if err := jsonstrict.Decode(data, &e); err != nil {
		// Name the place of an unknown key, which encoding/json does not.
		var generic any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if dec.Decode(&generic) == nil {
			if kerr := checkKeys(generic, reflect.TypeFor[Entry](), ""); kerr != nil {
				return nil, kerr
			}
		}
		return nil, jsonInputErr(err)
	}
	return &e, nil
}

func jsonInputErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return inputErr(lowerPath(te.Field), "want %s, not a JSON %s", jsonKind(te.Type), te.Value)
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	return inputErr("", "%v", err)
}

// lowerPath turns encoding/json's Go field path into our JSON path; the
// JSON names are what encoding/json reports already.
func lowerPath(p string) string { return p }

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// scanJSON checks that data is one JSON value whose objects are nested at
// most maxDepth deep and have no duplicate keys. It is one pass over the
// bytes once encoding/json has found the text valid.
func scanJSON(data []byte) error {
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			if se.Offset >= int64(len(bytes.TrimRight(data, " \t\r\n"))) {
				return inputErr("", "the document ends early")
			}
			return inputErr("", "not JSON at byte %d: %v", se.Offset, err)
		}
		return inputErr("", "not JSON: %v", err)
	}
	if e := jsonstrict.Check(data, maxDepth); e != nil {
		if e.Depth {
			return inputErr(e.Path, "nested more than %d deep", maxDepth)
		}
		return inputErr(e.Path, "duplicate key")
	}
	return nil
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// checkKeys compares a decoded JSON value with the Go type it will fill:
// every object key must be a JSON name of a field (language maps excepted).
func checkKeys(v any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessageType {
		return nil
	}
	if t == reflect.TypeFor[AccessService]() {
		if m, ok := v.(map[string]any); ok {
			return checkKeys(m, reflect.TypeFor[DataService](), path)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil // a type error, reported by the typed decode
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(m) {
			val := m[k]
			ft, ok := fields[k]
			if !ok {
				return inputErr(joinPath(path, k), "unknown key; accepted: %s", strings.Join(sortedKeys(fields), ", "))
			}
			if err := checkKeys(val, ft, joinPath(path, k)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			return nil
		}
		for i, e := range a {
			if err := checkKeys(e, t.Elem(), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		for _, k := range sortedKeys(m) {
			if err := checkKeys(m[k], t.Elem(), joinPath(path, k)); err != nil {
				return err
			}
		}
	}
	return nil
}

func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
