package secagg

import (
	"bytes"
	"testing"
)

// FuzzDecodeMessage: any input either is refused or decodes to a message
// that encodes back to exactly the same bytes (one wire form per message),
// and an inbox never panics on it. Seeds: testdata/fuzz/FuzzDecodeMessage.
func FuzzDecodeMessage(f *testing.F) {
	f.Add((&Message{Round: roundShares, From: 1, To: 0, Session: SessionID{7}, Elems: []u128{{1, 2}, {3, 4}}}).Encode())
	f.Add((&Message{Round: roundValues, From: 2, To: 1}).Encode())
	f.Add([]byte("XBSA"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			return
		}
		if !bytes.Equal(m.Encode(), b) {
			t.Fatalf("re-encoding differs")
		}
		box := newInbox(m.Session, int(m.To), 3)
		if _, err := box.accept(b); err == nil {
			if _, err := box.accept(b); err == nil {
				t.Fatal("replay accepted")
			}
		}
	})
}
