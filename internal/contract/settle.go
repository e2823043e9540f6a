package contract

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/xborder/xborder/internal/contract/billing"
)

// Settlement closes a month: who earned what from the final invoices, and
// the payment instructions that carry it out. It ties the three flows of
// the white paper's chapter 3 together: each line names the usage records
// (data flow), the agreement (contract flow) and the amount (money flow).
type Settlement struct {
	Period       string        `json:"period"`
	SettledAt    time.Time     `json:"settled_at"`
	Statements   []Statement   `json:"statements"`
	Instructions []Instruction `json:"instructions"`
}

// Statement is what one party earned in one currency in the period.
type Statement struct {
	Party    string          `json:"party"`
	Role     string          `json:"role"` // provider or operator
	Currency string          `json:"currency"`
	Lines    []StatementLine `json:"lines"`
	Total    billing.Money   `json:"total"`
}

// StatementLine is the party's part of one invoice.
type StatementLine struct {
	Invoice     string        `json:"invoice"`
	Agreement   string        `json:"agreement"`
	Product     string        `json:"product"` // the agreement's target
	Payer       string        `json:"payer"`   // the consumer
	Basis       string        `json:"basis"`   // sole, fixed, rows, queries, equal or platform_fee
	Weight      int64         `json:"weight"`
	TotalWeight int64         `json:"total_weight"`
	Pool        billing.Money `json:"pool"` // the amount split: the subtotal, less the platform fee
	Amount      billing.Money `json:"amount"`
	Records     int64         `json:"usage_records"`
	FirstSeq    int64         `json:"first_seq,omitempty"`
	LastSeq     int64         `json:"last_seq,omitempty"`
}

// Instruction is one payment to make.
type Instruction struct {
	Kind      string        `json:"kind"` // invoice_payment, revenue_share, platform_fee
	From      string        `json:"from"`
	To        string        `json:"to"`
	Amount    billing.Money `json:"amount"`
	Reference string        `json:"reference"` // the invoice
}

// Settle settles a month that is over. The consumer pays each invoice's
// total to the provider that issued it; that provider keeps its share of
// the subtotal and pays the platform fee to the operator and the other
// providers their shares. Taxes stay with the invoicing provider, who
// remits them. Shares follow the agreement's revenue share: fixed weights,
// or the rows or uses each provider was credited with in the period's
// usage records (equal weights when no provider was credited with any,
// e.g. a subscription nobody used); the split is by largest remainder, so
// the parts of every invoice add up to its subtotal exactly. The first
// call stores the settlement; later calls return it.
func (s *Store) Settle(ctx context.Context, period string) (*Settlement, error) {
	_, end, err := ParsePeriod(period)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if now.Before(end) {
		return nil, fmt.Errorf("settling %s: %w (it ends %s)", period, ErrPeriodOpen, end.Format(time.RFC3339))
	}
	if st, err := s.storedSettlement(ctx, period); err == nil || !errors.Is(err, sql.ErrNoRows) {
		return st, err
	}
	invoices, err := s.Invoices(ctx, period)
	if err != nil {
		return nil, err
	}
	sort.Slice(invoices, func(i, j int) bool { return invoices[i].ID < invoices[j].ID })
	st := &Settlement{Period: period, SettledAt: now.Truncate(time.Second), Statements: []Statement{}, Instructions: []Instruction{}}
	type key struct{ party, currency string }
	statements := map[key]*Statement{}
	credit := func(party, role string, l StatementLine) {
		k := key{party, l.Amount.Currency}
		stmt, ok := statements[k]
		if !ok {
			stmt = &Statement{Party: party, Role: role, Currency: l.Amount.Currency}
			statements[k] = stmt
		}
		stmt.Lines = append(stmt.Lines, l)
	}
	for _, inv := range invoices {
		r, err := s.Get(ctx, inv.Agreement)
		if err != nil {
			return nil, err
		}
		cur := inv.Currency
		st.Instructions = append(st.Instructions, Instruction{Kind: "invoice_payment", From: inv.Consumer, To: inv.Provider, Amount: inv.Total, Reference: inv.ID})
		base := StatementLine{Invoice: inv.ID, Agreement: inv.Agreement, Product: inv.Target, Payer: inv.Consumer,
			Records: inv.Usage.Records, FirstSeq: inv.Usage.FirstSeq, LastSeq: inv.Usage.LastSeq}
		pool := inv.Subtotal.Minor
		rs := r.Agreement.Pricing.Revenue
		if rs == nil {
			l := base
			l.Basis, l.Weight, l.TotalWeight = "sole", 1, 1
			l.Pool, l.Amount = billing.NewMoney(pool, cur), billing.NewMoney(pool, cur)
			credit(inv.Provider, "provider", l)
			continue
		}
		if rs.PlatformFeeBP > 0 {
			fee, err := billing.MulDivRound(pool, rs.PlatformFeeBP, 10000)
			if err != nil {
				return nil, err
			}
			pool -= fee
			l := base
			l.Basis, l.Weight, l.TotalWeight = "platform_fee", rs.PlatformFeeBP, 10000
			l.Pool, l.Amount = billing.NewMoney(inv.Subtotal.Minor, cur), billing.NewMoney(fee, cur)
			credit(rs.Operator, "operator", l)
			if fee > 0 {
				st.Instructions = append(st.Instructions, Instruction{Kind: "platform_fee", From: inv.Provider, To: rs.Operator, Amount: l.Amount, Reference: inv.ID})
			}
		}
		parties, weights, basis, err := s.shareWeights(inv, rs)
		if err != nil {
			return nil, err
		}
		parts, err := billing.Split(pool, weights)
		if err != nil {
			return nil, fmt.Errorf("splitting invoice %s: %w", inv.ID, err)
		}
		var total int64
		for _, w := range weights {
			total += w
		}
		for i, party := range parties {
			l := base
			l.Basis, l.Weight, l.TotalWeight = basis, weights[i], total
			l.Pool, l.Amount = billing.NewMoney(pool, cur), billing.NewMoney(parts[i], cur)
			credit(party, "provider", l)
			if party != inv.Provider && parts[i] > 0 {
				st.Instructions = append(st.Instructions, Instruction{Kind: "revenue_share", From: inv.Provider, To: party, Amount: l.Amount, Reference: inv.ID})
			}
		}
	}
	for _, stmt := range statements {
		var sum int64
		for _, l := range stmt.Lines {
			if sum, err = billing.Sum(sum, l.Amount.Minor); err != nil {
				return nil, err
			}
		}
		stmt.Total = billing.NewMoney(sum, stmt.Currency)
		st.Statements = append(st.Statements, *stmt)
	}
	sort.Slice(st.Statements, func(i, j int) bool {
		a, b := st.Statements[i], st.Statements[j]
		if a.Party != b.Party {
			return a.Party < b.Party
		}
		return a.Currency < b.Currency
	})
	return s.storeSettlement(ctx, st)
}

