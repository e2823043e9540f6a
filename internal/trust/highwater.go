package trust

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/xborder/xborder/internal/atomicfile"
)

// Mark is the newest registry version a verifier has accepted.
type Mark struct {
	Sequence uint64 `json:"sequence"`
	Digest   string `json:"digest"` // hex SHA-256 of the canonical registry
}

// HighWater keeps a Mark per registry id.
type HighWater interface {
	// Advance accepts m for registry id when there is no mark yet, when m
	// is higher than the mark (then m becomes the mark), or when m is the
	// mark. A lower sequence, or the mark's sequence with another digest,
	// is a CodeRollback error. It is atomic with respect to other calls.
	Advance(ctx context.Context, id string, m Mark) error
}

func checkAdvance(id string, old Mark, have bool, m Mark) (bool, error) {
	switch {
	case !have || m.Sequence > old.Sequence:
		return true, nil
	case m.Sequence < old.Sequence:
		return false, errorf(CodeRollback, nil, fmt.Sprintf("registry %s sequence %d is older than %d, already seen", id, m.Sequence, old.Sequence))
	case m.Digest != old.Digest:
		return false, errorf(CodeRollback, nil, fmt.Sprintf("registry %s: a different registry with the same sequence %d was seen before", id, m.Sequence))
	}
	return false, nil
}

// MemoryHighWater keeps marks in memory (one process lifetime). The zero
// value is ready; it is safe for concurrent use.
type MemoryHighWater struct {
	mu    sync.Mutex
	marks map[string]Mark
}

// Advance implements HighWater.
func (h *MemoryHighWater) Advance(ctx context.Context, id string, m Mark) error {
	if err := ctx.Err(); err != nil {
		return errorf(CodeInternal, err, "advancing the high-water mark")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old, have := h.marks[id]
	store, err := checkAdvance(id, old, have, m)
	if err != nil || !store {
		return err
	}
	if h.marks == nil {
		h.marks = map[string]Mark{}
	}
	h.marks[id] = m
	return nil
}

// FileHighWater keeps marks in one JSON file ({"registry id": {"sequence",
// "digest"}}), written atomically, mode 0600. It is safe for concurrent use
// by one process.
type FileHighWater struct {
	Path string
	mu   sync.Mutex
}

// Advance implements HighWater.
func (h *FileHighWater) Advance(ctx context.Context, id string, m Mark) error {
	if err := ctx.Err(); err != nil {
		return errorf(CodeInternal, err, "advancing the high-water mark")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	marks := map[string]Mark{}
	b, err := os.ReadFile(h.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return errorf(CodeInternal, err, "reading the high-water marks")
	default:
		if err := json.Unmarshal(b, &marks); err != nil {
			return errorf(CodeInternal, err, "decoding the high-water marks in "+h.Path)
		}
	}
	old, have := marks[id]
	store, err := checkAdvance(id, old, have, m)
	if err != nil || !store {
		return err
	}
	marks[id] = m
	out, err := json.MarshalIndent(marks, "", "  ")
	if err != nil {
		return errorf(CodeInternal, err, "encoding the high-water marks")
	}
	if err := os.MkdirAll(filepath.Dir(h.Path), 0o700); err != nil {
		return errorf(CodeInternal, err, "creating the directory of the high-water marks")
	}
	if err := atomicfile.WriteFile(h.Path, append(out, '\n'), 0o600); err != nil {
		return errorf(CodeInternal, err, "saving the high-water marks")
	}
	return nil
}
