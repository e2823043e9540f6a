package witness

import (
	"net/http"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// BenchmarkAddCheckpoint measures cosignatures per second through the
// in-process HTTP handler, each request advancing the log by one entry with
// a consistency proof (verify, sign, fsync'd state write).
func BenchmarkAddCheckpoint(b *testing.B) {
	l := newMemLog(b, originA, 1).grow("a", b.N+1)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = l.request(b, uint64(i+1), uint64(i+2)).Marshal()
	}
	w := newTestWitness(b, b.TempDir(), testCosigner(b, "w", 7), fixedClock, l.known())
	h := w.Handler("")
	if r := post(h, "/add-checkpoint", l.request(b, 0, 1).Marshal()); r.status != http.StatusOK {
		b.Fatal(r)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := post(h, "/add-checkpoint", bodies[i]); r.status != http.StatusOK {
			b.Fatal(r)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cosigs/s")
}

// BenchmarkAddCheckpointRefused measures a request refused before any disk
// write (old-size mismatch, 409): the cost of parsing and the log signature.
func BenchmarkAddCheckpointRefused(b *testing.B) {
	l := newMemLog(b, originA, 1).grow("a", 8)
	w := newTestWitness(b, b.TempDir(), testCosigner(b, "w", 7), fixedClock, l.known())
	h := w.Handler("")
	if r := post(h, "/add-checkpoint", l.request(b, 0, 8).Marshal()); r.status != http.StatusOK {
		b.Fatal(r)
	}
	body := l.request(b, 4, 8).Marshal()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := post(h, "/add-checkpoint", body); r.status != http.StatusConflict {
			b.Fatal(r)
		}
	}
}

// BenchmarkVerifyCosignatures verifies a checkpoint with a log signature and
// three cosignatures against a 2-of-3 policy.
func BenchmarkVerifyCosignatures(b *testing.B) {
	l := newMemLog(b, originA, 1).grow("a", 5)
	w1, w2, w3 := testCosigner(b, "w1.example", 21), testCosigner(b, "w2.example", 22), testCosigner(b, "w3.example", 23)
	cp := cosigned(b, l, 5, w1, w2, w3)
	ws := []note.Verifier{w1.Verifier(), w2.Verifier(), w3.Verifier()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VerifyCosignatures(cp, l.verifier, ws, 2); err != nil {
			b.Fatal(err)
		}
	}
}
