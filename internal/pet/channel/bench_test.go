package channel

import (
	"context"
	"fmt"
	"testing"

	"github.com/xborder/xborder/internal/suite"
)

// BenchmarkHandshake measures Dial (one HTTP round trip on loopback, two
// signatures, two verifications, two ECDH) per suite.
//
//	go test -run '^$' -bench . -benchtime 2s ./internal/pet/channel/
func BenchmarkHandshake(b *testing.B) {
	for _, st := range suite.Suites() {
		b.Run(st.Name(), func(b *testing.B) {
			f := newFixture(b, st, sigAlg(st), nil, ServerOptions{MaxSessions: 1 << 20})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				s, err := Dial(ctx, f.client, nil, f.base, f.server.DID, "agreement-1")
				if err != nil {
					b.Fatal(err)
				}
				s.wipeKeys() // no DELETE: measure the handshake alone
			}
		})
	}
}

// BenchmarkCall measures calls on one session: small payloads (calls/s)
// and 1 MiB ones (MB/s), with per-message signatures on and off.
func BenchmarkCall(b *testing.B) {
	for _, st := range suite.Suites() {
		for _, unsigned := range []bool{false, true} {
			for _, size := range []int{64, 1 << 20} {
				mode := "signed"
				if unsigned {
					mode = "unsigned"
				}
				b.Run(fmt.Sprintf("%s/%s/%dB", st.Name(), mode, size), func(b *testing.B) {
					nop := func(context.Context, Peer, string, []byte, *Receipt) ([]byte, error) { return []byte("ok"), nil }
					f := newFixture(b, st, sigAlg(st), nop, ServerOptions{AllowUnsigned: true, MaxMessages: 1 << 40})
					f.client.UnsignedMessages = unsigned
					f.client.Keys = suite.NewVerifierCache(4)
					s := f.dial(b)
					payload := make([]byte, size)
					ctx := context.Background()
					b.SetBytes(int64(size))
					b.ReportAllocs()
					for b.Loop() {
						if _, _, err := s.Call(ctx, "op", payload); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
