package node

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/jsonstrict"
	"github.com/xborder/xborder/internal/mask"
)

// Management endpoints of the data plane: a dataset's content and masking
// policy (provider), negotiations and transfers this node starts as
// consumer, and the transfers of both roles with their progress.

// errBadRequest marks errors of the caller's input (400).
var errBadRequest = errors.New("bad request")

// putSource stores a dataset's content: the request body, streamed to
// DATA_DIR/sources/<sha256> (content-addressed, so a resumed transfer
// reads the same bytes), and records it with its format (?format=csv or
// jsonl, default csv).
func (n *Node) putSource(w http.ResponseWriter, r *http.Request, _ Token) {
	id := r.PathValue("id")
	if _, err := n.stores.catalog.Get(r.Context(), catalog.Operator(), id); err != nil {
		catalogError(w, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "jsonl" {
		apiError(w, http.StatusBadRequest, "invalid_format", "format is csv or jsonl")
		return
	}
	dir := filepath.Join(n.cfg.DataDir, "sources")
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		apiError(w, http.StatusInternalServerError, "storage_failed", "the content cannot be stored")
		return
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), http.MaxBytesReader(w, r.Body, MaxSourceBytes))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			apiError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("content is limited to %d bytes", int64(MaxSourceBytes)))
			return
		}
		apiError(w, http.StatusBadRequest, "upload_failed", "the content was not received whole")
		return
	}
	digest := hexSum(h)
	if err := os.Rename(tmp.Name(), filepath.Join(dir, digest)); err != nil {
		apiError(w, http.StatusInternalServerError, "storage_failed", "the content cannot be stored")
		return
	}
	if _, err := n.dspDB.ExecContext(r.Context(), `INSERT INTO node_sources (dataset, digest, size, format, mask, updated_at) VALUES ($1, $2, $3, $4, '', $5)
		ON CONFLICT (dataset) DO UPDATE SET digest = $2, size = $3, format = $4, updated_at = $5`, id, digest, size, format, time.Now().UnixMilli()); err != nil {
		apiError(w, http.StatusInternalServerError, "storage_failed", "the content cannot be recorded")
		return
	}
	writeJSON(w, map[string]any{"dataset": id, "sha256": digest, "size": size, "format": format})
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// putMask sets a dataset's masking policy (internal/mask JSON), checked
// before it is stored; every transfer of the dataset goes through it.
func (n *Node) putMask(w http.ResponseWriter, r *http.Request, _ Token) {
	id := r.PathValue("id")
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	if _, err := mask.Parse(b); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_mask_policy", err.Error())
		return
	}
	res, err := n.dspDB.ExecContext(r.Context(), `UPDATE node_sources SET mask = $2, updated_at = $3 WHERE dataset = $1`, id, string(b), time.Now().UnixMilli())
	if err != nil {
		apiError(w, http.StatusInternalServerError, "storage_failed", "the policy cannot be recorded")
		return
	}
	if k, _ := res.RowsAffected(); k == 0 {
		apiError(w, http.StatusNotFound, "no_content", "upload the dataset's content first (PUT /api/v1/sources/{id})")
		return
	}
	writeJSON(w, map[string]any{"dataset": id, "mask": json.RawMessage(b)})
}

// getSource shows a dataset's content record.
func (n *Node) getSource(w http.ResponseWriter, r *http.Request, _ Token) {
	s, err := n.data.source(r.Context(), r.PathValue("id"))
	if errors.Is(err, sql.ErrNoRows) {
		apiError(w, http.StatusNotFound, "no_content", "no content for this dataset")
		return
	}
	if err != nil {
		apiError(w, http.StatusInternalServerError, "storage_failed", "reading the content record failed")
		return
	}
	out := map[string]any{"dataset": s.dataset, "sha256": s.digest, "size": s.size, "format": s.format, "masked": s.mask != ""}
	if s.mask != "" {
		out["mask"] = json.RawMessage(s.mask)
	}
	writeJSON(w, out)
}

// postNegotiation starts a negotiation as consumer: the offer (as in the
// provider's catalog, with its target) to the provider at its DSP base URL.
func (n *Node) postNegotiation(w http.ResponseWriter, r *http.Request, _ Token) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	var in struct {
		Provider    string          `json:"provider"`
		Participant string          `json:"participant"`
		Offer       json.RawMessage `json:"offer"`
	}
	if err := jsonstrict.Decode(b, &in); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if err := checkPeerBase(in.Provider); err != nil || in.Participant == "" || len(in.Offer) == 0 {
		apiError(w, http.StatusBadRequest, "invalid_request", "provider (the DSP base URL, http or https), participant (its DID) and offer are required")
		return
	}
	p, err := n.dsp.RequestContract(r.Context(), in.Provider, in.Participant, in.Offer)
	if err != nil {
		dspError(w, err)
		return
	}
	w.WriteHeader(http.StatusCreated)
	writeJSON(w, viewOf(p))
}

// checkPeerBase accepts an absolute http(s) URL of bounded length.
func checkPeerBase(s string) error {
	u, err := url.Parse(s)
	if err != nil || len(s) > 2048 || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return errors.New("not an http(s) URL")
	}
	return nil
}

