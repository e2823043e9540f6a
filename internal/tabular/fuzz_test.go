package tabular

import (
	"errors"
	"testing"
)

// FuzzCSV checks the parallel CSV reader against the reference parser, with
// tiny blocks so that chunk boundaries fall everywhere.
func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n",
		"a;b\r\n\"x\r\ny\";2\r\n",
		"a,b\n\"1\"\"\",2\n\n3,4",
		"a|b\n1|\"unterminated\n",
		"\ufeffa\tb\n1\t2\n",
		"a,b\n1,2,3\n",
		"a,b\n1,x\"y\n",
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, block uint8) {
		if len(data) > 4096 {
			return
		}
		checkAgainstRef(t, data, Options{BatchRows: 3, Workers: 2, blockSize: 1 + int(block%32)})
	})
}

func fuzzJSONFile(t *testing.T, name string, data []byte) {
	p := writeTemp(t, name, data)
	tables, err := Discover(t.Context(), p, Options{})
	if err != nil {
		var te *Error
		if !errors.As(err, &te) {
			t.Fatalf("Discover error %v is not an *Error", err)
		}
		return
	}
	_, err = readTable(t, tables[0], Options{BatchRows: 2, MaxLineBytes: 1 << 12})
	if err != nil {
		var te *Error
		if !errors.As(err, &te) {
			t.Fatalf("error %v (%T) is not an *Error", err, err)
		}
		if te.Line < 0 {
			t.Fatalf("negative line in %v", err)
		}
	}
}

func FuzzJSONL(f *testing.F) {
	for _, s := range []string{
		"{\"a\":1}\n{\"a\":2,\"b\":{\"c\":[1,2]}}\n",
		"{\"a\":\"x\\ny\"}\n\n{\"a\":1e5}\n",
		"{\"a\":1}\n{\"a\":\n",
		"[1]\n",
		"{\"a\":null,\"a\":true}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 8192 {
			return
		}
		fuzzJSONFile(t, "f.jsonl", data)
	})
}

func FuzzJSON(f *testing.F) {
	for _, s := range []string{
		"[{\"a\":1},{\"b\":{\"c\":2}}]",
		"[\n{\"a\":1},\n{\"a\":2,,}\n]",
		"{\"a\":1}\n{\"a\":2}",
		"[]",
		"  [ {\"x\": [1, {\"y\": 2}]} ] trailing",
		"\"scalar\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 8192 {
			return
		}
		fuzzJSONFile(t, "f.json", data)
	})
}
