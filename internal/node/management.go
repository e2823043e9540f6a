package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/xborder/xborder/internal/audit"
)

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	authz    *prometheus.CounterVec
	alerts   *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xborder_http_requests_total", Help: "HTTP requests by listener, route and status class."},
			[]string{"listener", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "xborder_http_request_seconds", Help: "HTTP request latency by listener and route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"listener", "route"}),
		authz: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xborder_management_decisions_total", Help: "Management API authorization decisions."},
			[]string{"decision", "role"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xborder_anomaly_alerts_total", Help: "Anomaly alerts raised, by rule and severity."},
			[]string{"rule", "severity"}),
	}
	reg.MustRegister(m.requests, m.latency, m.authz, m.alerts)
	return m
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(c int) { w.code = c; w.ResponseWriter.WriteHeader(c) }

// instrument counts requests and their latency by route pattern (never by
// raw path, which would be unbounded).
func (n *Node) instrument(listener string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: 200}
		h.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		n.metrics.requests.WithLabelValues(listener, route, strconv.Itoa(sw.code/100)+"xx").Inc()
		n.metrics.latency.WithLabelValues(listener, route).Observe(time.Since(start).Seconds())
	})
}

// route is one management endpoint and the roles allowed to call it.
type route struct {
	method, path string
	roles        []Role
	summary      string
	object       audit.ObjectKind
	h            func(w http.ResponseWriter, r *http.Request, t Token)
}

