package catalog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The fuzzers' seeds are the committed test data: testdata/ids.txt, the
// entries of testdata/entries and testdata/bad, the queries of the search
// tests, plus what earlier fuzzing found, in testdata/fuzz.

func FuzzParseID(f *testing.F) {
	file, err := os.Open("testdata/ids.txt")
	if err != nil {
		f.Fatal(err)
	}
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		f.Add(sc.Text())
	}
	file.Close()
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseRef(s)
		if err != nil {
			if !IsInputError(err) {
				t.Fatalf("%q: error %T", s, err)
			}
			return
		}
		c := id.String()
		if len(c) > MaxIDLen {
			t.Fatalf("%q: canonical form of %d bytes", s, len(c))
		}
		if again, err := ParseID(c); err != nil || again != id {
			t.Fatalf("%q: canonical %q parses to %v, %v", s, c, again, err)
		}
		if again, err := ParseRef(id.IRI()); err != nil || again != id {
			t.Fatalf("%q: IRI %q parses to %v, %v", s, id.IRI(), again, err)
		}
	})
}

func FuzzDecodeEntry(f *testing.F) {
	for _, pattern := range []string{"testdata/entries/*.json", "testdata/bad/*.json", "testdata/normalized/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEntry(b)
		if dup := duplicateKeys(b); dup && err == nil {
			t.Fatalf("a document with duplicate keys was accepted: %q", b)
		}
		if err != nil {
			if !IsInputError(err) {
				t.Fatalf("decode: error %T: %v", err, err)
			}
			return
		}
		if err := Validate(e); err != nil {
			if !IsInputError(err) {
				t.Fatalf("validate: error %T: %v", err, err)
			}
			return
		}
		// A valid entry survives its own round trip unchanged.
		out, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := DecodeEntry(out)
		if err != nil {
			t.Fatalf("the normalised entry does not decode: %v\n%s", err, out)
		}
		if err := Validate(e2); err != nil {
			t.Fatalf("the normalised entry is not valid: %v\n%s", err, out)
		}
		out2, _ := json.Marshal(e2)
		if !bytes.Equal(out, out2) {
			t.Fatalf("normalising twice differs:\n%s\n%s", out, out2)
		}
	})
}

func FuzzParseQuery(f *testing.F) {
	for _, q := range []string{"零售客户", "retail customers", `"cross border" retail* -marketing`, "industry:finance quality:>=80",
		"owner:did:web:a.example", `geo:"CN-GD" 银行　卡`, `"say \"hi\""`, "- -- ... *", `"open`, "-industry:x", "quality:90-100 level:public",
		"space:gba-finance sovereignty:cn", "ＫＹＣ 反洗钱", "reta* -bananas format:csv frequency:daily scenario:marketing"} {
		f.Add(q)
	}
	c := loadCorpus(f, Config{Checker: &roleChecker{}})
	ctx := context.Background()
	requesters := []Requester{Operator(), {}, {DID: "did:web:x.example", Claims: map[string]any{"role": "analyst"}}}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuery(s)
		if err != nil {
			if !IsInputError(err) {
				t.Fatalf("%q: error %T", s, err)
			}
			return
		}
		again, err := ParseQuery(q.String())
		if err != nil || !reflect.DeepEqual(again, q) {
			t.Fatalf("%q: round trip through %q gives %#v, %v; want %#v", s, q.String(), again, err, q)
		}
		res, err := c.Search(ctx, requesters[len(s)%3], SearchRequest{Query: s, NoHints: true, Limit: 5})
		if err != nil {
			if !IsInputError(err) {
				t.Fatalf("%q: search error %T: %v", s, err, err)
			}
			return
		}
		if len(res.Hits) > 5 || res.Total < len(res.Hits) {
			t.Fatalf("%q: %d hits of %d", s, len(res.Hits), res.Total)
		}
		for _, h := range res.Hits {
			if strings.TrimSpace(h.Identifier) == "" {
				t.Fatalf("%q: a hit without an identifier", s)
			}
		}
	})
}

// duplicateKeys is the reference for scanJSON's duplicate check: a plain
// walk over encoding/json's tokens (false for text that is not JSON).
func duplicateKeys(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	failed := false
	var walk func() bool
	walk = func() bool {
		tok, err := dec.Token()
		if err != nil {
			failed = true
			return false
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for !failed && dec.More() {
				k, err := dec.Token()
				if err != nil {
					failed = true
					return false
				}
				ks, _ := k.(string)
				if seen[ks] {
					return true
				}
				seen[ks] = true
				if walk() {
					return true
				}
			}
			if _, err := dec.Token(); err != nil {
				failed = true
			}
		case json.Delim('['):
			for !failed && dec.More() {
				if walk() {
					return true
				}
			}
			if _, err := dec.Token(); err != nil {
				failed = true
			}
		}
		return false
	}
	return walk() && !failed
}
