package node

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/contract"
	"github.com/xborder/xborder/internal/jsonstrict"
	"github.com/xborder/xborder/internal/rulebook"
)

// stores are the node's catalog and contract store, in the state database:
// on SQLite one handle each, with the durability each needs; on PostgreSQL
// one pool for both.
type stores struct {
	catalogDB, contractDB *sql.DB
	catalog               *catalog.Catalog
	contracts             *contract.Store
}

func openStores(ctx context.Context, cfg Config, n *Node) (*stores, error) {
	s := &stores{}
	var err error
	if s.catalogDB, err = n.openStateDB(ctx, "NORMAL"); err != nil {
		return nil, err
	}
	if cfg.Database != "" {
		s.contractDB = s.catalogDB
	} else if s.contractDB, err = n.openStateDB(ctx, "FULL"); err != nil {
		s.close()
		return nil, err
	}
	n.log.Info("state database", slog.String("database", cfg.stateDBName()))
	if s.catalog, err = catalog.Open(ctx, s.catalogDB, catalog.Config{Checker: catalog.NewODRLChecker(time.Now), Logger: n.log, Node: cfg.Name}); err != nil {
		s.close()
		return nil, fmt.Errorf("node: catalog: %w", err)
	}
	if s.contracts, err = contract.OpenStore(ctx, s.contractDB, contract.StoreOptions{Resolve: n.resolver.ResolveKey, Logger: n.log}); err != nil {
		s.close()
		return nil, fmt.Errorf("node: contract store: %w", err)
	}
	return s, nil
}

func (s *stores) close() {
	if s.contracts != nil {
		s.contracts.Close()
	}
	for _, db := range []*sql.DB{s.catalogDB, s.contractDB} {
		if db != nil {
			db.Close() // a second Close of a shared pool does nothing
		}
	}
}

// maxBody bounds management request bodies.
const maxBody = 4 << 20

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		apiError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the body is limited to %d bytes", maxBody))
		return nil, false
	}
	return b, true
}

func catalogError(w http.ResponseWriter, err error) {
	switch {
	case catalog.IsInputError(err):
		apiError(w, http.StatusBadRequest, "invalid_entry", err.Error())
	case errors.Is(err, catalog.ErrExists):
		apiError(w, http.StatusConflict, "exists", err.Error())
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, catalog.ErrDenied), errors.Is(err, catalog.ErrWithdrawn):
		apiError(w, http.StatusNotFound, "not_found", "no such dataset")
	default:
		apiError(w, http.StatusInternalServerError, "catalog_failed", "the catalog operation failed")
	}
}

func (n *Node) listDatasets(w http.ResponseWriter, r *http.Request, _ Token) {
	v := r.URL.Query()
	req := catalog.SearchRequest{Query: v.Get("q"), Sort: v.Get("sort")}
	if to := v.Get("to"); to != "" {
		req.To = strings.Split(to, ",")
	}
	for name, dst := range map[string]*int{"page": &req.Page, "limit": &req.Limit} {
		if s := v.Get(name); s != "" {
			x, err := strconv.Atoi(s)
			if err != nil || x < 1 {
				apiError(w, http.StatusBadRequest, "bad_parameter", name+": a positive integer")
				return
			}
			*dst = x
		}
	}
	res, err := n.stores.catalog.Search(r.Context(), catalog.Operator(), req)
	if err != nil {
		catalogError(w, err)
		return
	}
	writeJSON(w, res)
}

func (n *Node) getDataset(w http.ResponseWriter, r *http.Request, _ Token) {
	e, err := n.stores.catalog.Get(r.Context(), catalog.Operator(), r.PathValue("id"))
	if err != nil {
		catalogError(w, err)
		return
	}
	writeJSON(w, e)
}

func (n *Node) putDataset(w http.ResponseWriter, r *http.Request, _ Token) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	var e catalog.Entry
	if err := jsonstrict.Decode(b, &e); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_entry", err.Error())
		return
	}
	id, err := n.stores.catalog.Register(r.Context(), &e, catalog.RegisterOptions{Replace: r.URL.Query().Get("replace") == "true"})
	if err != nil {
		catalogError(w, err)
		return
	}
	w.WriteHeader(http.StatusCreated)
	writeJSON(w, map[string]any{"id": id})
}

func (n *Node) listAgreements(w http.ResponseWriter, r *http.Request, _ Token) {
	recs, err := n.stores.contracts.List(r.Context())
	if err != nil {
		apiError(w, http.StatusInternalServerError, "contracts_failed", "listing agreements failed")
		return
	}
	type row struct {
		ID, State, Provider, Consumer, Target string
		Uses                                  int64
	}
	out := make([]row, 0, len(recs))
	for _, x := range recs {
		if st := r.URL.Query().Get("state"); st != "" && x.State != st {
			continue
		}
		out = append(out, row{x.ID, x.State, x.Provider, x.Consumer, x.Target, x.Uses})
	}
	writeJSON(w, out)
}

func (n *Node) getAgreement(w http.ResponseWriter, r *http.Request, _ Token) {
	rec, err := n.stores.contracts.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, contract.ErrNotFound) {
		apiError(w, http.StatusNotFound, "not_found", "no such agreement")
		return
	}
	if err != nil {
		apiError(w, http.StatusInternalServerError, "contracts_failed", "reading the agreement failed")
		return
	}
	ev, err := n.stores.contracts.Events(r.Context(), rec.ID)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "contracts_failed", "reading the agreement's events failed")
		return
	}
	writeJSON(w, map[string]any{"agreement": rec, "events": ev})
}

// approvalBody is a filing or approval on record (CAC security assessment,
// standard contract filing, certification …), recorded by the compliance office.
type approvalBody struct {
	Provider string `json:"provider"` // DID of the exporter
	Route    string `json:"route"`    // rulebook route, e.g. CN_SC
	Ref      string `json:"ref"`      // filing or approval number
	Issued   string `json:"issued"`   // YYYY-MM-DD
	Expires  string `json:"expires,omitempty"`
}

func (n *Node) postApproval(w http.ResponseWriter, r *http.Request, _ Token) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	var a approvalBody
	if err := jsonstrict.Decode(b, &a); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_approval", err.Error())
		return
	}
	if !strings.HasPrefix(a.Provider, "did:") || a.Route == "" || a.Ref == "" {
		apiError(w, http.StatusBadRequest, "invalid_approval", "provider (a DID), route and ref are required")
		return
	}
	ap := rulebook.Approval{Route: a.Route, Ref: a.Ref}
	var err error
	if ap.Issued, err = rulebook.ParseDate(a.Issued); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_approval", "issued: "+err.Error())
		return
	}
	if a.Expires != "" {
		if ap.Expires, err = rulebook.ParseDate(a.Expires); err != nil {
			apiError(w, http.StatusBadRequest, "invalid_approval", "expires: "+err.Error())
			return
		}
	}
	if err := n.stores.contracts.RecordApproval(r.Context(), a.Provider, ap); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_approval", err.Error())
		return
	}
	w.WriteHeader(http.StatusCreated)
	writeJSON(w, a)
}

func (n *Node) listApprovals(w http.ResponseWriter, r *http.Request, _ Token) {
	p := r.URL.Query().Get("provider")
	if !strings.HasPrefix(p, "did:") {
		apiError(w, http.StatusBadRequest, "bad_parameter", "provider: the exporter's DID")
		return
	}
	list, err := n.stores.contracts.Approvals(r.Context(), p)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "contracts_failed", "reading approvals failed")
		return
	}
	writeJSON(w, list)
}
