package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync"
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
// withdrawn meanwhile. It reads the search index (as fresh as Search:
// this process's writes, others' after SyncEvery), never the entries.
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
	c.idx.mu.RLock()
	access := make(accessCache, len(c.idx.policies))
	c.idx.mu.RUnlock()
	type candidate struct {
		Listed
		t target
	}
	var out []Listed
	from := req.After
	if backward {
		from = req.Before
	}
	for len(out) <= limit {
		// A chunk of candidates under the lock; the access checks without
		// it (a checker may be slow). The next chunk starts after the last
		// identifier read, whatever changed in between.
		var chunk []candidate
		exhausted := false
		c.idx.mu.RLock()
		ids := c.idx.ids
		pos := sort.SearchStrings(ids, from) // the first >= from
		if backward {
			pos-- // the last < from
		} else if pos < len(ids) && ids[pos] == from {
			pos++ // the first > from
		}
		for range 256 {
			if pos < 0 || pos >= len(ids) {
				exhausted = true
				break
			}
			di := c.idx.byID[ids[pos]]
			if d := c.idx.docs[di]; !d.withdrawn {
				chunk = append(chunk, candidate{Listed{d.id, d.revision}, c.idx.targetOf(di)})
			}
			from = ids[pos]
			if backward {
				pos--
			} else {
				pos++
			}
		}
		c.idx.mu.RUnlock()
		for _, x := range chunk {
			if len(out) > limit {
				break
			}
			if c.visible(ctx, r, x.t, access) {
				out = append(out, x.Listed)
			}
		}
		if exhausted {
			break
		}
	}
	more := len(out) > limit
	out = out[:min(len(out), limit)]
	if backward {
		slices.Reverse(out)
	}
	return out, more, nil
}

// Entries reads the entries of a page of List for the same requester, in
// one query, decoding them on every core. An entry withdrawn, hidden or of
// another revision since it was listed is left out of the map (identifier
// → entry).
func (c *Catalog) Entries(ctx context.Context, r Requester, ls []Listed) (map[string]*Entry, error) {
	if len(ls) == 0 {
		return map[string]*Entry{}, nil
	}
	want := make(map[string]int64, len(ls))
	lo, hi := ls[0].ID, ls[0].ID
	for _, x := range ls {
		want[x.ID] = x.Revision
		lo, hi = min(lo, x.ID), max(hi, x.ID)
	}
	rows, err := c.db.QueryContext(ctx, `SELECT `+rowColumns+` FROM catalog_datasets WHERE id >= $1 AND id <= $2 AND status = $3 ORDER BY id`, lo, hi, statusActive)
	if err != nil {
		return nil, fmt.Errorf("reading the catalog: %w", err)
	}
	var batch []row
	for rows.Next() {
		x, err := scanRow(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading the catalog: %w", err)
		}
		if rev, ok := want[x.id]; ok && rev == x.revision {
			batch = append(batch, x)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the catalog: %w", err)
	}
	entries := make([]*Entry, len(batch))
	errs := make([]error, len(batch))
	var wg sync.WaitGroup
	workers := min(len(batch), max(1, runtime.GOMAXPROCS(0)))
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(batch); i += workers {
				var e Entry
				if err := json.Unmarshal([]byte(batch[i].entry), &e); err != nil {
					errs[i] = fmt.Errorf("reading %s: the stored entry is corrupt: %w", batch[i].id, err)
					continue
				}
				entries[i] = &e
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c.idx.mu.RLock()
	access := make(accessCache, len(c.idx.policies))
	c.idx.mu.RUnlock()
	out := make(map[string]*Entry, len(batch))
	for i, x := range batch {
		c.idx.mu.RLock()
		di, ok := c.idx.byID[x.id]
		var t target
		if ok {
			t = c.idx.targetOf(di)
		}
		c.idx.mu.RUnlock()
		if ok && c.visible(ctx, r, t, access) {
			out[x.id] = entries[i]
		}
	}
	return out, nil
}
