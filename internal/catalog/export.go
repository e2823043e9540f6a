package catalog

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ExportOptions tune Export.
type ExportOptions struct {
	// DSP keeps to the Dataspace Protocol 2025-1 catalog: the participant
	// and the service are required, and only datasets with at least one
	// offer and one distribution are included.
	DSP bool
}

// DefaultCatalogID is the catalog's @id until Info.ID is set.
const DefaultCatalogID = "urn:xborder:catalog"

// Export writes the catalog as a dcat:Catalog in JSON-LD (plain JSON with
// the same contexts as the entries), with every active entry the requester
// may see, sorted by identifier. It returns the number of datasets written.
func (c *Catalog) Export(ctx context.Context, w io.Writer, r Requester, opts ExportOptions) (int, error) {
	if err := c.Sync(ctx); err != nil {
		return 0, err
	}
	info := c.Info()
	if opts.DSP && (info.ParticipantID == "" || info.Service == nil) {
		return 0, inputErr("catalog", "a Dataspace Protocol catalog needs the participant and the service: set them with xborder catalog init --participant DID --endpoint URL")
	}
	id := info.ID
	if id == "" {
		id = DefaultCatalogID
	}
	head := struct {
		Context       []string       `json:"@context"`
		ID            string         `json:"@id"`
		Type          string         `json:"@type"`
		ParticipantID string         `json:"participantId,omitempty"`
		Title         LangMap        `json:"title,omitempty"`
		Description   LangMap        `json:"description,omitempty"`
		Service       []*DataService `json:"service,omitempty"`
	}{Contexts(), id, "Catalog", info.ParticipantID, info.Title, info.Description, nil}
	if info.Service != nil {
		head.Service = []*DataService{info.Service}
	}
	hb, err := json.MarshalIndent(head, "", "  ")
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	// The header without its closing brace, then the datasets.
	bw.Write(hb[:len(hb)-2])
	bw.WriteString(",\n  \"dataset\": [")

	rows, err := c.db.QueryContext(ctx, `SELECT id, entry FROM catalog_datasets WHERE status = $1 ORDER BY id`, statusActive)
	if err != nil {
		return 0, fmt.Errorf("reading the catalog: %w", err)
	}
	defer rows.Close()
	n := 0
	c.idx.mu.RLock()
	access := make(accessCache, len(c.idx.policies))
	c.idx.mu.RUnlock()
	for rows.Next() {
		var rid, raw string
		if err := rows.Scan(&rid, &raw); err != nil {
			return n, fmt.Errorf("reading the catalog: %w", err)
		}
		c.idx.mu.RLock()
		di, ok := c.idx.byID[rid]
		var t target
		if ok {
			t = c.idx.targetOf(di)
		}
		c.idx.mu.RUnlock()
		if !ok || !c.visible(ctx, r, t, access) {
			continue
		}
		var e Entry
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			return n, fmt.Errorf("reading %s: the stored entry is corrupt: %w", rid, err)
		}
		if opts.DSP && (len(e.Offers) == 0 || len(e.Distributions) == 0) {
			continue
		}
		e.Context = nil
		b, err := json.MarshalIndent(&e, "    ", "  ")
		if err != nil {
			return n, err
		}
		if n > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n    ")
		bw.Write(b)
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("reading the catalog: %w", err)
	}
	if n > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return n, errors.Join(bw.Flush())
}
