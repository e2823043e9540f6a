package vc

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzVerifyPresentation when
// XBORDER_WRITE_FUZZ_SEEDS=1. The keys are fixed and Ed25519 is
// deterministic, so the seeds are stable (the SM2 one is not, and only
// needs to be valid).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("XBORDER_WRITE_FUZZ_SEEDS") != "1" {
		t.Skip("set XBORDER_WRITE_FUZZ_SEEDS=1 to regenerate the seeds")
	}
	f := newVPFixture(t)
	both := f.sign(t, presentation(t, f.holderID.DID, f.diCred, enveloped(f.jwtCred)), f.proofOpts())
	jwt := f.vpJWT(t, presentation(t, f.holderID.DID, enveloped(f.jwtCred), f.diCred), nil)
	noHolder := f.sign(t, presentation(t, "", f.diCred), f.proofOpts())
	seeds := map[string][]byte{
		"di-valid":           both,
		"di-tampered":        []byte(strings.Replace(string(both), "Example Dataspace", "Forged Dataspace", 1)),
		"di-no-holder":       noHolder,
		"di-unknown-context": []byte(strings.Replace(string(both), `"https://www.w3.org/ns/credentials/v2"`, `"https://www.w3.org/ns/credentials/v2","https://evil.example/ctx"`, 1)),
		"di-other-envelope": f.sign(t, presentation(t, f.holderID.DID, map[string]any{
			"@context": ContextV2, "type": TypeEnvelopedVerifiableCredential, "id": "data:application/vc+sd-jwt,abc"}), f.proofOpts()),
		"jwt-valid":                       jwt,
		"jwt-tampered":                    append(append([]byte{}, jwt[:len(jwt)-4]...), "AAAA"...),
		"jwt-credential-not-presentation": []byte(f.jwtCred),
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzVerifyPresentation")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFuzzSeedsValid keeps the "-valid" presentation seeds valid, so the
// fuzzer starts from inputs that reach every check.
func TestFuzzSeedsValid(t *testing.T) {
	f := newVPFixture(t)
	for _, name := range []string{"di-valid", "jwt-valid"} {
		b, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzVerifyPresentation", name))
		if err != nil {
			t.Fatal(err)
		}
		_, lit, _ := strings.Cut(strings.TrimSpace(string(b)), "[]byte(")
		data, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
		if err != nil {
			t.Fatal(err)
		}
		verify := f.p.VerifyPresentation
		if strings.HasPrefix(name, "jwt") {
			verify = f.p.VerifyPresentationJWT
		}
		if _, err := verify(t.Context(), []byte(data), f.resolver, f.verifyOpts()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
