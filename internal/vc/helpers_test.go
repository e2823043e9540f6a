package vc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mr-tron/base58"

	"github.com/xborder/xborder/internal/suite"
)

const vectorsDir = "/work/shared/vectors"

// vectorPath returns the path of a shared vector file, skipping the test
// when the collection is not on this machine.
func vectorPath(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(vectorsDir, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("vector collection not available: %v", err)
	}
	return p
}

func readVector(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(vectorPath(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readJSONMap(t testing.TB, rel string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readVector(t, rel), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func newProcessor(t testing.TB) *Processor {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// decodeMultikey decodes a multibase base58btc Multikey: Ed25519 or P-256
// public keys, or Ed25519 or P-256 secret keys.
func decodeMultikey(s string) (alg suite.Alg, pub crypto.PublicKey, priv crypto.PrivateKey, err error) {
	if !strings.HasPrefix(s, "z") {
		return "", nil, nil, errors.New("not base58btc multibase")
	}
	b, err := base58.Decode(s[1:])
	if err != nil {
		return "", nil, nil, err
	}
	if len(b) < 2 {
		return "", nil, nil, errors.New("short multikey")
	}
	head, body := [2]byte{b[0], b[1]}, b[2:]
	switch head {
	case [2]byte{0xed, 0x01}: // ed25519-pub
		if len(body) != ed25519.PublicKeySize {
			return "", nil, nil, errors.New("bad ed25519 public key")
		}
		return suite.Ed25519, ed25519.PublicKey(body), nil, nil
	case [2]byte{0x80, 0x26}: // ed25519-priv
		if len(body) != ed25519.SeedSize {
			return "", nil, nil, errors.New("bad ed25519 secret key")
		}
		k := ed25519.NewKeyFromSeed(body)
		return suite.Ed25519, k.Public(), k, nil
	case [2]byte{0x80, 0x24}: // p256-pub, compressed
		x, y := elliptic.UnmarshalCompressed(elliptic.P256(), body)
		if x == nil {
			return "", nil, nil, errors.New("bad P-256 public key")
		}
		return suite.P256, &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}, nil, nil
	case [2]byte{0x86, 0x26}: // p256-priv
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), body)
		if err != nil {
			return "", nil, nil, err
		}
		return suite.P256, &k.PublicKey, k, nil
	}
	return "", nil, nil, fmt.Errorf("unsupported multicodec % x", head)
}

// didKeyResolver resolves did:key verification methods (Ed25519, P-256):
// a tiny stand-in for the identity package's resolver.
type didKeyResolver struct{}

func (didKeyResolver) ResolveKey(_ context.Context, vm string) (suite.Alg, crypto.PublicKey, error) {
	did, frag, ok := strings.Cut(vm, "#")
	mk, isKey := strings.CutPrefix(did, "did:key:")
	if !ok || !isKey || frag != mk {
		return "", nil, fmt.Errorf("not a did:key verification method: %q", vm)
	}
	alg, pub, _, err := decodeMultikey(mk)
	if err != nil {
		return "", nil, err
	}
	return alg, pub, nil
}

// signerFromMultikey returns a signer for a secret multikey and the did:key
// verification method URL of its public key.
func signerFromMultikey(t testing.TB, secret, public string) (suite.Signer, string) {
	t.Helper()
	_, _, priv, err := decodeMultikey(secret)
	if err != nil {
		t.Fatal(err)
	}
	s, err := suite.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, "did:key:" + public + "#" + public
}

func wantCode(t testing.TB, err error, want Code) {
	t.Helper()
	if got := CodeOf(err); got != want {
		t.Fatalf("code %q (%v), want %q", got, err, want)
	}
}
