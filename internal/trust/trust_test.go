package trust

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/xborder/xborder/internal/suite"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

const (
	regID   = "https://registry.example/xborder/trusted-list"
	acme    = "did:web:acme.example"
	shCA    = "did:web:sh-ca.example.cn"
	anyCorp = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
)

func sampleRegistry(seq uint64) *Registry {
	return &Registry{
		ID: regID, Operator: "did:web:registry.example", Scheme: "CN-EU cross-border data pilot",
		Sequence: seq, Issued: t0, NextUpdate: t0.Add(30 * 24 * time.Hour),
		Entries: []Entry{
			{Name: "Acme Certification GmbH", Issuer: acme, Jurisdiction: "DE",
				CredentialTypes: []string{"DataProtectionCertificate", "ISO27001Certificate"},
				ValidFrom:       t0.Add(-365 * 24 * time.Hour), ValidUntil: t0.Add(20 * 24 * time.Hour)},
			{Name: "Shanghai Data Exchange CA", Issuer: shCA, Jurisdiction: "CN-SH", Scheme: "CAC data export filing",
				CredentialTypes: []string{"DataExportFiling"}, ValidFrom: t0.Add(24 * time.Hour)},
			{Name: "Any Corp", Issuer: anyCorp, Jurisdiction: "EU", CredentialTypes: []string{"*"},
				ValidFrom: t0.Add(-24 * time.Hour), ValidUntil: t0.Add(10 * 24 * time.Hour)},
		},
	}
}

func newSigner(t testing.TB, alg suite.Alg, kid string) KeySigner {
	t.Helper()
	s, err := suite.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return KeySigner{KeyID: kid, Signer: s}
}

func opts(keys ...KeySigner) VerifyOptions {
	o := VerifyOptions{ID: regID, Now: func() time.Time { return t0.Add(time.Hour) }}
	for _, k := range keys {
		o.Keys = append(o.Keys, k.Public())
	}
	return o
}

func wantCode(t testing.TB, err error, want Code) {
	t.Helper()
	if got := CodeOf(err); got != want {
		t.Fatalf("code %q (%v), want %q", got, err, want)
	}
}

func TestAccept(t *testing.T) {
	k := newSigner(t, suite.Ed25519, "op-1")
	signed, err := Sign(sampleRegistry(7), k)
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := Verify(signed, opts(k))
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(2 * 24 * time.Hour)
	vcT := "VerifiableCredential"
	cases := []struct {
		name   string
		issuer string
		types  []string
		jur    string
		at     time.Time
		want   Code
		entry  string
		scheme string
	}{
		{"one type", acme, []string{vcT, "DataProtectionCertificate"}, "DE", now, "", "Acme Certification GmbH", "CN-EU cross-border data pilot"},
		{"both types", acme, []string{vcT, "DataProtectionCertificate", "ISO27001Certificate"}, "de", now, "", "Acme Certification GmbH", ""},
		{"a type not covered", acme, []string{vcT, "DataProtectionCertificate", "DataExportFiling"}, "DE", now, CodeUntrustedIssuer, "", ""},
		{"only the base type", acme, []string{vcT}, "DE", now, CodeUntrustedIssuer, "", ""},
		{"wrong jurisdiction", acme, []string{"DataProtectionCertificate"}, "FR", now, CodeUntrustedIssuer, "", ""},
		{"unknown issuer", "did:web:evil.example", []string{"DataProtectionCertificate"}, "DE", now, CodeUntrustedIssuer, "", ""},
		{"issuer prefix", acme + ":x", []string{"DataProtectionCertificate"}, "DE", now, CodeUntrustedIssuer, "", ""},
		{"entry expired", acme, []string{"DataProtectionCertificate"}, "DE", t0.Add(20 * 24 * time.Hour), CodeUntrustedIssuer, "", ""},
		{"entry scheme", shCA, []string{vcT, "DataExportFiling"}, "CN-SH", now, "", "Shanghai Data Exchange CA", "CAC data export filing"},
		{"entry not yet valid", shCA, []string{"DataExportFiling"}, "CN-SH", t0.Add(time.Hour), CodeUntrustedIssuer, "", ""},
		{"subdivision is not the country", shCA, []string{"DataExportFiling"}, "CN", now, CodeUntrustedIssuer, "", ""},
		{"wildcard", anyCorp, []string{vcT, "Anything", "Else"}, "EU", now, "", "Any Corp", ""},
		{"wildcard base type", anyCorp, nil, "EU", now, "", "Any Corp", ""},
		{"wildcard until", anyCorp, []string{"X"}, "EU", t0.Add(10 * 24 * time.Hour), CodeUntrustedIssuer, "", ""},
		{"stale registry", anyCorp, []string{"X"}, "EU", t0.Add(31 * 24 * time.Hour), CodeStaleRegistry, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := r.Accept(tc.issuer, tc.types, tc.jur, tc.at)
			wantCode(t, err, tc.want)
			if tc.want != "" {
				return
			}
			if a.EntryName != tc.entry || a.Sequence != 7 || a.RegistryID != regID || a.Issuer != tc.issuer {
				t.Fatalf("anchor %+v", a)
			}
			if tc.scheme != "" && a.Scheme != tc.scheme {
				t.Fatalf("scheme %q, want %q", a.Scheme, tc.scheme)
			}
		})
	}
}

