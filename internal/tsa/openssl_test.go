package tsa

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The OpenSSL interop tests run the openssl command-line tool (OpenSSL 3
// "ts" command) and are skipped when it is not on PATH, so that the
// package's tests pass on machines without it.

func needOpenSSL(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not on PATH: skipping the OpenSSL interop test")
	}
	return path
}

// openssl runs the openssl tool in dir and returns its standard output; it
// fails the test on a non-zero exit unless fail is set, in which case it
// fails the test on success.
func openssl(t *testing.T, dir string, wantFail bool, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), needOpenSSL(t), args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if wantFail {
		if err == nil {
			t.Fatalf("openssl %s succeeded, want failure:\n%s", strings.Join(args, " "), stdout.String())
		}
	} else if err != nil {
		t.Fatalf("openssl %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String() + stderr.String()
}

// localPKIDir writes a local PKI (GenerateLocal, real clock: OpenSSL checks
// certificates at the current time) into a temporary directory.
func localPKIDir(t *testing.T) (string, *Local) {
	t.Helper()
	dir := t.TempDir()
	if err := GenerateLocal(dir, "Interop", nil); err != nil {
		t.Fatal(err)
	}
	l, err := LoadLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, l
}

// TestOpenSSLVerifiesOurTokens: openssl ts -query makes the request, our
// Authority answers, openssl ts -verify accepts the token.
func TestOpenSSLVerifiesOurTokens(t *testing.T) {
	needOpenSSL(t)
	dir, l := localPKIDir(t)
	a, err := NewAuthority(l.Signer, l.Chain, LocalPolicy, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data"), []byte("checkpoint note\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		query []string
		extra []string // for openssl ts -verify
	}{
		{"sha256", []string{"-sha256", "-cert"}, nil},
		{"sha384", []string{"-sha384", "-cert"}, nil},
		{"sha512", []string{"-sha512", "-cert"}, nil},
		{"no nonce", []string{"-sha256", "-cert", "-no_nonce"}, nil},
		{"our policy", []string{"-sha256", "-cert", "-tspolicy", LocalPolicy.String()}, nil},
		{"without certReq", []string{"-sha256"}, []string{"-untrusted", tsaCertFile}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			openssl(t, dir, false, append([]string{"ts", "-query", "-data", "data", "-out", "req.tsq"}, c.query...)...)
			req, err := os.ReadFile(filepath.Join(dir, "req.tsq"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := a.Stamp(req)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "resp.tsr"), resp, 0o644); err != nil {
				t.Fatal(err)
			}
			// Against the data, and against the request (which also checks
			// the nonce, the imprint and the policy).
			for _, against := range [][]string{{"-data", "data"}, {"-queryfile", "req.tsq"}} {
				args := append([]string{"ts", "-verify", "-in", "resp.tsr", "-CAfile", rootCertFile}, against...)
				out := openssl(t, dir, false, append(args, c.extra...)...)
				if !strings.Contains(out, "Verification: OK") {
					t.Fatalf("openssl ts -verify %v:\n%s", against, out)
				}
			}
			if c.name != "sha256" {
				return
			}
			// The token alone, as it goes into evidence packs.
			_, token := decodeResp(t, resp)
			os.WriteFile(filepath.Join(dir, "token.der"), token, 0o644)
			out := openssl(t, dir, false, append([]string{"ts", "-verify", "-token_in", "-in", "token.der", "-data", "data", "-CAfile", rootCertFile}, c.extra...)...)
			if !strings.Contains(out, "Verification: OK") {
				t.Fatalf("openssl ts -verify -token_in:\n%s", out)
			}
			// Another TSA's root is refused.
			os.WriteFile(filepath.Join(dir, "other.crt"), pemCert(testPKI(t).root), 0o644)
			openssl(t, dir, true, append([]string{"ts", "-verify", "-in", "resp.tsr", "-data", "data", "-CAfile", "other.crt"}, c.extra...)...)
		})
	}

	// OpenSSL reads our rejections, including unacceptedPolicy, whose DER
	// timestamp.CreateErrorResponse gets wrong.
	t.Run("rejection", func(t *testing.T) {
		openssl(t, dir, false, "ts", "-query", "-data", "data", "-sha256", "-tspolicy", "1.2.3.4", "-out", "bad.tsq")
		req, _ := os.ReadFile(filepath.Join(dir, "bad.tsq"))
		resp, err := a.Stamp(req)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "bad.tsr"), resp, 0o644)
		out := openssl(t, dir, false, "ts", "-reply", "-in", "bad.tsr", "-text")
		for _, want := range []string{"Status: Rejected", "policy 1.2.3.4 is not accepted", "Failure info: the requested TSA policy is not supported"} {
			if !strings.Contains(out, want) {
				t.Errorf("openssl ts -reply -text does not say %q:\n%s", want, out)
			}
		}
	})
}

