package vc

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
)

const (
	testAudience  = "https://verifier.example"
	testChallenge = "n-3f1c8e2a"
)

var vpNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// vpFixture is a holder with two credentials from one issuer, all did:key.
type vpFixture struct {
	p        *Processor
	resolver *identity.Resolver
	issuer   suite.Signer
	issuerID *identity.KeyDID
	holder   suite.Signer
	holderID *identity.KeyDID
	diCred   []byte // Data Integrity (eddsa-rdfc-2022) credential about the holder
	jwtCred  string // vc+jwt credential about the holder
}

// fixedKey returns an Ed25519 signer from a fixed seed byte, so that fuzz
// seeds stay valid.
func fixedKey(t testing.TB, b byte) (suite.Signer, *identity.KeyDID) {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = b
	}
	s, err := suite.NewSigner(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	k, err := identity.NewKeyDID(suite.Ed25519, s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return s, k
}

func newVPFixture(t testing.TB) *vpFixture {
	t.Helper()
	f := &vpFixture{p: newSM2Processor(t), resolver: identity.NewResolver(identity.ResolverOptions{})}
	f.issuer, f.issuerID = fixedKey(t, 1)
	f.holder, f.holderID = fixedKey(t, 2)
	f.diCred = f.credential(t, testCredential(f.issuerID.DID, f.holderID.DID))
	tok, err := f.p.SignJWT(context.Background(), testCredential(f.issuerID.DID, f.holderID.DID), JWTOptions{Signer: f.issuer, KeyID: f.issuerID.VerificationMethodID()})
	if err != nil {
		t.Fatal(err)
	}
	f.jwtCred = tok
	return f
}

func (f *vpFixture) credential(t testing.TB, cred map[string]any) []byte {
	t.Helper()
	b, err := f.p.Sign(context.Background(), cred, ProofOptions{Cryptosuite: EdDSARDFC2022,
		VerificationMethod: f.issuerID.VerificationMethodID(), Created: vpNow.Add(-24 * time.Hour), Signer: f.issuer})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func enveloped(tok string) map[string]any {
	return map[string]any{"@context": ContextV2, "id": EnvelopedVCJWTPrefix + tok, "type": TypeEnvelopedVerifiableCredential}
}

// presentation builds an unsigned presentation by holder (omitted when
// empty) of the given credentials (JSON documents or enveloped maps).
func presentation(t testing.TB, holder string, creds ...any) map[string]any {
	t.Helper()
	vp := map[string]any{"@context": []any{ContextV2}, "type": []any{TypeVerifiablePresentation}}
	if holder != "" {
		vp["holder"] = holder
	}
	var list []any
	for _, c := range creds {
		switch v := c.(type) {
		case []byte:
			var m map[string]any
			if err := json.Unmarshal(v, &m); err != nil {
				t.Fatal(err)
			}
			list = append(list, m)
		default:
			list = append(list, v)
		}
	}
	if list != nil {
		vp["verifiableCredential"] = list
	}
	return vp
}

func (f *vpFixture) proofOpts() ProofOptions {
	return ProofOptions{Cryptosuite: EdDSARDFC2022, VerificationMethod: f.holderID.VerificationMethodID(),
		Challenge: testChallenge, Domain: testAudience, Created: vpNow.Add(-time.Minute), Signer: f.holder}
}

func (f *vpFixture) sign(t testing.TB, vp map[string]any, opts ProofOptions) []byte {
	t.Helper()
	b, err := f.p.SignPresentation(context.Background(), vp, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *vpFixture) verifyOpts() PresentationOptions {
	return PresentationOptions{Now: vpNow, Challenge: testChallenge, Domain: testAudience,
		HolderResolver: KeysFor(f.resolver, identity.Authentication), RequireHolderKey: true,
		RequireSubjectHolder: true, RequireIssuerKey: true}
}

func TestVerifyPresentationAccepts(t *testing.T) {
	ctx := context.Background()
	f := newVPFixture(t)
	cases := []struct {
		name  string
		creds []any
	}{
		{"no credentials", nil},
		{"Data Integrity credential", []any{f.diCred}},
		{"enveloped vc+jwt credential", []any{enveloped(f.jwtCred)}},
		{"both", []any{f.diCred, enveloped(f.jwtCred)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			signed := f.sign(t, presentation(t, f.holderID.DID, c.creds...), f.proofOpts())
			store := NewMemoryNonceStore(0, func() time.Time { return vpNow })
			opts := f.verifyOpts()
			opts.Nonces = store
			if len(c.creds) == 0 {
				opts.RequireSubjectHolder = false
			}
			res, err := f.p.VerifyPresentation(ctx, signed, f.resolver, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Verified || res.Holder != f.holderID.DID || len(res.Credentials) != len(c.creds) ||
				!res.Created.Equal(vpNow.Add(-time.Minute)) || len(res.Proofs) != 1 || res.Proofs[0].ProofPurpose != "authentication" {
				t.Fatalf("result %+v", res)
			}
			for i, cr := range res.Credentials {
				if !cr.Verified || cr.Issuer != f.issuerID.DID {
					t.Fatalf("credential %d: %+v", i, cr)
				}
			}
			if store.Len() != 1 {
				t.Fatalf("nonce store holds %d", store.Len())
			}
			_, err = f.p.VerifyPresentation(ctx, signed, f.resolver, opts)
			wantCode(t, err, CodeReplayed)
		})
	}
	t.Run("SM2 holder key", func(t *testing.T) {
		s, k := keyDID(t, suite.SM2)
		vp := presentation(t, k.DID)
		signed := f.sign(t, vp, ProofOptions{Cryptosuite: SM2RDFC2025, VerificationMethod: k.VerificationMethodID(),
			Challenge: testChallenge, Domain: testAudience, Created: vpNow, Signer: s})
		if _, err := f.p.VerifyPresentation(ctx, signed, f.resolver, f.verifyOpts()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("SM2 credential proof beside Ed25519", func(t *testing.T) {
		sm, smk := keyDID(t, suite.SM2)
		// An SM2 proof by another key of a did:key issuer cannot pass
		// RequireIssuerKey, so this credential is checked without it.
		cred, err := f.p.AddProof(ctx, f.diCred, ProofOptions{Cryptosuite: SM2RDFC2025, VerificationMethod: smk.VerificationMethodID(), Signer: sm})
		if err != nil {
			t.Fatal(err)
		}
		opts := f.proofOpts()
		signed, err := f.p.SignPresentation(ctx, presentation(t, f.holderID.DID, cred), opts)
		if err != nil {
			t.Fatal(err)
		}
		vopts := f.verifyOpts()
		vopts.RequireIssuerKey = false
		if _, err := f.p.VerifyPresentation(ctx, signed, f.resolver, vopts); err != nil {
			t.Fatal(err)
		}
		// A verifier without the SM2 suite accepts on the Ed25519 proof.
		vopts.SkipUnsupported = true
		if _, err := newProcessor(t).VerifyPresentation(ctx, signed, f.resolver, vopts); err != nil {
			t.Fatal(err)
		}
	})
}

// TestVerifyPresentationFailureCodes has one subtest per failure.
func TestVerifyPresentationFailureCodes(t *testing.T) {
	ctx := context.Background()
	f := newVPFixture(t)
	other, otherID := fixedKey(t, 3)
	good := func(t *testing.T) []byte {
		return f.sign(t, presentation(t, f.holderID.DID, f.diCred, enveloped(f.jwtCred)), f.proofOpts())
	}
	withProofOpts := func(mod func(*ProofOptions)) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			o := f.proofOpts()
			mod(&o)
			return f.sign(t, presentation(t, f.holderID.DID, f.diCred), o)
		}
	}
	tamper := func(mod func(vp map[string]any)) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			var vp map[string]any
			if err := json.Unmarshal(good(t), &vp); err != nil {
				t.Fatal(err)
			}
			mod(vp)
			return mustJSON(t, vp)
		}
	}
	opts := func(mod func(*PresentationOptions)) PresentationOptions {
		o := f.verifyOpts()
		if mod != nil {
			mod(&o)
		}
		return o
	}
	cases := []struct {
		name string
		vp   func(t *testing.T) []byte
		opts PresentationOptions
		want Code
	}{
		{"not JSON", func(*testing.T) []byte { return []byte(`{"@context":`) }, opts(nil), CodeMalformed},
		{"not a presentation", func(t *testing.T) []byte { return f.diCred }, opts(nil), CodeMalformed},
		{"no proof", func(t *testing.T) []byte { return mustJSON(t, presentation(t, f.holderID.DID)) }, opts(nil), CodeMalformed},
		{"holder not a URL", tamper(func(vp map[string]any) { vp["holder"] = "alice" }), opts(nil), CodeMalformed},
		{"credential not an object", tamper(func(vp map[string]any) { vp["verifiableCredential"] = []any{"x"} }), opts(nil), CodeMalformed},
		{"enveloped id not a data: URL", tamper(func(vp map[string]any) {
			vp["verifiableCredential"] = []any{map[string]any{"@context": ContextV2, "type": TypeEnvelopedVerifiableCredential, "id": "https://x.example/c"}}
		}), opts(nil), CodeMalformed},
		{"proof without created", withProofOpts(func(o *ProofOptions) { o.Created = time.Time{} }), opts(nil), CodeMalformed},
		{"unknown context", tamper(func(vp map[string]any) {
			vp["@context"] = []any{ContextV2, "https://evil.example/ctx"}
		}), opts(nil), CodeUnknownContext},
		{"undefined term", tamper(func(vp map[string]any) { vp["@foo"] = "bar" }), opts(nil), CodeDataLoss},
		{"tampered embedded credential", tamper(func(vp map[string]any) {
			c := vp["verifiableCredential"].([]any)[0].(map[string]any)
			c["credentialSubject"].(map[string]any)["memberOf"] = "Forged"
		}), opts(nil), CodeBadSignature},
		{"credential swapped after signing", tamper(func(vp map[string]any) {
			vp["verifiableCredential"] = []any{vp["verifiableCredential"].([]any)[0]}
		}), opts(nil), CodeBadSignature},
		{"unsupported cryptosuite", tamper(func(vp map[string]any) { vp["proof"].(map[string]any)["cryptosuite"] = "rot13-2025" }), opts(nil), CodeUnsupportedCryptosuite},
		{"unknown holder key", func(t *testing.T) []byte {
			vp := presentation(t, "did:example:nobody")
			o := f.proofOpts()
			o.VerificationMethod = "did:example:nobody#key-1"
			return f.sign(t, vp, o)
		}, opts(nil), CodeKeyResolution},
		{"purpose assertionMethod", withProofOpts(func(o *ProofOptions) { o.ProofPurpose = "assertionMethod" }), opts(nil), CodePurposeMismatch},
		{"other audience", good, opts(func(o *PresentationOptions) { o.Domain = "https://other.example" }), CodeDomainMismatch},
		{"no domain in proof", withProofOpts(func(o *ProofOptions) { o.Domain = "" }), opts(nil), CodeDomainMismatch},
		{"other challenge", good, opts(func(o *PresentationOptions) { o.Challenge = "n-other" }), CodeChallengeMismatch},
		{"no challenge in proof", withProofOpts(func(o *ProofOptions) { o.Challenge = "" }), opts(nil), CodeChallengeMismatch},
		{"proof expired", withProofOpts(func(o *ProofOptions) { o.Expires = vpNow.Add(-time.Second) }), opts(nil), CodeExpired},
		{"older than MaxAge", withProofOpts(func(o *ProofOptions) { o.Created = vpNow.Add(-DefaultPresentationMaxAge - time.Second) }), opts(nil), CodeExpired},
		{"older than a shorter MaxAge", good, opts(func(o *PresentationOptions) { o.MaxAge = 30 * time.Second }), CodeExpired},
		{"embedded credential expired", good, opts(func(o *PresentationOptions) {
			o.Now, o.MaxAge = time.Date(2027, 1, 1, 0, 0, 30, 0, time.UTC), -1
		}), CodeExpired},
		{"created in the future", withProofOpts(func(o *ProofOptions) { o.Created = vpNow.Add(DefaultClockSkew + time.Second) }), opts(nil), CodeNotYetValid},
		{"embedded credential not yet valid", func(t *testing.T) []byte {
			c := testCredential(f.issuerID.DID, f.holderID.DID)
			c["validFrom"] = "2026-12-01T00:00:00Z"
			return f.sign(t, presentation(t, f.holderID.DID, f.credential(t, c)), f.proofOpts())
		}, opts(nil), CodeNotYetValid},
		{"signed by a key not the holder's", func(t *testing.T) []byte {
			o := f.proofOpts()
			o.Signer, o.VerificationMethod = other, otherID.VerificationMethodID()
			return f.sign(t, presentation(t, f.holderID.DID, f.diCred), o)
		}, opts(func(o *PresentationOptions) { o.RequireHolderKey = false }), CodeHolderMismatch},
		{"no holder but RequireHolderKey", func(t *testing.T) []byte {
			return f.sign(t, presentation(t, "", f.diCred), f.proofOpts())
		}, opts(func(o *PresentationOptions) { o.RequireSubjectHolder = false }), CodeHolderMismatch},
		{"subject is not the holder", func(t *testing.T) []byte {
			o := f.proofOpts()
			o.Signer, o.VerificationMethod = other, otherID.VerificationMethodID()
			return f.sign(t, presentation(t, otherID.DID, f.diCred), o)
		}, opts(nil), CodeHolderMismatch},
		{"credential key not the issuer's", func(t *testing.T) []byte {
			c, err := f.p.Sign(ctx, testCredential("did:web:issuer.example", f.holderID.DID), ProofOptions{Cryptosuite: EdDSARDFC2022,
				VerificationMethod: f.issuerID.VerificationMethodID(), Signer: f.issuer})
			if err != nil {
				t.Fatal(err)
			}
			return f.sign(t, presentation(t, f.holderID.DID, c), f.proofOpts())
		}, opts(nil), CodeIssuerMismatch},
		{"enveloped credential of another media type", func(t *testing.T) []byte {
			e := map[string]any{"@context": ContextV2, "type": TypeEnvelopedVerifiableCredential, "id": "data:application/vc+sd-jwt,abc"}
			return f.sign(t, presentation(t, f.holderID.DID, e), f.proofOpts())
		}, opts(nil), CodeUnsupportedCryptosuite},
		{"enveloped vc+jwt tampered", func(t *testing.T) []byte {
			parts := strings.Split(f.jwtCred, ".")
			parts[2] = strings.Repeat("A", len(parts[2]))
			return f.sign(t, presentation(t, f.holderID.DID, enveloped(strings.Join(parts, "."))), f.proofOpts())
		}, opts(nil), CodeBadSignature},
		{"replayed", good, opts(func(o *PresentationOptions) {
			o.Nonces = NewMemoryNonceStore(0, func() time.Time { return vpNow })
			_ = o.Nonces.Use(ctx, testChallenge, vpNow.Add(time.Hour))
		}), CodeReplayed},
		{"nonce store failure", good, opts(func(o *PresentationOptions) { o.Nonces = failingStore{} }), CodeInternal},
		{"verifier gave no challenge", good, opts(func(o *PresentationOptions) { o.Challenge = "" }), CodeInternal},
		{"verifier gave no domain", good, opts(func(o *PresentationOptions) { o.Domain = "" }), CodeInternal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := f.p.VerifyPresentation(ctx, c.vp(t), f.resolver, c.opts)
			wantCode(t, err, c.want)
			if strings.HasPrefix(c.name, "embedded credential") && !strings.Contains(err.Error(), "credential 0") {
				t.Fatalf("%v does not name the credential", err)
			}
			if res == nil || res.Verified || res.Code != c.want || res.Err == nil {
				t.Fatalf("result %+v", res)
			}
		})
	}
}

// recordingStore remembers what Use was given.
type recordingStore struct {
	nonce string
	until time.Time
}

func (r *recordingStore) Use(_ context.Context, n string, until time.Time) error {
	r.nonce, r.until = n, until
	return nil
}

// TestNonceSpentOnlyWhenValid: a forged presentation carrying a genuine
// nonce does not spend it, and the record is kept until the presentation
// could no longer verify anyway.
func TestNonceSpentOnlyWhenValid(t *testing.T) {
	ctx := context.Background()
	f := newVPFixture(t)
	signed := f.sign(t, presentation(t, f.holderID.DID, f.diCred), f.proofOpts())
	forged := []byte(strings.Replace(string(signed), "Example Dataspace", "Forged Dataspace", 1))
	opts := f.verifyOpts()
	store := NewMemoryNonceStore(0, func() time.Time { return vpNow })
	opts.Nonces = store
	_, err := f.p.VerifyPresentation(ctx, forged, f.resolver, opts)
	wantCode(t, err, CodeBadSignature)
	if store.Len() != 0 {
		t.Fatal("a forged presentation spent the nonce")
	}
	if _, err := f.p.VerifyPresentation(ctx, signed, f.resolver, opts); err != nil {
		t.Fatal(err)
	}

	rec := &recordingStore{}
	opts.Nonces = rec
	if _, err := f.p.VerifyPresentation(ctx, signed, f.resolver, opts); err != nil {
		t.Fatal(err)
	}
	if want := vpNow.Add(-time.Minute).Add(DefaultPresentationMaxAge); rec.nonce != testChallenge || !rec.until.Equal(want) {
		t.Fatalf("Use(%q, %v), want until %v", rec.nonce, rec.until, want)
	}
	o := f.proofOpts()
	o.Expires = vpNow.Add(time.Minute)
	if _, err := f.p.VerifyPresentation(ctx, f.sign(t, presentation(t, f.holderID.DID, f.diCred), o), f.resolver, opts); err != nil {
		t.Fatal(err)
	}
	if !rec.until.Equal(o.Expires) {
		t.Fatalf("until %v, want the proof's expiry %v", rec.until, o.Expires)
	}
}

type failingStore struct{}

func (failingStore) Use(context.Context, string, time.Time) error { return errors.New("store offline") }

// fakeMethods lists one key under one relationship.
type fakeMethods struct {
	id, relationship string
	vm               *identity.VerificationMethod
}

func (f fakeMethods) VerificationMethod(_ context.Context, didURL, relationship string) (*identity.VerificationMethod, error) {
	if didURL != f.id || relationship != f.relationship {
		return nil, errors.New("not listed")
	}
	return f.vm, nil
}

// TestKeysFor: a key listed only under assertionMethod does not
// authenticate a holder when the verifier resolves holder keys with
// KeysFor(r, authentication).
func TestKeysFor(t *testing.T) {
	ctx := context.Background()
	f := newVPFixture(t)
	const holder = "did:web:holder.example"
	vm, err := identity.NewMultikeyMethod(holder+"#key-1", holder, suite.Ed25519, f.holder.Public())
	if err != nil {
		t.Fatal(err)
	}
	o := f.proofOpts()
	o.VerificationMethod = holder + "#key-1"
	signed := f.sign(t, presentation(t, holder), o)
	for _, rel := range []string{identity.Authentication, identity.AssertionMethod} {
		opts := f.verifyOpts()
		opts.HolderResolver = KeysFor(fakeMethods{holder + "#key-1", rel, vm}, identity.Authentication)
		_, err := f.p.VerifyPresentation(ctx, signed, nil, opts)
		if rel == identity.Authentication && err != nil {
			t.Fatal(err)
		}
		if rel == identity.AssertionMethod {
			wantCode(t, err, CodeKeyResolution)
		}
	}
}

func TestCanceledPresentation(t *testing.T) {
	f := newVPFixture(t)
	signed := f.sign(t, presentation(t, f.holderID.DID, f.diCred), f.proofOpts())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.p.VerifyPresentation(ctx, signed, f.resolver, f.verifyOpts())
	wantCode(t, err, CodeInternal)
	_, err = f.p.SignPresentation(ctx, presentation(t, f.holderID.DID), f.proofOpts())
	wantCode(t, err, CodeInternal)
}

func TestMemoryNonceStore(t *testing.T) {
	ctx := context.Background()
	now := vpNow
	s := NewMemoryNonceStore(2, func() time.Time { return now })
	if err := s.Use(ctx, "a", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Use(ctx, "a", now.Add(time.Minute)); !errors.Is(err, ErrNonceUsed) {
		t.Fatalf("reuse: %v", err)
	}
	if err := s.Use(ctx, "b", time.Time{}); err != nil { // kept for ever
		t.Fatal(err)
	}
	if err := s.Use(ctx, "c", now.Add(time.Minute)); err == nil || errors.Is(err, ErrNonceUsed) {
		t.Fatalf("full store: %v", err)
	}
	now = now.Add(2 * time.Minute) // "a" has expired and is dropped
	if err := s.Use(ctx, "c", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Use(ctx, "a", now.Add(time.Minute)); err == nil {
		t.Fatal("store over its bound")
	}
	if err := s.Use(ctx, "b", time.Time{}); !errors.Is(err, ErrNonceUsed) {
		t.Fatalf("for-ever nonce reused: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Use(cctx, "d", time.Time{}); err == nil {
		t.Fatal("cancelled context")
	}
}

// TestMemoryNonceStoreConcurrent: of many simultaneous uses of one nonce,
// exactly one succeeds.
func TestMemoryNonceStoreConcurrent(t *testing.T) {
	s := NewMemoryNonceStore(0, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 32 {
		wg.Go(func() {
			if s.Use(context.Background(), "n", time.Now().Add(time.Minute)) == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d uses succeeded", ok)
	}
}
