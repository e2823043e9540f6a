package task

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"github.com/xborder/xborder/internal/pet/psi"
	"slices"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/pet/input"
)

func marshal(v any) ([]byte, error) { return json.Marshal(v) }

// callPeer calls op on a peer; a peer's refusal comes back as its *Error
// with Peer set, anything else as peer_unreachable.
func (s *Service) callPeer(ctx context.Context, did, binding, op string, body any) ([]byte, *Error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, internal(err, "encoding the peer call")
	}
	out, err := s.opts.Peers.Call(ctx, did, binding, op, b)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			c := *e
			c.Peer = did
			return nil, &c
		}
		pe := refuse(PeerUnreachable, "%s", did)
		pe.cause = err
		return nil, pe
	}
	return out, nil
}

// TaskCreate creates a task. From the node's operator (Local) it creates
// the task here as its initiator after the compliance checks and the
// peers' consent (each peer creates its mirror after its own checks); from
// a peer it creates the mirror of the peer's task.
func (s *Service) TaskCreate(ctx context.Context, c Caller, sp Spec) (v *View, err error) {
	k := s.begin(c, OpTaskCreate, sp.ID)
	if sp.ID == "" {
		k.obj, k.kind = sp.Agreement, audit.KindAgreement
	}
	defer k.finish(ctx, &err)
	if c.Local {
		if sp.ID != "" || sp.Initiator != "" {
			return nil, refuse(BadRequest, "id and initiator are set by this node")
		}
		sp.ID, sp.Initiator = newID(), s.self
		k.obj, k.kind = sp.ID, audit.KindTask
		// The group is pinned in the spec the parties agree, so that nodes
		// of releases with different defaults still run the same protocol.
		if a := s.algorithm(sp.Algorithm); a != nil && a.Kind == "psi" && sp.Params.Group == "" && slices.Contains(a.Params, "group") {
			sp.Params.Group = psi.GroupRistretto255.String()
		}
	} else {
		if !validID(sp.ID) || sp.Initiator != c.DID {
			return nil, refuse(BadRequest, "a peer's task has a urn:uuid id and the peer as initiator")
		}
		if _, err := s.load(ctx, sp.ID); err == nil {
			return nil, refuse(TaskExists, "%s", sp.ID)
		}
	}
	if e := firstFailure(s.checks(ctx, c, &sp, nil)); e != nil {
		return nil, e
	}
	if c.Local {
		var accepted []string
		for _, p := range sp.Parties {
			if p.DID == s.self {
				continue
			}
			if _, e := s.callPeer(ctx, p.DID, sp.agreementOf(&p), OpTaskCreate, sp); e != nil {
				s.abandon(ctx, &sp, accepted)
				e.Task = sp.ID
				return nil, e
			}
			accepted = append(accepted, p.DID)
		}
		if e := k.allow(ctx, "created", nil); e != nil {
			s.abandon(ctx, &sp, accepted)
			return nil, e
		}
	} else if e := k.allow(ctx, "created", nil); e != nil {
		return nil, e
	}
	if err := s.insert(ctx, &sp, k.actor()); err != nil {
		return nil, internal(err, "storing the task")
	}
	return s.view(ctx, sp.ID)
}

// abandon tells the peers that accepted a task the initiator could not
// create that it is cancelled.
func (s *Service) abandon(ctx context.Context, sp *Spec, peers []string) {
	for _, did := range peers {
		_, p := sp.party(did)
		if _, e := s.callPeer(ctx, did, sp.agreementOf(p), OpTaskCancel, CancelRequest{TaskID: sp.ID, Reason: "creation_abandoned"}); e != nil {
			s.log.WarnContext(ctx, "a peer could not be told that a task was abandoned", "task", sp.ID, "peer", did, "code", e.Code)
		}
	}
}

// party loads a task and checks that the caller is one of its parties
// (the node's operator always is).
func (s *Service) party(ctx context.Context, c Caller, id string) (*record, *Error) {
	if !validID(id) {
		return nil, refuse(BadRequest, "task_id is a urn:uuid")
	}
	r, err := s.load(ctx, id)
	if err != nil {
		return nil, AsError(err)
	}
	if !c.Local {
		if _, p := r.Spec.party(c.DID); p == nil {
			return nil, refuse(NotAParty, "%s", c.DID)
		}
	}
	return r, nil
}

