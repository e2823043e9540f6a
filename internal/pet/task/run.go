package task

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/xborder/xborder/internal/audit"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xborder/xborder/internal/pet/dp"
	"github.com/xborder/xborder/internal/pet/psi"
	"github.com/xborder/xborder/internal/pet/review"
	"github.com/xborder/xborder/internal/pet/secagg"
)

// run is the in-memory side of a task's run: its inbox and counters. It
// exists from the first message or the start, whichever comes first.
type run struct {
	inbox  chan []byte
	ended  chan struct{}
	mu     sync.Mutex
	in     map[string]uint64 // the last seq received per sender
	out    map[string]uint64 // the last seq sent per recipient
	cancel context.CancelFunc
	start  time.Time

	phase                                 atomic.Value
	done, total                           atomic.Int64
	bytesSent, bytesRecv, msgsSent, msgsR atomic.Int64
}

type runMetrics struct {
	BytesSent int64 `json:"bytes_sent"`
	BytesRecv int64 `json:"bytes_received"`
	MsgsSent  int64 `json:"messages_sent"`
	MsgsRecv  int64 `json:"messages_received"`
	Items     int64 `json:"items"`
	RunMS     int64 `json:"run_ms"`
}

func (r *run) metrics() runMetrics {
	m := runMetrics{BytesSent: r.bytesSent.Load(), BytesRecv: r.bytesRecv.Load(), MsgsSent: r.msgsSent.Load(), MsgsRecv: r.msgsR.Load(), Items: r.total.Load()}
	if !r.start.IsZero() {
		m.RunMS = max(time.Since(r.start).Milliseconds(), 1)
	}
	return m
}

func (r *run) progress() Progress {
	ph, _ := r.phase.Load().(string)
	if ph == "" {
		ph = "waiting"
	}
	return Progress{Phase: ph, Done: r.done.Load(), Total: r.total.Load()}
}

func (s *Service) runOf(id string) *run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs[id]
}

func (s *Service) getRun(id string) *run {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.runs[id]
	if r == nil {
		r = &run{inbox: make(chan []byte, s.opts.InboxDepth), ended: make(chan struct{}), in: map[string]uint64{}, out: map[string]uint64{}}
		s.runs[id] = r
	}
	return r
}

// stopRun cancels a task's run and forgets it.
func (s *Service) stopRun(id string) {
	s.mu.Lock()
	r := s.runs[id]
	delete(s.runs, id)
	s.mu.Unlock()
	if r != nil {
		r.mu.Lock()
		if r.cancel != nil {
			r.cancel()
		}
		select {
		case <-r.ended:
		default:
			close(r.ended)
		}
		r.mu.Unlock()
	}
}

// AlgorithmInvoke runs the task's algorithm. From the initiator's
// operator: after its own checks every peer is asked to check (dry run),
// then to start, then this node starts. From the initiator's node: check,
// or start this node's party.
func (s *Service) AlgorithmInvoke(ctx context.Context, c Caller, r InvokeRequest) (v *View, err error) {
	k := s.begin(c, OpAlgorithmInvoke, r.TaskID)
	defer k.finish(ctx, &err)
	rec, e := s.party(ctx, c, r.TaskID)
	if e != nil {
		return nil, e
	}
	sp := &rec.Spec
	if c.Local && s.self != sp.Initiator || !c.Local && c.DID != sp.Initiator {
		return nil, refuse(NotInitiator, "")
	}
	if c.Local && r.DryRun {
		return nil, refuse(BadRequest, "dry_run is between nodes")
	}
	if rec.State != StateCreated && rec.State != StateAuthorized {
		return nil, refuse(WrongState, "the task is %s", rec.State)
	}
	ins, err := s.inputs(ctx, sp.ID)
	if err != nil {
		return nil, internal(err, "reading the inputs")
	}
	mine := ins[s.self]
	if mine == nil || mine.Upload == "" {
		return nil, refuse(InputNotAuthorized, "this node's input (%s)", s.self)
	}
	a := s.algorithm(sp.Algorithm)
	if a == nil {
		return nil, refuse(AlgorithmNotFound, "%s", sp.Algorithm)
	}
	ag, e := s.ownAgreement(ctx, sp)
	if e != nil {
		return nil, e
	}
	// The agreement is evaluated again now, with the authorized columns.
	if ev := s.evaluate(ag, sp, a, mine.Columns.list()); !ev.decision.Permitted() {
		return nil, refuse(AlgorithmNotPermitted, "agreement %s: %s", ag.ID, odrlReason(ev.decision))
	} else if ev.digest != mine.PolicyDigest {
		return nil, refuse(InputNotAuthorized, "the agreement's policy changed since the input was authorized")
	}
	if sp.Review.dp() {
		if ch := s.budgetCheck(ctx, sp, ag); !ch.Pass {
			e := refuse(Code(ch.Code), "")
			e.Message, e.MessageZH = ch.Message, ch.MessageZH
			return nil, e
		}
	}
	if r.DryRun {
		return s.view(ctx, sp.ID)
	}
	if c.Local {
		for _, p := range sp.Parties {
			if p.DID == s.self {
				continue
			}
			if _, e := s.callPeer(ctx, p.DID, sp.agreementOf(&p), OpAlgorithmInvoke, InvokeRequest{TaskID: sp.ID, DryRun: true}); e != nil {
				return nil, e
			}
		}
	}
	if e := k.allow(ctx, "started", nil); e != nil {
		return nil, e
	}
	ok, err := s.transition(ctx, sp.ID, []string{StateCreated, StateAuthorized}, StateRunning, "", k.actor(), nil)
	if err != nil {
		return nil, internal(err, "starting the task")
	}
	if !ok {
		return nil, refuse(WrongState, "")
	}
	if c.Local {
		var started []string
		for _, p := range sp.Parties {
			if p.DID == s.self {
				continue
			}
			if _, e := s.callPeer(ctx, p.DID, sp.agreementOf(&p), OpAlgorithmInvoke, InvokeRequest{TaskID: sp.ID}); e != nil {
				_, _ = s.transition(ctx, sp.ID, []string{StateRunning}, StateFailed, "peer_refused_start", s.self, nil)
				s.tell(ctx, sp, p.DID, "peer_failed")
				return nil, e
			}
			started = append(started, p.DID)
		}
	}
	s.start(sp, a, ag, mine)
	return s.view(ctx, sp.ID)
}

