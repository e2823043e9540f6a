// Package node is the connector process behind `xborder serve`: one data
// directory, two listeners, graceful shutdown.
//
// The public listener serves what other parties need: the node's DID
// document, /.well-known/dspace-version, the audit ledger's read API
// (C2SP tlog-tiles and proofs under /audit/), and a witness for partners'
// logs when configured. The management listener (loopback by default) serves
// the versioned management API (/api/v1, token authentication, the roles
// of seed §2.5.1.2: admin, compliance, operations, auditor), its OpenAPI
// document (/openapi.json), health (/healthz), readiness (/readyz) and
// Prometheus metrics (/metrics). Every management decision, allow or deny,
// is recorded in the audit ledger.
//
// The Dataspace Protocol endpoints, the compliance gate and the data plane
// are mounted on the public listener as they land (issue 6).
package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/xborder/xborder/internal/anomaly"
	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/dcp"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/witness"
)

// Node is a running connector.
type Node struct {
	cfg      Config
	log      *slog.Logger
	ledger   *audit.Log
	tokens   *Tokens
	reg      *prometheus.Registry
	metrics  *metrics
	ready    atomic.Bool
	webhook  *anomaly.Webhook
	stores   *stores
	resolver *identity.Resolver
	dsp      *dsp.Node
	dspDB    *sql.DB
	dspStore dsp.Store
	data     *dataPlane
	creds    *credentials
	// pet is privacy computing (pet.go; nil without DSP).
	pet *petPlane
	// witnesses is the ledger's witness policy (nil: none), see witnesses.go.
	witnesses *witness.Policy
	// auditFeed appends the DSP steps to the ledger (nil without DSP).
	auditFeed *auditFollower

	// Certificate is the node's DID-bound TLS certificate (with tls on).
	Certificate tls.Certificate

	public, mgmt       *http.Server
	publicLn, mgmtLn   net.Listener
	PublicURL, MgmtURL string
}

// Deps are what the node gets from outside its configuration.
type Deps struct {
	Logger *slog.Logger
	// Signer is the node's key (from the encrypted key store or a PEM file).
	// With a did:web DID, the public listener serves the DID document with
	// this key and the node's DataService endpoint. Nil serves no document.
	Signer suite.Signer
	// Transport, when set, carries the node's outgoing requests (protocol
	// messages, presentation queries, pulls) without DID-bound TLS: an
	// egress proxy, or a test's interposer.
	Transport http.RoundTripper
}