func (s *Service) view(ctx context.Context, id string) (*View, error) {
	r, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	evs, err := s.events(ctx, id)
	if err != nil {
		return nil, internal(err, "reading the task's events")
	}
	ins, err := s.inputs(ctx, id)
	if err != nil {
		return nil, internal(err, "reading the task's inputs")
	}
	v := &View{Task: r.Spec, State: r.State, Reason: r.Reason, Events: evs, Created: r.Created, Updated: r.Updated}
	for _, p := range r.Spec.Parties {
		v.Inputs = append(v.Inputs, InputStatus{Party: p.DID, Authorized: ins[p.DID] != nil})
	}
	if rn := s.runOf(id); rn != nil {
		pr := rn.progress()
		v.Progress = &pr
	}
	return v, nil
}

// TaskQuery returns a task's state, inputs, progress and history.
func (s *Service) TaskQuery(ctx context.Context, c Caller, r Ref) (v *View, err error) {
	return s.TaskQueryWait(ctx, c, QueryRequest{TaskID: r.TaskID})
}

// TaskQueryWait is taskQuery with its long poll: see QueryRequest.
func (s *Service) TaskQueryWait(ctx context.Context, c Caller, r QueryRequest) (v *View, err error) {
	k := s.begin(c, OpTaskQuery, r.TaskID)
	defer k.finish(ctx, &err)
	if r.WaitMS < 0 || time.Duration(r.WaitMS)*time.Millisecond > MaxWait || r.Events < 0 {
		return nil, refuse(BadRequest, "wait_ms 0..%d and events ≥ 0", MaxWait.Milliseconds())
	}
	if _, e := s.party(ctx, c, r.TaskID); e != nil {
		return nil, e
	}
	deadline := time.NewTimer(time.Duration(r.WaitMS) * time.Millisecond)
	defer deadline.Stop()
	for {
		changed := s.changes() // before reading, so no change is missed
		v, err := s.view(ctx, r.TaskID)
		if err != nil || r.WaitMS == 0 || len(v.Events) > r.Events || terminal(v.State) {
			return v, err
		}
		select {
		case <-changed:
		case <-deadline.C:
			return s.view(ctx, r.TaskID)
		case <-ctx.Done():
			return s.view(context.WithoutCancel(ctx), r.TaskID)
		case <-s.bg.Done():
			return s.view(ctx, r.TaskID)
		}
	}
}

// TaskCancel cancels a task that has not ended. Either party may: the
// operator's cancel is passed on to the other parties; a peer's is passed
// on by the initiator to the remaining parties. A peer whose run failed
// cancels with reason peer_failed, which ends the task failed.
func (s *Service) TaskCancel(ctx context.Context, c Caller, r CancelRequest) (v *View, err error) {
	k := s.begin(c, OpTaskCancel, r.TaskID)
	defer k.finish(ctx, &err)
	rec, e := s.party(ctx, c, r.TaskID)
	if e != nil {
		return nil, e
	}
	if terminal(rec.State) {
		return nil, refuse(TaskEnded, "the task is %s", rec.State)
	}
	if len(r.Reason) > 64 {
		return nil, refuse(BadRequest, "reason")
	}
	to, reason := StateCancelled, "cancelled_by_operator"
	if !c.Local {
		reason = "cancelled_by_peer"
		if r.Reason == "peer_failed" {
			to, reason = StateFailed, "peer_failed"
		} else if r.Reason == "creation_abandoned" {
			reason = r.Reason
		}
	}
	if e := k.allow(ctx, reason, nil); e != nil {
		return nil, e
	}
	ok, err := s.transition(ctx, r.TaskID, []string{StateCreated, StateAuthorized, StateRunning}, to, reason, k.actor(), nil)
	if err != nil {
		return nil, internal(err, "cancelling the task")
	}
	if !ok {
		return nil, refuse(TaskEnded, "")
	}
	s.stopRun(r.TaskID)
	if c.Local || s.self == rec.Spec.Initiator {
		fwd := "cancelled"
		if to == StateFailed {
			fwd = "peer_failed"
		}
		s.tell(ctx, &rec.Spec, c.DID, fwd)
	}
	return s.view(ctx, r.TaskID)
}

