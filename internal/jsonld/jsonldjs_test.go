package jsonld

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// The default (spec) mode is checked against jsonld.js, the JSON-LD
// processor of the JavaScript VC stack, in the one place where it departs
// from json-gold: testdata/jsonldjs holds jsonld.js's expansion of every
// differential document on which the two modes disagree (made by
// TestWriteJSONLDJSGoldens; see testdata/jsonldjs/README.md), and
// TestInteropJSONLDJS runs jsonld.js live (XBORDER_INTEROP=1).

const jsGoldenDir = "testdata/jsonldjs"

// jsGolden is one file of testdata/jsonldjs.
type jsGolden struct {
	// Source names the differential document (namedDoc.name), e.g.
	// "docs/vp2-signed.json"; the file is Source below jsGoldenDir.
	Source string `json:"source"`
	// JSONLD is the version of the jsonld package that made Expanded.
	JSONLD string `json:"jsonld"`
	// Safe tells whether Expanded was made in safe mode. It is false only
	// when jsonld.js fails the document in safe mode (SafeModeError, its
	// error code) for a check json-gold and this package do not make
	// during expansion.
	Safe          bool   `json:"safe"`
	SafeModeError string `json:"safeModeError,omitempty"`
	// Document is a copy of the source document (the shared vector
	// collection is not always at hand); Expanded is jsonld.js's
	// expansion of it, as jsonld.js printed it.
	Document json.RawMessage `json:"document"`
	Expanded json.RawMessage `json:"expanded"`
}

