package transfer

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/xborder/xborder/internal/suite"
)

// BenchResult is one measured run of Bench.
type BenchResult struct {
	Name      string
	Bytes     int64
	Elapsed   time.Duration
	CPU       time.Duration // process CPU time during the run (0 where not measured)
	PeakHeap  uint64        // highest heap (live and unswept objects) sampled during the run
	Allocated uint64        // bytes allocated during the run
}

// MBps is the throughput in 10^6 bytes per second.
func (r BenchResult) MBps() float64 { return float64(r.Bytes) / r.Elapsed.Seconds() / 1e6 }

// Bench measures, on loopback in this process, an HTTPS (TLS 1.3,
// net/http) GET of size synthetic bytes ("raw"), then the encrypted,
// chunked pull of the same bytes over the same kind of server ("ours"),
// for suite "intl" (AES-256-GCM, SHA-256, Ed25519), "gm" (SM4-GCM, SM3,
// SM2) or "all". Each suite's run is paired with a raw run just before it.
// It writes a table of MB/s, the ratio ours/raw, CPU seconds per GB,
// peak heap and bytes allocated to out, and returns the results.
//
// Both sides run in this process and share its CPUs, so the figures are
// the cost of both ends together.
func Bench(ctx context.Context, size int64, suiteName string, out io.Writer) ([]BenchResult, error) {
	return BenchWith(ctx, size, suiteName, BenchOptions{}, out)
}

// BenchOptions shape the bytes of a Bench run and what the provider does
// to them before encrypting.
type BenchOptions struct {
	// Header is sent once, then Block repeated up to the size (default:
	// 1 MiB of random bytes). A CSV header and a block of whole rows make a
	// table.
	Header, Block []byte
	// Wrap, when set, transforms the plaintext on the provider's side
	// before encryption (masking, say); the run is named with Label. Sizes
	// and MB/s count the bytes before Wrap, the work the provider does.
	Wrap  func(ctx context.Context, r io.Reader) io.ReadCloser
	Label string
}

// BenchWith is Bench with options.
func BenchWith(ctx context.Context, size int64, suiteName string, o BenchOptions, out io.Writer) ([]BenchResult, error) {
	if size < 0 {
		return nil, errors.New("transfer: bench: negative size")
	}
	var suites []*suite.Suite
	if suiteName == "all" || suiteName == "" {
		suites = suite.Suites()
	} else {
		s, err := suite.ByName(suiteName)
		if err != nil {
			return nil, err
		}
		suites = []*suite.Suite{s}
	}
	b, err := newBenchEnv(size, o)
	if err != nil {
		return nil, err
	}
	defer b.close()

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(out, "transfer bench: %d bytes per run, loopback HTTPS (TLS 1.3, net/http, HTTP/1.1), chunk %d bytes, GOMAXPROCS %d\n",
		size, DefaultChunkSize, runtime.GOMAXPROCS(0))
	fmt.Fprintln(tw, "run\tMB/s\tours/raw\tCPU s/GB\tpeak heap\tallocated\t")
	var results []BenchResult
	for _, s := range suites {
		raw, err := b.measure(ctx, "raw TLS", b.pullRaw)
		if err != nil {
			return results, err
		}
		name := s.Name() + " (" + s.AEADName() + ")"
		if o.Label != "" {
			name += " " + o.Label
		}
		ours, err := b.measure(ctx, name, func(ctx context.Context) error { return b.pullOurs(ctx, s) })
		if err != nil {
			return results, err
		}
		results = append(results, raw, ours)
		for _, r := range []BenchResult{raw, ours} {
			ratio := "-"
			if r.Name != "raw TLS" {
				ratio = fmt.Sprintf("%.1f %%", 100*r.MBps()/raw.MBps())
			}
			cpu := "-"
			if r.CPU > 0 && r.Bytes > 0 {
				cpu = strconv.FormatFloat(r.CPU.Seconds()/(float64(r.Bytes)/1e9), 'f', 2, 64)
			}
			fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t%s\t\n", r.Name, r.MBps(), ratio, cpu, mib(r.PeakHeap), mib(r.Allocated))
		}
	}
	return results, tw.Flush()
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

type benchEnv struct {
	size   int64
	header []byte
	block  []byte
	wrap   func(ctx context.Context, r io.Reader) io.ReadCloser
	srv    *httptest.Server
	client *http.Client
	mu     sync.Mutex
	n      int
}

func newBenchEnv(size int64, o BenchOptions) (*benchEnv, error) {
	b := &benchEnv{size: size, header: o.Header, block: o.Block, wrap: o.Wrap}
	if len(b.block) == 0 {
		b.block = make([]byte, 1<<20)
		rand.NewChaCha8([32]byte{'x', 'b'}).Read(b.block)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /raw", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		src, _ := b.plain(0)
		io.Copy(w, src)
	})
	b.srv = httptest.NewUnstartedServer(mux)
	b.srv.TLS = &tls.Config{MinVersion: tls.VersionTLS13}
	b.srv.StartTLS()
	b.client = b.srv.Client()
	return b, nil
}

