package audit

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/xborder/xborder/internal/atomicfile"
	"github.com/xborder/xborder/internal/tsa"
	"golang.org/x/mod/sumdb/note"
)

// Trusted time.
//
// The log does not timestamp each entry: every TimestampInterval it asks an
// RFC 3161 time-stamping authority to timestamp the SHA-256 of the latest
// signed checkpoint, if the tree grew. The token proves the checkpoint — and
// so every entry below its size — existed no later than the TSA's genTime.
// Tokens are stored in timestamps/<size>.json with the checkpoint they
// cover. Witness cosignatures carry their own timestamps: a second,
// independent clock.
const timestampDir = "timestamps"

// Timestamper obtains an RFC 3161 token for a digest (internal/tsa's Client
// is one; so is an in-process local authority).
type Timestamper interface {
	Stamp(ctx context.Context, digest []byte, hash crypto.Hash) ([]byte, error)
}

// CheckpointStamp is a timestamped checkpoint.
type CheckpointStamp struct {
	Checkpoint []byte `json:"checkpoint"` // the signed checkpoint note
	Token      []byte `json:"token"`      // DER RFC 3161 TimeStampToken over SHA-256(Checkpoint)
	// Seal is a note signed by the log's key over the SHA-256 of Token
	// (sealText): the TSA's signature covers only part of a token's bytes
	// (a SignedData's digestAlgorithms set and its unsigned certificates,
	// for example, are not), so the seal is what makes every stored byte
	// count. Files written before seals existed have none, and are
	// checked as they were.
	Seal []byte `json:"seal,omitempty"`
}

// sealText is the text the seal of a token for checkpoint size signs.
func sealText(size uint64, token []byte) string {
	d := sha256.Sum256(token)
	return fmt.Sprintf("xborder audit timestamp seal v1\n%d\n%x\n", size, d)
}

// stampLoop timestamps the latest checkpoint every interval when it grew.
func (l *Log) stampLoop(ctx context.Context, ts Timestamper, every time.Duration) {
	defer close(l.stampDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := l.StampCheckpoint(ctx, ts); err != nil && ctx.Err() == nil {
				l.opts.Logger.Error("audit: timestamping the checkpoint failed", "error", err)
			}
		}
	}
}

// StampCheckpoint timestamps the latest checkpoint unless a checkpoint of
// that size already has a token. It returns the size stamped (0 if none).
func (l *Log) StampCheckpoint(ctx context.Context, ts Timestamper) (uint64, error) {
	raw, err := l.reader.ReadCheckpoint(ctx)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("audit: timestamp: %w", err)
	}
	cp, _, _, err := log.ParseCheckpoint(raw, l.verifier.Name(), l.verifier)
	if err != nil {
		return 0, fmt.Errorf("audit: timestamp: %w", err)
	}
	p := filepath.Join(l.dir, timestampDir, fmt.Sprintf("%020d.json", cp.Size))
	if _, err := os.Stat(p); err == nil || cp.Size == 0 {
		return 0, nil
	}
	d := sha256.Sum256(raw)
	tok, err := ts.Stamp(ctx, d[:], crypto.SHA256)
	if err != nil {
		return 0, fmt.Errorf("audit: timestamp checkpoint %d: %w", cp.Size, err)
	}
	seal, err := note.Sign(&note.Note{Text: sealText(cp.Size, tok)}, l.signer)
	if err != nil {
		return 0, fmt.Errorf("audit: sealing the timestamp of checkpoint %d: %w", cp.Size, err)
	}
	b, err := json.Marshal(CheckpointStamp{Checkpoint: raw, Token: tok, Seal: seal})
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return 0, fmt.Errorf("audit: timestamp: %w", err)
	}
	if err := atomicfile.WriteFile(p, b, 0o644); err != nil {
		return 0, fmt.Errorf("audit: timestamp: %w", err)
	}
	return cp.Size, nil
}

