package suite

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
)

var allAlgs = []Alg{Ed25519, P256, SM2}

func TestSignVerifyRoundTrip(t *testing.T) {
	for _, alg := range allAlgs {
		t.Run(string(alg), func(t *testing.T) {
			s, err := Generate(alg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.Alg() != alg {
				t.Fatalf("Alg() = %s", s.Alg())
			}
			for _, msg := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("cross-border "), 1000)} {
				sig, err := s.Sign(msg)
				if err != nil {
					t.Fatal(err)
				}
				if len(sig) != 64 {
					t.Fatalf("signature of %d bytes", len(sig))
				}
				if err := Verify(alg, s.Public(), msg, sig); err != nil {
					t.Fatalf("verify: %v", err)
				}
				tampered := append(append([]byte(nil), msg...), '!')
				if err := Verify(alg, s.Public(), tampered, sig); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("tampered message: %v, want ErrBadSignature", err)
				}
				bad := append([]byte(nil), sig...)
				bad[10] ^= 0x40
				if err := Verify(alg, s.Public(), msg, bad); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("tampered signature: %v, want ErrBadSignature", err)
				}
				if err := Verify(alg, s.Public(), msg, sig[:63]); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("short signature: %v, want ErrBadSignature", err)
				}
				if err := Verify(alg, s.Public(), msg, make([]byte, 64)); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("zero signature: %v, want ErrBadSignature", err)
				}
			}
			// Another key of the same algorithm does not verify.
			other, _ := Generate(alg, nil)
			sig, _ := s.Sign([]byte("m"))
			if err := Verify(alg, other.Public(), []byte("m"), sig); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("other key: %v", err)
			}
			// Every other algorithm's key is a type error, not a bad signature.
			for _, alg2 := range allAlgs {
				if alg2 == alg {
					continue
				}
				o, _ := Generate(alg2, nil)
				err := Verify(alg, o.Public(), []byte("m"), sig)
				if err == nil || errors.Is(err, ErrBadSignature) {
					t.Fatalf("verify %s with a %s key: %v, want a key-type error", alg, alg2, err)
				}
			}
			if err := Verify(alg, nil, []byte("m"), sig); err == nil || errors.Is(err, ErrBadSignature) {
				t.Fatalf("nil key: %v", err)
			}
		})
	}
}

