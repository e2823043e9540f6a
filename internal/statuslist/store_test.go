package statuslist

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/suite"
)

func TestStoreLifecycle(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	dir := t.TempDir()
	s, err := OpenStore(dir, StoreOptions{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Create(ctx, ListConfig{ID: "rev-1", URL: "https://issuer.example/status/rev-1", Purpose: PurposeRevocation})
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != MinEntries || info.Revision != 1 {
		t.Fatalf("info %+v", info)
	}
	seen := map[string]bool{}
	var entries []Entry
	for range 50 {
		e, err := s.Allocate(ctx, "rev-1")
		if err != nil {
			t.Fatal(err)
		}
		if seen[e.StatusListIndex] {
			t.Fatalf("index %s handed out twice", e.StatusListIndex)
		}
		seen[e.StatusListIndex] = true
		if err := e.Validate(); err != nil {
			t.Fatal(err)
		}
		if e.StatusListCredential != info.URL || e.ID != info.URL+"#"+e.StatusListIndex || e.StatusPurpose != PurposeRevocation {
			t.Fatalf("entry %+v", e)
		}
		entries = append(entries, e)
	}
	idx, _ := entries[0].Index()
	if err := s.Set(ctx, "rev-1", idx); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "rev-1", idx); err != nil {
		t.Fatalf("setting twice: %v", err)
	}
	wantCode(t, s.Clear(ctx, "rev-1", idx), CodeRevocationPermanent)

	// Reopen: allocations and bits persist.
	s2, err := OpenStore(dir, StoreOptions{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.Info("rev-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Allocated != 50 || got.Set != 1 || got.Revision != 2 {
		t.Fatalf("after reopen: %+v", got)
	}
	if set, _ := s2.Status("rev-1", idx); !set {
		t.Fatal("revocation lost on reopen")
	}
	if _, err := s2.Entry("rev-1", idx); err != nil {
		t.Fatal(err)
	}
	// The file is the documented JSON, mode 0600, no temporaries left.
	path := filepath.Join(dir, "lists", "rev-1.json")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("list file: %v %v", fi, err)
	}
	b, _ := os.ReadFile(path)
	var f listFile
	if err := json.Unmarshal(b, &f); err != nil || f.Format != FileFormat || !strings.HasPrefix(f.Status, "u") {
		t.Fatalf("file: %v %+v", err, f)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "lists"))
	if len(ents) != 1 {
		t.Fatalf("%d files in the list directory", len(ents))
	}
}

func TestStoreSuspensionClears(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock())
	if _, err := s.Create(ctx, ListConfig{ID: "sus", URL: "https://i.example/s", Purpose: PurposeSuspension}); err != nil {
		t.Fatal(err)
	}
	e, _ := s.Allocate(ctx, "sus")
	idx, _ := e.Index()
	if err := s.Set(ctx, "sus", idx); err != nil {
		t.Fatal(err)
	}
	if err := s.Clear(ctx, "sus", idx); err != nil {
		t.Fatal(err)
	}
	if set, _ := s.Status("sus", idx); set {
		t.Fatal("suspension not lifted")
	}
	if info, _ := s.Info("sus"); info.Revision != 3 {
		t.Fatalf("revision %d, want 3", info.Revision)
	}
}

func TestStoreRefusals(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock())
	bad := []ListConfig{
		{ID: "../x", URL: "https://i.example/a", Purpose: PurposeRevocation},
		{ID: "", URL: "https://i.example/a", Purpose: PurposeRevocation},
		{ID: "a", URL: "ftp://i.example/a", Purpose: PurposeRevocation},
		{ID: "a", URL: "https://i.example/a#x", Purpose: PurposeRevocation},
		{ID: "a", URL: "/relative", Purpose: PurposeRevocation},
		{ID: "a", URL: "https://i.example/a", Purpose: "revoked"},
		{ID: "a", URL: "https://i.example/a", Purpose: PurposeRevocation, Size: MinEntries - 8},
		{ID: "a", URL: "https://i.example/a", Purpose: PurposeRevocation, Size: MinEntries + 1},
		{ID: "a", URL: "https://i.example/a", Purpose: PurposeRevocation, Size: MaxListEntries + 8},
	}
	for _, c := range bad {
		if _, err := s.Create(ctx, c); CodeOf(err) != CodeInvalidArgument {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if _, err := s.Create(ctx, ListConfig{ID: "a", URL: "https://i.example/a", Purpose: PurposeRevocation, Size: 2 * MinEntries}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Create(ctx, ListConfig{ID: "a", URL: "https://i.example/b", Purpose: PurposeRevocation})
	wantCode(t, err, CodeExists)
	_, err = s.Create(ctx, ListConfig{ID: "b", URL: "https://i.example/a", Purpose: PurposeRevocation})
	wantCode(t, err, CodeExists)
	_, err = s.Allocate(ctx, "nope")
	wantCode(t, err, CodeNotFound)
	wantCode(t, s.Set(ctx, "a", 5), CodeNotAllocated)
	wantCode(t, s.Set(ctx, "a", -1), CodeRange)
	wantCode(t, s.Set(ctx, "a", 2*MinEntries), CodeRange)
	_, err = s.Entry("a", 7)
	wantCode(t, err, CodeNotAllocated)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.Allocate(cctx, "a")
	wantCode(t, err, CodeInternal)
}

func TestStoreAllocationFallbackAndFull(t *testing.T) {
	ctx := context.Background()
	// A "random" source that always draws the same index: the second
	// allocation must scan to the next free one.
	s, err := OpenStore(t.TempDir(), StoreOptions{Rand: bytes.NewReader(bytes.Repeat([]byte{0, 0, 0, 0, 0, 0, 0, 5}, 1000)), Now: newClock().now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, ListConfig{ID: "l", URL: "https://i.example/l", Purpose: PurposeRevocation}); err != nil {
		t.Fatal(err)
	}
	e1, _ := s.Allocate(ctx, "l")
	e2, err := s.Allocate(ctx, "l")
	if err != nil || e1.StatusListIndex != "5" || e2.StatusListIndex != "6" {
		t.Fatalf("%v %v %v", e1.StatusListIndex, e2.StatusListIndex, err)
	}
	s.lists["l"].nAlloc = MinEntries // pretend every index is taken
	_, err = s.Allocate(ctx, "l")
	wantCode(t, err, CodeListFull)
}

func TestCacheControl(t *testing.T) {
	now := newClock().t
	cases := []struct {
		ttl   time.Duration
		until time.Time
		want  string
	}{
		{0, time.Time{}, "no-cache"},
		{time.Minute, time.Time{}, "max-age=60"},
		{time.Hour, now.Add(90 * time.Second), "max-age=90"},
		{time.Hour, now.Add(-time.Second), "no-cache"},
	}
	for _, c := range cases {
		if got := cacheControl(c.ttl, c.until, now); got != c.want {
			t.Errorf("%v %v: %q, want %q", c.ttl, c.until, got, c.want)
		}
	}
}

func TestHandlerHead(t *testing.T) {
	is := newIssuerSetup(t, suite.Ed25519, FormatDataIntegrity)
	resp, err := is.srv.Client().Head(is.srv.URL + "/status/rev")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength <= 0 {
		t.Fatalf("HEAD: %d, %d body bytes, length %d", resp.StatusCode, len(body), resp.ContentLength)
	}
}