func (n *Node) routes() []route {
	all := []Role{RoleAdmin, RoleCompliance, RoleOperations, RoleAuditor}
	return append([]route{
		{"GET", "/api/v1/node", all, "The node: name, DID, jurisdiction, suite, versions.", audit.KindAuditLog, n.getNode},
		{"GET", "/api/v1/audit/checkpoint", []Role{RoleAdmin, RoleAuditor, RoleCompliance}, "The latest signed checkpoint of the audit ledger.", audit.KindAuditLog, n.getCheckpoint},
		{"GET", "/api/v1/audit/entries", []Role{RoleAuditor, RoleCompliance}, "Query audit entries by actor, object, operation, result, class and time (paged with after).", audit.KindAuditLog, n.getEntries},
		{"GET", "/api/v1/audit/pack", []Role{RoleAuditor}, "An evidence pack (证据链) for one object, verifiable offline.", audit.KindAuditLog, n.getPack},
		{"GET", "/api/v1/tokens", []Role{RoleAdmin}, "Management tokens (names, roles, hashes).", audit.KindAuditLog, n.getTokens},
		{"GET", "/api/v1/datasets", []Role{RoleAdmin, RoleCompliance, RoleOperations}, "Search the node's catalog (q, to, sort, page, limit), with compliance hints.", audit.KindDataset, n.listDatasets},
		{"GET", "/api/v1/datasets/{id...}", []Role{RoleAdmin, RoleCompliance, RoleOperations}, "One catalog entry.", audit.KindDataset, n.getDataset},
		{"POST", "/api/v1/datasets", []Role{RoleOperations, RoleAdmin}, "Register a catalog entry (?replace=true for a new revision).", audit.KindDataset, n.putDataset},
		{"GET", "/api/v1/agreements", []Role{RoleAdmin, RoleCompliance, RoleOperations, RoleAuditor}, "Agreements (?state=active|pending|suspended|terminated).", audit.KindAgreement, n.listAgreements},
		{"GET", "/api/v1/agreements/{id...}", []Role{RoleAdmin, RoleCompliance, RoleOperations, RoleAuditor}, "One agreement with its event history.", audit.KindAgreement, n.getAgreement},
		{"POST", "/api/v1/approvals", []Role{RoleCompliance}, "Record a filing or approval (route, ref, issued, expires) for an exporter.", audit.KindAuditLog, n.postApproval},
		{"GET", "/api/v1/approvals", []Role{RoleCompliance, RoleAuditor}, "Filings and approvals on record for an exporter (?provider=DID).", audit.KindAuditLog, n.listApprovals},
		{"GET", "/api/v1/negotiations", []Role{RoleCompliance, RoleOperations, RoleAdmin}, "Unfinished negotiations (?parked=true: the approval queue).", audit.KindAgreement, n.listNegotiations},
		{"GET", "/api/v1/negotiations/{pid...}", []Role{RoleCompliance, RoleOperations, RoleAdmin, RoleAuditor}, "One negotiation (?role=provider|consumer) with its event history and the counterparty's reasons.", audit.KindAgreement, n.getNegotiation},
		{"POST", "/api/v1/negotiations/{pid...}", []Role{RoleCompliance}, "Decide a parked negotiation: {\"verdict\":\"accept\"} or {\"verdict\":\"reject\",\"code\",\"en\",\"zh\"}.", audit.KindAgreement, n.decideNegotiation},
		{"POST", "/api/v1/remote/catalog", []Role{RoleAdmin, RoleCompliance, RoleOperations}, "Another node's catalog over the Dataspace Protocol: {\"url\": its root or DSP base URL, \"participant\": its DID}; the DSP Catalog, every page.", audit.KindDataset, n.postRemoteCatalog},
		{"POST", "/api/v1/negotiations", []Role{RoleOperations, RoleAdmin}, "Negotiate as consumer: {\"provider\": DSP base URL, \"participant\": its DID, \"offer\": the catalog offer with its target}.", audit.KindAgreement, n.needsDSP(n.postNegotiation)},
		{"PUT", "/api/v1/sources/{id...}", []Role{RoleOperations, RoleAdmin}, "Upload a dataset's content (the body; ?format=csv|jsonl), stored by its SHA-256.", audit.KindDataset, n.needsDSP(n.putSource)},
		{"GET", "/api/v1/sources/{id...}", []Role{RoleOperations, RoleAdmin, RoleCompliance}, "A dataset's content record: digest, size, format, masking policy.", audit.KindDataset, n.needsDSP(n.getSource)},
		{"PUT", "/api/v1/masks/{id...}", []Role{RoleCompliance, RoleAdmin}, "Set a dataset's masking policy (internal/mask JSON), applied to every transfer.", audit.KindDataset, n.needsDSP(n.putMask)},
		{"POST", "/api/v1/transfers", []Role{RoleOperations, RoleAdmin}, "Transfer as consumer under a finalized agreement: {\"agreement\": ID, \"suite\": intl|gm}.", audit.KindTransfer, n.needsDSP(n.postTransfer)},
		{"GET", "/api/v1/transfers", []Role{RoleAdmin, RoleCompliance, RoleOperations, RoleAuditor}, "Transfers of both roles with their progress (?role=provider|consumer, ?agreement=ID: an agreement's metering).", audit.KindTransfer, n.needsDSP(n.listTransfers)},
		{"GET", "/api/v1/transfers/{pid...}", []Role{RoleAdmin, RoleCompliance, RoleOperations, RoleAuditor}, "One transfer with its protocol history (?role=).", audit.KindTransfer, n.needsDSP(n.getTransfer)},
	}, n.petRoutes()...)
}

// needsDSP answers 503 on a node without a key and DID (no control plane).
func (n *Node) needsDSP(h func(http.ResponseWriter, *http.Request, Token)) func(http.ResponseWriter, *http.Request, Token) {
	return func(w http.ResponseWriter, r *http.Request, t Token) {
		if n.needDSP(w) {
			h(w, r, t)
		}
	}
}

// managementHandler serves /api/v1 (token auth, roles), /openapi.json,
// /healthz, /readyz and /metrics.
func (n *Node) managementHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !n.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(n.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(n.openAPI())
	})
	for _, rt := range n.routes() {
		mux.Handle(rt.method+" "+rt.path, n.authorize(rt))
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "not_found", "no such endpoint; see /openapi.json")
	})
	return mux
}

