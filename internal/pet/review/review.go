// Package review decides whether the result of a privacy computation may
// leave the node (issue 7 item 5, seed §2.2.4.2): every result passes its
// policy before release.
//
// [Review] checks a secure-aggregation result ([secagg.Result]) against a
// [Policy]: the statistic, the column and the group-by column must be
// allowed; the result's minimum group size must be at least the policy's
// and every group and bin shown must reach it (secagg suppresses small
// groups: review verifies it rather than trusting it); and when the policy
// asks for differential privacy (ρ or ε), the privacy budget is debited
// first and noise is then added to the released figures with the exact
// samplers of internal/pet/dp. The [Decision] says allow or deny with a
// stable reason [Code], a message in English and Chinese, and what was
// released (nothing on deny).
//
// # Noise
//
// ρ (zCDP) selects the discrete Gaussian mechanism and ε (pure DP) the
// discrete Laplace mechanism; giving both is refused. The released
// components of a group are the count, plus the sum for sum and mean, plus
// the sum of squares for variance, plus the bin counts for a histogram. The
// budget is split evenly between the k components (ρ/k or ε/k each), so the
// whole release costs ρ, or ε²/2 in the zCDP ledger for ε. Groups of the
// group-by domain are disjoint, so one record touches one group and the
// per-group releases compose in parallel: the cost does not grow with the
// number of groups. Under adding or removing one record a count has
// sensitivity 1, a sum of values clamped to [lo, hi] has max(|lo|, |hi|), a
// sum of squares max(lo², hi²), and a histogram's bin vector 1. Sums need
// the clamp bounds (the parties clamp their values before aggregating);
// without them a noisy sum or mean is refused.
//
// Mean and variance are post-processed from the noisy moments: mean = noisy
// sum / noisy count, variance = noisy Σx²/n − mean² with n the noisy count,
// floored at 0. A group or bin whose noisy count falls below the minimum
// group size is suppressed in the release (post-processing, free).
//
// Known limit: secagg decides suppression on the exact joint counts, so
// which groups are suppressed is not covered by the DP guarantee.
//
// [ReviewPSI] does the same for a PSI result ([PSIPolicy], [PSIResult]):
// the intersection must reach the policy's minimum size, the keys leave
// only when the policy releases them (never with noise), and with DP the
// budget is debited before noise is added to the size (sensitivity 1) and
// the sum (sensitivity the agreed value bound), ρ or ε split evenly.
//
// Review does no I/O of its own; the budget ledger is passed in.
package review

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/xborder/xborder/internal/pet/dp"
	"github.com/xborder/xborder/internal/pet/secagg"
)

// Code is a stable, machine-readable reason code (also the audit reason).
type Code string

const (
	Released           Code = "released"                // allowed, exact figures
	ReleasedDP         Code = "released_dp"             // allowed, noisy figures, budget debited
	NoResult           Code = "no_result"               // nothing to review
	StatNotAllowed     Code = "stat_not_allowed"        // the statistic is not in the policy
	ColumnNotAllowed   Code = "column_not_allowed"      // the column is not in the policy
	GroupByNotAllowed  Code = "group_by_not_allowed"    // the group-by column is not in the policy
	GroupTooSmall      Code = "group_too_small"         // a shown group or bin is below the minimum
	MechanismAmbiguous Code = "dp_mechanism_ambiguous"  // both ρ and ε given
	BadParameter       Code = "dp_bad_parameter"        // ρ or ε not positive, bad bounds
	BoundsRequired     Code = "bounds_required"         // a noisy sum needs clamp bounds
	AccountRequired    Code = "budget_account_required" // DP needs a dataset and an agreement
	NoLedger           Code = "budget_ledger_missing"   // DP needs a ledger
	BudgetExhausted    Code = "budget_exhausted"        // the spend was refused
	BudgetError        Code = "budget_error"            // the ledger failed
	NoiseFailed        Code = "noise_failed"            // sampling failed or overflowed (budget spent)
)

// Bounds are clamp bounds in fixed-point units: every value was clamped
// to [Lo, Hi] by its party before aggregation.
type Bounds struct{ Lo, Hi int64 }

