package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/tessera/api/layout"
)

func testEvent(i int) *Event {
	return &Event{
		Actor:         "did:web:provider.example",
		Time:          time.Date(2026, 11, 26, 12, 0, 0, i, time.UTC),
		Operation:     OpDownload,
		ObjectID:      fmt.Sprintf("urn:xborder:dataset:%d", i),
		ObjectKind:    KindDataset,
		Result:        ResultSuccess,
		Reason:        "within_agreement",
		DetailsDigest: "sha256:" + strings.Repeat("ab", 32),
	}
}

func TestCanonical(t *testing.T) {
	e := testEvent(7)
	e.Class, e.Records, e.Bytes = ClassSensitive, 1200, 65536
	b, err := e.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"actor":"did:web:provider.example","bytes":65536,"class":"sensitive","details_digest":"sha256:` + strings.Repeat("ab", 32) +
		`","object_id":"urn:xborder:dataset:7","object_kind":"dataset","operation":"download","reason":"within_agreement","records":1200,"result":"success","time":"2026-11-26T12:00:00.000000007Z"}`
	if string(b) != want {
		t.Fatalf("canonical:\n got %s\nwant %s", b, want)
	}
	e2, err := ParseCanonical(b)
	if err != nil {
		t.Fatal(err)
	}
	if *e2 != *e {
		t.Fatalf("round trip: %+v != %+v", e2, e)
	}
	if _, err := ParseCanonical([]byte(strings.Replace(want, `{"actor"`, `{ "actor"`, 1))); err == nil {
		t.Fatal("non-canonical input accepted")
	}
}

