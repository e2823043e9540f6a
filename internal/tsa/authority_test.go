package tsa

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

func TestStampGranted(t *testing.T) {
	p := testPKI(t)
	a := testAuthority(t, p)
	d384 := sha512.Sum384([]byte("checkpoint"))
	d512 := sha512.Sum512([]byte("checkpoint"))
	cases := map[string]func(*reqOpts){
		"sha256":              func(o *reqOpts) {},
		"sha384":              func(o *reqOpts) { o.alg, o.digest = oidSHA384, d384[:] },
		"sha512":              func(o *reqOpts) { o.alg, o.digest = oidSHA512, d512[:] },
		"absent parameters":   func(o *reqOpts) { o.params = asn1.RawValue{} },
		"our policy":          func(o *reqOpts) { o.policy = LocalPolicy },
		"no nonce":            func(o *reqOpts) { o.nonce = nil },
		"big negative nonce":  func(o *reqOpts) { o.nonce = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 200)) },
		"without certReq":     func(o *reqOpts) { o.certReq = false },
		"without certReq 384": func(o *reqOpts) { o.certReq, o.alg, o.digest = false, oidSHA384, d384[:] },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			o := goodReq()
			mutate(&o)
			respDER, err := a.Stamp(o.der(t))
			if err != nil {
				t.Fatal(err)
			}
			resp, token := decodeResp(t, respDER)
			if resp.Status.Status != statusGranted || len(token) == 0 {
				t.Fatalf("status %d, failInfo %v, token %d bytes", resp.Status.Status, firstFailInfo(resp.Status.FailInfo), len(token))
			}
			info := tokenInfo(t, token)
			if (info.Nonce == nil) != (o.nonce == nil) || (o.nonce != nil && info.Nonce.Cmp(o.nonce) != 0) {
				t.Errorf("nonce %v, sent %v", info.Nonce, o.nonce)
			}
			if !info.Policy.Equal(LocalPolicy) {
				t.Errorf("policy %v", info.Policy)
			}
			if !info.GenTime.Equal(testNow) {
				t.Errorf("genTime %v, want %v", info.GenTime, testNow)
			}
			if info.SerialNumber.BitLen() > 160 {
				t.Errorf("serial of %d bits", info.SerialNumber.BitLen())
			}
			h := hashFromOID(o.alg)
			extra := []*x509.Certificate(nil)
			if _, err := Verify(token, o.digest, h, p.pool()); (err == nil) != o.certReq {
				t.Fatalf("Verify without the TSA certificate: %v (certReq %v)", err, o.certReq)
			}
			if !o.certReq {
				extra = append(extra, p.tsa)
			}
			st, err := Verify(token, o.digest, h, p.pool(), extra...)
			if err != nil {
				t.Fatal(err)
			}
			if !st.Time.Equal(testNow) || st.Serial.Cmp(info.SerialNumber) != 0 || st.TSA != "CN=Test TSA" || st.Accuracy != 0 {
				t.Errorf("stamp %+v", st)
			}
		})
	}
}