// start runs this node's party in a goroutine.
func (s *Service) start(sp *Spec, a *algorithm, ag *Agreement, mine *inputRow) {
	r := s.getRun(sp.ID)
	s.mu.Lock()
	ctx, cancel := context.WithTimeout(s.bg, s.opts.RunTimeout)
	s.mu.Unlock()
	r.mu.Lock()
	r.cancel, r.start = cancel, time.Now()
	r.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		dec, res, err := s.execute(ctx, r, sp, a, ag, mine)
		fin := context.WithoutCancel(ctx)
		m, _ := json.Marshal(r.metrics())
		set := map[string]string{"metrics": string(m)}
		if err != nil {
			if ctx.Err() != nil && s.bg.Err() != nil {
				return // the node is stopping: the task ends interrupted at the next Open
			}
			reason := "protocol_error"
			var te *Error
			if errors.As(err, &te) {
				reason = string(te.Code)
			} else if errors.Is(err, context.DeadlineExceeded) {
				reason = "timeout"
			}
			s.log.WarnContext(fin, "a task's run failed", "task", sp.ID, "reason", reason, "error", err)
			if ok, _ := s.transition(fin, sp.ID, []string{StateRunning}, StateFailed, reason, s.self, set); ok {
				s.auditEnd(fin, sp.ID, audit.ResultFailure, reason, set)
				s.tell(fin, sp, "", "peer_failed")
			}
			s.stopRun(sp.ID)
			return
		}
		if dec != nil {
			b, _ := json.Marshal(dec)
			set["decision"] = string(b)
		}
		if res != nil {
			b, _ := json.Marshal(res)
			set["result"] = string(b)
		}
		reason := ""
		if dec != nil {
			reason = dec.Code
		}
		if ok, err := s.transition(fin, sp.ID, []string{StateRunning}, StateSucceeded, reason, s.self, set); err != nil {
			s.log.ErrorContext(fin, "recording a task's result failed", "task", sp.ID, "error", err)
		} else if ok {
			s.auditEnd(fin, sp.ID, audit.ResultSuccess, cmp(reason, "succeeded"), set)
		}
		s.stopRun(sp.ID)
	}()
}

