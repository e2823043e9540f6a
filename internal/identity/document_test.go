package identity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/suite"
)

// webSpecExample is the JsonWebKey2020 example of the did:web method
// specification (with its trailing comma removed), plus a relative
// reference, an embedded method and three kinds of service endpoint.
const webSpecExample = `{
  "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"],
  "id": "did:web:example.com",
  "verificationMethod": [
    {"id": "did:web:example.com#key-0", "type": "JsonWebKey2020", "controller": "did:web:example.com",
     "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": "0-e2i2_Ua1S5HbTYnVB0lj2Z2ytXu2-tYmDFf8f5NjU"}},
    {"id": "did:web:example.com#key-1", "type": "JsonWebKey2020", "controller": "did:web:example.com",
     "publicKeyJwk": {"kty": "OKP", "crv": "X25519", "x": "9GXjPGGvmRq9F6Ng5dQQ_s31mfhxrcNZxRGONrmH30k"}},
    {"id": "#key-2", "type": "JsonWebKey2020", "controller": "did:web:example.com",
     "publicKeyJwk": {"kty": "EC", "crv": "P-256", "x": "38M1FDts7Oea7urmseiugGW7tWc3mLpJh6rKe7xINZ8", "y": "nDQW6XZ7b_u2Sy9slofYLlG03sOEoug3I0aAPQ0exs4", "kid": "k2"}}
  ],
  "authentication": ["did:web:example.com#key-0", "#key-2",
    {"id": "did:web:example.com#key-3", "type": "Multikey", "controller": "did:web:example.com",
     "publicKeyMultibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}],
  "assertionMethod": ["did:web:example.com#key-0", "did:web:example.com#key-2"],
  "keyAgreement": ["did:web:example.com#key-1", "did:web:example.com#key-2"],
  "service": [
    {"id": "#dsp", "type": "DataService", "serviceEndpoint": "https://example.com/dsp"},
    {"id": "did:web:example.com#cs", "type": ["CredentialService", "Other"], "serviceEndpoint": ["https://a.example.com/cs", {"uri": "https://b.example.com/cs"}]},
    {"id": "did:web:example.com#m", "type": "Map", "serviceEndpoint": {"origins": ["https://example.com"], "n": 1.50}, "x-ext": true}
  ],
  "x-extension": {"kept": [1, 2, 3]}
}`

