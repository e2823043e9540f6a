package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStatusListFlow: issue with a status entry, verify with the published
// list, revoke, publish again, verify fails with revoked; suspension lifts.
func TestStatusListFlow(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "issuer.pem")
	if _, stderr, code := xb(t, dir, "key", "generate", "--out", key); code != 0 {
		t.Fatal(stderr)
	}
	subject := writeFile(t, dir, "s.json", `{"id": "did:example:alice", "name": "Alice"}`)
	for _, tc := range []struct {
		purpose, url, set, unset string
	}{
		{"revocation", "https://issuer.example/status/rev", "revoke", ""},
		{"suspension", "https://issuer.example/status/sus", "suspend", "unsuspend"},
	} {
		t.Run(tc.purpose, func(t *testing.T) {
			if _, stderr, code := xb(t, dir, "vc", "status", "create", "--id", tc.purpose, "--url", tc.url, "--purpose", tc.purpose); code != 0 {
				t.Fatalf("status create: %s", stderr)
			}
			cred, stderr, code := xb(t, dir, "vc", "issue", "--key", key, "--subject", subject, "--status-list", tc.url)
			if code != 0 {
				t.Fatalf("issue: %s", stderr)
			}
			var c struct {
				CredentialStatus struct {
					StatusListIndex string `json:"statusListIndex"`
				} `json:"credentialStatus"`
			}
			if err := json.Unmarshal([]byte(cred), &c); err != nil || c.CredentialStatus.StatusListIndex == "" {
				t.Fatalf("no credentialStatus: %v %s", err, cred)
			}
			credFile := writeFile(t, dir, tc.purpose+".json", cred)
			publish := func() string {
				list, stderr, code := xb(t, dir, "vc", "status", "publish", "--url", tc.url, "--key", key)
				if code != 0 {
					t.Fatalf("publish: %s", stderr)
				}
				return writeFile(t, dir, tc.purpose+"-list.json", list)
			}
			verify := func() (string, string, int) {
				return xb(t, dir, "vc", "verify", credFile, "--status-file", tc.url+"="+publish())
			}
			if out, stderr, code := verify(); code != 0 || !strings.Contains(out, `"set": false`) {
				t.Fatalf("verify before %s: exit %d: %s %s", tc.set, code, out, stderr)
			}
			if _, stderr, code := xb(t, dir, "vc", tc.set, "--status-list", tc.url, "--index", c.CredentialStatus.StatusListIndex); code != 0 {
				t.Fatalf("%s: %s", tc.set, stderr)
			}
			if out, stderr, code := verify(); code != exitFailure || !strings.Contains(stderr, map[string]string{"revocation": "revoked", "suspension": "suspended"}[tc.purpose]) ||
				!strings.Contains(out, `"verified": false`) {
				t.Errorf("verify after %s: exit %d: %s %s", tc.set, code, out, stderr)
			}
			if tc.unset != "" {
				if _, stderr, code := xb(t, dir, "vc", tc.unset, "--status-list", tc.url, "--index", c.CredentialStatus.StatusListIndex); code != 0 {
					t.Fatalf("%s: %s", tc.unset, stderr)
				}
				if _, stderr, code := verify(); code != 0 {
					t.Errorf("verify after %s: exit %d: %s", tc.unset, code, stderr)
				}
			} else if _, _, code := xb(t, dir, "vc", "suspend", "--status-list", tc.url, "--index", c.CredentialStatus.StatusListIndex); code != exitBadInput {
				t.Errorf("suspend on a revocation list: exit %d", code)
			}
		})
	}
	if _, _, code := xb(t, dir, "vc", "revoke", "--status-list", "https://nowhere.example/x", "--index", "3"); code != exitBadInput {
		t.Errorf("revoke on an unknown list: exit %d", code)
	}
}

