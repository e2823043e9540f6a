package catalog

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// TestList pages the catalog by identifier, forward and back, for
// requesters who see different parts of it: every visible entry once, in
// order, with the right "more"; a page continues after its last entry
// whatever is registered or withdrawn meanwhile.
func TestList(t *testing.T) {
	ctx := context.Background()
	c := newTestCatalog(t, openTestDB(t), Config{})
	var es []*Entry
	for i := range 30 {
		level := LevelPublic
		switch i % 3 {
		case 1:
			level = LevelInternal
		case 2:
			level = LevelSensitive // visible to its owner only (no checker)
		}
		es = append(es, entry(fmt.Sprintf("xb86/CN/list-test/p%02d", i), "数据", "data", level))
	}
	mustRegister(t, c, es...)
	ids := func(ls []Listed) []string {
		var out []string
		for _, l := range ls {
			out = append(out, l.ID)
		}
		return out
	}
	want := func(keep func(i int) bool) []string {
		var out []string
		for i := range 30 {
			if keep(i) {
				out = append(out, fmt.Sprintf("xb86/CN/list-test/p%02d", i))
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		r    Requester
		want []string
	}{
		{"anonymous", Requester{}, want(func(i int) bool { return i%3 == 0 })},
		{"participant", Requester{DID: "did:web:x.example"}, want(func(i int) bool { return i%3 != 2 })},
		{"owner", Requester{DID: "did:web:owner.example"}, want(func(int) bool { return true })},
		{"operator", Operator(), want(func(int) bool { return true })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			req := ListRequest{Limit: 4}
			for range 20 {
				page, more, err := c.List(ctx, tc.r, req)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ids(page)...)
				if !more {
					break
				}
				req.After = page[len(page)-1].ID
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("forward %v\nwant %v", got, tc.want)
			}
			// Back from the end.
			var back []string
			req = ListRequest{Limit: 4, Before: "xb86/CN/list-test/zz"}
			for range 20 {
				page, more, err := c.List(ctx, tc.r, req)
				if err != nil {
					t.Fatal(err)
				}
				back = append(ids(page), back...)
				if !more {
					break
				}
				req.Before = page[0].ID
			}
			if !slices.Equal(back, tc.want) {
				t.Fatalf("backward %v\nwant %v", back, tc.want)
			}
		})
	}
	// Keyset: withdraw the entry after the cursor, register one before it
	// and one after: the next page starts right after the cursor.
	if err := c.Withdraw(ctx, "xb86/CN/list-test/p04"); err != nil {
		t.Fatal(err)
	}
	mustRegister(t, c, entry("xb86/CN/list-test/p00a", "数据", "data", LevelPublic), entry("xb86/CN/list-test/p04a", "数据", "data", LevelPublic))
	page, _, err := c.List(ctx, Operator(), ListRequest{After: "xb86/CN/list-test/p03", Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(page); !slices.Equal(got, []string{"xb86/CN/list-test/p04a", "xb86/CN/list-test/p05", "xb86/CN/list-test/p06"}) || page[0].Revision != 1 {
		t.Errorf("after changes: %v %+v", got, page)
	}
	if _, _, err := c.List(ctx, Operator(), ListRequest{After: "a", Before: "b"}); !IsInputError(err) {
		t.Errorf("after and before: %v", err)
	}
	if _, _, err := c.List(ctx, Operator(), ListRequest{Limit: MaxListLimit + 1}); !IsInputError(err) {
		t.Errorf("limit: %v", err)
	}
}

// TestEntries reads a listed page in one go: the entries of the listed
// revisions the requester may see, and nothing withdrawn or changed since.
func TestEntries(t *testing.T) {
	ctx := context.Background()
	c := newTestCatalog(t, openTestDB(t), Config{})
	mustRegister(t, c, entry("xb86/CN/entries/a", "数据", "A", LevelPublic), entry("xb86/CN/entries/b", "数据", "B", LevelPublic),
		entry("xb86/CN/entries/c", "数据", "C", LevelSensitive), entry("xb86/CN/entries/d", "数据", "D", LevelPublic))
	r := Requester{DID: "did:web:x.example"}
	page, _, err := c.List(ctx, Operator(), ListRequest{Limit: 10})
	if err != nil || len(page) != 4 {
		t.Fatalf("%v %v", page, err)
	}
	if err := c.Withdraw(ctx, "xb86/CN/entries/b"); err != nil {
		t.Fatal(err)
	}
	e := entry("xb86/CN/entries/d", "数据", "D2", LevelPublic)
	if _, err := c.Register(ctx, e, RegisterOptions{Replace: true}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Entries(ctx, r, page)
	if err != nil {
		t.Fatal(err)
	}
	// b is withdrawn, c hidden from r, d of another revision: only a.
	if len(got) != 1 || got["xb86/CN/entries/a"] == nil || got["xb86/CN/entries/a"].Title["en"] != "A" {
		t.Fatalf("entries %v", got)
	}
	if got, err := c.Entries(ctx, Operator(), page[2:3]); err != nil || got["xb86/CN/entries/c"] == nil {
		t.Fatalf("the operator's entries %v %v", got, err)
	}
}
