package tsa

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

// TestLibraryQuirks pins behaviour of github.com/digitorus/timestamp
// v0.0.0-20231217203849-220c5c2851b7 (and github.com/digitorus/pkcs7) that
// this package works around. If an upgrade changes one, the subtest fails
// and the workaround can be revisited.
func TestLibraryQuirks(t *testing.T) {
	p := testPKI(t)

	t.Run("CreateErrorResponse encodes unacceptedPolicy with a trailing zero byte", func(t *testing.T) {
		resp, err := timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.UnacceptedPolicy)
		if err != nil {
			t.Fatal(err)
		}
		// DER would be 03 03 00 00 01 (16 bits); the library writes 24.
		if !bytes.Contains(resp, []byte{0x03, 0x04, 0x00, 0x00, 0x01, 0x00}) {
			t.Errorf("fixed? response %s", hex.EncodeToString(resp))
		}
		// Hence rejection() builds its own, and adds a statusString.
	})

	t.Run("ParseRequest checks neither the digest length nor the version", func(t *testing.T) {
		o := goodReq()
		o.version, o.digest = 7, o.digest[:5]
		r, err := timestamp.ParseRequest(o.der(t))
		if err != nil || r.HashAlgorithm != crypto.SHA256 || len(r.HashedMessage) != 5 {
			t.Errorf("fixed? %v", err)
		}
		// And it reports unknown hashes as a ParseError like any syntax
		// error, so badAlg and badDataFormat cannot be told apart: the
		// Authority parses requests itself.
	})

	t.Run("pkcs7 adds a CMS signingTime from time.Now, not from the TSA clock", func(t *testing.T) {
		later := testNow.Add(time.Hour) // within the certificate's validity
		a, err := NewAuthority(p.tsaKey, p.chain(), LocalPolicy, fixedClock(later), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, token := decodeResp(t, mustStamp(t, a))
		_, si, err := parseToken(token)
		if err != nil {
			t.Fatal(err)
		}
		var signingTime time.Time
		ok, err := attr(si, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}, &signingTime)
		if !ok || err != nil {
			t.Fatalf("fixed? no signingTime attribute (%v)", err)
		}
		if d := later.Sub(signingTime); d < 50*time.Minute {
			t.Errorf("fixed? signingTime %v follows the clock (%v)", signingTime, later)
		}
		// So a token carries two times. Verify ignores signingTime; pkcs7's
		// own verifier rejects a signingTime outside the certificate's
		// validity, which is why the tests keep certificates valid now.
	})

	t.Run("Parse skips the signature check when the token carries no certificate", func(t *testing.T) {
		a := testAuthority(t, p)
		o := goodReq()
		o.certReq = false
		resp, err := a.Stamp(o.der(t))
		if err != nil {
			t.Fatal(err)
		}
		_, token := decodeResp(t, resp)
		if _, err := timestamp.Parse(flipLast(token)); err != nil {
			t.Errorf("fixed? Parse checks a tampered certificate-less token: %v", err)
		}
		// Client.Stamp insists on a certificate (it sets certReq), and
		// Verify checks every signature.
	})

	t.Run("ParseResponse refuses grantedWithMods", func(t *testing.T) {
		a := testAuthority(t, p)
		resp := mustStamp(t, a)
		r, token := decodeResp(t, resp)
		r.Status.Status = statusGrantedWithMods
		r.TimeStampToken = asn1.RawValue{FullBytes: token}
		mod, err := asn1.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := timestamp.ParseResponse(mod); err == nil {
			t.Error("fixed? ParseResponse accepts grantedWithMods")
		}
		if _, err := tokenFromResponse(mod); err != nil {
			t.Errorf("our client refuses grantedWithMods: %v", err)
		}
	})

	t.Run("genTime is written in the Time's zone and without fractions", func(t *testing.T) {
		shanghai := time.FixedZone("CST", 8*3600)
		ts := timestamp.Timestamp{
			HashAlgorithm: crypto.SHA256, HashedMessage: digestOf("x"),
			Time: testNow.In(shanghai).Add(123 * time.Millisecond), Policy: LocalPolicy,
		}
		resp, err := ts.CreateResponseWithOpts(p.tsa, p.tsaKey, crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		want := testNow.In(shanghai).Format("20060102150405-0700")
		if !strings.Contains(string(resp), want) {
			t.Errorf("fixed? genTime %q not found", want)
		}
		// RFC 3161 requires UTC ("Z"): the Authority passes
		// clock().UTC().Truncate(time.Second).
	})

	t.Run("serial numbers are 160-bit random, chosen by the library", func(t *testing.T) {
		a := testAuthority(t, p)
		maxBits := 0
		for range 20 {
			_, token := decodeResp(t, mustStamp(t, a))
			maxBits = max(maxBits, tokenInfo(t, token).SerialNumber.BitLen())
		}
		if maxBits <= 128 || maxBits > 160 {
			t.Errorf("fixed? widest of 20 serials has %d bits", maxBits)
		}
	})
}
