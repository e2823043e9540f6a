package identity

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ParseDocument parses and validates a JSON DID document: at most
// MaxDocumentSize bytes, valid UTF-8, one JSON object with no duplicate
// member names and bounded nesting, DID Core's required members with the
// right types (see Validate). Errors wrap ErrInvalidDocument.
func ParseDocument(b []byte) (*Document, error) {
	if len(b) > MaxDocumentSize {
		return nil, fmt.Errorf("%w: %d bytes exceeds the limit of %d", ErrInvalidDocument, len(b), MaxDocumentSize)
	}
	if err := checkJSON(b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDocument, err)
	}
	var d Document
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDocument, err)
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// Clone returns a deep copy of d.
func (d *Document) Clone() *Document {
	b, err := json.Marshal(d)
	if err != nil {
		// Only a document with a non-JSON value in Context or a map
		// endpoint can fail here; fall back to a shallow copy.
		c := *d
		return &c
	}
	var c Document
	if err := json.Unmarshal(b, &c); err != nil {
		c = *d
	}
	return &c
}

func decodeAny(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func (d Document) MarshalJSON() ([]byte, error) {
	refs := func(name string, r []MethodRef) member {
		return member{name: name, value: r, omit: len(r) == 0}
	}
	return writeObject([]member{
		{name: "@context", value: d.Context, omit: len(d.Context) == 0},
		{name: "id", value: d.ID},
		{name: "controller", value: d.Controller, omit: len(d.Controller) == 0},
		{name: "alsoKnownAs", value: d.AlsoKnownAs, omit: len(d.AlsoKnownAs) == 0},
		{name: "verificationMethod", value: d.VerificationMethods, omit: len(d.VerificationMethods) == 0},
		refs(Authentication, d.Authentication),
		refs(AssertionMethod, d.AssertionMethod),
		refs(KeyAgreement, d.KeyAgreement),
		refs(CapabilityInvocation, d.CapabilityInvocation),
		refs(CapabilityDelegation, d.CapabilityDelegation),
		{name: "service", value: d.Service, omit: len(d.Service) == 0},
	}, d.Extra)
}

func (d *Document) UnmarshalJSON(b []byte) error {
	o, err := readObject(b, "DID document")
	if err != nil {
		return err
	}
	var v Document
	if raw, ok := o["@context"]; ok {
		delete(o, "@context")
		c, err := decodeAny(raw)
		if err != nil {
			return fmt.Errorf("@context: %w", err)
		}
		switch c := c.(type) {
		case string:
			v.Context = []any{c}
		case []any:
			v.Context = c
		default:
			return fmt.Errorf("@context must be a string or an array")
		}
		for _, e := range v.Context {
			switch e.(type) {
			case string, map[string]any:
			default:
				return fmt.Errorf("@context entries must be strings or objects")
			}
		}
	}
	if ok, err := o.take("id", &v.ID); err != nil || !ok {
		return fmt.Errorf("id is required and must be a string")
	}
	if _, err := o.take("controller", &v.Controller); err != nil {
		return err
	}
	if _, err := o.take("alsoKnownAs", &v.AlsoKnownAs); err != nil {
		return err
	}
	if _, err := o.take("verificationMethod", &v.VerificationMethods); err != nil {
		return err
	}
	for _, name := range relationshipNames() {
		if _, err := o.take(name, v.relationship(name)); err != nil {
			return err
		}
	}
	if _, err := o.take("service", &v.Service); err != nil {
		return err
	}
	v.Extra = o.rest()
	*d = v
	return nil
}

func (m VerificationMethod) MarshalJSON() ([]byte, error) {
	return writeObject([]member{
		{name: "id", value: m.ID},
		{name: "type", value: m.Type},
		{name: "controller", value: m.Controller},
		{name: "publicKeyMultibase", value: m.PublicKeyMultibase, omit: m.PublicKeyMultibase == ""},
		{name: "publicKeyJwk", value: m.PublicKeyJWK, omit: m.PublicKeyJWK == nil},
	}, m.Extra)
}

func (m *VerificationMethod) UnmarshalJSON(b []byte) error {
	o, err := readObject(b, "verification method")
	if err != nil {
		return err
	}
	var v VerificationMethod
	for _, f := range []struct {
		name string
		dst  *string
	}{{"id", &v.ID}, {"type", &v.Type}, {"controller", &v.Controller}} {
		if ok, err := o.take(f.name, f.dst); err != nil || !ok {
			return fmt.Errorf("verification method: %s is required and must be a string", f.name)
		}
	}
	if _, err := o.take("publicKeyMultibase", &v.PublicKeyMultibase); err != nil {
		return fmt.Errorf("verification method %q: %w", truncate(v.ID), err)
	}
	if _, err := o.take("publicKeyJwk", &v.PublicKeyJWK); err != nil {
		return fmt.Errorf("verification method %q: %w", truncate(v.ID), err)
	}
	v.Extra = o.rest()
	*m = v
	return nil
}

func (r MethodRef) MarshalJSON() ([]byte, error) {
	if r.Embedded != nil {
		return json.Marshal(r.Embedded)
	}
	return marshalJSON(r.Ref)
}

func (r *MethodRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*r = MethodRef{Ref: s}
		return nil
	}
	var vm VerificationMethod
	if err := json.Unmarshal(b, &vm); err != nil {
		return fmt.Errorf("verification relationship entry must be a DID URL or a verification method: %w", err)
	}
	*r = MethodRef{Embedded: &vm}
	return nil
}

