package vc

import (
	"context"
	"crypto/sha256"
	"hash"
	"time"

	"github.com/mr-tron/base58"

	"github.com/xborder/xborder/internal/suite"
)

// ProofTypeDataIntegrity is the proof type of every Data Integrity proof.
const ProofTypeDataIntegrity = "DataIntegrityProof"

// Cryptosuite names.
const (
	EdDSARDFC2022 = "eddsa-rdfc-2022" // Ed25519 over RDFC-1.0, SHA-256
	ECDSARDFC2019 = "ecdsa-rdfc-2019" // ECDSA P-256 over RDFC-1.0, SHA-256
)

// Cryptosuite is an RDFC-1.0-based Data Integrity cryptosuite: the
// canonical proof configuration and the canonical document are each hashed
// with NewHash, the two digests are concatenated (proof configuration
// first) and the result is signed with a key of algorithm Alg, whose Signer
// applies any hashing the signature algorithm itself prescribes.
//
// The two W3C suites are built in; xborder's SM2/SM3 suite is added with
// WithSM2, others with WithCryptosuite.
type Cryptosuite struct {
	Name    string
	Alg     suite.Alg
	NewHash func() hash.Hash
}

func builtinCryptosuites() []Cryptosuite {
	return []Cryptosuite{
		{Name: EdDSARDFC2022, Alg: suite.Ed25519, NewHash: sha256.New},
		{Name: ECDSARDFC2019, Alg: suite.P256, NewHash: sha256.New},
	}
}

// ProofOptions configures Sign.
type ProofOptions struct {
	Cryptosuite        string    // EdDSARDFC2022, ECDSARDFC2019 or a registered suite
	VerificationMethod string    // URL of the key, e.g. did:key:z6Mk…#z6Mk…
	ProofPurpose       string    // default "assertionMethod"
	Created            time.Time // written when non-zero (UTC, RFC 3339)
	Expires            time.Time // written when non-zero
	Domain             string    // written when non-empty
	Challenge          string    // written when non-empty
	ID                 string    // proof id, needed for proof chains
	PreviousProof      []string  // ids of existing proofs this proof chains to
	Signer             suite.Signer
}

// Sign adds a DataIntegrityProof to the credential doc (a
// map[string]any, json.RawMessage, []byte, or any value that marshals to a
// JSON object) and returns the signed document as JSON. A document that
// already carries proofs gets the new proof added to its proof set.
func (p *Processor) Sign(ctx context.Context, doc any, opts ProofOptions) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, newErr(CodeInternal, err, "signing")
	}
	d, err := toDocument(doc)
	if err != nil {
		return nil, err
	}
	if err := checkCredential(d); err != nil {
		return nil, err
	}
	return p.addProof(ctx, d, opts, "assertionMethod")
}

// addProof adds a DataIntegrityProof configured by opts to the checked
// document d (a credential or a presentation) and returns d as JSON.
// defaultPurpose applies when opts.ProofPurpose is empty.
func (p *Processor) addProof(ctx context.Context, d map[string]any, opts ProofOptions, defaultPurpose string) ([]byte, error) {
	if err := p.checkContexts(d); err != nil {
		return nil, err
	}
	cs, ok := p.suites[opts.Cryptosuite]
	if !ok {
		return nil, newErr(CodeUnsupportedCryptosuite, nil, "cryptosuite %q", opts.Cryptosuite)
	}
	if opts.Signer == nil {
		return nil, newErr(CodeMalformed, nil, "no signer")
	}
	if opts.Signer.Alg() != cs.Alg {
		return nil, newErr(CodeUnsupportedCryptosuite, nil, "%s needs a %s key, the signer has %s", cs.Name, cs.Alg, opts.Signer.Alg())
	}
	if !absoluteIRI(opts.VerificationMethod) {
		return nil, newErr(CodeMalformed, nil, "verification method %q is not a URL", opts.VerificationMethod)
	}
	purpose := opts.ProofPurpose
	if purpose == "" {
		purpose = defaultPurpose
	}

	existing, err := proofList(d)
	if err != nil {
		return nil, err
	}
	proof := map[string]any{
		"type":               ProofTypeDataIntegrity,
		"cryptosuite":        cs.Name,
		"verificationMethod": opts.VerificationMethod,
		"proofPurpose":       purpose,
	}
	if opts.ID != "" {
		proof["id"] = opts.ID
	}
	if !opts.Created.IsZero() {
		proof["created"] = formatTime(opts.Created)
	}
	if !opts.Expires.IsZero() {
		proof["expires"] = formatTime(opts.Expires)
	}
	if opts.Domain != "" {
		proof["domain"] = opts.Domain
	}
	if opts.Challenge != "" {
		proof["challenge"] = opts.Challenge
	}
	switch len(opts.PreviousProof) {
	case 0:
	case 1:
		proof["previousProof"] = opts.PreviousProof[0]
	default:
		prev := make([]any, len(opts.PreviousProof))
		for i, s := range opts.PreviousProof {
			prev[i] = s
		}
		proof["previousProof"] = prev
	}

	unsecured, err := unsecuredDocument(d, existing, proof)
	if err != nil {
		return nil, err
	}
	hashData, err := p.hashData(ctx, unsecured, proof, cs)
	if err != nil {
		return nil, err
	}
	sig, err := opts.Signer.Sign(hashData)
	if err != nil {
		return nil, newErr(CodeInternal, err, "signing with %s", cs.Alg)
	}
	proof["proofValue"] = "z" + base58.Encode(sig)

	switch len(existing) {
	case 0:
		d["proof"] = proof
	default:
		all := make([]any, 0, len(existing)+1)
		for _, e := range existing {
			all = append(all, e)
		}
		d["proof"] = append(all, proof)
	}
	return encodeDocument(d)
}

