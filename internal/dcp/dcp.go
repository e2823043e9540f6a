// Package dcp is the presentation flow of the Eclipse Decentralized Claims
// Protocol (DCP 1.0) between dataspace connectors: how a provider obtains
// and verifies the credentials of the party calling it.
//
// The caller (holder) puts an access token for its credential service in
// the "token" claim of the self-issued ID token it sends with every
// Dataspace Protocol request (internal/sitoken; [Holder.AccessToken] makes
// it). The provider (verifier) finds the holder's credential service —
// the serviceEndpoint of a "CredentialService" entry in the holder's DID
// document — and POSTs a PresentationQueryMessage to
// <service>/presentations/query, authenticated with its own self-issued ID
// token (aud = the holder's DID) that carries the access token back
// ([Verifier.Query]). The holder answers with a PresentationResponseMessage
// holding one presentation of the requested credentials, signed with its
// DID key and bound to the verifier (aud) and to the verifier's token
// (nonce = its jti). The verifier checks the presentation, each credential
// (signature by the issuer's DID key, validity period), that every
// credential is about the holder, and that each issuer is trusted by the
// trust registry (internal/trust) for the credential's types in the
// jurisdiction the credential claims.
//
// Scopes are DCP's aliases "org.eclipse.dspace.dcp.vc.type:<Type>:read";
// presentation definitions (DIF Presentation Exchange) are refused with
// 400, as are queries with both or neither.
//
// Presentations are vp+jwt (EdDSA, ES256) for holders with Ed25519 or
// P-256 keys, and Data Integrity presentations with xborder's SM2
// cryptosuite for holders with SM2 keys, for which JOSE has no algorithm.
// Credentials may be vc+jwt or Data Integrity.
package dcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/xborder/xborder/internal/jsonstrict"
)

// ContextURL is the DCP 1.0 JSON-LD context of the messages.
const ContextURL = "https://w3id.org/dspace-dcp/v1.0/dcp.jsonld"

// ScopePrefix and ScopeSuffix frame a credential type in a scope alias.
const (
	ScopePrefix = "org.eclipse.dspace.dcp.vc.type:"
	ScopeSuffix = ":read"
)

// ServiceType is the DID document service type of a credential service.
const ServiceType = "CredentialService"

// QueryPath is the presentation query endpoint below the service URL.
const QueryPath = "/presentations/query"

// Limits of what is read from outside.
const (
	MaxQueryBytes    = 64 << 10
	MaxResponseBytes = 1 << 20
	MaxScopes        = 16
)

// Scope returns the scope alias asking for credentials of type t.
func Scope(t string) string { return ScopePrefix + t + ScopeSuffix }

// PresentationQueryMessage asks a credential service for presentations.
type PresentationQueryMessage struct {
	Scope                  []string        `json:"scope,omitempty"`
	PresentationDefinition json.RawMessage `json:"presentationDefinition,omitempty"`
}

// PresentationResponseMessage carries the presentations: vp+jwt strings
// or Data Integrity presentation objects.
type PresentationResponseMessage struct {
	Presentation []json.RawMessage `json:"presentation"`
}

// MarshalJSON writes the message with its @context and @type.
func (m PresentationQueryMessage) MarshalJSON() ([]byte, error) {
	type plain PresentationQueryMessage
	return withHeader("PresentationQueryMessage", plain(m))
}

// MarshalJSON writes the message with its @context and @type.
func (m PresentationResponseMessage) MarshalJSON() ([]byte, error) {
	type plain PresentationResponseMessage
	return withHeader("PresentationResponseMessage", plain(m))
}

func withHeader(typ string, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	head := `{"@context":["` + ContextURL + `"],"@type":"` + typ + `"`
	if len(body) > 2 {
		head += ","
	}
	return append([]byte(head), body[1:]...), nil
}

// decode reads a DCP message of type typ strictly: one JSON object of at
// most limit bytes, no duplicate keys, the DCP context, the @type, and
// only the keys given.
func decode(data []byte, limit int, typ string, keys []string, v any) error {
	if len(data) > limit {
		return fmt.Errorf("dcp: %s of %d bytes exceeds %d", typ, len(data), limit)
	}
	var top map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&top); err != nil || top == nil {
		return fmt.Errorf("dcp: %s: not a JSON object", typ)
	}
	if dec.More() {
		return fmt.Errorf("dcp: %s: data after the object", typ)
	}
	if err := jsonstrict.Check(data, 32); err != nil {
		return fmt.Errorf("dcp: %s: %w", typ, err)
	}
	var ctx []string
	if json.Unmarshal(top["@context"], &ctx) != nil || !slices.Contains(ctx, ContextURL) {
		return fmt.Errorf("dcp: %s: @context must be an array holding %s", typ, ContextURL)
	}
	var t string
	if json.Unmarshal(top["@type"], &t) != nil || t != typ {
		return fmt.Errorf("dcp: @type must be %q", typ)
	}
	for k := range top {
		if k != "@context" && k != "@type" && !slices.Contains(keys, k) {
			return fmt.Errorf("dcp: %s: unknown property %q", typ, clip(k))
		}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("dcp: %s: %v", typ, err)
	}
	return nil
}

// ParseQuery reads a PresentationQueryMessage and returns the credential
// types its scopes ask for.
func ParseQuery(data []byte) ([]string, error) {
	var m PresentationQueryMessage
	if err := decode(data, MaxQueryBytes, "PresentationQueryMessage", []string{"scope", "presentationDefinition"}, &m); err != nil {
		return nil, err
	}
	switch {
	case len(m.PresentationDefinition) > 0 && len(m.Scope) > 0:
		return nil, errors.New("dcp: a query has scope or presentationDefinition, not both")
	case len(m.PresentationDefinition) > 0:
		return nil, errors.New("dcp: presentation definitions are not supported; ask with scope")
	case len(m.Scope) == 0:
		return nil, errors.New("dcp: the query asks for nothing (no scope)")
	case len(m.Scope) > MaxScopes:
		return nil, fmt.Errorf("dcp: %d scopes; at most %d", len(m.Scope), MaxScopes)
	}
	var types []string
	for _, s := range m.Scope {
		t, ok := strings.CutPrefix(s, ScopePrefix)
		if ok {
			t, ok = strings.CutSuffix(t, ScopeSuffix)
		}
		if !ok || t == "" || strings.ContainsAny(t, ": ") {
			return nil, fmt.Errorf("dcp: scope %q is not %s<Type>%s", clip(s), ScopePrefix, ScopeSuffix)
		}
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	return types, nil
}

// ParseResponse reads a PresentationResponseMessage.
func ParseResponse(data []byte) (*PresentationResponseMessage, error) {
	var m PresentationResponseMessage
	if err := decode(data, MaxResponseBytes, "PresentationResponseMessage", []string{"presentation"}, &m); err != nil {
		return nil, err
	}
	if len(m.Presentation) == 0 {
		return nil, errors.New("dcp: the response holds no presentation")
	}
	return &m, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