// timestampFiles lists stored timestamp files in size order (relative paths).
func timestampFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(dir, timestampDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, filepath.Join(timestampDir, e.Name()))
		}
	}
	slices.Sort(out)
	return out, nil
}

// readStamp reads a timestamp file and checks its checkpoint's log signature.
func readStamp(dir, rel string, v note.Verifier) (*CheckpointStamp, *log.Checkpoint, error) {
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		return nil, nil, err
	}
	var s CheckpointStamp
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, nil, fmt.Errorf("malformed timestamp file: %w", err)
	}
	if again, _ := json.Marshal(s); !bytes.Equal(again, b) {
		return nil, nil, errors.New("timestamp file is not in canonical form")
	}
	cp, _, _, err := log.ParseCheckpoint(s.Checkpoint, v.Name(), v)
	if err != nil {
		return nil, nil, fmt.Errorf("timestamped checkpoint: %w", err)
	}
	if want := filepath.Join(timestampDir, fmt.Sprintf("%020d.json", cp.Size)); want != rel {
		return nil, nil, fmt.Errorf("file holds the checkpoint of size %d", cp.Size)
	}
	if len(s.Token) == 0 {
		return nil, nil, errors.New("no token")
	}
	if s.Seal != nil {
		n, err := note.Open(s.Seal, note.VerifierList(v))
		if err != nil {
			return nil, nil, fmt.Errorf("the token's seal: %w", err)
		}
		if n.Text != sealText(cp.Size, s.Token) {
			return nil, nil, errors.New("the token does not match its seal")
		}
		if err := strictNote(s.Seal, v); err != nil {
			return nil, nil, fmt.Errorf("the token's seal: %w", err)
		}
	}
	return &s, cp, nil
}

// checkTimestamps checks every stored timestamp: its checkpoint is signed by
// the log and named by its size, consistent with the latest checkpoint (by a
// proof from the stored tiles), and its token's message imprint is the
// checkpoint's SHA-256 — with the signature checked too when the local TSA's
// root certificate is in dir/tsa/root.crt.
func checkTimestamps(ctx context.Context, dir string, v note.Verifier, size uint64, root []byte) error {
	files, err := timestampFiles(dir)
	if err != nil {
		return &VerifyError{Entry: -1, What: "timestamp", File: timestampDir, Err: err}
	}
	var roots *x509.CertPool
	if b, err := os.ReadFile(filepath.Join(dir, "tsa", "root.crt")); err == nil {
		roots = x509.NewCertPool()
		roots.AppendCertsFromPEM(b)
	}
	for _, f := range files {
		fail := func(err error) error { return &VerifyError{Entry: -1, What: "timestamp", File: f, Err: err} }
		s, scp, err := readStamp(dir, f, v)
		if err != nil {
			return fail(err)
		}
		if err := strictNote(s.Checkpoint, v); err != nil {
			return fail(err)
		}
		if scp.Size > size {
			return fail(fmt.Errorf("timestamped checkpoint of size %d is beyond the latest checkpoint (%d)", scp.Size, size))
		}
		p, err := ConsistencyProof(ctx, dir, scp.Size, size)
		if err == nil {
			err = proof.VerifyConsistency(rfc6962.DefaultHasher, scp.Size, size, p, scp.Hash, root)
		}
		if err != nil {
			return fail(fmt.Errorf("timestamped checkpoint is not consistent with the latest: %v", err))
		}
		d := sha256.Sum256(s.Checkpoint)
		pool := roots
		if pool == nil {
			// No trusted root here: check the token's integrity against the
			// certificates it carries (who issued it is for the auditor's roots).
			certs, err := tsa.Certificates(s.Token)
			if err != nil || len(certs) == 0 {
				return fail(fmt.Errorf("token carries no certificates to check it with: %v", err))
			}
			pool = x509.NewCertPool()
			pool.AddCert(certs[len(certs)-1])
		}
		if _, err := tsa.Verify(s.Token, d[:], crypto.SHA256, pool); err != nil {
			return fail(err)
		}
	}
	return nil
}
