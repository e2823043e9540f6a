package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/binary"
	"fmt"
	"math/big"
	"strings"

	"github.com/xborder/xborder/internal/suite"
)

// Multicodec codes (multiformats/multicodec table.csv) of the public keys
// a Multikey or did:key may carry.
const (
	codecEd25519   = 0xed   // ed25519-pub, 32 bytes
	codecX25519    = 0xec   // x25519-pub: key agreement only
	codecP256      = 0x1200 // p256-pub, compressed point, 33 bytes
	codecP384      = 0x1201 // p384-pub
	codecP521      = 0x1202 // p521-pub
	codecRSA       = 0x1205 // rsa-pub
	codecSM2       = 0x1206 // sm2-pub, DRAFT status in the multicodec table; compressed point, 33 bytes
	codecSecp256k1 = 0xe7   // secp256k1-pub
	codecBLSG2     = 0xeb   // bls12_381-g2-pub
)

// MaxMultibaseLength bounds a publicKeyMultibase value or a did:key
// method-specific id. Base58 decoding is quadratic, so the bound matters;
// 256 characters holds any key this package accepts with room to spare.
const MaxMultibaseLength = 256

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// Base58Encode encodes b in base58btc (the Bitcoin alphabet).
func Base58Encode(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	var digits []byte // little-endian base-58 digits
	for _, c := range b[zeros:] {
		carry := int(c)
		for i := range digits {
			carry += int(digits[i]) << 8
			digits[i] = byte(carry % 58)
			carry /= 58
		}
		for carry > 0 {
			digits = append(digits, byte(carry%58))
			carry /= 58
		}
	}
	out := make([]byte, zeros+len(digits))
	for i := 0; i < zeros; i++ {
		out[i] = '1'
	}
	for i, d := range digits {
		out[len(out)-1-i] = base58Alphabet[d]
	}
	return string(out)
}

