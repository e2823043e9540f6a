package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func variedEvent(i int) *Event {
	e := testEvent(i)
	e.Actor = fmt.Sprintf("did:web:actor%d.example", i%3)
	e.ObjectID = fmt.Sprintf("urn:xborder:dataset:%d", i%5)
	e.Time = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	if i%4 == 0 {
		e.Operation, e.Result, e.Reason = OpAccess, ResultDeny, "purpose_mismatch"
	}
	return e
}

func TestIndexQuery(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	want := map[uint64]*Event{}
	for i := range 40 {
		e := variedEvent(i)
		a, err := l.Append(context.Background(), e)
		if err != nil {
			t.Fatal(err)
		}
		want[a.Index] = e
	}
	ctx := context.Background()
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		q    Query
		n    int
		ok   func(*Event) bool
	}{
		{"all", Query{Limit: 1000}, 40, func(*Event) bool { return true }},
		{"actor", Query{Actor: "did:web:actor1.example"}, 13, func(e *Event) bool { return e.Actor == "did:web:actor1.example" }},
		{"object", Query{ObjectID: "urn:xborder:dataset:2"}, 8, func(e *Event) bool { return e.ObjectID == "urn:xborder:dataset:2" }},
		{"deny", Query{Result: ResultDeny}, 10, func(e *Event) bool { return e.Result == ResultDeny }},
		{"op+actor", Query{Operation: OpAccess, Actor: "did:web:actor0.example"}, 4, func(e *Event) bool { return e.Operation == OpAccess }},
		{"time", Query{From: time.Date(2026, 11, 27, 0, 10, 0, 0, time.UTC), To: time.Date(2026, 11, 27, 0, 20, 0, 0, time.UTC)}, 10,
			func(e *Event) bool { return e.Time.Minute() >= 10 && e.Time.Minute() < 20 }},
		{"limit", Query{Limit: 7}, 7, func(*Event) bool { return true }},
	}
	for _, c := range cases {
		hits, err := l.Query(ctx, c.q)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != c.n {
			t.Errorf("%s: %d hits, want %d", c.name, len(hits), c.n)
		}
		for i, h := range hits {
			if i > 0 && h.Index <= hits[i-1].Index {
				t.Errorf("%s: not in log order", c.name)
			}
			if h.Status != StatusPresent || h.Event == nil || !c.ok(h.Event) {
				t.Errorf("%s: hit %+v", c.name, h)
				continue
			}
			if w, _ := want[h.Index].Canonical(); string(w) != string(must(h.Event.Canonical())) {
				t.Errorf("%s: entry %d is %+v, appended %+v", c.name, h.Index, h.Event, w)
			}
		}
	}
	// Cursor paging covers everything once.
	seen := 0
	q := Query{Limit: 6}
	for {
		hits, err := l.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 {
			break
		}
		seen += len(hits)
		q.After, q.AfterSet = int64(hits[len(hits)-1].Index), true
	}
	if seen != 40 {
		t.Fatalf("paged %d", seen)
	}
	closeTest(t, l)
}

