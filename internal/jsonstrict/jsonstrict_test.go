package jsonstrict

import (
	"encoding/json"
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
