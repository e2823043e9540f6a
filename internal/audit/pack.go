package audit

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/xborder/xborder/internal/tsa"
	"github.com/xborder/xborder/internal/witness"
	"golang.org/x/mod/sumdb/note"
)

// Evidence packs (证据链).
//
// A pack gathers, for one object (dataset, agreement, transfer, task), every
// entry of the log about it, each as a C2SP tlog-proof against one signed
// checkpoint (with its witness cosignatures), the event itself (salt and
// canonical event, the proof's extra data), and the RFC 3161 timestamps of
// earlier checkpoints with consistency proofs to the pack's checkpoint. It
// is one JSON file that verifies offline with [VerifyPack].
const PackType = "xborder.audit.evidence-pack/v1"

// Pack is an evidence pack.
type Pack struct {
	Type    string      `json:"type"`
	Subject PackSubject `json:"subject"`
	Created time.Time   `json:"created"`
	Log     PackLog     `json:"log"`
	// Witnesses is the witness policy the node was configured with, if any.
	Witnesses  *witness.Policy `json:"witnesses,omitempty"`
	Checkpoint string          `json:"checkpoint"`
	Entries    []PackEntry     `json:"entries"`
	Timestamps []PackStamp     `json:"timestamps,omitempty"`
	// TSARoots are PEM certificates of the time-stamping authority's roots.
	TSARoots string `json:"tsa_roots,omitempty"`
}

// PackSubject names what the pack is about.
type PackSubject struct {
	ObjectID string `json:"object_id"`
}

// PackLog identifies the log.
type PackLog struct {
	Origin      string `json:"origin"`
	VerifierKey string `json:"verifier_key"`
}

// PackEntry is one entry: its tlog-proof (extra = salt ‖ canonical event,
// absent when pruned) and its commitment.
type PackEntry struct {
	Index      uint64 `json:"index"`
	Commitment string `json:"commitment"` // hex
	Status     string `json:"status"`
	Proof      string `json:"tlog_proof"`
}

// PackStamp is a timestamped checkpoint and the consistency proof from its
// size to the pack's checkpoint.
type PackStamp struct {
	Checkpoint  string   `json:"checkpoint"`
	Token       []byte   `json:"token"`
	Consistency [][]byte `json:"consistency"`
}

// PackOptions configure BuildPack.
type PackOptions struct {
	Witnesses *witness.Policy
	TSARoots  []*x509.Certificate
	Now       func() time.Time
	// MaxEntries bounds the pack (default 100,000).
	MaxEntries int
}

