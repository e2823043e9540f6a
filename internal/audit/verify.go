package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

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
	What  string // "key", "checkpoint", "entry bundle", "payload", "leaf", "tile", "root", "inclusion", "prune manifest"
	File  string // the file concerned, relative to the data directory, when known
	Err   error

	commitment *[32]byte // of a corrupt payload record, to name its entry
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
	Origin     string
	Size       uint64 // tree size of the verified checkpoint
	Root       []byte
	Checkpoint []byte // the verified checkpoint note
	Entries    uint64 // entries whose payload was present and matched
	Pruned     uint64 // entries whose payload was pruned under a signed prune manifest
	Segments   int    // payload segments read
	Manifests  int    // prune manifests checked
	// StaleTiles lists partial tiles and bundles left from smaller tree sizes
	// that differ from the leaves. A crash in the middle of integration leaves
	// such files for sizes no checkpoint ever named (tessera overwrites or
	// garbage-collects them), so they are reported, not failures: a client
	// that fetched one would fail its own proof check.
	StaleTiles []string
	// Orphans counts payload records no entry of the checkpoint refers to:
	// appends interrupted by a crash before integration, or entries integrated
	// after the checkpoint. They are reported, not failures.
	Orphans uint64
}

// VerifyDir verifies dir using the verifier key stored in dir/log.pub.
// A verifier that trusts the node's key from elsewhere should call Verify.
func VerifyDir(ctx context.Context, dir string) (*Report, error) {
	vkey, _, err := readVerifierKey(dir)
	if err != nil {
		return nil, err
	}
	return Verify(ctx, dir, vkey)
}

// Verify checks the data directory against the note verifier key vkey, in
// one pass over the stored files:
//
//   - the latest checkpoint's signature and form;
//   - every entry bundle up to the checkpoint size parses and holds 32-byte
//     commitments;
//   - every stored tile, at every level, equals the hashes recomputed from
//     the leaves (so every inclusion proof a client builds from the tiles is
//     valid), and the root recomputed from the leaves equals the checkpoint's;
//     a sample of inclusion proofs is also built from the tiles as a client
//     would and checked;
//   - every payload record in every segment matches its commitment and is a
//     canonical event; every entry's payload is present, or listed in a prune
//     manifest signed with the log key.
//
// It returns a *VerifyError naming the first failure.
func Verify(ctx context.Context, dir, vkey string) (*Report, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, &VerifyError{Entry: -1, What: "key", Err: err}
	}
	cpFile := filepath.Join(logDir, layout.CheckpointPath)
	raw, err := os.ReadFile(filepath.Join(dir, cpFile))
	if err != nil {
		return nil, &VerifyError{Entry: -1, What: "checkpoint", File: cpFile, Err: err}
	}
	cp, _, _, err := log.ParseCheckpoint(raw, v.Name(), v)
	if err != nil {
		return nil, &VerifyError{Entry: -1, What: "checkpoint", File: cpFile, Err: err}
	}
	if err := strictNote(raw, v); err != nil {
		return nil, &VerifyError{Entry: -1, What: "checkpoint", File: cpFile, Err: err}
	}
	rep := &Report{Origin: cp.Origin, Size: cp.Size, Root: cp.Hash, Checkpoint: raw}
	if err := checkKeyPair(dir); err != nil {
		return nil, err
	}
	if err := checkSM2Checkpoint(dir, raw); err != nil {
		return nil, err
	}

	// Payload records and prune manifests are read concurrently with the tree.
	type payloadResult struct {
		records  map[[32]byte]Location
		segments int
		err      error
	}
	pch := make(chan payloadResult, 1)
	go func() {
		recs, n, err := scanAllPayloads(ctx, filepath.Join(dir, payloadDir))
		pch <- payloadResult{recs, n, err}
	}()
	pruned, manifests, err := loadPruneManifests(dir, v)
	if err != nil {
		<-pch
		return nil, err
	}
	rep.Manifests = manifests

	leaves, stale, err := verifyTree(ctx, dir, cp.Size, cp.Hash)
	rep.StaleTiles = stale
	if err == nil {
		// These build proofs from the tiles just verified.
		if err = checkTreeState(ctx, dir, v); err == nil {
			err = checkTimestamps(ctx, dir, v, cp.Size, cp.Hash)
		}
	}
	pr := <-pch
	if err != nil {
		return nil, err
	}
	if pr.err != nil {
		var ve *VerifyError
		if errors.As(pr.err, &ve) && ve.Entry < 0 && ve.commitment != nil {
			// Name the entry whose payload record is corrupt, when its header is intact.
			for i, c := range leaves {
				if c == *ve.commitment {
					ve.Entry = int64(i)
					break
				}
			}
		}
		return nil, pr.err
	}
	rep.Segments = pr.segments
	used := uint64(0)
	for i, c := range leaves {
		if _, ok := pr.records[c]; ok {
			rep.Entries++
			used++
			continue
		}
		if pruned[c] {
			rep.Pruned++
			continue
		}
		return nil, &VerifyError{Entry: int64(i), What: "payload", File: payloadDir,
			Err: fmt.Errorf("payload of commitment %x is missing and no signed prune manifest lists it", c)}
	}
	rep.Orphans = uint64(len(pr.records)) - used
	return rep, nil
}