// TestWeVerifyOpenSSLTokens: openssl ts -reply, configured with a TSA
// certificate and key from GenerateLocal, makes tokens that our Verify
// accepts; and our Client talks to it over HTTP.
func TestWeVerifyOpenSSLTokens(t *testing.T) {
	needOpenSSL(t)
	dir, l := localPKIDir(t)
	data := []byte("checkpoint note\n")
	os.WriteFile(filepath.Join(dir, "data"), data, 0o644)
	d256 := sha256.Sum256(data)
	d384 := sha512.Sum384(data)
	d512 := sha512.Sum512(data)
	other := asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 3161, 2}

	digests := "sha256, sha384, sha512"
	writeConfig := func(essAlg, signerDigest string) string {
		name := "tsa-" + essAlg + "-" + signerDigest + "-" + strings.ReplaceAll(digests, ", ", "-") + ".cnf"
		conf := strings.Join([]string{
			"[ tsa ]",
			"default_tsa = tsa_config1",
			"[ tsa_config1 ]",
			"serial = " + filepath.Join(dir, "serial"),
			"crypto_device = builtin",
			"signer_cert = " + filepath.Join(dir, tsaCertFile),
			"signer_key = " + filepath.Join(dir, tsaKeyFile),
			"signer_digest = " + signerDigest,
			"default_policy = " + LocalPolicy.String(),
			"other_policies = " + other.String(),
			"digests = " + digests,
			"accuracy = secs:1, millisecs:500, microsecs:100",
			"clock_precision_digits = 3",
			"ordering = yes",
			"tsa_name = yes",
			"ess_cert_id_chain = no",
			"ess_cert_id_alg = " + essAlg,
			"",
		}, "\n")
		if err := os.WriteFile(filepath.Join(dir, name), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	os.WriteFile(filepath.Join(dir, "serial"), []byte("0100\n"), 0o644)

	cases := []struct {
		name         string
		essAlg       string // sha1: ESS signingCertificate (v1), OpenSSL's default; else v2
		signerDigest string
		query        []string
		hash         crypto.Hash
		digest       []byte
		policy       asn1.ObjectIdentifier
		certs        []*x509.Certificate
	}{
		{"ESSCertIDv2 sha256", "sha256", "sha256", []string{"-sha256", "-cert"}, crypto.SHA256, d256[:], LocalPolicy, nil},
		{"ESSCertID v1", "sha1", "sha256", []string{"-sha256", "-cert"}, crypto.SHA256, d256[:], LocalPolicy, nil},
		{"ESSCertIDv2 sha512, sha384 signature", "sha512", "sha384", []string{"-sha384", "-cert"}, crypto.SHA384, d384[:], LocalPolicy, nil},
		{"sha512 imprint", "sha256", "sha512", []string{"-sha512", "-cert"}, crypto.SHA512, d512[:], LocalPolicy, nil},
		{"other policy", "sha256", "sha256", []string{"-sha256", "-cert", "-tspolicy", other.String()}, crypto.SHA256, d256[:], other, nil},
		{"without certReq", "sha256", "sha256", []string{"-sha256"}, crypto.SHA256, d256[:], LocalPolicy, []*x509.Certificate{l.Chain[0]}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conf := writeConfig(c.essAlg, c.signerDigest)
			openssl(t, dir, false, append([]string{"ts", "-query", "-data", "data", "-out", "req.tsq"}, c.query...)...)
			before := time.Now().Add(-time.Second)
			openssl(t, dir, false, "ts", "-reply", "-config", conf, "-queryfile", "req.tsq", "-token_out", "-out", "token.der")
			after := time.Now().Add(time.Second)
			token, err := os.ReadFile(filepath.Join(dir, "token.der"))
			if err != nil {
				t.Fatal(err)
			}
			st, err := Verify(token, c.digest, c.hash, l.Roots(), c.certs...)
			if err != nil {
				t.Fatal(err)
			}
			if st.Time.Before(before) || st.Time.After(after) {
				t.Errorf("genTime %v not within [%v, %v]", st.Time, before, after)
			}
			if st.Accuracy != 1500100*time.Microsecond {
				t.Errorf("accuracy %v, want 1.5001s", st.Accuracy)
			}
			if !st.Policy.Equal(c.policy) || st.TSA != "CN=Interop TSA" || st.Serial.Sign() <= 0 {
				t.Errorf("stamp %+v", st)
			}
			// And the usual refusals.
			if _, err := Verify(token, make([]byte, c.hash.Size()), c.hash, l.Roots(), c.certs...); err == nil {
				t.Error("wrong digest accepted")
			}
			if _, err := Verify(token, c.digest, c.hash, testPKI(t).pool(), c.certs...); err == nil {
				t.Error("wrong roots accepted")
			}
			if _, err := Verify(flipLast(token), c.digest, c.hash, l.Roots(), c.certs...); err == nil {
				t.Error("tampered token accepted")
			}
		})
	}

	// Our Client against OpenSSL as the TSA, over loopback HTTP.
	t.Run("client", func(t *testing.T) {
		conf := writeConfig("sha256", "sha256")
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// One request at a time: the files are shared.
			req, _ := io.ReadAll(r.Body)
			os.WriteFile(filepath.Join(dir, "http.tsq"), req, 0o644)
			openssl(t, dir, false, "ts", "-reply", "-config", conf, "-queryfile", "http.tsq", "-out", "http.tsr")
			resp, _ := os.ReadFile(filepath.Join(dir, "http.tsr"))
			w.Header().Set("Content-Type", replyType)
			w.Write(resp)
		}))
		defer srv.Close()
		c, err := NewClient(srv.URL, srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		token, err := c.Stamp(t.Context(), d256[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(token, d256[:], crypto.SHA256, l.Roots()); err != nil {
			t.Fatal(err)
		}
		// OpenSSL's refusal reaches the caller as a RejectionError.
		digests = "sha512"
		conf = writeConfig("sha256", "sha256")
		_, err = c.Stamp(t.Context(), d256[:], crypto.SHA256)
		var rej *RejectionError
		if !errors.As(err, &rej) || rej.FailInfo != FailBadAlg || rej.Status != statusRejection {
			t.Fatalf("want a badAlg RejectionError, got %v", err)
		}
		t.Log(err)
	})
}
