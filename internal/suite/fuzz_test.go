package suite

import (
	"bytes"
	"crypto/ecdh"
	"testing"

	"github.com/emmansun/gmsm/sm2"
)

// Seeds live in testdata/fuzz/FuzzParsePublicKey and testdata/fuzz/FuzzOpen.

func FuzzParsePublicKey(f *testing.F) {
	for _, alg := range allAlgs {
		s, _ := Generate(alg, nil)
		b, _ := MarshalPublicKey(alg, s.Public())
		f.Add(string(alg), b)
		b, _ = MarshalPublicKeyUncompressed(alg, s.Public())
		f.Add(string(alg), b)
	}
	f.Fuzz(func(t *testing.T, alg string, b []byte) {
		pub, err := ParsePublicKey(Alg(alg), b)
		if err != nil {
			return
		}
		// Whatever parses marshals back to a key that parses to the same.
		again, err := MarshalPublicKeyUncompressed(Alg(alg), pub)
		if err != nil {
			t.Fatalf("parsed key does not marshal: %v", err)
		}
		pub2, err := ParsePublicKey(Alg(alg), again)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		a, _ := MarshalPublicKey(Alg(alg), pub)
		c, _ := MarshalPublicKey(Alg(alg), pub2)
		if !bytes.Equal(a, c) {
			t.Fatal("round trip changed the key")
		}
		if err := Verify(Alg(alg), pub, []byte("m"), make([]byte, 64)); err == nil {
			t.Fatal("zero signature verified")
		}
	})
}

// fuzzKeys are fixed recipient keys so that fuzz seeds stay meaningful.
func fuzzKeys(f *testing.F) (*ecdh.PrivateKey, *ecdh.PrivateKey, *sm2.PrivateKey) {
	x, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	p, err := ecdh.P256().NewPrivateKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	s, err := sm2.NewPrivateKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	return x, p, s
}

func FuzzOpen(f *testing.F) {
	x, p, s := fuzzKeys(f)
	for _, seed := range []struct {
		suite *Suite
		pub   any
	}{{Intl, x.PublicKey()}, {Intl, p.PublicKey()}, {GM, &s.PublicKey}} {
		env, err := Seal(seed.suite, seed.pub, []byte("fuzz"), []byte("aad"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(env, []byte("aad"))
	}
	f.Add([]byte{1, 2, 3}, []byte(nil))
	f.Fuzz(func(t *testing.T, env, aad []byte) {
		for _, try := range []struct {
			suite *Suite
			priv  any
		}{{Intl, x}, {Intl, p}, {GM, s}} {
			pt, err := Open(try.suite, try.priv, env, aad)
			if err == nil && !bytes.Equal(pt, []byte("fuzz")) {
				t.Fatalf("opened to %q", pt)
			}
		}
		ParseEnvelopeHeader(env)
	})
}
