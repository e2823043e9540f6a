package contract

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/jws"
	"github.com/xborder/xborder/internal/suite"
)

func use(t testing.TB, f *fixture, u UseRequest) *UseDecision {
	t.Helper()
	d, err := f.store.RecordUse(context.Background(), u)
	if err != nil {
		t.Fatalf("RecordUse(%+v): %v", u, err)
	}
	return d
}

// TestLifecycle: sign, countersign, approval gate, use to the limit,
// breach, suspension, alert, authorised resume, termination.
func TestLifecycle(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	sa := f.signed(t, f.offer(t, nil))
	rec, err := f.store.PutAgreement(ctx, sa)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != StatePending || len(rec.Limits) != 2 {
		t.Fatalf("stored %+v", rec)
	}
	// Storing it again is idempotent.
	if _, err := f.store.PutAgreement(ctx, sa); err != nil {
		t.Fatal(err)
	}
	id := sa.ID
	if d := use(t, f, UseRequest{Agreement: id, Count: 1, Rows: 10}); d.Allowed || d.Code != RefusedNotInForce {
		t.Fatalf("pending: %+v", d)
	}
	cs, err := Countersign(ctx, sa, f.consumer.s, f.consumer.kid, f.resolver.ResolveKey)
	if err != nil {
		t.Fatal(err)
	}
	// Only the assignee may countersign.
	if _, err := Countersign(ctx, sa, f.coProvider.s, f.coProvider.kid, f.resolver.ResolveKey); !errors.Is(err, ErrPartyMismatch) {
		t.Fatalf("countersigned by a stranger: %v", err)
	}
	if _, err := f.store.Activate(ctx, id, cs.ConsumerJWS); err != nil {
		t.Fatal(err)
	}
	v, err := VerifyAgreement(ctx, cs, f.resolver.ResolveKey, true)
	if err != nil || !v.Countersigned || v.ConsumerAlg != suite.SM2 || v.ProviderAlg != suite.Ed25519 {
		t.Fatalf("verify: %+v %v", v, err)
	}

	// The agreement requires an approved CN_SC route: refused, not a breach.
	if d := use(t, f, UseRequest{Agreement: id, Count: 1, Rows: 10}); d.Allowed || d.Code != RefusedRouteNotApprove || d.State != StateActive {
		t.Fatalf("without approval: %+v", d)
	}
	f.approve(t, "CN_SC")
	for i := 1; i <= 3; i++ {
		d := use(t, f, UseRequest{Agreement: id, Count: 1, Rows: 1000, Bytes: 1 << 20, Purpose: "analytics", Country: "DE"})
		if !d.Allowed || d.Seq != int64(i) { // refused uses take no sequence number
			t.Fatalf("use %d: %+v", i, d)
		}
	}
	// The monthly limit is 3: the fourth use is a breach.
	d := use(t, f, UseRequest{Agreement: id, Count: 1, Rows: 1000})
	if d.Allowed || d.Code != RefusedLimit || d.State != StateSuspended {
		t.Fatalf("fourth use: %+v", d)
	}
	if !strings.Contains(d.Reason.EN, "over the limit of 3") {
		t.Errorf("reason %q", d.Reason.EN)
	}
	if d := use(t, f, UseRequest{Agreement: id, Count: 1}); d.Code != RefusedSuspended {
		t.Fatalf("while suspended: %+v", d)
	}
	if got := f.alerts.codes(); !slices.Equal(got, []string{RefusedNotInForce, RefusedRouteNotApprove, RefusedLimit, RefusedSuspended}) {
		t.Fatalf("alerts %v", got)
	}

	// Only the provider may resume; the consumer's signed request is refused.
	action := func(p party, act string) string {
		tok, err := SignAction(Action{Agreement: id, Action: act, Reason: "reviewed", Issued: f.clock.now()}, p.s, p.kid)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	if _, err := f.store.Act(ctx, action(f.consumer, ActionResume)); !errors.Is(err, ErrPartyMismatch) {
		t.Fatalf("consumer resumed: %v", err)
	}
	tok := action(f.provider, ActionResume)
	if r, err := f.store.Act(ctx, tok); err != nil || r.State != StateActive {
		t.Fatalf("resume: %v", err)
	}
	var ie *InputError
	if _, err := f.store.Act(ctx, tok); !errors.As(err, &ie) && !errors.Is(err, ErrState) {
		t.Fatalf("replayed action: %v", err)
	}
	// Still over the monthly limit in March; April is a new window.
	if d := use(t, f, UseRequest{Agreement: id, Count: 1}); d.Code != RefusedLimit {
		t.Fatalf("after resume, same month: %+v", d)
	}
	f.clock.set("2026-03-10T09:05:00Z")
	if _, err := f.store.Act(ctx, action(f.provider, ActionResume)); err != nil {
		t.Fatal(err)
	}
	f.clock.set("2026-04-02T08:00:00Z")
	if d := use(t, f, UseRequest{Agreement: id, Count: 1, Rows: 500}); !d.Allowed {
		t.Fatalf("April: %+v", d)
	}
	// Another purpose is a breach.
	if d := use(t, f, UseRequest{Agreement: id, Count: 1, Purpose: "marketing"}); d.Code != RefusedPurpose || d.State != StateSuspended {
		t.Fatalf("other purpose: %+v", d)
	}
	if _, err := f.store.Act(ctx, action(f.consumer, ActionTerminate)); err != nil {
		t.Fatal(err)
	}
	if d := use(t, f, UseRequest{Agreement: id, Count: 1}); d.Code != RefusedTerminated {
		t.Fatalf("after termination: %+v", d)
	}
	ev, err := f.store.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range ev {
		kinds = append(kinds, e.Kind)
	}
	want := []string{"signed", "countersigned", "breach", "suspended", "resumed", "breach", "suspended", "resumed", "breach", "suspended", "terminated"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("events %v\nwant   %v", kinds, want)
	}
}

// TestConcurrentUseNeverExceedsLimit: many goroutines on several
// connections race for one agreement's daily count; exactly the limit
// is granted, and the agreement ends suspended.
func TestConcurrentUseNeverExceedsLimit(t *testing.T) {
	f := newFixture(t, 4)
	rec := f.agree(t, f.offer(t, map[string]any{"max_count_per_month": 25}))
	f.approve(t, "CN_SC")
	var granted, refused atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 4; i++ {
				d, err := f.store.RecordUse(context.Background(), UseRequest{Agreement: rec.ID, Count: 1, Rows: 7})
				if err != nil {
					errs <- err
					return
				}
				if d.Allowed {
					granted.Add(1)
				} else {
					refused.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if granted.Load() != 25 || refused.Load() != 64-25 {
		t.Fatalf("granted %d, refused %d", granted.Load(), refused.Load())
	}
	cs, err := f.store.Counters(context.Background(), rec.ID, f.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Metric == MetricCount && c.Used != 25 {
			t.Fatalf("counter %+v", c)
		}
	}
	r, _ := f.store.Get(context.Background(), rec.ID)
	if r.State != StateSuspended {
		t.Fatalf("state %s", r.State)
	}
}

// TestBadUseChangesNothing: rejected input leaves counters, records and
// state as they were.
func TestBadUseChangesNothing(t *testing.T) {
	f := newFixture(t, 1)
	rec := f.agree(t, f.offer(t, nil))
	f.approve(t, "CN_SC")
	ctx := context.Background()
	before := snapshot(t, f, rec.ID)
	for _, u := range []UseRequest{
		{Agreement: rec.ID},
		{Agreement: rec.ID, Count: -1},
		{Agreement: rec.ID, Count: 1, Action: "DROP TABLE"},
		{Agreement: rec.ID, Count: 1, At: f.clock.now().Add(time.Hour)},
		{Agreement: rec.ID, Count: 1, Actor: "bob"},
		{Agreement: rec.ID, Count: 1, Provider: "did:web:stranger.example"},
		{Agreement: "urn:uuid:nope", Count: 1},
		{Count: 1},
	} {
		if _, err := f.store.RecordUse(ctx, u); err == nil {
			t.Errorf("%+v accepted", u)
		}
	}
	if after := snapshot(t, f, rec.ID); after != before {
		t.Fatalf("changed:\n%s\n%s", before, after)
	}
}

func snapshot(t testing.TB, f *fixture, id string) string {
	t.Helper()
	r, err := f.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := f.store.Counters(context.Background(), id, f.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := f.store.db.QueryRow(`SELECT COUNT(*) FROM contract_usage`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s %d %v %d", r.State, r.Uses, cs, n)
}

// TestTampering: a changed agreement, a re-signed one by the wrong key,
// and a countersignature over another JWS are all refused.
func TestTampering(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	offer := f.offer(t, nil)
	a, err := NewAgreement(offer, f.review(t, offer), f.provider.did, f.consumer.did, f.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	sa, err := SignAgreement(a, f.provider.s, f.provider.kid)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Countersign(ctx, sa, f.consumer.s, f.consumer.kid, f.resolver.ResolveKey)
	if err != nil {
		t.Fatal(err)
	}
	// The consumer's key cannot sign for the provider.
	if _, err := SignAgreement(a, f.consumer.s, f.consumer.kid); !errors.Is(err, ErrPartyMismatch) {
		t.Fatalf("signed by the consumer's kid: %v", err)
	}
	// The co-provider's key claiming the provider's kid fails verification.
	forged, err := jws.Sign([]byte("{}"), f.coProvider.s, jws.Header{Kid: f.provider.kid, Typ: TypAgreement, Cty: CtyAgreement})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyAgreement(ctx, &Signed{ID: sa.ID, ProviderJWS: forged}, f.resolver.ResolveKey, false); jws.CodeOf(err) == "" {
		t.Fatalf("forged provider signature: %v", err)
	}
	// A signed agreement whose payload is altered.
	parts := strings.Split(sa.ProviderJWS, ".")
	altered := &Signed{ID: sa.ID, ProviderJWS: parts[0] + "." + parts[1][:len(parts[1])-4] + "AAAA." + parts[2]}
	if _, err := VerifyAgreement(ctx, altered, f.resolver.ResolveKey, false); err == nil {
		t.Fatal("altered agreement verified")
	}
	// A countersignature moved onto another agreement.
	a2, _ := NewAgreement(offer, f.review(t, offer), f.provider.did, f.consumer.did, f.clock.now().Add(time.Second))
	sa2, _ := SignAgreement(a2, f.provider.s, f.provider.kid)
	moved := &Signed{ID: sa2.ID, ProviderJWS: sa2.ProviderJWS, ConsumerJWS: cs.ConsumerJWS}
	if _, err := VerifyAgreement(ctx, moved, f.resolver.ResolveKey, true); jws.CodeOf(err) != jws.CodeBadSignature {
		t.Fatalf("moved countersignature: %v", err)
	}
	if _, err := VerifyAgreement(ctx, sa, f.resolver.ResolveKey, true); !errors.Is(err, ErrNotCountersigned) {
		t.Fatalf("not countersigned: %v", err)
	}
	// A failed review blocks the agreement.
	bad := offer.clone()
	bad.Prohibitions = nil
	r, err := ReviewOffer(ctx, ReviewInput{Offer: bad, Scenario: scenario(t, retailScenario), Templates: f.catalog})
	if err != nil || r.Passed {
		t.Fatalf("review of an offer without its prohibition: %v %v", r.Passed, err)
	}
	if _, err := NewAgreement(bad, r, f.provider.did, f.consumer.did, f.clock.now()); !errors.Is(err, ErrReviewRequired) {
		t.Fatalf("agreement from a failed review: %v", err)
	}
	if _, err := NewAgreement(offer, r, f.provider.did, f.consumer.did, f.clock.now()); !errors.Is(err, ErrReviewRequired) {
		t.Fatalf("agreement with another offer's review: %v", err)
	}
	if _, err := NewAgreement(offer, f.review(t, offer), f.provider.did, f.coProvider.did, f.clock.now()); !errors.Is(err, ErrPartyMismatch) {
		t.Fatalf("consumer outside the recipients: %v", err)
	}
}

func TestMigrateTwice(t *testing.T) {
	db := openDB(t, 2)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = Migrate(ctx, db) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var v int
	if err := db.QueryRow(`SELECT version FROM contract_schema`).Scan(&v); err != nil || v != SchemaVersion() {
		t.Fatalf("version %d, %v", v, err)
	}
	if _, err := db.Exec(`UPDATE contract_schema SET version = 99`); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, db); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("newer schema: %v", err)
	}
}

// TestPutAgreementConcurrently: the same signed agreement stored by 16
// callers at once (concurrently on PostgreSQL) is stored once, and every
// caller gets the record.
func TestPutAgreementConcurrently(t *testing.T) {
	f := newFixture(t, 4)
	sa := f.signed(t, f.offer(t, nil))
	ctx := context.Background()
	errs := make([]error, 16)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			r, err := f.store.PutAgreement(ctx, sa)
			if err == nil && (r.ID != sa.ID || r.State != StatePending) {
				err = fmt.Errorf("record %s %s", r.ID, r.State)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	ev, err := f.store.Events(ctx, sa.ID)
	if err != nil || len(ev) != 1 || ev[0].Kind != "signed" {
		t.Fatalf("events %+v, %v", ev, err)
	}
}
