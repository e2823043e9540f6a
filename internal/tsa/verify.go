package tsa

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Errors of [Verify]. Each error about the token wraps exactly one of them,
// plus the detail; errors about the arguments (an unsupported hash, a
// digest of the wrong length) wrap none.
var (
	// ErrMalformed: the token is not a well-formed RFC 3161 TimeStampToken.
	ErrMalformed = errors.New("tsa: malformed token")
	// ErrDigestMismatch: the token is for other data (another message
	// imprint or hash algorithm).
	ErrDigestMismatch = errors.New("tsa: token is for a different digest")
	// ErrSignature: the token's signature, or its binding to the signing
	// certificate, does not verify: the token was altered or forged.
	ErrSignature = errors.New("tsa: token signature does not verify")
	// ErrUntrusted: the signing certificate does not chain to the trusted
	// roots with timeStamping, was not valid at genTime, or is not a TSA
	// certificate.
	ErrUntrusted = errors.New("tsa: TSA certificate not trusted")
)

// Stamp is what a verified token attests.
type Stamp struct {
	Time     time.Time     // genTime, in UTC
	Accuracy time.Duration // ± bound on Time; zero when the token states none
	Serial   *big.Int      // unique per TSA
	Policy   asn1.ObjectIdentifier
	TSA      string            // subject of the TSA certificate (RFC 2253 form)
	Cert     *x509.Certificate // the TSA certificate that signed
}

// Verify checks token, a DER TimeStampToken as returned by [Client.Stamp],
// against digest (made with hash: SHA-256, SHA-384 or SHA-512) and the
// trusted roots, offline. It checks:
//
//   - the structure: a CMS SignedData (DER) with one signer over a
//     version-1 TSTInfo, content type id-ct-TSTInfo both in the
//     SignedData and in the signed attributes, no critical TSTInfo
//     extension;
//   - the message imprint: hash and digest;
//   - the signature, by the certificate the signer names, found in the
//     token or among certs (for tokens requested without certReq, pass the
//     TSA certificate, and any intermediates, there);
//   - that an ESS signing-certificate attribute names that certificate: v2
//     (RFC 5816) or v1 (RFC 2634, which OpenSSL writes by default);
//   - the certificate: the RFC 3161 §2.3 profile (its only extended key
//     usage is timeStamping, critical), the subject named by the TSTInfo
//     tsa field if that is a directory name, and a chain to roots allowing
//     timeStamping with every certificate valid at genTime.
//
// Validity is checked at genTime, never at the current time, so a token
// stays verifiable after the TSA certificate expires (openssl ts -verify
// checks at the current time unless given -attime). The CMS signingTime
// attribute, if any, is ignored: genTime is the time the TSA asserts.
// Revocation is not checked.
func Verify(token, digest []byte, hash crypto.Hash, roots *x509.CertPool, certs ...*x509.Certificate) (Stamp, error) {
	if err := checkHash(digest, hash); err != nil {
		return Stamp{}, fmt.Errorf("tsa: %w", err)
	}
	if roots == nil {
		return Stamp{}, fmt.Errorf("%w: no trusted roots given", ErrUntrusted)
	}
	sd, si, err := parseToken(token)
	if err != nil {
		return Stamp{}, err
	}
	content := sd.EncapContentInfo.EContent
	info, err := parseTSTInfo(content)
	if err != nil {
		return Stamp{}, err
	}
	acc, err := info.Accuracy.duration()
	if err != nil {
		return Stamp{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}

	// The message imprint.
	mi := info.MessageImprint
	if h := hashFromOID(mi.HashAlgorithm.Algorithm); h != hash {
		return Stamp{}, fmt.Errorf("%w: token imprint uses hash %s, not %v", ErrDigestMismatch, mi.HashAlgorithm.Algorithm, hash)
	}
	if !bytes.Equal(mi.HashedMessage, digest) {
		return Stamp{}, fmt.Errorf("%w: the message imprint differs", ErrDigestMismatch)
	}

	// The signature.
	var pool []*x509.Certificate
	if len(sd.Certificates.Bytes) > 0 {
		if pool, err = x509.ParseCertificates(sd.Certificates.Bytes); err != nil {
			return Stamp{}, fmt.Errorf("%w: certificates: %w", ErrMalformed, err)
		}
	}
	pool = append(pool, certs...)
	ee, err := findSigner(si, pool)
	if err != nil {
		return Stamp{}, err
	}
	if err := checkSignature(si, content, ee); err != nil {
		return Stamp{}, fmt.Errorf("%w: %w", ErrSignature, err)
	}
	if err := checkESS(si, ee); err != nil {
		return Stamp{}, fmt.Errorf("%w: %w", ErrSignature, err)
	}

	// The TSA certificate.
	if err := checkTSACert(ee); err != nil {
		return Stamp{}, fmt.Errorf("%w: %q: %w", ErrUntrusted, ee.Subject, err)
	}
	if err := checkTSAName(info.TSA, ee); err != nil {
		return Stamp{}, fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	genTime := info.GenTime.UTC()
	if genTime.Before(ee.NotBefore) || genTime.After(ee.NotAfter) {
		return Stamp{}, fmt.Errorf("%w: %q is valid from %s to %s, not at genTime %s", ErrUntrusted, ee.Subject,
			ee.NotBefore.Format(time.RFC3339), ee.NotAfter.Format(time.RFC3339), genTime.Format(time.RFC3339Nano))
	}
	inter := x509.NewCertPool()
	for _, c := range pool {
		if c != ee {
			inter.AddCert(c)
		}
	}
	if _, err := ee.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   genTime,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	}); err != nil {
		return Stamp{}, fmt.Errorf("%w: %q at genTime %s: %w", ErrUntrusted, ee.Subject, genTime.Format(time.RFC3339Nano), err)
	}
	return Stamp{
		Time:     genTime,
		Accuracy: acc,
		Serial:   info.SerialNumber,
		Policy:   info.Policy,
		TSA:      ee.Subject.String(),
		Cert:     ee,
	}, nil
}

