package dsp

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Catalog page sizes (Config.CatalogPageSize).
const (
	DefaultCatalogPageSize = 500
	MaxCatalogPageSize     = 1000
)

// Error codes of refused catalog requests (besides CodeNotFound,
// CodeBadMessage and the other codes of Decode).
const (
	CodeUnsupportedFilter = "unsupported_filter" // a filter expression: none is supported
	CodeBadCursor         = "bad_cursor"         // a pagination cursor this node did not make
)

// CatalogSource supplies the catalog a Node serves. Both methods get the
// caller's identifier (the DID the Authenticator returned): a catalog may
// be filtered per requester, down to no dataset at all.
//
// Datasets are ordered by @id (byte-wise ascending); pages are cut by @id
// (keyset pagination), so a cursor stays valid when datasets come and go.
// A distribution without an AccessService is served by this node: the
// node fills in its own DataService. Offers must be catalog offers: an @id,
// a permission or a prohibition, no target (internal/catalog registers
// only such offers).
type CatalogSource interface {
	// Datasets returns up to req.Limit datasets caller may see, ascending:
	// those with @id > req.After, or, when req.Before is set, the last
	// ones with @id < req.Before. More reports whether further datasets
	// lie beyond the page in the direction asked (after its last one, or
	// before its first).
	Datasets(ctx context.Context, caller string, req PageRequest) (DatasetPage, error)
	// Dataset returns one dataset caller may see; an error wrapping
	// ErrNotFound when it is unknown or hidden from caller (both are
	// answered 404, so the answer reveals nothing).
	Dataset(ctx context.Context, caller, id string) (*Dataset, error)
}

// PageRequest asks for a page of datasets: after one @id or before one (at
// most one of them is set; neither asks for the first page).
type PageRequest struct {
	After, Before string
	Limit         int
}

// DatasetPage is one page of a CatalogSource.
type DatasetPage struct {
	Datasets []Dataset
	More     bool
}

// maxCursor bounds the cursor parameter of a page link.
const maxCursor = 2048

// cursor encodes a page request: "a" or "b" (after, before) and the @id.
func cursor(dir byte, id string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{dir}, id...))
}

// parseCursor reads the cursor of a page link ("" asks for the first page).
func parseCursor(s string) (PageRequest, error) {
	var req PageRequest
	if s == "" {
		return req, nil
	}
	bad := badRequest(CodeBadCursor, "the cursor is not one of this catalog's page links; start again without it")
	if len(s) > maxCursor {
		return req, bad
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) < 2 {
		return req, bad
	}
	switch id := string(b[1:]); b[0] {
	case 'a':
		req.After = id
	case 'b':
		req.Before = id
	default:
		return req, bad
	}
	return req, nil
}

// pageLinks returns the Link header values of a page: rel="next" and
// rel="previous", as the catalog HTTPS binding names them. first and last
// are the @ids of the first and the last dataset the page took from the
// source (written or left out), more whether the source has more in the
// direction asked, cut whether the page stopped before the source's last.
func (n *Node) pageLinks(req PageRequest, first, last string, more, cut bool) []string {
	if first == "" {
		return nil
	}
	link := func(c, rel string) string {
		return "<" + n.provider + "/catalog/request?cursor=" + c + `>; rel="` + rel + `"`
	}
	var out []string
	backward := req.Before != ""
	if backward && more || !backward && req.After != "" {
		out = append(out, link(cursor('b', first), "previous"))
	}
	if backward || more || cut {
		out = append(out, link(cursor('a', last), "next"))
	}
	return out
}

// dataService is this node's catalog service: its <base>.
func (n *Node) dataService() DataService {
	id := n.cfg.ServiceID
	if id == "" {
		id = n.provider
	}
	return DataService{ID: id, EndpointURL: n.provider}
}

// served returns d with svc as the service of every distribution that
// names none (a copy when it changes anything: d may be the source's).
func served(d Dataset, svc DataService) Dataset {
	copied := false
	for i := range d.Distributions {
		if d.Distributions[i].AccessService.ID != "" {
			continue
		}
		if !copied {
			d.Distributions, copied = slices.Clone(d.Distributions), true
		}
		d.Distributions[i].AccessService = svc
	}
	return d
}

// catalogRefuse answers a refused catalog request with a CatalogError.
func (n *Node) catalogRefuse(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := errorStatus(err)
	switch {
	case status >= 500:
		n.log.ErrorContext(r.Context(), "dsp: serving the catalog", slog.String("path", r.URL.Path), slog.Any("error", err))
	case status == http.StatusNotFound:
		msg = "not found"
	}
	writeJSON(w, status, &CatalogError{Code: code, Reason: []Reason{{Value: msg}}})
}

