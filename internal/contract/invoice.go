package contract

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/xborder/xborder/internal/contract/billing"
)

// Invoice statuses.
const (
	InvoiceDraft = "draft" // the period is still open; not stored, may change
	InvoiceFinal = "final" // the period is over; stored, never changes
)

// Invoice bills one agreement for one calendar month (UTC). Amounts are
// integer minor units beside their decimal form.
type Invoice struct {
	ID        string          `json:"id"`
	Status    string          `json:"status"`
	Period    string          `json:"period"` // YYYY-MM
	Agreement string          `json:"agreement"`
	Target    string          `json:"target"`
	Provider  string          `json:"provider"` // the assigner, who invoices
	Consumer  string          `json:"consumer"` // the assignee, who pays
	Currency  string          `json:"currency"`
	Usage     InvoiceUsage    `json:"usage"`
	Lines     []InvoiceLine   `json:"lines"`
	Subtotal  billing.Money   `json:"subtotal"`
	Taxes     []TaxLine       `json:"taxes"`
	Total     billing.Money   `json:"total"`
	IssuedAt  time.Time       `json:"issued_at"`
	Pricing   json.RawMessage `json:"pricing"` // the schedule applied, from the agreement
}

// InvoiceUsage is what was metered in the period: the link from money to
// the usage records (agreement, seq range) it bills.
type InvoiceUsage struct {
	billing.Usage
	Records  int64 `json:"records"`
	FirstSeq int64 `json:"first_seq,omitempty"`
	LastSeq  int64 `json:"last_seq,omitempty"`
	// Contributions are the uses and rows credited to each provider, the
	// basis of a revenue share by queries or rows.
	Contributions []Contribution `json:"contributions,omitempty"`
}

// Contribution is what one provider's data served in the period.
type Contribution struct {
	Provider string `json:"provider"`
	Records  int64  `json:"records"`
	Count    int64  `json:"count"`
	Rows     int64  `json:"rows"`
}

// InvoiceLine is one priced component.
type InvoiceLine struct {
	billing.Line
	Description Text          `json:"description"`
	Amount      billing.Money `json:"amount"`
}

// TaxLine is a tax a Taxer adds to an invoice.
type TaxLine struct {
	Code   string        `json:"code"`   // e.g. CN-VAT-6
	Basis  string        `json:"basis"`  // what it is levied on, for people
	Amount billing.Money `json:"amount"` // in the invoice's currency
}

// Taxer is the tax hook. xborder does not compute taxes: the VAT or GST
// on data services depends on the parties' places of establishment and
// registrations (China's VAT on modern services, the EU's reverse charge
// for business customers, withholding on royalties), which only the
// operator's tax set-up knows. A Taxer sees the invoice with its lines and
// subtotal and returns the tax lines; the total is subtotal plus taxes.
type Taxer interface {
	Tax(ctx context.Context, inv *Invoice) ([]TaxLine, error)
}

// ParsePeriod reads a calendar month "YYYY-MM" and returns its first
// instant and the first instant of the next month (UTC).
func ParsePeriod(s string) (time.Time, time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return time.Time{}, time.Time{}, &InputError{Field: "period", Msg: fmt.Sprintf("%q: write a month as YYYY-MM, e.g. 2026-11", s)}
	}
	return t, t.AddDate(0, 1, 0), nil
}

var lineText = map[string]Text{
	billing.PerCall:        {EN: "Uses", ZH: "按次计费"},
	billing.PerVolume:      {EN: "Volume", ZH: "按量计费"},
	billing.Subscription:   {EN: "Subscription (monthly)", ZH: "订阅费（月）"},
	billing.PerComputation: {EN: "Privacy-computing tasks", ZH: "隐私计算任务"},
}

