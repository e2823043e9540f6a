package trust

import (
	"math"
	"testing"
)

func TestCanonicalizeRFC8785(t *testing.T) {
	// RFC 8785 §3.2.2 example.
	in := `{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`
	want := `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`
	got, err := Canonicalize([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// RFC 8785 §3.2.3: sorting by UTF-16 code units.
	in = `{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}`
	want = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"
	got, err = Canonicalize([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestFormatNumber(t *testing.T) {
	// RFC 8785 Appendix B samples.
	cases := map[float64]string{
		0: "0", math.Copysign(0, -1): "0", 1: "1", -1: "-1",
		math.Float64frombits(0x0000000000000001): "5e-324",
		math.Float64frombits(0x7fefffffffffffff): "1.7976931348623157e+308",
		9007199254740992:                         "9007199254740992",
		1e21:                                     "1e+21",
		1e20:                                     "100000000000000000000",
		0.000001:                                 "0.000001",
		0.0000001:                                "1e-7",
		295147905179352830000:                    "295147905179352830000",
		math.Float64frombits(0x44b52d02c7e14af5): "9.999999999999997e+22",
		math.Float64frombits(0xc1f0000000000000): "-4294967296",
		math.Float64frombits(0x3eb0c6f7a0b5ed8d): "0.000001",
		math.Float64frombits(0x3eb0c6f7a0b5ed8c): "9.999999999999997e-7",
	}
	for f, want := range cases {
		if got := formatNumber(f); got != want {
			t.Errorf("%v: got %s, want %s", f, got, want)
		}
	}
}

func TestCanonicalizeRefuses(t *testing.T) {
	for _, in := range []string{`{"a":1,"a":2}`, "\"\xff\"", `1e400`, `{"a":1} x`, `[`, ``, deep(40)} {
		if _, err := Canonicalize([]byte(in)); err == nil {
			t.Errorf("%.30q accepted", in)
		}
	}
}

func deep(n int) string {
	s := ""
	for range n {
		s += "["
	}
	for range n {
		s += "]"
	}
	return s
}