func TestValidate(t *testing.T) {
	cases := map[string]func(*Event){
		"actor":          func(e *Event) { e.Actor = "alice@example.org" },
		"time":           func(e *Event) { e.Time = time.Time{} },
		"operation":      func(e *Event) { e.Operation = "delete" },
		"object_id":      func(e *Event) { e.ObjectID = "Jane Doe" },
		"object_kind":    func(e *Event) { e.ObjectKind = "person" },
		"result":         func(e *Event) { e.Result = "ok" },
		"reason":         func(e *Event) { e.Reason = "Customer Zhang San asked" },
		"details_digest": func(e *Event) { e.DetailsDigest = "sha256:XYZ" },
		"class":          func(e *Event) { e.Class = "secret" },
		"records":        func(e *Event) { e.Bytes = 1 << 60 },
	}
	for field, mut := range cases {
		e := testEvent(1)
		mut(e)
		err := e.Validate()
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
	e := testEvent(1)
	e.ObjectID = "urn:x:" + strings.Repeat("a", MaxObjectIDLen)
	if err := e.Validate(); err == nil {
		t.Error("oversized object_id accepted")
	}
	if err := testEvent(1).Validate(); err != nil {
		t.Error(err)
	}
}

// appendN appends n events concurrently (so they share tessera batches) and
// returns the acknowledged indices.
func appendN(t *testing.T, l *Log, from, n int) []Appended {
	t.Helper()
	out := make([]Appended, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = l.Append(context.Background(), testEvent(from+i))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func openTest(t *testing.T, dir string) *Log {
	t.Helper()
	l, err := Open(dir, Options{Origin: "test.xborder.example/audit"})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func closeTest(t *testing.T, l *Log) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// buildLog makes a closed log of n entries (more than one entry bundle when n > 256).
func buildLog(t *testing.T, n int) (string, []Appended) {
	t.Helper()
	dir := t.TempDir()
	l := openTest(t, dir)
	a := appendN(t, l, 0, n)
	closeTest(t, l)
	return dir, a
}

func TestAppendVerifyRestart(t *testing.T) {
	dir, a := buildLog(t, 300)
	seen := map[uint64]bool{}
	for _, x := range a {
		if seen[x.Index] || x.Index >= 300 {
			t.Fatalf("bad or duplicate index %d", x.Index)
		}
		seen[x.Index] = true
	}
	rep, err := VerifyDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Size != 300 || rep.Entries != 300 || rep.Pruned != 0 {
		t.Fatalf("report %+v", rep)
	}
	// Restart: reopen, the old entries are still there, appends continue.
	l := openTest(t, dir)
	b := appendN(t, l, 300, 5)
	for _, x := range b {
		if x.Index < 300 || x.Index >= 305 {
			t.Fatalf("index after restart %d", x.Index)
		}
	}
	closeTest(t, l)
	rep, err = VerifyDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Size != 305 || rep.Entries != 305 {
		t.Fatalf("report after restart %+v", rep)
	}
	// The payload of an early entry is still readable.
	_, e, err := ReadPayloadAt(dir, a[0].Payload, a[0].Commitment)
	if err != nil || e.ObjectID != "urn:xborder:dataset:0" {
		t.Fatalf("payload after restart: %v %+v", err, e)
	}
}

func TestRetentionPrune(t *testing.T) {
	dir := t.TempDir()
	day0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	clock := day0
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	l, err := Open(dir, Options{Origin: "test.xborder.example/audit", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 0, 20) // general
	sens := testEvent(100)
	sens.Class = ClassSensitive
	as, err := l.Append(context.Background(), sens)
	if err != nil {
		t.Fatal(err)
	}
	// Six months later nothing is due yet (the day of writing counts whole).
	if p, err := l.Prune(context.Background(), "did:web:operator.example", DefaultRetention(), day0.AddDate(0, 6, 0)); err != nil || len(p) != 0 {
		t.Fatalf("early prune: %v %+v", err, p)
	}
	mu.Lock()
	clock = day0.AddDate(0, 6, 2)
	mu.Unlock()
	p, err := l.Prune(context.Background(), "did:web:operator.example", DefaultRetention(), clock)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 1 || p[0].Class != ClassGeneral || p[0].Records != 20 {
		t.Fatalf("pruned %+v", p)
	}
	// The prune is itself an audit event, stored in a new segment.
	after := appendN(t, l, 200, 2)
	closeTest(t, l)
	rep, err := VerifyDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Size != 24 || rep.Pruned != 20 || rep.Entries != 4 || rep.Manifests != 1 {
		t.Fatalf("after prune: %+v", rep)
	}
	if _, _, err := ReadPayloadAt(dir, as.Payload, as.Commitment); err != nil {
		t.Fatalf("sensitive payload pruned early: %v", err)
	}
	if _, _, err := ReadPayloadAt(dir, after[0].Payload, after[0].Commitment); err != nil {
		t.Fatalf("payload appended after the prune: %v", err)
	}

	// A segment deleted without a manifest is a failure, naming the entry.
	d := copyTree(t, dir)
	if err := os.Remove(filepath.Join(d, payloadDir, filepath.FromSlash(as.Payload.Segment))); err != nil {
		t.Fatal(err)
	}
	expectVerifyFail(t, d, "payload", int64(as.Index))
	// A manifest changed after signing is a failure.
	d = copyTree(t, dir)
	flipByte(t, filepath.Join(d, p[0].Manifest), 30)
	expectVerifyFail(t, d, "prune manifest", -1)
	// So is a commitments file that lost an entry.
	d = copyTree(t, dir)
	cf := strings.TrimSuffix(filepath.Join(d, p[0].Manifest), ".prune") + ".commitments"
	b, _ := os.ReadFile(cf)
	os.WriteFile(cf, b[:len(b)-32], 0o644)
	expectVerifyFail(t, d, "prune manifest", -1)
}

func copyTree(t *testing.T, dir string) string {
	t.Helper()
	d := t.TempDir()
	if err := os.CopyFS(d, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return d
}

func expectVerifyFail(t *testing.T, dir, what string, entry int64) *VerifyError {
	t.Helper()
	_, err := VerifyDir(context.Background(), dir)
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("want VerifyError (%s), got %v", what, err)
	}
	if ve.What != what || ve.Entry != entry {
		t.Fatalf("want %s at entry %d, got %v", what, entry, err)
	}
	t.Log(err)
	return ve
}

func flipLastByte(t *testing.T, p string) { t.Helper(); flipByte(t, p, -1) }

// flipByte flips the low bit of byte i of file p (i < 0 counts from the end).
func flipByte(t *testing.T, p string, i int) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if i < 0 {
		i += len(b)
	}
	b[i] ^= 1
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTamper(t *testing.T) {
	const n = 300 // one full entry bundle and tile, one partial (44), and a level-1 tile
	dir, a := buildLog(t, n)
	if _, err := VerifyDir(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	copyDir := func() string { return copyTree(t, dir) }

	t.Run("payload", func(t *testing.T) {
		d := copyDir()
		x := a[3]
		// The last byte of the record: its event's closing brace.
		flipByte(t, filepath.Join(d, payloadDir, filepath.FromSlash(x.Payload.Segment)), int(x.Payload.Offset)+recHeaderLen+int(x.Payload.Len)-1)
		expectVerifyFail(t, d, "payload", int64(x.Index))
	})
	t.Run("leaf", func(t *testing.T) {
		d := copyDir()
		// The last byte of the partial entry bundle is the last byte of leaf n-1.
		bundle := filepath.Join(logDir, layout.EntriesPath(1, n-256))
		flipLastByte(t, filepath.Join(d, bundle))
		ve := expectVerifyFail(t, d, "leaf", n-1)
		if ve.File != bundle {
			t.Fatalf("file %q", ve.File)
		}
	})
	t.Run("tile", func(t *testing.T) {
		d := copyDir()
		// Level-0 tile: 32-byte leaf hashes; flip one in leaf 5's hash.
		tile := filepath.Join(logDir, layout.TilePath(0, 0, 0))
		flipByte(t, filepath.Join(d, tile), 5*32)
		ve := expectVerifyFail(t, d, "tile", 5)
		if ve.File != tile {
			t.Fatalf("file %q", ve.File)
		}
	})
	t.Run("tile-level1", func(t *testing.T) {
		d := copyDir()
		// The level-1 tile holds the hash of leaves 0..255 (used to prove entries 256..).
		tile := filepath.Join(logDir, layout.TilePath(1, 0, 1))
		flipByte(t, filepath.Join(d, tile), 0)
		if ve := expectVerifyFail(t, d, "tile", 0); ve.File != tile {
			t.Fatalf("file %q", ve.File)
		}
	})
	t.Run("checkpoint", func(t *testing.T) {
		d := copyDir()
		p := filepath.Join(d, logDir, layout.CheckpointPath)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// Claim a different size: the signature no longer verifies.
		b = []byte(strings.Replace(string(b), fmt.Sprintf("\n%d\n", n), fmt.Sprintf("\n%d\n", n-1), 1))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		expectVerifyFail(t, d, "checkpoint", -1)
	})
	t.Run("checkpoint-foreign-key", func(t *testing.T) {
		d := copyDir()
		other := buildOther(t)
		_, err := Verify(context.Background(), d, other)
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.What != "checkpoint" {
			t.Fatalf("got %v", err)
		}
	})
}

func buildOther(t *testing.T) string {
	d := t.TempDir()
	_, vkey, err := loadOrCreateKey(d, "test.xborder.example/audit")
	if err != nil {
		t.Fatal(err)
	}
	return vkey
}

func TestAppendRejectsInvalid(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	defer closeTest(t, l)
	e := testEvent(1)
	e.Reason = "Name: Li Lei"
	var ve *ValidationError
	if _, err := l.Append(context.Background(), e); !errors.As(err, &ve) {
		t.Fatalf("got %v", err)
	}
	ents, err := os.ReadDir(filepath.Join(dir, payloadDir))
	if err != nil || len(ents) != 0 {
		t.Fatalf("payload stored for an invalid event: %v %v", ents, err)
	}
}

func TestEmptyLogVerifies(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	closeTest(t, l)
	rep, err := VerifyDir(context.Background(), dir)
	if err != nil {
		t.Fatalf("empty log: %v", err)
	}
	if rep.Size != 0 {
		t.Fatalf("%+v", rep)
	}
}

func TestOpenTwiceRefused(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("second Open of the same directory succeeded")
	}
	closeTest(t, l)
	l = openTest(t, dir)
	closeTest(t, l)
}

// BenchmarkAppend measures acknowledged (durable, integrated, checkpointed)
// appends with 64 concurrent writers.
func BenchmarkAppend(b *testing.B) {
	dir := b.TempDir()
	l, err := Open(dir, Options{Origin: "bench.xborder.example/audit"})
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(512)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := l.Append(context.Background(), testEvent(i)); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.StopTimer()
	if err := l.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkVerify measures VerifyDir on a 2,000-entry log.
func BenchmarkVerify(b *testing.B) {
	dir := b.TempDir()
	l, err := Open(dir, Options{Origin: "bench.xborder.example/audit"})
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				if _, err := l.Append(context.Background(), testEvent(g*100+i)); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := l.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := VerifyDir(context.Background(), dir); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAppendBatch: a batch goes into the log in its order, with
// consecutive indexes, and reads back; a batch with one invalid event
// appends none of them.
func TestAppendBatch(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	defer closeTest(t, l)
	ctx := context.Background()
	first := appendN(t, l, 0, 1)[0]
	var batch []*Event
	for i := range 5 {
		e := testEvent(100 + i)
		e.Class = ClassGeneral // as it reads back
		batch = append(batch, e)
	}
	got, err := l.AppendBatch(ctx, batch)
	if err != nil || len(got) != len(batch) {
		t.Fatalf("%v %+v", err, got)
	}
	for i, a := range got {
		if a.Index != first.Index+1+uint64(i) {
			t.Errorf("event %d of the batch has index %d, want %d", i, a.Index, first.Index+1+uint64(i))
		}
		_, e, err := ReadPayloadAt(dir, a.Payload, a.Commitment)
		if err != nil || *e != *batch[i] {
			t.Errorf("event %d reads back as %+v, %v", i, e, err)
		}
	}
	bad := []*Event{testEvent(200), testEvent(201)}
	bad[1].Reason = "Name: Li Lei"
	var ve *ValidationError
	if _, err := l.AppendBatch(ctx, bad); !errors.As(err, &ve) {
		t.Fatalf("a batch with an invalid event: %v", err)
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if hits, err := l.Query(ctx, Query{Limit: 100}); err != nil || len(hits) != 1+len(batch) {
		t.Errorf("the log holds %d entries, want %d (%v)", len(hits), 1+len(batch), err)
	}
}

// TestCloseWhileFollowAppends: a Follow callback that appends to the log
// (as the node's anomaly rules append their alerts) while the log closes
// must not hang Close: the tail stops before the appender does.
func TestCloseWhileFollowAppends(t *testing.T) {
	dir := t.TempDir()
	opts := relOptions()
	opts.IndexInterval = 10 * time.Millisecond
	entered, closing := make(chan struct{}), make(chan struct{})
	var l *Log
	var once sync.Once
	var appendErr error
	opts.Follow = func(ctx context.Context, _ uint64, e *Event, replay bool) {
		if replay || e == nil || e.Operation == OpAlert {
			return
		}
		once.Do(func() {
			close(entered)
			<-closing // Close has begun
			a := relEvent(99)
			a.Operation, a.ObjectKind, a.Reason = OpAlert, KindAlert, "test_rule"
			_, appendErr = l.Append(context.WithoutCancel(ctx), a)
		})
	}
	var err error
	if l, err = Open(dir, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(context.Background(), relEvent(1)); err != nil {
		t.Fatal(err)
	}
	<-entered
	done := make(chan error, 1)
	go func() { done <- l.Close(context.Background()) }()
	time.Sleep(50 * time.Millisecond) // let Close get as far as it would
	close(closing)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Close hangs while a Follow callback appends")
	}
	if appendErr != nil {
		t.Fatalf("the alert's append: %v", appendErr)
	}
}