// loadJSGoldens reads testdata/jsonldjs, keyed by source.
func loadJSGoldens(t testing.TB) map[string]*jsGolden {
	t.Helper()
	out := map[string]*jsGolden{}
	err := filepath.WalkDir(jsGoldenDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".json") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var g jsGolden
		if err := json.Unmarshal(b, &g); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rel, _ := filepath.Rel(jsGoldenDir, path)
		if filepath.ToSlash(rel) != g.Source {
			t.Fatalf("%s: source %q does not match the file name", path, g.Source)
		}
		if !g.Safe && g.SafeModeError == "" {
			t.Fatalf("%s: made without safe mode but no safeModeError", path)
		}
		out[g.Source] = &g
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// asJSON is v as encoding/json decodes its JSON encoding: the form in which
// this package's output and jsonld.js's compare (it turns json-gold's
// *string @direction into a string, for one).
func asJSON(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func decodeRaw(t testing.TB, raw json.RawMessage) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// sourcePath returns the file of a differential document name, and whether
// its root is at hand.
func sourcePath(name string) (string, bool) {
	prefix, rel, _ := strings.Cut(name, "/")
	for _, r := range differentialRoots {
		if r.prefix == prefix {
			if _, err := os.Stat(r.dir); err != nil {
				return "", false
			}
			return filepath.Join(r.dir, filepath.FromSlash(rel)), true
		}
	}
	return "", false
}

// TestJSONLDJSGoldens: for every golden, this package's default expansion
// of the document equals jsonld.js's, compared as decoded JSON. Object keys
// are unordered; arrays must be in the same order (jsonld.js keeps the
// document's order and, for keys, ours is sorted, but no array in these
// documents collects values of different keys; were one to, the comparison
// would report it rather than compare as a multiset).
func TestJSONLDJSGoldens(t *testing.T) {
	l := newTestLoader(t)
	p := New(l)
	goldens := loadJSGoldens(t)
	if len(goldens) == 0 {
		t.Fatal("no goldens in " + jsGoldenDir)
	}
	for _, src := range sortedKeysOf(goldens) {
		g := goldens[src]
		t.Run(src, func(t *testing.T) {
			doc, err := decodeDoc(g.Document)
			if err != nil {
				t.Fatal(err)
			}
			if path, ok := sourcePath(src); ok {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("source of the golden: %v", err)
				}
				cur, err := decodeDoc(b)
				if err != nil || !reflect.DeepEqual(cur, doc) {
					t.Fatalf("%s changed since the golden was made (%v): regenerate it (README.md)", path, err)
				}
			}
			ours, err := p.Expand(context.Background(), doc)
			if err != nil {
				t.Fatalf("expansion failed: %v", err)
			}
			if got, want := asJSON(t, ours), decodeRaw(t, g.Expanded); !reflect.DeepEqual(got, want) {
				t.Fatalf("differs from jsonld.js %s:\nours:      %s\njsonld.js: %s", g.JSONLD, mustJSON(got), mustJSON(want))
			}
		})
	}
}

func sortedKeysOf[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// modesDiffer expands doc in the default mode and with the json-gold
// container quirk and reports whether the outcomes differ.
func modesDiffer(t testing.TB, spec, quirk *Processor, doc map[string]any) bool {
	a, errA := spec.Expand(context.Background(), doc)
	b, errB := quirk.Expand(context.Background(), doc)
	if errors.Is(errA, ErrUnsupported) && strings.Contains(errA.Error(), "internal error") {
		t.Errorf("panic: %v", errA)
	}
	return !reflect.DeepEqual(a, b) || CodeOf(errA) != CodeOf(errB)
}

// TestSpecModeDivergesOnlyOnGoldens: over every differential document, the
// default mode and the json-gold container quirk (which TestDifferential
// holds to json-gold) give the same outcome, except on the documents that
// have a jsonld.js golden, where they must differ. So the only departure
// from json-gold on these documents is the one jsonld.js checks.
func TestSpecModeDivergesOnlyOnGoldens(t *testing.T) {
	l := newTestLoader(t)
	spec, quirk := New(l), newGoldProcessor(l)
	goldens := loadJSGoldens(t)
	seen := map[string]bool{}
	diverging := 0
	for _, d := range differentialDocs(t) {
		seen[d.name] = true
		differ := modesDiffer(t, spec, quirk, d.doc)
		_, hasGolden := goldens[d.name]
		switch {
		case differ && !hasGolden:
			t.Errorf("%s: the default mode departs from json-gold here, and there is no jsonld.js golden for it (TestWriteJSONLDJSGoldens)", d.name)
		case !differ && hasGolden:
			t.Errorf("%s: has a jsonld.js golden but the default mode and json-gold agree on it: remove the golden", d.name)
		}
		if differ {
			diverging++
		}
	}
	for src := range goldens {
		if _, ok := sourcePath(src); ok && !seen[src] {
			t.Errorf("golden %s: no such differential document", src)
		}
	}
	t.Logf("%d differential documents, %d where the default mode departs from json-gold", len(seen), diverging)
}

// vcjsDir returns interop/vcjs when node and its node_modules are ready;
// otherwise it fails the test (the callers are opt-in).
func vcjsDir(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not on PATH: %v", err)
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "interop", "vcjs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"expand.mjs", "node_modules/jsonld/package.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("the interop harness is not ready (run interop/vcjs/setup.sh): %v", err)
		}
	}
	return dir
}

// jsonldjsVersion is the version of the installed jsonld package.
func jsonldjsVersion(t testing.TB, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "jsonld", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil || pkg.Version == "" {
		t.Fatalf("node_modules/jsonld/package.json: no version (%v)", err)
	}
	return pkg.Version
}

type jsResult struct {
	Expanded json.RawMessage `json:"expanded"`
	Error    string          `json:"error"`
	Code     string          `json:"code"`
}

