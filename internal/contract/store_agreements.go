package contract

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/jws"
	"github.com/xborder/xborder/internal/rulebook"
	"github.com/xborder/xborder/internal/suite"
)

// Agreement states.
const (
	StatePending    = "pending"    // signed by the provider, awaiting the consumer
	StateActive     = "active"     // countersigned: use is permitted within its terms
	StateSuspended  = "suspended"  // after a breach or by the provider; resumable
	StateTerminated = "terminated" // final
)

// Record is a stored agreement with its state.
type Record struct {
	ID              string
	State           string
	Provider        string
	Consumer        string
	Target          string
	Template        string
	OfferID         string
	OfferDigest     string
	Issued          time.Time
	Activated       time.Time
	Ended           time.Time
	Period          Period
	Limits          []Limit
	Uses            int64
	Currency        string
	InvoicedThrough string
	Signed          Signed
	Agreement       *Policy
}

// terms are what enforcement needs of an agreement, parsed once.
type terms struct {
	p         *Policy
	period    Period
	limits    []Limit
	routes    []string
	purposes  []string
	hasPurp   bool
	countries []string
	hasSpat   bool
}

func newTerms(p *Policy) *terms {
	t := &terms{p: p, period: p.Period(), limits: p.Limits()}
	t.routes, _ = p.ApprovedRoutes()
	t.purposes, t.hasPurp = p.Purposes()
	t.countries, t.hasSpat = p.Countries()
	return t
}

// terms returns the parsed terms of a stored agreement, from the cache.
func (s *Store) terms(id, agreementJSON string) (*terms, error) {
	if t, ok := s.cache.Load(id); ok {
		return t.(*terms), nil
	}
	p, err := ParsePolicy([]byte(agreementJSON))
	if err != nil {
		return nil, fmt.Errorf("stored agreement %s: %w", id, err)
	}
	t := newTerms(p)
	s.cache.Store(id, t)
	return t, nil
}

