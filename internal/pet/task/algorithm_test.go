package task

import (
	"context"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/suite"
)

func TestAlgorithmRegister(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, didC)
	n := w.nodes[didC]
	pub, err := suite.Generate(suite.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := suite.Generate(suite.Ed25519, nil)
	const publisher = "did:web:algorithms.example"
	n.opts.Publishers = map[string]Publisher{publisher: {Alg: suite.Ed25519, Key: pub.Public()}}
	n.svc.opts.Publishers = n.opts.Publishers
	m := Manifest{Name: "fraud-overlap", Version: "2.1", Kind: "psi", Offers: []string{"cardinality"}, Params: []string{"group"},
		Implementation: "builtin:psi/cardinality/v1", Publisher: publisher}
	sign := func(m Manifest, s suite.Signer, kid string) string {
		tok, err := SignManifest(m, s, kid)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := sign(m, pub, publisher+"#key-1")
	tampered := good[:strings.LastIndexByte(good, '.')+1] + strings.Repeat("A", 86)
	unknown := m
	unknown.Implementation = "docker://evil"
	for _, c := range []struct {
		name, tok string
		code      Code
	}{
		{"bad signature", tampered, SignatureInvalid},
		{"wrong key", sign(m, other, publisher+"#key-1"), SignatureInvalid},
		{"untrusted publisher", sign(m, other, "did:web:stranger.example#k"), PublisherUntrusted},
		{"publisher mismatch", sign(Manifest{Name: "x", Version: "1", Kind: "psi", Offers: []string{"cardinality"}, Implementation: "builtin:psi/cardinality/v1", Publisher: "did:web:else"}, pub, publisher+"#key-1"), PublisherUntrusted},
		{"unknown implementation", sign(unknown, pub, publisher+"#key-1"), ImplementationUnknown},
		{"not a JWS", "{}", ManifestInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := n.svc.AlgorithmRegister(ctx, local(didC), RegisterRequest{Manifest: c.tok})
			refusal(t, n, err, c.code)
		})
	}
	_, err = n.svc.AlgorithmRegister(ctx, Caller{DID: didP}, RegisterRequest{Manifest: good})
	refusal(t, n, err, LocalOnly)
	a, err := n.svc.AlgorithmRegister(ctx, local(didC), RegisterRequest{Manifest: good})
	if err != nil || a.ID != "fraud-overlap@2.1" || a.Builtin {
		t.Fatalf("%v %+v", err, a)
	}
	// It survives a restart.
	n.svc.Close()
	n.open(t)
	if n.svc.algorithm("fraud-overlap@2.1") == nil {
		t.Fatal("not reloaded")
	}
}
