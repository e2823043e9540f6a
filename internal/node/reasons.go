package node

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/dsp"
)

// Reasons received with terminations. A counterparty that terminates a
// negotiation or a transfer says why: a code and a reason, in English and
// Chinese from xborder's gate and data plane. The protocol's events keep
// the code only (they go to the audit ledger as they are, and a reason is
// free text), so the node keeps the reason of each termination it accepted
// here, for the operator: GET /api/v1/negotiations/{pid} and
// GET /api/v1/transfers/{pid} show it as the consumer received it.

var reasonsSchema = `CREATE TABLE IF NOT EXISTS node_reasons (
	kind        TEXT NOT NULL,
	pid         TEXT NOT NULL,
	code        TEXT NOT NULL,
	reasons     TEXT NOT NULL,
	received_at BIGINT NOT NULL,
	PRIMARY KEY (kind, pid)
)`

// Termination is the code and reason of a termination as received.
type Termination struct {
	Code   string       `json:"code"`
	Reason []dsp.Reason `json:"reason"`
}

// keepReasons wraps the DSP handler: the reason of a termination message
// is stored once the control plane accepted the message (200), that is,
// once it authenticated the sender as the process's counterparty.
func (n *Node) keepReasons(h http.Handler) (http.Handler, error) {
	if _, err := n.dspDB.ExecContext(context.Background(), reasonsSchema); err != nil {
		return nil, fmt.Errorf("node: reasons table: %w", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind, pid, ok := terminationPath(r)
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, dsp.MaxMessageBytes+1))
		if err != nil {
			body = nil // the control plane answers a broken body
		}
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		if sw.code != http.StatusOK {
			return
		}
		msg, err := dsp.Decode(body)
		if err != nil {
			return
		}
		var t Termination
		switch m := msg.(type) {
		case *dsp.ContractNegotiationTerminationMessage:
			t = Termination{Code: m.Code, Reason: m.Reason}
		case *dsp.TransferTerminationMessage:
			t = Termination{Code: m.Code, Reason: m.Reason}
		default:
			return
		}
		if err := n.putReason(r.Context(), kind, pid, t); err != nil {
			n.log.ErrorContext(r.Context(), "recording a termination's reason", "pid", pid, "error", err)
		}
	}), nil
}

// terminationPath recognises POST <base>/{negotiations|transfers}/{pid}/termination.
func terminationPath(r *http.Request) (dsp.Kind, string, bool) {
	if r.Method != http.MethodPost {
		return "", "", false
	}
	seg := strings.Split(strings.Trim(path.Clean(r.URL.Path), "/"), "/")
	if len(seg) < 3 || seg[len(seg)-1] != "termination" {
		return "", "", false
	}
	switch seg[len(seg)-3] {
	case "negotiations":
		return dsp.KindNegotiation, seg[len(seg)-2], true
	case "transfers":
		return dsp.KindTransfer, seg[len(seg)-2], true
	}
	return "", "", false
}

func (n *Node) putReason(ctx context.Context, kind dsp.Kind, pid string, t Termination) error {
	b, err := json.Marshal(t.Reason)
	if err != nil {
		return err
	}
	_, err = n.dspDB.ExecContext(context.WithoutCancel(ctx), `INSERT INTO node_reasons (kind, pid, code, reasons, received_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (kind, pid) DO UPDATE SET code = $3, reasons = $4, received_at = $5`, string(kind), pid, t.Code, string(b), time.Now().UnixMilli())
	return err
}

// receivedTermination returns the termination received for a process of
// this node (nil if none).
func (n *Node) receivedTermination(ctx context.Context, kind dsp.Kind, pid string) (*Termination, error) {
	var t Termination
	var reasons string
	err := n.dspDB.QueryRowContext(ctx, `SELECT code, reasons FROM node_reasons WHERE kind = $1 AND pid = $2`, string(kind), pid).Scan(&t.Code, &reasons)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(reasons), &t.Reason); err != nil {
		return nil, err
	}
	return &t, nil
}