// parseToken decodes the CMS layers of a token strictly (DER, no trailing
// data): a SignedData over a TSTInfo, one signer, signed attributes with
// the content type id-ct-TSTInfo.
func parseToken(token []byte) (*signedData, *signer, error) {
	var ci contentInfo
	if rest, err := asn1.Unmarshal(token, &ci); err != nil {
		return nil, nil, fmt.Errorf("%w: not a DER ContentInfo: %w", ErrMalformed, err)
	} else if len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: trailing data after the token", ErrMalformed)
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, nil, fmt.Errorf("%w: content type %s is not SignedData", ErrMalformed, ci.ContentType)
	}
	var sd signedData
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, nil, fmt.Errorf("%w: SignedData: %w", ErrMalformed, err)
	} else if len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: trailing data after the SignedData", ErrMalformed)
	}
	if !sd.EncapContentInfo.EContentType.Equal(oidTSTInfo) {
		return nil, nil, fmt.Errorf("%w: encapsulated content type %s is not id-ct-TSTInfo", ErrMalformed, sd.EncapContentInfo.EContentType)
	}
	if len(sd.EncapContentInfo.EContent) == 0 {
		return nil, nil, fmt.Errorf("%w: no TSTInfo", ErrMalformed)
	}
	if len(sd.SignerInfos) != 1 {
		return nil, nil, fmt.Errorf("%w: %d signers, want exactly 1 (RFC 3161 §2.4.2)", ErrMalformed, len(sd.SignerInfos))
	}
	var si signer
	if rest, err := asn1.Unmarshal(sd.SignerInfos[0].FullBytes, &si.signerInfo); err != nil {
		return nil, nil, fmt.Errorf("%w: SignerInfo: %w", ErrMalformed, err)
	} else if len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: trailing data after the SignerInfo", ErrMalformed)
	}
	if len(si.SignedAttrs.FullBytes) == 0 {
		return nil, nil, fmt.Errorf("%w: no signed attributes (RFC 3161 requires an ESS signing-certificate attribute)", ErrMalformed)
	}
	for rest := si.SignedAttrs.Bytes; len(rest) > 0; {
		var a attribute
		var err error
		if rest, err = asn1.Unmarshal(rest, &a); err != nil {
			return nil, nil, fmt.Errorf("%w: signed attributes: %w", ErrMalformed, err)
		}
		si.attrs = append(si.attrs, a)
	}
	var ct asn1.ObjectIdentifier
	if ok, err := attr(&si, oidContentType, &ct); err != nil || !ok {
		return nil, nil, fmt.Errorf("%w: content-type signed attribute missing or malformed", ErrMalformed)
	}
	if !ct.Equal(oidTSTInfo) {
		return nil, nil, fmt.Errorf("%w: content-type signed attribute is %s, not id-ct-TSTInfo", ErrMalformed, ct)
	}
	return &sd, &si, nil
}

