package node

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
)

type party struct {
	did  string
	cert tls.Certificate
}

func newParty(t *testing.T, alg suite.Alg, now time.Time, validity time.Duration) party {
	t.Helper()
	s, err := suite.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := identity.NewKeyDID(alg, s.Public())
	if err != nil {
		t.Fatal(err)
	}
	c, err := DIDCertificate(s, k.DID, now, validity)
	if err != nil {
		t.Fatal(err)
	}
	return party{k.DID, c}
}

func TestDIDBoundTLS(t *testing.T) {
	now := time.Now()
	res := identity.NewResolver(identity.ResolverOptions{})
	v := &DIDVerifier{Resolve: res.Resolve}
	provider := newParty(t, suite.Ed25519, now, time.Hour)
	consumer := newParty(t, suite.P256, now, time.Hour)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "peer="+PeerDID(r))
	}))
	srv.TLS = ServerTLS(provider.cert, v)
	srv.StartTLS()
	defer srv.Close()

	get := func(cfg *tls.Config) (string, error) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 5 * time.Second}
		resp, err := c.Get(srv.URL)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), nil
	}
	// The consumer's DID reaches the handler; the provider is checked too.
	body, err := get(ClientTLS(consumer.cert, provider.did, v))
	if err != nil || body != "peer="+consumer.did {
		t.Fatalf("mutual DID TLS: %v %q", err, body)
	}
	// No client certificate: the connection is allowed, but anonymous.
	noCert := ClientTLS(tls.Certificate{}, provider.did, v)
	noCert.Certificates = nil
	if body, err := get(noCert); err != nil || body != "peer=" {
		t.Fatalf("no client certificate: %v %q", err, body)
	}
	// The consumer expecting another provider DID refuses the server.
	stranger := newParty(t, suite.Ed25519, now, time.Hour)
	if _, err := get(ClientTLS(consumer.cert, stranger.did, v)); err == nil || !strings.Contains(err.Error(), "not "+stranger.did) {
		t.Fatalf("wrong server DID accepted: %v", err)
	}
	// A certificate naming the consumer's DID with another key is refused in the handshake.
	impostorSigner, _ := suite.Generate(suite.P256, nil)
	impostor, err := DIDCertificate(impostorSigner, consumer.did, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get(ClientTLS(impostor, provider.did, v)); err == nil {
		t.Fatal("a certificate with a key not in the DID document was accepted")
	}
	// An expired client certificate is refused.
	old := newParty(t, suite.Ed25519, now.Add(-2*time.Hour), time.Hour)
	if _, err := get(ClientTLS(old.cert, provider.did, v)); err == nil {
		t.Fatal("an expired certificate was accepted")
	}
	// SM2 keys are refused for transport with a clear message.
	sm2s, _ := suite.Generate(suite.SM2, nil)
	if _, err := DIDCertificate(sm2s, "did:web:x.example", now, time.Hour); err == nil || !strings.Contains(err.Error(), "SM2") {
		t.Fatalf("SM2 TLS key: %v", err)
	}
}
