package input

import (
	"errors"
	"strings"
	"testing"
)

func TestReadKeys(t *testing.T) {
	for _, c := range []struct {
		name, csv, key, val string
		max                 int64
		keys                int
		err                 error
		errText             string
	}{
		{name: "keys", csv: "\ufeffid , x\n a ,1\nb,2\n", key: "id", keys: 2},
		{name: "values", csv: "id,v\na,1\nb,2\n", key: "id", val: "v", keys: 2},
		{name: "missing key column", csv: "id,v\na,1\n", key: "k", err: ErrColumn},
		{name: "missing value column", csv: "id,v\na,1\n", key: "id", val: "w", err: ErrColumn},
		{name: "bad value", csv: "id,v\na,-1\n", key: "id", val: "v", errText: "row 2"},
		{name: "empty key", csv: "id\n\n \n", key: "id", errText: "empty key"},
		{name: "too many", csv: "id\na\nb\nc\n", key: "id", max: 2, err: ErrTooManyRows},
		{name: "empty", csv: "", key: "id", errText: "no header"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k, err := ReadKeys(strings.NewReader(c.csv), c.key, c.val, c.max)
			switch {
			case c.err != nil || c.errText != "":
				if err == nil || (c.err != nil && !errors.Is(err, c.err)) || !strings.Contains(err.Error(), c.errText) {
					t.Fatalf("err = %v, want %v %q", err, c.err, c.errText)
				}
			case err != nil:
				t.Fatal(err)
			case len(k.Keys) != c.keys || (c.val != "" && len(k.Values) != c.keys):
				t.Fatalf("got %+v", k)
			}
		})
	}
}

func TestReadRows(t *testing.T) {
	r, err := ReadRows(strings.NewReader("region,amount\nn,1.5\ns,-2\n"), "amount", "region", 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Values) != 2 || r.Values[0] != 150 || r.Values[1] != -200 || r.Keys[1] != "s" {
		t.Fatalf("got %+v", r)
	}
	r.Clamp(0, 100)
	if r.Values[0] != 100 || r.Values[1] != 0 {
		t.Fatalf("clamped %+v", r.Values)
	}
	if _, err := ReadRows(strings.NewReader("a\n1\n"), "b", "", 0, 0); !errors.Is(err, ErrColumn) {
		t.Fatalf("err = %v", err)
	}
	if _, err := ReadRows(strings.NewReader("a\nx\n"), "a", "", 0, 0); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err = %v", err)
	}
}