func (b *benchEnv) close() { b.srv.Close() }

// plain yields the synthetic bytes from off: the header, then the block
// repeated.
func (b *benchEnv) plain(off int64) (io.Reader, error) {
	h := int64(len(b.header))
	if h > b.size {
		return nil, errors.New("transfer: bench: the header is longer than the size")
	}
	body := &patternReader{block: b.block, off: max(off-h, 0), left: b.size - h - max(off-h, 0)}
	if off < h {
		return io.MultiReader(bytes.NewReader(b.header[off:]), body), nil
	}
	return body, nil
}

// source is the provider's plaintext: the synthetic bytes, through the
// wrapper when there is one.
func (b *benchEnv) source(ctx context.Context, off int64) (io.ReadCloser, error) {
	if b.wrap == nil {
		r, err := b.plain(off)
		return io.NopCloser(r), err
	}
	r, err := b.plain(0)
	if err != nil {
		return nil, err
	}
	w := b.wrap(ctx, r)
	if _, err := io.CopyN(io.Discard, w, off); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

type patternReader struct {
	block     []byte
	off, left int64
}

func (p *patternReader) Read(buf []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	i := int(p.off % int64(len(p.block)))
	n := copy(buf[:min(int64(len(buf)), p.left)], p.block[i:])
	p.off += int64(n)
	p.left -= int64(n)
	return n, nil
}

func (b *benchEnv) pullRaw(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.srv.URL+"/raw", nil)
	if err != nil {
		return err
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 {
		return errors.New("transfer: bench: not TLS 1.3")
	}
	buf := make([]byte, 1<<20)
	var n int64
	for {
		m, err := resp.Body.Read(buf)
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if n != b.size {
		return fmt.Errorf("transfer: bench: raw read %d bytes, want %d", n, b.size)
	}
	return nil
}

func (b *benchEnv) pullOurs(ctx context.Context, s *suite.Suite) error {
	b.mu.Lock()
	b.n++
	id := fmt.Sprintf("urn:uuid:bench-%d", b.n)
	b.mu.Unlock()
	signer, err := suite.Generate(s.SigAlgs()[0], nil)
	if err != nil {
		return err
	}
	bind := Binding{Suite: s, TransferID: id, AgreementID: "urn:uuid:bench-agreement",
		ProviderDID: "did:web:provider.bench", ConsumerDID: "did:web:consumer.bench"}
	ck, err := NewConsumerKey(s, nil)
	if err != nil {
		return err
	}
	prov, err := NewProvider(ProviderConfig{DID: bind.ProviderDID, Signers: []suite.Signer{signer},
		BaseURL: b.srv.URL + "/" + id})
	if err != nil {
		return err
	}
	b.srv.Config.Handler.(*http.ServeMux).Handle("/"+id+"/", http.StripPrefix("/"+id, prov.Handler()))
	declared := b.size
	if b.wrap != nil {
		declared = 0 // the wrapped size is known at the end only
	}
	addr, err := prov.Register(Transfer{Binding: bind, ConsumerKey: ck.PublicBytes(), Source: b.source, Size: declared})
	if err != nil {
		return err
	}
	pl, err := NewPuller(PullConfig{Address: addr, Client: b.client,
		Reader: ReaderConfig{Binding: bind, Key: ck, ProviderKey: signer.Public()}})
	if err != nil {
		return err
	}
	rc, err := pl.Pull(ctx, io.Discard)
	if err != nil {
		return err
	}
	if b.wrap == nil && rc.Size != b.size {
		return fmt.Errorf("transfer: bench: received %d bytes, want %d", rc.Size, b.size)
	}
	return prov.Complete(id)
}

// measure runs f once, sampling the heap every 2 ms.
func (b *benchEnv) measure(ctx context.Context, name string, f func(context.Context) error) (BenchResult, error) {
	runtime.GC()
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(samples)
	alloc0 := samples[1].Value.Uint64()
	peak := samples[0].Value.Uint64()
	stop := make(chan struct{})
	sampled := make(chan uint64)
	go func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		p := peak
		for {
			select {
			case <-stop:
				sampled <- p
				return
			case <-t.C:
				metrics.Read(s)
				p = max(p, s[0].Value.Uint64())
			}
		}
	}()
	cpu0, t0 := processCPU(), time.Now()
	err := f(ctx)
	elapsed, cpu := time.Since(t0), processCPU()-cpu0
	close(stop)
	peak = <-sampled
	metrics.Read(samples)
	if err != nil {
		return BenchResult{}, fmt.Errorf("transfer: bench %s: %w", name, err)
	}
	return BenchResult{Name: name, Bytes: b.size, Elapsed: elapsed, CPU: cpu, PeakHeap: peak,
		Allocated: samples[1].Value.Uint64() - alloc0}, nil
}
