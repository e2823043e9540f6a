package vc

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
)

// contextFS holds the pinned JSON-LD contexts, byte-exact copies of the
// files in the shared vector collection, their index and licence texts.
//
//go:embed contexts/*.jsonld contexts/index.json contexts/README.md contexts/LICENSES
var contextFS embed.FS

// PinnedContext describes one bundled JSON-LD context.
type PinnedContext struct {
	URL        string // the context URL, matched exactly
	File       string // file name under contexts/
	SHA256     string // hex SHA-256 of the exact bytes, from index.json
	Bytes      int
	Repository string // upstream repository
	Commit     string // upstream commit
	Licence    string // as named upstream
}

type contextIndex struct {
	Contexts map[string]struct {
		File     string `json:"file"`
		SHA256   string `json:"sha256"`
		Bytes    int    `json:"bytes"`
		Upstream struct {
			Repository string `json:"repository"`
			Commit     string `json:"commit"`
			Licence    string `json:"licence"`
		} `json:"upstream"`
	} `json:"contexts"`
}

// PinnedContexts lists the contexts bundled in the binary, sorted by URL.
// Entries of index.json whose file is not bundled are left out.
func PinnedContexts() ([]PinnedContext, error) {
	raw, err := contextFS.ReadFile("contexts/index.json")
	if err != nil {
		return nil, fmt.Errorf("reading the context index: %w", err)
	}
	var idx contextIndex
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("parsing the context index: %w", err)
	}
	var out []PinnedContext
	for u, c := range idx.Contexts {
		if _, err := fs.Stat(contextFS, path.Join("contexts", c.File)); err != nil {
			continue
		}
		out = append(out, PinnedContext{
			URL: u, File: c.File, SHA256: c.SHA256, Bytes: c.Bytes,
			Repository: c.Upstream.Repository, Commit: c.Upstream.Commit, Licence: c.Upstream.Licence,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].URL < out[j].URL })
	return out, nil
}

// pinnedContextBytes returns the exact bytes of the context at u after
// checking them against the SHA-256 in index.json.
func pinnedContextBytes(c PinnedContext) ([]byte, error) {
	b, err := contextFS.ReadFile(path.Join("contexts", c.File))
	if err != nil {
		return nil, fmt.Errorf("reading pinned context %s: %w", c.URL, err)
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != c.SHA256 || len(b) != c.Bytes {
		return nil, fmt.Errorf("pinned context %s: file %s does not match its index entry", c.URL, c.File)
	}
	return b, nil
}
