package tsa

import (
	"crypto"
	"crypto/x509"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestGenerateLoadLocal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tsa")
	if err := GenerateLocal(dir, "node-a.example", fixedClock(testNow)); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{rootKeyFile: 0o600, tsaKeyFile: 0o600, rootCertFile: 0o644, tsaCertFile: 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode().Perm(), want)
		}
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode: %v %v", fi.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("%d files in dir, want 4 (temporary files left?)", len(entries))
	}

	l, err := LoadLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	root, tsaCert := l.Root, l.Chain[0]
	if l.Chain[1] != root || len(l.Chain) != 2 {
		t.Fatalf("chain %v", l.Chain)
	}
	if root.Subject.CommonName != "node-a.example Root CA" || tsaCert.Subject.CommonName != "node-a.example TSA" {
		t.Errorf("names %q, %q", root.Subject, tsaCert.Subject)
	}
	if !root.IsCA || !root.MaxPathLenZero || root.MaxPathLen != 0 || tsaCert.IsCA {
		t.Errorf("basic constraints: root CA %v (maxPathLen %d), TSA CA %v", root.IsCA, root.MaxPathLen, tsaCert.IsCA)
	}
	if err := checkTSACert(tsaCert); err != nil {
		t.Error(err)
	}
	if tsaCert.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("TSA key usage %v", tsaCert.KeyUsage)
	}
	if !tsaCert.NotBefore.Equal(testNow.Add(-backdate)) || !tsaCert.NotAfter.Equal(testNow.Add(-backdate+tsaValidity)) ||
		!root.NotAfter.Equal(testNow.Add(-backdate+rootValidity)) {
		t.Errorf("validity: TSA %v–%v, root until %v", tsaCert.NotBefore, tsaCert.NotAfter, root.NotAfter)
	}
	if tsaCert.SerialNumber.BitLen() != 127 || root.SerialNumber.Cmp(tsaCert.SerialNumber) == 0 {
		t.Errorf("serials %x, %x", root.SerialNumber, tsaCert.SerialNumber)
	}
	if _, err := tsaCert.Verify(x509.VerifyOptions{Roots: l.Roots(), CurrentTime: testNow, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
		t.Error(err)
	}

	// The loaded PKI makes tokens that verify.
	a, err := NewAuthority(l.Signer, l.Chain, LocalPolicy, fixedClock(testNow), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := digestOf("checkpoint")
	token, err := a.Client().Stamp(t.Context(), d, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(token, d, crypto.SHA256, l.Roots()); err != nil {
		t.Fatal(err)
	}

	// No overwriting, whichever file is there.
	err = GenerateLocal(dir, "node-a.example", nil)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second GenerateLocal: %v", err)
	}
	for _, f := range []string{rootCertFile, rootKeyFile, tsaCertFile, tsaKeyFile} {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, f), []byte("x"), 0o600)
		if err := GenerateLocal(d, "x", nil); !errors.Is(err, fs.ErrExist) {
			t.Errorf("with only %s present: %v", f, err)
		}
	}
	if l2, err := LoadLocal(dir); err != nil || !l2.Chain[0].Equal(tsaCert) {
		t.Errorf("PKI changed by a refused GenerateLocal: %v", err)
	}
}

func TestLoadLocalErrors(t *testing.T) {
	good := t.TempDir()
	if err := GenerateLocal(good, "good", nil); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	if err := GenerateLocal(other, "other", nil); err != nil {
		t.Fatal(err)
	}
	copyDir := func(t *testing.T, from string) string {
		d := t.TempDir()
		for _, f := range []string{rootCertFile, rootKeyFile, tsaCertFile, tsaKeyFile} {
			b, err := os.ReadFile(filepath.Join(from, f))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(d, f), b, 0o600)
		}
		return d
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, d string)
		want  string
	}{
		{"missing TSA key", func(t *testing.T, d string) { os.Remove(filepath.Join(d, tsaKeyFile)) }, "no complete local TSA PKI"},
		{"missing root", func(t *testing.T, d string) { os.Remove(filepath.Join(d, rootCertFile)) }, "no complete local TSA PKI"},
		{"not PEM", func(t *testing.T, d string) { os.WriteFile(filepath.Join(d, tsaCertFile), []byte("junk"), 0o644) }, "PEM block"},
		{"two blocks", func(t *testing.T, d string) {
			b, _ := os.ReadFile(filepath.Join(d, tsaCertFile))
			os.WriteFile(filepath.Join(d, tsaCertFile), append(b, b...), 0o644)
		}, "exactly one PEM block"},
		{"key from another PKI", func(t *testing.T, d string) {
			b, _ := os.ReadFile(filepath.Join(other, tsaKeyFile))
			os.WriteFile(filepath.Join(d, tsaKeyFile), b, 0o600)
		}, "does not match"},
		{"root from another PKI", func(t *testing.T, d string) {
			b, _ := os.ReadFile(filepath.Join(other, rootCertFile))
			os.WriteFile(filepath.Join(d, rootCertFile), b, 0o644)
		}, "was not issued by"},
		{"root in place of the TSA certificate", func(t *testing.T, d string) {
			b, _ := os.ReadFile(filepath.Join(d, rootCertFile))
			os.WriteFile(filepath.Join(d, tsaCertFile), b, 0o644)
			k, _ := os.ReadFile(filepath.Join(d, rootKeyFile))
			os.WriteFile(filepath.Join(d, tsaKeyFile), k, 0o600)
		}, "extended key usage"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := copyDir(t, good)
			c.setup(t, d)
			_, err := LoadLocal(d)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
	if _, err := LoadLocal(filepath.Join(t.TempDir(), "absent")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("absent dir: %v", err)
	}
}

func TestGenerateLocalArguments(t *testing.T) {
	for name, n := range map[string]string{"empty": "", "too long": strings.Repeat("x", 57), "invalid UTF-8": "\xff"} {
		if err := GenerateLocal(t.TempDir(), n, nil); err == nil {
			t.Errorf("%s name accepted", name)
		}
	}
	if err := GenerateLocal(t.TempDir(), strings.Repeat("名", 56), nil); err != nil {
		t.Errorf("56-character name: %v", err)
	}
	if err := GenerateLocal(t.TempDir(), "x", fixedClock(time.Time{})); err == nil {
		t.Error("zero clock accepted")
	}
}
