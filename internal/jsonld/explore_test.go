package jsonld

import (
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRandomMutations is a deterministic, bounded version of FuzzExpand:
// random structural mutations of the testdata documents, compared with
// json-gold (with the json-gold container quirk; see FuzzExpand).
func TestRandomMutations(t *testing.T) {
	n := 300
	if s := os.Getenv("JSONLD_MUTATIONS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	l := newTestLoader(t)
	dict := fuzzDictionary(l)
	files, _ := filepath.Glob("testdata/docs/*.json")
	var seeds [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	if os.Getenv("JSONLD_MUTATE_VECTORS") != "" {
		_ = filepath.WalkDir(sharedVectorsDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			if doc, err := decodeDoc(b); err == nil && doc["@context"] != nil {
				seeds = append(seeds, b)
			}
			return nil
		})
	}
	seed := uint64(1)
	if s := os.Getenv("JSONLD_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	p := newGoldProcessor(l, WithCacheSize(64))
	spec := New(l, WithCacheSize(64))
	stats := map[string]int{}
	failures := 0
	for i := 0; i < n; i++ {
		ops := make([]byte, 4+rng.IntN(40))
		for j := range ops {
			ops[j] = byte(rng.IntN(256))
		}
		doc, err := decodeDoc(seeds[rng.IntN(len(seeds))])
		if err != nil {
			t.Fatal(err)
		}
		doc = newMutator(ops, dict, l).mutate(doc)
		mismatch, skipped, r := differential(p, l, doc)
		switch {
		case skipped:
			stats["skipped"]++
		case r.oursErr == nil:
			stats["ok"]++
		default:
			stats[errClass(r.oursErr)]++
		}
		if mismatch == "" {
			mismatch = specCheck(spec, doc)
		}
		if mismatch != "" {
			failures++
			if failures <= 5 {
				t.Errorf("ops %v\ndocument %s\n%s", ops, mustJSON(doc), mismatch)
			}
		}
	}
	t.Logf("%d mutations: %v; %d mismatches", n, stats, failures)
}