// verifyTree checks bundles, tiles, root and sampled inclusion proofs, and
// returns the leaf data (commitments) of entries [0, size).
func verifyTree(ctx context.Context, dir string, size uint64, root []byte) (_ [][32]byte, stale []string, _ error) {
	if size == 0 {
		if e := sha256.Sum256(nil); !bytes.Equal(root, e[:]) {
			return nil, nil, &VerifyError{Entry: -1, What: "root", Err: errors.New("empty tree with a non-empty root")}
		}
		return nil, nil, nil
	}
	leaves, err := readLeaves(dir, 0, size, size)
	if err != nil {
		return nil, nil, err
	}
	hashes := make([][32]byte, len(leaves))
	for i := range leaves {
		hashes[i] = leafHash(leaves[i])
	}

	// Root from the bundles' leaves.
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	cr := rf.NewEmptyRange(0)
	for i := range hashes {
		if err := cr.Append(hashes[i][:], nil); err != nil {
			return nil, nil, &VerifyError{Entry: int64(i), What: "root", Err: err}
		}
	}
	got, err := cr.GetRootHash(nil)
	if err != nil {
		return nil, nil, &VerifyError{Entry: -1, What: "root", Err: err}
	}
	rootOK := bytes.Equal(got, root)

	// Tiles, level by level: level L holds the hashes of complete subtrees of
	// 256^L leaves; each level is recomputed from the one below.
	level := hashes
	for L := uint64(0); len(level) > 0; L++ {
		nTiles := (uint64(len(level)) + layout.TileWidth - 1) / layout.TileWidth
		for t := uint64(0); t < nTiles; t++ {
			lo := t * layout.TileWidth
			hi := min(lo+layout.TileWidth, uint64(len(level)))
			w := uint8(0)
			if hi-lo < layout.TileWidth {
				w = uint8(hi - lo)
			}
			tileFile := filepath.Join(logDir, layout.TilePath(L, t, w))
			b, err := os.ReadFile(filepath.Join(dir, tileFile))
			first := int64(lo) << (8 * L) // first leaf under the tile's first node
			if err != nil {
				return nil, nil, &VerifyError{Entry: first, What: "tile", File: tileFile, Err: err}
			}
			if uint64(len(b)) != (hi-lo)*32 {
				return nil, nil, &VerifyError{Entry: first, What: "tile", File: tileFile, Err: fmt.Errorf("%d bytes, want %d", len(b), (hi-lo)*32)}
			}
			for j := lo; j < hi; j++ {
				if !bytes.Equal(b[(j-lo)*32:(j-lo+1)*32], level[j][:]) {
					node := int64(j) << (8 * L)
					if L == 0 && !rootOK {
						// The bundle disagrees with the tiles and the bundles do not give the signed root: the bundle was changed.
						return nil, nil, &VerifyError{Entry: node, What: "leaf", File: filepath.Join(logDir, layout.EntriesPath(j/layout.EntryBundleWidth, layout.PartialTileSize(0, j/layout.EntryBundleWidth, size))),
							Err: fmt.Errorf("leaf differs from the level-0 tile and the tree root %x != checkpoint root %x", got, root)}
					}
					return nil, nil, &VerifyError{Entry: node, What: "tile", File: tileFile,
						Err: fmt.Errorf("hash %d of the level-%d tile differs from the one recomputed from the leaves", j-lo, L)}
				}
			}
		}
		stale = append(stale, checkStalePartials(dir, func(t uint64) string { return layout.TilePath(L, t, 0) }, nTiles, func(t, w uint64) ([]byte, bool) {
			if t*layout.TileWidth+w > uint64(len(level)) {
				return nil, false
			}
			out := make([]byte, 0, 32*w)
			for _, h := range level[t*layout.TileWidth : t*layout.TileWidth+w] {
				out = append(out, h[:]...)
			}
			return out, true
		})...)
		if L == 0 {
			nb := (size + layout.EntryBundleWidth - 1) / layout.EntryBundleWidth
			stale = append(stale, checkStalePartials(dir, func(t uint64) string { return layout.EntriesPath(t, 0) }, nb, func(t, w uint64) ([]byte, bool) {
				if t*layout.EntryBundleWidth+w > uint64(len(leaves)) {
					return nil, false
				}
				out := make([]byte, 0, 34*w)
				for _, c := range leaves[t*layout.EntryBundleWidth : t*layout.EntryBundleWidth+w] {
					out = append(out, 0, 32)
					out = append(out, c[:]...)
				}
				return out, true
			})...)
		}
		// Next level: roots of complete groups of 256.
		next := make([][32]byte, 0, len(level)/layout.TileWidth)
		for g := 0; (g+1)*layout.TileWidth <= len(level); g++ {
			next = append(next, perfectRoot(level[g*layout.TileWidth:(g+1)*layout.TileWidth]))
		}
		level = next
	}
	if !rootOK {
		return nil, nil, &VerifyError{Entry: -1, What: "root", File: filepath.Join(logDir, layout.CheckpointPath),
			Err: fmt.Errorf("recomputed root %x != checkpoint root %x", got, root)}
	}

	// Inclusion proofs built from the stored tiles as a client would, for a sample.
	f := client.FileFetcher{Root: filepath.Join(dir, logDir)}
	pb, err := client.NewProofBuilder(ctx, size, f.ReadTile)
	if err != nil {
		return nil, nil, &VerifyError{Entry: -1, What: "tile", File: filepath.Join(logDir, "tile"), Err: err}
	}
	for _, idx := range sampleIndices(size, 64) {
		p, err := pb.InclusionProof(ctx, idx)
		if err == nil {
			err = proof.VerifyInclusion(rfc6962.DefaultHasher, idx, size, hashes[idx][:], p, root)
		}
		if err != nil {
			return nil, nil, &VerifyError{Entry: int64(idx), What: "inclusion", File: filepath.Join(logDir, "tile"),
				Err: fmt.Errorf("stored tiles do not prove the entry against the checkpoint root: %v", err)}
		}
	}
	return leaves, stale, nil
}

