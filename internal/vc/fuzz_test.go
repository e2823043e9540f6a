package vc

import (
	"context"
	"testing"
)

var knownCodes = map[Code]bool{
	CodeMalformed: true, CodeUnknownContext: true, CodeDataLoss: true, CodeBadSignature: true,
	CodeUnsupportedCryptosuite: true, CodeKeyResolution: true, CodePurposeMismatch: true,
	CodeDomainMismatch: true, CodeChallengeMismatch: true, CodeExpired: true, CodeNotYetValid: true,
}

// FuzzVerify feeds arbitrary bytes to Verify: it must never panic, and
// every failure must carry one of the stable input codes. Seeds are in
// testdata/fuzz/FuzzVerify (the published vectors and tampered variants).
func FuzzVerify(f *testing.F) {
	p, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","issuer":"did:x:y","credentialSubject":{"id":"_:b0"},"proof":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := p.Verify(context.Background(), data, didKeyResolver{}, VerifyOptions{Now: vectorNow, SkipUnsupported: len(data)%2 == 0})
		if res == nil {
			t.Fatal("nil result")
		}
		if (err == nil) != res.Verified {
			t.Fatalf("err %v but Verified %v", err, res.Verified)
		}
		if err != nil && !knownCodes[CodeOf(err)] {
			t.Fatalf("unexpected code: %v", err)
		}
	})
}
