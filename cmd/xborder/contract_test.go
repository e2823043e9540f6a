package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var updateContract = flag.Bool("update-contract", false, "rewrite cmd/xborder/testdata/contract/*.golden")

const (
	contractData     = "testdata/contract"
	providerDID      = "did:key:z6MkkPffAJJPnfPaj2sJ51kmnTmeXv6v2itKzMRg2wFLRFXx"
	consumerDID      = "did:key:z6MkmiGjxdKTFxbRpek5BSzb62NKB9fX2RDvCSYSS4FqGnTn"
	consumerSM2DID   = "did:key:zEPJcYoawFyp21vJjE8CLvmARGoLwgTBW3UikyPNKuz1tQtuE"
	marketplaceDID   = "did:web:marketplace.example.cn"
	contractTestTime = "2026-04-15T10:00:00Z"
)

// xbAt runs the command line in-process at the given time, with the data
// directory dataDir.
func xbAt(t *testing.T, dataDir, now string, args ...string) (string, string, int) {
	t.Helper()
	at, err := time.Parse(time.RFC3339, now)
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	home := t.TempDir()
	e := &env{
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string {
			switch k {
			case "XBORDER_DATA_DIR":
				return dataDir
			case "HOME":
				return home
			}
			return ""
		},
		now: func() time.Time { return at },
	}
	code := run(context.Background(), e, args)
	return out.String(), errb.String(), code
}

// session runs the steps of one scenario against one data directory and
// compares each step's transcript with its golden file.
type session struct {
	t   *testing.T
	dir string // temporary files
	now string
}

func (s *session) run(golden string, wantCode int, args ...string) string {
	s.t.Helper()
	stdout, stderr, code := xbAt(s.t, filepath.Join(s.dir, "data"), s.now, args...)
	if code != wantCode {
		s.t.Fatalf("%s: xborder %s: exit %d, want %d\nstdout: %s\nstderr: %s", golden, strings.Join(args, " "), code, wantCode, stdout, stderr)
	}
	if golden != "" {
		var b strings.Builder
		fmt.Fprintf(&b, "$ xborder %s\n# at %s, exit %d\n", strings.Join(args, " "), s.now, code)
		if stdout != "" {
			b.WriteString("--- stdout\n" + stdout)
		}
		if stderr != "" {
			b.WriteString("--- stderr\n" + stderr)
		}
		compareGolden(s.t, golden, strings.ReplaceAll(b.String(), s.dir, "$TMP"))
	}
	return stdout
}

