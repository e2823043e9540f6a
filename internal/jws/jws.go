package jws

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xborder/xborder/internal/suite"
)

// JOSE algorithm names of the suite algorithms.
const (
	AlgEdDSA   = "EdDSA"   // RFC 8037, Ed25519 keys
	AlgEd25519 = "Ed25519" // RFC 9864 name for the same; accepted when verifying
	AlgES256   = "ES256"   // RFC 7518 §3.4
	AlgSM2SM3  = "SM2SM3"  // private to xborder, see the package documentation
)

// DefaultMaxBytes bounds a token when Expect.MaxBytes is zero.
const DefaultMaxBytes = 1 << 20

// sigSize is the size of every signature of the three algorithms.
const sigSize = 64

// Header is the protected JOSE header of a compact JWS.
type Header struct {
	Alg string // set by Sign from the signer; read by Verify
	Kid string // key ID the verifier resolves, e.g. a DID URL
	Typ string // media type of the whole JWS, e.g. "vc+jwt"
	Cty string // media type of the payload, when useful
}

// AlgName returns the JOSE "alg" for a suite algorithm.
func AlgName(a suite.Alg) (string, error) {
	switch a {
	case suite.Ed25519:
		return AlgEdDSA, nil
	case suite.P256:
		return AlgES256, nil
	case suite.SM2:
		return AlgSM2SM3, nil
	}
	return "", &Error{Code: CodeUnsupportedAlgorithm, Msg: fmt.Sprintf("no JOSE algorithm for %q keys", a)}
}

// SuiteAlg returns the suite algorithm of a JOSE "alg" name. Names are
// case-sensitive (RFC 7515 §4.1.1).
func SuiteAlg(name string) (suite.Alg, error) {
	switch name {
	case AlgEdDSA, AlgEd25519:
		return suite.Ed25519, nil
	case AlgES256:
		return suite.P256, nil
	case AlgSM2SM3:
		return suite.SM2, nil
	case "none":
		return "", &Error{Code: CodeUnsupportedAlgorithm, Msg: `alg "none" (an unsecured JWS) is refused`}
	}
	return "", &Error{Code: CodeUnsupportedAlgorithm, Msg: fmt.Sprintf("alg %q (accepted: %s, %s, %s, %s)", truncate(name), AlgEdDSA, AlgEd25519, AlgES256, AlgSM2SM3)}
}

var b64 = base64.RawURLEncoding.Strict()

