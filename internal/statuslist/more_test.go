package statuslist

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
)

func TestCheckStatusSize2Message(t *testing.T) {
	ctx := context.Background()
	is := newIssuerSetup(t, suite.Ed25519, FormatDataIntegrity)
	url := is.srv.URL + "/status/msg"
	bits, _ := NewBitstring(2 * MinEntries)
	bits.Set(5*2, true) // entry 5 = 0b10
	enc, _ := bits.Encode()
	body := signList(t, is, is.key, CredentialParams{URL: url, Issuer: is.key.did, Purpose: PurposeMessage, Encoded: enc, ValidFrom: is.clock.t.Add(-time.Minute)})
	c, _ := NewChecker(CheckerOptions{Fetcher: staticFetcher(body), Processor: is.proc, Resolver: identity.NewResolver(identity.ResolverOptions{}), Now: is.clock.now})
	e := NewEntry(url, PurposeMessage, 5)
	e.StatusSize = 2
	e.StatusMessage = []StatusMessage{{"0x0", "pending_review"}, {"0x1", "accepted"}, {"0x2", "rejected"}, {"0x3", "undefined"}}
	m := e.Map()
	if m["statusSize"] != 2 || len(m["statusMessage"].([]any)) != 4 {
		t.Fatalf("Map: %v", m)
	}
	sts, err := c.Check(ctx, is.credential(e))
	if err != nil {
		t.Fatal(err)
	}
	if sts[0].Value != 2 || !sts[0].Set || sts[0].Message != "rejected" {
		t.Fatalf("%+v", sts[0])
	}
	// With statusSize 2 the same bits hold only 131,072 entries.
	e.StatusListIndex = "131072"
	_, err = c.Check(ctx, is.credential(e))
	wantCode(t, err, CodeStatusInvalid)
}

func TestCheckerCacheBound(t *testing.T) {
	ctx := context.Background()
	is := newIssuerSetup(t, suite.Ed25519, FormatDataIntegrity)
	rev, _ := is.store.Allocate(ctx, "rev")
	sus, _ := is.store.Allocate(ctx, "sus")
	c, err := NewChecker(CheckerOptions{Fetcher: &HTTPFetcher{Client: is.srv.Client(), AllowHTTP: true}, Processor: is.proc,
		Resolver: identity.NewResolver(identity.ResolverOptions{}), Now: is.clock.now, MaxCacheEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := c.Check(ctx, is.credential(rev, sus)); err != nil {
			t.Fatal(err)
		}
	}
	c.mu.Lock()
	n := len(c.cache)
	c.mu.Unlock()
	if n != 1 || is.fetches.Load() != 4 {
		t.Fatalf("%d cached, %d fetches", n, is.fetches.Load())
	}
	_, err = NewChecker(CheckerOptions{})
	wantCode(t, err, CodeInvalidArgument)
}

func TestStoreListsAndCorruptFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, _ := OpenStore(dir, StoreOptions{Now: newClock().now})
	for _, id := range []string{"b", "a"} {
		if _, err := s.Create(ctx, ListConfig{ID: id, URL: "https://i.example/" + id, Purpose: PurposeSuspension}); err != nil {
			t.Fatal(err)
		}
	}
	if l := s.Lists(); len(l) != 2 || l[0].ID != "a" || l[1].ID != "b" {
		t.Fatalf("%+v", l)
	}
	for name, content := range map[string]string{
		"b.json": `{"format":"xborder-statuslist/1","id":"b"`,
		"c.json": `{"format":"xborder-statuslist/1","id":"a","purpose":"suspension"}`,
	} {
		d := t.TempDir()
		os.MkdirAll(filepath.Join(d, "lists"), 0o700)
		os.WriteFile(filepath.Join(d, "lists", name), []byte(content), 0o600)
		_, err := OpenStore(d, StoreOptions{})
		wantCode(t, err, CodeInternal)
	}
}

func TestErrors(t *testing.T) {
	cause := errors.New("boom")
	err := error(&Error{Code: CodeRevoked, Msg: "index 5", Err: cause})
	if !errors.Is(err, &Error{Code: CodeRevoked}) || errors.Is(err, &Error{Code: CodeSuspended}) || !errors.Is(err, cause) {
		t.Fatal("errors.Is")
	}
	if err.Error() != "revoked: index 5: boom" || CodeOf(nil) != "" || CodeOf(cause) != CodeInternal {
		t.Fatal(err)
	}
}
