package vcapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/vc"
)

// BenchmarkVerifyLoopback measures POST /credentials/verify over real HTTP
// on loopback (keep-alive connections, GOMAXPROCS parallel clients) and
// reports requests per second.
func BenchmarkVerifyLoopback(b *testing.B) {
	f := newFixture(b)
	cases := []struct {
		name   string
		issuer string
		opts   map[string]any
	}{
		{"eddsa-rdfc-2022", f.ed.did, nil},
		{"ecdsa-rdfc-2019", f.p256.did, nil},
		{"xborder-sm2-rdfc-2025", f.sm2.did, nil},
		{"vc+jwt-Ed25519", f.ed.did, map[string]any{"type": "vc+jwt"}},
		{"vc+jwt-P256", f.p256.did, map[string]any{"type": "vc+jwt"}},
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	for _, c := range cases {
		body, err := json.Marshal(map[string]any{"verifiableCredential": f.issue(f.credential(c.issuer), c.opts)})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Post(f.srv.URL+"/credentials/verify", "application/json", bytes.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}

// BenchmarkIssueLoopback measures POST /credentials/issue over loopback.
func BenchmarkIssueLoopback(b *testing.B) {
	f := newFixture(b)
	for _, c := range []struct {
		name string
		opts map[string]any
	}{{vc.EdDSARDFC2022, nil}, {"vc+jwt", map[string]any{"type": "vc+jwt"}}} {
		body, _ := json.Marshal(map[string]any{"credential": f.credential(f.ed.did), "options": c.opts})
		b.Run(c.name, func(b *testing.B) {
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := f.client.Post(f.srv.URL+"/credentials/issue", "application/json", bytes.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}