func (s Service) MarshalJSON() ([]byte, error) {
	return writeObject([]member{
		{name: "id", value: s.ID},
		{name: "type", value: s.Type},
		{name: "serviceEndpoint", value: s.ServiceEndpoint},
	}, s.Extra)
}

func (s *Service) UnmarshalJSON(b []byte) error {
	o, err := readObject(b, "service")
	if err != nil {
		return err
	}
	var v Service
	if ok, err := o.take("id", &v.ID); err != nil || !ok {
		return fmt.Errorf("service: id is required and must be a string")
	}
	if ok, err := o.take("type", &v.Type); err != nil || !ok {
		return fmt.Errorf("service %q: type is required and must be a string or a set of strings", truncate(v.ID))
	}
	if ok, err := o.take("serviceEndpoint", &v.ServiceEndpoint); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("missing")
		}
		return fmt.Errorf("service %q: serviceEndpoint: %w", truncate(v.ID), err)
	}
	v.Extra = o.rest()
	*s = v
	return nil
}

func (e ServiceEndpoint) MarshalJSON() ([]byte, error) {
	switch {
	case e.Set != nil:
		return marshalJSON(e.Set)
	case e.Map != nil:
		return marshalJSON(e.Map)
	}
	return marshalJSON(e.URI)
}

func (e *ServiceEndpoint) UnmarshalJSON(b []byte) error {
	v, err := decodeAny(b)
	if err != nil {
		return err
	}
	out, err := endpointFrom(v, true)
	if err != nil {
		return err
	}
	*e = out
	return nil
}

func endpointFrom(v any, top bool) (ServiceEndpoint, error) {
	switch v := v.(type) {
	case string:
		return ServiceEndpoint{URI: v}, nil
	case map[string]any:
		return ServiceEndpoint{Map: v}, nil
	case []any:
		if !top {
			return ServiceEndpoint{}, fmt.Errorf("serviceEndpoint sets do not nest")
		}
		set := make([]ServiceEndpoint, 0, len(v))
		for _, x := range v {
			e, err := endpointFrom(x, false)
			if err != nil {
				return ServiceEndpoint{}, err
			}
			set = append(set, e)
		}
		return ServiceEndpoint{Set: set}, nil
	}
	return ServiceEndpoint{}, fmt.Errorf("serviceEndpoint must be a string, a map or a set")
}
