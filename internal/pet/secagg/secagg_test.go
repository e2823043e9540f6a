package secagg

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"math/rand/v2"
	"sort"
	"testing"
)

// plain is the plaintext computation of one group.
type plain struct {
	count      int64
	sum, sumsq *big.Int
	bins       []int64
}

func plaintext(cfg Config, inputs []Input) []plain {
	G := max(1, len(cfg.Groups))
	out := make([]plain, G)
	for g := range out {
		out[g] = plain{sum: new(big.Int), sumsq: new(big.Int), bins: make([]int64, len(cfg.Edges)+1)}
	}
	for _, in := range inputs {
		for i, x := range in.Values {
			g := 0
			if in.Groups != nil {
				g = int(in.Groups[i])
			}
			p := &out[g]
			p.count++
			bx := big.NewInt(x)
			p.sum.Add(p.sum, bx)
			p.sumsq.Add(p.sumsq, new(big.Int).Mul(bx, bx))
			p.bins[sort.Search(len(cfg.Edges), func(k int) bool { return cfg.Edges[k] > x })]++
		}
	}
	return out
}

func randomInputs(r *rand.Rand, parties, groups int, bound int64) []Input {
	in := make([]Input, parties)
	for p := range in {
		n := r.IntN(200)
		in[p].Values = make([]int64, n)
		if groups > 0 {
			in[p].Groups = make([]int32, n)
		}
		for i := range n {
			switch r.IntN(10) {
			case 0:
				in[p].Values[i] = bound
			case 1:
				in[p].Values[i] = -bound
			default:
				in[p].Values[i] = r.Int64N(2*bound+1) - bound
			}
			if groups > 0 {
				in[p].Groups[i] = int32(r.IntN(groups))
			}
		}
	}
	return in
}

// TestPropertyEqualsPlaintext: every statistic equals the plaintext
// computation on random inputs, N = 2..5, with and without group-by, at the
// extreme value bound.
func TestPropertyEqualsPlaintext(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	for iter := range 60 {
		n := 2 + iter%4
		stat := []Stat{Count, Sum, Mean, Variance, Histogram}[iter%5]
		bound := []int64{1000, MaxAbs}[iter%2]
		var groups []string
		if iter%3 != 0 {
			groups = []string{"CN", "HK", "MO", "SG"}[:1+r.IntN(4)]
		}
		cfg := Config{Stat: stat, Groups: groups, MinGroup: 1 + int64(r.IntN(40)), MaxAbs: bound}
		if stat == Histogram {
			cfg.Edges = []int64{-bound / 2, 0, 1, bound / 3}
		}
		inputs := randomInputs(r, n, len(groups), bound)
		res, err := Run(ctx, cfg, inputs)
		if err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		want := plaintext(cfg, inputs)
		if len(res.Groups) != len(want) || res.Parties != n {
			t.Fatalf("iter %d: %d groups, want %d", iter, len(res.Groups), len(want))
		}
		for g, w := range want {
			got := res.Groups[g]
			if w.count < cfg.MinGroup {
				if !got.Suppressed || got.Count != nil || got.Sum != nil || got.Mean != nil || got.Variance != nil || got.Bins != nil {
					t.Fatalf("iter %d group %d: count %d < %d not suppressed: %+v", iter, g, w.count, cfg.MinGroup, got)
				}
				continue
			}
			if got.Suppressed || got.Count == nil || *got.Count != w.count {
				t.Fatalf("iter %d group %d: count %v, want %d", iter, g, got.Count, w.count)
			}
			switch stat {
			case Sum:
				if got.Sum.Int.Cmp(w.sum) != 0 {
					t.Fatalf("iter %d: sum %v, want %v", iter, got.Sum, w.sum)
				}
			case Mean:
				m, _ := new(big.Rat).SetFrac(w.sum, big.NewInt(w.count)).Float64()
				if *got.Mean != m {
					t.Fatalf("iter %d: mean %v, want %v", iter, *got.Mean, m)
				}
			case Variance:
				// Two-pass, exact: Σ(x-mean)²/n.
				mean := new(big.Rat).SetFrac(w.sum, big.NewInt(w.count))
				ss := new(big.Rat)
				for _, in := range inputs {
					for i, x := range in.Values {
						if in.Groups == nil || int(in.Groups[i]) == g {
							d := new(big.Rat).Sub(new(big.Rat).SetInt64(x), mean)
							ss.Add(ss, d.Mul(d, d))
						}
					}
				}
				v, _ := ss.Quo(ss, new(big.Rat).SetInt64(w.count)).Float64()
				if *got.Variance != v || got.sumsq.Cmp(w.sumsq) != 0 {
					t.Fatalf("iter %d: variance %v, want %v", iter, *got.Variance, v)
				}
			case Histogram:
				for b, c := range w.bins {
					bin := got.Bins[b]
					if c < cfg.MinGroup != bin.Suppressed || (!bin.Suppressed && *bin.Count != c) {
						t.Fatalf("iter %d bin %d: %+v, want %d", iter, b, bin, c)
					}
				}
			}
		}
	}
}

