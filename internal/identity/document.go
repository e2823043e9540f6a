package identity

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/xborder/xborder/internal/suite"
)

// JSON-LD contexts of DID documents.
const (
	ContextDIDv1      = "https://www.w3.org/ns/did/v1"
	ContextMultikeyV1 = "https://w3id.org/security/multikey/v1"
	ContextJWKv1      = "https://w3id.org/security/jwk/v1"
)

// Verification method types.
const (
	TypeMultikey       = "Multikey"       // publicKeyMultibase (Controlled Identifiers 1.0)
	TypeJSONWebKey     = "JsonWebKey"     // publicKeyJwk (Controlled Identifiers 1.0)
	TypeJSONWebKey2020 = "JsonWebKey2020" // legacy name of JsonWebKey, read only
	// TypeEd25519VerificationKey2020 is the legacy Ed25519 Multikey form,
	// read only.
	TypeEd25519VerificationKey2020 = "Ed25519VerificationKey2020"
)

// Verification relationships (DID Core §5.3).
const (
	Authentication       = "authentication"
	AssertionMethod      = "assertionMethod"
	KeyAgreement         = "keyAgreement"
	CapabilityInvocation = "capabilityInvocation"
	CapabilityDelegation = "capabilityDelegation"
)

// Bounds applied by ParseDocument.
const (
	MaxDocumentSize        = 256 << 10 // bytes of a serialized document
	MaxVerificationMethods = 64        // including those embedded in relationships
	MaxServices            = 64
	MaxReferences          = 64 // per verification relationship
	MaxAlsoKnownAs         = 64
	MaxControllers         = 16
)

// ErrInvalidDocument is wrapped by every error ParseDocument and
// (*Document).Validate return.
var ErrInvalidDocument = errors.New("invalid DID document")

// Document is a DID document (DID Core §5). Members this type does not
// model are kept in Extra and written back unchanged.
type Document struct {
	Context              []any // strings or JSON objects; first must be ContextDIDv1 when present
	ID                   string
	Controller           StringSet
	AlsoKnownAs          []string
	VerificationMethods  []VerificationMethod // the "verificationMethod" property
	Authentication       []MethodRef
	AssertionMethod      []MethodRef
	KeyAgreement         []MethodRef
	CapabilityInvocation []MethodRef
	CapabilityDelegation []MethodRef
	Service              []Service
	Extra                map[string]json.RawMessage
}

// VerificationMethod is a DID Core §5.2 verification method.
type VerificationMethod struct {
	ID                 string // absolute DID URL or relative ("#key-1")
	Type               string
	Controller         string
	PublicKeyMultibase string
	PublicKeyJWK       *JWK
	Extra              map[string]json.RawMessage
}

// MethodRef is an entry of a verification relationship: a reference (a DID
// URL, possibly relative) to a verification method, or an embedded one.
type MethodRef struct {
	Ref      string
	Embedded *VerificationMethod
}

// NewDocument returns an empty document for did with the DID v1 context.
func NewDocument(did string) (*Document, error) {
	if _, err := ParseDID(did); err != nil {
		return nil, err
	}
	return &Document{Context: []any{ContextDIDv1}, ID: did}, nil
}

// NewMultikeyMethod returns a Multikey verification method for pub.
func NewMultikeyMethod(id, controller string, alg suite.Alg, pub crypto.PublicKey) (*VerificationMethod, error) {
	mb, err := EncodeMultikey(alg, pub)
	if err != nil {
		return nil, err
	}
	return &VerificationMethod{ID: id, Type: TypeMultikey, Controller: controller, PublicKeyMultibase: mb}, nil
}

// NewJSONWebKeyMethod returns a JsonWebKey verification method for pub
// (Ed25519 or P-256).
func NewJSONWebKeyMethod(id, controller string, alg suite.Alg, pub crypto.PublicKey) (*VerificationMethod, error) {
	j, err := NewJWK(alg, pub)
	if err != nil {
		return nil, err
	}
	return &VerificationMethod{ID: id, Type: TypeJSONWebKey, Controller: controller, PublicKeyJWK: j}, nil
}

// AddVerificationMethod appends vm to the document's verification methods,
// references it from each named relationship and adds the context its type
// needs.
func (d *Document) AddVerificationMethod(vm VerificationMethod, relationships ...string) error {
	if err := d.checkVM(&vm); err != nil {
		return err
	}
	abs, err := d.absolute(vm.ID)
	if err != nil {
		return err
	}
	for _, m := range d.allMethods() {
		if a, _ := d.absolute(m.ID); a == abs {
			return fmt.Errorf("%w: verification method %q already present", ErrInvalidDocument, vm.ID)
		}
	}
	for _, r := range relationships {
		if d.relationship(r) == nil {
			return fmt.Errorf("unknown verification relationship %q", r)
		}
	}
	d.VerificationMethods = append(d.VerificationMethods, vm)
	for _, r := range relationships {
		p := d.relationship(r)
		*p = append(*p, MethodRef{Ref: vm.ID})
	}
	switch vm.Type {
	case TypeMultikey:
		d.addContext(ContextMultikeyV1)
	case TypeJSONWebKey:
		d.addContext(ContextJWKv1)
	}
	return nil
}

