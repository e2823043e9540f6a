package tsa

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/digitorus/timestamp"
)

// MaxRequestBytes bounds a TimeStampReq. A request with a SHA-512 imprint, a
// policy and a nonce is about 120 bytes; the rest is room for extensions,
// which are refused anyway.
const MaxRequestBytes = 16 << 10

// Media types of RFC 3161 §3.4.
const (
	queryType = "application/timestamp-query"
	replyType = "application/timestamp-reply"
)

// Authority is an RFC 3161 time-stamping authority. Its methods are safe for
// concurrent use; it keeps no state between requests.
//
// Tokens also carry a CMS signingTime attribute, which
// github.com/digitorus/pkcs7 takes from time.Now rather than from the
// Authority's clock; genTime is the time the token asserts.
//
// Serial numbers: each token gets a 160-bit random serial number, drawn from
// crypto/rand by github.com/digitorus/timestamp (which offers no way to
// supply one). RFC 3161 asks clients to accept serials of up to 160 bits, and
// at that width a collision is not expected before some 2^80 tokens, so
// uniqueness needs no persisted counter: nothing to fsync per token, nothing
// to get wrong after a crash, a restored backup or a second instance on the
// same key.
type Authority struct {
	signer  crypto.Signer
	cert    *x509.Certificate
	parents []*x509.Certificate // intermediates sent with the certificate on certReq
	policy  asn1.ObjectIdentifier
	sigHash crypto.Hash
	clock   func() time.Time
	log     *slog.Logger
}

// NewAuthority returns an Authority that signs with signer. chain starts with
// the TSA certificate, which must match signer and have the RFC 3161 §2.3
// profile (see [GenerateLocal]), followed by its issuers; a self-signed root
// at the end is accepted and left out of tokens. policy is the TSA policy
// OID put in every token (for the local TSA, [LocalPolicy]); requests naming
// another policy are refused. clock (nil means time.Now) gives genTime.
// logger (nil means discard) gets one record per request, never the digest.
func NewAuthority(signer crypto.Signer, chain []*x509.Certificate, policy asn1.ObjectIdentifier, clock func() time.Time, logger *slog.Logger) (*Authority, error) {
	if signer == nil || len(chain) == 0 {
		return nil, errors.New("tsa: NewAuthority needs a signer and a certificate chain")
	}
	if len(policy) < 2 {
		return nil, errors.New("tsa: NewAuthority needs a policy OID")
	}
	cert := chain[0]
	if err := checkTSACert(cert); err != nil {
		return nil, fmt.Errorf("tsa: TSA certificate %q: %w", cert.Subject, err)
	}
	if !samePublicKey(signer.Public(), cert.PublicKey) {
		return nil, fmt.Errorf("tsa: signer does not match the TSA certificate %q", cert.Subject)
	}
	for i := 0; i+1 < len(chain); i++ {
		if err := chain[i].CheckSignatureFrom(chain[i+1]); err != nil {
			return nil, fmt.Errorf("tsa: chain[%d] %q was not issued by chain[%d] %q: %w", i, chain[i].Subject, i+1, chain[i+1].Subject, err)
		}
	}
	parents := chain[1:]
	if n := len(parents); n > 0 && parents[n-1].CheckSignatureFrom(parents[n-1]) == nil {
		parents = parents[:n-1] // the root: relying parties have it already
	}
	var h crypto.Hash
	switch k := signer.Public().(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			h = crypto.SHA256
		case elliptic.P384():
			h = crypto.SHA384
		case elliptic.P521():
			h = crypto.SHA512
		}
	case *rsa.PublicKey:
		h = crypto.SHA256
	}
	if h == 0 {
		return nil, fmt.Errorf("tsa: unsupported TSA key type %T (want ECDSA P-256/384/521 or RSA)", signer.Public())
	}
	if clock == nil {
		clock = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Authority{
		signer: signer, cert: cert, parents: parents, policy: policy,
		sigHash: h, clock: clock, log: logger,
	}, nil
}

// Stamp answers the DER TimeStampReq req with a DER TimeStampResp.
//
// A well-formed request gets status granted and a token: the message
// imprint as sent, genTime from the clock (UTC, whole seconds), the
// Authority's policy, the nonce echoed, the TSA certificate and
// intermediates included when certReq is set, and an ESS
// signing-certificate-v2 attribute (RFC 5816) binding the signature to the
// certificate. Otherwise the response has status rejection and one failInfo
// bit, with a statusString saying why:
//
//	badDataFormat        not DER, trailing bytes, wrong digest length, too large
//	badRequest           version other than 1
//	badAlg               hash other than SHA-256, SHA-384, SHA-512 (SHA-1 and SM3
//	                     included), or hash parameters other than absent or NULL
//	unacceptedPolicy     reqPolicy names another policy
//	unacceptedExtension  any request extension (RFC 3161 §2.4.1: none is known)
//
// The error is nil whenever the requester's input decided the answer. It is
// non-nil only when the Authority itself failed (the clock reads zero, the
// TSA certificate is not valid now, signing failed); resp is then still a
// rejection (timeNotAvailable or systemFailure) that may be sent.
func (a *Authority) Stamp(req []byte) (resp []byte, err error) {
	return a.stamp(context.Background(), req)
}