// Policy is what a result must satisfy to leave.
type Policy struct {
	// Stats are the allowed statistics; none allowed when empty.
	Stats []secagg.Stat
	// Columns are the allowed columns; "*" allows any. Count needs no
	// column.
	Columns []string
	// GroupBy are the allowed group-by columns; "*" allows any; empty
	// allows no group-by.
	GroupBy []string
	// MinGroup is the smallest group or bin count that may be shown.
	MinGroup int64
	// Rho asks for ρ-zCDP (discrete Gaussian), Epsilon for ε-DP
	// (discrete Laplace); nil for neither (exact release).
	Rho, Epsilon *big.Rat
	// Dataset and Agreement are the budget accounts debited.
	Dataset, Agreement string
	// Purpose is recorded with the spend.
	Purpose string
}

// DP reports whether the policy requires differential privacy.
func (p *Policy) DP() bool { return p.Rho != nil || p.Epsilon != nil }

// Result is a computed result awaiting review.
type Result struct {
	Column  string // empty for count
	GroupBy string
	Scale   int     // decimal digits of the fixed-point values
	Clamped *Bounds // the bounds the parties clamped to; nil if not clamped
	Agg     *secagg.Result
}

// Noise describes the noise of a release.
type Noise struct {
	Mechanism  string `json:"mechanism"` // "gaussian" (ρ-zCDP) or "laplace" (ε-DP)
	Rho        string `json:"rho,omitempty"`
	Epsilon    string `json:"epsilon,omitempty"`
	Components int    `json:"components"` // the budget is split evenly between them
	Cost       string `json:"cost_rho"`   // ρ debited, exact decimal
	// The clamp bounds, as decimals at the values' scale.
	Lo        *secagg.Decimal `json:"clamp_lo,omitempty"`
	Hi        *secagg.Decimal `json:"clamp_hi,omitempty"`
	Dataset   string          `json:"dataset"`
	Agreement string          `json:"agreement"`
	Seq       int64           `json:"spend_seq"`
}

// Release is what leaves: the result's fields plus, when noisy, the noise.
type Release struct {
	*secagg.Result
	DP *Noise `json:"dp,omitempty"`
}

// Decision is the outcome of a review.
type Decision struct {
	Allow     bool     `json:"allow"`
	Code      Code     `json:"code"`
	Message   string   `json:"message"`
	MessageZH string   `json:"message_zh"`
	Released  *Release `json:"released,omitempty"` // nil on deny
	// Spent is the budget debited (zero when none). A decision can be a
	// deny with budget spent (NoiseFailed): the spend is never refunded.
	Spent dp.Rho `json:"spent,omitempty"`
}

// Budget debits privacy budget; *dp.Ledger implements it.
type Budget interface {
	Spend(ctx context.Context, dataset, agreement string, rho dp.Rho, purpose string) (dp.Receipt, error)
}

func deny(c Code, en, zh string) Decision {
	return Decision{Code: c, Message: en, MessageZH: zh}
}

func allowed(list []string, v string) bool {
	return slices.Contains(list, "*") || slices.Contains(list, v)
}

// Review checks r against p and returns the decision. With DP it debits
// the budget through b before sampling, then adds noise drawn from s
// (crypto/rand when nil); nothing is released unless the spend succeeded.
func Review(ctx context.Context, p Policy, r Result, b Budget, s *dp.Sampler) Decision {
	if r.Agg == nil {
		return deny(NoResult, "there is no result to review", "没有可审查的结果")
	}
	agg := r.Agg
	if !slices.Contains(p.Stats, agg.Stat) {
		return deny(StatNotAllowed, fmt.Sprintf("the statistic %q is not allowed by the policy", agg.Stat), fmt.Sprintf("策略不允许统计量 %q", agg.Stat))
	}
	if agg.Stat != secagg.Count && !allowed(p.Columns, r.Column) {
		return deny(ColumnNotAllowed, fmt.Sprintf("the column %q is not allowed by the policy", r.Column), fmt.Sprintf("策略不允许字段 %q", r.Column))
	}
	if r.GroupBy != "" && !allowed(p.GroupBy, r.GroupBy) {
		return deny(GroupByNotAllowed, fmt.Sprintf("grouping by %q is not allowed by the policy", r.GroupBy), fmt.Sprintf("策略不允许按 %q 分组", r.GroupBy))
	}
	if d, ok := checkSuppression(p, agg); !ok {
		return d
	}
	if !p.DP() {
		return Decision{Allow: true, Code: Released, Message: "released: the result passed its policy", MessageZH: "已放行：结果符合策略", Released: &Release{Result: agg}}
	}
	return reviewDP(ctx, p, r, b, s)
}