func TestParseDocument(t *testing.T) {
	doc, err := ParseDocument([]byte(webSpecExample))
	if err != nil {
		t.Fatal(err)
	}
	if doc.ID != "did:web:example.com" || len(doc.VerificationMethods) != 3 || len(doc.Authentication) != 3 || len(doc.Service) != 3 {
		t.Fatalf("parsed %+v", doc)
	}
	cases := []struct {
		id, rel string
		alg     suite.Alg
		code    ErrorCode
	}{
		{"#key-0", AssertionMethod, suite.Ed25519, ""},
		{"did:web:example.com#key-0", Authentication, suite.Ed25519, ""},
		{"#key-2", AssertionMethod, suite.P256, ""},
		{"did:web:example.com#key-2", Authentication, suite.P256, ""},
		{"#key-3", Authentication, suite.Ed25519, ""}, // embedded
		{"#key-3", "", suite.Ed25519, ""},
		{"#key-3", AssertionMethod, "", CodeNotFound},
		{"#key-1", AssertionMethod, "", CodeNotFound},
		{"#key-1", KeyAgreement, "", CodeInvalidPublicKeyType}, // X25519 cannot sign
		{"#key-9", "", "", CodeNotFound},
		{"did:web:other.example#key-0", "", "", CodeNotFound},
		{"#bad key", "", "", CodeInvalidDIDURL},
		{"#key-0", CapabilityInvocation, "", CodeNotFound},
	}
	for _, c := range cases {
		vm, err := doc.VerificationMethod(c.id, c.rel)
		if err == nil {
			var alg suite.Alg
			alg, _, err = vm.PublicKey()
			if err == nil && alg != c.alg {
				t.Errorf("%s/%s: alg %s, want %s", c.id, c.rel, alg, c.alg)
			}
		}
		if Code(err) != c.code && !(c.code == "" && err == nil) {
			t.Errorf("%s/%s: %v, want %q", c.id, c.rel, err, c.code)
		}
	}
	if _, err := doc.VerificationMethod("#key-0", "bogus"); err == nil {
		t.Error("unknown relationship accepted")
	}
	if u, err := doc.ServiceEndpointURI(ServiceTypeCredentialService); err != nil || u != "https://a.example.com/cs" {
		t.Errorf("CredentialService endpoint %q, %v", u, err)
	}
	if u, err := doc.ServiceEndpointURI(ServiceTypeDataService); err != nil || u != "https://example.com/dsp" {
		t.Errorf("DataService endpoint %q, %v", u, err)
	}
	if _, err := doc.ServiceEndpointURI("Nope"); Code(err) != CodeNotFound {
		t.Errorf("missing service: %v", err)
	}

	// Serialization keeps extension members and number spelling, and is a
	// fixed point.
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"x-extension":{"kept":[1,2,3]}`, `"x-ext":true`, `"n":1.50`, `"kid":"k2"`, `"type":["CredentialService","Other"]`, `"@context":["https://www.w3.org/ns/did/v1","https://w3id.org/security/suites/jws-2020/v1"]`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("serialized document lacks %s:\n%s", want, out)
		}
	}
	doc2, err := ParseDocument(out)
	if err != nil {
		t.Fatal(err)
	}
	out2, _ := json.Marshal(doc2)
	if !bytes.Equal(out, out2) {
		t.Errorf("not a fixed point:\n%s\n%s", out, out2)
	}
	// Clone is deep.
	c := doc.Clone()
	c.VerificationMethods[0].PublicKeyJWK.X = "changed"
	c.Service[2].ServiceEndpoint.Map["n"] = "changed"
	if doc.VerificationMethods[0].PublicKeyJWK.X == "changed" || doc.Service[2].ServiceEndpoint.Map["n"] == "changed" {
		t.Error("Clone shares memory with the original")
	}
}

func TestParseDocumentRejects(t *testing.T) {
	vm := func(extra string) string {
		return `{"id":"did:example:1","verificationMethod":[{"id":"#k","type":"Multikey","controller":"did:example:1"` + extra + `}]}`
	}
	many := func(n int, f func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = f(i)
		}
		return strings.Join(parts, ",")
	}
	cases := map[string]string{
		"not an object":        `["did:example:1"]`,
		"null":                 `null`,
		"empty":                ``,
		"no id":                `{"verificationMethod":[]}`,
		"id null":              `{"id":null}`,
		"id number":            `{"id":1}`,
		"id not a DID":         `{"id":"https://example.com"}`,
		"id a DID URL":         `{"id":"did:example:1#x"}`,
		"duplicate id":         `{"id":"did:example:1","id":"did:example:2"}`,
		"nested duplicate":     `{"id":"did:example:1","service":[{"id":"#s","type":"T","type":"U","serviceEndpoint":"https://x"}]}`,
		"trailing data":        `{"id":"did:example:1"} {}`,
		"trailing comma":       `{"id":"did:example:1",}`,
		"invalid UTF-8":        "{\"id\":\"did:example:1\",\"x\":\"\xff\"}",
		"bad context":          `{"@context":"https://example.com/ctx","id":"did:example:1"}`,
		"context number":       `{"@context":["https://www.w3.org/ns/did/v1",3],"id":"did:example:1"}`,
		"controller not DID":   `{"id":"did:example:1","controller":"example"}`,
		"controller number":    `{"id":"did:example:1","controller":[1]}`,
		"alsoKnownAs relative": `{"id":"did:example:1","alsoKnownAs":["foo"]}`,
		"vm no type":           `{"id":"did:example:1","verificationMethod":[{"id":"#k","controller":"did:example:1"}]}`,
		"vm no controller":     `{"id":"did:example:1","verificationMethod":[{"id":"#k","type":"Multikey"}]}`,
		"vm bad id":            `{"id":"did:example:1","verificationMethod":[{"id":"k","type":"Multikey","controller":"did:example:1"}]}`,
		"vm both keys":         vm(`,"publicKeyMultibase":"z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK","publicKeyJwk":{"kty":"OKP","crv":"Ed25519","x":"AA"}`),
		"private jwk":          vm(`,"publicKeyJwk":{"kty":"OKP","crv":"Ed25519","x":"AA","d":"AA"}`),
		"symmetric jwk":        vm(`,"publicKeyJwk":{"kty":"oct","k":"AA"}`),
		"jwk no kty":           vm(`,"publicKeyJwk":{"crv":"Ed25519","x":"AA"}`),
		"multibase number":     vm(`,"publicKeyMultibase":7`),
		"duplicate vm":         `{"id":"did:example:1","verificationMethod":[{"id":"#k","type":"Multikey","controller":"did:example:1"},{"id":"did:example:1#k","type":"Multikey","controller":"did:example:1"}]}`,
		"duplicate embedded":   `{"id":"did:example:1","verificationMethod":[{"id":"#k","type":"Multikey","controller":"did:example:1"}],"authentication":[{"id":"#k","type":"Multikey","controller":"did:example:1"}]}`,
		"bad reference":        `{"id":"did:example:1","authentication":["key-1"]}`,
		"reference number":     `{"id":"did:example:1","authentication":[1]}`,
		"service no endpoint":  `{"id":"did:example:1","service":[{"id":"#s","type":"T"}]}`,
		"service no type":      `{"id":"did:example:1","service":[{"id":"#s","serviceEndpoint":"https://x"}]}`,
		"service empty type":   `{"id":"did:example:1","service":[{"id":"#s","type":[],"serviceEndpoint":"https://x"}]}`,
		"service relative url": `{"id":"did:example:1","service":[{"id":"#s","type":"T","serviceEndpoint":"/x"}]}`,
		"service nested set":   `{"id":"did:example:1","service":[{"id":"#s","type":"T","serviceEndpoint":[["https://x"]]}]}`,
		"service empty set":    `{"id":"did:example:1","service":[{"id":"#s","type":"T","serviceEndpoint":[]}]}`,
		"service number":       `{"id":"did:example:1","service":[{"id":"#s","type":"T","serviceEndpoint":5}]}`,
		"duplicate service":    `{"id":"did:example:1","service":[{"id":"#s","type":"T","serviceEndpoint":"https://x"},{"id":"did:example:1#s","type":"T","serviceEndpoint":"https://y"}]}`,
		"too deep":             `{"id":"did:example:1","x":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`,
		"too many methods": `{"id":"did:example:1","verificationMethod":[` + many(MaxVerificationMethods+1, func(i int) string {
			return fmt.Sprintf(`{"id":"#k%d","type":"Multikey","controller":"did:example:1"}`, i)
		}) + `]}`,
		"too many services": `{"id":"did:example:1","service":[` + many(MaxServices+1, func(i int) string {
			return fmt.Sprintf(`{"id":"#s%d","type":"T","serviceEndpoint":"https://x"}`, i)
		}) + `]}`,
		"too many refs": `{"id":"did:example:1","authentication":[` + many(MaxReferences+1, func(i int) string { return `"#k"` }) + `]}`,
		"too large":     `{"id":"did:example:1","x":"` + strings.Repeat("a", MaxDocumentSize) + `"}`,
	}
	for name, in := range cases {
		_, err := ParseDocument([]byte(in))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if !errors.Is(err, ErrInvalidDocument) {
			t.Errorf("%s: error %v does not wrap ErrInvalidDocument", name, err)
		}
	}
}

func TestBuildDocument(t *testing.T) {
	did := "did:web:connector.example.com"
	doc, err := NewDocument(did)
	if err != nil {
		t.Fatal(err)
	}
	ed, _ := suite.Generate(suite.Ed25519, nil)
	p, _ := suite.Generate(suite.P256, nil)
	mk, err := NewMultikeyMethod(did+"#key-1", did, suite.Ed25519, ed.Public())
	if err != nil {
		t.Fatal(err)
	}
	jk, err := NewJSONWebKeyMethod(did+"#key-2", did, suite.P256, p.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.AddVerificationMethod(*mk, Authentication, AssertionMethod); err != nil {
		t.Fatal(err)
	}
	if err := doc.AddVerificationMethod(*jk, AssertionMethod); err != nil {
		t.Fatal(err)
	}
	if err := doc.AddVerificationMethod(*mk); err == nil {
		t.Error("duplicate verification method accepted")
	}
	jk2 := *jk
	jk2.ID = "#key-3"
	if err := doc.AddVerificationMethod(jk2, "bogus"); err == nil {
		t.Error("unknown relationship accepted")
	}
	if err := doc.AddDataService("", "https://connector.example.com/api/dsp"); err != nil {
		t.Fatal(err)
	}
	if err := doc.AddCredentialService("", "https://connector.example.com/api/credentials"); err != nil {
		t.Fatal(err)
	}
	if err := doc.AddCredentialService("", "https://elsewhere.example.com"); err == nil {
		t.Error("duplicate service id accepted")
	}
	for i, id := range []string{"https://x.example/s1", "https://x.example/s2", "https://x.example/s1"} {
		err := doc.AddService(Service{ID: id, Type: StringSet{"T"}, ServiceEndpoint: ServiceEndpoint{URI: "https://x.example"}})
		if (err == nil) != (i < 2) {
			t.Errorf("AddService(%s): %v", id, err)
		}
	}
	if err := doc.AddDataService("#dsp2", "not a url"); err == nil {
		t.Error("relative endpoint accepted")
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"@context":["https://www.w3.org/ns/did/v1","https://w3id.org/security/multikey/v1","https://w3id.org/security/jwk/v1"]`,
		`{"id":"did:web:connector.example.com#dsp","type":"DataService","serviceEndpoint":"https://connector.example.com/api/dsp","@context":["https://w3id.org/dspace/2025/1/context.jsonld","https://www.w3.org/ns/did/v1"]}`,
		`{"id":"did:web:connector.example.com#credential-service","type":"CredentialService","serviceEndpoint":"https://connector.example.com/api/credentials"}`,
		`"authentication":["did:web:connector.example.com#key-1"]`,
		`"assertionMethod":["did:web:connector.example.com#key-1","did:web:connector.example.com#key-2"]`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("document lacks %s:\n%s", want, b)
		}
	}
	parsed, err := ParseDocument(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id  string
		alg suite.Alg
		s   suite.Signer
	}{{"#key-1", suite.Ed25519, ed}, {"#key-2", suite.P256, p}} {
		vm, err := parsed.VerificationMethod(c.id, AssertionMethod)
		if err != nil {
			t.Fatal(err)
		}
		alg, pub, err := vm.PublicKey()
		if err != nil || alg != c.alg {
			t.Fatalf("%s: %s %v", c.id, alg, err)
		}
		sig, _ := c.s.Sign([]byte("m"))
		if err := suite.Verify(alg, pub, []byte("m"), sig); err != nil {
			t.Errorf("%s: %v", c.id, err)
		}
	}
	if _, err := NewDocument("not-a-did"); Code(err) != CodeInvalidDID {
		t.Errorf("NewDocument: %v", err)
	}
	if _, err := NewJSONWebKeyMethod("#k", did, suite.SM2, nil); Code(err) != CodeUnsupportedPublicKeyType {
		t.Errorf("SM2 JWK: %v", err)
	}
}

