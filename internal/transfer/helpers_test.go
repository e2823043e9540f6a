package transfer

import (
	"bytes"
	"crypto/ed25519"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/xborder/xborder/internal/suite"
)

// party is one transfer's key material on both sides.
type party struct {
	b        Binding
	consumer suite.AgreementKey
	key      *Key
	signer   suite.Signer
}

func newParty(t testing.TB, s *suite.Suite, transferID string) *party {
	t.Helper()
	b := Binding{Suite: s, TransferID: transferID, AgreementID: "urn:uuid:agreement-1",
		ProviderDID: "did:web:provider.example", ConsumerDID: "did:web:consumer.example"}
	ck, err := NewConsumerKey(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKey(b, ck.PublicBytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return &party{b: b, consumer: ck, key: k, signer: testSigner(t, s)}
}

func testSigner(t testing.TB, s *suite.Suite) suite.Signer {
	t.Helper()
	var sg suite.Signer
	var err error
	if s == suite.Intl {
		sg, err = suite.NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)))
	} else {
		sg, err = suite.Generate(suite.SM2, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

func (p *party) readerConfig() ReaderConfig {
	return ReaderConfig{Binding: p.b, Key: p.consumer, ProviderKey: p.signer.Public()}
}

// seal writes plaintext as one stream.
func (p *party) seal(t testing.TB, plaintext []byte, chunkSize int, declare bool) []byte {
	t.Helper()
	var out bytes.Buffer
	cfg := WriterConfig{Key: p.key, Signer: p.signer, ChunkSize: chunkSize}
	if declare {
		cfg.Size = int64(len(plaintext))
	}
	w, err := NewWriter(&out, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plaintext); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func (p *party) open(stream []byte) ([]byte, *Reader, error) {
	r, err := NewReader(bytes.NewReader(stream), p.readerConfig())
	if err != nil {
		return nil, nil, err
	}
	got, err := io.ReadAll(r)
	return got, r, err
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	rng := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	rng.Read(b)
	return b
}
