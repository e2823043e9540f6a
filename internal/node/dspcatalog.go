package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/jsonstrict"
)

// The node's catalog over the Dataspace Protocol: the provider serves its
// catalog store (internal/catalog) as DSP datasets, filtered per caller,
// and the management API reads other nodes' catalogs.

// maxCachedDatasets bounds the datasets the catalog source keeps made.
const maxCachedDatasets = 50_000

// catalogSource serves the catalog store as a dsp.CatalogSource. Every
// active entry the caller may see (catalog visibility rules: public to
// all, internal to any authenticated participant, sensitive and core to
// their owner and to callers whose credentials satisfy the access policy;
// no credentials are presented over DSP yet, so only the owner) that has at
// least one offer is a dataset: @id the entry's IRI, the offers of
// hasPolicy, one distribution in TransferFormat served by this node, and
// dct:identifier, dct:title and dct:description. What an entry revision
// makes is kept, so a page costs a listing and no decoding.
type catalogSource struct {
	c   *catalog.Catalog
	log *slog.Logger

	mu   sync.Mutex
	made map[string]madeDataset // identifier → its revision's dataset
}

type madeDataset struct {
	revision int64
	d        *dsp.Dataset // nil: the revision has no offer, so no dataset
}

func newCatalogSource(c *catalog.Catalog, log *slog.Logger) *catalogSource {
	return &catalogSource{c: c, log: log, made: map[string]madeDataset{}}
}

// datasetOf makes the DSP dataset of an entry (nil without offers).
func datasetOf(e *catalog.Entry) *dsp.Dataset {
	if len(e.Offers) == 0 {
		return nil
	}
	props := dsp.Properties{"dct:identifier": dsp.StringValue(e.Identifier)}
	if v := dsp.LangValues(e.Title); v != nil {
		props["dct:title"] = v
	}
	if v := dsp.LangValues(e.Description); v != nil {
		props["dct:description"] = v
	}
	return &dsp.Dataset{ID: catalog.IRIBase + e.Identifier, HasPolicy: e.Offers,
		Distributions: []dsp.Distribution{{Format: TransferFormat}}, Properties: props}
}

// identifierOf maps a dataset @id of a page request to an identifier of
// the catalog's order: IRIs under catalog.IRIBase sort like their
// identifiers; anything else sorts before all of them (lower) or after.
func identifierOf(iri string) (id string, below bool) {
	if rest, ok := strings.CutPrefix(iri, catalog.IRIBase); ok && rest != "" {
		return rest, false
	}
	return "", iri <= catalog.IRIBase
}

// Datasets pages the catalog for caller.
func (s *catalogSource) Datasets(ctx context.Context, caller string, req dsp.PageRequest) (dsp.DatasetPage, error) {
	r := catalog.Requester{DID: caller}
	lr := catalog.ListRequest{Limit: min(req.Limit, catalog.MaxListLimit)}
	switch {
	case req.Before != "":
		id, below := identifierOf(req.Before)
		if id == "" && below {
			return dsp.DatasetPage{}, nil
		}
		lr.Before = id
		if id == "" {
			lr.Before = "\xff" // after every identifier
		}
	case req.After != "":
		id, below := identifierOf(req.After)
		if id == "" && !below {
			return dsp.DatasetPage{}, nil
		}
		lr.After = id
	}
	var out []dsp.Dataset
	for {
		page, more, err := s.c.List(ctx, r, lr)
		if err != nil {
			return dsp.DatasetPage{}, err
		}
		ds, err := s.datasets(ctx, r, page)
		if err != nil {
			return dsp.DatasetPage{}, err
		}
		if lr.Before != "" {
			out = append(ds, out...)
		} else {
			out = append(out, ds...)
		}
		if len(out) >= lr.Limit || !more || len(page) == 0 {
			if len(out) > lr.Limit { // the last batch overshot: keep the page's share
				if lr.Before != "" {
					out, more = out[len(out)-lr.Limit:], true
				} else {
					out, more = out[:lr.Limit], true
				}
			}
			return dsp.DatasetPage{Datasets: out, More: more}, nil
		}
		// Entries without offers left the page short: read on.
		if lr.Before != "" {
			lr.Before = page[0].ID
		} else {
			lr.After = page[len(page)-1].ID
		}
	}
}

