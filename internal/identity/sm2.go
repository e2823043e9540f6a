package identity

import (
	"crypto"

	"github.com/xborder/xborder/internal/suite"
)

// SM2 public keys are encoded by internal/suite as SEC 1 compressed points
// on the SM2 curve (sm2p256v1): 33 bytes, the form the draft sm2-pub
// multicodec carries.

func marshalSM2(pub crypto.PublicKey) ([]byte, error) {
	b, err := suite.MarshalPublicKey(suite.SM2, pub)
	if err != nil {
		return nil, wrapErr(CodeInvalidPublicKeyType, err, "sm2")
	}
	if len(b) != 33 {
		return nil, newErr(CodeInvalidPublicKey, "sm2: encoded key of %d bytes, want 33", len(b))
	}
	return b, nil
}

func parseSM2(compressed []byte) (crypto.PublicKey, error) {
	if len(compressed) != 33 || compressed[0] != 2 && compressed[0] != 3 {
		return nil, newErr(CodeInvalidPublicKey, "sm2-pub must be a 33-byte compressed point")
	}
	k, err := suite.ParsePublicKey(suite.SM2, compressed)
	if err != nil {
		return nil, wrapErr(CodeInvalidPublicKey, err, "sm2-pub")
	}
	return k, nil
}