// Sign returns the compact JWS of payload signed by s. h.Alg is ignored
// (the signer's algorithm decides it); h.Kid, h.Typ and h.Cty are written
// when non-empty.
func Sign(payload []byte, s suite.Signer, h Header) (string, error) {
	input, sig, err := sign(payload, s, h)
	if err != nil {
		return "", err
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// SignDetached is Sign with a detached payload (RFC 7515 appendix F): the
// result is "header..signature", and the verifier supplies the payload
// through Expect.Detached.
func SignDetached(payload []byte, s suite.Signer, h Header) (string, error) {
	input, sig, err := sign(payload, s, h)
	if err != nil {
		return "", err
	}
	header := input[:strings.IndexByte(input, '.')]
	return header + ".." + b64.EncodeToString(sig), nil
}

func sign(payload []byte, s suite.Signer, h Header) (string, []byte, error) {
	if s == nil {
		return "", nil, &Error{Code: CodeKeyResolution, Msg: "no signer"}
	}
	alg, err := AlgName(s.Alg())
	if err != nil {
		return "", nil, err
	}
	for _, f := range []struct{ name, v string }{{"kid", h.Kid}, {"typ", h.Typ}, {"cty", h.Cty}} {
		if !utf8.ValidString(f.v) {
			return "", nil, &Error{Code: CodeMalformed, Msg: f.name + " is not valid UTF-8"}
		}
	}
	var hb bytes.Buffer
	hb.WriteString(`{"alg":`)
	writeString(&hb, alg)
	for _, f := range []struct{ name, v string }{{"kid", h.Kid}, {"typ", h.Typ}, {"cty", h.Cty}} {
		if f.v != "" {
			hb.WriteString(`,"` + f.name + `":`)
			writeString(&hb, f.v)
		}
	}
	hb.WriteByte('}')
	input := b64.EncodeToString(hb.Bytes()) + "." + b64.EncodeToString(payload)
	sig, err := s.Sign([]byte(input))
	if err != nil {
		return "", nil, fmt.Errorf("signing the JWS: %w", err)
	}
	if len(sig) != sigSize {
		return "", nil, fmt.Errorf("signing the JWS: the %s signer returned %d bytes, want %d", s.Alg(), len(sig), sigSize)
	}
	return input, sig, nil
}

func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a valid UTF-8 string always encodes
	b.Truncate(b.Len() - 1)
}

// Resolver returns the algorithm and public key that kid names, for
// example by dereferencing a DID URL. *identity.Resolver's ResolveKey
// method has this shape.
type Resolver func(ctx context.Context, kid string) (suite.Alg, crypto.PublicKey, error)

// Expect is what the verifier requires of a token.
type Expect struct {
	// Typ is the required "typ"; "" requires the header to have none.
	Typ string
	// Cty is the required "cty" when the header has one; with Cty empty a
	// header carrying "cty" is refused.
	Cty string
	// RequireCty refuses a header without "cty".
	RequireCty bool
	// Algs restricts the accepted suite algorithms; nil accepts all three.
	Algs []suite.Alg
	// Detached, when non-nil, is the payload of a detached JWS: the token's
	// middle part must then be empty. When nil the payload is in the token.
	Detached []byte
	// MaxBytes bounds the token; 0 means DefaultMaxBytes.
	MaxBytes int
	// VerifySig checks the signature as suite.Verify does (the default when
	// nil), for example (*suite.VerifierCache).Verify, which is faster for
	// keys that sign often.
	VerifySig func(alg suite.Alg, pub crypto.PublicKey, msg, sig []byte) error
}

// Verified is a JWS whose signature was checked.
type Verified struct {
	Header  Header
	Alg     suite.Alg        // the suite algorithm of Header.Alg
	Key     crypto.PublicKey // the key that verified it
	Payload []byte           // the decoded payload, or Expect.Detached
	// SigningInput is "BASE64URL(header).BASE64URL(payload)", what was signed.
	SigningInput string
	Signature    []byte
}

// Verify checks a compact JWS whose key is named by its kid: the header's
// shape and expectations, then the key from resolve, then the signature.
func Verify(ctx context.Context, token string, resolve Resolver, want Expect) (*Verified, error) {
	if err := ctx.Err(); err != nil {
		return nil, &Error{Code: CodeKeyResolution, Msg: "verification cancelled", Err: err}
	}
	p, err := parse(token, want)
	if err != nil {
		return nil, err
	}
	if p.h.Kid == "" {
		return nil, &Error{Code: CodeKeyResolution, Msg: "the JOSE header has no kid"}
	}
	if resolve == nil {
		return nil, &Error{Code: CodeKeyResolution, Kid: p.h.Kid, Msg: "no key resolver"}
	}
	kalg, pub, err := resolve(ctx, p.h.Kid)
	if err != nil {
		return nil, &Error{Code: CodeKeyResolution, Kid: p.h.Kid, Msg: "resolving the key", Err: err}
	}
	if kalg != p.alg {
		return nil, &Error{Code: CodeKeyResolution, Kid: p.h.Kid, Msg: fmt.Sprintf("alg %s needs a %s key, the key is %s", p.h.Alg, p.alg, kalg)}
	}
	return p.verify(pub, want.VerifySig)
}

// VerifyWithKey checks a compact JWS against a key known out of band; the
// kid, if any, is not resolved. alg is the key's algorithm and must match
// the header's.
func VerifyWithKey(token string, alg suite.Alg, pub crypto.PublicKey, want Expect) (*Verified, error) {
	p, err := parse(token, want)
	if err != nil {
		return nil, err
	}
	if alg != p.alg {
		return nil, &Error{Code: CodeKeyResolution, Kid: p.h.Kid, Msg: fmt.Sprintf("alg %s needs a %s key, the key is %s", p.h.Alg, p.alg, alg)}
	}
	return p.verify(pub, want.VerifySig)
}

// ParseHeader decodes a token's header without verifying anything but its
// shape. Use it to choose a resolver or to report who claims to have
// signed; never trust what it returns.
func ParseHeader(token string) (Header, error) {
	if len(token) > DefaultMaxBytes {
		return Header{}, &Error{Code: CodeMalformed, Msg: fmt.Sprintf("token of %d bytes exceeds the limit of %d", len(token), DefaultMaxBytes)}
	}
	parts, err := split(token)
	if err != nil {
		return Header{}, err
	}
	h, _, err := parseHeader(parts[0])
	return h, err
}

type parsed struct {
	h       Header
	alg     suite.Alg
	input   string
	payload []byte
	sig     []byte
}

func (p *parsed) verify(pub crypto.PublicKey, verifySig func(suite.Alg, crypto.PublicKey, []byte, []byte) error) (*Verified, error) {
	if got, err := suite.AlgOf(pub); err != nil || got != p.alg {
		return nil, &Error{Code: CodeKeyResolution, Kid: p.h.Kid, Msg: fmt.Sprintf("alg %s needs a %s key", p.h.Alg, p.alg), Err: err}
	}
	if verifySig == nil {
		verifySig = suite.Verify
	}
	if err := verifySig(p.alg, pub, []byte(p.input), p.sig); err != nil {
		if errors.Is(err, suite.ErrBadSignature) {
			return nil, &Error{Code: CodeBadSignature, Kid: p.h.Kid, Msg: "the signature does not verify", Err: err}
		}
		return nil, &Error{Code: CodeKeyResolution, Kid: p.h.Kid, Msg: "the key cannot verify this signature", Err: err}
	}
	return &Verified{Header: p.h, Alg: p.alg, Key: pub, Payload: p.payload, SigningInput: p.input, Signature: p.sig}, nil
}

func parse(token string, want Expect) (*parsed, error) {
	limit := want.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	if len(token) > limit {
		return nil, &Error{Code: CodeMalformed, Msg: fmt.Sprintf("token of %d bytes exceeds the limit of %d", len(token), limit)}
	}
	parts, err := split(token)
	if err != nil {
		return nil, err
	}
	h, alg, err := parseHeader(parts[0])
	if err != nil {
		return nil, err
	}
	fail := func(code Code, format string, args ...any) (*parsed, error) {
		return nil, &Error{Code: code, Kid: h.Kid, Msg: fmt.Sprintf(format, args...)}
	}
	if h.Typ != want.Typ {
		if want.Typ == "" {
			return fail(CodeMalformed, "media type (typ) %q, want none", truncate(h.Typ))
		}
		return fail(CodeMalformed, "media type (typ) %q, want %q", truncate(h.Typ), want.Typ)
	}
	switch {
	case h.Cty == "" && want.RequireCty:
		return fail(CodeMalformed, "no content type (cty), want %q", want.Cty)
	case h.Cty != "" && h.Cty != want.Cty:
		if want.Cty == "" {
			return fail(CodeMalformed, "content type (cty) %q, want none", truncate(h.Cty))
		}
		return fail(CodeMalformed, "content type (cty) %q, want %q", truncate(h.Cty), want.Cty)
	}
	if want.Algs != nil && !containsAlg(want.Algs, alg) {
		return fail(CodeUnsupportedAlgorithm, "alg %s is not accepted here", h.Alg)
	}
	p := &parsed{h: h, alg: alg}
	if want.Detached != nil {
		if parts[1] != "" {
			return fail(CodeMalformed, "a detached JWS was expected, the token carries a payload")
		}
		p.payload = want.Detached
		p.input = parts[0] + "." + b64.EncodeToString(want.Detached)
	} else {
		if p.payload, err = decodePart(parts[1], "payload"); err != nil {
			return nil, withKid(err, h.Kid)
		}
		p.input = parts[0] + "." + parts[1]
	}
	if p.sig, err = decodePart(parts[2], "signature"); err != nil {
		return nil, withKid(err, h.Kid)
	}
	if len(p.sig) == 0 {
		return fail(CodeMalformed, "empty signature")
	}
	return p, nil
}

func containsAlg(list []suite.Alg, a suite.Alg) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func withKid(err error, kid string) error {
	var e *Error
	if errors.As(err, &e) {
		e.Kid = kid
	}
	return err
}

// split returns the three parts of a compact JWS.
func split(token string) ([3]string, error) {
	var out [3]string
	if strings.Count(token, ".") != 2 {
		return out, &Error{Code: CodeMalformed, Msg: fmt.Sprintf("not a compact JWS (%d parts, want 3)", strings.Count(token, ".")+1)}
	}
	i := strings.IndexByte(token, '.')
	j := i + 1 + strings.IndexByte(token[i+1:], '.')
	out[0], out[1], out[2] = token[:i], token[i+1:j], token[j+1:]
	return out, nil
}

// decodePart decodes one base64url part strictly: only the URL-safe
// alphabet (the standard decoder silently skips CR and LF), no padding,
// zero unused bits.
func decodePart(s, what string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, &Error{Code: CodeMalformed, Msg: fmt.Sprintf("%s: byte %d (0x%02x) is not base64url", what, i, c)}
		}
	}
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, &Error{Code: CodeMalformed, Msg: what + ": not canonical base64url", Err: err}
	}
	return b, nil
}