// apiError writes the management API's error body.
func apiError(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": reason, "message": msg})
}

// authorize checks the bearer token and the route's roles, and records the
// decision in the audit ledger (allow and deny alike).
func (n *Node) authorize(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		presented, ok := strings.CutPrefix(auth, "Bearer ")
		var tok Token
		if ok {
			tok, ok = n.tokens.Lookup(strings.TrimSpace(presented))
		}
		switch {
		case !ok:
			n.metrics.authz.WithLabelValues("deny", "none").Inc()
			n.record(r.Context(), "did:web:anonymous.invalid", rt, audit.ResultDeny, "unauthenticated")
			w.Header().Set("WWW-Authenticate", `Bearer realm="xborder management"`)
			apiError(w, http.StatusUnauthorized, "unauthenticated", "a valid bearer token is required (xborder serve token add)")
			return
		case !slices.Contains(rt.roles, tok.Role):
			n.metrics.authz.WithLabelValues("deny", string(tok.Role)).Inc()
			n.record(r.Context(), tokenActor(tok), rt, audit.ResultDeny, "role_not_permitted")
			apiError(w, http.StatusForbidden, "role_not_permitted", fmt.Sprintf("role %s may not %s %s", tok.Role, rt.method, rt.path))
			return
		}
		n.metrics.authz.WithLabelValues("allow", string(tok.Role)).Inc()
		n.record(r.Context(), tokenActor(tok), rt, audit.ResultAllow, "role_"+string(tok.Role))
		rt.h(w, r, tok)
	})
}

// tokenActor is the audit actor for a token holder: a did:web under the
// node, named after the token (never the token itself).
func tokenActor(t Token) string {
	return "did:web:management.invalid:" + sanitizeOrigin(strings.ReplaceAll(t.Name, ":", "_"))
}

// record appends an access decision to the ledger; a failure is logged (the
// decision stands: the ledger must not become an availability dependency
// for reads, and a write failure is alarmed through the log and metrics).
func (n *Node) record(ctx context.Context, actor string, rt route, result audit.Result, reason string) {
	d := sha256.Sum256([]byte(rt.method + " " + rt.path))
	e := &audit.Event{Actor: actor, Time: time.Now().UTC(), Operation: audit.OpAccess,
		ObjectID: "urn:xborder:api:" + strings.TrimPrefix(rt.path, "/"), ObjectKind: rt.object, Result: result, Reason: reason,
		DetailsDigest: "sha256:" + hex.EncodeToString(d[:])}
	if _, err := n.ledger.Append(ctx, e); err != nil {
		n.log.Error("audit: recording a management decision failed", "error", err, "route", rt.path)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (n *Node) getNode(w http.ResponseWriter, r *http.Request, _ Token) {
	writeJSON(w, map[string]any{"name": n.cfg.Name, "did": n.cfg.DID, "jurisdiction": n.cfg.Jurisdiction, "suite": n.cfg.Suite,
		"api": "v1", "dsp": []string{"2025-1"}, "audit_origin": n.ledger.Origin(), "audit_key": n.ledger.VerifierKey()})
}

func (n *Node) getCheckpoint(w http.ResponseWriter, r *http.Request, _ Token) {
	cp, err := n.ledger.Checkpoint(r.Context())
	if err != nil {
		apiError(w, http.StatusServiceUnavailable, "no_checkpoint", "no checkpoint yet")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(cp)
}

func (n *Node) getEntries(w http.ResponseWriter, r *http.Request, _ Token) {
	v := r.URL.Query()
	q := audit.Query{Actor: v.Get("actor"), ObjectID: v.Get("object"), Operation: audit.Operation(v.Get("operation")),
		Result: audit.Result(v.Get("result")), Class: audit.Class(v.Get("class"))}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &q.From}, {"until", &q.To}} {
		if s := v.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				apiError(w, http.StatusBadRequest, "bad_parameter", p.name+": want RFC 3339")
				return
			}
			*p.dst = t
		}
	}
	if s := v.Get("after"); s != "" {
		a, err := strconv.ParseInt(s, 10, 64)
		if err != nil || a < 0 {
			apiError(w, http.StatusBadRequest, "bad_parameter", "after: want a non-negative entry index")
			return
		}
		q.After, q.AfterSet = a, true
	}
	if s := v.Get("limit"); s != "" {
		l, err := strconv.Atoi(s)
		if err != nil || l < 1 || l > 10_000 {
			apiError(w, http.StatusBadRequest, "bad_parameter", "limit: 1..10000")
			return
		}
		q.Limit = l
	}
	hits, err := n.ledger.Query(r.Context(), q)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "query_failed", "the audit query failed")
		n.log.Error("audit query", "error", err)
		return
	}
	if hits == nil {
		hits = []audit.Hit{}
	}
	if len(hits) > 0 && (q.Limit == 0 && len(hits) == 100 || q.Limit > 0 && len(hits) == q.Limit) {
		next := *r.URL
		nv := next.Query()
		nv.Set("after", strconv.FormatUint(hits[len(hits)-1].Index, 10))
		next.RawQuery = nv.Encode()
		w.Header().Set("Link", "<"+next.RequestURI()+`>; rel="next"`)
	}
	writeJSON(w, hits)
}

