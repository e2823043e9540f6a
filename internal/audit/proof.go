package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
)

// Proofs are built from the stored tiles, as any client of the tlog-tiles
// API would build them, so they prove what the files say, not what the
// process remembers.

// InclusionProof returns the RFC 6962 inclusion proof of entry index in the
// tree of the given size, from the tiles in data directory dir.
func InclusionProof(ctx context.Context, dir string, index, size uint64) ([][]byte, error) {
	if index >= size {
		return nil, fmt.Errorf("audit: inclusion proof: index %d is not below tree size %d", index, size)
	}
	f := client.FileFetcher{Root: filepath.Join(dir, logDir)}
	pb, err := client.NewProofBuilder(ctx, size, f.ReadTile)
	if err != nil {
		return nil, fmt.Errorf("audit: inclusion proof: %w", err)
	}
	p, err := pb.InclusionProof(ctx, index)
	if err != nil {
		return nil, fmt.Errorf("audit: inclusion proof of %d in %d: %w", index, size, err)
	}
	return p, nil
}

// ConsistencyProof returns the RFC 6962 consistency proof from tree size
// old to tree size new, from the tiles in dir.
func ConsistencyProof(ctx context.Context, dir string, old, new uint64) ([][]byte, error) {
	if old > new {
		return nil, fmt.Errorf("audit: consistency proof: old size %d is larger than new size %d", old, new)
	}
	f := client.FileFetcher{Root: filepath.Join(dir, logDir)}
	pb, err := client.NewProofBuilder(ctx, new, f.ReadTile)
	if err != nil {
		return nil, fmt.Errorf("audit: consistency proof: %w", err)
	}
	p, err := pb.ConsistencyProof(ctx, old, new)
	if err != nil {
		return nil, fmt.Errorf("audit: consistency proof %d→%d: %w", old, new, err)
	}
	return p, nil
}

// ReadCheckpoint reads and verifies the latest checkpoint of dir with vkey.
func ReadCheckpoint(dir, vkey string) (*log.Checkpoint, []byte, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, nil, fmt.Errorf("audit: verifier key: %w", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, logDir, layout.CheckpointPath))
	if err != nil {
		return nil, nil, fmt.Errorf("audit: checkpoint: %w", err)
	}
	cp, _, _, err := log.ParseCheckpoint(raw, v.Name(), v)
	if err != nil {
		return nil, nil, fmt.Errorf("audit: checkpoint: %w", err)
	}
	return cp, raw, nil
}

// LeafAt returns the leaf data (commitment) of entry index in a tree of size.
func LeafAt(dir string, index, size uint64) ([32]byte, error) {
	l, err := readLeaves(dir, index, index+1, size)
	if err != nil {
		return [32]byte{}, err
	}
	return l[0], nil
}

// TlogProof is a C2SP tlog-proof (c2sp.org/tlog-proof@v1): an
// offline-verifiable proof that an entry is in the log, with the checkpoint
// (and any witness cosignatures on it). Extra carries salt ‖ canonical
// event, from which the verifier recomputes the entry's commitment; it is
// absent for a pruned entry, whose Commitment is then given beside the proof.
type TlogProof struct {
	Extra      []byte
	Index      uint64
	Proof      [][]byte
	Checkpoint []byte
}

const tlogProofHeader = "c2sp.org/tlog-proof@v1"

// Marshal encodes p in the tlog-proof text format.
func (p *TlogProof) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(tlogProofHeader + "\n")
	if p.Extra != nil {
		b.WriteString("extra " + base64.StdEncoding.EncodeToString(p.Extra) + "\n")
	}
	b.WriteString("index " + strconv.FormatUint(p.Index, 10) + "\n")
	for _, h := range p.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h) + "\n")
	}
	b.WriteString("\n")
	b.Write(p.Checkpoint)
	return b.Bytes()
}

// Maximum sizes accepted when parsing a tlog-proof.
const (
	maxTlogProofBytes = 64 << 10
	maxProofHashes    = 64
)

// ParseTlogProof decodes the tlog-proof text format strictly.
func ParseTlogProof(b []byte) (*TlogProof, error) {
	if len(b) > maxTlogProofBytes {
		return nil, fmt.Errorf("audit: tlog-proof: %d bytes, more than %d", len(b), maxTlogProofBytes)
	}
	head, cp, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok {
		return nil, errors.New("audit: tlog-proof: no blank line before the checkpoint")
	}
	lines := strings.Split(string(head), "\n")
	if lines[0] != tlogProofHeader {
		return nil, fmt.Errorf("audit: tlog-proof: first line is not %q", tlogProofHeader)
	}
	p := &TlogProof{Checkpoint: cp}
	i := 1
	if i < len(lines) && strings.HasPrefix(lines[i], "extra ") {
		x, err := base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(lines[i], "extra "))
		if err != nil || len(x) == 0 {
			return nil, errors.New("audit: tlog-proof: malformed extra line")
		}
		p.Extra = x
		i++
	}
	if i >= len(lines) || !strings.HasPrefix(lines[i], "index ") {
		return nil, errors.New("audit: tlog-proof: missing index line")
	}
	is := strings.TrimPrefix(lines[i], "index ")
	idx, err := strconv.ParseUint(is, 10, 64)
	if err != nil || strconv.FormatUint(idx, 10) != is {
		return nil, errors.New("audit: tlog-proof: malformed index")
	}
	p.Index = idx
	for _, ln := range lines[i+1:] {
		h, err := base64.StdEncoding.Strict().DecodeString(ln)
		if err != nil || len(h) != sha256.Size {
			return nil, fmt.Errorf("audit: tlog-proof: malformed proof hash %q", ln)
		}
		if len(p.Proof) == maxProofHashes {
			return nil, errors.New("audit: tlog-proof: too many proof hashes")
		}
		p.Proof = append(p.Proof, h)
	}
	return p, nil
}

// Verify checks the proof against the log verifier: the checkpoint's log
// signature, then the inclusion of the leaf whose data is commitment (or,
// when Extra is present, SHA-256(Extra), which must then equal commitment
// if commitment is non-nil). It returns the verified checkpoint.
func (p *TlogProof) Verify(v note.Verifier, commitment *[32]byte) (*log.Checkpoint, [32]byte, error) {
	cp, _, _, err := log.ParseCheckpoint(p.Checkpoint, v.Name(), v)
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("audit: tlog-proof checkpoint: %w", err)
	}
	var c [32]byte
	switch {
	case p.Extra != nil:
		c = sha256.Sum256(p.Extra)
		if commitment != nil && c != *commitment {
			return nil, c, errors.New("audit: tlog-proof: extra data does not give the stated commitment")
		}
	case commitment != nil:
		c = *commitment
	default:
		return nil, c, errors.New("audit: tlog-proof: neither extra data nor a commitment to prove")
	}
	lh := leafHash(c)
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.Index, cp.Size, lh[:], p.Proof, cp.Hash); err != nil {
		return nil, c, fmt.Errorf("audit: tlog-proof: entry %d: %w", p.Index, err)
	}
	return cp, c, nil
}

// parseCheckpointWith verifies a checkpoint note with v (other signatures,
// such as witness cosignatures, are ignored here).
func parseCheckpointWith(raw []byte, v note.Verifier) (*log.Checkpoint, []byte, error) {
	cp, _, _, err := log.ParseCheckpoint(raw, v.Name(), v)
	if err != nil {
		return nil, nil, err
	}
	return cp, raw, nil
}
