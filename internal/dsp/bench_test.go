package dsp

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkNegotiation measures negotiations per second between two
// in-process nodes on loopback, from the consumer's request to FINALIZED
// on the consumer's side (request, agreement, verification, finalization:
// four protocol messages, each stored with its event on both sides in
// SQLite, WAL, synchronous=NORMAL), with 1, 4 and 16 negotiations in
// flight and a pool of 1 or 4 SQLite connections per node. It reports
// negotiations/s and the p50 and p99 latency of one negotiation.
func BenchmarkNegotiation(b *testing.B) {
	for _, conns := range []int{1, 4} {
		for _, inFlight := range []int{1, 4, 16} {
			b.Run(fmt.Sprintf("conns=%d/inflight=%d", conns, inFlight), func(b *testing.B) { benchNegotiation(b, conns, inFlight) })
		}
	}
}

func benchNegotiation(b *testing.B, conns, inFlight int) {
	transport := &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 128, IdleConnTimeout: time.Minute}
	client := func(tok string) *Client {
		return &Client{HTTP: &http.Client{Transport: transport}, Tokens: StaticToken(tok), Attempts: 3, BaseDelay: time.Millisecond}
	}
	prov := newTestNode(b, providerDID, providerTok, nodeOpts{client: client(providerTok), conns: conns})
	cons := newTestNode(b, consumerDID, consumerTok, nodeOpts{client: client(consumerTok), conns: conns})
	var done sync.Map // consumerPid → chan struct{}
	wait := func(pid string) chan struct{} {
		ch, _ := done.LoadOrStore(pid, make(chan struct{}))
		return ch.(chan struct{})
	}
	cons.sink.notify = func(e Event) {
		if e.Role == Consumer && e.Kind == KindNegotiation && e.To == Finalized && !e.Refused {
			close(wait(e.ConsumerPID))
		}
	}
	ctx := context.Background()
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < inFlight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				p, err := cons.node.RequestContract(ctx, prov.node.BaseURL(), providerDID, testOffer("urn:uuid:offer-1", "urn:uuid:dataset-1"))
				if err != nil {
					failed.Add(1)
					continue
				}
				select {
				case <-wait(p.ConsumerPID):
				case <-time.After(10 * time.Second):
					failed.Add(1)
					continue
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d negotiations failed", f, b.N)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "negotiations/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
}