// readLeaves returns the leaf data (32-byte commitments) of entries
// [from, to) of a tree of the given size, from the entry bundles in dir.
func readLeaves(dir string, from, to, size uint64) ([][32]byte, error) {
	leaves := make([][32]byte, 0, to-from)
	for ri := range layout.Range(from, to-from, size) {
		bundleFile := filepath.Join(logDir, layout.EntriesPath(ri.Index, layout.PartialTileSize(0, ri.Index, size)))
		b, err := os.ReadFile(filepath.Join(dir, bundleFile))
		if err != nil {
			return nil, &VerifyError{Entry: int64(ri.Index*layout.EntryBundleWidth + uint64(ri.First)), What: "entry bundle", File: bundleFile, Err: err}
		}
		want := int(ri.First + ri.N)
		n := 0
		for len(b) > 0 && n < want {
			idx := ri.Index*layout.EntryBundleWidth + uint64(n)
			if len(b) < 2 {
				return nil, &VerifyError{Entry: int64(idx), What: "entry bundle", File: bundleFile, Err: errors.New("truncated length prefix")}
			}
			l := int(binary.BigEndian.Uint16(b))
			if l != 32 || len(b) < 2+l {
				return nil, &VerifyError{Entry: int64(idx), What: "entry bundle", File: bundleFile, Err: fmt.Errorf("leaf is %d bytes, want a 32-byte commitment", l)}
			}
			if n >= int(ri.First) {
				leaves = append(leaves, [32]byte(b[2:34]))
			}
			b = b[2+l:]
			n++
		}
		if n != want {
			return nil, &VerifyError{Entry: int64(ri.Index*layout.EntryBundleWidth + uint64(n)), What: "entry bundle", File: bundleFile,
				Err: fmt.Errorf("bundle holds %d entries, want %d", n, want)}
		}
		fileEntries := int(layout.PartialTileSize(0, ri.Index, size))
		if fileEntries == 0 {
			fileEntries = layout.EntryBundleWidth
		}
		if want == fileEntries && len(b) != 0 {
			return nil, &VerifyError{Entry: int64(ri.Index*layout.EntryBundleWidth + uint64(n) - 1), What: "entry bundle", File: bundleFile,
				Err: fmt.Errorf("%d trailing bytes after %d entries", len(b), n)}
		}
	}
	return leaves, nil
}