// BuildPack builds the evidence pack for objectID from the data directory
// dir, using its query index (brought up to the latest checkpoint).
func BuildPack(ctx context.Context, dir, objectID string, opts PackOptions) (*Pack, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 100_000
	}
	vb, err := os.ReadFile(filepath.Join(dir, pubFile))
	if err != nil {
		return nil, fmt.Errorf("audit pack: %w", err)
	}
	vkey := strings.TrimSpace(string(vb))
	x, err := OpenIndex(dir, nil)
	if err != nil {
		return nil, fmt.Errorf("audit pack: %w", err)
	}
	defer x.Close()
	if _, err := x.Reconcile(ctx); err != nil {
		return nil, fmt.Errorf("audit pack: %w", err)
	}
	cp, raw, err := ReadCheckpoint(dir, vkey)
	if err != nil {
		return nil, fmt.Errorf("audit pack: %w", err)
	}
	p := &Pack{Type: PackType, Subject: PackSubject{ObjectID: objectID}, Created: opts.Now().UTC(),
		Log: PackLog{Origin: cp.Origin, VerifierKey: vkey}, Witnesses: opts.Witnesses, Checkpoint: string(raw)}
	q := Query{ObjectID: objectID, Limit: 10_000}
	for {
		hits, err := x.Query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("audit pack: %w", err)
		}
		for _, h := range hits {
			if h.Index >= cp.Size {
				continue
			}
			if len(p.Entries) == opts.MaxEntries {
				return nil, fmt.Errorf("audit pack: more than %d entries about %s; narrow the subject", opts.MaxEntries, objectID)
			}
			pr, err := InclusionProof(ctx, dir, h.Index, cp.Size)
			if err != nil {
				return nil, fmt.Errorf("audit pack: %w", err)
			}
			tp := TlogProof{Index: h.Index, Proof: pr, Checkpoint: raw}
			if loc, ok, err := x.Locate(ctx, h.Index); err != nil {
				return nil, fmt.Errorf("audit pack: %w", err)
			} else if ok {
				data, err := readRecord(filepath.Join(dir, payloadDir), loc, h.Commitment)
				if err != nil {
					return nil, fmt.Errorf("audit pack: entry %d: %w", h.Index, err)
				}
				tp.Extra = data
			}
			st := StatusPresent
			if tp.Extra == nil {
				st = h.Status
			}
			p.Entries = append(p.Entries, PackEntry{Index: h.Index, Commitment: hex.EncodeToString(h.Commitment[:]), Status: st, Proof: string(tp.Marshal())})
		}
		if len(hits) < q.Limit {
			break
		}
		q.After, q.AfterSet = int64(hits[len(hits)-1].Index), true
	}
	files, err := timestampFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("audit pack: %w", err)
	}
	v, _ := note.NewVerifier(vkey)
	for _, f := range files {
		s, scp, err := readStamp(dir, f, v)
		if err != nil {
			return nil, fmt.Errorf("audit pack: %s: %w", f, err)
		}
		if scp.Size > cp.Size {
			continue
		}
		cons, err := ConsistencyProof(ctx, dir, scp.Size, cp.Size)
		if err != nil {
			return nil, fmt.Errorf("audit pack: %w", err)
		}
		p.Timestamps = append(p.Timestamps, PackStamp{Checkpoint: string(s.Checkpoint), Token: s.Token, Consistency: cons})
	}
	var roots bytes.Buffer
	for _, c := range opts.TSARoots {
		pem.Encode(&roots, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	p.TSARoots = roots.String()
	return p, nil
}

// PackTrust is what the verifier of a pack trusts. Empty fields fall back to
// what the pack itself declares, which proves integrity but not origin; the
// report says which keys were taken from the pack.
type PackTrust struct {
	LogKey    string          // note verifier key of the log
	Witnesses *witness.Policy // witness keys and k
	TSARoots  *x509.CertPool
}

// PackReport is the result of a successful pack verification.
type PackReport struct {
	ObjectID       string
	Size           uint64
	Entries        int
	Pruned         int
	Cosignatures   []witness.Cosignature
	Timestamps     []time.Time // TSA genTime of each timestamped checkpoint
	FromPack       []string    // trust anchors taken from the pack itself
	EarliestCovers time.Time   // earliest TSA time whose checkpoint covers every entry (zero if none)
}

// VerifyPack verifies an evidence pack offline.
func VerifyPack(b []byte, trust PackTrust) (*PackReport, error) {
	var p Pack
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("audit pack: %w", err)
	}
	if p.Type != PackType {
		return nil, fmt.Errorf("audit pack: type %q, want %q", p.Type, PackType)
	}
	rep := &PackReport{ObjectID: p.Subject.ObjectID}
	if trust.LogKey == "" {
		trust.LogKey = p.Log.VerifierKey
		rep.FromPack = append(rep.FromPack, "log key")
	}
	v, err := note.NewVerifier(trust.LogKey)
	if err != nil {
		return nil, fmt.Errorf("audit pack: log key: %w", err)
	}
	cp, _, err := parseCheckpointWith([]byte(p.Checkpoint), v)
	if err != nil {
		return nil, fmt.Errorf("audit pack: checkpoint: %w", err)
	}
	rep.Size = cp.Size
	if trust.Witnesses == nil && p.Witnesses != nil && p.Witnesses.K > 0 {
		trust.Witnesses = p.Witnesses
		rep.FromPack = append(rep.FromPack, "witness policy")
	}
	if trust.Witnesses != nil && trust.Witnesses.K > 0 {
		cs, err := trust.Witnesses.Verify([]byte(p.Checkpoint), v)
		if err != nil {
			return nil, fmt.Errorf("audit pack: checkpoint cosignatures: %w", err)
		}
		rep.Cosignatures = cs
	}
	maxIndex := int64(-1)
	for i, e := range p.Entries {
		tp, err := ParseTlogProof([]byte(e.Proof))
		if err != nil {
			return nil, fmt.Errorf("audit pack: entry %d: %w", e.Index, err)
		}
		if tp.Index != e.Index || string(tp.Checkpoint) != p.Checkpoint {
			return nil, fmt.Errorf("audit pack: entry %d: proof is for another index or checkpoint", e.Index)
		}
		cb, err := hex.DecodeString(e.Commitment)
		if err != nil || len(cb) != 32 {
			return nil, fmt.Errorf("audit pack: entry %d: malformed commitment", e.Index)
		}
		c := [32]byte(cb)
		if _, _, err := tp.Verify(v, &c); err != nil {
			return nil, fmt.Errorf("audit pack: entry %d: %w", e.Index, err)
		}
		if tp.Extra == nil {
			if e.Status == StatusPresent {
				return nil, fmt.Errorf("audit pack: entry %d: marked present without its event", e.Index)
			}
			rep.Pruned++
		} else {
			if len(tp.Extra) <= saltLen {
				return nil, fmt.Errorf("audit pack: entry %d: extra data too short", e.Index)
			}
			ev, err := ParseCanonical(tp.Extra[saltLen:])
			if err != nil {
				return nil, fmt.Errorf("audit pack: entry %d: %w", e.Index, err)
			}
			if ev.ObjectID != p.Subject.ObjectID {
				return nil, fmt.Errorf("audit pack: entry %d is about %s, not %s", e.Index, ev.ObjectID, p.Subject.ObjectID)
			}
		}
		if i > 0 && int64(e.Index) <= maxIndex {
			return nil, fmt.Errorf("audit pack: entries out of order at %d", e.Index)
		}
		maxIndex = int64(e.Index)
		rep.Entries++
	}
	if len(p.Timestamps) > 0 {
		if trust.TSARoots == nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM([]byte(p.TSARoots)) {
				return nil, errors.New("audit pack: timestamps present but no TSA roots trusted or included")
			}
			trust.TSARoots = pool
			rep.FromPack = append(rep.FromPack, "TSA roots")
		}
		for _, s := range p.Timestamps {
			scp, _, err := parseCheckpointWith([]byte(s.Checkpoint), v)
			if err != nil {
				return nil, fmt.Errorf("audit pack: timestamped checkpoint: %w", err)
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, scp.Size, cp.Size, s.Consistency, scp.Hash, cp.Hash); err != nil {
				return nil, fmt.Errorf("audit pack: timestamped checkpoint %d is not consistent with checkpoint %d: %w", scp.Size, cp.Size, err)
			}
			d := sha256.Sum256([]byte(s.Checkpoint))
			st, err := tsa.Verify(s.Token, d[:], crypto.SHA256, trust.TSARoots)
			if err != nil {
				return nil, fmt.Errorf("audit pack: timestamp of checkpoint %d: %w", scp.Size, err)
			}
			rep.Timestamps = append(rep.Timestamps, st.Time)
			if int64(scp.Size) > maxIndex && (rep.EarliestCovers.IsZero() || st.Time.Before(rep.EarliestCovers)) {
				rep.EarliestCovers = st.Time
			}
		}
	}
	return rep, nil
}