// tell passes a cancel on to every other party except skip.
func (s *Service) tell(ctx context.Context, sp *Spec, skip, reason string) {
	for _, p := range sp.Parties {
		if p.DID == s.self || p.DID == skip {
			continue
		}
		if _, e := s.callPeer(ctx, p.DID, sp.agreementOf(&p), OpTaskCancel, CancelRequest{TaskID: sp.ID, Reason: reason}); e != nil && e.Code != TaskEnded {
			s.log.WarnContext(ctx, "a party could not be told that the task ended", "task", sp.ID, "peer", p.DID, "code", e.Code)
		}
	}
}

// DataUpload stores the operator's own input (CSV), encrypted, for a task
// or a dataset.
func (s *Service) DataUpload(ctx context.Context, c Caller, r UploadRequest) (u *UploadResponse, err error) {
	k := s.begin(c, OpDataUpload, r.TaskID)
	k.oper = audit.OpAccess
	if r.TaskID == "" {
		k.obj, k.kind = r.Dataset, audit.KindDataset
	}
	defer k.finish(ctx, &err)
	if !c.Local {
		return nil, refuse(LocalOnly, "")
	}
	if int64(len(r.Data)) > s.opts.MaxUpload {
		return nil, refuse(UploadTooLarge, "%d bytes, at most %d", len(r.Data), s.opts.MaxUpload)
	}
	if (r.TaskID == "") == (r.Dataset == "") {
		return nil, refuse(BadRequest, "give task_id or dataset")
	}
	if r.TaskID != "" {
		rec, e := s.party(ctx, c, r.TaskID)
		if e != nil {
			return nil, e
		}
		if terminal(rec.State) {
			return nil, refuse(TaskEnded, "")
		}
	}
	cols, err := input.Header(bytes.NewReader(r.Data))
	if err != nil {
		return nil, refuse(InputInvalid, "%v", err)
	}
	if e := k.allow(ctx, "stored", struct {
		Size int `json:"size"`
	}{len(r.Data)}); e != nil {
		return nil, e
	}
	digest, suiteName, err := s.storeUpload(ctx, r.TaskID, r.Dataset, r.Data)
	if err != nil {
		return nil, internal(err, "storing the upload")
	}
	return &UploadResponse{Upload: digest, Size: int64(len(r.Data)), Columns: cols, Suite: suiteName}, nil
}

// DataAuthorize authorizes this node's upload as its input to a task:
// the upload must fit the algorithm (columns, rows), the columns must be
// among the task's fields, and the agreement's ODRL must permit the use
// now with these columns. The other parties are told.
func (s *Service) DataAuthorize(ctx context.Context, c Caller, r AuthorizeRequest) (out *AuthorizeResponse, err error) {
	k := s.begin(c, OpDataAuthorize, r.TaskID)
	defer k.finish(ctx, &err)
	if !c.Local {
		return nil, refuse(LocalOnly, "")
	}
	rec, e := s.party(ctx, c, r.TaskID)
	if e != nil {
		return nil, e
	}
	sp := &rec.Spec
	if rec.State != StateCreated && rec.State != StateAuthorized {
		return nil, refuse(WrongState, "the task is %s", rec.State)
	}
	_, me := sp.party(s.self)
	a := s.algorithm(sp.Algorithm)
	if me == nil || a == nil {
		return nil, refuse(NotAParty, "")
	}
	for _, col := range r.Columns.list() {
		if !slices.Contains(sp.Fields, col) {
			return nil, refuse(InputInvalid, "column %q is not among the task's fields", col)
		}
	}
	data, err := s.readUpload(ctx, r.Upload)
	if err != nil {
		return nil, AsError(err)
	}
	in, e := s.parseInput(sp, a, me.Role, r.Columns, data)
	if e != nil {
		return nil, e
	}
	ag, e := s.ownAgreement(ctx, sp)
	if e != nil {
		return nil, e
	}
	ev := s.evaluate(ag, sp, a, r.Columns.list())
	if !ev.decision.Permitted() {
		return nil, refuse(AlgorithmNotPermitted, "agreement %s: %s", ag.ID, odrlReason(ev.decision))
	}
	if e := k.allow(ctx, "authorized", struct {
		Upload string `json:"upload"`
		Policy string `json:"policy_digest"`
	}{r.Upload, ev.digest}); e != nil {
		return nil, e
	}
	state, err := s.authorizeInput(ctx, sp, s.self, &inputRow{Upload: r.Upload, Columns: r.Columns, PolicyDigest: ev.digest}, k.actor())
	if err != nil {
		return nil, AsError(err)
	}
	for _, p := range sp.Parties {
		if p.DID != s.self {
			if _, e := s.callPeer(ctx, p.DID, sp.agreementOf(&p), OpInputAuthorized, Notice{TaskID: sp.ID}); e != nil {
				s.log.WarnContext(ctx, "a party could not be told of an authorization", "task", sp.ID, "peer", p.DID, "code", e.Code)
			}
		}
	}
	return &AuthorizeResponse{TaskID: sp.ID, Party: s.self, Upload: r.Upload, Rows: in.count(), PolicyDigest: ev.digest, Rule: ev.decision.Rule, State: state}, nil
}