func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(contractData, name+".golden")
	if *updateContract {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/xborder -run Contract -update-contract creates it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from its golden file (-update-contract to accept):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

func (s *session) file(name, content string) string {
	s.t.Helper()
	return writeFile(s.t, s.dir, name, content)
}

// TestContractEndToEnd: an offer from a template, reviewed, signed by the
// provider, countersigned by the consumer, used until the monthly limit,
// the breach suspends it, the month is invoiced and settled, the provider
// resumes it.
func TestContractEndToEnd(t *testing.T) {
	s := &session{t: t, dir: t.TempDir(), now: contractTestTime}
	params := filepath.Join(contractData, "params.json")
	scenario := filepath.Join(contractData, "scenario.yaml")
	provider, consumer := filepath.Join(contractData, "provider.pem"), filepath.Join(contractData, "consumer.pem")

	s.run("template-list", 0, "contract", "template", "list")
	s.run("template-list-zh", 0, "contract", "template", "list", "--lang", "zh-CN")
	offer := s.file("offer.json", s.run("offer", 0, "contract", "offer", "--template", "retail-analytics", "--params", params))
	s.run("review", 0, "contract", "review", "--offer", offer, "--scenario", scenario)
	s.run("review-zh", 0, "contract", "review", "--offer", offer, "--scenario", scenario, "--lang", "zh-CN")
	s.run("review-large", 1, "contract", "review", "--offer", offer, "--scenario", filepath.Join(contractData, "scenario-large.yaml"))
	// Signing needs a passing review: none is recorded yet.
	s.run("sign-unreviewed", 1, "contract", "sign", "--offer", offer, "--key", provider, "--consumer", consumerDID)
	s.run("", 0, "contract", "review", "--offer", offer, "--scenario", scenario, "--record", "--format", "json")
	signedFile := filepath.Join(s.dir, "signed.json")
	var signed struct{ ID string }
	if err := json.Unmarshal([]byte(s.run("sign", 0, "contract", "sign", "--offer", offer, "--key", provider,
		"--consumer", consumerDID, "--out", signedFile)), &signed); err != nil {
		t.Fatal(err)
	}
	id := signed.ID
	s.run("use-pending", 1, "contract", "use", "--agreement", id, "--count", "1")
	s.run("countersign", 0, "contract", "countersign", "--agreement", id, "--key", consumer)
	s.run("verify", 0, "contract", "verify", id)
	s.run("verify-pending-file", 1, "contract", "verify", signedFile)
	s.run("", 0, "contract", "verify", signedFile, "--allow-pending")
	s.run("use-unapproved", 1, "contract", "use", "--agreement", id, "--count", "1", "--rows", "40000")
	s.run("approval-add", 0, "contract", "approval", "add", "--provider", providerDID, "--route", "CN_SC",
		"--ref", "粤网信备〔2026〕0042", "--issued", "2026-04-01")
	s.run("use-1", 0, "contract", "use", "--agreement", id, "--count", "1", "--rows", "40000", "--bytes", "300000000", "--purpose", "analytics", "--country", "DE")
	s.run("", 0, "contract", "use", "--agreement", id, "--count", "1", "--rows", "25000", "--bytes", "200000000", "--provider", marketplaceDID)
	s.run("", 0, "contract", "use", "--agreement", id, "--count", "1", "--rows", "50000", "--bytes", "350000000")
	s.run("use-4-breach", 1, "contract", "use", "--agreement", id, "--count", "1", "--rows", "10")
	s.run("use-suspended", 1, "contract", "use", "--agreement", id, "--count", "1")
	s.run("invoice-draft", 0, "contract", "invoice", "--period", "2026-04")
	s.run("settle-open", 1, "contract", "settle", "--period", "2026-04")

	s.now = "2026-05-02T09:00:00Z"
	s.run("invoice-final", 0, "contract", "invoice", "--period", "2026-04")
	s.run("settle", 0, "contract", "settle", "--period", "2026-04")
	s.run("", 0, "contract", "settle", "--period", "2026-04", "--party", marketplaceDID)
	s.run("resume-by-consumer", 1, "contract", "resume", "--agreement", id, "--key", consumer)
	s.run("resume", 0, "contract", "resume", "--agreement", id, "--key", provider, "--reason", "the consumer bought a larger quota")
	s.run("use-invoiced-month", 2, "contract", "use", "--agreement", id, "--count", "1", "--at", "2026-04-30T10:00:00Z")
	s.run("use-may", 0, "contract", "use", "--agreement", id, "--count", "1", "--rows", "5000")
	s.run("show", 0, "contract", "show", id)
}

// TestContractSM2Consumer: a consumer with an SM2 key countersigns
// (JWS alg SM2SM3); the agreement verifies and comes into force.
func TestContractSM2Consumer(t *testing.T) {
	s := &session{t: t, dir: t.TempDir(), now: contractTestTime}
	offer := s.file("offer.json", s.run("", 0, "contract", "offer", "--template", "retail-analytics", "--params", filepath.Join(contractData, "params.json")))
	var signed struct{ ID string }
	out := s.run("", 0, "contract", "sign", "--offer", offer, "--key", filepath.Join(contractData, "provider.pem"),
		"--consumer", consumerSM2DID, "--scenario", filepath.Join(contractData, "scenario.yaml"))
	if err := json.Unmarshal([]byte(out), &signed); err != nil {
		t.Fatal(err)
	}
	// The Ed25519 consumer may not countersign for the SM2 one.
	s.run("", 1, "contract", "countersign", "--agreement", signed.ID, "--key", filepath.Join(contractData, "consumer.pem"))
	s.run("", 0, "contract", "countersign", "--agreement", signed.ID, "--key", filepath.Join(contractData, "consumer-sm2.pem"))
	v := s.run("", 0, "contract", "verify", signed.ID)
	if !strings.Contains(v, `"consumer_alg": "sm2"`) || !strings.Contains(v, `"countersigned": true`) {
		t.Fatalf("verify: %s", v)
	}
}

// TestContractBadInput: every bad input exits 2 with an error on stderr
// and changes nothing.
func TestContractBadInput(t *testing.T) {
	s := &session{t: t, dir: t.TempDir(), now: contractTestTime}
	offer := s.file("offer.json", s.run("", 0, "contract", "offer", "--template", "retail-analytics", "--params", filepath.Join(contractData, "params.json")))
	scenario := filepath.Join(contractData, "scenario.yaml")
	tests := []struct {
		name string
		args []string
		want string // on stderr
	}{
		{"offer without flags", []string{"contract", "offer"}, "--template and --params are required"},
		{"unknown template", []string{"contract", "offer", "--template", "lease", "--params", offer}, "no template"},
		{"unknown parameter", []string{"contract", "offer", "--template", "general", "--params", s.file("p1.json", `{"colour": "red"}`)}, "colour: not a parameter"},
		{"params not JSON", []string{"contract", "offer", "--template", "general", "--params", s.file("p2.json", `{"target":`)}, "not a JSON object"},
		{"bad form", []string{"contract", "offer", "--template", "general", "--params", offer, "--form", "xml"}, "--form"},
		{"offer not an offer", []string{"contract", "review", "--offer", scenario, "--scenario", scenario}, "not JSON"},
		{"offer with an unknown operand", []string{"contract", "review", "--offer", s.file("o.json", strings.Replace(readTestFile(t, offer), `"leftOperand": "industry"`, `"leftOperand": "colour"`, 1)), "--scenario", scenario}, "fail closed"},
		{"scenario missing", []string{"contract", "review", "--offer", offer, "--scenario", filepath.Join(s.dir, "none.yaml")}, "none.yaml"},
		{"scenario bad key", []string{"contract", "review", "--offer", offer, "--scenario", s.file("s.yaml", "exporter: {country: CN, colour: red}\n")}, "unknown key"},
		{"review bad format", []string{"contract", "review", "--offer", offer, "--scenario", scenario, "--format", "pdf"}, "--format"},
		{"sign bad consumer", []string{"contract", "sign", "--offer", offer, "--key", filepath.Join(contractData, "provider.pem"), "--consumer", "bob"}, "--consumer"},
		{"sign missing key", []string{"contract", "sign", "--offer", offer, "--key", filepath.Join(s.dir, "none.pem"), "--consumer", consumerDID}, "none.pem"},
		{"use unknown agreement", []string{"contract", "use", "--agreement", "urn:uuid:00000000-0000-8000-8000-000000000000"}, "no such agreement"},
		{"use without agreement", []string{"contract", "use"}, "--agreement is required"},
		{"use negative", []string{"contract", "use", "--agreement", "urn:uuid:x", "--count", "-1"}, "negative"},
		{"use in the future", []string{"contract", "use", "--agreement", "urn:uuid:x", "--at", "2027-01-01T00:00:00Z"}, "future"},
		{"use bad time", []string{"contract", "use", "--agreement", "urn:uuid:x", "--at", "tomorrow"}, "--at"},
		{"use bad request", []string{"contract", "use", "--request", s.file("u.json", `{"agreement": "urn:uuid:x", "count": 1, "colour": 1}`)}, "unknown field"},
		{"invoice bad period", []string{"contract", "invoice", "--period", "2026-13"}, "YYYY-MM"},
		{"settle without period", []string{"contract", "settle"}, "--period is required"},
		{"approval bad route", []string{"contract", "approval", "add", "--provider", providerDID, "--route", "CN_MAYBE", "--ref", "x", "--issued", "2026-01-01"}, "route"},
		{"approval bad date", []string{"contract", "approval", "add", "--provider", providerDID, "--route", "CN_SA", "--ref", "x", "--issued", "1/1/2026"}, "--issued"},
		{"verify missing file", []string{"contract", "verify", filepath.Join(s.dir, "none.json")}, "no such file"},
		{"show unknown", []string{"contract", "show", "urn:uuid:none"}, "no such agreement"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := xbAt(t, filepath.Join(s.dir, "data"), s.now, tc.args...)
			if code != exitBadInput || !strings.Contains(stderr, "xborder: error:") || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, stderr, tc.want)
			}
		})
	}
	// Nothing was recorded by any of them.
	out := s.run("", 0, "contract", "list")
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("agreements after bad input: %s", out)
	}
}

func readTestFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
