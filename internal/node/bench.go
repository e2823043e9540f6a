package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
)

// BenchNegotiations runs two nodes on loopback (a CN provider with one
// registered dataset, an NL consumer) in directories under dir and
// measures contract negotiations from the consumer's request to FINALIZED
// through the whole stack — self-issued ID tokens on every message, the
// compliance gate (rulebook) on the request, every step appended to both
// audit ledgers (by each node's audit follower, after the answers) — with
// inflight concurrent negotiations for d. It writes a report to out,
// with how long the ledgers took to hold every step after the last
// negotiation finalized.
func BenchNegotiations(ctx context.Context, dir string, d time.Duration, inflight int, out io.Writer) error {
	cons, prov, stop, err := startBenchPair(ctx, dir)
	if err != nil {
		return err
	}
	defer stop()
	provDID := prov.cfg.DID
	e := &catalog.Entry{Identifier: "xb86/CN/bench/oncology", Title: catalog.LangMap{"en": "Oncology cases"}}
	e.Governance = catalog.Governance{Owner: provDID, ClassificationLevel: "internal", Sovereignty: "CN", AllowedPurposes: []string{"research"}}
	e.Technical = &catalog.Technical{PIProfile: &catalog.PIProfile{Individuals: 800}}
	if _, err := prov.stores.catalog.Register(ctx, e, catalog.RegisterOptions{}); err != nil {
		return err
	}
	base := prov.DSP().BaseURL()
	var seq atomic.Int64
	negotiate := func() (time.Duration, error) {
		id := fmt.Sprintf("urn:uuid:bench-offer-%d", seq.Add(1))
		offer := json.RawMessage(`{"@id":"` + id + `","@type":"Offer","target":"` + e.Identifier +
			`","permission":[{"action":"use","constraint":[{"leftOperand":"purpose","operator":"eq","rightOperand":"research"}]}]}`)
		t0 := time.Now()
		p, err := cons.DSP().RequestContract(ctx, base, provDID, offer)
		if err != nil {
			return 0, err
		}
		for {
			q, err := cons.DSP().Process(ctx, dsp.KindNegotiation, dsp.Consumer, p.ConsumerPID)
			if err != nil {
				return 0, err
			}
			if q.State.Terminal() {
				if q.State != dsp.Finalized {
					return 0, fmt.Errorf("negotiation ended %s", q.State)
				}
				return time.Since(t0), nil
			}
			time.Sleep(time.Millisecond)
		}
	}
	if _, err := negotiate(); err != nil { // warm-up
		return err
	}
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	dctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	t0 := time.Now()
	var wg sync.WaitGroup
	for range inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for dctx.Err() == nil {
				l, err := negotiate()
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil {
					lat = append(lat, l)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	if firstErr != nil {
		return firstErr
	}
	tEnd := time.Now()
	audited := map[string]int64{}
	for name, n := range map[string]*Node{"provider": prov, "consumer": cons} {
		if audited[name], err = waitAudited(ctx, n); err != nil {
			return err
		}
	}
	caughtUp := time.Since(tEnd)
	slices.Sort(lat)
	p50, p99 := lat[(len(lat)-1)/2], lat[(len(lat)-1)*99/100]
	fmt.Fprintf(out, "negotiations through the node stack (tokens, compliance gate, audit on both sides), %d in flight, %s\n", inflight, d)
	fmt.Fprintf(out, "%d finalized: %.0f/s, request to FINALIZED p50 %.1f ms, p99 %.1f ms\n", len(lat), float64(len(lat))/el.Seconds(),
		float64(p50)/1e6, float64(p99)/1e6)
	fmt.Fprintf(out, "audit ledgers hold every step %.0f ms after the last negotiation (history positions: provider %d, consumer %d)\n",
		float64(caughtUp)/1e6, audited["provider"], audited["consumer"])
	return nil
}

// waitAudited waits until n's audit follower has appended every step of
// its DSP history to the ledger, and returns the history's last position.
func waitAudited(ctx context.Context, n *Node) (int64, error) {
	store := n.dspStore.(*dsp.SQLStore)
	for {
		last, err := store.LastPosition(ctx)
		if err != nil {
			return 0, err
		}
		if n.auditFeed.pos.Load() >= last {
			return last, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// startBenchNode opens and runs a node with a fresh did:key under dir/sub;
// stop shuts it down.
func startBenchNode(ctx context.Context, dir, sub, country string, participants []Participant) (*Node, func(), error) {
	s, err := suite.Generate(suite.Ed25519, nil)
	if err != nil {
		return nil, nil, err
	}
	k, err := identity.NewKeyDID(suite.Ed25519, s.Public())
	if err != nil {
		return nil, nil, err
	}
	cfg := DefaultConfig()
	cfg.Egress.AllowPrivate = true // both nodes on loopback
	cfg.DataDir, cfg.DID, cfg.Jurisdiction, cfg.Participants = dir+"/"+sub, k.DID, country, participants
	cfg.Listen = Listen{Public: "127.0.0.1:0", Management: "127.0.0.1:0"}
	cfg.Anomaly.Disabled = true
	n, err := Open(ctx, cfg, Deps{Logger: slog.New(slog.DiscardHandler), Signer: s})
	if err != nil {
		return nil, nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- n.Run(rctx) }()
	return n, func() { cancel(); <-done }, nil
}

// startBenchPair starts an NL consumer and a CN provider that knows it.
func startBenchPair(ctx context.Context, dir string) (cons, prov *Node, stop func(), err error) {
	cons, stopC, err := startBenchNode(ctx, dir, "consumer", "NL", nil)
	if err != nil {
		return nil, nil, nil, err
	}
	prov, stopP, err := startBenchNode(ctx, dir, "provider", "CN", []Participant{{DID: cons.cfg.DID, Country: "NL"}})
	if err != nil {
		stopC()
		return nil, nil, nil, err
	}
	return cons, prov, func() { stopP(); stopC() }, nil
}

// registerBenchCatalog registers n synthetic entries (internal/catalog's
// seeded generator: zh and en titles, descriptions, keywords, one offer
// each), all visible to any participant, in the provider's catalog.
func registerBenchCatalog(ctx context.Context, prov *Node, n int) error {
	es := catalog.SyntheticEntries(1, n)
	for _, e := range es {
		e.Governance.Owner, e.Governance.ClassificationLevel, e.Governance.DataGrade, e.Governance.AccessPolicy = prov.cfg.DID, catalog.LevelInternal, "", nil
	}
	for len(es) > 0 {
		k := min(len(es), 2000)
		if _, err := prov.stores.catalog.RegisterBatch(ctx, es[:k], catalog.RegisterOptions{}); err != nil {
			return err
		}
		es = es[k:]
	}
	return nil
}

// BenchCatalog runs two nodes on loopback (a CN provider whose catalog
// holds datasets synthetic entries with one offer each, an NL consumer)
// and measures the consumer reading the provider's whole catalog over the
// Dataspace Protocol — every page requested with a self-issued ID token,
// listed from the catalog store and filtered for the consumer, encoded,
// read and decoded strictly, merged — once cold (the provider has made no
// dataset yet) and rounds times warm. cpu, when not nil, reads the
// process's CPU time (both nodes run in it), for CPU time per catalog. It
// writes a report to out.
func BenchCatalog(ctx context.Context, dir string, datasets, rounds int, cpu func() time.Duration, out io.Writer) error {
	if cpu == nil {
		cpu = func() time.Duration { return 0 }
	}
	cons, prov, stop, err := startBenchPair(ctx, dir)
	if err != nil {
		return err
	}
	defer stop()
	if err := registerBenchCatalog(ctx, prov, datasets); err != nil {
		return err
	}
	fetch := func() (time.Duration, *dsp.Catalog, error) {
		t0 := time.Now()
		c, err := cons.DSP().FetchCatalog(ctx, prov.PublicURL, prov.cfg.DID, dsp.CatalogLimits{})
		return time.Since(t0), c, err
	}
	cold, c, err := fetch()
	if err != nil {
		return err
	}
	if len(c.Datasets) != datasets {
		return fmt.Errorf("the catalog has %d datasets, want %d", len(c.Datasets), datasets)
	}
	lat := make([]time.Duration, 0, rounds)
	cpu0 := cpu()
	for range rounds {
		l, _, err := fetch()
		if err != nil {
			return err
		}
		lat = append(lat, l)
	}
	cpuEach := (cpu() - cpu0) / time.Duration(max(1, rounds))
	slices.Sort(lat)
	enc, err := c.MarshalJSON()
	if err != nil {
		return err
	}
	pages := (datasets + dsp.DefaultCatalogPageSize - 1) / dsp.DefaultCatalogPageSize
	fmt.Fprintf(out, "a catalog of %d datasets (%d offers, %.1f MB, %d pages) read over DSP through the node stack\n", datasets, datasets, float64(len(enc))/1e6, pages)
	fmt.Fprintf(out, "cold (datasets made from the store): %.0f ms\n", float64(cold)/1e6)
	if len(lat) > 0 {
		fmt.Fprintf(out, "warm, %d rounds: p50 %.0f ms, min %.0f ms, max %.0f ms", len(lat), float64(lat[(len(lat)-1)/2])/1e6, float64(lat[0])/1e6, float64(lat[len(lat)-1])/1e6)
		if cpuEach > 0 {
			fmt.Fprintf(out, ", %.0f ms of CPU per catalog (both nodes)", float64(cpuEach)/1e6)
		}
		fmt.Fprintln(out)
	}
	return nil
}