func TestSuppression(t *testing.T) {
	in := []Input{
		{Values: []int64{1, 2, 3, 4, 5, 6}, Groups: []int32{0, 0, 0, 1, 1, 1}},
		{Values: []int64{7, 8, 9, 10, 11}, Groups: []int32{0, 0, 0, 0, 1}},
	}
	res, err := Run(context.Background(), Config{Stat: Sum, Groups: []string{"big", "small", "empty"}, MinGroup: 5}, in)
	if err != nil {
		t.Fatal(err)
	}
	if g := res.Groups[0]; g.Suppressed || *g.Count != 7 || g.Sum.String() != "40" {
		t.Errorf("big: %+v", g)
	}
	for _, g := range res.Groups[1:] {
		if !g.Suppressed || g.Count != nil || g.Sum != nil {
			t.Errorf("%s not suppressed: %+v", g.Key, g)
		}
	}
	if res.Suppressed != 2 {
		t.Errorf("suppressed_groups = %d", res.Suppressed)
	}
	// Default k = 10: an overall count of 11 is shown, 9 is not.
	res, err = Run(context.Background(), Config{Stat: Count}, []Input{{Values: make([]int64, 5)}, {Values: make([]int64, 4)}})
	if err != nil || !res.Groups[0].Suppressed || res.MinGroup != DefaultMinGroup {
		t.Errorf("count 9: %+v %v", res, err)
	}
}

func TestOutOfBoundsRefused(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		cfg Config
		in  []Input
	}{
		"above":        {Config{Stat: Sum, MaxAbs: 100}, []Input{{Values: []int64{1}}, {Values: []int64{101}}}},
		"below":        {Config{Stat: Variance, MaxAbs: 100}, []Input{{Values: []int64{-101}}, {Values: []int64{1}}}},
		"global bound": {Config{Stat: Mean}, []Input{{Values: []int64{MaxAbs + 1}}, {}}},
		"min int64":    {Config{Stat: Sum}, []Input{{Values: []int64{-1 << 63}}, {}}},
		"group index":  {Config{Stat: Count, Groups: []string{"a"}}, []Input{{Values: []int64{1}, Groups: []int32{1}}, {}}},
	}
	for name, tc := range cases {
		if _, err := Run(ctx, tc.cfg, tc.in); !errors.Is(err, ErrOutOfBounds) {
			t.Errorf("%s: %v, want ErrOutOfBounds", name, err)
		}
	}
	bad := []Config{
		{Stat: "median"},
		{Stat: Sum, MaxAbs: MaxAbs + 1},
		{Stat: Histogram, Edges: []int64{2, 1}},
		{Stat: Sum, Groups: []string{"a", "a"}},
	}
	for _, cfg := range bad {
		if _, err := Run(ctx, cfg, []Input{{}, {}}); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v accepted", cfg)
		}
	}
	if _, err := Run(ctx, Config{Stat: Sum}, []Input{{}}); err == nil {
		t.Error("one party accepted")
	}
	if _, err := ParseFixed("1.234", 2); err == nil {
		t.Error("ParseFixed rounded")
	}
	if _, err := ParseFixed("20000000000000", 0); !errors.Is(err, ErrOutOfBounds) {
		t.Errorf("ParseFixed above 2^44: %v", err)
	}
}