// parseHeader decodes and checks the protected header.
func parseHeader(part string) (Header, suite.Alg, error) {
	var h Header
	if part == "" {
		return h, "", &Error{Code: CodeMalformed, Msg: "empty JOSE header"}
	}
	raw, err := decodePart(part, "JOSE header")
	if err != nil {
		return h, "", err
	}
	if !utf8.Valid(raw) {
		return h, "", &Error{Code: CodeMalformed, Msg: "JOSE header: not valid UTF-8"}
	}
	members, err := readObject(raw)
	if err != nil {
		return h, "", &Error{Code: CodeMalformed, Msg: "JOSE header", Err: err}
	}
	str := func(name string, dst *string) error {
		v, ok := members[name]
		if !ok {
			return nil
		}
		if err := json.Unmarshal(v, dst); err != nil || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			return &Error{Code: CodeMalformed, Msg: fmt.Sprintf("JOSE header: %s is not a string", name)}
		}
		return nil
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"alg", &h.Alg}, {"kid", &h.Kid}, {"typ", &h.Typ}, {"cty", &h.Cty}} {
		if err := str(f.name, f.dst); err != nil {
			return h, "", err
		}
	}
	if _, ok := members["alg"]; !ok {
		return h, "", &Error{Code: CodeMalformed, Kid: h.Kid, Msg: "JOSE header: no alg"}
	}
	if _, ok := members["crit"]; ok {
		return h, "", &Error{Code: CodeMalformed, Kid: h.Kid, Msg: "JOSE header: critical header parameters (crit) are not supported"}
	}
	if _, ok := members["b64"]; ok {
		return h, "", &Error{Code: CodeMalformed, Kid: h.Kid, Msg: "JOSE header: b64 (RFC 7797 unencoded payload) is not supported"}
	}
	alg, err := SuiteAlg(h.Alg)
	if err != nil {
		return h, "", withKid(err, h.Kid)
	}
	return h, alg, nil
}

// maxHeaderMembers bounds the header; real ones have four or five.
const maxHeaderMembers = 64

// readObject reads one JSON object and returns its members by exact name,
// refusing duplicate names and anything after the object.
func readObject(raw []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, ok := tok.(string)
		if !ok {
			return nil, errors.New("malformed member name")
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("duplicate member %q", truncate(name))
		}
		if len(out) == maxHeaderMembers {
			return nil, fmt.Errorf("more than %d members", maxHeaderMembers)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out[name] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return out, nil
}

func truncate(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	for i := max; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return "…"
}
