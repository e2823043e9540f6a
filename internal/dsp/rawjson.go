package dsp

import (
	"bytes"
	"encoding/json"
	"sync"
	"unicode/utf8"
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

// skipSpace returns the index of the first non-space byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just after the string starting at b[i] ==
// '"': the next quote not escaped by an odd run of backslashes.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		i += j
		n := 0
		for k := i - 1; k >= 0 && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index just after the value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i
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
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return memberIter{}, false
	}
	return memberIter{b, skipSpace(b, i+1)}, true
}

// next returns the next member; ok is false at the end.
func (it *memberIter) next() (k string, v []byte, ok bool) {
	b, i := it.b, it.i
	if i >= len(b) || b[i] != '"' {
		return "", nil, false
	}
	end := skipString(b, i)
	if k, ok = knownKey(b[i+1 : end-1]); !ok {
		k = unquote(b[i:end])
	}
	i = skipSpace(b, end)
	i = skipSpace(b, i+1) // the colon
	end = skipValue(b, i)
	v = b[i:end]
	if i = skipSpace(b, end); i < len(b) && b[i] == ',' {
		i = skipSpace(b, i+1)
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
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, false
	}
	for i = skipSpace(b, i+1); i < len(b) && b[i] != ']'; {
		end := skipValue(b, i)
		items = append(items, b[i:end])
		if i = skipSpace(b, end); i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
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
	j := skipSpace(s.b, i)
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
		if i = s.space(i); i >= len(s.b) {
			return -1
		}
		switch s.b[i] {
		case ']':
			return i + 1
		case ',':
			i = s.space(i + 1)
		default:
			return -1
		}
	}
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
		if i = s.space(i); i >= len(s.b) {
			return -1
		}
		switch s.b[i] {
		case '}':
			return i + 1
		case ',':
			i = s.space(i + 1)
		default:
			return -1
		}
	}
}

// knownKey returns the protocol's member names as constants, so that
// reading them allocates nothing.
func knownKey(k []byte) (string, bool) {
	switch string(k) {
	case "@id":
		return "@id", true
	case "@type":
		return "@type", true
	case "@context":
		return "@context", true
	case "@value":
		return "@value", true
	case "@language":
		return "@language", true
	case "hasPolicy":
		return "hasPolicy", true
	case "distribution":
		return "distribution", true
	case "format":
		return "format", true
	case "accessService":
		return "accessService", true
	case "permission":
		return "permission", true
	case "prohibition":
		return "prohibition", true
	case "action":
		return "action", true
	case "constraint":
		return "constraint", true
	case "leftOperand":
		return "leftOperand", true
	case "operator":
		return "operator", true
	case "rightOperand":
		return "rightOperand", true
	case "dataset":
		return "dataset", true
	case "service":
		return "service", true
	case "endpointURL":
		return "endpointURL", true
	case "participantId":
		return "participantId", true
	case "dct:title":
		return "dct:title", true
	case "dct:description":
		return "dct:description", true
	case "dct:identifier":
		return "dct:identifier", true
	case "providerPid":
		return "providerPid", true
	case "consumerPid":
		return "consumerPid", true
	}
	return "", false
}
