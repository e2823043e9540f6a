package dsp

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzDecodeCatalog: DecodeCatalog never panics, refuses only with a
// *MessageError, and what it accepts encodes to a catalog that validates
// against the 2025-1 schema and decodes to the same encoding. The seed
// corpus (testdata/fuzz/FuzzDecodeCatalog) holds the 2025-1 catalog
// examples and a page this package serves.
func FuzzDecodeCatalog(f *testing.F) {
	f.Add([]byte(msg("Catalog", `"@id":"urn:c","participantId":"did:web:p.example","dataset":[{"@id":"urn:d","hasPolicy":[{"@id":"urn:o","prohibition":[{"action":"use","constraint":[{"or":[{"leftOperand":"x","operator":"isAnyOf","rightOperand":["a"]}]}]}]}],"distribution":[{"format":"f","accessService":{"@id":"urn:s","@type":"DataService","endpointURL":"https://p.example","dct:title":"s"}}],"dct:title":[{"@value":"t","@language":"zh"}]}]`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCatalog(data)
		if err != nil {
			var me *MessageError
			if !errors.As(err, &me) {
				t.Fatalf("%T %v", err, err)
			}
			return
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("encoding an accepted catalog: %v", err)
		}
		if err := validateMessage(b); err != nil {
			t.Fatalf("our encoding does not validate: %v\n%s", err, b)
		}
		c2, err := DecodeCatalog(b)
		if err != nil {
			t.Fatalf("our encoding %s does not decode: %v", b, err)
		}
		b2, err := json.Marshal(c2)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("not stable:\n%s\n%s", b, b2)
		}
	})
}

// FuzzParseLinks: Link headers from a provider never panic the reader,
// and a link it returns is text between one pair of angle brackets.
func FuzzParseLinks(f *testing.F) {
	f.Add(`<https://p.example/dsp/2025-1/catalog/request?cursor=YXVybjp4>; rel="next"`)
	f.Add(`<https://p/1>; rel=prev, <https://p/3>; title="a, \"b\"; c"; rel="next previous"`)
	f.Add(`<https://p/n>; rel="next`)
	f.Fuzz(func(t *testing.T, h string) {
		l := parseLinks([]string{h})
		for _, u := range []string{l.Next, l.Previous} {
			if u != "" && (strings.ContainsAny(u, "<>") || !strings.Contains(h, u)) {
				t.Fatalf("%q: link %q", h, u)
			}
		}
		if r, err := l.resolve("https://p.example/dsp/2025-1/catalog/request"); err == nil {
			for _, u := range []string{r.Next, r.Previous} {
				if u != "" && !strings.HasPrefix(u, "http") {
					t.Fatalf("%q resolved to %q", h, u)
				}
			}
		}
	})
}

// FuzzParseCursor: a cursor from a request never panics the reader; what
// it accepts is a cursor this package writes.
func FuzzParseCursor(f *testing.F) {
	f.Add(cursor('a', "urn:uuid:CAT0001"))
	f.Add(cursor('b', "https://w3id.org/xborder/id/xb86/CN/a/b"))
	f.Add("!!")
	f.Fuzz(func(t *testing.T, s string) {
		req, err := parseCursor(s)
		if err != nil {
			if status, code, _ := errorStatus(err); status != 400 || code != CodeBadCursor {
				t.Fatalf("%q: %d %s", s, status, code)
			}
			return
		}
		switch {
		case s == "":
		case req.After != "":
			if cursor('a', req.After) != s {
				t.Fatalf("%q: %+v", s, req)
			}
		case req.Before != "":
			if cursor('b', req.Before) != s {
				t.Fatalf("%q: %+v", s, req)
			}
		default:
			t.Fatalf("%q: an empty request", s)
		}
	})
}

// FuzzScanStrict: the fast checker agrees with encoding/json and
// jsonstrict (json.Valid, depth, duplicate keys) on every input, and
// calls compact only what json.Compact leaves as it is.
func FuzzScanStrict(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `[1,2.5e-3,-0,true,false,null,"x\"\u00e9"]`,
		` {"a" : [ ] } `, `{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k1":0}`,
		`01`, `1.`, `-`, `"\x"`, "\"\x01\"", `{"a\\":"\\\"","b":["\\\\",{"c":"\u0022"}]}`, `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`, `{"a":{"a":{"a":1}},"b":{"a":1}}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ok, compact := scanStrict(data, maxDepth)
		slow := scanJSONSlow(data)
		if ok != (slow == nil) {
			t.Fatalf("%q: fast %v, slow %v", data, ok, slow)
		}
		if compact {
			var buf bytes.Buffer
			if err := json.Compact(&buf, data); err != nil || !bytes.Equal(buf.Bytes(), data) {
				t.Fatalf("%q is called compact", data)
			}
		}
		if !ok {
			return
		}
		// The splitters agree with encoding/json on checked input.
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) == nil && obj != nil {
			ms, isObj := objectMembers(data)
			if !isObj || len(ms) != len(obj) {
				t.Fatalf("%q: %d members, encoding/json has %d", data, len(ms), len(obj))
			}
			for _, m := range ms {
				if !bytes.Equal(compactOf(t, m.val), compactOf(t, obj[m.key])) {
					t.Fatalf("%q: member %q is %q, encoding/json has %q", data, m.key, m.val, obj[m.key])
				}
			}
		}
		var arr []json.RawMessage
		if json.Unmarshal(data, &arr) == nil && arr != nil {
			items, isArr := arrayItems(data)
			if !isArr || len(items) != len(arr) {
				t.Fatalf("%q: %d items, encoding/json has %d", data, len(items), len(arr))
			}
			for i := range items {
				if !bytes.Equal(compactOf(t, items[i]), compactOf(t, arr[i])) {
					t.Fatalf("%q: item %d is %q, encoding/json has %q", data, i, items[i], arr[i])
				}
			}
		}
		var str string
		if trimmed := bytes.TrimSpace(data); trimmed[0] == '"' && json.Unmarshal(data, &str) == nil {
			if got, isStr := stringValue(bytes.TrimSpace(data)); !isStr || got != str {
				t.Fatalf("%q: string %q, encoding/json has %q", data, got, str)
			}
		}
	})
}

func compactOf(t *testing.T, v []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		t.Fatalf("%q: %v", v, err)
	}
	return buf.Bytes()
}