func (n *Node) getPack(w http.ResponseWriter, r *http.Request, _ Token) {
	obj := r.URL.Query().Get("object")
	if obj == "" || len(obj) > audit.MaxObjectIDLen {
		apiError(w, http.StatusBadRequest, "bad_parameter", "object: the identifier of a dataset, agreement, transfer or task")
		return
	}
	if err := n.ledger.Sync(r.Context()); err != nil {
		apiError(w, http.StatusServiceUnavailable, "not_synced", "the ledger could not publish a checkpoint")
		return
	}
	p, err := audit.BuildPack(r.Context(), filepath.Join(n.cfg.DataDir, "audit"), obj, audit.PackOptions{Witnesses: n.witnesses})
	if err != nil {
		apiError(w, http.StatusInternalServerError, "pack_failed", "the evidence pack could not be built")
		n.log.Error("audit pack", "error", err)
		return
	}
	if len(p.Entries) == 0 {
		apiError(w, http.StatusNotFound, "no_entries", "no audit entries about this object")
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="evidence-pack.json"`)
	writeJSON(w, p)
}

func (n *Node) getTokens(w http.ResponseWriter, r *http.Request, _ Token) {
	writeJSON(w, n.tokens.List())
}

// openAPI builds the OpenAPI 3.1 document of the management API from the
// routes, so the document cannot drift from what is served.
func (n *Node) openAPI() map[string]any {
	paths := map[string]any{}
	for _, rt := range n.routes() {
		roles := make([]string, len(rt.roles))
		for i, r := range rt.roles {
			roles[i] = string(r)
		}
		// OpenAPI path templates have no "..." wildcard suffix.
		path := strings.ReplaceAll(rt.path, "...}", "}")
		ops, _ := paths[path].(map[string]any)
		if ops == nil {
			ops = map[string]any{}
			paths[path] = ops
		}
		ops[strings.ToLower(rt.method)] = map[string]any{
			"summary":     rt.summary,
			"description": "Roles: " + strings.Join(roles, ", ") + ". Every call, allowed or denied, is recorded in the audit ledger.",
			"security":    []any{map[string]any{"bearer": []any{}}},
			"responses": map[string]any{
				"200": map[string]any{"description": "OK"},
				"401": map[string]any{"description": "No valid bearer token", "content": errorContent()},
				"403": map[string]any{"description": "The token's role may not call this endpoint", "content": errorContent()},
			},
		}
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "xborder management API", "version": "v1"},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas": map[string]any{"Error": map[string]any{"type": "object", "required": []string{"error", "message"},
				"properties": map[string]any{"error": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"}}}},
		},
	}
}

func errorContent() map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}
}
