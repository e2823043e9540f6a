package dsp

import (
	"bytes"
	"encoding/json"
	"sync"
	"unicode/utf8"

	"github.com/xborder/xborder/internal/jsonstrict"
)

// Reading JSON that scanJSON has already checked (valid, at most maxDepth
// deep, no duplicate keys): objects and arrays are split into their parts
// by one walk over the bytes, without decoding into maps and without
// checking the syntax again. A catalog page of 10,000 datasets is read
// this way in a few passes over its bytes instead of one per nesting level
// of encoding/json. The parts share memory with the input.

// member is one member of a JSON object: its key and raw value.
type member struct {
	key string
	val []byte
}

// unquote decodes the JSON string s (with its quotes), checked.
func unquote(s []byte) string {
	inner := s[1 : len(s)-1]
	for _, c := range inner {
		if c == '\\' || c >= utf8.RuneSelf {
			var out string
			json.Unmarshal(s, &out) // checked: it is a string
			return out
		}
	}
	return string(inner)
}

// memberIter walks the members of a checked JSON object without
// allocating for them.
type memberIter struct {
	b []byte
	i int
}

// newMemberIter starts a walk; ok is false when b is not an object.
func newMemberIter(b []byte) (memberIter, bool) {
	i := jsonstrict.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return memberIter{}, false
	}
	return memberIter{b, jsonstrict.SkipSpace(b, i+1)}, true
}

// next returns the next member; ok is false at the end.
func (it *memberIter) next() (k string, v []byte, ok bool) {
	b, i := it.b, it.i
	if i >= len(b) || b[i] != '"' {
		return "", nil, false
	}
	end := jsonstrict.SkipString(b, i)
	if k, ok = knownKey(b[i+1 : end-1]); !ok {
		k = unquote(b[i:end])
	}
	i = jsonstrict.SkipSpace(b, end)
	i = jsonstrict.SkipSpace(b, i+1) // the colon
	end = jsonstrict.SkipValue(b, i)
	v = b[i:end]
	if i = jsonstrict.SkipSpace(b, end); i < len(b) && b[i] == ',' {
		i = jsonstrict.SkipSpace(b, i+1)
	}
	it.i = i
	return k, v, true
}

// objectMembers splits a checked JSON value into its members, in document
// order; ok is false when it is not an object.
func objectMembers(b []byte) (ms []member, ok bool) {
	it, ok := newMemberIter(b)
	if !ok {
		return nil, false
	}
	ms = make([]member, 0, 8)
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		ms = append(ms, member{k, v})
	}
	return ms, true
}

// arrayItems splits a checked JSON value into its items; ok is false when
// it is not an array.
func arrayItems(b []byte) (items [][]byte, ok bool) {
	i := jsonstrict.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, false
	}
	for i = jsonstrict.SkipSpace(b, i+1); i < len(b) && b[i] != ']'; {
		end := jsonstrict.SkipValue(b, i)
		items = append(items, b[i:end])
		if i = jsonstrict.SkipSpace(b, end); i < len(b) && b[i] == ',' {
			i = jsonstrict.SkipSpace(b, i+1)
		}
	}
	return items, true
}

// stringValue decodes a checked JSON value that must be a string.
func stringValue(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' {
		return "", false
	}
	return unquote(b), true
}

// isNull reports whether a checked JSON value is null.
func isNull(b []byte) bool { return len(b) == 4 && string(b) == "null" }

// scanStrict reports whether data is exactly one JSON value as
// encoding/json accepts it (json.Valid), nested at most maxDepth deep and
// without duplicate keys in any object (compared unescaped, as jsonstrict
// does), and whether it is compact (no whitespace outside strings). It is
// the fast path of scanJSON, in one pass and without allocating for
// objects of up to 16 keys; when it says no, scanJSON finds the error the
// slow way, so the messages stay those of json.Valid and jsonstrict.
func scanStrict(data []byte, maxDepth int) (ok, compact bool) {
	s := scanners.Get().(*strictScanner)
	defer func() {
		s.b, s.keys = nil, s.keys[:0]
		scanners.Put(s)
	}()
	s.b, s.max, s.compact = data, maxDepth, true
	i := s.space(0)
	i = s.value(i, 0)
	if i < 0 {
		return false, false
	}
	return s.space(i) == len(data), s.compact && i == len(data)
}

// scanners keeps strictScanners, and their key stacks, for reuse.
var scanners = sync.Pool{New: func() any { return &strictScanner{keys: make([][]byte, 0, 64)} }}