func TestSignVerifyAlgorithms(t *testing.T) {
	for _, alg := range []suite.Alg{suite.Ed25519, suite.P256, suite.SM2} {
		t.Run(string(alg), func(t *testing.T) {
			k := newSigner(t, alg, "op-"+string(alg))
			signed, err := Sign(sampleRegistry(1), k)
			if err != nil {
				t.Fatal(err)
			}
			r, digest, err := Verify(signed, opts(k))
			if err != nil {
				t.Fatal(err)
			}
			if len(digest) != 64 || len(r.Entries) != 3 || !r.Entries[1].ValidUntil.IsZero() {
				t.Fatalf("%s %+v", digest, r)
			}
			// Another key of the same algorithm does not verify it.
			other := newSigner(t, alg, "op-"+string(alg))
			_, _, err = Verify(signed, opts(other))
			wantCode(t, err, CodeBadSignature)
		})
	}
}

// TestJOSEInterop checks the documented claim that an intl signature is a JWS
// a JOSE library verifies once the canonical registry is put back as payload.
func TestJOSEInterop(t *testing.T) {
	for _, alg := range []suite.Alg{suite.Ed25519, suite.P256} {
		k := newSigner(t, alg, "op")
		signed, err := Sign(sampleRegistry(3), k)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Registry   json.RawMessage `json:"registry"`
			Signatures []wireSignature `json:"signatures"`
		}
		if err := json.Unmarshal(signed, &env); err != nil {
			t.Fatal(err)
		}
		canon, err := Canonicalize(env.Registry)
		if err != nil {
			t.Fatal(err)
		}
		compact := env.Signatures[0].Protected + "." + base64.RawURLEncoding.EncodeToString(canon) + "." + env.Signatures[0].Signature
		jws, err := jose.ParseSigned(compact, []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256})
		if err != nil {
			t.Fatal(err)
		}
		payload, err := jws.Verify(k.Signer.Public())
		if err != nil {
			t.Fatalf("%s: go-jose: %v", alg, err)
		}
		if !bytes.Equal(payload, canon) || jws.Signatures[0].Header.KeyID != "op" {
			t.Fatal("payload or kid differ")
		}
	}
}

func TestMultipleSignaturesAndThreshold(t *testing.T) {
	intl := newSigner(t, suite.Ed25519, "eu-operator")
	gm := newSigner(t, suite.SM2, "cn-operator")
	signed, err := Sign(sampleRegistry(2), intl, gm)
	if err != nil {
		t.Fatal(err)
	}
	// Each side checks the signature it knows; the other is ignored.
	for _, k := range []KeySigner{intl, gm} {
		if _, _, err := Verify(signed, opts(k)); err != nil {
			t.Fatalf("%s: %v", k.KeyID, err)
		}
	}
	o := opts(intl, gm)
	o.Threshold = 2
	if _, _, err := Verify(signed, o); err != nil {
		t.Fatal(err)
	}
	one, _ := Sign(sampleRegistry(2), intl)
	_, _, err = Verify(one, o)
	wantCode(t, err, CodeBadSignature)
	o.Threshold = 3
	_, _, err = Verify(signed, o)
	wantCode(t, err, CodeInvalidArgument)
	// A key id claimed with the wrong algorithm is refused.
	o = opts(intl)
	o.Keys[0].Alg = suite.P256
	_, _, err = Verify(one, o)
	wantCode(t, err, CodeBadSignature)
}