func (d *Document) addContext(c string) {
	if len(d.Context) == 0 {
		d.Context = []any{ContextDIDv1}
	}
	for _, x := range d.Context {
		if s, ok := x.(string); ok && s == c {
			return
		}
	}
	d.Context = append(d.Context, c)
}

// VerificationMethod finds the verification method id (an absolute DID URL
// or one relative to the document, such as "#key-1"). With relationship
// "" it searches every method of the document, including embedded ones;
// otherwise the method must be referenced from or embedded in that
// relationship (Authentication, AssertionMethod, …). A method that is not
// there is a notFound error; a malformed id is invalidDidUrl.
func (d *Document) VerificationMethod(id, relationship string) (*VerificationMethod, error) {
	base, err := ParseDID(d.ID)
	if err != nil {
		return nil, err
	}
	want, err := ResolveReference(base, id)
	if err != nil {
		return nil, err
	}
	key := want.String()
	if relationship == "" {
		for _, m := range d.allMethods() {
			if a, err := d.absolute(m.ID); err == nil && a == key {
				return m, nil
			}
		}
		return nil, newErr(CodeNotFound, "verification method %s not in the document of %s", key, d.ID)
	}
	rel := d.relationship(relationship)
	if rel == nil {
		return nil, fmt.Errorf("unknown verification relationship %q", relationship)
	}
	for i := range *rel {
		r := &(*rel)[i]
		if r.Embedded != nil {
			if a, err := d.absolute(r.Embedded.ID); err == nil && a == key {
				return r.Embedded, nil
			}
			continue
		}
		if a, err := d.absolute(r.Ref); err != nil || a != key {
			continue
		}
		for j := range d.VerificationMethods {
			if a, err := d.absolute(d.VerificationMethods[j].ID); err == nil && a == key {
				return &d.VerificationMethods[j], nil
			}
		}
		return nil, newErr(CodeNotFound, "%s references %s, which the document does not define", relationship, key)
	}
	return nil, newErr(CodeNotFound, "verification method %s is not authorized for %s by %s", key, relationship, d.ID)
}

// PublicKey decodes the method's public key: Multikey (and the legacy
// Ed25519VerificationKey2020) from publicKeyMultibase, JsonWebKey (and
// JsonWebKey2020) from publicKeyJwk. SM2 is reported as suite.SM2; see
// IsDraft.
func (vm *VerificationMethod) PublicKey() (suite.Alg, crypto.PublicKey, error) {
	switch vm.Type {
	case TypeMultikey, TypeEd25519VerificationKey2020:
		if vm.PublicKeyMultibase == "" || vm.PublicKeyJWK != nil {
			return "", nil, newErr(CodeInvalidPublicKey, "%s %s needs publicKeyMultibase only", vm.Type, vm.ID)
		}
		alg, pub, err := DecodeMultikey(vm.PublicKeyMultibase)
		if err != nil {
			return "", nil, err
		}
		if vm.Type == TypeEd25519VerificationKey2020 && alg != suite.Ed25519 {
			return "", nil, newErr(CodeInvalidPublicKeyType, "%s holds a %s key", vm.Type, alg)
		}
		return alg, pub, nil
	case TypeJSONWebKey, TypeJSONWebKey2020:
		if vm.PublicKeyJWK == nil || vm.PublicKeyMultibase != "" {
			return "", nil, newErr(CodeInvalidPublicKey, "%s %s needs publicKeyJwk only", vm.Type, vm.ID)
		}
		return vm.PublicKeyJWK.PublicKey()
	}
	return "", nil, newErr(CodeUnsupportedPublicKeyType, "verification method type %q is not supported (accepted: Multikey, JsonWebKey)", vm.Type)
}

// relationship returns a pointer to the named relationship's list, or nil.
func (d *Document) relationship(name string) *[]MethodRef {
	switch name {
	case Authentication:
		return &d.Authentication
	case AssertionMethod:
		return &d.AssertionMethod
	case KeyAgreement:
		return &d.KeyAgreement
	case CapabilityInvocation:
		return &d.CapabilityInvocation
	case CapabilityDelegation:
		return &d.CapabilityDelegation
	}
	return nil
}

func relationshipNames() [5]string {
	return [5]string{Authentication, AssertionMethod, KeyAgreement, CapabilityInvocation, CapabilityDelegation}
}

