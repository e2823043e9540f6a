package billing

import (
	"encoding/json"
	"math"
	"math/big"
	"strings"
	"testing"
)

func mustCur(t testing.TB, code string) Currency {
	t.Helper()
	c, err := LookupCurrency(code)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseAmount(t *testing.T) {
	cny, jpy, bhd := mustCur(t, "CNY"), mustCur(t, "JPY"), mustCur(t, "BHD")
	tests := []struct {
		in   string
		c    Currency
		want int64
		err  string
	}{
		{"12.50", cny, 1250, ""},
		{"12.5", cny, 1250, ""},
		{"12", cny, 1200, ""},
		{"0.01", cny, 1, ""},
		{"0", cny, 0, ""},
		{"000.00", cny, 0, ""},
		{"007.10", cny, 710, ""},
		{"1200", jpy, 1200, ""},
		{"1.234", bhd, 1234, ""},
		{"999999999999999.99", cny, 99999999999999999, ""},
		{"0.005", cny, 0, "2 decimal places"},
		{"1.5", jpy, 0, "no minor unit"},
		{"-1.00", cny, 0, "only digits"},
		{"+1", cny, 0, "only digits"},
		{"1e3", cny, 0, "only digits"},
		{"1,000", cny, 0, "only digits"},
		{"1.", cny, 0, "write digits"},
		{".5", cny, 0, "write digits"},
		{"", cny, 0, "write digits"},
		{"1.2.3", cny, 0, "only digits"},
		{"１２", cny, 0, "only digits"},
		{"1000000000000000", cny, 0, "integer digits"},
	}
	for _, tc := range tests {
		got, err := ParseAmount(tc.in, tc.c)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q %s: err %v, want %q", tc.in, tc.c.Code, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q %s = %d, %v; want %d", tc.in, tc.c.Code, got, err, tc.want)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	cny, jpy, bhd := mustCur(t, "CNY"), mustCur(t, "JPY"), mustCur(t, "BHD")
	for _, tc := range []struct {
		minor int64
		c     Currency
		want  string
	}{
		{1250, cny, "12.50"}, {5, cny, "0.05"}, {0, cny, "0.00"}, {-5, cny, "-0.05"},
		{1200, jpy, "1200"}, {1, bhd, "0.001"}, {math.MinInt64, cny, "-92233720368547758.08"},
	} {
		if got := FormatAmount(tc.minor, tc.c); got != tc.want {
			t.Errorf("%d %s = %q, want %q", tc.minor, tc.c.Code, got, tc.want)
		}
	}
}

func mustPricing(t testing.TB, js string) *Pricing {
	t.Helper()
	p, err := ParsePricing([]byte(js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return p
}

func TestRate(t *testing.T) {
	tests := []struct {
		name    string
		pricing string
		usage   Usage
		sub     bool
		want    []int64 // amount per line
	}{
		{"flat per call", `{"currency":"CNY","components":[{"model":"per_call","tiers":[{"price":"0.50"}]}]}`,
			Usage{Count: 7}, false, []int64{350}},
		{"per 1000 calls, rounding half up", `{"currency":"CNY","components":[{"model":"per_call","per":1000,"tiers":[{"price":"1.00"}]}]}`,
			Usage{Count: 1005}, false, []int64{101}}, // 100.5 fen → 101
		{"rounding down below half", `{"currency":"CNY","components":[{"model":"per_call","per":1000,"tiers":[{"price":"1.00"}]}]}`,
			Usage{Count: 1004}, false, []int64{100}},
		{"free quota", `{"currency":"CNY","components":[{"model":"per_call","free":100,"tiers":[{"price":"0.10"}]}]}`,
			Usage{Count: 150}, false, []int64{500}},
		{"inside free quota", `{"currency":"CNY","components":[{"model":"per_call","free":100,"tiers":[{"price":"0.10"}]}]}`,
			Usage{Count: 99}, false, []int64{0}},
		// 1..100 free, 101..1000 at 0.10 (900 units), 1001..1500 at 0.05 (500 units)
		{"graduated tiers with free", `{"currency":"CNY","components":[{"model":"per_call","free":100,"tiers":[{"up_to":1000,"price":"0.10"},{"price":"0.05"}]}]}`,
			Usage{Count: 1500}, false, []int64{9000 + 2500}},
		// all 1400 billable units at the tier 1500 falls in
		{"volume tiers with free", `{"currency":"CNY","components":[{"model":"per_call","free":100,"tier_mode":"volume","tiers":[{"up_to":1000,"price":"0.10"},{"price":"0.05"}]}]}`,
			Usage{Count: 1500}, false, []int64{7000}},
		{"free beyond first tier", `{"currency":"CNY","components":[{"model":"per_call","free":2000,"tiers":[{"up_to":1000,"price":"0.10"},{"price":"0.05"}]}]}`,
			Usage{Count: 3000}, false, []int64{5000}},
		{"per GB", `{"currency":"EUR","components":[{"model":"per_volume","metric":"bytes","per":1000000000,"tiers":[{"price":"20.00"}]}]}`,
			Usage{Bytes: 2_500_000_000}, false, []int64{5000}},
		{"per row", `{"currency":"USD","components":[{"model":"per_volume","metric":"rows","per":1000,"tiers":[{"price":"0.03"}]}]}`,
			Usage{Rows: 16_500}, false, []int64{50}}, // 49.5 → 50
		{"subscription due", `{"currency":"CNY","components":[{"model":"subscription","fee":"1000.00"},{"model":"per_call","free":10000,"tiers":[{"price":"0.01"}]}]}`,
			Usage{Count: 10500}, true, []int64{100000, 500}},
		{"subscription not due", `{"currency":"CNY","components":[{"model":"subscription","fee":"1000.00"}]}`,
			Usage{}, false, []int64{0}},
		{"per computation", `{"currency":"CNY","components":[{"model":"per_computation","tiers":[{"up_to":10,"price":"50.00"},{"price":"30.00"}]}]}`,
			Usage{Tasks: 12}, false, []int64{50000 + 6000}},
		{"yen", `{"currency":"JPY","components":[{"model":"per_call","per":3,"tiers":[{"price":"1"}]}]}`,
			Usage{Count: 10}, false, []int64{3}}, // 3.33 → 3
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPricing(t, tc.pricing)
			lines, sub, err := p.Rate(tc.usage, tc.sub)
			if err != nil {
				t.Fatal(err)
			}
			var sum int64
			for i, l := range lines {
				if l.Amount != tc.want[i] {
					t.Errorf("line %d: %d, want %d (%+v)", i, l.Amount, tc.want[i], l)
				}
				sum += l.Amount
			}
			if sum != sub {
				t.Errorf("subtotal %d, lines sum to %d", sub, sum)
			}
		})
	}
}

func TestRateOverflow(t *testing.T) {
	p := mustPricing(t, `{"currency":"CNY","components":[{"model":"per_volume","metric":"bytes","tiers":[{"price":"999999999999999.99"}]}]}`)
	if _, _, err := p.Rate(Usage{Bytes: math.MaxInt64}, false); err == nil {
		t.Fatal("overflow not reported")
	}
}

func TestParsePricingErrors(t *testing.T) {
	for _, tc := range []struct{ js, want string }{
		{`{"currency":"XXX","components":[]}`, "currency"},
		{`{"currency":"CNY","components":[]}`, "no components"},
		{`{"currency":"CNY","components":[{"model":"per_call","tiers":[{"price":5}]}]}`, "decimal strings"},
		{`{"currency":"CNY","components":[{"model":"per_call","tiers":[{"price":"0.001"}]}]}`, "decimal places"},
		{`{"currency":"CNY","components":[{"model":"per_call"}]}`, "no tiers"},
		{`{"currency":"CNY","components":[{"model":"per_call","metric":"bytes","tiers":[{"price":"1"}]}]}`, "priced on count"},
		{`{"currency":"CNY","components":[{"model":"per_volume","tiers":[{"price":"1"}]}]}`, "metric bytes or rows"},
		{`{"currency":"CNY","components":[{"model":"rent","tiers":[{"price":"1"}]}]}`, "model"},
		{`{"currency":"CNY","components":[{"model":"per_call","tiers":[{"up_to":10,"price":"1"}]}]}`, "last tier"},
		{`{"currency":"CNY","components":[{"model":"per_call","tiers":[{"up_to":10,"price":"1"},{"up_to":5,"price":"1"},{"price":"1"}]}]}`, "above the previous"},
		{`{"currency":"CNY","components":[{"model":"per_call","per":-1,"tiers":[{"price":"1"}]}]}`, "per must be positive"},
		{`{"currency":"CNY","components":[{"model":"per_call","per":1.5,"tiers":[{"price":"1"}]}]}`, "per"},
		{`{"currency":"CNY","components":[{"model":"subscription","fee":"1","free":3}]}`, "fee only"},
		{`{"currency":"CNY","components":[{"model":"per_call","fee":"1","tiers":[{"price":"1"}]}]}`, "subscriptions only"},
		{`{"currency":"CNY","components":[{"model":"per_call","tiers":[{"price":"1"}]}],"colour":"red"}`, "unknown field"},
		{`{"currency":"CNY","components":[{"model":"per_call","tiers":[{"price":"1"}]}]} {}`, "after the JSON"},
		{`{"currency":"CNY","components":[{"model":"per_call","tiers":[{"price":"1"}]}],"revenue_share":{"basis":"luck","providers":[{"party":"a"}]}}`, "basis"},
		{`{"currency":"CNY","components":[{"model":"per_call","tiers":[{"price":"1"}]}],"revenue_share":{"basis":"fixed","providers":[{"party":"a"}]}}`, "positive weight"},
		{`{"currency":"CNY","components":[{"model":"per_call","tiers":[{"price":"1"}]}],"revenue_share":{"basis":"rows","providers":[{"party":"a","weight":2}]}}`, "fixed basis only"},
		{`{"currency":"CNY","components":[{"model":"per_call","tiers":[{"price":"1"}]}],"revenue_share":{"basis":"rows","providers":[{"party":"a"},{"party":"a"}]}}`, "twice"},
		{`{"currency":"CNY","components":[{"model":"per_call","tiers":[{"price":"1"}]}],"revenue_share":{"basis":"rows","platform_fee_bp":100,"providers":[{"party":"a"}]}}`, "operator"},
		{`{"currency":"CNY","components":[{"model":"per_call","tiers":[{"price":"1"}]}],"revenue_share":{"basis":"rows","platform_fee_bp":10001,"operator":"o","providers":[{"party":"a"}]}}`, "platform_fee_bp"},
	} {
		_, err := ParsePricing([]byte(tc.js))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.js, err, tc.want)
		}
	}
}

