package billing

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
)

// Split divides total (minor units, ≥ 0) in proportion to weights by the
// largest-remainder (Hamilton) method: each part first gets the floor of
// its exact quota total×wᵢ/Σw, then the units left over go one each to
// the parts with the largest remainders, ties to the lower index. The
// parts sum to total exactly, each differs from its exact quota by less
// than one minor unit, and a zero weight gets nothing. Callers that want
// ties broken neutrally order the parties by a stable key (xborder orders
// them by party identifier) before calling.
func Split(total int64, weights []int64) ([]int64, error) {
	if total < 0 {
		return nil, fmt.Errorf("split: negative total %d", total)
	}
	if len(weights) == 0 {
		return nil, errors.New("split: no parties")
	}
	W := new(big.Int)
	for i, w := range weights {
		if w < 0 {
			return nil, fmt.Errorf("split: weights[%d] is negative", i)
		}
		W.Add(W, big.NewInt(w))
	}
	if W.Sign() == 0 {
		return nil, errors.New("split: all weights are zero (no contribution in the period)")
	}
	T := big.NewInt(total)
	parts := make([]int64, len(weights))
	rems := make([]*big.Int, len(weights))
	var given int64
	for i, w := range weights {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(T, big.NewInt(w)), W, new(big.Int))
		parts[i] = q.Int64() // ≤ total, so it fits
		rems[i] = r
		given += parts[i]
	}
	left := total - given // < len(weights)
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rems[order[a]].Cmp(rems[order[b]]) > 0 })
	for k := int64(0); k < left; k++ {
		parts[order[k]]++
	}
	return parts, nil
}
