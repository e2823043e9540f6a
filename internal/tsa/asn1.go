package tsa

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Object identifiers.
var (
	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}

	oidSignedData      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidECPublicKey     = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidRSAEncryption   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidEd25519         = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidContentType     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidTSTInfo         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}  // id-ct-TSTInfo
	oidSigningCert     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12} // id-aa-signingCertificate (RFC 2634)
	oidSigningCertV2   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47} // id-aa-signingCertificateV2 (RFC 5035, RFC 5816)
	oidExtKeyUsage     = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidKPTimeStamping  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
)

// LocalPolicy is the TSA policy OID of the embedded local TSA. xborder has no
// registered OID arc, so it sits under IANA's enterprise number 32473, which
// RFC 5612 reserves for documentation: it names "a self-run TSA with no
// published policy" and claims nothing more. An operator with its own arc,
// or a published TSA policy (RFC 3628), should pass that OID to
// [NewAuthority] instead.
var LocalPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 3161, 1}

// hashOID maps the imprint hashes this package accepts to their OIDs.
func hashOID(h crypto.Hash) (asn1.ObjectIdentifier, bool) {
	switch h {
	case crypto.SHA256:
		return oidSHA256, true
	case crypto.SHA384:
		return oidSHA384, true
	case crypto.SHA512:
		return oidSHA512, true
	}
	return nil, false
}

// hashFromOID is the inverse of hashOID, also knowing SHA-1 (used only for
// the ESS signing-certificate hash of version-1 attributes).
func hashFromOID(oid asn1.ObjectIdentifier) crypto.Hash {
	switch {
	case oid.Equal(oidSHA256):
		return crypto.SHA256
	case oid.Equal(oidSHA384):
		return crypto.SHA384
	case oid.Equal(oidSHA512):
		return crypto.SHA512
	case oid.Equal(oidSHA1):
		return crypto.SHA1
	}
	return 0
}

// checkHash reports whether digest is a well-formed digest for an accepted
// hash.
func checkHash(digest []byte, hash crypto.Hash) error {
	if _, ok := hashOID(hash); !ok {
		return fmt.Errorf("unsupported hash %v (want SHA-256, SHA-384 or SHA-512)", hash)
	}
	if len(digest) != hash.Size() {
		return fmt.Errorf("digest is %d bytes, %v needs %d", len(digest), hash, hash.Size())
	}
	return nil
}

// nullParams reports whether AlgorithmIdentifier parameters are absent or
// NULL, the two encodings allowed for the SHA-2 family.
func nullParams(p asn1.RawValue) bool {
	return len(p.FullBytes) == 0 || (len(p.FullBytes) == 2 && p.FullBytes[0] == 0x05 && p.FullBytes[1] == 0x00)
}

// RFC 3161 §2.4.1.
type timeStampReq struct {
	Version        int
	MessageImprint messageImprint
	ReqPolicy      asn1.ObjectIdentifier `asn1:"optional"`
	Nonce          *big.Int              `asn1:"optional"`
	CertReq        bool                  `asn1:"optional,default:false"`
	Extensions     []pkix.Extension      `asn1:"optional,tag:0"`
}

type messageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

// RFC 3161 §2.4.2.
type timeStampResp struct {
	Status         pkiStatusInfo
	TimeStampToken asn1.RawValue `asn1:"optional"`
}

type pkiStatusInfo struct {
	Status       int
	StatusString []asn1.RawValue `asn1:"optional"` // PKIFreeText: SEQUENCE OF UTF8String
	FailInfo     asn1.BitString  `asn1:"optional"`
}

// PKIStatus values (RFC 3161 §2.4.2).
const (
	statusGranted         = 0
	statusGrantedWithMods = 1
	statusRejection       = 2
)

// tstInfo is RFC 3161 §2.4.2 TSTInfo.
type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	GenTime        time.Time        `asn1:"generalized"`
	Accuracy       accuracy         `asn1:"optional"`
	Ordering       bool             `asn1:"optional,default:false"`
	Nonce          *big.Int         `asn1:"optional"`
	TSA            asn1.RawValue    `asn1:"optional,tag:0"` // [0] GeneralName, explicit (GeneralName is a CHOICE)
	Extensions     []pkix.Extension `asn1:"optional,tag:1"`
}

type accuracy struct {
	Seconds int64 `asn1:"optional"`
	Millis  int64 `asn1:"optional,tag:0"`
	Micros  int64 `asn1:"optional,tag:1"`
}

func (a accuracy) duration() (time.Duration, error) {
	if a.Seconds < 0 || a.Seconds > 1<<31 || a.Millis < 0 || a.Millis > 999 || a.Micros < 0 || a.Micros > 999 {
		return 0, fmt.Errorf("accuracy out of range (%d s, %d ms, %d µs)", a.Seconds, a.Millis, a.Micros)
	}
	return time.Duration(a.Seconds)*time.Second + time.Duration(a.Millis)*time.Millisecond + time.Duration(a.Micros)*time.Microsecond, nil
}

