package suite

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hpke"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/emmansun/gmsm/sm2"
)

type recipient struct {
	name  string
	suite *Suite
	pub   crypto.PublicKey
	priv  crypto.PrivateKey
	ka    string
}

func recipients(t testing.TB) []recipient {
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	p, _ := ecdh.P256().GenerateKey(rand.Reader)
	pe, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sk, _ := sm2.GenerateKey(rand.Reader)
	ga, err := SM2ECDH().GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	xa, _ := X25519().GenerateKey(nil)
	return []recipient{
		{"intl x25519", Intl, x.PublicKey(), x, "x25519"},
		{"intl p256 ecdh", Intl, p.PublicKey(), p, "p256-ecdh"},
		{"intl p256 ecdsa key", Intl, &pe.PublicKey, pe, "p256-ecdh"},
		{"intl x25519 AgreementKey", Intl, xa.Public(), xa, "x25519"},
		{"gm sm2 key", GM, &sk.PublicKey, sk, "sm2-ecdh"},
		{"gm sm2 as ecdsa", GM, &sk.PublicKey, &sk.PrivateKey, "sm2-ecdh"},
		{"gm sm2 AgreementKey", GM, ga.Public(), ga, "sm2-ecdh"},
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	rs := recipients(t)
	for _, r := range rs {
		t.Run(r.name, func(t *testing.T) {
			for _, pt := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("data "), 10000)} {
				aad := []byte("transfer 42")
				env, err := Seal(r.suite, r.pub, pt, aad)
				if err != nil {
					t.Fatal(err)
				}
				info, err := ParseEnvelopeHeader(env)
				if err != nil || info.Suite != r.suite || info.KeyAgreement.Name() != r.ka {
					t.Fatalf("header: %+v, %v", info, err)
				}
				if want := 3 + info.KeyAgreement.PublicKeySize() + len(pt) + 16; len(env) != want {
					t.Fatalf("envelope of %d bytes, want %d", len(env), want)
				}
				got, err := Open(r.suite, r.priv, env, aad)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, pt) {
					t.Fatal("plaintext differs")
				}
				env2, _ := r.suite.Seal(r.pub, pt, aad)
				if bytes.Equal(env, env2) {
					t.Fatal("two seals are equal: no fresh ephemeral key")
				}
				if got, err := r.suite.Open(r.priv, env2, aad); err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("method Open: %v", err)
				}

				// Wrong aad, flipped bits anywhere after the header, truncation.
				if _, err := Open(r.suite, r.priv, env, []byte("transfer 43")); !errors.Is(err, ErrDecrypt) {
					t.Fatalf("wrong aad: %v", err)
				}
				for _, i := range []int{3, 3 + info.KeyAgreement.PublicKeySize() - 1, len(env) - 17, len(env) - 1} {
					bad := append([]byte(nil), env...)
					bad[i] ^= 0x01
					if _, err := Open(r.suite, r.priv, bad, aad); err == nil {
						t.Fatalf("flipped byte %d opened", i)
					}
				}
				if _, err := Open(r.suite, r.priv, env[:len(env)-1], aad); err == nil {
					t.Fatal("truncated envelope opened")
				}
			}
		})
	}
}

func TestEnvelopeWrongKeyAndSuite(t *testing.T) {
	rs := recipients(t)
	for _, r := range rs {
		env, err := Seal(r.suite, r.pub, []byte("secret"), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range rs {
			if o.name == r.name || o.priv == r.priv {
				continue
			}
			if o.pub == r.pub { // same key, another wrapper
				continue
			}
			_, err := Open(o.suite, o.priv, env, nil)
			if err == nil {
				t.Errorf("%s envelope opened with %s key", r.name, o.name)
			}
			if o.suite == r.suite && o.ka == r.ka && !errors.Is(err, ErrDecrypt) {
				t.Errorf("%s envelope with another %s key: %v, want ErrDecrypt", r.name, o.ka, err)
			}
		}
		// Sealing to a key of the other suite is refused.
		other := GM
		if r.suite == GM {
			other = Intl
		}
		if _, err := Seal(other, r.pub, []byte("x"), nil); err == nil {
			t.Errorf("%s: sealed under %s", r.name, other.Name())
		}
		// Header changes are refused before any cryptography.
		for i, b := range []byte{2, 3, 9} {
			bad := append([]byte(nil), env...)
			bad[i%3] = b
			if _, err := Open(r.suite, r.priv, bad, nil); err == nil || errors.Is(err, ErrDecrypt) {
				t.Errorf("%s: header byte %d = %d: %v", r.name, i%3, b, err)
			}
		}
	}
	ed, _ := Generate(Ed25519, nil)
	if _, err := Seal(Intl, ed.Public(), []byte("x"), nil); err == nil {
		t.Error("sealed to an Ed25519 key")
	}
	if _, err := Seal(nil, ed.Public(), []byte("x"), nil); err == nil {
		t.Error("sealed without a suite")
	}
	if _, err := Open(Intl, "not a key", []byte{1, 1, 1}, nil); err == nil {
		t.Error("opened junk")
	}
}

// TestIntlEnvelopeIsHPKE opens an intl envelope with a plain RFC 9180
// implementation, following only the documented wire format: any HPKE
// library can read intl envelopes.
func TestIntlEnvelopeIsHPKE(t *testing.T) {
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	env, err := Seal(Intl, x.PublicKey(), []byte("to a foreign verifier"), []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	header, enc, ct := env[:3], env[3:35], env[35:]
	sk, err := hpke.NewDHKEMPrivateKey(x)
	if err != nil {
		t.Fatal(err)
	}
	r, err := hpke.NewRecipient(enc, sk, hpke.HKDFSHA256(), hpke.AES256GCM(), append([]byte("xborder envelope v1"), header...))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := r.Open([]byte("aad"), ct)
	if err != nil || string(pt) != "to a foreign verifier" {
		t.Fatalf("HPKE open: %q, %v", pt, err)
	}
}