// jsonldjsExpand runs `node expand.mjs --batch` on the files (with the
// shared vector collection's contexts, as newTestLoader has them) and
// returns jsonld.js's result for each, keyed by the path given.
func jsonldjsExpand(t testing.TB, dir string, unsafe bool, paths []string) map[string]jsResult {
	t.Helper()
	args := []string{"expand.mjs", "--batch"}
	if unsafe {
		args = append(args, "--unsafe")
	}
	if _, err := os.Stat(sharedContextsDir); err == nil {
		args = append(args, "--contexts", sharedContextsDir)
	}
	abs := make(map[string]string, len(paths))
	for _, p := range paths {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		abs[a] = p
		args = append(args, a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node expand.mjs: %v\n%s", err, stderr.Bytes())
	}
	var res map[string]jsResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("node expand.mjs: unparsable output (%v)", err)
	}
	out := make(map[string]jsResult, len(res))
	for a, r := range res {
		p, ok := abs[a]
		if !ok {
			t.Fatalf("node expand.mjs: result for a file not asked for: %s", a)
		}
		if r.Expanded == nil && r.Error == "" {
			t.Fatalf("node expand.mjs: neither result nor error for %s", a)
		}
		out[p] = r
	}
	if len(out) != len(paths) {
		t.Fatalf("node expand.mjs: %d results for %d files", len(out), len(paths))
	}
	return out
}

// TestWriteJSONLDJSGoldens regenerates testdata/jsonldjs when
// JSONLD_WRITE_JSONLDJS=1: jsonld.js's expansion (interop/vcjs/expand.mjs)
// of every differential document on which the default mode and json-gold's
// container reading disagree. It needs node, interop/vcjs/node_modules
// (interop/vcjs/setup.sh) and the shared vector collection.
func TestWriteJSONLDJSGoldens(t *testing.T) {
	if os.Getenv("JSONLD_WRITE_JSONLDJS") != "1" {
		t.Skip("set JSONLD_WRITE_JSONLDJS=1 (after interop/vcjs/setup.sh) to regenerate " + jsGoldenDir)
	}
	if _, err := os.Stat(sharedVectorsDir); err != nil {
		t.Fatalf("the shared vector collection is needed: %v", err)
	}
	dir := vcjsDir(t)
	version := jsonldjsVersion(t, dir)
	l := newTestLoader(t)
	spec, quirk := New(l), newGoldProcessor(l)
	var docs []namedDoc
	var paths []string
	for _, d := range differentialDocs(t) {
		if modesDiffer(t, spec, quirk, d.doc) {
			docs = append(docs, d)
			paths = append(paths, d.path)
		}
	}
	if len(docs) == 0 {
		t.Fatal("no document where the modes differ")
	}
	safe := jsonldjsExpand(t, dir, false, paths)
	var failed []string
	for _, p := range paths {
		if safe[p].Error != "" {
			failed = append(failed, p)
		}
	}
	var unsafe map[string]jsResult
	if len(failed) > 0 {
		unsafe = jsonldjsExpand(t, dir, true, failed)
	}
	// Replace the golden files (not the README).
	err := filepath.WalkDir(jsGoldenDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
			return os.Remove(path)
		}
		return err
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, d := range docs {
		g := jsGolden{Source: d.name, JSONLD: version, Safe: true}
		r := safe[d.path]
		if r.Error != "" {
			g.Safe, g.SafeModeError = false, r.Code
			if g.SafeModeError == "" {
				g.SafeModeError = r.Error
			}
			r = unsafe[d.path]
			if r.Error != "" {
				t.Fatalf("%s: jsonld.js fails in safe mode (%s) and without (%s)", d.name, g.SafeModeError, r.Error)
			}
		}
		raw, err := os.ReadFile(d.path)
		if err != nil {
			t.Fatal(err)
		}
		g.Document, g.Expanded = bytes.TrimSpace(raw), r.Expanded
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(g); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(jsGoldenDir, filepath.FromSlash(d.name))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (safe mode: %v %s)", out, g.Safe, g.SafeModeError)
	}
}