// TestTrustRegistryFlow: a credential verifies with a trust anchor when its
// issuer is in the signed registry for the jurisdiction, and fails with
// untrusted_issuer elsewhere; a tampered registry fails.
func TestTrustRegistryFlow(t *testing.T) {
	dir := t.TempDir()
	issuer := filepath.Join(dir, "issuer.pem")
	operator := filepath.Join(dir, "operator.pem")
	var dids []string
	for _, k := range []struct{ file, alg string }{{issuer, "ed25519"}, {operator, "sm2"}} {
		out, stderr, code := xb(t, dir, "key", "generate", "--alg", k.alg, "--out", k.file)
		if code != 0 {
			t.Fatal(stderr)
		}
		var info struct{ DID string }
		json.Unmarshal([]byte(out), &info)
		dids = append(dids, info.DID)
	}
	reg := writeFile(t, dir, "registry.json", `{"format": "xborder-trust-registry/1", "id": "https://ds.example/trust",
 "operator": "did:web:ds.example", "scheme": "CN-EU data pilot", "sequence": 1,
 "issued": "2026-04-01T00:00:00Z", "nextUpdate": "2026-05-01T00:00:00Z",
 "entries": [{"name": "Example issuer", "issuer": "`+dids[0]+`", "jurisdiction": "CN", "credentialTypes": ["*"],
              "validFrom": "2026-01-01T00:00:00Z"}]}`)
	signed, stderr, code := xb(t, dir, "trust", "sign", "--registry", reg, "--key", operator)
	if code != 0 {
		t.Fatalf("trust sign: %s", stderr)
	}
	signedFile := writeFile(t, dir, "registry.signed.json", signed)
	cred, _, code := xb(t, dir, "vc", "issue", "--key", issuer, "--subject", writeFile(t, dir, "s.json", `{"id": "did:example:alice"}`))
	if code != 0 {
		t.Fatal("issue")
	}
	credFile := writeFile(t, dir, "cred.json", cred)
	base := []string{"vc", "verify", credFile, "--trust-registry", signedFile, "--trust-registry-id", "https://ds.example/trust", "--trust-operator", dids[1]}
	out, stderr, code := xb(t, dir, append(base, "--jurisdiction", "CN")...)
	if code != 0 || !strings.Contains(out, `"entryName": "Example issuer"`) {
		t.Fatalf("trusted issuer: exit %d: %s %s", code, out, stderr)
	}
	if _, stderr, code := xb(t, dir, append(base, "--jurisdiction", "DE")...); code != exitFailure || !strings.Contains(stderr, "untrusted_issuer") {
		t.Errorf("other jurisdiction: exit %d: %s", code, stderr)
	}
	// A newer registry moves the high-water mark in the data directory;
	// replaying the older one afterwards is a rollback.
	reg2 := writeFile(t, dir, "registry2.json", strings.Replace(readFileT(t, reg), `"sequence": 1`, `"sequence": 2`, 1))
	signed2, stderr, code := xb(t, dir, "trust", "sign", "--registry", reg2, "--key", operator)
	if code != 0 {
		t.Fatalf("trust sign: %s", stderr)
	}
	signed2File := writeFile(t, dir, "registry2.signed.json", signed2)
	newer := []string{"vc", "verify", credFile, "--trust-registry", signed2File, "--trust-registry-id", "https://ds.example/trust", "--trust-operator", dids[1], "--jurisdiction", "CN"}
	if _, stderr, code := xb(t, dir, newer...); code != 0 {
		t.Fatalf("newer registry: exit %d: %s", code, stderr)
	}
	if _, stderr, code := xb(t, dir, append(base, "--jurisdiction", "CN")...); code != exitFailure || !strings.Contains(stderr, "rollback") {
		t.Errorf("older registry after a newer one: exit %d: %s", code, stderr)
	}
	if _, stderr, code := xb(t, t.TempDir(), append(base, "--jurisdiction", "CN")...); code != 0 {
		t.Errorf("older registry in a fresh data directory: exit %d: %s", code, stderr)
	}

	tampered := writeFile(t, dir, "tampered.json", strings.Replace(signed, "CN-EU data pilot", "CN-EU data pilot!", 1))
	if _, stderr, code := xb(t, dir, "vc", "verify", credFile, "--trust-registry", tampered, "--trust-registry-id", "https://ds.example/trust",
		"--trust-operator", dids[1], "--jurisdiction", "CN"); code != exitFailure || !strings.Contains(stderr, "trust registry") {
		t.Errorf("tampered registry: exit %d: %s", code, stderr)
	}
}

func readFileT(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
