package tsa

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

// Tests use a fixed clock near the real time: github.com/digitorus/pkcs7
// stamps every token with a CMS signingTime attribute from time.Now and
// refuses, when verifying, a signingTime outside the TSA certificate's
// validity, so certificates must cover the real time as well as the clock.
var testNow = time.Now().UTC().Truncate(time.Second)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func testPKI(tb testing.TB) *pki {
	tb.Helper()
	p, err := newPKI("Test", testNow)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func (p *pki) pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.root)
	return pool
}

func (p *pki) chain() []*x509.Certificate { return []*x509.Certificate{p.tsa, p.root} }

func testAuthority(tb testing.TB, p *pki) *Authority {
	tb.Helper()
	a, err := NewAuthority(p.tsaKey, []*x509.Certificate{p.tsa, p.root}, LocalPolicy, fixedClock(testNow), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func digestOf(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

// reqOpts describes a TimeStampReq to build, deliberately able to break
// the rules.
type reqOpts struct {
	version    int
	alg        asn1.ObjectIdentifier
	params     asn1.RawValue
	digest     []byte
	policy     asn1.ObjectIdentifier
	nonce      *big.Int
	certReq    bool
	extensions []pkix.Extension
}

func goodReq() reqOpts {
	return reqOpts{version: 1, alg: oidSHA256, params: asn1.NullRawValue, digest: digestOf("checkpoint"), nonce: big.NewInt(42), certReq: true}
}

func (o reqOpts) der(tb testing.TB) []byte {
	tb.Helper()
	b, err := asn1.Marshal(timeStampReq{
		Version:        o.version,
		MessageImprint: messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: o.alg, Parameters: o.params}, HashedMessage: o.digest},
		ReqPolicy:      o.policy,
		Nonce:          o.nonce,
		CertReq:        o.certReq,
		Extensions:     o.extensions,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// decodeResp splits a TimeStampResp into its status and token.
func decodeResp(tb testing.TB, der []byte) (timeStampResp, []byte) {
	tb.Helper()
	var r timeStampResp
	rest, err := asn1.Unmarshal(der, &r)
	if err != nil || len(rest) != 0 {
		tb.Fatalf("response does not decode: %v (rest %d bytes)", err, len(rest))
	}
	return r, r.TimeStampToken.FullBytes
}

func tokenInfo(tb testing.TB, token []byte) *tstInfo {
	tb.Helper()
	sd, _, err := parseToken(token)
	if err != nil {
		tb.Fatal(err)
	}
	info, err := parseTSTInfo(sd.EncapContentInfo.EContent)
	if err != nil {
		tb.Fatal(err)
	}
	return info
}

// issueTSA issues a TSA certificate from p's root with the given validity;
// if criticalEKU is false the timeStamping usage is left non-critical, as
// crypto/x509 writes it.
func issueTSA(tb testing.TB, p *pki, notBefore, notAfter time.Time, criticalEKU bool) (*x509.Certificate, crypto.Signer) {
	return issueTSAFor(tb, p, notBefore, notAfter, criticalEKU, randomSerial(), nil)
}

// issueTSAFor is issueTSA with a given serial number and key (nil: a new
// key).
func issueTSAFor(tb testing.TB, p *pki, notBefore, notAfter time.Time, criticalEKU bool, serial *big.Int, key crypto.Signer) (*x509.Certificate, crypto.Signer) {
	tb.Helper()
	if key == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		key = k
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "Crafted TSA"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if criticalEKU {
		eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{oidKPTimeStamping})
		tmpl.ExtraExtensions = []pkix.Extension{{Id: oidExtKeyUsage, Critical: true, Value: eku}}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.root, key.Public(), p.rootKey)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return c, key
}

// craftToken makes a token with the library directly, bypassing the
// Authority's checks, as a misbehaving or misconfigured TSA would.
func craftToken(tb testing.TB, cert *x509.Certificate, key crypto.Signer, digest []byte, genTime time.Time) []byte {
	tb.Helper()
	ts := timestamp.Timestamp{
		HashAlgorithm: crypto.SHA256, HashedMessage: digest, Time: genTime,
		Policy: LocalPolicy, AddTSACertificate: true,
	}
	resp, err := ts.CreateResponseWithOpts(cert, key, crypto.SHA256)
	if err != nil {
		tb.Fatal(err)
	}
	_, token := decodeResp(tb, resp)
	return token
}

// withCerts returns token with its certificates field replaced by certs.
func withCerts(tb testing.TB, token []byte, certs ...*x509.Certificate) []byte {
	tb.Helper()
	var ci contentInfo
	if _, err := asn1.Unmarshal(token, &ci); err != nil {
		tb.Fatal(err)
	}
	var sd signedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		tb.Fatal(err)
	}
	var raw []byte
	for _, c := range certs {
		raw = append(raw, c.Raw...)
	}
	sd.Certificates = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: raw}
	inner, err := asn1.Marshal(sd)
	if err != nil {
		tb.Fatal(err)
	}
	ci.Content = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: inner}
	out, err := asn1.Marshal(ci)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
