package tsa

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"

	"github.com/xborder/xborder/internal/atomicfile"
)

// Local PKI layout (all under the directory given to GenerateLocal):
//
//	root.crt   root CA certificate (PEM)
//	root.key   root CA private key (PEM PKCS #8, mode 0600); needed only to
//	           issue a new TSA certificate, so it may be moved offline
//	tsa.crt    TSA certificate (PEM), issued by the root
//	tsa.key    TSA private key (PEM PKCS #8, mode 0600)
const (
	rootCertFile = "root.crt"
	rootKeyFile  = "root.key"
	tsaCertFile  = "tsa.crt"
	tsaKeyFile   = "tsa.key"
)

// Validity of the generated certificates. Tokens stay verifiable after the
// TSA certificate expires ([Verify] checks validity at the token's genTime),
// so the TSA certificate can be shorter-lived than the root; when it
// expires the Authority stops issuing tokens and a new PKI is needed.
const (
	rootValidity = 20 * 365 * 24 * time.Hour
	tsaValidity  = 5 * 365 * 24 * time.Hour
	backdate     = 5 * time.Minute // tolerance for clocks slightly behind the generator's
)

// Local is a local TSA's key and certificates, as read by [LoadLocal].
type Local struct {
	Signer crypto.Signer       // the TSA's private key
	Chain  []*x509.Certificate // the TSA certificate, then the root
	Root   *x509.Certificate
}

// Roots returns a pool holding the local root, for [Verify].
func (l *Local) Roots() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(l.Root)
	return p
}

// GenerateLocal creates a local TSA's PKI in dir (created if needed, mode
// 0700): a root CA and a TSA certificate, both ECDSA P-256, named after name
// ("<name> Root CA", "<name> TSA"). The TSA certificate's only extended key
// usage is timeStamping, marked critical (RFC 3161 §2.3). clock (nil means
// time.Now) dates the certificates: the root is valid for 20 years, the TSA
// certificate for 5, both from five minutes before now.
//
// GenerateLocal refuses to overwrite: if any of its files exist in dir it
// returns an error wrapping [fs.ErrExist]. Files are written durably with
// internal/atomicfile, keys first, so after a crash dir holds either a
// complete PKI or an incomplete one that [LoadLocal] reports as such. Two
// concurrent calls on one dir are not excluded.
func GenerateLocal(dir string, name string, clock func() time.Time) error {
	if clock == nil {
		clock = time.Now
	}
	for _, f := range []string{rootCertFile, rootKeyFile, tsaCertFile, tsaKeyFile} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			return fmt.Errorf("tsa: refusing to overwrite the local TSA PKI in %s (%s exists): %w", dir, f, fs.ErrExist)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("tsa: %w", err)
		}
	}
	p, err := newPKI(name, clock())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("tsa: %w", err)
	}
	rootKey, err := marshalKey(p.rootKey)
	if err != nil {
		return err
	}
	tsaKey, err := marshalKey(p.tsaKey)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
		perm os.FileMode
	}{
		{rootKeyFile, rootKey, 0o600},
		{tsaKeyFile, tsaKey, 0o600},
		{rootCertFile, pemCert(p.root), 0o644},
		{tsaCertFile, pemCert(p.tsa), 0o644},
	} {
		if err := atomicfile.WriteFile(filepath.Join(dir, f.name), f.data, f.perm); err != nil {
			return fmt.Errorf("tsa: %w", err)
		}
	}
	return nil
}