// execute runs the party and reviews what it learned when this node is an
// output party; it returns the decision (nil when this node reviews
// nothing) and the released result (nil unless allowed).
func (s *Service) execute(ctx context.Context, r *run, sp *Spec, a *algorithm, ag *Agreement, mine *inputRow) (*Decision, *Result, error) {
	r.phase.Store("reading")
	data, err := s.readUpload(ctx, mine.Upload)
	if err != nil {
		return nil, nil, err
	}
	self, me := sp.party(s.self)
	in, e := s.parseInput(sp, a, me.Role, mine.Columns, data)
	if e != nil {
		return nil, nil, e
	}
	output := slices.Contains(sp.Output, s.self)
	rho, eps, _ := sp.Review.dpParams()
	purpose := "pet task " + sp.ID
	sampler := dp.NewSampler(s.opts.Noise)
	if a.Kind == "psi" {
		mode := map[string]psi.Mode{"intersection": psi.ModeIntersection, "cardinality": psi.ModeCardinality, "sum": psi.ModeSum}[a.impl.op]
		g, _ := psi.ParseGroup(cmp(sp.Params.Group, "ristretto255"))
		peerIdx := 1 - self
		peer := &sp.Parties[peerIdx]
		_, pb := sp.partyByRole("b")
		cfg := psi.Config{Session: sp.ID, Mode: mode, Group: g, RevealToB: slices.Contains(sp.Output, pb.DID),
			Progress: func(p psi.Progress) {
				r.phase.Store(p.Stage)
				r.done.Store(int64(p.Done))
				r.total.Store(int64(p.Total))
			}}
		conn := &psiConn{s: s, r: r, to: peer.DID, binding: sp.agreementOf(peer), task: sp.ID}
		var res *psi.Result
		if me.Role == "a" {
			res, err = psi.RunA(ctx, cfg, conn, in.keys.Keys)
		} else {
			res, err = psi.RunB(ctx, cfg, conn, in.keys.Keys, in.keys.Values)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("running PSI: %w", err)
		}
		r.total.Store(int64(res.OwnSize))
		if !output || !res.Learned {
			return nil, nil, nil
		}
		pr := review.PSIResult{Mode: a.impl.op, Size: int64(res.Size), Keys: res.Keys}
		if res.HasSum {
			v := res.Sum
			pr.Sum = &v
		}
		d := review.ReviewPSI(ctx, review.PSIPolicy{MinIntersection: sp.Review.MinIntersection, ReleaseKeys: sp.Review.ReleaseKeys, Rho: rho, Epsilon: eps,
			ValueBound: sp.Params.ValueBound, Dataset: ag.Target, Agreement: ag.ID, Purpose: purpose}, pr, s.opts.Budget, sampler)
		dec := &Decision{Allow: d.Allow, Code: string(d.Code), Message: d.Message, MessageZH: d.MessageZH}
		if !d.Allow {
			return dec, nil, nil
		}
		return dec, &Result{TaskID: sp.ID, Algorithm: sp.Algorithm, PSI: d.Released}, nil
	}
	cfg, err := sp.secaggConfig(a)
	if err != nil {
		return nil, nil, err
	}
	cfg.Progress = func(p secagg.Progress) { r.phase.Store(p.Phase); r.done.Store(p.Done); r.total.Store(p.Total) }
	rows := in.rows
	var clamped *review.Bounds
	if b, _ := sp.clamp(); b != nil {
		rows.Clamp(b[0], b[1])
		clamped = &review.Bounds{Lo: b[0], Hi: b[1]}
	}
	sin := secagg.Input{Values: rows.Values}
	if len(cfg.Groups) > 0 {
		idx := map[string]int32{}
		for i, g := range cfg.Groups {
			idx[g] = int32(i)
		}
		sin.Groups = make([]int32, len(rows.Keys))
		for i, key := range rows.Keys {
			g, ok := idx[key]
			if !ok {
				return nil, nil, refuse(InputInvalid, "a row's group is not in the task's groups")
			}
			sin.Groups[i] = g
		}
	}
	net := &secaggNet{s: s, r: r, sp: sp}
	res, err := secagg.RunParty(ctx, cfg, self, len(sp.Parties), sin, net, cfg.Progress)
	if err != nil {
		return nil, nil, fmt.Errorf("running the aggregation: %w", err)
	}
	r.total.Store(int64(len(rows.Values)))
	if !output {
		return nil, nil, nil
	}
	d := review.Review(ctx, review.Policy{Stats: []secagg.Stat{cfg.Stat}, Columns: []string{"*"}, GroupBy: []string{"*"}, MinGroup: cfg.MinGroup,
		Rho: rho, Epsilon: eps, Dataset: ag.Target, Agreement: ag.ID, Purpose: purpose},
		review.Result{Column: mine.Columns.Value, GroupBy: mine.Columns.GroupBy, Scale: cfg.Scale, Clamped: clamped, Agg: res}, s.opts.Budget, sampler)
	dec := &Decision{Allow: d.Allow, Code: string(d.Code), Message: d.Message, MessageZH: d.MessageZH}
	if !d.Allow {
		return dec, nil, nil
	}
	return dec, &Result{TaskID: sp.ID, Algorithm: sp.Algorithm, Aggregate: d.Released}, nil
}

