package task

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/odrl"
	"github.com/xborder/xborder/internal/pet/dp"
	"github.com/xborder/xborder/internal/pet/psi"
	"github.com/xborder/xborder/internal/pet/secagg"
)

// NotInitiator refuses a call only the task's initiator may make.
const NotInitiator Code = "not_initiator"

func init() {
	messages[NotInitiator] = text{403, "only the task's initiator may do this", "仅任务发起方可执行此操作"}
}

// Service is the task API of one node. Its methods are safe for
// concurrent use.
type Service struct {
	opts Options
	db   *sql.DB
	self string
	log  *slog.Logger
	now  func() time.Time
	bg   context.Context // runs live under it; Close cancels it
	stop context.CancelFunc
	wg   sync.WaitGroup
	mu   sync.Mutex
	algs map[string]*algorithm
	runs map[string]*run
	// changed is closed (and replaced) whenever a task gains an event,
	// waking taskQuery calls that wait for one.
	changed chan struct{}
	stats   struct {
		refusals, bytesSent, bytesRecv, msgsSent, msgsRecv atomic.Int64
	}
}

// Open migrates the task tables, loads the registered algorithms, ends
// the tasks a previous process left running (failed, reason interrupted)
// and returns the service. Close stops its runs.
func Open(ctx context.Context, o Options) (*Service, error) {
	switch {
	case o.DB == nil:
		return nil, errors.New("task: no database")
	case !strings.HasPrefix(o.Self, "did:"):
		return nil, errors.New("task: Self must be the node's DID")
	case o.Agreements == nil || o.Peers == nil || o.Audit == nil:
		return nil, errors.New("task: Agreements, Peers and Audit are required")
	case o.Uploads == "":
		return nil, errors.New("task: no upload directory")
	}
	if o.MaxUpload <= 0 {
		o.MaxUpload = 64 << 20
	}
	if o.MaxRows <= 0 {
		o.MaxRows = 1 << 22
	}
	if o.RunTimeout <= 0 {
		o.RunTimeout = time.Hour
	}
	if o.InboxDepth <= 0 {
		o.InboxDepth = 256
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if err := os.MkdirAll(o.Uploads, 0o700); err != nil {
		return nil, fmt.Errorf("task: creating the upload directory: %w", err)
	}
	if err := migrateDB(ctx, o.DB); err != nil {
		return nil, fmt.Errorf("task: %w", err)
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	s := &Service{opts: o, db: o.DB, self: o.Self, log: o.Logger.With("component", "pet/task"), now: o.Now,
		bg: bg, stop: stop, algs: builtins(), runs: map[string]*run{}}
	if err := s.loadAlgorithms(ctx); err != nil {
		stop()
		return nil, fmt.Errorf("task: %w", err)
	}
	if err := s.interrupt(ctx); err != nil {
		stop()
		return nil, fmt.Errorf("task: %w", err)
	}
	return s, nil
}

// Close cancels the runs and waits for them; their tasks stay running in
// the database and end interrupted at the next Open.
func (s *Service) Close() {
	s.mu.Lock()
	s.stop()
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Service) loadAlgorithms(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT jws FROM task_algorithms`)
	if err != nil {
		return fmt.Errorf("loading the algorithms: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tok string
		if err := rows.Scan(&tok); err != nil {
			return fmt.Errorf("loading the algorithms: %w", err)
		}
		a, e := verifyManifest(ctx, tok, s.opts.Publishers)
		if e != nil {
			// A publisher no longer trusted: the algorithm is not loaded.
			s.log.WarnContext(ctx, "a registered algorithm no longer verifies and is not loaded", "code", e.Code)
			continue
		}
		s.algs[a.ID] = a
	}
	return rows.Err()
}

func (s *Service) algorithm(id string) *algorithm {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.algs[id]
}

// ---- audit ----

// call is one audited call.
type call struct {
	s       *Service
	c       Caller
	op      string
	obj     string
	kind    audit.ObjectKind
	oper    audit.Operation
	audited bool
}

func (s *Service) begin(c Caller, op, obj string) *call {
	return &call{s: s, c: c, op: op, obj: obj, kind: audit.KindTask, oper: audit.OpCompute}
}

func (k *call) actor() string {
	if k.c.Local {
		if strings.HasPrefix(k.c.Actor, "did:") {
			return k.c.Actor
		}
		return k.s.self
	}
	return k.c.DID
}

func (k *call) object() string {
	o := k.obj
	if o == "" || len(o) > 256 || strings.ContainsFunc(o, func(r rune) bool { return r <= 0x20 || r >= 0x7f }) || !strings.Contains(o, ":") {
		return "urn:xborder:task:unknown"
	}
	return o
}

func (k *call) append(ctx context.Context, res audit.Result, code string, details any) error {
	k.audited = true
	b, _ := json.Marshal(struct {
		Op      string `json:"op"`
		Caller  string `json:"caller"`
		Local   bool   `json:"local"`
		Code    string `json:"code"`
		Details any    `json:"details,omitempty"`
	}{k.op, k.c.DID, k.c.Local, code, details})
	sum := sha256.Sum256(b)
	actor := k.actor()
	if !strings.HasPrefix(actor, "did:") {
		actor = "did:unknown:caller"
	}
	return k.s.opts.Audit.Append(ctx, &audit.Event{Actor: actor, Time: k.s.now().UTC(), Operation: k.oper, ObjectID: k.object(), ObjectKind: k.kind,
		Result: res, Reason: code, DetailsDigest: "sha256:" + hex.EncodeToString(sum[:])})
}

// allow records the call as allowed before it changes anything; a failed
// append refuses the call.
func (k *call) allow(ctx context.Context, code string, details any) *Error {
	if err := k.append(ctx, audit.ResultAllow, code, details); err != nil {
		e := refuse(AuditUnavailable, "")
		e.cause = err
		return e
	}
	return nil
}

// finish audits a refusal (or a read-only call not audited yet) when the
// call returns; *errp is the call's error.
func (k *call) finish(ctx context.Context, errp *error) {
	if *errp == nil {
		if !k.audited {
			if e := k.allow(ctx, "allowed", nil); e != nil {
				*errp = e
			}
		}
		return
	}
	e := AsError(*errp)
	*errp = e
	k.s.stats.refusals.Add(1)
	if e.Code == Internal {
		k.s.log.ErrorContext(ctx, "task call failed", "op", k.op, "task", k.obj, "error", e.cause)
	}
	if k.audited && e.Code != AuditUnavailable {
		// Allowed, then failed: record the failure as well.
		_ = k.append(ctx, audit.ResultFailure, string(e.Code), nil)
		return
	}
	if k.audited {
		return
	}
	if err := k.append(ctx, audit.ResultDeny, string(e.Code), nil); err != nil {
		k.s.log.ErrorContext(ctx, "auditing a refusal failed", "op", k.op, "code", e.Code, "error", err)
	}
}

// ---- checks ----

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return "urn:uuid:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func validID(id string) bool {
	return len(id) == 45 && strings.HasPrefix(id, "urn:uuid:") && !strings.ContainsFunc(id[9:], func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r == '-')
	})
}

func (sp *Spec) party(did string) (int, *Party) {
	for i := range sp.Parties {
		if sp.Parties[i].DID == did {
			return i, &sp.Parties[i]
		}
	}
	return -1, nil
}

func (sp *Spec) agreementOf(p *Party) string {
	if p.Agreement != "" {
		return p.Agreement
	}
	return sp.Agreement
}

// dpParams parses the review policy's ρ or ε.
func (r ReviewPolicy) dpParams() (rho, eps *big.Rat, err error) {
	parse := func(s string) (*big.Rat, error) {
		v, ok := new(big.Rat).SetString(s)
		if !ok || v.Sign() <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", s)
		}
		return v, nil
	}
	if r.Rho != "" && r.Epsilon != "" {
		return nil, nil, errors.New("give rho or epsilon, not both")
	}
	if r.Rho != "" {
		rho, err = parse(r.Rho)
	}
	if r.Epsilon != "" {
		eps, err = parse(r.Epsilon)
	}
	return rho, eps, err
}

func (r ReviewPolicy) dp() bool { return r.Rho != "" || r.Epsilon != "" }

// minGroup is the secagg suppression threshold of the policy.
func (r ReviewPolicy) minGroup() int64 {
	if r.MinGroup <= 0 {
		return secagg.DefaultMinGroup
	}
	return r.MinGroup
}

// validate checks the spec's shape against the algorithm.
func (sp *Spec) validate(a *algorithm) *Error {
	bad := func(f string, args ...any) *Error { return refuse(BadRequest, f, args...) }
	if len(sp.Parties) < 2 || len(sp.Parties) > secagg.MaxParties {
		return bad("a task has 2 to %d parties", secagg.MaxParties)
	}
	seen := map[string]bool{}
	roles := map[string]int{}
	for _, p := range sp.Parties {
		if !strings.HasPrefix(p.DID, "did:") || seen[p.DID] {
			return bad("party %q: a DID, once", p.DID)
		}
		seen[p.DID] = true
		roles[p.Role]++
	}
	if len(sp.Fields) == 0 || len(sp.Fields) > 64 {
		return bad("fields lists the 1 to 64 columns the computation may use")
	}
	if len(sp.Output) == 0 {
		return bad("output names at least one party")
	}
	for _, o := range sp.Output {
		if !seen[o] {
			return bad("output %q is not a party", o)
		}
	}
	if len(sp.Purpose) > 256 || len(sp.Agreement) == 0 || len(sp.Agreement) > 512 {
		return bad("agreement and purpose")
	}
	if _, _, err := sp.Review.dpParams(); err != nil {
		return bad("review: %v", err)
	}
	if sp.Review.MinGroup < 0 || sp.Review.MinIntersection < 0 {
		return bad("review: negative minimum")
	}
	if a == nil {
		return nil
	}
	for _, p := range setParams(sp.Params) {
		if !slices.Contains(a.Params, p) {
			return bad("the algorithm %s takes no parameter %q", a.ID, p)
		}
	}
	if a.Kind == "psi" {
		if len(sp.Parties) != 2 || roles["a"] != 1 || roles["b"] != 1 {
			return bad("PSI has two parties, roles a and b")
		}
		if _, err := psi.ParseGroup(cmp(sp.Params.Group, "ristretto255")); err != nil {
			return bad("group: %v", err)
		}
		if sp.Params.ValueBound < 0 || sp.Params.ValueBound > 1<<32 {
			return bad("value_bound")
		}
		_, pa := sp.partyByRole("a")
		if !slices.Contains(sp.Output, pa.DID) {
			return bad("PSI's output includes party a, the party that learns")
		}
		return nil
	}
	if roles["party"] != len(sp.Parties) {
		return bad("aggregation parties have role party")
	}
	if _, err := sp.secaggConfig(a); err != nil {
		return bad("%v", err)
	}
	return nil
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (sp *Spec) partyByRole(role string) (int, *Party) {
	for i := range sp.Parties {
		if sp.Parties[i].Role == role {
			return i, &sp.Parties[i]
		}
	}
	return -1, nil
}

// secaggConfig is the secagg configuration of the task.
func (sp *Spec) secaggConfig(a *algorithm) (*secagg.Config, error) {
	p := sp.Params
	if p.Scale < 0 || p.Scale > 9 {
		return nil, errors.New("scale is 0 to 9")
	}
	if len(p.Groups) > secagg.MaxGroups {
		return nil, errors.New("too many groups")
	}
	c := &secagg.Config{Stat: secagg.Stat(a.impl.op), Groups: p.Groups, MinGroup: sp.Review.minGroup(), Scale: p.Scale, MaxAbs: secagg.MaxAbs}
	for _, e := range p.Edges {
		v, err := secagg.ParseFixed(e, p.Scale)
		if err != nil {
			return nil, fmt.Errorf("edges: %w", err)
		}
		c.Edges = append(c.Edges, v)
	}
	if (p.ClampLo == "") != (p.ClampHi == "") {
		return nil, errors.New("clamp_lo and clamp_hi go together")
	}
	if _, err := sp.clamp(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(sp.ID))
	copy(c.Session[:], sum[:16])
	return c, nil
}

func (sp *Spec) clamp() (*[2]int64, error) {
	if sp.Params.ClampLo == "" {
		return nil, nil
	}
	lo, err1 := secagg.ParseFixed(sp.Params.ClampLo, sp.Params.Scale)
	hi, err2 := secagg.ParseFixed(sp.Params.ClampHi, sp.Params.Scale)
	if err1 != nil || err2 != nil || lo > hi {
		return nil, errors.New("bad clamp bounds")
	}
	return &[2]int64{lo, hi}, nil
}

// evaluation is an ODRL decision on one agreement.
type evaluation struct {
	decision odrl.Decision
	digest   string
}

// evaluate evaluates the agreement's ODRL for the task now: action use
// on the agreement's target by its consumer, with the computation, the
// algorithm, the purpose, the fields and the recipients.
func (s *Service) evaluate(ag *Agreement, sp *Spec, a *algorithm, fields []string) evaluation {
	sum := sha256.Sum256(ag.Policy)
	ev := evaluation{digest: "sha256:" + hex.EncodeToString(sum[:])}
	deny := func(err error) evaluation {
		ev.decision = odrl.Decision{Decision: odrl.Deny, Reasons: []odrl.Reason{{Code: "unreadable", Message: "the agreement's terms cannot be evaluated: " + err.Error()}}}
		return ev
	}
	var m map[string]any
	if err := json.Unmarshal(ag.Policy, &m); err != nil {
		return deny(err)
	}
	// As the node's data plane does: the agreement as it travels in DSP has
	// the message's context; ODRL's and xborder's define every term.
	delete(m, "timestamp")
	m["@context"] = []any{odrl.ContextODRL, odrl.ContextXborder}
	doc, _ := json.Marshal(m)
	p, err := odrl.Parse(doc)
	if err != nil {
		return deny(err)
	}
	pp, err := odrl.Prepare(p)
	if err != nil {
		return deny(err)
	}
	fl := make([]any, len(fields))
	for i, f := range fields {
		fl[i] = f
	}
	rc := make([]any, len(sp.Output))
	for i, o := range sp.Output {
		rc[i] = o
	}
	ctx := map[string]any{"computation": a.computation(), "algorithm": a.ID, "dateTime": s.now().UTC(), "fields": fl, "recipient": rc}
	if pu := cmp(sp.Purpose, ag.Purpose); pu != "" {
		ctx["purpose"] = pu
	}
	ev.decision = pp.Evaluate(odrl.Request{Assignee: ag.Consumer, Action: "use", Target: ag.Target, Context: ctx})
	return ev
}

func odrlReason(d odrl.Decision) string {
	var parts []string
	for _, r := range d.Reasons {
		parts = append(parts, string(r.Code)+": "+r.Message)
	}
	if len(parts) == 0 {
		return string(d.Decision)
	}
	return strings.Join(parts, "; ")
}

func pass(name, code, en, zh string) Check {
	return Check{Name: name, Pass: true, Code: code, Message: en, MessageZH: zh}
}

func fail(name string, e *Error) Check {
	return Check{Name: name, Code: string(e.Code), Message: e.Message, MessageZH: e.MessageZH}
}

// balancer is the part of *dp.Ledger complianceCheck reads.
type balancer interface {
	Balance(ctx context.Context, dataset, agreement string) (dp.Balance, error)
}

// checks runs the compliance checks of sp from this node's point of view;
// inputs is nil for a proposed task.
func (s *Service) checks(ctx context.Context, caller Caller, sp *Spec, inputs map[string]*inputRow) []Check {
	var out []Check
	a := s.algorithm(sp.Algorithm)
	// The request's shape.
	if e := sp.validate(a); e != nil {
		out = append(out, fail("request", e))
	} else {
		out = append(out, pass("request", "ok", "the task is well formed", "任务格式正确"))
	}
	// The caller and this node are parties.
	callerDID := caller.DID
	if caller.Local {
		callerDID = s.self
	}
	if _, p := sp.party(callerDID); p == nil {
		out = append(out, fail("caller_is_party", refuse(NotAParty, "%s", callerDID)))
	} else if _, me := sp.party(s.self); me == nil {
		out = append(out, fail("caller_is_party", refuse(NotAParty, "this node %s", s.self)))
	} else {
		out = append(out, pass("caller_is_party", "ok", "the caller and this node are parties", "调用方与本节点均为任务参与方"))
	}
	// The agreements this node is party to: all of them at the initiator,
	// its own elsewhere.
	var ags []*Agreement
	agCheck := pass("agreement", "ok", "the agreements exist, are finalized and bind the parties", "协议存在、已最终确定并约束相应参与方")
	for i := range sp.Parties {
		p := &sp.Parties[i]
		if p.DID == sp.Initiator || (s.self != sp.Initiator && p.DID != s.self) {
			continue
		}
		id := sp.agreementOf(p)
		ag, err := s.opts.Agreements.Agreement(ctx, id)
		switch {
		case errors.Is(err, ErrNoAgreement) || (err == nil && ag == nil):
			agCheck = fail("agreement", refuse(AgreementNotFound, "%s", id))
		case err != nil:
			agCheck = fail("agreement", internal(err, "reading the agreement"))
		case !ag.Finalized:
			agCheck = fail("agreement", refuse(AgreementNotFinalized, "%s", id))
		case !(ag.Provider == p.DID && ag.Consumer == sp.Initiator || ag.Consumer == p.DID && ag.Provider == sp.Initiator):
			agCheck = fail("agreement", refuse(PartiesMismatch, "agreement %s is between %s and %s", id, ag.Provider, ag.Consumer))
		default:
			ags = append(ags, ag)
			continue
		}
		break
	}
	if len(ags) == 0 && agCheck.Pass {
		agCheck = fail("agreement", refuse(AgreementNotFound, "no agreement binds this node to the task"))
	}
	out = append(out, agCheck)
	if a == nil {
		out = append(out, fail("algorithm_registered", refuse(AlgorithmNotFound, "%s", sp.Algorithm)))
	} else {
		out = append(out, pass("algorithm_registered", "ok", "the algorithm "+a.ID+" is registered ("+a.Implementation+")", "算法 "+a.ID+" 已注册（"+a.Implementation+"）"))
	}
	// The agreements' ODRL permits this computation with this algorithm.
	if a != nil && agCheck.Pass {
		c := pass("agreement_policy", "ok", "the agreement's policy permits "+a.computation()+" with "+a.ID, "协议策略允许以 "+a.ID+" 进行 "+a.computation()+" 计算")
		for _, ag := range ags {
			if ev := s.evaluate(ag, sp, a, sp.Fields); !ev.decision.Permitted() {
				c = fail("agreement_policy", refuse(AlgorithmNotPermitted, "agreement %s: %s", ag.ID, odrlReason(ev.decision)))
				break
			}
		}
		out = append(out, c)
	}
	// The review policy meets this node's minimums.
	out = append(out, s.minimums(sp, a))
	// Every input authorized (existing tasks).
	if inputs != nil {
		var missing []string
		for _, p := range sp.Parties {
			if inputs[p.DID] == nil {
				missing = append(missing, p.DID)
			}
		}
		if len(missing) > 0 {
			out = append(out, fail("inputs_authorized", refuse(InputNotAuthorized, "%s", strings.Join(missing, ", "))))
		} else {
			out = append(out, pass("inputs_authorized", "ok", "every party's input is authorized", "所有参与方的输入均已授权"))
		}
	}
	// The DP budget left, when DP is required.
	if sp.Review.dp() && len(ags) > 0 {
		out = append(out, s.budgetCheck(ctx, sp, ags[0]))
	}
	out = append(out, pass("attestation", "attestation_none", "attestation: none — no trusted execution environment; the computation runs in the node's own process (built-in code only)",
		"远程证明：无——不使用可信执行环境；计算在节点自身进程内运行（仅内置代码）"))
	return out
}

func (s *Service) minimums(sp *Spec, a *algorithm) Check {
	m := s.opts.Minimums
	r := sp.Review
	below := func(f string, args ...any) Check {
		return fail("review_policy_minimums", refuse(PolicyBelowMinimum, f, args...))
	}
	if m.RequireDP && !r.dp() {
		return below("this node requires differential privacy (rho or epsilon)")
	}
	if a != nil && a.Kind == "secagg" && m.MinGroup > 0 && r.minGroup() < m.MinGroup {
		return below("min_group %d < %d", r.minGroup(), m.MinGroup)
	}
	if a != nil && a.Kind == "psi" && r.MinIntersection < max(m.MinIntersection, 1) {
		return below("min_intersection %d < %d", r.MinIntersection, max(m.MinIntersection, 1))
	}
	if r.ReleaseKeys && m.NoKeys {
		return below("this node does not release intersection keys")
	}
	return pass("review_policy_minimums", "ok", "the review policy meets this node's minimums", "结果审查策略满足本节点的最低要求")
}

func (s *Service) budgetCheck(ctx context.Context, sp *Spec, ag *Agreement) Check {
	rho, eps, _ := sp.Review.dpParams()
	var cost dp.Rho
	var err error
	if rho != nil {
		cost, err = dp.RhoFromRat(rho)
	} else if eps != nil {
		cost, err = dp.PureRho(eps)
	}
	if err != nil {
		return fail("dp_budget", refuse(BadRequest, "review: %v", err))
	}
	if s.opts.Budget == nil {
		return fail("dp_budget", refuse(BudgetInsufficient, "this node has no privacy-budget ledger"))
	}
	b, ok := s.opts.Budget.(balancer)
	if !ok {
		return pass("dp_budget", "unknown", "the budget ledger does not report balances", "预算账本不提供余额")
	}
	bal, err := b.Balance(ctx, ag.Target, ag.ID)
	if err != nil {
		return fail("dp_budget", internal(err, "reading the privacy budget"))
	}
	if bal.Left() < cost {
		return fail("dp_budget", refuse(BudgetInsufficient, "%s left on %s under %s, the task costs %s", bal.Left(), ag.Target, ag.ID, cost))
	}
	return pass("dp_budget", "ok", fmt.Sprintf("ρ %s left on %s, the task costs %s", bal.Left(), ag.Target, cost), fmt.Sprintf("数据集 %s 剩余 ρ=%s，本任务需 %s", ag.Target, bal.Left(), cost))
}

// firstFailure is the refusal of the first failed check, skipping the
// ones named in skip.
func firstFailure(cs []Check, skip ...string) *Error {
	for _, c := range cs {
		if !c.Pass && !slices.Contains(skip, c.Name) {
			e := refuse(Code(c.Code), "")
			e.Message, e.MessageZH = c.Message, c.MessageZH
			return e
		}
	}
	return nil
}
