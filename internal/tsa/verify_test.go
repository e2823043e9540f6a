package tsa

import (
	"bytes"
	"crypto"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestVerifyRejects(t *testing.T) {
	p := testPKI(t)
	a := testAuthority(t, p)
	d := digestOf("checkpoint")
	token, err := a.Client().Stamp(t.Context(), d, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(token, d, crypto.SHA256, p.pool()); err != nil {
		t.Fatalf("the good token fails: %v", err)
	}
	info := tokenInfo(t, token)
	genTime := []byte(info.GenTime.Format("20060102150405Z"))

	other := testPKI(t) // another TSA, same names
	expired, expiredKey := issueTSA(t, p, testNow.Add(-48*time.Hour), testNow.Add(-time.Hour), true)
	future, futureKey := issueTSA(t, p, testNow.Add(time.Hour), testNow.Add(48*time.Hour), true)
	nonCritical, ncKey := issueTSA(t, p, testNow.Add(-time.Hour), testNow.Add(time.Hour), false)
	noCertToken := func() []byte {
		o := goodReq()
		o.certReq = false
		resp, err := a.Stamp(o.der(t))
		if err != nil {
			t.Fatal(err)
		}
		_, tok := decodeResp(t, resp)
		return tok
	}()
	d384 := sha512.Sum384([]byte("checkpoint"))
	// other's root has p's root's name; impostor copies p.tsa's serial.
	impostor, _ := issueTSAFor(t, other, testNow.Add(-time.Hour), testNow.Add(time.Hour), true, p.tsa.SerialNumber, nil)
	// twin is a second certificate for p.tsa's key, issuer and serial, with
	// another subject: the substitution the ESS attribute exists to stop.
	twin, _ := issueTSAFor(t, p, testNow.Add(-time.Hour), testNow.Add(time.Hour), true, p.tsa.SerialNumber, p.tsaKey)

	if _, err := Verify(withCerts(t, token, p.tsa), d, crypto.SHA256, p.pool()); err != nil {
		t.Fatalf("withCerts breaks tokens: %v", err)
	}

	cases := []struct {
		name   string
		token  []byte
		digest []byte
		hash   crypto.Hash
		roots  *x509.CertPool
		certs  []*x509.Certificate
		want   error // nil: an argument error
	}{
		{"wrong digest", token, digestOf("other checkpoint"), crypto.SHA256, p.pool(), nil, ErrDigestMismatch},
		{"wrong hash", token, d384[:], crypto.SHA384, p.pool(), nil, ErrDigestMismatch},
		{"tampered signature", flipLast(token), d, crypto.SHA256, p.pool(), nil, ErrSignature},
		{"tampered genTime", replaceOnce(t, token, genTime, []byte(info.GenTime.Add(-24*time.Hour).Format("20060102150405Z"))), d, crypto.SHA256, p.pool(), nil, ErrSignature},
		{"tampered serial", replaceOnce(t, token, info.SerialNumber.Bytes(), flipLast(info.SerialNumber.Bytes())), d, crypto.SHA256, p.pool(), nil, ErrSignature},
		{"certificate swapped", withCerts(t, token, other.tsa), d, crypto.SHA256, other.pool(), nil, ErrUntrusted},
		{"certificate swapped, same issuer and serial", withCerts(t, token, impostor), d, crypto.SHA256, other.pool(), nil, ErrSignature},
		{"certificate substituted, same key", withCerts(t, token, twin), d, crypto.SHA256, p.pool(), nil, ErrSignature},
		{"no certificate, impostor given", noCertToken, d, crypto.SHA256, other.pool(), []*x509.Certificate{impostor}, ErrSignature},
		{"wrong roots", token, d, crypto.SHA256, other.pool(), nil, ErrUntrusted},
		{"empty roots", token, d, crypto.SHA256, x509.NewCertPool(), nil, ErrUntrusted},
		{"nil roots", token, d, crypto.SHA256, nil, nil, ErrUntrusted},
		{"expired TSA certificate", craftToken(t, expired, expiredKey, d, testNow), d, crypto.SHA256, p.pool(), nil, ErrUntrusted},
		{"TSA certificate not yet valid", craftToken(t, future, futureKey, d, testNow), d, crypto.SHA256, p.pool(), nil, ErrUntrusted},
		{"non-critical EKU", craftToken(t, nonCritical, ncKey, d, testNow), d, crypto.SHA256, p.pool(), nil, ErrUntrusted},
		{"root key as TSA", craftToken(t, p.root, p.rootKey, d, testNow), d, crypto.SHA256, p.pool(), nil, ErrUntrusted},
		{"no certificate in token", noCertToken, d, crypto.SHA256, p.pool(), nil, ErrUntrusted},
		{"no certificate, wrong one given", noCertToken, d, crypto.SHA256, p.pool(), []*x509.Certificate{other.tsa}, ErrUntrusted},
		{"empty", nil, d, crypto.SHA256, p.pool(), nil, ErrMalformed},
		{"garbage", []byte("token"), d, crypto.SHA256, p.pool(), nil, ErrMalformed},
		{"truncated", token[:len(token)-10], d, crypto.SHA256, p.pool(), nil, ErrMalformed},
		{"trailing data", append(bytes.Clone(token), 0), d, crypto.SHA256, p.pool(), nil, ErrMalformed},
		{"a whole response", mustStamp(t, a), d, crypto.SHA256, p.pool(), nil, ErrMalformed},
		{"short digest", token, d[:31], crypto.SHA256, p.pool(), nil, nil},
		{"sha1", token, d[:20], crypto.SHA1, p.pool(), nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(c.token, c.digest, c.hash, c.roots, c.certs...)
			if err == nil {
				t.Fatal("accepted")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("error %q does not wrap %q", err, c.want)
			}
			n := 0
			for _, s := range []error{ErrMalformed, ErrDigestMismatch, ErrSignature, ErrUntrusted} {
				if errors.Is(err, s) {
					n++
				}
			}
			if n > 1 {
				t.Errorf("error %q wraps %d sentinels", err, n)
			}
			t.Log(err)
		})
	}

	// The expired case names the validity failure.
	_, err = Verify(craftToken(t, expired, expiredKey, d, testNow), d, crypto.SHA256, p.pool())
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("not at genTime")) {
		t.Errorf("expired: %v", err)
	}
}