// LoadLocal reads the PKI that [GenerateLocal] wrote to dir. It checks that
// the TSA certificate was issued by the root, suits a TSA (RFC 3161 §2.3)
// and matches the key. The root key is not read.
func LoadLocal(dir string) (*Local, error) {
	read := func(name, typ string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("tsa: no complete local TSA PKI in %s (run GenerateLocal): %w", dir, err)
		} else if err != nil {
			return nil, fmt.Errorf("tsa: %w", err)
		}
		blk, rest := pem.Decode(b)
		if blk == nil || blk.Type != typ || len(bytes.TrimSpace(rest)) != 0 {
			return nil, fmt.Errorf("tsa: %s: want exactly one PEM block of type %q", filepath.Join(dir, name), typ)
		}
		return blk.Bytes, nil
	}
	cert := func(name string) (*x509.Certificate, error) {
		der, err := read(name, "CERTIFICATE")
		if err != nil {
			return nil, err
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("tsa: %s: %w", filepath.Join(dir, name), err)
		}
		return c, nil
	}
	root, err := cert(rootCertFile)
	if err != nil {
		return nil, err
	}
	tsaCert, err := cert(tsaCertFile)
	if err != nil {
		return nil, err
	}
	der, err := read(tsaKeyFile, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("tsa: %s: %w", filepath.Join(dir, tsaKeyFile), err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("tsa: %s: key of type %T cannot sign", filepath.Join(dir, tsaKeyFile), k)
	}
	if err := tsaCert.CheckSignatureFrom(root); err != nil {
		return nil, fmt.Errorf("tsa: %s was not issued by %s: %w", tsaCertFile, rootCertFile, err)
	}
	if err := checkTSACert(tsaCert); err != nil {
		return nil, fmt.Errorf("tsa: %s: %w", tsaCertFile, err)
	}
	if !samePublicKey(signer.Public(), tsaCert.PublicKey) {
		return nil, fmt.Errorf("tsa: %s does not match %s", tsaKeyFile, tsaCertFile)
	}
	return &Local{Signer: signer, Chain: []*x509.Certificate{tsaCert, root}, Root: root}, nil
}

type pki struct {
	root, tsa       *x509.Certificate
	rootKey, tsaKey *ecdsa.PrivateKey
}

// newPKI makes the root and TSA certificates and keys in memory.
func newPKI(name string, now time.Time) (*pki, error) {
	const suffix = " Root CA" // the longer of the two; CN is at most 64 characters
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name)+len(suffix) > 64 {
		return nil, fmt.Errorf("tsa: PKI name %q must be 1 to %d characters of UTF-8", name, 64-len(suffix))
	}
	if now.IsZero() {
		return nil, errors.New("tsa: clock returned the zero time")
	}
	notBefore := now.UTC().Truncate(time.Second).Add(-backdate)
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	tsaKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	rootTmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: name + suffix},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(rootValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return nil, fmt.Errorf("tsa: creating the root certificate: %w", err)
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{oidKPTimeStamping})
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	tsaTmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: name + " TSA"},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(tsaValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		// crypto/x509 writes ExtKeyUsage non-critical; RFC 3161 §2.3 wants it
		// critical, so the extension is supplied raw.
		ExtraExtensions: []pkix.Extension{{Id: oidExtKeyUsage, Critical: true, Value: eku}},
	}
	tsaDER, err := x509.CreateCertificate(rand.Reader, tsaTmpl, root, tsaKey.Public(), rootKey)
	if err != nil {
		return nil, fmt.Errorf("tsa: creating the TSA certificate: %w", err)
	}
	tsaCert, err := x509.ParseCertificate(tsaDER)
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	return &pki{root: root, tsa: tsaCert, rootKey: rootKey, tsaKey: tsaKey}, nil
}

// randomSerial returns a positive 128-bit random certificate serial number.
func randomSerial() *big.Int {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand, Go ≥ 1.24)
	b[0] &= 0x7f
	b[0] |= 0x40 // 127 significant bits, never zero
	return new(big.Int).SetBytes(b)
}

func marshalKey(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func samePublicKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// checkTSACert checks the profile RFC 3161 §2.3 requires of a TSA
// certificate, as OpenSSL does: exactly one extended key usage,
// timeStamping, in a critical extension; if key usage is present, only
// digitalSignature and nonRepudiation.
func checkTSACert(c *x509.Certificate) error {
	critical := false
	for _, e := range c.Extensions {
		if e.Id.Equal(oidExtKeyUsage) {
			critical = e.Critical
		}
	}
	if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping || len(c.UnknownExtKeyUsage) != 0 {
		return errors.New("certificate's extended key usage is not exactly timeStamping (RFC 3161 §2.3)")
	}
	if !critical {
		return errors.New("certificate's extended key usage extension is not critical (RFC 3161 §2.3)")
	}
	if c.KeyUsage&^(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) != 0 {
		return errors.New("certificate's key usage allows more than digitalSignature and nonRepudiation")
	}
	return nil
}