type strictScanner struct {
	b       []byte
	max     int
	compact bool
	// keys holds the keys of the objects being read, outermost first: an
	// object's keys follow those its enclosing objects had read so far.
	keys [][]byte
}

func (s *strictScanner) space(i int) int {
	j := jsonstrict.SkipSpace(s.b, i)
	if j != i {
		s.compact = false
	}
	return j
}

// value reads the value at i and returns the index after it, or -1.
func (s *strictScanner) value(i, depth int) int {
	if i >= len(s.b) {
		return -1
	}
	switch c := s.b[i]; {
	case c == '{':
		return s.object(i, depth+1)
	case c == '[':
		return s.array(i, depth+1)
	case c == '"':
		end, _ := s.str(i)
		return end
	case c == '-' || c >= '0' && c <= '9':
		return s.number(i)
	case c == 't':
		return s.literal(i, "true")
	case c == 'f':
		return s.literal(i, "false")
	case c == 'n':
		return s.literal(i, "null")
	}
	return -1
}

func (s *strictScanner) literal(i int, lit string) int {
	if len(s.b)-i < len(lit) || string(s.b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

func (s *strictScanner) number(i int) int {
	b := s.b
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// str reads the string at i; escaped reports a backslash in it.
func (s *strictScanner) str(i int) (end int, escaped bool) {
	b := s.b
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, escaped
		case c < 0x20:
			return -1, false
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return -1, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+5 >= len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return -1, false
				}
				i += 5
			default:
				return -1, false
			}
		}
	}
	return -1, false
}

func (s *strictScanner) array(i, depth int) int {
	if depth > s.max {
		return -1
	}
	i = s.space(i + 1)
	if i < len(s.b) && s.b[i] == ']' {
		return i + 1
	}
	for {
		if i = s.value(i, depth); i < 0 {
			return -1
		}
		var done bool
		if i, done = s.next(i, ']'); i < 0 || done {
			return i
		}
	}
}

// next reads what follows an item or a member at i: the closing byte
// (done, i after it) or a comma (i at what follows); -1 for anything else.
func (s *strictScanner) next(i int, closing byte) (int, bool) {
	if i = s.space(i); i >= len(s.b) {
		return -1, false
	}
	switch s.b[i] {
	case closing:
		return i + 1, true
	case ',':
		return s.space(i + 1), false
	}
	return -1, false
}

func (s *strictScanner) object(i, depth int) int {
	if depth > s.max {
		return -1
	}
	base := len(s.keys)
	defer func() { s.keys = s.keys[:base] }()
	var seen map[string]bool // past 16 keys
	i = s.space(i + 1)
	if i < len(s.b) && s.b[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(s.b) || s.b[i] != '"' {
			return -1
		}
		end, escaped := s.str(i)
		if end < 0 {
			return -1
		}
		k := s.b[i+1 : end-1]
		if escaped {
			k = []byte(unquote(s.b[i:end]))
		}
		switch keys := s.keys[base:]; {
		case seen != nil:
			if seen[string(k)] {
				return -1
			}
			seen[string(k)] = true
		case len(keys) == 16:
			seen = make(map[string]bool, 32)
			for _, x := range keys {
				seen[string(x)] = true
			}
			if seen[string(k)] {
				return -1
			}
			seen[string(k)] = true
		default:
			for _, x := range keys {
				if bytes.Equal(x, k) {
					return -1
				}
			}
			s.keys = append(s.keys, k)
		}
		if i = s.space(end); i >= len(s.b) || s.b[i] != ':' {
			return -1
		}
		if i = s.value(s.space(i+1), depth); i < 0 {
			return -1
		}
		var done bool
		if i, done = s.next(i, '}'); i < 0 || done {
			return i
		}
	}
}

// knownKeys are the protocol's member names, as constants, so that reading
// them allocates nothing (a map lookup by string(bytes) does not copy).
var knownKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"@id", "@type", "@context", "@value", "@language", "hasPolicy", "distribution", "format",
		"accessService", "permission", "prohibition", "action", "constraint", "leftOperand", "operator", "rightOperand",
		"dataset", "service", "endpointURL", "participantId", "dct:title", "dct:description", "dct:identifier",
		"providerPid", "consumerPid"} {
		m[k] = k
	}
	return m
}()

// knownKey returns k as one of the knownKeys.
func knownKey(k []byte) (string, bool) {
	s, ok := knownKeys[string(k)]
	return s, ok
}
