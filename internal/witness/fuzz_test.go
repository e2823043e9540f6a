package witness

import (
	"bytes"
	"testing"
)

// FuzzParseRequest checks that the add-checkpoint body parser never panics,
// keeps its bounds, and that what it accepts re-encodes to the same bytes.
// Seeds are in testdata/fuzz/FuzzParseRequest.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("old 0\n\nexample.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— example.com/log AAAA\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseRequest(body)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not *Error", err)
			}
			return
		}
		if len(r.Proof) > MaxProofLines {
			t.Fatalf("%d proof lines", len(r.Proof))
		}
		for _, h := range r.Proof {
			if len(h) != hashSize {
				t.Fatalf("proof hash of %d bytes", len(h))
			}
		}
		if len(r.Checkpoint) == 0 {
			t.Fatal("empty checkpoint accepted")
		}
		if got := r.Marshal(); !bytes.Equal(got, body) {
			t.Fatalf("round trip:\n%q\n%q", body, got)
		}
	})
}

// FuzzAddCheckpoint feeds bodies through the whole handler path of a
// witness that knows one log: no panics, only protocol statuses, and the
// stored size never decreases.
func FuzzAddCheckpoint(f *testing.F) {
	l := newMemLog(f, originA, 1).grow("a", 8)
	for _, r := range []*Request{l.request(f, 0, 0), l.request(f, 0, 3), l.request(f, 3, 8), l.request(f, 8, 8)} {
		f.Add(r.Marshal())
	}
	w := newTestWitness(f, f.TempDir(), testCosigner(f, "w", 7), fixedClock, l.known())
	h := w.Handler("")
	allowed := map[int]bool{200: true, 400: true, 403: true, 404: true, 409: true, 413: true, 422: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		before, _, _ := w.Latest(originA)
		r := post(h, "/add-checkpoint", body)
		if !allowed[r.status] {
			t.Fatalf("status %d: %q", r.status, r.body)
		}
		if after, _, _ := w.Latest(originA); after < before {
			t.Fatalf("size went from %d to %d", before, after)
		}
	})
}