func TestIndexDriftAndRollback(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	appendN(t, l, 0, 10)
	closeTest(t, l)
	old := copyTree(t, dir) // log of 10, index of 10

	l = openTest(t, dir)
	appendN(t, l, 10, 10)
	closeTest(t, l)

	// A row deleted behind the tailer's back is found on open and rebuilt.
	x, err := OpenIndex(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.db.Exec(`DELETE FROM audit_entry WHERE idx = 3`); err != nil {
		t.Fatal(err)
	}
	rebuilt, err := x.Check(context.Background())
	if err != nil || !rebuilt {
		t.Fatalf("check: rebuilt=%v err=%v", rebuilt, err)
	}
	hits, err := x.Query(context.Background(), Query{Limit: 100})
	if err != nil || len(hits) != 20 {
		t.Fatalf("after rebuild: %d hits, %v", len(hits), err)
	}
	// A changed commitment too.
	if _, err := x.db.Exec(`UPDATE audit_entry SET commitment = zeroblob(32) WHERE idx = 5`); err != nil {
		t.Fatal(err)
	}
	if rebuilt, err := x.Check(context.Background()); err != nil || !rebuilt {
		t.Fatalf("check after update: rebuilt=%v err=%v", rebuilt, err)
	}
	x.Close()

	// Rolling the log back to its older state under the newer index is refused.
	for _, sub := range []string{logDir, payloadDir} {
		os.RemoveAll(filepath.Join(dir, sub))
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join(old, sub))); err != nil {
			t.Fatal(err)
		}
	}
	x, err = OpenIndex(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if _, err := x.Reconcile(context.Background()); !errors.Is(err, ErrRollback) {
		t.Fatalf("rollback: got %v", err)
	}
	if _, err := Open(dir, Options{Origin: "test.xborder.example/audit"}); err == nil || !strings.Contains(err.Error(), "rollback") {
		t.Fatalf("Open over a rolled-back log: %v", err)
	}
}

func TestIndexAfterPrune(t *testing.T) {
	dir := t.TempDir()
	day0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	l, err := Open(dir, Options{Origin: "test.xborder.example/audit", Now: func() time.Time { return day0 }})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 0, 5)
	ctx := context.Background()
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if hits, _ := l.Query(ctx, Query{}); len(hits) != 5 {
		t.Fatalf("before prune %d", len(hits))
	}
	if _, err := l.Prune(ctx, "did:web:operator.example", DefaultRetention(), day0.AddDate(1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	hits, err := l.Query(ctx, Query{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	pruned := 0
	for _, h := range hits {
		if h.Status == StatusPruned && h.Event == nil {
			pruned++
		}
	}
	if len(hits) != 6 || pruned != 5 {
		t.Fatalf("after prune: %d hits, %d pruned", len(hits), pruned)
	}
	if hits, _ := l.Query(ctx, Query{Actor: "did:web:provider.example"}); len(hits) != 0 {
		t.Fatalf("pruned entries still searchable by actor: %d", len(hits))
	}
	closeTest(t, l)
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestFollow(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir)
	appendN(t, l, 0, 5)
	closeTest(t, l)
	type seen struct {
		idx    uint64
		replay bool
	}
	var mu sync.Mutex
	var got []seen
	l, err := Open(dir, Options{Origin: "test.xborder.example/audit", IndexInterval: 20 * time.Millisecond,
		Follow: func(_ context.Context, idx uint64, e *Event, replay bool) {
			mu.Lock()
			got = append(got, seen{idx, replay})
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 100, 3)
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 8 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	closeTest(t, l)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 8 {
		t.Fatalf("followed %d entries: %+v", len(got), got)
	}
	for i, s := range got {
		if s.idx != uint64(i) || s.replay != (i < 5) {
			t.Fatalf("entry %d: %+v", i, s)
		}
	}
}

// TestHitJSON: a hit survives its JSON form (the management API's), and a
// bad commitment is refused.
func TestHitJSON(t *testing.T) {
	h := Hit{Index: 7, Status: "ok", Commitment: [32]byte{1, 2, 3}, Event: &Event{Actor: "did:web:a.example", Time: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC),
		Operation: OpCompute, ObjectID: "urn:uuid:t", ObjectKind: KindTask, Result: ResultAllow, Reason: "created"}}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var got Hit
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Index != 7 || got.Commitment != h.Commitment || got.Status != "ok" || got.Event == nil || got.Event.Reason != "created" || !got.Event.Time.Equal(h.Event.Time) {
		t.Fatalf("%+v from %s", got, b)
	}
	if err := json.Unmarshal([]byte(`{"index":1,"commitment":"zz","status":"ok"}`), &got); err == nil {
		t.Error("a bad commitment accepted")
	}
}
