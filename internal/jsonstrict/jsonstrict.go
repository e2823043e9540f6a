// Package jsonstrict checks what encoding/json lets through but outside
// input must not carry: duplicate object keys (readers disagree on which
// one counts, so a signed or validated document could be read two ways)
// and unbounded nesting.
package jsonstrict

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// Error is the first violation found: Path locates it ("a.b[2].c"; for a
// duplicate it ends with the duplicated key, Key), Depth tells a nesting
// violation from a duplicate key.
type Error struct {
	Path  string
	Key   string
	Depth bool
}

func (e *Error) Error() string {
	if e.Depth {
		return "jsonstrict: " + e.Path + ": nested too deep"
	}
	return "jsonstrict: " + e.Path + ": duplicate key"
}

// Check walks data, which must already be valid JSON (json.Valid), in one
// pass over the bytes, and returns the first object or array nested more
// than maxDepth deep or the first duplicate key, or nil.
func Check(data []byte, maxDepth int) *Error {
	type frame struct {
		obj  bool
		keys map[string]struct{}
		seg  string // the key of the value being read, in an object
		idx  int    // the index of the value being read, in an array
	}
	var stack []*frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.obj {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.seg)
			} else {
				b.WriteString("[" + strconv.Itoa(f.idx) + "]")
			}
		}
		return b.String()
	}
	expectKey := false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{', '[':
			if len(stack) >= maxDepth {
				return &Error{Path: path(), Depth: true}
			}
			stack = append(stack, &frame{obj: c == '{'})
			expectKey = c == '{'
		case '}', ']':
			stack = stack[:len(stack)-1]
			expectKey = false
		case ',':
			if top := stack[len(stack)-1]; top.obj {
				expectKey = true
			} else {
				top.idx++
			}
		case '"':
			j := i + 1
			escaped := false
			for ; data[j] != '"'; j++ {
				if data[j] == '\\' {
					escaped = true
					j++
				}
			}
			if expectKey {
				top := stack[len(stack)-1]
				k := string(data[i+1 : j])
				if escaped {
					json.Unmarshal(data[i:j+1], &k)
				}
				if top.keys == nil {
					top.keys = make(map[string]struct{}, 8)
				}
				top.seg = k
				if _, dup := top.keys[k]; dup {
					return &Error{Path: path(), Key: k}
				}
				top.keys[k] = struct{}{}
				expectKey = false
			}
			i = j
		}
	}
	return nil
}

// Decode decodes exactly one JSON value from data into v, refusing
// unknown object fields and anything after the value.
func Decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// Walking JSON already known to be valid (json.Valid, or Check): the index
// after a value, a string or white space, by one pass over the bytes and
// without checking the syntax again. Input that is not valid JSON gives
// meaningless indexes, never a panic past len(b).

// IsSpace reports whether c is JSON white space.
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace returns the index of the first byte at or after i that is not
// white space.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	return i
}

// SkipString returns the index just after the string starting at b[i]
// (a quote): the next quote not escaped by an odd run of backslashes.
func SkipString(b []byte, i int) int {
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

// SkipValue returns the index just after the value starting at b[i].
func SkipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return SkipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = SkipString(b, i) - 1
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
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && !IsSpace(b[i]) {
		i++
	}
	return i
}
