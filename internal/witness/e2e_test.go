package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
)

// testServer is a witness behind a loopback HTTP server whose handler can be
// swapped (to restart the witness or take it down) and which records the
// status codes it sent.
type testServer struct {
	srv *httptest.Server

	mu       sync.Mutex
	h        http.Handler
	statuses []int
}

func newTestServer(t *testing.T) *testServer {
	ts := &testServer{}
	ts.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		h := ts.h
		ts.mu.Unlock()
		sr := &statusRecorder{ResponseWriter: rw, status: http.StatusOK}
		h.ServeHTTP(sr, r)
		ts.mu.Lock()
		ts.statuses = append(ts.statuses, sr.status)
		ts.mu.Unlock()
	}))
	t.Cleanup(ts.srv.Close)
	return ts
}

func (ts *testServer) set(h http.Handler) {
	ts.mu.Lock()
	ts.h = h
	ts.mu.Unlock()
}

// seen returns the statuses recorded since the last call.
func (ts *testServer) seen() []int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	s := ts.statuses
	ts.statuses = nil
	return s
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// testTessera is a tessera POSIX log in dir.
type testTessera struct {
	appender *tessera.Appender
	reader   tessera.LogReader
	awaiter  *tessera.PublicationAwaiter
	shutdown func(context.Context) error
	cancel   context.CancelFunc
}

func openTessera(t *testing.T, dir string, signer note.Signer, witnesses *tessera.WitnessGroup) (*testTessera, error) {
	ctx, cancel := context.WithCancel(context.Background())
	driver, err := posix.New(ctx, posix.Config{Path: dir, HTTPClient: &http.Client{Timeout: 2 * time.Second}})
	if err != nil {
		cancel()
		return nil, err
	}
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithCheckpointInterval(100*time.Millisecond).
		WithBatching(64, 10*time.Millisecond)
	if witnesses != nil {
		opts = opts.WithWitnesses(*witnesses, &tessera.WitnessOptions{Timeout: 2 * time.Second})
	}
	a, shutdown, r, err := tessera.NewAppender(ctx, driver, opts)
	if err != nil {
		cancel()
		return nil, err
	}
	return &testTessera{appender: a, reader: r, shutdown: shutdown, cancel: cancel,
		awaiter: tessera.NewPublicationAwaiter(ctx, r.ReadCheckpoint, 10*time.Millisecond)}, nil
}

// add appends entries and returns the published checkpoint covering them.
func (l *testTessera) add(t *testing.T, entries ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	futures := make([]tessera.IndexFuture, len(entries))
	for i, e := range entries {
		futures[i] = l.appender.Add(ctx, tessera.NewEntry([]byte(e)))
	}
	var cp []byte
	for _, f := range futures {
		_, c, err := l.awaiter.Await(ctx, f)
		if err != nil {
			t.Fatalf("awaiting publication: %v", err)
		}
		cp = c
	}
	return cp
}

func (l *testTessera) close(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := l.shutdown(ctx)
	l.cancel()
	return err
}

func cpSize(t *testing.T, cp []byte) uint64 {
	t.Helper()
	c, err := parseCheckpointText(string(cp[:bytes.Index(cp, []byte("\n\n"))+1]))
	if err != nil {
		t.Fatal(err)
	}
	return c.Size
}

