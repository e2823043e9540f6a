package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// TestIndexNoDrift: an index kept up to date write after write (replaces,
// withdrawals, re-registrations, compactions) answers every query exactly
// as an index rebuilt from the database.
func TestIndexNoDrift(t *testing.T) {
	path := filepath.Join(t.TempDir(), "xborder.db")
	db := openDBAt(t, path)
	cfg := Config{Checker: SyntheticChecker{}}
	live := newTestCatalog(t, db, cfg)
	ctx := context.Background()
	es := SyntheticEntries(42, 1500)
	if _, err := live.RegisterBatch(ctx, es, RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	withdrawn := map[string]bool{}
	for round := 0; round < 3; round++ {
		for i := 0; i < 300; i++ {
			e := es[r.IntN(len(es))]
			switch r.IntN(4) {
			case 0:
				if !withdrawn[e.Identifier] {
					if err := live.Withdraw(ctx, e.Identifier); err != nil {
						t.Fatal(err)
					}
					withdrawn[e.Identifier] = true
				}
			default:
				c := e.Clone()
				c.Title["en"] += fmt.Sprintf(" revised %d", r.IntN(50))
				c.Keywords["zh"] = append(c.Keywords["zh"], []string{"修订", "补充", "更正"}[r.IntN(3)])
				q := float64(r.IntN(101))
				c.Business.QualityScore = &q
				if r.IntN(3) == 0 {
					c.Governance.ClassificationLevel = LevelInternal
					c.Governance.AccessPolicy = nil
					c.Governance.DataGrade = ""
				}
				if _, err := live.Register(ctx, c, RegisterOptions{Replace: true}); err != nil {
					t.Fatal(err)
				}
				delete(withdrawn, e.Identifier)
			}
		}
		rebuilt := newTestCatalog(t, db, cfg)
		if live.Len() != rebuilt.Len() {
			t.Fatalf("round %d: %d live entries, %d rebuilt", round, live.Len(), rebuilt.Len())
		}
		requesters := []Requester{Operator(), {}, {DID: "did:web:x.example", Claims: map[string]any{"role": "analyst"}}}
		queries := append(SyntheticQueries(7, 40), SearchRequest{Query: "revised 修订"}, SearchRequest{Query: "revi*", Sort: "quality", Page: 2})
		for qi, q := range queries {
			for ri, rq := range requesters {
				a, err := live.Search(ctx, rq, q)
				if err != nil {
					t.Fatal(err)
				}
				b, err := rebuilt.Search(ctx, rq, q)
				if err != nil {
					t.Fatal(err)
				}
				ja, _ := json.Marshal(a)
				jb, _ := json.Marshal(b)
				if string(ja) != string(jb) {
					t.Fatalf("round %d, query %d %q, requester %d: the live index and the rebuilt one differ:\n%s\n%s", round, qi, q.Query, ri, ja, jb)
				}
			}
		}
	}
	if live.idx.compactions == 0 {
		t.Error("the test never compacted the postings")
	}
}

// TestConcurrentReadWrite searches and resolves while entries are
// registered, replaced and withdrawn (run with -race).
func TestConcurrentReadWrite(t *testing.T) {
	c := newTestCatalog(t, openTestDB(t), Config{Checker: SyntheticChecker{}})
	ctx := context.Background()
	es := SyntheticEntries(9, 400)
	if _, err := c.RegisterBatch(ctx, es[:200], RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 3)
	go func() {
		for i := 200; i < 400; i += 20 {
			if _, err := c.RegisterBatch(ctx, es[i:i+20], RegisterOptions{}); err != nil {
				done <- err
				return
			}
			if err := c.Withdraw(ctx, es[i-200].Identifier); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	qs := SyntheticQueries(3, 60)
	r := Requester{DID: "did:web:x.example", Claims: map[string]any{"role": "auditor"}}
	for g := 0; g < 2; g++ {
		go func(g int) {
			for i, q := range qs {
				if _, err := c.Search(ctx, r, q); err != nil {
					done <- err
					return
				}
				if _, err := c.Resolve(ctx, r, es[(i*13+g)%400].Identifier); err != nil && !IsInputError(err) &&
					!errors.Is(err, ErrNotFound) && !errors.Is(err, ErrDenied) && !errors.Is(err, ErrWithdrawn) {
					done <- err
					return
				}
			}
			done <- nil
		}(g)
	}
	for i := 0; i < 3; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 390 { // 400 registered, 10 withdrawn
		t.Errorf("%d live entries, want 390", c.Len())
	}
}
