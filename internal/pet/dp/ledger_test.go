package dp

import (
	"context"
	"database/sql"
	"errors"
	"math/big"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/statedb"
	"github.com/xborder/xborder/internal/statedb/pgtest"
)

// openDB opens the database at path as the node does (statedb.Open) or,
// with XBORDER_TEST_POSTGRES set, the PostgreSQL schema standing for path,
// so that reopening the same path finds the same data.
func openDB(t testing.TB, path string, conns int) *sql.DB {
	t.Helper()
	var db *sql.DB
	if pgtest.Enabled() {
		db = pgtest.Open(t, pgtest.At(t, path))
	} else {
		var err error
		if db, err = statedb.Open(path, "NORMAL"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
	}
	db.SetMaxOpenConns(conns)
	return db
}

func TestLedgerConcurrentSpends(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "xborder.db"), 8)
	l, err := OpenLedger(ctx, db, LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// 64 goroutines, 4 agreements, 3 attempts each: 192 attempts at
	// ρ = 0.001 against the default ρ ≈ 0.01747 admit exactly 17.
	const rho Rho = RhoUnit / 1000
	agreements := []string{"agr-a", "agr-b", "agr-c", "agr-d"}
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Go(func() {
			for range 3 {
				_, err := l.Spend(ctx, "ds-1", agreements[g%4], rho, "count by region")
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, ErrBudgetExhausted):
					refused.Add(1)
				default:
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	want := int64(DefaultBudget / rho)
	if ok.Load() != want || refused.Load() != 192-want {
		t.Errorf("%d spends succeeded and %d were refused, want %d and %d", ok.Load(), refused.Load(), want, 192-want)
	}
	b, err := l.Balance(ctx, "ds-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if b.Spent != Rho(want)*rho || b.Spent > b.Total || b.Total != DefaultBudget {
		t.Errorf("balance %+v after %d spends", b, want)
	}
	h, err := l.History(ctx, "ds-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(h)) != want {
		t.Fatalf("history has %d spends, want %d", len(h), want)
	}
	var sum Rho
	for i, r := range h {
		if r.Seq != int64(i+1) {
			t.Errorf("spend %d numbered %d", i+1, r.Seq)
		}
		sum += r.Rho
	}
	var perAgreement Rho
	for _, a := range agreements {
		b, err := l.Balance(ctx, "ds-1", a)
		if err != nil {
			t.Fatal(err)
		}
		perAgreement += b.Spent
	}
	if sum != b.Spent || perAgreement != b.Spent {
		t.Errorf("history sums to %d and agreements to %d, the dataset spent %d", sum, perAgreement, b.Spent)
	}
}

func TestLedgerExhaustedAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "xborder.db")
	db := openDB(t, path, 2)
	now := time.UnixMilli(1_790_000_000_000)
	l, err := OpenLedger(ctx, db, LedgerOptions{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	// The agreement's share refuses before the dataset's budget does.
	if err := l.SetAgreementBudget(ctx, "ds", "small", RhoUnit/100); err != nil {
		t.Fatal(err)
	}
	eps, _ := PureRho(mustRat(t, "1/10")) // ρ = 0.005
	for i := range 2 {
		r, err := l.Spend(ctx, "ds", "small", eps, "sum of claims")
		if err != nil {
			t.Fatalf("spend %d: %v", i+1, err)
		}
		if r.Seq != int64(i+1) || r.AgreementBalance.Spent != Rho(i+1)*eps || !r.At.Equal(now) {
			t.Errorf("receipt %+v", r)
		}
	}
	_, err = l.Spend(ctx, "ds", "small", 1, "one unit more")
	var be *BudgetError
	if !errors.As(err, &be) || !errors.Is(err, ErrBudgetExhausted) || be.Agreement != "small" || be.Balance.Left() != 0 {
		t.Fatalf("spend past the agreement's share: %v", err)
	}
	// Another agreement spends the rest of the dataset's budget; then the
	// dataset refuses.
	rest := DefaultBudget - 2*eps
	if _, err := l.Spend(ctx, "ds", "big", rest+1, "too much"); !errors.As(err, &be) || be.Agreement != "" {
		t.Fatalf("spend past the dataset's budget: %v", err)
	}
	if _, err := l.Spend(ctx, "ds", "big", rest, "the rest"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Spend(ctx, "ds", "big", 1, "one unit more"); !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("spend from an exhausted dataset: %v", err)
	}
	// Other datasets are untouched.
	if _, err := l.Spend(ctx, "other", "big", eps, "count"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openDB(t, path, 2)
	l, err = OpenLedger(ctx, db, LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Balance(ctx, "ds", "")
	if err != nil || b.Spent != DefaultBudget || b.Left() != 0 {
		t.Errorf("after reopening: %+v, %v", b, err)
	}
	if _, err := l.Spend(ctx, "ds", "new", 1, "after reopening"); !errors.Is(err, ErrBudgetExhausted) {
		t.Errorf("spend after reopening: %v", err)
	}
	h, err := l.History(ctx, "ds", "small")
	if err != nil || len(h) != 2 || h[0].Purpose != "sum of claims" || h[1].Seq != 2 || !h[0].At.Equal(now) || h[0].Rho != eps {
		t.Errorf("history of small: %+v, %v", h, err)
	}
	h, _ = l.History(ctx, "ds", "")
	if len(h) != 3 || h[2].Agreement != "big" || h[2].Rho != rest {
		t.Errorf("history of ds: %+v", h)
	}
	// Raising the dataset's budget lets spends through again.
	if err := l.SetDatasetBudget(ctx, "ds", 2*DefaultBudget); err != nil {
		t.Fatal(err)
	}
	if r, err := l.Spend(ctx, "ds", "big", eps, "after a raise"); err != nil || r.Seq != 4 {
		t.Errorf("spend after a raise: %+v, %v", r, err)
	}
}

func TestLedgerRefusesBadSpends(t *testing.T) {
	ctx := context.Background()
	l, err := OpenLedger(ctx, openDB(t, filepath.Join(t.TempDir(), "x.db"), 1), LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ds, agr string
		rho     Rho
	}{{"", "a", 1}, {"d", "", 1}, {"d", "a", 0}, {"d", "a", -5}, {"d", "a", 1<<62 + 1}} {
		if _, err := l.Spend(ctx, c.ds, c.agr, c.rho, ""); err == nil || errors.Is(err, ErrBudgetExhausted) {
			t.Errorf("Spend(%q, %q, %d): %v", c.ds, c.agr, c.rho, err)
		}
	}
	if b, err := l.Balance(ctx, "never", "used"); err != nil || b.Total != DefaultBudget || b.Spent != 0 {
		t.Errorf("balance of an unused budget: %+v, %v", b, err)
	}
	// A newer schema is refused.
	if _, err := l.db.ExecContext(ctx, `UPDATE dp_schema SET version = 99`); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLedger(ctx, l.db, LedgerOptions{}); err == nil {
		t.Error("a newer schema was accepted")
	}
}

func mustRat(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("bad rational %q", s)
	}
	return r
}
