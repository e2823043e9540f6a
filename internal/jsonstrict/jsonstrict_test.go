package jsonstrict

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		in    string
		path  string
		key   string
		depth bool
		ok    bool
	}{
		{`{"a":1,"b":{"c":[1,{"d":2}]}}`, "", "", false, true},
		{`{"a":1,"a":2}`, "a", "a", false, false},
		{`{"a":{"b":[0,{"c":1,"c":2}]}}`, "a.b[1].c", "c", false, false},
		{`{"\u0061":1,"a":2}`, "a", "a", false, false},
		{`{"a":"{\"a\":1,\"a\":2}"}`, "", "", false, true},
		{`[[[[[1]]]]]`, "[0][0][0][0]", "", true, false},
		{`{"x":[{"y":1},{"y":2}]}`, "", "", false, true},
	}
	for _, c := range cases {
		if !json.Valid([]byte(c.in)) {
			t.Fatalf("invalid test input %s", c.in)
		}
		e := Check([]byte(c.in), 4)
		if c.ok {
			if e != nil {
				t.Errorf("%s: %v", c.in, e)
			}
			continue
		}
		if e == nil || e.Path != c.path || e.Key != c.key || e.Depth != c.depth {
			t.Errorf("%s: got %+v, want path %q key %q depth %v", c.in, e, c.path, c.key, c.depth)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":2,"b":3}]}`))
	f.Add([]byte(`{"\"a":1,"\\":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		e := Check(b, 16)
		if e != nil && !e.Depth && !strings.HasSuffix(e.Path, e.Key) {
			t.Fatalf("path %q does not end with the key %q", e.Path, e.Key)
		}
	})
}

// FuzzSkipValue: on valid JSON, SkipValue ends each value where
// encoding/json does: the whole input for the top-level value, each item
// of an array.
func FuzzSkipValue(f *testing.F) {
	for _, s := range []string{` {"a":"x\"}","b":[1,{"c":"\\"}],"d":null} `, `["\\\\\"",-1.5e3,true,{}]`, `"\u0022"`, `12`, `[ ]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		i := SkipSpace(data, 0)
		if end := SkipValue(data, i); SkipSpace(data, end) != len(data) {
			t.Fatalf("%q: the value ends at %d", data, end)
		}
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil || data[i] != '[' {
			return
		}
		n := 0
		for j := SkipSpace(data, i+1); data[j] != ']'; n++ {
			end := SkipValue(data, j)
			var want, got any
			if json.Unmarshal(items[n], &want) != nil || json.Unmarshal(data[j:end], &got) != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: item %d is %q, want %q", data, n, data[j:end], items[n])
			}
			if j = SkipSpace(data, end); data[j] == ',' {
				j = SkipSpace(data, j+1)
			}
		}
		if n != len(items) {
			t.Fatalf("%q: %d items, want %d", data, n, len(items))
		}
	})
}
