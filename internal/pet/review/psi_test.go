package review

import (
	"context"
	"math/big"
	"testing"

	"github.com/xborder/xborder/internal/pet/dp"
)

func TestReviewPSI(t *testing.T) {
	ctx := context.Background()
	sum := uint64(5000)
	rho := big.NewRat(1, 2)
	for _, c := range []struct {
		name   string
		p      PSIPolicy
		r      PSIResult
		budget dp.Rho
		code   Code
		spent  bool
	}{
		{name: "cardinality", p: PSIPolicy{MinIntersection: 10}, r: PSIResult{Mode: "cardinality", Size: 40}, code: Released},
		{name: "too small", p: PSIPolicy{MinIntersection: 10}, r: PSIResult{Mode: "cardinality", Size: 9}, code: IntersectionTooSmall},
		{name: "keys refused", p: PSIPolicy{MinIntersection: 1}, r: PSIResult{Mode: "intersection", Size: 2, Keys: []string{"a", "b"}}, code: KeysNotAllowed},
		{name: "keys allowed", p: PSIPolicy{MinIntersection: 1, ReleaseKeys: true}, r: PSIResult{Mode: "intersection", Size: 2, Keys: []string{"a", "b"}}, code: Released},
		{name: "keys with dp", p: PSIPolicy{MinIntersection: 1, ReleaseKeys: true, Rho: rho, Dataset: "d", Agreement: "a"}, r: PSIResult{Mode: "intersection", Size: 2}, code: BadParameter},
		{name: "dp cardinality", p: PSIPolicy{MinIntersection: 10, Rho: rho, Dataset: "d", Agreement: "a"}, r: PSIResult{Mode: "cardinality", Size: 1000}, budget: dp.RhoUnit, code: ReleasedDP, spent: true},
		{name: "dp sum needs bound", p: PSIPolicy{MinIntersection: 10, Rho: rho, Dataset: "d", Agreement: "a"}, r: PSIResult{Mode: "sum", Size: 1000, Sum: &sum}, budget: dp.RhoUnit, code: BoundsRequired},
		{name: "dp sum", p: PSIPolicy{MinIntersection: 10, Rho: rho, ValueBound: 10, Dataset: "d", Agreement: "a"}, r: PSIResult{Mode: "sum", Size: 1000, Sum: &sum}, budget: dp.RhoUnit, code: ReleasedDP, spent: true},
		{name: "budget exhausted", p: PSIPolicy{MinIntersection: 10, Rho: rho, Dataset: "d", Agreement: "a"}, r: PSIResult{Mode: "cardinality", Size: 1000}, budget: dp.RhoUnit / 10, code: BudgetExhausted},
		{name: "no result", p: PSIPolicy{}, r: PSIResult{}, code: NoResult},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := &fakeBudget{left: c.budget}
			d := ReviewPSI(ctx, c.p, c.r, b, seeded(1))
			if d.Code != c.code || d.Allow != (c.code == Released || c.code == ReleasedDP) || d.Message == "" || d.MessageZH == "" {
				t.Fatalf("decision %+v, want %s", d, c.code)
			}
			if (d.Spent > 0) != c.spent {
				t.Fatalf("spent %v", d.Spent)
			}
			if d.Allow != (d.Released != nil) {
				t.Fatalf("released %+v", d.Released)
			}
			if d.Code == ReleasedDP && (d.Released.DP == nil || d.Released.Keys != nil) {
				t.Fatalf("release %+v", d.Released)
			}
		})
	}
}