func TestVerificationMethodPublicKeyErrors(t *testing.T) {
	for _, c := range []struct {
		vm   VerificationMethod
		code ErrorCode
	}{
		{VerificationMethod{Type: "EcdsaSecp256k1VerificationKey2019"}, CodeUnsupportedPublicKeyType},
		{VerificationMethod{Type: TypeMultikey}, CodeInvalidPublicKey},
		{VerificationMethod{Type: TypeJSONWebKey}, CodeInvalidPublicKey},
		{VerificationMethod{Type: TypeMultikey, PublicKeyMultibase: "uAQID"}, CodeInvalidPublicKey},
		{VerificationMethod{Type: TypeEd25519VerificationKey2020, PublicKeyMultibase: p256Vectors[0].did[8:]}, CodeInvalidPublicKeyType},
		{VerificationMethod{Type: TypeJSONWebKey, PublicKeyJWK: &JWK{Kty: "EC", Crv: "P-256", X: p256Vectors[0].x, Y: p256Vectors[1].y}}, CodeInvalidPublicKey},
		{VerificationMethod{Type: TypeJSONWebKey, PublicKeyJWK: &JWK{Kty: "EC", Crv: "P-256", X: "AA", Y: "AA"}}, CodeInvalidPublicKeyLength},
		{VerificationMethod{Type: TypeJSONWebKey, PublicKeyJWK: &JWK{Kty: "OKP", Crv: "Ed25519", X: "AA=="}}, CodeInvalidPublicKey},
		{VerificationMethod{Type: TypeJSONWebKey, PublicKeyJWK: &JWK{Kty: "OKP", Crv: "X25519", X: "9GXjPGGvmRq9F6Ng5dQQ_s31mfhxrcNZxRGONrmH30k"}}, CodeInvalidPublicKeyType},
		{VerificationMethod{Type: TypeJSONWebKey, PublicKeyJWK: &JWK{Kty: "RSA"}}, CodeUnsupportedPublicKeyType},
		{VerificationMethod{Type: TypeJSONWebKey, PublicKeyJWK: &JWK{Kty: "EC", Crv: "P-384"}}, CodeUnsupportedPublicKeyType},
	} {
		if _, _, err := c.vm.PublicKey(); Code(err) != c.code {
			t.Errorf("%+v: %v, want %s", c.vm, err, c.code)
		}
	}
}
