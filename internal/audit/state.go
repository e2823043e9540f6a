package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"
)

// tessera's POSIX driver keeps the integrated tree's size and root in
// log/.state/treeState and trusts it when it starts: a corrupted or rolled
// back file would make it reuse indices or sign a checkpoint inconsistent
// with the last. Open and Verify check it against the signed checkpoint and
// the tiles first.
var (
	treeStateRel = filepath.Join(logDir, ".state", "treeState")
	versionRel   = filepath.Join(logDir, ".state", "version")
)

// checkTreeState checks tessera's private state against the signed
// checkpoint: the version file is 1; the integrated size is not below the
// checkpoint's; at the checkpoint's size the roots agree; beyond it, the
// stored tiles prove the integrated root consistent with the checkpoint.
func checkTreeState(ctx context.Context, dir string, v note.Verifier) error {
	fail := func(file string, err error) error {
		return &VerifyError{Entry: -1, What: "tree state", File: file, Err: err}
	}
	if b, err := os.ReadFile(filepath.Join(dir, versionRel)); err == nil {
		if string(b) != "1" {
			return fail(versionRel, fmt.Errorf("version %q, want \"1\"", b))
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fail(versionRel, err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, treeStateRel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil // a new log
	}
	if err != nil {
		return fail(treeStateRel, err)
	}
	var ts struct {
		Size uint64 `json:"size"`
		Root []byte `json:"root"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ts); err != nil {
		return fail(treeStateRel, fmt.Errorf("malformed: %w", err))
	}
	if len(ts.Root) != 32 {
		return fail(treeStateRel, fmt.Errorf("root is %d bytes", len(ts.Root)))
	}
	if again, _ := json.Marshal(ts); !bytes.Equal(again, raw) {
		return fail(treeStateRel, errors.New("not in the form tessera writes"))
	}
	cpRel := filepath.Join(logDir, layout.CheckpointPath)
	cpRaw, err := os.ReadFile(filepath.Join(dir, cpRel))
	var cp *log.Checkpoint
	switch {
	case errors.Is(err, fs.ErrNotExist):
		cp = &log.Checkpoint{Size: 0, Hash: rfc6962.DefaultHasher.EmptyRoot()}
	case err != nil:
		return fail(cpRel, err)
	default:
		if cp, _, _, err = log.ParseCheckpoint(cpRaw, v.Name(), v); err != nil {
			return &VerifyError{Entry: -1, What: "checkpoint", File: cpRel, Err: err}
		}
	}
	switch {
	case ts.Size < cp.Size:
		return fail(treeStateRel, fmt.Errorf("integrated size %d is below the signed checkpoint's %d (rolled back)", ts.Size, cp.Size))
	case ts.Size == cp.Size:
		if !bytes.Equal(ts.Root, cp.Hash) {
			return fail(treeStateRel, fmt.Errorf("root %x differs from the signed checkpoint's %x at size %d", ts.Root, cp.Hash, cp.Size))
		}
	case cp.Size == 0:
		// No checkpoint to be consistent with: recompute the root from the leaves.
		leaves, err := readLeaves(dir, 0, ts.Size, ts.Size)
		if err != nil {
			return err
		}
		rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
		cr := rf.NewEmptyRange(0)
		for _, c := range leaves {
			lh := leafHash(c)
			if err := cr.Append(lh[:], nil); err != nil {
				return fail(treeStateRel, err)
			}
		}
		root, err := cr.GetRootHash(nil)
		if err != nil || !bytes.Equal(root, ts.Root) {
			return fail(treeStateRel, fmt.Errorf("root does not match the %d integrated leaves", ts.Size))
		}
	default:
		p, err := ConsistencyProof(ctx, dir, cp.Size, ts.Size)
		if err == nil {
			err = proof.VerifyConsistency(rfc6962.DefaultHasher, cp.Size, ts.Size, p, cp.Hash, ts.Root)
		}
		if err != nil {
			return fail(treeStateRel, fmt.Errorf("integrated tree of size %d is not consistent with the signed checkpoint of size %d: %v", ts.Size, cp.Size, err))
		}
	}
	return nil
}

// checkKeyPair checks that log.key is the private half of log.pub.
func checkKeyPair(dir string) error {
	sb, err := os.ReadFile(filepath.Join(dir, keyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil // a verifier's copy without the private key
	}
	if err != nil {
		return &VerifyError{Entry: -1, What: "key", File: keyFile, Err: err}
	}
	pb, err := os.ReadFile(filepath.Join(dir, pubFile))
	if err != nil {
		return &VerifyError{Entry: -1, What: "key", File: pubFile, Err: err}
	}
	skey, ok := strings.CutSuffix(string(sb), "\n")
	if !ok || strings.ContainsAny(skey, " \t\r\n\v\f") {
		return &VerifyError{Entry: -1, What: "key", File: keyFile, Err: errors.New("not one key line")}
	}
	if parts := strings.SplitN(skey, "+", 5); len(parts) != 5 || strings.ToLower(parts[3]) != parts[3] {
		return &VerifyError{Entry: -1, What: "key", File: keyFile, Err: errors.New("not a note signer key in canonical form")}
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return &VerifyError{Entry: -1, What: "key", File: keyFile, Err: err}
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(pb)))
	if err != nil {
		return &VerifyError{Entry: -1, What: "key", File: pubFile, Err: err}
	}
	msg := []byte("xborder audit key check\n")
	sig, err := s.Sign(msg)
	if err != nil || s.Name() != v.Name() || s.KeyHash() != v.KeyHash() || !v.Verify(msg, sig) {
		return &VerifyError{Entry: -1, What: "key", File: keyFile, Err: errors.New("the private key is not the pair of log.pub")}
	}
	return nil
}

// strictNote checks that a signed note is byte-for-byte its own canonical
// encoding: base64 signatures with zero padding bits (Go's decoder ignores
// them, so a flipped padding bit would otherwise go unnoticed).
func strictNote(raw []byte, v note.Verifier) error {
	n, err := note.Open(raw, note.VerifierList(v))
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString(n.Text)
	b.WriteString("\n")
	for _, s := range append(append([]note.Signature{}, n.Sigs...), n.UnverifiedSigs...) {
		sig, err := base64.StdEncoding.DecodeString(s.Base64)
		if err != nil {
			return err
		}
		b.WriteString("— " + s.Name + " " + base64.StdEncoding.EncodeToString(sig) + "\n")
	}
	if !bytes.Equal(b.Bytes(), raw) {
		return errors.New("signed note is not in canonical form")
	}
	return nil
}

// readVerifierKey reads log.pub strictly: one key line, as written.
func readVerifierKey(dir string) (string, note.Verifier, error) {
	b, err := os.ReadFile(filepath.Join(dir, pubFile))
	if err != nil {
		return "", nil, &VerifyError{Entry: -1, What: "key", File: pubFile, Err: err}
	}
	vkey, ok := strings.CutSuffix(string(b), "\n")
	if !ok || strings.ContainsAny(vkey, " \t\r\n\v\f") {
		return "", nil, &VerifyError{Entry: -1, What: "key", File: pubFile, Err: errors.New("not one key line")}
	}
	if parts := strings.SplitN(vkey, "+", 3); len(parts) != 3 || strings.ToLower(parts[1]) != parts[1] {
		return "", nil, &VerifyError{Entry: -1, What: "key", File: pubFile, Err: errors.New("not a note verifier key in canonical form")}
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return "", nil, &VerifyError{Entry: -1, What: "key", File: pubFile, Err: err}
	}
	return vkey, v, nil
}
