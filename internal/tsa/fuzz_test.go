package tsa

import (
	"encoding/asn1"
	"testing"
)

// FuzzStamp feeds arbitrary bytes to Authority.Stamp. Whatever the input,
// Stamp must not panic and must answer with a DER TimeStampResp: a
// rejection with one of the failInfo bits the Authority uses, or a grant
// whose token verifies for the imprint the input carried. The input cannot
// make the Authority itself fail, so the error must be nil. Seeds are in
// testdata/fuzz/FuzzStamp (requests from the tests and from openssl ts
// -query).
func FuzzStamp(f *testing.F) {
	p := testPKI(f)
	a := testAuthority(f, p)
	f.Add(goodReq().der(f))
	f.Fuzz(func(t *testing.T, req []byte) {
		resp, err := a.Stamp(req)
		if err != nil {
			t.Fatalf("Authority failed: %v", err)
		}
		r, token := decodeResp(t, resp)
		switch r.Status.Status {
		case statusGranted:
			var q timeStampReq
			if _, err := asn1.Unmarshal(req, &q); err != nil {
				t.Fatalf("granted a request that does not decode: %v", err)
			}
			h := hashFromOID(q.MessageImprint.HashAlgorithm.Algorithm)
			if _, err := Verify(token, q.MessageImprint.HashedMessage, h, p.pool(), p.tsa); err != nil {
				t.Fatalf("granted token does not verify: %v", err)
			}
		case statusRejection:
			if len(token) != 0 {
				t.Fatal("rejection with a token")
			}
			switch f := firstFailInfo(r.Status.FailInfo); f {
			case FailBadAlg, FailBadRequest, FailBadDataFormat, FailUnacceptedPolicy, FailUnacceptedExtension:
			default:
				t.Fatalf("rejection with failInfo %v", f)
			}
		default:
			t.Fatalf("status %d", r.Status.Status)
		}
	})
}