// shareWeights returns the providers of a revenue share ordered by
// identifier, their weights for the invoice, and the basis used.
func (s *Store) shareWeights(inv *Invoice, rs *billing.RevenueShare) ([]string, []int64, string, error) {
	var parties []string
	fixed := map[string]int64{}
	for _, p := range rs.Providers {
		parties = append(parties, p.Party)
		fixed[p.Party] = p.Weight
	}
	sort.Strings(parties)
	weights := make([]int64, len(parties))
	if rs.Basis == billing.BasisFixed {
		for i, p := range parties {
			weights[i] = fixed[p]
		}
		return parties, weights, rs.Basis, nil
	}
	// The invoice carries each provider's contribution: no second pass
	// over the usage records.
	got := map[string]int64{}
	for _, c := range inv.Usage.Contributions {
		if rs.Basis == billing.BasisQueries {
			got[c.Provider] += c.Count
		} else {
			got[c.Provider] += c.Rows
		}
	}
	var credited bool
	for i, p := range parties {
		weights[i] = got[p]
		credited = credited || got[p] > 0
	}
	if !credited {
		for i := range weights {
			weights[i] = 1
		}
		return parties, weights, "equal", nil
	}
	return parties, weights, rs.Basis, nil
}

func (s *Store) storedSettlement(ctx context.Context, period string) (*Settlement, error) {
	var b string
	if err := s.db.QueryRowContext(ctx, `SELECT settlement FROM contract_settlements WHERE period = $1`, period).Scan(&b); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("reading settlement of %s: %w", period, err)
	}
	var st Settlement
	if err := json.Unmarshal([]byte(b), &st); err != nil {
		return nil, fmt.Errorf("stored settlement of %s: %w", period, err)
	}
	return &st, nil
}

func (s *Store) storeSettlement(ctx context.Context, st *Settlement) (*Settlement, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO contract_settlements (period, settlement, settled_at) VALUES ($1, $2, $3)
		ON CONFLICT (period) DO NOTHING`, st.Period, string(b), ms(st.SettledAt)); err != nil {
		return nil, fmt.Errorf("storing settlement of %s: %w", st.Period, err)
	}
	return s.storedSettlement(ctx, st.Period)
}