// jsonldjsSafeModeOnly are the jsonld.js safe-mode errors that json-gold's
// safe mode, and so this package, does not raise during expansion (it
// reports only "invalid property"). internal/vc rejects relative IRIs
// itself, when it converts the expanded document to RDF (data loss).
var jsonldjsSafeModeOnly = map[string]bool{
	"empty object":             true, // a node object that expands to nothing (a document of only @context, say)
	"relative @id reference":   true, // an @id that is not an absolute IRI (by jsonld.js's regular expression)
	"relative @type reference": true, // a @type that is not an absolute IRI
}

// TestInteropJSONLDJS runs jsonld.js live (XBORDER_INTEROP=1, after
// interop/vcjs/setup.sh) on every differential document and compares with
// this package's default mode: where both succeed the expansions are equal
// (as in TestJSONLDJSGoldens); where only jsonld.js fails, it is for one of
// its safe-mode checks that json-gold does not make (jsonldjsSafeModeOnly);
// a document that jsonld.js expands never fails here. The goldens are
// checked to be what jsonld.js gives now.
func TestInteropJSONLDJS(t *testing.T) {
	if os.Getenv("XBORDER_INTEROP") != "1" {
		t.Skip("set XBORDER_INTEROP=1 (after interop/vcjs/setup.sh) to compare with jsonld.js")
	}
	dir := vcjsDir(t)
	version := jsonldjsVersion(t, dir)
	l := newTestLoader(t)
	p := New(l)
	docs := differentialDocs(t)
	paths := make([]string, len(docs))
	for i, d := range docs {
		paths[i] = d.path
	}
	live := jsonldjsExpand(t, dir, false, paths)
	goldens := loadJSGoldens(t)
	var liveGoldens []string
	stats := map[string]int{}
	for _, d := range docs {
		r := live[d.path]
		ours, err := p.Expand(context.Background(), d.doc)
		switch {
		case err == nil && r.Error == "":
			stats["equal"]++
			if got, want := asJSON(t, ours), decodeRaw(t, r.Expanded); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: differs from jsonld.js %s:\nours:      %s\njsonld.js: %s", d.name, version, mustJSON(got), mustJSON(want))
			}
		case err != nil && r.Error != "":
			stats["both fail"]++
		case err != nil:
			t.Errorf("%s: fails here (%v), jsonld.js expands it", d.name, err)
		case jsonldjsSafeModeOnly[r.Code]:
			stats["jsonld.js safe mode only: "+r.Code]++
		default:
			t.Errorf("%s: jsonld.js fails (%s: %s), this package expands it", d.name, r.Code, r.Error)
		}
		g, ok := goldens[d.name]
		if !ok {
			continue
		}
		if g.JSONLD != version {
			t.Logf("%s: golden made with jsonld %s, installed %s", d.name, g.JSONLD, version)
		}
		switch {
		case g.Safe && r.Error != "":
			t.Errorf("%s: jsonld.js now fails (%s), the golden has its expansion", d.name, r.Error)
		case g.Safe && !reflect.DeepEqual(decodeRaw(t, r.Expanded), decodeRaw(t, g.Expanded)):
			t.Errorf("%s: jsonld.js's expansion is no longer the golden's: regenerate (README.md)", d.name)
		case !g.Safe && r.Code != g.SafeModeError:
			t.Errorf("%s: jsonld.js's safe-mode outcome is %q, the golden says %q", d.name, r.Code, g.SafeModeError)
		case !g.Safe:
			liveGoldens = append(liveGoldens, d.path)
		}
	}
	if len(liveGoldens) > 0 {
		// Goldens made without safe mode: compare those too.
		for path, r := range jsonldjsExpand(t, dir, true, liveGoldens) {
			var g *jsGolden
			for _, d := range docs {
				if d.path == path {
					g = goldens[d.name]
				}
			}
			if r.Error != "" || !reflect.DeepEqual(decodeRaw(t, r.Expanded), decodeRaw(t, g.Expanded)) {
				t.Errorf("%s: jsonld.js's expansion without safe mode is no longer the golden's (%s)", g.Source, r.Error)
			}
		}
	}
	t.Logf("%d documents: %v", len(docs), stats)
}
