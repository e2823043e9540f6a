package mask

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/classify"
)

// docPolicy extracts the example policy of the package doc.
func docPolicy(t *testing.T) []byte {
	t.Helper()
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	in := false
	for _, line := range strings.Split(string(src), "\n") {
		switch {
		case line == "//\t{":
			in = true
		case !in:
			continue
		}
		b.WriteString(strings.TrimPrefix(line, "//\t") + "\n")
		if line == "//\t}" {
			break
		}
	}
	if b.Len() == 0 {
		t.Fatal("no example policy in doc.go")
	}
	return []byte(b.String())
}

func TestParseDocExample(t *testing.T) {
	p, err := Parse(docPolicy(t))
	if err != nil {
		t.Fatalf("the package doc's example policy: %v", err)
	}
	if len(p.Columns) != 7 || p.Default.Action != Drop || *p.Columns[2].Prefix != "pid_" {
		t.Errorf("parsed %+v", p)
	}
	// round trip through Marshal
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(b)
	if err != nil {
		t.Fatalf("re-parsing Marshal's output: %v\n%s", err, b)
	}
	if !reflect.DeepEqual(p, q) {
		t.Errorf("round trip changed the policy:\n%+v\n%+v", p, q)
	}
	if _, err := New(p, nil); err == nil {
		t.Error("New accepted a pseudonymising policy without a key")
	}
}