// CMS structures (RFC 5652), parsed here only to check what
// github.com/digitorus/pkcs7 does not: the encapsulated content type, the
// single signer and its signed attributes.
type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue // SET OF AlgorithmIdentifier
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue   `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue   `asn1:"optional,tag:1"`
	SignerInfos      []asn1.RawValue `asn1:"set"`
}

type encapContentInfo struct {
	EContentType asn1.ObjectIdentifier
	EContent     []byte `asn1:"explicit,optional,tag:0"`
}

type signerInfo struct {
	Version            int
	SID                asn1.RawValue // IssuerAndSerialNumber, or [0] SubjectKeyIdentifier
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"` // kept raw: the signature covers these bytes
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

// signer is a decoded signerInfo.
type signer struct {
	signerInfo
	attrs []attribute // SignedAttrs, decoded
}

type issuerAndSerialNumber struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue `asn1:"set"`
}

// ESS signing-certificate attributes (RFC 2634 §5.4, RFC 5035 §3).
type signingCertificateV2 struct {
	Certs    []essCertIDv2
	Policies asn1.RawValue `asn1:"optional"`
}

type essCertIDv2 struct {
	HashAlgorithm pkix.AlgorithmIdentifier `asn1:"optional"` // DEFAULT id-sha256
	CertHash      []byte
	IssuerSerial  issuerSerial `asn1:"optional"`
}

type signingCertificate struct {
	Certs    []essCertID
	Policies asn1.RawValue `asn1:"optional"`
}

type essCertID struct {
	CertHash     []byte       // SHA-1
	IssuerSerial issuerSerial `asn1:"optional"`
}

type issuerSerial struct {
	Issuer asn1.RawValue // GeneralNames
	Serial *big.Int
}

// FailInfo is a PKIFailureInfo bit (RFC 3161 §2.4.2): why a TSA refused a
// request.
type FailInfo int

// The PKIFailureInfo bits RFC 3161 defines.
const (
	FailBadAlg              FailInfo = 0  // unrecognized or unsupported hash algorithm
	FailBadRequest          FailInfo = 2  // transaction not permitted or supported
	FailBadDataFormat       FailInfo = 5  // the data submitted has the wrong format
	FailTimeNotAvailable    FailInfo = 14 // the TSA's time source is not available
	FailUnacceptedPolicy    FailInfo = 15 // the requested TSA policy is not supported
	FailUnacceptedExtension FailInfo = 16 // the requested extension is not supported
	FailAddInfoNotAvailable FailInfo = 17 // the additional information requested is not available
	FailSystemFailure       FailInfo = 25 // the request cannot be handled due to a system failure
	FailNone                FailInfo = -1 // the response named no failure
)

func (f FailInfo) String() string {
	switch f {
	case FailBadAlg:
		return "badAlg"
	case FailBadRequest:
		return "badRequest"
	case FailBadDataFormat:
		return "badDataFormat"
	case FailTimeNotAvailable:
		return "timeNotAvailable"
	case FailUnacceptedPolicy:
		return "unacceptedPolicy"
	case FailUnacceptedExtension:
		return "unacceptedExtension"
	case FailAddInfoNotAvailable:
		return "addInfoNotAvailable"
	case FailSystemFailure:
		return "systemFailure"
	case FailNone:
		return "none"
	}
	return fmt.Sprintf("failInfo bit %d", int(f))
}

// bitString is the DER named-bit-list encoding of f alone: no trailing zero
// bits. (timestamp.CreateErrorResponse gets this wrong for bit 15,
// unacceptedPolicy: it emits a third, zero byte.)
func (f FailInfo) bitString() asn1.BitString {
	n := int(f)
	b := make([]byte, n/8+1)
	b[n/8] = 0x80 >> (n % 8)
	return asn1.BitString{Bytes: b, BitLength: n + 1}
}

// firstFailInfo returns the lowest failInfo bit set in bs, or FailNone.
func firstFailInfo(bs asn1.BitString) FailInfo {
	for i := 0; i < bs.BitLength; i++ {
		if bs.At(i) == 1 {
			return FailInfo(i)
		}
	}
	return FailNone
}

// rejection marshals a TimeStampResp with status rejection, failInfo f and
// text as its statusString.
func rejection(f FailInfo, text string) []byte {
	s := pkiStatusInfo{Status: statusRejection, FailInfo: f.bitString()}
	if text != "" {
		s.StatusString = []asn1.RawValue{{Tag: asn1.TagUTF8String, Bytes: []byte(strings.ToValidUTF8(text, "?"))}}
	}
	b, err := asn1.Marshal(timeStampResp{Status: s})
	if err != nil {
		panic("tsa: marshalling a rejection: " + err.Error()) // fixed shapes: cannot happen
	}
	return b
}
