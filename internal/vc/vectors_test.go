package vc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"hash"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mr-tron/base58"

	"github.com/xborder/xborder/internal/suite"
)

type diVector struct {
	name      string
	dir       string // under vectorsDir
	unsigned  string // unsigned credential, under vectorsDir
	suffix    string // file-name suffix of the case
	newHash   func() hash.Hash
	keyFile   string // key pair file, under vectorsDir
	secretKey string // JSON field of the secret key
	// deterministic: the signature is reproducible (Ed25519).
	deterministic bool
	// signable: the suite package can sign and verify with this key.
	signable bool
}

var diVectors = []diVector{
	{"eddsa-rdfc-2022", "vc-di-eddsa/TestVectors/eddsa-rdfc-2022", "vc-di-eddsa/TestVectors/unsigned.json", "DataInt", sha256.New,
		"vc-di-eddsa/TestVectors/keyPair.json", "privateKeyMultibase", true, true},
	{"eddsa-rdfc-2022/employ", "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/employ", "vc-di-eddsa/TestVectors/employmentAuth.json", "DataInt", sha256.New,
		"vc-di-eddsa/TestVectors/keyPair.json", "privateKeyMultibase", true, true},
	{"ecdsa-rdfc-2019-p256", "vc-di-ecdsa/TestVectors/ecdsa-rdfc-2019-p256", "vc-di-ecdsa/TestVectors/unsigned.json", "ECDSAP256", sha256.New,
		"vc-di-ecdsa/TestVectors/p256KeyPair.json", "secretKeyMultibase", false, true},
	{"ecdsa-rdfc-2019-p256/employ", "vc-di-ecdsa/TestVectors/ecdsa-rdfc-2019-p256/employ", "vc-di-ecdsa/TestVectors/employmentAuth.json", "ECDSAP256", sha256.New,
		"vc-di-ecdsa/TestVectors/p256KeyPair.json", "secretKeyMultibase", false, true},
	// P-384: canonical forms, hashes and the signature (checked directly
	// with crypto/ecdsa); the suite package has no P-384 signer.
	{"ecdsa-rdfc-2019-p384", "vc-di-ecdsa/TestVectors/ecdsa-rdfc-2019-p384", "vc-di-ecdsa/TestVectors/unsigned.json", "ECDSAP384", sha512.New384,
		"vc-di-ecdsa/TestVectors/p384KeyPair.json", "secretKeyMultibase", false, false},
	{"ecdsa-rdfc-2019-p384/employ", "vc-di-ecdsa/TestVectors/ecdsa-rdfc-2019-p384/employ", "vc-di-ecdsa/TestVectors/employmentAuth.json", "ECDSAP384", sha512.New384,
		"vc-di-ecdsa/TestVectors/p384KeyPair.json", "secretKeyMultibase", false, false},
}