func TestStampSerialsUnique(t *testing.T) {
	// Concurrent stamping: run with -race to check the Authority shares no
	// mutable state.
	p := testPKI(t)
	a := testAuthority(t, p)
	req := goodReq().der(t)
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 15 {
				resp, err := a.Stamp(req)
				if err != nil {
					t.Error(err)
					return
				}
				info, err := responseInfo(resp) // not decodeResp: no t.Fatal off the test goroutine
				if err != nil {
					t.Error(err)
					return
				}
				s := info.SerialNumber.String()
				mu.Lock()
				if seen[s] {
					t.Errorf("serial %s issued twice", s)
				}
				seen[s] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 60 {
		t.Errorf("%d serials, want 60", len(seen))
	}
}

func TestStampRejected(t *testing.T) {
	p := testPKI(t)
	a := testAuthority(t, p)
	sm3 := asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401}
	valid := goodReq().der(t)
	cases := []struct {
		name string
		req  func() []byte
		want FailInfo
		text string
	}{
		{"empty", func() []byte { return nil }, FailBadDataFormat, "not a DER"},
		{"garbage", func() []byte { return []byte("POST / HTTP/1.1") }, FailBadDataFormat, "not a DER"},
		{"truncated", func() []byte { return valid[:len(valid)-3] }, FailBadDataFormat, "not a DER"},
		{"trailing data", func() []byte { return append(bytes.Clone(valid), 0, 0) }, FailBadDataFormat, "trailing"},
		{"too large", func() []byte { return make([]byte, MaxRequestBytes+1) }, FailBadDataFormat, "larger"},
		{"short digest", func() []byte { o := goodReq(); o.digest = o.digest[:31]; return o.der(t) }, FailBadDataFormat, "31 bytes"},
		{"sha256 OID with a sha512 digest", func() []byte { o := goodReq(); d := sha512.Sum512(nil); o.digest = d[:]; return o.der(t) }, FailBadDataFormat, "64 bytes"},
		{"version 2", func() []byte { o := goodReq(); o.version = 2; return o.der(t) }, FailBadRequest, "version 2"},
		{"version 0", func() []byte { o := goodReq(); o.version = 0; return o.der(t) }, FailBadRequest, "version 0"},
		{"sha1", func() []byte { o := goodReq(); o.alg, o.digest = oidSHA1, o.digest[:20]; return o.der(t) }, FailBadAlg, "1.3.14.3.2.26"},
		{"sm3", func() []byte { o := goodReq(); o.alg = sm3; return o.der(t) }, FailBadAlg, "1.2.156.10197.1.401"},
		{"hash parameters", func() []byte {
			o := goodReq()
			o.params = asn1.RawValue{Tag: asn1.TagInteger, Bytes: []byte{1}}
			return o.der(t)
		}, FailBadAlg, "parameters"},
		{"other policy", func() []byte { o := goodReq(); o.policy = asn1.ObjectIdentifier{1, 2, 3, 4}; return o.der(t) }, FailUnacceptedPolicy, "1.2.3.4"},
		{"extension", func() []byte {
			o := goodReq()
			o.extensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3}, Value: []byte{5, 0}}}
			return o.der(t)
		}, FailUnacceptedExtension, "1.2.3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			respDER, err := a.Stamp(c.req())
			if err != nil {
				t.Fatalf("error for a requester's fault: %v", err)
			}
			resp, token := decodeResp(t, respDER)
			if resp.Status.Status != statusRejection || len(token) != 0 {
				t.Fatalf("status %d, token %d bytes", resp.Status.Status, len(token))
			}
			if got := firstFailInfo(resp.Status.FailInfo); got != c.want || resp.Status.FailInfo.BitLength != int(c.want)+1 {
				t.Errorf("failInfo %v (%d bits), want %v", got, resp.Status.FailInfo.BitLength, c.want)
			}
			if len(resp.Status.StatusString) != 1 || !strings.Contains(string(resp.Status.StatusString[0].Bytes), c.text) {
				t.Errorf("statusString %v, want it to mention %q", resp.Status.StatusString, c.text)
			}
			// The library's own parser sees the same refusal.
			if _, err := timestamp.ParseResponse(respDER); err == nil || !strings.Contains(err.Error(), "rejected") {
				t.Errorf("timestamp.ParseResponse: %v", err)
			}
			// And so does our client.
			_, err = tokenFromResponse(respDER)
			var rej *RejectionError
			if !errors.As(err, &rej) || rej.FailInfo != c.want || rej.Status != statusRejection {
				t.Errorf("tokenFromResponse: %v", err)
			}
		})
	}
}