// findSigner returns the certificate among pool that si names.
func findSigner(si *signer, pool []*x509.Certificate) (*x509.Certificate, error) {
	var match func(*x509.Certificate) bool
	switch sid := si.SID; {
	case sid.Class == asn1.ClassUniversal && sid.Tag == asn1.TagSequence:
		var ias issuerAndSerialNumber
		if rest, err := asn1.Unmarshal(sid.FullBytes, &ias); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("%w: malformed signer identifier", ErrMalformed)
		}
		match = func(c *x509.Certificate) bool {
			return c.SerialNumber.Cmp(ias.Serial) == 0 && bytes.Equal(c.RawIssuer, ias.Issuer.FullBytes)
		}
	case sid.Class == asn1.ClassContextSpecific && sid.Tag == 0 && !sid.IsCompound:
		match = func(c *x509.Certificate) bool {
			return len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, sid.Bytes)
		}
	default:
		return nil, fmt.Errorf("%w: malformed signer identifier", ErrMalformed)
	}
	for _, c := range pool {
		if match(c) {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w: the signer's certificate is neither in the token nor among those given (was the token requested without certReq?)", ErrUntrusted)
}

// checkSignature checks the CMS signature of si over content by ee: the
// message-digest attribute against the content, then the signature over the
// DER of the signed attributes (RFC 5652 §5.4).
func checkSignature(si *signer, content []byte, ee *x509.Certificate) error {
	h := hashFromOID(si.DigestAlgorithm.Algorithm)
	if _, ok := hashOID(h); !ok {
		return fmt.Errorf("digest algorithm %s is not accepted (SHA-256, SHA-384, SHA-512)", si.DigestAlgorithm.Algorithm)
	}
	var md []byte
	if ok, err := attr(si, oidMessageDigest, &md); err != nil || !ok {
		return errors.New("message-digest signed attribute missing or malformed")
	}
	d := h.New()
	d.Write(content)
	if !bytes.Equal(d.Sum(nil), md) {
		return errors.New("the TSTInfo does not match the signed message digest (content altered)")
	}
	alg, err := signatureAlgorithm(si.SignatureAlgorithm.Algorithm, h)
	if err != nil {
		return err
	}
	// The signature covers the attributes with their SET tag, not the
	// [0] IMPLICIT tag they are sent with; the length is the same.
	signed := bytes.Clone(si.SignedAttrs.FullBytes)
	signed[0] = 0x31
	if err := ee.CheckSignature(alg, signed, si.Signature); err != nil {
		return fmt.Errorf("by %q: %w", ee.Subject, err)
	}
	return nil
}

// signatureAlgorithm maps a SignerInfo signatureAlgorithm and digest to
// crypto/x509's name for it.
func signatureAlgorithm(oid asn1.ObjectIdentifier, h crypto.Hash) (x509.SignatureAlgorithm, error) {
	type key struct {
		ecdsa bool
		h     crypto.Hash
	}
	var k key
	switch {
	case oid.Equal(oidECDSAWithSHA256):
		k = key{true, crypto.SHA256}
	case oid.Equal(oidECDSAWithSHA384):
		k = key{true, crypto.SHA384}
	case oid.Equal(oidECDSAWithSHA512):
		k = key{true, crypto.SHA512}
	case oid.Equal(oidECPublicKey):
		k = key{true, h}
	case oid.Equal(oidSHA256WithRSA):
		k = key{false, crypto.SHA256}
	case oid.Equal(oidSHA384WithRSA):
		k = key{false, crypto.SHA384}
	case oid.Equal(oidSHA512WithRSA):
		k = key{false, crypto.SHA512}
	case oid.Equal(oidRSAEncryption):
		k = key{false, h}
	case oid.Equal(oidEd25519):
		return x509.PureEd25519, nil
	default:
		return 0, fmt.Errorf("signature algorithm %s is not supported", oid)
	}
	if k.h != h {
		return 0, fmt.Errorf("signature algorithm %s does not match the digest algorithm %v", oid, h)
	}
	algs := map[key]x509.SignatureAlgorithm{
		{true, crypto.SHA256}: x509.ECDSAWithSHA256, {true, crypto.SHA384}: x509.ECDSAWithSHA384, {true, crypto.SHA512}: x509.ECDSAWithSHA512,
		{false, crypto.SHA256}: x509.SHA256WithRSA, {false, crypto.SHA384}: x509.SHA384WithRSA, {false, crypto.SHA512}: x509.SHA512WithRSA,
	}
	return algs[k], nil
}

// parseTSTInfo decodes the TSTInfo strictly.
func parseTSTInfo(der []byte) (*tstInfo, error) {
	var info tstInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("%w: TSTInfo: %w", ErrMalformed, err)
	} else if len(rest) != 0 {
		return nil, fmt.Errorf("%w: trailing data after the TSTInfo", ErrMalformed)
	}
	if info.Version != 1 {
		return nil, fmt.Errorf("%w: TSTInfo version %d, want 1", ErrMalformed, info.Version)
	}
	if info.SerialNumber == nil || info.SerialNumber.Sign() < 0 {
		return nil, fmt.Errorf("%w: no or negative serial number", ErrMalformed)
	}
	for _, e := range info.Extensions {
		if e.Critical {
			return nil, fmt.Errorf("%w: unknown critical TSTInfo extension %s", ErrMalformed, e.Id)
		}
	}
	return &info, nil
}