// PutAgreement verifies a signed agreement and stores it: pending when
// only the provider has signed, active when countersigned. Storing the
// same signed agreement again returns the stored record.
func (s *Store) PutAgreement(ctx context.Context, sa *Signed) (*Record, error) {
	if s.resolve == nil {
		return nil, errors.New("contract store: no key resolver to verify signatures")
	}
	v, err := VerifyAgreement(ctx, sa, s.resolve, false)
	if err != nil {
		return nil, err
	}
	a := v.Agreement
	now := s.now().UTC()
	state, activated := StatePending, time.Time{}
	if v.Countersigned {
		state, activated = StateActive, now
	}
	currency := ""
	if a.Pricing != nil {
		currency = a.Pricing.Currency
	}
	pd := a.Period()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("storing agreement %s: %w", sa.ID, err)
	}
	defer tx.Rollback()
	var consumerJWS sql.NullString
	if sa.ConsumerJWS != "" {
		consumerJWS = sql.NullString{String: sa.ConsumerJWS, Valid: true}
	}
	// ON CONFLICT: a concurrent PutAgreement of the same agreement (which
	// PostgreSQL does not serialise as SQLite's write lock does) finds it
	// stored instead of failing on the primary key.
	res, err := tx.ExecContext(ctx, `INSERT INTO contract_agreements
		(id, offer_id, offer_digest, template, target, provider, consumer, state, issued_at, activated_at, ended_at,
		 period_from, period_until, currency, agreement, provider_jws, consumer_jws, uses, invoiced_through, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11, $12, $13, $14, $15, $16, 0, '', $17)
		ON CONFLICT (id) DO NOTHING`,
		a.UID, a.OfferUID, a.OfferDigest, a.Template, a.Target, a.Assigner, a.Assignee, state, ms(a.Issued), nullMS(activated),
		nullMS(pd.From), nullMS(pd.Until), currency, string(v.Raw), sa.ProviderJWS, consumerJWS, ms(now))
	if err != nil {
		return nil, fmt.Errorf("storing agreement %s: %w", sa.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("storing agreement %s: %w", sa.ID, err)
	} else if n == 0 {
		tx.Rollback()
		return s.storedAgain(ctx, sa)
	}
	for _, l := range a.Limits() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO contract_limits (agreement_id, metric, win, max_value) VALUES ($1, $2, $3, $4)`,
			a.UID, l.Metric, l.Window, l.Max); err != nil {
			return nil, fmt.Errorf("storing agreement %s: %w", sa.ID, err)
		}
	}
	if err := s.event(ctx, tx, a.UID, now, "signed", a.Assigner, "", "provider signed with "+v.ProviderKid, ""); err != nil {
		return nil, err
	}
	if v.Countersigned {
		if err := s.event(ctx, tx, a.UID, now, "countersigned", a.Assignee, "", "consumer countersigned with "+v.ConsumerKid, ""); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("storing agreement %s: %w", sa.ID, err)
	}
	s.log.InfoContext(ctx, "agreement stored", slog.String("agreement", a.UID), slog.String("state", state))
	return s.Get(ctx, sa.ID)
}

// storedAgain answers PutAgreement for an agreement already stored: the
// stored record when it is the same (activated if this one is
// countersigned and the stored one pending), ErrExists otherwise.
func (s *Store) storedAgain(ctx context.Context, sa *Signed) (*Record, error) {
	var existing string
	if err := s.db.QueryRowContext(ctx, `SELECT provider_jws FROM contract_agreements WHERE id = $1`, sa.ID).Scan(&existing); err != nil {
		return nil, fmt.Errorf("storing agreement %s: %w", sa.ID, err)
	}
	if existing != sa.ProviderJWS {
		return nil, fmt.Errorf("agreement %s: %w with other content", sa.ID, ErrExists)
	}
	if sa.ConsumerJWS != "" {
		if r, err := s.Get(ctx, sa.ID); err == nil && r.State == StatePending {
			return s.Activate(ctx, sa.ID, sa.ConsumerJWS)
		}
	}
	return s.Get(ctx, sa.ID)
}

// Activate verifies the consumer's countersignature of a pending
// agreement and makes it active.
func (s *Store) Activate(ctx context.Context, id, consumerJWS string) (*Record, error) {
	if s.resolve == nil {
		return nil, errors.New("contract store: no key resolver to verify signatures")
	}
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.State != StatePending {
		return nil, fmt.Errorf("agreement %s is %s: %w", id, r.State, ErrState)
	}
	sa := &Signed{ID: id, ProviderJWS: r.Signed.ProviderJWS, ConsumerJWS: consumerJWS}
	v, err := VerifyAgreement(ctx, sa, s.resolve, true)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("activating agreement %s: %w", id, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE contract_agreements SET state = 'active', consumer_jws = $2, activated_at = $3, updated_at = $3
		WHERE id = $1 AND state = 'pending'`, id, consumerJWS, ms(now))
	if err != nil {
		return nil, fmt.Errorf("activating agreement %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, fmt.Errorf("agreement %s changed state meanwhile: %w", id, ErrState)
	}
	if err := s.event(ctx, tx, id, now, "countersigned", r.Consumer, "", "consumer countersigned with "+v.ConsumerKid, ""); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("activating agreement %s: %w", id, err)
	}
	s.log.InfoContext(ctx, "agreement activated", slog.String("agreement", id))
	return s.Get(ctx, id)
}

const selectAgreement = `SELECT id, state, provider, consumer, target, template, offer_id, offer_digest, issued_at, activated_at,
	ended_at, period_from, period_until, uses, currency, invoiced_through, agreement, provider_jws, consumer_jws FROM contract_agreements`

type scanner interface{ Scan(...any) error }

