package transfer

import (
	"context"
	"flag"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/suite"
)

var benchSize = flag.Int64("transfer.benchsize", 256<<20, "bytes per run of BenchmarkPull")

// BenchmarkPull runs Bench: raw HTTPS beside the encrypted pull, for both
// suites, and prints its table.
//
//	go test -run '^$' -bench Pull -benchtime 1x ./internal/transfer -transfer.benchsize 1073741824
func BenchmarkPull(b *testing.B) {
	for b.Loop() {
		res, err := Bench(context.Background(), *benchSize, "all", os.Stdout)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i+1 < len(res); i += 2 {
			name := strings.Fields(res[i+1].Name)[0]
			b.ReportMetric(res[i].MBps(), "raw-before-"+name+"-MB/s")
			b.ReportMetric(res[i+1].MBps(), name+"-MB/s")
		}
	}
}

// BenchmarkComponents measures the per-byte costs that the stream adds to
// a TLS transfer, one core each: sealing and opening a 1 MiB chunk, and
// the digest.
func BenchmarkComponents(b *testing.B) {
	pt := randomBytes(DefaultChunkSize, 1)
	buf := make([]byte, 0, DefaultChunkSize+tagSize)
	var nonce [nonceSize]byte
	for _, s := range suite.Suites() {
		a, err := streamAEAD(s, make([]byte, s.AEADKeySize()), make([]byte, saltSize))
		if err != nil {
			b.Fatal(err)
		}
		aad := newChunkAAD("urn:uuid:bench").set(1, false)
		b.Run(s.Name()+"/seal-"+s.AEADName(), func(b *testing.B) {
			b.SetBytes(int64(len(pt)))
			for b.Loop() {
				a.Seal(buf[:0], chunkNonce(&nonce, 1), pt, aad)
			}
		})
		ct := a.Seal(nil, chunkNonce(&nonce, 1), pt, aad)
		b.Run(s.Name()+"/open-"+s.AEADName(), func(b *testing.B) {
			b.SetBytes(int64(len(pt)))
			for b.Loop() {
				if _, err := a.Open(buf[:0], chunkNonce(&nonce, 1), ct, aad); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(s.Name()+"/digest-"+s.HashName(), func(b *testing.B) {
			h := s.Hash()
			b.SetBytes(int64(len(pt)))
			for b.Loop() {
				h.Write(pt)
			}
		})
	}
}

// BenchmarkStream is the stream alone, Writer to Reader in memory.
func BenchmarkStream(b *testing.B) {
	const size = 64 << 20
	for _, s := range suite.Suites() {
		b.Run(s.Name(), func(b *testing.B) {
			p := newParty(b, s, "urn:uuid:bench")
			b.SetBytes(size)
			for b.Loop() {
				pr, pw := io.Pipe()
				go func() {
					w, err := NewWriter(pw, WriterConfig{Key: p.key, Signer: p.signer, Size: size})
					if err == nil {
						if _, err = w.ReadFrom(&patternReader{block: randomBytes(1<<20, 2), left: size}); err == nil {
							err = w.Close()
						}
					}
					pw.CloseWithError(err)
				}()
				r, _ := NewReader(pr, p.readerConfig())
				if _, err := r.WriteTo(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
