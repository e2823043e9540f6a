package task

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/xborder/xborder/internal/jsonstrict"
	"github.com/xborder/xborder/internal/jws"
	"github.com/xborder/xborder/internal/suite"
)

// ManifestType is the JWS "typ" of an algorithm manifest.
const ManifestType = "xborder-algorithm+jws"

// Manifest is an algorithm's signed description. Nothing in it is code:
// Implementation names one of the implementations compiled into xborder.
type Manifest struct {
	Name           string   `json:"name"`
	Version        string   `json:"version"`
	Kind           string   `json:"kind"`           // psi or secagg
	Offers         []string `json:"offers"`         // the modes or statistics it offers
	Params         []string `json:"params"`         // the parameters a task may set
	Implementation string   `json:"implementation"` // e.g. builtin:psi/cardinality/v1
	Publisher      string   `json:"publisher"`      // the publisher's DID
	Description    string   `json:"description,omitempty"`
}

// impl is a compiled-in implementation.
type impl struct {
	kind   string // psi or secagg
	op     string // PSI mode or secagg statistic
	params []string
}

// implementations are the only code a task can run.
var implementations = map[string]impl{
	"builtin:psi/intersection/v1": {"psi", "intersection", []string{"group"}},
	"builtin:psi/cardinality/v1":  {"psi", "cardinality", []string{"group"}},
	"builtin:psi/sum/v1":          {"psi", "sum", []string{"group", "value_bound"}},
	"builtin:secagg/count/v1":     {"secagg", "count", []string{"groups"}},
	"builtin:secagg/sum/v1":       {"secagg", "sum", []string{"groups", "scale", "clamp_lo", "clamp_hi"}},
	"builtin:secagg/mean/v1":      {"secagg", "mean", []string{"groups", "scale", "clamp_lo", "clamp_hi"}},
	"builtin:secagg/variance/v1":  {"secagg", "variance", []string{"groups", "scale", "clamp_lo", "clamp_hi"}},
	"builtin:secagg/histogram/v1": {"secagg", "histogram", []string{"groups", "scale", "edges", "clamp_lo", "clamp_hi"}},
}

// algorithm is a registered algorithm, with its implementation.
type algorithm struct {
	Algorithm
	impl impl
}

// builtins are registered at Open: their trust root is the binary itself,
// so they carry no signature (a signature by the node's own key would add
// nothing). Each is name@1.
func builtins() map[string]*algorithm {
	out := map[string]*algorithm{}
	for id, im := range implementations {
		name := strings.TrimPrefix(strings.TrimSuffix(id, "/v1"), "builtin:")
		name = strings.ReplaceAll(name, "/", "-")
		a := &algorithm{Algorithm: Algorithm{ID: name + "@1", Kind: im.kind, Offers: []string{im.op}, Implementation: id,
			Publisher: "builtin", Params: im.params, Digest: "builtin", Builtin: true}, impl: im}
		out[a.ID] = a
	}
	return out
}

// computation is the xborder:computation value of an algorithm's kind.
func (a *algorithm) computation() string {
	if a.Kind == "psi" {
		return "psi"
	}
	return "mpc"
}

// verifyManifest checks a manifest JWS against the trusted publishers and
// the compiled-in implementations.
func verifyManifest(ctx context.Context, token string, publishers map[string]Publisher) (*algorithm, *Error) {
	if len(token) > 64<<10 {
		return nil, refuse(ManifestInvalid, "larger than 64 KiB")
	}
	resolve := func(_ context.Context, kid string) (suite.Alg, crypto.PublicKey, error) {
		did, _, _ := strings.Cut(kid, "#")
		p, ok := publishers[did]
		if !ok {
			return "", nil, fmt.Errorf("publisher %s is not trusted", did)
		}
		return p.Alg, p.Key, nil
	}
	v, err := jws.Verify(ctx, token, resolve, jws.Expect{Typ: ManifestType})
	if err != nil {
		switch jws.CodeOf(err) {
		case jws.CodeKeyResolution:
			h, _ := jws.ParseHeader(token)
			return nil, refuse(PublisherUntrusted, "key %s", h.Kid)
		case jws.CodeBadSignature:
			return nil, refuse(SignatureInvalid, "")
		}
		return nil, refuse(ManifestInvalid, "%v", err)
	}
	var m Manifest
	if err := decodeStrict(v.Payload, &m); err != nil {
		return nil, refuse(ManifestInvalid, "%v", err)
	}
	did, _, _ := strings.Cut(v.Header.Kid, "#")
	if m.Publisher != did {
		return nil, refuse(PublisherUntrusted, "the manifest names publisher %s but is signed by %s", m.Publisher, did)
	}
	im, ok := implementations[m.Implementation]
	if !ok {
		return nil, refuse(ImplementationUnknown, "%q", m.Implementation)
	}
	if !validName(m.Name) || !validName(m.Version) || m.Kind != im.kind {
		return nil, refuse(ManifestInvalid, "name and version must be [a-z0-9._-], kind must be %s", im.kind)
	}
	if len(m.Offers) != 1 || m.Offers[0] != im.op {
		return nil, refuse(ManifestInvalid, "the implementation offers %s", im.op)
	}
	for _, p := range m.Params {
		if !slices.Contains(im.params, p) {
			return nil, refuse(ManifestInvalid, "the implementation has no parameter %q", p)
		}
	}
	sum := sha256.Sum256([]byte(token))
	return &algorithm{Algorithm: Algorithm{ID: m.Name + "@" + m.Version, Kind: m.Kind, Offers: m.Offers, Implementation: m.Implementation,
		Publisher: m.Publisher, Params: m.Params, Digest: "sha256:" + hex.EncodeToString(sum[:])}, impl: im}, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// SignManifest signs m as its publisher with key kid (a DID URL of the
// publisher): the form algorithmRegister takes.
func SignManifest(m Manifest, s suite.Signer, kid string) (string, error) {
	b, err := marshal(m)
	if err != nil {
		return "", err
	}
	return jws.Sign(b, s, jws.Header{Kid: kid, Typ: ManifestType})
}

// setParams lists the parameters p sets.
func setParams(p Params) []string {
	var out []string
	add := func(ok bool, name string) {
		if ok {
			out = append(out, name)
		}
	}
	add(p.Group != "", "group")
	add(p.ValueBound != 0, "value_bound")
	add(len(p.Groups) > 0, "groups")
	add(len(p.Edges) > 0, "edges")
	add(p.Scale != 0, "scale")
	add(p.ClampLo != "", "clamp_lo")
	add(p.ClampHi != "", "clamp_hi")
	return out
}

var errStrict = errors.New("duplicate keys or nesting deeper than 16")

// decodeStrict decodes outside JSON: no unknown fields, no duplicate keys,
// bounded nesting, nothing after the value.
func decodeStrict(b []byte, v any) error { return decodeLimited(b, v, maxBody) }

// maxBody bounds a request body (uploads and messages have their own).
const maxBody = 1 << 20

func decodeLimited(b []byte, v any, limit int) error {
	if len(b) > limit {
		return fmt.Errorf("body larger than %d bytes", limit)
	}
	if err := jsonstrict.Decode(b, v); err != nil {
		return err
	}
	if jsonstrict.Check(b, 16) != nil {
		return errStrict
	}
	return nil
}
