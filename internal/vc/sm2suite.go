package vc

import (
	"context"

	"github.com/xborder/xborder/internal/suite"
)

// SM2RDFC2025 is the name of xborder's SM2/SM3 Data Integrity cryptosuite.
// No SM2 cryptosuite is registered with the W3C; this one is private to
// xborder and specified in the package documentation ("The SM2
// cryptosuite"). The name carries the "xborder-" prefix so that it cannot be
// mistaken for a registered suite or for Instun's "sm2-2023", which hashes
// differently.
const SM2RDFC2025 = "xborder-sm2-rdfc-2025"

// SM2Cryptosuite returns the definition of the SM2RDFC2025 cryptosuite:
// RDFC-1.0, SM3 for hashData, SM2 keys (whose suite.Signer signs with SM3
// and Z over the default UID).
func SM2Cryptosuite() Cryptosuite {
	return Cryptosuite{Name: SM2RDFC2025, Alg: suite.SM2, NewHash: suite.GM.Hash}
}

// WithSM2 registers the SM2RDFC2025 cryptosuite. A Processor without it
// treats SM2 proofs as unsupported, as a verifier outside xborder does; with
// VerifyOptions.SkipUnsupported it then accepts a credential on the proofs
// it can check.
func WithSM2() Option { return WithCryptosuite(SM2Cryptosuite()) }

// AddProof adds one more proof, configured by opts, to the proof set of
// an already secured credential: a parallel signature (not chained, unless
// opts.PreviousProof says so) over the same unsecured credential, so each
// proof verifies independently of the others. The typical use is an SM2
// proof beside an Ed25519 or P-256 one for the gm suite. The existing proofs
// are kept as they are and not verified here.
func (p *Processor) AddProof(ctx context.Context, signed []byte, opts ProofOptions) ([]byte, error) {
	d, err := decodeDocument(signed)
	if err != nil {
		return nil, err
	}
	if _, ok := d["proof"]; !ok {
		return nil, newErr(CodeMalformed, nil, "the credential has no proof to add to; use Sign")
	}
	return p.Sign(ctx, d, opts)
}