// canonicalizeWith canonicalises doc with the given RDFC-1.0 hash.
func canonicalizeWith(t *testing.T, p *Processor, doc map[string]any, newHash func() hash.Hash) []byte {
	t.Helper()
	if err := p.checkContexts(doc); err != nil {
		t.Fatal(err)
	}
	// The vectors must take the fast path (no fallback), and it must agree
	// with json-gold.
	expanded, err := p.fast.Expand(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	gold, err := p.expandJSONGold(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(expanded, gold) {
		t.Fatalf("internal/jsonld and json-gold expand differently:\n%v\n%v", expanded, gold)
	}
	ds, err := toRDF(expanded)
	if err != nil {
		t.Fatal(err)
	}
	out, err := canonicalizeQuads(context.Background(), quadsFromDataset(ds), newHash, DefaultRDFCWorkLimit)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sum(newHash func() hash.Hash, b []byte) []byte {
	h := newHash()
	h.Write(b)
	return h.Sum(nil)
}

// TestDataIntegrityVectors checks every step of the published
// eddsa-rdfc-2022 and ecdsa-rdfc-2019 vectors byte-exactly: canonical
// document, its hash, canonical proof configuration, its hash, hashData,
// the signature (reproduced for Ed25519) and verification of the signed
// document.
func TestDataIntegrityVectors(t *testing.T) {
	p := newProcessor(t)
	ctx := context.Background()
	for _, v := range diVectors {
		t.Run(v.name, func(t *testing.T) {
			file := func(stem string) string { return v.dir + "/" + stem + v.suffix }
			unsigned := readJSONMap(t, v.unsigned)

			canonDoc := canonicalizeWith(t, p, unsigned, v.newHash)
			if want := readVector(t, file("canonDoc")+".txt"); string(canonDoc) != string(want) {
				t.Fatalf("canonical document\n got %s\nwant %s", canonDoc, want)
			}
			docHash := sum(v.newHash, canonDoc)
			if want := string(readVector(t, file("docHash")+".txt")); hex.EncodeToString(docHash) != want {
				t.Fatalf("document hash %x, want %s", docHash, want)
			}
			proofConfig := readJSONMap(t, file("proofConfig")+".json")
			proofCanon := canonicalizeWith(t, p, proofConfig, v.newHash)
			if want := readVector(t, file("proofCanon")+".txt"); string(proofCanon) != string(want) {
				t.Fatalf("canonical proof config\n got %s\nwant %s", proofCanon, want)
			}
			proofHash := sum(v.newHash, proofCanon)
			if want := string(readVector(t, file("proofHash")+".txt")); hex.EncodeToString(proofHash) != want {
				t.Fatalf("proof hash %x, want %s", proofHash, want)
			}
			hashData := append(append([]byte{}, proofHash...), docHash...)
			if want := string(readVector(t, file("combinedHash")+".txt")); hex.EncodeToString(hashData) != want {
				t.Fatalf("hashData %x, want %s", hashData, want)
			}
			sigHex := string(readVector(t, file("sigHex")+".txt"))
			sigB58 := string(readVector(t, file("sigBTC58")+".txt"))
			sig, _ := hex.DecodeString(sigHex)
			if "z"+base58.Encode(sig) != sigB58 {
				t.Fatalf("sigBTC58 %s does not encode sigHex", sigB58)
			}
			signedRaw := readVector(t, file("signed")+".json")
			var signed map[string]any
			if err := json.Unmarshal(signedRaw, &signed); err != nil {
				t.Fatal(err)
			}
			if pv := signed["proof"].(map[string]any)["proofValue"]; pv != sigB58 {
				t.Fatalf("signed document proofValue %v, want %s", pv, sigB58)
			}

			keys := readJSONMap(t, v.keyFile)
			if !v.signable {
				// P-384: check the published signature directly.
				pub := decodeP384(t, keys["publicKeyMultibase"].(string))
				d := sha512.Sum384(hashData)
				r, s := new(big.Int).SetBytes(sig[:48]), new(big.Int).SetBytes(sig[48:])
				if !ecdsa.Verify(pub, d[:], r, s) {
					t.Fatal("published P-384 signature does not verify over hashData")
				}
				return
			}

			// hashData computed by the package itself.
			got, err := p.hashData(ctx, unsigned, proofWithoutContext(proofConfig), p.suites[proofConfig["cryptosuite"].(string)])
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != hex.EncodeToString(hashData) {
				t.Fatalf("package hashData %x, want %x", got, hashData)
			}

			// The published signed document verifies.
			res, err := p.Verify(ctx, signedRaw, didKeyResolver{}, VerifyOptions{Now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatalf("published vector does not verify: %v", err)
			}
			if len(res.Proofs) != 1 || !res.Proofs[0].Verified {
				t.Fatalf("proof results %+v", res.Proofs)
			}

			// Sign the unsigned credential ourselves.
			signer, vm := signerFromMultikey(t, keys[v.secretKey].(string), keys["publicKeyMultibase"].(string))
			if vm != proofConfig["verificationMethod"] {
				t.Fatalf("key file does not match the vector's verification method %v", proofConfig["verificationMethod"])
			}
			created, _ := time.Parse(time.RFC3339, proofConfig["created"].(string))
			out, err := p.Sign(ctx, readVector(t, v.unsigned), ProofOptions{
				Cryptosuite: proofConfig["cryptosuite"].(string), VerificationMethod: vm,
				ProofPurpose: "assertionMethod", Created: created, Signer: signer,
			})
			if err != nil {
				t.Fatal(err)
			}
			var ours map[string]any
			if err := json.Unmarshal(out, &ours); err != nil {
				t.Fatal(err)
			}
			if v.deterministic {
				if !reflect.DeepEqual(ours, signed) {
					t.Fatalf("our signed document differs from the vector:\n%s", out)
				}
			} else {
				// ECDSA is randomised: same document and proof apart from
				// proofValue, and ours verifies.
				op, sp := ours["proof"].(map[string]any), signed["proof"].(map[string]any)
				delete(op, "proofValue")
				delete(sp, "proofValue")
				if !reflect.DeepEqual(ours, signed) {
					t.Fatalf("our signed document differs from the vector (beyond proofValue):\n%s", out)
				}
			}
			if _, err := p.Verify(ctx, out, didKeyResolver{}, VerifyOptions{Now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
				t.Fatalf("our signed document does not verify: %v", err)
			}
		})
	}
}

func proofWithoutContext(cfg map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range cfg {
		if k != "@context" {
			out[k] = v
		}
	}
	return out
}

func decodeP384(t *testing.T, mk string) *ecdsa.PublicKey {
	t.Helper()
	b, err := base58.Decode(strings.TrimPrefix(mk, "z"))
	if err != nil || len(b) != 2+49 || b[0] != 0x81 || b[1] != 0x24 {
		t.Fatalf("not a P-384 multikey: %s", mk)
	}
	x, y := elliptic.UnmarshalCompressed(elliptic.P384(), b[2:])
	if x == nil {
		t.Fatal("bad P-384 point")
	}
	return &ecdsa.PublicKey{Curve: elliptic.P384(), X: x, Y: y}
}

// TestProofSetAndChainVectors reproduces the vc-di-eddsa proof-set and
// proof-chain vectors step by step (Ed25519 is deterministic, so every
// intermediate signed document must match byte for byte in JSON value) and
// verifies each.
func TestProofSetAndChainVectors(t *testing.T) {
	p := newProcessor(t)
	ctx := context.Background()
	dir := "vc-di-eddsa/TestVectors/proof-set-chain/"
	keys := readJSONMap(t, dir+"multiKeyPairs.json")
	signerN := func(n string) (suite.Signer, string) {
		kp := keys["keyPair"+n].(map[string]any)
		return signerFromMultikey(t, kp["privateKeyMultibase"].(string), kp["publicKeyMultibase"].(string))
	}
	t0 := time.Date(2023, 2, 24, 23, 36, 38, 0, time.UTC)
	steps := []struct {
		key, id, want string
		created       time.Time
		previous      []string
	}{
		{"1", "urn:uuid:26329423-bec9-4b2e-88cb-a7c7d9dc4544", "signedProofSet1.json", t0, nil},
		{"2", "urn:uuid:8cc9022b-6b14-4cf3-8571-74972c5feb54", "signedProofSet2.json", t0, nil},
		{"3", "urn:uuid:d94f792a-c546-4d06-b38a-da070ab56c23", "signedProofChain1.json", time.Date(2023, 2, 26, 22, 6, 38, 0, time.UTC),
			[]string{"urn:uuid:26329423-bec9-4b2e-88cb-a7c7d9dc4544", "urn:uuid:8cc9022b-6b14-4cf3-8571-74972c5feb54"}},
		{"4", "", "signedProofChain2.json", time.Date(2023, 2, 26, 22, 16, 38, 0, time.UTC),
			[]string{"urn:uuid:d94f792a-c546-4d06-b38a-da070ab56c23"}},
	}
	doc := readVector(t, dir+"unsigned.json")
	for _, st := range steps {
		t.Run(st.want, func(t *testing.T) {
			signer, vm := signerN(st.key)
			out, err := p.Sign(ctx, doc, ProofOptions{
				Cryptosuite: EdDSARDFC2022, VerificationMethod: vm, ProofPurpose: "assertionMethod",
				Created: st.created, ID: st.id, PreviousProof: st.previous, Signer: signer,
			})
			if err != nil {
				t.Fatal(err)
			}
			var ours, want map[string]any
			_ = json.Unmarshal(out, &ours)
			published := readVector(t, dir+st.want)
			_ = json.Unmarshal(published, &want)
			if !reflect.DeepEqual(ours, want) {
				t.Fatalf("signed document differs from %s:\n%s", st.want, out)
			}
			res, err := p.Verify(ctx, published, didKeyResolver{}, VerifyOptions{})
			if err != nil {
				t.Fatalf("published %s does not verify: %v", st.want, err)
			}
			for _, pr := range res.Proofs {
				if !pr.Verified {
					t.Fatalf("proof %d not verified: %v", pr.Index, pr.Err)
				}
			}
			doc = out
		})
	}
}