// responseInfo returns the TSTInfo of a granted TimeStampResp, without
// checking the signature (for logging).
func responseInfo(resp []byte) (*tstInfo, error) {
	token, err := tokenFromResponse(resp)
	if err != nil {
		return nil, err
	}
	sd, _, err := parseToken(token)
	if err != nil {
		return nil, err
	}
	return parseTSTInfo(sd.EncapContentInfo.EContent)
}

// attr decodes the single value of the signed attribute typ into out. It
// reports false if the attribute is absent, and an error if it is present
// more than once, has more than one value, or does not decode.
func attr(si *signer, typ asn1.ObjectIdentifier, out any) (bool, error) {
	found := false
	for _, a := range si.attrs {
		if !a.Type.Equal(typ) {
			continue
		}
		if found {
			return true, fmt.Errorf("signed attribute %s appears twice", typ)
		}
		found = true
		rest, err := asn1.Unmarshal(a.Values.Bytes, out)
		if err != nil {
			return true, fmt.Errorf("signed attribute %s: %w", typ, err)
		}
		if len(rest) != 0 {
			return true, fmt.Errorf("signed attribute %s has more than one value", typ)
		}
	}
	return found, nil
}

// checkESS checks that the ESS signing-certificate attribute (v2, else v1)
// names ee as the signing certificate: the first ESSCertID's hash is that of
// ee, and its issuerSerial, when present, is ee's.
func checkESS(si *signer, ee *x509.Certificate) error {
	var v2 signingCertificateV2
	ok, err := attr(si, oidSigningCertV2, &v2)
	if err != nil {
		return err
	}
	var h crypto.Hash
	var certHash []byte
	var is issuerSerial
	if ok {
		if len(v2.Certs) == 0 {
			return errors.New("signing-certificate-v2 attribute names no certificate")
		}
		id := v2.Certs[0]
		h = crypto.SHA256
		if len(id.HashAlgorithm.Algorithm) != 0 {
			h = hashFromOID(id.HashAlgorithm.Algorithm)
			if h == 0 || h == crypto.SHA1 {
				return fmt.Errorf("signing-certificate-v2 hash %s is not supported", id.HashAlgorithm.Algorithm)
			}
		}
		certHash, is = id.CertHash, id.IssuerSerial
	} else {
		var v1 signingCertificate
		ok, err := attr(si, oidSigningCert, &v1)
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("no ESS signing-certificate attribute (RFC 3161 §2.4.2, RFC 5816)")
		}
		if len(v1.Certs) == 0 {
			return errors.New("signing-certificate attribute names no certificate")
		}
		h, certHash, is = crypto.SHA1, v1.Certs[0].CertHash, v1.Certs[0].IssuerSerial
	}
	d := h.New()
	d.Write(ee.Raw)
	if !bytes.Equal(d.Sum(nil), certHash) {
		return fmt.Errorf("ESS signing-certificate hash does not match the signer's certificate %q", ee.Subject)
	}
	if is.Serial != nil {
		if is.Serial.Cmp(ee.SerialNumber) != 0 {
			return errors.New("ESS issuerSerial serial number does not match the signer's certificate")
		}
		if !generalNamesHold(is.Issuer, ee.RawIssuer) {
			return errors.New("ESS issuerSerial issuer does not match the signer's certificate")
		}
	}
	return nil
}