// proofList returns the proofs of doc (none, one, or a proof set).
func proofList(doc map[string]any) ([]map[string]any, error) {
	v, ok := doc["proof"]
	if !ok {
		return nil, nil
	}
	var out []map[string]any
	for _, e := range asArray(v) {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, newErr(CodeMalformed, nil, "proof must be an object or an array of objects")
		}
		out = append(out, m)
	}
	return out, nil
}

// unsecuredDocument is doc without its proofs, plus, when proof chains to
// earlier proofs (previousProof), exactly those proofs (Data Integrity 1.0,
// Add Proof step 4 / Verify Proof step 5).
func unsecuredDocument(doc map[string]any, all []map[string]any, proof map[string]any) (map[string]any, error) {
	u := withoutProof(doc)
	prev, ok := proof["previousProof"]
	if !ok {
		return u, nil
	}
	var matching []any
	for _, id := range asArray(prev) {
		s, ok := id.(string)
		if !ok || s == "" {
			return nil, newErr(CodeMalformed, nil, "previousProof must be a string or an array of strings")
		}
		found := false
		for _, e := range all {
			if eid, _ := e["id"].(string); eid == s {
				matching = append(matching, e)
				found = true
				break
			}
		}
		if !found {
			return nil, newErr(CodeMalformed, nil, "previousProof %q names no proof of the document", s)
		}
	}
	u["proof"] = matching
	return u, nil
}

// hashData canonicalises the proof configuration (the proof without
// proofValue, with the document's @context) and the unsecured document, and
// returns H(canonical proof config) || H(canonical document).
func (p *Processor) hashData(ctx context.Context, unsecured, proof map[string]any, cs Cryptosuite) ([]byte, error) {
	docCanon, err := p.canonicalize(ctx, unsecured)
	if err != nil {
		return nil, err
	}
	return p.hashDataWithDocCanon(ctx, docCanon, unsecured, proof, cs)
}

func (p *Processor) hashDataWithDocCanon(ctx context.Context, docCanon []byte, unsecured, proof map[string]any, cs Cryptosuite) ([]byte, error) {
	cfg := proofConfig(proof, unsecured["@context"])
	cfgCanon, err := p.canonicalize(ctx, cfg)
	if err != nil {
		return nil, err
	}
	h := cs.NewHash()
	h.Write(cfgCanon)
	out := h.Sum(nil)
	h.Reset()
	h.Write(docCanon)
	return h.Sum(out), nil
}

// proofConfig is proof without proofValue and with @context set.
func proofConfig(proof map[string]any, ctx any) map[string]any {
	cfg := make(map[string]any, len(proof)+1)
	for k, v := range proof {
		if k != "proofValue" {
			cfg[k] = v
		}
	}
	cfg["@context"] = ctx
	return cfg
}

// withoutProof is a shallow copy of doc without its proof property.
func withoutProof(doc map[string]any) map[string]any {
	u := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "proof" {
			u[k] = v
		}
	}
	return u
}
