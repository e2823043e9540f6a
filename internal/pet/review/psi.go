package review

import (
	"context"
	"fmt"
	"math/big"

	"github.com/xborder/xborder/internal/pet/dp"
)

// Reason codes of PSI result review (besides the shared ones above).
const (
	IntersectionTooSmall Code = "intersection_too_small"   // the intersection is below the minimum
	KeysNotAllowed       Code = "intersection_not_allowed" // the policy does not release the keys
)

// PSIPolicy is what a PSI result must satisfy to leave.
type PSIPolicy struct {
	// MinIntersection is the smallest intersection whose size (or sum, or
	// keys) may be shown.
	MinIntersection int64
	// ReleaseKeys allows releasing the intersection's keys themselves.
	ReleaseKeys bool
	// Rho or Epsilon ask for noise on the size and the sum (never both);
	// nil for an exact release. Keys are never released with DP.
	Rho, Epsilon *big.Rat
	// ValueBound is the largest value of one element in PSI-sum (the party
	// clamps to [0, ValueBound]): the sum's sensitivity. Required for a
	// noisy sum.
	ValueBound int64
	// Dataset and Agreement are the budget accounts debited; Purpose is
	// recorded with the spend.
	Dataset, Agreement, Purpose string
}

// DP reports whether the policy requires differential privacy.
func (p *PSIPolicy) DP() bool { return p.Rho != nil || p.Epsilon != nil }

// PSIResult is a PSI party's result awaiting review.
type PSIResult struct {
	Mode string // "intersection", "cardinality" or "sum"
	Size int64
	Sum  *uint64
	Keys []string // intersection mode
}

// PSIRelease is what leaves after a PSI review.
type PSIRelease struct {
	Mode string   `json:"mode"`
	Size int64    `json:"intersection_size"`
	Sum  *int64   `json:"sum,omitempty"`
	Keys []string `json:"keys,omitempty"`
	DP   *Noise   `json:"dp,omitempty"`
}

// PSIDecision is the outcome of a PSI review; its fields mean what
// Decision's do.
type PSIDecision struct {
	Allow     bool        `json:"allow"`
	Code      Code        `json:"code"`
	Message   string      `json:"message"`
	MessageZH string      `json:"message_zh"`
	Released  *PSIRelease `json:"released,omitempty"`
	Spent     dp.Rho      `json:"spent,omitempty"`
}

func psiDeny(c Code, en, zh string) PSIDecision {
	return PSIDecision{Code: c, Message: en, MessageZH: zh}
}

// ReviewPSI checks a PSI result against p: the exact intersection size
// must reach MinIntersection; the keys leave only when ReleaseKeys allows
// them and no noise is asked for; with DP, the budget is debited through
// b first (the size, and the sum in sum mode, are the components, each
// getting half of ρ or ε in sum mode), noise is then added, and a noisy
// size below the minimum is suppressed (denied, budget spent). Like
// Review, it does no I/O of its own.
func ReviewPSI(ctx context.Context, p PSIPolicy, r PSIResult, b Budget, s *dp.Sampler) PSIDecision {
	if r.Mode == "" {
		return psiDeny(NoResult, "there is no result to review", "没有可审查的结果")
	}
	if r.Size < p.MinIntersection {
		return psiDeny(IntersectionTooSmall, fmt.Sprintf("the intersection (%d) is below the minimum size %d; nothing was released", r.Size, p.MinIntersection),
			fmt.Sprintf("交集规模（%d）低于最小规模 %d；未发布任何结果", r.Size, p.MinIntersection))
	}
	if r.Mode == "intersection" && !p.ReleaseKeys {
		return psiDeny(KeysNotAllowed, "the policy does not allow releasing the intersection's keys", "策略不允许发布交集中的具体标识")
	}
	out := &PSIRelease{Mode: r.Mode, Size: r.Size}
	if !p.DP() {
		if r.Sum != nil {
			if *r.Sum > 1<<62 {
				return psiDeny(BadParameter, "the sum is out of range", "求和结果超出范围")
			}
			v := int64(*r.Sum)
			out.Sum = &v
		}
		if r.Mode == "intersection" {
			out.Keys = r.Keys
		}
		return PSIDecision{Allow: true, Code: Released, Message: "released: the result passed its policy", MessageZH: "已放行：结果符合策略", Released: out}
	}
	if r.Mode == "intersection" {
		return psiDeny(BadParameter, "the intersection's keys cannot be released with differential privacy: use cardinality or sum", "差分隐私下不能发布交集标识：请使用基数或求和")
	}
	if f := dpCheck(p.Rho, p.Epsilon, p.Dataset, p.Agreement, b); f != nil {
		return psiDeny(f.code, f.en, f.zh)
	}
	k := 1
	if r.Mode == "sum" {
		if p.ValueBound <= 0 {
			return psiDeny(BoundsRequired, "a noisy PSI sum needs the value bound that fixes its sensitivity", "含噪的 PSI 求和需要给出单值上界以确定敏感度")
		}
		k = 2
	}
	n, info, cost, f := dpSpend(ctx, p.Rho, p.Epsilon, k, p.Dataset, p.Agreement, p.Purpose, b, s)
	if f != nil {
		return psiDeny(f.code, f.en, f.zh)
	}
	failed := func(err error) PSIDecision {
		d := psiDeny(NoiseFailed, fmt.Sprintf("adding noise failed: %v; nothing was released (the budget stays spent)", err), "加噪失败；未发布任何结果（已扣减的预算不退回）")
		d.Spent = cost
		return d
	}
	size, err := n.add(r.Size, 1)
	if err != nil {
		return failed(err)
	}
	if r.Sum != nil {
		if *r.Sum > 1<<62 {
			return failed(dp.ErrRange)
		}
		v, err := n.add(int64(*r.Sum), p.ValueBound)
		if err != nil {
			return failed(err)
		}
		v = max(v, 0)
		out.Sum = &v
	}
	// Every draw is made before the noisy size is compared with the
	// minimum, so the number of draws does not depend on the data.
	if size < p.MinIntersection {
		d := psiDeny(IntersectionTooSmall, fmt.Sprintf("the noisy intersection size is below the minimum size %d; nothing was released (the budget stays spent)", p.MinIntersection),
			fmt.Sprintf("加噪后的交集规模低于最小规模 %d；未发布任何结果（已扣减的预算不退回）", p.MinIntersection))
		d.Spent = cost
		return d
	}
	out.Size, out.DP = size, info
	return PSIDecision{Allow: true, Code: ReleasedDP, Spent: cost,
		Message:   fmt.Sprintf("released with %s noise; ρ %s debited from %s on %s", info.Mechanism, cost, p.Agreement, p.Dataset),
		MessageZH: fmt.Sprintf("已加%s噪声后放行；已从数据集 %s 的协议 %s 扣减 ρ=%s", map[string]string{"gaussian": "高斯", "laplace": "拉普拉斯"}[info.Mechanism], p.Dataset, p.Agreement, cost),
		Released:  out}
}
