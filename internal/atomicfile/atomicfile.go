// Package atomicfile writes files so that a reader, or the file system after
// a crash, sees either the old content or the new, never a mix: the data goes
// to a temporary file in the same directory, which is synced and then renamed
// over the target, and the directory is synced.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File is a file being written; Commit makes it appear at its path, Abort
// throws it away. It is an io.Writer.
type File struct {
	f    *os.File
	path string
	done bool
}

// Create starts writing path with mode perm.
func Create(path string, perm os.FileMode) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("creating a temporary file for %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("setting the mode of %s: %w", f.Name(), err)
	}
	return &File{f: f, path: path}, nil
}

func (w *File) Write(p []byte) (int, error) { return w.f.Write(p) }

// Commit syncs the data and renames it into place.
func (w *File) Commit() error {
	if w.done {
		return fmt.Errorf("%s: already committed or aborted", w.path)
	}
	w.done = true
	tmp := w.f.Name()
	if err := w.f.Sync(); err != nil {
		w.f.Close()
		os.Remove(tmp)
		return fmt.Errorf("syncing %s: %w", tmp, err)
	}
	if err := w.f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("closing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, w.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("renaming %s to %s: %w", tmp, w.path, err)
	}
	if d, err := os.Open(filepath.Dir(w.path)); err == nil {
		_ = d.Sync() // best effort: some file systems do not sync directories
		d.Close()
	}
	return nil
}

// Abort removes the temporary file; after Commit it does nothing, so it can
// be deferred.
func (w *File) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.f.Close()
	os.Remove(w.f.Name())
}

// WriteFile writes data to path with mode perm, atomically.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	w, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return w.Commit()
}

var _ io.Writer = (*File)(nil)