func TestTamper(t *testing.T) {
	k := newSigner(t, suite.Ed25519, "op")
	signed, err := Sign(sampleRegistry(5), k)
	if err != nil {
		t.Fatal(err)
	}
	s := string(signed)
	cases := map[string]struct {
		doc  string
		want Code
	}{
		"issuer swapped":    {strings.Replace(s, acme, "did:web:evil.example", 1), CodeBadSignature},
		"sequence bumped":   {strings.Replace(s, `"sequence": 5`, `"sequence": 6`, 1), CodeBadSignature},
		"type added":        {strings.Replace(s, `"DataExportFiling"`, `"DataExportFiling", "X"`, 1), CodeBadSignature},
		"member added":      {strings.Replace(s, `"scheme": "CN-EU`, `"extra": 1, "scheme": "CN-EU`, 1), CodeBadSignature},
		"reformatted":       {compactJSON(t, signed), ""},
		"members reordered": {reorder(t, signed), ""},
		"duplicate member":  {strings.Replace(s, `"scheme": "CN-EU`, `"scheme": "X", "scheme": "CN-EU`, 1), CodeMalformed},
		"extra envelope":    {strings.Replace(s, `"signatures"`, `"x": 1, "signatures"`, 1), CodeMalformed},
		"no signatures":     {`{"registry": {}, "signatures": []}`, CodeMalformed},
		"not json":          {"<registry/>", CodeMalformed},
		"trailing data":     {s + "{}", CodeMalformed},
		"signature flipped": {flipSignature(t, signed), CodeBadSignature},
		"header member":     {withHeader(t, signed, `{"alg":"EdDSA","kid":"op","typ":"xborder-trust-registry+jcs","jku":"https://evil"}`), CodeMalformed},
		"header wrong typ":  {withHeader(t, signed, `{"alg":"EdDSA","kid":"op","typ":"JWT"}`), CodeMalformed},
		"header alg none":   {withHeader(t, signed, `{"alg":"none","kid":"op","typ":"xborder-trust-registry+jcs"}`), CodeBadSignature},
		"unknown kid only":  {withHeader(t, signed, `{"alg":"EdDSA","kid":"other","typ":"xborder-trust-registry+jcs"}`), CodeBadSignature},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := Verify([]byte(tc.doc), opts(k))
			wantCode(t, err, tc.want)
		})
	}
	o := opts(k)
	o.ID = "https://registry.example/other"
	_, _, err = Verify(signed, o)
	wantCode(t, err, CodeMalformed)
}

func compactJSON(t *testing.T, b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// reorder rewrites the document through a map, which sorts members
// differently from the signer's struct order.
func reorder(t *testing.T, b []byte) string {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(m)
	return string(out)
}

func envelope(t *testing.T, b []byte) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func flipSignature(t *testing.T, b []byte) string {
	m := envelope(t, b)
	sig := m["signatures"].([]any)[0].(map[string]any)
	raw, _ := base64.RawURLEncoding.DecodeString(sig["signature"].(string))
	raw[10] ^= 1
	sig["signature"] = base64.RawURLEncoding.EncodeToString(raw)
	out, _ := json.Marshal(m)
	return string(out)
}

func withHeader(t *testing.T, b []byte, h string) string {
	m := envelope(t, b)
	m["signatures"].([]any)[0].(map[string]any)["protected"] = base64.RawURLEncoding.EncodeToString([]byte(h))
	out, _ := json.Marshal(m)
	return string(out)
}

func TestRollback(t *testing.T) {
	ctx := context.Background()
	k := newSigner(t, suite.SM2, "cn-op")
	hw := &FileHighWater{Path: filepath.Join(t.TempDir(), "trust", "highwater.json")}
	s5, _ := Sign(sampleRegistry(5), k)
	s6, _ := Sign(sampleRegistry(6), k)
	if _, err := Load(ctx, s5, opts(k), hw); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ctx, s5, opts(k), hw); err != nil {
		t.Fatalf("reloading the same version: %v", err)
	}
	r, err := Load(ctx, s6, opts(k), hw)
	if err != nil || r.Sequence != 6 {
		t.Fatal(err)
	}
	_, err = Load(ctx, s5, opts(k), hw)
	wantCode(t, err, CodeRollback)
	// A second process (a new FileHighWater on the same file) remembers.
	_, err = Load(ctx, s5, opts(k), &FileHighWater{Path: hw.Path})
	wantCode(t, err, CodeRollback)
	// Equivocation: another registry with the same sequence.
	other := sampleRegistry(6)
	other.Entries = other.Entries[:1]
	s6b, _ := Sign(other, k)
	_, err = Load(ctx, s6b, opts(k), hw)
	wantCode(t, err, CodeRollback)
	// A forged higher version does not move the mark.
	forged := strings.Replace(string(s6), `"sequence": 6`, `"sequence": 9`, 1)
	_, err = Load(ctx, []byte(forged), opts(k), hw)
	wantCode(t, err, CodeBadSignature)
	if _, err := Load(ctx, s6, opts(k), hw); err != nil {
		t.Fatal(err)
	}
	mem := &MemoryHighWater{}
	if _, err := Load(ctx, s6, opts(k), mem); err != nil {
		t.Fatal(err)
	}
	_, err = Load(ctx, s5, opts(k), mem)
	wantCode(t, err, CodeRollback)
	_, err = Load(ctx, s5, opts(k), nil)
	wantCode(t, err, CodeInvalidArgument)
}