// Invoices returns one invoice per agreement with a price that was in
// force during the period. Once the period is over the invoices are final:
// the first call stores them, later calls return the stored ones, and no
// use dated in the period can be recorded any more. Before, they are
// drafts, computed and not stored.
func (s *Store) Invoices(ctx context.Context, period string) ([]*Invoice, error) {
	start, end, err := ParsePeriod(period)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	final := !now.Before(end)
	stored := map[string]*Invoice{}
	if final {
		rows, err := s.db.QueryContext(ctx, `SELECT agreement_id, invoice FROM contract_invoices WHERE period = $1`, period)
		if err != nil {
			return nil, fmt.Errorf("reading invoices of %s: %w", period, err)
		}
		for rows.Next() {
			var id, b string
			if err := rows.Scan(&id, &b); err != nil {
				rows.Close()
				return nil, err
			}
			var inv Invoice
			if err := json.Unmarshal([]byte(b), &inv); err != nil {
				rows.Close()
				return nil, fmt.Errorf("stored invoice of %s: %w", id, err)
			}
			stored[id] = &inv
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	rows, err := s.db.QueryContext(ctx, selectAgreement+` WHERE state <> 'pending' AND currency <> ''
		AND activated_at < $2 AND (ended_at IS NULL OR ended_at > $1)
		AND (period_from IS NULL OR period_from < $2) AND (period_until IS NULL OR period_until > $1)
		ORDER BY id`, ms(start), ms(end))
	if err != nil {
		return nil, fmt.Errorf("selecting agreements for %s: %w", period, err)
	}
	var recs []*Record
	for rows.Next() {
		r, err := s.scanRecord(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		recs = append(recs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The month's usage is read only if some invoice is still to be made:
	// settling a month that is already invoiced reads no usage record.
	usage := map[string]InvoiceUsage{}
	need := !final
	for _, r := range recs {
		if _, ok := stored[r.ID]; !ok {
			need = true
		}
	}
	if need {
		if usage, err = s.periodUsage(ctx, period); err != nil {
			return nil, err
		}
	}
	// Usage of an agreement outside these bounds cannot be recorded
	// (RecordUse refuses it), but if some is found it is billed too.
	for id := range usage {
		found := false
		for _, r := range recs {
			found = found || r.ID == id
		}
		if !found {
			r, err := s.Get(ctx, id)
			if err != nil {
				return nil, err
			}
			if r.Currency != "" {
				recs = append(recs, r)
			}
		}
	}
	var out []*Invoice
	for _, r := range recs {
		if inv, ok := stored[r.ID]; ok {
			out = append(out, inv)
			continue
		}
		inv, err := s.bill(ctx, r, period, usage[r.ID], now)
		if err != nil {
			return nil, err
		}
		if inv.Usage.Records == 0 && inv.Total.Minor == 0 {
			continue // nothing used, nothing due
		}
		if final {
			inv.Status = InvoiceFinal
			if inv, err = s.storeInvoice(ctx, inv); err != nil {
				return nil, err
			}
		}
		out = append(out, inv)
	}
	// Stored invoices of agreements found only through their usage.
	for id, inv := range stored {
		found := false
		for _, r := range recs {
			found = found || r.ID == id
		}
		if !found {
			out = append(out, inv)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Agreement < out[j].Agreement })
	return out, nil
}

// periodUsage sums the usage records of a period per agreement and
// provider: one pass over the month in index order, however many records.
func (s *Store) periodUsage(ctx context.Context, period string) (map[string]InvoiceUsage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT agreement_id, provider, COUNT(*), SUM(q_count), SUM(q_bytes), SUM(q_rows), SUM(q_tasks), MIN(seq), MAX(seq)
		FROM contract_usage WHERE period = $1 GROUP BY agreement_id, provider`, period)
	if err != nil {
		return nil, fmt.Errorf("summing usage of %s: %w", period, err)
	}
	defer rows.Close()
	out := map[string]InvoiceUsage{}
	for rows.Next() {
		var id string
		var c Contribution
		var u InvoiceUsage
		if err := rows.Scan(&id, &c.Provider, &c.Records, &u.Count, &u.Bytes, &u.Rows, &u.Tasks, &u.FirstSeq, &u.LastSeq); err != nil {
			return nil, fmt.Errorf("summing usage of %s: %w", period, err)
		}
		c.Count, c.Rows = u.Count, u.Rows
		t, seen := out[id]
		if !seen || u.FirstSeq < t.FirstSeq {
			t.FirstSeq = u.FirstSeq
		}
		t.LastSeq = max(t.LastSeq, u.LastSeq)
		t.Records += c.Records
		t.Count += u.Count
		t.Bytes += u.Bytes
		t.Rows += u.Rows
		t.Tasks += u.Tasks
		t.Contributions = append(t.Contributions, c)
		out[id] = t
	}
	return out, rows.Err()
}

func (s *Store) bill(ctx context.Context, r *Record, period string, u InvoiceUsage, now time.Time) (*Invoice, error) {
	p := r.Agreement.Pricing
	start, end, _ := ParsePeriod(period)
	inForce := !r.Activated.IsZero() && r.Activated.Before(end) && (r.Ended.IsZero() || r.Ended.After(start)) &&
		(r.Period.From.IsZero() || r.Period.From.Before(end)) && (r.Period.Until.IsZero() || r.Period.Until.After(start))
	lines, subtotal, err := p.Rate(u.Usage, inForce)
	if err != nil {
		return nil, fmt.Errorf("pricing agreement %s for %s: %w", r.ID, period, err)
	}
	pricing, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte("xborder invoice\x00" + r.ID + "\x00" + period))
	inv := &Invoice{ID: uuid8(sum[:]), Status: InvoiceDraft, Period: period, Agreement: r.ID, Target: r.Target,
		Provider: r.Provider, Consumer: r.Consumer, Currency: p.Currency, Usage: u, Lines: []InvoiceLine{},
		Subtotal: billing.NewMoney(subtotal, p.Currency), Taxes: []TaxLine{}, IssuedAt: now.Truncate(time.Second), Pricing: pricing}
	for _, l := range lines {
		inv.Lines = append(inv.Lines, InvoiceLine{Line: l, Description: lineText[l.Model], Amount: billing.NewMoney(l.Amount, p.Currency)})
	}
	total := subtotal
	if s.tax != nil {
		taxes, err := s.tax.Tax(ctx, inv)
		if err != nil {
			return nil, fmt.Errorf("taxing invoice %s: %w", inv.ID, err)
		}
		for _, t := range taxes {
			if t.Amount.Currency != p.Currency || t.Amount.Minor < 0 {
				return nil, fmt.Errorf("taxing invoice %s: tax line %s is not a non-negative %s amount", inv.ID, t.Code, p.Currency)
			}
			if total, err = billing.Sum(total, t.Amount.Minor); err != nil {
				return nil, err
			}
		}
		inv.Taxes = append(inv.Taxes, taxes...)
	}
	inv.Total = billing.NewMoney(total, p.Currency)
	return inv, nil
}

// storeInvoice stores a final invoice and moves the agreement's
// invoiced_through mark; if another process stored it first, that one is
// returned.
func (s *Store) storeInvoice(ctx context.Context, inv *Invoice) (*Invoice, error) {
	b, err := json.Marshal(inv)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("storing invoice %s: %w", inv.ID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO contract_invoices (id, agreement_id, period, currency, subtotal, tax, total, invoice, issued_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (agreement_id, period) DO NOTHING`,
		inv.ID, inv.Agreement, inv.Period, inv.Currency, inv.Subtotal.Minor, inv.Total.Minor-inv.Subtotal.Minor, inv.Total.Minor, string(b), ms(inv.IssuedAt))
	if err != nil {
		return nil, fmt.Errorf("storing invoice %s: %w", inv.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		tx.Rollback()
		var stored string
		if err := s.db.QueryRowContext(ctx, `SELECT invoice FROM contract_invoices WHERE agreement_id = $1 AND period = $2`,
			inv.Agreement, inv.Period).Scan(&stored); err != nil {
			return nil, fmt.Errorf("reading invoice of %s for %s: %w", inv.Agreement, inv.Period, err)
		}
		var other Invoice
		if err := json.Unmarshal([]byte(stored), &other); err != nil {
			return nil, err
		}
		return &other, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE contract_agreements SET invoiced_through = $2 WHERE id = $1 AND invoiced_through < $2`,
		inv.Agreement, inv.Period); err != nil {
		return nil, fmt.Errorf("storing invoice %s: %w", inv.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("storing invoice %s: %w", inv.ID, err)
	}
	return inv, nil
}

// ErrPeriodOpen is returned by Settle for a month that has not ended.
var ErrPeriodOpen = errors.New("the period is not over yet")
