package catalog

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Protocol names the access protocol of an AccessInterface.
const Protocol = "dataspace-protocol-http:2025-1"

// AccessInterface is the "access interface" of a resolution (seed
// §2.2.2.2: 标识→元数据→访问接口): the Dataspace Protocol endpoint where a
// consumer requests the dataset and negotiates one of its offers.
type AccessInterface struct {
	Protocol    string   `json:"protocol"`
	Format      string   `json:"format"` // transfer type, e.g. HttpData-PULL
	ServiceID   string   `json:"serviceId"`
	EndpointURL string   `json:"endpointURL,omitempty"`
	DatasetURL  string   `json:"datasetURL,omitempty"` // GET <endpoint>/catalog/datasets/<dataset @id>
	Offers      []string `json:"offers,omitempty"`     // @id of each offer of hasPolicy
}

// accessInterfaces lists the access interfaces of an entry: one per
// distribution. A distribution that refers to a service by @id gets its
// endpoint from svc when svc is that service.
func accessInterfaces(e *Entry, svc *DataService) []AccessInterface {
	var offers []string
	for _, o := range e.Offers {
		var v struct {
			ID string `json:"@id"`
		}
		if json.Unmarshal(o, &v) == nil && v.ID != "" {
			offers = append(offers, v.ID)
		}
	}
	var out []AccessInterface
	for _, d := range e.Distributions {
		a := AccessInterface{Protocol: Protocol, Format: d.Format, Offers: offers}
		s := d.AccessService.Service
		if s == nil {
			a.ServiceID = d.AccessService.Ref
			if svc != nil && svc.ID == a.ServiceID {
				s = svc
			}
		}
		if s != nil {
			a.ServiceID = s.ID
			a.EndpointURL = s.EndpointURL
			a.DatasetURL = datasetURL(s.EndpointURL, IRIBase+e.Identifier)
		}
		out = append(out, a)
	}
	return out
}

// withCatalogService fills, in place, the endpoints of interfaces that
// name the catalog's service by @id.
func (c *Catalog) withCatalogService(identifier string, as []AccessInterface) []AccessInterface {
	for i, a := range as {
		if a.EndpointURL != "" {
			continue
		}
		if s := c.serviceFor(a.ServiceID); s != nil {
			as[i].EndpointURL = s.EndpointURL
			as[i].DatasetURL = datasetURL(s.EndpointURL, IRIBase+identifier)
		}
	}
	return as
}

func datasetURL(endpoint, iri string) string {
	return strings.TrimRight(endpoint, "/") + "/catalog/datasets/" + url.PathEscape(iri)
}

// Resolution is the answer to a resolution: identifier → metadata →
// access interface.
type Resolution struct {
	Identifier string            `json:"identifier"`
	IRI        string            `json:"iri"`
	Revision   int64             `json:"revision"`
	Metadata   *Entry            `json:"metadata"`
	Access     []AccessInterface `json:"access"`
	// ParticipantID is the DID of the participant whose catalog holds it.
	ParticipantID string `json:"participantId,omitempty"`
	ResolvedBy    string `json:"resolvedBy"`
	ResolvedAt    string `json:"resolvedAt"`
}

// Resolution outcomes, as recorded.
const (
	OutcomeResolved  = "resolved"
	OutcomeDenied    = "denied"
	OutcomeNotFound  = "not_found"
	OutcomeWithdrawn = "withdrawn"
	OutcomeInvalid   = "invalid"
	OutcomeError     = "error"
)