func (p *parsed) count() int64 {
	if p.keys != nil {
		return int64(len(p.keys.Keys))
	}
	return int64(len(p.rows.Values))
}

// ownAgreement is the agreement that governs this node's part of a task.
func (s *Service) ownAgreement(ctx context.Context, sp *Spec) (*Agreement, *Error) {
	_, me := sp.party(s.self)
	id := sp.Agreement
	if me != nil && s.self != sp.Initiator {
		id = sp.agreementOf(me)
	}
	ag, err := s.opts.Agreements.Agreement(ctx, id)
	if errors.Is(err, ErrNoAgreement) || (err == nil && ag == nil) {
		return nil, refuse(AgreementNotFound, "%s", id)
	}
	if err != nil {
		return nil, internal(err, "reading the agreement")
	}
	if !ag.Finalized {
		return nil, refuse(AgreementNotFinalized, "%s", id)
	}
	return ag, nil
}

// inputAuthorized records a peer's notice that its input is authorized.
func (s *Service) inputAuthorized(ctx context.Context, c Caller, n Notice) (err error) {
	rec, e := s.party(ctx, c, n.TaskID)
	if e != nil || c.Local {
		if e == nil {
			e = refuse(BadRequest, "a notice comes from a peer")
		}
		return e
	}
	_, err = s.authorizeInput(ctx, &rec.Spec, c.DID, &inputRow{}, c.DID)
	return err
}

// AlgorithmRegister registers an algorithm from its signed manifest.
func (s *Service) AlgorithmRegister(ctx context.Context, c Caller, r RegisterRequest) (out *Algorithm, err error) {
	k := s.begin(c, OpAlgorithmRegister, "")
	k.oper = audit.OpAdminChange
	defer k.finish(ctx, &err)
	if !c.Local {
		return nil, refuse(LocalOnly, "")
	}
	a, e := verifyManifest(ctx, r.Manifest, s.opts.Publishers)
	if e != nil {
		return nil, e
	}
	k.obj = "urn:xborder:algorithm:" + a.ID
	if have := s.algorithm(a.ID); have != nil {
		if have.Digest == a.Digest {
			out := have.Algorithm
			return &out, nil
		}
		return nil, refuse(AlgorithmExists, "%s", a.ID)
	}
	if e := k.allow(ctx, "registered", struct {
		Digest string `json:"digest"`
	}{a.Digest}); e != nil {
		return nil, e
	}
	m, _ := json.Marshal(a.Algorithm)
	if _, err := s.db.ExecContext(ctx, `INSERT INTO task_algorithms (id, manifest, jws, registered_ms) VALUES ($1, $2, $3, $4)`, a.ID, string(m), r.Manifest, ms(s.now())); err != nil {
		return nil, internal(err, "storing the algorithm")
	}
	s.mu.Lock()
	s.algs[a.ID] = a
	s.mu.Unlock()
	res := a.Algorithm
	return &res, nil
}

