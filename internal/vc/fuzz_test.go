package vc

import (
	"context"
	"testing"
	"time"
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

// FuzzVerifyPresentation feeds arbitrary bytes to VerifyPresentation and
// VerifyPresentationJWT: no panic, Verified exactly when the error is nil,
// and every failure carries a stable input code. Seeds are in
// testdata/fuzz/FuzzVerifyPresentation (written by TestWriteFuzzSeeds:
// valid and tampered presentations of both kinds, with fixed keys).
func FuzzVerifyPresentation(f *testing.F) {
	fx := newVPFixture(f)
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiablePresentation","proof":{}}`))
	codes := map[Code]bool{CodeHolderMismatch: true, CodeReplayed: true, CodeIssuerMismatch: true}
	for c := range knownCodes {
		codes[c] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := fx.verifyOpts()
		opts.SkipUnsupported = len(data)%2 == 0
		opts.Nonces = NewMemoryNonceStore(4, func() time.Time { return vpNow })
		for _, verify := range []func(context.Context, []byte, KeyResolver, PresentationOptions) (*PresentationResult, error){
			fx.p.VerifyPresentation, fx.p.VerifyPresentationJWT,
		} {
			res, err := verify(context.Background(), data, fx.resolver, opts)
			if res == nil {
				t.Fatal("nil result")
			}
			if (err == nil) != res.Verified {
				t.Fatalf("err %v but Verified %v", err, res.Verified)
			}
			if err != nil && !codes[CodeOf(err)] {
				t.Fatalf("unexpected code: %v", err)
			}
		}
	})
}