// TestTesseraEndToEnd runs tessera's own witness client against three
// witnesses on loopback: a 2-of-3 policy, a witness restart, and a fork of
// the log (same origin and key, other entries) that the witnesses refuse.
func TestTesseraEndToEnd(t *testing.T) {
	logSkey, logVkey := testKeyPair(t, "xborder.example/audit", 11)
	logSigner, err := note.NewSigner(logSkey)
	if err != nil {
		t.Fatal(err)
	}
	logVerifier, err := note.NewVerifier(logVkey)
	if err != nil {
		t.Fatal(err)
	}
	origin := logSigner.Name()
	known := KnownLog{Origin: origin, VerifierKey: logVkey}

	type wit struct {
		dir string
		c   *Cosigner
		w   *Witness
		ts  *testServer
		v   note.Verifier
	}
	wits := make([]*wit, 3)
	var components []tessera.Witness
	var verifiers []note.Verifier
	for i := range wits {
		wt := &wit{dir: t.TempDir(), c: testCosigner(t, fmt.Sprintf("witness.example/w%d", i+1), byte(20+i)), ts: newTestServer(t)}
		wt.w = newTestWitness(t, wt.dir, wt.c, fixedClock, known)
		wt.ts.set(wt.w.Handler("/witness"))
		wt.v = wt.c.Verifier()
		u, _ := url.Parse(wt.ts.srv.URL + "/witness")
		tw, err := tessera.NewWitness(wt.c.VerifierKey(), u)
		if err != nil {
			t.Fatal(err)
		}
		components = append(components, tw)
		verifiers = append(verifiers, wt.v)
		wits[i] = wt
	}
	group := tessera.NewWitnessGroup(2, components[0], components[1], components[2])

	// 1. A witnessed log: the first (empty) checkpoint is cosigned when the
	// appender starts, then every published checkpoint carries >= 2 cosignatures.
	main, err := openTessera(t, t.TempDir(), logSigner, &group)
	if err != nil {
		t.Fatalf("opening the witnessed log: %v", err)
	}
	defer main.close(5 * time.Second)
	cp := main.add(t, "e0", "e1", "e2", "e3", "e4")
	if got := cpSize(t, cp); got != 5 {
		t.Fatalf("published size %d, want 5", got)
	}
	cosigs, err := VerifyCosignatures(cp, logVerifier, verifiers, 2)
	if err != nil {
		t.Fatalf("published checkpoint:\n%s\n%v", cp, err)
	}
	for _, c := range cosigs {
		if !c.Time.Equal(testTime) {
			t.Errorf("cosignature %s at %v, want %v", c.Name, c.Time, testTime)
		}
	}
	var at5 *wit
	for _, wt := range wits {
		if st, err := ReadState(wt.dir, origin); err == nil && st.Size == 5 {
			at5 = wt
		}
	}
	if at5 == nil {
		t.Fatal("no witness stored size 5")
	}

	// 2. Restart a witness from its state directory: it remembers size 5.
	at5.w.Close()
	at5.w = newTestWitness(t, at5.dir, at5.c, fixedClock, known)
	at5.ts.set(at5.w.Handler("/witness"))
	if size, _, ok := at5.w.Latest(origin); !ok || size != 5 {
		t.Fatalf("restarted witness: size %d (known %v), want 5", size, ok)
	}
	resp, err := http.Post(at5.ts.srv.URL+"/witness/add-checkpoint", "", bytes.NewReader((&Request{OldSize: 0, Checkpoint: stripSigs(cp)}).Marshal()))
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 409 || resp.Header.Get("Content-Type") != ContentTypeSize || body.String() != "5\n" {
		t.Fatalf("restarted witness, old 0: %d %q %q; want 409 %s \"5\\n\"", resp.StatusCode, resp.Header.Get("Content-Type"), body.String(), ContentTypeSize)
	}

	// With one other witness down, the quorum needs the restarted one, which
	// must check the proof from its remembered size 5.
	var down *wit
	for _, wt := range wits {
		if wt != at5 {
			down = wt
			break
		}
	}
	down.ts.set(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		http.Error(rw, "down for maintenance", http.StatusServiceUnavailable)
	}))
	cp = main.add(t, "e5", "e6", "e7")
	if got := cpSize(t, cp); got != 8 {
		t.Fatalf("published size %d, want 8", got)
	}
	cosigs, err = VerifyCosignatures(cp, logVerifier, verifiers, 2)
	if err != nil {
		t.Fatalf("published checkpoint after restart: %v", err)
	}
	found := false
	for _, c := range cosigs {
		found = found || c.Name == at5.c.Name()
	}
	if !found {
		t.Fatalf("restarted witness %s did not cosign: %+v", at5.c.Name(), cosigs)
	}
	down.ts.set(down.w.Handler("/witness"))
	mainStates := map[*wit]*State{}
	for _, wt := range wits {
		st, err := ReadState(wt.dir, origin)
		if err != nil {
			t.Fatal(err)
		}
		mainStates[wt] = st
		wt.ts.seen()
	}

	// 3. A fork: the same origin and key sign a tree with other entries. It
	// grows past the witnessed size without witnesses, then asks them.
	forkDir := t.TempDir()
	fork, err := openTessera(t, forkDir, logSigner, nil)
	if err != nil {
		t.Fatal(err)
	}
	forkCP := fork.add(t, "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9")
	if err := fork.close(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyCosignatures(forkCP, logVerifier, verifiers, 1); !errors.Is(err, ErrTooFewCosignatures) {
		t.Fatalf("unwitnessed fork checkpoint: %v", err)
	}
	fork, err = openTessera(t, forkDir, logSigner, &group)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fork.appender.Add(context.Background(), tessera.NewEntry([]byte("f10")))(); err != nil {
		t.Fatal(err)
	}
	// Every witness must answer the fork with 409 (old size) then 422 (proof).
	deadline := time.Now().Add(5 * time.Second)
	got := map[*wit][]int{}
	for time.Now().Before(deadline) {
		done := true
		for _, wt := range wits {
			got[wt] = append(got[wt], wt.ts.seen()...)
			has422 := false
			for _, s := range got[wt] {
				has422 = has422 || s == 422
			}
			done = done && has422
		}
		if done {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, wt := range wits {
		has422 := false
		for _, s := range got[wt] {
			if s != http.StatusConflict && s != http.StatusUnprocessableEntity {
				t.Errorf("%s answered the fork with %d (statuses %v)", wt.c.Name(), s, got[wt])
			}
			has422 = has422 || s == http.StatusUnprocessableEntity
		}
		if !has422 {
			t.Errorf("%s: statuses %v, want 409 then 422", wt.c.Name(), got[wt])
		}
		st, err := ReadState(wt.dir, origin)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(st.Checkpoint, mainStates[wt].Checkpoint) {
			t.Errorf("%s: state changed by the fork:\n%s", wt.c.Name(), st.Checkpoint)
		}
	}
	// The fork never published a witnessed checkpoint.
	raw, err := fork.reader.ReadCheckpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := cpSize(t, raw); got != 10 {
		t.Errorf("fork published size %d, want 10 (its last unwitnessed checkpoint)", got)
	}
	fork.close(200 * time.Millisecond) // cannot publish; do not wait for it
}

// stripSigs returns the checkpoint with the log signature only (the first
// signature line), as a log would submit it.
func stripSigs(cp []byte) []byte {
	i := bytes.Index(cp, []byte("\n\n"))
	j := bytes.IndexByte(cp[i+2:], '\n')
	return bytes.Clone(cp[:i+2+j+1])
}