// Open prepares a node from a validated configuration: the data directory,
// the audit ledger (DATA_DIR/audit) and the management tokens. Listeners
// are bound here (so the caller learns the addresses) and served by Run.
func Open(ctx context.Context, cfg Config, deps Deps) (*Node, error) {
	logger := deps.Logger
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("node: data directory: %w", err)
	}
	// did:web resolution fetches from hosts that DIDs name: its client gets
	// the egress guard once the listeners are bound (below).
	resolverClient := &http.Client{Timeout: 10 * time.Second}
	n := &Node{cfg: cfg, log: logger, reg: prometheus.NewRegistry(),
		// One resolver (with its caches) for every DID the node resolves:
		// signers of agreements, TLS peers, token issuers.
		resolver: identity.NewResolver(identity.ResolverOptions{HTTPClient: resolverClient, Timeout: 10 * time.Second})}
	n.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	n.metrics = newMetrics(n.reg)
	var err error
	if n.tokens, err = OpenTokens(filepath.Join(cfg.DataDir, "tokens.json")); err != nil {
		return nil, err
	}
	origin := "xborder.audit"
	if cfg.DID != "" {
		origin = cfg.DID
	}
	aopts := audit.Options{Origin: auditOrigin(origin), Logger: logger}
	if !cfg.Anomaly.Disabled {
		if aopts.Follow, err = n.anomalyFollower(cfg.Anomaly); err != nil {
			return nil, err
		}
	}
	if aopts.Witnesses, err = loadWitnessPolicy(filepath.Join(cfg.DataDir, "audit")); err != nil {
		return nil, err
	}
	n.witnesses = aopts.Witnesses
	if n.ledger, err = audit.Open(filepath.Join(cfg.DataDir, "audit"), aopts); err != nil {
		return nil, fmt.Errorf("node: audit ledger: %w", err)
	}
	if n.stores, err = openStores(ctx, cfg, n); err != nil {
		n.ledger.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	closeOnErr := func() { n.ledger.Close(context.WithoutCancel(ctx)); n.stores.close() }
	if n.publicLn, err = net.Listen("tcp", cfg.Listen.Public); err != nil {
		closeOnErr()
		return nil, fmt.Errorf("node: public listener: %w", err)
	}
	if n.mgmtLn, err = net.Listen("tcp", cfg.Listen.Management); err != nil {
		n.publicLn.Close()
		closeOnErr()
		return nil, fmt.Errorf("node: management listener: %w", err)
	}
	n.PublicURL = "http://" + n.publicLn.Addr().String()
	if cfg.TLS {
		if deps.Signer == nil {
			n.publicLn.Close()
			n.mgmtLn.Close()
			closeOnErr()
			return nil, errors.New("node: tls needs the node's key")
		}
		cert, err := DIDCertificate(deps.Signer, cfg.DID, time.Now(), 90*24*time.Hour)
		if err != nil {
			n.publicLn.Close()
			n.mgmtLn.Close()
			closeOnErr()
			return nil, err
		}
		n.publicLn = tls.NewListener(n.publicLn, ServerTLS(cert, &DIDVerifier{Resolve: n.resolver.Resolve}))
		n.PublicURL = "https://" + n.publicLn.Addr().String()
		n.Certificate = cert
	}
	n.MgmtURL = "http://" + n.mgmtLn.Addr().String()
	// Outgoing calls go through the egress guard (egress.go).
	base := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.TLS {
		// Peers present DID-bound certificates; ours goes with every call.
		base.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{n.Certificate},
			InsecureSkipVerify: true, // no CA: the certificate must be bound to a DID instead
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
				_, err := (&DIDVerifier{Resolve: n.resolver.Resolve}).Verify(context.Background(), raw)
				return err
			}}
	}
	guard := newEgressGuard(cfg.Egress, n.mgmtLn.Addr())
	resolverClient.Transport = guard.transport(http.DefaultTransport.(*http.Transport))
	var rt http.RoundTripper = guard.transport(base)
	if deps.Transport != nil {
		rt = deps.Transport
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: rt}
	if err := n.openDSP(ctx, deps.Signer, n.PublicURL, hc); err != nil {
		n.publicLn.Close()
		n.mgmtLn.Close()
		closeOnErr()
		return nil, err
	}
	pub, err := n.publicHandler(deps.Signer)
	if err != nil {
		n.publicLn.Close()
		n.mgmtLn.Close()
		closeOnErr()
		return nil, err
	}
	n.public = &http.Server{Handler: n.instrument("public", pub), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	n.mgmt = &http.Server{Handler: n.instrument("management", n.managementHandler()), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	return n, nil
}

// auditOrigin turns a DID into a checkpoint origin (a key name: no spaces
// or '+'), e.g. did:web:hospital.example.cn → hospital.example.cn/audit.
func auditOrigin(did string) string {
	if rest, ok := strings.CutPrefix(did, "did:web:"); ok {
		return sanitizeOrigin(rest) + "/audit"
	}
	return sanitizeOrigin(did)
}

func sanitizeOrigin(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c <= ' ' || c == '+' || c >= 0x7f {
			b[i] = '_'
		}
	}
	return string(b)
}

// Ledger returns the node's audit ledger.
func (n *Node) Ledger() *audit.Log { return n.ledger }

// Tokens returns the node's management tokens.
func (n *Node) Tokens() *Tokens { return n.tokens }

