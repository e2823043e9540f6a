package anomaly

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// syntheticEvents is a stream of n events by actors actors, every rule's
// trigger in it: downloads of varying volume, denials, agreement uses
// (some outside their window), policy findings, and times spread over
// nights and weekends.
func syntheticEvents(n, actors int) []*audit.Event {
	ids := make([]string, actors)
	for i := range ids {
		ids[i] = fmt.Sprintf("did:web:org%d.example", i)
	}
	ops := []audit.Operation{audit.OpDownload, audit.OpTransfer, audit.OpAccess, audit.OpCompute, audit.OpPolicyDecision}
	results := []audit.Result{audit.ResultSuccess, audit.ResultSuccess, audit.ResultAllow, audit.ResultDeny, audit.ResultFailure}
	events := make([]*audit.Event, n)
	for i := range events {
		e := ev(ids[(i*7919)%actors], ops[i%len(ops)], results[(i/3)%len(results)], t0.Add(time.Duration(i)*3*time.Second),
			records(uint64(i%5000)), nbytes(uint64(i%7)<<20))
		switch i % 11 {
		case 0:
			e.ObjectID, e.ObjectKind = agA1, audit.KindAgreement
		case 1:
			e.Reason = "purpose_mismatch"
		}
		events[i] = e
	}
	return events
}

// BenchmarkObserve: all rules on, 100k events across 1k actors, an
// in-memory agreement lookup and no sink.
func BenchmarkObserve(b *testing.B) {
	const n, actors = 100_000, 1_000
	events := syntheticEvents(n, actors)
	ctx := context.Background()
	b.ReportAllocs()
	var alerts int
	for b.Loop() {
		g, err := NewEngine(nil, farFuture, staticAgreements(agreements().m), nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		for i, e := range events {
			as, err := g.Observe(ctx, uint64(i), e)
			if err != nil {
				b.Fatal(err)
			}
			alerts += len(as)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(alerts)/float64(b.N), "alerts/op")
}

// staticAgreements is a lookup from a map, recording nothing.
type staticAgreements map[string]AgreementWindow

func (s staticAgreements) Window(_ context.Context, id string, _ time.Time) (AgreementWindow, bool, error) {
	w, ok := s[id]
	return w, ok, nil
}