// Base58Decode decodes base58btc text. It takes time quadratic in the
// input length: bound the input first (DecodeMultibase does).
func Base58Decode(s string) ([]byte, error) {
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	var le []byte // little-endian base-256 digits
	for i := zeros; i < len(s); i++ {
		v := strings.IndexByte(base58Alphabet, s[i])
		if v < 0 {
			return nil, fmt.Errorf("base58btc: invalid character %q at offset %d", s[i], i)
		}
		carry := v
		for j := range le {
			carry += int(le[j]) * 58
			le[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			le = append(le, byte(carry))
			carry >>= 8
		}
	}
	out := make([]byte, zeros+len(le))
	for i, d := range le {
		out[len(out)-1-i] = d
	}
	return out, nil
}

// EncodeMultibase returns b as a base58btc multibase string ("z" prefix).
func EncodeMultibase(b []byte) string { return "z" + Base58Encode(b) }

// DecodeMultibase decodes a base58btc multibase string (the only base this
// package accepts, as did:key and Multikey require).
func DecodeMultibase(s string) ([]byte, error) {
	if len(s) > MaxMultibaseLength {
		return nil, fmt.Errorf("multibase value of %d characters exceeds %d", len(s), MaxMultibaseLength)
	}
	if s == "" || s[0] != 'z' {
		return nil, fmt.Errorf("multibase value must use base58btc (prefix 'z')")
	}
	if len(s) == 1 {
		return nil, fmt.Errorf("empty multibase value")
	}
	return Base58Decode(s[1:])
}

// IsDraft reports whether keys of alg are encoded with a multicodec that
// is only in draft status: SM2's sm2-pub (0x1206). Consumers outside this
// project may not recognise such keys.
func IsDraft(alg suite.Alg) bool { return alg == suite.SM2 }

// MarshalMultikey returns the multicodec-prefixed raw public key:
// varint(codec) || key, with Ed25519 as 32 raw bytes and P-256 and SM2 as
// 33-byte compressed points.
func MarshalMultikey(alg suite.Alg, pub crypto.PublicKey) ([]byte, error) {
	var codec uint64
	var raw []byte
	switch alg {
	case suite.Ed25519:
		k, ok := pub.(ed25519.PublicKey)
		if !ok || len(k) != ed25519.PublicKeySize {
			return nil, newErr(CodeInvalidPublicKeyType, "ed25519: public key of type %T", pub)
		}
		codec, raw = codecEd25519, k
	case suite.P256:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || k.Curve != elliptic.P256() {
			return nil, newErr(CodeInvalidPublicKeyType, "p256: public key of type %T (or not on P-256)", pub)
		}
		c, err := compressP256(k)
		if err != nil {
			return nil, err
		}
		codec, raw = codecP256, c
	case suite.SM2:
		c, err := marshalSM2(pub)
		if err != nil {
			return nil, err
		}
		codec, raw = codecSM2, c
	default:
		return nil, newErr(CodeUnsupportedPublicKeyType, "unknown algorithm %q", alg)
	}
	b := binary.AppendUvarint(nil, codec)
	return append(b, raw...), nil
}

// EncodeMultikey returns the publicKeyMultibase value of pub: base58btc
// multibase over MarshalMultikey.
func EncodeMultikey(alg suite.Alg, pub crypto.PublicKey) (string, error) {
	b, err := MarshalMultikey(alg, pub)
	if err != nil {
		return "", err
	}
	return EncodeMultibase(b), nil
}

// DecodeMultikey decodes a publicKeyMultibase value into the algorithm and
// public key. Errors are *ResolutionError with the did:key codes:
// invalidPublicKey (bad multibase, varint or point), invalidPublicKeyLength,
// invalidPublicKeyType (an X25519 key-agreement key where a signing key is
// needed) and unsupportedPublicKeyType (a valid codec this package does not
// implement).
func DecodeMultikey(mb string) (suite.Alg, crypto.PublicKey, error) {
	b, err := DecodeMultibase(mb)
	if err != nil {
		return "", nil, wrapErr(CodeInvalidPublicKey, err, "publicKeyMultibase")
	}
	return ParseMultikey(b)
}

// ParseMultikey parses varint(codec) || key as MarshalMultikey writes it.
func ParseMultikey(b []byte) (suite.Alg, crypto.PublicKey, error) {
	codec, n := binary.Uvarint(b)
	if n <= 0 {
		return "", nil, newErr(CodeInvalidPublicKey, "malformed multicodec varint")
	}
	if n != len(binary.AppendUvarint(nil, codec)) {
		return "", nil, newErr(CodeInvalidPublicKey, "multicodec varint is not minimally encoded")
	}
	raw := b[n:]
	switch codec {
	case codecEd25519:
		if len(raw) != ed25519.PublicKeySize {
			return "", nil, newErr(CodeInvalidPublicKeyLength, "ed25519-pub of %d bytes, want %d", len(raw), ed25519.PublicKeySize)
		}
		return suite.Ed25519, ed25519.PublicKey(append([]byte(nil), raw...)), nil
	case codecP256:
		if len(raw) != 33 {
			return "", nil, newErr(CodeInvalidPublicKeyLength, "p256-pub of %d bytes, want a 33-byte compressed point", len(raw))
		}
		k, err := decompressP256(raw)
		if err != nil {
			return "", nil, err
		}
		return suite.P256, k, nil
	case codecSM2:
		if len(raw) != 33 {
			return "", nil, newErr(CodeInvalidPublicKeyLength, "sm2-pub of %d bytes, want a 33-byte compressed point", len(raw))
		}
		k, err := parseSM2(raw)
		if err != nil {
			return "", nil, err
		}
		return suite.SM2, k, nil
	case codecX25519:
		return "", nil, newErr(CodeInvalidPublicKeyType, "x25519-pub is a key-agreement key and cannot verify signatures")
	case codecP384, codecP521, codecRSA, codecSecp256k1, codecBLSG2:
		return "", nil, newErr(CodeUnsupportedPublicKeyType, "multicodec 0x%x is not supported (accepted: ed25519-pub, p256-pub, sm2-pub)", codec)
	}
	return "", nil, newErr(CodeInvalidPublicKeyType, "multicodec 0x%x is not a known public-key codec", codec)
}

// compressP256 returns the SEC 1 compressed form of a P-256 point.
func compressP256(k *ecdsa.PublicKey) ([]byte, error) {
	u, err := k.Bytes()
	if err != nil || len(u) != 65 {
		return nil, wrapErr(CodeInvalidPublicKey, err, "p256: cannot encode the public key")
	}
	out := make([]byte, 33)
	out[0] = 2 | u[64]&1
	copy(out[1:], u[1:33])
	return out, nil
}

// decompressP256 parses a 33-byte SEC 1 compressed P-256 point, checking
// that it is on the curve.
func decompressP256(c []byte) (*ecdsa.PublicKey, error) {
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), c)
	if x == nil {
		return nil, newErr(CodeInvalidPublicKey, "p256: not a compressed point on the curve")
	}
	return p256FromXY(x, y)
}

func p256FromXY(x, y *big.Int) (*ecdsa.PublicKey, error) {
	if x.BitLen() > 256 || y.BitLen() > 256 || x.Sign() < 0 || y.Sign() < 0 {
		return nil, newErr(CodeInvalidPublicKey, "p256: coordinate out of range")
	}
	u := make([]byte, 65)
	u[0] = 4
	x.FillBytes(u[1:33])
	y.FillBytes(u[33:])
	k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), u)
	if err != nil {
		return nil, wrapErr(CodeInvalidPublicKey, err, "p256")
	}
	return k, nil
}