func TestNewSigner(t *testing.T) {
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sm2Priv, _ := sm2.GenerateKey(rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	for _, tc := range []struct {
		name string
		key  any
		alg  Alg
	}{
		{"ed25519", edPriv, Ed25519},
		{"p256", p256, P256},
		{"sm2", sm2Priv, SM2},
		{"sm2 as ecdsa", &sm2Priv.PrivateKey, SM2},
		{"p384", p384, ""},
		{"x25519", x, ""},
		{"short ed25519", edPriv[:10], ""},
		{"nil", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSigner(tc.key)
			if tc.alg == "" {
				if err == nil {
					t.Fatalf("accepted %T", tc.key)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Alg() != tc.alg {
				t.Fatalf("Alg() = %s, want %s", s.Alg(), tc.alg)
			}
			sig, err := s.Sign([]byte("hello"))
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(tc.alg, s.Public(), []byte("hello"), sig); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := Generate("rsa", nil); err == nil {
		t.Fatal("Generate(rsa) succeeded")
	}
}

func TestKeyEncoding(t *testing.T) {
	for _, alg := range allAlgs {
		t.Run(string(alg), func(t *testing.T) {
			s, _ := Generate(alg, nil)
			got, err := AlgOf(s.Public())
			if err != nil || got != alg {
				t.Fatalf("AlgOf = %s, %v", got, err)
			}
			comp, err := MarshalPublicKey(alg, s.Public())
			if err != nil {
				t.Fatal(err)
			}
			unc, err := MarshalPublicKeyUncompressed(alg, s.Public())
			if err != nil {
				t.Fatal(err)
			}
			wantLen, wantUnc := 33, 65
			if alg == Ed25519 {
				wantLen, wantUnc = 32, 32
			}
			if len(comp) != wantLen || len(unc) != wantUnc {
				t.Fatalf("lengths %d, %d", len(comp), len(unc))
			}
			for _, enc := range [][]byte{comp, unc} {
				pub, err := ParsePublicKey(alg, enc)
				if err != nil {
					t.Fatal(err)
				}
				sig, _ := s.Sign([]byte("m"))
				if err := Verify(alg, pub, []byte("m"), sig); err != nil {
					t.Fatalf("parsed key does not verify: %v", err)
				}
				again, _ := MarshalPublicKey(alg, pub)
				if !bytes.Equal(again, comp) {
					t.Fatal("marshal(parse(x)) differs")
				}
			}
			der, err := MarshalPrivateKey(alg, s)
			if err != nil {
				t.Fatal(err)
			}
			priv, err := ParsePrivateKey(alg, der)
			if err != nil {
				t.Fatal(err)
			}
			s2, err := NewSigner(priv)
			if err != nil {
				t.Fatal(err)
			}
			sig, _ := s2.Sign([]byte("m"))
			if err := Verify(alg, s.Public(), []byte("m"), sig); err != nil {
				t.Fatalf("re-parsed private key: %v", err)
			}
			for _, alg2 := range allAlgs {
				if alg2 == alg {
					continue
				}
				if _, err := ParsePrivateKey(alg2, der); err == nil {
					t.Errorf("ParsePrivateKey(%s) accepted a %s key", alg2, alg)
				}
				if _, err := MarshalPublicKey(alg2, s.Public()); err == nil {
					t.Errorf("MarshalPublicKey(%s) accepted a %s key", alg2, alg)
				}
			}
		})
	}
	// A P-256 point is not an SM2 point (and the other way round), except by chance.
	p, _ := Generate(P256, nil)
	enc, _ := MarshalPublicKeyUncompressed(P256, p.Public())
	if _, err := ParsePublicKey(SM2, enc); err == nil {
		t.Error("a P-256 point parsed as SM2")
	}
	for _, bad := range [][]byte{nil, {4}, {2}, bytes.Repeat([]byte{0xff}, 33), append([]byte{2}, bytes.Repeat([]byte{0xff}, 32)...)} {
		for _, alg := range allAlgs {
			if _, err := ParsePublicKey(alg, bad); err == nil {
				t.Errorf("ParsePublicKey(%s, %x) succeeded", alg, bad)
			}
		}
	}
}

func TestSM2Encryption(t *testing.T) {
	s, _ := Generate(SM2, nil)
	priv, _ := privateKeyOf(s)
	for _, msg := range [][]byte{[]byte("a"), bytes.Repeat([]byte("SM2 "), 300)} {
		ct, err := SM2Encrypt(s.Public(), msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) != 65+32+len(msg) || ct[0] != 4 {
			t.Fatalf("ciphertext of %d bytes, first 0x%02x", len(ct), ct[0])
		}
		pt, err := SM2Decrypt(priv, ct)
		if err != nil || !bytes.Equal(pt, msg) {
			t.Fatalf("decrypt: %v", err)
		}
		ct[70] ^= 1 // inside C3
		if _, err := SM2Decrypt(priv, ct); err == nil {
			t.Fatal("modified ciphertext decrypted")
		}
	}
	p, _ := Generate(P256, nil)
	if _, err := SM2Encrypt(p.Public(), []byte("x")); err == nil {
		t.Fatal("encrypted to a P-256 key")
	}
	if _, err := SM2Decrypt(priv, []byte{0x30, 1, 2}); err == nil {
		t.Fatal("decrypted junk")
	}
}

// TestSM2KeyExchange runs the GB/T 32918.3 exchange (gmsm) with keys made
// here, with key confirmation, both sides deriving the same key.
func TestSM2KeyExchange(t *testing.T) {
	a, _ := Generate(SM2, nil)
	b, _ := Generate(SM2, nil)
	ap, _ := privateKeyOf(a)
	bp, _ := privateKeyOf(b)
	ka, err := sm2.NewKeyExchange(ap.(*sm2.PrivateKey), b.Public().(*ecdsa.PublicKey), []byte("alice"), []byte("bob"), 16, true)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := sm2.NewKeyExchange(bp.(*sm2.PrivateKey), a.Public().(*ecdsa.PublicKey), []byte("bob"), []byte("alice"), 16, true)
	if err != nil {
		t.Fatal(err)
	}
	defer ka.Destroy()
	defer kb.Destroy()
	rA, err := ka.InitKeyExchange(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rB, sB, err := kb.RepondKeyExchange(rand.Reader, rA)
	if err != nil {
		t.Fatal(err)
	}
	keyA, sA, err := ka.ConfirmResponder(rB, sB)
	if err != nil {
		t.Fatal(err)
	}
	keyB, err := kb.ConfirmInitiator(sA)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(keyA, keyB) || len(keyA) != 16 {
		t.Fatalf("keys differ: %x %x", keyA, keyB)
	}
	if _, err := GM.NewAEAD(keyA); err != nil {
		t.Fatal(err)
	}
}

func TestSuites(t *testing.T) {
	for _, s := range Suites() {
		got, err := ByName(s.Name())
		if err != nil || got != s {
			t.Fatalf("ByName(%s): %v", s.Name(), err)
		}
		for _, alg := range s.SigAlgs() {
			if o, err := Of(alg); err != nil || o != s {
				t.Fatalf("Of(%s) = %v, %v", alg, o, err)
			}
		}
		algs := s.SigAlgs()
		algs[0] = "mutated"
		if s.SigAlgs()[0] == "mutated" {
			t.Fatal("SigAlgs shares the suite's slice")
		}
		key := make([]byte, s.AEADKeySize())
		a, err := s.NewAEAD(key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.NewAEAD(key[1:]); err == nil {
			t.Fatal("short AEAD key accepted")
		}
		if a.NonceSize() != 12 || a.Overhead() != 16 {
			t.Fatalf("AEAD nonce %d overhead %d", a.NonceSize(), a.Overhead())
		}
		k1, err := s.KDF([]byte("secret"), nil, "info", 48)
		if err != nil || len(k1) != 48 {
			t.Fatal(err)
		}
		k2, _ := s.KDF([]byte("secret"), nil, "other", 48)
		if bytes.Equal(k1, k2) {
			t.Fatal("KDF ignores info")
		}
		if s.Hash().Size() != 32 {
			t.Fatal("hash size")
		}
		for _, ka := range s.KeyAgreements() {
			x, err := ka.GenerateKey(nil)
			if err != nil {
				t.Fatal(err)
			}
			y, _ := ka.GenerateKey(nil)
			if len(x.PublicBytes()) != ka.PublicKeySize() {
				t.Fatalf("%s public key of %d bytes", ka.Name(), len(x.PublicBytes()))
			}
			z1, err := x.Agree(y.PublicBytes())
			if err != nil {
				t.Fatal(err)
			}
			z2, _ := y.Agree(x.PublicBytes())
			if !bytes.Equal(z1, z2) {
				t.Fatalf("%s: shared secrets differ", ka.Name())
			}
			x2, err := ka.NewPrivateKey(x.Bytes())
			if err != nil || !bytes.Equal(x2.PublicBytes(), x.PublicBytes()) {
				t.Fatalf("%s: reload: %v", ka.Name(), err)
			}
			if _, err := x.Agree(make([]byte, 3)); err == nil {
				t.Fatalf("%s: agreed with junk", ka.Name())
			}
		}
	}
	if _, err := ByName("rot13"); err == nil || !strings.Contains(err.Error(), "intl") {
		t.Fatalf("ByName(rot13): %v", err)
	}
	// GB/T 32918.4 KDF: the output is SM3(Z || 00000001) for 32 bytes.
	z := []byte("shared")
	want := GM.Sum(append(append([]byte(nil), z...), 0, 0, 0, 1))
	if got := SM3KDF(z, 32); !bytes.Equal(got, want) {
		t.Fatalf("SM3KDF = %x, want %x", got, want)
	}
}
