package contract

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/identity"
)

// UseRequest is one use of the data under an agreement, as the data plane
// (or xborder contract use) reports it: who, what, when and how much,
// never a data value.
type UseRequest struct {
	Agreement string    `json:"agreement"`
	Actor     string    `json:"actor,omitempty"`  // DID of the user; default the assignee
	Action    string    `json:"action,omitempty"` // a metering label such as use, query, transfer, compute; default use
	At        time.Time `json:"at,omitempty"`     // default now; never in the future
	Count     int64     `json:"count"`            // uses (calls, queries)
	Bytes     int64     `json:"bytes,omitempty"`
	Rows      int64     `json:"rows,omitempty"`
	Tasks     int64     `json:"tasks,omitempty"`    // privacy-computing tasks
	Provider  string    `json:"provider,omitempty"` // the co-provider credited in a revenue share; default the assigner
	Purpose   string    `json:"purpose,omitempty"`  // checked against the agreement when given
	Country   string    `json:"country,omitempty"`  // where the data is used; checked when given
	Ref       string    `json:"ref,omitempty"`      // the caller's reference, e.g. a transfer id
}

// MaxUseRequestBytes bounds a usage record read from outside.
const MaxUseRequestBytes = 16 << 10

// ParseUseRequest reads a usage record in JSON, refusing unknown fields.
// The values are checked by RecordUse.
func ParseUseRequest(data []byte) (UseRequest, error) {
	var u UseRequest
	if len(data) > MaxUseRequestBytes {
		return u, &InputError{Msg: fmt.Sprintf("usage record larger than %d bytes", MaxUseRequestBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&u); err != nil {
		return u, &InputError{Msg: "not a usage record: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return u, &InputError{Msg: "data after the usage record"}
	}
	return u, nil
}

// Refusal codes of UseDecision.
const (
	RefusedNotInForce      = "not_in_force"          // pending: the consumer has not countersigned
	RefusedSuspended       = "use_while_suspended"   // breach
	RefusedTerminated      = "use_after_termination" // breach
	RefusedOutsidePeriod   = "outside_period"        // breach: suspends
	RefusedLimit           = "limit_exceeded"        // breach: suspends
	RefusedPurpose         = "purpose_not_permitted" // breach: suspends
	RefusedSpatial         = "spatial_not_permitted" // breach: suspends
	RefusedRecipient       = "recipient_not_permitted"
	RefusedRouteNotApprove = "route_not_approved" // the provider's approval is missing: refused, not a breach
)

// UseDecision is the outcome of RecordUse.
type UseDecision struct {
	Allowed bool   `json:"allowed"`
	Seq     int64  `json:"seq,omitempty"`  // the usage record's number when allowed
	Code    string `json:"code,omitempty"` // the refusal code
	Reason  Text   `json:"reason,omitzero"`
	State   string `json:"state"` // the agreement's state after the decision
	// Counters are the limits and what has been used in the windows of
	// this use (after it, when allowed).
	Counters []Counter `json:"counters,omitempty"`
}

// Counter is one limit and its use in one window.
type Counter struct {
	Limit
	Key  string `json:"key"` // the window: 2026-11-05, 2026-11 or total
	Used int64  `json:"used"`
}

// Alert is raised on every breach.
type Alert struct {
	Agreement string    `json:"agreement"`
	At        time.Time `json:"at"`
	Code      string    `json:"code"`
	Message   Text      `json:"message"`
	State     string    `json:"state"` // the agreement's state after the breach
}

// Alerter is told of breaches; audit and webhooks plug in here.
type Alerter interface {
	Alert(ctx context.Context, a Alert) error
}

// AlerterFunc adapts a function to Alerter.
type AlerterFunc func(ctx context.Context, a Alert) error

// Alert calls f.
func (f AlerterFunc) Alert(ctx context.Context, a Alert) error { return f(ctx, a) }

// The statements of the hot path, prepared once by OpenStore.
const (
	sqlUseAgreement = `UPDATE contract_agreements SET uses = uses + 1, updated_at = $2 WHERE id = $1 AND state = 'active'
		RETURNING uses, activated_at, provider, consumer, invoiced_through`
	// One statement creates or bumps a counter, unless that would pass the
	// limit (q ≤ max is checked before, for a new counter).
	sqlUseCounter = `INSERT INTO contract_counters (agreement_id, metric, win, win_key, used) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (agreement_id, metric, win, win_key) DO UPDATE SET used = contract_counters.used + excluded.used
		WHERE contract_counters.used + excluded.used <= $6 RETURNING used`
	sqlUseInsert = `INSERT INTO contract_usage
		(agreement_id, seq, used_at, period, actor, action, provider, q_count, q_bytes, q_rows, q_tasks, ref)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
	sqlUseApproval = `SELECT COUNT(*) FROM contract_approvals WHERE provider = $1 AND route = $3 AND issued <= $2
		AND (expires = '' OR expires > $2)`
)

// maxFutureSkew is how far in the future a usage record may be dated.
const maxFutureSkew = time.Minute

var actionRE = regexp.MustCompile(`^[a-z][a-z_]{0,31}$`)

func windowKey(win string, t time.Time) string {
	switch win {
	case WindowDay:
		return t.UTC().Format(time.DateOnly)
	case WindowMonth:
		return t.UTC().Format("2006-01")
	}
	return WindowTotal
}

func (u UseRequest) quantity(metric string) int64 {
	switch metric {
	case MetricCount:
		return u.Count
	case MetricBytes:
		return u.Bytes
	case MetricRows:
		return u.Rows
	}
	return 0
}

// checkInput validates what does not depend on the agreement.
func (s *Store) checkInput(u *UseRequest) error {
	if u.Agreement == "" {
		return &InputError{Field: "agreement", Msg: "required"}
	}
	for _, q := range []struct {
		name string
		v    int64
	}{{"count", u.Count}, {"bytes", u.Bytes}, {"rows", u.Rows}, {"tasks", u.Tasks}} {
		if q.v < 0 {
			return &InputError{Field: q.name, Msg: "negative"}
		}
	}
	if u.Count == 0 && u.Bytes == 0 && u.Rows == 0 && u.Tasks == 0 {
		return &InputError{Field: "count", Msg: "a usage record has at least one quantity above zero"}
	}
	if u.Action == "" {
		u.Action = "use"
	}
	if !actionRE.MatchString(u.Action) {
		return &InputError{Field: "action", Msg: "a lower-case label such as use, query, transfer or compute"}
	}
	now := s.now().UTC()
	if u.At.IsZero() {
		u.At = now
	}
	u.At = u.At.UTC()
	if u.At.After(now.Add(maxFutureSkew)) {
		return &InputError{Field: "at", Msg: fmt.Sprintf("%s is in the future", u.At.Format(time.RFC3339))}
	}
	for _, d := range []struct{ name, v string }{{"actor", u.Actor}, {"provider", u.Provider}} {
		if d.v != "" {
			if _, err := identity.ParseDID(d.v); err != nil {
				return &InputError{Field: d.name, Msg: "not a DID: " + err.Error()}
			}
		}
	}
	if len(u.Ref) > maxStringLen || len(u.Purpose) > 64 || len(u.Country) > 2 {
		return &InputError{Field: "ref", Msg: "too long"}
	}
	return nil
}

// RecordUse checks one use against the agreement and, if it is permitted,
// counts it and records it, all in one transaction: concurrent calls never
// let a counter pass its limit. A refused use is a decision, not an error:
// a breach (beyond a limit, outside the period, another purpose,
// jurisdiction or recipient) suspends the agreement, and every breach —
// also a use while suspended or after termination — raises an alert.
// Errors are bad input (*InputError, ErrNotFound), which change nothing,
// or storage failures.
func (s *Store) RecordUse(ctx context.Context, u UseRequest) (*UseDecision, error) {
	if err := s.checkInput(&u); err != nil {
		return nil, err
	}
	dec, breach, err := s.tryUse(ctx, &u)
	if err != nil {
		return nil, err
	}
	if dec.Allowed {
		return dec, nil
	}
	if breach {
		state, err := s.suspendForBreach(ctx, u.Agreement, u.At, dec)
		if err != nil {
			return nil, err
		}
		dec.State = state
	}
	s.raise(ctx, Alert{Agreement: u.Agreement, At: u.At, Code: dec.Code, Message: dec.Reason, State: dec.State})
	return dec, nil
}

func (s *Store) raise(ctx context.Context, a Alert) {
	s.log.WarnContext(ctx, "contract breach", slog.String("agreement", a.Agreement), slog.String("code", a.Code), slog.String("state", a.State))
	if s.alert == nil {
		return
	}
	if err := s.alert.Alert(ctx, a); err != nil {
		s.log.ErrorContext(ctx, "alerter failed", slog.String("agreement", a.Agreement), slog.String("code", a.Code), slog.Any("error", err))
	}
}

// tryUse runs the checking transaction. It returns the decision and
// whether a refusal is a breach that suspends the agreement.
func (s *Store) tryUse(ctx context.Context, u *UseRequest) (*UseDecision, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("recording use of %s: %w", u.Agreement, err)
	}
	defer tx.Rollback()
	// The first statement writes: it checks the state and takes the
	// agreement's row lock (PostgreSQL) or the write lock (SQLite), so
	// that uses of one agreement are checked one at a time.
	var seq int64
	var activated sql.NullInt64
	var provider, consumer, invoiced string
	err = tx.StmtContext(ctx, s.stmts.use).QueryRowContext(ctx, u.Agreement, ms(s.now())).
		Scan(&seq, &activated, &provider, &consumer, &invoiced)
	if errors.Is(err, sql.ErrNoRows) {
		tx.Rollback()
		return s.refuseByState(ctx, u)
	}
	if err != nil {
		return nil, false, fmt.Errorf("recording use of %s: %w", u.Agreement, err)
	}
	if inForce := fromMS(activated); u.At.Before(inForce) {
		return nil, false, &InputError{Field: "at", Msg: fmt.Sprintf("the agreement came into force at %s; a use dated %s cannot be recorded under it",
			inForce.Format(time.RFC3339), u.At.Format(time.RFC3339))}
	}
	t, err := s.cachedTerms(ctx, tx, u.Agreement)
	if err != nil {
		return nil, false, err
	}
	period := u.At.Format("2006-01")
	if invoiced != "" && period <= invoiced {
		return nil, false, &InputError{Field: "at", Msg: fmt.Sprintf("period %s is already invoiced (through %s); a use dated then cannot be recorded", period, invoiced)}
	}
	if u.Actor == "" {
		u.Actor = consumer
	}
	if u.Provider == "" {
		u.Provider = provider
	}
	if pr := t.p.Pricing; pr != nil && pr.Revenue != nil {
		if !pr.Revenue.HasProvider(u.Provider) {
			return nil, false, &InputError{Field: "provider", Msg: u.Provider + " is not a provider of the agreement's revenue share"}
		}
	} else if u.Provider != provider {
		return nil, false, &InputError{Field: "provider", Msg: "the agreement has no revenue share; only its provider is credited"}
	}
	refuse := func(code string, msg Text) (*UseDecision, bool, error) {
		return &UseDecision{Code: code, Reason: msg, State: StateActive}, true, nil
	}
	if !t.period.Contains(u.At) {
		return refuse(RefusedOutsidePeriod, Text{
			EN: fmt.Sprintf("Use at %s is outside the agreement's period %s.", u.At.Format(time.RFC3339), periodString(t.period)),
			ZH: fmt.Sprintf("%s 的使用超出协议期限 %s。", u.At.Format(time.RFC3339), periodString(t.period))})
	}
	if u.Purpose != "" && t.hasPurp && !slices.Contains(t.purposes, u.Purpose) {
		return refuse(RefusedPurpose, Text{
			EN: fmt.Sprintf("Purpose %q is not among the agreement's purposes %v.", u.Purpose, t.purposes),
			ZH: fmt.Sprintf("目的 %q 不在协议约定的目的 %v 之内。", u.Purpose, t.purposes)})
	}
	if u.Country != "" && t.hasSpat && !slices.Contains(t.countries, u.Country) {
		return refuse(RefusedSpatial, Text{
			EN: fmt.Sprintf("Use in %s is outside the agreement's jurisdictions %v.", u.Country, t.countries),
			ZH: fmt.Sprintf("在 %s 的使用超出协议约定的司法辖区 %v。", u.Country, t.countries)})
	}
	if u.Actor != consumer {
		if rs, ok := t.p.Recipients(); !ok || !slices.Contains(rs, u.Actor) {
			return refuse(RefusedRecipient, Text{
				EN: fmt.Sprintf("%s is neither the consumer nor a permitted recipient.", u.Actor),
				ZH: fmt.Sprintf("%s 既不是数据使用方，也不是允许的接收方。", u.Actor)})
		}
	}
	if len(t.routes) > 0 {
		ok, err := s.approvalOnRecord(ctx, tx, provider, t.routes, u.At)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			return &UseDecision{Code: RefusedRouteNotApprove, State: StateActive, Reason: Text{
				EN: fmt.Sprintf("The agreement permits use only once an approval for %s is on record; none is valid on %s. Record it with xborder contract approval add.", strings.Join(t.routes, " or "), u.At.Format(time.DateOnly)),
				ZH: fmt.Sprintf("协议约定须在 %s 的审批或备案记录在案后方可使用；%s 无有效记录。请用 xborder contract approval add 登记。", strings.Join(t.routes, "或"), u.At.Format(time.DateOnly))}}, false, nil
		}
	}
	dec := &UseDecision{Allowed: true, Seq: seq, State: StateActive}
	for _, l := range t.limits {
		q := u.quantity(l.Metric)
		key := windowKey(l.Window, u.At)
		if q == 0 {
			continue
		}
		if q > l.Max {
			return refuseLimit(l, key, q, 0)
		}
		var used int64
		err := tx.StmtContext(ctx, s.stmts.counter).QueryRowContext(ctx, u.Agreement, l.Metric, l.Window, key, q, l.Max).Scan(&used)
		if errors.Is(err, sql.ErrNoRows) {
			var before int64
			if err := tx.QueryRowContext(ctx, `SELECT used FROM contract_counters WHERE agreement_id = $1 AND metric = $2 AND win = $3 AND win_key = $4`,
				u.Agreement, l.Metric, l.Window, key).Scan(&before); err != nil {
				return nil, false, fmt.Errorf("recording use of %s: %w", u.Agreement, err)
			}
			return refuseLimit(l, key, q, before)
		}
		if err != nil {
			return nil, false, fmt.Errorf("recording use of %s: %w", u.Agreement, err)
		}
		dec.Counters = append(dec.Counters, Counter{Limit: l, Key: key, Used: used})
	}
	if _, err := tx.StmtContext(ctx, s.stmts.insert).ExecContext(ctx,
		u.Agreement, seq, ms(u.At), period, u.Actor, u.Action, u.Provider, u.Count, u.Bytes, u.Rows, u.Tasks, u.Ref); err != nil {
		return nil, false, fmt.Errorf("recording use of %s: %w", u.Agreement, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("recording use of %s: %w", u.Agreement, err)
	}
	return dec, false, nil
}

func refuseLimit(l Limit, key string, q, before int64) (*UseDecision, bool, error) {
	return &UseDecision{Code: RefusedLimit, State: StateActive,
		Counters: []Counter{{Limit: l, Key: key, Used: before}},
		Reason: Text{
			EN: fmt.Sprintf("Limit exceeded: %d more %s would bring %s (%s) to %d, over the limit of %d.", q, metricName(l.Metric, "en", q), windowName(l.Window, "en"), key, before+q, l.Max),
			ZH: fmt.Sprintf("超出限额：再使用 %d %s将使%s（%s）累计达到 %d，超过上限 %d。", q, metricName(l.Metric, "zh", q), windowName(l.Window, "zh"), key, before+q, l.Max)}}, true, nil
}

func metricName(m, lang string, q int64) string {
	n := map[string][2]string{MetricCount: {"use", "次"}, MetricBytes: {"byte", "字节"}, MetricRows: {"row", "条记录"}}[m]
	if lang == "zh" {
		return n[1]
	}
	if q != 1 {
		return n[0] + "s"
	}
	return n[0]
}

func windowName(w, lang string) string {
	m := map[string][2]string{WindowDay: {"the day's use", "当日"}, WindowMonth: {"the month's use", "当月"}, WindowTotal: {"the total use", "总"}}[w]
	if lang == "zh" {
		return m[1]
	}
	return m[0]
}

func periodString(p Period) string {
	f := func(t time.Time) string {
		if t.IsZero() {
			return "…"
		}
		return t.Format(time.RFC3339)
	}
	return "[" + f(p.From) + ", " + f(p.Until) + ")"
}

// cachedTerms returns the agreement's parsed terms, reading the stored
// agreement only on a cache miss.
func (s *Store) cachedTerms(ctx context.Context, tx *sql.Tx, id string) (*terms, error) {
	if t, ok := s.cache.Load(id); ok {
		return t.(*terms), nil
	}
	var agreement string
	if err := tx.QueryRowContext(ctx, `SELECT agreement FROM contract_agreements WHERE id = $1`, id).Scan(&agreement); err != nil {
		return nil, fmt.Errorf("reading agreement %s: %w", id, err)
	}
	return s.terms(id, agreement)
}

func (s *Store) approvalOnRecord(ctx context.Context, tx *sql.Tx, provider string, routes []string, at time.Time) (bool, error) {
	day := at.UTC().Format(time.DateOnly)
	st := tx.StmtContext(ctx, s.stmts.approval)
	for _, r := range routes {
		var n int64
		if err := st.QueryRowContext(ctx, provider, day, r).Scan(&n); err != nil {
			return false, fmt.Errorf("checking approvals: %w", err)
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

// refuseByState explains why an agreement that is not active refused a
// use; ErrNotFound if there is no such agreement.
func (s *Store) refuseByState(ctx context.Context, u *UseRequest) (*UseDecision, bool, error) {
	var state string
	err := s.db.QueryRowContext(ctx, `SELECT state FROM contract_agreements WHERE id = $1`, u.Agreement).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("%w: %s", ErrNotFound, truncate(u.Agreement))
	}
	if err != nil {
		return nil, false, fmt.Errorf("recording use of %s: %w", u.Agreement, err)
	}
	d := &UseDecision{State: state}
	switch state {
	case StatePending:
		d.Code, d.Reason = RefusedNotInForce, Text{EN: "The agreement is not in force: the consumer has not countersigned it.", ZH: "协议尚未生效：数据使用方尚未会签。"}
	case StateSuspended:
		d.Code, d.Reason = RefusedSuspended, Text{EN: "The agreement is suspended; use is refused until the provider resumes it.", ZH: "协议已暂停；在提供方恢复之前拒绝使用。"}
	default:
		d.Code, d.Reason = RefusedTerminated, Text{EN: "The agreement is terminated; no use is permitted.", ZH: "协议已终止；不得再使用。"}
	}
	return d, false, nil
}

// suspendForBreach suspends an active agreement after a breach and
// records the breach; it returns the state after.
func (s *Store) suspendForBreach(ctx context.Context, id string, at time.Time, d *UseDecision) (string, error) {
	now := s.now().UTC()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("suspending %s: %w", id, err)
	}
	defer tx.Rollback()
	// Lock the agreement's row whatever its state: the events are numbered
	// from the last one, and on PostgreSQL only the row lock keeps two
	// breaches (the second finding the agreement already suspended) from
	// taking the same number.
	if _, err := tx.ExecContext(ctx, `UPDATE contract_agreements SET updated_at = updated_at WHERE id = $1`, id); err != nil {
		return "", fmt.Errorf("suspending %s: %w", id, err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE contract_agreements SET state = 'suspended', updated_at = $2 WHERE id = $1 AND state = 'active'`, id, ms(now))
	if err != nil {
		return "", fmt.Errorf("suspending %s: %w", id, err)
	}
	if err := s.event(ctx, tx, id, now, "breach", "", d.Code, d.Reason.EN, ""); err != nil {
		return "", err
	}
	state := StateSuspended
	if n, _ := res.RowsAffected(); n == 1 {
		if err := s.event(ctx, tx, id, now, "suspended", "", d.Code, "suspended after a breach", ""); err != nil {
			return "", err
		}
	} else if err := tx.QueryRowContext(ctx, `SELECT state FROM contract_agreements WHERE id = $1`, id).Scan(&state); err != nil {
		return "", fmt.Errorf("suspending %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("suspending %s: %w", id, err)
	}
	return state, nil
}

// Counters returns, for each limit of the agreement, what has been used in
// the window containing at.
func (s *Store) Counters(ctx context.Context, id string, at time.Time) ([]Counter, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []Counter
	for _, l := range r.Limits {
		c := Counter{Limit: l, Key: windowKey(l.Window, at)}
		err := s.db.QueryRowContext(ctx, `SELECT used FROM contract_counters WHERE agreement_id = $1 AND metric = $2 AND win = $3 AND win_key = $4`,
			id, l.Metric, l.Window, c.Key).Scan(&c.Used)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("reading counters of %s: %w", id, err)
		}
		out = append(out, c)
	}
	return out, nil
}