// checkSuppression verifies that secagg suppressed what the policy needs.
func checkSuppression(p Policy, agg *secagg.Result) (Decision, bool) {
	small := func(what string) (Decision, bool) {
		return deny(GroupTooSmall, fmt.Sprintf("%s is below the minimum group size %d", what, p.MinGroup),
			fmt.Sprintf("%s低于最小分组规模 %d", what, p.MinGroup)), false
	}
	if agg.MinGroup < p.MinGroup {
		return small(fmt.Sprintf("the result's suppression threshold %d", agg.MinGroup))
	}
	for _, g := range agg.Groups {
		if g.Suppressed {
			if g.Count != nil || g.Sum != nil || g.Mean != nil || g.Variance != nil || g.Bins != nil {
				return small(fmt.Sprintf("suppressed group %q shows figures and", g.Key))
			}
			continue
		}
		if g.Count == nil || *g.Count < p.MinGroup {
			return small(fmt.Sprintf("group %q", g.Key))
		}
		for _, bin := range g.Bins {
			if !bin.Suppressed && (bin.Count == nil || *bin.Count < p.MinGroup) {
				return small(fmt.Sprintf("a bin of group %q", g.Key))
			}
		}
	}
	return Decision{}, true
}

// components is the number of noisy figures per group.
func components(st secagg.Stat) int {
	switch st {
	case secagg.Sum, secagg.Mean, secagg.Histogram:
		return 2
	case secagg.Variance:
		return 3
	}
	return 1
}

func reviewDP(ctx context.Context, p Policy, r Result, b Budget, s *dp.Sampler) Decision {
	agg := r.Agg
	if f := dpCheck(p.Rho, p.Epsilon, p.Dataset, p.Agreement, b); f != nil {
		return deny(f.code, f.en, f.zh)
	}
	k := components(agg.Stat)
	var sumSens, sqSens int64
	if agg.Stat == secagg.Sum || agg.Stat == secagg.Mean || agg.Stat == secagg.Variance {
		if r.Clamped == nil {
			return deny(BoundsRequired, "a noisy sum, mean or variance needs the clamp bounds LO:HI that fix its sensitivity", "含噪的求和、均值或方差需要给出截断区间 LO:HI 以确定敏感度")
		}
		lo, hi := r.Clamped.Lo, r.Clamped.Hi
		if lo > hi || lo < -secagg.MaxAbs || hi > secagg.MaxAbs {
			return deny(BadParameter, fmt.Sprintf("bad clamp bounds [%d, %d]", lo, hi), fmt.Sprintf("截断区间 [%d, %d] 无效", lo, hi))
		}
		sumSens = max(-lo, hi, 1)
		if agg.Stat == secagg.Variance {
			if sumSens > 3_037_000_499 { // sumSens² must fit int64
				return deny(BadParameter, "the clamp bounds are too wide for a noisy variance", "截断区间过宽，无法发布含噪方差")
			}
			sqSens = sumSens * sumSens
		}
	}
	n, info, cost, f := dpSpend(ctx, p.Rho, p.Epsilon, k, p.Dataset, p.Agreement, p.Purpose, b, s)
	if f != nil {
		return deny(f.code, f.en, f.zh)
	}
	if r.Clamped != nil {
		info.Lo = &secagg.Decimal{Int: big.NewInt(r.Clamped.Lo), Scale: r.Scale}
		info.Hi = &secagg.Decimal{Int: big.NewInt(r.Clamped.Hi), Scale: r.Scale}
	}
	out, err := n.apply(agg, r.Scale, p.MinGroup, sumSens, sqSens)
	if err != nil {
		d := deny(NoiseFailed, fmt.Sprintf("adding noise failed: %v; nothing was released (the budget stays spent)", err), "加噪失败；未发布任何结果（已扣减的预算不退回）")
		d.Spent = cost
		return d
	}
	return Decision{Allow: true, Code: ReleasedDP, Spent: cost,
		Message:   fmt.Sprintf("released with %s noise; ρ %s debited from %s on %s", info.Mechanism, cost, p.Agreement, p.Dataset),
		MessageZH: fmt.Sprintf("已加%s噪声后放行；已从数据集 %s 的协议 %s 扣减 ρ=%s", map[string]string{"gaussian": "高斯", "laplace": "拉普拉斯"}[info.Mechanism], p.Dataset, p.Agreement, cost),
		Released:  &Release{Result: out, DP: info}}
}

