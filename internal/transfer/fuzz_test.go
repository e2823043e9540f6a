package transfer

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/xborder/xborder/internal/suite"
)

// fuzzParty has fixed keys, so that the committed seed streams under
// testdata/fuzz stay valid: the consumer's X25519 key and the provider's
// Ed25519 key are constants (the provider's ephemeral key, in each
// header, may be anything).
func fuzzParty(t testing.TB) *party {
	t.Helper()
	b := Binding{Suite: suite.Intl, TransferID: "urn:uuid:fuzz", AgreementID: "urn:uuid:fuzz-agreement",
		ProviderDID: "did:web:p.example", ConsumerDID: "did:web:c.example"}
	ck, err := suite.X25519().NewPrivateKey(bytes.Repeat([]byte{0x42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := suite.NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x24}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKey(b, ck.PublicBytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return &party{b: b, consumer: ck, key: k, signer: signer}
}

// fuzzSeeds are valid streams: sizes around the chunk size of 16 bytes,
// declared or not, and a resumed stream.
func fuzzSeeds(t testing.TB) map[string][]byte {
	p := fuzzParty(t)
	seeds := map[string][]byte{}
	for _, n := range []int{0, 1, 16, 40} {
		for _, declare := range []bool{false, true} {
			seeds[fmt.Sprintf("stream-%d-%v", n, declare)] = p.seal(t, randomBytes(n, uint64(n)), MinChunkSize, declare)
		}
	}
	return seeds
}

// TestWriteFuzzSeeds rewrites the committed seeds when
// XBORDER_WRITE_FUZZ_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("XBORDER_WRITE_FUZZ_SEEDS") != "1" {
		t.Skip("set XBORDER_WRITE_FUZZ_SEEDS=1 to rewrite testdata/fuzz")
	}
	for name, s := range fuzzSeeds(t) {
		for _, target := range []string{"FuzzReader", "FuzzReadHeader"} {
			dir := filepath.Join("testdata", "fuzz", target)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			data := s
			if target == "FuzzReadHeader" {
				if name != "stream-0-false" && name != "stream-40-true" {
					continue
				}
				hdr := splitStream(t, s)[0]
				data = joinStream([]record{hdr})
			}
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// FuzzReader feeds arbitrary bytes to a Reader: it must not panic, must
// never release more plaintext than the input could hold, and may succeed
// only with plaintext whose digest is the signed one.
func FuzzReader(f *testing.F) {
	p := fuzzParty(f)
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), p.readerConfig())
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if len(got) > len(data) {
			t.Fatalf("%d bytes of plaintext from %d of input", len(got), len(data))
		}
		if err != nil {
			if r.Receipt() != nil {
				t.Fatal("receipt despite an error")
			}
			return
		}
		rc := r.Receipt()
		if rc == nil || !bytes.Equal(rc.Digest, suite.Intl.Sum(got)) || rc.Size != int64(len(got)) {
			t.Fatal("accepted a stream whose receipt does not match the plaintext")
		}
		if err := rc.Verify(p.signer.Public()); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzReadHeader checks that the header parser does not panic, reads no
// more than the header, and that a header it accepts re-encodes to the
// same bytes.
func FuzzReadHeader(f *testing.F) {
	for name, s := range fuzzSeeds(f) {
		if name == "stream-40-true" {
			f.Add(s)
		}
	}
	f.Add([]byte("XBTS\x01H\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bytes.NewReader(data)
		h, err := ReadHeader(br)
		if err != nil {
			return
		}
		used := len(data) - br.Len()
		body, err := h.marshalUnsigned()
		if err != nil {
			t.Fatal(err)
		}
		body = append(body, h.Signature...)
		if !bytes.Equal(body, data[preludeSize+recordHdrSize:used]) {
			t.Fatalf("header re-encodes differently:\n%x\n%x", body, data[preludeSize+recordHdrSize:used])
		}
	})
}