func (s *Store) scanRecord(sc scanner) (*Record, error) {
	var r Record
	var issued int64
	var activated, ended, from, until sql.NullInt64
	var agreement string
	var consumerJWS sql.NullString
	if err := sc.Scan(&r.ID, &r.State, &r.Provider, &r.Consumer, &r.Target, &r.Template, &r.OfferID, &r.OfferDigest, &issued,
		&activated, &ended, &from, &until, &r.Uses, &r.Currency, &r.InvoicedThrough, &agreement, &r.Signed.ProviderJWS, &consumerJWS); err != nil {
		return nil, err
	}
	r.Issued = time.UnixMilli(issued).UTC()
	r.Activated, r.Ended = fromMS(activated), fromMS(ended)
	r.Period = Period{From: fromMS(from), Until: fromMS(until)}
	r.Signed.ID, r.Signed.ConsumerJWS = r.ID, consumerJWS.String
	t, err := s.terms(r.ID, agreement)
	if err != nil {
		return nil, err
	}
	r.Agreement, r.Limits = t.p, t.limits
	return &r, nil
}

// Get returns the agreement with the id (ErrNotFound if none).
func (s *Store) Get(ctx context.Context, id string) (*Record, error) {
	r, err := s.scanRecord(s.db.QueryRowContext(ctx, selectAgreement+` WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, truncate(id))
	}
	if err != nil {
		return nil, fmt.Errorf("reading agreement %s: %w", truncate(id), err)
	}
	return r, nil
}

// List returns every agreement, oldest first.
func (s *Store) List(ctx context.Context) ([]*Record, error) {
	rows, err := s.db.QueryContext(ctx, selectAgreement+` ORDER BY issued_at, id`)
	if err != nil {
		return nil, fmt.Errorf("listing agreements: %w", err)
	}
	defer rows.Close()
	var out []*Record
	for rows.Next() {
		r, err := s.scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("listing agreements: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Event is a recorded change of an agreement.
type Event struct {
	N         int64     `json:"n"` // 1, 2, … per agreement
	Agreement string    `json:"agreement"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"` // signed, countersigned, breach, suspended, resumed, terminated
	Actor     string    `json:"actor,omitempty"`
	Code      string    `json:"code,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}

func (s *Store) event(ctx context.Context, tx *sql.Tx, id string, at time.Time, kind, actor, code, detail, evidence string) error {
	// n numbers the agreement's events; every caller has written the
	// agreement's row (or inserted it) in this transaction, which
	// serialises writers of one agreement.
	if _, err := tx.ExecContext(ctx, `INSERT INTO contract_events (agreement_id, n, at, kind, actor, code, detail, evidence)
		SELECT $1, COALESCE(MAX(n), 0) + 1, $2, $3, $4, $5, $6, $7 FROM contract_events WHERE agreement_id = $1`,
		id, ms(at), kind, actor, code, detail, evidence); err != nil {
		return fmt.Errorf("recording %s event of %s: %w", kind, id, err)
	}
	return nil
}

// Events returns the agreement's events in order.
func (s *Store) Events(ctx context.Context, id string) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT n, agreement_id, at, kind, actor, code, detail FROM contract_events
		WHERE agreement_id = $1 ORDER BY n`, id)
	if err != nil {
		return nil, fmt.Errorf("reading events of %s: %w", id, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&e.N, &e.Agreement, &at, &e.Kind, &e.Actor, &e.Code, &e.Detail); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// RecordApproval records a filing or approval the provider holds (for
// example a CAC security assessment); agreements that require an approved
// route refuse use until one is on record and valid.
func (s *Store) RecordApproval(ctx context.Context, provider string, a rulebook.Approval) error {
	if _, err := identity.ParseDID(provider); err != nil {
		return &InputError{Field: "provider", Msg: "not a DID: " + err.Error()}
	}
	ri, ok := rulebook.RouteByCode(a.Route)
	if !ok || !ri.Filing {
		return &InputError{Field: "route", Msg: fmt.Sprintf("%q is not a route that needs a filing or approval (e.g. CN_SA, CN_SC, CN_CERT, EU_BCR)", a.Route)}
	}
	a.Ref = strings.TrimSpace(a.Ref)
	if a.Ref == "" || len(a.Ref) > maxStringLen {
		return &InputError{Field: "ref", Msg: "give the reference of the filing or approval"}
	}
	if a.Issued.IsZero() {
		return &InputError{Field: "issued", Msg: "give the day it was issued"}
	}
	if !a.Expires.IsZero() && !a.Expires.After(a.Issued.Time) {
		return &InputError{Field: "expires", Msg: "expires on or before the day it was issued"}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO contract_approvals (provider, route, ref, issued, expires, recorded_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, provider, a.Route, a.Ref, a.Issued.String(), a.Expires.String(), ms(s.now()))
	if err != nil {
		if _, dup := s.approval(ctx, provider, a.Route, a.Ref); dup {
			return &InputError{Field: "ref", Msg: fmt.Sprintf("%s %s is already recorded", a.Route, a.Ref)}
		}
		return fmt.Errorf("recording approval %s %s: %w", a.Route, a.Ref, err)
	}
	return nil
}

func (s *Store) approval(ctx context.Context, provider, route, ref string) (rulebook.Approval, bool) {
	var a rulebook.Approval
	var issued, expires string
	err := s.db.QueryRowContext(ctx, `SELECT route, ref, issued, expires FROM contract_approvals WHERE provider = $1 AND route = $2 AND ref = $3`,
		provider, route, ref).Scan(&a.Route, &a.Ref, &issued, &expires)
	return a, err == nil
}

// Approvals lists the approvals recorded for a provider.
func (s *Store) Approvals(ctx context.Context, provider string) ([]rulebook.Approval, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT route, ref, issued, expires FROM contract_approvals WHERE provider = $1 ORDER BY issued, route, ref`, provider)
	if err != nil {
		return nil, fmt.Errorf("reading approvals: %w", err)
	}
	defer rows.Close()
	var out []rulebook.Approval
	for rows.Next() {
		var a rulebook.Approval
		var issued, expires string
		if err := rows.Scan(&a.Route, &a.Ref, &issued, &expires); err != nil {
			return nil, err
		}
		a.Issued, _ = rulebook.ParseDate(issued)
		if expires != "" {
			a.Expires, _ = rulebook.ParseDate(expires)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// RecordReview keeps a review, so that signing can check the offer passed.
func (s *Store) RecordReview(ctx context.Context, r *Review) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	passed := 0
	if r.Passed {
		passed = 1
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO contract_reviews (offer_digest, reviewed_at, passed, review) VALUES ($1, $2, $3, $4)
		ON CONFLICT (offer_digest, reviewed_at) DO NOTHING`, r.OfferDigest, ms(s.now()), passed, string(b)); err != nil {
		return fmt.Errorf("recording the review of %s: %w", r.Offer, err)
	}
	return nil
}

// LatestReview returns the most recent review of the offer with the
// digest (ErrNotFound if none).
func (s *Store) LatestReview(ctx context.Context, digest string) (*Review, error) {
	var b string
	err := s.db.QueryRowContext(ctx, `SELECT review FROM contract_reviews WHERE offer_digest = $1 ORDER BY reviewed_at DESC LIMIT 1`, digest).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: no review of %s", ErrNotFound, digest)
	}
	if err != nil {
		return nil, fmt.Errorf("reading reviews: %w", err)
	}
	var r Review
	if err := json.Unmarshal([]byte(b), &r); err != nil {
		return nil, fmt.Errorf("stored review of %s: %w", digest, err)
	}
	return &r, nil
}

// Authorised actions on an agreement.
const (
	ActionSuspend   = "suspend"
	ActionResume    = "resume"
	ActionTerminate = "terminate"
	// TypAction is the "typ" of a signed action.
	TypAction = "xborder-contract-action+jws"
	// ActionMaxSkew bounds how far a signed action's time may be from now.
	ActionMaxSkew = 10 * time.Minute
)

// Action is an authorised change of an agreement's state, signed by a
// party: the provider suspends or resumes; either party terminates.
type Action struct {
	Agreement string    `json:"agreement"`
	Action    string    `json:"action"`
	Reason    string    `json:"reason"`
	Issued    time.Time `json:"issued"`
}

// SignAction signs an action as a compact JWS with kid, a verification
// method of the signing party's DID.
func SignAction(a Action, s suite.Signer, kid string) (string, error) {
	a.Issued = a.Issued.UTC().Truncate(time.Millisecond)
	b, err := json.Marshal(a)
	if err != nil {
		return "", err
	}
	return jws.Sign(b, s, jws.Header{Kid: kid, Typ: TypAction})
}

// Act verifies a signed action and applies it. The token is single-use
// and must be issued within ActionMaxSkew of now; the signer must be
// entitled to the action. The action and its token are recorded as an
// event.
func (s *Store) Act(ctx context.Context, token string) (*Record, error) {
	if s.resolve == nil {
		return nil, errors.New("contract store: no key resolver to verify signatures")
	}
	v, err := jws.Verify(ctx, token, s.resolve, jws.Expect{Typ: TypAction, MaxBytes: 64 << 10})
	if err != nil {
		return nil, fmt.Errorf("action: %w", err)
	}
	var a Action
	if err := strictUnmarshal(v.Payload, &a); err != nil {
		return nil, &InputError{Field: "action", Msg: "not an action: " + err.Error()}
	}
	now := s.now().UTC()
	if d := now.Sub(a.Issued); d > ActionMaxSkew || d < -ActionMaxSkew {
		return nil, &InputError{Field: "issued", Msg: fmt.Sprintf("the action was issued at %s, more than %s from now", a.Issued.Format(time.RFC3339), ActionMaxSkew)}
	}
	if len(a.Reason) > maxStringLen {
		return nil, &InputError{Field: "reason", Msg: "too long"}
	}
	r, err := s.Get(ctx, a.Agreement)
	if err != nil {
		return nil, err
	}
	u, err := identity.ParseDIDURL(v.Header.Kid)
	if err != nil {
		return nil, fmt.Errorf("%w: kid is not a DID URL", ErrPartyMismatch)
	}
	signer := u.DID.String()
	var from []string
	var to, kind string
	switch a.Action {
	case ActionSuspend:
		from, to, kind = []string{StateActive}, StateSuspended, "suspended"
		if signer != r.Provider {
			return nil, fmt.Errorf("%w: only the provider %s may suspend, not %s", ErrPartyMismatch, r.Provider, signer)
		}
	case ActionResume:
		from, to, kind = []string{StateSuspended}, StateActive, "resumed"
		if signer != r.Provider {
			return nil, fmt.Errorf("%w: only the provider %s may resume, not %s", ErrPartyMismatch, r.Provider, signer)
		}
	case ActionTerminate:
		from, to, kind = []string{StatePending, StateActive, StateSuspended}, StateTerminated, "terminated"
		if signer != r.Provider && signer != r.Consumer {
			return nil, fmt.Errorf("%w: only the parties may terminate, not %s", ErrPartyMismatch, signer)
		}
	default:
		return nil, &InputError{Field: "action", Msg: fmt.Sprintf("%q (accepted: suspend, resume, terminate)", a.Action)}
	}
	if !slices.Contains(from, r.State) {
		return nil, fmt.Errorf("cannot %s agreement %s, which is %s: %w", a.Action, r.ID, r.State, ErrState)
	}
	sum := sha256.Sum256([]byte(token))
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", a.Action, r.ID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO contract_actions (digest, agreement_id, at) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING`,
		hex.EncodeToString(sum[:]), r.ID, ms(now))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", a.Action, r.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, &InputError{Field: "token", Msg: "this signed action was already used"}
	}
	q := `UPDATE contract_agreements SET state = $2, updated_at = $3 WHERE id = $1 AND state = $4`
	if to == StateTerminated {
		q = `UPDATE contract_agreements SET state = $2, updated_at = $3, ended_at = $3 WHERE id = $1 AND state = $4`
	}
	res, err = tx.ExecContext(ctx, q, r.ID, to, ms(now), r.State)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", a.Action, r.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, fmt.Errorf("agreement %s changed state meanwhile: %w", r.ID, ErrState)
	}
	if err := s.event(ctx, tx, r.ID, now, kind, signer, a.Action, a.Reason, token); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("%s %s: %w", a.Action, r.ID, err)
	}
	s.log.InfoContext(ctx, "agreement state changed", slog.String("agreement", r.ID), slog.String("state", to))
	return s.Get(ctx, r.ID)
}