// generalNamesHold reports whether the GeneralNames gns holds the
// directoryName name (DER of a Name).
func generalNamesHold(gns asn1.RawValue, name []byte) bool {
	var names []asn1.RawValue
	if rest, err := asn1.Unmarshal(gns.FullBytes, &names); err != nil || len(rest) != 0 {
		return false
	}
	for _, n := range names {
		if n.Class == asn1.ClassContextSpecific && n.Tag == 4 && bytes.Equal(n.Bytes, name) {
			return true
		}
	}
	return false
}

// checkTSAName checks the TSTInfo tsa field, [0] GeneralName: when it is a
// directoryName it must be ee's subject (RFC 3161 §2.4.2). Other name forms
// would need the subjectAltName; they are accepted unchecked.
func checkTSAName(tsa asn1.RawValue, ee *x509.Certificate) error {
	if len(tsa.FullBytes) == 0 {
		return nil
	}
	var gn asn1.RawValue
	if rest, err := asn1.Unmarshal(tsa.Bytes, &gn); err != nil || len(rest) != 0 {
		return errors.New("malformed TSTInfo tsa name")
	}
	if gn.Class == asn1.ClassContextSpecific && gn.Tag == 4 && !bytes.Equal(gn.Bytes, ee.RawSubject) {
		return fmt.Errorf("TSTInfo names TSA %x, but %q signed", gn.Bytes, ee.Subject)
	}
	return nil
}

// Certificates returns the certificates a token carries (none when it was
// requested without certReq). Trusting them is the caller's decision: with
// the last one as the only root, Verify checks the token's integrity but
// not who issued it.
func Certificates(token []byte) ([]*x509.Certificate, error) {
	sd, _, err := parseToken(token)
	if err != nil {
		return nil, err
	}
	if len(sd.Certificates.Bytes) == 0 {
		return nil, nil
	}
	certs, err := x509.ParseCertificates(sd.Certificates.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: certificates: %w", ErrMalformed, err)
	}
	return certs, nil
}