// dspError answers an error of the control plane: the caller's input
// (400), the counterparty's refusal (502 with its code), or ours (500).
func dspError(w http.ResponseWriter, err error) {
	var me *dsp.MessageError
	var re *dsp.RemoteError
	switch {
	case errors.Is(err, errBadRequest), errors.As(err, &me):
		apiError(w, http.StatusBadRequest, "invalid_request", err.Error())
	case errors.As(err, &re):
		apiError(w, http.StatusBadGateway, "counterparty_refused", err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		apiError(w, http.StatusGatewayTimeout, "counterparty_timeout", "the counterparty did not answer in time")
	default:
		apiError(w, http.StatusBadGateway, "counterparty_unreachable", err.Error())
	}
}

// postTransfer starts a transfer as consumer under a finalized agreement:
// {"agreement": ID, "suite": "intl"|"gm" (default: the provider's)}.
func (n *Node) postTransfer(w http.ResponseWriter, r *http.Request, _ Token) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	var in struct {
		Agreement string `json:"agreement"`
		Suite     string `json:"suite"`
	}
	if err := jsonstrict.Decode(b, &in); err != nil || in.Agreement == "" {
		apiError(w, http.StatusBadRequest, "invalid_request", "agreement (the @id of a finalized agreement) is required")
		return
	}
	p, err := n.data.requestTransfer(r.Context(), in.Agreement, in.Suite)
	if err != nil {
		dspError(w, err)
		return
	}
	w.WriteHeader(http.StatusCreated)
	writeJSON(w, map[string]any{"role": "consumer", "pid": p.ConsumerPID, "providerPid": p.ProviderPID, "state": p.State, "agreementId": in.Agreement})
}

// transferRow is a transfer as the management API shows it.
type transferRow struct {
	Role         string    `json:"role"`
	PID          string    `json:"pid"`
	Agreement    string    `json:"agreementId"`
	Dataset      string    `json:"dataset"`
	Counterparty string    `json:"counterparty"`
	State        string    `json:"state"`
	Bytes        int64     `json:"bytes"`
	Digest       string    `json:"sha256,omitempty"`
	File         string    `json:"file,omitempty"`
	Code         string    `json:"code,omitempty"`
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
}

const transferColumns = `role, pid, agreement_id, dataset, counterparty, state, bytes, digest, file, code, created_at, updated_at`

func scanTransfer(s interface{ Scan(...any) error }) (transferRow, error) {
	var t transferRow
	var c, u int64
	err := s.Scan(&t.Role, &t.PID, &t.Agreement, &t.Dataset, &t.Counterparty, &t.State, &t.Bytes, &t.Digest, &t.File, &t.Code, &c, &u)
	t.Created, t.Updated = time.UnixMilli(c).UTC(), time.UnixMilli(u).UTC()
	return t, err
}

// live adds the progress of a transfer in flight.
func (n *Node) live(t *transferRow) {
	n.data.mu.Lock()
	defer n.data.mu.Unlock()
	if t.Role == "provider" {
		if c, ok := n.data.served[t.PID]; ok && t.State == "started" {
			t.Bytes = c.Load()
		}
		return
	}
	for _, p := range n.data.pulls {
		if p.pid == t.PID && (t.State == "pulling" || t.State == "suspended") {
			t.Bytes = p.bytes.Load()
		}
	}
}

// listTransfers lists the transfers of both roles, newest first, at most
// 1000 (?role=provider|consumer, ?agreement=ID: the metering of one
// agreement — every transfer under it with its state and bytes).
func (n *Node) listTransfers(w http.ResponseWriter, r *http.Request, _ Token) {
	role := r.URL.Query().Get("role")
	if role != "" && role != "provider" && role != "consumer" {
		apiError(w, http.StatusBadRequest, "invalid_role", "role is provider or consumer")
		return
	}
	rows, err := n.dspDB.QueryContext(r.Context(), `SELECT `+transferColumns+` FROM node_transfers
		WHERE ($1 = '' OR role = $1) AND ($2 = '' OR agreement_id = $2) ORDER BY created_at DESC LIMIT 1000`, role, r.URL.Query().Get("agreement"))
	if err != nil {
		apiError(w, http.StatusInternalServerError, "storage_failed", "listing transfers failed")
		return
	}
	defer rows.Close()
	out := []transferRow{}
	for rows.Next() {
		t, err := scanTransfer(rows)
		if err != nil {
			apiError(w, http.StatusInternalServerError, "storage_failed", "listing transfers failed")
			return
		}
		n.live(&t)
		out = append(out, t)
	}
	writeJSON(w, out)
}

// getTransfer shows one transfer (?role=provider|consumer, default either)
// with the control plane's history.
func (n *Node) getTransfer(w http.ResponseWriter, r *http.Request, _ Token) {
	pid := r.PathValue("pid")
	t, err := scanTransfer(n.dspDB.QueryRowContext(r.Context(), `SELECT `+transferColumns+` FROM node_transfers WHERE pid = $1 AND ($2 = '' OR role = $2)`,
		pid, r.URL.Query().Get("role")))
	if errors.Is(err, sql.ErrNoRows) {
		apiError(w, http.StatusNotFound, "not_found", "no such transfer")
		return
	}
	if err != nil {
		apiError(w, http.StatusInternalServerError, "storage_failed", "reading the transfer failed")
		return
	}
	n.live(&t)
	evs, _ := n.dsp.Events(r.Context(), dsp.KindTransfer, dsp.Role(t.Role), pid)
	out := map[string]any{"transfer": t, "events": evs}
	if term, err := n.receivedTermination(r.Context(), dsp.KindTransfer, pid); err == nil && term != nil {
		out["termination"] = term
	}
	writeJSON(w, out)
}
