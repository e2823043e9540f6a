package billing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Pricing models.
const (
	PerCall        = "per_call"        // priced on the number of uses (calls, queries, transfers)
	PerVolume      = "per_volume"      // priced on bytes or rows delivered
	Subscription   = "subscription"    // a fixed fee per invoice period (a calendar month)
	PerComputation = "per_computation" // priced on privacy-computing tasks run
)

// Metrics a usage-based component is priced on.
const (
	MetricCount = "count" // uses
	MetricBytes = "bytes"
	MetricRows  = "rows"
	MetricTasks = "tasks" // privacy-computing tasks
)

// Tier modes.
const (
	Graduated = "graduated" // each unit at the price of the tier it falls in (default)
	Volume    = "volume"    // every billable unit at the price of the tier the total falls in
)

// Revenue-share bases.
const (
	BasisFixed   = "fixed"   // fixed weights per provider
	BasisRows    = "rows"    // rows each provider contributed to the uses in the period
	BasisQueries = "queries" // uses each provider served in the period
)

// Bounds on a pricing schedule.
const (
	MaxComponents = 16
	MaxTiers      = 32
	MaxProviders  = 64
	maxPricingLen = 64 << 10
)

// Pricing is the price schedule of an offer or agreement, in one currency.
type Pricing struct {
	Currency   string
	Components []Component
	// Revenue says how the amount invoiced is shared among the providers
	// of the product; nil means it all goes to the agreement's assigner.
	Revenue *RevenueShare
}

// Component is one priced element; each yields one invoice line.
type Component struct {
	Model    string
	Metric   string // implied for per_call (count) and per_computation (tasks)
	Per      int64  // tier prices are per this many units; default 1
	Free     int64  // units free of charge in each invoice period
	TierMode string // graduated (default) or volume
	Tiers    []Tier
	Fee      int64 // subscription fee per period, in minor units
}

// Tier is a price band. UpTo is the inclusive upper bound of the band in
// units of the whole period's quantity (free units included); 0 on the last
// tier means no bound.
type Tier struct {
	UpTo  int64
	Price int64 // minor units per Per units
}

// RevenueShare splits what an agreement earns among the data providers of
// its product, after the operator's platform fee.
type RevenueShare struct {
	Basis         string
	PlatformFeeBP int64  // basis points (1/100 of a per cent) to the operator, 0–10000
	Operator      string // who receives the platform fee; required when the fee is not zero
	Providers     []ProviderShare
}

// ProviderShare is one provider of a product. Weight is used with the
// fixed basis only.
type ProviderShare struct {
	Party  string
	Weight int64
}

type pricingJSON struct {
	Currency     string          `json:"currency"`
	Components   []componentJSON `json:"components"`
	RevenueShare *revenueJSON    `json:"revenue_share,omitempty"`
}

type componentJSON struct {
	Model    string     `json:"model"`
	Metric   string     `json:"metric,omitempty"`
	Per      int64      `json:"per,omitempty"`
	Free     int64      `json:"free,omitempty"`
	TierMode string     `json:"tier_mode,omitempty"`
	Tiers    []tierJSON `json:"tiers,omitempty"`
	Fee      string     `json:"fee,omitempty"`
}

type tierJSON struct {
	UpTo  int64  `json:"up_to,omitempty"`
	Price string `json:"price"`
}

type revenueJSON struct {
	Basis         string      `json:"basis"`
	PlatformFeeBP int64       `json:"platform_fee_bp,omitempty"`
	Operator      string      `json:"operator,omitempty"`
	Providers     []shareJSON `json:"providers"`
}

type shareJSON struct {
	Party  string `json:"party"`
	Weight int64  `json:"weight,omitempty"`
}

