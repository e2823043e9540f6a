package node

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
)

// DID-bound TLS.
//
// Nodes authenticate each other on the protocol listener with TLS 1.3
// client certificates that are bound to DIDs, not to a certificate
// authority: a node's certificate is self-signed with the key of its DID
// document and names the DID in a URI subject alternative name. The peer
// verifies the signature chain of one (the certificate itself), then
// resolves the DID and requires the certificate's public key to be one of
// the DID document's authentication keys. Revoking a key is removing it
// from the DID document. The handshake accepts connections without a
// client certificate (for the DID document and version metadata, which are
// public); handlers that need a caller require PeerDID.
//
// Go's TLS supports Ed25519 and P-256 keys; SM2 certificates (TLCP, GB/T
// 38636) are not in crypto/tls, so a gm-suite node uses an Ed25519 or P-256
// key for transport and SM2 for signatures and encryption of content.

// DIDCertificate makes the node's self-signed TLS certificate for did with
// the signer's key, valid for validity from now.
func DIDCertificate(s suite.Signer, did string, now time.Time, validity time.Duration) (tls.Certificate, error) {
	if s.Alg() == suite.SM2 {
		return tls.Certificate{}, errors.New("node: TLS needs an Ed25519 or P-256 key (crypto/tls has no SM2); use one for transport")
	}
	priv, ok := signerKey(s)
	if !ok {
		return tls.Certificate{}, errors.New("node: the node key cannot be used for TLS")
	}
	u, err := url.Parse(did)
	if err != nil || u.Scheme != "did" {
		return tls.Certificate{}, fmt.Errorf("node: %q is not a DID", did)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: did},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		URIs:         []*url.URL{u},
	}
	if host, ok := strings.CutPrefix(did, "did:web:"); ok && !strings.Contains(host, ":") {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, s.Public(), priv)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("node: TLS certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv, Leaf: leaf}, nil
}

// signerKey returns the crypto.Signer behind a suite signer made from a
// standard key.
func signerKey(s suite.Signer) (crypto.Signer, bool) {
	der, err := suite.MarshalPrivateKey(s.Alg(), s)
	if err != nil {
		return nil, false
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, false
	}
	cs, ok := k.(crypto.Signer)
	return cs, ok
}

// DIDVerifier checks a peer certificate against the peer's DID document.
type DIDVerifier struct {
	Resolve func(ctx context.Context, did string) (*identity.Result, error)
	Now     func() time.Time
	Timeout time.Duration // per resolution; default 10 s
}

// certDID returns the one did: URI SAN of a certificate.
func certDID(c *x509.Certificate) (string, error) {
	var did string
	for _, u := range c.URIs {
		if u.Scheme == "did" {
			if did != "" {
				return "", errors.New("certificate names more than one DID")
			}
			did = u.String()
		}
	}
	if did == "" {
		return "", errors.New("certificate names no DID (URI SAN)")
	}
	return did, nil
}

// Verify checks that the leaf certificate is self-signed, currently valid,
// and carries a public key listed for authentication in its DID's document;
// it returns the DID.
func (v *DIDVerifier) Verify(ctx context.Context, rawCerts [][]byte) (string, error) {
	if len(rawCerts) == 0 {
		return "", errors.New("no client certificate")
	}
	c, err := x509.ParseCertificate(rawCerts[0])
	if err != nil {
		return "", fmt.Errorf("client certificate: %w", err)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if t := now(); t.Before(c.NotBefore) || t.After(c.NotAfter) {
		return "", errors.New("client certificate expired or not yet valid")
	}
	if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
		return "", fmt.Errorf("client certificate is not self-signed by its key: %w", err)
	}
	did, err := certDID(c)
	if err != nil {
		return "", err
	}
	to := v.Timeout
	if to == 0 {
		to = 10 * time.Second
	}
	rctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	res, err := v.Resolve(rctx, did)
	if err != nil || res == nil || res.Document == nil {
		return "", fmt.Errorf("resolving %s: %v", did, err)
	}
	pub, err := x509.MarshalPKIXPublicKey(c.PublicKey)
	if err != nil {
		return "", err
	}
	doc := res.Document
	for _, ref := range doc.Authentication {
		id := ref.Ref
		if ref.Embedded != nil {
			id = ref.Embedded.ID
		}
		vm, err := doc.VerificationMethod(id, identity.Authentication)
		if err != nil {
			continue
		}
		_, k, err := vm.PublicKey()
		if err != nil {
			continue
		}
		if kb, err := x509.MarshalPKIXPublicKey(k); err == nil && bytes.Equal(kb, pub) {
			return did, nil
		}
	}
	return "", fmt.Errorf("the certificate's key is not an authentication key of %s", did)
}

// ServerTLS returns the TLS 1.3 configuration of the protocol listener:
// the node's DID certificate, client certificates requested and, when
// given, verified against their DIDs (a bad one fails the handshake).
func ServerTLS(cert tls.Certificate, v *DIDVerifier) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequestClientCert,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return nil
			}
			raw := make([][]byte, len(cs.PeerCertificates))
			for i, c := range cs.PeerCertificates {
				raw[i] = c.Raw
			}
			_, err := v.Verify(context.Background(), raw)
			return err
		},
	}
}

// ClientTLS returns the TLS configuration for calling a peer whose DID is
// peerDID: the node presents its DID certificate, and the server's
// certificate must be bound to peerDID.
func ClientTLS(cert tls.Certificate, peerDID string, v *DIDVerifier) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{cert},
		InsecureSkipVerify: true, // no CA: VerifyPeerCertificate checks the DID binding instead
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			did, err := v.Verify(context.Background(), raw)
			if err != nil {
				return err
			}
			if did != peerDID {
				return fmt.Errorf("the server is %s, not %s", did, peerDID)
			}
			return nil
		},
	}
}

// PeerDID returns the DID of the verified client certificate of r, or "".
func PeerDID(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return ""
	}
	// VerifyConnection has checked the binding during the handshake.
	did, err := certDID(r.TLS.PeerCertificates[0])
	if err != nil {
		return ""
	}
	return did
}
