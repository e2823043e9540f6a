package identity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting of any JSON this package parses.
const maxJSONDepth = 32

// checkJSON checks that b is a single well-formed JSON value in valid UTF-8
// with no duplicate member names in any object and nesting no deeper than
// maxJSONDepth. encoding/json accepts duplicates (the last one wins), which
// lets two parsers disagree on, say, a document's id.
func checkJSON(b []byte) error {
	if !utf8.Valid(b) {
		return fmt.Errorf("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type frame struct {
		obj  bool
		keys map[string]struct{}
		key  bool // next token in this object is a key
	}
	var stack []*frame
	values := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if len(stack) == 0 {
			if values++; values > 1 {
				return fmt.Errorf("data after the top-level value")
			}
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			k := tok.(string)
			if _, dup := top.keys[k]; dup {
				return fmt.Errorf("duplicate member %q", truncate(k))
			}
			top.keys[k] = struct{}{}
			top.key = false
			continue
		}
		if top != nil && top.obj {
			top.key = true // this token is the member's value
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if len(stack) >= maxJSONDepth {
					return fmt.Errorf("nesting deeper than %d", maxJSONDepth)
				}
				stack = append(stack, &frame{obj: d == '{', keys: map[string]struct{}{}, key: d == '{'})
			case ']', '}':
				stack = stack[:len(stack)-1]
			}
		}
	}
	return nil
}

// marshalJSON is json.Marshal without HTML escaping, so URLs keep their "&".
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// member is one name/value pair of an object being written.
type member struct {
	name  string
	value any
	omit  bool
}

// writeObject writes the members in order, then the extra members sorted
// by name (skipping names already written), as one JSON object.
func writeObject(members []member, extra map[string]json.RawMessage) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	seen := make(map[string]bool, len(members))
	first := true
	write := func(name string, v []byte) {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		n, _ := marshalJSON(name)
		buf.Write(n)
		buf.WriteByte(':')
		buf.Write(v)
	}
	for _, m := range members {
		seen[m.name] = true
		if m.omit {
			continue
		}
		v, err := marshalJSON(m.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		write(m.name, v)
	}
	names := make([]string, 0, len(extra))
	for k := range extra {
		if !seen[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		v := extra[k]
		if !json.Valid(v) {
			return nil, fmt.Errorf("%s: invalid JSON in extra member", k)
		}
		var c bytes.Buffer
		if err := json.Compact(&c, v); err != nil {
			return nil, err
		}
		write(k, c.Bytes())
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// object is a JSON object read member by member; members not taken are the
// extension properties.
type object map[string]json.RawMessage

func readObject(b []byte, what string) (object, error) {
	var o object
	if err := json.Unmarshal(b, &o); err != nil || o == nil {
		return nil, fmt.Errorf("%s must be a JSON object", what)
	}
	return o, nil
}

// take decodes member name into dst and removes it; it reports whether the
// member was present. A JSON null counts as present and is an error.
func (o object) take(name string, dst any) (bool, error) {
	raw, ok := o[name]
	if !ok {
		return false, nil
	}
	delete(o, name)
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return true, fmt.Errorf("%s must not be null", name)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return true, fmt.Errorf("%s: %w", name, err)
	}
	return true, nil
}

// rest returns the members not taken, or nil.
func (o object) rest() map[string]json.RawMessage {
	if len(o) == 0 {
		return nil
	}
	return map[string]json.RawMessage(o)
}

// StringSet is a JSON value that is a string or an array of strings (DID
// Core's controller and service type). It is written as a string when it
// holds one value.
type StringSet []string

func (s StringSet) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return marshalJSON(s[0])
	}
	return marshalJSON([]string(s))
}

func (s *StringSet) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = StringSet{v}
		return nil
	}
	var v []string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("want a string or an array of strings")
	}
	*s = v
	return nil
}

// Contains reports whether v is in s.
func (s StringSet) Contains(v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
