package transfer

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/suite"
)

func TestRoundTrip(t *testing.T) {
	const cs = 64
	for _, s := range suite.Suites() {
		p := newParty(t, s, "urn:uuid:transfer-1")
		for _, n := range []int{0, 1, cs - 1, cs, cs + 1, 3 * cs, 10*cs + 7} {
			for _, declare := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%d/declared=%v", s, n, declare), func(t *testing.T) {
					pt := randomBytes(n, uint64(n))
					stream := p.seal(t, pt, cs, declare)
					got, r, err := p.open(stream)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, pt) {
						t.Fatalf("plaintext differs")
					}
					rc := r.Receipt()
					if rc == nil || rc.Size != int64(n) || rc.Chunks != chunkCount(int64(n), cs) {
						t.Fatalf("receipt %+v", rc)
					}
					if err := rc.Verify(p.signer.Public()); err != nil {
						t.Fatal(err)
					}
					if want := s.Sum(pt); !bytes.Equal(rc.Digest, want) {
						t.Fatalf("digest %x, want %x", rc.Digest, want)
					}
					if declare {
						hdr := r.Header()
						body, _ := hdr.marshalUnsigned()
						if got, want := int64(len(stream)), streamLength(len(body)+sigSize, cs, int64(n), 0); got != want {
							t.Fatalf("stream of %d bytes, streamLength says %d", got, want)
						}
					}
				})
			}
		}
	}
}

func TestKeyDerivation(t *testing.T) {
	for _, s := range suite.Suites() {
		t.Run(s.Name(), func(t *testing.T) {
			p := newParty(t, s, "urn:uuid:transfer-1")
			// The consumer derives the provider's key.
			k, err := consumerTransferKey(p.b, p.consumer, p.key.ProviderPublic())
			if err != nil || !bytes.Equal(k, p.key.secret) || len(k) != s.AEADKeySize() {
				t.Fatalf("consumer key differs: %v", err)
			}
			// The documented info string, built by hand.
			z, _ := p.consumer.Agree(p.key.ProviderPublic())
			lp := func(b []byte) []byte { return append([]byte{byte(len(b) >> 8), byte(len(b))}, b...) }
			info := []byte("xborder transfer v1 key\x00")
			info = append(info, map[string]byte{"intl": 1, "gm": 2}[s.Name()], map[string]byte{"intl": 1, "gm": 3}[s.Name()])
			for _, f := range []string{p.b.TransferID, p.b.AgreementID, p.b.ProviderDID, p.b.ConsumerDID} {
				info = append(info, lp([]byte(f))...)
			}
			info = append(append(info, lp(p.consumer.PublicBytes())...), lp(p.key.ProviderPublic())...)
			want, _ := s.KDF(z, nil, string(info), s.AEADKeySize())
			if !bytes.Equal(want, p.key.secret) {
				t.Fatal("the key is not the documented derivation")
			}
			// Every bound field changes the key.
			for _, mut := range []func(*Binding){
				func(b *Binding) { b.TransferID += "x" }, func(b *Binding) { b.AgreementID += "x" },
				func(b *Binding) { b.ProviderDID += "x" }, func(b *Binding) { b.ConsumerDID += "x" },
			} {
				b := p.b
				mut(&b)
				if k, _ := consumerTransferKey(b, p.consumer, p.key.ProviderPublic()); bytes.Equal(k, p.key.secret) {
					t.Fatal("a binding field does not enter the key")
				}
			}
			// A fresh key for every transfer, even with the same inputs.
			k2, _ := NewKey(p.b, p.consumer.PublicBytes(), nil)
			if bytes.Equal(k2.secret, p.key.secret) {
				t.Fatal("two keys for the same inputs are equal")
			}
		})
	}
}

func TestKeyNeverPrinted(t *testing.T) {
	p := newParty(t, suite.Intl, "urn:uuid:transfer-1")
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", slog.Any("key", p.key))
	out := fmt.Sprintf("%v %+v %#v %s %x %X %q", p.key, p.key, p.key, p.key, p.key, p.key, p.key) + logged.String()
	for _, enc := range []string{hex.EncodeToString(p.key.secret), strings.ToUpper(hex.EncodeToString(p.key.secret)),
		string(p.key.secret), base64.StdEncoding.EncodeToString(p.key.secret), fmt.Sprint(p.key.secret)} {
		if strings.Contains(out, enc) {
			t.Fatalf("key material printed: %s", out)
		}
	}
	if !strings.Contains(out, "redacted") {
		t.Fatalf("unexpected output %s", out)
	}
}

func TestFuzzSeedsAreValid(t *testing.T) {
	p := fuzzParty(t)
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzReader", "*"))
	if len(files) == 0 {
		t.Fatal("no committed seeds")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		q := strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")")
		data, err := strconv.Unquote(q)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, _, err := p.open([]byte(data)); err != nil {
			t.Fatalf("%s is not a valid stream: %v", f, err)
		}
	}
}
