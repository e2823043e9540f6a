package vc

import (
	"crypto"

	"github.com/piprate/json-gold/ld"

	"github.com/xborder/xborder/internal/jsonld"
	"github.com/xborder/xborder/internal/suite"
)

// Processor signs and verifies credentials. It holds the pinned-context
// loader, a bounded cache of processed contexts and the cryptosuites; it is
// safe for concurrent use.
type Processor struct {
	loader   *Loader
	fast     *jsonld.Processor // expansion with cached contexts; json-gold is the fallback
	ctxCache contextCache
	suites   map[string]Cryptosuite
	// workLimit bounds RDFC-1.0 Hash N-Degree Quads work per
	// canonicalisation.
	workLimit int
	// sigs verifies signatures, with per-key precomputation for the
	// Ed25519 keys seen repeatedly (credential issuers, peers).
	sigs *suite.VerifierCache
}

// maxPreparedKeys bounds the Ed25519 keys a Processor keeps precomputed
// tables for (about 100 KB each).
const maxPreparedKeys = 128

// WithRDFCWorkLimit sets the RDFC-1.0 work limit (default
// DefaultRDFCWorkLimit); a document that needs more fails with
// CodeMalformed.
func WithRDFCWorkLimit(n int) Option {
	return func(p *Processor) error {
		if n <= 0 {
			return newErr(CodeMalformed, nil, "work limit must be positive")
		}
		p.workLimit = n
		return nil
	}
}

// Option configures New.
type Option func(*Processor) error

// WithCryptosuite registers an additional RDFC-1.0-based cryptosuite (for
// example an SM2/SM3 suite). A name already registered is an error.
func WithCryptosuite(cs Cryptosuite) Option {
	return func(p *Processor) error {
		if cs.Name == "" || cs.NewHash == nil || cs.Alg == "" {
			return newErr(CodeMalformed, nil, "cryptosuite needs a name, an algorithm and a hash")
		}
		if _, dup := p.suites[cs.Name]; dup {
			return newErr(CodeMalformed, nil, "cryptosuite %q is already registered", cs.Name)
		}
		p.suites[cs.Name] = cs
		return nil
	}
}

// New returns a Processor over the pinned contexts with the built-in
// cryptosuites (eddsa-rdfc-2022, ecdsa-rdfc-2019) and any added by opts.
func New(opts ...Option) (*Processor, error) {
	l, err := NewLoader()
	if err != nil {
		return nil, newErr(CodeInternal, err, "loading the pinned contexts")
	}
	p := &Processor{
		loader:    l,
		fast:      jsonld.New(l),
		ctxCache:  contextCache{m: map[string]*ld.Context{}},
		suites:    map[string]Cryptosuite{},
		workLimit: DefaultRDFCWorkLimit,
		sigs:      suite.NewVerifierCache(maxPreparedKeys),
	}
	for _, cs := range builtinCryptosuites() {
		p.suites[cs.Name] = cs
	}
	for _, o := range opts {
		if err := o(p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// verifySig checks a signature as suite.Verify does (same results, same
// errors), faster for Ed25519 keys that sign often.
func (p *Processor) verifySig(alg suite.Alg, pub crypto.PublicKey, msg, sig []byte) error {
	return p.sigs.Verify(alg, pub, msg, sig)
}
