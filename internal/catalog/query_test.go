package catalog

import (
	"reflect"
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		in       string
		unigrams bool
		want     string // tokens joined by |
	}{
		{"Retail Customers-2026", false, "retail|customers|2026"},
		{"零售客户", false, "零售|售客|客户"},
		{"零售客户", true, "零售|售客|客户|零|售|客|户"},
		{"客户的数据", false, "客户|数据"},
		{"税", false, "税"},
		{"粤港澳2026年Q1", false, "粤港|港澳|2026|年|q1"},
		{"ＡＢＣ１２３ data", false, "abc123|data"},
		{"the data of the bank", false, "data|bank"},
		{"Größe Müller", false, "größe|müller"},
		{"顧客データ", false, "顧客|客デ|デー|ータ"},
		{"did:web:retail.example.cn", false, "did|web|retail|example|cn"},
		{strings.Repeat("x", 60), false, strings.Repeat("x", maxWordRunes)},
		{"  --- ", false, ""},
	}
	for _, tc := range tests {
		var got []string
		for _, tk := range tokensOf(tc.in, tc.unigrams) {
			got = append(got, tk.text)
		}
		if g := strings.Join(got, "|"); g != tc.want {
			t.Errorf("tokens(%q, %v) = %s, want %s", tc.in, tc.unigrams, g, tc.want)
		}
	}
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		in   string
		want Query
		err  string
	}{
		{in: "零售 客户", want: Query{Words: []Word{{Text: "零售"}, {Text: "客户"}}}},
		{in: `"cross border" retail* -marketing`, want: Query{Words: []Word{{Text: "cross border"}, {Text: "retail", Prefix: true}}, Excluded: []Word{{Text: "marketing"}}}},
		{in: "industry:finance Industry:banking level:sensitive", want: Query{Filters: map[string][]string{"industry": {"finance", "banking"}, "level": {"sensitive"}}}},
		{in: `owner:did:web:a.example quality:>=80`, want: Query{Filters: map[string][]string{"owner": {"did:web:a.example"}, "quality": {">=80"}}}},
		{in: "did:web:a.example", want: Query{Words: []Word{{Text: "did:web:a.example"}}}},
		{in: `geo:"CN-GD" 银行　卡`, want: Query{Words: []Word{{Text: "银行"}, {Text: "卡"}}, Filters: map[string][]string{"geo": {"CN-GD"}}}},
		{in: `"say \"hi\""`, want: Query{Words: []Word{{Text: `say "hi"`}}}},
		{in: "- -- ... *", want: Query{}},
		{in: `"unterminated`, err: "unterminated quote"},
		{in: "industry:", err: "industry: has no value"},
		{in: "-industry:finance", err: "filters cannot be negated"},
		{in: "\xff", err: "not valid UTF-8"},
		{in: strings.Repeat("a ", 40), err: "more than 32"},
		{in: strings.Repeat("a", MaxQueryBytes+1), err: "limit"},
	}
	for _, tc := range tests {
		q, err := ParseQuery(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !IsInputError(err) {
				t.Errorf("ParseQuery(%q): error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseQuery(%q): %v", tc.in, err)
			continue
		}
		if tc.want.Filters == nil {
			tc.want.Filters = map[string][]string{}
		}
		if !reflect.DeepEqual(q, tc.want) {
			t.Errorf("ParseQuery(%q) = %#v, want %#v", tc.in, q, tc.want)
		}
		again, err := ParseQuery(q.String())
		if err != nil || !reflect.DeepEqual(again, q) {
			t.Errorf("round trip of %q through %q: %#v, %v", tc.in, q.String(), again, err)
		}
	}
}
