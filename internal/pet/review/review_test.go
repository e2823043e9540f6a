package review

import (
	"context"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/xborder/xborder/internal/pet/dp"
	"github.com/xborder/xborder/internal/pet/secagg"
	"github.com/xborder/xborder/internal/statedb"
)

// fakeBudget records spends and refuses once left would go negative.
type fakeBudget struct {
	left   dp.Rho
	spends int
	fail   error
}

func (f *fakeBudget) Spend(_ context.Context, dataset, agreement string, rho dp.Rho, _ string) (dp.Receipt, error) {
	if f.fail != nil {
		return dp.Receipt{}, f.fail
	}
	if rho > f.left {
		return dp.Receipt{}, &dp.BudgetError{Dataset: dataset, Agreement: agreement, Rho: rho, Balance: dp.Balance{Total: f.left}}
	}
	f.left -= rho
	f.spends++
	return dp.Receipt{Dataset: dataset, Agreement: agreement, Seq: int64(f.spends), Rho: rho}, nil
}

func seeded(seed uint64) *dp.Sampler {
	var k [32]byte
	k[0] = byte(seed)
	return dp.NewSampler(rand.NewChaCha8(k))
}

// run aggregates two parties (values in units) with groups "a" (n rows) and "b" (3 rows).
func run(t *testing.T, stat secagg.Stat, n int) *secagg.Result {
	t.Helper()
	cfg := secagg.Config{Stat: stat, Groups: []string{"a", "b"}, MinGroup: 10}
	if stat == secagg.Histogram {
		cfg.Edges = []int64{0, 500}
	}
	var in [2]secagg.Input
	for i := range n {
		p := i % 2
		in[p].Values = append(in[p].Values, int64(100+i%700))
		in[p].Groups = append(in[p].Groups, 0)
	}
	for range 3 {
		in[0].Values = append(in[0].Values, 5)
		in[0].Groups = append(in[0].Groups, 1)
	}
	res, err := secagg.Run(context.Background(), cfg, in[:])
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func allStats() []secagg.Stat {
	return []secagg.Stat{secagg.Count, secagg.Sum, secagg.Mean, secagg.Variance, secagg.Histogram}
}

func TestReviewTable(t *testing.T) {
	ctx := context.Background()
	base := Policy{Stats: allStats(), Columns: []string{"amount"}, GroupBy: []string{"region"}, MinGroup: 10, Dataset: "urn:ds:1", Agreement: "urn:ag:1"}
	bounds := &Bounds{Lo: 0, Hi: 1000}
	tampered := run(t, secagg.Count, 40)
	c := int64(3)
	tampered.Groups[1] = secagg.GroupResult{Key: "b", Count: &c}
	lowMin := run(t, secagg.Count, 40)
	lowMin.MinGroup = 2
	cases := []struct {
		name   string
		policy func(p *Policy)
		result Result
		budget Budget
		want   Code
	}{
		{"exact sum", nil, Result{Column: "amount", GroupBy: "region", Agg: run(t, secagg.Sum, 40)}, nil, Released},
		{"no result", nil, Result{}, nil, NoResult},
		{"stat not allowed", func(p *Policy) { p.Stats = []secagg.Stat{secagg.Count} }, Result{Column: "amount", Agg: run(t, secagg.Sum, 40)}, nil, StatNotAllowed},
		{"empty stats deny", func(p *Policy) { p.Stats = nil }, Result{Agg: run(t, secagg.Count, 40)}, nil, StatNotAllowed},
		{"column not allowed", nil, Result{Column: "salary", Agg: run(t, secagg.Sum, 40)}, nil, ColumnNotAllowed},
		{"column wildcard", func(p *Policy) { p.Columns = []string{"*"} }, Result{Column: "salary", Agg: run(t, secagg.Sum, 40)}, nil, Released},
		{"count needs no column", func(p *Policy) { p.Columns = nil }, Result{Agg: run(t, secagg.Count, 40)}, nil, Released},
		{"group-by not allowed", nil, Result{Column: "amount", GroupBy: "name", Agg: run(t, secagg.Sum, 40)}, nil, GroupByNotAllowed},
		{"group-by none allowed", func(p *Policy) { p.GroupBy = nil }, Result{Column: "amount", GroupBy: "region", Agg: run(t, secagg.Sum, 40)}, nil, GroupByNotAllowed},
		{"min group higher than result's", func(p *Policy) { p.MinGroup = 11 }, Result{Agg: run(t, secagg.Count, 40)}, nil, GroupTooSmall},
		{"group below minimum", func(p *Policy) { p.MinGroup = 50 }, Result{Agg: lowMin}, nil, GroupTooSmall},
		{"suppressed group shows count", nil, Result{Agg: tampered}, nil, GroupTooSmall},
		{"both mechanisms", func(p *Policy) { p.Rho, p.Epsilon = big.NewRat(1, 10), big.NewRat(1, 2) }, Result{Agg: run(t, secagg.Count, 40)}, &fakeBudget{left: dp.RhoUnit}, MechanismAmbiguous},
		{"negative rho", func(p *Policy) { p.Rho = big.NewRat(-1, 10) }, Result{Agg: run(t, secagg.Count, 40)}, &fakeBudget{left: dp.RhoUnit}, BadParameter},
		{"no accounts", func(p *Policy) { p.Rho, p.Dataset = big.NewRat(1, 10), "" }, Result{Agg: run(t, secagg.Count, 40)}, &fakeBudget{left: dp.RhoUnit}, AccountRequired},
		{"no ledger", func(p *Policy) { p.Rho = big.NewRat(1, 10) }, Result{Agg: run(t, secagg.Count, 40)}, nil, NoLedger},
		{"sum without bounds", func(p *Policy) { p.Rho = big.NewRat(1, 10) }, Result{Column: "amount", Agg: run(t, secagg.Sum, 40)}, &fakeBudget{left: dp.RhoUnit}, BoundsRequired},
		{"noisy count", func(p *Policy) { p.Rho = big.NewRat(1, 10) }, Result{Agg: run(t, secagg.Count, 40)}, &fakeBudget{left: dp.RhoUnit}, ReleasedDP},
		{"noisy sum", func(p *Policy) { p.Rho = big.NewRat(1, 10) }, Result{Column: "amount", Clamped: bounds, Agg: run(t, secagg.Sum, 40)}, &fakeBudget{left: dp.RhoUnit}, ReleasedDP},
		{"noisy mean laplace", func(p *Policy) { p.Epsilon = big.NewRat(1, 2) }, Result{Column: "amount", Clamped: bounds, Agg: run(t, secagg.Mean, 40)}, &fakeBudget{left: dp.RhoUnit}, ReleasedDP},
		{"noisy variance", func(p *Policy) { p.Rho = big.NewRat(1, 10) }, Result{Column: "amount", Clamped: bounds, Agg: run(t, secagg.Variance, 40)}, &fakeBudget{left: dp.RhoUnit}, ReleasedDP},
		{"noisy histogram", func(p *Policy) { p.Rho = big.NewRat(1, 10) }, Result{Column: "amount", Agg: run(t, secagg.Histogram, 40)}, &fakeBudget{left: dp.RhoUnit}, ReleasedDP},
		{"budget exhausted", func(p *Policy) { p.Rho = big.NewRat(1, 10) }, Result{Agg: run(t, secagg.Count, 40)}, &fakeBudget{left: 1}, BudgetExhausted},
		{"ledger failure", func(p *Policy) { p.Rho = big.NewRat(1, 10) }, Result{Agg: run(t, secagg.Count, 40)}, &fakeBudget{fail: errors.New("disk")}, BudgetError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			if tc.policy != nil {
				tc.policy(&p)
			}
			d := Review(ctx, p, tc.result, tc.budget, seeded(1))
			if d.Code != tc.want {
				t.Fatalf("code %s (%s), want %s", d.Code, d.Message, tc.want)
			}
			ok := tc.want == Released || tc.want == ReleasedDP
			if d.Allow != ok || (d.Released != nil) != ok {
				t.Fatalf("allow %v released %v for %s", d.Allow, d.Released != nil, d.Code)
			}
			if d.Message == "" || d.MessageZH == "" {
				t.Fatal("missing message")
			}
			if tc.want == ReleasedDP {
				if d.Released.DP == nil || d.Spent <= 0 {
					t.Fatalf("no noise info or spend: %+v", d)
				}
				if fb := tc.budget.(*fakeBudget); fb.spends != 1 {
					t.Fatalf("%d spends", fb.spends)
				}
				// The small group stays suppressed; the big one is shown.
				g := d.Released.Groups
				if len(g) != 2 || !g[1].Suppressed || g[1].Count != nil || g[0].Suppressed {
					t.Fatalf("groups %+v", g)
				}
			}
			if fb, ok := tc.budget.(*fakeBudget); ok && tc.want != ReleasedDP && fb.spends != 0 {
				t.Fatal("a denied review spent budget")
			}
		})
	}
}

