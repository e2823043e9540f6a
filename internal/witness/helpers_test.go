package witness

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"
)

// testTime is the fixed clock of the tests.
var testTime = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return testTime }

// testKeyPair returns a deterministic Ed25519 note key pair named name.
func testKeyPair(t testing.TB, name string, seed byte) (skey, vkey string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 32)), name)
	if err != nil {
		t.Fatal(err)
	}
	return skey, vkey
}

// testCosigner returns a deterministic witness key.
func testCosigner(t testing.TB, name string, seed byte) *Cosigner {
	t.Helper()
	skey, _, err := GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 32)), name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCosigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// memLog is an in-memory Merkle log that signs checkpoints.
type memLog struct {
	origin   string
	signer   note.Signer
	verifier note.Verifier
	vkey     string
	tree     *testonly.Tree
}

func newMemLog(t testing.TB, origin string, seed byte) *memLog {
	t.Helper()
	skey, vkey := testKeyPair(t, origin, seed)
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return &memLog{origin: origin, signer: s, verifier: v, vkey: vkey, tree: testonly.New(rfc6962.DefaultHasher)}
}

// grow appends n leaves "<tag>-<index>".
func (l *memLog) grow(tag string, n int) *memLog {
	for range n {
		l.tree.AppendData([]byte(fmt.Sprintf("%s-%d", tag, l.tree.Size())))
	}
	return l
}

func (l *memLog) text(size uint64) string {
	return fmt.Sprintf("%s\n%d\n%s\n", l.origin, size, base64.StdEncoding.EncodeToString(l.tree.HashAt(size)))
}

// checkpoint returns the log-signed checkpoint of the given size.
func (l *memLog) checkpoint(t testing.TB, size uint64) []byte {
	t.Helper()
	cp, err := note.Sign(&note.Note{Text: l.text(size)}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// request builds an add-checkpoint request from old to size.
func (l *memLog) request(t testing.TB, old, size uint64) *Request {
	t.Helper()
	var p [][]byte
	if old > 0 && old < size {
		var err error
		if p, err = l.tree.ConsistencyProof(old, size); err != nil {
			t.Fatal(err)
		}
	}
	return &Request{OldSize: old, Proof: p, Checkpoint: l.checkpoint(t, size)}
}

func (l *memLog) known() KnownLog { return KnownLog{Origin: l.origin, VerifierKey: l.vkey} }

// testLogger writes to the test log at debug level.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func newTestWitness(t testing.TB, dir string, c *Cosigner, now func() time.Time, logs ...KnownLog) *Witness {
	t.Helper()
	var lg *slog.Logger
	switch t.(type) {
	case *testing.B, *testing.F:
		lg = slog.New(slog.NewTextHandler(io.Discard, nil))
	default:
		lg = testLogger(t)
	}
	w, err := New(Config{Dir: dir, Cosigner: c, Logs: logs, Now: now, Logger: lg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

type reply struct {
	status int
	ctype  string
	body   string
}

// post sends body to h in-process.
func post(h http.Handler, path string, body []byte) reply {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
	return reply{rec.Code, rec.Header().Get("Content-Type"), rec.Body.String()}
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
