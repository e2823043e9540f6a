package witness

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

const (
	originA = "example.com/log-a"
	originB = "example.com/log-b"
)

// TestAddCheckpointStatus sends one precise request per outcome to a witness
// that has cosigned log A at size 4, and checks the status, the reply and,
// for refusals, that the state file is byte-for-byte unchanged.
func TestAddCheckpointStatus(t *testing.T) {
	logA := newMemLog(t, originA, 1).grow("a", 16)
	logB := newMemLog(t, originB, 2).grow("b", 4)
	// forkA: same origin and key as A, different leaves from index 1 on.
	forkA := &memLog{origin: originA, signer: logA.signer, verifier: logA.verifier, vkey: logA.vkey, tree: newMemLog(t, originA, 1).tree}
	forkA.tree.AppendData([]byte("a-0"))
	forkA.grow("fork", 15)
	// otherKey: a log key the witness does not know, signing origin A.
	otherKey := newMemLog(t, originA, 9)
	otherKey.tree = logA.tree
	unknown := newMemLog(t, "example.com/unknown", 3).grow("u", 4)

	dir := t.TempDir()
	wit := newTestWitness(t, dir, testCosigner(t, "witness.example/w1", 7), fixedClock, logA.known(), logB.known())
	h := wit.Handler("/w")
	if r := post(h, "/w/add-checkpoint", logA.request(t, 0, 4).Marshal()); r.status != http.StatusOK {
		t.Fatalf("seeding: %+v", r)
	}
	statePath := StatePath(dir, originA)

	cpA8 := logA.checkpoint(t, 8)
	goodProof := logA.request(t, 4, 8).Proof
	badProof := func() [][]byte {
		p := logA.request(t, 4, 8).Proof
		p[0] = bytes.Repeat([]byte{0xaa}, 32)
		return p
	}()
	body := func(old uint64, proof [][]byte, cp []byte) []byte {
		return (&Request{OldSize: old, Proof: proof, Checkpoint: cp}).Marshal()
	}
	tamperedSize := bytes.Replace(cpA8, []byte("\n8\n"), []byte("\n9\n"), 1)
	noSig := []byte(logA.text(8))
	manyLines := []byte("old 4\n" + strings.Repeat(base64.StdEncoding.EncodeToString(make([]byte, 32))+"\n", 64) + "\n" + string(cpA8))

	cases := []struct {
		name   string
		path   string
		method string
		body   []byte
		status int
		ctype  string
		reply  string // exact reply body, if set
	}{
		{name: "not a request", body: []byte("hello"), status: 400},
		{name: "no old line", body: []byte("\n\n" + string(cpA8)), status: 400},
		{name: "leading zero", body: []byte("old 04\n\n" + string(cpA8)), status: 400},
		{name: "signed size", body: []byte("old +4\n\n" + string(cpA8)), status: 400},
		{name: "crlf", body: []byte("old 4\r\n\r\n" + string(cpA8)), status: 400},
		{name: "proof not base64", body: []byte("old 4\nnot-base64!\n\n" + string(cpA8)), status: 400},
		{name: "proof hash too short", body: []byte("old 4\nAAAA\n\n" + string(cpA8)), status: 400},
		{name: "64 proof lines", body: manyLines, status: 400},
		{name: "no empty line", body: []byte("old 4\n"), status: 400},
		{name: "no checkpoint", body: []byte("old 4\n\n"), status: 400},
		{name: "checkpoint without signature block", body: body(4, goodProof, noSig), status: 400},
		{name: "old size above checkpoint size", body: body(9, nil, cpA8), status: 400},
		{name: "proof with old 0", body: body(0, goodProof, cpA8), status: 400},
		{name: "body too large", body: append([]byte("old 0\n\n"), bytes.Repeat([]byte("x"), MaxRequestBytes)...), status: 413},
		{name: "unknown origin", body: body(0, nil, unknown.checkpoint(t, 4)), status: 404},
		{name: "signed by an unknown key", body: body(4, goodProof, otherKey.checkpoint(t, 8)), status: 403},
		{name: "signature does not verify", body: body(4, goodProof, tamperedSize), status: 403},
		{name: "old size mismatch", body: body(2, logA.request(t, 2, 8).Proof, cpA8), status: 409, ctype: ContentTypeSize, reply: "4\n"},
		{name: "old 0 but witness at 4", body: body(0, nil, cpA8), status: 409, ctype: ContentTypeSize, reply: "4\n"},
		{name: "same size, other root", body: body(4, nil, forkA.checkpoint(t, 4)), status: 409, ctype: "text/plain; charset=utf-8"},
		{name: "bad proof", body: body(4, badProof, cpA8), status: 422},
		{name: "proof too short", body: body(4, goodProof[:len(goodProof)-1], cpA8), status: 422},
		{name: "fork with its own valid proof", body: forkA.request(t, 4, 8).Marshal(), status: 422},
		{name: "same size with a proof", body: body(4, goodProof[:1], logA.checkpoint(t, 4)), status: 422},
		{name: "size 0 with a non-empty root", body: body(0, nil, func() []byte {
			cp, _ := note.Sign(&note.Note{Text: originB + "\n0\n" + base64.StdEncoding.EncodeToString(logB.tree.HashAt(4)) + "\n"}, logB.signer)
			return cp
		}()), status: 422},
		{name: "GET", method: http.MethodGet, body: nil, status: 405},
		{name: "wrong path", path: "/add-checkpoint", body: body(4, goodProof, cpA8), status: 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := readFile(t, statePath)
			path, method := tc.path, tc.method
			if path == "" {
				path = "/w/add-checkpoint"
			}
			if method == "" {
				method = http.MethodPost
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(method, path, bytes.NewReader(tc.body)))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d; body %q", rec.Code, tc.status, rec.Body.String())
			}
			if tc.ctype != "" {
				if got := rec.Header()["Content-Type"]; len(got) != 1 || got[0] != tc.ctype {
					t.Errorf("Content-Type %q, want exactly %q", got, tc.ctype)
				}
			}
			if tc.reply != "" && rec.Body.String() != tc.reply {
				t.Errorf("body %q, want %q", rec.Body.String(), tc.reply)
			}
			if after := readFile(t, statePath); !bytes.Equal(before, after) {
				t.Errorf("refused request changed the state file:\n%s\n---\n%s", before, after)
			}
			if _, err := os.Stat(StatePath(dir, originB)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("refused request created state for log B: %v", err)
			}
			if size, _, _ := wit.Latest(originA); size != 4 {
				t.Errorf("in-memory size %d, want 4", size)
			}
		})
	}

	// Accepted requests, in order.
	verifier, err := fnote.NewVerifierForCosignatureV1(wit.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		req    *Request
		origin string
		size   uint64
	}{
		{"advance 4 to 8", logA.request(t, 4, 8), originA, 8},
		{"same checkpoint again", logA.request(t, 8, 8), originA, 8},
		{"advance 8 to 13", logA.request(t, 8, 13), originA, 13},
		{"first checkpoint of B", logB.request(t, 0, 4), originB, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(h, "/w/add-checkpoint", tc.req.Marshal())
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %q", r.status, r.body)
			}
			if !strings.HasPrefix(r.body, "— witness.example/w1 ") || strings.Count(r.body, "\n") != 1 {
				t.Fatalf("reply %q is not one signature line", r.body)
			}
			// As tessera's client does: append the reply to the checkpoint and open it.
			n, err := note.Open(append(bytes.Clone(tc.req.Checkpoint), r.body...), note.VerifierList(verifier))
			if err != nil {
				t.Fatalf("cosignature does not verify: %v", err)
			}
			if ts, err := fnote.CoSigV1Timestamp(n.Sigs[0]); err != nil || !ts.Equal(testTime) {
				t.Errorf("cosignature time %v, %v; want %v", ts, err, testTime)
			}
			st, err := ReadState(dir, tc.origin)
			if err != nil {
				t.Fatal(err)
			}
			if st.Size != tc.size {
				t.Errorf("stored size %d, want %d", st.Size, tc.size)
			}
			if _, err := VerifyCosignatures(st.Checkpoint, map[string]note.Verifier{originA: logA.verifier, originB: logB.verifier}[tc.origin], []note.Verifier{verifier}, 1); err != nil {
				t.Errorf("stored checkpoint: %v", err)
			}
		})
	}
}