// catalogRequest handles POST <base>/catalog/request[?cursor=…]: a page of
// the catalog the caller may see, with Link headers to the next and the
// previous page.
func (n *Node) catalogRequest(w http.ResponseWriter, r *http.Request) {
	caller, msg, err := n.readMessage(w, r)
	m, ok := msg.(*CatalogRequestMessage)
	switch {
	case err != nil:
	case !ok:
		err = badRequest(CodeUnexpected, "this endpoint takes a CatalogRequestMessage, not a "+msg.MessageType())
	case hasFilter(m.Filter):
		err = badRequest(CodeUnsupportedFilter, "this catalog supports no filter expression; send none (or an empty filter array) and filter the catalog on your side")
	}
	var req PageRequest
	if err == nil {
		req, err = parseCursor(r.URL.Query().Get("cursor"))
	}
	var page DatasetPage
	if err == nil && n.cfg.Catalog != nil {
		req.Limit = n.cfg.CatalogPageSize
		page, err = n.cfg.Catalog.Datasets(r.Context(), caller, req)
	}
	if err != nil {
		n.catalogRefuse(w, r, err)
		return
	}
	body, links, err := n.encodePage(r.Context(), req, page)
	if err != nil {
		n.catalogRefuse(w, r, err)
		return
	}
	defer pageBuffers.Put(&body)
	for _, l := range links {
		w.Header().Add("Link", l)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body) // the client went away
}

// pageBuffers keeps the buffers of served pages for reuse.
var pageBuffers sync.Pool

// pageBuffer returns an empty buffer of at least size bytes.
func pageBuffer(size int) []byte {
	if p, ok := pageBuffers.Get().(*[]byte); ok && cap(*p) >= size {
		return (*p)[:0]
	}
	return make([]byte, 0, size)
}

// hasFilter reports whether a filter expression asks for anything.
func hasFilter(f []byte) bool {
	s := strings.TrimSpace(string(f))
	return s != "" && strings.TrimSpace(strings.Trim(s, "[]")) != ""
}

// encodePage writes a page of the catalog: the datasets of the source's
// page as long as the answer stays below MaxMessageBytes (at least one),
// skipping (and logging) a dataset that would not validate.
func (n *Node) encodePage(ctx context.Context, req PageRequest, page DatasetPage) ([]byte, []string, error) {
	ds, more := page.Datasets, page.More
	if req.Limit > 0 && len(ds) > req.Limit { // a source that gave too many
		if req.Before != "" {
			ds = ds[len(ds)-req.Limit:]
		} else {
			ds = ds[:req.Limit]
		}
		more = true
	}
	svc := n.dataService()
	ref := DataService{ID: svc.ID} // the catalog lists the service; distributions name it
	head := Catalog{ID: n.provider + "/catalog", ParticipantID: n.cfg.ParticipantID, Services: []DataService{svc}}
	size := 4 << 10
	if len(ds) > 0 {
		size += len(ds) * (len(ds[0].ID)*2 + 1024) // a guess, to grow the buffer less often
	}
	b, err := head.appendJSON(pageBuffer(min(size, MaxMessageBytes+64<<10)), true)
	if err != nil {
		return nil, nil, err
	}
	closed := len(b)
	b = append(b[:closed-1], `,"dataset":[`...)
	written, taken := 0, 0
	for i := range ds {
		mark := len(b)
		if written > 0 {
			b = append(b, ',')
		}
		d := served(ds[i], ref)
		out, err := d.appendJSON(b, false)
		if err != nil {
			n.log.WarnContext(ctx, "dsp: a dataset of the catalog source does not make a valid DSP dataset; left out",
				slog.String("dataset", clip(ds[i].ID)), slog.Any("error", err))
			b = b[:mark]
			taken++
			continue
		}
		if written > 0 && len(out)+2 > MaxMessageBytes {
			b = b[:mark]
			break
		}
		b = out
		written++
		taken++
	}
	if written == 0 {
		b = append(b[:closed-1], '}')
	} else {
		b = append(b, "]}"...)
	}
	if taken == 0 {
		return b, nil, nil
	}
	return b, n.pageLinks(req, ds[0].ID, ds[taken-1].ID, more, taken < len(ds)), nil
}

// catalogDataset handles GET <base>/catalog/datasets/{id}: the dataset as
// a root message, its distributions' services written out in full.
func (n *Node) catalogDataset(w http.ResponseWriter, r *http.Request) {
	caller, err := n.cfg.Auth.Authenticate(r)
	if err != nil {
		n.log.InfoContext(r.Context(), "dsp: a request did not authenticate", slog.String("path", r.URL.Path), slog.Any("error", err))
		n.catalogRefuse(w, r, ErrNotFound)
		return
	}
	id := r.PathValue("id")
	if n.cfg.Catalog == nil || id == "" {
		n.catalogRefuse(w, r, ErrNotFound)
		return
	}
	d, err := n.cfg.Catalog.Dataset(r.Context(), caller, id)
	if err == nil && d == nil {
		err = ErrNotFound
	}
	var body []byte
	if err == nil {
		full := served(*d, n.dataService())
		body, err = full.appendJSON(nil, true)
	}
	if err != nil {
		n.catalogRefuse(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(body) // the client went away
}