func TestParseErrors(t *testing.T) {
	rule := func(r string) string { return `{"version":1,"columns":[` + r + `]}` }
	tests := []struct {
		name, doc, want string
	}{
		{"not json", `{`, "unexpected EOF"},
		{"trailing", `{"version":1}{}`, "data after"},
		{"no version", `{"columns":[]}`, "version: missing"},
		{"version 2", `{"version":2}`, "version: 2 is not supported"},
		{"version string", `{"version":"1"}`, "version: JSON string where a number is wanted"},
		{"unknown top", `{"version":1,"colums":[]}`, `unknown field "colums"`},
		{"unknown rule field", rule(`{"name":"a","action":"keep","kep_first":1}`), `columns[0]: unknown field "kep_first"`},
		{"duplicate key", rule(`{"name":"a","action":"keep","action":"drop"}`), `columns[0].action: key "action" appears twice`},
		{"duplicate top key", `{"version":1,"version":1}`, `version: key "version" appears twice`},
		{"wrong type", rule(`{"name":"a","action":"mask","keep_first":"3"}`), "columns[0].keep_first: JSON string where a number is wanted"},
		{"no name", rule(`{"action":"keep"}`), "columns[0].name: missing"},
		{"same name twice", rule(`{"name":"a","action":"keep"},{"name":"a","action":"drop"}`), `columns[1] ("a").name: also columns[0]`},
		{"no action", rule(`{"name":"a"}`), `columns[0] ("a").action: missing`},
		{"hash", rule(`{"name":"a","action":"hash"}`), `"hash" is not offered: an unkeyed hash`},
		{"unknown action", rule(`{"name":"a","action":"encrypt"}`), `"encrypt" is not an action`},
		{"field of another action", rule(`{"name":"a","action":"keep","class":"email"}`), `columns[0] ("a").class: does not apply to keep`},
		{"width on mask", rule(`{"name":"a","action":"mask","width":10}`), `.width: does not apply to mask`},
		{"unknown class", rule(`{"name":"a","action":"mask","class":"shoe_size"}`), `.class: "shoe_size" is not a field class`},
		{"mobile keeps too much", rule(`{"name":"手机号","action":"mask","class":"cn_mobile","keep_first":5}`), `columns[0] ("手机号").keep_first: keep_first 5 and keep_last 4 hide fewer than a third of the 11 characters of a cn_mobile value`},
		{"id keeps too much", rule(`{"name":"a","action":"mask","class":"cn_resident_id","keep_first":9,"keep_last":4}`), "the 18 characters of a cn_resident_id value"},
		{"keep on name", rule(`{"name":"a","action":"mask","class":"person_name","keep_first":1}`), ".keep_first: does not apply to class person_name"},
		{"keep_last on email", rule(`{"name":"a","action":"mask","class":"email","keep_last":1}`), ".keep_last: does not apply to class email"},
		{"keep negative", rule(`{"name":"a","action":"mask","keep_first":-1}`), ".keep_first: -1 is not between 0 and 64"},
		{"mask char two", rule(`{"name":"a","action":"mask","mask_char":"**"}`), ".mask_char: must be one printable character"},
		{"mask char digit", rule(`{"name":"a","action":"mask","mask_char":"0"}`), ".mask_char: must be one printable"},
		{"mask char letter", rule(`{"name":"a","action":"mask","mask_char":"x"}`), ".mask_char: must be one printable"},
		{"mask char space", rule(`{"name":"a","action":"mask","mask_char":" "}`), ".mask_char: must be one printable"},
		{"short token", rule(`{"name":"a","action":"pseudonymise","length":7}`), ".length: 7 is not between 8 and 51"},
		{"long token", rule(`{"name":"a","action":"pseudonymise","length":52}`), ".length: 52 is not between 8 and 51"},
		{"short digits", rule(`{"name":"a","action":"pseudonymise","alphabet":"digits","length":9}`), ".length: 9 is not between 10 and 40"},
		{"alphabet", rule(`{"name":"a","action":"pseudonymise","alphabet":"hex"}`), `.alphabet: "hex" is not an alphabet`},
		{"prefix comma", rule(`{"name":"a","action":"pseudonymise","prefix":"a,b"}`), ".prefix: may hold only"},
		{"prefix long", rule(`{"name":"a","action":"pseudonymise","prefix":"` + strings.Repeat("p", 33) + `"}`), ".prefix: longer than 32"},
		{"no kind", rule(`{"name":"a","action":"generalise"}`), ".kind: missing"},
		{"bad kind", rule(`{"name":"a","action":"generalise","kind":"colour"}`), `.kind: "colour" is not a generalisation kind`},
		{"no granularity", rule(`{"name":"a","action":"generalise","kind":"date"}`), ".granularity: missing"},
		{"date hour", rule(`{"name":"a","action":"generalise","kind":"date","granularity":"hour"}`), `.granularity: "hour" applies to kind timestamp`},
		{"bad granularity", rule(`{"name":"a","action":"generalise","kind":"timestamp","granularity":"week"}`), `"week" is not a granularity`},
		{"width and bounds", rule(`{"name":"a","action":"generalise","kind":"number","width":10,"bounds":[1]}`), ".bounds: give width or bounds, not both"},
		{"neither", rule(`{"name":"a","action":"generalise","kind":"number"}`), ".width: missing"},
		{"negative width", rule(`{"name":"a","action":"generalise","kind":"number","width":-1}`), ".width: -1 is not between"},
		{"bounds order", rule(`{"name":"a","action":"generalise","kind":"number","bounds":[18,14]}`), ".bounds: [1] is not greater"},
		{"empty bounds", rule(`{"name":"a","action":"generalise","kind":"number","bounds":[]}`), ".bounds: give 1 to 64"},
		{"decimals", rule(`{"name":"a","action":"generalise","kind":"geo","decimals":5}`), ".decimals: 5 is not between 0 and 4"},
		{"granularity on geo", rule(`{"name":"a","action":"generalise","kind":"geo","granularity":"year"}`), ".granularity: does not apply to generalise (kind geo)"},
		{"postal keep", rule(`{"name":"a","action":"generalise","kind":"postal","keep_first":10}`), ".keep_first: 10 is not between 0 and 9"},
		{"redact long", rule(`{"name":"a","action":"redact","with":"` + strings.Repeat("x", 257) + `"}`), ".with: longer than 256"},
		{"default named", `{"version":1,"default":{"name":"x","action":"keep"}}`, "default.name: must be empty"},
		{"default bad", `{"version":1,"default":{"action":"hash"}}`, "default.action:"},
		{"default unknown field", `{"version":1,"default":{"action":"keep","foo":1}}`, `default: unknown field "foo"`},
		{"invalid utf-8", "{\"version\":1,\"columns\":[{\"name\":\"\xff\",\"action\":\"keep\"}]}", "not valid UTF-8"},
		{"too big", `{"version":1,"columns":[` + strings.Repeat(" ", MaxPolicyBytes) + `]}`, "more than 1048576"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil {
				t.Fatalf("Parse accepted %s", tc.doc)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "mask: policy: ") {
				t.Errorf("error %q does not start with mask: policy:", err)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for _, doc := range []string{
		`{"version":1}`,
		`{"version":1,"default":null,"columns":null}`,
		`{"version":1,"default":{"action":"keep","note":"open data"},"columns":[]}`,
		`{"version":1,"columns":[{"name":"a","action":"pseudonymise","prefix":"","alphabet":"digits","length":10}]}`,
		`{"version":1,"columns":[{"name":"a","action":"mask","class":"cn_mobile","keep_first":3,"keep_last":3,"mask_char":"×"}]}`,
		`{"version":1,"columns":[{"name":"a","action":"generalise","kind":"timestamp","granularity":"hour"}]}`,
		`{"version":1,"columns":[{"name":"a","action":"redact","with":""}]}`,
		`{"version":1,"columns":[{"name":"a b","action":"null"},{"name":"A B","action":"drop"}]}`,
	} {
		if _, err := Parse([]byte(doc)); err != nil {
			t.Errorf("Parse(%s): %v", doc, err)
		}
	}
}

func TestPropose(t *testing.T) {
	fields := []classify.FieldProfile{
		{Name: "订单号", Class: classify.ClassNone},
		{Name: "姓名", Class: classify.ClassPersonName, Personal: true},
		{Name: "身份证号", Class: classify.ClassCNResidentID, Personal: true},
		{Name: "手机号", Class: classify.ClassCNMobile},
		{Name: "银行卡号", Class: classify.ClassBankCard, Sensitive: true},
		{Name: "诊断", Class: classify.ClassHealth, Sensitive: true},
		{Name: "出生日期", Class: classify.ClassBirthDate},
		{Name: "年龄", Class: classify.ClassAge},
		{Name: "位置", Class: classify.ClassGeoPrecise},
		{Name: "备注", Class: classify.ClassNone},
		{Name: "comment_text", Class: classify.ClassNone},
		{Name: "memo", Class: classify.ClassNone, Embedded: map[classify.Class]int64{classify.ClassCNMobile: 3}},
		{Name: "高程", Class: classify.ClassNone, ImportantCandidate: true},
		{Name: "信用代码", Class: classify.ClassCNUSCC},
		{Name: "手机号", Class: classify.ClassCNMobile, Table: "b.csv"}, // same class again: one rule
		{Name: "联系方式", Class: classify.ClassCNMobile, Table: "a.csv"},
		{Name: "联系方式", Class: classify.ClassEmail, Table: "b.csv"}, // conflict
	}
	p := Propose(fields)
	want := map[string]Action{
		"订单号": Keep, "姓名": Mask, "身份证号": Pseudonymise, "手机号": Mask, "银行卡号": Pseudonymise,
		"诊断": Drop, "出生日期": Generalise, "年龄": Generalise, "位置": Generalise, "备注": Drop,
		"comment_text": Drop, "memo": Drop, "高程": Drop, "信用代码": Keep, "联系方式": Drop,
	}
	if len(p.Columns) != len(want) {
		t.Errorf("%d rules, want %d", len(p.Columns), len(want))
	}
	for _, r := range p.Columns {
		if want[r.Name] != r.Action {
			t.Errorf("%s: %s, want %s", r.Name, r.Action, want[r.Name])
		}
		if r.Note == "" {
			t.Errorf("%s: no note for the reviewer", r.Name)
		}
	}
	if p.Default == nil || p.Default.Action != Drop {
		t.Error("default is not drop")
	}
	// the proposal is a valid policy and survives review as JSON
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse(Propose): %v\n%s", err, b)
	}
	if !reflect.DeepEqual(p, q) {
		t.Error("the proposal changed through JSON")
	}
	k, _ := DeriveKey("intl", testSecret, "a")
	if _, err := New(q, k); err != nil {
		t.Errorf("New(Propose): %v", err)
	}
}
