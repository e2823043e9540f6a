package catalog

import (
	"context"
	"fmt"
	"slices"
)

// MaxListLimit bounds a page of List.
const MaxListLimit = 1000

// ListRequest asks List for a page in identifier order: after an
// identifier, or before one (at most one of them; neither asks for the
// first page).
type ListRequest struct {
	After, Before string
	Limit         int // 1..MaxListLimit (default 100)
}

// Listed is an entry of a listing: its identifier and revision (Get reads
// the entry; a consumer may cache what it made of a revision).
type Listed struct {
	ID       string
	Revision int64
}

// List returns a page of the active entries the requester may see, in
// identifier order (byte-wise): up to Limit identifiers after req.After,
// or the last ones before req.Before (still ascending), and whether more
// lie beyond the page in the direction asked. Pages are cut by identifier,
// so a page continues where the last one ended whatever was registered or
// withdrawn meanwhile. Only identifiers and revisions are read, never the
// entries themselves.
func (c *Catalog) List(ctx context.Context, r Requester, req ListRequest) ([]Listed, bool, error) {
	limit := req.Limit
	switch {
	case limit < 0 || limit > MaxListLimit:
		return nil, false, inputErr("limit", "must be between 1 and %d", MaxListLimit)
	case req.After != "" && req.Before != "":
		return nil, false, inputErr("", "a page is after an identifier or before one, not both")
	case limit == 0:
		limit = 100
	}
	if err := c.maybeSync(ctx); err != nil {
		return nil, false, err
	}
	backward := req.Before != ""
	query := `SELECT id, revision FROM catalog_datasets WHERE status = $1 AND id > $2 ORDER BY id LIMIT $3`
	from := req.After
	if backward {
		query = `SELECT id, revision FROM catalog_datasets WHERE status = $1 AND id < $2 ORDER BY id DESC LIMIT $3`
		from = req.Before
	}
	c.idx.mu.RLock()
	access := make(accessCache, len(c.idx.policies))
	c.idx.mu.RUnlock()
	batch := max(limit+1, 256)
	var out []Listed
	for len(out) <= limit {
		rows, err := c.readListing(ctx, query, from, batch)
		if err != nil {
			return nil, false, err
		}
		for _, x := range rows {
			c.idx.mu.RLock()
			di, ok := c.idx.byID[x.ID]
			var t target
			if ok {
				t = c.idx.targetOf(di)
			}
			c.idx.mu.RUnlock()
			if ok && c.visible(ctx, r, t, access) {
				out = append(out, x)
			}
			if len(out) > limit {
				break
			}
		}
		if len(rows) < batch {
			break
		}
		from = rows[len(rows)-1].ID
	}
	more := len(out) > limit
	out = out[:min(len(out), limit)]
	if backward {
		slices.Reverse(out)
	}
	return out, more, nil
}

func (c *Catalog) readListing(ctx context.Context, query, from string, n int) ([]Listed, error) {
	rows, err := c.db.QueryContext(ctx, query, statusActive, from, n)
	if err != nil {
		return nil, fmt.Errorf("listing the catalog: %w", err)
	}
	defer rows.Close()
	var out []Listed
	for rows.Next() {
		var x Listed
		if err := rows.Scan(&x.ID, &x.Revision); err != nil {
			return nil, fmt.Errorf("listing the catalog: %w", err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing the catalog: %w", err)
	}
	return out, nil
}
