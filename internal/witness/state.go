package witness

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xborder/xborder/internal/atomicfile"
)

// State is what a witness remembers about one log: the latest checkpoint it
// cosigned.
type State struct {
	Origin string
	Size   uint64
	Root   []byte
	// Checkpoint is the stored signed note: the checkpoint text, the log's
	// verified signature(s) and the witness's cosignature.
	Checkpoint []byte
}

// StatePath returns the file in dir that holds the state for origin.
func StatePath(dir, origin string) string {
	sum := sha256.Sum256([]byte(origin))
	return filepath.Join(dir, hex.EncodeToString(sum[:])+".checkpoint")
}

// ReadState reads the state for origin from the state directory dir. The
// error wraps [os.ErrNotExist] if the witness never cosigned a checkpoint of
// that log.
func ReadState(dir, origin string) (*State, error) {
	p := StatePath(dir, origin)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("witness: state of %q: %w", origin, err)
	}
	st, err := parseState(b)
	if err != nil {
		return nil, fmt.Errorf("witness: state of %q (%s): %w", origin, p, err)
	}
	if st.Origin != origin {
		return nil, fmt.Errorf("witness: state file %s is for origin %q, not %q", p, st.Origin, origin)
	}
	return st, nil
}

func parseState(b []byte) (*State, error) {
	i := bytes.LastIndex(b, []byte("\n\n"))
	if i < 0 {
		return nil, errors.New("not a signed note")
	}
	cp, err := parseCheckpointText(string(b[:i+1]))
	if err != nil {
		return nil, err
	}
	return &State{Origin: cp.Origin, Size: cp.Size, Root: cp.Hash, Checkpoint: b}, nil
}

func writeState(dir, origin string, data []byte) error {
	return atomicfile.WriteFile(StatePath(dir, origin), data, 0o600)
}

// syncDir syncs the directory holding path, best effort.
func syncDir(path string) {
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
