package transfer

import (
	"bytes"
	"io"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/xborder/xborder/internal/suite"
)

// TestConstantMemory streams 256 MiB (intl) and 16 MiB (gm) through a
// Writer and a Reader joined by a pipe, and checks that the heap never
// grows by more than a few chunks and that the bytes allocated do not
// depend on the size.
func TestConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 256 MiB")
	}
	for _, c := range []struct {
		s    *suite.Suite
		size int64
	}{{suite.Intl, 256 << 20}, {suite.GM, 16 << 20}} {
		t.Run(c.s.Name(), func(t *testing.T) {
			p := newParty(t, c.s, "urn:uuid:memory")
			block := randomBytes(1<<20, 3)
			want := c.s.Hash()
			for left := c.size; left > 0; left -= int64(len(block)) {
				want.Write(block)
			}
			runtime.GC()
			samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
			metrics.Read(samples)
			base, alloc0 := samples[0].Value.Uint64(), samples[1].Value.Uint64()
			peak := base
			pr, pw := io.Pipe()
			go func() {
				w, err := NewWriter(pw, WriterConfig{Key: p.key, Signer: p.signer, Size: c.size})
				if err == nil {
					if _, err = w.ReadFrom(&patternReader{block: block, left: c.size}); err == nil {
						err = w.Close()
					}
				}
				pw.CloseWithError(err)
			}()
			r, err := NewReader(pr, p.readerConfig())
			if err != nil {
				t.Fatal(err)
			}
			probe := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			r.cfg.OnProgress = func(Progress) {
				metrics.Read(probe)
				peak = max(peak, probe[0].Value.Uint64())
			}
			n, err := r.WriteTo(io.Discard)
			if err != nil || n != c.size {
				t.Fatalf("read %d bytes: %v", n, err)
			}
			if !bytes.Equal(r.Receipt().Digest, want.Sum(nil)) {
				t.Fatal("digest differs")
			}
			metrics.Read(samples)
			allocated := samples[1].Value.Uint64() - alloc0
			grew := peak - base
			t.Logf("%d MiB streamed: heap grew by at most %.1f MiB, %.1f MiB allocated in all",
				c.size>>20, float64(grew)/(1<<20), float64(allocated)/(1<<20))
			if chunks := uint64(DefaultChunkSize); grew > 6*chunks || allocated > 6*chunks {
				t.Fatalf("heap grew by %d bytes and %d were allocated: more than a few chunks", grew, allocated)
			}
		})
	}
}

// TestAllocsPerChunk checks that a chunk through the Writer and the Reader
// allocates nothing once the stream is under way.
func TestAllocsPerChunk(t *testing.T) {
	const cs = 4 << 10
	for _, s := range suite.Suites() {
		t.Run(s.Name(), func(t *testing.T) {
			p := newParty(t, s, "urn:uuid:allocs")
			var pipe bytes.Buffer
			pipe.Grow(4 * cs)
			w, err := NewWriter(&pipe, WriterConfig{Key: p.key, Signer: p.signer, ChunkSize: cs})
			if err != nil {
				t.Fatal(err)
			}
			r, err := NewReader(&pipe, p.readerConfig())
			if err != nil {
				t.Fatal(err)
			}
			in, out := randomBytes(cs, 4), make([]byte, cs)
			step := func() {
				if _, err := w.Write(in); err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(r, out); err != nil {
					t.Fatal(err)
				}
			}
			w.Write(in) // the Writer keeps one chunk back until more data comes
			step()      // the header, and the Reader's buffer
			if n := testing.AllocsPerRun(100, step); n != 0 {
				t.Fatalf("%v allocations per chunk, want 0", n)
			}
		})
	}
}