// Resolve resolves an identifier (or its IRI) for a requester: it checks
// the requester may see the entry, records the resolution whatever its
// outcome (who, what, when, outcome) and returns the metadata with the
// access interfaces. A resolution that cannot be recorded fails.
func (c *Catalog) Resolve(ctx context.Context, r Requester, ref string) (*Resolution, error) {
	at := c.now().UTC()
	rec := ResolutionRecord{At: at, Requester: requesterName(r), Resolver: c.cfg.Node}
	id, err := ParseRef(ref)
	if err != nil {
		rec.Outcome, rec.Reason = OutcomeInvalid, "malformed identifier"
		return nil, errors.Join(err, c.record(ctx, rec))
	}
	rec.Identifier = id.String()
	e, rev, err := c.get(ctx, r, id.String())
	switch {
	case errors.Is(err, ErrNotFound):
		rec.Outcome = OutcomeNotFound
	case errors.Is(err, ErrDenied):
		rec.Outcome, rec.Reason = OutcomeDenied, "the requester's credentials do not satisfy the access policy"
	case errors.Is(err, ErrWithdrawn):
		rec.Outcome = OutcomeWithdrawn
	case err != nil:
		rec.Outcome, rec.Reason = OutcomeError, "internal error"
	default:
		rec.Outcome = OutcomeResolved
	}
	if rerr := c.record(ctx, rec); rerr != nil {
		return nil, rerr
	}
	if err != nil {
		return nil, err
	}
	info := c.Info()
	return &Resolution{
		Identifier: e.Identifier, IRI: e.IRI, Revision: rev, Metadata: e,
		Access:        accessInterfaces(e, info.Service),
		ParticipantID: info.ParticipantID,
		ResolvedBy:    c.cfg.Node, ResolvedAt: at.Format(time.RFC3339),
	}, nil
}

func (c *Catalog) record(ctx context.Context, rec ResolutionRecord) error {
	if err := c.cfg.Recorder.RecordResolution(ctx, rec); err != nil {
		return fmt.Errorf("recording the resolution: %w", err)
	}
	return nil
}

func requesterName(r Requester) string {
	if r.operator {
		return "operator"
	}
	return r.DID
}

// Recorder records resolutions for audit (seed §2.3.4.2: 所有解析请求记录上链).
// The audit ledger will implement it; TableRecorder is the default.
type Recorder interface {
	RecordResolution(ctx context.Context, rec ResolutionRecord) error
}

// ResolutionRecord is one resolution: who asked for what, when, and what
// they got. It holds no metadata and no personal data beyond the
// requester's DID.
type ResolutionRecord struct {
	At         time.Time `json:"at"`
	Requester  string    `json:"requester"`  // DID; "" anonymous; "operator" the local operator
	Identifier string    `json:"identifier"` // canonical; "" when malformed
	Outcome    string    `json:"outcome"`
	Resolver   string    `json:"resolver"`
	Reason     string    `json:"reason,omitempty"`
}

// TableRecorder writes resolution records to catalog_resolutions.
type TableRecorder struct{ db *sql.DB }

// NewTableRecorder returns a recorder writing to db (after Open created
// the table).
func NewTableRecorder(db *sql.DB) *TableRecorder { return &TableRecorder{db: db} }

// RecordResolution inserts one record.
func (t *TableRecorder) RecordResolution(ctx context.Context, rec ResolutionRecord) error {
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return err
	}
	at := rec.At.UTC().Format(time.RFC3339Nano)
	_, err := t.db.ExecContext(ctx, `INSERT INTO catalog_resolutions (id, at, requester, identifier, outcome, resolver, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		at+"-"+hex.EncodeToString(nonce[:]), at, rec.Requester, rec.Identifier, rec.Outcome, rec.Resolver, rec.Reason)
	if err != nil {
		return fmt.Errorf("writing catalog_resolutions: %w", err)
	}
	return nil
}

// ResolutionFilter selects records; zero fields select all.
type ResolutionFilter struct {
	Identifier string
	Limit      int // default 100
}

// List returns records, newest first.
func (t *TableRecorder) List(ctx context.Context, f ResolutionFilter) ([]ResolutionRecord, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q := `SELECT at, requester, identifier, outcome, resolver, reason FROM catalog_resolutions`
	args := []any{}
	if f.Identifier != "" {
		q += ` WHERE identifier = $1`
		args = append(args, f.Identifier)
	}
	q += fmt.Sprintf(` ORDER BY at DESC, id DESC LIMIT %d`, f.Limit)
	rs, err := t.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading catalog_resolutions: %w", err)
	}
	defer rs.Close()
	var out []ResolutionRecord
	for rs.Next() {
		var r ResolutionRecord
		var at string
		if err := rs.Scan(&at, &r.Requester, &r.Identifier, &r.Outcome, &r.Resolver, &r.Reason); err != nil {
			return nil, fmt.Errorf("reading catalog_resolutions: %w", err)
		}
		r.At, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, r)
	}
	return out, rs.Err()
}