func TestStaleRegistry(t *testing.T) {
	k := newSigner(t, suite.Ed25519, "op")
	signed, _ := Sign(sampleRegistry(1), k)
	o := opts(k)
	o.Now = func() time.Time { return t0.Add(31 * 24 * time.Hour) }
	_, _, err := Verify(signed, o)
	wantCode(t, err, CodeStaleRegistry)
	o.Now = func() time.Time { return t0.Add(-time.Hour) }
	_, _, err = Verify(signed, o)
	wantCode(t, err, CodeStaleRegistry)
	o.Now = func() time.Time { return t0.Add(-time.Minute) }
	if _, _, err := Verify(signed, o); err != nil {
		t.Fatalf("within the clock skew: %v", err)
	}
}

func TestSignRefusesInvalid(t *testing.T) {
	k := newSigner(t, suite.Ed25519, "op")
	mut := func(f func(*Registry)) *Registry { r := sampleRegistry(1); f(r); return r }
	bad := map[string]*Registry{
		"no id":         mut(func(r *Registry) { r.ID = "" }),
		"relative id":   mut(func(r *Registry) { r.ID = "registry" }),
		"no scheme":     mut(func(r *Registry) { r.Scheme = "" }),
		"sequence 0":    mut(func(r *Registry) { r.Sequence = 0 }),
		"sequence 2^53": mut(func(r *Registry) { r.Sequence = 1 << 53 }),
		"next before":   mut(func(r *Registry) { r.NextUpdate = r.Issued }),
		"bad issuer":    mut(func(r *Registry) { r.Entries[0].Issuer = "https://acme.example" }),
		"jurisdiction":  mut(func(r *Registry) { r.Entries[0].Jurisdiction = "de" }),
		"no types":      mut(func(r *Registry) { r.Entries[0].CredentialTypes = nil }),
		"empty type":    mut(func(r *Registry) { r.Entries[0].CredentialTypes = []string{""} }),
		"no validFrom":  mut(func(r *Registry) { r.Entries[0].ValidFrom = time.Time{} }),
		"until<from":    mut(func(r *Registry) { r.Entries[0].ValidUntil = r.Entries[0].ValidFrom }),
		"no name":       mut(func(r *Registry) { r.Entries[0].Name = "" }),
		"long name":     mut(func(r *Registry) { r.Entries[0].Name = strings.Repeat("x", MaxStringLen+1) }),
	}
	for name, r := range bad {
		if _, err := Sign(r, k); CodeOf(err) != CodeInvalidArgument {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Sign(sampleRegistry(1)); CodeOf(err) != CodeInvalidArgument {
		t.Errorf("no signer: %v", err)
	}
	// Sub-second and non-UTC times are normalised by Sign.
	r := sampleRegistry(1)
	r.Issued = t0.Add(500 * time.Millisecond).In(time.FixedZone("CST", 8*3600))
	signed, err := Sign(r, k)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(signed, []byte(`"issued": "2026-11-01T00:00:00Z"`)) {
		t.Fatalf("issued not normalised: %s", signed)
	}
}