// ParsePricing decodes and validates a pricing schedule. Amounts are
// decimal strings ("5.00"); unknown keys and JSON numbers for amounts are
// refused.
func ParsePricing(data []byte) (*Pricing, error) {
	if len(data) > maxPricingLen {
		return nil, fmt.Errorf("pricing: larger than %d bytes", maxPricingLen)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var pj pricingJSON
	if err := dec.Decode(&pj); err != nil {
		return nil, fmt.Errorf("pricing: %w", explainJSON(err))
	}
	if dec.More() {
		return nil, errors.New("pricing: data after the JSON object")
	}
	return pj.toPricing()
}

// explainJSON adds the hint every user needs when an amount is a number.
func explainJSON(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Value == "number" && te.Type.Kind().String() == "string" {
		return fmt.Errorf("%s: write amounts as decimal strings, e.g. \"12.50\"", te.Field)
	}
	return err
}

func (pj pricingJSON) toPricing() (*Pricing, error) {
	cur, err := LookupCurrency(pj.Currency)
	if err != nil {
		return nil, fmt.Errorf("pricing: currency: %w", err)
	}
	p := &Pricing{Currency: cur.Code}
	for i, cj := range pj.Components {
		c := Component{Model: cj.Model, Metric: cj.Metric, Per: cj.Per, Free: cj.Free, TierMode: cj.TierMode}
		if cj.Fee != "" {
			if c.Fee, err = ParseAmount(cj.Fee, cur); err != nil {
				return nil, fmt.Errorf("pricing: components[%d].fee: %w", i, err)
			}
		}
		for j, tj := range cj.Tiers {
			price, err := ParseAmount(tj.Price, cur)
			if err != nil {
				return nil, fmt.Errorf("pricing: components[%d].tiers[%d].price: %w", i, j, err)
			}
			c.Tiers = append(c.Tiers, Tier{UpTo: tj.UpTo, Price: price})
		}
		p.Components = append(p.Components, c)
	}
	if rj := pj.RevenueShare; rj != nil {
		r := &RevenueShare{Basis: rj.Basis, PlatformFeeBP: rj.PlatformFeeBP, Operator: rj.Operator}
		for _, s := range rj.Providers {
			r.Providers = append(r.Providers, ProviderShare(s))
		}
		p.Revenue = r
	}
	if err := p.normalise(); err != nil {
		return nil, fmt.Errorf("pricing: %w", err)
	}
	return p, nil
}

// MarshalJSON writes the schedule in the form ParsePricing reads, with
// implied fields filled in.
func (p *Pricing) MarshalJSON() ([]byte, error) {
	cur, err := LookupCurrency(p.Currency)
	if err != nil {
		return nil, err
	}
	pj := pricingJSON{Currency: p.Currency, Components: []componentJSON{}}
	for _, c := range p.Components {
		cj := componentJSON{Model: c.Model, Metric: c.Metric, Per: c.Per, Free: c.Free, TierMode: c.TierMode}
		if c.Model == Subscription {
			cj.Fee = FormatAmount(c.Fee, cur)
			cj.Per, cj.TierMode = 0, ""
		}
		for _, t := range c.Tiers {
			cj.Tiers = append(cj.Tiers, tierJSON{UpTo: t.UpTo, Price: FormatAmount(t.Price, cur)})
		}
		pj.Components = append(pj.Components, cj)
	}
	if r := p.Revenue; r != nil {
		rj := &revenueJSON{Basis: r.Basis, PlatformFeeBP: r.PlatformFeeBP, Operator: r.Operator}
		for _, s := range r.Providers {
			rj.Providers = append(rj.Providers, shareJSON(s))
		}
		pj.RevenueShare = rj
	}
	return json.Marshal(pj)
}

// normalise fills implied fields and validates.
func (p *Pricing) normalise() error {
	if len(p.Components) == 0 {
		return errors.New("no components: give at least one of per_call, per_volume, subscription, per_computation")
	}
	if len(p.Components) > MaxComponents {
		return fmt.Errorf("%d components, at most %d", len(p.Components), MaxComponents)
	}
	for i := range p.Components {
		if err := p.Components[i].normalise(); err != nil {
			return fmt.Errorf("components[%d]: %w", i, err)
		}
	}
	if p.Revenue != nil {
		if err := p.Revenue.validate(); err != nil {
			return fmt.Errorf("revenue_share: %w", err)
		}
	}
	return nil
}

func (c *Component) normalise() error {
	switch c.Model {
	case PerCall:
		if c.Metric == "" {
			c.Metric = MetricCount
		}
		if c.Metric != MetricCount {
			return fmt.Errorf("per_call is priced on count, not %q", c.Metric)
		}
	case PerComputation:
		if c.Metric == "" {
			c.Metric = MetricTasks
		}
		if c.Metric != MetricTasks {
			return fmt.Errorf("per_computation is priced on tasks, not %q", c.Metric)
		}
	case PerVolume:
		if c.Metric != MetricBytes && c.Metric != MetricRows {
			return fmt.Errorf("per_volume needs metric bytes or rows, got %q", c.Metric)
		}
	case Subscription:
		if c.Metric != "" || len(c.Tiers) > 0 || c.Free != 0 || c.Per != 0 || c.TierMode != "" {
			return errors.New("a subscription has a fee only (no metric, per, free or tiers)")
		}
		if c.Fee < 0 {
			return errors.New("negative fee")
		}
		return nil
	default:
		return fmt.Errorf("model %q (accepted: per_call, per_volume, subscription, per_computation)", c.Model)
	}
	if c.Fee != 0 {
		return errors.New("fee applies to subscriptions only; usage-based components are priced by tiers")
	}
	if c.Per == 0 {
		c.Per = 1
	}
	if c.Per < 0 {
		return errors.New("per must be positive")
	}
	if c.Free < 0 {
		return errors.New("free must not be negative")
	}
	if c.TierMode == "" {
		c.TierMode = Graduated
	}
	if c.TierMode != Graduated && c.TierMode != Volume {
		return fmt.Errorf("tier_mode %q (accepted: graduated, volume)", c.TierMode)
	}
	if len(c.Tiers) == 0 {
		return errors.New("no tiers: give at least one tier with a price")
	}
	if len(c.Tiers) > MaxTiers {
		return fmt.Errorf("%d tiers, at most %d", len(c.Tiers), MaxTiers)
	}
	var prev int64
	for j, t := range c.Tiers {
		last := j == len(c.Tiers)-1
		if t.Price < 0 {
			return fmt.Errorf("tiers[%d]: negative price", j)
		}
		switch {
		case last && t.UpTo != 0:
			return fmt.Errorf("tiers[%d]: the last tier has no up_to (it covers everything above)", j)
		case !last && t.UpTo <= prev:
			return fmt.Errorf("tiers[%d]: up_to %d must be above the previous tier's %d", j, t.UpTo, prev)
		}
		prev = t.UpTo
	}
	return nil
}

func (r *RevenueShare) validate() error {
	switch r.Basis {
	case BasisFixed, BasisRows, BasisQueries:
	default:
		return fmt.Errorf("basis %q (accepted: fixed, rows, queries)", r.Basis)
	}
	if r.PlatformFeeBP < 0 || r.PlatformFeeBP > 10000 {
		return fmt.Errorf("platform_fee_bp %d: between 0 and 10000", r.PlatformFeeBP)
	}
	if r.PlatformFeeBP > 0 && r.Operator == "" {
		return errors.New("a platform fee needs the operator who receives it")
	}
	if len(r.Providers) == 0 || len(r.Providers) > MaxProviders {
		return fmt.Errorf("%d providers: between 1 and %d", len(r.Providers), MaxProviders)
	}
	seen := map[string]bool{}
	for i, s := range r.Providers {
		if strings.TrimSpace(s.Party) == "" {
			return fmt.Errorf("providers[%d]: no party", i)
		}
		if seen[s.Party] {
			return fmt.Errorf("providers[%d]: %s listed twice", i, s.Party)
		}
		seen[s.Party] = true
		switch {
		case r.Basis == BasisFixed && s.Weight <= 0:
			return fmt.Errorf("providers[%d]: a fixed share needs a positive weight", i)
		case r.Basis != BasisFixed && s.Weight != 0:
			return fmt.Errorf("providers[%d]: weight applies to the fixed basis only; %s weights come from usage", i, r.Basis)
		}
	}
	return nil
}

// HasProvider reports whether party is one of the providers.
func (r *RevenueShare) HasProvider(party string) bool {
	for _, s := range r.Providers {
		if s.Party == party {
			return true
		}
	}
	return false
}

// Usage is what was used in one invoice period.
type Usage struct {
	Count int64 `json:"count"`
	Bytes int64 `json:"bytes"`
	Rows  int64 `json:"rows"`
	Tasks int64 `json:"tasks"`
}

// Of returns the quantity of a metric.
func (u Usage) Of(metric string) int64 {
	switch metric {
	case MetricCount:
		return u.Count
	case MetricBytes:
		return u.Bytes
	case MetricRows:
		return u.Rows
	case MetricTasks:
		return u.Tasks
	}
	return 0
}

// Line is one priced component on an invoice.
type Line struct {
	Model    string       `json:"model"`
	Metric   string       `json:"metric,omitempty"`
	Quantity int64        `json:"quantity"`
	Free     int64        `json:"free,omitempty"` // units inside the free quota
	Billable int64        `json:"billable"`
	Per      int64        `json:"per,omitempty"`
	Tiers    []TierCharge `json:"tiers,omitempty"`
	Amount   int64        `json:"amount_minor"`
}

// TierCharge is the part of a line priced by one tier: units × price / per
// before the line's single rounding.
type TierCharge struct {
	Units int64 `json:"units"`
	Price int64 `json:"price_minor"`
}

// Rate prices one period's usage. subscription reports whether the
// subscription fee is due for the period (the agreement was in force on at
// least one of its days). It returns one line per component and their sum.
func (p *Pricing) Rate(u Usage, subscription bool) ([]Line, int64, error) {
	var lines []Line
	var subtotal int64
	for i, c := range p.Components {
		var l Line
		if c.Model == Subscription {
			l = Line{Model: c.Model}
			if subscription {
				l.Quantity, l.Billable, l.Amount = 1, 1, c.Fee
			}
		} else {
			var err error
			if l, err = c.rate(u.Of(c.Metric)); err != nil {
				return nil, 0, fmt.Errorf("components[%d]: %w", i, err)
			}
		}
		var err error
		if subtotal, err = addChecked(subtotal, l.Amount); err != nil {
			return nil, 0, err
		}
		lines = append(lines, l)
	}
	return lines, subtotal, nil
}

func (c Component) rate(qty int64) (Line, error) {
	if qty < 0 {
		return Line{}, fmt.Errorf("negative quantity %d", qty)
	}
	l := Line{Model: c.Model, Metric: c.Metric, Quantity: qty, Per: c.Per}
	l.Free = min(qty, c.Free)
	l.Billable = qty - l.Free
	if l.Billable == 0 {
		return l, nil
	}
	num := new(big.Int)
	add := func(units, price int64) {
		if units > 0 {
			l.Tiers = append(l.Tiers, TierCharge{Units: units, Price: price})
			num.Add(num, new(big.Int).Mul(big.NewInt(units), big.NewInt(price)))
		}
	}
	switch c.TierMode {
	case Volume:
		t := c.Tiers[len(c.Tiers)-1]
		for _, x := range c.Tiers {
			if x.UpTo != 0 && qty <= x.UpTo {
				t = x
				break
			}
		}
		add(l.Billable, t.Price)
	default: // graduated: units numbered 1..qty; units 1..Free are free
		var lo int64 // units below lo are in earlier tiers
		for _, t := range c.Tiers {
			hi := t.UpTo
			if hi == 0 || hi > qty {
				hi = qty
			}
			from := max(lo, l.Free) // first billable unit index in this tier is from+1
			if hi > from {
				add(hi-from, t.Price)
			}
			if t.UpTo == 0 || t.UpTo >= qty {
				break
			}
			lo = t.UpTo
		}
	}
	amt, err := roundHalfUp(num, c.Per)
	if err != nil {
		return Line{}, err
	}
	l.Amount = amt
	return l, nil
}

// roundHalfUp returns num/den rounded half up, for num ≥ 0, den > 0.
func roundHalfUp(num *big.Int, den int64) (int64, error) {
	d := big.NewInt(den)
	q, r := new(big.Int).QuoRem(num, d, new(big.Int))
	if r.Lsh(r, 1).Cmp(d) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, errors.New("amount overflow")
	}
	return q.Int64(), nil
}

// MulDivRound returns a × num / den rounded half up, exactly: used for
// percentages such as a platform fee in basis points. a ≥ 0, num ≥ 0,
// den > 0.
func MulDivRound(a, num, den int64) (int64, error) {
	if a < 0 || num < 0 || den <= 0 {
		return 0, errors.New("MulDivRound: negative operand or non-positive divisor")
	}
	return roundHalfUp(new(big.Int).Mul(big.NewInt(a), big.NewInt(num)), den)
}
