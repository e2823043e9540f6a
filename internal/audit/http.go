package audit

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"
)

// The read API over HTTP.
//
// Handler serves a ledger directory the way C2SP tlog-tiles clients expect —
// /checkpoint, /tile/<L>/<N>[.p/<W>] and /tile/entries/<N>[.p/<W>] — plus
// proofs built from those tiles for clients that do not build their own:
//
//	GET /proof/inclusion?index=N[&size=M]   a C2SP tlog-proof (no extra data)
//	GET /proof/consistency?old=M[&new=N]    base64 hashes, one per line
//
// Entries are salted commitments, so the tiles reveal nothing about the
// events; the events themselves (extra data, evidence packs) are for
// authenticated APIs only. The handler only reads files, so it can serve a
// live ledger from another process, or a frozen copy.

var tilePathRE = regexp.MustCompile(`^tile/(entries|[0-9]{1,2})/(x[0-9]{3}/)*[0-9]{3}(\.p/[0-9]{1,3})?$`)

// Handler returns the read API for the ledger in dir.
func Handler(dir string) (http.Handler, error) {
	vkey, v, err := readVerifierKey(dir)
	if err != nil {
		return nil, err
	}
	h := &readAPI{dir: dir, vkey: vkey, v: v}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /checkpoint", h.checkpoint)
	mux.HandleFunc("GET /tile/", h.tile)
	mux.HandleFunc("GET /proof/inclusion", h.inclusion)
	mux.HandleFunc("GET /proof/consistency", h.consistency)
	mux.HandleFunc("GET /log.pub", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, vkey)
	})
	return mux, nil
}

type readAPI struct {
	dir  string
	vkey string
	v    note.Verifier
}

func (h *readAPI) checkpoint(w http.ResponseWriter, r *http.Request) {
	b, err := os.ReadFile(filepath.Join(h.dir, logDir, layout.CheckpointPath))
	if err != nil {
		http.Error(w, "no checkpoint yet", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}

func (h *readAPI) tile(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	if !tilePathRE.MatchString(p) {
		http.Error(w, "not a tile path", http.StatusNotFound)
		return
	}
	b, err := os.ReadFile(filepath.Join(h.dir, logDir, filepath.FromSlash(p)))
	if err != nil {
		http.Error(w, "no such tile", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	// Tiles never change once written (a grown tile has a new path).
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(b)
}

// latest reads and verifies the latest checkpoint.
func (h *readAPI) latest() (size uint64, raw []byte, err error) {
	cp, raw, err := ReadCheckpoint(h.dir, h.vkey)
	if err != nil {
		return 0, nil, err
	}
	return cp.Size, raw, nil
}

func uintParam(r *http.Request, name string, def uint64, required bool) (uint64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		if required {
			return 0, fmt.Errorf("%s is required", name)
		}
		return def, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: not a non-negative integer", name)
	}
	return n, nil
}

func (h *readAPI) inclusion(w http.ResponseWriter, r *http.Request) {
	size, raw, err := h.latest()
	if err != nil {
		http.Error(w, "no checkpoint yet", http.StatusNotFound)
		return
	}
	idx, err := uintParam(r, "index", 0, true)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s, err := uintParam(r, "size", size, false); err != nil || s != size {
		// Only the latest checkpoint is kept as a signed note, so proofs are
		// against it; a client with an older one asks for a consistency proof.
		http.Error(w, fmt.Sprintf("size: proofs are served against the latest checkpoint (size %d)", size), http.StatusBadRequest)
		return
	}
	if idx >= size {
		http.Error(w, fmt.Sprintf("index %d is not below the checkpoint size %d", idx, size), http.StatusNotFound)
		return
	}
	p, err := InclusionProof(r.Context(), h.dir, idx, size)
	if err != nil {
		http.Error(w, "could not build the proof", http.StatusInternalServerError)
		return
	}
	tp := TlogProof{Index: idx, Proof: p, Checkpoint: raw}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(tp.Marshal())
}

func (h *readAPI) consistency(w http.ResponseWriter, r *http.Request) {
	size, _, err := h.latest()
	if err != nil {
		http.Error(w, "no checkpoint yet", http.StatusNotFound)
		return
	}
	old, err := uintParam(r, "old", 0, true)
	if err == nil {
		var nw uint64
		if nw, err = uintParam(r, "new", size, false); err == nil {
			if old > nw || nw > size {
				err = fmt.Errorf("want old ≤ new ≤ %d", size)
			} else {
				var p [][]byte
				if p, err = ConsistencyProof(r.Context(), h.dir, old, nw); err != nil {
					http.Error(w, "could not build the proof", http.StatusInternalServerError)
					return
				}
				var b bytes.Buffer
				for _, x := range p {
					b.WriteString(base64.StdEncoding.EncodeToString(x) + "\n")
				}
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.Write(b.Bytes())
				return
			}
		}
	}
	http.Error(w, err.Error(), http.StatusBadRequest)
}