// send sends one protocol message to a party through Peers.
func (s *Service) send(ctx context.Context, r *run, task, to, binding string, data []byte) error {
	r.mu.Lock()
	r.out[to]++
	seq := r.out[to]
	r.mu.Unlock()
	b, err := (&Message{TaskID: task, Seq: seq, Data: data}).MarshalBinary()
	if err != nil {
		return err
	}
	if _, err := s.opts.Peers.Call(ctx, to, binding, OpMessage, b); err != nil {
		return fmt.Errorf("sending to %s: %w", to, err)
	}
	r.bytesSent.Add(int64(len(data)))
	r.msgsSent.Add(1)
	s.stats.bytesSent.Add(int64(len(data)))
	s.stats.msgsSent.Add(1)
	return nil
}

func (s *Service) recv(ctx context.Context, r *run) ([]byte, error) {
	select {
	case b := <-r.inbox:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type psiConn struct {
	s                 *Service
	r                 *run
	to, binding, task string
}

func (c *psiConn) Send(ctx context.Context, b []byte) error {
	return c.s.send(ctx, c.r, c.task, c.to, c.binding, b)
}
func (c *psiConn) Recv(ctx context.Context) ([]byte, error) { return c.s.recv(ctx, c.r) }

type secaggNet struct {
	s  *Service
	r  *run
	sp *Spec
}

func (n *secaggNet) Send(ctx context.Context, to int, b []byte) error {
	if to < 0 || to >= len(n.sp.Parties) {
		return fmt.Errorf("no party %d", to)
	}
	p := &n.sp.Parties[to]
	return n.s.send(ctx, n.r, n.sp.ID, p.DID, n.sp.Agreement, b)
}
func (n *secaggNet) Recv(ctx context.Context, _ int) ([]byte, error) { return n.s.recv(ctx, n.r) }

// Deliver takes one incoming protocol message of a task from a peer: the
// sender must be another party of the task, the task must not have ended,
// and seq must be the next from that sender (a replayed or reordered
// message is refused). It waits while the task's inbox is full. Refusals
// are audited; accepted messages are counted, not audited one by one.
//
// payload is the sender's sequence number (8 bytes, big-endian, from 1
// per sender and task) followed by the protocol message; Handle's
// "message" op builds it from a [Message].
func (s *Service) Deliver(ctx context.Context, from Caller, taskID string, payload []byte) (err error) {
	k := s.begin(from, OpMessage, taskID)
	k.audited = true // allowed messages are not audited one by one
	defer func() {
		if err != nil {
			k.audited = false
			k.finish(ctx, &err)
		}
	}()
	if from.Local || from.DID == s.self {
		return refuse(MessageNotParty, "messages come from peers")
	}
	if !validID(taskID) {
		return refuse(BadRequest, "task_id")
	}
	if len(payload) < 8 {
		return refuse(BadRequest, "a message is a sequence number and a protocol message")
	}
	m := Message{TaskID: taskID, Seq: binary.BigEndian.Uint64(payload), Data: payload[8:]}
	rec, err := s.load(ctx, m.TaskID)
	if err != nil {
		return err
	}
	if _, p := rec.Spec.party(from.DID); p == nil {
		return refuse(MessageNotParty, "%s", from.DID)
	}
	if terminal(rec.State) {
		return refuse(TaskEnded, "the task is %s", rec.State)
	}
	r := s.getRun(m.TaskID)
	r.mu.Lock()
	if m.Seq != r.in[from.DID]+1 {
		want := r.in[from.DID] + 1
		r.mu.Unlock()
		return refuse(MessageReplayed, "seq %d, expected %d", m.Seq, want)
	}
	r.in[from.DID] = m.Seq
	r.mu.Unlock()
	select {
	case r.inbox <- m.Data:
	case <-r.ended:
		return refuse(TaskEnded, "")
	case <-ctx.Done():
		return ctx.Err()
	}
	r.bytesRecv.Add(int64(len(m.Data)))
	r.msgsR.Add(1)
	s.stats.bytesRecv.Add(int64(len(m.Data)))
	s.stats.msgsRecv.Add(1)
	return nil
}

// auditEnd records the end of this node's run of a task in the ledger:
// the node is the actor, the reason the failure or the review's code, the
// digest that of the stored metrics, decision and result. It makes the
// task's evidence pack end where the run ended.
func (s *Service) auditEnd(ctx context.Context, id string, res audit.Result, reason string, set map[string]string) {
	b, _ := json.Marshal(set)
	sum := sha256.Sum256(b)
	if err := s.opts.Audit.Append(ctx, &audit.Event{Actor: s.self, Time: s.now().UTC(), Operation: audit.OpCompute, ObjectID: id,
		ObjectKind: audit.KindTask, Result: res, Reason: reason, DetailsDigest: "sha256:" + hex.EncodeToString(sum[:])}); err != nil {
		s.log.ErrorContext(ctx, "auditing the end of a task's run failed", "task", id, "error", err)
	}
}