func budgetOwner(be *dp.BudgetError) string {
	if be.Agreement != "" {
		return "agreement " + be.Agreement + " on dataset " + be.Dataset
	}
	return "dataset " + be.Dataset
}

func budgetOwnerZH(be *dp.BudgetError) string {
	if be.Agreement != "" {
		return "数据集 " + be.Dataset + " 的协议 " + be.Agreement + " "
	}
	return "数据集 " + be.Dataset + " "
}

// noise adds one mechanism's noise at the per-component parameter.
type noise struct {
	s        *dp.Sampler
	rho, eps *big.Rat
}

func (n *noise) add(v, sens int64) (int64, error) {
	if n.s == nil {
		n.s = dp.NewSampler(nil)
	}
	if n.rho != nil {
		return n.s.AddGaussian(v, sens, n.rho)
	}
	return n.s.AddLaplace(v, sens, n.eps)
}

func (n *noise) addBig(v *big.Int, sens int64) (*big.Int, error) {
	if v == nil {
		return nil, errors.New("the result does not reveal the moment to perturb")
	}
	if !v.IsInt64() {
		return nil, fmt.Errorf("a total outside int64: %w", dp.ErrRange)
	}
	x, err := n.add(v.Int64(), sens)
	return big.NewInt(x), err
}

// apply returns a noisy copy of agg. Every shown figure is recomputed from
// noisy components; nothing exact is carried over except the group keys,
// the bin edges and which groups secagg suppressed.
func (n *noise) apply(agg *secagg.Result, scale int, minGroup, sumSens, sqSens int64) (*secagg.Result, error) {
	out := &secagg.Result{Stat: agg.Stat, Parties: agg.Parties, MinGroup: max(agg.MinGroup, minGroup)}
	unit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	for i := range agg.Groups {
		g := &agg.Groups[i]
		if g.Suppressed {
			out.Groups = append(out.Groups, secagg.GroupResult{Key: g.Key, Suppressed: true})
			out.Suppressed++
			continue
		}
		cnt, err := n.add(*g.Count, 1)
		if err != nil {
			return nil, err
		}
		gr := secagg.GroupResult{Key: g.Key}
		var sum, sumsq *big.Int
		if agg.Stat == secagg.Sum || agg.Stat == secagg.Mean || agg.Stat == secagg.Variance {
			s, ss := g.Moments()
			if sum, err = n.addBig(s, sumSens); err != nil {
				return nil, err
			}
			if agg.Stat == secagg.Variance {
				if sumsq, err = n.addBig(ss, sqSens); err != nil {
					return nil, err
				}
			}
		}
		var bins []secagg.Bin
		for _, b := range g.Bins {
			nb := secagg.Bin{Lo: b.Lo, Hi: b.Hi, Suppressed: b.Suppressed}
			if !b.Suppressed {
				c, err := n.add(*b.Count, 1)
				if err != nil {
					return nil, err
				}
				if c < out.MinGroup {
					nb.Suppressed = true
				} else {
					nb.Count = &c
				}
			}
			bins = append(bins, nb)
		}
		// All noise is drawn before deciding suppression on the noisy count,
		// so the number of draws does not depend on the data.
		if cnt < out.MinGroup {
			out.Groups = append(out.Groups, secagg.GroupResult{Key: g.Key, Suppressed: true})
			out.Suppressed++
			continue
		}
		gr.Count = &cnt
		gr.Bins = bins
		switch agg.Stat {
		case secagg.Sum:
			gr.Sum = &secagg.Decimal{Int: sum, Scale: scale}
		case secagg.Mean, secagg.Variance:
			den := new(big.Int).Mul(big.NewInt(cnt), unit)
			m, _ := new(big.Rat).SetFrac(sum, den).Float64()
			if agg.Stat == secagg.Mean {
				gr.Mean = &m
			} else {
				den2 := new(big.Int).Mul(den, unit)
				ex2, _ := new(big.Rat).SetFrac(sumsq, den2).Float64()
				v := max(ex2-m*m, 0)
				gr.Variance = &v
			}
		}
		out.Groups = append(out.Groups, gr)
	}
	return out, nil
}

