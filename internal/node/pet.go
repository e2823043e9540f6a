package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/pet/channel"
	"github.com/xborder/xborder/internal/pet/dp"
	"github.com/xborder/xborder/internal/pet/task"
	"github.com/xborder/xborder/internal/suite"
)

// Privacy computing (issue 7): the task service of T/CCSA 540-2025
// (internal/pet/task) runs PSI and secure aggregation with the
// counterparties of this node's agreements. Peers reach it through the
// signed ECDHE channel on the public listener (petchannel.go); the
// node's operators through /api/v1/pet/{op} on the management API. Raw
// inputs stay in DATA_DIR/pet/uploads, encrypted at rest; only reviewed
// results leave.

// petPlane is the node's privacy-computing service.
type petPlane struct {
	ch     *petChannel
	svc    *task.Service
	ledger *dp.Ledger
}

// openPET opens the task service on the node's state database, with the
// privacy-budget ledger beside it.
func (n *Node) openPET(ctx context.Context, signer suite.Signer, kid string, hc *http.Client) (*petPlane, error) {
	s, err := suite.ByName(n.cfg.Suite)
	if err != nil {
		return nil, fmt.Errorf("node: pet: %w", err)
	}
	ledger, err := dp.OpenLedger(ctx, n.dspDB, dp.LedgerOptions{})
	if err != nil {
		return nil, fmt.Errorf("node: pet: %w", err)
	}
	pubs := map[string]task.Publisher{}
	for _, kid := range n.cfg.PET.Publishers {
		alg, pub, err := n.resolver.ResolveKey(ctx, kid)
		if err != nil {
			return nil, fmt.Errorf("node: pet: publisher %s: %w", kid, err)
		}
		did, _, _ := strings.Cut(kid, "#")
		pubs[did] = task.Publisher{Alg: alg, Key: pub}
	}
	p := &petPlane{ledger: ledger}
	// The channel answers peers through the service, which calls peers
	// through the channel: the handler looks the service up when called.
	p.ch, err = n.openPETChannel(signer, kid, hc, func(ctx context.Context, peer channel.Peer, op string, body []byte, _ *channel.Receipt) ([]byte, error) {
		out, err := p.svc.Handle(ctx, task.Caller{DID: peer.DID}, op, body)
		if err != nil {
			te := task.AsError(err)
			return nil, &channel.Error{Status: te.Status, Code: string(te.Code), Message: te.Message, MessageZH: te.MessageZH}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	p.svc, err = task.Open(ctx, task.Options{
		DB: n.dspDB, Self: n.cfg.DID, Agreements: petAgreements{n}, Peers: petPeers{p.ch},
		Audit: task.LogAuditor{Log: n.ledger}, Budget: ledger, Uploads: filepath.Join(n.cfg.DataDir, "pet", "uploads"),
		Publishers: pubs, Suite: s,
		Minimums: task.Minimums{MinGroup: n.cfg.PET.MinGroup, MinIntersection: n.cfg.PET.MinIntersection,
			RequireDP: n.cfg.PET.RequireDP, NoKeys: n.cfg.PET.NoKeys},
		MaxUpload:  n.cfg.PET.MaxUploadMB << 20,
		KeepInputs: n.cfg.PET.KeepInputs,
		Logger:     n.log.With(slog.String("component", "pet")),
	})
	if err != nil {
		p.ch.close(ctx)
		return nil, fmt.Errorf("node: pet: %w", err)
	}
	return p, nil
}

func (p *petPlane) close(ctx context.Context) {
	p.ch.close(ctx)
	p.svc.Close()
}

// petAgreements gives the task service the node's DSP agreements.
type petAgreements struct{ n *Node }

func (a petAgreements) Agreement(ctx context.Context, id string) (*task.Agreement, error) {
	neg, err := a.n.negotiationOf(ctx, id)
	if errors.Is(err, dsp.ErrNotFound) {
		return nil, task.ErrNoAgreement
	}
	if err != nil {
		return nil, err
	}
	ag := &task.Agreement{ID: id, Target: neg.Target, Policy: neg.Agreement, Purpose: offerPurpose(neg.Agreement),
		Finalized: neg.State == dsp.Finalized}
	if neg.Role == dsp.Provider {
		ag.Provider, ag.Consumer = a.n.cfg.DID, neg.Counterparty
	} else {
		ag.Provider, ag.Consumer = neg.Counterparty, a.n.cfg.DID
	}
	return ag, nil
}

// petPeers calls peers' task services over the channel; a peer's refusal
// comes back as the task error it sent.
type petPeers struct{ ch *petChannel }

func (p petPeers) Call(ctx context.Context, did, binding, op string, body []byte) ([]byte, error) {
	out, err := p.ch.Call(ctx, did, binding, op, body)
	var ce *channel.Error
	if errors.As(err, &ce) {
		return nil, &task.Error{Status: ce.Status, Code: task.Code(ce.Code), Message: ce.Message, MessageZH: ce.MessageZH, Peer: did}
	}
	return out, err
}

// petOps are the twelve interfaces of T/CCSA 540-2025 on the management
// API, with the roles that may call each.
var petOps = []struct {
	op      string
	roles   []Role
	summary string
}{
	{task.OpTaskCreate, []Role{RoleOperations, RoleAdmin}, "taskCreate: create a privacy-computing task under an agreement (Spec); every party's node checks it."},
	{task.OpTaskQuery, []Role{RoleOperations, RoleAdmin, RoleCompliance, RoleAuditor}, "taskQuery: a task's state, progress and events ({\"task_id\"})."},
	{task.OpTaskCancel, []Role{RoleOperations, RoleAdmin, RoleCompliance}, "taskCancel: cancel a task; the other parties are told ({\"task_id\",\"reason\"})."},
	{task.OpDataUpload, []Role{RoleOperations, RoleAdmin}, "dataUpload: this node's input, CSV in base64 ({\"task_id\"|\"dataset\",\"data\"}); encrypted at rest, never sent."},
	{task.OpDataAuthorize, []Role{RoleCompliance, RoleAdmin, RoleOperations}, "dataAuthorize: authorize an upload for a task under the agreement's ODRL policy ({\"task_id\",\"upload\",\"columns\"})."},
	{task.OpAlgorithmRegister, []Role{RoleAdmin}, "algorithmRegister: register a signed algorithm manifest from a trusted publisher ({\"manifest\": JWS})."},
	{task.OpAlgorithmInvoke, []Role{RoleOperations, RoleAdmin}, "algorithmInvoke: run an authorized task with its peers ({\"task_id\"})."},
	{task.OpResultQuery, []Role{RoleOperations, RoleAdmin, RoleCompliance, RoleAuditor}, "resultQuery: the result's state and its review decision ({\"task_id\"})."},
	{task.OpResultDownload, []Role{RoleOperations, RoleAdmin}, "resultDownload: the reviewed result, for an output party ({\"task_id\"}); audited."},
	{task.OpAuditLog, []Role{RoleAuditor, RoleCompliance, RoleAdmin}, "auditLog: the audit entries of a task with the ledger's checkpoint ({\"task_id\"})."},
	{task.OpComplianceCheck, []Role{RoleCompliance, RoleOperations, RoleAdmin, RoleAuditor}, "complianceCheck: the named checks of a task or a proposed one ({\"task_id\"} or {\"task\": Spec})."},
	{task.OpPerformanceMetric, []Role{RoleOperations, RoleAdmin, RoleAuditor}, "performanceMetric: a task's phase timings, traffic and rates, and node counters ({\"task_id\"})."},
}

// petRoutes are the management routes of privacy computing.
func (n *Node) petRoutes() []route {
	var rs []route
	for _, o := range petOps {
		op := o.op
		rs = append(rs, route{"POST", "/api/v1/pet/" + op, o.roles, o.summary, audit.KindTask, n.needsPET(func(w http.ResponseWriter, r *http.Request, t Token) {
			n.petOp(w, r, t, op)
		})})
	}
	rs = append(rs, route{"GET", "/api/v1/pet/tasks", []Role{RoleOperations, RoleAdmin, RoleCompliance, RoleAuditor},
		"This node's tasks, newest first (?state=created|authorized|running|succeeded|failed|cancelled, ?limit=1..1000); mine_authorized=false on a created task: it waits for this node's input.",
		audit.KindTask, n.needsPET(n.listPETTasks)})
	rs = append(rs, route{"GET", "/api/v1/pet/algorithms", []Role{RoleOperations, RoleAdmin, RoleCompliance, RoleAuditor},
		"The algorithms this node can run (built-in and registered).", audit.KindTask, n.needsPET(func(w http.ResponseWriter, r *http.Request, _ Token) {
			writeJSON(w, n.pet.svc.Algorithms())
		})})
	return rs
}

func (n *Node) needsPET(h func(http.ResponseWriter, *http.Request, Token)) func(http.ResponseWriter, *http.Request, Token) {
	return func(w http.ResponseWriter, r *http.Request, t Token) {
		if n.needDSP(w) {
			h(w, r, t)
		}
	}
}

// petOp passes the body to the task service as the node's operator.
func (n *Node) petOp(w http.ResponseWriter, r *http.Request, t Token, op string) {
	limit := int64(1 << 20)
	if op == task.OpDataUpload {
		mb := n.cfg.PET.MaxUploadMB
		if mb == 0 {
			mb = 64 // the task service's default
		}
		limit = mb<<20/3*4 + 4096 // base64 in JSON
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		apiError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body exceeds %d bytes", limit))
		return
	}
	out, err := n.pet.svc.Handle(r.Context(), task.Caller{Local: true, Actor: tokenActor(t)}, op, body)
	if err != nil {
		te := task.AsError(err)
		if te.Status >= 500 {
			n.log.Error("pet: "+op, "error", err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(te.Status)
		json.NewEncoder(w).Encode(map[string]string{"error": string(te.Code), "message": te.Message, "message_zh": te.MessageZH, "peer": te.Peer, "task": te.Task})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

func (n *Node) listPETTasks(w http.ResponseWriter, r *http.Request, _ Token) {
	q := r.URL.Query()
	state := q.Get("state")
	switch state {
	case "", task.StateCreated, task.StateAuthorized, task.StateRunning, task.StateSucceeded, task.StateFailed, task.StateCancelled:
	default:
		apiError(w, http.StatusBadRequest, "bad_parameter", "state: created, authorized, running, succeeded, failed or cancelled")
		return
	}
	limit := 100
	if s := q.Get("limit"); s != "" {
		l, err := strconv.Atoi(s)
		if err != nil || l < 1 || l > task.MaxList {
			apiError(w, http.StatusBadRequest, "bad_parameter", fmt.Sprintf("limit: 1..%d", task.MaxList))
			return
		}
		limit = l
	}
	ts, err := n.pet.svc.Tasks(r.Context(), state, limit)
	if err != nil {
		n.log.Error("pet: listing tasks", "error", err)
		apiError(w, http.StatusInternalServerError, "internal", "listing the tasks failed")
		return
	}
	writeJSON(w, ts)
}