// TestFirstCheckpointEmptyTree: tessera's first request is "old 0" for the
// empty tree; the witness records size 0 and then accepts growth from 0.
func TestFirstCheckpointEmptyTree(t *testing.T) {
	l := newMemLog(t, originA, 1)
	w := newTestWitness(t, t.TempDir(), testCosigner(t, "w", 7), fixedClock, l.known())
	ctx := context.Background()
	if _, err := w.AddCheckpoint(ctx, l.request(t, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if size, _, ok := w.Latest(originA); !ok || size != 0 {
		t.Fatalf("latest %d %v", size, ok)
	}
	l.grow("a", 3)
	if _, err := w.AddCheckpoint(ctx, l.request(t, 0, 3)); err != nil {
		t.Fatal(err)
	}
	var e *Error
	if _, err := w.AddCheckpoint(ctx, l.request(t, 0, 3)); !errors.As(err, &e) || e.Status != 409 || e.Latest == nil || *e.Latest != 3 {
		t.Fatalf("replay of old 0: %v", err)
	}
}

// TestClockBehind: a witness whose clock went back refuses (503) rather than
// issue a cosignature older than one it already gave.
func TestClockBehind(t *testing.T) {
	l := newMemLog(t, originA, 1).grow("a", 4)
	dir := t.TempDir()
	c := testCosigner(t, "w", 7)
	w := newTestWitness(t, dir, c, fixedClock, l.known())
	if _, err := w.AddCheckpoint(context.Background(), l.request(t, 0, 2)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// Restarted with a clock one minute behind: the stored cosignature time is remembered.
	w2 := newTestWitness(t, dir, c, func() time.Time { return testTime.Add(-time.Minute) }, l.known())
	before := readFile(t, StatePath(dir, originA))
	var e *Error
	if _, err := w2.AddCheckpoint(context.Background(), l.request(t, 2, 4)); !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable {
		t.Fatalf("got %v, want 503", err)
	}
	if !bytes.Equal(before, readFile(t, StatePath(dir, originA))) {
		t.Fatal("state changed")
	}
}

func TestNewErrors(t *testing.T) {
	l := newMemLog(t, originA, 1).grow("a", 4)
	c := testCosigner(t, "w", 7)
	dir := t.TempDir()
	for name, cfg := range map[string]Config{
		"no dir":         {Cosigner: c},
		"no key":         {Dir: dir},
		"bad log key":    {Dir: dir, Cosigner: c, Logs: []KnownLog{{Origin: originA, VerifierKey: "nonsense"}}},
		"empty origin":   {Dir: dir, Cosigner: c, Logs: []KnownLog{{Origin: "", VerifierKey: l.vkey}}},
		"key twice":      {Dir: dir, Cosigner: c, Logs: []KnownLog{l.known(), l.known()}},
		"origin newline": {Dir: dir, Cosigner: c, Logs: []KnownLog{{Origin: "a\nb", VerifierKey: l.vkey}}},
	} {
		if w, err := New(cfg); err == nil {
			w.Close()
			t.Errorf("%s: no error", name)
		}
	}
	w := newTestWitness(t, dir, c, fixedClock, l.known())
	if _, err := New(Config{Dir: dir, Cosigner: c}); err == nil {
		t.Error("second Witness on one directory in one process")
	}
	if _, err := w.AddCheckpoint(context.Background(), l.request(t, 0, 4)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// A corrupt state file must stop the witness, not reset the log to size 0.
	if err := os.WriteFile(StatePath(dir, originA), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if w, err := New(Config{Dir: dir, Cosigner: c, Logs: []KnownLog{l.known()}}); err == nil {
		w.Close()
		t.Fatal("corrupt state accepted")
	}
}

func TestErrorString(t *testing.T) {
	n := uint64(5)
	for _, tc := range []struct {
		e    *Error
		want string
	}{
		{&Error{Status: 409, Latest: &n, Msg: "m"}, "witness: 409 Conflict: m (latest cosigned size 5)"},
		{&Error{Status: 422, Msg: "m"}, "witness: 422 Unprocessable Entity: m"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%q != %q", got, tc.want)
		}
	}
}

// TestPersistFailure: if the state cannot be written the request fails with
// 500 and the witness keeps its previous size (it must not cosign what it
// could not record).
func TestPersistFailure(t *testing.T) {
	l := newMemLog(t, originA, 1).grow("a", 4)
	dir := t.TempDir()
	w := newTestWitness(t, dir, testCosigner(t, "w", 7), fixedClock, l.known())
	h := w.Handler("")
	if r := post(h, "/add-checkpoint", l.request(t, 0, 2).Marshal()); r.status != 200 {
		t.Fatal(r)
	}
	// Replace the state file by a non-empty directory: the rename fails (even for root).
	p := StatePath(dir, originA)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(p+"/x", 0o700); err != nil {
		t.Fatal(err)
	}
	if r := post(h, "/add-checkpoint", l.request(t, 2, 4).Marshal()); r.status != 500 || strings.Contains(r.body, dir) {
		t.Fatalf("got %+v, want 500 without detail", r)
	}
	if size, _, _ := w.Latest(originA); size != 2 {
		t.Fatalf("size %d after a failed write, want 2", size)
	}
}

// TestClose: requests after Close are refused with 503.
func TestClose(t *testing.T) {
	l := newMemLog(t, originA, 1).grow("a", 4)
	w := newTestWitness(t, t.TempDir(), testCosigner(t, "w", 7), fixedClock, l.known())
	w.Close()
	var e *Error
	if _, err := w.AddCheckpoint(context.Background(), l.request(t, 0, 4)); !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable {
		t.Fatalf("after Close: %v", err)
	}
}