// refusal is a deny decision's code and messages, shared by the reviews of
// aggregates and of PSI results.
type refusal struct {
	code   Code
	en, zh string
}

// dpCheck checks the privacy parameters and the accounts of a
// differentially private release.
func dpCheck(rho, eps *big.Rat, dataset, agreement string, b Budget) *refusal {
	switch {
	case rho != nil && eps != nil:
		return &refusal{MechanismAmbiguous, "give either ρ (Gaussian, zCDP) or ε (Laplace, pure DP), not both", "只能指定 ρ（高斯机制，zCDP）或 ε（拉普拉斯机制，纯 DP）之一"}
	case (rho != nil && rho.Sign() <= 0) || (eps != nil && eps.Sign() <= 0):
		return &refusal{BadParameter, "ρ and ε must be positive", "ρ 与 ε 必须为正数"}
	case dataset == "" || agreement == "":
		return &refusal{AccountRequired, "a differentially private release needs a dataset and an agreement to debit", "差分隐私发布需要指定扣减预算的数据集和协议"}
	case b == nil:
		return &refusal{NoLedger, "no privacy-budget ledger to debit", "没有可扣减的隐私预算账本"}
	}
	return nil
}

// dpSpend splits a release's budget evenly between its k components,
// debits the release's cost (ρ, or ε²/2 for ε) from the dataset and the
// agreement, and returns the noise for the components and the release's
// description. Nothing noisy exists before the debit succeeded.
func dpSpend(ctx context.Context, rho, eps *big.Rat, k int, dataset, agreement, purpose string, b Budget, s *dp.Sampler) (noise, *Noise, dp.Rho, *refusal) {
	n := noise{s: s}
	info := &Noise{Components: k, Dataset: dataset, Agreement: agreement}
	var cost dp.Rho
	var err error
	if rho != nil {
		n.rho = new(big.Rat).Quo(rho, big.NewRat(int64(k), 1))
		cost, err = dp.RhoFromRat(rho)
		info.Mechanism, info.Rho = "gaussian", rho.RatString()
	} else {
		n.eps = new(big.Rat).Quo(eps, big.NewRat(int64(k), 1))
		cost, err = dp.PureRho(eps)
		info.Mechanism, info.Epsilon = "laplace", eps.RatString()
	}
	if err != nil || cost <= 0 {
		return n, nil, 0, &refusal{BadParameter, fmt.Sprintf("the privacy parameter cannot be accounted: %v", err), "隐私参数无法计入预算"}
	}
	info.Cost = cost.String()
	rc, err := b.Spend(ctx, dataset, agreement, cost, purpose)
	var be *dp.BudgetError
	switch {
	case errors.As(err, &be):
		return n, nil, 0, &refusal{BudgetExhausted, fmt.Sprintf("refused: the privacy budget is exhausted (%s has %s of ρ left, the query costs %s); nothing was released", budgetOwner(be), be.Balance.Left(), be.Rho),
			fmt.Sprintf("拒绝：隐私预算已耗尽（%s剩余 ρ=%s，本次查询需 %s）；未发布任何结果", budgetOwnerZH(be), be.Balance.Left(), be.Rho)}
	case errors.Is(err, dp.ErrBudgetExhausted):
		return n, nil, 0, &refusal{BudgetExhausted, "refused: the privacy budget is exhausted; nothing was released", "拒绝：隐私预算已耗尽；未发布任何结果"}
	case err != nil:
		return n, nil, 0, &refusal{BudgetError, fmt.Sprintf("the privacy-budget ledger failed: %v; nothing was released", err), "隐私预算账本出错；未发布任何结果"}
	}
	info.Seq = rc.Seq
	return n, info, cost, nil
}