func TestParseFixed(t *testing.T) {
	for s, want := range map[string]int64{"12.3": 1230, "-0.05": -5, "+7": 700, "0": 0, ".5": 50} {
		if got, err := ParseFixed(s, 2); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-", ".", "1e3", "1.2.3", "abc", "0x10"} {
		if _, err := ParseFixed(s, 2); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	if d := (Decimal{big.NewInt(-5), 2}); d.String() != "-0.05" {
		t.Errorf("Decimal: %s", d)
	}
}

// tamperNet wraps the in-memory network and rewrites the first message party
// 1 sends to party 0.
type tamperNet struct {
	*memNetwork
	f    func(b []byte) [][]byte
	done bool
}

func (n *tamperNet) Send(ctx context.Context, to int, b []byte) error {
	if b[6] == 1 && to == 0 && !n.done { // only party 1 sends from 1
		n.done = true
		for _, m := range n.f(b) {
			if err := n.memNetwork.Send(ctx, to, m); err != nil {
				return err
			}
		}
		return nil
	}
	return n.memNetwork.Send(ctx, to, b)
}

func TestMessagesRefused(t *testing.T) {
	in := []Input{{Values: []int64{1, 2}}, {Values: []int64{3}}, {Values: []int64{4}}}
	cases := map[string]struct {
		f    func([]byte) [][]byte
		want error
	}{
		"replayed":  {func(b []byte) [][]byte { return [][]byte{b, b} }, ErrReplay},
		"truncated": {func(b []byte) [][]byte { return [][]byte{b[:len(b)-1]} }, ErrMalformed},
		"extended":  {func(b []byte) [][]byte { return [][]byte{append(bytes.Clone(b), 0)} }, ErrMalformed},
		"wrong count": {func(b []byte) [][]byte {
			m, _ := DecodeMessage(b)
			m.Elems = m.Elems[:1]
			return [][]byte{m.Encode()}
		}, ErrMalformed},
		"other session": {func(b []byte) [][]byte {
			c := bytes.Clone(b)
			c[10] ^= 1
			return [][]byte{c}
		}, ErrSession},
		"misaddressed": {func(b []byte) [][]byte {
			c := bytes.Clone(b)
			c[8] = 2
			return [][]byte{c}
		}, ErrSession},
		"bad round": {func(b []byte) [][]byte {
			c := bytes.Clone(b)
			c[5] = 9
			return [][]byte{c}
		}, ErrMalformed},
	}
	for name, tc := range cases {
		net := &tamperNet{memNetwork: newMemNetwork(3), f: tc.f}
		_, err := runOver(context.Background(), Config{Stat: Sum, MinGroup: 1}, in, net)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// An old round's message arriving again after the round is refused too.
	box := newInbox(SessionID{1}, 0, 2)
	m := (&Message{Round: roundCounts, From: 1, To: 0, Session: SessionID{1}, Elems: make([]u128, 2)}).Encode()
	if _, err := box.accept(m); err != nil {
		t.Fatal(err)
	}
	if _, err := box.accept(m); !errors.Is(err, ErrReplay) {
		t.Errorf("replay: %v", err)
	}
}

func TestProgressAndCancel(t *testing.T) {
	vals := make([]int64, 3*aggregateChunk)
	var phases = map[string]int{}
	_, err := Run(context.Background(), Config{Stat: Mean, Progress: func(p Progress) { phases[p.Phase]++ }},
		[]Input{{Values: vals}, {Values: vals}})
	if err != nil {
		t.Fatal(err)
	}
	if phases["aggregate"] != 6 || phases["done"] != 2 || phases["values"] != 2 {
		t.Errorf("progress: %v", phases)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Config{Stat: Sum}, []Input{{Values: vals}, {Values: vals}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestShareHides(t *testing.T) {
	p, err := newPRG()
	if err != nil {
		t.Fatal(err)
	}
	v := []u128{fromInt64(42), fromInt64(-7)}
	sh := split(v, 4, p)
	for i := range v {
		var s u128
		for _, x := range sh {
			s = s.add(x[i])
		}
		if s != v[i] {
			t.Fatalf("shares of %v sum to %v", v[i], s)
		}
		if sh[0][i] == v[i] || sh[0][i] == sh[1][i] {
			t.Fatal("shares not random")
		}
	}
}

func TestDecimalJSONRoundTrip(t *testing.T) {
	for _, s := range []string{"0", "-12.50", "0.05", "123456789012345678901234567890.1"} {
		var d Decimal
		if err := d.UnmarshalJSON([]byte(s)); err != nil {
			t.Fatal(err)
		}
		if b, _ := d.MarshalJSON(); string(b) != s {
			t.Fatalf("%s → %s", s, b)
		}
	}
	var d Decimal
	if d.UnmarshalJSON([]byte("1e5")) == nil || d.UnmarshalJSON([]byte(`"1"`)) == nil {
		t.Fatal("accepted")
	}
}
