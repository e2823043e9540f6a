package trust

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/xborder/xborder/internal/suite"
)

// DefaultClockSkew is how far in the future a registry's issued time may be.
const DefaultClockSkew = 5 * time.Minute

// VerifyOptions configures Verify and Load.
type VerifyOptions struct {
	// ID is the registry id the verifier expects (required): an operator
	// may sign several registries, and one must not stand in for another.
	ID string
	// Keys are the operator keys trusted to sign it (required), pinned out
	// of band.
	Keys []OperatorKey
	// Threshold is how many distinct Keys must have signed (default 1).
	Threshold int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// ClockSkew tolerates an issued time this far ahead (default
	// DefaultClockSkew).
	ClockSkew time.Duration
}

// Verify parses a signed registry, checks its signatures against opts.Keys,
// its format, that its id is opts.ID and that it is current (issued, not past
// nextUpdate) at opts.Now. It does not consult a high-water mark: use Load to
// protect against rollback. The second result is the hex SHA-256 of the
// registry's canonical form.
func Verify(data []byte, opts VerifyOptions) (*Registry, string, error) {
	if opts.ID == "" || len(opts.Keys) == 0 {
		return nil, "", errorf(CodeInvalidArgument, nil, "verifying a registry needs its expected id and operator keys")
	}
	threshold := max(opts.Threshold, 1)
	if threshold > len(opts.Keys) {
		return nil, "", errorf(CodeInvalidArgument, nil, fmt.Sprintf("threshold %d exceeds the %d operator keys", threshold, len(opts.Keys)))
	}
	if len(data) > MaxRegistrySize {
		return nil, "", errorf(CodeMalformed, nil, fmt.Sprintf("registry of %d bytes exceeds %d", len(data), MaxRegistrySize))
	}
	v, err := parseStrict(data)
	if err != nil {
		return nil, "", errorf(CodeMalformed, err, "parsing the signed registry")
	}
	env, ok := v.(object)
	if !ok || len(env) != 2 {
		return nil, "", errorf(CodeMalformed, nil, "a signed registry is an object with exactly \"registry\" and \"signatures\"")
	}
	regVal, ok1 := env.get("registry")
	sigVal, ok2 := env.get("signatures")
	sigs, ok3 := sigVal.([]any)
	if _, isObj := regVal.(object); !ok1 || !ok2 || !ok3 || !isObj {
		return nil, "", errorf(CodeMalformed, nil, "a signed registry is an object with exactly \"registry\" and \"signatures\"")
	}
	if len(sigs) == 0 || len(sigs) > MaxSignatures {
		return nil, "", errorf(CodeMalformed, nil, fmt.Sprintf("%d signatures: want 1 to %d", len(sigs), MaxSignatures))
	}
	canon := canonicalValue(regVal)
	payload := base64.RawURLEncoding.EncodeToString(canon)
	signedBy := map[string]bool{}
	for i, s := range sigs {
		kid, err := checkSignature(s, payload, opts.Keys)
		if err != nil {
			return nil, "", fmt.Errorf("signature %d: %w", i, err)
		}
		if kid != "" {
			signedBy[kid] = true
		}
	}
	if len(signedBy) < threshold {
		return nil, "", errorf(CodeBadSignature, nil, fmt.Sprintf("signed by %d of the %d operator keys required", len(signedBy), threshold))
	}
	r, err := decodeCanonical(canon)
	if err != nil {
		return nil, "", errorf(CodeMalformed, err, "reading the registry")
	}
	if r.ID != opts.ID {
		return nil, "", errorf(CodeMalformed, nil, fmt.Sprintf("registry id %q, expected %q", r.ID, opts.ID))
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	skew := opts.ClockSkew
	if skew == 0 {
		skew = DefaultClockSkew
	}
	t := now()
	if r.Issued.After(t.Add(skew)) {
		return nil, "", errorf(CodeStaleRegistry, nil, fmt.Sprintf("registry sequence %d is issued in the future (%s)", r.Sequence, formatTime(r.Issued)))
	}
	if t.After(r.NextUpdate) {
		return nil, "", errorf(CodeStaleRegistry, nil, fmt.Sprintf("registry sequence %d was due for update at %s", r.Sequence, formatTime(r.NextUpdate)))
	}
	sum := sha256.Sum256(canon)
	return r, hex.EncodeToString(sum[:]), nil
}

// checkSignature verifies one signature object. It returns the key id when a
// trusted key made it, "" when its key is not one of keys (ignored), and a
// CodeBadSignature or CodeMalformed error otherwise.
func checkSignature(v any, payload string, keys []OperatorKey) (string, error) {
	o, ok := v.(object)
	if !ok || len(o) != 2 {
		return "", errorf(CodeMalformed, nil, "a signature is an object with exactly \"protected\" and \"signature\"")
	}
	pv, _ := o.get("protected")
	sv, _ := o.get("signature")
	protected, ok1 := pv.(string)
	sigText, ok2 := sv.(string)
	if !ok1 || !ok2 {
		return "", errorf(CodeMalformed, nil, "a signature is an object with exactly \"protected\" and \"signature\"")
	}
	hb, err := base64.RawURLEncoding.Strict().DecodeString(protected)
	if err != nil {
		return "", errorf(CodeMalformed, err, "decoding the protected header")
	}
	hv, err := parseStrict(hb)
	if err != nil {
		return "", errorf(CodeMalformed, err, "parsing the protected header")
	}
	h, ok := hv.(object)
	if !ok {
		return "", errorf(CodeMalformed, nil, "the protected header is not an object")
	}
	var alg, kid, typ string
	for _, m := range h {
		s, isStr := m.val.(string)
		if !isStr {
			return "", errorf(CodeMalformed, nil, fmt.Sprintf("header member %q is not a string", m.key))
		}
		switch m.key {
		case "alg":
			alg = s
		case "kid":
			kid = s
		case "typ":
			typ = s
		default:
			// crit, b64, jku, x5u, …: nothing else may change how the
			// signature is checked or where keys come from.
			return "", errorf(CodeMalformed, nil, fmt.Sprintf("header member %q is not allowed", m.key))
		}
	}
	if typ != TypRegistry || kid == "" {
		return "", errorf(CodeMalformed, nil, fmt.Sprintf("header typ %q (want %q) or an empty kid", typ, TypRegistry))
	}
	var key *OperatorKey
	for i := range keys {
		if keys[i].KeyID == kid {
			key = &keys[i]
			break
		}
	}
	if key == nil {
		return "", nil
	}
	want, err := jwsAlg(key.Alg)
	if err != nil {
		return "", errorf(CodeInvalidArgument, err, "operator key "+kid)
	}
	if alg != want {
		return "", errorf(CodeBadSignature, nil, fmt.Sprintf("key %s is %s, the header says %q", kid, want, alg))
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(sigText)
	if err != nil {
		return "", errorf(CodeMalformed, err, "decoding the signature")
	}
	if err := suite.Verify(key.Alg, key.Public, []byte(protected+"."+payload), sig); err != nil {
		if errors.Is(err, suite.ErrBadSignature) {
			return "", errorf(CodeBadSignature, err, "signature by "+kid)
		}
		return "", errorf(CodeBadSignature, err, "checking the signature by "+kid)
	}
	return kid, nil
}

// Load is Verify followed by rollback protection: the registry's sequence
// must not be below the high-water mark hw keeps for its id, and a registry
// with the mark's sequence must be the same registry (same canonical digest).
// A higher sequence becomes the new mark. Only a registry that passed every
// other check moves the mark.
func Load(ctx context.Context, data []byte, opts VerifyOptions, hw HighWater) (*Registry, error) {
	if hw == nil {
		return nil, errorf(CodeInvalidArgument, nil, "loading a registry needs a high-water mark store")
	}
	r, digest, err := Verify(data, opts)
	if err != nil {
		return nil, err
	}
	if err := hw.Advance(ctx, r.ID, Mark{Sequence: r.Sequence, Digest: digest}); err != nil {
		return nil, err
	}
	return r, nil
}
