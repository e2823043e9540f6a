package trust

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/suite"
)

// signRaw signs an arbitrary registry member as a foreign signer would, so
// that the checks after the signature are reached.
func signRaw(t *testing.T, k KeySigner, registry string) []byte {
	t.Helper()
	canon, err := Canonicalize([]byte(registry))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := json.Marshal(header{Alg: AlgEdDSA, Kid: k.KeyID, Typ: TypRegistry})
	protected := base64.RawURLEncoding.EncodeToString(h)
	sig, err := k.Signer.Sign([]byte(protected + "." + base64.RawURLEncoding.EncodeToString(canon)))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(`{"registry":` + registry + `,"signatures":[{"protected":"` + protected + `","signature":"` + base64.RawURLEncoding.EncodeToString(sig) + `"}]}`)
}

func TestSignedButNotThisFormat(t *testing.T) {
	k := newSigner(t, suite.Ed25519, "op")
	good, _ := json.Marshal(toWire(sampleRegistry(4)))
	if _, _, err := Verify(signRaw(t, k, string(good)), opts(k)); err != nil {
		t.Fatalf("the raw signer is sound: %v", err)
	}
	g := string(good)
	noEntries := sampleRegistry(4)
	noEntries.Entries = nil
	ne, _ := json.Marshal(toWire(noEntries))
	if _, _, err := Verify(signRaw(t, k, string(ne)), opts(k)); err != nil {
		t.Fatalf("an empty registry is valid: %v", err)
	}
	cases := map[string]string{
		"unknown member":      strings.Replace(g, `"scheme":"CN-EU`, `"policy":"x","scheme":"CN-EU`, 1),
		"case variant":        strings.Replace(g, `"sequence":4`, `"sequence":4,"Sequence":9`, 1),
		"offset time":         strings.Replace(g, `"issued":"2026-11-01T00:00:00Z"`, `"issued":"2026-11-01T08:00:00+08:00"`, 1),
		"fractional time":     strings.Replace(g, `"issued":"2026-11-01T00:00:00Z"`, `"issued":"2026-11-01T00:00:00.5Z"`, 1),
		"fractional seq":      strings.Replace(g, `"sequence":4`, `"sequence":4.5`, 1),
		"huge seq":            strings.Replace(g, `"sequence":4`, `"sequence":9007199254740993`, 1),
		"null entries":        strings.Replace(g, `"entries":[`, `"entries":null,"x":[`, 1),
		"null types":          strings.Replace(g, `"credentialTypes":["DataExportFiling"]`, `"credentialTypes":null`, 1),
		"other format":        strings.Replace(g, Format, "xborder-trust-registry/2", 1),
		"bad jurisdiction":    strings.Replace(g, `"CN-SH"`, `"cn-sh"`, 1),
		"empty validUntil":    strings.Replace(g, `"jurisdiction":"CN-SH"`, `"jurisdiction":"CN-SH","validUntil":""`, 1),
		"entries not array":   strings.Replace(g, `"entries":[`, `"entries":{"a":[`, 1)[:0] + `{"format":"` + Format + `","entries":{}}`,
		"registry not object": `[]`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if doc == g {
				t.Fatal("the case changed nothing")
			}
			_, _, err := Verify(signRaw(t, k, doc), opts(k))
			wantCode(t, err, CodeMalformed)
		})
	}
}

func TestErrors(t *testing.T) {
	cause := errors.New("disk full")
	err := error(&Error{Code: CodeInternal, Msg: "saving", Err: cause})
	if !errors.Is(err, &Error{Code: CodeInternal}) || errors.Is(err, &Error{Code: CodeRollback}) || !errors.Is(err, cause) {
		t.Fatal("errors.Is")
	}
	if CodeOf(nil) != "" || CodeOf(cause) != CodeInternal || err.Error() != "internal: saving: disk full" {
		t.Fatal(err.Error())
	}
	// A cancelled context stops the high-water stores.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	wantCode(t, (&MemoryHighWater{}).Advance(ctx, "x", Mark{Sequence: 1}), CodeInternal)
	wantCode(t, (&FileHighWater{Path: t.TempDir() + "/hw.json"}).Advance(ctx, "x", Mark{Sequence: 1}), CodeInternal)
}