func TestStampSystemFailure(t *testing.T) {
	p := testPKI(t)
	cases := []struct {
		name  string
		clock time.Time
		want  FailInfo
	}{
		{"zero clock", time.Time{}, FailTimeNotAvailable},
		{"before the TSA certificate", p.tsa.NotBefore.Add(-time.Hour), FailSystemFailure},
		{"after the TSA certificate", p.tsa.NotAfter.Add(time.Second), FailSystemFailure},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			a, err := NewAuthority(p.tsaKey, []*x509.Certificate{p.tsa, p.root}, LocalPolicy, fixedClock(c.clock), slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			respDER, err := a.Stamp(goodReq().der(t))
			if err == nil {
				t.Fatal("no error")
			}
			resp, _ := decodeResp(t, respDER)
			if resp.Status.Status != statusRejection || firstFailInfo(resp.Status.FailInfo) != c.want {
				t.Errorf("status %d failInfo %v, want %v", resp.Status.Status, firstFailInfo(resp.Status.FailInfo), c.want)
			}
			if !strings.Contains(logs.String(), "level=ERROR") {
				t.Errorf("not logged as an error:\n%s", logs.String())
			}
			// The in-process client reports the Authority's own error.
			if _, err := a.Client().Stamp(t.Context(), digestOf("x"), crypto.SHA256); err == nil || !strings.Contains(err.Error(), "local TSA") {
				t.Errorf("client: %v", err)
			}
		})
	}
}

func TestNewAuthority(t *testing.T) {
	p := testPKI(t)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	nonCritical, ncKey := issueTSA(t, p, testNow.Add(-time.Hour), testNow.Add(time.Hour), false)
	p2 := testPKI(t)
	cases := []struct {
		name   string
		signer crypto.Signer
		chain  []*x509.Certificate
		policy asn1.ObjectIdentifier
		want   string
	}{
		{"ok", p.tsaKey, []*x509.Certificate{p.tsa, p.root}, LocalPolicy, ""},
		{"ok without root", p.tsaKey, []*x509.Certificate{p.tsa}, LocalPolicy, ""},
		{"no signer", nil, []*x509.Certificate{p.tsa}, LocalPolicy, "needs a signer"},
		{"no chain", p.tsaKey, nil, LocalPolicy, "needs a signer"},
		{"no policy", p.tsaKey, []*x509.Certificate{p.tsa}, nil, "policy"},
		{"key mismatch", other, []*x509.Certificate{p.tsa}, LocalPolicy, "does not match"},
		{"root as TSA", p.rootKey, []*x509.Certificate{p.root}, LocalPolicy, "extended key usage"},
		{"non-critical EKU", ncKey, []*x509.Certificate{nonCritical, p.root}, LocalPolicy, "not critical"},
		{"wrong issuer", p.tsaKey, []*x509.Certificate{p.tsa, p2.root}, LocalPolicy, "was not issued by"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := NewAuthority(c.signer, c.chain, c.policy, nil, nil)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(a.parents) != 0 {
					t.Errorf("root would be sent in tokens: %d parents", len(a.parents))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

func TestFailInfoBitString(t *testing.T) {
	// DER of the failInfo BIT STRING for each bit, checked by hand against
	// X.690 §11.2.2 (no trailing zero bits).
	want := map[FailInfo]string{
		FailBadAlg:              "03020780",
		FailBadRequest:          "03020520",
		FailBadDataFormat:       "03020204",
		FailTimeNotAvailable:    "0303010002",
		FailUnacceptedPolicy:    "0303000001",
		FailUnacceptedExtension: "030407000080",
		FailSystemFailure:       "030506 00000040",
	}
	for f, w := range want {
		b, err := asn1.Marshal(f.bitString())
		if err != nil {
			t.Fatal(err)
		}
		if got, w := hex.EncodeToString(b), strings.ReplaceAll(w, " ", ""); got != w {
			t.Errorf("%v: %s, want %s", f, got, w)
		}
		var bs asn1.BitString
		if _, err := asn1.Unmarshal(b, &bs); err != nil || firstFailInfo(bs) != f {
			t.Errorf("%v does not round-trip: %v %v", f, firstFailInfo(bs), err)
		}
	}
}
