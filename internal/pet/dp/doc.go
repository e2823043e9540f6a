// Package dp adds differentially private noise to integer results and
// keeps the privacy budget that the noise spends.
//
// # Samplers
//
// [Sampler] draws exactly from the Bernoulli(exp(-γ)), discrete Laplace
// and discrete Gaussian distributions with the algorithms of Canonne,
// Kamath and Steinke, "The Discrete Gaussian for Differential Privacy"
// (NeurIPS 2020, arXiv 2004.00010, Algorithms 1–3). Parameters are exact
// rationals (*big.Rat); the sampling path uses only integer arithmetic on
// uniformly random bits, so there is no floating-point rounding for an
// attacker to read in the low bits of a result (Mironov, "On Significance
// of the Least Significant Bits for Differential Privacy", CCS 2012).
// Random bits come from crypto/rand unless the caller injects another
// io.Reader (tests inject a seeded stream to be deterministic).
//
// The samplers are not constant time: the number of loop iterations, and
// so the running time, depends on the sample. Run them where the analyst
// cannot time them (the result leaves the node only after review).
//
// # Mechanisms and sensitivity
//
// [Sampler.AddLaplace] gives ε-DP to an integer query of sensitivity Δ by
// adding discrete Laplace noise of scale Δ/ε; [Sampler.AddGaussian] gives
// ρ-zCDP by adding discrete Gaussian noise of variance parameter
// σ² = Δ²/(2ρ) (CKS20 Theorem 14). Neighbouring datasets differ by adding
// or removing one record (one privacy unit). Under that relation a count
// has Δ = 1 and a sum of values clamped to [lo, hi] has
// Δ = max(|lo|, |hi|); [ClampedSum] clamps and returns that Δ. The
// sensitivity must be enforced (clamping, one record per unit), never
// assumed.
//
// # Budget
//
// [Ledger] keeps, in SQL, the privacy budget per dataset and per
// agreement on a dataset, accounted in zCDP: ρ composes by addition, a
// pure ε-DP release costs ρ = ε²/2 (Bun and Steinke 2016, Proposition
// 1.4), and ρ-zCDP implies (ρ + 2√(ρ ln(1/δ)), δ)-DP, which is how budgets
// are displayed. Amounts of ρ are fixed-point integers ([Rho], units of
// 10⁻¹² ρ) so that the database checks and debits them exactly; costs are
// rounded up and budgets down. The default budget of a dataset is ε ≤ 1 at
// δ = 10⁻⁶ (seed §2.3.3.3, T/IDSA 001-2024), that is ρ ≈ 0.01747.
package dp