// allMethods returns the document's verification methods followed by the
// embedded ones.
func (d *Document) allMethods() []*VerificationMethod {
	var out []*VerificationMethod
	for i := range d.VerificationMethods {
		out = append(out, &d.VerificationMethods[i])
	}
	for _, name := range relationshipNames() {
		rel := d.relationship(name)
		for i := range *rel {
			if e := (*rel)[i].Embedded; e != nil {
				out = append(out, e)
			}
		}
	}
	return out
}

// absolute resolves a DID URL reference against the document's id.
func (d *Document) absolute(ref string) (string, error) {
	base, _ := ParseDID(d.ID)
	u, err := ResolveReference(base, ref)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// Validate checks the document against DID Core and this package's bounds.
func (d *Document) Validate() error {
	if _, err := ParseDID(d.ID); err != nil {
		return fmt.Errorf("%w: id: %w", ErrInvalidDocument, err)
	}
	if len(d.Context) > 0 {
		if s, ok := d.Context[0].(string); !ok || s != ContextDIDv1 {
			return fmt.Errorf("%w: the first @context must be %s", ErrInvalidDocument, ContextDIDv1)
		}
		for _, c := range d.Context {
			switch c.(type) {
			case string, map[string]any:
			default:
				return fmt.Errorf("%w: @context entries must be strings or objects", ErrInvalidDocument)
			}
		}
	}
	if len(d.Controller) > MaxControllers {
		return fmt.Errorf("%w: more than %d controllers", ErrInvalidDocument, MaxControllers)
	}
	for _, c := range d.Controller {
		if _, err := ParseDID(c); err != nil {
			return fmt.Errorf("%w: controller: %w", ErrInvalidDocument, err)
		}
	}
	if len(d.AlsoKnownAs) > MaxAlsoKnownAs {
		return fmt.Errorf("%w: more than %d alsoKnownAs entries", ErrInvalidDocument, MaxAlsoKnownAs)
	}
	for _, a := range d.AlsoKnownAs {
		if !isAbsoluteURI(a) {
			return fmt.Errorf("%w: alsoKnownAs %q is not an absolute URI", ErrInvalidDocument, truncate(a))
		}
	}
	all := d.allMethods()
	if len(all) > MaxVerificationMethods {
		return fmt.Errorf("%w: more than %d verification methods", ErrInvalidDocument, MaxVerificationMethods)
	}
	seen := make(map[string]bool, len(all))
	for _, m := range all {
		if err := d.checkVM(m); err != nil {
			return err
		}
		a, _ := d.absolute(m.ID)
		if seen[a] {
			return fmt.Errorf("%w: verification method id %q appears twice", ErrInvalidDocument, truncate(a))
		}
		seen[a] = true
	}
	for _, name := range relationshipNames() {
		rel := *d.relationship(name)
		if len(rel) > MaxReferences {
			return fmt.Errorf("%w: %s has more than %d entries", ErrInvalidDocument, name, MaxReferences)
		}
		for _, r := range rel {
			if r.Embedded == nil {
				if _, err := d.absolute(r.Ref); err != nil {
					return fmt.Errorf("%w: %s: %w", ErrInvalidDocument, name, err)
				}
			}
		}
	}
	if len(d.Service) > MaxServices {
		return fmt.Errorf("%w: more than %d services", ErrInvalidDocument, MaxServices)
	}
	ids := make(map[string]bool, len(d.Service))
	for i := range d.Service {
		s := &d.Service[i]
		if err := checkService(d, s); err != nil {
			return err
		}
		a := d.serviceKey(s.ID)
		if ids[a] {
			return fmt.Errorf("%w: service id %q appears twice", ErrInvalidDocument, truncate(a))
		}
		ids[a] = true
	}
	return nil
}

func (d *Document) checkVM(m *VerificationMethod) error {
	if _, err := d.absolute(m.ID); err != nil {
		return fmt.Errorf("%w: verification method id %q: %w", ErrInvalidDocument, truncate(m.ID), err)
	}
	if m.Type == "" {
		return fmt.Errorf("%w: verification method %q has no type", ErrInvalidDocument, truncate(m.ID))
	}
	if _, err := ParseDID(m.Controller); err != nil {
		return fmt.Errorf("%w: verification method %q controller: %w", ErrInvalidDocument, truncate(m.ID), err)
	}
	if m.PublicKeyMultibase != "" && m.PublicKeyJWK != nil {
		return fmt.Errorf("%w: verification method %q has both publicKeyMultibase and publicKeyJwk", ErrInvalidDocument, truncate(m.ID))
	}
	if len(m.PublicKeyMultibase) > MaxMultibaseLength {
		return fmt.Errorf("%w: verification method %q: publicKeyMultibase longer than %d", ErrInvalidDocument, truncate(m.ID), MaxMultibaseLength)
	}
	return nil
}