// TestReviewNoiseScale checks that noisy figures are near the exact ones
// and not all equal to them.
func TestReviewNoiseScale(t *testing.T) {
	ctx := context.Background()
	exact := run(t, secagg.Mean, 400)
	ex := exact.Groups[0]
	p := Policy{Stats: allStats(), Columns: []string{"*"}, MinGroup: 10, Rho: big.NewRat(1, 2), Dataset: "d", Agreement: "a"}
	differs := 0
	for seed := range 20 {
		d := Review(ctx, p, Result{Column: "x", Clamped: &Bounds{0, 1000}, Agg: exact}, &fakeBudget{left: dp.RhoUnit}, seeded(uint64(seed)))
		if !d.Allow {
			t.Fatal(d.Message)
		}
		g := d.Released.Groups[0]
		// ρ/2 per component: σ(count) = 1, σ(sum) = 1000 units = 10 cents·100…
		if math.Abs(float64(*g.Count-*ex.Count)) > 10 {
			t.Fatalf("count %d vs %d", *g.Count, *ex.Count)
		}
		if math.Abs(*g.Mean-*ex.Mean) > 0.2**ex.Mean {
			t.Fatalf("mean %v vs %v", *g.Mean, *ex.Mean)
		}
		if *g.Mean != *ex.Mean {
			differs++
		}
	}
	if differs < 15 {
		t.Fatalf("only %d of 20 noisy means differ from the exact one", differs)
	}
}

