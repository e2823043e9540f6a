package identity

import (
	"encoding/json"
	"fmt"
	"net/url"
)

// Service types the connector publishes.
const (
	// ServiceTypeDataService is the Dataspace Protocol (2025-1) DID service
	// entry; its serviceEndpoint is the connector's DSP base URL.
	ServiceTypeDataService = "DataService"
	// ServiceTypeCatalogService is the DSP catalog service entry.
	ServiceTypeCatalogService = "CatalogService"
	// ServiceTypeCredentialService is the Decentralized Claims Protocol 1.0
	// entry; its serviceEndpoint is the base URL of the holder's credential
	// service.
	ServiceTypeCredentialService = "CredentialService"
	// ContextDSP is the Dataspace Protocol 2025-1 context its DID service
	// entries carry.
	ContextDSP = "https://w3id.org/dspace/2025/1/context.jsonld"
)

// Service is a DID Core §5.4 service.
type Service struct {
	ID              string
	Type            StringSet
	ServiceEndpoint ServiceEndpoint
	Extra           map[string]json.RawMessage
}

// ServiceEndpoint is a serviceEndpoint value: a URI string, a map, or a
// set of URIs and maps. Exactly one of URI, Map and Set is set.
type ServiceEndpoint struct {
	URI string
	Map map[string]any
	Set []ServiceEndpoint // entries have URI or Map set
}

// AddService appends s after checking it and that its id is new.
func (d *Document) AddService(s Service) error {
	if err := checkService(d, &s); err != nil {
		return err
	}
	key := d.serviceKey(s.ID)
	for _, x := range d.Service {
		if d.serviceKey(x.ID) == key {
			return fmt.Errorf("%w: service %q already present", ErrInvalidDocument, s.ID)
		}
	}
	d.Service = append(d.Service, s)
	return nil
}

// AddDataService adds the Dataspace Protocol DataService entry whose
// serviceEndpoint is the connector's DSP base URL. An empty id means
// "<did>#dsp". The entry carries the DSP and DID contexts as the DSP
// 2025-1 example does.
func (d *Document) AddDataService(id, endpoint string) error {
	if id == "" {
		id = d.ID + "#dsp"
	}
	ctx, _ := marshalJSON([]string{ContextDSP, ContextDIDv1})
	return d.AddService(Service{
		ID:              id,
		Type:            StringSet{ServiceTypeDataService},
		ServiceEndpoint: ServiceEndpoint{URI: endpoint},
		Extra:           map[string]json.RawMessage{"@context": ctx},
	})
}

// AddCredentialService adds the DCP CredentialService entry whose
// serviceEndpoint is the base URL of the holder's credential service. An
// empty id means "<did>#credential-service".
func (d *Document) AddCredentialService(id, endpoint string) error {
	if id == "" {
		id = d.ID + "#credential-service"
	}
	return d.AddService(Service{
		ID:              id,
		Type:            StringSet{ServiceTypeCredentialService},
		ServiceEndpoint: ServiceEndpoint{URI: endpoint},
	})
}

// Services returns the services that have type typ.
func (d *Document) Services(typ string) []Service {
	var out []Service
	for _, s := range d.Service {
		if s.Type.Contains(typ) {
			out = append(out, s)
		}
	}
	return out
}

// ServiceEndpointURI returns the first URI endpoint of the first service
// of type typ, or a notFound error.
func (d *Document) ServiceEndpointURI(typ string) (string, error) {
	for _, s := range d.Services(typ) {
		if s.ServiceEndpoint.URI != "" {
			return s.ServiceEndpoint.URI, nil
		}
		for _, e := range s.ServiceEndpoint.Set {
			if e.URI != "" {
				return e.URI, nil
			}
		}
	}
	return "", newErr(CodeNotFound, "%s has no %s service with a URI endpoint", d.ID, typ)
}

// serviceKey is the absolute form of a service id: resolved against the
// document when it is a DID URL or relative reference, as is otherwise.
func (d *Document) serviceKey(id string) string {
	if a, err := d.absolute(id); err == nil {
		return a
	}
	return id
}

func checkService(d *Document, s *Service) error {
	if s.ID == "" {
		return fmt.Errorf("%w: service without id", ErrInvalidDocument)
	}
	if _, err := d.absolute(s.ID); err != nil && !isAbsoluteURI(s.ID) {
		return fmt.Errorf("%w: service id %q is not a URI", ErrInvalidDocument, truncate(s.ID))
	}
	if len(s.Type) == 0 {
		return fmt.Errorf("%w: service %q has no type", ErrInvalidDocument, truncate(s.ID))
	}
	for _, t := range s.Type {
		if t == "" {
			return fmt.Errorf("%w: service %q has an empty type", ErrInvalidDocument, truncate(s.ID))
		}
	}
	if err := s.ServiceEndpoint.check(true); err != nil {
		return fmt.Errorf("%w: service %q: %w", ErrInvalidDocument, truncate(s.ID), err)
	}
	return nil
}

func (e *ServiceEndpoint) check(top bool) error {
	n := 0
	if e.URI != "" {
		n++
		if !isAbsoluteURI(e.URI) {
			return fmt.Errorf("serviceEndpoint %q is not an absolute URI", truncate(e.URI))
		}
	}
	if e.Map != nil {
		n++
	}
	if e.Set != nil {
		n++
		if !top {
			return fmt.Errorf("serviceEndpoint sets do not nest")
		}
		if len(e.Set) == 0 || len(e.Set) > MaxReferences {
			return fmt.Errorf("serviceEndpoint set of %d entries (want 1 to %d)", len(e.Set), MaxReferences)
		}
		for i := range e.Set {
			if err := e.Set[i].check(false); err != nil {
				return err
			}
		}
	}
	if n != 1 {
		return fmt.Errorf("serviceEndpoint must be a URI, a map or a set")
	}
	return nil
}

func isAbsoluteURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "" || u.Path != "")
}