// Algorithms lists the registered algorithms (not one of the twelve
// calls; for the management API's listing).
func (s *Service) Algorithms() []Algorithm {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Algorithm
	for _, a := range s.algs {
		out = append(out, a.Algorithm)
	}
	slices.SortFunc(out, func(a, b Algorithm) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

// ResultQuery shows the task's result status and review decision.
func (s *Service) ResultQuery(ctx context.Context, c Caller, r Ref) (v *ResultView, err error) {
	k := s.begin(c, OpResultQuery, r.TaskID)
	defer k.finish(ctx, &err)
	rec, e := s.party(ctx, c, r.TaskID)
	if e != nil {
		return nil, e
	}
	v = &ResultView{TaskID: r.TaskID, State: rec.State, Output: rec.Spec.Output}
	if rec.Decision != "" {
		var d Decision
		if err := json.Unmarshal([]byte(rec.Decision), &d); err != nil {
			return nil, internal(err, "reading the decision")
		}
		v.Reviewed, v.Decision = true, &d
	}
	if rec.Result != "" {
		sum := sha256.Sum256([]byte(rec.Result))
		v.Available, v.Digest = true, "sha256:"+hex.EncodeToString(sum[:])
	}
	return v, nil
}

// ResultDownload returns the released result to an output party: this
// node's operator when this node is an output party, or a peer that is.
func (s *Service) ResultDownload(ctx context.Context, c Caller, r Ref) (out *Result, err error) {
	k := s.begin(c, OpResultDownload, r.TaskID)
	k.oper = audit.OpDownload
	defer k.finish(ctx, &err)
	rec, e := s.party(ctx, c, r.TaskID)
	if e != nil {
		return nil, e
	}
	who := c.DID
	if c.Local {
		who = s.self
	}
	if !slices.Contains(rec.Spec.Output, who) {
		return nil, refuse(NotOutputParty, "%s", who)
	}
	if rec.State != StateSucceeded {
		return nil, refuse(ResultNotReady, "the task is %s", rec.State)
	}
	if rec.Decision != "" {
		var d Decision
		_ = json.Unmarshal([]byte(rec.Decision), &d)
		if !d.Allow {
			return nil, refuseReview(d.Code, d.Message, d.MessageZH)
		}
	}
	if rec.Result == "" {
		return nil, refuse(ResultNotReady, "no released result is held on this node")
	}
	var res Result
	if err := json.Unmarshal([]byte(rec.Result), &res); err != nil {
		return nil, internal(err, "reading the result")
	}
	sum := sha256.Sum256([]byte(rec.Result))
	res.Digest = "sha256:" + hex.EncodeToString(sum[:])
	if e := k.allow(ctx, "downloaded", struct {
		Digest string `json:"digest"`
	}{res.Digest}); e != nil {
		return nil, e
	}
	return &res, nil
}

// AuditLog returns the audit entries about the task, with the ledger's
// latest checkpoint, to its parties.
func (s *Service) AuditLog(ctx context.Context, c Caller, r Ref) (out *AuditLog, err error) {
	k := s.begin(c, OpAuditLog, r.TaskID)
	k.oper = audit.OpAccess
	defer k.finish(ctx, &err)
	if _, e := s.party(ctx, c, r.TaskID); e != nil {
		return nil, e
	}
	// The read is audited before the entries are read, so it shows itself.
	if e := k.allow(ctx, "read", nil); e != nil {
		return nil, e
	}
	hits, cp, err := s.opts.Audit.Entries(ctx, r.TaskID)
	if err != nil {
		return nil, refuse(AuditUnavailable, "%v", err)
	}
	if hits == nil {
		hits = []audit.Hit{}
	}
	return &AuditLog{TaskID: r.TaskID, Entries: hits, Checkpoint: string(cp)}, nil
}

// ComplianceCheck runs the compliance checks of an existing task or of a
// proposed one (from this node's operator, or a peer that is a party).
func (s *Service) ComplianceCheck(ctx context.Context, c Caller, r ComplianceRequest) (out *ComplianceReport, err error) {
	k := s.begin(c, OpComplianceCheck, r.TaskID)
	defer k.finish(ctx, &err)
	var sp *Spec
	var ins map[string]*inputRow
	switch {
	case (r.TaskID == "") == (r.Task == nil):
		return nil, refuse(BadRequest, "give task_id or task")
	case r.Task != nil:
		sp = r.Task
		if sp.Initiator == "" {
			sp.Initiator = s.self
			if !c.Local {
				sp.Initiator = c.DID
			}
		}
		if sp.ID == "" {
			sp.ID = "urn:uuid:00000000-0000-4000-8000-000000000000"
		}
		k.obj, k.kind = sp.Agreement, audit.KindAgreement
	default:
		rec, e := s.party(ctx, c, r.TaskID)
		if e != nil {
			return nil, e
		}
		sp = &rec.Spec
		if ins, err = s.inputs(ctx, r.TaskID); err != nil {
			return nil, internal(err, "reading the inputs")
		}
	}
	cs := s.checks(ctx, c, sp, ins)
	if r.Task != nil && c.Local {
		// A proposal is also checked by every other party's node, against
		// its own copy of its agreement and its own floor, as taskCreate
		// will be: a proposal that passes here passes there.
		cs = append(cs, s.peerChecks(ctx, sp)...)
	}
	rep := &ComplianceReport{TaskID: r.TaskID, Pass: true, Checks: cs, Attestation: "none"}
	for _, ch := range cs {
		rep.Pass = rep.Pass && ch.Pass
	}
	code := "compliance_pass"
	if !rep.Pass {
		code = string(ComplianceFailed)
	}
	if e := k.allow(ctx, code, nil); e != nil {
		return nil, e
	}
	return rep, nil
}

// PerformanceMetric returns the task's timings and traffic, and the
// node's counters.
func (s *Service) PerformanceMetric(ctx context.Context, c Caller, r Ref) (out *Metrics, err error) {
	k := s.begin(c, OpPerformanceMetric, r.TaskID)
	defer k.finish(ctx, &err)
	rec, e := s.party(ctx, c, r.TaskID)
	if e != nil {
		return nil, e
	}
	evs, err := s.events(ctx, r.TaskID)
	if err != nil {
		return nil, internal(err, "reading the events")
	}
	m := &Metrics{TaskID: r.TaskID, Phases: map[string]int64{}}
	at := map[string]time.Time{}
	for _, ev := range evs {
		if _, ok := at[ev.Kind]; !ok {
			at[ev.Kind] = ev.At
		}
	}
	end := time.Time{}
	for _, st := range []string{StateSucceeded, StateFailed, StateCancelled} {
		if t, ok := at[st]; ok {
			end = t
		}
	}
	phase := func(name, from string, to time.Time) {
		if f, ok := at[from]; ok && !to.IsZero() {
			m.Phases[name] = to.Sub(f).Milliseconds()
		}
	}
	phase("created_to_authorized", StateCreated, at[StateAuthorized])
	phase("authorized_to_running", StateAuthorized, at[StateRunning])
	phase("running_to_end", StateRunning, end)
	var rm runMetrics
	if rn := s.runOf(r.TaskID); rn != nil {
		rm = rn.metrics()
	} else if rec.Metrics != "" {
		_ = json.Unmarshal([]byte(rec.Metrics), &rm)
	}
	m.BytesSent, m.BytesReceived, m.MessagesSent, m.MessagesRecvd, m.Items = rm.BytesSent, rm.BytesRecv, rm.MsgsSent, rm.MsgsRecv, rm.Items
	if rm.RunMS > 0 {
		m.ItemsPerSecond = float64(rm.Items) / (float64(rm.RunMS) / 1000)
	}
	counts, err := s.countByState(ctx)
	if err != nil {
		return nil, internal(err, "counting tasks")
	}
	m.Node = NodeCounters{Tasks: counts, Refusals: s.stats.refusals.Load(), BytesSent: s.stats.bytesSent.Load(), BytesReceived: s.stats.bytesRecv.Load(),
		MessagesSent: s.stats.msgsSent.Load(), MessagesRecvd: s.stats.msgsRecv.Load()}
	return m, nil
}

// peerChecks asks each other party's node to check the proposal sp and
// returns its checks, marked with the party; a node that cannot be asked
// gives one failing check.
func (s *Service) peerChecks(ctx context.Context, sp *Spec) []Check {
	var out []Check
	for i := range sp.Parties {
		p := &sp.Parties[i]
		if p.DID == s.self {
			continue
		}
		b, e := s.callPeer(ctx, p.DID, sp.agreementOf(p), OpComplianceCheck, ComplianceRequest{Task: sp})
		var rep ComplianceReport
		if e == nil {
			if err := json.Unmarshal(b, &rep); err != nil {
				e = refuse(PeerUnreachable, "%s", p.DID)
			}
		}
		if e != nil {
			f := fail("peer_check", e)
			f.Peer = p.DID
			out = append(out, f)
			continue
		}
		for _, ch := range rep.Checks {
			ch.Peer = p.DID
			out = append(out, ch)
		}
	}
	return out
}