// Run serves until ctx is done, then shuts down gracefully within the
// configured timeout: listeners stop accepting, in-flight requests finish,
// the ledger publishes a final checkpoint and closes.
func (n *Node) Run(ctx context.Context) error {
	errc := make(chan error, 2)
	go func() { errc <- n.public.Serve(n.publicLn) }()
	go func() { errc <- n.mgmt.Serve(n.mgmtLn) }()
	if n.dsp != nil {
		n.auditFeed.run()
		if err := n.dsp.Resume(ctx); err != nil {
			n.log.Error("dsp: resuming processes", "error", err)
		}
		n.data.endOrphans(ctx)
	}
	n.ready.Store(true)
	n.log.Info("xborder node serving", "name", n.cfg.Name, "did", n.cfg.DID, "public", n.PublicURL, "management", n.MgmtURL)
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	}
	n.ready.Store(false)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.cfg.ShutdownTimeout)
	defer cancel()
	n.log.Info("xborder node shutting down")
	if serr := n.public.Shutdown(sctx); serr != nil && err == nil {
		err = serr
	}
	if serr := n.mgmt.Shutdown(sctx); serr != nil && err == nil {
		err = serr
	}
	if n.dsp != nil {
		n.pet.close(sctx)
		n.data.close()
		if derr := n.dsp.Close(sctx); derr != nil && err == nil {
			err = derr
		}
		// The steps stored so far go to the ledger before it closes.
		if ferr := n.auditFeed.Close(sctx); ferr != nil && err == nil {
			err = ferr
		}
		n.dspDB.Close()
	}
	if cerr := n.ledger.Close(sctx); cerr != nil && err == nil {
		err = cerr
	}
	n.stores.close()
	if n.webhook != nil {
		if werr := n.webhook.Close(sctx); werr != nil {
			n.log.Warn("anomaly webhooks: closing", "error", werr)
		}
	}
	return err
}

// anomalyFollower runs the anomaly rules over the ledger: the history is
// replayed when the node starts (alerts already recorded are not raised
// again), then every new entry is observed. Alerts go back into the ledger
// and to the configured webhooks.
func (n *Node) anomalyFollower(c AnomalyConfig) (func(context.Context, uint64, *audit.Event, bool), error) {
	cfg := anomaly.DefaultConfig()
	if c.Config != "" {
		b, err := os.ReadFile(c.Config)
		if err != nil {
			return nil, fmt.Errorf("node: anomaly config: %w", err)
		}
		if cfg, err = anomaly.ParseConfig(b); err != nil {
			return nil, fmt.Errorf("node: anomaly config %s: %w", c.Config, err)
		}
	}
	sinks := []anomaly.Sink{anomaly.NewLedgerSink(ledgerAppender{n}), anomaly.SinkFunc(func(_ context.Context, a anomaly.Alert) error {
		n.metrics.alerts.WithLabelValues(string(a.Rule), string(a.Severity)).Inc()
		n.log.Warn("anomaly alert", "rule", a.Rule, "severity", a.Severity, "actor", a.Actor, "finding", a.Finding, "id", a.ID)
		return nil
	})}
	if len(cfg.Webhooks.URLs) > 0 {
		w, err := anomaly.NewWebhook(cfg.Webhooks, anomaly.WebhookOptions{Logger: n.log})
		if err != nil {
			return nil, fmt.Errorf("node: anomaly webhooks: %w", err)
		}
		n.webhook = w
		sinks = append(sinks, w)
	}
	eng, err := anomaly.NewEngine(cfg, time.Now, nil, anomaly.Tee(sinks...), n.log)
	if err != nil {
		return nil, fmt.Errorf("node: anomaly rules: %w", err)
	}
	return func(ctx context.Context, idx uint64, e *audit.Event, replay bool) {
		if e == nil {
			return // pruned: nothing to evaluate
		}
		var err error
		if replay {
			err = eng.Replay(ctx, idx, e)
		} else {
			_, err = eng.Observe(ctx, idx, e)
		}
		if err != nil && ctx.Err() == nil {
			n.log.Warn("anomaly rules", "entry", idx, "error", err)
		}
	}, nil
}