// TestReviewLedger runs the review against the real SQL ledger: the
// budget refuses the N+1th release.
func TestReviewLedger(t *testing.T) {
	ctx := context.Background()
	db, err := statedb.Open(filepath.Join(t.TempDir(), "xborder.db"), "NORMAL")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := dp.OpenLedger(ctx, db, dp.LedgerOptions{DatasetBudget: 3 * dp.RhoUnit / 100})
	if err != nil {
		t.Fatal(err)
	}
	p := Policy{Stats: allStats(), MinGroup: 10, Rho: big.NewRat(1, 100), Dataset: "urn:ds:1", Agreement: "urn:ag:1"}
	res := run(t, secagg.Count, 40)
	for i := range 4 {
		d := Review(ctx, p, Result{Agg: res}, l, seeded(uint64(i)))
		if want := i < 3; d.Allow != want {
			t.Fatalf("run %d: allow %v (%s)", i+1, d.Allow, d.Message)
		}
		if i == 3 && (d.Code != BudgetExhausted || d.Released != nil) {
			t.Fatalf("run 4: %+v", d)
		}
	}
	b, err := l.Balance(ctx, "urn:ds:1", "urn:ag:1")
	if err != nil || b.Spent != 3*dp.RhoUnit/100 {
		t.Fatalf("balance %+v %v", b, err)
	}
}