// datasets makes the datasets of listed entries, from what was made of
// their revisions before or from the entries, read in one go.
func (s *catalogSource) datasets(ctx context.Context, r catalog.Requester, page []catalog.Listed) ([]dsp.Dataset, error) {
	made := make([]madeDataset, len(page))
	var missing []catalog.Listed
	s.mu.Lock()
	for i, x := range page {
		m, ok := s.made[x.ID]
		if !ok || m.revision != x.Revision {
			m, missing = madeDataset{revision: -1}, append(missing, x)
		}
		made[i] = m
	}
	s.mu.Unlock()
	if len(missing) > 0 {
		es, err := s.c.Entries(ctx, r, missing)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		if len(s.made)+len(es) > maxCachedDatasets {
			clear(s.made)
		}
		for i, x := range page {
			if made[i].revision >= 0 {
				continue
			}
			if e, ok := es[x.ID]; ok { // else changed since it was listed
				made[i] = madeDataset{revision: x.Revision, d: datasetOf(e)}
				s.made[x.ID] = made[i]
			}
		}
		s.mu.Unlock()
	}
	out := make([]dsp.Dataset, 0, len(page))
	for _, m := range made {
		if m.d != nil {
			out = append(out, *m.d)
		}
	}
	return out, nil
}

// Dataset returns one dataset caller may see.
func (s *catalogSource) Dataset(ctx context.Context, caller, id string) (*dsp.Dataset, error) {
	e, err := s.c.Get(ctx, catalog.Requester{DID: caller}, id)
	var ie *catalog.IDError
	switch {
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, catalog.ErrDenied), errors.Is(err, catalog.ErrWithdrawn), errors.As(err, &ie):
		return nil, fmt.Errorf("dataset %q: %w", id, dsp.ErrNotFound)
	case err != nil:
		return nil, err
	}
	d := datasetOf(e)
	if d == nil {
		return nil, fmt.Errorf("dataset %q has no offer: %w", id, dsp.ErrNotFound)
	}
	return d, nil
}

// remoteCatalogBody asks for another node's catalog.
type remoteCatalogBody struct {
	URL         string `json:"url"`         // the peer's root URL (its public URL) or its DSP <base>
	Participant string `json:"participant"` // the peer's DID
}

// maxPeerURL bounds the URL of a remote catalog request.
const maxPeerURL = 2048

// check validates a remote catalog request.
func (b remoteCatalogBody) check() error {
	if b.URL == "" || len(b.URL) > maxPeerURL {
		return fmt.Errorf("url: the peer's URL, at most %d bytes", maxPeerURL)
	}
	u, err := url.Parse(b.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("url: an absolute http or https URL without credentials, query or fragment")
	}
	if !strings.HasPrefix(b.Participant, "did:") || len(b.Participant) > 512 || strings.ContainsAny(b.Participant, " \t\r\n") {
		return errors.New("participant: the peer's DID")
	}
	return nil
}

// postRemoteCatalog fetches another node's whole catalog over DSP, with
// this node's self-issued ID tokens, and returns it as the DSP Catalog.
func (n *Node) postRemoteCatalog(w http.ResponseWriter, r *http.Request, _ Token) {
	if !n.needDSP(w) {
		return
	}
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	var q remoteCatalogBody
	if err := jsonstrict.Decode(b, &q); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if err := q.check(); err != nil {
		apiError(w, http.StatusBadRequest, "bad_parameter", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	c, err := n.dsp.FetchCatalog(ctx, q.URL, q.Participant, dsp.CatalogLimits{})
	var re *dsp.RemoteError
	switch {
	case errors.As(err, &re) && re.Status == http.StatusNotFound:
		apiError(w, http.StatusBadGateway, "remote_not_found", "the peer has no catalog for this node there (404: a wrong URL or participant, or this node is not authorized): "+err.Error())
		return
	case err != nil:
		n.log.Warn("remote catalog", "url", q.URL, "participant", q.Participant, "error", err)
		apiError(w, http.StatusBadGateway, "remote_failed", "reading the peer's catalog failed: "+err.Error())
		return
	}
	body, err := c.MarshalJSON()
	if err != nil {
		apiError(w, http.StatusBadGateway, "remote_failed", "the peer's catalog cannot be written back: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}
