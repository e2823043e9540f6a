package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
)

// VerifyError names the first failing check. Entry is the log index of the
// failing entry, or -1 when the failure is not about one entry.
type VerifyError struct {
	Entry int64
	What  string // "key", "checkpoint", "entry bundle", "payload", "leaf", "tile", "root", "inclusion"
	File  string // the file concerned, when known
	Err   error
}

func (e *VerifyError) Error() string {
	var b strings.Builder
	b.WriteString("audit verify: ")
	if e.Entry >= 0 {
		fmt.Fprintf(&b, "entry %d: ", e.Entry)
	}
	b.WriteString(e.What)
	if e.File != "" {
		b.WriteString(" (" + e.File + ")")
	}
	b.WriteString(": " + e.Err.Error())
	return b.String()
}

func (e *VerifyError) Unwrap() error { return e.Err }

// Report summarises a successful verification.
type Report struct {
	Origin  string
	Size    uint64 // tree size of the verified checkpoint
	Root    []byte
	Entries uint64 // entries whose payload was present and matched
	Pruned  uint64 // entries whose payload has been pruned (commitment only)
}

// VerifyDir verifies dir using the verifier key stored in dir/log.pub.
// A verifier that trusts the node's key from elsewhere should call Verify.
func VerifyDir(ctx context.Context, dir string) (*Report, error) {
	b, err := os.ReadFile(filepath.Join(dir, pubFile))
	if err != nil {
		return nil, &VerifyError{Entry: -1, What: "key", File: pubFile, Err: err}
	}
	return Verify(ctx, dir, strings.TrimSpace(string(b)))
}

// Verify checks the data directory against the note verifier key vkey:
// the latest checkpoint's signature and form; for every entry up to its size,
// that the entry bundle parses, that the stored payload (if not pruned)
// reproduces the leaf commitment, and that an inclusion proof built from
// the stored tiles verifies the recomputed leaf hash against the checkpoint
// root; finally that the root recomputed from all leaves equals the
// checkpoint root. It returns a *VerifyError naming the first failure.
func Verify(ctx context.Context, dir, vkey string) (*Report, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, &VerifyError{Entry: -1, What: "key", Err: err}
	}
	root := filepath.Join(dir, logDir)
	f := client.FileFetcher{Root: root}
	raw, err := f.ReadCheckpoint(ctx)
	if err != nil {
		return nil, &VerifyError{Entry: -1, What: "checkpoint", File: filepath.Join(logDir, layout.CheckpointPath), Err: err}
	}
	cp, _, _, err := log.ParseCheckpoint(raw, v.Name(), v)
	if err != nil {
		return nil, &VerifyError{Entry: -1, What: "checkpoint", File: filepath.Join(logDir, layout.CheckpointPath), Err: err}
	}
	rep := &Report{Origin: cp.Origin, Size: cp.Size, Root: cp.Hash}
	if cp.Size == 0 {
		if e := sha256.Sum256(nil); !bytes.Equal(cp.Hash, e[:]) {
			return nil, &VerifyError{Entry: -1, What: "root", Err: errors.New("empty tree with a non-empty root")}
		}
		return rep, nil
	}
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	cr := rf.NewEmptyRange(0)
	leafHashes := make([][]byte, 0, cp.Size)
	// First entry whose bundle leaf hash differs from the level-0 tile.
	mismatch, mismatchBundle, mismatchTile := int64(-1), "", ""
	for ri := range layout.Range(0, cp.Size, cp.Size) {
		bundleFile := filepath.Join(logDir, layout.EntriesPath(ri.Index, ri.Partial))
		tileFile := filepath.Join(logDir, layout.TilePath(0, ri.Index, ri.Partial))
		first := ri.Index * layout.EntryBundleWidth
		bundle, err := client.GetEntryBundle(ctx, f.ReadEntryBundle, ri.Index, cp.Size)
		if err != nil {
			return nil, &VerifyError{Entry: int64(first), What: "entry bundle", File: bundleFile, Err: err}
		}
		tileHashes, err := client.FetchLeafHashes(ctx, f.ReadTile, first+uint64(ri.First), uint64(ri.N), cp.Size)
		if err != nil {
			return nil, &VerifyError{Entry: int64(first), What: "tile", File: tileFile, Err: err}
		}
		for j := ri.First; j < ri.First+ri.N; j++ {
			idx := first + uint64(j)
			if int(j) >= len(bundle.Entries) {
				return nil, &VerifyError{Entry: int64(idx), What: "entry bundle", File: bundleFile, Err: errors.New("entry missing from bundle")}
			}
			data := bundle.Entries[j]
			if len(data) != 32 {
				return nil, &VerifyError{Entry: int64(idx), What: "entry bundle", File: bundleFile, Err: fmt.Errorf("leaf is %d bytes, want a 32-byte commitment", len(data))}
			}
			var c [32]byte
			copy(c[:], data)
			if _, _, err := ReadPayload(dir, c); err != nil {
				if errors.Is(err, os.ErrNotExist) {
					rep.Pruned++
				} else {
					rel, _ := filepath.Rel(dir, payloadPath(dir, c))
					return nil, &VerifyError{Entry: int64(idx), What: "payload", File: rel, Err: err}
				}
			} else {
				rep.Entries++
			}
			lh := rfc6962.DefaultHasher.HashLeaf(data)
			if th := tileHashes[j-ri.First]; mismatch < 0 && !bytes.Equal(th, lh) {
				mismatch, mismatchBundle, mismatchTile = int64(idx), bundleFile, tileFile
			}
			leafHashes = append(leafHashes, lh)
			if err := cr.Append(lh, nil); err != nil {
				return nil, &VerifyError{Entry: int64(idx), What: "root", Err: err}
			}
		}
	}
	got, err := cr.GetRootHash(nil)
	if err != nil {
		return nil, &VerifyError{Entry: -1, What: "root", Err: err}
	}
	if !bytes.Equal(got, cp.Hash) {
		if mismatch >= 0 {
			// The bundle disagrees with the tiles and the bundles do not give the signed root: the bundle was changed.
			return nil, &VerifyError{Entry: mismatch, What: "leaf", File: mismatchBundle,
				Err: fmt.Errorf("leaf differs from the level-0 tile and the tree root %x != checkpoint root %x", got, cp.Hash)}
		}
		return nil, &VerifyError{Entry: -1, What: "root", Err: fmt.Errorf("recomputed root %x != checkpoint root %x", got, cp.Hash)}
	}
	if mismatch >= 0 {
		// The bundles give the signed root, so the tile is the changed file.
		return nil, &VerifyError{Entry: mismatch, What: "tile", File: mismatchTile, Err: errors.New("level-0 tile hash differs from the entry's leaf hash")}
	}
	// Inclusion proofs built from the stored tiles (as a client would) for every entry.
	pb, err := client.NewProofBuilder(ctx, cp.Size, f.ReadTile)
	if err != nil {
		return nil, &VerifyError{Entry: -1, What: "tile", File: filepath.Join(logDir, "tile"), Err: err}
	}
	for idx, lh := range leafHashes {
		p, err := pb.InclusionProof(ctx, uint64(idx))
		if err == nil {
			err = proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(idx), cp.Size, lh, p, cp.Hash)
		}
		if err != nil {
			return nil, &VerifyError{Entry: int64(idx), What: "inclusion", File: filepath.Join(logDir, "tile"),
				Err: fmt.Errorf("stored tiles do not prove the entry against the checkpoint root: %v", err)}
		}
	}
	return rep, nil
}