func (a *Authority) stamp(ctx context.Context, der []byte) ([]byte, error) {
	req, fail, why := a.parseRequest(der)
	if fail != FailNone {
		a.log.LogAttrs(ctx, slog.LevelWarn, "tsa: request rejected",
			slog.String("fail_info", fail.String()), slog.String("reason", why))
		return rejection(fail, why), nil
	}
	now := a.clock()
	if now.IsZero() {
		err := errors.New("tsa: the clock returned the zero time")
		a.log.LogAttrs(ctx, slog.LevelError, "tsa: no time", slog.String("error", err.Error()))
		return rejection(FailTimeNotAvailable, "time source not available"), err
	}
	genTime := now.UTC().Truncate(time.Second)
	if genTime.Before(a.cert.NotBefore) || genTime.After(a.cert.NotAfter) {
		err := fmt.Errorf("tsa: the TSA certificate %q is valid from %s to %s, not at %s",
			a.cert.Subject, a.cert.NotBefore.Format(time.RFC3339), a.cert.NotAfter.Format(time.RFC3339), genTime.Format(time.RFC3339))
		a.log.LogAttrs(ctx, slog.LevelError, "tsa: cannot stamp", slog.String("error", err.Error()))
		return rejection(FailSystemFailure, "TSA certificate not valid now"), err
	}
	ts := timestamp.Timestamp{
		HashAlgorithm:     req.hash,
		HashedMessage:     req.digest,
		Time:              genTime,
		Policy:            a.policy,
		Nonce:             req.nonce,
		AddTSACertificate: req.certReq,
		Certificates:      a.parents,
	}
	resp, err := ts.CreateResponseWithOpts(a.cert, a.signer, a.sigHash)
	if err != nil {
		err = fmt.Errorf("tsa: signing a token: %w", err)
		a.log.LogAttrs(ctx, slog.LevelError, "tsa: cannot stamp", slog.String("error", err.Error()))
		return rejection(FailSystemFailure, "signing failed"), err
	}
	if a.log.Enabled(ctx, slog.LevelInfo) {
		attrs := []slog.Attr{
			slog.Time("gen_time", genTime),
			slog.String("hash", req.hash.String()),
			slog.Bool("cert_req", req.certReq),
		}
		if info, err := responseInfo(resp); err == nil {
			attrs = append(attrs, slog.String("serial", info.SerialNumber.Text(16)))
		}
		a.log.LogAttrs(ctx, slog.LevelInfo, "tsa: token granted", attrs...)
	}
	return resp, nil
}

type request struct {
	hash    crypto.Hash
	digest  []byte
	nonce   *big.Int // nil when the request has none
	certReq bool
}

// parseRequest decodes a TimeStampReq. On failure it returns the failInfo
// bit and a reason for the statusString; on success fail is FailNone.
func (a *Authority) parseRequest(der []byte) (r *request, fail FailInfo, why string) {
	if len(der) > MaxRequestBytes {
		return nil, FailBadDataFormat, "request larger than " + strconv.Itoa(MaxRequestBytes) + " bytes"
	}
	var req timeStampReq
	rest, err := asn1.Unmarshal(der, &req)
	if err != nil {
		return nil, FailBadDataFormat, "request is not a DER TimeStampReq"
	}
	if len(rest) != 0 {
		return nil, FailBadDataFormat, "trailing data after the TimeStampReq"
	}
	if req.Version != 1 {
		return nil, FailBadRequest, "request version " + strconv.Itoa(req.Version) + " is not supported (want 1)"
	}
	alg := req.MessageImprint.HashAlgorithm
	h := hashFromOID(alg.Algorithm)
	if _, ok := hashOID(h); !ok {
		return nil, FailBadAlg, "hash algorithm " + alg.Algorithm.String() + " is not accepted (SHA-256, SHA-384, SHA-512)"
	}
	if !nullParams(alg.Parameters) {
		return nil, FailBadAlg, "hash algorithm parameters must be absent or NULL"
	}
	if n := len(req.MessageImprint.HashedMessage); n != h.Size() {
		return nil, FailBadDataFormat, "hashed message is " + strconv.Itoa(n) + " bytes, " + h.String() + " needs " + strconv.Itoa(h.Size())
	}
	if req.ReqPolicy != nil && !req.ReqPolicy.Equal(a.policy) {
		return nil, FailUnacceptedPolicy, "policy " + req.ReqPolicy.String() + " is not accepted (this TSA issues " + a.policy.String() + ")"
	}
	if len(req.Extensions) != 0 {
		return nil, FailUnacceptedExtension, "request extension " + req.Extensions[0].Id.String() + " is not supported"
	}
	return &request{hash: h, digest: req.MessageImprint.HashedMessage, nonce: req.Nonce, certReq: req.CertReq}, FailNone, ""
}

// Client returns a [Client] that asks a directly, in-process and without a
// network: the embedded default for the audit ledger. It makes the same
// requests and the same checks as a Client from [NewClient]; when a itself
// fails, Stamp returns a's error.
func (a *Authority) Client() *Client {
	return &Client{target: "local TSA", do: func(ctx context.Context, req []byte) ([]byte, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return a.stamp(ctx, req)
	}}
}

// ServeHTTP answers RFC 3161 §3.4 requests: POST with Content-Type
// application/timestamp-query and a DER TimeStampReq of at most
// [MaxRequestBytes]; the reply is application/timestamp-reply with status
// 200, whether the TimeStampResp grants or rejects. Other methods get 405,
// other content types 415, larger bodies 413.
func (a *Authority) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST with an RFC 3161 TimeStampReq", http.StatusMethodNotAllowed)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != queryType {
		http.Error(w, "Content-Type must be "+queryType, http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request larger than "+strconv.Itoa(MaxRequestBytes)+" bytes", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "reading the request failed", http.StatusBadRequest)
		return
	}
	resp, _ := a.stamp(r.Context(), body) // failures are logged by stamp; resp is a rejection then
	w.Header().Set("Content-Type", replyType)
	w.Header().Set("Content-Length", strconv.Itoa(len(resp)))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(resp)
}

var _ http.Handler = (*Authority)(nil)