// checkStalePartials returns the partial tiles (or bundles) left from
// smaller trees — tile/…/NNN.p/W, which clients of older checkpoints fetch —
// that are not the first W hashes (entries) of what the leaves give. expect
// returns false when the tree has fewer than W entries there (a file from a
// tree larger than the checkpoint: integrated, not yet published).
func checkStalePartials(dir string, path func(t uint64) string, n uint64, expect func(t, w uint64) ([]byte, bool)) []string {
	var out []string
	for t := uint64(0); t < n; t++ {
		pdir := path(t) + ".p"
		ents, err := os.ReadDir(filepath.Join(dir, logDir, pdir))
		if err != nil {
			continue // none (the usual case once tessera's GC has run)
		}
		for _, e := range ents {
			w, err := strconv.ParseUint(e.Name(), 10, 64)
			if err != nil || w == 0 || w >= layout.TileWidth {
				// Not a partial tile: tessera's temporary files (the target's name
				// followed by random digits) left by a crash; no client reads them.
				continue
			}
			want, ok := expect(t, w)
			if !ok {
				continue
			}
			rel := filepath.Join(logDir, pdir, e.Name())
			if b, err := os.ReadFile(filepath.Join(dir, rel)); err != nil || !bytes.Equal(b, want) {
				out = append(out, rel)
			}
		}
	}
	return out
}

func leafHash(c [32]byte) [32]byte {
	var b [33]byte
	copy(b[1:], c[:])
	return sha256.Sum256(b[:])
}

func nodeHash(l, r *[32]byte) [32]byte {
	var b [65]byte
	b[0] = 1
	copy(b[1:33], l[:])
	copy(b[33:], r[:])
	return sha256.Sum256(b[:])
}

// perfectRoot is the RFC 6962 root of a power-of-two number of hashes.
func perfectRoot(h [][32]byte) [32]byte {
	buf := make([][32]byte, len(h)/2)
	for i := range buf {
		buf[i] = nodeHash(&h[2*i], &h[2*i+1])
	}
	for n := len(buf); n > 1; n /= 2 {
		for i := 0; i < n/2; i++ {
			buf[i] = nodeHash(&buf[2*i], &buf[2*i+1])
		}
	}
	return buf[0]
}

// sampleIndices returns up to n indices spread over [0, size), including the ends.
func sampleIndices(size uint64, n int) []uint64 {
	if size <= uint64(n) {
		out := make([]uint64, size)
		for i := range out {
			out[i] = uint64(i)
		}
		return out
	}
	out := make([]uint64, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, uint64(i)*(size-1)/uint64(n-1))
	}
	return out
}

// scanAllPayloads reads every segment of every class (in parallel), checking
// each record's framing, commitment and canonical event.
func scanAllPayloads(ctx context.Context, root string) (map[[32]byte]Location, int, error) {
	var names []string
	for c := range validClasses {
		n, err := segmentNames(root, c)
		if err != nil {
			return nil, 0, &VerifyError{Entry: -1, What: "payload", File: payloadDir, Err: err}
		}
		names = append(names, n...)
	}
	type part struct {
		recs map[[32]byte]Location
		err  error
	}
	jobs := make(chan string)
	parts := make(chan part)
	workers := min(runtime.GOMAXPROCS(0), max(1, len(names)))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range jobs {
				recs := map[[32]byte]Location{}
				file := filepath.Join(payloadDir, filepath.FromSlash(name))
				_, err := scanSegment(filepath.Join(root, filepath.FromSlash(name)), func(loc Location, c [32]byte, data []byte) error {
					if _, err := ParseCanonical(data[saltLen:]); err != nil {
						cc := c
						return &VerifyError{Entry: -1, What: "payload", File: file, commitment: &cc,
							Err: fmt.Errorf("record at offset %d: %w", loc.Offset, err)}
					}
					recs[c] = loc
					return nil
				})
				if err != nil {
					var ve *VerifyError
					var ce *corruptRecord
					if errors.As(err, &ce) {
						ve = &VerifyError{Entry: -1, What: "payload", File: file, Err: err, commitment: ce.c}
					} else if !errors.As(err, &ve) {
						ve = &VerifyError{Entry: -1, What: "payload", File: file, Err: err}
					}
					err = ve
				}
				parts <- part{recs, err}
			}
		}()
	}
	go func() {
		for _, n := range names {
			if ctx.Err() != nil {
				break
			}
			jobs <- n
		}
		close(jobs)
		wg.Wait()
		close(parts)
	}()
	all := map[[32]byte]Location{}
	var first error
	for p := range parts {
		if p.err != nil && first == nil {
			first = p.err
		}
		for c, l := range p.recs {
			all[c] = l
		}
	}
	if first == nil {
		first = ctx.Err()
	}
	return all, len(names), first
}