func TestPricingRoundTrip(t *testing.T) {
	in := `{"currency":"CNY","components":[{"model":"subscription","fee":"1000.00"},{"model":"per_call","per":1000,"free":10000,"tiers":[{"up_to":1000000,"price":"5.00"},{"price":"3"}]},{"model":"per_volume","metric":"bytes","per":1000000000,"tier_mode":"volume","tiers":[{"price":"20"}]}],"revenue_share":{"basis":"fixed","platform_fee_bp":500,"operator":"did:web:exchange.example","providers":[{"party":"did:web:a.example","weight":3},{"party":"did:web:b.example","weight":1}]}}`
	p := mustPricing(t, in)
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"currency":"CNY","components":[{"model":"subscription","fee":"1000.00"},{"model":"per_call","metric":"count","per":1000,"free":10000,"tier_mode":"graduated","tiers":[{"up_to":1000000,"price":"5.00"},{"price":"3.00"}]},{"model":"per_volume","metric":"bytes","per":1000000000,"tier_mode":"volume","tiers":[{"price":"20.00"}]}],"revenue_share":{"basis":"fixed","platform_fee_bp":500,"operator":"did:web:exchange.example","providers":[{"party":"did:web:a.example","weight":3},{"party":"did:web:b.example","weight":1}]}}`
	if string(out) != want {
		t.Fatalf("marshal:\n got %s\nwant %s", out, want)
	}
	again := mustPricing(t, string(out))
	out2, _ := json.Marshal(again)
	if string(out2) != string(out) {
		t.Fatal("not stable")
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		total   int64
		weights []int64
		want    []int64
	}{
		{100, []int64{1, 1, 1}, []int64{34, 33, 33}},       // tie: lower index first
		{100, []int64{1, 1, 1, 0}, []int64{34, 33, 33, 0}}, // zero weight gets nothing
		{10, []int64{3, 3, 4}, []int64{3, 3, 4}},
		{1, []int64{1, 1}, []int64{1, 0}},
		{0, []int64{5, 7}, []int64{0, 0}},
		{1000, []int64{1200, 500, 1300}, []int64{400, 167, 433}}, // 400, 166.67, 433.33
		{7, []int64{1, 2, 4}, []int64{1, 2, 4}},
		{math.MaxInt64, []int64{math.MaxInt64, 1}, nil}, // checked by the sum below
	} {
		got, err := Split(tc.total, tc.weights)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, g := range got {
			sum += g
		}
		if sum != tc.total {
			t.Errorf("Split(%d, %v) = %v sums to %d", tc.total, tc.weights, got, sum)
		}
		if tc.want != nil {
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("Split(%d, %v) = %v, want %v", tc.total, tc.weights, got, tc.want)
					break
				}
			}
		}
	}
	for _, bad := range [][]int64{nil, {0, 0}, {1, -1}} {
		if _, err := Split(10, bad); err == nil {
			t.Errorf("Split(10, %v) accepted", bad)
		}
	}
	if _, err := Split(-1, []int64{1}); err == nil {
		t.Error("negative total accepted")
	}
}

// checkSplit verifies the largest-remainder properties against exact
// rational quotas.
func checkSplit(t *testing.T, total int64, weights []int64, parts []int64) {
	t.Helper()
	W := new(big.Int)
	for _, w := range weights {
		W.Add(W, big.NewInt(w))
	}
	var sum int64
	for i, p := range parts {
		sum += p
		quota := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(total), big.NewInt(weights[i])), W)
		diff := new(big.Rat).Sub(new(big.Rat).SetInt64(p), quota)
		if diff.Abs(diff).Cmp(big.NewRat(1, 1)) >= 0 {
			t.Fatalf("part %d = %d, quota %s", i, p, quota.FloatString(3))
		}
		if weights[i] == 0 && p != 0 {
			t.Fatalf("zero weight got %d", p)
		}
	}
	if sum != total {
		t.Fatalf("parts %v sum to %d, not %d", parts, sum, total)
	}
}

func FuzzSplit(f *testing.F) {
	f.Add(int64(100), int64(1), int64(1), int64(1))
	f.Add(int64(1), int64(0), int64(3), int64(5))
	f.Add(int64(math.MaxInt64), int64(math.MaxInt64), int64(1), int64(0))
	f.Fuzz(func(t *testing.T, total, a, b, c int64) {
		weights := []int64{a, b, c}
		parts, err := Split(total, weights)
		if err != nil {
			return
		}
		checkSplit(t, total, weights, parts)
	})
}

func FuzzParsePricing(f *testing.F) {
	f.Add(`{"currency":"CNY","components":[{"model":"per_call","free":100,"tiers":[{"up_to":1000,"price":"0.10"},{"price":"0.05"}]}]}`)
	f.Add(`{"currency":"JPY","components":[{"model":"subscription","fee":"1000"}],"revenue_share":{"basis":"fixed","providers":[{"party":"a","weight":1}]}}`)
	f.Add(`{"currency":"EUR","components":[{"model":"per_volume","metric":"rows","per":1000,"tier_mode":"volume","tiers":[{"up_to":5,"price":"1"},{"price":"0"}]}]}`)
	f.Fuzz(func(t *testing.T, js string) {
		p, err := ParsePricing([]byte(js))
		if err != nil {
			return
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal of an accepted schedule: %v", err)
		}
		q, err := ParsePricing(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		out2, _ := json.Marshal(q)
		if string(out) != string(out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
		for _, u := range []Usage{{}, {Count: 1, Bytes: 1, Rows: 1, Tasks: 1}, {Count: 1 << 40, Bytes: 1 << 50, Rows: 12345, Tasks: 77}} {
			lines, sub, err := p.Rate(u, true)
			if err != nil {
				continue // overflow of absurd prices is reported, not wrapped
			}
			var s int64
			for _, l := range lines {
				if l.Amount < 0 || l.Billable+l.Free != l.Quantity && l.Model != Subscription {
					t.Fatalf("bad line %+v", l)
				}
				s += l.Amount
			}
			if s != sub {
				t.Fatalf("lines sum %d, subtotal %d", s, sub)
			}
		}
	})
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"12.50", "0", "0.001", "1e3", "-1", "999999999999999.99"} {
		f.Add(s)
	}
	cny := mustCur(f, "CNY")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseAmount(s, cny)
		if err != nil {
			return
		}
		if v < 0 {
			t.Fatalf("%q → %d", s, v)
		}
		back, err := ParseAmount(FormatAmount(v, cny), cny)
		if err != nil || back != v {
			t.Fatalf("%q → %d → %q → %d, %v", s, v, FormatAmount(v, cny), back, err)
		}
	})
}

func TestMulDivRound(t *testing.T) {
	for _, tc := range []struct{ a, n, d, want int64 }{
		{10000, 500, 10000, 500}, {999, 500, 10000, 50}, {989, 500, 10000, 49}, {1, 5000, 10000, 1},
	} {
		got, err := MulDivRound(tc.a, tc.n, tc.d)
		if err != nil || got != tc.want {
			t.Errorf("MulDivRound(%d,%d,%d) = %d, %v; want %d", tc.a, tc.n, tc.d, got, err, tc.want)
		}
	}
}