func TestVerifyAfterExpiry(t *testing.T) {
	// In a synctest bubble time.Now is fake (it starts at 2000-01-01 UTC)
	// and Sleep advances it at once, so the certificates, the CMS
	// signingTime that pkcs7 takes from time.Now, and the Authority's clock
	// all agree, and six years pass in no time.
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		if err := GenerateLocal(dir, "Bubble", nil); err != nil {
			t.Fatal(err)
		}
		l, err := LoadLocal(dir)
		if err != nil {
			t.Fatal(err)
		}
		a, err := NewAuthority(l.Signer, l.Chain, LocalPolicy, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		d := digestOf("checkpoint of 2000")
		token, err := a.Client().Stamp(t.Context(), d, crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		made := time.Now()

		time.Sleep(6 * 365 * 24 * time.Hour) // the TSA certificate (5 years) has expired
		if _, err := l.Chain[0].Verify(x509.VerifyOptions{Roots: l.Roots(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err == nil {
			t.Fatal("the TSA certificate should have expired by now")
		}
		st, err := Verify(token, d, crypto.SHA256, l.Roots())
		if err != nil {
			t.Fatalf("token made before expiry: %v", err)
		}
		if !st.Time.Equal(made.Truncate(time.Second)) {
			t.Errorf("genTime %v, made at %v", st.Time, made)
		}
		// The Authority refuses to stamp with the expired certificate.
		if _, err := a.Client().Stamp(t.Context(), d, crypto.SHA256); err == nil {
			t.Error("stamped with an expired TSA certificate")
		}
	})
}

func flipLast(b []byte) []byte {
	c := bytes.Clone(b)
	c[len(c)-1] ^= 0x01
	return c
}

func replaceOnce(t *testing.T, b, old, new []byte) []byte {
	t.Helper()
	if bytes.Count(b, old) != 1 || len(old) != len(new) {
		t.Fatalf("cannot replace %x: %d occurrences", old, bytes.Count(b, old))
	}
	return bytes.Replace(b, old, new, 1)
}

func mustStamp(t *testing.T, a *Authority) []byte {
	t.Helper()
	resp, err := a.Stamp(goodReq().der(t))
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