// ledgerAppender adapts the node's ledger to the anomaly sink.
type ledgerAppender struct{ n *Node }

func (a ledgerAppender) Append(ctx context.Context, e *audit.Event) (uint64, error) {
	x, err := a.n.ledger.Append(ctx, e)
	return x.Index, err
}

// didDocument builds the node's did:web document: its key for
// authentication and assertions, and the DSP DataService endpoint.
func (n *Node) didDocument(signer suite.Signer) (*identity.Document, string, error) {
	rest := strings.TrimPrefix(n.cfg.DID, "did:web:")
	if strings.Contains(rest, ":") {
		return nil, "", fmt.Errorf("node: did %s: the node's DID is a host DID (did:web:HOST)", n.cfg.DID)
	}
	host := strings.ReplaceAll(rest, "%3A", ":")
	doc, err := identity.NewDocument(n.cfg.DID)
	if err != nil {
		return nil, "", fmt.Errorf("node: DID document: %w", err)
	}
	vm, err := identity.NewMultikeyMethod(n.cfg.DID+"#key-1", n.cfg.DID, signer.Alg(), signer.Public())
	if err != nil {
		return nil, "", fmt.Errorf("node: DID document: %w", err)
	}
	if err := doc.AddVerificationMethod(*vm, identity.Authentication, identity.AssertionMethod); err != nil {
		return nil, "", fmt.Errorf("node: DID document: %w", err)
	}
	if err := doc.AddDataService(n.cfg.DID+"#dsp", "https://"+host+"/.well-known/dspace-version"); err != nil {
		return nil, "", fmt.Errorf("node: DID document: %w", err)
	}
	if err := doc.AddService(identity.Service{ID: n.cfg.DID + "#dcp", Type: identity.StringSet{dcp.ServiceType},
		ServiceEndpoint: identity.ServiceEndpoint{URI: "https://" + host + dcpPath}}); err != nil {
		return nil, "", fmt.Errorf("node: DID document: %w", err)
	}
	return doc, host, nil
}

// publicHandler serves the endpoints other parties use.
func (n *Node) publicHandler(signer suite.Signer) (http.Handler, error) {
	mux := http.NewServeMux()
	if signer != nil && strings.HasPrefix(n.cfg.DID, "did:web:") {
		doc, host, err := n.didDocument(signer)
		if err != nil {
			return nil, err
		}
		docs := &identity.Documents{}
		if err := docs.Put(doc); err != nil {
			return nil, fmt.Errorf("node: DID document: %w", err)
		}
		h := &identity.Handler{Host: host, Source: docs, MaxAge: 5 * time.Minute}
		mux.Handle("GET /.well-known/did.json", h)
	}
	ah, err := audit.Handler(filepath.Join(n.cfg.DataDir, "audit"))
	if err != nil {
		return nil, err
	}
	mux.Handle("/audit/", http.StripPrefix("/audit", ah))
	if n.dsp != nil {
		dh, err := n.keepReasons(n.dsp.Handler())
		if err != nil {
			return nil, err
		}
		mux.Handle(dspPath+"/", http.StripPrefix(dspPath, dh))
		mux.Handle(transferPath+"/", http.StripPrefix(transferPath, n.data.provider.Handler()))
		mux.Handle(dcpPath+"/", http.StripPrefix(dcpPath, n.creds.holder.Handler()))
		mux.Handle(petPath+"/", http.StripPrefix(petPath, n.pet.ch.server))
	}
	mux.HandleFunc("GET /.well-known/dspace-version", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// Unversioned and unauthenticated (DSP 2025-1 common protocol).
		fmt.Fprint(w, `{"protocolVersions":[{"version":"2025-1","path":"/dsp/2025-1","binding":"HTTPS"}]}`)
	})
	return mux, nil
}
